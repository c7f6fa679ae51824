// Graph ops of tfjs-converter's slice_join and creation families that cut, repeat or make
// values: Slice, Split, SplitV, Unpack, Tile, BroadcastTo, Range, OneHot, Size, Rank. Every
// dtype moves alike (gatherValue); Range and OneHot make values as TF.js's range / oneHot do.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "graph/ops.h"
#include "kernels/indexing.h"
#include "kernels/kernels.h"

namespace tfjs::graph {
namespace {

using kernels::indexing::stridesOf;

// The block of x starting at `begin` with sizes `size` (every axis), in row-major order.
ValuePtr block(const Value& x, const std::vector<int64_t>& begin, const Shape& size) {
  const auto stride = stridesOf(x.shape);
  const auto src = sourcesOf(size, [&](const std::vector<int64_t>& idx) {
    int64_t pos = 0;
    for (size_t d = 0; d < size.size(); ++d) pos += (begin[d] + idx[d]) * stride[d];
    return pos;
  });
  return gatherValue(x, size, src);
}

std::vector<ValuePtr> slice(const OpContext& c) {
  const Value& x = c.in(0);
  const auto begin = c.ints(1);
  auto size = c.ints(2);
  if (begin.size() != x.shape.size() || size.size() != x.shape.size()) {
    c.node.invalid(fmt::format("begin / size of lengths {} / {} for rank {}", begin.size(),
                               size.size(), x.shape.size()));
  }
  for (size_t d = 0; d < size.size(); ++d) {
    if (size[d] == -1) size[d] = x.shape[d] - begin[d];
    if (begin[d] < 0 || size[d] < 0 || begin[d] + size[d] > x.shape[d]) {
      c.node.invalid(fmt::format("a slice [{}] of size [{}] outside shape {}",
                                 fmt::join(begin, ","), fmt::join(size, ","), shapeText(x.shape)));
    }
  }
  return {block(x, begin, size)};
}

// Pieces of x along `axis` of the given sizes.
std::vector<ValuePtr> pieces(const OpContext& c, const Value& x, int64_t axis,
                             const std::vector<int64_t>& sizes) {
  std::vector<ValuePtr> out;
  std::vector<int64_t> begin(x.shape.size(), 0);
  for (const int64_t s : sizes) {
    Shape size = x.shape;
    size[static_cast<size_t>(axis)] = s;
    out.push_back(block(x, begin, size));
    begin[static_cast<size_t>(axis)] += s;
  }
  (void)c;
  return out;
}

std::vector<ValuePtr> split(const OpContext& c) {  // Split(axis, value), num_split
  const auto axes = c.ints(0);
  const Value& x = c.in(1);
  if (axes.size() != 1) c.node.invalid("an axis input that is not one integer");
  const int64_t axis = resolveAxis(c, axes[0], static_cast<int64_t>(x.shape.size()));
  const int64_t n = c.node.integer("num_split", 1);
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  // An empty axis splits into any number of empty pieces; more than 2^16 of them is refused
  // rather than made.
  if (n <= 0 || dim % n != 0 || n > std::max<int64_t>(dim, int64_t{1} << 16)) {
    c.node.invalid(fmt::format("{} does not split into {} parts", dim, n));
  }
  return pieces(c, x, axis, std::vector<int64_t>(static_cast<size_t>(n), dim / n));
}

std::vector<ValuePtr> splitV(const OpContext& c) {  // SplitV(value, size_splits, axis)
  const Value& x = c.in(0);
  auto sizes = c.ints(1);
  const auto axes = c.ints(2);
  if (axes.size() != 1) c.node.invalid("an axis input that is not one integer");
  const int64_t axis = resolveAxis(c, axes[0], static_cast<int64_t>(x.shape.size()));
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  int64_t known = 0, unknown = -1;
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (sizes[k] == -1 && unknown < 0) {
      unknown = static_cast<int64_t>(k);
    } else if (sizes[k] < 0) {
      c.node.invalid(fmt::format("size_splits [{}]", fmt::join(sizes, ",")));
    } else {
      known += sizes[k];
    }
  }
  if (unknown >= 0) sizes[static_cast<size_t>(unknown)] = dim - known;
  if ((unknown >= 0 && known > dim) || (unknown < 0 && known != dim)) {
    c.node.invalid(fmt::format("size_splits [{}] for an axis of {}", fmt::join(sizes, ","), dim));
  }
  return pieces(c, x, axis, sizes);
}

std::vector<ValuePtr> unpack(const OpContext& c) {
  const Value& x = c.in(0);
  const int64_t axis =
      resolveAxis(c, c.node.integer("axis", 0), static_cast<int64_t>(x.shape.size()));
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  std::vector<ValuePtr> out = pieces(c, x, axis, std::vector<int64_t>(static_cast<size_t>(dim), 1));
  for (ValuePtr& v : out) {
    auto squeezed = std::make_shared<Value>(*v);
    squeezed->shape.erase(squeezed->shape.begin() + axis);
    v = squeezed;
  }
  return out;
}

// x repeated: output element k reads x at (k's index modulo x's shape).
ValuePtr repeat(const Value& x, const Shape& out) {
  const auto stride = stridesOf(x.shape);
  const size_t pad = out.size() - x.shape.size();
  const auto src = sourcesOf(out, [&](const std::vector<int64_t>& idx) {
    int64_t pos = 0;
    for (size_t d = pad; d < out.size(); ++d) pos += (idx[d] % x.shape[d - pad]) * stride[d - pad];
    return pos;
  });
  return gatherValue(x, out, src);
}

std::vector<ValuePtr> tile(const OpContext& c) {
  const Value& x = c.in(0);
  const auto reps = c.ints(1);
  if (reps.size() != x.shape.size()) {
    c.node.invalid(fmt::format("{} multiples for rank {}", reps.size(), x.shape.size()));
  }
  Shape out = x.shape;
  for (size_t d = 0; d < out.size(); ++d) {
    if (reps[d] < 0) c.node.invalid(fmt::format("multiples [{}]", fmt::join(reps, ",")));
    out[d] *= reps[d];
  }
  checkSize(c, out);
  return {repeat(x, out)};
}

std::vector<ValuePtr> broadcastTo(const OpContext& c) {
  const Value& x = c.in(0);
  const Shape to = c.ints(1);
  if (!kernels::broadcastsTo(x.shape, to)) {
    c.node.invalid(
        fmt::format("shape {} does not broadcast to {}", shapeText(x.shape), shapeText(to)));
  }
  checkSize(c, to);
  return {repeat(x, to)};
}

double scalarOf(const OpContext& c, size_t k) {
  const Value& v = c.in(k);
  if (v.size() != 1) c.node.invalid(fmt::format("input {} is not a scalar", k));
  return v.dtype == DType::kFloat32 ? v.f[0] : v.i[0];
}

// Range(start, limit, delta): ceil((limit - start) / delta) values, as TF.js's range.
std::vector<ValuePtr> range(const OpContext& c) {
  const double start = scalarOf(c, 0), limit = scalarOf(c, 1), delta = scalarOf(c, 2);
  if (delta == 0) c.node.invalid("a delta of 0");
  const double n = std::max(0.0, std::ceil((limit - start) / delta));
  if (!(n <= static_cast<double>(kMaxElements))) {
    c.node.invalid(fmt::format("a range of {} values (limit {})", n, kMaxElements));
  }
  const auto count = static_cast<size_t>(n);
  const DType dtype = c.in(0).dtype == DType::kFloat32 ? DType::kFloat32 : DType::kInt32;
  if (dtype == DType::kFloat32) {
    kernels::Floats f(count);
    for (size_t k = 0; k < count; ++k)
      f[k] = static_cast<float>(start + static_cast<double>(k) * delta);
    return {floatValue({static_cast<int64_t>(count)}, std::move(f))};
  }
  std::vector<int32_t> i(count);
  for (size_t k = 0; k < count; ++k)
    i[k] = static_cast<int32_t>(start + static_cast<double>(k) * delta);
  return {intValue({static_cast<int64_t>(count)}, std::move(i))};
}

// OneHot(indices, depth, on, off), axis -1 (the one TF.js takes; another is refused): an index
// outside [0, depth) gives a row of `off`.
std::vector<ValuePtr> oneHot(const OpContext& c) {
  const Value& idx = c.in(0);
  const auto depth = static_cast<int64_t>(scalarOf(c, 1));
  const double on = scalarOf(c, 2), off = scalarOf(c, 3);
  if (c.node.integer("axis", -1) != -1) c.node.unsupported("an axis other than -1");
  if (depth < 0) c.node.invalid(fmt::format("a depth of {}", depth));
  Shape out = idx.shape;
  out.push_back(depth);
  checkSize(c, out);
  // The output dtype is attribute T (TF.js's op list), int32 when absent (tf.oneHot's default).
  const DType dtype = c.node.type("T").value_or(DType::kInt32);
  const auto n = static_cast<size_t>(kernels::Array::count(out));
  auto y = std::make_shared<Value>();
  y->dtype = dtype;
  y->shape = out;
  if (dtype == DType::kFloat32) {
    y->f.assign(n, static_cast<float>(off));
  } else {
    y->i.assign(n, static_cast<int32_t>(off));
  }
  for (int64_t k = 0; k < idx.size(); ++k) {
    const int64_t j = idx.dtype == DType::kFloat32
                          ? static_cast<int64_t>(idx.f[static_cast<size_t>(k)])
                          : idx.i[static_cast<size_t>(k)];
    if (j < 0 || j >= depth) continue;
    const auto at = static_cast<size_t>(k * depth + j);
    if (dtype == DType::kFloat32) {
      y->f[at] = static_cast<float>(on);
    } else {
      y->i[at] = static_cast<int32_t>(on);
    }
  }
  return {y};
}

std::vector<ValuePtr> size(const OpContext& c) {
  return {intValue({}, {static_cast<int32_t>(c.in(0).size())})};
}

std::vector<ValuePtr> rank(const OpContext& c) {
  return {intValue({}, {static_cast<int32_t>(c.in(0).shape.size())})};
}

constexpr OpRow kRows[] = {
    {"Slice", slice},   {"Split", split},   {"SplitV", splitV},
    {"Unpack", unpack}, {"Tile", tile},     {"BroadcastTo", broadcastTo},
    {"Range", range},   {"OneHot", oneHot}, {"Size", size},
    {"Rank", rank},
};

}  // namespace

std::span<const OpRow> sliceOps() {
  return kRows;
}

}  // namespace tfjs::graph
