// The graph ops of the ragged family, as TensorFlow runs them. TF.js 4.22's op list has them
// (tfjs-converter's op_list/ragged.ts) and tfjs-core / tfjs-backend-cpu have their kernels
// (tf.raggedGather, tf.raggedRange, tf.raggedTensorToTensor), but its OperationMapper does not
// load the ragged list: a graph model with these ops fails to load in TF.js ("Unknown op"). The
// oracle cases (tests/oracle/graph_ops/text.mjs) check them against those kernels called
// directly; where TF.js's kernels or op list are wrong, tfjs-cpp follows TensorFlow:
//  - RaggedGather: every nested splits input (TF.js's op list would drop the last one, start 0
//    end -3); the output splits then the dense values (numeric: strings are refused before the
//    op runs, as TF.js's tf.raggedGather refuses them). A nested splits' last value may not
//    pass the next splits' row count (TF.js checks its length and then reads past its end).
//  - RaggedRange: splits and values of starts / limits / deltas (scalars broadcast).
//  - RaggedTensorToTensor: row_partition_types read as written (TF.js's converter lowercases
//    string list attributes, which its kernel would not recognise); the output shape combined as
//    TensorFlow does (TF.js's combineRaggedTensorToTensorShapes uses an inner dimension's value
//    as an index into the shape, and refuses the scalar -1 shape, TensorFlow's unknown rank);
//    the default value broadcast into every unfilled element (TF.js leaves a non-scalar
//    default's elements 0); values the partitions do not describe, or value_rowids out of
//    order, refused (TF.js ignores extra values, reads NaN past the end, places rows anyhow).
// Bad inputs (splits that decrease or point past the values, indices or row ids out of range,
// negative sizes, outputs over the element limit) are Node::invalid.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "graph/ops.h"

