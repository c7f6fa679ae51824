// tfjs/graph_model.h — running a TF.js graph model natively, as tf.loadGraphModel does.
//
// A graph model (`"format": "graph-model"`, written by tensorflowjs_converter from a SavedModel,
// a TF Hub module or a Keras model) is a TensorFlow GraphDef as JSON plus the weights of its
// Const nodes. A GraphModel reads it as TF.js's GraphModel does: the signature (taken from
// userDefinedMetadata.signature when that has one, as TF.js does) names the inputs and outputs;
// without one, the inputs are the Placeholder nodes and the outputs the nodes nothing reads, in
// graph order. Weights bind to Const nodes by name.
//
// Every op is checked when the model is made: a model that uses an op this build does not run
// is refused then (tfjs::Error kUnsupported naming each op and the nodes that use it), not
// halfway through a run as in TF.js. unsupportedGraphOps() lists them without throwing.
//
// execute() takes its feeds by signature key or node name ("x" or "x:0"), checks them as TF.js's
// checkInputShapeAndType does (rank, every known dimension, dtype), computes only the nodes the
// requested outputs need, and frees each intermediate value after its last use. Any node output
// can be fetched ("node:k"), intermediates included. A model initializer (modelInitializer, which
// fills the model's hash tables) runs once when the model is made. Graphs with TensorFlow 1
// control flow (Enter / Switch / Merge ... frames) run as TF.js's executeAsync runs them; there
// is one execute() for every graph. const methods are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"

namespace tfjs {

struct GraphModelOptions {
  // Threads execute() computes with (OpenMP, for the calling thread during each call, as
  // ModelOptions::threads). 0: OpenMP's default.
  int threads = 0;
  // Run the plain reference kernels instead of oneDNN / OpenBLAS (the oracle of the fast ones).
  bool referenceKernels = false;
  // The most iterations one While loop may run; a loop that would run more is stopped with
  // tfjs::Error(kInvalidArgument) naming it, not left to hang.
  int64_t maxLoopIterations = 10'000'000;
};

// One input or output as TF.js's model.inputs / model.outputs describe it (its ModelTensorInfo).
struct ModelTensorInfo {
  std::string name;  // the node name (tensor name without ":0" for signature entries)
  std::string key;   // the signature key, or the node name without a signature
  DType dtype = DType::kFloat32;
  std::vector<int64_t> shape;  // -1 for an unknown dimension
  bool knownRank = false;      // false: the shape says nothing
};

class GraphModel {
 public:
  // Builds the model from loaded artifacts (loadModel). Throws tfjs::Error: kInvalidArgument for
  // a layers model, kSchema for a malformed graph or a Const without a weight, kUnsupported for
  // ops this build does not run.
  static GraphModel fromArtifacts(const ModelArtifacts& artifacts,
                                  const GraphModelOptions& options = {});

  GraphModel(GraphModel&&) noexcept;
  GraphModel& operator=(GraphModel&&) noexcept;
  GraphModel(const GraphModel&);
  GraphModel& operator=(const GraphModel&);
  ~GraphModel();

  const std::vector<ModelTensorInfo>& inputs() const;
  const std::vector<ModelTensorInfo>& outputs() const;
  // model.inputNodes / model.outputNodes: the signature keys, or node names without a signature.
  std::vector<std::string> inputNodes() const;
  std::vector<std::string> outputNodes() const;

  // model.structuredOutputKeys: the names the converter gives a SavedModel's dict outputs
  // (userDefinedMetadata.structuredOutputKeys), one per outputNodes() entry in order, by which
  // TF.js's execute / predict return the default outputs as a map; empty when the model has
  // none. (tfjs predict names its outputs by them.)
  const std::vector<std::string>& structuredOutputKeys() const;
  // model.execute(inputs, outputs): the requested outputs (signature keys, "node" or "node:k";
  // empty: outputNodes()) in the order asked. Throws tfjs::Error(kInvalidArgument) for a feed or
  // fetch that names nothing in the graph, a feed of the wrong rank, shape or dtype, or an output
  // that needs an input not given (naming it); an op's error names its node.
  std::vector<Tensor> execute(const std::map<std::string, Tensor>& inputs,
                              const std::vector<std::string>& outputs = {}) const;
  // model.predict: the inputs in inputs() order, the outputs in outputNodes() order.
  std::vector<Tensor> predict(const std::vector<Tensor>& inputs) const;

 private:
  struct Rep;
  explicit GraphModel(std::shared_ptr<const Rep> rep);
  std::shared_ptr<const Rep> rep_;
};

// tf.loadGraphModel: loadModel() + GraphModel::fromArtifacts() (folder, model.json, file:// or
// http(s):// URL).
GraphModel loadGraphModel(const std::string& location, const LoadOptions& load = {},
                          const GraphModelOptions& options = {});

// The ops of a graph model this build does not run, each with the nodes that use it (empty: it
// runs natively). Throws tfjs::Error(kSchema) when the graph cannot be read.
std::map<std::string, std::vector<std::string>> unsupportedGraphOps(
    const ModelArtifacts& artifacts);

}  // namespace tfjs
