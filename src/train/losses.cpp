// The losses and metrics of tfjs-layers (losses.ts, metrics.ts), with TF.js's float32 order of
// operations and the gradients tf.grad computes through them.
//
// How TF.js's cpu backend computes, and so how this file does:
//  * every elementwise op rounds its result to float32 (a double op on float32 inputs followed by
//    one rounding gives the same value as the float32 op, so plain float arithmetic matches);
//  * exp, log, log1p, sqrt, softplus and sigmoid are evaluated in double (Math.*) and rounded;
//  * sum over an axis accumulates in double and rounds once; mean(x) over n elements is the
//    double sum of float32(x_i / n);
//  * a JS number used as an operand (1, 100, epsilon()) becomes a float32 scalar, but
//    clipByValue compares against its double bounds and stores the rounded bound;
//  * gradients are TF.js's gradient functions (tfjs-core/src/gradients/*), contributions to one
//    tensor added in the order tf.grad's tape meets them (reverse order of the forward ops).
#include "train/losses.h"

#include <fmt/format.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <utility>

#include "format/checked.h"
#include "tfjs/error.h"

namespace tfjs::train {
namespace {

constexpr double kEpsilon = 1e-7;      // tfjs-layers epsilon() == the cpu backend's epsilon()
constexpr double kMaxValue = DBL_MAX;  // Number.MAX_VALUE

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

// clipByValue(x, lo, hi) and the mask its gradient uses (x >= lo && x <= hi with the bounds as
// float32 scalars).
float clip(float x, double lo, double hi) {
  if (x > hi) return static_cast<float>(hi);
  return x < lo ? static_cast<float>(lo) : x;
}
bool inClip(float x, double lo, double hi) {
  return x >= static_cast<float>(lo) && x <= static_cast<float>(hi);
}
// step(x, alpha): 1 for x > 0, alpha otherwise, NaN for NaN (the gradient of abs uses alpha -1).
float step(float x, float alpha) {
  if (std::isnan(x)) return x;
  return x > 0 ? 1.0f : alpha;
}
// Math.max: NaN if either operand is NaN.
float jsMax(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  return a > b ? a : b;
}
float flog(float x) {
  return static_cast<float>(std::log(static_cast<double>(x)));
}
float fexp(float x) {
  return static_cast<float>(std::exp(static_cast<double>(x)));
}
float flog1p(float x) {
  return static_cast<float>(std::log1p(static_cast<double>(x)));
}
float fsqrt(float x) {
  return static_cast<float>(std::sqrt(static_cast<double>(x)));
}
float fsigmoid(float x) {
  return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(x))));
}
float fsoftplus(float x) {
  // The cpu backend's Softplus kernel.
  const double threshold = std::log(1.1920928955078125e-7) + 2.0;
  const double xd = x;
  if (xd < threshold) return static_cast<float>(std::exp(xd));
  if (xd > -threshold) return x;
  return static_cast<float>(std::log(1.0 + std::exp(xd)));
}