namespace tfjs::graph {
namespace {

const Value& int32In(const OpContext& c, size_t k) {
  const Value& v = c.in(k);
  if (v.dtype != DType::kInt32) {
    c.node.invalid(fmt::format("input {} must be int32, got {}", k, dtypeName(v.dtype)));
  }
  return v;
}

const Value& numericIn(const OpContext& c, size_t k) {
  const Value& v = c.in(k);
  if (v.dtype == DType::kString || v.dtype == DType::kComplex64 || v.table || v.list || v.array) {
    c.node.invalid(fmt::format("input {} must be numeric, got {}", k, dtypeName(v.dtype)));
  }
  return v;
}

// A float32, int32 or bool value of `like`'s dtype whose element k is like's element src[k];
// where src[k] is -1, element k % dflt.size() of `dflt` (one element's default, repeated), or 0.
ValuePtr pick(const Value& like, Shape shape, const std::vector<int64_t>& src,
              const Value* dflt = nullptr) {
  auto v = std::make_shared<Value>();
  v->dtype = like.dtype;
  v->shape = std::move(shape);
  const bool isFloat = like.dtype == DType::kFloat32;
  if (isFloat) v->f.resize(src.size());
  if (!isFloat) v->i.resize(src.size());
  const size_t dn = dflt ? static_cast<size_t>(dflt->size()) : 1;
  for (size_t k = 0; k < src.size(); ++k) {
    if (src[k] >= 0) {
      if (isFloat) v->f[k] = like.f[static_cast<size_t>(src[k])];
      if (!isFloat) v->i[k] = like.i[static_cast<size_t>(src[k])];
    } else if (dflt) {
      if (isFloat) v->f[k] = dflt->f[k % dn];
      if (!isFloat) v->i[k] = dflt->i[k % dn];
    }
  }
  return v;
}

std::vector<ValuePtr> raggedGather(const OpContext& c) {
  const size_t n = c.inputs.size();
  if (n < 3) c.node.invalid("paramsNestedSplits must be non empty");
  if (const int64_t want = c.node.integer("PARAMS_RAGGED_RANK", static_cast<int64_t>(n - 2));
      want != static_cast<int64_t>(n - 2)) {
    c.node.invalid(
        fmt::format("PARAMS_RAGGED_RANK is {}, the node has {} nested splits", want, n - 2));
  }
  const Value& values = c.in(n - 2);
  if (values.table || values.list || values.array) c.node.invalid("params must be a tensor");
  const Value& indices = int32In(c, n - 1);
  std::vector<std::vector<int64_t>> splits;
  for (size_t k = 0; k + 2 < n; ++k) {
    const Value& s = int32In(c, k);
    if (s.shape.size() != 1) c.node.invalid("Split tensors must be vectors");
    splits.emplace_back(s.i.begin(), s.i.end());
  }
  const int64_t numParams = static_cast<int64_t>(splits[0].size()) - 1;
  for (size_t k = 0; k < indices.i.size(); ++k) {
    if (indices.i[k] < 0 || indices.i[k] >= numParams) {
      c.node.invalid(fmt::format("indices[{}] = {} is not in [0, {})", k, indices.i[k], numParams));
    }
  }
  if (values.shape.empty()) c.node.invalid("params.rank must be nonzero");
  for (size_t d = 0; d < splits.size(); ++d) {
    const auto& s = splits[d];
    const int64_t last =
        d + 1 == splits.size() ? values.shape[0] : static_cast<int64_t>(splits[d + 1].size()) - 1;
    if (s.empty()) c.node.invalid("Ragged splits may not be empty");
    if (s[0] < 0) c.node.invalid("Ragged splits must be non-negative");
    if (s.back() > last) c.node.invalid("Ragged splits must not point past values");
    for (size_t i = 1; i < s.size(); ++i) {
      if (s[i - 1] > s[i]) c.node.invalid("Ragged splits must be sorted in ascending order");
    }
  }
  const auto indicesRank = static_cast<int64_t>(indices.shape.size());
  const int64_t outSplitCount = indicesRank - 1 + static_cast<int64_t>(splits.size());
  if (outSplitCount < 0) c.node.invalid("a scalar index of ragged rank 0 params");
  if (const int64_t want = c.node.integer("OUTPUT_RAGGED_RANK", outSplitCount);
      want != outSplitCount) {
    c.node.invalid(fmt::format("OUTPUT_RAGGED_RANK is {}, the output has ragged rank {}", want,
                               outSplitCount));
  }
  // The rows each index takes at each level: [start, limit) of the level's splits, then of the
  // values. Every bound is checked above: start <= limit, both within the next level.
  const auto walk = [&](int32_t index, auto&& level) {
    int64_t start = index, limit = index + 1;
    for (size_t d = 0; d < splits.size(); ++d) {
      level(d, start, limit);
      start = splits[d][static_cast<size_t>(start)];
      limit = splits[d][static_cast<size_t>(limit)];
    }
    return std::pair{start, limit};
  };
  // The outputs' sizes first: a gather that repeats big rows is refused before it is built.
  std::vector<double> sizes(static_cast<size_t>(outSplitCount), 1);
  double rows = 1, numValues = 0;
  for (int64_t d = 0; d + 1 < indicesRank; ++d) {
    rows *= static_cast<double>(indices.shape[d]);
    sizes[static_cast<size_t>(d)] += rows;
  }
  for (const int32_t index : indices.i) {
    const auto [start, limit] = walk(index, [&](size_t d, int64_t b, int64_t e) {
      const int64_t outDim = static_cast<int64_t>(d) + indicesRank - 1;
      if (outDim >= 0) sizes[static_cast<size_t>(outDim)] += static_cast<double>(e - b);
    });
    numValues += static_cast<double>(limit - start);
  }
  for (const double size : sizes) {
    if (size > static_cast<double>(kMaxElements)) {
      c.node.invalid(fmt::format("an output splits of {:.0f} elements, over the limit of {}", size,
                                 kMaxElements));
    }
  }
  if (numValues > static_cast<double>(kMaxElements)) {
    c.node.invalid(
        fmt::format("{:.0f} output values, over the limit of {}", numValues, kMaxElements));
  }
  Shape vshape = values.shape;
  vshape[0] = static_cast<int64_t>(numValues);
  checkSize(c, vshape);

  std::vector<std::vector<int32_t>> out(static_cast<size_t>(outSplitCount), {0});
  int64_t outer = 1;
  for (int64_t d = 0; d + 1 < indicesRank; ++d) {  // the index tensor's own (uniform) rows
    outer *= indices.shape[d];
    for (int64_t i = 1; i <= outer; ++i) {
      out[static_cast<size_t>(d)].push_back(static_cast<int32_t>(i * indices.shape[d + 1]));
    }
  }
  const int64_t inner = values.shape[0] == 0 ? 0 : values.size() / values.shape[0];
  std::vector<int64_t> src;
  src.reserve(static_cast<size_t>(kernels::Array::count(vshape)));
  for (const int32_t index : indices.i) {
    const auto [start, limit] = walk(index, [&](size_t d, int64_t b, int64_t e) {
      const int64_t outDim = static_cast<int64_t>(d) + indicesRank - 1;
      if (outDim < 0) return;
      auto& o = out[static_cast<size_t>(outDim)];
      const auto& s = splits[d];
      const int64_t delta = o.back() - s[static_cast<size_t>(b)];
      for (int64_t j = b; j < e; ++j) {
        o.push_back(static_cast<int32_t>(s[static_cast<size_t>(j + 1)] + delta));
      }
    });
    for (int64_t k = start * inner; k < limit * inner; ++k) src.push_back(k);
  }
  std::vector<ValuePtr> result;
  for (auto& o : out) {
    const auto len = static_cast<int64_t>(o.size());
    result.push_back(intValue({len}, std::move(o)));
  }
  result.push_back(gatherValue(values, vshape, src));
  return result;
}

std::vector<ValuePtr> raggedRange(const OpContext& c) {
  const Value& starts = numericIn(c, 0);
  const Value& limits = numericIn(c, 1);
  const Value& deltas = numericIn(c, 2);
  if (starts.dtype != DType::kFloat32 && starts.dtype != DType::kInt32) {
    c.node.invalid(fmt::format("starts must be float32 or int32, got {}", dtypeName(starts.dtype)));
  }
  if (limits.dtype != starts.dtype || deltas.dtype != starts.dtype) {
    c.node.invalid("starts, limits and deltas must have one dtype");
  }
  const Value* in[] = {&starts, &limits, &deltas};
  const char* names[] = {"starts", "limits", "deltas"};
  int64_t rows = -1;
  for (size_t k = 0; k < 3; ++k) {
    if (in[k]->shape.size() > 1)
      c.node.invalid(fmt::format("{} must be a scalar or vector", names[k]));
    if (in[k]->shape.size() == 1) {
      if (rows >= 0 && rows != in[k]->shape[0]) {
        c.node.invalid("starts, limits, and deltas must have the same shape");
      }
      rows = in[k]->shape[0];
    }
  }
  if (rows < 0) rows = 1;
  const bool isFloat = starts.dtype == DType::kFloat32;
  const auto at = [&](const Value& v, int64_t r) {
    const auto k = v.shape.empty() ? size_t{0} : static_cast<size_t>(r);
    return isFloat ? static_cast<double>(v.f[k]) : v.i[k];
  };
  std::vector<int32_t> splits(static_cast<size_t>(rows) + 1, 0);
  double total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const double start = at(starts, r), limit = at(limits, r), delta = at(deltas, r);
    if (delta == 0) c.node.invalid("Requires delta != 0");
    double size = 0;
    if (!((delta > 0 && limit < start) || (delta < 0 && limit > start))) {
      size = std::ceil(std::abs((limit - start) / delta));
      if (std::isnan(size)) c.node.invalid(fmt::format("row {}: a range with a NaN bound", r));
      if (size > 2147483647.0) c.node.invalid("Requires ((limit - start) / delta) <= 2147483647");
    }
    total += size;
    if (total > static_cast<double>(kMaxElements)) {
      c.node.invalid(fmt::format("ranges of over {} values, the element limit", kMaxElements));
    }
    splits[static_cast<size_t>(r) + 1] =
        splits[static_cast<size_t>(r)] + static_cast<int32_t>(size);
  }
  const auto n = static_cast<size_t>(total);
  kernels::Floats f(isFloat ? n : 0);
  std::vector<int32_t> i(isFloat ? 0 : n);
  size_t at0 = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double v = at(starts, r);
    const double delta = at(deltas, r);
    for (int32_t k = splits[static_cast<size_t>(r)]; k < splits[static_cast<size_t>(r) + 1]; ++k) {
      if (isFloat) f[at0++] = static_cast<float>(v);
      if (!isFloat) i[at0++] = static_cast<int32_t>(v);
      v += delta;
    }
  }
  ValuePtr values = isFloat ? floatValue({static_cast<int64_t>(n)}, std::move(f))
                            : intValue({static_cast<int64_t>(n)}, std::move(i));
  return {intValue({rows + 1}, std::move(splits)), values};
}

