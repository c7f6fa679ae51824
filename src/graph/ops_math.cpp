// Graph ops that compute element by element or reduce (tfjs-converter's arithmetic, basic_math
// and reduction families), as tfjs-backend-cpu computes them: binary arithmetic with NumPy
// broadcasting (float32 on kernels::binary; int32 here, as TF.js computes int32 tensors),
// BiasAdd, AddN, the unary functions and activations (each in double, rounded to float32),
// Softmax (max, sub, exp, sum, div, each rounded as TF.js's kernels round them), Sum / Mean /
// Max / Min / Prod on kernels::reduce, and the basic math functions (Acos ... Atanh, Erf, IsNan /
// IsFinite / IsInf, Atan2, DivNoNan) with TF.js's int32 and bool rules.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "format/js_math.h"
#include "graph/ops.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::graph {

void activate(Activation a, kernels::Array& y, const Value* alpha, float leaky, const Node& node) {
  float* p = y.data.data();
  const size_t n = y.data.size();
  switch (a) {
    case Activation::kLinear:
      return;
    case Activation::kRelu:
      for (size_t i = 0; i < n; ++i) p[i] = std::isnan(p[i]) ? p[i] : std::max(0.0f, p[i]);
      return;
    case Activation::kRelu6:
      for (size_t i = 0; i < n; ++i) {
        p[i] = std::isnan(p[i]) ? p[i] : std::min(std::max(0.0f, p[i]), 6.0f);
      }
      return;
    case Activation::kElu:
      for (size_t i = 0; i < n; ++i) {
        p[i] = p[i] >= 0 ? p[i] : static_cast<float>(std::exp(static_cast<double>(p[i])) - 1.0);
      }
      return;
    case Activation::kSigmoid:
      for (size_t i = 0; i < n; ++i) {
        p[i] = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(p[i]))));
      }
      return;
    case Activation::kLeakyRelu:
      for (size_t i = 0; i < n; ++i) p[i] = p[i] < 0 ? leaky * p[i] : p[i];
      return;
    case Activation::kPrelu: {
      if (!alpha || alpha->dtype != DType::kFloat32) node.invalid("prelu without float32 alpha");
      const kernels::Array al =
          kernels::broadcastTo(alpha->f.data(), alpha->shape, y.shape);  // NumPy broadcasting
      for (size_t i = 0; i < n; ++i) p[i] = p[i] < 0 ? al.data[i] * p[i] : p[i];
      return;
    }
  }
}

namespace {

// --- binary arithmetic --------------------------------------------------------------------------

// int32 arithmetic as TF.js's int32 kernels give it: the double result stored into an
// Int32Array (ToInt32); RealDiv / Div of int32 tensors are tf.div, which floor-divides them.
int32_t intOp(kernels::Binary op, int32_t a, int32_t b) {
  const double x = a, y = b;
  switch (op) {
    case kernels::Binary::kAdd:
      return jsToInt32(x + y);
    case kernels::Binary::kSub:
      return jsToInt32(x - y);
    case kernels::Binary::kMul:
      return jsToInt32(x * y);
    case kernels::Binary::kDiv:  // tf.div of two int32 tensors is floorDiv
      return jsToInt32(std::floor(x / y));
    case kernels::Binary::kMaximum:
      return std::max(a, b);
    case kernels::Binary::kMinimum:
      return std::min(a, b);
    case kernels::Binary::kPow:
      return jsToInt32(std::pow(x, y));
    case kernels::Binary::kSquaredDifference:
      return jsToInt32((x - y) * (x - y));
  }
  return 0;
}

template <kernels::Binary Op>
std::vector<ValuePtr> binaryOp(const OpContext& c) {
  const Value& a = c.in(0);
  const Value& b = c.in(1);
  if (a.dtype != b.dtype) {
    c.node.invalid(
        fmt::format("operands of dtypes {} and {}", dtypeName(a.dtype), dtypeName(b.dtype)));
  }
  if (a.dtype == DType::kFloat32) {
    return {fromArray(kernels::binary(Op, {a.f.data(), a.shape}, {b.f.data(), b.shape}))};
  }
  if (a.dtype != DType::kInt32)
    c.node.unsupported(fmt::format("operands of dtype {}", dtypeName(a.dtype)));
  const Broadcast br = broadcast(c, {&a, &b});
  const auto& ia = br.positions[0];
  const auto& ib = br.positions[1];
  std::vector<int32_t> y(ia.size());
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] = intOp(Op, a.i[static_cast<size_t>(ia[i])], b.i[static_cast<size_t>(ib[i])]);
  }
  return {intValue(br.out, std::move(y))};
}

