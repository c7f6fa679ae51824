// Normalization layers: BatchNormalization (moving statistics at inference; the batch's
// statistics in training, which also update the moving ones) and LayerNormalization (statistics
// of each sample), with tfjs-layers' variables and arithmetic, and their backward passes.
//
// Both finish with TF.js's batchNorm kernel, which computes, per element and in double,
//   offset + (x - mean) * scale / sqrt(variance + epsilon)
// from float32 operands and rounds once to float32; the kernels below do the same
// (kernels::reference::normalize). BatchNormalization on the last axis (channels_last images,
// the hot case) runs kernels::batchNormLastAxis instead unless reference kernels are asked for:
// scale / sqrt(variance + epsilon) is computed once per channel in double, the rest per element
// in float32, which stays within a few float32 ulps of the double formula.
//
// Where the backends of TF.js disagree, the mathematically correct one is followed:
// BatchNormalization on an axis that is not the last one broadcasts its statistics along that
// axis (as tf.keras and TF.js's webgl backend do), while TF.js's cpu and wasm backends index them
// cyclically as if they were on the last axis (checked with 4.22: mean [10, 20] on axis 1 of a
// [1, 2, 3] input gives rows -10 -20 -10 / -20 -10 -20). Both also run on inputs of rank 5
// and more, which TF.js refuses (NotImplementedError "batchNormalization is not implemented for
// array of rank 5").
//
// In training, TF.js 4.22 fails where this runtime computes the mathematically correct result:
// BatchNormalization with center or scale false (TF.js reads the missing gamma / beta) and on an
// axis other than the last (its gradient of the reshaped gamma has the wrong size).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "kernels/kernels.h"
#include "layers/layer.h"

namespace tfjs::layers {
namespace {

// `axis` as an int or a list of ints (Keras writes either), negative values left as given.
std::vector<int64_t> axisList(const Config& c, int64_t def) {
  if (!c.has("axis")) return {def};
  const Json& v = c.json()["axis"];
  if (v.is_number_integer() || v.is_number_unsigned()) return {v.get<int64_t>()};
  std::vector<int64_t> out;
  if (v.is_array()) {
    for (const auto& e : v) {
      if (!(e.is_number_integer() || e.is_number_unsigned())) c.unsupported("'axis' = " + v.dump());
      out.push_back(e.get<int64_t>());
    }
  }
  if (out.empty()) c.unsupported("'axis' = " + v.dump());
  return out;
}

// Resolves negative axes against `rank`; refuses axes out of range, duplicated, or the batch.
std::vector<size_t> resolveAxes(const Config& c, const std::vector<int64_t>& axes, size_t rank) {
  std::vector<size_t> out;
  for (int64_t a : axes) {
    const int64_t r = a < 0 ? a + static_cast<int64_t>(rank) : a;
    if (r <= 0 || r >= static_cast<int64_t>(rank)) {
      c.unsupported(fmt::format("axis {} for an input of rank {}", a, rank));
    }
    if (std::find(out.begin(), out.end(), static_cast<size_t>(r)) != out.end()) {
      c.unsupported(fmt::format("axis {} listed twice", a));
    }
    out.push_back(static_cast<size_t>(r));
  }
  return out;
}

using kernels::reference::normalize;

class BatchNormalization final : public InPlaceLayer {
 public:
  explicit BatchNormalization(const Config& c)
      : InPlaceLayer(c),
        epsilon_(c.number("epsilon", 1e-3)),
        center_(c.boolean("center", true)),
        scale_(c.boolean("scale", true)) {
    const std::vector<int64_t> axes = axisList(c, -1);
    if (axes.size() != 1) {
      c.unsupported(fmt::format("'axis' = {} (TF.js normalizes over one axis only)",
                                c.json()["axis"].dump()));
    }
    axis_ = axes[0];
    if (c.boolean("renorm", false)) c.unsupported("renorm = true");
    if (c.has("virtual_batch_size")) c.unsupported("virtual_batch_size");
    if (!(epsilon_ >= 0)) c.unsupported(fmt::format("epsilon = {}", epsilon_));
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    const Shape& s = in[0];
    axisIndex_ = resolveAxes(config_, {axis_}, s.size())[0];
    dim_ = s[axisIndex_];
    if (dim_ <= 0) config_.unsupported(fmt::format("an unknown dimension on axis {}", axis_));
    return {s};
  }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v;
    if (scale_) v.push_back({"gamma", {dim_}});
    if (center_) v.push_back({"beta", {dim_}});
    v.push_back({"moving_mean", {dim_}, false});
    v.push_back({"moving_variance", {dim_}, false});
    return v;
  }

