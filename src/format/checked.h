// Overflow-checked size arithmetic and small shape helpers (internal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tfjs/error.h"

namespace tfjs {

inline uint64_t checkedMul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) {
    throw Error(ErrorCode::kShapeOverflow, "size arithmetic overflows 64 bits");
  }
  return r;
}

inline uint64_t checkedAdd(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) {
    throw Error(ErrorCode::kShapeOverflow, "size arithmetic overflows 64 bits");
  }
  return r;
}

// Product of the dimensions (1 for a scalar); throws kShapeOverflow.
inline uint64_t elementCount(const std::vector<int64_t>& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) n = checkedMul(n, static_cast<uint64_t>(d));
  return n;
}

// "[2,3]"
inline std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

}  // namespace tfjs
