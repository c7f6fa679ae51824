// The layer interface of the runtime (internal): one class per Keras layer family, three verbs.
//
// A Layer is made from its Keras config (createLayer), told its input shapes (build), given its
// weights in the order of variables() (setWeights), then called on float32 arrays (call). Layers
// are immutable after setWeights, so one model may run call() from several threads at once.
// Every family lives in its own file (core.cpp, conv.cpp, ...) and adds its classes to the one
// registry table in registry.cpp; a plain reference implementation comes first and stays the
// oracle for any fast path.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/array.h"
#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs::layers {

// The array the layers compute on, and its memory (kernels/array.h).
using kernels::Array;
using kernels::DefaultInitAllocator;
using kernels::Floats;
using kernels::kUninitialized;
using kernels::Shape;
using kernels::Uninitialized;
namespace storage = kernels::storage;

// The result of a call() with one output, without a copy. Never `return {std::move(y)};` for
// a std::vector<Array>: the elements of an initializer_list are const, so that copies y's data.
inline std::vector<Array> oneOutput(Array y) {
  std::vector<Array> out;
  out.push_back(std::move(y));
  return out;
}

// Typed access to a layer's Keras config (snake_case keys, as Keras and the converters write
// them; tfjs-layers saves them in snake_case too). Missing keys give the default.
class Config {
 public:
  Config(std::string className, std::string name, const Json& config)
      : className_(std::move(className)), name_(std::move(name)), config_(config) {}
  const std::string& className() const { return className_; }
  const std::string& name() const { return name_; }
  const Json& json() const { return config_; }
  // Changes one key (a LayersModel's Layer::setTrainable: "trainable").
  void set(const std::string& key, Json value) { config_[key] = std::move(value); }
  bool has(const std::string& key) const;
  int64_t integer(const std::string& key, int64_t def) const;
  double number(const std::string& key, double def) const;
  bool boolean(const std::string& key, bool def) const;
  std::string string(const std::string& key, const std::string& def) const;
  // An int or a list of ints, repeated to `rank` (kernel_size: 3 -> {3, 3}).
  std::vector<int64_t> ints(const std::string& key, size_t rank, int64_t def) const;
  // The activation named by `key` ("linear" when absent), e.g. "relu".
  std::string activation(const std::string& key = "activation") const;
  // Throws Error(kUnsupported) naming the layer, its class and the option.
  [[noreturn]] void unsupported(const std::string& what) const;

 private:
  std::string className_;
  std::string name_;
  Json config_;
};

// One variable of a layer: its name within the layer's scope ("kernel", "forward_lstm/kernel")
// and its shape.
struct VariableSpec {
  std::string name;
  Shape shape;
  bool trainable = true;
  // Keras stores it as an integer (Normalization's `count`): an int32 weight binds too, read as
  // float32 values.
  bool integer = false;
};

class Layer;

// What a layer's forwardTrain keeps for its backward (arrays; nested models keep more).
struct LayerState {
  virtual ~LayerState() = default;
  std::vector<Array> arrays;
};

// The per-run context of training: the random stream of Dropout and the noise layers.
struct TrainingContext {
  uint64_t seed = 0;
  uint64_t counter = 0;  // advanced by every draw
  // A uniform float in [0, 1) from a counter-based stream (SplitMix64 of seed + counter).
  float uniform();
};

// Where backward() adds the gradients of the variables, one zeroed array per variable of each
// layer, created on first use.
class GradientSink {
 public:
  // False while the executor runs a backward() whose inputs need no gradient (they are the
  // model's own inputs): the layer may then return empty arrays instead of dL/d(inputs).
  bool inputGradientsNeeded = true;

  std::vector<Array>& of(const Layer* layer);
  const std::vector<Array>* find(const Layer* layer) const;
  void clear() { grads_.clear(); }

 private:
  std::vector<std::pair<const Layer*, std::vector<Array>>> grads_;
};

