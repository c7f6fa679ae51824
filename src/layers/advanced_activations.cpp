// Advanced activation layers as tfjs-layers defines them: ReLU (max_value only), LeakyReLU,
// PReLU, ELU (alpha 1 only), ThresholdedReLU, Softmax. Each has the backward pass TF.js's
// gradients of its ops give (relu's step at 0 is 0, leakyRelu and prelu take the alpha branch
// at 0, elu's gradient comes from its output, clipByValue passes the gradient at max_value).
// Elementwise results are computed as the TF.js cpu kernels do (double arithmetic on float32
// operands, rounded once), each layer in one loop the compiler inlines and vectorizes where it
// can, in the input's own storage when the executor gives it up (Layer::callConsuming).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "layers/activations.h"
#include "layers/layer.h"

namespace tfjs::layers {
namespace {

// Base for the layers that map each element on its own: Derived::map(x, y, n) writes
// y[i] = f(x[i]) (x == y for in place). The output takes over the input's storage when the
// executor gives it up (callConsuming), and is a fresh uninitialized array otherwise.
template <typename Derived>
class Elementwise : public InPlaceLayer {
 public:
  using InPlaceLayer::InPlaceLayer;
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    return {in[0]};
  }
  // dx[i] = Derived::grad(x[i], y[i], dy[i]): the gradient TF.js's autodiff gives for its ops.
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState*,
                              std::vector<Array> dOut, GradientSink&) const override {
    Array g = std::move(dOut[0]);
    const float* x = in[0]->data.data();
    const float* y = out[0]->data.data();
    const auto& self = static_cast<const Derived&>(*this);
    for (size_t i = 0; i < g.data.size(); ++i) g.data[i] = self.grad(x[i], y[i], g.data[i]);
    return oneOutput(std::move(g));
  }

 protected:
  void run(const Array& x, float* y) const override {
    static_cast<const Derived&>(*this).map(x.data.data(), y, x.size());
  }
};

// ReLU: TF.js honours max_value only (relu, then clipByValue(0, max_value)); it drops
// negative_slope and threshold, so a model that sets them would compute another function in
// TF.js than in Keras: refused.
class ReLU final : public Elementwise<ReLU> {
 public:
  explicit ReLU(const Config& c) : Elementwise(c) {
    if (c.has("max_value")) {
      const double m = c.number("max_value", 0);
      if (!(m >= 0)) c.unsupported(fmt::format("max_value = {}", m));
      maxValue_ = static_cast<float>(m);
    }
    for (const char* key : {"negative_slope", "threshold"}) {
      const double v = c.number(key, 0);
      if (v != 0) {
        c.unsupported(
            fmt::format("{} = {} (TF.js ignores it and computes a plain relu, so the "
                        "model's results would differ from Keras)",
                        key, v));
      }
    }
  }
  // min(relu(x), max_value); without max_value the bound is +inf, which no value exceeds (NaN
  // stays NaN, as before: no comparison with it holds).
  void map(const float* x, float* y, int64_t n) const {
    const float hi = maxValue_ ? *maxValue_ : std::numeric_limits<float>::infinity();
    mapElements(x, y, n, [hi](float v) {
      const float r = v < 0 ? 0.0f : v;
      return r > hi ? hi : r;
    });
  }
  // relu's gradient (step: x > 0), then clipByValue's (0 <= relu(x) <= max_value passes dy).
  float grad(float x, float, float dy) const {
    if (!(x > 0)) return 0.0f;
    return maxValue_ && x > *maxValue_ ? 0.0f : dy;
  }

 private:
  std::optional<float> maxValue_;
};

// LeakyReLU: x < 0 ? alpha * x : x. tfjs-layers reads `alpha` (default 0.3); Keras 3 writes the
// same value as `negative_slope`, read when `alpha` is absent.
class LeakyReLU final : public Elementwise<LeakyReLU> {
 public:
  explicit LeakyReLU(const Config& c)
      : Elementwise(c),
        alpha_(c.has("alpha") ? c.number("alpha", 0.3) : c.number("negative_slope", 0.3)) {}
  void map(const float* x, float* y, int64_t n) const {
    const double alpha = alpha_;
    mapElements(x, y, n, [alpha](float v) {
      return v < 0 ? static_cast<float>(alpha * static_cast<double>(v)) : v;
    });
  }
  // TF.js's LeakyRelu gradient: where(x > 0, dy, dy * alpha) (alpha a float32 scalar).
  float grad(float x, float, float dy) const {
    return x > 0 ? dy : dy * static_cast<float>(alpha_);
  }