std::vector<ValuePtr> biasAdd(const OpContext& c) {
  if (c.in(0).dtype == DType::kInt32 && c.in(1).dtype == DType::kInt32) {
    return binaryOp<kernels::Binary::kAdd>(c);  // TF.js adds int32 in int32
  }
  const Value& x = c.floatIn(0);
  const Value& b = c.floatIn(1);
  if (c.node.string("data_format", "NHWC") == "NCHW") c.node.unsupported("data_format NCHW");
  if (b.shape.size() != 1 || x.shape.empty() || x.shape.back() != b.shape[0]) {
    c.node.invalid(fmt::format("a bias of shape [{}] for an input of shape [{}]",
                               fmt::join(b.shape, ","), fmt::join(x.shape, ",")));
  }
  return {fromArray(
      kernels::binary(kernels::Binary::kAdd, {x.f.data(), x.shape}, {b.f.data(), b.shape}))};
}

std::vector<ValuePtr> addN(const OpContext& c) {
  if (c.inputs.empty()) c.node.invalid("no inputs");
  if (c.in(0).dtype == DType::kInt32) {  // TF.js sums int32 inputs in int32
    std::vector<int32_t> y = c.in(0).i;
    for (size_t k = 1; k < c.inputs.size(); ++k) {
      const Value& v = c.in(k);
      if (v.dtype != DType::kInt32 || v.shape != c.in(0).shape) {
        c.node.invalid("inputs of different shapes or dtypes");
      }
      for (size_t i = 0; i < y.size(); ++i) y[i] = jsToInt32(static_cast<double>(y[i]) + v.i[i]);
    }
    return {intValue(c.in(0).shape, std::move(y))};
  }
  kernels::Array y = arrayOf(c.floatIn(0));
  for (size_t k = 1; k < c.inputs.size(); ++k) {
    const Value& v = c.floatIn(k);
    if (v.shape != y.shape) c.node.invalid("inputs of different shapes");
    kernels::binaryInPlace(kernels::Binary::kAdd, y, {v.f.data(), v.shape});
  }
  return {fromArray(std::move(y))};
}

// --- unary --------------------------------------------------------------------------------------

// What a unary op does with an int32 input, as TF.js's kernel does: refuse it (TF.js asserts a
// float32 input: Sqrt, Floor, Tanh, ...), keep int32 (the double result stored into an
// Int32Array: ToInt32, e.g. Reciprocal(-5) = 0: Neg, Abs, Square, Round, Sign, Reciprocal), or
// give float32 (Exp).
enum class IntInput { kRefuse, kInt32, kFloat32 };

template <IntInput Int = IntInput::kRefuse, typename F>
std::vector<ValuePtr> unaryOp(const OpContext& c, F f) {
  const Value& x =
      Int == IntInput::kRefuse || c.in(0).dtype != DType::kInt32 ? c.floatIn(0) : c.in(0);
  if (x.dtype == DType::kInt32) {
    if constexpr (Int == IntInput::kInt32) {
      std::vector<int32_t> y(x.i.size());
      for (size_t i = 0; i < y.size(); ++i) y[i] = jsToInt32(f(static_cast<double>(x.i[i])));
      return {intValue(x.shape, std::move(y))};
    }
    kernels::Floats y(x.i.size());
    for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(f(static_cast<double>(x.i[i])));
    return {floatValue(x.shape, std::move(y))};
  }
  kernels::Floats y(x.f.size());
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(f(static_cast<double>(x.f[i])));
  return {floatValue(x.shape, std::move(y))};
}

template <Activation A>
std::vector<ValuePtr> activationOp(const OpContext& c) {
  if ((A == Activation::kRelu || A == Activation::kRelu6) && c.in(0).dtype == DType::kInt32) {
    // TF.js's relu / relu6 keep an int32 input int32.
    const Value& x = c.in(0);
    std::vector<int32_t> y(x.i.size());
    for (size_t i = 0; i < y.size(); ++i) {
      y[i] = std::max(0, x.i[i]);
      if (A == Activation::kRelu6) y[i] = std::min(6, y[i]);
    }
    return {intValue(x.shape, std::move(y))};
  }
  kernels::Array y = arrayOf(c.floatIn(0));
  const float leaky = static_cast<float>(c.node.number("alpha", 0.2));
  activate(A, y, A == Activation::kPrelu ? &c.floatIn(1) : nullptr, leaky, c.node);
  return {fromArray(std::move(y))};
}

