// tfjs/builder.h — defining a layers model in C++ without writing JSON, as tf.sequential,
// tf.input / layer.apply / tf.model and tf.layers.* do in TF.js.
//
//   tfjs::LayersModel m = tfjs::sequential({
//       tfjs::layers::dense({.units = 16, .activation = "relu", .inputShape = {4}}),
//       tfjs::layers::dense({.units = 3, .activation = "softmax"}),
//   }).build(/*seed=*/42);
//
//   namespace L = tfjs::layers;
//   auto left = tfjs::input({.shape = {28, 28, 1}, .name = "left"});
//   auto right = tfjs::input({.shape = {28, 28, 1}, .name = "right"});
//   auto encode = tfjs::sequential({L::flatten({.inputShape = {28, 28, 1}}),
//                                   L::dense({.units = 16, .activation = "relu"})});
//   auto a = encode.apply(left), b = encode.apply(right);  // one encoder: shared weights
//   auto y = L::dense({.units = 1}).apply(L::concatenate().apply({a, b}));  // merges: {a, b, ..}
//   tfjs::LayersModel f = tfjs::model({.inputs = {left, right}, .outputs = {y}}).build(7);
//
// Each factory checks its arguments as it makes the layer: an unusable one (units, filters,
// kernel / pool sizes or strides <= 0, a dropout rate outside [0, 1), an unknown activation,
// padding or data format, ...) throws tfjs::Error(kInvalidArgument) naming the layer and the
// argument, e.g. "Dense: units: 0: a positive integer was expected".
//
// Each factory returns a LayerConfig: the Keras class name and the config (snake_case keys, as
// tfjs-layers' model.toJSON and Keras write them). Sequential::toJSON() gives the Keras topology
// (the model.json modelTopology TF.js would save: {class_name: "Sequential", config, keras_version,
// backend}); Functional::toJSON() gives what tfjs-layers 4.22's toJSON writes for a tf.model:
// {class_name: "Model", config: {name, layers: [{name, class_name, config, inbound_nodes}],
// input_layers, output_layers}}, its layers ordered as TF.js orders them (by depth from the
// outputs, then by traversal order) and its node indices numbered as TF.js numbers them (the
// applications of a layer that the model uses, in the order they were made; a nested model's
// first application is node 1, node 0 being its own inner node). build() makes a LayersModel from
// a topology with every variable drawn from its initializer (modelFromJSON).
//
// Names: layers left unnamed get Keras's names when the topology is written ("input_1",
// "input_2", "dense", "dense_1", "sequential", "model", ... in the order the model lists its
// layers, nested models' layers included, skipping every name given explicitly), so names are
// unique across the whole model as TF.js's weight names need. Two layers (at any nesting level)
// with one name are a tfjs::Error when the topology is written.
//
// Identity: a LayerConfig, a Sequential and a Functional each name one layer, and their copies
// are that same layer: applying it (or a copy) again makes its next node and shares its weights,
// as applying one TF.js layer object twice does; call the factory again for a new layer. (The
// entries of a Sequential are always distinct layers.) The config a layer is applied with is
// captured by apply(); applying one layer with two different configs is an error.
//
// Checks: a Sequential's first layer needs inputShape (or batchInputShape). apply() refuses an
// empty SymbolicTensor, a merge layer given fewer than 2 tensors, another layer given a count of
// tensors it does not take, and a nested model given the wrong count. model() (Functional's
// constructor) refuses: no inputs or outputs, an input not made by tfjs::input or given twice, an
// input no output uses, an output that depends on an input the model was not given (tensors of
// another model's graph). Layer options themselves are checked when the model is built
// (LayersModel's own checks: an invalid option is a tfjs::Error naming the layer). All errors are
// tfjs::Error with ErrorCode::kInvalidArgument and a message naming the layer or tensor.
//
// Threads: everything here is a plain value. A SymbolicTensor holds a shared pointer to its
// immutable node graph, so tensors, layers and models may be used (const) from several threads
// at once; apply() on one layer from two threads makes two nodes in an unspecified order. (GCC
// 12's -Wextra warns about designated initializers that leave members to their defaults, as these
// do on purpose; -Wno-missing-field-initializers silences it, and GCC 13 no longer warns.)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/layers_model.h"

