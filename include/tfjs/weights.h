// tfjs/weights.h — building weight groups from tensors, with the converter's quantization.
//
// encodeWeights() is the inverse of decodeWeights(): it packs tensors into one group's bytes the
// way tensorflowjs's write_weights does (row-major, little-endian, strings length-prefixed), and
// quantizes the float32 tensors selected by a QuantizationMap exactly as the Python converter
// does (`--quantize_uint8`, `--quantize_uint16`, `--quantize_float16`). quantizeModel() applies
// a QuantizationMap to loaded artifacts. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs {

// One quantization flag: weights whose names match any pattern (shell wildcards as Python's
// fnmatch: '*' also matches '/') are stored as `dtype`. No patterns = every weight not matched by
// another entry (the flag given without a value). At most one entry may have no patterns, and
// no name may match entries of two different dtypes.
struct QuantizeRule {
  DType dtype = DType::kUint8;  // kUint8, kUint16 or kFloat16
  std::vector<std::string> patterns;
};
using QuantizationMap = std::vector<QuantizeRule>;

// Python fnmatch.fnmatchcase semantics: '*', '?', '[seq]', '[!seq]'.
bool fnmatch(const std::string& pattern, const std::string& name);

// The storage dtype chosen for `name` by `map`, if any. Throws kInvalidArgument on a name
// matched by two dtypes or on two fallthrough rules.
std::optional<DType> quantizationFor(const QuantizationMap& map, const std::string& name);

struct EncodedGroup {
  std::vector<WeightSpec> specs;
  std::vector<uint8_t> bytes;
};

// Packs tensors (in order) into one group. Only float32 tensors are quantized.
EncodedGroup encodeWeights(const std::vector<NamedTensor>& tensors,
                           const QuantizationMap& map = {});

// For writers that place each weight straight into a preallocated buffer (see
// kerasH5ToArtifacts): the bytes one weight of `dtype` and `shape` takes in a group, stored as
// `storage` (kUint8 / kUint16 / kFloat16 for a quantized float32 weight; nullopt: its own
// dtype), as encodeWeights lays it out. Throws kInvalidArgument for kString (its size depends on
// the values) or a quantized non-float32 weight, kShapeOverflow on overflow.
uint64_t encodedByteLength(DType dtype, const std::vector<int64_t>& shape,
                           std::optional<DType> storage);

// Quantizes float32 `values` as `storage` (kUint8, kUint16 or kFloat16) into `dest`, exactly as
// encodeWeights does, and returns the quantization the weight's spec gets. `dest` must hold
// encodedByteLength(kFloat32, {values.size()}, storage) bytes; it needs no alignment, and may
// not overlap `values`. Throws kInvalidArgument for another storage dtype.
Quantization quantizeInto(std::span<const float> values, DType storage, uint8_t* dest);

// Returns `artifacts` with each group's float32 weights (re)quantized per `map` (quantized
// weights are first dequantized, as the converter reads float32 values). Groups are kept; the
// result's groups each have one placeholder path until saveModel names the shards.
ModelArtifacts quantizeModel(const ModelArtifacts& artifacts, const QuantizationMap& map);

// Replaces the weights of `artifacts` by `groups` (the bytes concatenated into weightData).
void setWeightGroups(ModelArtifacts& artifacts, std::vector<EncodedGroup> groups);

}  // namespace tfjs
