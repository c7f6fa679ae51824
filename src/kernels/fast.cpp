// Fast kernels on oneDNN (kernels.h): convolution (also grouped for depthwise, and transposed),
// matmul for Dense, pooling; plus the execution settings (OpenMP thread count, reference switch),
// a multithreaded batch-normalization loop and the AVX2 element-wise activations of recurrent
// cells (fastUnary).
//
// Every primitive reads and writes plain channels_last memory (nwc / nhwc / ndhwc, row-major
// matrices), so no activation is reordered. Weights are described in the layer's own TF.js
// layout with explicit strides and reordered once into the layout the primitive prefers
// (format_tag::any); primitives that want the same layout share one packed copy. Convolutions use
// the direct algorithm (never Winograd, whose rounding differs from a direct sum). Activations
// that oneDNN computes as TF.js defines them are fused as eltwise post-ops: relu, relu6 (clip to
// [0, 6]), elu, sigmoid (logistic), tanh. Scratchpads are user-managed, one growing buffer per
// calling thread, so running a primitive allocates nothing.
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <dnnl.hpp>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "kernels/kernels.h"

namespace tfjs::kernels {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

thread_local bool tlsReference = false;

bool envReference() {
  static const bool on = [] {
    const char* e = std::getenv("TFJS_REFERENCE_KERNELS");
    return e != nullptr && std::string(e) == "1";
  }();
  return on;
}

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

// oneDNN's memory objects take a non-const pointer even for inputs it only reads.
void* in(const float* p) {
  return const_cast<float*>(p);
}

// A growing, 64-byte aligned scratchpad buffer per calling thread.
class Scratch {
 public:
  ~Scratch() { release(); }
  void* get(size_t bytes) {
    if (bytes > size_) {
      release();
      data_ = ::operator new(bytes, std::align_val_t(64));
      size_ = bytes;
    }
    return data_;
  }

