// The graph ops of the transform family (MirrorPad, space / batch / depth moves, Reverse, scatter /
// gather ND, SparseToDense, EnsureShape, BroadcastArgs): ops.h. Each moves elements as TF.js 4.22's
// cpu kernels do, with their checks; an index TF.js accepts (its flat position inside the
// result) is accepted here too.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "graph/ops.h"
#include "kernels/indexing.h"

namespace tfjs::graph {
namespace {

using kernels::indexing::stridesOf;

// A value of `like`'s dtype and shape `shape` whose element k is like's element src[k], or 0
// where src[k] is -1 (padding).
ValuePtr gatherOrZero(const Value& like, Shape shape, const std::vector<int64_t>& src) {
  auto v = std::make_shared<Value>();
  v->dtype = like.dtype;
  v->shape = std::move(shape);
  if (like.dtype == DType::kFloat32) {
    v->f.resize(src.size());
    for (size_t k = 0; k < src.size(); ++k)
      v->f[k] = src[k] < 0 ? 0.0f : like.f[static_cast<size_t>(src[k])];
  } else {
    v->i.resize(src.size());
    for (size_t k = 0; k < src.size(); ++k)
      v->i[k] = src[k] < 0 ? 0 : like.i[static_cast<size_t>(src[k])];
  }
  return v;
}

int64_t product(const Shape& s, size_t from, size_t to) {
  int64_t n = 1;
  for (size_t d = from; d < to && d < s.size(); ++d) n *= s[d];
  return n;
}

// MirrorPad(x, paddings), mode REFLECT (the edge not repeated) or SYMMETRIC (repeated); TF.js
// lowercases the mode and takes paddings in [0, dim - 1] (reflect) or [0, dim] (symmetric).
std::vector<ValuePtr> mirrorPad(const OpContext& c) {
  const Value& x = c.in(0);
  const auto p = c.ints(1);
  std::string mode = c.node.string("mode");
  for (char& ch : mode) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (mode != "reflect" && mode != "symmetric") {
    c.node.invalid(fmt::format("mode '{}' (reflect or symmetric expected)", mode));
  }
  const size_t rank = x.shape.size();
  if (rank == 0) c.node.invalid("a scalar input");
  if (c.in(1).shape != Shape{static_cast<int64_t>(rank), 2}) {
    c.node.invalid(fmt::format("paddings of shape {} for rank {} ([{}, 2] expected)",
                               shapeText(c.in(1).shape), rank, rank));
  }
  const int64_t offset = mode == "reflect" ? 1 : 0;
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t before = p[2 * d], after = p[2 * d + 1], dim = x.shape[d];
    if (before < 0 || after < 0 || before > dim - offset || after > dim - offset) {
      c.node.invalid(fmt::format("paddings [{},{}] in dimension {} of size {} ({} mode)", before,
                                 after, d, dim, mode));
    }
    out[d] = before + dim + after;
  }
  checkSize(c, out);
  const auto stride = stridesOf(x.shape);
  const int64_t sym = 1 - offset;  // 1 for symmetric
  const auto src = sourcesOf(out, [&](const std::vector<int64_t>& idx) {
    int64_t pos = 0;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t dim = x.shape[d];
      int64_t k = idx[d] - p[2 * d];
      if (k < 0) {
        k = -k - sym;
      } else if (k >= dim) {
        k = 2 * (dim - 1) - k + sym;
      }
      pos += k * stride[d];
    }
    return pos;
  });
  return {gatherValue(x, out, src)};
}

// EnsureShape(x, shape): x when its shape equals `shape` exactly (TF.js compares with !==, so a
// -1 in `shape` matches nothing).
std::vector<ValuePtr> ensureShape(const OpContext& c) {
  const Value& x = c.in(0);
  const Shape want = c.ints(1);
  if (want != x.shape) {
    c.node.invalid(fmt::format("shape {} is not compatible with the expected shape {}",
                               shapeText(x.shape), shapeText(want)));
  }
  return {c.inputs[0]};
}