#define TFJS_UNARY_INT(NAME, INT, EXPR)                              \
  std::vector<ValuePtr> NAME(const OpContext& c) {                   \
    return unaryOp<IntInput::INT>(c, [](double x) { return EXPR; }); \
  }
#define TFJS_UNARY(NAME, EXPR) TFJS_UNARY_INT(NAME, kRefuse, EXPR)
TFJS_UNARY(tanhOp, std::tanh(x))
TFJS_UNARY_INT(expOp, kFloat32, std::exp(x))
TFJS_UNARY(logOp, std::log(x))
TFJS_UNARY(sqrtOp, std::sqrt(x))
TFJS_UNARY(rsqrtOp, 1.0 / std::sqrt(x))
TFJS_UNARY_INT(negOp, kInt32, -x)
TFJS_UNARY_INT(absOp, kInt32, std::fabs(x))
TFJS_UNARY_INT(squareOp, kInt32, x* x)
TFJS_UNARY(floorOp, std::floor(x))
TFJS_UNARY(ceilOp, std::ceil(x))
TFJS_UNARY_INT(reciprocalOp, kInt32, 1.0 / x)
// TF.js's softplus: a threshold of log(epsilon) + 2 around which it returns x or exp(x).
TFJS_UNARY(softplusOp, (x > -std::log(1.1920928955078125e-07) + 2.0  ? x
                        : x < std::log(1.1920928955078125e-07) + 2.0 ? std::exp(x)
                                                                     : std::log(std::exp(x) + 1.0)))
TFJS_UNARY(seluOp, x >= 0 ? 1.0507009873554805 * x : 1.7580993408473768 * (std::exp(x) - 1.0))
#undef TFJS_UNARY
#undef TFJS_UNARY_INT

// Softmax over the last axis, step by step as TF.js's kernel: max, x - max, exp, sum, divide.
std::vector<ValuePtr> softmax(const OpContext& c) {
  const Value& x = c.floatIn(0);
  if (x.shape.empty()) c.node.invalid("a scalar input");
  const int64_t last = static_cast<int64_t>(x.shape.size()) - 1;
  const kernels::Array xa = arrayOf(x);
  kernels::Array m = kernels::reduce(kernels::Reduce::kMax, xa, {last}, true);
  kernels::Array e = kernels::binary(kernels::Binary::kSub, xa, m);
  for (float& v : e.data) v = static_cast<float>(std::exp(static_cast<double>(v)));
  const kernels::Array s = kernels::reduce(kernels::Reduce::kSum, e, {last}, true);
  kernels::binaryInPlace(kernels::Binary::kDiv, e, s);
  return {fromArray(std::move(e))};
}

// TF.js's round: half to even.
double roundHalfEven(double x) {
  const double base = std::floor(x);
  if (x - base < 0.5) return base;
  if (x - base > 0.5) return std::ceil(x);
  return std::fmod(base, 2.0) == 0.0 ? base : base + 1.0;
}
std::vector<ValuePtr> roundOp(const OpContext& c) {
  return unaryOp<IntInput::kInt32>(c, roundHalfEven);
}
std::vector<ValuePtr> signOp(const OpContext& c) {
  return unaryOp<IntInput::kInt32>(c, [](double x) { return x < 0 ? -1.0 : (x > 0 ? 1.0 : 0.0); });
}

