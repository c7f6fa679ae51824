// Core layers: Dense, Activation, Flatten, and the layers that are the identity at inference
// (Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout, AlphaDropout). Dense runs
// oneDNN's sgemm on the loaded kernel (no packed copy) then its activation in one pass, or,
// when reference kernels are asked for, the plain loop of kernels/reference.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

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
        activation_(c.activation()) {
    if (units_ <= 0) c.unsupported(fmt::format("units = {}", units_));
    if (!isActivation(activation_)) c.unsupported(fmt::format("activation '{}'", activation_));
    kind_ = activationKind(activation_, c.name());
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
    if (!kernels::referenceKernels()) {
      Array y = affine(x);
      applyActivation(kind_, y);
      return oneOutput(std::move(y));
    }
    Shape shape = x.shape;
    shape.back() = units_;
    Array y(shape);  // zero-filled: reference::dense accumulates
    const int64_t rows = x.size() / inputDim_;
    kernels::reference::dense(x.data.data(), rows, inputDim_, weight("kernel").data(), units_,
                              y.data.data());
    const auto bias = weight("bias");
    for (int64_t r = 0; r < rows; ++r) {
      float* yr = y.data.data() + r * units_;
      for (size_t j = 0; j < bias.size(); ++j) yr[j] += bias[j];
    }
    applyActivation(kind_, y);
    return oneOutput(std::move(y));
  }

  // Training: z = x . kernel + bias with a GEMM (kept for the activation's derivative), then
  // y = activation(z). Backward: g = dy * f'(z); dkernel += x^T g; dbias += sum of g's rows;
  // dx = g kernel^T.
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext&,
                                  std::unique_ptr<LayerState>& state) const override {
    Array z = affine(*in[0]);
    Array y = z;
    applyActivation(kind_, y);
    state = std::make_unique<LayerState>();
    state->arrays.push_back(std::move(z));
    return oneOutput(std::move(y));
  }
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState* state,
                              std::vector<Array> dOut, GradientSink& grads) const override {
    const Array& x = *in[0];
    Array g = std::move(dOut[0]);
    const int64_t rows = x.size() / inputDim_;
    activationBackward(kind_, state->arrays[0].data.data(), out[0]->data.data(), g.data.data(),
                       g.size(), units_);
    auto& dv = grads.of(this);
    kernels::gemm(true, false, inputDim_, units_, rows, 1.0f, x.data.data(), inputDim_,
                  g.data.data(), units_, 1.0f, dv[0].data.data(), units_);
    if (useBias_) {
      float* db = dv[1].data.data();
      for (int64_t r = 0; r < rows; ++r) {
        const float* gr = g.data.data() + r * units_;
        for (int64_t j = 0; j < units_; ++j) db[j] += gr[j];
      }
    }
    if (!grads.inputGradientsNeeded) return oneOutput(Array());
    Array dx(x.shape, kUninitialized);
    kernels::gemm(false, true, rows, inputDim_, units_, 1.0f, g.data.data(), units_,
                  weight("kernel").data(), units_, 0.0f, dx.data.data(), inputDim_);
    return oneOutput(std::move(dx));
  }

 private:
  // x . kernel + bias with oneDNN's sgemm straight on the loaded kernel (as fast as its matmul
  // primitive on a packed copy: bench/RESULTS.md), so the model holds its weights once.
  Array affine(const Array& x) const {
    Shape shape = x.shape;
    shape.back() = units_;
    Array z(shape, kUninitialized);
    const int64_t rows = x.size() / inputDim_;
    const auto bias = weight("bias");
    for (int64_t r = 0; r < rows; ++r) {
      float* zr = z.data.data() + r * units_;
      if (bias.empty()) {
        std::fill(zr, zr + units_, 0.0f);
      } else {
        std::copy(bias.begin(), bias.end(), zr);
      }
    }
    kernels::gemm(false, false, rows, units_, inputDim_, 1.0f, x.data.data(), inputDim_,
                  weight("kernel").data(), units_, 1.0f, z.data.data(), units_);
    return z;
  }

  int64_t units_;
  bool useBias_;
  std::string activation_;
  ActivationKind kind_ = ActivationKind::kLinear;
  int64_t inputDim_ = 0;
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
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState*,
                              std::vector<Array> dOut, GradientSink&) const override {
    Array g = std::move(dOut[0]);
    activationBackward(kind_, in[0]->data.data(), out[0]->data.data(), g.data.data(), g.size(),
                       g.shape.empty() ? 1 : g.shape.back());
    return oneOutput(std::move(g));
  }

 private:
  ActivationKind kind_ = ActivationKind::kLinear;
};