// The block shape (input 1) and the [m, 2] paddings / crops (input 2) of the space / batch moves.
void blockArgs(const OpContext& c, const Value& x, std::vector<int64_t>& block,
               std::vector<int64_t>& pads, const char* what) {
  block = c.ints(1);
  pads = c.ints(2);
  if (x.shape.size() < 1 + block.size()) {
    c.node.invalid(fmt::format("an input of rank {} for a block shape of {} dimensions",
                               x.shape.size(), block.size()));
  }
  // TF.js reads them as nested [m, 2] arrays: another shape is refused.
  const Shape& ps = c.in(2).shape;
  if (pads.size() != 2 * block.size() || (!pads.empty() && (ps.size() != 2 || ps[1] != 2))) {
    c.node.invalid(fmt::format("{} of shape {} for a block shape of {} dimensions", what,
                               shapeText(ps), block.size()));
  }
  int64_t prod = 1;
  for (const int64_t b : block) {
    prod *= b;
    if (b < 1 || prod > kMaxElements) {
      c.node.invalid(fmt::format("block shape [{}]", fmt::join(block, ",")));
    }
  }
  for (const int64_t q : pads) {
    if (q < 0) c.node.invalid(fmt::format("{} [{}]", what, fmt::join(pads, ",")));
  }
}

// SpaceToBatchND: x padded with zeros, each block offset (row-major over the block dimensions)
// made the major part of the output batch.
std::vector<ValuePtr> spaceToBatchND(const OpContext& c) {
  const Value& x = c.in(0);
  std::vector<int64_t> block, pads;
  blockArgs(c, x, block, pads, "paddings");
  const size_t m = block.size();
  const int64_t batch = x.shape[0];
  int64_t prod = 1;
  Shape out = x.shape;
  for (size_t i = 0; i < m; ++i) {
    const int64_t padded = x.shape[i + 1] + pads[2 * i] + pads[2 * i + 1];
    if (padded % block[i] != 0) {
      c.node.invalid(fmt::format("padded spatial dimension {} of size {} is not divisible by {}",
                                 i + 1, padded, block[i]));
    }
    out[i + 1] = padded / block[i];
    prod *= block[i];
  }
  out[0] = batch * prod;
  checkSize(c, out);
  const auto stride = stridesOf(x.shape);
  const auto src = sourcesOf(out, [&](const std::vector<int64_t>& idx) {
    const int64_t b = idx[0] % batch;
    int64_t off = idx[0] / batch;
    int64_t pos = b * stride[0];
    for (size_t i = m; i-- > 0;) {
      const int64_t o = off % block[i];
      off /= block[i];
      const int64_t k = idx[i + 1] * block[i] + o - pads[2 * i];
      if (k < 0 || k >= x.shape[i + 1]) return int64_t{-1};
      pos += k * stride[i + 1];
    }
    for (size_t d = m + 1; d < idx.size(); ++d) pos += idx[d] * stride[d];
    return pos;
  });
  return {gatherOrZero(x, out, src)};
}