namespace tfjs {

class Sequential;
class Functional;

namespace detail {
struct Node;              // one application of a layer (builder.cpp)
struct FunctionalRep;     // a Functional's analysed graph (builder.cpp)
struct LayerIdentity {};  // what makes copies of a layer one layer
struct BuilderAccess;     // builder.cpp's access to the classes below
}  // namespace detail

// A symbolic tensor (TF.js's SymbolicTensor): output `index` of one node of the graph being
// defined. Holds the node (and through it everything upstream) by shared pointer. A
// default-constructed one is empty; every use of an empty one is an error.
class SymbolicTensor {
 public:
  SymbolicTensor() = default;
  bool empty() const { return node_ == nullptr; }
  // The name of the layer that made it, as given (empty when the layer is left to automatic
  // naming, which happens only when a topology is written), and its output index.
  const std::string& layerName() const;
  size_t outputIndex() const { return index_; }

 private:
  friend struct detail::BuilderAccess;
  std::shared_ptr<const detail::Node> node_;
  size_t index_ = 0;
};

struct LayerConfig {
  std::string className;
  Json config = Json::object();
  // Shared by copies (see Identity in the opening comment); never null.
  std::shared_ptr<const detail::LayerIdentity> identity =
      std::make_shared<const detail::LayerIdentity>();

