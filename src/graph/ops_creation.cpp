// The graph ops of the creation family (Ones, Zeros, LinSpace, the random ops): ops.h.
//
// The random ops draw as TF.js 4.22 does, from seedrandom's alea seeded with the seed's decimal
// text: RandomStandardNormal and TruncatedNormal from tfjs-core's Marsaglia polar generator
// (MPRandGauss), RandomUniformInt from its UniformRandom, Multinomial as backend-cpu's kernel.
// With the same seed their values equal TF.js's. Where TF.js seeds from Math.random (a seed of 0,
// and RandomUniform always: the executor passes no seed) the values differ run to run there, and
// here they are drawn from a seed of std::random_device.
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "graph/ops.h"

namespace tfjs::graph {
namespace {

// seedrandom's alea: Mash hashes the seed text into three states, then a multiply-with-carry
// generator of doubles in [0, 1).
class Alea {
 public:
  explicit Alea(const std::string& seed) {
    double n = 4022871197.0;  // 0xefc8249d
    const auto mash = [&n](const std::string& data) {
      for (const char ch : data) {
        n += static_cast<unsigned char>(ch);
        double h = 0.02519603282416938 * n;
        n = toUint32(h);
        h -= n;
        h *= n;
        n = toUint32(h);
        h -= n;
        n += h * 4294967296.0;
      }
      return toUint32(n) * 2.3283064365386963e-10;
    };
    s0_ = mash(" ");
    s1_ = mash(" ");
    s2_ = mash(" ");
    s0_ -= mash(seed);
    if (s0_ < 0) s0_ += 1;
    s1_ -= mash(seed);
    if (s1_ < 0) s1_ += 1;
    s2_ -= mash(seed);
    if (s2_ < 0) s2_ += 1;
  }
  double operator()() {
    const double t = 2091639 * s0_ + c_ * 2.3283064365386963e-10;
    s0_ = s1_;
    s1_ = s2_;
    c_ = std::trunc(t);  // t | 0 (t is in [0, 2^21))
    return s2_ = t - c_;
  }

 private:
  static double toUint32(double h) { return std::fmod(std::trunc(h), 4294967296.0); }
  double c_ = 1, s0_ = 0, s1_ = 0, s2_ = 0;
};

// The seed text TF.js hands alea: the number's toString (an integer here, as getNumberParam
// parses it), or Math.random()'s when TF.js draws one (`random`).
std::string seedText(const OpContext& c, int64_t seed, bool random) {
  if (random) {
    std::random_device rd;
    return fmt::format("{}", static_cast<double>(rd()) / 4294967296.0);
  }
  const auto d = static_cast<double>(seed);
  if (!(std::fabs(d) < 1e21)) c.node.unsupported(fmt::format("a seed of {}", seed));
  return fmt::format("{:.0f}", d);
}

// A number attribute as TF.js's getNumberParam reads it: `i` first, then `f`.
double numberAttr(const OpContext& c, const char* key, double otherwise) {
  if (c.node.attr.is_object() && c.node.attr.contains(key) && c.node.attr[key].contains("i")) {
    return static_cast<double>(c.node.integer(key, 0));
  }
  return c.node.number(key, otherwise);
}

// The shape input of a creation op, checked.
Shape shapeIn(const OpContext& c) {
  Shape s = c.ints(0);
  checkSize(c, s);
  return s;
}

// JS ToInt32 of a double (a store into an Int32Array).
int32_t toInt32(double v) {
  if (!std::isfinite(v)) return 0;
  const double t = std::fmod(std::trunc(v), 4294967296.0);
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<int64_t>(t)));
}

// A value of `dtype` and `shape` whose elements are next() in order, stored as TF.js's buffer
// stores them (float32 rounded, int32 by ToInt32).
template <typename F>
ValuePtr drawn(DType dtype, const Shape& shape, F next) {
  const auto n = static_cast<size_t>(kernels::Array::count(shape));
  if (dtype == DType::kFloat32) {
    kernels::Floats f(n);
    for (size_t k = 0; k < n; ++k) f[k] = static_cast<float>(next());
    return floatValue(shape, std::move(f));
  }
  std::vector<int32_t> i(n);
  for (size_t k = 0; k < n; ++k) i[k] = toInt32(next());
  return intValue(shape, std::move(i), dtype);
}

DType randomDtype(const OpContext& c) {
  const DType dtype = c.node.type("dtype").value_or(DType::kFloat32);
  if (dtype != DType::kFloat32 && dtype != DType::kInt32) {
    c.node.invalid(fmt::format("unsupported data type {}", dtypeName(dtype)));
  }
  return dtype;
}

