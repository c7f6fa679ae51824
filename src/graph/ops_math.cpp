// Graph ops that compute element by element or reduce (tfjs-converter's arithmetic, basic_math
// and reduction families), as tfjs-backend-cpu computes them: binary arithmetic with NumPy
// broadcasting (float32 on kernels::binary; int32 here, as TF.js computes int32 tensors),
// BiasAdd, AddN, the unary functions and activations (each in double, rounded to float32),
// Softmax (max, sub, exp, sum, div, each rounded as TF.js's kernels round them), and Sum / Mean /
// Max / Min / Prod on kernels::reduce.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "format/js_math.h"
#include "graph/ops.h"
#include "kernels/indexing.h"
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
// Int32Array (ToInt32); RealDiv / Div of int32 are float divisions there, truncated likewise.
int32_t intOp(kernels::Binary op, int32_t a, int32_t b) {
  const double x = a, y = b;
  switch (op) {
    case kernels::Binary::kAdd:
      return jsToInt32(x + y);
    case kernels::Binary::kSub:
      return jsToInt32(x - y);
    case kernels::Binary::kMul:
      return jsToInt32(x * y);
    case kernels::Binary::kDiv:
      return jsToInt32(x / y);
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
  const Shape out = kernels::broadcastShape(a.shape, b.shape);
  std::vector<int64_t> sa, sb;
  kernels::indexing::repeatStrides(a.shape, out, sa);
  kernels::indexing::repeatStrides(b.shape, out, sb);
  std::vector<int32_t> y(static_cast<size_t>(kernels::Array::count(out)));
  std::vector<int64_t> ia(y.size()), ib(y.size());
  kernels::indexing::forEachIndex(out, sa,
                                  [&](int64_t i, int64_t at) { ia[static_cast<size_t>(i)] = at; });
  kernels::indexing::forEachIndex(out, sb,
                                  [&](int64_t i, int64_t at) { ib[static_cast<size_t>(i)] = at; });
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] = intOp(Op, a.i[static_cast<size_t>(ia[i])], b.i[static_cast<size_t>(ib[i])]);
  }
  return {intValue(out, std::move(y))};
}

std::vector<ValuePtr> biasAdd(const OpContext& c) {
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
  kernels::Array y = arrayOf(c.floatIn(0));
  for (size_t k = 1; k < c.inputs.size(); ++k) {
    const Value& v = c.floatIn(k);
    if (v.shape != y.shape) c.node.invalid("inputs of different shapes");
    kernels::binaryInPlace(kernels::Binary::kAdd, y, {v.f.data(), v.shape});
  }
  return {fromArray(std::move(y))};
}

// --- unary --------------------------------------------------------------------------------------

template <typename F>
std::vector<ValuePtr> unaryOp(const OpContext& c, F f) {
  const Value& x = c.floatIn(0);
  kernels::Floats y(x.f.size());
  for (size_t i = 0; i < y.size(); ++i) y[i] = static_cast<float>(f(static_cast<double>(x.f[i])));
  return {floatValue(x.shape, std::move(y))};
}

template <Activation A>
std::vector<ValuePtr> activationOp(const OpContext& c) {
  kernels::Array y = arrayOf(c.floatIn(0));
  const float leaky = static_cast<float>(c.node.number("alpha", 0.2));
  activate(A, y, A == Activation::kPrelu ? &c.floatIn(1) : nullptr, leaky, c.node);
  return {fromArray(std::move(y))};
}

#define TFJS_UNARY(NAME, EXPR)                        \
  std::vector<ValuePtr> NAME(const OpContext& c) {    \
    return unaryOp(c, [](double x) { return EXPR; }); \
  }
TFJS_UNARY(tanhOp, std::tanh(x))
TFJS_UNARY(expOp, std::exp(x))
TFJS_UNARY(logOp, std::log(x))
TFJS_UNARY(sqrtOp, std::sqrt(x))
TFJS_UNARY(rsqrtOp, 1.0 / std::sqrt(x))
TFJS_UNARY(negOp, -x)
TFJS_UNARY(absOp, std::fabs(x))
TFJS_UNARY(squareOp, x* x)
TFJS_UNARY(floorOp, std::floor(x))
TFJS_UNARY(ceilOp, std::ceil(x))
TFJS_UNARY(reciprocalOp, 1.0 / x)
// TF.js's softplus: a threshold of log(epsilon) + 2 around which it returns x or exp(x).
TFJS_UNARY(softplusOp, (x > -std::log(1.1920928955078125e-07) + 2.0  ? x
                        : x < std::log(1.1920928955078125e-07) + 2.0 ? std::exp(x)
                                                                     : std::log(std::exp(x) + 1.0)))
TFJS_UNARY(seluOp, x >= 0 ? 1.0507009873554805 * x : 1.7580993408473768 * (std::exp(x) - 1.0))
#undef TFJS_UNARY

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

// --- reductions ----------------------------------------------------------------------------------

template <kernels::Reduce R>
std::vector<ValuePtr> reduceOp(const OpContext& c) {
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
};

}  // namespace

std::span<const OpRow> mathOps() {
  return kRows;
}

}  // namespace tfjs::graph
