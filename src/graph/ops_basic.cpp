// Graph ops that move values without arithmetic (tfjs-converter's graph, transformation and
// slice_join families): Identity, Shape, Reshape, ExpandDims, Squeeze, Transpose, Pack,
// ConcatV2, StridedSlice, GatherV2, Cast, Pad, Fill, ZerosLike / OnesLike. Every dtype moves
// alike (an element is copied from a source index); Cast converts as TF.js's cast does.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "format/js_math.h"
#include "graph/ops.h"
#include "kernels/indexing.h"

namespace tfjs::graph {
namespace {

// `like` under another shape of the same element count (the values copied).
ValuePtr reshaped(const Value& like, Shape shape) {
  auto v = std::make_shared<Value>(like);
  v->shape = std::move(shape);
  return v;
}

using kernels::indexing::stridesOf;

std::vector<ValuePtr> identity(const OpContext& c) {
  return {c.inputs[0]};
}

std::vector<ValuePtr> identityN(const OpContext& c) {
  return {c.inputs.begin(), c.inputs.end()};
}

// TF.js's NoOp gives a scalar 1 (graph_executor.ts): its control readers see a value and run
// (in a graph with frames, a node without one would be dead).
std::vector<ValuePtr> noOp(const OpContext&) {
  return {floatValue({}, {1.0f})};
}

std::vector<ValuePtr> shapeOp(const OpContext& c) {
  const Shape& s = c.in(0).shape;
  return {intValue({static_cast<int64_t>(s.size())}, std::vector<int32_t>(s.begin(), s.end()))};
}

std::vector<ValuePtr> reshape(const OpContext& c) {
  const Value& x = c.in(0);
  Shape s = c.ints(1);
  int64_t known = 1;
  int unknown = -1;
  for (size_t d = 0; d < s.size(); ++d) {
    if (s[d] == -1 && unknown < 0) {
      unknown = static_cast<int>(d);
    } else if (s[d] < 0) {
      c.node.invalid(
          fmt::format("a target shape {} with more than one -1 or a negative size", shapeText(s)));
    } else {
      known *= s[d];
    }
  }
  if (unknown >= 0) {
    if (known == 0 || x.size() % known != 0) {
      c.node.invalid(fmt::format("cannot reshape {} into {}", shapeText(x.shape), shapeText(s)));
    }
    s[static_cast<size_t>(unknown)] = x.size() / known;
  }
  if (kernels::Array::count(s) != x.size()) {
    c.node.invalid(fmt::format("cannot reshape {} ({} elements) into {}", shapeText(x.shape),
                               x.size(), shapeText(s)));
  }
  return {reshaped(x, std::move(s))};
}

std::vector<ValuePtr> expandDims(const OpContext& c) {
  const Value& x = c.in(0);
  const auto axes = c.ints(1);
  if (axes.size() != 1) c.node.invalid("an axis input that is not one integer");
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = resolveAxis(c, axes[0], rank + 1);
  Shape s = x.shape;
  s.insert(s.begin() + axis, 1);
  return {reshaped(x, std::move(s))};
}

std::vector<ValuePtr> squeeze(const OpContext& c) {
  const Value& x = c.in(0);
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> dims = c.node.integers("squeeze_dims");
  if (dims.empty()) dims = c.node.integers("axis");
  std::vector<bool> drop(x.shape.size(), false);
  if (dims.empty()) {
    for (size_t d = 0; d < x.shape.size(); ++d) drop[d] = x.shape[d] == 1;
  }
  for (const int64_t d : dims) {
    const int64_t a = resolveAxis(c, d, rank);
    if (x.shape[static_cast<size_t>(a)] != 1) {
      c.node.invalid(
          fmt::format("cannot squeeze axis {} of size {}", d, x.shape[static_cast<size_t>(a)]));
    }
    drop[static_cast<size_t>(a)] = true;
  }
  Shape s;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (!drop[d]) s.push_back(x.shape[d]);
  }
  return {reshaped(x, std::move(s))};
}

std::vector<ValuePtr> transpose(const OpContext& c) {
  const Value& x = c.in(0);
  // tf.transpose takes numeric tensors only (a string tensor is refused, as in TF.js).
  if (x.dtype == DType::kString) c.node.invalid("transposing a string tensor (TF.js refuses it)");
  const auto perm = c.ints(1);
  const size_t rank = x.shape.size();
  std::vector<bool> seen(rank, false);
  if (perm.size() != rank)
    c.node.invalid(fmt::format("a permutation of length {} for rank {}", perm.size(), rank));
  for (const int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)]) {
      c.node.invalid(fmt::format("[{}] is not a permutation", fmt::join(perm, ",")));
    }
    seen[static_cast<size_t>(p)] = true;
  }
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) out[d] = x.shape[static_cast<size_t>(perm[d])];
  const auto inStride = stridesOf(x.shape);
  const auto src = sourcesOf(out, [&](const std::vector<int64_t>& idx) {
    int64_t at = 0;
    for (size_t d = 0; d < rank; ++d) at += idx[d] * inStride[static_cast<size_t>(perm[d])];
    return at;
  });
  return {gatherValue(x, std::move(out), src)};
}

