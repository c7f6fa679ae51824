// tfjs/builder.h — defining a layers model in C++ without writing JSON, as tf.sequential and
// tf.layers.* do in TF.js.
//
//   tfjs::LayersModel m = tfjs::sequential({
//       tfjs::layers::dense({.units = 16, .activation = "relu", .inputShape = {4}}),
//       tfjs::layers::dense({.units = 3, .activation = "softmax"}),
//   }).build(/*seed=*/42);
//
// Each factory returns a LayerConfig: the Keras class name and the config (snake_case keys, as
// tfjs-layers' model.toJSON and Keras write them). Sequential::toJSON() gives the Keras topology
// (the model.json modelTopology TF.js would save: {class_name: "Sequential", config, keras_version,
// backend}); build() makes a LayersModel from it with every variable drawn from its initializer
// (modelFromJSON). Layers left unnamed get Keras's names ("dense", "dense_1", ...). The first
// layer needs inputShape (or batchInputShape). Arguments are checked when the model is built
// (LayersModel's own checks: an invalid option is a tfjs::Error naming the layer). Plain values;
// thread-safe. (GCC 12's -Wextra warns about designated initializers that leave members to
// their defaults, as these do on purpose; -Wno-missing-field-initializers silences it, and GCC
// 13 no longer warns.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/layers_model.h"

namespace tfjs {

struct LayerConfig {
  std::string className;
  Json config = Json::object();
};

namespace layers {

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
};
LayerConfig conv1d(const ConvArgs& a);
LayerConfig conv2d(const ConvArgs& a);

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
};
LayerConfig embedding(const EmbeddingArgs& a);

}  // namespace layers

class Sequential {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<LayerConfig> layers, std::string name = "sequential");
  Sequential& add(LayerConfig layer);
  // The Keras topology (modelTopology of model.json). Throws kInvalidArgument when empty or
  // when the first layer has no input shape.
  Json toJSON() const;
  // A model with every variable from its initializer (modelFromJSON(toJSON(), seed, options)).
  LayersModel build(uint64_t seed = 0, const ModelOptions& options = {}) const;

 private:
  std::string name_ = "sequential";
  std::vector<LayerConfig> layers_;
};

// tf.sequential({layers: [...]}).
inline Sequential sequential(std::vector<LayerConfig> layers) {
  return Sequential(std::move(layers));
}

}  // namespace tfjs
