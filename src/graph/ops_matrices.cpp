// The graph ops of the matrices family: BatchMatMul / BatchMatMulV2 (gemm per matrix), Einsum,
// MatrixBandPart. As TF.js's executors run them (tf.matMul, tf.einsum, tf.linalg.bandPart).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "format/js_math.h"
#include "graph/ops.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::graph {

// BatchMatMul / BatchMatMulV2 (tf.matMul with adj_x / adj_y as transposeA / transposeB): ranks
// >= 2, the leading dimensions broadcast. As tfjs-backend-cpu: the product runs over
// max(batchA, batchB) matrices, matrix i taking A's matrix i % batchA and B's i % batchB (not
// NumPy's broadcasting: a [2,1,..] x b [2,3,..] pairs A's 0,1,0,1,0,1 with B's 0..5), and shapes
// whose broadcast count differs from that maximum ([2,1] with [1,3]) are refused (TF.js's reshape
// of the result fails).
std::vector<ValuePtr> batchMatMulOf(const OpContext& c, bool ta, bool tb) {
  // int32 operands multiply in int32, as TF.js's cpu kernel does (below).
  const bool ints = c.in(0).dtype == DType::kInt32 && c.in(1).dtype == DType::kInt32;
  const Value& a = ints ? c.in(0) : c.floatIn(0);
  const Value& b = ints ? c.in(1) : c.floatIn(1);
  const size_t ra = a.shape.size(), rb = b.shape.size();
  if (ra < 2 || rb < 2)
    c.node.invalid(fmt::format("operands of rank {} and {} (2 or more)", ra, rb));
  const int64_t m = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const int64_t k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const int64_t kb = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const int64_t n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  const Shape outerA(a.shape.begin(), a.shape.end() - 2),
      outerB(b.shape.begin(), b.shape.end() - 2);
  Shape outer;
  try {
    outer = kernels::broadcastShape(outerA, outerB);
  } catch (const Error& e) {
    c.node.invalid(e.what());
  }
  if (k != kb) {
    c.node.invalid(fmt::format("inner dimensions {} and {} differ ({} x {}, adj_x {}, adj_y {})", k,
                               kb, shapeText(a.shape), shapeText(b.shape), ta, tb));
  }
  const int64_t batchA = kernels::Array::count(outerA), batchB = kernels::Array::count(outerB);
  const int64_t batch = std::max(batchA, batchB);
  if (batch != kernels::Array::count(outer)) {
    c.node.invalid(
        fmt::format("batch dimensions {} and {} (TF.js pairs matrices by index modulo "
                    "each batch size and fails to reshape {} products into {})",
                    shapeText(outerA), shapeText(outerB), batch, shapeText(outer)));
  }
  Shape shape = outer;
  shape.push_back(m);
  shape.push_back(n);
  checkSize(c, shape);
  if (ints) {
    // TF.js's batchMatMul for int32: per output element, the products summed in double over
    // blocks of 48 of the inner dimension, each block's sum added into an Int32Array (ToInt32).
    constexpr int64_t kBlock = 48;
    std::vector<int32_t> y(static_cast<size_t>(kernels::Array::count(shape)), 0);
    const int64_t lda = a.shape[ra - 1], ldb = b.shape[rb - 1];
    for (int64_t i = 0; i < batch; ++i) {
      const int32_t* pa = a.i.data() + (i % batchA) * m * k;
      const int32_t* pb = b.i.data() + (i % batchB) * k * n;
      for (int64_t r = 0; r < m; ++r) {
        for (int64_t col = 0; col < n; ++col) {
          int32_t acc = 0;
          for (int64_t k0 = 0; k0 < k; k0 += kBlock) {
            double sum = 0;
            for (int64_t q = k0; q < std::min(k, k0 + kBlock); ++q) {
              const double av = ta ? pa[q * lda + r] : pa[r * lda + q];
              const double bv = tb ? pb[col * ldb + q] : pb[q * ldb + col];
              sum += av * bv;
            }
            acc = jsToInt32(static_cast<double>(acc) + sum);
          }
          y[static_cast<size_t>((i * m + r) * n + col)] = acc;
        }
      }
    }
    return {intValue(shape, std::move(y))};
  }
  kernels::Array y(shape);
  if (m > 0 && n > 0 && k > 0) {
    for (int64_t i = 0; i < batch; ++i) {
      const float* pa = a.f.data() + (i % batchA) * m * k;
      const float* pb = b.f.data() + (i % batchB) * k * n;
      kernels::gemm(ta, tb, m, n, k, 1.0f, pa, a.shape[ra - 1], pb, b.shape[rb - 1], 0.0f,
                    y.data.data() + i * m * n, n);
    }
  }
  return {fromArray(std::move(y))};
}