// BatchToSpaceND: the inverse of SpaceToBatchND, cropped.
std::vector<ValuePtr> batchToSpaceND(const OpContext& c) {
  const Value& x = c.in(0);
  std::vector<int64_t> block, crops;
  blockArgs(c, x, block, crops, "crops");
  const size_t m = block.size();
  if (m == 0) c.node.invalid("an empty block shape");  // TF.js: reduce of an empty array
  int64_t prod = 1;
  for (const int64_t b : block) prod *= b;
  if (x.shape[0] % prod != 0) {
    c.node.invalid(
        fmt::format("batch {} is not divisible by the block size product {}", x.shape[0], prod));
  }
  const int64_t batch = x.shape[0] / prod;
  Shape out = x.shape;
  out[0] = batch;
  for (size_t i = 0; i < m; ++i) {
    const int64_t full = x.shape[i + 1] * block[i];
    if (crops[2 * i] + crops[2 * i + 1] > full) {
      c.node.invalid(
          fmt::format("crops [{},{}] for a dimension of {}", crops[2 * i], crops[2 * i + 1], full));
    }
    out[i + 1] = full - crops[2 * i] - crops[2 * i + 1];
  }
  checkSize(c, out);
  const auto stride = stridesOf(x.shape);
  const auto src = sourcesOf(out, [&](const std::vector<int64_t>& idx) {
    int64_t pos = 0, off = 0;
    for (size_t i = 0; i < m; ++i) {
      const int64_t f = idx[i + 1] + crops[2 * i];
      off = off * block[i] + f % block[i];
      pos += (f / block[i]) * stride[i + 1];
    }
    pos += (off * batch + idx[0]) * stride[0];
    for (size_t d = m + 1; d < idx.size(); ++d) pos += idx[d] * stride[d];
    return pos;
  });
  return {gatherValue(x, out, src)};
}

// DepthToSpace, NHWC only (TF.js's cpu kernel refuses NCHW; an absent data_format fails in TF.js's
// executor).
std::vector<ValuePtr> depthToSpace(const OpContext& c) {
  const Value& x = c.in(0);
  const int64_t bs = c.node.integer("block_size", 0);
  std::string format = c.node.string("data_format");
  for (char& ch : format) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (format != "NHWC") c.node.invalid(fmt::format("data_format '{}' (NHWC only)", format));
  if (x.shape.size() != 4) c.node.invalid(fmt::format("an input of shape {}", shapeText(x.shape)));
  if (bs <= 1) c.node.invalid(fmt::format("block_size {} (> 1 expected)", bs));
  const int64_t depth = x.shape[3];
  if (depth % (bs * bs) != 0) {
    c.node.invalid(fmt::format("depth {} is not divisible by {}", depth, bs * bs));
  }
  const int64_t outD = depth / (bs * bs);
  const Shape out = {x.shape[0], x.shape[1] * bs, x.shape[2] * bs, outD};
  checkSize(c, out);
  const auto stride = stridesOf(x.shape);
  const auto src = sourcesOf(out, [&](const std::vector<int64_t>& idx) {
    const int64_t h = idx[1], w = idx[2];
    const int64_t d = idx[3] + ((h % bs) * bs + w % bs) * outD;
    return idx[0] * stride[0] + (h / bs) * stride[1] + (w / bs) * stride[2] + d;
  });
  return {gatherValue(x, out, src)};
}

// BroadcastArgs(s0, s1): the broadcast of two shapes (a 1 takes the other's size).
std::vector<ValuePtr> broadcastArgs(const OpContext& c) {
  if (c.in(0).shape.size() != 1 || c.in(1).shape.size() != 1) {
    c.node.invalid(fmt::format("shapes of rank {} and {} (vectors expected)", c.in(0).shape.size(),
                               c.in(1).shape.size()));
  }
  const auto a = c.ints(0), b = c.ints(1);
  const size_t n = std::max(a.size(), b.size());
  std::vector<int32_t> out(n);
  for (size_t k = 0; k < n; ++k) {
    const int64_t x = k < a.size() ? a[a.size() - 1 - k] : 1;
    const int64_t y = k < b.size() ? b[b.size() - 1 - k] : 1;
    if (x != 1 && y != 1 && x != y) {
      c.node.invalid(fmt::format("shapes [{}] and [{}] do not broadcast", fmt::join(a, ","),
                                 fmt::join(b, ",")));
    }
    out[n - 1 - k] = static_cast<int32_t>(x == 1 ? y : x);
  }
  return {intValue({static_cast<int64_t>(n)}, std::move(out))};
}

