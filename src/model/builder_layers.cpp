// model/builder_layers.cpp — the builder's factories beyond the basics (tfjs/builder.h, "more
// layers"): every config written as tfjs-layers' toJSON / Keras writes it for that class, so
// the runtime, TF.js and Keras read it alike.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "format/keras_names.h"
#include "layers/layer.h"
#include "model/builder_util.h"
#include "tfjs/builder.h"

namespace tfjs::layers {

using detail::initializer;
using detail::make;
using detail::regularizer;
using detail::repeat;

namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

void positive(int64_t v, const char* layer, const char* what) {
  if (v <= 0) invalid(fmt::format("{}: {} = {}, a positive number was expected", layer, what, v));
}

// Edit distance, for suggesting a class name.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

LayerConfig depthwiseLike(const char* cls, Json cfg, const std::vector<int64_t>& kernelSize,
                          const std::vector<int64_t>& strides, const std::vector<int64_t>& dilation,
                          const std::string& padding, const std::string& dataFormat,
                          const std::string& activation, bool useBias,
                          const std::vector<int64_t>& inputShape, const std::string& name,
                          bool trainable) {
  cfg["kernel_size"] = repeat(kernelSize, 2, "kernelSize");
  cfg["strides"] = repeat(strides, 2, "strides");
  cfg["padding"] = padding;
  cfg["data_format"] = dataFormat;
  cfg["dilation_rate"] = repeat(dilation, 2, "dilationRate");
  cfg["activation"] = activation;
  cfg["use_bias"] = useBias;
  cfg["activity_regularizer"] = nullptr;
  return make(cls, std::move(cfg), inputShape, name, trainable);
}

// {"class_name", "config"} of a wrapped layer. An unnamed one gets Keras's base name for its class
// ("simple_rnn"), since the wrapper's weights are named after it
// (bidirectional/forward_simple_rnn/kernel) and a wrapped layer is not named with the model's.
Json wrapped(const LayerConfig& inner) {
  Json cfg = inner.config;
  if (!cfg.contains("name")) cfg["name"] = kerasSnakeCase(inner.className);
  return {{"class_name", inner.className}, {"config", cfg}};
}

}  // namespace

LayerConfig layer(const std::string& className, Json config, const Common& common) {
  if (!runsLayerClass(className)) {
    std::string best;
    size_t bestDistance = SIZE_MAX;
    for (const auto& [name, row] : registry()) {
      if (!row.make) continue;
      const size_t d = distance(className, name);
      if (d < bestDistance) bestDistance = d, best = name;
    }
    invalid(fmt::format("layer class '{}' is not one tfjs runs{}", className,
                        bestDistance <= 3 ? fmt::format(" (did you mean '{}'?)", best) : ""));
  }
  if (!config.is_object())
    invalid(fmt::format("layer '{}': the config must be an object", className));
  LayerConfig l =
      make(className, std::move(config), common.inputShape, common.name, common.trainable);
  if (common.batchSize && !common.inputShape.empty()) {
    l.config["batch_input_shape"][0] = *common.batchSize;
  }
  return l;
}

LayerConfig depthwiseConv2d(const DepthwiseConvArgs& a) {
  positive(a.depthMultiplier, "depthwiseConv2d", "depthMultiplier");
  Json cfg = {{"depth_multiplier", a.depthMultiplier},
              {"depthwise_initializer", initializer(a.depthwiseInitializer)},
              {"bias_initializer", initializer(a.biasInitializer)},
              {"depthwise_regularizer", regularizer(a.depthwiseRegularizer)},
              {"bias_regularizer", regularizer(a.biasRegularizer)},
              {"depthwise_constraint", nullptr},
              {"bias_constraint", nullptr}};
  return depthwiseLike("DepthwiseConv2D", std::move(cfg), a.kernelSize, a.strides, a.dilationRate,
                       a.padding, a.dataFormat, a.activation, a.useBias, a.inputShape, a.name,
                       a.trainable);
}