// ClipByValue(x, min, max): x > max ? max : (x < min ? min : x) (NaN stays NaN).
std::vector<ValuePtr> clipByValue(const OpContext& c) {
  if (c.in(0).dtype == DType::kInt32) {  // TF.js keeps int32 (the bounds read as numbers)
    const Value& x = c.in(0);
    const auto bound = [&](size_t k) {
      const Value& v = c.in(k);
      if (v.size() != 1) c.node.unsupported("bounds that are not scalars");
      return v.dtype == DType::kFloat32 ? static_cast<double>(v.f[0]) : v.i[0];
    };
    const double a = bound(1), b = bound(2);
    std::vector<int32_t> y(x.i.size());
    for (size_t i = 0; i < y.size(); ++i) {
      const double v = x.i[i];
      y[i] = jsToInt32(v > b ? b : (v < a ? a : v));
    }
    return {intValue(x.shape, std::move(y))};
  }
  const Value& lo = c.floatIn(1);
  const Value& hi = c.floatIn(2);
  if (lo.size() != 1 || hi.size() != 1) c.node.unsupported("bounds that are not scalars");
  const float a = lo.f[0], b = hi.f[0];
  const Value& x = c.floatIn(0);
  kernels::Floats y(x.f.size());
  for (size_t i = 0; i < y.size(); ++i) y[i] = x.f[i] > b ? b : (x.f[i] < a ? a : x.f[i]);
  return {floatValue(x.shape, std::move(y))};
}

// FloorDiv and FloorMod / Mod element by element with broadcasting, as TF.js computes them:
// Math.floor(a / b), int32 whatever the inputs' dtype (TF.js's FloorDiv kernel), and a % b moved
// to the sign of b, in the inputs' dtype.
template <bool Mod>
std::vector<ValuePtr> floorOp(const OpContext& c) {
  const Value& a = c.in(0);
  const Value& b = c.in(1);
  if (a.dtype != b.dtype) c.node.invalid("operands of different dtypes");
  const Broadcast br = broadcast(c, {&a, &b});
  const Shape& out = br.out;
  const auto& ia = br.positions[0];
  const auto& ib = br.positions[1];
  const size_t n = ia.size();
  const auto value = [](const Value& v, int64_t p) { return numberAt(v, p); };
  const auto f = [](double x, double y) {
    if (!Mod) return std::floor(x / y);
    const double rem = std::fmod(x, y);
    return (x < 0 && y < 0) || (x >= 0 && y >= 0) ? rem : std::fmod(rem + y, y);
  };
  if (a.dtype == DType::kFloat32 && Mod) {  // FloorDiv is int32 in TF.js whatever its inputs
    kernels::Floats y(n);
    for (size_t k = 0; k < n; ++k) y[k] = static_cast<float>(f(value(a, ia[k]), value(b, ib[k])));
    return {floatValue(out, std::move(y))};
  }
  std::vector<int32_t> y(n);
  for (size_t k = 0; k < n; ++k) y[k] = jsToInt32(f(value(a, ia[k]), value(b, ib[k])));
  return {intValue(out, std::move(y))};
}

// --- basic math ---------------------------------------------------------------------------------

// A unary function of TF.js's basic math as its cpu kernel computes it: Math.fn of the element in
// double, stored into an array of the input's dtype (float32 rounding; ToInt32 for an int32
// input, which TF.js keeps int32, e.g. acos(int32 2) = ToInt32(NaN) = 0). `IntOk` false: TF.js's
// op asserts a float32 input (cos, cosh, sin, tan).
template <bool IntOk, typename F>
std::vector<ValuePtr> mathUnary(const OpContext& c, F f) {
  if (!IntOk && c.in(0).dtype == DType::kInt32) c.node.invalid("an int32 input (float32 expected)");
  return unaryOp<IntInput::kInt32>(c, f);
}

#define TFJS_MATH(NAME, INT_OK, EXPR)                           \
  std::vector<ValuePtr> NAME(const OpContext& c) {              \
    return mathUnary<INT_OK>(c, [](double x) { return EXPR; }); \
  }
TFJS_MATH(acosOp, true, std::acos(x))
TFJS_MATH(asinOp, true, std::asin(x))
TFJS_MATH(atanOp, true, std::atan(x))
TFJS_MATH(cosOp, false, std::cos(x))
TFJS_MATH(coshOp, false, std::cosh(x))
TFJS_MATH(sinOp, false, std::sin(x))
TFJS_MATH(sinhOp, true, std::sinh(x))
TFJS_MATH(tanOp, false, std::tan(x))
TFJS_MATH(expm1Op, true, std::expm1(x))
TFJS_MATH(log1pOp, true, std::log1p(x))
TFJS_MATH(asinhOp, true, std::asinh(x))
TFJS_MATH(acoshOp, true, std::acosh(x))
TFJS_MATH(atanhOp, true, std::atanh(x))
#undef TFJS_MATH

