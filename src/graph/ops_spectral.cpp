// The graph ops of the spectral family and the complex64 ops, as TF.js computes them: FFT / IFFT
// over the innermost dimension (IFFT divided by its length), RFFT (the first n / 2 + 1 terms;
// fft_length is not read, as in TF.js), IRFFT (TF.js's irfft: a batch of rows, see irfft), Complex,
// ComplexAbs (tf.abs: hypot for complex64, |x| otherwise), Real and Imag. Complex64 values hold
// re, im interleaved; the transforms run in double and round to float32.
#include <fmt/format.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "graph/ops.h"

namespace tfjs::graph {
namespace {

using Cx = std::complex<double>;

const Value& complexIn(const OpContext& c, size_t k, const char* what) {
  const Value& v = c.in(k);
  if (v.dtype != DType::kComplex64) {
    c.node.invalid(
        fmt::format("The dtype for {} must be complex64 but got {}.", what, dtypeName(v.dtype)));
  }
  return v;
}

ValuePtr complexValue(Shape shape, const std::vector<Cx>& data) {
  auto v = std::make_shared<Value>();
  v->dtype = DType::kComplex64;
  v->shape = std::move(shape);
  v->f.resize(data.size() * 2);
  for (size_t k = 0; k < data.size(); ++k) {
    v->f[2 * k] = static_cast<float>(data[k].real());
    v->f[2 * k + 1] = static_cast<float>(data[k].imag());
  }
  return v;
}

// A length-n transform of `row` (in place): radix 2 for powers of two, else the O(n^2) sum TF.js
// uses; the inverse divided by n.
void transform(const OpContext& c, std::vector<Cx>& row, bool inverse) {
  const size_t n = row.size();
  if (n <= 1) return;
  const double sign = inverse ? 2 : -2;
  if ((n & (n - 1)) == 0) {
    for (size_t i = 1, j = 0; i < n; ++i) {  // bit reversal
      size_t bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) std::swap(row[i], row[j]);
    }
    for (size_t len = 2; len <= n; len <<= 1) {
      for (size_t i = 0; i < n; i += len) {
        for (size_t k = 0; k < len / 2; ++k) {
          const Cx w = std::polar(
              1.0, sign * std::numbers::pi * static_cast<double>(k) / static_cast<double>(len));
          const Cx a = row[i + k], b = row[i + k + len / 2] * w;
          row[i + k] = a + b;
          row[i + k + len / 2] = a - b;
        }
      }
    }
  } else {
    if (static_cast<double>(n) * static_cast<double>(n) > 1e10) {
      c.node.invalid(
          fmt::format("an FFT of length {} (not a power of two: O(n^2), as in TF.js)", n));
    }
    std::vector<Cx> out(n);
    for (size_t r = 0; r < n; ++r) {
      Cx sum = 0;
      for (size_t k = 0; k < n; ++k) {
        const double x =
            sign * std::numbers::pi * static_cast<double>((r * k) % n) / static_cast<double>(n);
        sum += row[k] * Cx(std::cos(x), std::sin(x));
      }
      out[r] = sum;
    }
    row = std::move(out);
  }
  if (inverse) {
    for (Cx& x : row) x /= static_cast<double>(n);
  }
}

// The rows of a complex64 value along its innermost dimension, each transformed.
std::vector<Cx> transformRows(const OpContext& c, const Value& x, bool inverse) {
  if (x.shape.empty()) c.node.invalid("a scalar has no innermost dimension to transform");
  const auto n = static_cast<size_t>(x.shape.back());
  std::vector<Cx> out(static_cast<size_t>(x.size()));
  std::vector<Cx> row(n);
  for (size_t b = 0; n > 0 && b < out.size() / n; ++b) {
    for (size_t k = 0; k < n; ++k) row[k] = Cx(x.f[2 * (b * n + k)], x.f[2 * (b * n + k) + 1]);
    transform(c, row, inverse);
    std::copy(row.begin(), row.end(), out.begin() + static_cast<std::ptrdiff_t>(b * n));
  }
  return out;
}

std::vector<ValuePtr> fft(const OpContext& c) {
  const Value& x = complexIn(c, 0, "tf.spectral.fft()");
  return {complexValue(x.shape, transformRows(c, x, false))};
}

std::vector<ValuePtr> ifft(const OpContext& c) {
  const Value& x = complexIn(c, 0, "tf.spectral.ifft()");
  return {complexValue(x.shape, transformRows(c, x, true))};
}

std::vector<ValuePtr> rfft(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.dtype != DType::kFloat32) {
    c.node.invalid(
        fmt::format("The dtype for rfft() must be real value but got {}", dtypeName(x.dtype)));
  }
  if (x.shape.empty()) c.node.invalid("a scalar has no innermost dimension to transform");
  const auto n = static_cast<size_t>(x.shape.back());
  const size_t half = n / 2 + 1;
  Shape shape = x.shape;
  shape.back() = static_cast<int64_t>(half);
  if (n == 0) c.node.invalid("an RFFT of length 0");
  const size_t batch = static_cast<size_t>(x.size()) / n;
  std::vector<Cx> out;
  out.reserve(batch * half);
  std::vector<Cx> row(n);
  for (size_t b = 0; b < batch; ++b) {
    for (size_t k = 0; k < n; ++k) row[k] = x.f[b * n + k];
    transform(c, row, false);
    out.insert(out.end(), row.begin(), row.begin() + static_cast<std::ptrdiff_t>(half));
  }
  return {complexValue(shape, out)};
}

