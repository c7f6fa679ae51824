// NumPy broadcasting of plain arrays (kernels.h): the repeat and its reverse, the sum over the
// repeated axes. Plain loops (an odometer over the output's index): no fast path needed yet.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::kernels {
namespace {

// `from` padded with leading 1s to rank(to), and its strides over its own elements with 0 along
// every axis it is repeated on; false when it does not broadcast to `to`.
bool repeatStrides(const Shape& from, const Shape& to, std::vector<int64_t>& stride) {
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

// Visits every index of `shape` in row-major order with the matching offset into an array of
// strides `stride`.
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

[[noreturn]] void notBroadcastable(const Shape& from, const Shape& to) {
  throw Error(ErrorCode::kInvalidArgument, fmt::format("shape [{}] does not broadcast to [{}]",
                                                       fmt::join(from, ","), fmt::join(to, ",")));
}

}  // namespace

bool broadcastsTo(const Shape& from, const Shape& to) {
  std::vector<int64_t> stride;
  return repeatStrides(from, to, stride);
}

Array broadcastTo(const float* values, const Shape& from, const Shape& to) {
  std::vector<int64_t> stride;
  if (!repeatStrides(from, to, stride)) notBroadcastable(from, to);
  Array y(to, kUninitialized);
  forEachIndex(to, stride, [&](int64_t i, int64_t src) {
    y.data[static_cast<size_t>(i)] = values[static_cast<size_t>(src)];
  });
  return y;
}

Array broadcastTo(const Array& a, const Shape& to) {
  return broadcastTo(a.data.data(), a.shape, to);
}

Array sumTo(const Array& g, const Shape& to) {
  if (g.shape == to) return g;
  std::vector<int64_t> stride;
  if (!repeatStrides(to, g.shape, stride)) notBroadcastable(to, g.shape);
  Array r(to);
  forEachIndex(g.shape, stride, [&](int64_t i, int64_t dst) {
    r.data[static_cast<size_t>(dst)] += g.data[static_cast<size_t>(i)];
  });
  return r;
}

}  // namespace tfjs::kernels
