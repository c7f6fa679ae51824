// Core layers: Dense, Activation, Flatten, and the layers that are the identity at inference
// (Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout). Dense runs
// oneDNN's matmul (kernels/fast.cpp: weights packed once, bias and relu / relu6 / elu / sigmoid /
// tanh fused) or, when reference kernels are asked for, the plain loop of kernels/reference.cpp.
#include <fmt/format.h>

#include <algorithm>

#include "kernels/kernels.h"
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
        activation_(c.activation()),
        fused_(kernels::fusedActivation(activation_)) {
    if (units_ <= 0) c.unsupported(fmt::format("units = {}", units_));
    if (!isActivation(activation_)) c.unsupported(fmt::format("activation '{}'", activation_));
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1 || in[0].size() < 2 || in[0].back() <= 0) {
      config_.unsupported("an input whose last dimension is unknown");
    }
    inputDim_ = in[0].back();
    rowsPerSample_ = 1;
    for (size_t d = 1; d + 1 < in[0].size(); ++d) {
      rowsPerSample_ = in[0][d] > 0 && rowsPerSample_ > 0 ? rowsPerSample_ * in[0][d] : -1;
    }
    Shape out = in[0];
    out.back() = units_;
    return {out};
  }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{"kernel", {inputDim_, units_}}};
    if (useBias_) v.push_back({"bias", {units_}});
    return v;
  }
  void setWeights(std::vector<Tensor> weights) override {
    Layer::setWeights(std::move(weights));
    fast_ = std::make_unique<kernels::Dense>(
        inputDim_, units_, weight("kernel").data(), useBias_ ? weight("bias").data() : nullptr,
        fused_ == kernels::Fused::kNone ? kernels::Fused::kLinear : fused_);
    // Pack the weights and make the primitive for one sample now, at load.
    if (rowsPerSample_ > 0 && !kernels::referenceKernels()) fast_->prepare(rowsPerSample_);
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    Shape shape = x.shape;
    shape.back() = units_;
    Array y(shape, kUninitialized);
    const int64_t rows = x.size() / inputDim_;
    const bool fast =
        fast_ && !kernels::referenceKernels() && fast_->run(x.data.data(), rows, y.data.data());
    if (!fast) {
      std::fill(y.data.begin(), y.data.end(), 0.0f);
      kernels::reference::dense(x.data.data(), rows, inputDim_, weight("kernel").data(), units_,
                                y.data.data());
      const auto bias = weight("bias");
      for (int64_t r = 0; r < rows; ++r) {
        float* yr = y.data.data() + r * units_;
        for (size_t j = 0; j < bias.size(); ++j) yr[j] += bias[j];
      }
    }
    if (!fast || fused_ == kernels::Fused::kNone) applyActivation(activation_, y, name());
    return oneOutput(std::move(y));
  }

 private:
  int64_t units_;
  bool useBias_;
  std::string activation_;
  kernels::Fused fused_;
  int64_t inputDim_ = 0;
  int64_t rowsPerSample_ = -1;  // rows of x per sample (-1: unknown at build)
  std::unique_ptr<kernels::Dense> fast_;
};

// Activation: the activation in one elementwise pass (activations.cpp), in the input's storage
// when the executor gives it up.
class Activation final : public Layer {
 public:
  explicit Activation(const Config& c) : Layer(c) {
    const std::string a = c.activation();
    if (!isActivation(a)) c.unsupported(fmt::format("activation '{}'", a));
    kind_ = activationKind(a, c.name());
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override { return {in.at(0)}; }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    Array y(x.shape, kUninitialized);
    applyActivation(kind_, x.data.data(), y.data.data(), x.size(),
                    x.shape.empty() ? 1 : x.shape.back());
    return oneOutput(std::move(y));
  }
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override {
    if (!consumable[0]) return call({in[0]});
    Array y = std::move(*in[0]);
    applyActivation(kind_, y);
    return oneOutput(std::move(y));
  }

 private:
  ActivationKind kind_ = ActivationKind::kLinear;
};

// Identity at inference: dropout and noise layers. The input itself when the executor gives it
// up, a copy otherwise.
class Identity final : public Layer {
 public:
  using Layer::Layer;
  std::vector<Shape> build(const std::vector<Shape>& in) override { return {in.at(0)}; }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    return oneOutput(*in[0]);
  }
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override {
    if (!consumable[0]) return call({in[0]});
    return oneOutput(std::move(*in[0]));
  }
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
      return oneOutput(Array({batch, batch ? x.size() / batch : 0}, x.data));
    }
    // channels_first [N, C, d1..dk] -> channels_last [N, d1..dk, C] before flattening.
    const int64_t c = x.shape[1];
    const int64_t inner = x.size() / (batch * c);
    Array y({batch, x.size() / batch}, kUninitialized);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t ch = 0; ch < c; ++ch) {
        for (int64_t i = 0; i < inner; ++i) {
          y.data[static_cast<size_t>((b * inner + i) * c + ch)] =
              x.data[static_cast<size_t>((b * c + ch) * inner + i)];
        }
      }
    }
    return oneOutput(std::move(y));
  }
  // Without a transpose the values stay where they are: a consumable input gives up its storage.
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override {
    Array& x = *in[0];
    if (!consumable[0] || (channelsFirst_ && x.shape.size() > 2)) return call({in[0]});
    const int64_t batch = x.shape.empty() ? 1 : x.shape[0];
    const int64_t n = batch ? x.size() / batch : 0;
    return oneOutput(Array({batch, n}, std::move(x.data)));
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
