// train/initializers.h — Keras/TF.js weight initializers, for building a model with no weights.
//
// Internal header (not installed). initialize() fills `out` (count(shape) floats) as the
// initializer named by `spec` does: spec is a Keras/TF.js initializer config
// {"class_name": "GlorotUniform", "config": {"seed": 42, ...}} or a bare name ("glorotUniform",
// "glorot_uniform", "zeros", ...). Supported: Zeros, Ones, Constant, RandomUniform, RandomNormal,
// TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
// LecunUniform, LecunNormal, Orthogonal, Identity. Fan-in/fan-out are computed from the shape as
// TF.js's computeFans does (dense [in, out]; conv kernels receptive field x channels). The
// distributions are TF.js's (truncated normal resamples beyond two standard deviations;
// VarianceScaling's truncated normal uses the 0.87962566103423978 correction); the random
// stream is tfjs-cpp's own (a seeded std::mt19937_64), so values differ from TF.js's for the same
// seed: a config seed makes the result reproducible across tfjs-cpp runs; without one,
// `fallbackSeed` is used. Unknown initializers: tfjs::Error(kUnsupported) naming the class.
#pragma once

#include <cstdint>
#include <vector>

#include "tfjs/artifacts.h"

namespace tfjs::train {

void initialize(const Json& spec, const std::vector<int64_t>& shape, uint64_t fallbackSeed,
                float* out);

}  // namespace tfjs::train
