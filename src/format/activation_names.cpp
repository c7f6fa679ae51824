// The activation-name table and TF.js's loader's lookup rule (activation_names.h).
#include "format/activation_names.h"

#include <cctype>
#include <utility>

namespace tfjs {
namespace {

// The activations TF.js 4.22 registers, by the names it registers them under.
constexpr std::pair<const char*, ActivationKind> kActivations[] = {
    {"linear", ActivationKind::kLinear},
    {"elu", ActivationKind::kElu},
    {"selu", ActivationKind::kSelu},
    {"relu", ActivationKind::kRelu},
    {"relu6", ActivationKind::kRelu6},
    {"sigmoid", ActivationKind::kSigmoid},
    {"hardSigmoid", ActivationKind::kHardSigmoid},
    {"softplus", ActivationKind::kSoftplus},
    {"softsign", ActivationKind::kSoftsign},
    {"tanh", ActivationKind::kTanh},
    {"softmax", ActivationKind::kSoftmax},
    {"logSoftmax", ActivationKind::kLogSoftmax},
    {"gelu", ActivationKind::kGelu},
    {"gelu_new", ActivationKind::kGeluNew},
    {"mish", ActivationKind::kMish},
    {"swish", ActivationKind::kSwish}};

std::optional<ActivationKind> registered(const std::string& name) {
  for (const auto& [k, kind] : kActivations) {
    if (name == k) return kind;
  }
  return std::nullopt;
}

// generic_utils.toCamelCase: each "_x" becomes "X" (what TF.js does to a snake_case name).
std::string camelCase(const std::string& name) {
  std::string out;
  bool up = false;
  for (char ch : name) {
    if (ch == '_') {
      up = true;
    } else {
      out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(ch))) : ch;
      up = false;
    }
  }
  return out;
}

}  // namespace

std::optional<ActivationKind> findActivation(const std::string& name) {
  return registered(camelCase(name));
}

std::optional<ActivationKind> findActivationOrNone(const std::string& name) {
  if (name.empty() || name == "None") return ActivationKind::kLinear;
  if (auto k = findActivation(name)) return k;
  return registered(name);  // gelu_new: registered, but TF.js's loader looks up "geluNew"
}

const char* activationName(ActivationKind kind) {
  for (const auto& [k, kd] : kActivations) {
    if (kd == kind) return k;
  }
  return "linear";
}

}  // namespace tfjs