LayerConfig separableConv2d(const SeparableConvArgs& a) {
  positive(a.filters, "separableConv2d", "filters");
  positive(a.depthMultiplier, "separableConv2d", "depthMultiplier");
  Json cfg = {{"filters", a.filters},
              {"depth_multiplier", a.depthMultiplier},
              {"depthwise_initializer", initializer(a.depthwiseInitializer)},
              {"pointwise_initializer", initializer(a.pointwiseInitializer)},
              {"bias_initializer", initializer(a.biasInitializer)},
              {"depthwise_regularizer", regularizer(a.depthwiseRegularizer)},
              {"pointwise_regularizer", regularizer(a.pointwiseRegularizer)},
              {"bias_regularizer", regularizer(a.biasRegularizer)},
              {"depthwise_constraint", nullptr},
              {"pointwise_constraint", nullptr},
              {"bias_constraint", nullptr}};
  return depthwiseLike("SeparableConv2D", std::move(cfg), a.kernelSize, a.strides, a.dilationRate,
                       a.padding, a.dataFormat, a.activation, a.useBias, a.inputShape, a.name,
                       a.trainable);
}

LayerConfig maxPooling1d(const PoolingArgs& a) {
  return detail::pooling("MaxPooling1D", a, 1);
}
LayerConfig averagePooling1d(const PoolingArgs& a) {
  return detail::pooling("AveragePooling1D", a, 1);
}
LayerConfig maxPooling3d(const PoolingArgs& a) {
  return detail::pooling("MaxPooling3D", a, 3);
}
LayerConfig averagePooling3d(const PoolingArgs& a) {
  return detail::pooling("AveragePooling3D", a, 3);
}
LayerConfig globalAveragePooling1d(const PoolingArgs& a) {
  return make("GlobalAveragePooling1D", {{"data_format", a.dataFormat}}, a.inputShape, a.name);
}
LayerConfig globalMaxPooling1d(const PoolingArgs& a) {
  return make("GlobalMaxPooling1D", {{"data_format", a.dataFormat}}, a.inputShape, a.name);
}

namespace {
// [[top, bottom], [left, right]] from 1, 2 or 4 values.
Json sides(const std::vector<int64_t>& v, const char* layer) {
  for (int64_t x : v) {
    if (x < 0) invalid(fmt::format("{}: {} is negative", layer, x));
  }
  if (v.size() == 1) return Json::array({{v[0], v[0]}, {v[0], v[0]}});
  if (v.size() == 2) return Json::array({{v[0], v[0]}, {v[1], v[1]}});
  if (v.size() == 4) return Json::array({{v[0], v[1]}, {v[2], v[3]}});
  invalid(fmt::format("{}: {} value(s) given, 1, 2 or 4 expected", layer, v.size()));
}
}  // namespace

LayerConfig zeroPadding2d(const Padding2DArgs& a) {
  return make("ZeroPadding2D",
              {{"padding", sides(a.padding, "zeroPadding2d")}, {"data_format", a.dataFormat}},
              a.inputShape, a.name);
}
LayerConfig cropping2d(const Padding2DArgs& a) {
  return make("Cropping2D",
              {{"cropping", sides(a.padding, "cropping2d")}, {"data_format", a.dataFormat}},
              a.inputShape, a.name);
}

LayerConfig upSampling2d(const UpSampling2DArgs& a) {
  const auto size = repeat(a.size, 2, "size");
  for (int64_t s : size) positive(s, "upSampling2d", "size");
  if (a.interpolation != "nearest" && a.interpolation != "bilinear") {
    invalid(fmt::format("upSampling2d: interpolation '{}' (nearest or bilinear)", a.interpolation));
  }
  return make("UpSampling2D",
              {{"size", size}, {"data_format", a.dataFormat}, {"interpolation", a.interpolation}},
              a.inputShape, a.name);
}

LayerConfig layerNormalization(const LayerNormalizationArgs& a) {
  Json cfg = {{"axis", a.axis},
              {"epsilon", a.epsilon},
              {"center", a.center},
              {"scale", a.scale},
              {"beta_initializer", initializer("zeros")},
              {"gamma_initializer", initializer("ones")},
              {"beta_regularizer", regularizer(a.betaRegularizer)},
              {"gamma_regularizer", regularizer(a.gammaRegularizer)}};
  return make("LayerNormalization", std::move(cfg), a.inputShape, a.name, a.trainable);
}

LayerConfig permute(const PermuteArgs& a) {
  std::vector<int64_t> sorted = a.dims;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i] != static_cast<int64_t>(i) + 1) {
      invalid("permute: dims must be a permutation of 1..rank (the batch axis excluded)");
    }
  }
  if (sorted.empty()) invalid("permute: dims is empty");
  return make("Permute", {{"dims", a.dims}}, a.inputShape, a.name);
}

