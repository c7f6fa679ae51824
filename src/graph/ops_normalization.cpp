// The graph ops of the normalization family (FusedBatchNorm, LRN, LogSoftmax, EuclideanNorm):
// ops.h. Each as tfjs-converter's executor calls tfjs-core and tfjs-backend-cpu computes it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "format/js_math.h"
#include "graph/ops.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::graph {

namespace {

// FusedBatchNorm / V2 / V3 (inputs x, scale, offset, mean, variance): TF.js's tf.batchNorm, the
// inference form whatever is_training says, and only its first output y. data_format is not read
// (TF.js marks it notSupported): each of scale, offset, mean and variance is read cyclically over
// x's elements in row-major order (element i takes p[i % size(p)]), which is per channel for
// NHWC. Per element, in double: offset + (x - mean) * scale / sqrt(variance + epsilon), rounded to
// float32; an empty parameter reads as NaN (undefined in JS).
std::vector<ValuePtr> fusedBatchNorm(const OpContext& c) {
  const Value& x = c.floatIn(0);
  const Value& scale = c.floatIn(1);
  const Value& offset = c.floatIn(2);
  const Value& mean = c.floatIn(3);
  const Value& variance = c.floatIn(4);
  if (mean.shape.size() != variance.shape.size() || offset.shape.size() != mean.shape.size() ||
      scale.shape.size() != mean.shape.size()) {
    c.node.invalid(fmt::format("mean {}, variance {}, offset {} and scale {} of different ranks",
                               shapeText(mean.shape), shapeText(variance.shape),
                               shapeText(offset.shape), shapeText(scale.shape)));
  }
  const double epsilon = c.node.number("epsilon", 0.001);
  const auto at = [](const Value& p, size_t i) {
    return p.f.empty() ? std::nan("") : static_cast<double>(p.f[i % p.f.size()]);
  };
  kernels::Floats y(x.f.size());
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] =
        static_cast<float>(at(offset, i) + (static_cast<double>(x.f[i]) - at(mean, i)) *
                                               at(scale, i) / std::sqrt(at(variance, i) + epsilon));
  }
  return {floatValue(x.shape, std::move(y))};
}

// LRN over the last axis of a rank-3 or rank-4 input: x * (bias + alpha * sum)^-beta with sum the
// squares of the channels within depth_radius, in double (TF.js's kernel), rounded to float32.
std::vector<ValuePtr> lrn(const OpContext& c) {
  const Value& x = c.floatIn(0);
  if (x.shape.size() != 3 && x.shape.size() != 4) {
    c.node.invalid(fmt::format("an input of rank {} (3 or 4 expected)", x.shape.size()));
  }
  // A radius beyond any channel count reads the same as one at it.
  const int64_t radius =
      std::clamp<int64_t>(c.node.integer("depth_radius", 5), -(1LL << 40), 1LL << 40);
  const double bias = c.node.number("bias", 1.0);
  const double alpha = c.node.number("alpha", 1.0);
  const double beta = c.node.number("beta", 0.5);
  const int64_t channels = x.shape.back();
  kernels::Floats y(x.f.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const auto offset = static_cast<int64_t>(i);
    const int64_t ch = offset % channels, base = offset - ch;
    const int64_t end = base + std::min(ch + radius, channels - 1);
    double sum = 0.0;
    for (int64_t k = base + std::max<int64_t>(0, ch - radius); k <= end; ++k) {
      const double z = x.f[static_cast<size_t>(k)];
      sum += z * z;
    }
    y[i] = static_cast<float>(static_cast<double>(x.f[i]) * std::pow(bias + alpha * sum, -beta));
  }
  return {floatValue(x.shape, std::move(y))};
}