// Erf: TF.js's approximation (Abramowitz and Stegun 7.1.26, its ERF_* constants) in double,
// sign(x) * (1 - poly(t) * t * exp(-x^2)), t = 1 / (1 + p|x|); an int32 input is cast to float32.
double erfApprox(double x) {
  const double sign = std::isnan(x) ? x : (x > 0 ? 1.0 : (x < 0 ? -1.0 : x));
  const double v = std::fabs(x);
  const double t = 1.0 / (1.0 + 0.3275911 * v);
  return sign *
         (1.0 - (((((1.061405429 * t + -1.453152027) * t) + 1.421413741) * t + -0.284496736) * t +
                 0.254829592) *
                    t * std::exp(-v * v));
}
std::vector<ValuePtr> erfOp(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.dtype == DType::kFloat32) return unaryOp(c, erfApprox);
  if (x.dtype != DType::kInt32) {
    c.node.invalid(
        fmt::format("input of dtype {} (int32 or float32 expected)", dtypeName(x.dtype)));
  }
  kernels::Floats y(x.i.size());
  for (size_t k = 0; k < y.size(); ++k) {
    y[k] = static_cast<float>(erfApprox(static_cast<float>(x.i[k])));
  }
  return {floatValue(x.shape, std::move(y))};
}

// IsNan / IsFinite / IsInf: bool, of any numeric input (an int32 or bool element is finite).
template <int Test>  // 0 IsNan, 1 IsFinite, 2 IsInf
std::vector<ValuePtr> isOp(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.dtype != DType::kFloat32 && x.dtype != DType::kInt32 && x.dtype != DType::kBool) {
    c.node.unsupported(fmt::format("input of dtype {}", dtypeName(x.dtype)));
  }
  std::vector<int32_t> y(static_cast<size_t>(x.size()), Test == 1 ? 1 : 0);
  if (x.dtype == DType::kFloat32) {
    for (size_t k = 0; k < y.size(); ++k) {
      const float v = x.f[k];
      y[k] = Test == 0 ? std::isnan(v) : (Test == 1 ? std::isfinite(v) : std::isinf(v));
    }
  }
  return {intValue(x.shape, std::move(y), DType::kBool)};
}

// Two inputs broadcast (NumPy) as TF.js's binary ops take them: both read as doubles, with the
// dtype TF.js computes in (makeTypesMatch: float32 when either is, else int32; two bools are
// left unsupported). `y` gets f(a, b) per output element.
template <typename F>
std::vector<ValuePtr> mathBinary(const OpContext& c, F f) {
  const Value& a = c.in(0);
  const Value& b = c.in(1);
  for (const Value* v : {&a, &b}) {
    if (v->dtype != DType::kFloat32 && v->dtype != DType::kInt32 && v->dtype != DType::kBool) {
      c.node.unsupported(fmt::format("an operand of dtype {}", dtypeName(v->dtype)));
    }
  }
  const bool isFloat = a.dtype == DType::kFloat32 || b.dtype == DType::kFloat32;
  if (!isFloat && a.dtype == DType::kBool && b.dtype == DType::kBool) {
    c.node.unsupported("two bool operands");
  }
  const Broadcast br = broadcast(c, {&a, &b});
  const Shape& out = br.out;
  const auto& ia = br.positions[0];
  const auto& ib = br.positions[1];
  const size_t n = ia.size();
  const auto value = [](const Value& v, int64_t p) { return numberAt(v, p); };
  if (isFloat) {
    kernels::Floats y(n);
    const auto single = [](double v) { return static_cast<double>(static_cast<float>(v)); };
    for (size_t k = 0; k < n; ++k) {  // an int32 operand cast to float32 first
      y[k] = static_cast<float>(f(single(value(a, ia[k])), single(value(b, ib[k])), true));
    }
    return {floatValue(out, std::move(y))};
  }
  std::vector<int32_t> y(n);
  for (size_t k = 0; k < n; ++k) y[k] = jsToInt32(f(value(a, ia[k]), value(b, ib[k]), false));
  return {intValue(out, std::move(y))};
}

std::vector<ValuePtr> atan2Op(const OpContext& c) {
  return mathBinary(c, [](double a, double b, bool) { return std::atan2(a, b); });
}

// DivNoNan: tf.div (a / b in float32; floor division of int32s), then 0 where b == 0 (-0 too;
// a NaN b is not 0, so it gives NaN).
std::vector<ValuePtr> divNoNan(const OpContext& c) {
  return mathBinary(c, [](double a, double b, bool isFloat) {
    if (b == 0) return 0.0;
    return isFloat ? static_cast<double>(static_cast<float>(a) / static_cast<float>(b))
                   : std::floor(a / b);
  });
}