 private:
  void release() {
    if (data_ != nullptr) ::operator delete(data_, std::align_val_t(64));
    data_ = nullptr;
    size_ = 0;
  }
  void* data_ = nullptr;
  size_t size_ = 0;
};

void* scratch(size_t bytes) {
  thread_local Scratch s;
  return s.get(bytes);
}

dnnl::primitive_attr attributes(Fused act) {
  dnnl::post_ops ops;
  using A = dnnl::algorithm;
  switch (act) {
    case Fused::kNone:
    case Fused::kLinear:
      break;
    case Fused::kRelu:
      ops.append_eltwise(1.0f, A::eltwise_relu, 0.0f, 0.0f);
      break;
    case Fused::kRelu6:
      ops.append_eltwise(1.0f, A::eltwise_clip, 0.0f, 6.0f);
      break;
    case Fused::kElu:
      ops.append_eltwise(1.0f, A::eltwise_elu, 1.0f, 0.0f);
      break;
    case Fused::kSigmoid:
      ops.append_eltwise(1.0f, A::eltwise_logistic, 0.0f, 0.0f);
      break;
    case Fused::kTanh:
      ops.append_eltwise(1.0f, A::eltwise_tanh, 0.0f, 0.0f);
      break;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

Tag channelsLast(size_t rank) {
  return rank == 1 ? Tag::nwc : rank == 2 ? Tag::nhwc : Tag::ndhwc;
}

// Weights in the layer's layout, and their copies reordered for primitives. Not thread-safe: the
// owner's mutex guards it.
class PackedWeights {
 public:
  PackedWeights(memory::desc source, const float* data) : source_(std::move(source)), data_(data) {}
  memory get(const memory::desc& want) {
    for (const memory& m : packed_) {
      if (m.get_desc() == want) return m;
    }
    memory src(source_, engine(), in(data_));
    if (want == source_) {
      packed_.push_back(src);
      return src;
    }
    memory dst(want, engine());
    dnnl::reorder(src, dst).execute(stream(), src, dst);
    stream().wait();
    packed_.push_back(dst);
    return dst;
  }

 private:
  memory::desc source_;
  const float* data_;
  std::vector<memory> packed_;
};

// A primitive made for one geometry, with what running it needs.
struct Entry {
  dnnl::primitive prim;
  memory weights;
  memory::desc src, dst, scratch;
};
using EntryPtr = std::shared_ptr<const Entry>;

// Primitives by geometry; a null entry marks a geometry oneDNN refused. Bounded: past kMaxEntries
// geometries (a caller cycling through batch sizes) it starts over; running calls keep their
// entries alive through their shared pointers.
class Cache {
 public:
  static constexpr size_t kMaxEntries = 64;
  template <typename Make>
  EntryPtr get(const std::vector<int64_t>& key, Make make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
    if (entries_.size() >= kMaxEntries) entries_.clear();
    EntryPtr e;
    try {
      e = make();
    } catch (const dnnl::error&) {
      e = nullptr;
    }
    entries_.emplace(key, e);
    return e;
  }

 private:
  std::mutex mu_;
  std::map<std::vector<int64_t>, EntryPtr> entries_;
};

void execute(const Entry& e, std::unordered_map<int, memory> args) {
  const size_t bytes = e.scratch.get_size();
  if (bytes > 0) args.emplace(DNNL_ARG_SCRATCHPAD, memory(e.scratch, engine(), scratch(bytes)));
  e.prim.execute(stream(), args);
  stream().wait();
}

}  // namespace

// --- execution settings ---------------------------------------------------------------------

bool referenceKernels() {
  return tlsReference || envReference();
}

ExecutionScope::ExecutionScope(int threads, bool reference)
    : previousThreads_(threads > 0 ? omp_get_max_threads() : 0), previousReference_(tlsReference) {
  if (threads > 0) omp_set_num_threads(threads);
  tlsReference = reference;
}

ExecutionScope::~ExecutionScope() {
  if (previousThreads_ > 0) omp_set_num_threads(previousThreads_);
  tlsReference = previousReference_;
}

Fused fusedActivation(const std::string& name) {
  if (name.empty() || name == "linear" || name == "None") return Fused::kLinear;
  if (name == "relu") return Fused::kRelu;
  if (name == "relu6") return Fused::kRelu6;
  if (name == "elu") return Fused::kElu;
  if (name == "sigmoid") return Fused::kSigmoid;
  if (name == "tanh") return Fused::kTanh;
  return Fused::kNone;
}

// --- Conv ----------------------------------------------------------------------------------------

struct Conv::Rep {
  ConvSpec spec;
  std::mutex mu;  // guards packed
  PackedWeights packed;
  Cache cache;
  Rep(const ConvSpec& s, memory::desc source) : spec(s), packed(std::move(source), s.weights) {}
  EntryPtr entry(int64_t batch, const Window& w, bool& empty);
};

namespace {

// The weights of `s` as oneDNN dims (O, I, k... or G, O/G, I/G, k...) over the TF.js layout.
memory::desc convWeightsSource(const ConvSpec& s) {
  const auto r = static_cast<int64_t>(s.rank);
  // Strides of the spatial kernel dimensions in units of one kernel position.
  std::vector<int64_t> kStride(static_cast<size_t>(r));
  int64_t step = 1;
  for (int64_t i = r; i-- > 0;) {
    kStride[static_cast<size_t>(i)] = step;
    step *= s.kernel[static_cast<size_t>(i)];
  }
  memory::dims dims, strides;
  switch (s.kind) {
    case ConvSpec::Kind::kConv:  // [k..., I, O]
      dims = {s.outC, s.inC};
      strides = {1, s.outC};
      break;
    case ConvSpec::Kind::kDepthwise: {  // [kh, kw, C, M] as G = C, O/G = M, I/G = 1
      const int64_t mult = s.outC / s.inC;
      dims = {s.inC, mult, 1};
      strides = {mult, 1, 1};
      break;
    }
    case ConvSpec::Kind::kTranspose:  // [k..., O, I]
      dims = {s.outC, s.inC};
      strides = {s.inC, 1};
      break;
  }
  // One kernel position holds C * M = outC values for depthwise, inC * outC otherwise.
  const int64_t perPosition = s.kind == ConvSpec::Kind::kDepthwise ? s.outC : s.inC * s.outC;
  for (int64_t i = 0; i < r; ++i) {
    dims.push_back(s.kernel[static_cast<size_t>(i)]);
    strides.push_back(kStride[static_cast<size_t>(i)] * perPosition);
  }
  return memory::desc(dims, kF32, strides);
}

}  // namespace

Conv::Conv(const ConvSpec& spec) : rep_(std::make_unique<Rep>(spec, convWeightsSource(spec))) {}
Conv::~Conv() = default;

// The primitive for a geometry, made on first use; null when oneDNN cannot express it. Sets
// `empty` (and returns null) when there is nothing to compute.
EntryPtr Conv::Rep::entry(int64_t batch, const Window& w, bool& empty) {
  const ConvSpec& s = spec;
  empty = false;
  const bool transpose = s.kind == ConvSpec::Kind::kTranspose;
  const size_t off = 3 - s.rank;
  memory::dims srcDims = {batch, s.inC}, dstDims = {batch, s.outC}, strides, dilates, padL, padR;
  std::vector<int64_t> key = {batch, omp_get_max_threads()};
  for (size_t i = off; i < 3; ++i) {
    const int64_t eff = (w.k[i] - 1) * w.dilation[i] + 1;
    int64_t right = (w.out[i] - 1) * w.stride[i] + eff - w.in[i] - w.pad[i];
    if (w.pad[i] < 0) return nullptr;
    if (right < 0) {
      // A convolution's last window may end before the input does ('valid' with a stride
      // that does not divide): oneDNN's floor rule gives the same size with 0.
      if (transpose) return nullptr;
      right = 0;
    }
    srcDims.push_back(transpose ? w.out[i] : w.in[i]);
    dstDims.push_back(transpose ? w.in[i] : w.out[i]);
    strides.push_back(w.stride[i]);
    dilates.push_back(w.dilation[i] - 1);
    padL.push_back(w.pad[i]);
    padR.push_back(right);
    key.insert(key.end(), {w.in[i], w.out[i], w.stride[i], w.dilation[i], w.pad[i]});
  }
  if (memory::desc(srcDims, kF32, channelsLast(s.rank)).get_size() == 0 ||
      memory::desc(dstDims, kF32, channelsLast(s.rank)).get_size() == 0) {
    empty = true;
    return nullptr;
  }
  return cache.get(key, [&] {
    const memory::desc src(srcDims, kF32, channelsLast(s.rank));
    const memory::desc dst(dstDims, kF32, channelsLast(s.rank));
    memory::dims wDims = s.kind == ConvSpec::Kind::kDepthwise
                             ? memory::dims{s.inC, s.outC / s.inC, 1}
                             : memory::dims{s.outC, s.inC};
    for (size_t i = 0; i < s.rank; ++i) wDims.push_back(s.kernel[i]);
    const memory::desc weights(wDims, kF32, Tag::any);
    const memory::desc bias = s.bias ? memory::desc({s.outC}, kF32, Tag::x) : memory::desc();
    const dnnl::primitive_attr attr = attributes(s.activation);
    auto entry = std::make_shared<Entry>();
    memory::desc wantWeights;
    if (transpose) {
      dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                          dnnl::algorithm::deconvolution_direct, src, weights, bias,
                                          dst, strides, dilates, padL, padR);
      dnnl::deconvolution_forward::primitive_desc pd(d, attr, engine());
      entry->prim = dnnl::deconvolution_forward(pd);
      wantWeights = pd.weights_desc();
      entry->scratch = pd.scratchpad_desc();
    } else {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                        dnnl::algorithm::convolution_direct, src, weights, bias,
                                        dst, strides, dilates, padL, padR);
      dnnl::convolution_forward::primitive_desc pd(d, attr, engine());
      entry->prim = dnnl::convolution_forward(pd);
      wantWeights = pd.weights_desc();
      entry->scratch = pd.scratchpad_desc();
    }
    entry->src = src;
    entry->dst = dst;
    std::lock_guard<std::mutex> lock(mu);
    entry->weights = packed.get(wantWeights);
    return entry;
  });
}

