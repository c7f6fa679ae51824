// The graph ops of the sparse family, as tfjs-backend-cpu computes them: SparseFillEmptyRows,
// SparseReshape, SparseSegmentMean and SparseSegmentSum (int32 indices; values float32 or int32).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "graph/ops.h"

namespace tfjs::graph {
namespace {

// Input k, which must be int32 (tfjs-core's convertToTensor(..., 'int32')).
const Value& int32In(const OpContext& c, size_t k, const char* what) {
  const Value& v = c.in(k);
  if (v.dtype != DType::kInt32) {
    c.node.invalid(fmt::format("Argument '{}' must be int32 tensor, but got {} tensor", what,
                               dtypeName(v.dtype)));
  }
  return v;
}

// Input k, which must be float32 or int32 (a numeric value: not bool, string or complex64 here).
const Value& numericIn(const OpContext& c, size_t k, const char* what) {
  const Value& v = c.in(k);
  if (v.dtype != DType::kFloat32 && v.dtype != DType::kInt32) {
    c.node.invalid(fmt::format("Argument '{}' of dtype {} (float32 or int32 expected)", what,
                               dtypeName(v.dtype)));
  }
  return v;
}

ValuePtr numericValue(DType dtype, Shape shape, std::vector<double> data) {
  if (dtype == DType::kFloat32) {
    return floatValue(std::move(shape), kernels::Floats(data.begin(), data.end()));
  }
  std::vector<int32_t> i(data.size());
  for (size_t k = 0; k < data.size(); ++k) i[k] = static_cast<int32_t>(data[k]);
  return intValue(std::move(shape), std::move(i), dtype);
}

double elementAt(const Value& v, size_t k) {
  return v.dtype == DType::kFloat32 ? static_cast<double>(v.f[k]) : v.i[k];
}

std::vector<ValuePtr> sparseFillEmptyRows(const OpContext& c) {
  const Value& indices = int32In(c, 0, "indices");
  const Value& values = numericIn(c, 1, "values");
  const Value& denseShape = int32In(c, 2, "denseShape");
  const Value& dflt = c.in(3);
  if (dflt.dtype != values.dtype) {
    c.node.invalid(fmt::format("Argument 'defaultValue' must be {} tensor, but got {} tensor",
                               dtypeName(values.dtype), dtypeName(dflt.dtype)));
  }
  if (indices.shape.size() != 2) {
    c.node.invalid(
        fmt::format("Indices should be Tensor2D but received shape {}", shapeText(indices.shape)));
  }
  if (values.shape.size() != 1) {
    c.node.invalid(
        fmt::format("Values should be Tensor1D but received shape {}", shapeText(values.shape)));
  }
  if (denseShape.shape.size() != 1) {
    c.node.invalid(fmt::format("Dense shape should be Tensor1D but received shape {}",
                               shapeText(denseShape.shape)));
  }
  if (!dflt.shape.empty()) {
    c.node.invalid(fmt::format("Default value should be a scalar but received shape {}",
                               shapeText(dflt.shape)));
  }
  const int64_t n = indices.shape[0];
  const int64_t rank = indices.shape[1];
  if (values.shape[0] != n) {
    c.node.invalid(fmt::format("{} values for {} indices", values.shape[0], n));
  }
  if (denseShape.i.empty() || denseShape.i[0] < 0) c.node.invalid("a dense shape without rows");
  if (rank < 1 && n > 0) c.node.invalid("indices of rank 0");
  const int64_t rows = denseShape.i[0];
  checkSize(c, {rows});
  const double v0 = elementAt(dflt, 0);
  if (rows == 0) {
    if (n != 0) {
      c.node.invalid(
          fmt::format("Received SparseTensor with denseShape[0] = 0 but indices.shape[0] = {}", n));
    }
    return {intValue({0, rank}, {}), numericValue(values.dtype, {0}, {}),
            intValue({0}, {}, DType::kBool), intValue({0}, {})};
  }
  std::vector<int64_t> offset(static_cast<size_t>(rows), 0);
  bool ordered = true;
  int64_t last = 0;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t row = indices.i[static_cast<size_t>(k * rank)];
    if (row < 0) c.node.invalid(fmt::format("indices({}, 0) is invalid: {} < 0", k, row));
    if (row >= rows) {
      c.node.invalid(fmt::format("indices({}, 0) is invalid: {} >= {}", k, row, rows));
    }
    ++offset[static_cast<size_t>(row)];
    ordered = ordered && row >= last;
    last = row;
  }
  std::vector<int32_t> empty(static_cast<size_t>(rows));
  bool full = true;
  for (size_t r = 0; r < offset.size(); ++r) {  // offset[r]: the end of row r's entries
    empty[r] = offset[r] == 0;
    full = full && !empty[r];
    offset[r] = std::max<int64_t>(offset[r], 1) + (r > 0 ? offset[r - 1] : 0);
  }
  std::vector<int32_t> reverse(static_cast<size_t>(n));
  if (full && ordered) {  // the input as it is
    for (int64_t k = 0; k < n; ++k) reverse[static_cast<size_t>(k)] = static_cast<int32_t>(k);
    return {c.inputs[0], c.inputs[1], intValue({rows}, std::move(empty), DType::kBool),
            intValue({n}, std::move(reverse))};
  }
  const int64_t total = offset.back();
  checkSize(c, {total, rank});
  std::vector<int32_t> outIndices(static_cast<size_t>(total * rank), 0);
  std::vector<double> outValues(static_cast<size_t>(total), 0);
  std::vector<int64_t> filled(static_cast<size_t>(rows), 0);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t row = indices.i[static_cast<size_t>(k * rank)];
    const int64_t at =
        (row == 0 ? 0 : offset[static_cast<size_t>(row - 1)]) + filled[static_cast<size_t>(row)]++;
    for (int64_t j = 0; j < rank; ++j) {
      outIndices[static_cast<size_t>(at * rank + j)] = indices.i[static_cast<size_t>(k * rank + j)];
    }
    outValues[static_cast<size_t>(at)] = elementAt(values, static_cast<size_t>(k));
    reverse[static_cast<size_t>(k)] = static_cast<int32_t>(at);
  }
  for (int64_t row = 0; row < rows; ++row) {
    if (filled[static_cast<size_t>(row)] != 0) continue;
    const int64_t at = row == 0 ? 0 : offset[static_cast<size_t>(row - 1)];
    outIndices[static_cast<size_t>(at * rank)] = static_cast<int32_t>(row);
    outValues[static_cast<size_t>(at)] = v0;
  }
  return {intValue({total, rank}, std::move(outIndices)),
          numericValue(values.dtype, {total}, std::move(outValues)),
          intValue({rows}, std::move(empty), DType::kBool), intValue({n}, std::move(reverse))};
}