class Layer {
 public:
  explicit Layer(const Config& config) : config_(config) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  const std::string& name() const { return config_.name(); }
  const std::string& className() const { return config_.className(); }
  const Config& config() const { return config_; }
  Config& mutableConfig() { return config_; }

  // Output shapes for input shapes (dimension 0 is the batch, -1 when unknown). Called once
  // before variables(); layers keep what they need (input channels, ...). Throws Error.
  virtual std::vector<Shape> build(const std::vector<Shape>& inputShapes) = 0;
  // The variables this layer owns, in tfjs-layers order. Valid after build().
  virtual std::vector<VariableSpec> variables() const { return {}; }
  // Receives one value per variables() entry, shapes already checked. The default keeps each
  // under its variable name for weight(): the tensors stay views of the model's weight buffer,
  // so no layer copies its weights.
  virtual void setWeights(std::vector<Tensor> weights);
  // Runs the layer at inference.
  virtual std::vector<Array> call(const std::vector<const Array*>& inputs) const = 0;
  // Runs the layer on inputs the executor can give up, to save an allocation and a copy.
  // consumable[i] is true when no later call reads input i, it is no model output and it is not
  // also another input of this call: the layer may then take its storage (std::move(*inputs[i]))
  // and compute its output in it, or hand it on unchanged (Reshape, Identity). Inputs that are
  // not consumable must be left untouched. The executor calls this instead of call() whenever no
  // input carries a mask (callMasked otherwise), after computeMask, and frees every consumable
  // input afterwards whatever state the layer left it in. The result must equal call()'s; the
  // default is call(). Like call(), it may run on several threads at once (the arrays are the
  // calling run's own). Overridden by the elementwise layers (Activation, the ReLU family,
  // Softmax, Identity, Batch/LayerNormalization, Rescaling), Reshape, Flatten and nested models.
  virtual std::vector<Array> callConsuming(const std::vector<Array*>& inputs,
                                           const std::vector<bool>& consumable) const {
    (void)consumable;
    return call(std::vector<const Array*>(inputs.begin(), inputs.end()));
  }

  // Masks (TF.js's Layer.computeMask / call(inputs, {mask})). A mask is a 0/1 float array,
  // usually of shape [batch, time]; masks[i] is null when input i carries none. The executor
  // calls callMasked instead of call when at least one input has a mask, and computeMask with
  // every call, on the inputs as they arrive (before callConsuming, which may take them; Masking
  // and Embedding make a mask from none).
  //
  // computeMask gives one optional mask per output (an empty vector: none). The default follows
  // what TF.js's model executor does: a class that sets supportsMasking in TF.js (its row's
  // maskThrough in the layer-class table) passes the first input's mask through; for any other
  // class the executor never asks, so the mask ends there (no error: TF.js's Layer.computeMask
  // would throw, but predict() does not call it for such layers).
  virtual std::vector<std::optional<Array>> computeMask(
      const std::vector<const Array*>& inputs, const std::vector<const Array*>& masks) const;
  // Runs the layer with its input masks. Overridden only by layers that read a mask (RNNs,
  // Bidirectional, ...); the default ignores them.
  virtual std::vector<Array> callMasked(const std::vector<const Array*>& inputs,
                                        const std::vector<const Array*>& masks) const {
    (void)masks;
    return call(inputs);
  }
  // True for layers whose TF.js call reads the mask (the recurrent layers, Bidirectional,
  // ConvLSTM2D, Softmax, and wrappers or nested models holding one). The executor refuses such a
  // layer when a mask made upstream does not reach its input (TF.js would hand it a stale one).
  virtual bool readsMask() const { return false; }
  // True when one sample's output may depend on the other samples of the batch at inference.
  // Only Softmax: TF.js broadcasts a [batch, time] mask against its input aligned on the last
  // axes, so with batch = features the mask of sample b lands on the features of every sample.
  // LayersModel::predict never splits a batch into passes for a model holding such a layer.
  virtual bool mixesSamples() const { return false; }

