// model/layer_graph.h — a layers model as the runtime executes it: a graph of layer calls built
// from a topology description (model/topology.h), run for predict and walked forward and backward
// for fit; a nested model as a layer; the binding of weights to the layers' variables.
//
// Internal header (not installed). A Graph is immutable once built and bound, so run() is safe
// from several threads at once; forwardTrain / backward are for one fit at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "layers/layer.h"
#include "model/topology.h"
#include "tfjs/artifacts.h"
#include "tfjs/layers_model.h"

namespace tfjs::internal {

using layers::Array;
using layers::Shape;

struct Call {
  size_t layer = 0;             // index into Graph::layers
  std::vector<size_t> inputs;   // value ids
  std::vector<size_t> outputs;  // value ids
};

struct Graph {
  std::string name;
  std::vector<std::unique_ptr<layers::Layer>> layers;
  std::vector<Call> calls;          // in execution order
  std::vector<size_t> inputValues;  // value ids of the model inputs
  std::vector<size_t> outputValues;
  std::vector<Shape> valueShapes;
  std::vector<TensorInfo> inputInfo, outputInfo;
  // Per value: the index of the last call reading it, after which it is dead; SIZE_MAX for a
  // value no call reads and for a model output (never freed, never consumed in place).
  std::vector<size_t> lastUse;

  // Runs the calls; `inputs` in inputValues order. Masks travel beside the values as TF.js's
  // executor carries them (see the notes on mask propagation in layer_graph.cpp). `inputMasks`
  // (optional, per input) are masks arriving from an outer model; `inputMaskUpstream` says an input
  // had a mask somewhere upstream.
  std::vector<Array> run(std::vector<Array> inputs,
                         const std::vector<const Array*>& inputMasks = {},
                         const std::vector<bool>& inputMaskUpstream = {}) const;