  // Training (tfjs-layers' call with training = true, normalizeBatchInTraining): the batch's
  // mean and variance over every axis but `axis` as tf.moments computes them on the cpu backend
  // (mean = sum(x / n), variance = mean((x - mean)^2), each step rounded to float32, sums in
  // double), the output normalized with them, and the moving statistics updated as TF.js's
  // doMovingAverage does: moving -= (moving - batch) * (1 - momentum), each op in float32.
  // The state keeps the batch mean and variance (arrays 0 and 1).
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext&,
                                  std::unique_ptr<LayerState>& state) const override {
    const Array& x = *in[0];
    const auto [outer, inner] = extent(x);
    const auto n = static_cast<float>(outer * inner);
    Array mean({dim_}), variance({dim_});
    for (int64_t c = 0; c < dim_; ++c) {
      double sum = 0;
      forChannel(x, outer, inner, c, [&](size_t k) { sum += x.data[k] / n; });
      const auto mu = static_cast<float>(sum);
      double sq = 0;
      forChannel(x, outer, inner, c, [&](size_t k) {
        const float d = x.data[k] - mu;
        sq += (d * d) / n;
      });
      mean.data[static_cast<size_t>(c)] = mu;
      variance.data[static_cast<size_t>(c)] = static_cast<float>(sq);
    }
    const auto gamma = weight("gamma"), beta = weight("beta");
    Array y(x.shape, kUninitialized);
    for (int64_t c = 0; c < dim_; ++c) {
      const auto ci = static_cast<size_t>(c);
      const float g = scale_ ? gamma[ci] : 1.0f;
      const float b = center_ ? beta[ci] : 0.0f;
      forChannel(x, outer, inner, c, [&](size_t k) {
        y.data[k] = normalize(x.data[k], mean.data[ci], variance.data[ci], g, b, epsilon_);
      });
    }
    const auto decay = static_cast<float>(1.0 - momentum_);
    for (const auto& [var, batch] :
         {std::pair{"moving_mean", &mean}, std::pair{"moving_variance", &variance}}) {
      const auto moving = mutableWeight(var);
      for (size_t c = 0; c < moving.size(); ++c) {
        const float orig = moving[c];
        const float delta = (orig - batch->data[c]) * decay;
        moving[c] = orig - delta;
      }
    }
    state = std::make_unique<LayerState>();
    state->arrays.push_back(std::move(mean));
    state->arrays.push_back(std::move(variance));
    return oneOutput(std::move(y));
  }
  // The gradient through the batch statistics: with xh = (x - mean) / sqrt(variance + epsilon)
  // and m elements per channel, dgamma = sum(dy * xh), dbeta = sum(dy), dx = gamma /
  // sqrt(variance + epsilon) * (dy - mean(dy) - xh * mean(dy * xh)), in double per channel.
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState* state, std::vector<Array> dOut,
                              GradientSink& grads) const override {
    const Array& x = *in[0];
    Array g = std::move(dOut[0]);
    const auto [outer, inner] = extent(x);
    const auto m = static_cast<double>(outer * inner);
    const auto gamma = weight("gamma");
    auto& dv = grads.of(this);
    for (int64_t c = 0; c < dim_; ++c) {
      const auto ci = static_cast<size_t>(c);
      const double mu = state->arrays[0].data[ci];
      const double inv = 1.0 / std::sqrt(static_cast<double>(state->arrays[1].data[ci]) + epsilon_);
      double sumG = 0, sumGX = 0;
      forChannel(x, outer, inner, c, [&](size_t k) {
        const double xh = (x.data[k] - mu) * inv;
        sumG += g.data[k];
        sumGX += g.data[k] * xh;
      });
      size_t slot = 0;
      if (scale_) dv[slot++].data[ci] += static_cast<float>(sumGX);
      if (center_) dv[slot].data[ci] += static_cast<float>(sumG);
      if (m == 0) continue;
      const double factor = (scale_ ? gamma[ci] : 1.0) * inv;
      const double meanG = sumG / m, meanGX = sumGX / m;
      forChannel(x, outer, inner, c, [&](size_t k) {
        const double xh = (x.data[k] - mu) * inv;
        g.data[k] = static_cast<float>(factor * (g.data[k] - meanG - xh * meanGX));
      });
    }
    return oneOutput(std::move(g));
  }

  void setWeights(std::vector<Tensor> weights) override {
    Layer::setWeights(std::move(weights));
    const auto gamma = weight("gamma"), beta = weight("beta");
    const auto variance = weight("moving_variance");  // the mean is subtracted in run()
    factor_.resize(static_cast<size_t>(dim_));
    offset_.resize(static_cast<size_t>(dim_));
    for (size_t c = 0; c < factor_.size(); ++c) {
      const double g = scale_ ? gamma[c] : 1.0;
      factor_[c] = static_cast<float>(g / std::sqrt(static_cast<double>(variance[c]) + epsilon_));
      offset_[c] = center_ ? beta[c] : 0.0f;
    }
  }

 private:
  // Writes every element of y (x.size() values), which may be x's own data: each element is
  // read before it is written.
  void run(const Array& x, float* y) const override {
    const auto [outer, inner] = extent(x);
    const auto gamma = weight("gamma"), beta = weight("beta");
    const auto mean = weight("moving_mean"), variance = weight("moving_variance");
    if (inner == 1 && !factor_.empty() && !kernels::referenceKernels()) {
      kernels::batchNormLastAxis(x.data.data(), outer, dim_, mean.data(), factor_.data(),
                                 offset_.data(), y);
      return;
    }
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t c = 0; c < dim_; ++c) {
        const auto ci = static_cast<size_t>(c);
        const float g = scale_ ? gamma[ci] : 1.0f;
        const float b = center_ ? beta[ci] : 0.0f;
        const size_t base = static_cast<size_t>((o * dim_ + c) * inner);
        for (int64_t i = 0; i < inner; ++i) {
          const size_t k = base + static_cast<size_t>(i);
          y[k] = normalize(x.data[k], mean[ci], variance[ci], g, b, epsilon_);
        }
      }
    }
  }

  // (outer, inner): x is [outer, dim, inner] around the normalized axis; checks the axis.
  std::pair<int64_t, int64_t> extent(const Array& x) const {
    if (x.shape.size() <= axisIndex_ || x.shape[axisIndex_] != dim_) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': input of shape {} has no axis {} of size {}", name(),
                              Json(x.shape).dump(), axis_, dim_));
    }
    int64_t inner = 1;
    for (size_t d = axisIndex_ + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
    const int64_t outer = dim_ * inner == 0 ? 0 : x.size() / (dim_ * inner);
    return {outer, inner};
  }
  // f(k) for the flat index k of every element of channel c, in row-major order.
  template <typename F>
  void forChannel(const Array&, int64_t outer, int64_t inner, int64_t c, F f) const {
    for (int64_t o = 0; o < outer; ++o) {
      const auto base = static_cast<size_t>((o * dim_ + c) * inner);
      for (int64_t i = 0; i < inner; ++i) f(base + static_cast<size_t>(i));
    }
  }

  int64_t axis_ = -1;
  double epsilon_;
  double momentum_ = config_.number("momentum", 0.99);
  bool center_, scale_;
  size_t axisIndex_ = 0;
  int64_t dim_ = 0;
  std::vector<float> factor_, offset_;  // per channel, for the fast path
};

