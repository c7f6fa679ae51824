// Merge layers: Add, Multiply, Average, Maximum, Minimum (elementwise, broadcasting as
// tfjs-layers does), Concatenate (along `axis`) and Dot (batched dot products). Every one has a
// backward pass for fit (Dot's through its optional L2 normalization too).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <optional>

#include "kernels/kernels.h"
#include "layers/layer.h"

namespace tfjs::layers {
namespace {

enum class Op { kAdd, kMultiply, kAverage, kMaximum, kMinimum };

// `s` (rank >= 1) with 1s inserted after the batch axis up to `rank` (tfjs-layers' expandDims at
// axis 1 for an input of lower rank).
Shape padAfterBatch(const Shape& s, size_t rank) {
  Shape p(rank, 1);
  p[0] = s[0];
  std::copy(s.begin() + 1, s.end(), p.end() - static_cast<std::ptrdiff_t>(s.size() - 1));
  return p;
}

// The output shape of an elementwise merge, as tfjs-layers computes it: inputs of lower rank get
// 1s inserted after the batch axis (expandDims at axis 1) until every rank matches, then
// NumPy-style broadcasting applies per axis. Unknown (-1) dimensions stay unknown.
Shape broadcastShape(const Config& c, const std::vector<Shape>& in) {
  size_t rank = 0;
  for (const Shape& s : in) {
    if (s.empty()) c.unsupported("an input of rank 0");
    rank = std::max(rank, s.size());
  }
  auto padded = [rank](const Shape& s) { return padAfterBatch(s, rank); };
  Shape out = padded(in[0]);
  for (size_t k = 1; k < in.size(); ++k) {
    const Shape s = padded(in[k]);
    if (out[0] < 0) out[0] = s[0];  // the batch: any known size
    for (size_t d = 1; d < rank; ++d) {
      const int64_t i = out[d], j = s[d];
      if (i < 0 || j < 0) {
        out[d] = -1;
      } else if (i == 1) {
        out[d] = j;
      } else if (j != 1 && j != i) {
        c.unsupported(
            fmt::format("inputs that cannot be broadcast together ({})", Json(in).dump()));
      }
    }
  }
  return out;
}

class Elementwise final : public Layer {
 public:
  Elementwise(const Config& c, Op op) : Layer(c), op_(op) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() < 2)
      config_.unsupported(fmt::format("{} input(s) (at least 2 needed)", in.size()));
    return {broadcastShape(config_, in)};
  }
  // in[0] op in[1] op ... in order, as TF.js folds them (kernels::binary's rules: Maximum and
  // Minimum are Math.max / Math.min), inputs of lower rank read with 1s after the batch axis;
  // Average then multiplies by 1 / n in float32.
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    std::vector<Shape> shapes;
    for (const Array* a : in) shapes.push_back(a->shape);
    const Shape out = broadcastShape(config_, shapes);
    Array y = in[0]->shape == out ? *in[0] : broadcastTo(*in[0], out);
    const kernels::Binary op = op_ == Op::kMultiply  ? kernels::Binary::kMul
                               : op_ == Op::kMaximum ? kernels::Binary::kMaximum
                               : op_ == Op::kMinimum ? kernels::Binary::kMinimum
                                                     : kernels::Binary::kAdd;
    for (size_t k = 1; k < in.size(); ++k) {
      kernels::binaryInPlace(op, y, {in[k]->data.data(), padAfterBatch(in[k]->shape, out.size())});
    }
    if (op_ == Op::kAverage) {
      const float scale = 1.0f / static_cast<float>(in.size());
      kernels::binaryInPlace(kernels::Binary::kMul, y, {&scale, {}});
    }
    return {std::move(y)};
  }
  // TF.js's Merge.computeMask, as 4.22 writes it: none when no input has a mask; otherwise the
  // first input's mask AND-ed with those of inputs 1 .. n-2 (the last input's is skipped), with
  // an axis of 1 put in front ([1, batch, time]). A layer that reads that mask refuses its shape.
  std::vector<std::optional<Array>> computeMask(
      const std::vector<const Array*>& in, const std::vector<const Array*>& masks) const override {
    (void)in;
    bool any = false;
    for (const Array* m : masks) any = any || m != nullptr;
    if (!any || masks.empty()) return {};
    for (size_t i = 1; i + 1 < masks.size(); ++i) {
      if (masks[i] && (!masks[0] || masks[i]->shape != masks[0]->shape)) {
        config_.unsupported(
            fmt::format("input masks of shapes that TF.js cannot combine (input {})", i));
      }
    }
    if (!masks[0]) return {};
    Array out = *masks[0];
    for (size_t i = 1; i + 1 < masks.size(); ++i) {
      if (!masks[i]) continue;
      for (size_t k = 0; k < out.data.size(); ++k) {
        out.data[k] = (out.data[k] != 0.0f && masks[i]->data[k] != 0.0f) ? 1.0f : 0.0f;
      }
    }
    out.shape.insert(out.shape.begin(), 1);
    return {std::move(out)};
  }

  // Backward over the inputs broadcast to the output's shape, following the fold: Add and Average
  // pass g (Average divided by n); Multiply multiplies by the other inputs; Maximum / Minimum
  // send g along each binary step as TF.js's maximum / minimum gradients do (the running value
  // wins ties: a >= b, a <= b). Each gradient is then summed back to its input's shape.
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState*,
                              std::vector<Array> dOut, GradientSink&) const override {
    const Shape& os = out[0]->shape;
    std::vector<Array> owned;
    std::vector<const Array*> e;
    for (const Array* a : in) {
      if (a->shape == os) {
        e.push_back(a);
      } else {
        owned.push_back(broadcastTo(*a, os));
      }
    }
    for (size_t k = 0, o = 0; k < in.size(); ++k) {
      if (in[k]->shape != os) e.insert(e.begin() + static_cast<std::ptrdiff_t>(k), &owned[o++]);
    }
    const Array& g = dOut[0];
    const size_t n = g.data.size(), count = in.size();
    std::vector<Array> d(count, Array(os, kUninitialized));
    for (size_t i = 0; i < n; ++i) {
      const float gi = g.data[i];
      switch (op_) {
        case Op::kAdd:
        case Op::kAverage: {
          const float v = op_ == Op::kAdd ? gi : gi * (1.0f / static_cast<float>(count));
          for (size_t k = 0; k < count; ++k) d[k].data[i] = v;
          break;
        }
        case Op::kMultiply:
          for (size_t k = 0; k < count; ++k) {
            float p = gi;
            for (size_t j = 0; j < count; ++j) {
              if (j != k) p *= e[j]->data[i];
            }
            d[k].data[i] = p;
          }
          break;
        case Op::kMaximum:
        case Op::kMinimum: {
          // The running value after each step, then the gradient walked back along the chain.
          std::vector<float> run(count);
          run[0] = e[0]->data[i];
          for (size_t k = 1; k < count; ++k) {
            run[k] = op_ == Op::kMaximum ? std::max(run[k - 1], e[k]->data[i])
                                         : std::min(run[k - 1], e[k]->data[i]);
          }
          float flow = gi;
          for (size_t k = count; k-- > 1;) {
            const bool keep =
                op_ == Op::kMaximum ? run[k - 1] >= e[k]->data[i] : run[k - 1] <= e[k]->data[i];
            d[k].data[i] = keep ? 0.0f : flow;
            flow = keep ? flow : 0.0f;
          }
          d[0].data[i] = flow;
          break;
        }
      }
    }
    std::vector<Array> dx;
    for (size_t k = 0; k < count; ++k) dx.push_back(sumTo(d[k], in[k]->shape));
    return dx;
  }

 private:
  // g (of the output's shape) summed over the axes input shape `s` broadcast along.
  static Array sumTo(const Array& g, const Shape& s) {
    if (g.shape == s) return g;
    Array r = kernels::sumTo(g, padAfterBatch(s, g.shape.size()));
    r.shape = s;
    return r;
  }

  // `a` (of rank <= out's) with 1s inserted after the batch axis, repeated along its 1-sized axes.
  Array broadcastTo(const Array& a, const Shape& out) const {
    const Shape s = padAfterBatch(a.shape, out.size());
    if (!kernels::broadcastsTo(s, out)) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': input of shape {} does not broadcast to {}", name(),
                              Json(a.shape).dump(), Json(out).dump()));
    }
    return kernels::broadcastTo(a.data.data(), s, out);  // a's values read under shape s
  }

  Op op_;
};