  // --- training ---
  // What a training forward pass keeps for the backward pass: every value and each call's state.
  struct Tape {
    std::vector<Array> values;
    std::vector<std::unique_ptr<layers::LayerState>> states;
  };
  // The forward pass of fit(): forwardTrain on every call, nothing freed or consumed. Masks
  // travel beside the values as in run() (same arguments): a call with a masked input runs
  // forwardTrainMasked (the recurrent layers and Bidirectional apply the mask, other layers that
  // read masks refuse, the rest ignore it), and a stale mask is refused as in run(). The masks of
  // the model outputs end here: TF.js 4.22's compile leaves them out of the loss ("TODO(cais): Add
  // logic for output masks" in engine/training.ts), so every timestep counts in the loss.
  std::vector<Array> forwardTrain(std::vector<Array> inputs, layers::TrainingContext& ctx,
                                  Tape& tape, const std::vector<const Array*>& inputMasks = {},
                                  const std::vector<bool>& inputMaskUpstream = {}) const;
  // The backward pass: dOutputs in outputValues order (an empty array: no gradient flows from
  // that output). Adds every layer's variable gradients to `grads`; returns dL/d(inputs) in
  // inputValues order (empty where no gradient reaches).
  std::vector<Array> backward(const Tape& tape, std::vector<Array> dOutputs,
                              layers::GradientSink& grads, bool inputsNeedGradients = true) const;
};

// The graph of `m`: every layer made (layers::createLayer, nested models as NestedModel), every
// call ordered and shaped; `givenInputShapes` replaces the declared input shapes (a nested
// model's build). Throws kSchema / kUnsupported naming the layer.
std::unique_ptr<Graph> buildGraph(const topology::ModelDesc& m,
                                  const std::vector<Shape>* givenInputShapes);

// A model used as a layer inside another model.
class NestedModel final : public layers::Layer {
 public:
  NestedModel(const layers::Config& c, topology::ModelDesc desc)
      : Layer(c), desc_(std::move(desc)) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override;
  std::vector<Array> call(const std::vector<const Array*>& in) const override;
  // The inner graph owns its inputs: the ones the outer executor gives up move in, the others
  // are copied.
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override;
  // Masks as TF.js hands them on: its Container.call runs the inner graph with the outer call's
  // kwargs, whose mask is the mask of the outer call's FIRST input (executor.ts), while the inner
  // inputs themselves carry none. Every inner layer therefore sees that first mask (until an
  // inner layer makes a new one), whichever inner input it hangs from; the other inputs' masks
  // are dropped. Here: every inner input gets the first mask (none when the first input has
  // none), and readers off the path of a passing-through layer are refused by run() as stale.
  // The outputs carry no mask: TF.js's Container does not support masking.
  static std::vector<const Array*> innerMasks(size_t inputs,
                                              const std::vector<const Array*>& masks);
  std::vector<Array> callMasked(const std::vector<const Array*>& in,
                                const std::vector<const Array*>& masks) const override;
  std::vector<std::optional<Array>> computeMask(const std::vector<const Array*>&,
                                                const std::vector<const Array*>&) const override;
  bool readsMask() const override;
  bool mixesSamples() const override;
  // Training: the inner graph's tape is this call's state.
  struct State final : layers::LayerState {
    Graph::Tape tape;
  };
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, layers::TrainingContext& ctx,
                                  std::unique_ptr<layers::LayerState>& state) const override;
  // The first outer mask reaches every inner input, as in callMasked.
  std::vector<Array> forwardTrainMasked(const std::vector<const Array*>& in,
                                        const std::vector<const Array*>& masks,
                                        layers::TrainingContext& ctx,
                                        std::unique_ptr<layers::LayerState>& state) const override;
  std::vector<Array> backward(const std::vector<const Array*>&, const std::vector<const Array*>&,
                              layers::LayerState* state, std::vector<Array> dOut,
                              layers::GradientSink& grads) const override;
  void weightsChanged() override;
  // The variables as one flat list, for a wrapper holding this model (TimeDistributed): every
  // layer with variables, depth first as bindWeights walks them, each variable named
  // `<inner layer>/<variable>` (TF.js names a nested layer's weights by that layer alone). The
  // runtime binds a model nested in a model through its inner layers instead (allLayers).
  std::vector<layers::VariableSpec> variables() const override;
  void setWeights(std::vector<Tensor> weights) override;
  Graph& graph() { return *graph_; }
  const Graph& graph() const { return *graph_; }

 private:
  topology::ModelDesc desc_;
  std::unique_ptr<Graph> graph_;
};

// Every layer of the graph and of its nested models.
void allLayers(Graph& g, std::vector<layers::Layer*>& out);
// Every variable of the graph's layers in allLayers order, named `<inner layer>/<variable>`; not
// trainable under a layer or nested model whose config says trainable: false.
void nestedVariables(const Graph& g, bool frozen, std::vector<layers::VariableSpec>& out);
// The floats of the largest value one sample makes anywhere in `g` (nested models included).
int64_t largestSampleFloats(const Graph& g);

// What each layer views: its weights, bound by name (model/binding.cpp).
using BoundWeights = std::vector<std::pair<layers::Layer*, std::vector<Tensor>>>;
void bindWeights(Graph& g, const ModelArtifacts& artifacts, const ModelOptions& options,
                 BoundWeights& bound);

// The other full names variable `variable` of `layer` may be stored under, after TF.js's
// `<layer>/<variable>` (Keras's names of a stacked RNN's cells, Normalization's and
// TimeDistributed's own spellings; see LayerVariable::aliases).
std::vector<std::string> variableAliases(const layers::Layer& layer, const std::string& variable);

// model/'s side of layers::NestedModelHooks.
std::unique_ptr<layers::Layer> makeNestedModelLayer(const layers::Config& config);
void addNestedModelGradients(const layers::Layer& nested, const layers::GradientSink& inner,
                             std::vector<layers::Array>& dst);

}  // namespace tfjs::internal