// Values of one dtype and shape joined along a new axis (Pack) or an existing one (Concat).
ValuePtr join(const OpContext& c, std::span<const ValuePtr> parts, int64_t axis, bool stack) {
  const Value& first = *parts[0];
  const auto rank = static_cast<int64_t>(first.shape.size());
  axis = resolveAxis(c, axis, stack ? rank + 1 : rank);
  Shape out = first.shape;
  if (stack) {
    out.insert(out.begin() + axis, static_cast<int64_t>(parts.size()));
  } else {
    out[static_cast<size_t>(axis)] = 0;
  }
  for (const ValuePtr& p : parts) {
    if (p->dtype != first.dtype) c.node.invalid("inputs of different dtypes");
    Shape rest = p->shape, want = first.shape;
    if (!stack && rest.size() == want.size()) {
      out[static_cast<size_t>(axis)] += rest[static_cast<size_t>(axis)];
      rest[static_cast<size_t>(axis)] = want[static_cast<size_t>(axis)] = 0;
    }
    if (rest != want) {
      c.node.invalid(fmt::format("inputs of shapes {} and {} cannot be joined",
                                 shapeText(first.shape), shapeText(p->shape)));
    }
  }
  // Each part contributes `outer` runs of its `run` elements, in order.
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= first.shape[static_cast<size_t>(d)];
  auto v = std::make_shared<Value>();
  v->dtype = first.dtype;
  v->shape = out;
  for (int64_t o = 0; o < outer; ++o) {
    for (const ValuePtr& p : parts) {
      const int64_t run = outer > 0 ? p->size() / outer : 0;
      if (first.dtype == DType::kFloat32) {
        v->f.insert(v->f.end(), p->f.begin() + o * run, p->f.begin() + (o + 1) * run);
      } else if (first.dtype == DType::kComplex64) {  // re, im pairs
        v->f.insert(v->f.end(), p->f.begin() + 2 * o * run, p->f.begin() + 2 * (o + 1) * run);
      } else if (first.dtype == DType::kString) {
        v->s.insert(v->s.end(), p->s.begin() + o * run, p->s.begin() + (o + 1) * run);
      } else {
        v->i.insert(v->i.end(), p->i.begin() + o * run, p->i.begin() + (o + 1) * run);
      }
    }
  }
  return v;
}

std::vector<ValuePtr> pack(const OpContext& c) {
  if (c.inputs.empty()) c.node.invalid("no inputs");
  return {join(c, c.inputs, c.node.integer("axis", 0), true)};
}

std::vector<ValuePtr> concatV2(const OpContext& c) {
  if (c.inputs.size() < 2) c.node.invalid("no axis input");
  const auto axis = c.ints(c.inputs.size() - 1);
  if (axis.size() != 1) c.node.invalid("an axis input that is not one integer");
  return {join(c, c.inputs.first(c.inputs.size() - 1), axis[0], false)};
}