std::vector<ValuePtr> sparseReshape(const OpContext& c) {
  const Value& indices = int32In(c, 0, "inputIndices");
  const Value& inShapeV = int32In(c, 1, "inputShape");
  const Value& newShapeV = int32In(c, 2, "newShape");
  if (indices.shape.size() != 2) {
    c.node.invalid(fmt::format("Input indices should be Tensor2D but received shape {}",
                               shapeText(indices.shape)));
  }
  if (inShapeV.shape.size() != 1) {
    c.node.invalid(fmt::format("Input shape should be Tensor1D but received shape {}",
                               shapeText(inShapeV.shape)));
  }
  if (newShapeV.shape.size() != 1) {
    c.node.invalid(fmt::format("New shape should be Tensor1D but received shape {}",
                               shapeText(newShapeV.shape)));
  }
  const Shape inShape(inShapeV.i.begin(), inShapeV.i.end());
  const auto inRank = static_cast<int64_t>(inShape.size());
  if (indices.shape[1] != inRank) {
    c.node.invalid(fmt::format("input indices of {} columns for a shape of rank {}",
                               indices.shape[1], inRank));
  }
  double denseSize = 1;
  for (const int64_t d : inShape) {
    if (d < 0)
      c.node.invalid(fmt::format("a negative dimension in input shape {}", shapeText(inShape)));
    denseSize *= static_cast<double>(d);
  }
  Shape out;
  double product = 1;
  int64_t unknown = -1;
  for (size_t d = 0; d < newShapeV.i.size(); ++d) {
    const int64_t size = newShapeV.i[d];
    if (size == -1) {
      if (unknown != -1) {
        c.node.invalid(
            fmt::format("only one output dimension may be -1, not both {} and {}", unknown, d));
      }
      unknown = static_cast<int64_t>(d);
      out.push_back(1);
    } else {
      if (size < 0) c.node.invalid(fmt::format("size {} must be non-negative, not {}", d, size));
      product *= static_cast<double>(size);
      out.push_back(size);
    }
  }
  if (unknown != -1) {
    if (product <= 0) {
      c.node.invalid(
          "reshape cannot infer the missing input size for an empty tensor unless all "
          "specified input sizes are non-zero");
    }
    const double missing = std::trunc(denseSize / product);
    if (product * missing != denseSize) {
      c.node.invalid(
          fmt::format("Input to reshape is a SparseTensor with {} dense values, but "
                      "the requested shape requires a multiple of {}",
                      denseSize, product));
    }
    out[static_cast<size_t>(unknown)] = static_cast<int64_t>(missing);
  }
  double outSize = 1;
  for (const int64_t d : out) outSize *= static_cast<double>(d);
  if (outSize != denseSize) {
    c.node.invalid(
        fmt::format("Input to reshape is a tensor with {} dense values, but the "
                    "requested shape has {}",
                    denseSize, outSize));
  }
  const auto outRank = static_cast<int64_t>(out.size());
  std::vector<int64_t> inStrides(inShape.size(), 1), outStrides(out.size(), 1);
  for (int64_t d = inRank - 2; d >= 0; --d) inStrides[d] = inStrides[d + 1] * inShape[d + 1];
  for (int64_t d = outRank - 2; d >= 0; --d) outStrides[d] = outStrides[d + 1] * out[d + 1];
  const int64_t nnz = indices.shape[0];
  checkSize(c, {nnz, outRank});
  std::vector<int32_t> result(static_cast<size_t>(nnz * outRank));
  for (int64_t k = 0; k < nnz; ++k) {
    int64_t id = 0;
    for (int64_t j = 0; j < inRank; ++j) {
      id += indices.i[static_cast<size_t>(k * inRank + j)] * inStrides[static_cast<size_t>(j)];
    }
    for (int64_t j = 0; j < outRank; ++j) {
      const int64_t s = outStrides[static_cast<size_t>(j)];
      result[static_cast<size_t>(k * outRank + j)] = static_cast<int32_t>(s == 0 ? 0 : id / s);
      id = s == 0 ? id : id % s;
    }
  }
  std::vector<int32_t> shapeOut(out.begin(), out.end());
  return {intValue({nnz, outRank}, std::move(result)), intValue({outRank}, std::move(shapeOut))};
}

