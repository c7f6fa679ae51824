// Graph ops of tfjs-converter's logical and evaluation families, as tfjs-backend-cpu computes
// them: comparisons (Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual) and the logical
// operations with NumPy broadcasting, giving bool; Select / SelectV2 (condition, then, else
// broadcast together); Where (the coordinates of the true elements, [n, rank] int32); TopKV2
// (the k largest along the last axis, ties to the lower index, values and int32 indices).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "graph/ops.h"
#include "kernels/kernels.h"

namespace tfjs::graph {
namespace {

double at(const Value& v, size_t i) {
  return v.dtype == DType::kFloat32 ? static_cast<double>(v.f[i]) : static_cast<double>(v.i[i]);
}

template <typename F>
std::vector<ValuePtr> compare(const OpContext& c, F f) {
  const Value& a = c.in(0);
  const Value& b = c.in(1);
  const Broadcast br = broadcast(c, {&a, &b});
  std::vector<int32_t> y(br.positions[0].size());
  if (a.dtype == DType::kString || b.dtype == DType::kString) {
    // Strings compare as TF.js compares the decoded strings: f(sign of a <=> b, 0).
    if (a.dtype != b.dtype) c.node.invalid("comparing a string tensor with a numeric one");
    for (size_t k = 0; k < y.size(); ++k) {
      const int cmp = a.s[static_cast<size_t>(br.positions[0][k])].compare(
          b.s[static_cast<size_t>(br.positions[1][k])]);
      y[k] = f(cmp < 0 ? -1.0 : cmp > 0 ? 1.0 : 0.0, 0.0) ? 1 : 0;
    }
    return {intValue(br.out, std::move(y), DType::kBool)};
  }
  for (size_t k = 0; k < y.size(); ++k) {
    y[k] = f(at(a, static_cast<size_t>(br.positions[0][k])),
             at(b, static_cast<size_t>(br.positions[1][k])))
               ? 1
               : 0;
  }
  return {intValue(br.out, std::move(y), DType::kBool)};
}

#define TFJS_COMPARE(NAME, EXPR)                                \
  std::vector<ValuePtr> NAME(const OpContext& c) {              \
    return compare(c, [](double x, double y) { return EXPR; }); \
  }
TFJS_COMPARE(equalOp, x == y)
TFJS_COMPARE(notEqualOp, x != y)
TFJS_COMPARE(lessOp, x < y)
TFJS_COMPARE(lessEqualOp, x <= y)
TFJS_COMPARE(greaterOp, x > y)
TFJS_COMPARE(greaterEqualOp, x >= y)
TFJS_COMPARE(logicalAndOp, x != 0 && y != 0)
TFJS_COMPARE(logicalOrOp, x != 0 || y != 0)
#undef TFJS_COMPARE

std::vector<ValuePtr> logicalNot(const OpContext& c) {
  const Value& x = c.in(0);
  std::vector<int32_t> y(static_cast<size_t>(x.size()));
  for (size_t k = 0; k < y.size(); ++k) y[k] = at(x, k) == 0 ? 1 : 0;
  return {intValue(x.shape, std::move(y), DType::kBool)};
}

// Select and SelectV2: condition, then and else broadcast together (TF.js's where; a v1 Select
// with a vector condition over the rows is refused, as TF.js refuses it).
std::vector<ValuePtr> select(const OpContext& c) {
  const Value& cond = c.in(0);
  const Value& t = c.in(1);
  const Value& e = c.in(2);
  if (t.dtype != e.dtype) c.node.invalid("then and else values of different dtypes");
  const Value& condView = cond;
  const Broadcast br = broadcast(c, {&condView, &t, &e});
  auto y = std::make_shared<Value>();
  y->dtype = t.dtype;
  y->shape = br.out;
  const size_t n = br.positions[0].size();
  if (t.dtype == DType::kFloat32) {
    y->f.resize(n);
  } else {
    y->i.resize(n);
  }
  for (size_t k = 0; k < n; ++k) {
    const bool pick = at(condView, static_cast<size_t>(br.positions[0][k])) != 0;
    const Value& src = pick ? t : e;
    const auto p = static_cast<size_t>(br.positions[pick ? 1 : 2][k]);
    if (t.dtype == DType::kFloat32) {
      y->f[k] = src.f[p];
    } else {
      y->i[k] = src.i[p];
    }
  }
  return {y};
}

// Where(condition): the coordinates of the non-zero elements in row-major order.
std::vector<ValuePtr> where(const OpContext& c) {
  const Value& x = c.in(0);
  const size_t rank = x.shape.size();
  std::vector<int32_t> coords;
  std::vector<int64_t> idx(rank, 0);
  for (int64_t k = 0; k < x.size(); ++k) {
    if (at(x, static_cast<size_t>(k)) != 0) coords.insert(coords.end(), idx.begin(), idx.end());
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < x.shape[d]) break;
      idx[d] = 0;
    }
  }
  const auto n = static_cast<int64_t>(rank == 0 ? 0 : coords.size() / rank);
  return {intValue({n, static_cast<int64_t>(rank)}, std::move(coords))};
}

