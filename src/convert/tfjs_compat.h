// convert/tfjs_compat.h — a converted Keras model rewritten into layers TF.js 4.22 loads and
// computes as Keras does at inference.
//
// Internal header (not installed). Real Keras models hold preprocessing layers that TF.js 4.22
// cannot deserialize ("Unknown layer: RandomFlip", "Normalization") or computes differently
// (its RandomWidth resizes by a random factor even in predict). rewriteForTfjs() changes the
// topology of `a` (a layers model as tfjs convert made it from a Keras file) and the weights
// that go with it:
//  - The layers that are the identity at inference in Keras (RandomFlip, RandomRotation,
//    RandomZoom, RandomTranslation, RandomContrast, RandomBrightness, RandomHeight,
//    RandomWidth) are left out: a Sequential drops them (an InputLayer named
//    `<layer>_input` keeps the input shape a first layer carried), a Functional model connects
//    their consumers and outputs to their input.
//  - Normalization (Keras's y = (x - mean) / max(sqrt(variance), 1e-7)) becomes
//      * BatchNormalization(axis -1, center and scale off, epsilon 1e-14) with moving_mean =
//        mean and moving_variance = variance, when it normalizes the last axis: TF.js computes
//        (x - mean) / sqrt(variance + 1e-14), which equals Keras's formula up to the rounding
//        of the last step (TF.js's cpu kernel computes in double) and for variances below
//        1e-14; the stored mean and variance bytes are kept as they are;
//      * Rescaling(scale = 1 / std, offset = -mean / std) when it has one global mean (axis
//        null): x * scale + offset differs from (x - mean) / std by about one float32 step of
//        the larger of |x / std| and |mean / std|;
//      * with `invert`: BatchNormalization(gamma = std, beta = mean, moving statistics 0 and 1,
//        epsilon 0) on the last axis, or Rescaling(scale = std, offset = mean);
//    where std = max(sqrt(variance), 1e-7) in float32. Normalization over other axes is kept as
//    it is (TF.js's cpu BatchNormalization indexes its statistics as if on the last axis), with
//    a note. An input shape that leaves the normalized features unknown ([null, null]: Keras
//    learns them in adapt()) gets them from the statistics, also when the layer is kept.
//  - RandomCrop is kept (with convert's note on classes TF.js cannot load): TF.js 4.22 has no
//    layer that computes it (its Resizing fails in predict).
// and, whatever keepPreprocessingLayers says, what else of a real Keras model TF.js 4.22 refuses:
//  - a Flatten whose input is already [batch, features] (the identity; TF.js wants rank >= 3) is
//    left out;
//  - a Sequential with no input shape on its layers but a build_input_shape (built by fit() or
//    build(); keras/saved_model.cpp gives one from the serving signature) gets an InputLayer;
//  - L1 and L2 regularizer objects (Keras 2.3+) are written as L1L2;
//  - an Embedding whose dtype is int32 / int64 (Keras 2.0-2.1 meant its input's) is float32;
//  - weights named under the model's own scope ("sequential/dense/kernel") are renamed
//    "<layer>/<weight>".
// Each rewrite adds a note naming the layer. Weights that are renamed keep their bytes and
// encoding; new weights are encoded as `quantization` asks. Throws tfjs::Error (kSchema) for a
// topology whose layers or connections are malformed.
#pragma once

#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/weights.h"

namespace tfjs::convert {

// True for the classes rewriteForTfjs() rewrites or leaves out.
bool rewrittenForTfjs(const std::string& className);

// keepPreprocessingLayers: leave the preprocessing layers as they are (the rest still applies).
void rewriteForTfjs(ModelArtifacts& a, const QuantizationMap& quantization,
                    bool keepPreprocessingLayers, std::vector<std::string>& notes);

}  // namespace tfjs::convert