std::vector<ValuePtr> concat(const OpContext& c) {  // Concat: the axis first
  if (c.inputs.size() < 2) c.node.invalid("no values to join");
  const auto axis = c.ints(0);
  if (axis.size() != 1) c.node.invalid("an axis input that is not one integer");
  return {join(c, c.inputs.subspan(1), axis[0], false)};
}

// StridedSlice as TensorFlow defines it (TF.js's slice_util follows it): a sparse spec of
// begin / end / strides with begin, end, ellipsis, new-axis and shrink-axis masks, expanded to
// one range per input axis.
std::vector<ValuePtr> stridedSlice(const OpContext& c) {
  const Value& x = c.in(0);
  const auto begin = c.ints(1), end = c.ints(2), strides = c.ints(3);
  if (begin.size() != end.size() || begin.size() != strides.size()) {
    c.node.invalid("begin, end and strides of different lengths");
  }
  const auto bit = [&](const char* mask, size_t i) {
    return ((c.node.integer(mask, 0) >> i) & 1) != 0;
  };
  const size_t rank = x.shape.size(), n = begin.size();
  size_t consumed = 0;  // input axes the sparse spec names outside an ellipsis
  bool hasEllipsis = false;
  for (size_t i = 0; i < n; ++i) {
    if (bit("ellipsis_mask", i)) {
      if (hasEllipsis) c.node.invalid("more than one ellipsis");
      hasEllipsis = true;
    } else if (!bit("new_axis_mask", i)) {
      ++consumed;
    }
  }
  if (consumed > rank) {
    c.node.invalid(fmt::format("a slice of {} axes of a rank-{} input", consumed, rank));
  }
  struct Range {
    int64_t begin, stride, size;
  };
  std::vector<Range> ranges;  // per input axis
  Shape out;
  size_t axis = 0;
  const auto full = [&] {
    ranges.push_back({0, 1, x.shape[axis]});
    out.push_back(x.shape[axis]);
    ++axis;
  };
  for (size_t i = 0; i < n; ++i) {
    if (bit("ellipsis_mask", i)) {
      for (size_t k = 0; k < rank - consumed; ++k) full();
      continue;
    }
    if (bit("new_axis_mask", i)) {
      out.push_back(1);
      continue;
    }
    const int64_t dim = x.shape[axis], s = strides[i];
    if (s == 0) c.node.invalid("a stride of 0");
    if (bit("shrink_axis_mask", i)) {
      const int64_t b = begin[i] < 0 ? begin[i] + dim : begin[i];  // the masks do not apply
      if (b < 0 || b >= dim) {
        c.node.invalid(
            fmt::format("index {} of axis {} is out of range [0, {})", begin[i], axis, dim));
      }
      ranges.push_back({b, 1, 1});
      ++axis;
      continue;
    }
    const auto clamp = [&](int64_t v) {
      if (v < 0) v += dim;
      return s > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
    };
    const int64_t b = bit("begin_mask", i) ? (s > 0 ? 0 : dim - 1) : clamp(begin[i]);
    const int64_t e = bit("end_mask", i) ? (s > 0 ? dim : -1) : clamp(end[i]);
    const int64_t size = s > 0 ? std::max<int64_t>(0, (e - b + s - 1) / s)
                               : std::max<int64_t>(0, (b - e - s - 1) / -s);
    ranges.push_back({b, s, size});
    out.push_back(size);
    ++axis;
  }
  while (axis < rank) full();
  // Gather: every combination of the ranges, in row-major order.
  const auto stride = stridesOf(x.shape);
  Shape sizes;
  for (const Range& r : ranges) sizes.push_back(r.size);
  const auto src = sourcesOf(sizes, [&](const std::vector<int64_t>& idx) {
    int64_t at = 0;
    for (size_t d = 0; d < ranges.size(); ++d) {
      at += (ranges[d].begin + idx[d] * ranges[d].stride) * stride[d];
    }
    return at;
  });
  return {gatherValue(x, std::move(out), src)};
}

