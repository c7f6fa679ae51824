// dtype names, sizes, IEEE half conversion and the converter's affine quantization.
#include "tfjs/dtype.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace tfjs {

std::string_view dtypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt32:
      return "int32";
    case DType::kBool:
      return "bool";
    case DType::kString:
      return "string";
    case DType::kComplex64:
      return "complex64";
    case DType::kUint8:
      return "uint8";
    case DType::kUint16:
      return "uint16";
    case DType::kFloat16:
      return "float16";
  }
  return "?";
}

std::optional<DType> parseDType(std::string_view name) {
  for (DType d : {DType::kFloat32, DType::kInt32, DType::kBool, DType::kString, DType::kComplex64,
                  DType::kUint8, DType::kUint16, DType::kFloat16}) {
    if (dtypeName(d) == name) return d;
  }
  return std::nullopt;
}

size_t dtypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return 4;
    case DType::kInt32:
      return 4;
    case DType::kBool:
      return 1;
    case DType::kString:
      return 0;
    case DType::kComplex64:
      return 8;
    case DType::kUint8:
      return 1;
    case DType::kUint16:
      return 2;
    case DType::kFloat16:
      return 2;
  }
  return 0;
}

bool isLogicalDType(DType dtype) {
  return dtype == DType::kFloat32 || dtype == DType::kInt32 || dtype == DType::kBool ||
         dtype == DType::kString || dtype == DType::kComplex64;
}

float halfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf or NaN (payload kept)
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // ±0
  } else {
    // Subnormal: normalize into a float32 normal.
    int e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    mant &= 0x3ffu;
    bits = sign | (static_cast<uint32_t>(e) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t floatToHalf(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // inf or NaN
    if (absx == 0x7f800000u) return sign | 0x7c00u;
    return static_cast<uint16_t>(sign | 0x7e00u | ((absx >> 13) & 0x3ffu));
  }
  if (absx >= 0x477ff000u) return sign | 0x7c00u;  // rounds to >= 65520: overflow to inf
  if (absx < 0x38800000u) {                        // below the smallest half normal
    if (absx < 0x33000000u) return sign;           // rounds to ±0 (<= 2^-25)
    const uint32_t e = absx >> 23;
    const uint32_t m = (absx & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t r = absx - 0x38000000u;  // rebias exponent 127 -> 15
  const uint32_t rem = r & 0x1fffu;
  r >>= 13;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) ++r;  // carries into the exponent correctly
  return static_cast<uint16_t>(sign | r);
}

AffineParams quantizeAffine(std::span<const float> data, DType storage,
                            std::vector<uint8_t>& codes) {
  const bool u16 = storage == DType::kUint16;
  const double qmax = u16 ? 65535.0 : 255.0;
  const size_t width = u16 ? 2 : 1;
  codes.assign(data.size() * width, 0);
  if (data.empty()) return {0.0, 1.0};
  double lo = std::numeric_limits<double>::infinity();
  double hi = -lo;
  for (float v : data) {
    lo = std::min(lo, static_cast<double>(v));
    hi = std::max(hi, static_cast<double>(v));
  }
  if (lo == hi) return {lo, 1.0};
  const double scale = (hi - lo) / qmax;
  double nlo = lo;
  double nhi = hi;
  if (lo <= 0 && 0 <= hi) {
    const double zp = std::nearbyint((0 - lo) / scale);
    nlo = -zp * scale;
    nhi = qmax * scale + nlo;
  }
  for (size_t i = 0; i < data.size(); ++i) {
    const double c = std::clamp(static_cast<double>(data[i]), nlo, nhi);
    double q = std::nearbyint((c - nlo) / scale);
    q = std::clamp(q, 0.0, qmax);
    const auto code = static_cast<uint32_t>(q);
    codes[i * width] = static_cast<uint8_t>(code & 0xffu);
    if (u16) codes[i * width + 1] = static_cast<uint8_t>(code >> 8);
  }
  return {nlo, scale};
}

}  // namespace tfjs