// Reverse along `axes` (each in [-rank, rank)); TF.js flips once per listed axis, so an axis
// listed twice is not reversed.
ValuePtr reversed(const OpContext& c, const Value& x, const std::vector<int64_t>& axes) {
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<bool> flip(x.shape.size(), false);
  for (const int64_t a : axes) {
    if (a < -rank || a >= rank) {
      c.node.invalid(fmt::format("axis {} is out of range for rank {}", a, rank));
    }
    const auto d = static_cast<size_t>(a < 0 ? a + rank : a);
    flip[d] = !flip[d];
  }
  const auto stride = stridesOf(x.shape);
  const auto src = sourcesOf(x.shape, [&](const std::vector<int64_t>& idx) {
    int64_t pos = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      pos += (flip[d] ? x.shape[d] - 1 - idx[d] : idx[d]) * stride[d];
    return pos;
  });
  return gatherValue(x, x.shape, src);
}

std::vector<ValuePtr> reverse(const OpContext& c) {  // Reverse(x, dims): a bool per axis
  const auto dims = c.ints(1);
  std::vector<int64_t> axes;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] != 0) axes.push_back(static_cast<int64_t>(d));
  }
  return {reversed(c, c.in(0), axes)};
}

std::vector<ValuePtr> reverseV2(const OpContext& c) {
  return {reversed(c, c.in(0), c.ints(1))};
}

// GatherNd(params, indices): slices of params at the index rows of `indices` (int32). TF.js
// checks only that a row's flat slice position lies inside params.
std::vector<ValuePtr> gatherNd(const OpContext& c) {
  const Value& x = c.in(0);
  const Value& idx = c.in(1);
  if (x.shape.empty()) c.node.invalid("a scalar params input");
  if (idx.shape.empty()) c.node.invalid("scalar indices");
  if (idx.dtype != DType::kInt32) {
    c.node.invalid(fmt::format("indices of dtype {} (int32 expected)", dtypeName(idx.dtype)));
  }
  const auto sliceRank = static_cast<size_t>(idx.shape.back());
  if (sliceRank > x.shape.size()) {
    c.node.invalid(
        fmt::format("index rows of length {} for params of rank {}", sliceRank, x.shape.size()));
  }
  if (x.size() == 0) c.node.invalid(fmt::format("empty params {}", shapeText(x.shape)));
  Shape out(idx.shape.begin(), idx.shape.end() - 1);
  const int64_t n = kernels::Array::count(out);
  const int64_t sliceSize = product(x.shape, sliceRank, x.shape.size());
  out.insert(out.end(), x.shape.begin() + static_cast<std::ptrdiff_t>(sliceRank), x.shape.end());
  checkSize(c, out);
  const int64_t slices = x.size() / sliceSize;
  std::vector<int64_t> src;
  src.reserve(static_cast<size_t>(n * sliceSize));
  for (int64_t r = 0; r < n; ++r) {
    int64_t flat = 0;
    for (size_t j = 0; j < sliceRank; ++j) {
      flat += idx.i[static_cast<size_t>(r) * sliceRank + j] * product(x.shape, j + 1, sliceRank);
    }
    if (flat < 0 || flat >= slices) {
      c.node.invalid(fmt::format("index row {} does not index into {}", r, shapeText(x.shape)));
    }
    for (int64_t k = 0; k < sliceSize; ++k) src.push_back(flat * sliceSize + k);
  }
  return {gatherValue(x, out, src)};
}

