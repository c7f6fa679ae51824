// The compute kernels of both runtimes, layers and graph (internal): plain reference loops and
// fast implementations (oneDNN, OpenBLAS, vectorized loops) of the same operations. They take
// plain arrays and enums and know no layer and no graph.
//
// The reference kernels (namespace reference, reference.cpp) are direct loops over channels_last
// data in the order of tfjs-backend-cpu's loops; they are the oracle the fast kernels are tested
// against (tests/kernels_test.cpp) and what runs when reference kernels are asked for. Their
// loops over windows are the header's window iterators (forEachOutput, forEachTap,
// forEachTriple: pure functions of a Window, safe from any thread), which Pool::backward's max
// rule shares.
//
// The fast kernels (fast.cpp) wrap oneDNN primitives. A kernel object is made once per layer
// from views of the layer's weights (which must outlive it); the oneDNN primitive and the weights
// reordered into its preferred layout are made on the first run for each input geometry (batch,
// spatial size) and OpenMP thread count, then kept: no run copies or reorders weights again,
// and primitives that want the same weight layout share one packed copy (so a convolution or
// recurrent layer holds its weights about twice: the loaded views, which the reference kernels
// read, and the packed copy).
// run() is thread-safe (the cache is guarded by a mutex; a primitive runs concurrently). Inputs
// and outputs stay plain channels_last arrays, so layers exchange ordinary buffers. fast.cpp also
// holds fastUnary, the AVX2 gate activations of the recurrent layers.
//
// The array-shaped operations (elementwise.cpp, reduce.cpp, resize.cpp) hold their reference and
// fast forms side by side in one file: the fast form keeps the reference's expression and order
// per element and adds layout (coalesced axes, precomputed tables, contiguous loops) and threads,
// so the two agree bit for bit, and both agree with TF.js (tests/kernel_ops_test.cpp).
//
// Execution settings are per calling thread: LayersModel::predict opens an ExecutionScope with
// the model's thread count and kernel choice. TFJS_REFERENCE_KERNELS=1 in the environment selects
// the reference kernels everywhere.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "format/activation_names.h"
#include "kernels/array.h"
#include "kernels/window.h"

namespace tfjs::kernels {

// --- execution settings ---------------------------------------------------------------------

// True when the calling thread should run the reference kernels: inside an ExecutionScope that
// asked for them, or TFJS_REFERENCE_KERNELS=1 (read once).
bool referenceKernels();

// For its lifetime, sets the OpenMP thread count of the calling thread (threads > 0; 0 leaves
// OpenMP's setting: OMP_NUM_THREADS, else every core) and whether it runs reference kernels;
// restores both on exit. OpenMP's thread count is a per-thread setting, so scopes on different
// threads do not interfere.
class ExecutionScope {
 public:
  ExecutionScope(int threads, bool reference);
  ~ExecutionScope();
  ExecutionScope(const ExecutionScope&) = delete;
  ExecutionScope& operator=(const ExecutionScope&) = delete;

