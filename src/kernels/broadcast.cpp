// NumPy broadcasting of plain arrays (kernels.h): the repeat and its reverse, the sum over the
// repeated axes. Plain loops (an odometer over the output's index): no fast path needed yet.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "kernels/indexing.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::kernels {
namespace {

using indexing::forEachIndex;
using indexing::repeatStrides;

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
