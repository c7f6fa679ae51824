// model/graph_trainer.h — what fit() needs from a LayersModel's layer graph (internal).
//
// A GraphTrainer gives train/fit.cpp the model's variables as writable float32 arrays and runs
// the training forward and backward passes over the model's graph (layers_model.cpp). Made
// from a LayersModel, it first gives the model its own writable copy of every variable's value
// (the loaded weight buffer is shared and read-only) and points the layers at it, so the values
// fit() changes are the ones predict() reads, after commit(). Layers that bound the same stored
// weight (a nested model used directly and wrapped in a TimeDistributed) keep viewing one
// variable, whose gradient is the sum of theirs. Not thread-safe: no predict() may run on the
// model (or its copies, which share it) while a GraphTrainer is in use.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "layers/layer.h"
#include "tfjs/layers_model.h"

namespace tfjs::internal {

struct TrainingState;  // train/fit.cpp

struct TrainVariable {
  std::string name;  // "<layer>/<variable>", as TF.js names the weight (for a TimeDistributed
                     // over a nested model: "<inner layer>/<variable>")
  std::vector<int64_t> shape;
  bool trainable = true;  // false: the layer (or an enclosing model) has trainable: false, or
                          // the variable is not trainable (moving statistics)
  float* value = nullptr;
  size_t size = 0;
  // The layers that own it (several for a weight they share), for the penalties of its
  // regularizers: each one's name, class and Keras config (alive as long as the model), the
  // variable's name in it ("kernel") and how many times fit counts that layer's losses in a step
  // (TF.js: once per call of the layer, through every call of the models around it).
  struct Owner {
    std::string layer;
    std::string className;
    const Json* config = nullptr;
    std::string variable;
    int64_t calls = 0;
  };
  std::vector<Owner> owners;
};

class GraphTrainer {
 public:
  explicit GraphTrainer(LayersModel& model);
  ~GraphTrainer();
  GraphTrainer(const GraphTrainer&) = delete;
  GraphTrainer& operator=(const GraphTrainer&) = delete;

  const std::vector<TrainVariable>& variables() const { return variables_; }
  // Input and output shapes as the model declares them (-1 unknown).
  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;

  // forward (training = true) keeping the tape; then backward from dL/d(outputs), which returns
  // one gradient per variables() entry (zeros for a variable no gradient reached).
  std::vector<layers::Array> forward(std::vector<layers::Array> inputs,
                                     layers::TrainingContext& ctx);
  std::vector<layers::Array> backward(std::vector<layers::Array> dOutputs);
  // Inference (training = false), as predict() runs it.
  std::vector<layers::Array> predict(std::vector<layers::Array> inputs) const;
  // Tells every layer that the variable values changed (fast kernels repack their copies).
  void commit();

  // The model's training state (compile's choices; null before compile). Shared by copies.
  static std::shared_ptr<TrainingState>& trainingState(const LayersModel& model);
  // The artifacts the model was made from (topology, manifest, the loaded weights).
  static const ModelArtifacts& loadedArtifacts(const LayersModel& model);
  // The current value of every variable, named as in TrainVariable, in binding order (a weight
  // several layers share, once).
  // Tensors viewing the model's own (trainable) buffer are copied, so that they stay values.
  // `only`: the weights of these leaf layers alone.
  static std::vector<NamedTensor> currentWeights(
      const LayersModel& model, const std::set<const layers::Layer*>* only = nullptr);
  // Replaces the weights currentWeights(model, only) lists, in its order (shapes checked first;
  // float32 or int32 values), writing into the model's own buffer, and repacks the layers.
  static void setWeights(LayersModel& model, const std::set<const layers::Layer*>* only,
                         const std::vector<Tensor>& values);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
  std::vector<TrainVariable> variables_;
};

}  // namespace tfjs::internal