 private:
  double alpha_;
};

// ELU: TF.js refuses an alpha other than 1 (NotImplementedError); so does this runtime.
class ELU final : public Elementwise<ELU> {
 public:
  explicit ELU(const Config& c) : Elementwise(c) {
    const double alpha = c.number("alpha", 1.0);
    if (alpha != 1.0) {
      c.unsupported(fmt::format("alpha = {} (TF.js's ELU layer supports alpha 1 only)", alpha));
    }
  }
  void map(const float* x, float* y, int64_t n) const {
    mapElements(x, y, n, [](float v) {
      return v >= 0 ? v : static_cast<float>(std::exp(static_cast<double>(v)) - 1.0);
    });
  }
  // TF.js's EluGrad, from the output: y >= 0 ? dy : dy * (y + 1).
  float grad(float, float y, float dy) const { return y >= 0 ? dy : dy * (y + 1.0f); }
};

// ThresholdedReLU: x * (x > theta), theta a float32 scalar as TF.js's greater() makes it (so
// x = 0.1f is not above theta = 0.1).
class ThresholdedReLU final : public Elementwise<ThresholdedReLU> {
 public:
  explicit ThresholdedReLU(const Config& c)
      : Elementwise(c), theta_(static_cast<float>(c.number("theta", 1.0))) {}
  void map(const float* x, float* y, int64_t n) const {
    const float theta = theta_;
    mapElements(x, y, n, [theta](float v) { return v * (v > theta ? 1.0f : 0.0f); });
  }
  // The gradient of x * cast(x > theta) with respect to x, the comparison taken as constant.
  // TF.js 4.22 itself cannot train this layer behind a trainable one ("gradient function not
  // found for Greater"); this is the gradient Keras gives.
  float grad(float x, float, float dy) const { return dy * (x > theta_ ? 1.0f : 0.0f); }

 private:
  float theta_;
};

// PReLU: x < 0 ? alpha * x : x with a learned alpha of the input's shape without the batch,
// of size 1 along shared_axes.
class PReLU final : public InPlaceLayer {
 public:
  explicit PReLU(const Config& c) : InPlaceLayer(c) {
    if (c.has("shared_axes")) {
      const Json& v = c.json()["shared_axes"];
      if (v.is_number_integer()) {
        shared_.push_back(v.get<int64_t>());
      } else if (v.is_array()) {
        for (const auto& e : v) {
          if (!e.is_number_integer()) c.unsupported("'shared_axes' = " + v.dump());
          shared_.push_back(e.get<int64_t>());
        }
      } else {
        c.unsupported("'shared_axes' = " + v.dump());
      }
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    const Shape& s = in[0];
    alphaShape_.assign(s.begin() + (s.empty() ? 0 : 1), s.end());
    for (int64_t a : shared_) {
      if (a < 1 || a >= static_cast<int64_t>(s.size())) {
        config_.unsupported(fmt::format("shared axis {} for an input of rank {}", a, s.size()));
      }
      alphaShape_[static_cast<size_t>(a - 1)] = 1;
    }
    for (int64_t d : alphaShape_) {
      if (d <= 0) config_.unsupported("an input with an unknown dimension that is not shared");
    }
    return {s};
  }
  std::vector<VariableSpec> variables() const override { return {{"alpha", alphaShape_}}; }
  // TF.js's Prelu gradient: dx = where(x > 0, dy, dy * alpha); dalpha = where(x > 0, 0, dy * x)
  // summed over the batch and the shared axes.
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut,
                              GradientSink& grads) const override {
    const Array& x = *in[0];
    Array g = std::move(dOut[0]);
    const auto alpha = weight("alpha");
    const std::vector<size_t> at = alphaIndex(x);
    float* da = grads.of(this)[0].data.data();
    const size_t sample = at.size();
    for (size_t k = 0; k < g.data.size(); ++k) {
      const size_t a = at[k % sample];
      if (x.data[k] > 0) continue;
      da[a] += g.data[k] * x.data[k];
      g.data[k] *= alpha[a];
    }
    return oneOutput(std::move(g));
  }