// tfjs-core's MPRandGauss: pairs of normal samples by the Marsaglia polar method, the second kept
// for the next call; truncated: a pair is redrawn while its first is beyond 2 stddev, its second
// kept only when within. int32 samples are Math.round-ed.
class Gauss {
 public:
  Gauss(double mean, double stddev, bool truncated, bool roundInt, const std::string& seed)
      : mean_(mean), stddev_(stddev), truncated_(truncated), round_(roundInt), random_(seed) {
    upper_ = mean + stddev * 2;
    lower_ = mean - stddev * 2;
  }
  double operator()() {
    if (!std::isnan(next_)) {
      const double v = next_;
      next_ = std::numeric_limits<double>::quiet_NaN();
      return v;
    }
    double x = 0, y = 0;
    for (bool valid = false; !valid;) {
      double v1 = 0, v2 = 0, s = 0;
      do {
        v1 = 2 * random_() - 1;
        v2 = 2 * random_() - 1;
        s = v1 * v1 + v2 * v2;
      } while (s >= 1 || s == 0);
      const double mul = std::sqrt(-2.0 * std::log(s) / s);
      x = mean_ + stddev_ * v1 * mul;
      y = mean_ + stddev_ * v2 * mul;
      valid = !truncated_ || inside(x);
    }
    if (!truncated_ || inside(y)) next_ = convert(y);
    return convert(x);
  }

 private:
  bool inside(double v) const { return v <= upper_ && v >= lower_; }
  double convert(double v) const { return round_ ? std::floor(v + 0.5) : v; }
  double mean_, stddev_, upper_ = 0, lower_ = 0;
  bool truncated_, round_;
  Alea random_;
  double next_ = std::numeric_limits<double>::quiet_NaN();
};

std::vector<ValuePtr> randomStandardNormal(const OpContext& c) {
  const Shape shape = shapeIn(c);
  const DType dtype = randomDtype(c);
  const int64_t seed = c.node.integer("seed", 0);
  Gauss g(0, 1, false, dtype != DType::kFloat32, seedText(c, seed, seed == 0));
  return {drawn(dtype, shape, g)};
}

// TruncatedNormal: TF.js reads the mean from attribute "means" and the stddev from "stddev".
std::vector<ValuePtr> truncatedNormal(const OpContext& c) {
  const Shape shape = shapeIn(c);
  const DType dtype = randomDtype(c);
  const int64_t seed = c.node.integer("seed", 0);
  const double mean = numberAttr(c, "means", 0), stddev = numberAttr(c, "stddev", 1);
  // TF.js redraws until a sample is within 2 stddev: forever for a NaN or negative stddev.
  if (!std::isfinite(mean) || !std::isfinite(stddev) || stddev < 0) {
    c.node.invalid(fmt::format("mean {} and stddev {} (TF.js would never finish)", mean, stddev));
  }
  Gauss g(mean, stddev, true, dtype != DType::kFloat32, seedText(c, seed, seed == 0));
  return {drawn(dtype, shape, g)};
}

// RandomUniform: minval + (maxval - minval) * u, never seeded by TF.js's executor.
std::vector<ValuePtr> randomUniform(const OpContext& c) {
  const Shape shape = shapeIn(c);
  const DType dtype = randomDtype(c);
  const double lo = numberAttr(c, "minval", 0), range = numberAttr(c, "maxval", 1) - lo;
  Alea u(seedText(c, 0, true));
  return {drawn(dtype, shape, [&] { return lo + range * u(); })};
}

// RandomUniformInt: TF.js reads minval / maxval as attributes (0 when absent) and seeds alea with
// the seed even when it is 0; the samples are truncated into int32.
std::vector<ValuePtr> randomUniformInt(const OpContext& c) {
  const Shape shape = shapeIn(c);
  const double lo = numberAttr(c, "minval", 0), range = numberAttr(c, "maxval", 0) - lo;
  Alea u(seedText(c, c.node.integer("seed", 0), false));
  return {drawn(DType::kInt32, shape, [&] { return lo + range * u(); })};
}