// Rows of `data` gathered by `indices` and summed (or averaged) into the segments `segmentIds`
// names, which must not decrease; the result has the last segment id + 1 rows, rows of no
// segment 0. Float32 sums in float32 as TF.js's Float32Array; int32 means truncate.
std::vector<ValuePtr> sparseSegment(const OpContext& c, bool mean) {
  const Value& data = numericIn(c, 0, "data");
  const Value& indices = int32In(c, 1, "indices");
  const Value& ids = int32In(c, 2, "segmentIds");
  if (data.shape.empty()) {
    c.node.invalid("Data should be at least 1 dimensional but received scalar");
  }
  if (indices.shape.size() != 1) {
    c.node.invalid(
        fmt::format("Indices should be Tensor1D but received shape {}", shapeText(indices.shape)));
  }
  if (ids.shape.size() != 1) {
    c.node.invalid(
        fmt::format("Segment ids should be Tensor1D but received shape {}", shapeText(ids.shape)));
  }
  if (indices.shape[0] != ids.shape[0]) {
    c.node.invalid("segmentIds and indices should have same size.");
  }
  const auto n = static_cast<size_t>(indices.shape[0]);
  const int64_t inRows = data.shape[0];
  const int64_t cols = inRows == 0 ? 0 : data.size() / inRows;
  const int64_t outRows = n > 0 ? int64_t{ids.i[n - 1]} + 1 : 0;
  if (outRows < 0) c.node.invalid("segment ids must be >= 0");
  Shape outShape = data.shape;
  outShape[0] = outRows;
  checkSize(c, outShape);
  const auto len = static_cast<size_t>(kernels::Array::count(outShape));
  const bool isFloat = data.dtype == DType::kFloat32;
  std::vector<float> fo(isFloat ? len : 0, 0.f);
  std::vector<int32_t> io(isFloat ? 0 : len, 0);
  size_t start = 0;
  while (start < n) {
    size_t end = start + 1;
    const int64_t seg = ids.i[start];
    while (end < n && ids.i[end] == seg) ++end;
    if (end < n && ids.i[end] < seg) c.node.invalid("segment ids are not increasing");
    if (seg < 0 || seg >= outRows) {
      c.node.invalid(
          fmt::format("Segment id {} out of range [0, {}), possibly because "
                      "segmentIds input is not sorted.",
                      seg, outRows));
    }
    for (size_t k = start; k < end; ++k) {
      const int64_t row = indices.i[k];
      if (row < 0 || row >= inRows) {
        c.node.invalid(fmt::format("Bad: indices[{}] == {} out of range [0, {})", k, row, inRows));
      }
      for (int64_t j = 0; j < cols; ++j) {
        const auto o = static_cast<size_t>(seg * cols + j), s = static_cast<size_t>(row * cols + j);
        if (isFloat) {
          fo[o] += data.f[s];
        } else {
          io[o] =
              static_cast<int32_t>(static_cast<uint32_t>(io[o]) + static_cast<uint32_t>(data.i[s]));
        }
      }
    }
    if (mean) {
      const auto count = static_cast<int32_t>(end - start);
      for (int64_t j = 0; j < cols; ++j) {
        const auto o = static_cast<size_t>(seg * cols + j);
        if (isFloat) {
          fo[o] /= static_cast<float>(count);
        } else {
          io[o] /= count;
        }
      }
    }
    start = end;
  }
  if (isFloat) return {floatValue(outShape, kernels::Floats(fo.begin(), fo.end()))};
  return {intValue(outShape, std::move(io))};
}

std::vector<ValuePtr> sparseSegmentMean(const OpContext& c) {
  return sparseSegment(c, true);
}
std::vector<ValuePtr> sparseSegmentSum(const OpContext& c) {
  return sparseSegment(c, false);
}

constexpr OpRow kRows[] = {
    {"SparseFillEmptyRows", sparseFillEmptyRows},
    {"SparseReshape", sparseReshape},
    {"SparseSegmentMean", sparseSegmentMean},
    {"SparseSegmentSum", sparseSegmentSum},
};

}  // namespace

std::span<const OpRow> sparseOps() {
  return kRows;
}

}  // namespace tfjs::graph