std::vector<ValuePtr> gatherV2(const OpContext& c) {
  const Value& x = c.in(0);
  const auto indices = c.ints(1);
  const Shape& indexShape = c.in(1).shape;
  int64_t axis = 0;
  if (c.inputs.size() > 2) {
    const auto a = c.ints(2);
    if (a.size() != 1) c.node.invalid("an axis input that is not one integer");
    axis = a[0];
  }
  if (c.node.integer("batch_dims", 0) != 0) c.node.unsupported("batch_dims other than 0");
  axis = resolveAxis(c, axis, static_cast<int64_t>(x.shape.size()));
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
  Shape out(x.shape.begin(), x.shape.begin() + axis);
  out.insert(out.end(), indexShape.begin(), indexShape.end());
  out.insert(out.end(), x.shape.begin() + axis + 1, x.shape.end());
  std::vector<int64_t> src;
  src.reserve(static_cast<size_t>(outer) * indices.size() * static_cast<size_t>(inner));
  for (int64_t o = 0; o < outer; ++o) {
    for (const int64_t ix : indices) {
      if (ix < 0 || ix >= dim) {
        c.node.invalid(fmt::format("index {} is not in [0, {})", ix, dim));
      }
      for (int64_t k = 0; k < inner; ++k) src.push_back((o * dim + ix) * inner + k);
    }
  }
  return {gatherValue(x, std::move(out), src)};
}

// TF.js's cast: to int32 as an Int32Array stores a number (truncation, NaN and infinities 0,
// modulo 2^32), to bool x != 0 (NaN is true), to float32 the nearest float.
std::vector<ValuePtr> cast(const OpContext& c) {
  const Value& x = c.in(0);
  const auto to = c.node.type("DstT");
  if (!to) c.node.invalid("no DstT attribute");
  if (*to == x.dtype) return {c.inputs[0]};
  if (*to == DType::kFloat32) {
    kernels::Floats f(x.i.begin(), x.i.end());
    return {floatValue(x.shape, std::move(f))};
  }
  if (*to != DType::kInt32 && *to != DType::kBool)
    c.node.unsupported(fmt::format("a cast to {}", dtypeName(*to)));
  std::vector<int32_t> i(static_cast<size_t>(x.size()));
  for (size_t k = 0; k < i.size(); ++k) {
    if (x.dtype == DType::kFloat32) {
      i[k] = *to == DType::kBool ? (x.f[k] != 0.0f ? 1 : 0) : jsToInt32(x.f[k]);
    } else {
      i[k] = *to == DType::kBool ? (x.i[k] != 0 ? 1 : 0) : x.i[k];
    }
  }
  return {intValue(x.shape, std::move(i), *to)};
}