// Dot: batched dot products of two rank-2 or rank-3 inputs along `axes` (an int or a pair, counted
// with the batch axis), optionally of L2-normalized inputs (x / sqrt(max(sum x^2, 1e-7))), as
// tfjs-layers' batchDot computes it: the contracted axis of each input is removed, the free axes
// of the first input come before those of the second, and a rank-1 result becomes [batch, 1].
// Rank 4 and more is refused, as TF.js refuses it; so is the batch axis as a dot axis.
// Backward: dX[b, i, t] = sum_j g[b, i, j] Y[b, j, t] and dY[b, j, t] = sum_i g[b, i, j] X[b, i, t]
// on the (normalized) inputs; with normalize, then through the normalization as TF.js's autodiff
// of its l2Normalize (sum of squares, maximum with epsilon 1e-7, sqrt, div) gives it:
// dx = g / norm - x * sum(g * x) / norm^3, the second term only where sum x^2 >= 1e-7 (TF.js's
// maximum sends the gradient to its first argument on ties, to the constant epsilon below).
class Dot final : public Layer {
 public:
  explicit Dot(const Config& c) : Layer(c), normalize_(c.boolean("normalize", false)) {
    const Json& axes = c.json().contains("axes") ? c.json()["axes"] : Json();
    auto one = [&](const Json& j) {
      if (!j.is_number_integer()) c.unsupported(fmt::format("'axes' = {}", axes.dump()));
      return j.get<int64_t>();
    };
    if (axes.is_array() && axes.size() == 2) {
      axes_ = {one(axes[0]), one(axes[1])};
      if ((axes_[0] < 0) != (axes_[1] < 0)) {
        // TF.js's Dot.build indexes the shapes with a pair as given: shape[-1] is undefined,
        // so one negative entry fails its check ('Dimension incompatibility: 4 !== undefined').
        c.unsupported(
            fmt::format("'axes' = {} (a pair with one negative entry, which TF.js's "
                        "Dot.build rejects: give both as positive or both as negative)",
                        axes.dump()));
      }
    } else if (axes.is_number()) {
      axes_ = {one(axes), one(axes)};
    } else {
      c.unsupported(fmt::format("'axes' = {} (an integer or a pair expected)", axes.dump()));
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 2)
      config_.unsupported(fmt::format("{} input(s) (exactly 2 needed)", in.size()));
    for (size_t i = 0; i < 2; ++i) {
      const auto rank = static_cast<int64_t>(in[i].size());
      if (rank < 2 || rank > 3)
        config_.unsupported(
            fmt::format("an input of rank {} (2 or 3 supported, as in TF.js)", rank));
      int64_t a = axes_[i];
      while (a < 0) a += rank;  // TF.js's interpretAxis
      if (a == 0 || a >= rank)
        config_.unsupported(fmt::format("axis {} for an input of rank {}", axes_[i], rank));
      axes_[i] = a;
    }
    const int64_t d0 = in[0][static_cast<size_t>(axes_[0])];
    const int64_t d1 = in[1][static_cast<size_t>(axes_[1])];
    if (d0 >= 0 && d1 >= 0 && d0 != d1) {
      throw Error(ErrorCode::kSchema, fmt::format("layer '{}' (Dot): dimension incompatibility: "
                                                  "{} !== {}",
                                                  name(), d0, d1));
    }
    Shape out{in[0][0]};
    for (size_t i = 0; i < 2; ++i)
      for (size_t d = 1; d < in[i].size(); ++d)
        if (static_cast<int64_t>(d) != axes_[i]) out.push_back(in[i][d]);
    if (out.size() == 1) out.push_back(1);
    return {out};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    const Array& y = *in[1];
    const Operands op = operands(x, y);
    const auto& [batch, k, m, xFree, xK, n, yFree, yK] = op.dims;
    const float* xp = op.x;
    const float* yp = op.y;
    Shape shape{batch};
    if (x.shape.size() == 3) shape.push_back(m);
    if (y.shape.size() == 3) shape.push_back(n);
    if (shape.size() == 1) shape.push_back(1);
    Array out(shape);
    float* o = out.data.data();
    for (int64_t b = 0; b < batch; ++b) {
      const float* xb = xp + b * (x.size() / batch);
      const float* yb = yp + b * (y.size() / batch);
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          float acc = 0.0f;
          for (int64_t t = 0; t < k; ++t) acc += xb[i * xFree + t * xK] * yb[j * yFree + t * yK];
          *o++ = acc;
        }
      }
    }
    return oneOutput(std::move(out));
  }
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    const Array& x = *in[0];
    const Array& y = *in[1];
    const Operands op = operands(x, y);
    const auto& [batch, k, m, xFree, xK, n, yFree, yK] = op.dims;
    const float* xp = op.x;
    const float* yp = op.y;
    const Array& g = dOut.at(0);
    if (g.size() != batch * m * n) {
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("layer '{}' (Dot): an output gradient of shape {} for inputs {} "
                      "and {}",
                      name(), Json(g.shape).dump(), Json(x.shape).dump(), Json(y.shape).dump()));
    }
    Array dx(x.shape), dy(y.shape);
    const int64_t xs = batch ? x.size() / batch : 0, ys = batch ? y.size() / batch : 0;
    for (int64_t b = 0; b < batch; ++b) {
      const float* xb = xp + b * xs;
      const float* yb = yp + b * ys;
      float* dxb = dx.data.data() + b * xs;
      float* dyb = dy.data.data() + b * ys;
      const float* gb = g.data.data() + b * m * n;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          const float gij = gb[i * n + j];
          for (int64_t t = 0; t < k; ++t) {
            dxb[i * xFree + t * xK] += gij * yb[j * yFree + t * yK];
            dyb[j * yFree + t * yK] += gij * xb[i * xFree + t * xK];
          }
        }
      }
    }
    std::vector<Array> d;
    if (normalize_) {
      d.push_back(l2NormalizeBackward(x, std::move(dx), axes_[0]));
      d.push_back(l2NormalizeBackward(y, std::move(dy), axes_[1]));
    } else {
      d.push_back(std::move(dx));
      d.push_back(std::move(dy));
    }
    return d;
  }

 private:
  // What call and backward both work on: the inputs (L2-normalized with normalize) and their
  // sizes {batch, k (the dot axis), m, x's free stride, x's dot stride, n, y's free stride,
  // y's dot stride} (see view()).
  struct Operands {
    std::array<int64_t, 8> dims;
    Array xn, yn;    // the normalized inputs (normalize only)
    const float* x;  // the input or xn's storage (a vector's storage survives a move)
    const float* y;
  };
  Operands operands(const Array& x, const Array& y) const {
    checkInputs(x, y);
    const auto [m, xFree, xK] = view(x, axes_[0]);
    const auto [n, yFree, yK] = view(y, axes_[1]);
    Operands op{{x.shape[0], x.shape[static_cast<size_t>(axes_[0])], m, xFree, xK, n, yFree, yK},
                normalize_ ? l2Normalize(x, axes_[0]) : Array(),
                normalize_ ? l2Normalize(y, axes_[1]) : Array(),
                nullptr,
                nullptr};
    op.x = normalize_ ? op.xn.data.data() : x.data.data();
    op.y = normalize_ ? op.yn.data.data() : y.data.data();
    return op;
  }
  void checkInputs(const Array& x, const Array& y) const {
    for (const Array* a : {&x, &y}) {
      if (a->shape.size() < 2 || a->shape.size() > 3) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("layer '{}' (Dot): an input of shape {} (rank 2 or 3 expected)",
                                name(), Json(a->shape).dump()));
      }
    }
    if (axes_[0] >= static_cast<int64_t>(x.shape.size()) ||
        axes_[1] >= static_cast<int64_t>(y.shape.size()) ||
        x.shape[static_cast<size_t>(axes_[0])] != y.shape[static_cast<size_t>(axes_[1])] ||
        x.shape[0] != y.shape[0]) {
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("layer '{}': inputs {} and {} do not match along axes [{}, {}]", name(),
                      Json(x.shape).dump(), Json(y.shape).dump(), axes_[0], axes_[1]));
    }
  }
  // An input as [batch][free][k] through strides: {free size, free stride, dot-axis stride}.
  static std::array<int64_t, 3> view(const Array& a, int64_t axis) {
    const int64_t free = a.shape.size() == 3 ? a.shape[axis == 1 ? 2 : 1] : 1;
    const int64_t freeStride = a.shape.size() == 3 ? (axis == 1 ? 1 : a.shape[2]) : 0;
    const int64_t kStride = a.shape.size() == 3 ? (axis == 1 ? a.shape[2] : 1) : 1;
    return {free, freeStride, kStride};
  }
  // dL/da from dL/d(l2Normalize(a)) = g, along `axis` (see the class comment).
  static Array l2NormalizeBackward(const Array& a, Array g, int64_t axis) {
    int64_t outer = 1, inner = 1;
    const int64_t n = a.shape[static_cast<size_t>(axis)];
    for (int64_t d = 0; d < axis; ++d) outer *= a.shape[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < a.shape.size(); ++d) inner *= a.shape[d];
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const float* p = a.data.data() + o * n * inner + i;
        float* q = g.data.data() + o * n * inner + i;
        float sum = 0.0f, dot = 0.0f;
        for (int64_t t = 0; t < n; ++t) {
          sum += p[t * inner] * p[t * inner];
          dot += q[t * inner] * p[t * inner];
        }
        const bool through = sum >= 1e-7f;
        const float norm = std::sqrt(std::max(sum, 1e-7f));
        const float c = through ? dot / (norm * norm * norm) : 0.0f;
        for (int64_t t = 0; t < n; ++t) q[t * inner] = q[t * inner] / norm - p[t * inner] * c;
      }
    }
    return g;
  }
  static Array l2Normalize(const Array& a, int64_t axis) {
    Array y = a;
    int64_t outer = 1, inner = 1;
    const int64_t n = a.shape[static_cast<size_t>(axis)];
    for (int64_t d = 0; d < axis; ++d) outer *= a.shape[static_cast<size_t>(d)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < a.shape.size(); ++d) inner *= a.shape[d];
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        float* p = y.data.data() + o * n * inner + i;
        float sum = 0.0f;
        for (int64_t t = 0; t < n; ++t) sum += p[t * inner] * p[t * inner];
        const float norm = std::sqrt(std::max(sum, 1e-7f));
        for (int64_t t = 0; t < n; ++t) p[t * inner] /= norm;
      }
    }
    return y;
  }

  bool normalize_;
  std::array<int64_t, 2> axes_{-1, -1};
};

