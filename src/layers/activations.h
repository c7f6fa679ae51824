// Activation functions with TF.js's own definitions (tfjs-layers/src/activations.ts).
#pragma once

#include <string>

#include "layers/layer.h"

namespace tfjs::layers {

// True when `name` (Keras snake_case or TF.js camelCase) is an activation TF.js knows.
bool isActivation(const std::string& name);
// Applies the activation in place; softmax and logSoftmax work on the last axis.
// Throws Error(kUnsupported) for an unknown name, naming `layer`.
void applyActivation(const std::string& name, Array& x, const std::string& layer);

}  // namespace tfjs::layers
