// tfjs/dtype.h — the element types of TF.js weights and the codecs between them.
//
// Logical dtypes are those a TF.js tensor can have after decoding: float32, int32, bool, string,
// complex64. Storage dtypes uint8, uint16 and float16 appear only as `quantization.dtype` in a
// manifest (the logical dtype stays float32 or int32). All functions here are pure and
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace tfjs {

enum class DType : uint8_t {
  kFloat32,
  kInt32,
  kBool,
  kString,
  kComplex64,
  kUint8,    // storage only
  kUint16,   // storage only
  kFloat16,  // storage only
};

// "float32", "int32", ... as written in model.json.
std::string_view dtypeName(DType dtype);
// Parses a manifest dtype name; nullopt for anything TF.js does not know.
std::optional<DType> parseDType(std::string_view name);
// Bytes per element (complex64: 8); 0 for string, whose elements have no fixed size.
size_t dtypeSize(DType dtype);
// True for the logical dtypes TF.js's decoder accepts in `dtype`.
bool isLogicalDType(DType dtype);

// IEEE binary16 <-> binary32. Exact in this direction, including subnormals, ±0, ±inf and NaN.
float halfToFloat(uint16_t h);
// Round-to-nearest-even, overflow to ±inf, NaN kept (as numpy's astype(float16)).
uint16_t floatToHalf(float f);

// Affine quantization parameters as the Python converter writes them.
struct AffineParams {
  double min = 0;    // the nudged minimum: code 0 decodes to it
  double scale = 1;  // (max - min) / qmax of the un-nudged range
};

// Quantizes float32 data to uint8 (qmax 255) or uint16 (qmax 65535) codes exactly as
// tensorflowjs's quantization.py does under NumPy 2 (float64 evaluation): range nudged so that
// 0.0 is exact, codes rounded half to even. `codes` receives data.size() * dtypeSize(storage)
// little-endian bytes. Requires storage to be kUint8 or kUint16.
AffineParams quantizeAffine(std::span<const float> data, DType storage,
                            std::vector<uint8_t>& codes);

// TF.js's dequantization of one code: code*scale+min in double, rounded to float32.
inline float dequantizeToFloat(uint32_t code, double scale, double min) {
  return static_cast<float>(static_cast<double>(code) * scale + min);
}

}  // namespace tfjs