// TF.js's scatter_nd_util.validateInput: updates.shape = indices.shape[:-1] + shape[sliceDim:].
void checkScatter(const OpContext& c, const Value& idx, const Value& upd, const Shape& shape) {
  if (idx.shape.empty()) c.node.invalid("scalar indices (rank 1 or higher expected)");
  if (upd.shape.empty()) c.node.invalid("scalar updates (rank 1 or higher expected)");
  if (idx.dtype != DType::kInt32) {
    c.node.invalid(fmt::format("indices of dtype {} (int32 expected)", dtypeName(idx.dtype)));
  }
  if (shape.empty()) c.node.invalid("an output of rank 0");
  const size_t sliceDim = idx.shape.size() > 1 ? static_cast<size_t>(idx.shape.back()) : 1;
  const size_t batchDim = idx.shape.size() > 1 ? idx.shape.size() - 1 : 1;
  const auto bad = [&] {
    c.node.invalid(fmt::format("updates of shape {} for indices {} and shape {}",
                               shapeText(upd.shape), shapeText(idx.shape), shapeText(shape)));
  };
  if (upd.shape.size() < batchDim || sliceDim > shape.size() ||
      upd.shape.size() != batchDim + shape.size() - sliceDim) {
    bad();
  }
  for (size_t d = 0; d < batchDim; ++d) {
    if (upd.shape[d] != idx.shape[d]) bad();
  }
  for (size_t d = 0; d + batchDim < upd.shape.size(); ++d) {
    if (upd.shape[d + batchDim] != shape[d + sliceDim]) bad();
  }
}

// Scatters the rows of `values` (one value when `scalar`) into `out` (shape `shape`) at the index
// rows of `idx`, adding (`sum`) or replacing: TF.js's scatterImpl.
void scatter(const OpContext& c, const Value& idx, const Value& values, const Shape& shape,
             bool sum, bool scalar, Value& out) {
  const size_t sliceRank = idx.shape.size() > 1 ? static_cast<size_t>(idx.shape.back()) : 1;
  const int64_t sliceSize = product(shape, sliceRank, shape.size());
  const int64_t outSize = kernels::Array::count(shape);
  if (outSize == 0) return;
  const int64_t rows = idx.size() / static_cast<int64_t>(std::max<size_t>(sliceRank, 1));
  const int64_t slices = outSize / sliceSize;
  if (!scalar && rows * sliceSize > values.size()) {
    c.node.invalid(fmt::format("{} values for {} slices of {}", values.size(), rows, sliceSize));
  }
  for (int64_t r = 0; r < rows; ++r) {
    int64_t flat = 0;
    std::vector<int64_t> row;
    for (size_t j = 0; j < sliceRank; ++j) {
      const int64_t v = idx.i[static_cast<size_t>(r) * sliceRank + j];
      row.push_back(v);
      flat += v * product(shape, j + 1, sliceRank);
    }
    if (flat < 0 || flat >= slices) {
      c.node.invalid(
          fmt::format("indices [{}] do not index into {}", fmt::join(row, ","), shapeText(shape)));
    }
    for (int64_t k = 0; k < sliceSize; ++k) {
      const auto to = static_cast<size_t>(flat * sliceSize + k);
      const auto from = static_cast<size_t>(scalar ? 0 : r * sliceSize + k);
      if (out.dtype == DType::kFloat32) {
        out.f[to] = sum ? out.f[to] + values.f[from] : values.f[from];
      } else {
        out.i[to] = sum ? static_cast<int32_t>(static_cast<uint32_t>(out.i[to]) +
                                               static_cast<uint32_t>(values.i[from]))
                        : values.i[from];
      }
    }
  }
}

// A value of `dtype` and `shape` filled with `fill`.
std::shared_ptr<Value> filled(DType dtype, const Shape& shape, double fill) {
  auto v = std::make_shared<Value>();
  v->dtype = dtype;
  v->shape = shape;
  const auto n = static_cast<size_t>(kernels::Array::count(shape));
  if (dtype == DType::kFloat32) {
    v->f.assign(n, static_cast<float>(fill));
  } else {  // JS ToInt32: truncated, modulo 2^32
    const double t = std::isfinite(fill) ? std::fmod(std::trunc(fill), 4294967296.0) : 0;
    v->i.assign(n, static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(t))));
  }
  return v;
}