// Multinomial(logits, num_samples): per row, softmax (as backend-cpu computes it, in float32
// steps), a float32 running cdf, and each sample the first event whose cdf exceeds a uniform draw
// (the last event otherwise). Every row restarts alea from the same seed.
std::vector<ValuePtr> multinomial(const OpContext& c) {
  const Value& logits = c.floatIn(0);
  const Value& ns = c.in(1);
  if (ns.size() < 1) c.node.invalid("an empty num_samples");
  const double samplesD = ns.dtype == DType::kFloat32 ? ns.f[0] : ns.i[0];
  if (logits.size() < 2) {
    c.node.invalid(fmt::format("at least 2 outcomes are needed, got {}", logits.size()));
  }
  if (logits.shape.size() > 2) {
    c.node.invalid(fmt::format("logits of rank {} (1 or 2 expected)", logits.shape.size()));
  }
  if (!(samplesD >= 0) || samplesD != std::trunc(samplesD)) {
    c.node.invalid(fmt::format("num_samples {}", samplesD));
  }
  const auto samples = static_cast<int64_t>(samplesD);
  const int64_t batch = logits.shape.size() == 1 ? 1 : logits.shape[0];
  const int64_t events = logits.shape.back();
  const Shape out = logits.shape.size() == 1 ? Shape{samples} : Shape{batch, samples};
  checkSize(c, out);
  const int64_t seed = c.node.integer("seed", 0);
  const std::string text = seedText(c, seed, seed == 0);
  std::vector<int32_t> y(static_cast<size_t>(batch * samples));
  std::vector<float> p(static_cast<size_t>(events)), cdf(static_cast<size_t>(events - 1));
  for (int64_t b = 0; b < batch; ++b) {
    const float* x = logits.f.data() + b * events;
    float m = x[0];
    for (int64_t e = 1; e < events; ++e) m = std::max(m, x[e]);  // NaN: as tf.max, roughly
    double sum = 0;
    for (int64_t e = 0; e < events; ++e) {
      p[static_cast<size_t>(e)] = static_cast<float>(std::exp(static_cast<float>(x[e] - m)));
      sum += p[static_cast<size_t>(e)];
    }
    const auto total = static_cast<float>(sum);
    for (float& v : p) v = static_cast<float>(static_cast<double>(v) / total);
    // (Logits of shape [n, 1]: no cdf, every sample is event 0.)
    for (size_t e = 0; e < cdf.size(); ++e) cdf[e] = e == 0 ? p[0] : cdf[e - 1] + p[e];
    Alea u(text);
    for (int64_t s = 0; s < samples; ++s) {
      const double r = u();
      auto event = static_cast<int32_t>(cdf.size());
      for (size_t e = 0; e < cdf.size(); ++e) {
        if (r < cdf[e]) {
          event = static_cast<int32_t>(e);
          break;
        }
      }
      y[static_cast<size_t>(b * samples + s)] = event;
    }
  }
  return {intValue(out, std::move(y))};
}

double scalarIn(const OpContext& c, size_t k) {
  const Value& v = c.in(k);
  if (v.size() < 1) c.node.invalid(fmt::format("input {} is empty", k));
  return v.dtype == DType::kFloat32 ? v.f[0] : v.i[0];
}

// LinSpace(start, stop, num): float32, each value the previous plus (stop - start) / (num - 1).
std::vector<ValuePtr> linSpace(const OpContext& c) {
  const double start = scalarIn(c, 0), stop = scalarIn(c, 1), num = scalarIn(c, 2);
  if (!(num > 0) || num != std::trunc(num)) {
    c.node.invalid(fmt::format("num {} (the number of values must be a positive integer)", num));
  }
  const Shape out = {static_cast<int64_t>(std::ceil(num))};
  checkSize(c, out);
  const double step = (stop - start) / (num - 1);
  kernels::Floats f(static_cast<size_t>(out[0]));
  f[0] = static_cast<float>(start);
  for (size_t k = 1; k < f.size(); ++k) f[k] = static_cast<float>(f[k - 1] + step);
  return {floatValue(out, std::move(f))};
}

// Ones / Zeros(shape), of dtype attribute T (float32 when absent).
template <int kFill>
std::vector<ValuePtr> constantOp(const OpContext& c) {
  const Shape shape = shapeIn(c);
  const DType dtype = c.node.type("T").value_or(DType::kFloat32);
  const auto n = static_cast<size_t>(kernels::Array::count(shape));
  if (dtype == DType::kFloat32) return {floatValue(shape, kernels::Floats(n, kFill))};
  if (dtype != DType::kInt32 && dtype != DType::kBool) {
    c.node.unsupported(fmt::format("dtype {}", dtypeName(dtype)));
  }
  return {intValue(shape, std::vector<int32_t>(n, kFill), dtype)};
}

constexpr OpRow kRows[] = {
    {"LinSpace", linSpace},
    {"Ones", constantOp<1>},
    {"Zeros", constantOp<0>},
    {"RandomStandardNormal", randomStandardNormal},
    {"RandomUniform", randomUniform},
    {"RandomUniformInt", randomUniformInt},
    {"TruncatedNormal", truncatedNormal},
    {"Multinomial", multinomial},
};

}  // namespace

std::span<const OpRow> creationOps() {
  return kRows;
}

}  // namespace tfjs::graph