 private:
  // The alpha index of each element of one sample of x (row-major, index 0 along shared axes).
  std::vector<size_t> alphaIndex(const Array& x) const {
    const size_t rank = alphaShape_.size();
    if (x.shape.size() != rank + 1) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': input of shape {} does not have rank {}", name(),
                              Json(x.shape).dump(), rank + 1));
    }
    int64_t sample = 1;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t n = x.shape[d + 1];
      if (alphaShape_[d] != 1 && alphaShape_[d] != n) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("layer '{}': input of shape {} does not match alpha of shape {}",
                                name(), Json(x.shape).dump(), Json(alphaShape_).dump()));
      }
      sample *= n;
    }
    std::vector<size_t> a(static_cast<size_t>(sample));
    for (int64_t e = 0; e < sample; ++e) {
      int64_t rest = e, k = 0, mul = 1;
      for (size_t d = rank; d-- > 0;) {
        const int64_t i = rest % x.shape[d + 1];
        rest /= x.shape[d + 1];
        if (alphaShape_[d] != 1) k += i * mul;
        mul *= alphaShape_[d];
      }
      a[static_cast<size_t>(e)] = static_cast<size_t>(k);
    }
    return a;
  }

  // y = prelu(x); y may be x's own data.
  void run(const Array& x, float* y) const override {
    const auto alpha = weight("alpha");
    const std::vector<size_t> index = alphaIndex(x);
    std::vector<float> a(index.size());
    for (size_t e = 0; e < index.size(); ++e) a[e] = alpha[index[e]];
    const auto sample = static_cast<int64_t>(a.size());
    const int64_t samples = sample == 0 ? 0 : x.size() / sample;
    for (int64_t s = 0; s < samples; ++s) {
      const float* xs = x.data.data() + s * sample;
      float* ys = y + s * sample;
      if (xs == ys) {
        for (int64_t e = 0; e < sample; ++e)
          ys[e] = ys[e] < 0 ? a[static_cast<size_t>(e)] * ys[e] : ys[e];
      } else {
        preluRow(xs, ys, a.data(), sample);
      }
    }
  }
  static void preluRow(const float* __restrict x, float* __restrict y, const float* a, int64_t n) {
    for (int64_t e = 0; e < n; ++e) y[e] = x[e] < 0 ? a[e] * x[e] : x[e];
  }

  std::vector<int64_t> shared_;
  Shape alphaShape_;
};

