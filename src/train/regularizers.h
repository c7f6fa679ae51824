// train/regularizers.h — the weight penalties of tfjs-layers' fit().
//
// Internal header (not installed). TF.js's Layer.addWeight registers `regularizer.apply(weight)`
// as a loss of the layer whenever the weight has a regularizer; fit() adds every such loss to
// the batch's mean loss (makeTrainFunction: "Add regularizer penalties"), once per call of the
// layer in the model (Container.calculateLosses), so the reported training loss includes them;
// evaluate() and the validation losses do not. The only regularizer class TF.js registers is
// L1L2: penalty = l1 * sum(|w|) + l2 * sum(w^2) (a missing l1 or l2 is 0.01, TF.js's default;
// the string "l1l2" is L1L2 with both defaults). Keras's L1 / L2 classes and "l1" / "l2" strings
// (Keras 2.3+; 0.01 when not given) are read too, as Keras means them.
//
// Which weights TF.js penalizes (checked with 4.22): those of Dense, the convolutions (kernel,
// bias, depthwise_kernel, pointwise_kernel), Embedding (embeddings), BatchNormalization and
// LayerNormalization (gamma, beta), PReLU (alpha), and of a layer inside TimeDistributed. The
// recurrent layers (SimpleRNN, GRU, LSTM, RNN), Bidirectional and ConvLSTM2D never pass their
// cells' penalties on, so TF.js's fit ignores their regularizers, which Keras applies:
// regularizersOf() refuses those (kUnsupported naming the layer), as it refuses an
// activity_regularizer (TF.js cannot even build such a model), rather than match either silently.
//
// Constraints (kernel_constraint, ...) are the other per-weight option: TF.js's fit ignores them
// (its optimizers write the variables directly; checked with 4.22: a nonNeg kernel goes
// negative), while Keras applies them after every step; refuseConstraints() refuses them too.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "tfjs/artifacts.h"

namespace tfjs::train {

struct Regularizer {
  double l1 = 0;
  double l2 = 0;
  // l1 * sum(|w|) + l2 * sum(w^2), in double.
  double penalty(const float* w, size_t n) const;
  // g += scale * (l1 * sign(w) + 2 * l2 * w): the penalty's gradient (sign(0) = 0, as tf.abs's).
  void addGradient(const float* w, float* g, size_t n, double scale) const;
};

// The regularizer of variable `variable` ("kernel", "bias", "embeddings", ...) of the layer
// `layer` of class `className` with Keras config `config`, or nullopt when it has none. Throws
// Error(kUnsupported) for the layers above whose regularizers TF.js ignores, for an
// activity_regularizer, and for an unknown regularizer class; kInvalidArgument for a negative or
// non-numeric factor.
std::optional<Regularizer> regularizerOf(const std::string& layer, const std::string& className,
                                         const Json& config, const std::string& variable);

// Throws Error(kUnsupported) naming the layer and the key when the layer's config (or that of a
// layer or cell it wraps) has a non-null `*_constraint`.
void refuseConstraints(const std::string& layer, const std::string& className, const Json& config);

}  // namespace tfjs::train
