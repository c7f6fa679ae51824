// Keras / TF.js weight initializers with tfjs-layers' rules (initializers.ts): its defaults, its
// computeFans, its VarianceScaling and its random distributions (tfjs-core's randomUniform:
// min + (max - min) * u; randomNormal / truncatedNormal: the Marsaglia polar method, truncated
// normal values redrawn outside mean +- 2 stddev). The random stream is our own seeded
// std::mt19937_64 (with our own bit-to-double conversion, so that a seed gives the same values
// with every C++ standard library).
#include "model/initializers.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "format/checked.h"
#include "tfjs/error.h"

namespace tfjs::train {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

class Random {
 public:
  explicit Random(uint64_t seed) : gen_(seed) {}
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  // tfjs-core's MPRandGauss: Marsaglia's polar method, values in pairs.
  double normal(double mean, double stddev, bool truncated) {
    if (haveNext_) {
      haveNext_ = false;
      return next_;
    }
    const double lo = mean - stddev * 2, hi = mean + stddev * 2;
    auto valid = [&](double v) { return !truncated || (v <= hi && v >= lo); };
    double x = 0, y = 0;
    do {
      double v1, v2, s;
      do {
        v1 = 2 * uniform() - 1;
        v2 = 2 * uniform() - 1;
        s = v1 * v1 + v2 * v2;
      } while (s >= 1 || s == 0);
      const double mul = std::sqrt(-2.0 * std::log(s) / s);
      x = mean + stddev * v1 * mul;
      y = mean + stddev * v2 * mul;
    } while (!valid(x));
    if (valid(y)) {
      next_ = y;
      haveNext_ = true;
    }
    return x;
  }

 private:
  std::mt19937_64 gen_;
  bool haveNext_ = false;
  double next_ = 0;
};

// The initializer's config with typed, checked access.
class InitConfig {
 public:
  InitConfig(std::string className, const Json& config) : class_(std::move(className)) {
    if (config.is_null()) return;
    if (!config.is_object()) {
      invalid(fmt::format("initializer {}: config must be a JSON object, got {}", class_,
                          config.dump()));
    }
    config_ = config;
  }
  bool has(const std::string& k) const {
    return config_.is_object() && config_.contains(k) && !config_[k].is_null();
  }
  double number(const std::string& k, double def) {
    used_.insert(k);
    if (!has(k)) return def;
    const Json& v = config_[k];
    if (!v.is_number() || !std::isfinite(v.get<double>())) {
      invalid(
          fmt::format("initializer {}: '{}' must be a finite number, got {}", class_, k, v.dump()));
    }
    return v.get<double>();
  }
  // JS `config.k || def`: absent, null and 0 give the default (tfjs-layers' RandomUniform,
  // RandomNormal and TruncatedNormal read their options this way).
  double numberOr(const std::string& k, double def) {
    const double v = number(k, def);
    return v == 0 ? def : v;
  }
  std::string string(const std::string& k, const std::string& def) {
    used_.insert(k);
    if (!has(k)) return def;
    if (!config_[k].is_string()) {
      invalid(fmt::format("initializer {}: '{}' must be a string, got {}", class_, k,
                          config_[k].dump()));
    }
    return config_[k].get<std::string>();
  }
  std::optional<uint64_t> seed() {
    used_.insert("seed");
    if (!has("seed")) return std::nullopt;
    const Json& v = config_["seed"];
    if (v.is_number_integer()) return static_cast<uint64_t>(v.get<int64_t>());
    if (v.is_number_unsigned()) return v.get<uint64_t>();
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
        return static_cast<uint64_t>(static_cast<int64_t>(d));
      }
    }
    invalid(fmt::format("initializer {}: 'seed' must be an integer, got {}", class_, v.dump()));
  }
  void finish() const {
    if (!config_.is_object()) return;
    for (const auto& [k, v] : config_.items()) {
      if (used_.count(k) || k == "dtype") continue;
      std::string known;
      for (const std::string& u : used_) known += (known.empty() ? "" : ", ") + u;
      invalid(fmt::format("initializer {}: unknown option '{}' (known: {})", class_, k,
                          known.empty() ? "none" : known));
    }
  }

 private:
  std::string class_;
  Json config_;
  std::set<std::string> used_;
};

