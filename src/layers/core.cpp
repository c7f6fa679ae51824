// Core layers: Dense, Activation, Flatten, and the layers that are the identity at inference
// (Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout).
#include <fmt/format.h>

#include "layers/activations.h"
#include "layers/layer.h"

namespace tfjs::layers {
namespace {

// Dense: y = activation(x · kernel + bias) over the last axis (any rank, as tf.keras).
class Dense final : public Layer {
 public:
  explicit Dense(const Config& c)
      : Layer(c),
        units_(c.integer("units", 0)),
        useBias_(c.boolean("use_bias", true)),
        activation_(c.activation()) {
    if (units_ <= 0) c.unsupported(fmt::format("units = {}", units_));
    if (!isActivation(activation_)) c.unsupported(fmt::format("activation '{}'", activation_));
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1 || in[0].size() < 2 || in[0].back() <= 0) {
      config_.unsupported("an input whose last dimension is unknown");
    }
    inputDim_ = in[0].back();
    Shape out = in[0];
    out.back() = units_;
    return {out};
  }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{"kernel", {inputDim_, units_}}};
    if (useBias_) v.push_back({"bias", {units_}});
    return v;
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    Shape shape = x.shape;
    shape.back() = units_;
    Array y(shape);
    const int64_t rows = x.size() / inputDim_;
    const float* k = weight("kernel").data();
    const auto bias = weight("bias");
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x.data.data() + r * inputDim_;
      float* yr = y.data.data() + r * units_;
      for (int64_t i = 0; i < inputDim_; ++i) {
        const float xi = xr[i];
        const float* krow = k + i * units_;
        for (int64_t j = 0; j < units_; ++j) yr[j] += xi * krow[j];
      }
      for (size_t j = 0; j < bias.size(); ++j) yr[j] += bias[j];
    }
    applyActivation(activation_, y, name());
    return {std::move(y)};
  }

 private:
  int64_t units_;
  bool useBias_;
  std::string activation_;
  int64_t inputDim_ = 0;
};

class Activation final : public Layer {
 public:
  explicit Activation(const Config& c) : Layer(c), activation_(c.activation()) {
    if (!isActivation(activation_)) c.unsupported(fmt::format("activation '{}'", activation_));
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override { return {in.at(0)}; }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array y = *in[0];
    applyActivation(activation_, y, name());
    return {std::move(y)};
  }

 private:
  std::string activation_;
};

// Identity at inference: dropout and noise layers.
class Identity final : public Layer {
 public:
  using Layer::Layer;
  std::vector<Shape> build(const std::vector<Shape>& in) override { return {in.at(0)}; }
  std::vector<Array> call(const std::vector<const Array*>& in) const override { return {*in[0]}; }
};

class Flatten final : public Layer {
 public:
  explicit Flatten(const Config& c) : Layer(c) {
    if (c.string("data_format", "channels_last") != "channels_last") {
      // TF.js: channels_first transposes to channels_last before flattening.
      channelsFirst_ = true;
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    const Shape& s = in.at(0);
    int64_t n = 1;
    for (size_t i = 1; i < s.size(); ++i) n = (s[i] < 0 || n < 0) ? -1 : n * s[i];
    return {{s.empty() ? -1 : s[0], n}};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    const int64_t batch = x.shape.empty() ? 1 : x.shape[0];
    if (!channelsFirst_ || x.shape.size() <= 2) {
      return {Array({batch, batch ? x.size() / batch : 0}, x.data)};
    }
    // channels_first [N, C, d1..dk] -> channels_last [N, d1..dk, C] before flattening.
    const int64_t c = x.shape[1];
    const int64_t inner = x.size() / (batch * c);
    Array y({batch, x.size() / batch});
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t ch = 0; ch < c; ++ch) {
        for (int64_t i = 0; i < inner; ++i) {
          y.data[static_cast<size_t>((b * inner + i) * c + ch)] =
              x.data[static_cast<size_t>((b * c + ch) * inner + i)];
        }
      }
    }
    return {std::move(y)};
  }

 private:
  bool channelsFirst_ = false;
};

}  // namespace

void addCoreLayers(Registry& r) {
  add<Dense>(r, "Dense");
  add<Activation>(r, "Activation");
  add<Flatten>(r, "Flatten");
  for (const char* name : {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                           "GaussianNoise", "GaussianDropout", "AlphaDropout"}) {
    add<Identity>(r, name);
  }
}

}  // namespace tfjs::layers