  // --- Training (tfjs-layers' fit) ---
  // forwardTrain runs the layer as fit() does (training = true: Dropout drops, ...) and may keep
  // what its backward needs in `state` (a pre-activation, a dropout mask). backward receives the
  // same inputs and outputs, that state, and dL/d(outputs) (the layer may reuse their storage);
  // it returns dL/d(inputs), one per input in order, and adds dL/d(variables) into
  // grads.of(this) (one array per variables() entry, allocated and zeroed by the sink; a layer
  // called several times accumulates). The defaults: forwardTrain is call(); backward throws
  // Error(kUnsupported) naming the layer and its class. Both may run while no other thread
  // calls the layer (fit is single-threaded at the graph level).
  virtual std::vector<Array> forwardTrain(const std::vector<const Array*>& inputs,
                                          TrainingContext& ctx,
                                          std::unique_ptr<LayerState>& state) const {
    (void)ctx;
    (void)state;
    return call(inputs);
  }
  virtual std::vector<Array> backward(const std::vector<const Array*>& inputs,
                                      const std::vector<const Array*>& outputs, LayerState* state,
                                      std::vector<Array> dOutputs, GradientSink& grads) const;
  // Training with masks (fit hands the masks on as predict does): the executor calls this
  // instead of forwardTrain when at least one input carries a mask (masks as for callMasked),
  // and the same backward afterwards, so a layer that applies a mask keeps it in `state`. The
  // default: a layer that does not read masks ignores them, as callMasked does, and runs
  // forwardTrain; one that reads them (readsMask()) throws Error(kUnsupported) naming it, unless
  // it overrides this (SimpleRNN, GRU, LSTM, RNN, Bidirectional, Softmax and nested models do).
  virtual std::vector<Array> forwardTrainMasked(const std::vector<const Array*>& inputs,
                                                const std::vector<const Array*>& masks,
                                                TrainingContext& ctx,
                                                std::unique_ptr<LayerState>& state) const {
    (void)masks;
    if (readsMask()) {
      config_.unsupported(
          "training with a masked input (this layer reads the mask, which tfjs-cpp applies in "
          "training only for the recurrent layers, Bidirectional and Softmax)");
    }
    return forwardTrain(inputs, ctx, state);
  }
  // Called by fit() after the values of the variables (the views given to setWeights) changed in
  // place, so that the layer refreshes what it derived from them (packed copies for the fast
  // kernels). The default gives setWeights the same tensors again.
  virtual void weightsChanged();

 protected:
  // The values of variable `name` (float32, row-major); empty when the layer has no such
  // variable (a bias that use_bias turned off, ...).
  std::span<const float> weight(const std::string& name) const;
  // The same values, writable: only for forwardTrain updating state that is not trained by
  // gradients (BatchNormalization's moving statistics), which fit() allows because it gives the
  // model its own copy of every variable first (model/graph_trainer.h). Never call it from call().
  std::span<float> mutableWeight(const std::string& name) const;

  Config config_;

 private:
  std::vector<std::pair<std::string, Tensor>> weights_;
};

// A one-input layer whose output has its input's shape and can be computed in the input's own
// storage (activations, the ReLU family, Batch/LayerNormalization, Rescaling): a subclass writes
// run() and gets call() and an in-place callConsuming().
class InPlaceLayer : public Layer {
 public:
  using Layer::Layer;
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array y(in[0]->shape, kUninitialized);
    run(*in[0], y.data.data());
    return oneOutput(std::move(y));
  }
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override {
    if (!consumable[0]) return call({in[0]});
    Array y = std::move(*in[0]);
    run(y, y.data.data());
    return oneOutput(std::move(y));
  }

 protected:
  // Writes all x.size() elements of y, which may be x's own data (so each element is read
  // before it is written).
  virtual void run(const Array& x, float* y) const = 0;
};