// tfjs-layers' computeFans (channels-last).
std::pair<double, double> computeFans(const std::vector<int64_t>& shape) {
  if (shape.size() == 2) return {static_cast<double>(shape[0]), static_cast<double>(shape[1])};
  if (shape.size() >= 3 && shape.size() <= 5) {
    double receptive = 1;
    for (size_t i = 0; i + 2 < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
    return {static_cast<double>(shape[shape.size() - 2]) * receptive,
            static_cast<double>(shape.back()) * receptive};
  }
  double n = 1;
  for (int64_t d : shape) n *= static_cast<double>(d);
  return {std::sqrt(n), std::sqrt(n)};
}

std::string key(const std::string& name) {
  std::string k;
  for (char c : name) {
    if (c != '_') k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return k;
}

void fillUniform(Random& rng, double lo, double hi, float* out, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<float>(lo + (hi - lo) * rng.uniform());
}
void fillNormal(Random& rng, double mean, double stddev, bool truncated, float* out, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) out[i] = static_cast<float>(rng.normal(mean, stddev, truncated));
}

// Orthogonal: Q of the QR decomposition of a [max(r, c), min(r, c)] standard normal matrix, its
// columns signed by diag(R), transposed when rows < cols (r = product of all but the last
// dimension, c = the last), times gain. Householder QR in double.
void fillOrthogonal(Random& rng, const std::vector<int64_t>& shape, double gain, float* out) {
  uint64_t rows = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i) rows = checkedMul(rows, shape[i]);
  const auto cols = static_cast<uint64_t>(shape.back());
  const size_t m = std::max(rows, cols), n = std::min(rows, cols);
  if (n == 0) return;
  std::vector<double> a(checkedMul(m, n));  // row-major m x n
  for (double& v : a) v = rng.normal(0, 1, false);
  std::vector<std::vector<double>> reflectors;
  std::vector<double> rdiag(n);
  for (size_t k = 0; k < n; ++k) {
    double norm = 0;
    for (size_t i = k; i < m; ++i) norm += a[i * n + k] * a[i * n + k];
    norm = std::sqrt(norm);
    std::vector<double> v(m - k);
    for (size_t i = k; i < m; ++i) v[i - k] = a[i * n + k];
    const double alpha = v[0] >= 0 ? -norm : norm;
    v[0] -= alpha;
    double vnorm = 0;
    for (double x : v) vnorm += x * x;
    if (vnorm > 0) {
      for (size_t j = k; j < n; ++j) {
        double dot = 0;
        for (size_t i = k; i < m; ++i) dot += v[i - k] * a[i * n + j];
        const double f = 2 * dot / vnorm;
        for (size_t i = k; i < m; ++i) a[i * n + j] -= f * v[i - k];
      }
    }
    rdiag[k] = a[k * n + k];
    reflectors.push_back(std::move(v));
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  std::vector<double> q(m * n, 0.0);
  for (size_t i = 0; i < n; ++i) q[i * n + i] = 1;
  for (size_t kk = n; kk-- > 0;) {
    const std::vector<double>& v = reflectors[kk];
    double vnorm = 0;
    for (double x : v) vnorm += x * x;
    if (vnorm == 0) continue;
    for (size_t j = 0; j < n; ++j) {
      double dot = 0;
      for (size_t i = kk; i < m; ++i) dot += v[i - kk] * q[i * n + j];
      const double f = 2 * dot / vnorm;
      for (size_t i = kk; i < m; ++i) q[i * n + j] -= f * v[i - kk];
    }
  }
  for (size_t j = 0; j < n; ++j) {
    const double sign = rdiag[j] > 0 ? 1.0 : (rdiag[j] < 0 ? -1.0 : 0.0);
    for (size_t i = 0; i < m; ++i) q[i * n + j] *= sign;
  }
  // out is rows x cols: Q itself when rows >= cols, else its transpose.
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < cols; ++j) {
      const double v = rows >= cols ? q[i * n + j] : q[j * n + i];
      out[i * cols + j] = static_cast<float>(gain * v);
    }
  }
}

}  // namespace