// Reductions: double accumulation, one rounding.
float sumOf(const float* v, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += v[i];
  return static_cast<float>(s);
}
float meanOf(const float* v, int64_t n) {
  const auto nf = static_cast<float>(n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += v[i] / nf;
  return static_cast<float>(s);
}

// ---------------------------------------------------------------------------------------------
// The shape of a loss computation: `samples` x `positions` rows of `depth` elements, where
// positions is the product of the dimensions between the batch and the last axis.

struct Layout {
  int64_t samples = 0;
  int64_t positions = 1;
  int64_t depth = 0;
  int64_t rows() const { return samples * positions; }
};

Layout layoutOf(const std::string& who, const Array& yPred) {
  if (yPred.shape.size() < 2) {
    invalid(fmt::format("{}: yPred must have a batch and a last axis (rank >= 2), got shape {}",
                        who, shapeString(yPred.shape)));
  }
  for (int64_t d : yPred.shape) {
    if (d < 0) invalid(fmt::format("{}: yPred has a negative dimension {}", who, d));
  }
  const uint64_t n = elementCount(yPred.shape);
  if (n != yPred.data.size()) {
    invalid(fmt::format("{}: yPred holds {} values but its shape {} needs {}", who,
                        yPred.data.size(), shapeString(yPred.shape), n));
  }
  Layout l;
  l.samples = yPred.shape.front();
  l.depth = yPred.shape.back();
  for (size_t i = 1; i + 1 < yPred.shape.size(); ++i) l.positions *= yPred.shape[i];
  return l;
}

void checkSameShape(const std::string& who, const Array& yTrue, const Array& yPred) {
  layoutOf(who, yPred);
  if (yTrue.shape != yPred.shape) {
    invalid(fmt::format("{}: yTrue shape {} does not match yPred shape {}", who,
                        shapeString(yTrue.shape), shapeString(yPred.shape)));
  }
  if (yTrue.data.size() != yPred.data.size()) {
    invalid(fmt::format("{}: yTrue holds {} values, expected {}", who, yTrue.data.size(),
                        yPred.data.size()));
  }
}

// Sparse labels: yTrue has yPred's shape without the last axis, optionally with a trailing 1.
// Every label must be an integer in [0, depth).
void checkSparse(const std::string& who, const Array& yTrue, const Array& yPred) {
  const Layout l = layoutOf(who, yPred);
  std::vector<int64_t> want(yPred.shape.begin(), yPred.shape.end() - 1);
  std::vector<int64_t> withOne = want;
  withOne.push_back(1);
  if (yTrue.shape != want && yTrue.shape != withOne) {
    invalid(fmt::format(
        "{}: sparse labels must have shape {} or {} (yPred {} without its last axis), got {}", who,
        shapeString(want), shapeString(withOne), shapeString(yPred.shape),
        shapeString(yTrue.shape)));
  }
  if (static_cast<int64_t>(yTrue.data.size()) != l.rows()) {
    invalid(
        fmt::format("{}: yTrue holds {} labels, expected {}", who, yTrue.data.size(), l.rows()));
  }
  for (size_t i = 0; i < yTrue.data.size(); ++i) {
    const float v = yTrue.data[i];
    if (!(v >= 0 && v < static_cast<float>(l.depth)) || v != std::floor(v)) {
      invalid(fmt::format("{}: label {} at index {} is not a class index in [0, {})", who, v, i,
                          l.depth));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Row functions: the loss of one row of `d` values (TF.js's loss function before its output is
// averaged into per-sample values) and the gradient of g * loss with respect to the row of yPred.

struct RowLoss {
  // Scratch floats per element the row functions need.
  int scratch = 0;
  std::function<float(const float* t, const float* p, int64_t d, float* tmp)> value;
  std::function<void(const float* t, const float* p, int64_t d, float g, float* dp, float* tmp)>
      grad;
};

// The row functions of a loss that is scale * mean over the row of f(t_j, p_j): value(t, p) is
// f, grad(t, p, gm) the gradient of gm * f with respect to p, where gm = (g * scale) / d is what
// each element receives through the mean (TF.js's order: the scalar product first).
template <class Value, class Grad>
RowLoss elementwiseMean(Value value, Grad grad, float scale = 1.0f) {
  RowLoss r;
  r.scratch = 1;
  r.value = [value, scale](const float* t, const float* p, int64_t d, float* tmp) {
    for (int64_t j = 0; j < d; ++j) tmp[j] = value(t[j], p[j]);
    return scale * meanOf(tmp, d);
  };
  r.grad = [grad, scale](const float* t, const float* p, int64_t d, float g, float* dp, float*) {
    const float gm = (g * scale) / static_cast<float>(d);
    for (int64_t j = 0; j < d; ++j) dp[j] = grad(t[j], p[j], gm);
  };
  return r;
}

RowLoss meanSquaredError() {
  return elementwiseMean(
      [](float t, float p) {
        const float e = p - t;
        return e * e;
      },
      [](float t, float p, float gm) {
        const float h = gm * (p - t);  // square is mul(x, x): two equal contributions
        return h + h;
      });
}

RowLoss meanAbsoluteError() {
  return elementwiseMean([](float t, float p) { return std::fabs(p - t); },
                         [](float t, float p, float gm) { return gm * step(p - t, -1.0f); });
}

RowLoss meanAbsolutePercentageError() {
  return elementwiseMean(
      [](float t, float p) {
        const float diff = t - p;
        return std::fabs(diff / clip(std::fabs(t), kEpsilon, kMaxValue));
      },
      [](float t, float p, float gm) {
        const float ct = clip(std::fabs(t), kEpsilon, kMaxValue);
        const float q = (t - p) / ct;
        return -((gm * step(q, -1.0f)) / ct);
      },
      100.0f);
}

RowLoss meanSquaredLogarithmicError() {
  auto diff = [](float t, float p, float* onePlusP) {
    const float a = 1.0f + clip(p, kEpsilon, kMaxValue);
    if (onePlusP) *onePlusP = a;
    return flog(a) - flog(1.0f + clip(t, kEpsilon, kMaxValue));
  };
  return elementwiseMean(
      [diff](float t, float p) {
        const float e = diff(t, p, nullptr);
        return e * e;
      },
      [diff](float t, float p, float gm) {
        float a = 0;
        const float h = gm * diff(t, p, &a);
        const float dlog = (h + h) / a;
        return inClip(p, kEpsilon, kMaxValue) ? dlog : 0.0f;
      });
}

// hinge (squared = false) and squaredHinge: mean(max(0, 1 - t * p)^k).
RowLoss hingeLoss(bool squared) {
  return elementwiseMean(
      [squared](float t, float p) {
        const float m = jsMax(0.0f, 1.0f - t * p);
        return squared ? m * m : m;
      },
      [squared](float t, float p, float gm) {
        const float u = 1.0f - t * p;
        float dm = gm;
        if (squared) {
          const float h = gm * jsMax(0.0f, u);
          dm = h + h;
        }
        const float du = 0.0f < u ? dm : 0.0f;
        return -du * t;
      });
}

RowLoss categoricalHinge() {
  RowLoss r;
  r.scratch = 2;
  // tmp[0..d): t * p; tmp[d..2d): (1 - t) * p.
  auto forward = [](const float* t, const float* p, int64_t d, float* tmp, float* negMax) {
    for (int64_t j = 0; j < d; ++j) {
      tmp[j] = t[j] * p[j];
      tmp[d + j] = (1.0f - t[j]) * p[j];
    }
    const float pos = sumOf(tmp, d);
    float neg = d > 0 ? tmp[d] : -std::numeric_limits<float>::infinity();
    for (int64_t j = 1; j < d; ++j) {
      const float v = tmp[d + j];
      if (v > neg || std::isnan(v)) neg = v;
    }
    *negMax = neg;
    return 1.0f + (neg - pos);
  };
  r.value = [forward](const float* t, const float* p, int64_t d, float* tmp) {
    float neg = 0;
    return jsMax(0.0f, forward(t, p, d, tmp, &neg));
  };
  r.grad = [forward](const float* t, const float* p, int64_t d, float g, float* dp, float* tmp) {
    float neg = 0;
    const float a = forward(t, p, d, tmp, &neg);
    const float dl = 0.0f < a ? g : 0.0f;
    for (int64_t j = 0; j < d; ++j) {
      const float fromNeg = (dl * (tmp[d + j] == neg ? 1.0f : 0.0f)) * (1.0f - t[j]);
      const float fromPos = -dl * t[j];
      dp[j] = fromNeg + fromPos;
    }
  };
  return r;
}

RowLoss logcosh() {
  const auto log2 = static_cast<float>(std::log(2.0));
  return elementwiseMean(
      [log2](float t, float p) {
        const float e = p - t;
        return (e + fsoftplus(-2.0f * e)) - log2;
      },
      [](float t, float p, float gm) {
        const float e = p - t;
        return gm + (gm * fsigmoid(-2.0f * e)) * -2.0f;
      });
}

// categoricalCrossentropy on probabilities: -sum(t * log(clip(p / sum(p)))). The gradient is the
// one of the normalization (a div by a broadcast sum) and of the clip.
float categoricalValue(const float* t, const float* p, int64_t d, float* tmp) {
  const float s = sumOf(p, d);
  for (int64_t j = 0; j < d; ++j) {
    tmp[j] = t[j] * flog(clip(p[j] / s, kEpsilon, 1.0 - kEpsilon));
  }
  return -sumOf(tmp, d);
}
void categoricalGrad(const float* t, const float* p, int64_t d, float g, float* dp, float* tmp) {
  const float s = sumOf(p, d);
  // tmp[j] = d loss / d (p_j / s); tmp[d + j] = that times p_j (for the sum's gradient).
  for (int64_t j = 0; j < d; ++j) {
    const float pn = p[j] / s;
    const float q = clip(pn, kEpsilon, 1.0 - kEpsilon);
    const float dq = (-g * t[j]) / q;
    tmp[j] = inClip(pn, kEpsilon, 1.0 - kEpsilon) ? dq : 0.0f;
    tmp[d + j] = tmp[j] * p[j];
  }
  const float ds = -(sumOf(tmp + d, d) / (s * s));
  for (int64_t j = 0; j < d; ++j) dp[j] = tmp[j] / s + ds;
}

RowLoss categoricalCrossentropy() {
  RowLoss r;
  r.scratch = 2;
  r.value = categoricalValue;
  r.grad = categoricalGrad;
  return r;
}

RowLoss binaryCrossentropy() {
  // The logit of the clipped prediction, as TF.js computes it: log(y / (1 - y)).
  return elementwiseMean(
      [](float t, float p) {
        const float y = clip(p, kEpsilon, 1.0 - kEpsilon);
        const float x = flog(y / (1.0f - y));
        const float relu = x < 0 ? 0.0f : x;
        return (relu - x * t) + flog1p(fexp(-std::fabs(x)));
      },
      [](float t, float p, float gm) {
        const float y = clip(p, kEpsilon, 1.0 - kEpsilon);
        const float z = 1.0f - y;
        const float ratio = y / z;
        const float x = flog(ratio);
        const float e = fexp(-std::fabs(x));
        // d/dx of relu(x) - x t + log1p(exp(-|x|)), in the tape's order: mul, abs, relu.
        const float viaMul = -gm * t;
        const float viaAbs = -((gm / (e + 1.0f)) * e) * step(x, -1.0f);
        const float viaRelu = gm * step(x, 0.0f);
        const float dx = (viaMul + viaAbs) + viaRelu;
        const float dr = dx / ratio;
        const float dz = -((dr * y) / (z * z));
        const float dy = dr / z + -dz;
        return inClip(p, kEpsilon, 1.0 - kEpsilon) ? dy : 0.0f;
      });
}

RowLoss kullbackLeiblerDivergence() {
  RowLoss r;
  r.scratch = 1;
  r.value = [](const float* t, const float* p, int64_t d, float* tmp) {
    for (int64_t j = 0; j < d; ++j) {
      tmp[j] = t[j] * flog(clip(t[j], kEpsilon, 1.0) / clip(p[j], kEpsilon, 1.0));
    }
    return sumOf(tmp, d);
  };
  r.grad = [](const float* t, const float* p, int64_t d, float g, float* dp, float*) {
    for (int64_t j = 0; j < d; ++j) {
      const float ct = clip(t[j], kEpsilon, 1.0);
      const float cp = clip(p[j], kEpsilon, 1.0);
      const float dr = (g * t[j]) / (ct / cp);
      const float dcp = -((dr * ct) / (cp * cp));
      dp[j] = inClip(p[j], kEpsilon, 1.0) ? dcp : 0.0f;
    }
  };
  return r;
}

RowLoss poisson() {
  const auto eps = static_cast<float>(kEpsilon);
  return elementwiseMean([eps](float t, float p) { return p - t * flog(eps + p); },
                         [eps](float t, float p, float gm) { return gm + (-gm * t) / (eps + p); });
}

// l2Normalize(x) = x / sqrt(max(sum(x * x), epsilon)).
float l2Norm(const float* x, int64_t d, float* tmp, float* sumSquares) {
  for (int64_t j = 0; j < d; ++j) tmp[j] = x[j] * x[j];
  const float ss = sumOf(tmp, d);
  if (sumSquares) *sumSquares = ss;
  return fsqrt(jsMax(ss, static_cast<float>(kEpsilon)));
}

RowLoss cosineProximity() {
  RowLoss r;
  r.scratch = 1;
  r.value = [](const float* t, const float* p, int64_t d, float* tmp) {
    const float nt = l2Norm(t, d, tmp, nullptr);
    const float np = l2Norm(p, d, tmp, nullptr);
    for (int64_t j = 0; j < d; ++j) tmp[j] = (t[j] / nt) * (p[j] / np);
    return -sumOf(tmp, d);
  };
  r.grad = [](const float* t, const float* p, int64_t d, float g, float* dp, float* tmp) {
    const float nt = l2Norm(t, d, tmp, nullptr);
    float ss = 0;
    const float np = l2Norm(p, d, tmp, &ss);
    // dp[j] first holds d loss / d (p_j / np).
    for (int64_t j = 0; j < d; ++j) {
      dp[j] = -g * (t[j] / nt);
      tmp[j] = dp[j] * p[j];
    }
    const float dnorm = -(sumOf(tmp, d) / (np * np));
    const float dmax = dnorm / (np * 2.0f);
    const float dss = ss >= static_cast<float>(kEpsilon) ? dmax : 0.0f;
    for (int64_t j = 0; j < d; ++j) {
      const float viaSquare = dss * p[j];  // square is mul(x, x): added twice
      dp[j] = ((dp[j] / np) + viaSquare) + viaSquare;
    }
  };
  return r;
}

// Keras's huber (delta 1.0), which tfjs-layers does not have: mean(|e| <= 1 ? 0.5 e^2 : |e| - 0.5).
RowLoss huber() {
  return elementwiseMean(
      [](float t, float p) {
        const float e = p - t;
        const float a = std::fabs(e);
        return a <= 1.0f ? 0.5f * (e * e) : 1.0f * a - 0.5f;
      },
      [](float t, float p, float gm) {
        const float e = p - t;
        if (std::fabs(e) <= 1.0f) return (gm * 0.5f) * (e * 2.0f);
        return gm * step(e, -1.0f);
      });
}

// ---------------------------------------------------------------------------------------------
// The per-sample loops: rows are numbered i * positions + k (sample i, position k).

// dYPred takes yPred's shape (its values are then written row by row).
void shapeLike(const Array& yPred, Array& dYPred) {
  dYPred.shape = yPred.shape;
  dYPred.data.resize(yPred.data.size());
}

// out[i] = the mean over positions of rowValue(row) for sample i's rows (the row value itself
// for rank 2).
template <class RowValue>
void meanOverPositions(const Layout& l, float* out, RowValue rowValue) {
  std::vector<float> rows(static_cast<size_t>(l.positions));
  for (int64_t i = 0; i < l.samples; ++i) {
    for (int64_t k = 0; k < l.positions; ++k) rows[k] = rowValue(i * l.positions + k);
    out[i] = meanOf(rows.data(), l.positions);
  }
}

// rowGrad(row, g) for every row, g = coeff[i] / positions: the per-sample value averages the
// positions, so the mean's gradient divides by their count.
template <class RowGrad>
void forEachRowGradient(const Layout& l, const float* coeff, RowGrad rowGrad) {
  for (int64_t i = 0; i < l.samples; ++i) {
    const float g = coeff[i] / static_cast<float>(l.positions);
    for (int64_t k = 0; k < l.positions; ++k) rowGrad(i * l.positions + k, g);
  }
}

// ---------------------------------------------------------------------------------------------
// Loss classes.

class RowBasedLoss : public Loss {
 public:
  RowBasedLoss(std::string name, RowLoss row) : name_(std::move(name)), row_(std::move(row)) {}
  const std::string& name() const override { return name_; }
  void check(const Array& yTrue, const Array& yPred) const override {
    checkSameShape(name_, yTrue, yPred);
  }
  void perSample(const Array& yTrue, const Array& yPred, float* out) const override {
    std::vector<float> tmp;
    const Layout l = start(yTrue, yPred, tmp);
    meanOverPositions(l, out, [&](int64_t r) {
      const int64_t off = r * l.depth;
      return row_.value(yTrue.data.data() + off, yPred.data.data() + off, l.depth, tmp.data());
    });
  }
  void gradient(const Array& yTrue, const Array& yPred, const float* coeff,
                Array& dYPred) const override {
    std::vector<float> tmp;
    const Layout l = start(yTrue, yPred, tmp);
    shapeLike(yPred, dYPred);
    forEachRowGradient(l, coeff, [&](int64_t r, float g) {
      const int64_t off = r * l.depth;
      row_.grad(yTrue.data.data() + off, yPred.data.data() + off, l.depth, g,
                dYPred.data.data() + off, tmp.data());
    });
  }

 private:
  // Checks the arrays; returns their layout, with `tmp` the row functions' scratch.
  Layout start(const Array& yTrue, const Array& yPred, std::vector<float>& tmp) const {
    check(yTrue, yPred);
    const Layout l = layoutOf(name_, yPred);
    tmp.assign(static_cast<size_t>(std::max<int64_t>(l.depth, 1)) * row_.scratch + 1, 0.0f);
    return l;
  }

  std::string name_;
  RowLoss row_;
};

// sparseCategoricalCrossentropy: clip(yPred), then categoricalCrossentropy against one-hot labels.
class SparseCategoricalCrossentropy : public Loss {
 public:
  const std::string& name() const override { return name_; }
  void check(const Array& yTrue, const Array& yPred) const override {
    checkSparse(name_, yTrue, yPred);
  }
  void perSample(const Array& yTrue, const Array& yPred, float* out) const override {
    check(yTrue, yPred);
    const Layout l = layoutOf(name_, yPred);
    const auto d = static_cast<size_t>(l.depth);
    std::vector<float> oneHot(d), clipped(d), tmp(2 * d + 1);
    meanOverPositions(l, out, [&](int64_t r) {
      prepare(yTrue.data[r], yPred.data.data() + r * l.depth, oneHot, clipped);
      return categoricalValue(oneHot.data(), clipped.data(), l.depth, tmp.data());
    });
  }
  void gradient(const Array& yTrue, const Array& yPred, const float* coeff,
                Array& dYPred) const override {
    check(yTrue, yPred);
    const Layout l = layoutOf(name_, yPred);
    shapeLike(yPred, dYPred);
    const auto d = static_cast<size_t>(l.depth);
    std::vector<float> oneHot(d), clipped(d), tmp(2 * d + 1);
    forEachRowGradient(l, coeff, [&](int64_t r, float g) {
      const float* p = yPred.data.data() + r * l.depth;
      float* dp = dYPred.data.data() + r * l.depth;
      prepare(yTrue.data[r], p, oneHot, clipped);
      categoricalGrad(oneHot.data(), clipped.data(), l.depth, g, dp, tmp.data());
      for (size_t j = 0; j < d; ++j) {
        if (!inClip(p[j], kEpsilon, 1.0 - kEpsilon)) dp[j] = 0.0f;
      }
    });
  }

 private:
  static void prepare(float label, const float* p, std::vector<float>& oneHot,
                      std::vector<float>& clipped) {
    std::fill(oneHot.begin(), oneHot.end(), 0.0f);
    oneHot[static_cast<size_t>(label)] = 1.0f;
    for (size_t j = 0; j < clipped.size(); ++j) clipped[j] = clip(p[j], kEpsilon, 1.0 - kEpsilon);
  }
  std::string name_ = "sparseCategoricalCrossentropy";
};

// ---------------------------------------------------------------------------------------------
// Names.

struct LossEntry {
  const char* name;
  RowLoss (*make)();  // null for sparseCategoricalCrossentropy
  std::vector<const char*> aliases;
};

RowLoss makeHinge() {
  return hingeLoss(false);
}
RowLoss makeSquaredHinge() {
  return hingeLoss(true);
}

const std::vector<LossEntry>& lossTable() {
  static const std::vector<LossEntry> table = {
      {"meanSquaredError", meanSquaredError, {"mse", "MSE"}},
      {"meanAbsoluteError", meanAbsoluteError, {"mae", "MAE"}},
      {"meanAbsolutePercentageError", meanAbsolutePercentageError, {"mape", "MAPE"}},
      {"meanSquaredLogarithmicError", meanSquaredLogarithmicError, {"msle", "MSLE"}},
      {"squaredHinge", makeSquaredHinge, {}},
      {"hinge", makeHinge, {}},
      {"categoricalHinge", categoricalHinge, {}},
      {"logcosh", logcosh, {"logCosh"}},
      {"categoricalCrossentropy", categoricalCrossentropy, {}},
      {"sparseCategoricalCrossentropy", nullptr, {}},
      {"binaryCrossentropy", binaryCrossentropy, {}},
      {"kullbackLeiblerDivergence", kullbackLeiblerDivergence, {"kld", "KLD"}},
      {"poisson", poisson, {}},
      {"cosineProximity", cosineProximity, {"cosine"}},
      {"huber", huber, {"huberLoss"}},
  };
  return table;
}

const LossEntry* findLoss(const std::string& name) {
  for (const std::string& n : {name, toCamelCase(name)}) {
    for (const LossEntry& e : lossTable()) {
      if (n == e.name) return &e;
      for (const char* a : e.aliases) {
        if (n == a) return &e;
      }
    }
  }
  return nullptr;
}

std::string knownLosses() {
  std::string s;
  for (const LossEntry& e : lossTable()) {
    if (!s.empty()) s += ", ";
    s += e.name;
    for (const char* a : e.aliases) s += fmt::format("/{}", a);
  }
  return s + " (and their snake_case spellings, e.g. mean_squared_error)";
}

std::unique_ptr<Loss> makeLossFrom(const LossEntry& e) {
  if (!e.make) return std::make_unique<SparseCategoricalCrossentropy>();
  return std::make_unique<RowBasedLoss>(e.name, e.make());
}

// ---------------------------------------------------------------------------------------------
// Metrics.

class LossMetric : public Metric {
 public:
  LossMetric(std::string name, std::unique_ptr<Loss> loss)
      : name_(std::move(name)), loss_(std::move(loss)) {}
  const std::string& name() const override { return name_; }
  void perSample(const Array& yTrue, const Array& yPred, float* out) const override {
    loss_->perSample(yTrue, yPred, out);
  }

 private:
  std::string name_;
  std::unique_ptr<Loss> loss_;
};

// A metric computed row by row (one value per row of yPred's last axis), averaged per sample.
class RowMetric : public Metric {
 public:
  using RowFn = std::function<float(const float* t, const float* p, int64_t d)>;
  RowMetric(std::string name, std::string fn, bool sparse, RowFn row)
      : name_(std::move(name)), fn_(std::move(fn)), sparse_(sparse), row_(std::move(row)) {}
  const std::string& name() const override { return name_; }
  void perSample(const Array& yTrue, const Array& yPred, float* out) const override {
    if (sparse_) {
      checkSparse(fn_, yTrue, yPred);
    } else {
      checkSameShape(fn_, yTrue, yPred);
    }
    const Layout l = layoutOf(fn_, yPred);
    const int64_t tStride = sparse_ ? 1 : l.depth;
    meanOverPositions(l, out, [&](int64_t r) {
      return row_(yTrue.data.data() + r * tStride, yPred.data.data() + r * l.depth, l.depth);
    });
  }

 private:
  std::string name_;
  std::string fn_;
  bool sparse_;
  RowFn row_;
};

// The cpu backend's argMax: the first index of the largest value (NaN never wins after index 0).
int64_t argMax(const float* v, int64_t d) {
  int64_t best = 0;
  float mx = d > 0 ? v[0] : 0.0f;
  for (int64_t j = 0; j < d; ++j) {
    if (v[j] > mx) {
      mx = v[j];
      best = j;
    }
  }
  return best;
}

float binaryAccuracyRow(const float* t, const float* p, int64_t d) {
  const auto df = static_cast<float>(d);
  double s = 0;
  for (int64_t j = 0; j < d; ++j) {
    const float thresholded = p[j] > 0.5f ? 1.0f : 0.0f;
    s += (t[j] == thresholded ? 1.0f : 0.0f) / df;
  }
  return static_cast<float>(s);
}

float categoricalAccuracyRow(const float* t, const float* p, int64_t d) {
  return argMax(t, d) == argMax(p, d) ? 1.0f : 0.0f;
}

float sparseCategoricalAccuracyRow(const float* t, const float* p, int64_t d) {
  return *t == static_cast<float>(argMax(p, d)) ? 1.0f : 0.0f;
}

// precision / recall: one value for the whole batch (yPred compared with exactly 1 and 0, as
// tfjs-layers' metrics.ts does), written to every sample so that their mean is that value.
class BatchMetric : public Metric {
 public:
  BatchMetric(std::string name, bool recall) : name_(std::move(name)), recall_(recall) {}
  const std::string& name() const override { return name_; }
  void perSample(const Array& yTrue, const Array& yPred, float* out) const override {
    const char* fn = recall_ ? "recall" : "precision";
    checkSameShape(fn, yTrue, yPred);
    double tp = 0, other = 0;
    for (size_t i = 0; i < yPred.data.size(); ++i) {
      const float t = yTrue.data[i], p = yPred.data[i];
      if (t == 1 && p == 1) ++tp;
      if (recall_ ? (t == 1 && p == 0) : (t == 0 && p == 1)) ++other;
    }
    const auto tpf = static_cast<float>(tp);
    const float denominator = tpf + static_cast<float>(other);
    const float value = denominator > 0 ? tpf / denominator : 0.0f;
    for (int64_t i = 0; i < yPred.shape.front(); ++i) out[i] = value;
  }

 private:
  std::string name_;
  bool recall_;
};

struct MetricEntry {
  const char* name;
  bool sparse;
  float (*row)(const float*, const float*, int64_t);
};

const std::vector<MetricEntry>& metricTable() {
  static const std::vector<MetricEntry> table = {
      {"binaryAccuracy", false, binaryAccuracyRow},
      {"categoricalAccuracy", false, categoricalAccuracyRow},
      {"sparseCategoricalAccuracy", true, sparseCategoricalAccuracyRow},
  };
  return table;
}

}  // namespace

std::unique_ptr<Loss> makeLoss(const std::string& name) {
  const LossEntry* e = findLoss(name);
  if (!e) invalid(fmt::format("unknown loss '{}'; known losses: {}", name, knownLosses()));
  return makeLossFrom(*e);
}

std::unique_ptr<Metric> makeMetric(const std::string& name, const std::string& lossName,
                                   int64_t outputDim) {
  // 'accuracy' / 'acc' and 'crossentropy' / 'ce', resolved as tfjs-layers' compile() does.
  const bool accuracy = name == "accuracy" || name == "acc";
  const bool crossentropy = name == "crossentropy" || name == "ce";
  if (accuracy || crossentropy) {
    const LossEntry* loss = findLoss(lossName);
    const std::string l = loss ? loss->name : "";
    std::string fn;
    if (outputDim == 1 || l == "binaryCrossentropy") {
      fn = accuracy ? "binaryAccuracy" : "binaryCrossentropy";
    } else if (l == "sparseCategoricalCrossentropy") {
      fn = accuracy ? "sparseCategoricalAccuracy" : "sparseCategoricalCrossentropy";
    } else {
      fn = accuracy ? "categoricalAccuracy" : "categoricalCrossentropy";
    }
    const std::string history = accuracy ? "acc" : "ce";
    if (crossentropy) return std::make_unique<LossMetric>(history, makeLoss(fn));
    for (const MetricEntry& m : metricTable()) {
      if (fn == m.name) return std::make_unique<RowMetric>(history, fn, m.sparse, m.row);
    }
  }
  const std::string camel = toCamelCase(name);
  for (const MetricEntry& m : metricTable()) {
    if (name == m.name || camel == m.name) {
      return std::make_unique<RowMetric>(name, m.name, m.sparse, m.row);
    }
  }
  if (camel == "precision" || camel == "recall") {
    return std::make_unique<BatchMetric>(name, camel == "recall");
  }
  if (const LossEntry* e = findLoss(name))
    return std::make_unique<LossMetric>(name, makeLossFrom(*e));
  std::string known = "accuracy/acc, crossentropy/ce, precision, recall";
  for (const MetricEntry& m : metricTable()) known += fmt::format(", {}", m.name);
  invalid(fmt::format("unknown metric '{}'; known metrics: {}, and every loss: {}", name, known,
                      knownLosses()));
}

std::string toCamelCase(const std::string& s) {
  if (s.size() <= 1 || s.find('_') == std::string::npos) return s;
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      while (i < s.size() && s[i] == '_') ++i;
      if (i < s.size()) {
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
      }
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace tfjs::train