// Pad / PadV2: constant padding by [rank, 2] paddings with the value input (PadV2) or 0.
std::vector<ValuePtr> pad(const OpContext& c) {
  const Value& x = c.in(0);
  const auto p = c.ints(1);
  const size_t rank = x.shape.size();
  if (p.size() != 2 * rank)
    c.node.invalid(fmt::format("paddings of {} values for rank {}", p.size(), rank));
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (p[2 * d] < 0 || p[2 * d + 1] < 0) c.node.invalid("negative paddings");
    out[d] = x.shape[d] + p[2 * d] + p[2 * d + 1];
  }
  checkSize(c, out);
  double fillValue = 0;
  if (c.inputs.size() > 2) {
    const Value& v = c.in(2);
    if (v.size() != 1) c.node.invalid("a constant_values input that is not a scalar");
    fillValue = v.dtype == DType::kFloat32 ? v.f[0] : v.i[0];
  }
  auto y = std::make_shared<Value>();
  y->dtype = x.dtype;
  y->shape = out;
  const auto count = static_cast<size_t>(kernels::Array::count(out));
  if (x.dtype == DType::kFloat32) {
    y->f.assign(count, static_cast<float>(fillValue));
  } else {
    y->i.assign(count, static_cast<int32_t>(fillValue));
  }
  if (rank == 0 || x.size() == 0) return {y};
  // Row by row (the last axis is contiguous in both).
  const auto outStride = stridesOf(out);
  const int64_t row = x.shape[rank - 1];
  std::vector<int64_t> idx(rank - 1, 0);
  for (int64_t r = 0, rows = x.size() / row; r < rows; ++r) {
    int64_t at = p[2 * (rank - 1)];
    for (size_t d = 0; d + 1 < rank; ++d) at += (idx[d] + p[2 * d]) * outStride[d];
    const auto from = static_cast<size_t>(r * row), to = static_cast<size_t>(at);
    if (x.dtype == DType::kFloat32) {
      std::copy_n(x.f.begin() + from, row, y->f.begin() + to);
    } else {
      std::copy_n(x.i.begin() + from, row, y->i.begin() + to);
    }
    for (size_t d = rank - 1; d-- > 0;) {
      if (++idx[d] < x.shape[d]) break;
      idx[d] = 0;
    }
  }
  return {y};
}

std::vector<ValuePtr> fill(const OpContext& c) {
  Shape s = c.ints(0);
  checkSize(c, s);
  const Value& v = c.in(1);
  if (v.size() != 1) c.node.invalid("a value that is not a scalar");
  const auto n = static_cast<size_t>(kernels::Array::count(s));
  if (v.dtype == DType::kFloat32) return {floatValue(std::move(s), kernels::Floats(n, v.f[0]))};
  return {intValue(std::move(s), std::vector<int32_t>(n, v.i[0]), v.dtype)};
}

template <int Fill>
std::vector<ValuePtr> likeOp(const OpContext& c) {
  const Value& x = c.in(0);
  const auto n = static_cast<size_t>(x.size());
  if (x.dtype == DType::kFloat32)
    return {floatValue(x.shape, kernels::Floats(n, static_cast<float>(Fill)))};
  return {intValue(x.shape, std::vector<int32_t>(n, Fill), x.dtype)};
}

// ShapeN: each input's shape. TF.js makes them with tf.tensor1d(shape), which infers float32.
std::vector<ValuePtr> shapeN(const OpContext& c) {
  std::vector<ValuePtr> out;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    const Shape& s = c.in(k).shape;
    out.push_back(
        floatValue({static_cast<int64_t>(s.size())}, kernels::Floats(s.begin(), s.end())));
  }
  return out;
}

// Print(x, data...): x (TF.js logs the message and data; nothing is printed here).
// FakeQuantWithMinMaxVars(x, ...): x unchanged (TF.js's executor ignores the quantization).
std::vector<ValuePtr> passFirst(const OpContext& c) {
  c.in(0);
  return {c.inputs[0]};
}

constexpr OpRow kRows[] = {
    {"Identity", identity},
    {"StopGradient", identity},
    {"Snapshot", identity},
    {"PlaceholderWithDefault", identity},
    {"IdentityN", identityN},
    {"NoOp", noOp},
    {"Shape", shapeOp},
    {"Reshape", reshape},
    {"ExpandDims", expandDims},
    {"Squeeze", squeeze},
    {"Transpose", transpose},
    {"Pack", pack},
    {"ConcatV2", concatV2},
    {"Concat", concat},
    {"StridedSlice", stridedSlice},
    {"GatherV2", gatherV2},
    {"Gather", gatherV2},
    {"Cast", cast},
    {"Pad", pad},
    {"PadV2", pad},
    {"Fill", fill},
    {"ZerosLike", likeOp<0>},
    {"OnesLike", likeOp<1>},
    {"ShapeN", shapeN},
    {"Print", passFirst},
    {"FakeQuantWithMinMaxVars", passFirst},
};

}  // namespace

std::span<const OpRow> basicOps() {
  return kRows;
}

}  // namespace tfjs::graph