bool Conv::prepare(int64_t batch, const Window& w) const {
  bool empty = false;
  return rep_->entry(batch, w, empty) != nullptr || empty;
}

bool Conv::run(const float* x, int64_t batch, const Window& w, float* y) const {
  const ConvSpec& s = rep_->spec;
  bool empty = false;
  const EntryPtr e = rep_->entry(batch, w, empty);
  if (empty) return true;
  if (!e) return false;
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, memory(e->src, engine(), in(x))},
                                          {DNNL_ARG_WEIGHTS, e->weights},
                                          {DNNL_ARG_DST, memory(e->dst, engine(), y)}};
  if (s.bias) {
    args.emplace(DNNL_ARG_BIAS, memory(memory::desc({s.outC}, kF32, Tag::x), engine(), in(s.bias)));
  }
  execute(*e, std::move(args));
  return true;
}

// --- Dense ---------------------------------------------------------------------------------------

struct Dense::Rep {
  int64_t in, units;
  const float* bias;
  Fused activation;
  std::mutex mu;  // guards packed
  PackedWeights packed;
  Cache cache;
  Rep(int64_t i, int64_t u, const float* k, const float* b, Fused a)
      : in(i), units(u), bias(b), activation(a), packed(memory::desc({i, u}, kF32, Tag::ab), k) {}
  EntryPtr entry(int64_t rows);
};

