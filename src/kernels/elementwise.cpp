// Element-wise binary operations with NumPy broadcasting (kernels.h): the per-element rules
// (TF.js's), the reference kernel (one output element at a time, each operand's position found
// from the output index through its repeat strides) and the fast one (axes coalesced, then
// contiguous inner rows in loops specialised per operation and per operand layout, which the
// compiler vectorizes; multithreaded over the rows of large outputs). Both compute each element
// with the same expression, so they agree bit for bit.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

#include "kernels/indexing.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::kernels {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Math.max / Math.min on float32 operands.
inline float jsMax(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == b) return std::signbit(a) ? b : a;  // +0 over -0
  return a > b ? a : b;
}
inline float jsMin(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == b) return std::signbit(a) ? a : b;  // -0 over +0
  return a < b ? a : b;
}
// Math.pow in double, rounded to float32: where JavaScript and C differ (an exponent of NaN, a
// base of +-1 with an infinite exponent), JavaScript's NaN.
inline float jsPow(float a, float b) {
  if (std::isnan(b) || (std::isinf(b) && std::fabs(a) == 1.0f)) return kNaN;
  return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
}

template <Binary Op>
inline float apply(float a, float b) {
  if constexpr (Op == Binary::kAdd) {
    return a + b;
  } else if constexpr (Op == Binary::kSub) {
    return a - b;
  } else if constexpr (Op == Binary::kMul) {
    return a * b;
  } else if constexpr (Op == Binary::kDiv) {
    return a / b;
  } else if constexpr (Op == Binary::kMaximum) {
    return jsMax(a, b);
  } else if constexpr (Op == Binary::kMinimum) {
    return jsMin(a, b);
  } else if constexpr (Op == Binary::kPow) {
    return jsPow(a, b);
  } else {
    const double d = static_cast<double>(a) - static_cast<double>(b);
    return static_cast<float>(d * d);
  }
}

// Calls f.template operator()<Op>() for the runtime operation `op`.
template <typename F>
void dispatch(Binary op, F&& f) {
  switch (op) {
    case Binary::kAdd:
      return f.template operator()<Binary::kAdd>();
    case Binary::kSub:
      return f.template operator()<Binary::kSub>();
    case Binary::kMul:
      return f.template operator()<Binary::kMul>();
    case Binary::kDiv:
      return f.template operator()<Binary::kDiv>();
    case Binary::kMaximum:
      return f.template operator()<Binary::kMaximum>();
    case Binary::kMinimum:
      return f.template operator()<Binary::kMinimum>();
    case Binary::kPow:
      return f.template operator()<Binary::kPow>();
    case Binary::kSquaredDifference:
      return f.template operator()<Binary::kSquaredDifference>();
  }
  throw Error(ErrorCode::kInvalidArgument, "kernels::binary: an unknown operation");
}

[[noreturn]] void notBroadcastable(const Shape& a, const Shape& b) {
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("shapes [{}] and [{}] cannot be broadcast together", fmt::join(a, ","),
                          fmt::join(b, ",")));
}

// The output shape and each operand's strides over it.
struct Layout {
  Shape out;
  std::vector<int64_t> sa, sb;
};

Layout layoutOf(const Shape& a, const Shape& b, const Shape& out) {
  Layout l{out, {}, {}};
  if (!indexing::repeatStrides(a, out, l.sa) || !indexing::repeatStrides(b, out, l.sb)) {
    notBroadcastable(a, b);
  }
  return l;
}

// The layout with axes of size 1 dropped and neighbouring axes merged wherever both operands
// step through them as through one axis (same shape, a scalar and a bias row all become one or
// two axes).
Layout coalesce(const Layout& l) {
  Layout c;
  for (size_t d = 0; d < l.out.size(); ++d) {
    if (l.out[d] == 1) continue;
    if (!c.out.empty() && c.sa.back() == l.sa[d] * l.out[d] && c.sb.back() == l.sb[d] * l.out[d]) {
      c.out.back() *= l.out[d];
      c.sa.back() = l.sa[d];
      c.sb.back() = l.sb[d];
      continue;
    }
    c.out.push_back(l.out[d]);
    c.sa.push_back(l.sa[d]);
    c.sb.push_back(l.sb[d]);
  }
  return c;
}

