// The graph ops of the evaluation family (Unique, LowerBound, UpperBound, ListDiff): ops.h.
#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>

#include "graph/ops.h"

namespace tfjs::graph {
namespace {

double at(const Value& v, size_t k) {
  return v.dtype == DType::kFloat32 ? v.f[k] : v.i[k];
}

// LowerBound / UpperBound(sorted, values): TF.js's searchSorted, which views both as rows of
// their last dimension (the row counts must match) and answers in the shape [rows, values per
// row], whatever the input ranks.
template <bool kUpper>
std::vector<ValuePtr> bound(const OpContext& c) {
  const Value& seq = c.in(0);
  const Value& val = c.in(1);
  if (seq.shape.empty() || val.shape.empty()) c.node.invalid("a scalar input");
  const int64_t n = seq.shape.back(), m = val.shape.back();
  if (n == 0 || m == 0) c.node.invalid("an empty last dimension");
  const int64_t rows = seq.size() / n;
  if (rows != val.size() / m) {
    c.node.invalid(fmt::format("sorted sequence {} and values {} of different leading dimensions",
                               shapeText(seq.shape), shapeText(val.shape)));
  }
  std::vector<int32_t> out(static_cast<size_t>(rows * m));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t k = 0; k < m; ++k) {
      const double v = at(val, static_cast<size_t>(r * m + k));
      int64_t lo = 0, hi = n;
      while (lo < hi) {
        const int64_t mid = (lo + hi) / 2;
        const double s = at(seq, static_cast<size_t>(r * n + mid));
        if (kUpper ? s <= v : s < v) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      out[static_cast<size_t>(r * m + k)] = static_cast<int32_t>(hi);
    }
  }
  return {intValue({rows, m}, std::move(out))};
}

// Unique along `axis` (0 for Unique): the distinct slices in first-seen order, and per slice of
// x the index of its distinct one.
std::vector<ValuePtr> uniqueAlong(const OpContext& c, int64_t axisIn) {
  const Value& x = c.in(0);
  if (x.shape.empty()) c.node.invalid("a scalar input (at least 1-D expected)");
  const auto rank = static_cast<int64_t>(x.shape.size());
  const auto axis = static_cast<size_t>(resolveAxis(c, axisIn, rank));
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= x.shape[d];
  for (size_t d = axis + 1; d < x.shape.size(); ++d) inner *= x.shape[d];
  const int64_t dim = x.shape[axis];
  const auto elem = [&](int64_t o, int64_t i, int64_t k) {
    return at(x, static_cast<size_t>((o * dim + i) * inner + k));
  };
  // Slices keyed by their elements' bits, NaN and -0 made one (TF.js keys by their text);
  // strings by their bytes, each after its length.
  const auto key = [&](int64_t i) {
    std::string k;
    const auto put = [&k](uint64_t bits) { k.append(reinterpret_cast<const char*>(&bits), 8); };
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t j = 0; j < inner; ++j) {
        if (x.dtype == DType::kString) {
          const std::string& str = x.s[static_cast<size_t>((o * dim + i) * inner + j)];
          put(str.size());
          k += str;
          continue;
        }
        double v = elem(o, i, j);
        if (std::isnan(v)) v = std::numeric_limits<double>::quiet_NaN();
        if (v == 0) v = 0;
        put(std::bit_cast<uint64_t>(v));
      }
    }
    return k;
  };
  std::map<std::string, int32_t> seen;
  std::vector<int64_t> firsts;  // the slice index of each distinct slice
  std::vector<int32_t> idx(static_cast<size_t>(dim));
  for (int64_t i = 0; i < dim; ++i) {
    const auto [it, added] = seen.emplace(key(i), static_cast<int32_t>(firsts.size()));
    if (added) firsts.push_back(i);
    idx[static_cast<size_t>(i)] = it->second;
  }
  Shape out = x.shape;
  out[axis] = static_cast<int64_t>(firsts.size());
  std::vector<int64_t> src;
  src.reserve(static_cast<size_t>(kernels::Array::count(out)));
  for (int64_t o = 0; o < outer; ++o) {
    for (const int64_t f : firsts) {
      for (int64_t k = 0; k < inner; ++k) src.push_back((o * dim + f) * inner + k);
    }
  }
  return {gatherValue(x, out, src), intValue({dim}, std::move(idx))};
}

std::vector<ValuePtr> unique(const OpContext& c) {
  return uniqueAlong(c, 0);
}

// UniqueV2(x, axis): the axis input's first element (none: 0).
std::vector<ValuePtr> uniqueV2(const OpContext& c) {
  const auto axis = c.ints(1);
  return uniqueAlong(c, axis.empty() ? 0 : axis[0]);
}

// ListDiff(x, y): the elements of x not in y, in order, and their positions in x.
std::vector<ValuePtr> listDiff(const OpContext& c) {
  const Value& x = c.in(0);
  const Value& y = c.in(1);
  if (x.dtype != y.dtype) {
    c.node.invalid(
        fmt::format("x and y of dtypes {} and {}", dtypeName(x.dtype), dtypeName(y.dtype)));
  }
  if (x.shape.size() != 1 || y.shape.size() != 1) {
    c.node.invalid(
        fmt::format("x {} and y {} (1-D expected)", shapeText(x.shape), shapeText(y.shape)));
  }
  std::vector<double> ys;
  for (size_t k = 0; k < static_cast<size_t>(y.size()); ++k) ys.push_back(at(y, k));
  bool yNan = false;
  for (size_t k = 0; k < static_cast<size_t>(y.size()); ++k) yNan = yNan || std::isnan(at(y, k));
  ys.erase(std::remove_if(ys.begin(), ys.end(), [](double v) { return std::isnan(v); }), ys.end());
  std::sort(ys.begin(), ys.end());
  std::vector<int64_t> keep;
  std::vector<int32_t> pos;
  for (size_t k = 0; k < static_cast<size_t>(x.size()); ++k) {
    const double v = at(x, k);
    const bool in = std::isnan(v) ? yNan : std::binary_search(ys.begin(), ys.end(), v);
    if (!in) {
      keep.push_back(static_cast<int64_t>(k));
      pos.push_back(static_cast<int32_t>(k));
    }
  }
  const auto n = static_cast<int64_t>(keep.size());
  return {gatherValue(x, {n}, keep), intValue({n}, std::move(pos))};
}

constexpr OpRow kRows[] = {
    {"LowerBound", bound<false>}, {"UpperBound", bound<true>}, {"Unique", unique},
    {"UniqueV2", uniqueV2},       {"ListDiff", listDiff},
};

}  // namespace

std::span<const OpRow> evaluationOps() {
  return kRows;
}

}  // namespace tfjs::graph