 private:
  int previousThreads_ = 0;
  bool previousReference_ = false;
};

// --- activations fused into a fast kernel ------------------------------------------------------

// The activations a fast kernel applies itself (as a oneDNN post-op). kNone: the layer applies
// its activation afterwards with applyActivation (softmax, selu, gelu, ...).
enum class Fused { kNone, kLinear, kRelu, kRelu6, kElu, kSigmoid, kTanh };
// The fused form of an activation (format/activation_names.h resolves the name), kNone when it
// has none.
Fused fusedActivation(ActivationKind kind);

// --- element-wise activations of recurrent cells ---------------------------------------------

// The element-wise activations the recurrent cells apply to their gates with `unary`. kOther:
// any other activation (softmax, selu, ...), which the caller applies with applyActivation.
enum class Unary { kOther, kLinear, kRelu, kTanh, kSigmoid, kHardSigmoid };

// In place over p[0, n): TF.js's definitions, evaluated by the reference kernel when reference
// kernels are asked for (referenceKernels()), else by the fast one.
void unary(Unary f, float* p, int64_t n);

// --- window iteration (the reference kernels and Pool::backward's max rule) ----------------------

// The coordinates (depth, height, width) of one output position of a Window.
using Position = std::array<int64_t, 3>;

// Calls visit(o, at) for each output position `at` of sample n of the window, in row-major order,
// with o its flat index in [N, out...] (times the channel count: the offset of its channels).
template <typename Visit>
void forEachOutput(const Window& w, int64_t n, Visit visit) {
  for (int64_t od = 0; od < w.out[0]; ++od) {
    for (int64_t oh = 0; oh < w.out[1]; ++oh) {
      for (int64_t ow = 0; ow < w.out[2]; ++ow) {
        visit(((n * w.out[0] + od) * w.out[1] + oh) * w.out[2] + ow, Position{od, oh, ow});
      }
    }
  }
}

// Calls visit(p, i) for each kernel position of the output position `at` of sample n whose input
// position at * stride - pad + kernel position * dilation lies inside the input, in row-major
// kernel order (tfjs-backend-cpu's), with p the kernel position's flat index in [k...] and i the
// input position's flat index in [N, in...].
template <typename Visit>
void forEachTap(const Window& w, int64_t n, const Position& at, Visit visit) {
  for (int64_t kd = 0; kd < w.k[0]; ++kd) {
    const int64_t id = at[0] * w.stride[0] - w.pad[0] + kd * w.dilation[0];
    if (id < 0 || id >= w.in[0]) continue;
    for (int64_t kh = 0; kh < w.k[1]; ++kh) {
      const int64_t ih = at[1] * w.stride[1] - w.pad[1] + kh * w.dilation[1];
      if (ih < 0 || ih >= w.in[1]) continue;
      for (int64_t kw = 0; kw < w.k[2]; ++kw) {
        const int64_t iw = at[2] * w.stride[2] - w.pad[2] + kw * w.dilation[2];
        if (iw < 0 || iw >= w.in[2]) continue;
        visit((kd * w.k[1] + kh) * w.k[2] + kw, ((n * w.in[0] + id) * w.in[1] + ih) * w.in[2] + iw);
      }
    }
  }
}

// Calls visit(o, p, i) for every (output position, kernel position, input position) triple of
// the window over `batch` samples: samples, then output positions (forEachOutput), then their
// in-bounds kernel positions (forEachTap).
template <typename Visit>
void forEachTriple(const Window& w, int64_t batch, Visit visit) {
  for (int64_t n = 0; n < batch; ++n) {
    forEachOutput(w, n, [&](int64_t o, const Position& at) {
      forEachTap(w, n, at, [&](int64_t p, int64_t i) { visit(o, p, i); });
    });
  }
}

// --- reference kernels (reference.cpp) ---------------------------------------------------------

// --- broadcasting (broadcast.cpp) ---------------------------------------------------------------

// NumPy's broadcasting: shapes aligned on their last axes, an axis of 1 (or a missing leading
// axis) repeated. True when `from` broadcasts to `to`.
bool broadcastsTo(const Shape& from, const Shape& to);
// `a` repeated along the axes it broadcasts over to reach shape `to` (broadcastsTo must hold;
// Error(kInvalidArgument) naming both shapes otherwise).
Array broadcastTo(const Array& a, const Shape& to);
// The same for row-major values of shape `from` (a caller that reads an array under another
// shape of the same element order, without copying it).
Array broadcastTo(const float* values, const Shape& from, const Shape& to);
// The reverse, for gradients: `g` (of a shape that `to` broadcasts to) summed over the axes `to`
// was repeated along, in element order.
Array sumTo(const Array& g, const Shape& to);

// --- element-wise binary operations with broadcasting (elementwise.cpp) ------------------------

// The binary operations, each as tfjs-backend-cpu computes it on float32 (JavaScript numbers,
// rounded to float32 once): add, sub, mul, div (the same as float32 arithmetic), maximum /
// minimum (Math.max / Math.min: NaN if either operand is NaN, max(-0, +0) = +0, min = -0),
// pow (Math.pow in double: pow(+-1, +-inf) and pow(1, NaN) are NaN), squared difference
// ((a - b)^2 in double).
enum class Binary { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum, kPow, kSquaredDifference };

// One operation on two floats, as above (what both kernels compute per element).
float binaryScalar(Binary op, float a, float b);

// Row-major float32 values under a shape: an Array, or another array's values read under a
// shape with the same element count (no copy). The values must outlive the operand.
struct Operand {
  const float* data;
  Shape shape;
  Operand(const Array& a) : data(a.data.data()), shape(a.shape) {}  // NOLINT: implicit by design
  Operand(const float* d, Shape s) : data(d), shape(std::move(s)) {}
};

// The NumPy broadcast of two shapes (aligned on their last axes; an axis of 1 or a missing
// leading axis repeats); Error(kInvalidArgument) naming both when they do not broadcast.
Shape broadcastShape(const Shape& a, const Shape& b);

// a op b over broadcastShape(a, b), element by element. The reference kernel runs under
// referenceKernels(), else the fast one; both give the same bits.
Array binary(Binary op, const Operand& a, const Operand& b);
// a = a op b, in place, for b that broadcasts to a's shape (Error(kInvalidArgument) otherwise):
// the fold of a merge layer without a new array per step.
void binaryInPlace(Binary op, Array& a, const Operand& b);

// --- reductions (reduce.cpp) ---------------------------------------------------------------

// The reductions, as tfjs-backend-cpu computes them over float32: sum and prod accumulate in
// double in row-major order of the reduced positions and round once; mean is the sum of
// x / n with each quotient rounded to float32 first (TF.js's Mean: div, then sum); max / min
// start at the first element and take a larger / smaller value or any NaN (NaN propagates).
// An empty reduction gives 0 (sum, mean), 1 (prod) or NaN (max, min, as TF.js reads past it).
enum class Reduce { kSum, kMean, kMax, kMin, kProd };

// `x` reduced over `axes` (each in [-rank, rank), negative counting from the end, no repeats;
// Error(kInvalidArgument) otherwise); the reduced axes are dropped, or kept as 1s with keepDims.
// No axes: each element reduced on its own (TF.js's sum then turns -0 into +0). Reference under
// referenceKernels(); the fast kernel (contiguous blocks of reduced axes, multithreaded over the
// kept positions; other axis sets run the reference) keeps the reference's order, so both give the
// same bits.
Array reduce(Reduce op, const Array& x, std::vector<int64_t> axes, bool keepDims);

// --- image resizing (resize.cpp) ---------------------------------------------------------------

// tf.image.resizeBilinear / resizeNearestNeighbor of NHWC images to [N, height, width, C], as
// tfjs-backend-cpu computes them: the source coordinate of output row r is ratio * r, or
// ratio * (r + 0.5) - 0.5 with halfPixelCenters (nearest: ratio * (r + 0.5)), ratio = in / out,
// or (in - 1) / (out - 1) with alignCorners when out > 1; bilinear blends the clamped
// floor / ceil neighbours in double (top + (bottom - top) * rowFrac of the two horizontal
// blends; rowFrac may be negative near the edge with halfPixelCenters, as in TF.js), nearest
// takes min(in - 1, alignCorners ? Math.round(src) : floor(src)) (and at least 0 with
// halfPixelCenters). An empty image gives zeros. Error(kInvalidArgument) unless x has rank 4.
Array resizeBilinear(const Array& x, int64_t height, int64_t width, bool alignCorners,
                     bool halfPixelCenters);
Array resizeNearest(const Array& x, int64_t height, int64_t width, bool alignCorners,
                    bool halfPixelCenters);
// Their adjoints for dL/dy = g [N, height, width, C] and the input shape `x` [N, h, w, C]
// (halfPixelCenters false, as TF.js's gradients assume): bilinear adds each gradient times its
// four weights to a float32 sum in g's row-major order (TF.js's ResizeBilinearGrad); nearest
// adds each gradient to the pixel it was copied from, summed in double and rounded once (what
// TF.js's ResizeNearestNeighborGrad computes for the first image; for later images it reads
// dy at the image's offset in x, not in dy, and sums other gradients, which is not followed).
Array resizeBilinearBackward(const Array& g, const Shape& x, bool alignCorners);
Array resizeNearestBackward(const Array& g, const Shape& x, bool alignCorners);

// --- general matrix product (training's backward passes) -------------------------------------

// C = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T as transA / transB say;
// op(A) is m x k, op(B) is k x n, C is m x n with leading dimension ldc. OpenBLAS's or oneDNN's
// sgemm, chosen per CPU and row count (gemmLibrary()), or a plain loop under reference kernels.
void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

namespace reference {

// In place over p[0, n), TF.js's definitions in float32 with the C library's functions: tanh,
// sigmoid 1 / (1 + exp(-x)), hard sigmoid clip(0.2 * x + 0.5, 0, 1), relu (NaN -> 0, as
// x > 0 ? x : 0), linear. kOther throws Error(kInvalidArgument): its caller applies those.
void unary(Unary f, float* p, int64_t n);

// y[r, j] = sum_i x[r, i] * k[i, j] for x [rows, in], kernel [in, units]; y zero on entry.
void dense(const float* x, int64_t rows, int64_t in, const float* k, int64_t units, float* y);

// y[n, o, f] = sum over kernel positions p and input channels c of x[n, o*s - pad + p*d, c] *
// k[p, c, f] for NDHWC x, kernel [kd, kh, kw, C, F]; y zero on entry.
void conv(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k, int64_t outC,
          float* y);

// Depthwise: y[n, o, c*M + m] = sum over kernel positions p of x[n, o*s - pad + p*d, c] *
// k[p, c, m] for NHWC x (as a depth-1 window: in, out and k of depth 1, no depth padding),
// kernel [kh, kw, C, M]; y zero on entry.
void depthwise(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
               int64_t mult, float* y);

// Transposed convolution, the adjoint of `conv` over the window `w` whose `in` is the output
// size and whose `out` is the input size: y[n, i*s - pad + p, f] += x[n, i, c] * k[p, f, c] for
// kernel [kd, kh, kw, F, C] (w.dilation is ignored); y zero on entry.
void convTranspose(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                   int64_t outC, float* y);

// The backward pass of `conv` for dL/dy = g [N, out..., F]: dx (zero on entry, or null to skip)
// receives dL/dx; dk (accumulated into) receives dL/dk.
void convBackward(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                  int64_t outC, const float* g, float* dx, float* dk);

// The backward pass of `depthwise` for dL/dy = g [N, oh, ow, C*M]: dx (zero on entry, or null to
// skip) receives dL/dx; dk [kh, kw, C, M] (accumulated into) receives dL/dk.
void depthwiseBackward(const float* x, int64_t batch, const Window& w, int64_t inC, const float* k,
                       int64_t mult, const float* g, float* dx, float* dk);

// The backward pass of `pool` for dL/dy = g: max sends each gradient to the first maximum of its
// window (TF.js's maxPoolPositions: the first element greater than all before it), average
// spreads it over the window's in-bounds elements. dx is zero on entry.
void poolBackward(const float* x, int64_t batch, const Window& w, int64_t ch, bool isMax,
                  const float* g, float* dx);

// Max or average over windows of NDHWC x into y [N, out..., C] (w.dilation is ignored): max starts
// at -inf; average sums the in-bounds elements in double and divides once (padding is not
// counted).
void pool(const float* x, int64_t batch, const Window& w, int64_t ch, bool isMax, float* y);

// The same operations, the plain way: one output element at a time, its operands' positions
// found from its index (binary, reduce) or its source coordinates computed on the spot (resize).
// The oracle of the fast kernels above (tests/kernels_test.cpp).
Array binary(Binary op, const Operand& a, const Operand& b);
Array reduce(Reduce op, const Array& x, std::vector<int64_t> axes, bool keepDims);
Array resizeBilinear(const Array& x, int64_t height, int64_t width, bool alignCorners,
                     bool halfPixelCenters);
Array resizeNearest(const Array& x, int64_t height, int64_t width, bool alignCorners,
                    bool halfPixelCenters);

// TF.js's batchNorm kernel for one element: offset + (x - mean) * scale / sqrt(variance +
// epsilon), in double from float32 operands, rounded once.
inline float normalize(float x, float mean, float variance, float scale, float offset,
                       double epsilon) {
  return static_cast<float>(static_cast<double>(offset) +
                            (static_cast<double>(x) - static_cast<double>(mean)) *
                                static_cast<double>(scale) /
                                std::sqrt(static_cast<double>(variance) + epsilon));
}

}  // namespace reference

// --- fast kernels (fast.cpp) -------------------------------------------------------------------

// A convolution of a layer, described with the layer's own (TF.js) weight layouts.
struct ConvSpec {
  enum class Kind {
    kConv,       // weights [k..., inC, outC]
    kDepthwise,  // weights [kh, kw, inC, outC / inC]; rank 2
    kTranspose,  // weights [k..., outC, inC]
  };
  Kind kind = Kind::kConv;
  size_t rank = 2;              // spatial dimensions, 1..3: the last `rank` entries of a Window
  std::vector<int64_t> kernel;  // the kernel's spatial sizes, `rank` of them
  int64_t inC = 0, outC = 0;
  const float* weights = nullptr;  // a view; must outlive the kernel
  const float* bias = nullptr;     // [outC] or nullptr; a view
  Fused activation = Fused::kLinear;
};

class Conv {
 public:
  explicit Conv(const ConvSpec& spec);
  ~Conv();
  Conv(const Conv&) = delete;
  Conv& operator=(const Conv&) = delete;

