// The graph ops of the reduction family beyond Sum / Mean / Max / Min / Prod / ArgMax (All, Any,
// Cumsum, Cumprod, Bincount, DenseBincount): ops.h. Each as tfjs-converter's executor calls
// tfjs-core and tfjs-backend-cpu computes it, TF.js's oddities included where they give a value.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "format/js_math.h"
#include "graph/ops.h"
#include "kernels/indexing.h"

namespace tfjs::graph {

namespace {

// All / Any of a bool input over the axes of input 1 (negative from the end; a repeat refused),
// keep_dims keeping them as 1s. TF.js's kernel starts from the first reduced element, so All over
// an empty axis is false, not true.
template <bool IsAll>
std::vector<ValuePtr> logicalReduce(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.dtype != DType::kBool) {
    c.node.invalid(fmt::format("input of dtype {} (bool expected)", dtypeName(x.dtype)));
  }
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<bool> reduced(x.shape.size(), false);
  for (const int64_t a : c.ints(1)) {
    const auto d = static_cast<size_t>(resolveAxis(c, a, rank));
    if (reduced[d]) c.node.invalid(fmt::format("axis {} repeated", a));
    reduced[d] = true;
  }
  const bool keep = c.node.flag("keep_dims", false);
  Shape out;
  std::vector<int64_t> stride(x.shape.size(), 0);  // x's index to the output's position
  int64_t n = 1, reduceSize = 1;
  for (size_t d = x.shape.size(); d-- > 0;) {
    if (reduced[d]) {
      reduceSize *= x.shape[d];
    } else {
      stride[d] = n;
      n *= x.shape[d];
    }
  }
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (!reduced[d]) {
      out.push_back(x.shape[d]);
    } else if (keep) {
      out.push_back(1);
    }
  }
  std::vector<int32_t> y(static_cast<size_t>(n), IsAll && reduceSize > 0 ? 1 : 0);
  kernels::indexing::forEachIndex(x.shape, stride, [&](int64_t i, int64_t o) {
    int32_t& r = y[static_cast<size_t>(o)];
    const int32_t v = x.i[static_cast<size_t>(i)] != 0;
    r = IsAll ? (r && v) : (r || v);
  });
  return {intValue(out, std::move(y), DType::kBool)};
}

// Cumsum / Cumprod along the axis of input 1 (its first element; none reads as TF.js's default 0),
// with exclusive (start from 0 / 1) and reverse (run from the end). float32 sums and products are
// rounded to float32 at each step; int32 and bool inputs give int32 (ToInt32 of the double result).
// TF.js's kernel quirks: a scalar input gives 0 / 1 (its kernel never writes the element), an axis
// >= rank runs along the last axis; a negative axis makes a tensor of no valid shape there, so it
// is refused here.
template <bool Prod>
std::vector<ValuePtr> cumulative(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.dtype != DType::kFloat32 && x.dtype != DType::kInt32 && x.dtype != DType::kBool) {
    c.node.unsupported(fmt::format("input of dtype {}", dtypeName(x.dtype)));
  }
  const bool isFloat = x.dtype == DType::kFloat32;
  const std::vector<int64_t> axisIn = c.ints(1);
  int64_t axis = axisIn.empty() ? 0 : axisIn[0];
  const bool exclusive = c.node.flag("exclusive", false);
  const bool reverse = c.node.flag("reverse", false);
  const auto rank = static_cast<int64_t>(x.shape.size());
  const double identity = Prod ? 1.0 : 0.0;
  if (rank == 0) {
    if (isFloat) return {floatValue({}, kernels::Floats{static_cast<float>(identity)})};
    return {intValue({}, {static_cast<int32_t>(identity)})};
  }
  if (axis < 0) {
    c.node.invalid(fmt::format("negative axis {} (TF.js makes no valid shape of it)", axis));
  }
  axis = std::min(axis, rank - 1);
  int64_t inner = 1, outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.shape[static_cast<size_t>(d)];
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  const auto read = [&](int64_t p) {
    return isFloat ? static_cast<double>(x.f[static_cast<size_t>(p)])
                   : static_cast<double>(x.i[static_cast<size_t>(p)]);
  };
  const auto size = static_cast<size_t>(x.size());
  kernels::Floats yf(isFloat ? size : 0);
  std::vector<int32_t> yi(isFloat ? 0 : size);
  const auto get = [&](int64_t p) {
    return isFloat ? static_cast<double>(yf[static_cast<size_t>(p)])
                   : static_cast<double>(yi[static_cast<size_t>(p)]);
  };
  const auto put = [&](int64_t p, double v) {
    if (isFloat) {
      yf[static_cast<size_t>(p)] = static_cast<float>(v);
    } else {
      yi[static_cast<size_t>(p)] = jsToInt32(v);
    }
  };
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * dim * inner + i;
      const auto pos = [&](int64_t j) { return base + (reverse ? dim - 1 - j : j) * inner; };
      for (int64_t j = 0; j < dim; ++j) {
        if (j == 0) {
          put(pos(0), exclusive ? identity : read(pos(0)));
          continue;
        }
        const double a = read(exclusive ? pos(j - 1) : pos(j)), prev = get(pos(j - 1));
        put(pos(j), Prod ? a * prev : a + prev);
      }
    }
  }
  if (isFloat) return {floatValue(x.shape, std::move(yf))};
  return {intValue(x.shape, std::move(yi))};
}