// Softmax over `axis`: one axis must be the last one (tf.softmax refuses any other); several
// axes compute exp(x - logSumExp(x, axes)) as TF.js does. tfjs-layers' default axis is 1, not
// Keras's -1 (Keras always writes the axis). A mask from an earlier layer is applied as TF.js
// applies it (callMasked), at inference and in training alike.
class Softmax final : public Layer {
 public:
  explicit Softmax(const Config& c) : Layer(c) {
    if (!c.has("axis")) {
      axes_ = {1};
    } else if (const Json& v = c.json()["axis"]; v.is_number_integer()) {
      axes_ = {v.get<int64_t>()};
    } else if (v.is_array() && !v.empty()) {
      for (const auto& e : v) {
        if (!e.is_number_integer()) c.unsupported("'axis' = " + v.dump());
        axes_.push_back(e.get<int64_t>());
      }
    } else {
      c.unsupported("'axis' = " + v.dump());
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    const Shape& s = in[0];
    const auto rank = static_cast<int64_t>(s.size());
    reduced_.clear();
    for (int64_t a : axes_) {
      const int64_t r = a < 0 ? a + rank : a;
      if (r < 1 || r >= rank) {
        config_.unsupported(fmt::format("axis {} for an input of rank {}", a, rank));
      }
      if (std::find(reduced_.begin(), reduced_.end(), static_cast<size_t>(r)) == reduced_.end()) {
        reduced_.push_back(static_cast<size_t>(r));
      }
    }
    std::sort(reduced_.begin(), reduced_.end());
    if (axes_.size() == 1 && reduced_[0] + 1 != s.size()) {
      config_.unsupported(
          fmt::format("axis {} for an input of rank {} (TF.js computes a softmax along the last "
                      "axis only)",
                      axes_[0], rank));
    }
    rank_ = s.size();
    return {s};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    return oneOutput(run(*in[0]));
  }
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override {
    if (!consumable[0]) return call({in[0]});
    return oneOutput(run(std::move(*in[0])));
  }
  // TF.js's Softmax reads the mask: x + (1 - mask) * -1e9 before the softmax, the mask
  // broadcast against x NumPy-style (aligned on the last axes). A mask that would change the
  // shape of x (TF.js would then return another shape) is refused.
  bool readsMask() const override { return true; }
  bool mixesSamples() const override { return true; }  // through that broadcast
  // dx = y * (dy - sum(dy * y)) over each group of the softmax axes (the gradient of tf.softmax
  // and of exp(x - logSumExp(x)) alike).
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState*,
                              std::vector<Array> dOut, GradientSink&) const override {
    Array g = std::move(dOut[0]);
    const Array& y = *out[0];
    if (axes_.size() == 1) {
      activationBackward(ActivationKind::kSoftmax, in[0]->data.data(), y.data.data(), g.data.data(),
                         g.size(), g.shape.empty() ? 1 : g.shape.back());
      return oneOutput(std::move(g));
    }
    std::vector<int64_t> stride(rank_, 1);
    for (size_t d = rank_; d-- > 1;) stride[d - 1] = stride[d] * y.shape[d];
    std::vector<size_t> kept;
    for (size_t d = 0; d < rank_; ++d) {
      if (std::find(reduced_.begin(), reduced_.end(), d) == reduced_.end()) kept.push_back(d);
    }
    auto offsetsOver = [&](const std::vector<size_t>& axes) {
      int64_t count = 1;
      for (size_t a : axes) count *= y.shape[a];
      std::vector<size_t> off(static_cast<size_t>(count));
      for (int64_t i = 0; i < count; ++i) {
        int64_t rest = i, o = 0;
        for (size_t k = axes.size(); k-- > 0;) {
          o += (rest % y.shape[axes[k]]) * stride[axes[k]];
          rest /= y.shape[axes[k]];
        }
        off[static_cast<size_t>(i)] = static_cast<size_t>(o);
      }
      return off;
    };
    const auto group = offsetsOver(reduced_);
    for (const size_t base : offsetsOver(kept)) {
      double dot = 0;
      for (const size_t o : group) dot += static_cast<double>(g.data[base + o]) * y.data[base + o];
      for (const size_t o : group) {
        g.data[base + o] = static_cast<float>(y.data[base + o] * (g.data[base + o] - dot));
      }
    }
    return oneOutput(std::move(g));
  }
  // Training with a mask: the same masked softmax as callMasked (same refusals). The added
  // (1 - mask) * -1e9 is a constant, so backward, which reads only y and dL/dy, is unchanged.
  std::vector<Array> forwardTrainMasked(const std::vector<const Array*>& in,
                                        const std::vector<const Array*>& masks, TrainingContext&,
                                        std::unique_ptr<LayerState>&) const override {
    return callMasked(in, masks);
  }
  std::vector<Array> callMasked(const std::vector<const Array*>& in,
                                const std::vector<const Array*>& masks) const override {
    if (masks.empty() || !masks[0]) return call(in);
    const Array& m = *masks[0];
    Array x = *in[0];
    const size_t rank = x.shape.size(), mr = m.shape.size();
    bool fits = mr <= rank;
    for (size_t d = 0; fits && d < mr; ++d) {
      const int64_t md = m.shape[mr - 1 - d];
      fits = md == 1 || md == x.shape[rank - 1 - d];
    }
    if (!fits) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("layer '{}' (Softmax) got a mask of shape {} for an input of shape "
                              "{}; TF.js would broadcast it to another shape",
                              name(), Json(m.shape).dump(), Json(x.shape).dump()));
    }
    // Strides of the mask seen with x's rank (0 along broadcast axes).
    std::vector<int64_t> stride(rank, 0);
    int64_t step = 1;
    for (size_t d = 0; d < mr; ++d) {
      const size_t xd = rank - 1 - d;
      const int64_t md = m.shape[mr - 1 - d];
      stride[xd] = md == 1 ? 0 : step;
      step *= md;
    }
    std::vector<int64_t> idx(rank, 0);
    int64_t src = 0;
    for (float& v : x.data) {
      v += (1.0f - m.data[static_cast<size_t>(src)]) * -1e9f;
      for (size_t d = rank; d-- > 0;) {  // odometer increment
        src += stride[d];
        if (++idx[d] < x.shape[d]) break;
        src -= stride[d] * x.shape[d];
        idx[d] = 0;
      }
    }
    return oneOutput(run(std::move(x)));
  }

 private:
  // The softmax of y, computed in its own storage.
  Array run(Array y) const {
    if (y.shape.size() != rank_) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': input of shape {} does not have rank {}", name(),
                              Json(y.shape).dump(), rank_));
    }
    if (axes_.size() == 1) {
      applyActivation(ActivationKind::kSoftmax, y);
      return y;
    }
    // exp(x - (max + log(sum(exp(x - max))))) over the reduced axes, each op in float32.
    std::vector<int64_t> stride(rank_, 1);
    for (size_t d = rank_; d-- > 1;) stride[d - 1] = stride[d] * y.shape[d];
    std::vector<size_t> kept;
    for (size_t d = 0; d < rank_; ++d) {
      if (std::find(reduced_.begin(), reduced_.end(), d) == reduced_.end()) kept.push_back(d);
    }
    auto offsetOf = [&](int64_t i, const std::vector<size_t>& axes) {
      int64_t off = 0;
      for (size_t k = axes.size(); k-- > 0;) {
        off += (i % y.shape[axes[k]]) * stride[axes[k]];
        i /= y.shape[axes[k]];
      }
      return off;
    };
    int64_t groupSize = 1, groups = 1;
    for (size_t a : reduced_) groupSize *= y.shape[a];
    for (size_t a : kept) groups *= y.shape[a];
    std::vector<int64_t> offsets(static_cast<size_t>(groupSize));
    for (int64_t g = 0; g < groupSize; ++g) offsets[static_cast<size_t>(g)] = offsetOf(g, reduced_);
    for (int64_t gi = 0; gi < groups; ++gi) {
      const int64_t base = offsetOf(gi, kept);
      auto at = [&](int64_t g) -> float& {
        return y.data[static_cast<size_t>(base + offsets[static_cast<size_t>(g)])];
      };
      float mx = -std::numeric_limits<float>::infinity();
      for (int64_t g = 0; g < groupSize; ++g) mx = std::max(mx, at(g));
      double sum = 0;
      for (int64_t g = 0; g < groupSize; ++g) {
        sum += static_cast<float>(std::exp(static_cast<double>(at(g) - mx)));
      }
      const float lse =
          mx + static_cast<float>(std::log(static_cast<double>(static_cast<float>(sum))));
      for (int64_t g = 0; g < groupSize; ++g) {
        at(g) = static_cast<float>(std::exp(static_cast<double>(at(g) - lse)));
      }
    }
    return y;
  }

  std::vector<int64_t> axes_;
  std::vector<size_t> reduced_;
  size_t rank_ = 0;
};

}  // namespace

void addActivationLayers(Registry& r) {
  add<ReLU>(r, "ReLU", {.maskThrough = true});
  add<LeakyReLU>(r, "LeakyReLU");
  add<PReLU>(r, "PReLU", {.maskThrough = true});
  add<ELU>(r, "ELU");
  add<ThresholdedReLU>(r, "ThresholdedReLU");
  add<Softmax>(r, "Softmax");
}

}  // namespace tfjs::layers