// ScatterNd(indices, updates, shape): zeros with updates added at the indices (duplicates sum).
std::vector<ValuePtr> scatterNd(const OpContext& c) {
  const Value& idx = c.in(0);
  const Value& upd = c.in(1);
  const Shape shape = c.ints(2);
  checkSize(c, shape);
  checkScatter(c, idx, upd, shape);
  auto out = filled(upd.dtype, shape, 0);
  scatter(c, idx, upd, shape, true, false, *out);
  return {out};
}

// TensorScatterUpdate(tensor, indices, updates): a copy of tensor with the slices at the indices
// replaced (the last of duplicates wins).
std::vector<ValuePtr> tensorScatterUpdate(const OpContext& c) {
  const Value& t = c.in(0);
  const Value& idx = c.in(1);
  const Value& upd = c.in(2);
  checkScatter(c, idx, upd, t.shape);
  if (t.dtype != upd.dtype) {
    c.node.invalid(fmt::format("tensor and updates of dtypes {} and {}", dtypeName(t.dtype),
                               dtypeName(upd.dtype)));
  }
  auto out = std::make_shared<Value>(t);
  scatter(c, idx, upd, t.shape, false, false, *out);
  return {out};
}

// SparseToDense(indices, output_shape, values, default): `default` (cast to the values' dtype, as
// TF.js's executor does) with the values set at the indices (scalar values: that one everywhere).
std::vector<ValuePtr> sparseToDense(const OpContext& c) {
  const Value& idx = c.in(0);
  const Shape shape = c.ints(1);
  const Value& values = c.in(2);
  const Value& def = c.in(3);
  checkSize(c, shape);
  if (idx.dtype != DType::kInt32) {
    c.node.invalid(fmt::format("indices of dtype {} (int32 expected)", dtypeName(idx.dtype)));
  }
  if (idx.shape.size() > 2)
    c.node.invalid(fmt::format("indices of shape {}", shapeText(idx.shape)));
  const int64_t numElems = idx.shape.empty() ? 1 : idx.shape[0];
  const int64_t numDims = idx.shape.size() > 1 ? idx.shape[1] : 1;
  if (static_cast<int64_t>(shape.size()) != numDims) {
    c.node.invalid(
        fmt::format("an output shape of {} dimensions for indices of {}", shape.size(), numDims));
  }
  if (!(values.shape.empty() || (values.shape.size() == 1 && values.size() == numElems))) {
    c.node.invalid(
        fmt::format("values of shape {} (expected [] or [{}])", shapeText(values.shape), numElems));
  }
  // The default: its first element (NaN / 0 when empty); float to int32 truncates, to bool is
  // != 0.
  double d = values.dtype == DType::kFloat32 ? std::numeric_limits<double>::quiet_NaN() : 0;
  if (def.size() > 0) d = def.dtype == DType::kFloat32 ? def.f[0] : def.i[0];
  if (values.dtype == DType::kBool) {
    d = d != 0 ? 1 : 0;
  }
  auto out = filled(values.dtype, shape, d);
  if (values.dtype == DType::kFloat32 && def.size() == 0) {
    std::fill(out->f.begin(), out->f.end(), std::numeric_limits<float>::quiet_NaN());
  }
  scatter(c, idx, values, shape, false, values.shape.empty(), *out);
  return {out};
}

constexpr OpRow kRows[] = {
    {"MirrorPad", mirrorPad},
    {"EnsureShape", ensureShape},
    {"SpaceToBatchND", spaceToBatchND},
    {"BatchToSpaceND", batchToSpaceND},
    {"DepthToSpace", depthToSpace},
    {"BroadcastArgs", broadcastArgs},
    {"Reverse", reverse},
    {"ReverseV2", reverseV2},
    {"GatherNd", gatherNd},
    {"ScatterNd", scatterNd},
    {"TensorScatterUpdate", tensorScatterUpdate},
    {"SparseToDense", sparseToDense},
};

}  // namespace

std::span<const OpRow> transformOps() {
  return kRows;
}

}  // namespace tfjs::graph
