// The activation names TF.js knows and the one rule that resolves a name to an activation, below
// every user of it: the runtime's layers, the builder, and `tfjs validate` (which reports the
// names the real TF.js refuses). The functions themselves are in layers/activations.h.
#pragma once

#include <optional>
#include <string>

namespace tfjs {

// The activations TF.js knows, resolved once from their names.
enum class ActivationKind {
  kLinear,
  kElu,
  kSelu,
  kRelu,
  kRelu6,
  kSigmoid,
  kHardSigmoid,
  kSoftplus,
  kSoftsign,
  kTanh,
  kSoftmax,
  kLogSoftmax,
  kGelu,
  kGeluNew,
  kMish,
  kSwish,
};

// The one activation-name rule (the runtime, the builder and `tfjs validate` all use it), TF.js's
// loader's own: the name's camelCase form ("hard_sigmoid" -> "hardSigmoid", "relu_6" -> "relu6")
// is one TF.js registers. nullopt for any other name, "gelu_new" included (TF.js registers it,
// but looks up "geluNew" when loading a model.json).
std::optional<ActivationKind> findActivation(const std::string& name);
// What the runtime accepts: findActivation, plus "" and "None" (Keras's null activation) as
// linear and the registered names as they are ("gelu_new").
std::optional<ActivationKind> findActivationOrNone(const std::string& name);
// The name TF.js registers `kind` under.
const char* activationName(ActivationKind kind);

}  // namespace tfjs
