// model/initializers.h — Keras/TF.js weight initializers, for building a model with no weights.
//
// Internal header (not installed). initialize() fills `out` (count(shape) floats) as the
// initializer named by `spec` does: spec is a Keras/TF.js initializer config
// {"class_name": "GlorotUniform", "config": {"seed": 42, ...}} (Keras 3's extra "module" and
// "registered_name" keys are ignored) or a bare name ("glorotUniform", "glorot_uniform",
// "zeros", ...). Supported: Zeros, Ones, Constant, RandomUniform, RandomNormal,
// TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
// LecunUniform, LecunNormal, Orthogonal, Identity. Fan-in/fan-out are computed from the shape as
// TF.js's computeFans does (dense [in, out]; conv kernels receptive field x channels; other
// ranks sqrt(count) for both). The distributions and defaults are tfjs-layers' (tfjs-layers
// initializers.ts), including where they differ from Keras: truncated normal redraws values
// beyond two standard deviations; VarianceScaling's 'normal' is a truncated normal with stddev
// sqrt(scale) and no 0.8796 correction, and every other distribution, 'truncated_normal'
// included, is uniform in +-sqrt(3 scale) ('untruncated_normal', which TF.js rejects, is a plain
// normal); RandomUniform / RandomNormal / TruncatedNormal replace an option of 0 by its default
// (JS `minval || -0.05`: RandomUniform(0, 1) draws from [-0.05, 1)); Identity needs a square 2D
// shape, Orthogonal rank >= 2. The random stream is tfjs-cpp's own (a seeded std::mt19937_64),
// so values differ from TF.js's for the same seed: a config seed makes the result reproducible
// across tfjs-cpp runs; without one, `fallbackSeed` is used. Unknown initializers:
// tfjs::Error(kUnsupported) naming the class; bad configs (unknown option, wrong type, negative
// stddev, bad mode or distribution) and shapes: kInvalidArgument.
#pragma once

#include <cstdint>
#include <vector>

#include "tfjs/artifacts.h"

namespace tfjs::train {

void initialize(const Json& spec, const std::vector<int64_t>& shape, uint64_t fallbackSeed,
                float* out);

}  // namespace tfjs::train