LayerConfig repeatVector(const RepeatVectorArgs& a) {
  positive(a.n, "repeatVector", "n");
  return make("RepeatVector", {{"n", a.n}}, a.inputShape, a.name);
}

LayerConfig reLU(const ReLUArgs& a) {
  if (a.maxValue && *a.maxValue < 0) invalid("reLU: maxValue is negative");
  return make("ReLU",
              {{"max_value", a.maxValue ? Json(*a.maxValue) : Json(nullptr)},
               {"negative_slope", a.negativeSlope},
               {"threshold", a.threshold}},
              a.inputShape, a.name);
}
LayerConfig leakyReLU(const LeakyReLUArgs& a) {
  return make("LeakyReLU", {{"alpha", a.alpha}}, a.inputShape, a.name);
}
LayerConfig elu(const ELUArgs& a) {
  if (a.alpha != 1.0) {
    invalid(fmt::format("elu: alpha = {} (TF.js's ELU layer supports alpha 1 only)", a.alpha));
  }
  return make("ELU", {{"alpha", a.alpha}}, a.inputShape, a.name);
}
LayerConfig thresholdedReLU(const ThresholdedReLUArgs& a) {
  return make("ThresholdedReLU", {{"theta", a.theta}}, a.inputShape, a.name);
}
LayerConfig softmax(const SoftmaxArgs& a) {
  return make("Softmax", {{"axis", a.axis}}, a.inputShape, a.name);
}
LayerConfig prelu(const PReLUArgs& a) {
  return make("PReLU",
              {{"alpha_initializer", initializer(a.alphaInitializer)},
               {"alpha_regularizer", regularizer(a.alphaRegularizer)},
               {"alpha_constraint", nullptr},
               {"shared_axes", a.sharedAxes.empty() ? Json(nullptr) : Json(a.sharedAxes)}},
              a.inputShape, a.name, a.trainable);
}

LayerConfig dot(const DotArgs& a) {
  if (a.axes.empty() || a.axes.size() > 2) invalid("dot: axes takes one or two values");
  return make(
      "Dot",
      {{"axes", a.axes.size() == 1 ? Json(a.axes[0]) : Json(a.axes)}, {"normalize", a.normalize}},
      {}, a.name);
}

LayerConfig timeDistributed(const LayerConfig& inner, const WrapperArgs& a) {
  return make("TimeDistributed", {{"layer", wrapped(inner)}}, a.inputShape, a.name);
}
LayerConfig bidirectional(const LayerConfig& inner, const WrapperArgs& a) {
  static const std::vector<std::string> modes = {"concat", "sum", "mul", "ave", ""};
  if (std::find(modes.begin(), modes.end(), a.mergeMode) == modes.end()) {
    invalid(
        fmt::format("bidirectional: mergeMode '{}' (concat, sum, mul, ave or \"\")", a.mergeMode));
  }
  return make("Bidirectional",
              {{"layer", wrapped(inner)},
               {"merge_mode", a.mergeMode.empty() ? Json(nullptr) : Json(a.mergeMode)}},
              a.inputShape, a.name);
}

LayerConfig rescaling(const RescalingArgs& a) {
  return make("Rescaling", {{"scale", a.scale}, {"offset", a.offset}}, a.inputShape, a.name);
}

LayerConfig gaussianNoise(const NoiseArgs& a) {
  if (a.value < 0) invalid("gaussianNoise: stddev is negative");
  return make("GaussianNoise", {{"stddev", a.value}}, a.inputShape, a.name);
}
LayerConfig gaussianDropout(const NoiseArgs& a) {
  if (a.value < 0 || a.value >= 1) invalid("gaussianDropout: rate must be in [0, 1)");
  return make("GaussianDropout", {{"rate", a.value}}, a.inputShape, a.name);
}
LayerConfig alphaDropout(const NoiseArgs& a) {
  if (a.value < 0 || a.value >= 1) invalid("alphaDropout: rate must be in [0, 1)");
  return make("AlphaDropout", {{"rate", a.value}}, a.inputShape, a.name);
}

LayerConfig masking(const MaskingArgs& a) {
  return make("Masking", {{"mask_value", a.maskValue}}, a.inputShape, a.name);
}

}  // namespace tfjs::layers