enum class Partition { kFirstDimSize, kValueRowIds, kRowSplits };

std::vector<ValuePtr> raggedTensorToTensor(const OpContext& c) {
  const Value& shapeV = int32In(c, 0);
  const Value& values = c.in(1);
  if (values.dtype != DType::kFloat32 && values.dtype != DType::kInt32 &&
      values.dtype != DType::kBool) {
    c.node.invalid(fmt::format("values must be float32, int32 or bool, got {}",
                               values.table || values.list || values.array
                                   ? std::string("a handle")
                                   : std::string(dtypeName(values.dtype))));
  }
  const Value& dflt = c.in(2);
  if (dflt.dtype != values.dtype || dflt.table || dflt.list || dflt.array) {
    c.node.invalid("default_value must have the values' dtype");
  }
  std::vector<Partition> types;
  for (const std::string& t : c.node.strings("row_partition_types")) {
    if (t == "FIRST_DIM_SIZE")
      types.push_back(Partition::kFirstDimSize);
    else if (t == "VALUE_ROWIDS")
      types.push_back(Partition::kValueRowIds);
    else if (t == "ROW_SPLITS")
      types.push_back(Partition::kRowSplits);
    else
      c.node.invalid(fmt::format("unsupported row partition type '{}'", t));
  }
  if (types.empty()) c.node.invalid("No row_partition_types given.");
  std::vector<const Value*> parts;
  for (size_t k = 3; k < c.inputs.size(); ++k) parts.push_back(&int32In(c, k));
  if (parts.size() != types.size()) {
    c.node.invalid(
        fmt::format("{} row partition tensors for {} types", parts.size(), types.size()));
  }
  for (size_t k = 1; k < types.size(); ++k) {
    if (types[k] == Partition::kFirstDimSize) c.node.invalid("FIRST_DIM_SIZE after the first");
    if (parts[k]->shape.size() != 1) c.node.invalid("row partition tensors must be vectors");
  }
  const size_t shift = types[0] == Partition::kFirstDimSize ? 1 : 0;
  const auto raggedRank = static_cast<int64_t>(types.size() - shift);
  if (parts[0]->i.empty()) {
    c.node.invalid("Invalid first partition input. Tensor requires at least one element.");
  }
  int64_t firstDim = 0;
  switch (types[0]) {
    case Partition::kFirstDimSize:
      firstDim = parts[0]->i[0];
      if (firstDim < 0) c.node.invalid(fmt::format("first_dim_size {} is negative", firstDim));
      break;
    case Partition::kRowSplits:
      if (parts[0]->shape.size() != 1) c.node.invalid("row partition tensors must be vectors");
      firstDim = static_cast<int64_t>(parts[0]->i.size()) - 1;
      break;
    case Partition::kValueRowIds:
      c.node.invalid("Cannot handle VALUE_ROWIDS in first dimension.");
  }
  // The default value: rank below the values', each dimension 1 or the values' (TensorFlow's
  // check, left aligned), and broadcastable (right aligned) to one value's element shape.
  const auto vr = static_cast<int64_t>(values.shape.size());
  const auto dr = static_cast<int64_t>(dflt.shape.size());
  if (dr >= vr) c.node.invalid("default_value must have a lower rank than the values");
  const Shape eshape(values.shape.begin() + 1, values.shape.end());
  for (int64_t i = 0; i < dr; ++i) {
    const int64_t d = dflt.shape[static_cast<size_t>(i)];
    const int64_t left = eshape[static_cast<size_t>(i)];
    const int64_t right = eshape[static_cast<size_t>(vr - 1 - dr + i)];
    if ((d != 1 && d != left) || (d != 1 && d != right)) {
      c.node.invalid(fmt::format("default_value shape {} is incompatible with values {}",
                                 shapeText(dflt.shape), shapeText(values.shape)));
    }
  }
  // The output shape: the shape input (-1 unknown; a scalar -1 for an unknown rank), the values'
  // inner dimensions, the first dimension and the widest rows.
  Shape out;
  if (shapeV.shape.empty()) {
    if (shapeV.i.at(0) != -1) {
      c.node.invalid(
          "The only valid scalar shape tensor is the fully unknown shape specified as -1.");
    }
    out.assign(static_cast<size_t>(raggedRank + vr), -1);
  } else {
    if (shapeV.shape.size() != 1) c.node.invalid("shape must be a vector or a scalar");
    for (const int32_t d : shapeV.i) {
      if (d < -1) c.node.invalid(fmt::format("Dimension {} must be >= -1", d));
      out.push_back(d);
    }
  }
  if (static_cast<int64_t>(out.size()) != raggedRank + vr) {
    c.node.invalid(fmt::format("shape {} does not have rank {}", shapeText(out), raggedRank + vr));
  }
  for (int64_t i = 1; i < vr; ++i) {
    int64_t& o = out[static_cast<size_t>(raggedRank + i)];
    if (o >= 0 && o != values.shape[i]) {
      c.node.invalid(fmt::format("shape {} is incompatible with values {}", shapeText(out),
                                 shapeText(values.shape)));
    }
    o = values.shape[i];
  }
  const auto part = [&](int64_t dim) { return parts[static_cast<size_t>(dim) + shift]; };
  const auto type = [&](int64_t dim) { return types[static_cast<size_t>(dim) + shift]; };
  if (out[0] < 0) out[0] = firstDim;
  for (int64_t i = 1; i <= raggedRank; ++i) {
    if (out[static_cast<size_t>(i)] >= 0) continue;
    const auto& p = part(i - 1)->i;
    int64_t widest = 0;
    if (type(i - 1) == Partition::kRowSplits) {
      for (size_t k = 1; k < p.size(); ++k) widest = std::max<int64_t>(widest, p[k] - p[k - 1]);
    } else {
      for (size_t k = 0, first = 0; k <= p.size(); ++k) {
        if (k == p.size() || p[k] != p[first]) {
          widest = std::max<int64_t>(widest, static_cast<int64_t>(k - first));
          first = k;
        }
      }
    }
    out[static_cast<size_t>(i)] = widest;
  }
  checkSize(c, out);
  std::vector<int64_t> mult(static_cast<size_t>(raggedRank) + 1, 1);
  for (int64_t i = raggedRank - 1; i >= 0; --i) {
    mult[static_cast<size_t>(i)] =
        mult[static_cast<size_t>(i) + 1] * out[static_cast<size_t>(i) + 1];
  }
  // Each row's position in the output (-1: cut off), level by level. The first dimension's rows
  // are not listed (first_dim_size may be huge): row r is at r * mult[0] while r < out[0].
  int64_t parents = firstDim;
  std::vector<int64_t> index;
  bool listed = false;
  const auto parentAt = [&](int64_t r) {
    if (listed) return index[static_cast<size_t>(r)];
    return r < out[0] ? r * mult[0] : int64_t{-1};
  };
  for (int64_t dim = 0; dim < raggedRank; ++dim) {
    const auto& p = part(dim)->i;
    const int64_t m = mult[static_cast<size_t>(dim) + 1], size = out[static_cast<size_t>(dim) + 1];
    std::vector<int64_t> next;
    if (type(dim) == Partition::kRowSplits) {
      if (p.empty()) c.node.invalid("row splits must not be empty");
      if (p[0] != 0) c.node.invalid("row splits must start at 0");
      if (static_cast<int64_t>(p.size()) - 1 > parents) {
        c.node.invalid(fmt::format("Row partition size is greater than output size: {} > {}",
                                   p.size() - 1, parents));
      }
      for (size_t r = 0; r + 1 < p.size(); ++r) {
        if (p[r + 1] < p[r]) c.node.invalid("row splits must not decrease");
      }
      if (p.back() > kMaxElements) c.node.invalid("too many rows");
      next.reserve(static_cast<size_t>(p.back()));
      for (size_t r = 0; r + 1 < p.size(); ++r) {
        const int64_t parent = parentAt(static_cast<int64_t>(r));
        for (int64_t j = 0; j < p[r + 1] - p[r]; ++j) {
          next.push_back(parent >= 0 && j < size ? parent + j * m : -1);
        }
      }
    } else {
      int64_t col = 0;
      next.reserve(p.size());
      for (size_t k = 0; k < p.size(); ++k) {
        if (p[k] < 0 || p[k] >= parents || (k > 0 && p[k] < p[k - 1])) {
          c.node.invalid(fmt::format("value_rowids[{}] = {} is out of order or not in [0, {})", k,
                                     p[k], parents));
        }
        col = k > 0 && p[k] == p[k - 1] ? col + 1 : 0;
        const int64_t parent = parentAt(p[k]);
        next.push_back(parent >= 0 && col < size ? parent + col * m : -1);
      }
    }
    index = std::move(next);
    parents = static_cast<int64_t>(index.size());
    listed = true;
  }
  const int64_t rows = values.shape[0];
  if (parents != rows) {
    c.node.invalid(fmt::format("the row partitions describe {} values, not {}", parents, rows));
  }
  const int64_t inner = kernels::Array::count(eshape);
  std::vector<int64_t> src(static_cast<size_t>(kernels::Array::count(out)), -1);
  for (int64_t k = 0; k < rows; ++k) {
    const int64_t at = parentAt(k);
    if (at < 0) continue;
    for (int64_t j = 0; j < inner; ++j) {
      src[static_cast<size_t>(at * inner + j)] = k * inner + j;
    }
  }
  // The default broadcast (right aligned) over one element, repeated for each unfilled one.
  std::vector<int64_t> from(static_cast<size_t>(inner));
  for (int64_t k = 0; k < inner; ++k) {
    int64_t rest = k, pos = 0, stride = 1;
    for (int64_t d = vr - 2, e = dr - 1; d >= 0; --d, --e) {
      const int64_t coord = rest % eshape[static_cast<size_t>(d)];
      rest /= eshape[static_cast<size_t>(d)];
      if (e >= 0) {
        const int64_t dd = dflt.shape[static_cast<size_t>(e)];
        pos += (dd == 1 ? 0 : coord) * stride;
        stride *= dd;
      }
    }
    from[static_cast<size_t>(k)] = pos;
  }
  const ValuePtr element = gatherValue(dflt, {inner}, from);
  return {pick(values, out, src, element.get())};
}

constexpr OpRow kRows[] = {
    {"RaggedGather", raggedGather},
    {"RaggedRange", raggedRange},
    {"RaggedTensorToTensor", raggedTensorToTensor},
};

}  // namespace

std::span<const OpRow> raggedOps() {
  return kRows;
}

}  // namespace tfjs::graph
