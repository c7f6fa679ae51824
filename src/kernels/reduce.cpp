// Reductions over axes (kernels.h): the accumulation rules (TF.js's), the reference kernel (each
// output element on its own, its reduced positions visited in row-major order from their
// indices) and the fast one for a contiguous block of reduced axes, seen as [outer, reduced,
// inner]: rows summed straight when inner is 1, else the reduced axis walked in order with one
// accumulator per inner position. Each output element accumulates the same values in the same
// order in both, so they agree bit for bit.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/indexing.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::kernels {
namespace {

// One output element's accumulation: start (from the first value), add each value, finish.
template <Reduce Op>
struct Accumulator {
  static constexpr bool kCompare = Op == Reduce::kMax || Op == Reduce::kMin;
  using T = std::conditional_t<kCompare, float, double>;

  static T start(float first) {
    if constexpr (kCompare) {
      return first;
    } else if constexpr (Op == Reduce::kProd) {
      (void)first;
      return 1.0;
    } else {
      (void)first;
      return 0.0;
    }
  }
  // `n` is the count of reduced elements as float32 (TF.js's Mean divides by it).
  static T add(T acc, float v, float n) {
    if constexpr (Op == Reduce::kMax) {
      return (std::isnan(v) || v > acc) ? v : acc;
    } else if constexpr (Op == Reduce::kMin) {
      return (std::isnan(v) || v < acc) ? v : acc;
    } else if constexpr (Op == Reduce::kProd) {
      return acc * static_cast<double>(v);
    } else if constexpr (Op == Reduce::kMean) {
      return acc + static_cast<double>(v / n);
    } else {
      return acc + static_cast<double>(v);
    }
  }
  // The value of an empty reduction.
  static float empty() {
    if constexpr (kCompare) return std::numeric_limits<float>::quiet_NaN();
    return Op == Reduce::kProd ? 1.0f : 0.0f;
  }
};

template <typename F>
void dispatch(Reduce op, F&& f) {
  switch (op) {
    case Reduce::kSum:
      return f.template operator()<Reduce::kSum>();
    case Reduce::kMean:
      return f.template operator()<Reduce::kMean>();
    case Reduce::kMax:
      return f.template operator()<Reduce::kMax>();
    case Reduce::kMin:
      return f.template operator()<Reduce::kMin>();
    case Reduce::kProd:
      return f.template operator()<Reduce::kProd>();
  }
  throw Error(ErrorCode::kInvalidArgument, "kernels::reduce: an unknown reduction");
}

// The axes resolved (negative from the end), sorted; Error(kInvalidArgument) for an axis out of
// range or given twice.
std::vector<int64_t> resolveAxes(std::vector<int64_t> axes, const Shape& shape) {
  const auto rank = static_cast<int64_t>(shape.size());
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("reduction axis {} is out of range for shape [{}]", a,
                              fmt::join(shape, ",")));
    }
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("reduction axes [{}] name an axis twice", fmt::join(axes, ",")));
  }
  return axes;
}

bool isReduced(const std::vector<int64_t>& axes, size_t d) {
  return std::binary_search(axes.begin(), axes.end(), static_cast<int64_t>(d));
}

Shape outputShape(const Shape& shape, const std::vector<int64_t>& axes, bool keepDims) {
  Shape out;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!isReduced(axes, d)) {
      out.push_back(shape[d]);
    } else if (keepDims) {
      out.push_back(1);
    }
  }
  return out;
}