  // layer.apply(x): a new node of this layer on `x` (one tensor), or on `xs` (merge layers: 2 or
  // more). Throws kInvalidArgument for an empty tensor or a count of inputs the layer does not
  // take.
  SymbolicTensor apply(const SymbolicTensor& x) const;
  SymbolicTensor apply(const std::vector<SymbolicTensor>& xs) const;
};

// tf.input({shape, batchSize, name, dtype}): the symbolic input of a functional model (an
// InputLayer node). `shape` is one sample's shape (-1: unknown).
struct InputArgs {
  std::vector<int64_t> shape;
  std::optional<int64_t> batchSize;
  std::string name;  // "" = "input_1", "input_2", ...
  std::string dtype = "float32";
};
SymbolicTensor input(const InputArgs& a);

namespace layers {

// True when `name` is an activation the runtime knows: the names TF.js loads from a model.json
// ("relu", "hardSigmoid", Keras's "hard_sigmoid", ...), plus "gelu_new" and "None" / "" (linear).
bool isActivation(const std::string& name);

// An L1L2 weight regularizer (tf.regularizers.l1l2; l1 or l2 alone for tf.regularizers.l1 / l2):
// fit adds l1 * sum|w| + l2 * sum w^2 of the weight to the training loss, as TF.js does.
struct Regularizer {
  double l1 = 0;
  double l2 = 0;
};

// Options every layer takes (TF.js's LayerArgs).
struct Common {
  std::string name;                  // "" = Keras's automatic name
  std::vector<int64_t> inputShape;   // first layer: the shape of one sample
  std::optional<int64_t> batchSize;  // with inputShape: a fixed batch size
  bool trainable = true;
};

struct DenseArgs {
  int64_t units = 0;
  std::string activation = "linear";
  bool useBias = true;
  std::string kernelInitializer = "glorot_uniform";
  std::string biasInitializer = "zeros";
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
  std::optional<Regularizer> kernelRegularizer;
  std::optional<Regularizer> biasRegularizer;
};
LayerConfig dense(const DenseArgs& a);

struct ConvArgs {
  int64_t filters = 0;
  std::vector<int64_t> kernelSize;  // one value (square) or two
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";  // "valid" | "same"
  std::string dataFormat = "channels_last";
  std::vector<int64_t> dilationRate = {1};
  std::string activation = "linear";
  bool useBias = true;
  std::string kernelInitializer = "glorot_uniform";
  std::string biasInitializer = "zeros";
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
  std::optional<Regularizer> kernelRegularizer;
  std::optional<Regularizer> biasRegularizer;
};
LayerConfig conv1d(const ConvArgs& a);
LayerConfig conv2d(const ConvArgs& a);
LayerConfig conv3d(const ConvArgs& a);
LayerConfig conv2dTranspose(const ConvArgs& a);
LayerConfig conv3dTranspose(const ConvArgs& a);

struct PoolingArgs {
  std::vector<int64_t> poolSize = {2};
  std::vector<int64_t> strides;  // empty: poolSize
  std::string padding = "valid";
  std::string dataFormat = "channels_last";
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig maxPooling2d(const PoolingArgs& a);
LayerConfig averagePooling2d(const PoolingArgs& a);
LayerConfig globalAveragePooling2d(const PoolingArgs& a = {});
LayerConfig globalMaxPooling2d(const PoolingArgs& a = {});

struct SimpleArgs {
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig flatten(const SimpleArgs& a = {});

struct DropoutArgs {
  double rate = 0;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig dropout(const DropoutArgs& a);

struct ActivationArgs {
  std::string activation;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig activation(const ActivationArgs& a);

struct ReshapeArgs {
  std::vector<int64_t> targetShape;  // -1 for one inferred dimension
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig reshape(const ReshapeArgs& a);

struct BatchNormalizationArgs {
  int64_t axis = -1;
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
  std::optional<Regularizer> gammaRegularizer;
  std::optional<Regularizer> betaRegularizer;
};
LayerConfig batchNormalization(const BatchNormalizationArgs& a = {});

struct RecurrentArgs {
  int64_t units = 0;
  std::string activation = "tanh";
  std::string recurrentActivation = "sigmoid";  // LSTM / GRU
  bool useBias = true;
  bool returnSequences = false;
  bool goBackwards = false;
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
};
LayerConfig simpleRNN(const RecurrentArgs& a);
LayerConfig lstm(const RecurrentArgs& a);
LayerConfig gru(const RecurrentArgs& a);

struct EmbeddingArgs {
  int64_t inputDim = 0;
  int64_t outputDim = 0;
  bool maskZero = false;
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
  std::optional<Regularizer> embeddingsRegularizer;
};
LayerConfig embedding(const EmbeddingArgs& a);

// The merge layers: apply them to 2 or more tensors ({a, b, ...}).
struct MergeArgs {
  std::string name;
};
LayerConfig add(const MergeArgs& a = {});
LayerConfig multiply(const MergeArgs& a = {});
LayerConfig average(const MergeArgs& a = {});
LayerConfig maximum(const MergeArgs& a = {});
LayerConfig minimum(const MergeArgs& a = {});
struct ConcatenateArgs {
  int64_t axis = -1;
  std::string name;
};
LayerConfig concatenate(const ConcatenateArgs& a = {});

// --- more layers (builder_layers.cpp) ---------------------------------------------------------

// Any layer class the runtime has, from its Keras config (snake_case keys, as in model.json):
// layers::layer("GaussianNoise", {{"stddev", 0.1}}). Throws kInvalidArgument for a class the
// runtime does not know (listing the close names); the config itself is checked when the model
// is built, as for a loaded model.
LayerConfig layer(const std::string& className, Json config, const Common& common = {});

struct DepthwiseConvArgs {
  std::vector<int64_t> kernelSize;  // one value (square) or two
  int64_t depthMultiplier = 1;
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";
  std::string dataFormat = "channels_last";
  std::vector<int64_t> dilationRate = {1};
  std::string activation = "linear";
  bool useBias = true;
  std::string depthwiseInitializer = "glorot_uniform";
  std::string biasInitializer = "zeros";
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
  std::optional<Regularizer> depthwiseRegularizer;
  std::optional<Regularizer> biasRegularizer;
};
LayerConfig depthwiseConv2d(const DepthwiseConvArgs& a);

struct SeparableConvArgs {
  int64_t filters = 0;
  std::vector<int64_t> kernelSize;
  int64_t depthMultiplier = 1;
  std::vector<int64_t> strides = {1};
  std::string padding = "valid";
  std::string dataFormat = "channels_last";
  std::vector<int64_t> dilationRate = {1};
  std::string activation = "linear";
  bool useBias = true;
  std::string depthwiseInitializer = "glorot_uniform";
  std::string pointwiseInitializer = "glorot_uniform";
  std::string biasInitializer = "zeros";
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
  std::optional<Regularizer> depthwiseRegularizer;
  std::optional<Regularizer> pointwiseRegularizer;
  std::optional<Regularizer> biasRegularizer;
};
LayerConfig separableConv2d(const SeparableConvArgs& a);

// Pooling over 1 and 3 spatial dimensions (PoolingArgs' sizes repeated to the rank).
LayerConfig maxPooling1d(const PoolingArgs& a);
LayerConfig averagePooling1d(const PoolingArgs& a);
LayerConfig maxPooling3d(const PoolingArgs& a);
LayerConfig averagePooling3d(const PoolingArgs& a);
LayerConfig globalAveragePooling1d(const PoolingArgs& a = {});
LayerConfig globalMaxPooling1d(const PoolingArgs& a = {});

struct Padding2DArgs {
  // One value (every side), two (rows, columns) or four (top, bottom, left, right).
  std::vector<int64_t> padding = {1};
  std::string dataFormat = "channels_last";
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig zeroPadding2d(const Padding2DArgs& a = {});
LayerConfig cropping2d(const Padding2DArgs& a);  // `padding`: the rows / columns cropped

struct UpSampling2DArgs {
  std::vector<int64_t> size = {2};        // one value or (rows, columns)
  std::string interpolation = "nearest";  // or "bilinear"
  std::string dataFormat = "channels_last";
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig upSampling2d(const UpSampling2DArgs& a = {});

struct LayerNormalizationArgs {
  int64_t axis = -1;
  double epsilon = 1e-3;
  bool center = true;
  bool scale = true;
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
  std::optional<Regularizer> gammaRegularizer;
  std::optional<Regularizer> betaRegularizer;
};
LayerConfig layerNormalization(const LayerNormalizationArgs& a = {});

struct PermuteArgs {
  std::vector<int64_t> dims;  // 1-based, the batch excluded: {2, 1} swaps the two axes
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig permute(const PermuteArgs& a);

struct RepeatVectorArgs {
  int64_t n = 0;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig repeatVector(const RepeatVectorArgs& a);

// The advanced activations, with Keras's / TF.js's defaults.
struct ReLUArgs {
  std::optional<double> maxValue;
  double negativeSlope = 0;
  double threshold = 0;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig reLU(const ReLUArgs& a = {});
struct LeakyReLUArgs {
  double alpha = 0.3;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig leakyReLU(const LeakyReLUArgs& a = {});
struct ELUArgs {
  double alpha = 1.0;  // TF.js's ELU layer supports 1 only (another value is kInvalidArgument)
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig elu(const ELUArgs& a = {});
struct ThresholdedReLUArgs {
  double theta = 1.0;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig thresholdedReLU(const ThresholdedReLUArgs& a = {});
struct SoftmaxArgs {
  int64_t axis = -1;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig softmax(const SoftmaxArgs& a = {});
struct PReLUArgs {
  std::string alphaInitializer = "zeros";
  std::vector<int64_t> sharedAxes;
  std::vector<int64_t> inputShape;
  std::string name;
  bool trainable = true;
  std::optional<Regularizer> alphaRegularizer;
};
LayerConfig prelu(const PReLUArgs& a = {});

struct DotArgs {
  std::vector<int64_t> axes;  // one axis for both inputs, or one per input
  bool normalize = false;
  std::string name;
};
LayerConfig dot(const DotArgs& a);

// Wrappers: `layer` applied to every time step, or in both directions of a sequence.
struct WrapperArgs {
  std::string mergeMode = "concat";  // bidirectional: "concat", "sum", "mul", "ave" or "" (none)
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig timeDistributed(const LayerConfig& layer, const WrapperArgs& a = {});
LayerConfig bidirectional(const LayerConfig& layer, const WrapperArgs& a = {});

struct RescalingArgs {
  double scale = 1;
  double offset = 0;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig rescaling(const RescalingArgs& a);

// Regularization layers (the identity at inference): stddev for gaussianNoise, rate otherwise.
struct NoiseArgs {
  double value = 0;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig gaussianNoise(const NoiseArgs& a);
LayerConfig gaussianDropout(const NoiseArgs& a);
LayerConfig alphaDropout(const NoiseArgs& a);

struct MaskingArgs {
  double maskValue = 0;
  std::vector<int64_t> inputShape;
  std::string name;
};
LayerConfig masking(const MaskingArgs& a = {});

}  // namespace layers

class Sequential {
 public:
  Sequential() = default;
  // name "": "sequential" (nested in a functional model: Keras's next free "sequential_N").
  explicit Sequential(std::vector<LayerConfig> layers, std::string name = "");
  Sequential& add(LayerConfig layer);
  // The Keras topology (modelTopology of model.json). Throws kInvalidArgument when empty or
  // when the first layer has no input shape.
  Json toJSON() const;
  // A model with every variable from its initializer (modelFromJSON(toJSON(), seed, options)).
  LayersModel build(uint64_t seed = 0, const ModelOptions& options = {}) const;
  // The whole model applied as one layer of a functional model (its layers as they are now);
  // copies of this Sequential are the same layer.
  SymbolicTensor apply(const SymbolicTensor& x) const;