// Bincount (x, size, weights) and DenseBincount (x, size, weights; binary_output): counts of the
// int32 values of x below size (a negative value refused), each adding its weight (weights of x's
// size) or 1 (empty weights), in weights' dtype (float32 sums rounded at each step). DenseBincount
// of a rank-2 x counts each row ([rows, size]), binary_output giving 1 for any count; of a rank-1
// x it is Bincount (TF.js ignores binary_output there).
template <bool Dense>
std::vector<ValuePtr> bincount(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.dtype != DType::kInt32) {
    c.node.invalid(fmt::format("input of dtype {} (int32 expected)", dtypeName(x.dtype)));
  }
  const std::vector<int64_t> sizeIn = c.ints(1);
  if (sizeIn.empty()) c.node.invalid("an empty size");
  const int64_t size = sizeIn[0];
  if (size < 0) c.node.invalid(fmt::format("size {} is negative", size));
  const Value& w = c.in(2);
  if (w.dtype != DType::kFloat32 && w.dtype != DType::kInt32) {
    c.node.unsupported(fmt::format("weights of dtype {}", dtypeName(w.dtype)));
  }
  const bool isFloat = w.dtype == DType::kFloat32;
  if (w.size() != x.size() && w.size() != 0) {
    c.node.invalid(fmt::format("weights of shape {} for an input of shape {}", shapeText(w.shape),
                               shapeText(x.shape)));
  }
  const bool rows = Dense && x.shape.size() == 2;
  if (Dense && (x.shape.empty() || x.shape.size() > 2)) {
    c.node.invalid(fmt::format("an input of rank {} (1 or 2 expected)", x.shape.size()));
  }
  if (rows && w.size() != 0 && w.shape != x.shape) {
    c.node.unsupported(fmt::format("weights of shape {} for an input of shape {}",
                                   shapeText(w.shape), shapeText(x.shape)));
  }
  const bool binary = rows && c.node.flag("binary_output", false);
  for (const int32_t v : x.i) {
    if (v < 0) c.node.invalid("Input x must be non-negative");
  }
  const Shape out = rows ? Shape{x.shape[0], size} : Shape{size};
  checkSize(c, out);
  const auto n = static_cast<size_t>(kernels::Array::count(out));
  kernels::Floats yf(isFloat ? n : 0, 0.0f);
  std::vector<int32_t> yi(isFloat ? 0 : n, 0);
  const int64_t cols = rows ? x.shape[1] : x.size();
  for (size_t k = 0; k < x.i.size(); ++k) {
    const int64_t v = x.i[k];
    if (v >= size) continue;
    const auto at = static_cast<size_t>((rows ? static_cast<int64_t>(k) / cols * size : 0) + v);
    const double add = w.size() == 0 ? 1.0 : (isFloat ? w.f[k] : w.i[k]);
    if (isFloat) {
      yf[at] = binary ? 1.0f : static_cast<float>(static_cast<double>(yf[at]) + add);
    } else {
      yi[at] = binary ? 1 : jsToInt32(static_cast<double>(yi[at]) + add);
    }
  }
  if (isFloat) return {floatValue(out, std::move(yf))};
  return {intValue(out, std::move(yi))};
}

constexpr OpRow kRows[] = {
    {"All", logicalReduce<true>},  {"Any", logicalReduce<false>}, {"Cumsum", cumulative<false>},
    {"Cumprod", cumulative<true>}, {"Bincount", bincount<false>}, {"DenseBincount", bincount<true>},
};

}  // namespace

std::span<const OpRow> reductionOps() {
  return kRows;
}

}  // namespace tfjs::graph