// Nested models (a Sequential or Functional config inside TimeDistributed, Bidirectional, ...)
// are made by model/, which sits above layers/: model/ installs these hooks before it makes any
// layer, and the wrappers call them (a layer never includes model/).
struct NestedModelHooks {
  // A nested model (Sequential / Functional / Model config) as a layer.
  std::unique_ptr<Layer> (*make)(const Config& config) = nullptr;
  // Adds the variable gradients the inner layers of `nested` (made by `make`) left in `inner` to
  // `dst`, one array per entry of nested.variables(), in that order.
  void (*addGradients)(const Layer& nested, const GradientSink& inner,
                       std::vector<Array>& dst) = nullptr;
};
void setNestedModelHooks(const NestedModelHooks& hooks);
// The installed hooks; Error(kUnsupported) when model/ has installed none.
const NestedModelHooks& nestedModelHooks();

using LayerFactory = std::function<std::unique_ptr<Layer>(const Config&)>;

// The layer-class table: one row per Keras class name a topology may hold, registered by the file
// of its family (addXxxLayers below). It is the one list of layer classes: the runtime builds
// layers from it, the converter asks it what TF.js can load, and Layer::computeMask's default reads
// it. tests/layer_classes_test.cpp checks the `tfjs` column against the real TF.js's registry.
struct LayerClass {
  // Builds the layer. Empty for classes a topology holds that the runtime does not build as a
  // layer of its own: the model classes (model/ builds them) and the RNN cells (inside an RNN
  // layer's config).
  LayerFactory make;
  // TF.js 4.22 registers the class: tf.loadLayersModel deserializes it.
  bool tfjs = true;
  // TF.js sets supportsMasking and keeps Layer.computeMask: the first input's mask passes through.
  bool maskThrough = false;
};
using Registry = std::map<std::string, LayerClass>;

// The table (registry.cpp), built once.
const Registry& registry();
// The row of a class name; null when the table has none.
const LayerClass* findLayerClass(const std::string& className);
// Whether the runtime builds the class as a layer (a row with a factory).
bool runsLayerClass(const std::string& className);
// Creates a layer; Error(kUnsupported) naming the layer and class when the runtime does not
// build the class.
std::unique_ptr<Layer> createLayer(const Config& config);

// Families add their classes here (one function per file).
void addCoreLayers(Registry& r);           // core.cpp
void addMergeLayers(Registry& r);          // merge.cpp
void addReshapeLayers(Registry& r);        // reshape.cpp
void addNormalizationLayers(Registry& r);  // normalization.cpp
void addActivationLayers(Registry& r);     // advanced_activations.cpp
void addEmbeddingLayers(Registry& r);      // embedding.cpp (Embedding, Masking)
void addPreprocessingLayers(Registry& r);  // preprocessing.cpp
void addConvLayers(Registry& r);           // conv.cpp
void addPoolingLayers(Registry& r);        // pooling.cpp
void addPaddingLayers(Registry& r);        // padding.cpp
void addWrapperLayers(Registry& r);        // wrappers.cpp (TimeDistributed, Bidirectional)
void addConvRecurrentLayers(Registry& r);  // conv_recurrent.cpp (ConvLSTM2D)
void addRecurrentLayers(Registry& r);      // recurrent.cpp (SimpleRNN, GRU, LSTM, RNN)

// Keras's random augmentation layers, the identity at inference (preprocessing.cpp registers them;
// convert leaves them out of the models it writes for TF.js).
bool isInferenceIdentity(const std::string& className);

// Registration helpers for the families: a row with its factory and flags.
struct ClassFlags {
  bool tfjs = true;
  bool maskThrough = false;
};
void addClass(Registry& r, const char* className, LayerFactory make, ClassFlags flags = {});
template <typename T>
void add(Registry& r, const char* className, ClassFlags flags = {}) {
  addClass(
      r, className, [](const Config& c) { return std::make_unique<T>(c); }, flags);
}

}  // namespace tfjs::layers
