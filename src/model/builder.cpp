// model/builder.cpp — tfjs::sequential and tfjs::layers::* (include/tfjs/builder.h): Keras
// layer configs as tfjs-layers' model.toJSON writes them, and the Sequential topology.
#include "tfjs/builder.h"

#include <fmt/format.h>

#include <map>

#include "keras/keras_zip.h"
#include "tfjs/error.h"
#include "tfjs/version.h"

namespace tfjs {
namespace {

// {"class_name": "GlorotUniform", "config": {"seed": null}} for "glorot_uniform" or
// "glorotUniform" (TF.js reads initializers from model.json in this object form).
Json initializer(const std::string& name) {
  std::string cls;
  bool up = true;
  for (char c : name) {
    if (c == '_') {
      up = true;
      continue;
    }
    cls += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  Json cfg = Json::object();
  static const std::map<std::string, std::string> withSeed = {
      {"GlorotUniform", ""},   {"GlorotNormal", ""}, {"HeUniform", ""},      {"HeNormal", ""},
      {"LecunUniform", ""},    {"LecunNormal", ""},  {"RandomUniform", ""},  {"RandomNormal", ""},
      {"TruncatedNormal", ""}, {"Orthogonal", ""},   {"VarianceScaling", ""}};
  if (withSeed.count(cls)) cfg["seed"] = nullptr;
  return {{"class_name", cls}, {"config", cfg}};
}

std::vector<int64_t> repeat(const std::vector<int64_t>& v, size_t rank, const char* what) {
  if (v.size() == rank) return v;
  if (v.size() == 1) return std::vector<int64_t>(rank, v[0]);
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("{}: {} value(s) given, 1 or {} expected", what, v.size(), rank));
}

LayerConfig make(const std::string& cls, Json cfg, const std::vector<int64_t>& inputShape,
                 const std::string& name, bool trainable = true) {
  if (!name.empty()) cfg["name"] = name;
  cfg["trainable"] = trainable;
  cfg["dtype"] = "float32";
  if (!inputShape.empty()) {
    Json b = Json::array({nullptr});
    for (int64_t d : inputShape) b.push_back(d < 0 ? Json(nullptr) : Json(d));
    cfg["batch_input_shape"] = b;
  }
  return {cls, std::move(cfg)};
}

LayerConfig conv(const char* cls, size_t rank, const layers::ConvArgs& a) {
  Json cfg = {{"filters", a.filters},
              {"kernel_size", repeat(a.kernelSize, rank, "kernelSize")},
              {"strides", repeat(a.strides, rank, "strides")},
              {"padding", a.padding},
              {"data_format", a.dataFormat},
              {"dilation_rate", repeat(a.dilationRate, rank, "dilationRate")},
              {"activation", a.activation},
              {"use_bias", a.useBias},
              {"kernel_initializer", initializer(a.kernelInitializer)},
              {"bias_initializer", initializer(a.biasInitializer)},
              {"kernel_regularizer", nullptr},
              {"bias_regularizer", nullptr},
              {"activity_regularizer", nullptr},
              {"kernel_constraint", nullptr},
              {"bias_constraint", nullptr}};
  return make(cls, std::move(cfg), a.inputShape, a.name, a.trainable);
}

LayerConfig pooling(const char* cls, const layers::PoolingArgs& a) {
  const auto size = repeat(a.poolSize, 2, "poolSize");
  Json cfg = {{"pool_size", size},
              {"strides", a.strides.empty() ? size : repeat(a.strides, 2, "strides")},
              {"padding", a.padding},
              {"data_format", a.dataFormat}};
  return make(cls, std::move(cfg), a.inputShape, a.name);
}

LayerConfig recurrent(const char* cls, const layers::RecurrentArgs& a, bool gates) {
  Json cfg = {{"units", a.units},
              {"activation", a.activation},
              {"use_bias", a.useBias},
              {"return_sequences", a.returnSequences},
              {"return_state", false},
              {"go_backwards", a.goBackwards},
              {"stateful", false},
              {"unroll", false},
              {"kernel_initializer", initializer("glorot_uniform")},
              {"recurrent_initializer", initializer("orthogonal")},
              {"bias_initializer", initializer("zeros")},
              {"dropout", 0.0},
              {"recurrent_dropout", 0.0}};
  if (gates) cfg["recurrent_activation"] = a.recurrentActivation;
  if (std::string(cls) == "LSTM") cfg["unit_forget_bias"] = true;
  if (std::string(cls) == "GRU") cfg["reset_after"] = false;  // TF.js's GRU
  return make(cls, std::move(cfg), a.inputShape, a.name, a.trainable);
}

}  // namespace

namespace layers {

LayerConfig dense(const DenseArgs& a) {
  Json cfg = {{"units", a.units},
              {"activation", a.activation},
              {"use_bias", a.useBias},
              {"kernel_initializer", initializer(a.kernelInitializer)},
              {"bias_initializer", initializer(a.biasInitializer)},
              {"kernel_regularizer", nullptr},
              {"bias_regularizer", nullptr},
              {"activity_regularizer", nullptr},
              {"kernel_constraint", nullptr},
              {"bias_constraint", nullptr}};
  return make("Dense", std::move(cfg), a.inputShape, a.name, a.trainable);
}
LayerConfig conv1d(const ConvArgs& a) {
  return conv("Conv1D", 1, a);
}
LayerConfig conv2d(const ConvArgs& a) {
  return conv("Conv2D", 2, a);
}
LayerConfig maxPooling2d(const PoolingArgs& a) {
  return pooling("MaxPooling2D", a);
}
LayerConfig averagePooling2d(const PoolingArgs& a) {
  return pooling("AveragePooling2D", a);
}
LayerConfig globalAveragePooling2d(const PoolingArgs& a) {
  return make("GlobalAveragePooling2D", {{"data_format", a.dataFormat}}, a.inputShape, a.name);
}
LayerConfig globalMaxPooling2d(const PoolingArgs& a) {
  return make("GlobalMaxPooling2D", {{"data_format", a.dataFormat}}, a.inputShape, a.name);
}
LayerConfig flatten(const SimpleArgs& a) {
  return make("Flatten", Json::object(), a.inputShape, a.name);
}
LayerConfig dropout(const DropoutArgs& a) {
  return make("Dropout", {{"rate", a.rate}, {"noise_shape", nullptr}, {"seed", nullptr}},
              a.inputShape, a.name);
}
LayerConfig activation(const ActivationArgs& a) {
  return make("Activation", {{"activation", a.activation}}, a.inputShape, a.name);
}
LayerConfig reshape(const ReshapeArgs& a) {
  return make("Reshape", {{"target_shape", a.targetShape}}, a.inputShape, a.name);
}
LayerConfig batchNormalization(const BatchNormalizationArgs& a) {
  Json cfg = {{"axis", a.axis},
              {"momentum", a.momentum},
              {"epsilon", a.epsilon},
              {"center", a.center},
              {"scale", a.scale},
              {"beta_initializer", initializer("zeros")},
              {"gamma_initializer", initializer("ones")},
              {"moving_mean_initializer", initializer("zeros")},
              {"moving_variance_initializer", initializer("ones")}};
  return make("BatchNormalization", std::move(cfg), a.inputShape, a.name, a.trainable);
}
LayerConfig simpleRNN(const RecurrentArgs& a) {
  return recurrent("SimpleRNN", a, false);
}
LayerConfig lstm(const RecurrentArgs& a) {
  return recurrent("LSTM", a, true);
}
LayerConfig gru(const RecurrentArgs& a) {
  return recurrent("GRU", a, true);
}
LayerConfig embedding(const EmbeddingArgs& a) {
  Json cfg = {{"input_dim", a.inputDim},
              {"output_dim", a.outputDim},
              {"mask_zero", a.maskZero},
              {"embeddings_initializer", initializer("random_uniform")}};
  cfg["embeddings_initializer"]["config"]["minval"] = -0.05;
  cfg["embeddings_initializer"]["config"]["maxval"] = 0.05;
  return make("Embedding", std::move(cfg), a.inputShape, a.name, a.trainable);
}

}  // namespace layers

Sequential::Sequential(std::vector<LayerConfig> layers, std::string name)
    : name_(std::move(name)), layers_(std::move(layers)) {}

Sequential& Sequential::add(LayerConfig layer) {
  layers_.push_back(std::move(layer));
  return *this;
}

Json Sequential::toJSON() const {
  if (layers_.empty()) throw Error(ErrorCode::kInvalidArgument, "a Sequential model needs a layer");
  if (!layers_[0].config.contains("batch_input_shape")) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("the first layer ({}) needs an inputShape", layers_[0].className));
  }
  Json list = Json::array();
  std::map<std::string, int> counts;
  for (const auto& l : layers_) {
    Json cfg = l.config;
    if (!cfg.contains("name")) {
      const std::string base = keras::kerasSnakeCase(l.className);
      const int n = counts[base]++;
      cfg["name"] = n == 0 ? base : fmt::format("{}_{}", base, n);
    }
    list.push_back({{"class_name", l.className}, {"config", std::move(cfg)}});
  }
  return {{"class_name", "Sequential"},
          {"config", {{"name", name_}, {"layers", std::move(list)}}},
          {"keras_version", "tfjs-cpp " TFJS_VERSION},
          {"backend", "tensor_flow.js"}};
}

LayersModel Sequential::build(uint64_t seed, const ModelOptions& options) const {
  return modelFromJSON(toJSON(), seed, options);
}

}  // namespace tfjs