Dense::Dense(int64_t in, int64_t units, const float* kernel, const float* bias, Fused activation)
    : rep_(std::make_unique<Rep>(in, units, kernel, bias, activation)) {}
Dense::~Dense() = default;

// The primitive for `rows` (> 0), made on first use; null if oneDNN refuses.
EntryPtr Dense::Rep::entry(int64_t rows) {
  Rep& r = *this;
  return r.cache.get({rows, omp_get_max_threads()}, [&] {
    const memory::desc src({rows, r.in}, kF32, Tag::ab);
    const memory::desc dst({rows, r.units}, kF32, Tag::ab);
    const memory::desc weights({r.in, r.units}, kF32, Tag::any);
    const memory::desc bias = r.bias ? memory::desc({1, r.units}, kF32, Tag::ab) : memory::desc();
    dnnl::matmul::desc d(src, weights, bias, dst);
    dnnl::matmul::primitive_desc pd(d, attributes(r.activation), engine());
    auto entry = std::make_shared<Entry>();
    entry->prim = dnnl::matmul(pd);
    entry->src = src;
    entry->dst = dst;
    entry->scratch = pd.scratchpad_desc();
    std::lock_guard<std::mutex> lock(r.mu);
    entry->weights = r.packed.get(pd.weights_desc());
    return entry;
  });
}

bool Dense::prepare(int64_t rows) const {
  return rows == 0 || rep_->entry(rows) != nullptr;
}

bool Dense::run(const float* x, int64_t rows, float* y) const {
  Rep& r = *rep_;
  if (rows == 0) return true;
  const EntryPtr e = r.entry(rows);
  if (!e) return false;
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, memory(e->src, engine(), in(x))},
                                          {DNNL_ARG_WEIGHTS, e->weights},
                                          {DNNL_ARG_DST, memory(e->dst, engine(), y)}};
  if (r.bias) {
    args.emplace(DNNL_ARG_BIAS,
                 memory(memory::desc({1, r.units}, kF32, Tag::ab), engine(), in(r.bias)));
  }
  execute(*e, std::move(args));
  return true;
}

// --- Pool ----------------------------------------------------------------------------------------

struct Pool::Rep {
  bool isMax;
  size_t rank;
  Cache cache;
};

Pool::Pool(bool isMax, size_t rank) : rep_(std::make_unique<Rep>()) {
  rep_->isMax = isMax;
  rep_->rank = rank;
}
Pool::~Pool() = default;