// --- reductions ----------------------------------------------------------------------------------

// ArgMax / ArgMin over one axis: the index of the first largest / smallest element (a NaN is
// never taken after the first element, as TF.js's comparisons go), int32.
template <bool IsMax>
std::vector<ValuePtr> argOp(const OpContext& c) {
  const Value& x = c.in(0).dtype == DType::kInt32 ? c.in(0) : c.floatIn(0);
  const auto at = [&x](int64_t k) {
    return x.dtype == DType::kInt32 ? static_cast<double>(x.i[static_cast<size_t>(k)])
                                    : static_cast<double>(x.f[static_cast<size_t>(k)]);
  };
  const auto axes = c.ints(1);
  if (axes.size() != 1) c.node.invalid("an axis input that is not one integer");
  const auto rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = resolveAxis(c, axes[0], rank);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape[static_cast<size_t>(d)];
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.shape[static_cast<size_t>(d)];
  const int64_t dim = x.shape[static_cast<size_t>(axis)];
  Shape out = x.shape;
  out.erase(out.begin() + axis);
  std::vector<int32_t> y(static_cast<size_t>(outer * inner), 0);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * dim * inner + i;
      double best = dim > 0 ? at(base) : 0.0;
      int32_t where = 0;
      for (int64_t j = 1; j < dim; ++j) {
        const double v = at(base + j * inner);
        if (IsMax ? v > best : v < best) {
          best = v;
          where = static_cast<int32_t>(j);
        }
      }
      y[static_cast<size_t>(o * inner + i)] = where;
    }
  }
  return {intValue(out, std::move(y))};
}

// An int32 reduction as TF.js's cpu kernels do it: the elements summed / multiplied / compared
// as JavaScript numbers (double), the result stored into an Int32Array (ToInt32).
ValuePtr reduceInt(const OpContext& c, kernels::Reduce r, const Value& x,
                   const std::vector<int64_t>& axesIn, bool keep) {
  const auto rank = static_cast<int64_t>(x.shape.size());
  std::vector<bool> reduced(x.shape.size(), false);
  for (const int64_t a : axesIn) {
    const int64_t axis = resolveAxis(c, a, rank);
    if (reduced[static_cast<size_t>(axis)]) c.node.invalid(fmt::format("axis {} twice", a));
    reduced[static_cast<size_t>(axis)] = true;
  }
  Shape out, kept;
  for (size_t d = 0; d < x.shape.size(); ++d) {
    if (!reduced[d]) {
      out.push_back(x.shape[d]);
      kept.push_back(x.shape[d]);
    } else if (keep) {
      out.push_back(1);
    }
  }
  const int64_t n = kernels::Array::count(kept);
  std::vector<double> acc(static_cast<size_t>(n), r == kernels::Reduce::kProd ? 1.0 : 0.0);
  std::vector<bool> seen(static_cast<size_t>(n), false);
  std::vector<int64_t> idx(x.shape.size(), 0);
  for (size_t k = 0; k < x.i.size(); ++k) {
    int64_t o = 0;
    for (size_t d = 0; d < x.shape.size(); ++d) {
      if (!reduced[d]) o = o * x.shape[d] + idx[d];
    }
    double& a = acc[static_cast<size_t>(o)];
    const double v = x.i[k];
    switch (r) {
      case kernels::Reduce::kSum:
        a += v;
        break;
      case kernels::Reduce::kProd:
        a *= v;
        break;
      case kernels::Reduce::kMax:
        a = seen[static_cast<size_t>(o)] ? std::max(a, v) : v;
        break;
      default:  // kMin
        a = seen[static_cast<size_t>(o)] ? std::min(a, v) : v;
        break;
    }
    seen[static_cast<size_t>(o)] = true;
    for (size_t d = x.shape.size(); d-- > 0;) {  // odometer
      if (++idx[d] < x.shape[d]) break;
      idx[d] = 0;
    }
  }
  std::vector<int32_t> y(acc.size());
  for (size_t k = 0; k < y.size(); ++k) y[k] = jsToInt32(acc[k]);
  return intValue(out, std::move(y));
}