  // y = activation(conv(x) + bias) for channels_last x and y over the resolved window `w` (for
  // kTranspose, `w` is the forward window as for reference::convTranspose: w.out is x's size).
  // Writes every element of y. Returns false, touching nothing, when oneDNN cannot express the
  // geometry (negative padding, which the unclamped 3-D 'same' rule and transposed kernels
  // smaller than their stride give); the caller then runs the reference kernel.
  bool run(const float* x, int64_t batch, const Window& w, float* y) const;
  // Makes (and keeps) the primitive and packed weights run() would use for this geometry, at
  // the calling thread's thread count, without computing anything; false as run() would be.
  bool prepare(int64_t batch, const Window& w) const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// The backward passes of a convolution on oneDNN (training): convolution_backward_data /
// _weights, deconvolution_backward_data / _weights for kTranspose, depthwise as groups. `spec`
// describes the convolution as for Conv; its weights, bias and activation are ignored (training
// changes the weights every step, so run() takes the current ones and reorders them for the
// primitive on each call). Primitives are made on the first run for each geometry and thread
// count, then kept. run() is thread-safe.
class ConvBackward {
 public:
  explicit ConvBackward(const ConvSpec& spec);
  ~ConvBackward();
  ConvBackward(const ConvBackward&) = delete;
  ConvBackward& operator=(const ConvBackward&) = delete;