bool Pool::run(const float* x, int64_t batch, const Window& w, int64_t ch, float* y) const {
  const size_t rank = rep_->rank, off = 3 - rank;
  memory::dims srcDims = {batch, ch}, dstDims = {batch, ch}, strides, kernel, padL, padR;
  std::vector<int64_t> key = {batch, ch, omp_get_max_threads()};
  for (size_t i = off; i < 3; ++i) {
    if (w.pad[i] < 0) return false;
    const int64_t right = (w.out[i] - 1) * w.stride[i] + w.k[i] - w.in[i] - w.pad[i];
    srcDims.push_back(w.in[i]);
    dstDims.push_back(w.out[i]);
    strides.push_back(w.stride[i]);
    kernel.push_back(w.k[i]);
    padL.push_back(w.pad[i]);
    padR.push_back(std::max<int64_t>(right, 0));
    key.insert(key.end(), {w.in[i], w.out[i], w.k[i], w.stride[i], w.pad[i]});
  }
  if (memory::desc(srcDims, kF32, channelsLast(rank)).get_size() == 0 ||
      memory::desc(dstDims, kF32, channelsLast(rank)).get_size() == 0) {
    return true;
  }
  const EntryPtr e = rep_->cache.get(key, [&] {
    const memory::desc src(srcDims, kF32, channelsLast(rank));
    const memory::desc dst(dstDims, kF32, channelsLast(rank));
    dnnl::pooling_forward::desc d(
        dnnl::prop_kind::forward_inference,
        rep_->isMax ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding,
        src, dst, strides, kernel, padL, padR);
    dnnl::pooling_forward::primitive_desc pd(d, attributes(Fused::kLinear), engine());
    auto entry = std::make_shared<Entry>();
    entry->prim = dnnl::pooling_forward(pd);
    entry->src = src;
    entry->dst = dst;
    entry->scratch = pd.scratchpad_desc();
    return entry;
  });
  if (!e) return false;
  execute(*e, {{DNNL_ARG_SRC, memory(e->src, engine(), in(x))},
               {DNNL_ARG_DST, memory(e->dst, engine(), y)}});
  return true;
}

// --- element-wise activations of recurrent cells -----------------------------------------------

Unary unaryActivation(const std::string& name) {
  if (name.empty() || name == "linear" || name == "None") return Unary::kLinear;
  if (name == "relu") return Unary::kRelu;
  if (name == "tanh") return Unary::kTanh;
  if (name == "sigmoid") return Unary::kSigmoid;
  if (name == "hard_sigmoid" || name == "hardSigmoid") return Unary::kHardSigmoid;
  return Unary::kOther;
}

void unary(Unary f, float* p, int64_t n) {
  if (referenceKernels()) {
    reference::unary(f, p, n);
  } else {
    fastUnary(f, p, n);
  }
}

namespace {

// exp(x) for 8 floats: x = k ln2 + r with ln2 split in two (Cody-Waite), |r| <= ln2 / 2,
// exp(r) = 1 + r + r^2 P(r) with Cephes's expf minimax polynomial, times 2^k built in the
// exponent bits. x is clamped to [-87.3, 88.7] first, so k stays within the normal exponents
// (exp of a larger |x| saturates at about 3.4e38 or 1.2e-38); a NaN stays NaN (min / max return
// their second operand, x, when it is NaN).
__attribute__((target("avx2,fma"))) __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.7f), x);
  x = _mm256_max_ps(_mm256_set1_ps(-87.3f), x);
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 poly = _mm256_set1_ps(1.9875691500e-4f);
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(1.3981999507e-3f));
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(8.3334519073e-3f));
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(4.1665795894e-2f));
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(1.6666665459e-1f));
  poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(5.0000001201e-1f));
  const __m256 r2 = _mm256_mul_ps(r, r);
  __m256 e = _mm256_fmadd_ps(poly, r2, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^k: k in [-126, 128); 2^128 is split as 2^127 * 2 so its exponent bits stay valid.
  const __m256 big = _mm256_cmp_ps(k, _mm256_set1_ps(127.0f), _CMP_GT_OQ);
  const __m256 kk = _mm256_sub_ps(k, _mm256_and_ps(big, _mm256_set1_ps(1.0f)));
  const __m256i bits =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(kk), _mm256_set1_epi32(127)), 23);
  e = _mm256_mul_ps(e, _mm256_castsi256_ps(bits));
  return _mm256_add_ps(e, _mm256_and_ps(big, e));
}