void initialize(const Json& spec, const std::vector<int64_t>& shape, uint64_t fallbackSeed,
                float* out) {
  std::string className;
  Json config;
  if (spec.is_string()) {
    className = spec.get<std::string>();
  } else if (spec.is_object()) {
    const char* nameKey = spec.contains("class_name") ? "class_name" : "className";
    if (!spec.contains(nameKey) || !spec[nameKey].is_string()) {
      invalid(fmt::format("initializer: expected {{\"class_name\": ..., \"config\": ...}}, got {}",
                          spec.dump()));
    }
    className = spec[nameKey].get<std::string>();
    if (spec.contains("config")) config = spec["config"];
  } else {
    invalid(fmt::format("initializer: expected a name or {{\"class_name\", \"config\"}}, got {}",
                        spec.dump()));
  }
  for (int64_t d : shape) {
    if (d < 0) {
      invalid(fmt::format("initializer {}: shape {} has a negative dimension", className,
                          shapeString(shape)));
    }
  }
  const uint64_t n = elementCount(shape);
  InitConfig c(className, config);
  const std::string k = key(className);

  auto rng = [&]() { return Random(c.seed().value_or(fallbackSeed)); };
  auto varianceScaling = [&](double scale, std::string mode, std::string distribution) {
    mode = key(mode);
    distribution = key(distribution);
    Random r = rng();
    c.finish();
    if (!(scale >= 0)) {
      invalid(fmt::format("initializer {}: scale must be >= 0, got {}", className, scale));
    }
    const auto [fanIn, fanOut] = computeFans(shape);
    if (mode == "fanin") {
      scale /= std::max(1.0, fanIn);
    } else if (mode == "fanout") {
      scale /= std::max(1.0, fanOut);
    } else if (mode == "fanavg") {
      scale /= std::max(1.0, (fanIn + fanOut) / 2);
    } else {
      invalid(
          fmt::format("initializer {}: mode must be fanIn, fanOut or fanAvg (fan_in, ...), got "
                      "'{}'",
                      className, mode));
    }
    if (distribution == "normal") {
      // TF.js: a truncated normal with stddev sqrt(scale), without Keras's 0.8796 correction.
      fillNormal(r, 0, std::sqrt(scale), true, out, n);
    } else if (distribution == "uniform" || distribution == "truncatednormal") {
      // TF.js draws every distribution other than 'normal' uniformly, 'truncatedNormal' too.
      const double limit = std::sqrt(3 * scale);
      fillUniform(r, -limit, limit, out, n);
    } else if (distribution == "untruncatednormal") {
      fillNormal(r, 0, std::sqrt(scale), false, out, n);  // Keras's; TF.js rejects it
    } else {
      invalid(
          fmt::format("initializer {}: distribution must be normal, uniform, truncated_normal "
                      "or untruncated_normal, got '{}'",
                      className, distribution));
    }
  };

  if (k == "zeros" || k == "zero") {
    c.finish();
    std::fill(out, out + n, 0.0f);
  } else if (k == "ones" || k == "one") {
    c.finish();
    std::fill(out, out + n, 1.0f);
  } else if (k == "constant") {
    if (!c.has("value")) invalid(fmt::format("initializer {}: config must set 'value'", className));
    const auto v = static_cast<float>(c.number("value", 0));
    c.finish();
    std::fill(out, out + n, v);
  } else if (k == "randomuniform" || k == "uniform") {
    const double lo = c.numberOr("minval", -0.05), hi = c.numberOr("maxval", 0.05);
    Random r = rng();
    c.finish();
    fillUniform(r, lo, hi, out, n);
  } else if (k == "randomnormal" || k == "normal" || k == "truncatednormal") {
    const double mean = c.numberOr("mean", 0.0), stddev = c.numberOr("stddev", 0.05);
    Random r = rng();
    c.finish();
    if (stddev < 0) {
      invalid(fmt::format("initializer {}: stddev must be >= 0, got {}", className, stddev));
    }
    fillNormal(r, mean, stddev, k == "truncatednormal", out, n);
  } else if (k == "variancescaling") {
    const double scale = c.number("scale", 1.0);
    const std::string mode = c.string("mode", "fanIn");
    const std::string distribution = c.string("distribution", "normal");
    varianceScaling(scale, mode, distribution);
  } else if (k == "glorotuniform") {
    varianceScaling(1.0, "fanAvg", "uniform");
  } else if (k == "glorotnormal") {
    varianceScaling(1.0, "fanAvg", "normal");
  } else if (k == "heuniform") {
    varianceScaling(2.0, "fanIn", "uniform");
  } else if (k == "henormal") {
    varianceScaling(2.0, "fanIn", "normal");
  } else if (k == "lecununiform") {
    varianceScaling(1.0, "fanIn", "uniform");
  } else if (k == "lecunnormal") {
    varianceScaling(1.0, "fanIn", "normal");
  } else if (k == "orthogonal") {
    const double gain = c.number("gain", 1.0);
    Random r = rng();
    c.finish();
    if (shape.size() < 2) {
      invalid(fmt::format("initializer {}: shape {} must have rank >= 2", className,
                          shapeString(shape)));
    }
    fillOrthogonal(r, shape, gain, out);
  } else if (k == "identity") {
    const double gain = c.number("gain", 1.0);
    c.finish();
    if (shape.size() != 2 || shape[0] != shape[1]) {
      invalid(fmt::format("initializer {}: only 2D square matrices, got shape {}", className,
                          shapeString(shape)));
    }
    std::fill(out, out + n, 0.0f);
    for (int64_t i = 0; i < shape[0]; ++i) {
      out[i * shape[0] + i] = static_cast<float>(gain * 1.0f);
    }
  } else {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("initializer '{}' is not supported; supported: Zeros, Ones, Constant, "
                            "RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, "
                            "GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, "
                            "LecunNormal, Orthogonal, Identity",
                            className));
  }
}

}  // namespace tfjs::train