template <kernels::Reduce R>
std::vector<ValuePtr> reduceOp(const OpContext& c) {
  if (c.in(0).dtype == DType::kInt32) {
    // Sum / Prod / Max / Min keep int32; Mean gives float32 (TF.js casts the input first).
    if constexpr (R != kernels::Reduce::kMean) {
      return {reduceInt(c, R, c.in(0), c.ints(1), c.node.flag("keep_dims", false))};
    } else {
      const Value& xi = c.in(0);
      kernels::Floats f(xi.i.size());
      for (size_t k = 0; k < f.size(); ++k) f[k] = static_cast<float>(xi.i[k]);
      try {
        return {fromArray(kernels::reduce(R, kernels::Array(xi.shape, std::move(f)), c.ints(1),
                                          c.node.flag("keep_dims", false)))};
      } catch (const Error& e) {
        c.node.invalid(e.what());
      }
    }
  }
  const Value& x = c.floatIn(0);
  const std::vector<int64_t> axes = c.ints(1);
  const bool keep = c.node.flag("keep_dims", false);
  try {
    return {fromArray(kernels::reduce(R, arrayOf(x), axes, keep))};
  } catch (const Error& e) {
    c.node.invalid(e.what());
  }
}

constexpr OpRow kRows[] = {
    {"Add", binaryOp<kernels::Binary::kAdd>},
    {"AddV2", binaryOp<kernels::Binary::kAdd>},
    {"Sub", binaryOp<kernels::Binary::kSub>},
    {"Mul", binaryOp<kernels::Binary::kMul>},
    {"RealDiv", binaryOp<kernels::Binary::kDiv>},
    {"Div", binaryOp<kernels::Binary::kDiv>},
    {"Maximum", binaryOp<kernels::Binary::kMaximum>},
    {"Minimum", binaryOp<kernels::Binary::kMinimum>},
    {"Pow", binaryOp<kernels::Binary::kPow>},
    {"SquaredDifference", binaryOp<kernels::Binary::kSquaredDifference>},
    {"BiasAdd", biasAdd},
    {"AddN", addN},
    {"Relu", activationOp<Activation::kRelu>},
    {"Relu6", activationOp<Activation::kRelu6>},
    {"Elu", activationOp<Activation::kElu>},
    {"Sigmoid", activationOp<Activation::kSigmoid>},
    {"LeakyRelu", activationOp<Activation::kLeakyRelu>},
    {"Prelu", activationOp<Activation::kPrelu>},
    {"Selu", seluOp},
    {"Tanh", tanhOp},
    {"Exp", expOp},
    {"Log", logOp},
    {"Sqrt", sqrtOp},
    {"Rsqrt", rsqrtOp},
    {"Neg", negOp},
    {"Abs", absOp},
    {"Square", squareOp},
    {"Floor", floorOp},
    {"Ceil", ceilOp},
    {"Reciprocal", reciprocalOp},
    {"Softplus", softplusOp},
    {"Softmax", softmax},
    {"Sum", reduceOp<kernels::Reduce::kSum>},
    {"Mean", reduceOp<kernels::Reduce::kMean>},
    {"Max", reduceOp<kernels::Reduce::kMax>},
    {"Min", reduceOp<kernels::Reduce::kMin>},
    {"Prod", reduceOp<kernels::Reduce::kProd>},
    {"ArgMax", argOp<true>},
    {"ArgMin", argOp<false>},
    {"Round", roundOp},
    {"Sign", signOp},
    {"ClipByValue", clipByValue},
    {"FloorDiv", floorOp<false>},
    {"FloorMod", floorOp<true>},
    {"Mod", floorOp<true>},
    {"Acos", acosOp},
    {"Asin", asinOp},
    {"Atan", atanOp},
    {"Atan2", atan2Op},
    {"Cos", cosOp},
    {"Cosh", coshOp},
    {"Sin", sinOp},
    {"Sinh", sinhOp},
    {"Tan", tanOp},
    {"Expm1", expm1Op},
    {"Log1p", log1pOp},
    {"Asinh", asinhOp},
    {"Acosh", acoshOp},
    {"Atanh", atanhOp},
    {"Erf", erfOp},
    {"IsNan", isOp<0>},
    {"IsFinite", isOp<1>},
    {"IsInf", isOp<2>},
    {"DivNoNan", divNoNan},
};

}  // namespace

std::span<const OpRow> mathOps() {
  return kRows;
}

}  // namespace tfjs::graph