// tanh: x + x^3 P(x^2) (Cephes's tanhf polynomial) for |x| < 0.625, else
// sign(x) (1 - 2 / (exp(2|x|) + 1)), |x| clamped to 9 (where tanh is 1 in float32).
__attribute__((target("avx2,fma"))) __m256 tanh8(__m256 x) {
  const __m256 signBit = _mm256_set1_ps(-0.0f);
  const __m256 a = _mm256_andnot_ps(signBit, x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 poly = _mm256_set1_ps(-5.70498872745e-3f);
  poly = _mm256_fmadd_ps(poly, z, _mm256_set1_ps(2.06390887954e-2f));
  poly = _mm256_fmadd_ps(poly, z, _mm256_set1_ps(-5.37397155531e-2f));
  poly = _mm256_fmadd_ps(poly, z, _mm256_set1_ps(1.33314422036e-1f));
  poly = _mm256_fmadd_ps(poly, z, _mm256_set1_ps(-3.33332819422e-1f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(poly, z), x, x);
  const __m256 e =
      exp8(_mm256_mul_ps(_mm256_min_ps(_mm256_set1_ps(9.0f), a), _mm256_set1_ps(2.0f)));
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
  large = _mm256_or_ps(large, _mm256_and_ps(signBit, x));
  // A NaN compares false and takes `large`, which is NaN.
  return _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
}

__attribute__((target("avx2,fma"))) void unaryAvx2(Unary f, float* p, int64_t n) {
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(p + i);
    __m256 y = x;
    switch (f) {
      case Unary::kRelu:  // max returns its second operand (0) for a NaN x, as x > 0 ? x : 0
        y = _mm256_max_ps(x, zero);
        break;
      case Unary::kTanh:
        y = tanh8(x);
        break;
      case Unary::kSigmoid:
        y = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(zero, x))));
        break;
      case Unary::kHardSigmoid:  // the reference's operations in its order (no fused multiply-add)
        y = _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(0.2f), x), _mm256_set1_ps(0.5f));
        y = _mm256_min_ps(one, _mm256_max_ps(y, zero));  // NaN -> 0, as std::max(0, NaN)
        break;
      case Unary::kLinear:
      case Unary::kOther:
        break;
    }
    _mm256_storeu_ps(p + i, y);
  }
  reference::unary(f, p + i, n - i);
}

bool haveAvx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

}  // namespace

void fastUnary(Unary f, float* p, int64_t n) {
  if (f == Unary::kOther || f == Unary::kLinear || !haveAvx2()) return reference::unary(f, p, n);
  unaryAvx2(f, p, n);
}

// --- batch normalization -------------------------------------------------------------------------

void batchNormLastAxis(const float* x, int64_t rows, int64_t ch, const float* mean,
                       const float* factor, const float* offset, float* y) {
#pragma omp parallel for schedule(static) if (rows * ch >= 16384)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * ch;
    float* yr = y + r * ch;
    for (int64_t c = 0; c < ch; ++c) yr[c] = (xr[c] - mean[c]) * factor[c] + offset[c];
  }
}

// --- gemm ------------------------------------------------------------------------------------

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (!referenceKernels()) {
    const dnnl_status_t st = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, a,
                                        lda, b, ldb, beta, c, ldc);
    if (st == dnnl_success) return;
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = transA ? a[p * lda + i] : a[i * lda + p];
        const float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      float& out = c[i * ldc + j];
      out = alpha * acc + (beta == 0.0f ? 0.0f : beta * out);
    }
  }
}

}  // namespace tfjs::kernels