template <Reduce Op>
void fastRun(const float* x, int64_t outer, int64_t count, int64_t inner, float* y) {
  using A = Accumulator<Op>;
  const auto n = static_cast<float>(count);
  if (count == 0) {
    std::fill(y, y + outer * inner, A::empty());
    return;
  }
  if (inner == 1) {
#pragma omp parallel for schedule(static) if (outer > 1 && outer * count >= 32768)
    for (int64_t o = 0; o < outer; ++o) {
      const float* row = x + o * count;
      typename A::T acc = A::start(row[0]);
      for (int64_t j = 0; j < count; ++j) acc = A::add(acc, row[j], n);
      y[o] = static_cast<float>(acc);
    }
    return;
  }
#pragma omp parallel for schedule(static) if (outer > 1 && outer * count * inner >= 32768)
  for (int64_t o = 0; o < outer; ++o) {
    const float* block = x + o * count * inner;
    std::vector<typename A::T> acc(static_cast<size_t>(inner));
    for (int64_t i = 0; i < inner; ++i) acc[static_cast<size_t>(i)] = A::start(block[i]);
    for (int64_t j = 0; j < count; ++j) {
      const float* row = block + j * inner;
      for (int64_t i = 0; i < inner; ++i) {
        acc[static_cast<size_t>(i)] = A::add(acc[static_cast<size_t>(i)], row[i], n);
      }
    }
    float* out = y + o * inner;
    for (int64_t i = 0; i < inner; ++i) out[i] = static_cast<float>(acc[static_cast<size_t>(i)]);
  }
}

}  // namespace

Array reduce(Reduce op, const Array& x, std::vector<int64_t> axes, bool keepDims) {
  if (referenceKernels()) return reference::reduce(op, x, std::move(axes), keepDims);
  axes = resolveAxes(std::move(axes), x.shape);
  Array y(outputShape(x.shape, axes, keepDims), kUninitialized);
  // No axes: every element reduced on its own, as [size, 1, 1].
  int64_t outer = axes.empty() ? x.size() : 1, count = 1, inner = 1;
  if (!axes.empty()) {
    const bool contiguous = axes.back() - axes.front() + 1 == static_cast<int64_t>(axes.size());
    if (!contiguous) return reference::reduce(op, x, std::move(axes), keepDims);
    for (size_t d = 0; d < x.shape.size(); ++d) {
      const auto di = static_cast<int64_t>(d);
      (di < axes.front() ? outer : di > axes.back() ? inner : count) *= x.shape[d];
    }
  }
  if (y.size() > 0) {
    dispatch(op,
             [&]<Reduce Op>() { fastRun<Op>(x.data.data(), outer, count, inner, y.data.data()); });
  }
  return y;
}

namespace reference {

Array reduce(Reduce op, const Array& x, std::vector<int64_t> axes, bool keepDims) {
  axes = resolveAxes(std::move(axes), x.shape);
  Array y(outputShape(x.shape, axes, keepDims), kUninitialized);
  // The kept and the reduced axes, with their sizes and their strides in x.
  std::vector<int64_t> keptSize, keptStride, redSize, redStride;
  const std::vector<int64_t> strides = indexing::stridesOf(x.shape);
  for (size_t d = 0; d < x.shape.size(); ++d) {
    const bool reduced = isReduced(axes, d);
    (reduced ? redSize : keptSize).push_back(x.shape[d]);
    (reduced ? redStride : keptStride).push_back(strides[d]);
  }
  int64_t count = 1;
  for (const int64_t s : redSize) count *= s;
  // The offset in x of flat index i over the axes of the given sizes and strides.
  const auto offset = [](int64_t i, const std::vector<int64_t>& size,
                         const std::vector<int64_t>& step) {
    int64_t at = 0;
    for (size_t d = size.size(); d-- > 0;) {
      at += (i % size[d]) * step[d];
      i /= size[d];
    }
    return at;
  };
  dispatch(op, [&]<Reduce Op>() {
    using A = Accumulator<Op>;
    const auto n = static_cast<float>(count);
    for (int64_t o = 0; o < y.size(); ++o) {
      const int64_t base = offset(o, keptSize, keptStride);
      if (count == 0) {
        y.data[static_cast<size_t>(o)] = A::empty();
        continue;
      }
      typename A::T acc = A::start(x.data[static_cast<size_t>(base)]);
      for (int64_t j = 0; j < count; ++j) {
        acc = A::add(acc, x.data[static_cast<size_t>(base + offset(j, redSize, redStride))], n);
      }
      y.data[static_cast<size_t>(o)] = static_cast<float>(acc);
    }
  });
  return y;
}

}  // namespace reference
}  // namespace tfjs::kernels
