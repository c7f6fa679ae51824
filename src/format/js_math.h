// JavaScript's number rules where TF.js's results depend on them, in one place: Math.round and
// ToInt32. Both the weight decoder (dequantizing int32 weights) and the layers (the pixel
// positions of Resizing / CenterCrop) must round exactly as the browser does.
#pragma once

#include <cmath>
#include <cstdint>

namespace tfjs {

// Math.round: the nearest integer, ties toward +infinity. floor(x + 0.5) is not it: for
// 0.49999999999999994 the sum rounds up to 1 while Math.round gives 0.
inline double jsRound(double x) {
  const double f = std::floor(x);
  return (x - f >= 0.5) ? f + 1 : f;
}

// ToInt32, as storing a Number into an Int32Array does: NaN and infinities are 0, else the
// integer part modulo 2^32, two's complement.
inline int32_t jsToInt32(double x) {
  if (!std::isfinite(x)) return 0;
  double m = std::fmod(std::trunc(x), 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return static_cast<int32_t>(static_cast<uint32_t>(m));
}

}  // namespace tfjs