// TF.js's irfft: rows of n > 2 terms extended to 2 (n - 1) by conjugate symmetry, n <= 2 terms
// inverted as they are; the real parts as [batch, m], or [d0, batch / d0, m] for rank 3 input.
std::vector<ValuePtr> irfft(const OpContext& c) {
  const Value& x = complexIn(c, 0, "irfft()");
  if (x.shape.empty()) c.node.invalid("a scalar has no innermost dimension to transform");
  const auto n = static_cast<size_t>(x.shape.back());
  if (n == 0) c.node.invalid("an IRFFT of length 0");
  const size_t batch = static_cast<size_t>(x.size()) / n;
  const size_t m = n <= 2 ? n : 2 * (n - 1);
  Shape shape{static_cast<int64_t>(batch), static_cast<int64_t>(m)};
  if (x.shape.size() == 3 && x.shape[0] != 0) {
    shape = {x.shape[0], static_cast<int64_t>(batch) / x.shape[0], static_cast<int64_t>(m)};
  }
  checkSize(c, shape);
  kernels::Floats out;
  out.reserve(batch * m);
  std::vector<Cx> row(m);
  for (size_t b = 0; b < batch; ++b) {
    const auto at = [&](size_t k) { return Cx(x.f[2 * (b * n + k)], x.f[2 * (b * n + k) + 1]); };
    for (size_t k = 0; k < n; ++k) row[k] = at(k);
    for (size_t k = n; k < m; ++k) row[k] = std::conj(at(m - k));
    transform(c, row, true);
    for (const Cx& v : row) out.push_back(static_cast<float>(v.real()));
  }
  return {floatValue(shape, std::move(out))};
}

std::vector<ValuePtr> complexOp(const OpContext& c) {
  const Value& re = c.in(0);
  const Value& im = c.in(1);
  for (const Value* v : {&re, &im}) {
    if (v->dtype == DType::kString || v->dtype == DType::kComplex64) {
      c.node.invalid(fmt::format("tf.complex() of a {} tensor", dtypeName(v->dtype)));
    }
  }
  if (re.shape != im.shape) {
    c.node.invalid(
        fmt::format("real and imag shapes, {} and {}, must match in call to "
                    "tf.complex().",
                    shapeText(re.shape), shapeText(im.shape)));
  }
  const auto at = [](const Value& v, size_t k) {
    return v.dtype == DType::kFloat32 ? static_cast<double>(v.f[k]) : v.i[k];
  };
  std::vector<Cx> out(static_cast<size_t>(re.size()));
  for (size_t k = 0; k < out.size(); ++k) out[k] = Cx(at(re, k), at(im, k));
  return {complexValue(re.shape, out)};
}

std::vector<ValuePtr> complexAbs(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.dtype == DType::kComplex64) {
    kernels::Floats out(static_cast<size_t>(x.size()));
    for (size_t k = 0; k < out.size(); ++k) {
      out[k] = static_cast<float>(
          std::hypot(static_cast<double>(x.f[2 * k]), static_cast<double>(x.f[2 * k + 1])));
    }
    return {floatValue(x.shape, std::move(out))};
  }
  if (x.dtype == DType::kFloat32) {  // tf.abs of a real value
    kernels::Floats out(x.f.size());
    for (size_t k = 0; k < out.size(); ++k) out[k] = std::fabs(x.f[k]);
    return {floatValue(x.shape, std::move(out))};
  }
  if (x.dtype == DType::kInt32) {
    std::vector<int32_t> out(x.i.size());
    for (size_t k = 0; k < out.size(); ++k) {
      out[k] = x.i[k] < 0 ? static_cast<int32_t>(0u - static_cast<uint32_t>(x.i[k])) : x.i[k];
    }
    return {intValue(x.shape, std::move(out))};
  }
  c.node.invalid(fmt::format("abs of a {} tensor", dtypeName(x.dtype)));
}

// Real / Imag: the part of a complex64 value (TF.js fails on other dtypes).
std::vector<ValuePtr> part(const OpContext& c, size_t which) {
  const Value& x = complexIn(c, 0, which == 0 ? "tf.real()" : "tf.imag()");
  kernels::Floats out(static_cast<size_t>(x.size()));
  for (size_t k = 0; k < out.size(); ++k) out[k] = x.f[2 * k + which];
  return {floatValue(x.shape, std::move(out))};
}
std::vector<ValuePtr> real(const OpContext& c) {
  return part(c, 0);
}
std::vector<ValuePtr> imag(const OpContext& c) {
  return part(c, 1);
}

constexpr OpRow kRows[] = {
    {"FFT", fft},     {"IFFT", ifft},         {"RFFT", rfft},
    {"IRFFT", irfft}, {"Complex", complexOp}, {"ComplexAbs", complexAbs},
    {"Real", real},   {"Imag", imag},
};

}  // namespace

std::span<const OpRow> spectralOps() {
  return kRows;
}

}  // namespace tfjs::graph