 private:
  friend struct detail::BuilderAccess;
  std::string name_;
  std::vector<LayerConfig> layers_;
  std::shared_ptr<const detail::LayerIdentity> identity_ =
      std::make_shared<const detail::LayerIdentity>();
};

// tf.sequential({layers: [...]}).
inline Sequential sequential(std::vector<LayerConfig> layers) {
  return Sequential(std::move(layers));
}

// The arguments of tf.model.
struct ModelArgs {
  std::vector<SymbolicTensor> inputs;   // each made by tfjs::input, each once
  std::vector<SymbolicTensor> outputs;  // each computable from `inputs`
  std::string name;                     // "" = "model" (nested: Keras's next free "model_N")
};

// A functional model (Keras's Functional, TF.js's tf.model): the graph between its inputs and
// outputs, analysed and checked when it is made (see Checks above). Immutable; copies share it
// and are the same layer.
class Functional {
 public:
  explicit Functional(const ModelArgs& args);
  // The Keras topology, as tfjs-layers' model.toJSON writes it (class_name "Model").
  Json toJSON() const;
  LayersModel build(uint64_t seed = 0, const ModelOptions& options = {}) const;
  // The whole model applied as one layer: as many tensors as it has inputs. apply() needs a
  // single-output model; applyMulti() returns every output.
  SymbolicTensor apply(const SymbolicTensor& x) const;
  SymbolicTensor apply(const std::vector<SymbolicTensor>& xs) const;
  std::vector<SymbolicTensor> applyMulti(const std::vector<SymbolicTensor>& xs) const;
  size_t numInputs() const;
  size_t numOutputs() const;

 private:
  friend struct detail::BuilderAccess;
  std::shared_ptr<const detail::FunctionalRep> rep_;
};

// tf.model({inputs, outputs, name}).
inline Functional model(const ModelArgs& args) {
  return Functional(args);
}

}  // namespace tfjs
