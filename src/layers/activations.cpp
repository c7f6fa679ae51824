// TF.js activations: elu, selu, relu, relu6, linear, sigmoid, hardSigmoid (clip(0.2x+0.5)),
// softplus, softsign, tanh, softmax, logSoftmax, gelu (erf form), gelu_new (tanh form), mish,
// swish. Keras spellings (hard_sigmoid, log_softmax) map to the same functions.
#include "layers/activations.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <optional>
#include <utility>

namespace tfjs::layers {
namespace {

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

// Softmax (or logSoftmax) of each row of n elements of y, in place.
void softmaxRows(float* y, int64_t total, int64_t n, bool log) {
  if (n <= 0) return;
  for (int64_t row = 0; row < total / n; ++row) {
    float* p = y + row * n;
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
  return findActivationOrNone(name).has_value();
}

kernels::Unary unaryOf(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kLinear:
      return kernels::Unary::kLinear;
    case ActivationKind::kRelu:
      return kernels::Unary::kRelu;
    case ActivationKind::kTanh:
      return kernels::Unary::kTanh;
    case ActivationKind::kSigmoid:
      return kernels::Unary::kSigmoid;
    case ActivationKind::kHardSigmoid:
      return kernels::Unary::kHardSigmoid;
    default:
      return kernels::Unary::kOther;
  }
}

ActivationKind activationKind(const std::string& name, const std::string& layer) {
  if (auto k = findActivationOrNone(name)) return *k;
  throw Error(ErrorCode::kUnsupported,
              fmt::format("layer '{}': activation '{}' is not one TF.js knows", layer, name));
}

void applyActivation(ActivationKind kind, const float* x, float* y, int64_t n, int64_t lastDim) {
  switch (kind) {
    case ActivationKind::kLinear:
      if (x != y && n > 0) std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case ActivationKind::kRelu:
      return mapElements(x, y, n, [](float v) { return v > 0 ? v : 0.0f; });
    case ActivationKind::kRelu6:
      return mapElements(x, y, n, [](float v) { return std::min(std::max(v, 0.0f), 6.0f); });
    case ActivationKind::kSigmoid:
      return mapElements(x, y, n, sigmoid);
    case ActivationKind::kTanh:
      return mapElements(x, y, n, [](float v) { return std::tanh(v); });
    case ActivationKind::kHardSigmoid:
      return mapElements(x, y, n,
                         [](float v) { return std::min(1.0f, std::max(0.0f, 0.2f * v + 0.5f)); });
    case ActivationKind::kSoftplus:
      return mapElements(x, y, n, softplus);
    case ActivationKind::kSoftsign:
      return mapElements(x, y, n, [](float v) { return v / (1.0f + std::fabs(v)); });
    case ActivationKind::kElu:
      return mapElements(x, y, n, [](float v) { return v > 0 ? v : std::expm1(v); });
    case ActivationKind::kSelu:
      return mapElements(x, y, n, [](float v) {
        const float alpha = 1.6732632423543772848170429916717f;
        const float scale = 1.0507009873554804934193349852946f;
        return v > 0 ? scale * v : scale * alpha * std::expm1(v);
      });
    case ActivationKind::kSwish:
      return mapElements(x, y, n, [](float v) { return v * sigmoid(v); });
    case ActivationKind::kMish:
      return mapElements(x, y, n, [](float v) { return v * std::tanh(softplus(v)); });
    case ActivationKind::kGelu:
      return mapElements(x, y, n,
                         [](float v) { return 0.5f * v * (1.0f + std::erf(v / std::sqrt(2.0f))); });
    case ActivationKind::kGeluNew:
      return mapElements(x, y, n, [](float v) {
        const float c = std::sqrt(2.0f / 3.14159265358979323846f);
        return 0.5f * v * (1.0f + std::tanh(c * (v + 0.044715f * v * v * v)));
      });
    case ActivationKind::kSoftmax:
    case ActivationKind::kLogSoftmax:
      if (x != y && n > 0) std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
      return softmaxRows(y, n, lastDim, kind == ActivationKind::kLogSoftmax);
  }
}

void activationBackward(ActivationKind kind, const float* x, const float* y, float* g, int64_t n,
                        int64_t lastDim) {
  auto each = [&](auto df) {
    for (int64_t i = 0; i < n; ++i) g[i] *= df(x[i], y[i]);
  };
  constexpr float kPi = 3.14159265358979323846f;
  switch (kind) {
    case ActivationKind::kLinear:
      return;
    case ActivationKind::kRelu:
      return each([](float v, float) { return v > 0 ? 1.0f : 0.0f; });
    case ActivationKind::kRelu6:
      return each([](float v, float) { return v > 0 && v <= 6 ? 1.0f : 0.0f; });
    case ActivationKind::kSigmoid:
      return each([](float, float o) { return o * (1.0f - o); });
    case ActivationKind::kTanh:
      return each([](float, float o) { return 1.0f - o * o; });
    case ActivationKind::kHardSigmoid:
      return each([](float v, float) {
        const float z = 0.2f * v + 0.5f;
        return z >= 0 && z <= 1 ? 0.2f : 0.0f;
      });
    case ActivationKind::kSoftplus:
      return each([](float v, float) { return sigmoid(v); });
    case ActivationKind::kSoftsign:
      return each([](float v, float) {
        const float d = 1.0f + std::fabs(v);
        return 1.0f / (d * d);
      });
    case ActivationKind::kElu:
      return each([](float, float o) { return o >= 0 ? 1.0f : o + 1.0f; });
    case ActivationKind::kSelu:
      return each([](float v, float) {
        const float alpha = 1.6732632423543772848170429916717f;
        const float scale = 1.0507009873554804934193349852946f;
        return v > 0 ? scale : scale * alpha * std::exp(v);
      });
    case ActivationKind::kSwish:
      return each([](float v, float) {
        const float s = sigmoid(v);
        return s + v * s * (1.0f - s);
      });
    case ActivationKind::kMish:
      return each([](float v, float) {
        const float t = std::tanh(softplus(v));
        return t + v * (1.0f - t * t) * sigmoid(v);
      });
    case ActivationKind::kGelu:
      return each([](float v, float) {
        return 0.5f * (1.0f + std::erf(v / std::sqrt(2.0f))) +
               v * std::exp(-0.5f * v * v) / std::sqrt(2.0f * kPi);
      });
    case ActivationKind::kGeluNew:
      return each([](float v, float) {
        const float c = std::sqrt(2.0f / kPi);
        const float t = std::tanh(c * (v + 0.044715f * v * v * v));
        return 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * c * (1.0f + 3 * 0.044715f * v * v);
      });
    case ActivationKind::kSoftmax:
    case ActivationKind::kLogSoftmax:
      if (lastDim <= 0) return;
      for (int64_t r = 0; r + lastDim <= n; r += lastDim) {
        float* gr = g + r;
        const float* yr = y + r;
        if (kind == ActivationKind::kSoftmax) {
          float dot = 0;
          for (int64_t j = 0; j < lastDim; ++j) dot += gr[j] * yr[j];
          for (int64_t j = 0; j < lastDim; ++j) gr[j] = yr[j] * (gr[j] - dot);
        } else {
          float sum = 0;
          for (int64_t j = 0; j < lastDim; ++j) sum += gr[j];
          for (int64_t j = 0; j < lastDim; ++j) gr[j] -= std::exp(yr[j]) * sum;
        }
      }
      return;
  }
}

void applyActivation(ActivationKind kind, Array& x) {
  float* p = x.data.data();
  applyActivation(kind, p, p, x.size(), x.shape.empty() ? 1 : x.shape.back());
}

void applyActivation(const std::string& name, Array& x, const std::string& layer) {
  applyActivation(activationKind(name, layer), x);
}

}  // namespace tfjs::layers