// Identity at inference: dropout and noise layers. The input itself when the executor gives it
// up, a copy otherwise.
//
// In training (fit), as TF.js: Dropout keeps each element with probability 1 - rate and scales
// it by 1 / (1 - rate); with a noise_shape (same rank as the input; a null entry takes the
// input's dimension, any other must be 1 or the input's) the keep/drop draws have that shape
// and are broadcast over its 1s, as tf.dropout's multiplier is. SpatialDropout1D/2D/3D draw one
// keep/drop per sample and channel (TF.js overrides their noise shape, so theirs is ignored);
// GaussianNoise adds N(0, stddev); GaussianDropout multiplies by N(1, sqrt(rate / (1 - rate))).
// AlphaDropout (noise.ts; 4.22 applies it whenever training is true and 0 < rate < 1) keeps
// each element with probability 1 - rate, computes u = x * kept + (kept - 1) * alpha' with
// alpha' = -alpha * scale (SELU's constants), then a * u + b with
// a = ((1 - rate) * (1 + rate * alpha'^2))^-0.5 and b = -a * alpha' * rate, exactly as TF.js
// writes it. Note the sign: a dropped element becomes -alpha' = +1.7581 (Keras's formula,
// x * kept + (1 - kept) * alpha', gives alpha'), so TF.js's AlphaDropout does not keep a
// zero-mean, unit-variance input so; tfjs-cpp follows TF.js (tests/train_more_test.cpp checks
// the values against the real TF.js). Its noise_shape (fully given: TF.js draws
// randomUniform(noise_shape), which a null entry breaks) broadcasts as Dropout's. The gradient
// is the factor each element was multiplied by (a * kept for AlphaDropout). The random stream is
// tfjs-cpp's (fit's seed, TrainingContext), not TF.js's.
class Identity final : public Layer {
 public:
  explicit Identity(const Config& c) : Layer(c) {
    rate_ = c.number("rate", 0.0);
    stddev_ = c.number("stddev", 0.0);
    if (rate_ < 0 || rate_ >= 1) {
      if (c.className() != "GaussianNoise") c.unsupported(fmt::format("rate = {}", rate_));
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override { return {in.at(0)}; }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    return oneOutput(*in[0]);
  }
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override {
    if (!consumable[0]) return call({in[0]});
    return oneOutput(std::move(*in[0]));
  }
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext& ctx,
                                  std::unique_ptr<LayerState>& state) const override {
    const Array& x = *in[0];
    const std::string& c = className();
    // factor: what x is multiplied by (dropout), or nothing (GaussianNoise adds).
    Array factor(x.shape, kUninitialized);
    Array y(x.shape, kUninitialized);
    const int64_t n = x.size();
    if (c == "AlphaDropout") {
      if (!(rate_ > 0 && rate_ < 1)) return oneOutput(x);  // TF.js returns its input
      const double alphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;
      const double ad = std::pow((1 - rate_) * (1 + rate_ * alphaP * alphaP), -0.5);
      const auto a = static_cast<float>(ad);
      const auto b = static_cast<float>(-ad * alphaP * rate_);
      const auto ap = static_cast<float>(alphaP);
      const std::vector<float> kept = keepMask(x.shape, ctx, 1.0f);
      for (int64_t i = 0; i < n; ++i) {
        const float k = kept[static_cast<size_t>(i)];
        y.data[i] = (x.data[i] * k + (k - 1.0f) * ap) * a + b;
        factor.data[i] = a * k;
      }
      state = std::make_unique<LayerState>();
      state->arrays.push_back(std::move(factor));
      return oneOutput(std::move(y));
    }
    if (c == "GaussianNoise") {
      for (int64_t i = 0; i < n; ++i) {
        y.data[i] = x.data[i] + static_cast<float>(stddev_) * normal(ctx);
      }
      return oneOutput(std::move(y));
    }
    if (c == "GaussianDropout") {
      const float sd = static_cast<float>(std::sqrt(rate_ / (1 - rate_)));
      for (int64_t i = 0; i < n; ++i) factor.data[i] = 1.0f + sd * normal(ctx);
    } else if (rate_ == 0) {
      std::fill(factor.data.begin(), factor.data.end(), 1.0f);
    } else {
      const float keep = static_cast<float>(1 - rate_);
      const float scale = 1.0f / keep;
      const bool spatial = c.rfind("SpatialDropout", 0) == 0 && x.shape.size() >= 3;
      const int64_t ch = spatial ? x.shape.back() : 1;
      const int64_t batch = x.shape.empty() ? 1 : x.shape[0];
      if (spatial) {
        const bool channelsFirst =
            config_.string("data_format", "channels_last") == "channels_first";
        const int64_t channels = channelsFirst ? x.shape[1] : ch;
        const int64_t inner = batch ? n / (batch * channels) : 0;
        for (int64_t b = 0; b < batch; ++b) {
          for (int64_t k = 0; k < channels; ++k) {
            const float f = ctx.uniform() < keep ? scale : 0.0f;
            for (int64_t i = 0; i < inner; ++i) {
              const int64_t at =
                  channelsFirst ? (b * channels + k) * inner + i : (b * inner + i) * channels + k;
              factor.data[at] = f;
            }
          }
        }
      } else {
        const std::vector<float> f = keepMask(x.shape, ctx, scale);
        std::copy(f.begin(), f.end(), factor.data.begin());
      }
    }
    for (int64_t i = 0; i < n; ++i) y.data[i] = x.data[i] * factor.data[i];
    state = std::make_unique<LayerState>();
    state->arrays.push_back(std::move(factor));
    return oneOutput(std::move(y));
  }
  std::vector<Array> backward(const std::vector<const Array*>&, const std::vector<const Array*>&,
                              LayerState* state, std::vector<Array> dOut,
                              GradientSink&) const override {
    Array g = std::move(dOut[0]);
    if (state) {
      const Array& f = state->arrays[0];
      for (int64_t i = 0; i < g.size(); ++i) g.data[i] *= f.data[i];
    }
    return oneOutput(std::move(g));
  }