// LayerNormalization: mean and variance over `axis` (one or several axes) of each sample, as
// tf.moments computes them on the cpu backend: mean = sum(x / n), variance = mean((x - mean)^2),
// each step rounded to float32.
class LayerNormalization final : public InPlaceLayer {
 public:
  explicit LayerNormalization(const Config& c)
      : InPlaceLayer(c),
        axes_(axisList(c, -1)),
        epsilon_(c.number("epsilon", 1e-3)),
        center_(c.boolean("center", true)),
        scale_(c.boolean("scale", true)) {
    if (c.boolean("rms_scaling", false)) c.unsupported("rms_scaling = true");
    if (!(epsilon_ >= 0)) c.unsupported(fmt::format("epsilon = {}", epsilon_));
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    const Shape& s = in[0];
    resolved_ = resolveAxes(config_, axes_, s.size());
    rank_ = s.size();
    paramShape_.clear();
    for (size_t a : resolved_) {
      if (s[a] <= 0) config_.unsupported(fmt::format("an unknown dimension on axis {}", a));
      paramShape_.push_back(s[a]);
    }
    return {s};
  }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v;
    if (scale_) v.push_back({"gamma", paramShape_});
    if (center_) v.push_back({"beta", paramShape_});
    return v;
  }
  // Backward (the forward is the same in training): per group, with the group's statistics
  // recomputed as run() does, xh = (x - mean) / sqrt(variance + epsilon) and gx = dy * gamma:
  // dgamma += dy * xh, dbeta += dy, dx = (gx - mean(gx) - xh * mean(gx * xh)) / sqrt(variance +
  // epsilon), in double.
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut,
                              GradientSink& grads) const override {
    const Array& x = *in[0];
    Array g = std::move(dOut[0]);
    const auto gamma = weight("gamma");
    auto& dv = grads.of(this);
    float* dGamma = scale_ ? dv[0].data.data() : nullptr;
    float* dBeta = center_ ? dv[scale_ ? 1 : 0].data.data() : nullptr;
    const auto laidOut = layout(x);  // (a structured binding: clang 14 cannot capture it)
    const std::vector<int64_t>& bases = laidOut.first;
    const std::vector<int64_t>& offsets = laidOut.second;
    const auto n = static_cast<float>(offsets.size());
    std::vector<double> gx(offsets.size()), xh(offsets.size());
    for (const int64_t base : bases) {
      auto at = [&](size_t p) { return static_cast<size_t>(base + offsets[p]); };
      double sum = 0;
      for (size_t p = 0; p < offsets.size(); ++p) sum += x.data[at(p)] / n;
      const auto mean = static_cast<float>(sum);
      double sq = 0;
      for (size_t p = 0; p < offsets.size(); ++p) {
        const float d = x.data[at(p)] - mean;
        sq += (d * d) / n;
      }
      const double inv = 1.0 / std::sqrt(static_cast<double>(static_cast<float>(sq)) + epsilon_);
      double meanG = 0, meanGX = 0;
      for (size_t p = 0; p < offsets.size(); ++p) {
        const double dy = g.data[at(p)];
        xh[p] = (static_cast<double>(x.data[at(p)]) - mean) * inv;
        gx[p] = dy * (scale_ ? gamma[p] : 1.0);
        if (dGamma) dGamma[p] += static_cast<float>(dy * xh[p]);
        if (dBeta) dBeta[p] += static_cast<float>(dy);
        meanG += gx[p];
        meanGX += gx[p] * xh[p];
      }
      meanG /= static_cast<double>(offsets.size());
      meanGX /= static_cast<double>(offsets.size());
      for (size_t p = 0; p < offsets.size(); ++p) {
        g.data[at(p)] = static_cast<float>(inv * (gx[p] - meanG - xh[p] * meanGX));
      }
    }
    return oneOutput(std::move(g));
  }

 private:
  // Writes every element of y (x.size() values), which may be x's own data: a group's
  // statistics are computed before any of its elements is written.
  void run(const Array& x, float* y) const override {
    if (x.shape.size() != rank_) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': input of shape {} does not have rank {}", name(),
                              Json(x.shape).dump(), rank_));
    }
    // Element strides; the reduced axes (ascending) and the kept ones.
    std::vector<int64_t> stride(rank_, 1);
    for (size_t d = rank_; d-- > 1;) stride[d - 1] = stride[d] * x.shape[d];
    std::vector<size_t> reduced = resolved_;
    std::sort(reduced.begin(), reduced.end());
    std::vector<size_t> kept;
    for (size_t d = 0; d < rank_; ++d) {
      if (std::find(reduced.begin(), reduced.end(), d) == reduced.end()) kept.push_back(d);
    }
    for (size_t k = 0; k < resolved_.size(); ++k) {
      if (x.shape[resolved_[k]] != paramShape_[k]) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("layer '{}': input of shape {} does not match the built shape",
                                name(), Json(x.shape).dump()));
      }
    }
    const auto gamma = weight("gamma"), beta = weight("beta");
    // Offsets of the elements of one group, row-major over the reduced axes in ascending order.
    // gamma and beta are indexed the same way whatever order `axis` lists them in: TF.js
    // reshapes them to the broadcast shape, which reinterprets their values in that order.
    int64_t groupSize = 1;
    for (size_t a : reduced) groupSize *= x.shape[a];
    std::vector<int64_t> offsets(static_cast<size_t>(groupSize));
    for (int64_t g = 0; g < groupSize; ++g) {
      int64_t rest = g, off = 0;
      for (size_t k = reduced.size(); k-- > 0;) {
        const size_t a = reduced[k];
        off += (rest % x.shape[a]) * stride[a];
        rest /= x.shape[a];
      }
      offsets[static_cast<size_t>(g)] = off;
    }
    int64_t groups = 1;
    for (size_t a : kept) groups *= x.shape[a];
    const auto n = static_cast<float>(groupSize);
    for (int64_t gi = 0; gi < groups; ++gi) {
      int64_t rest = gi, base = 0;
      for (size_t k = kept.size(); k-- > 0;) {
        const size_t a = kept[k];
        base += (rest % x.shape[a]) * stride[a];
        rest /= x.shape[a];
      }
      double sum = 0;
      for (int64_t g = 0; g < groupSize; ++g) {
        sum += x.data[static_cast<size_t>(base + offsets[static_cast<size_t>(g)])] / n;
      }
      const auto mean = static_cast<float>(sum);
      double sq = 0;
      for (int64_t g = 0; g < groupSize; ++g) {
        const float d = x.data[static_cast<size_t>(base + offsets[static_cast<size_t>(g)])] - mean;
        sq += (d * d) / n;
      }
      const auto variance = static_cast<float>(sq);
      for (int64_t g = 0; g < groupSize; ++g) {
        const auto k = static_cast<size_t>(base + offsets[static_cast<size_t>(g)]);
        const auto p = static_cast<size_t>(g);
        y[k] = normalize(x.data[k], mean, variance, scale_ ? gamma[p] : 1.0f,
                         center_ ? beta[p] : 0.0f, epsilon_);
      }
    }
  }

  // The flat offset of each group's first element (bases) and the offsets of a group's
  // elements from it, row-major over the reduced axes in ascending order (as run()).
  std::pair<std::vector<int64_t>, std::vector<int64_t>> layout(const Array& x) const {
    if (x.shape.size() != rank_) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': input of shape {} does not have rank {}", name(),
                              Json(x.shape).dump(), rank_));
    }
    std::vector<int64_t> stride(rank_, 1);
    for (size_t d = rank_; d-- > 1;) stride[d - 1] = stride[d] * x.shape[d];
    std::vector<size_t> reduced = resolved_, kept;
    std::sort(reduced.begin(), reduced.end());
    for (size_t d = 0; d < rank_; ++d) {
      if (std::find(reduced.begin(), reduced.end(), d) == reduced.end()) kept.push_back(d);
    }
    auto offsetsOver = [&](const std::vector<size_t>& axes) {
      int64_t count = 1;
      for (size_t a : axes) count *= x.shape[a];
      std::vector<int64_t> out(static_cast<size_t>(count));
      for (int64_t g = 0; g < count; ++g) {
        int64_t rest = g, off = 0;
        for (size_t k = axes.size(); k-- > 0;) {
          off += (rest % x.shape[axes[k]]) * stride[axes[k]];
          rest /= x.shape[axes[k]];
        }
        out[static_cast<size_t>(g)] = off;
      }
      return out;
    };
    return {offsetsOver(kept), offsetsOver(reduced)};
  }

  std::vector<int64_t> axes_;
  double epsilon_;
  bool center_, scale_;
  std::vector<size_t> resolved_;
  size_t rank_ = 0;
  Shape paramShape_;
};

}  // namespace

void addNormalizationLayers(Registry& r) {
  add<BatchNormalization>(r, "BatchNormalization", {.maskThrough = true});
  add<LayerNormalization>(r, "LayerNormalization", {.maskThrough = true});
}

}  // namespace tfjs::layers
