// kernels/indexing.h — index arithmetic shared by the kernels that walk arrays of different
// shapes together (broadcast.cpp, elementwise.cpp, reduce.cpp): the strides an operand is read
// with when it is repeated (broadcast) over a larger shape, and a row-major odometer over a shape
// that carries an offset along. Internal to src/kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/array.h"

namespace tfjs::kernels::indexing {

// Element strides of a row-major shape (the last axis 1).
inline std::vector<int64_t> stridesOf(const Shape& s) {
  std::vector<int64_t> stride(s.size(), 1);
  for (size_t d = s.size(); d-- > 1;) stride[d - 1] = stride[d] * s[d];
  return stride;
}

// `from` padded with leading 1s to rank(to), and its strides over its own elements with 0 along
// every axis it is repeated on (NumPy broadcasting); false when it does not broadcast to `to`.
inline bool repeatStrides(const Shape& from, const Shape& to, std::vector<int64_t>& stride) {
  if (from.size() > to.size()) return false;
  const size_t rank = to.size(), pad = rank - from.size();
  stride.assign(rank, 0);
  int64_t step = 1;
  for (size_t d = rank; d-- > 0;) {
    const int64_t f = d < pad ? 1 : from[d - pad];
    if (f != 1 && f != to[d]) return false;
    stride[d] = f == 1 ? 0 : step;
    step *= f;
  }
  return true;
}

// Visits every index of `shape` in row-major order: visit(i, offset) with i the flat index and
// offset the matching position in an array read with strides `stride`.
template <typename Visit>
void forEachIndex(const Shape& shape, const std::vector<int64_t>& stride, Visit visit) {
  const size_t rank = shape.size();
  int64_t count = 1;
  for (const int64_t d : shape) count *= d;
  std::vector<int64_t> idx(rank, 0);
  int64_t src = 0;
  for (int64_t i = 0; i < count; ++i) {
    visit(i, src);
    for (size_t d = rank; d-- > 0;) {  // odometer increment
      src += stride[d];
      if (++idx[d] < shape[d]) break;
      src -= stride[d] * shape[d];
      idx[d] = 0;
    }
  }
}

}  // namespace tfjs::kernels::indexing