 private:
  // The keep (value `kept`) / drop (0) draws of Dropout and AlphaDropout for an input of shape
  // `s`, one per element of the noise shape (the input's when the config gives none), each kept
  // with probability 1 - rate, broadcast to `s` along the noise shape's 1s.
  std::vector<float> keepMask(const Shape& s, TrainingContext& ctx, float kept) const {
    const auto keep = static_cast<float>(1 - rate_);
    const Shape ns = noiseShape(s);
    std::vector<float> draws(static_cast<size_t>(Array::count(ns)));
    for (float& v : draws) v = ctx.uniform() < keep ? kept : 0.0f;
    if (ns == s) return draws;
    // Strides of the draws along each input axis (0 where the noise shape has a 1).
    const size_t rank = s.size();
    std::vector<int64_t> stride(rank, 0);
    int64_t step = 1;
    for (size_t d = rank; d-- > 0;) {
      stride[d] = ns[d] == 1 ? 0 : step;
      step *= ns[d];
    }
    std::vector<float> out(static_cast<size_t>(Array::count(s)));
    std::vector<int64_t> idx(rank, 0);
    int64_t src = 0;
    for (float& v : out) {
      v = draws[static_cast<size_t>(src)];
      for (size_t d = rank; d-- > 0;) {
        src += stride[d];
        if (++idx[d] < s[d]) break;
        src -= stride[d] * s[d];
        idx[d] = 0;
      }
    }
    return out;
  }
  // The config's noise_shape resolved against the input's shape `s` (TF.js's getNoiseShape: a
  // null entry takes the input's dimension); `s` itself when there is none. Throws Error when
  // TF.js could not broadcast the draws to the input (kInvalidArgument) or the config is
  // malformed (kUnsupported).
  Shape noiseShape(const Shape& s) const {
    if (!config_.has("noise_shape") || config_.json()["noise_shape"].is_null()) return s;
    const Json& j = config_.json()["noise_shape"];
    if (!j.is_array()) config_.unsupported(fmt::format("noise_shape = {}", j.dump()));
    if (j.size() != s.size()) {
      config_.unsupported(
          fmt::format("noise_shape {} for an input of rank {} (the same rank "
                      "is needed)",
                      j.dump(), s.size()));
    }
    Shape ns(s.size());
    for (size_t d = 0; d < s.size(); ++d) {
      if (j[d].is_null()) {
        if (className() == "AlphaDropout") {
          config_.unsupported(
              fmt::format("noise_shape {} with a null entry (TF.js's AlphaDropout "
                          "draws randomUniform(noise_shape) as given)",
                          j.dump()));
        }
        ns[d] = s[d];
      } else if (!j[d].is_number_integer()) {
        config_.unsupported(fmt::format("noise_shape = {}", j.dump()));
      } else {
        ns[d] = j[d].get<int64_t>();
      }
      if (ns[d] != s[d] && ns[d] != 1) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("layer '{}' ({}): noise_shape {} does not broadcast to the input "
                                "shape {}",
                                name(), className(), j.dump(), Json(s).dump()));
      }
    }
    return ns;
  }
  static float normal(TrainingContext& ctx) {
    // Box-Muller on two uniforms.
    const float u1 = std::max(ctx.uniform(), 1e-12f);
    const float u2 = ctx.uniform();
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958647692f * u2);
  }
  double rate_ = 0;
  double stddev_ = 0;
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
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    const Array& x = *in[0];
    Array g = std::move(dOut[0]);
    if (!channelsFirst_ || x.shape.size() <= 2) return oneOutput(Array(x.shape, std::move(g.data)));
    const int64_t batch = x.shape[0];
    const int64_t c = x.shape[1];
    const int64_t inner = x.size() / (batch * c);
    Array dx(x.shape, kUninitialized);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t ch = 0; ch < c; ++ch) {
        for (int64_t i = 0; i < inner; ++i) {
          dx.data[static_cast<size_t>((b * c + ch) * inner + i)] =
              g.data[static_cast<size_t>((b * inner + i) * c + ch)];
        }
      }
    }
    return oneOutput(std::move(dx));
  }

 private:
  bool channelsFirst_ = false;
};

}  // namespace

void addCoreLayers(Registry& r) {
  add<Dense>(r, "Dense", {.maskThrough = true});
  add<Activation>(r, "Activation", {.maskThrough = true});
  add<Flatten>(r, "Flatten");
  for (const char* name : {"Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout"}) {
    add<Identity>(r, name, {.maskThrough = true});
  }
  add<Identity>(r, "SpatialDropout1D");
  // Keras's, which TF.js lacks.
  add<Identity>(r, "SpatialDropout2D", {.tfjs = false});
  add<Identity>(r, "SpatialDropout3D", {.tfjs = false});
}

}  // namespace tfjs::layers