class Concatenate final : public Layer {
 public:
  explicit Concatenate(const Config& c) : Layer(c), axis_(c.integer("axis", -1)) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() < 2)
      config_.unsupported(fmt::format("{} input(s) (at least 2 needed)", in.size()));
    const auto rank = static_cast<int64_t>(in[0].size());
    axis_ = axis_ < 0 ? axis_ + rank : axis_;
    if (axis_ <= 0 || axis_ >= rank) config_.unsupported(fmt::format("axis {}", axis_));
    Shape out = in[0];
    out[static_cast<size_t>(axis_)] = 0;
    for (const Shape& s : in) {
      if (static_cast<int64_t>(s.size()) != rank) config_.unsupported("inputs of different ranks");
      for (int64_t d = 1; d < rank; ++d) {
        if (d != axis_ && s[static_cast<size_t>(d)] != in[0][static_cast<size_t>(d)]) {
          config_.unsupported(fmt::format("inputs {} and {} that differ off the axis",
                                          Json(in[0]).dump(), Json(s).dump()));
        }
      }
      const int64_t a = s[static_cast<size_t>(axis_)];
      int64_t& o = out[static_cast<size_t>(axis_)];
      o = (a < 0 || o < 0) ? -1 : o + a;
    }
    return {out};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const auto ax = static_cast<size_t>(axis_);
    Shape shape = in[0]->shape;
    shape[ax] = 0;
    for (const Array* a : in) shape[ax] += a->shape[ax];
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ax; ++d) outer *= shape[d];
    for (size_t d = ax + 1; d < shape.size(); ++d) inner *= shape[d];
    Array y(shape);
    float* o = y.data.data();
    for (int64_t r = 0; r < outer; ++r) {
      for (const Array* a : in) {
        const int64_t chunk = a->shape[ax] * inner;
        const float* src = a->data.data() + r * chunk;
        o = std::copy(src, src + chunk, o);
      }
    }
    return oneOutput(std::move(y));
  }
  // Backward: the gradient cut back into the inputs' pieces along the axis.
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    const auto ax = static_cast<size_t>(axis_);
    const Array& g = dOut[0];
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ax; ++d) outer *= g.shape[d];
    for (size_t d = ax + 1; d < g.shape.size(); ++d) inner *= g.shape[d];
    std::vector<Array> dx;
    for (const Array* a : in) dx.emplace_back(a->shape, kUninitialized);
    const float* src = g.data.data();
    for (int64_t r = 0; r < outer; ++r) {
      for (size_t k = 0; k < in.size(); ++k) {
        const int64_t chunk = in[k]->shape[ax] * inner;
        std::copy(src, src + chunk, dx[k].data.data() + r * chunk);
        src += chunk;
      }
    }
    return dx;
  }
  // TF.js's Concatenate.computeMask: every input gets a mask of its own rank (none: all ones of
  // the input's shape; a [batch, time] mask: [batch, time, 1]); they are concatenated along the
  // axis, and the result is AND-reduced over the last axis.
  std::vector<std::optional<Array>> computeMask(
      const std::vector<const Array*>& in, const std::vector<const Array*>& masks) const override {
    bool any = false;
    for (const Array* m : masks) any = any || m != nullptr;
    if (!any) return {};
    std::vector<Array> parts;
    for (size_t i = 0; i < in.size(); ++i) {
      const Array* m = i < masks.size() ? masks[i] : nullptr;
      if (!m) {
        parts.emplace_back(in[i]->shape, std::vector<float>(in[i]->data.size(), 1.0f));
      } else {
        Array p = *m;
        if (p.shape.size() < in[i]->shape.size()) p.shape.push_back(1);
        parts.push_back(std::move(p));
      }
    }
    const auto ax = static_cast<size_t>(axis_);
    Shape shape = parts[0].shape;
    for (const Array& p : parts) {
      bool fits = p.shape.size() == shape.size() && ax < shape.size();
      for (size_t d = 0; fits && d < shape.size(); ++d) fits = d == ax || p.shape[d] == shape[d];
      if (!fits) {
        config_.unsupported(fmt::format("input masks that TF.js cannot concatenate ({} and {})",
                                        Json(parts[0].shape).dump(), Json(p.shape).dump()));
      }
    }
    shape[ax] = 0;
    for (const Array& p : parts) shape[ax] += p.shape[ax];
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ax; ++d) outer *= shape[d];
    for (size_t d = ax + 1; d < shape.size(); ++d) inner *= shape[d];
    Array cat(shape);
    float* o = cat.data.data();
    for (int64_t r = 0; r < outer; ++r) {
      for (const Array& p : parts) {
        const int64_t chunk = p.shape[ax] * inner;
        const float* src = p.data.data() + r * chunk;
        o = std::copy(src, src + chunk, o);
      }
    }
    const int64_t last = shape.back();
    Shape rs = shape;
    rs.pop_back();
    Array out(rs);
    for (int64_t r = 0; r < out.size(); ++r) {
      bool all = true;
      for (int64_t k = 0; k < last && all; ++k)
        all = cat.data[static_cast<size_t>(r * last + k)] != 0.0f;
      out.data[static_cast<size_t>(r)] = all ? 1.0f : 0.0f;
    }
    return {std::move(out)};
  }

 private:
  int64_t axis_;
};

}  // namespace

void addMergeLayers(Registry& r) {
  const std::pair<const char*, Op> ops[] = {{"Add", Op::kAdd},
                                            {"Multiply", Op::kMultiply},
                                            {"Average", Op::kAverage},
                                            {"Maximum", Op::kMaximum},
                                            {"Minimum", Op::kMinimum}};
  for (const auto& [name, op] : ops) {
    const Op o = op;
    addClass(r, name, [o](const Config& c) { return std::make_unique<Elementwise>(c, o); });
  }
  add<Concatenate>(r, "Concatenate");
  add<Dot>(r, "Dot");
}

}  // namespace tfjs::layers
