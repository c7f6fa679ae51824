// Activation functions with TF.js's own definitions (tfjs-layers/src/activations.ts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "format/activation_names.h"
#include "kernels/kernels.h"
#include "layers/layer.h"

namespace tfjs::layers {

using tfjs::ActivationKind;  // format/activation_names.h
using tfjs::activationName;
using tfjs::findActivation;
using tfjs::findActivationOrNone;

// y[i] = f(x[i]) for i < n; x == y maps in place (no other overlap). In place and out of place
// are separate loops so that the compiler vectorizes both (f inlined: no per-element call)
// without an aliasing check that x == y would fail.
template <typename F>
void mapElementsDistinct(const float* __restrict x, float* __restrict y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}
template <typename F>
void mapElements(const float* x, float* y, int64_t n, F f) {
  if (x == y) {
    for (int64_t i = 0; i < n; ++i) y[i] = f(y[i]);
  } else {
    mapElementsDistinct(x, y, n, f);
  }
}

// findActivationOrNone(name) has a value.
bool isActivation(const std::string& name);
// The kernels' element-wise function for `kind` (kOther: the kernels do not have it; use
// applyActivation).
kernels::Unary unaryOf(ActivationKind kind);
// The activation called `name`; Error(kUnsupported) naming `layer` for an unknown one.
ActivationKind activationKind(const std::string& name, const std::string& layer);
// y = activation(x) over n elements; x may equal y (in place), other overlaps are not allowed.
// softmax and logSoftmax work on rows of `lastDim` elements (the last axis); the others ignore
// it. One tight loop per activation, with the formulas of the per-element definitions.
void applyActivation(ActivationKind kind, const float* x, float* y, int64_t n, int64_t lastDim);
// Backward: g[i] *= f'(x[i]) over n elements, given the activation's input x and its output y
// = f(x) (each formula uses whichever is cheaper; both must be given). softmax and logSoftmax
// work on rows of `lastDim` elements: g becomes the row's vector-Jacobian product. The
// derivatives are the ones TF.js's gradients of the same ops give (relu: x > 0; relu6:
// 0 < x <= 6; hard_sigmoid: 0.2 where 0 <= 0.2x + 0.5 <= 1; elu from y as TF.js's EluGrad).
void activationBackward(ActivationKind kind, const float* x, const float* y, float* g, int64_t n,
                        int64_t lastDim);
// Applies the activation in place; softmax and logSoftmax work on the last axis.
void applyActivation(ActivationKind kind, Array& x);
// As above, by name. Throws Error(kUnsupported) for an unknown name, naming `layer`.
void applyActivation(const std::string& name, Array& x, const std::string& layer);

}  // namespace tfjs::layers