  // For the forward y = conv(x) over the resolved window `w` (as Conv::run: for kTranspose w.out
  // is x's size) with kernel k in the layer's layout, and dL/dy = g (channels_last, y's shape):
  // dx (x's shape, or null to skip) is overwritten with dL/dx; dk (k's shape) and db ([outC], or
  // null to skip) are accumulated into, as reference::convBackward / depthwiseBackward do (the
  // bias gradient is the sum of g over everything but its channel). Returns false, touching
  // nothing, when oneDNN cannot express the geometry (as Conv::run); the caller then runs the
  // reference kernel.
  bool run(const float* x, int64_t batch, const Window& w, const float* k, const float* g,
           float* dx, float* dk, float* db) const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// Dense: y = activation(x · kernel + bias) for x [rows, in], kernel [in, units], on oneDNN's matmul
// with the kernel packed once (the recurrent layers' gate products, where the packed layout wins
// at every step; the Dense layer itself runs gemm() on the loaded kernel and keeps no copy).
// What runs on this CPU, for benchmarks: the instruction set oneDNN dispatches to ("avx2",
// "avx512_core", ...); the library gemm() uses for an m-row product ("openblas" or "onednn");
// the kernel of Dense (below) for `rows` rows: oneDNN's matmul with the weights in the layout it
// asked for ("onednn-matmul-any"), as stored ("-ab") or transposed once at load ("-ba").
std::string cpuIsa();
std::string gemmLibrary(int64_t m);
std::string denseKernel(int64_t rows);

class Dense {
 public:
  Dense(int64_t in, int64_t units, const float* kernel, const float* bias, Fused activation);
  ~Dense();
  Dense(const Dense&) = delete;
  Dense& operator=(const Dense&) = delete;

