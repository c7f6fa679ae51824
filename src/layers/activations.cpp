// TF.js activations: elu, selu, relu, relu6, linear, sigmoid, hardSigmoid (clip(0.2x+0.5)),
// softplus, softsign, tanh, softmax, logSoftmax, gelu (erf form), gelu_new (tanh form), mish,
// swish. Keras spellings (hard_sigmoid, log_softmax) map to the same functions.
#include "layers/activations.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tfjs::layers {
namespace {

std::string canonical(const std::string& name) {
  if (name.empty() || name == "None") return "linear";
  if (name == "hard_sigmoid") return "hardSigmoid";
  if (name == "log_softmax") return "logSoftmax";
  return name;
}

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

// softplus as TF.js computes it (tf.softplus: numerically stable log(1+exp(x))).
float softplus(float x) {
  // TF.js: threshold = log(eps) + 2 with eps = 1.1920928955078125e-7
  const float threshold = std::log(1.1920928955078125e-7f) + 2.0f;
  if (x > -threshold) return x;
  if (x < threshold) return std::exp(x);
  return std::log1p(std::exp(x));
}

template <typename F>
void each(Array& x, F f) {
  for (float& v : x.data) v = f(v);
}

void softmaxLastAxis(Array& x, bool log) {
  const int64_t n = x.shape.empty() ? 1 : x.shape.back();
  if (n == 0) return;
  for (int64_t row = 0; row < x.size() / n; ++row) {
    float* p = x.data.data() + row * n;
    const float mx = *std::max_element(p, p + n);
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(p[i] - mx));
    const auto lse = static_cast<float>(std::log(sum));
    for (int64_t i = 0; i < n; ++i) {
      p[i] = log ? (p[i] - mx) - lse
                 : static_cast<float>(std::exp(static_cast<double>(p[i] - mx)) / sum);
    }
  }
}

}  // namespace

bool isActivation(const std::string& name) {
  static const char* known[] = {
      "linear",   "elu",  "selu",    "relu",       "relu6", "sigmoid",  "hardSigmoid", "softplus",
      "softsign", "tanh", "softmax", "logSoftmax", "gelu",  "gelu_new", "mish",        "swish"};
  const std::string c = canonical(name);
  return std::any_of(std::begin(known), std::end(known), [&](const char* k) { return c == k; });
}

void applyActivation(const std::string& name, Array& x, const std::string& layer) {
  const std::string a = canonical(name);
  if (a == "linear") return;
  if (a == "relu") return each(x, [](float v) { return v > 0 ? v : 0.0f; });
  if (a == "relu6") return each(x, [](float v) { return std::min(std::max(v, 0.0f), 6.0f); });
  if (a == "sigmoid") return each(x, sigmoid);
  if (a == "tanh") return each(x, [](float v) { return std::tanh(v); });
  if (a == "hardSigmoid") {
    return each(x, [](float v) { return std::min(1.0f, std::max(0.0f, 0.2f * v + 0.5f)); });
  }
  if (a == "softplus") return each(x, softplus);
  if (a == "softsign") return each(x, [](float v) { return v / (1.0f + std::fabs(v)); });
  if (a == "elu") return each(x, [](float v) { return v > 0 ? v : std::expm1(v); });
  if (a == "selu") {
    return each(x, [](float v) {
      const float alpha = 1.6732632423543772848170429916717f;
      const float scale = 1.0507009873554804934193349852946f;
      return v > 0 ? scale * v : scale * alpha * std::expm1(v);
    });
  }
  if (a == "swish") return each(x, [](float v) { return v * sigmoid(v); });
  if (a == "mish") return each(x, [](float v) { return v * std::tanh(softplus(v)); });
  if (a == "gelu") {
    return each(x, [](float v) { return 0.5f * v * (1.0f + std::erf(v / std::sqrt(2.0f))); });
  }
  if (a == "gelu_new") {
    return each(x, [](float v) {
      const float c = std::sqrt(2.0f / 3.14159265358979323846f);
      return 0.5f * v * (1.0f + std::tanh(c * (v + 0.044715f * v * v * v)));
    });
  }
  if (a == "softmax") return softmaxLastAxis(x, false);
  if (a == "logSoftmax") return softmaxLastAxis(x, true);
  throw Error(ErrorCode::kUnsupported,
              fmt::format("layer '{}': activation '{}' is not one TF.js knows", layer, name));
}

}  // namespace tfjs::layers