std::vector<ValuePtr> topK(const OpContext& c) {
  const Value& x = c.in(0);
  const auto kv = c.ints(1);
  if (kv.size() != 1) c.node.invalid("k that is not one integer");
  if (x.shape.empty()) c.node.invalid("a scalar input");
  const int64_t last = x.shape.back(), k = kv[0];
  if (k < 0 || k > last) c.node.invalid(fmt::format("k = {} for a last axis of {}", k, last));
  const int64_t rows = last > 0 ? x.size() / last : 0;
  Shape out = x.shape;
  out.back() = k;
  auto values = std::make_shared<Value>();
  values->dtype = x.dtype;
  values->shape = out;
  std::vector<int32_t> indices;
  std::vector<int64_t> order(static_cast<size_t>(last));
  for (int64_t r = 0; r < rows; ++r) {
    std::iota(order.begin(), order.end(), 0);
    const auto value = [&](int64_t j) { return at(x, static_cast<size_t>(r * last + j)); };
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return value(a) > value(b); });
    for (int64_t j = 0; j < k; ++j) {
      const auto src = static_cast<size_t>(r * last + order[static_cast<size_t>(j)]);
      if (x.dtype == DType::kFloat32) {
        values->f.push_back(x.f[src]);
      } else {
        values->i.push_back(x.i[src]);
      }
      indices.push_back(static_cast<int32_t>(order[static_cast<size_t>(j)]));
    }
  }
  return {values, intValue(out, std::move(indices))};
}

// BitwiseAnd: refused, as TF.js 4.22 refuses it: its logical executor reads inputs named 'a' and
// 'b', which the op list (inputs 'x' and 'y') never defines, so tf.bitwiseAnd gets null.
std::vector<ValuePtr> bitwiseAnd(const OpContext& c) {
  c.node.unsupported(
      "BitwiseAnd, which TF.js 4.22's graph executor cannot run (it passes null operands)");
}

constexpr OpRow kRows[] = {
    {"Equal", equalOp},
    {"NotEqual", notEqualOp},
    {"Less", lessOp},
    {"LessEqual", lessEqualOp},
    {"Greater", greaterOp},
    {"GreaterEqual", greaterEqualOp},
    {"LogicalAnd", logicalAndOp},
    {"LogicalOr", logicalOrOp},
    {"LogicalNot", logicalNot},
    {"Select", select},
    {"SelectV2", select},
    {"Where", where},
    {"TopKV2", topK},
    {"BitwiseAnd", bitwiseAnd},
};

}  // namespace

std::span<const OpRow> logicOps() {
  return kRows;
}

}  // namespace tfjs::graph