template <Binary Op>
void fastRun(const Layout& full, const float* a, const float* b, float* y) {
  const Layout l = coalesce(full);
  if (l.out.empty()) {  // one element
    y[0] = apply<Op>(a[0], b[0]);
    return;
  }
  const size_t rank = l.out.size();
  const int64_t inner = l.out.back(), ia = l.sa.back(), ib = l.sb.back();
  int64_t total = 1;
  for (const int64_t d : l.out) total *= d;
  const int64_t rows = inner > 0 ? total / inner : 0;
#pragma omp parallel for schedule(static) if (rows > 1 && total >= 32768)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t oa = 0, ob = 0, rest = r;
    for (size_t d = rank - 1; d-- > 0;) {  // the row's position over the outer axes
      const int64_t i = rest % l.out[d];
      rest /= l.out[d];
      oa += i * l.sa[d];
      ob += i * l.sb[d];
    }
    const float* pa = a + oa;
    const float* pb = b + ob;
    float* py = y + r * inner;
    if (ia == 1 && ib == 1) {
      for (int64_t i = 0; i < inner; ++i) py[i] = apply<Op>(pa[i], pb[i]);
    } else if (ia == 1) {
      const float vb = pb[0];
      for (int64_t i = 0; i < inner; ++i) py[i] = apply<Op>(pa[i], vb);
    } else if (ib == 1) {
      const float va = pa[0];
      for (int64_t i = 0; i < inner; ++i) py[i] = apply<Op>(va, pb[i]);
    } else {
      const float v = apply<Op>(pa[0], pb[0]);
      for (int64_t i = 0; i < inner; ++i) py[i] = v;
    }
  }
}

void fastBinary(Binary op, const Layout& l, const float* a, const float* b, float* y) {
  dispatch(op, [&]<Binary Op>() { fastRun<Op>(l, a, b, y); });
}

}  // namespace

float binaryScalar(Binary op, float a, float b) {
  float y = 0;
  dispatch(op, [&]<Binary Op>() { y = apply<Op>(a, b); });
  return y;
}

Shape broadcastShape(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t i = d + a.size() >= rank ? a[d + a.size() - rank] : 1;
    const int64_t j = d + b.size() >= rank ? b[d + b.size() - rank] : 1;
    if (i != j && i != 1 && j != 1) notBroadcastable(a, b);
    out[d] = i == 1 ? j : i;
  }
  return out;
}

Array binary(Binary op, const Operand& a, const Operand& b) {
  if (referenceKernels()) return reference::binary(op, a, b);
  const Layout l = layoutOf(a.shape, b.shape, broadcastShape(a.shape, b.shape));
  Array y(l.out, kUninitialized);
  if (y.size() > 0) fastBinary(op, l, a.data, b.data, y.data.data());
  return y;
}

void binaryInPlace(Binary op, Array& a, const Operand& b) {
  if (!broadcastsTo(b.shape, a.shape)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("shape [{}] does not broadcast to [{}]", fmt::join(b.shape, ","),
                            fmt::join(a.shape, ",")));
  }
  if (referenceKernels()) {
    a = reference::binary(op, a, b);
    return;
  }
  if (a.size() == 0) return;
  // Each element of a is read before it is written, by the same iteration.
  fastBinary(op, layoutOf(a.shape, b.shape, a.shape), a.data.data(), b.data, a.data.data());
}

namespace reference {

Array binary(Binary op, const Operand& a, const Operand& b) {
  const Shape out = broadcastShape(a.shape, b.shape);
  const Layout l = layoutOf(a.shape, b.shape, out);
  Array y(out, kUninitialized);
  const int64_t n = y.size();
  for (int64_t i = 0; i < n; ++i) {
    int64_t oa = 0, ob = 0, rest = i;
    for (size_t d = out.size(); d-- > 0;) {
      const int64_t k = rest % out[d];
      rest /= out[d];
      oa += k * l.sa[d];
      ob += k * l.sb[d];
    }
    y.data[static_cast<size_t>(i)] = binaryScalar(op, a.data[oa], b.data[ob]);
  }
  return y;
}

}  // namespace reference
}  // namespace tfjs::kernels