namespace {

std::vector<ValuePtr> batchMatMul(const OpContext& c) {
  return batchMatMulOf(c, c.node.flag("adj_x", false), c.node.flag("adj_y", false));
}

// `x` (its axes labelled `from`, each label's size in `size` by its position in `labels`)
// with its axes reordered to `to` (the same labels).
kernels::Floats permuted(const float* x, const std::string& from, const std::string& to,
                         const std::string& labels, const std::vector<int64_t>& size) {
  std::vector<int64_t> stride(to.size()), extent(to.size());
  int64_t total = 1;
  for (size_t j = to.size(); j-- > 0;) {
    int64_t st = 1;
    for (size_t q = from.size(); q-- > from.find(to[j]) + 1;) st *= size[labels.find(from[q])];
    stride[j] = st;
    extent[j] = size[labels.find(to[j])];
    total *= extent[j];
  }
  kernels::Floats out(static_cast<size_t>(total));
  std::vector<int64_t> idx(to.size(), 0);
  int64_t at = 0;
  for (int64_t e = 0; e < total; ++e) {
    out[static_cast<size_t>(e)] = x[at];
    for (size_t j = to.size(); j-- > 0;) {
      at += stride[j];
      if (++idx[j] < extent[j]) break;
      at -= stride[j] * extent[j];
      idx[j] = 0;
    }
  }
  return out;
}

// The fast form of a two-operand Einsum whose every label is in the output or in both operands
// (a batched matrix product): A to [batch, free A, contracted], B to [batch, contracted, free B],
// a gemm per batch, the product reordered to the output. False for other equations.
bool einsumGemm(const std::vector<std::string>& terms, const std::string& out,
                const std::string& labels, const std::vector<int64_t>& size, const float* a,
                const float* b, float* y) {
  if (terms.size() != 2) return false;
  const std::string &ta = terms[0], &tb = terms[1];
  std::string batch, freeA, freeB, contracted;
  for (char ch : labels) {
    const bool inA = ta.find(ch) != std::string::npos, inB = tb.find(ch) != std::string::npos;
    const bool inOut = out.find(ch) != std::string::npos;
    if (inA && inB) {
      (inOut ? batch : contracted).push_back(ch);
    } else if (!inOut) {
      return false;  // summed within one operand
    } else {
      (inA ? freeA : freeB).push_back(ch);
    }
  }
  auto prod = [&](const std::string& ls) {
    int64_t p = 1;
    for (char ch : ls) p *= size[labels.find(ch)];
    return p;
  };
  const int64_t nb = prod(batch), m = prod(freeA), n = prod(freeB), k = prod(contracted);
  const kernels::Floats pa = permuted(a, ta, batch + freeA + contracted, labels, size);
  const kernels::Floats pb = permuted(b, tb, batch + contracted + freeB, labels, size);
  kernels::Floats py(static_cast<size_t>(nb * m * n), 0.0f);
  if (k > 0 && m > 0 && n > 0) {
    for (int64_t i = 0; i < nb; ++i) {
      kernels::gemm(false, false, m, n, k, 1.0f, pa.data() + i * m * k, k, pb.data() + i * k * n, n,
                    0.0f, py.data() + i * m * n, n);
    }
  }
  const kernels::Floats r = permuted(py.data(), batch + freeA + freeB, out, labels, size);
  std::copy(r.begin(), r.end(), y);
  return true;
}

// Einsum (tf.einsum): the equation as the converter reads it (lower-cased, whitespace removed);
// one arrow, no ellipsis, one or two operands, no label repeated within an operand, output labels
// present in the inputs. Each output element sums, over the labels not in the output, the float32
// product of the operands' elements (the sum in double, rounded once): the reference loop; a
// two-operand product without labels summed within one operand runs on gemm (einsumGemm).
std::vector<ValuePtr> einsum(const OpContext& c) {
  std::string eq;
  for (char ch : c.node.string("equation")) {
    if (!std::isspace(static_cast<unsigned char>(ch)))
      eq.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  const size_t arrow = eq.find("->");
  if (arrow == std::string::npos) c.node.invalid("an equation without an arrow");
  if (eq.find("->", arrow + 2) != std::string::npos) c.node.invalid("an equation with two arrows");
  const std::string lhs = eq.substr(0, arrow), rhs = eq.substr(arrow + 2);
  if (lhs.find("...") != std::string::npos) c.node.unsupported("the ellipsis (TF.js refuses it)");
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != c.inputs.size()) {
    c.node.invalid(
        fmt::format("{} input terms for {} input tensors", terms.size(), c.inputs.size()));
  }
  if (terms.size() > 2) c.node.unsupported("more than 2 operands (TF.js refuses them)");
  // The labels: the output's first, in order, then the summed ones.
  std::string labels;
  for (char ch : rhs) {
    if (lhs.find(ch) == std::string::npos)
      c.node.invalid(fmt::format("output label '{}' not in the inputs", ch));
    if (labels.find(ch) != std::string::npos)
      c.node.unsupported(fmt::format("output label '{}' repeated", ch));
    labels.push_back(ch);
  }
  for (char ch : lhs) {
    if (ch != ',' && labels.find(ch) == std::string::npos) labels.push_back(ch);
  }
  const size_t numLabels = labels.size(), numOut = rhs.size();
  // TF.js multiplies in, before its first reduction, only the operands holding the first summed
  // label (and scalars); an operand without it is multiplied in after the reduction with its
  // axes misnumbered, or never (a wrong shape or wrong values): refused.
  if (numLabels > numOut) {
    for (const std::string& term : terms) {
      if (!term.empty() && term.find(labels[numOut]) == std::string::npos) {
        c.node.unsupported(
            fmt::format("operand '{}' without the first summed label '{}' (TF.js "
                        "computes this equation wrongly)",
                        term, labels[numOut]));
      }
    }
  }
  std::vector<int64_t> size(numLabels, -1);
  std::vector<std::vector<int64_t>> strides(terms.size(), std::vector<int64_t>(numLabels, 0));
  for (size_t t = 0; t < terms.size(); ++t) {
    const Value& x = c.floatIn(t);
    const std::string& term = terms[t];
    if (x.shape.size() != term.size()) {
      c.node.invalid(fmt::format("term '{}' for an operand of shape {}", term, shapeText(x.shape)));
    }
    int64_t stride = 1;
    for (size_t j = term.size(); j-- > 0;) {
      if (term.find(term[j]) != j)
        c.node.unsupported(fmt::format("label '{}' repeated in '{}'", term[j], term));
      const size_t l = labels.find(term[j]);
      if (size[l] >= 0 && size[l] != x.shape[j]) {
        c.node.invalid(fmt::format("label '{}' of size {} and {}", term[j], size[l], x.shape[j]));
      }
      size[l] = x.shape[j];
      strides[t][l] = stride;
      stride *= x.shape[j];
    }
  }
  const Shape shape(size.begin(), size.begin() + static_cast<std::ptrdiff_t>(numOut));
  checkSize(c, shape);
  const Shape summed(size.begin() + static_cast<std::ptrdiff_t>(numOut), size.end());
  const int64_t outCount = kernels::Array::count(shape), sumCount = kernels::Array::count(summed);
  std::vector<const float*> data;
  for (size_t t = 0; t < terms.size(); ++t) data.push_back(c.in(t).f.data());
  kernels::Array y(shape);
  if (!kernels::referenceKernels() && data.size() == 2 &&
      einsumGemm(terms, rhs, labels, size, data[0], data[1], y.data.data())) {
    return {fromArray(std::move(y))};
  }
  std::vector<int64_t> idx(numLabels, 0);
  for (int64_t o = 0; o < outCount; ++o) {
    // idx[0, numOut) is o's index; idx[numOut, ...) runs over the summed labels.
    double sum = 0.0;
    for (int64_t s = 0; s < sumCount; ++s) {
      float product = 1.0f;
      for (size_t t = 0; t < data.size(); ++t) {
        int64_t at = 0;
        for (size_t l = 0; l < numLabels; ++l) at += idx[l] * strides[t][l];
        product = t == 0 ? data[t][at] : product * data[t][at];
      }
      sum += product;
      for (size_t l = numLabels; l-- > numOut;) {
        if (++idx[l] < size[l]) break;
        idx[l] = 0;
      }
    }
    y.data[static_cast<size_t>(o)] = static_cast<float>(sum);
    for (size_t l = numOut; l-- > 0;) {
      if (++idx[l] < size[l]) break;
      idx[l] = 0;
    }
  }
  return {fromArray(std::move(y))};
}

// MatrixBandPart (tf.linalg.bandPart): keeps a[..., i, j] where i - j <= lower and
// j - i <= upper (a negative bound: the whole side), zeros the rest. As tfjs-converter's op list
// maps it, both bounds are read from input 1 (num_lower); input 2 (num_upper) is never read.
std::vector<ValuePtr> matrixBandPart(const OpContext& c) {
  const Value& a = c.in(0);
  if (a.dtype != DType::kFloat32 && a.dtype != DType::kInt32 && a.dtype != DType::kBool)
    c.node.unsupported(fmt::format("a {} operand", static_cast<int>(a.dtype)));
  if (a.shape.size() < 2) c.node.invalid(fmt::format("an operand of rank {}", a.shape.size()));
  const Value& bound = c.in(1);
  if (bound.dtype != DType::kInt32) c.node.invalid("num_lower that is not int32");
  if (bound.size() != 1)
    c.node.unsupported(fmt::format("num_lower of shape {}", shapeText(bound.shape)));
  const int64_t rows = a.shape[a.shape.size() - 2], cols = a.shape[a.shape.size() - 1];
  const int64_t nb = bound.i[0];
  const int64_t lower = nb < 0 ? rows : std::min(nb, rows);
  const int64_t upper = nb < 0 ? cols : std::min(nb, cols);
  const int64_t total = a.size();
  auto keep = [&](int64_t e) {
    const int64_t j = e % cols, i = (e / cols) % rows;
    return i - j <= lower && j - i <= upper;
  };
  if (a.dtype == DType::kFloat32) {
    kernels::Floats out(a.f.begin(), a.f.end());
    for (int64_t e = 0; e < total; ++e) {
      if (!keep(e)) out[static_cast<size_t>(e)] = 0.0f;
    }
    return {floatValue(a.shape, std::move(out))};
  }
  std::vector<int32_t> out(a.i);
  for (int64_t e = 0; e < total; ++e) {
    if (!keep(e)) out[static_cast<size_t>(e)] = 0;
  }
  return {intValue(a.shape, std::move(out), a.dtype)};
}

constexpr OpRow kRows[] = {
    {"BatchMatMul", batchMatMul},
    {"BatchMatMulV2", batchMatMul},
    {"Einsum", einsum},
    {"MatrixBandPart", matrixBandPart},
};

}  // namespace

std::span<const OpRow> matrixOps() {
  return kRows;
}

}  // namespace tfjs::graph