  // Writes every element of y [rows, units]; false (nothing touched) if oneDNN refuses.
  bool run(const float* x, int64_t rows, float* y) const;
  // As Conv::prepare, for `rows` rows.
  bool prepare(int64_t rows) const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// unary() on the fast path: tanh and sigmoid through an 8-wide AVX2 + FMA exponential (range
// reduction + degree-5 polynomial; tanh(x) = x + x^3 P(x^2) for |x| < 0.625 so small values keep
// their relative accuracy): within 1e-6 * max(|reference|, 1e-3) of reference::unary, a few
// float32 ulps (tests/kernels_test.cpp); hard sigmoid, relu and linear bit-exact. NaN stays NaN,
// +-inf saturate.
// Runs reference::unary on a CPU without AVX2 + FMA and for the tail of fewer than 8 elements.
void fastUnary(Unary f, float* p, int64_t n);

// Max or average pooling (average over the in-bounds elements only) of channels_last data.
class Pool {
 public:
  Pool(bool isMax, size_t rank);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // As reference::pool; false (nothing touched) for a geometry oneDNN cannot express.
  bool run(const float* x, int64_t batch, const Window& w, int64_t ch, float* y) const;
  // As reference::poolBackward (dx zero on entry receives dL/dx for dL/dy = g): average pooling
  // runs oneDNN's pooling_backward (the share g / count summed in another order: within float32
  // rounding of the reference); max pooling recomputes each window's first maximum with the
  // reference's rule (the first element greater than all before it, so ties, -inf and NaN
  // windows go where TF.js sends them) in a loop multithreaded over the batch, equal to the
  // reference bit for bit. False (nothing touched) for a geometry oneDNN cannot express.
  bool backward(const float* x, int64_t batch, const Window& w, int64_t ch, const float* g,
                float* dx) const;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// Batch normalization on the last axis with per-channel constants prepared once:
// y = (x - mean[c]) * factor[c] + offset[c], factor = scale / sqrt(variance + epsilon) computed in
// double and rounded once, the rest in float32 (within a few float32 ulps of reference::normalize).
// x and y may be the same array. Multithreaded over rows.
void batchNormLastAxis(const float* x, int64_t rows, int64_t ch, const float* mean,
                       const float* factor, const float* offset, float* y);

}  // namespace tfjs::kernels