// LogSoftmax over the last axis, step by step as tf.logSoftmax: m = max, s = x - m, then
// s - log(sum(exp(s))), each step rounded to float32. An int32 input takes max and x - m in int32
// (ToInt32), then goes on in float32 (TF.js casts the shifted values).
std::vector<ValuePtr> logSoftmax(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.dtype != DType::kFloat32 && x.dtype != DType::kInt32) {
    c.node.unsupported(fmt::format("input of dtype {}", dtypeName(x.dtype)));
  }
  if (x.shape.empty()) c.node.invalid("a scalar input (axis -1 out of range)");
  const int64_t last = static_cast<int64_t>(x.shape.size()) - 1;
  kernels::Array s;
  if (x.dtype == DType::kFloat32) {
    const kernels::Array xa = arrayOf(x);
    const kernels::Array m = kernels::reduce(kernels::Reduce::kMax, xa, {last}, true);
    s = kernels::binary(kernels::Binary::kSub, xa, m);
  } else {
    const auto dim = static_cast<size_t>(x.shape.back());
    s.shape = x.shape;
    s.data.resize(x.i.size());
    for (size_t row = 0; dim > 0 && row < x.i.size(); row += dim) {
      const int32_t m = *std::max_element(x.i.begin() + static_cast<int64_t>(row),
                                          x.i.begin() + static_cast<int64_t>(row + dim));
      for (size_t k = row; k < row + dim; ++k) {
        s.data[k] = static_cast<float>(jsToInt32(static_cast<double>(x.i[k]) - m));
      }
    }
  }
  kernels::Array e = s;
  for (float& v : e.data) v = static_cast<float>(std::exp(static_cast<double>(v)));
  kernels::Array l = kernels::reduce(kernels::Reduce::kSum, e, {last}, true);
  for (float& v : l.data) v = static_cast<float>(std::log(static_cast<double>(v)));
  return {fromArray(kernels::binary(kernels::Binary::kSub, s, l))};
}

// EuclideanNorm as tf.norm(x, 'euclidean', axis, keep_dims): a scalar x gives |x| (its axis only
// checked with keep_dims); a scalar axis, one axis or a rank-1 x: sqrt(sum(|x|^2)) over the axes
// (none on a rank-1 x: sqrt(x^2) element by element); two axes: sqrt(sum(x^2)); otherwise TF.js
// refuses ("invalid axis"). Squares in double rounded to float32, then Sum and Sqrt as TF.js's
// kernels. An int32 x of rank >= 1 is refused as TF.js's sqrt refuses it.
std::vector<ValuePtr> euclideanNorm(const OpContext& c) {
  const Value& x = c.in(0);
  const Value& axisIn = c.in(1);
  if (axisIn.shape.size() > 1) c.node.invalid("an axis input of rank > 1");
  const std::vector<int64_t> axes = c.ints(1);
  const bool keep = c.node.flag("keep_dims", false);
  const auto rank = static_cast<int64_t>(x.shape.size());
  if (rank == 0) {
    if (keep && (axisIn.shape.empty() || !axes.empty())) {
      c.node.invalid("an axis for a scalar input with keep_dims");
    }
    if (x.dtype == DType::kInt32) {
      return {intValue({}, {x.i.empty() ? 0 : jsToInt32(std::fabs(static_cast<double>(x.i[0])))})};
    }
    const Value& xf = c.floatIn(0);
    return {floatValue({}, kernels::Floats{std::fabs(xf.f[0])})};
  }
  if (x.dtype == DType::kInt32) c.node.invalid("an int32 input (sqrt takes float32 only)");
  const Value& xf = c.floatIn(0);
  const bool vector = rank == 1 || axisIn.shape.empty() || axes.size() == 1;
  if (!vector && axes.size() != 2)
    c.node.invalid(fmt::format("invalid axis [{}]", fmt::join(axes, ",")));
  kernels::Array sq = arrayOf(xf);
  for (float& v : sq.data) v = static_cast<float>(static_cast<double>(v) * static_cast<double>(v));
  kernels::Array y;
  try {
    y = kernels::reduce(kernels::Reduce::kSum, sq, axes, keep);
  } catch (const Error& e) {
    c.node.invalid(e.what());
  }
  for (float& v : y.data) v = static_cast<float>(std::sqrt(static_cast<double>(v)));
  return {fromArray(std::move(y))};
}

constexpr OpRow kRows[] = {
    {"FusedBatchNorm", fusedBatchNorm},   {"FusedBatchNormV2", fusedBatchNorm},
    {"FusedBatchNormV3", fusedBatchNorm}, {"LRN", lrn},
    {"LogSoftmax", logSoftmax},           {"EuclideanNorm", euclideanNorm},
};

}  // namespace

std::span<const OpRow> normalizationOps() {
  return kRows;
}

}  // namespace tfjs::graph
