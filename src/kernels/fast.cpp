// Fast kernels (kernels.h) on oneDNN: convolution (also grouped for depthwise, and transposed),
// matmul for the recurrent layers' gate products, pooling; and the general matrix product gemm()
// of Dense and of training, on OpenBLAS's or oneDNN's sgemm as the CPU makes faster; the backward
// passes of training (convolution and deconvolution backward data / weights, average pooling
// backward, and a vectorized max pooling backward that keeps the reference's first-maximum rule);
// plus the execution settings (OpenMP thread count, reference switch), a multithreaded
// batch-normalization loop and the AVX2 element-wise activations of recurrent cells (fastUnary).
//
// Every primitive reads and writes plain channels_last memory (nwc / nhwc / ndhwc, row-major
// matrices), so no activation is reordered. Weights are described in the layer's own TF.js
// layout with explicit strides and reordered once into the layout the primitive prefers
// (format_tag::any); primitives that want the same layout share one packed copy. Convolutions use
// the direct algorithm (never Winograd, whose rounding differs from a direct sum). Activations
// that oneDNN computes as TF.js defines them are fused as eltwise post-ops: relu, relu6 (clip to
// [0, 6]), elu, sigmoid (logistic), tanh. Scratchpads are user-managed, one growing buffer per
// calling thread, so running a primitive allocates nothing. The backward passes are the
// exception: training changes the weights every step, so ConvBackward reorders the weights it is
// given on each run and allocates its temporary weight and weight-gradient arrays per run.
#include <cblas.h>
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

// A growing, 64-byte aligned buffer per calling thread (one for scratchpads, one for the
// backward passes' temporary weights).
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

// An Entry running the primitive (of type Prim) of `pd` over src and dst; weights not set.
template <typename Prim, typename PrimitiveDesc>
std::shared_ptr<Entry> entryOf(const PrimitiveDesc& pd, const memory::desc& src,
                               const memory::desc& dst) {
  auto entry = std::make_shared<Entry>();
  entry->prim = Prim(pd);
  entry->src = src;
  entry->dst = dst;
  entry->scratch = pd.scratchpad_desc();
  return entry;
}

// Primitives by geometry; a null entry marks a geometry oneDNN refused. Bounded: past kMaxEntries
// geometries (a caller cycling through batch sizes) it starts over; running calls keep their
// entries alive through their shared pointers.
template <typename T>
class CacheOf {
 public:
  using Ptr = std::shared_ptr<const T>;
  static constexpr size_t kMaxEntries = 64;
  template <typename Make>
  Ptr get(const std::vector<int64_t>& key, Make make) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
    if (entries_.size() >= kMaxEntries) entries_.clear();
    Ptr e;
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
  std::map<std::vector<int64_t>, Ptr> entries_;
};
using Cache = CacheOf<Entry>;

void execute(const dnnl::primitive& prim, const memory::desc& scratchpad,
             std::unordered_map<int, memory> args) {
  const size_t bytes = scratchpad.get_size();
  if (bytes > 0) args.emplace(DNNL_ARG_SCRATCHPAD, memory(scratchpad, engine(), scratch(bytes)));
  prim.execute(stream(), args);
  stream().wait();
}

void execute(const Entry& e, std::unordered_map<int, memory> args) {
  execute(e.prim, e.scratch, std::move(args));
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

Fused fusedActivation(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::kLinear:
      return Fused::kLinear;
    case ActivationKind::kRelu:
      return Fused::kRelu;
    case ActivationKind::kRelu6:
      return Fused::kRelu6;
    case ActivationKind::kElu:
      return Fused::kElu;
    case ActivationKind::kSigmoid:
      return Fused::kSigmoid;
    case ActivationKind::kTanh:
      return Fused::kTanh;
    default:
      return Fused::kNone;
  }
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

// A convolution's geometry as oneDNN takes it (channels_last src / dst dims, strides, dilations
// as d - 1, left and right padding) and the cache key of it.
struct ConvGeometry {
  memory::dims src, dst, strides, dilates, padL, padR;
  std::vector<int64_t> key;
  bool empty = false;  // a zero-sized source or destination: nothing to compute
};

// False when oneDNN cannot express the window: negative padding, or a transposed window whose
// right padding would be negative.
bool convGeometry(const ConvSpec& s, int64_t batch, const Window& w, ConvGeometry& geo) {
  const bool transpose = s.kind == ConvSpec::Kind::kTranspose;
  geo.src = {batch, s.inC};
  geo.dst = {batch, s.outC};
  geo.key = {batch, omp_get_max_threads()};
  for (size_t i = 3 - s.rank; i < 3; ++i) {
    const int64_t eff = (w.k[i] - 1) * w.dilation[i] + 1;
    int64_t right = (w.out[i] - 1) * w.stride[i] + eff - w.in[i] - w.pad[i];
    if (w.pad[i] < 0) return false;
    if (right < 0) {
      // A convolution's last window may end before the input does ('valid' with a stride
      // that does not divide): oneDNN's floor rule gives the same size with 0.
      if (transpose) return false;
      right = 0;
    }
    geo.src.push_back(transpose ? w.out[i] : w.in[i]);
    geo.dst.push_back(transpose ? w.in[i] : w.out[i]);
    geo.strides.push_back(w.stride[i]);
    geo.dilates.push_back(w.dilation[i] - 1);
    geo.padL.push_back(w.pad[i]);
    geo.padR.push_back(right);
    geo.key.insert(geo.key.end(), {w.in[i], w.out[i], w.stride[i], w.dilation[i], w.pad[i]});
  }
  geo.empty = memory::desc(geo.src, kF32, channelsLast(s.rank)).get_size() == 0 ||
              memory::desc(geo.dst, kF32, channelsLast(s.rank)).get_size() == 0;
  return true;
}

// The weights of `s` as a primitive is asked to choose their layout (format_tag::any).
memory::desc anyWeights(const ConvSpec& s) {
  memory::dims dims = s.kind == ConvSpec::Kind::kDepthwise ? memory::dims{s.inC, s.outC / s.inC, 1}
                                                           : memory::dims{s.outC, s.inC};
  for (size_t i = 0; i < s.rank; ++i) dims.push_back(s.kernel[i]);
  return memory::desc(dims, kF32, Tag::any);
}

// The forward primitive of one family (Fwd: convolution_forward or deconvolution_forward, with
// its direct algorithm) into `entry`; returns the weights layout it wants.
template <typename Fwd>
memory::desc makeForward(dnnl::algorithm alg, const ConvGeometry& geo, const memory::desc& weights,
                         const memory::desc& bias, const dnnl::primitive_attr& attr, Entry& entry) {
  typename Fwd::desc d(dnnl::prop_kind::forward_inference, alg, entry.src, weights, bias, entry.dst,
                       geo.strides, geo.dilates, geo.padL, geo.padR);
  typename Fwd::primitive_desc pd(d, attr, engine());
  entry.prim = Fwd(pd);
  entry.scratch = pd.scratchpad_desc();
  return pd.weights_desc();
}

}  // namespace

Conv::Conv(const ConvSpec& spec) : rep_(std::make_unique<Rep>(spec, convWeightsSource(spec))) {}
Conv::~Conv() = default;

// The primitive for a geometry, made on first use; null when oneDNN cannot express it. Sets
// `empty` (and returns null) when there is nothing to compute.
EntryPtr Conv::Rep::entry(int64_t batch, const Window& w, bool& empty) {
  const ConvSpec& s = spec;
  ConvGeometry geo;
  empty = false;
  if (!convGeometry(s, batch, w, geo)) return nullptr;
  empty = geo.empty;
  if (empty) return nullptr;
  return cache.get(geo.key, [&] {
    const memory::desc bias = s.bias ? memory::desc({s.outC}, kF32, Tag::x) : memory::desc();
    const dnnl::primitive_attr attr = attributes(s.activation);
    auto entry = std::make_shared<Entry>();
    entry->src = memory::desc(geo.src, kF32, channelsLast(s.rank));
    entry->dst = memory::desc(geo.dst, kF32, channelsLast(s.rank));
    const memory::desc wantWeights =
        s.kind == ConvSpec::Kind::kTranspose
            ? makeForward<dnnl::deconvolution_forward>(dnnl::algorithm::deconvolution_direct, geo,
                                                       anyWeights(s), bias, attr, *entry)
            : makeForward<dnnl::convolution_forward>(dnnl::algorithm::convolution_direct, geo,
                                                     anyWeights(s), bias, attr, *entry);
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

// --- ConvBackward --------------------------------------------------------------------------------

namespace {

// The primitives of one backward geometry.
struct BackwardEntry {
  bool hasData = false;           // dL/dx asked for
  dnnl::primitive data, weights;  // backward data (if hasData) and backward weights
  memory::desc src, dst, bias;    // channels_last x and g; [outC] when dL/dbias is asked for
  memory::desc dataWeights, diffWeights, dataScratch, weightsScratch;
  bool reorderIn = false, reorderOut = false;  // weights layouts differ from the layer's
  dnnl::reorder toData, fromDiff;
};

void addInto(float* to, const float* from, size_t n) {
  for (size_t i = 0; i < n; ++i) to[i] += from[i];
}

// The backward data (when e.hasData) and backward weights primitives of one family (convolution_*
// or deconvolution_*, with its direct algorithm) for e's src, dst and bias, hinted by the forward
// training primitive, into e.
template <typename Fwd, typename Data, typename Weights>
void makeBackward(dnnl::algorithm alg, const ConvGeometry& geo, const memory::desc& anyWeights,
                  const dnnl::primitive_attr& attr, BackwardEntry& e) {
  const typename Fwd::primitive_desc hint(
      typename Fwd::desc(dnnl::prop_kind::forward_training, alg, e.src, anyWeights, e.bias, e.dst,
                         geo.strides, geo.dilates, geo.padL, geo.padR),
      attr, engine());
  if (e.hasData) {
    const typename Data::primitive_desc pd(
        typename Data::desc(alg, e.src, anyWeights, e.dst, geo.strides, geo.dilates, geo.padL,
                            geo.padR),
        attr, engine(), hint);
    e.data = Data(pd);
    e.dataWeights = pd.weights_desc();
    e.dataScratch = pd.scratchpad_desc();
  }
  const typename Weights::primitive_desc pd(
      typename Weights::desc(alg, e.src, anyWeights, e.bias, e.dst, geo.strides, geo.dilates,
                             geo.padL, geo.padR),
      attr, engine(), hint);
  e.weights = Weights(pd);
  e.diffWeights = pd.diff_weights_desc();
  e.weightsScratch = pd.scratchpad_desc();
}

}  // namespace

struct ConvBackward::Rep {
  ConvSpec spec;
  memory::desc user;  // the weights in the layer's layout
  CacheOf<BackwardEntry> cache;
  std::shared_ptr<const BackwardEntry> entry(const ConvGeometry& geo, bool withDx, bool withDb);
};

ConvBackward::ConvBackward(const ConvSpec& spec) : rep_(std::make_unique<Rep>()) {
  rep_->spec = spec;
  rep_->spec.weights = nullptr;
  rep_->spec.bias = nullptr;
  rep_->user = convWeightsSource(spec);
}
ConvBackward::~ConvBackward() = default;

// The primitives for a (non-empty) geometry, made on first use; null when oneDNN refuses.
std::shared_ptr<const BackwardEntry> ConvBackward::Rep::entry(const ConvGeometry& geo, bool withDx,
                                                              bool withDb) {
  std::vector<int64_t> key = geo.key;
  key.push_back(withDx ? 1 : 0);
  key.push_back(withDb ? 1 : 0);
  return cache.get(key, [&] {
    const ConvSpec& s = spec;
    const dnnl::primitive_attr attr = attributes(Fused::kLinear);
    auto e = std::make_shared<BackwardEntry>();
    e->hasData = withDx;
    e->src = memory::desc(geo.src, kF32, channelsLast(s.rank));
    e->dst = memory::desc(geo.dst, kF32, channelsLast(s.rank));
    e->bias = withDb ? memory::desc({s.outC}, kF32, Tag::x) : memory::desc();
    if (s.kind == ConvSpec::Kind::kTranspose) {
      makeBackward<dnnl::deconvolution_forward, dnnl::deconvolution_backward_data,
                   dnnl::deconvolution_backward_weights>(dnnl::algorithm::deconvolution_direct, geo,
                                                         anyWeights(s), attr, *e);
    } else {
      makeBackward<dnnl::convolution_forward, dnnl::convolution_backward_data,
                   dnnl::convolution_backward_weights>(dnnl::algorithm::convolution_direct, geo,
                                                       anyWeights(s), attr, *e);
    }
    if (withDx && e->dataWeights != user) {
      e->reorderIn = true;
      e->toData =
          dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), e->dataWeights));
    }
    if (e->diffWeights != user) {
      e->reorderOut = true;
      e->fromDiff =
          dnnl::reorder(dnnl::reorder::primitive_desc(engine(), e->diffWeights, engine(), user));
    }
    return std::shared_ptr<const BackwardEntry>(std::move(e));
  });
}

bool ConvBackward::run(const float* x, int64_t batch, const Window& w, const float* k,
                       const float* g, float* dx, float* dk, float* db) const {
  const ConvSpec& s = rep_->spec;
  ConvGeometry geo;
  if (!convGeometry(s, batch, w, geo)) return false;
  if (geo.empty) {
    // No output: dL/dx is zero; no input: nothing to write. The kernel and bias gradients get
    // nothing either way.
    if (dx != nullptr) {
      const size_t n = memory::desc(geo.src, kF32, channelsLast(s.rank)).get_size() / sizeof(float);
      std::fill(dx, dx + n, 0.0f);
    }
    return true;
  }
  const auto e = rep_->entry(geo, dx != nullptr, db != nullptr);
  if (!e) return false;
  memory user(rep_->user, engine(), in(k));
  if (dx != nullptr) {
    memory weights = user;
    if (e->reorderIn) {
      weights = memory(e->dataWeights, engine());
      e->toData.execute(stream(), user, weights);
    }
    execute(e->data, e->dataScratch,
            {{DNNL_ARG_DIFF_DST, memory(e->dst, engine(), in(g))},
             {DNNL_ARG_WEIGHTS, weights},
             {DNNL_ARG_DIFF_SRC, memory(e->src, engine(), dx)}});
  }
  const size_t kCount = rep_->user.get_size() / sizeof(float);
  std::vector<float> dkNew(kCount), dbNew(db != nullptr ? static_cast<size_t>(s.outC) : 0);
  memory dkUser(rep_->user, engine(), dkNew.data());
  memory diff = e->reorderOut ? memory(e->diffWeights, engine()) : dkUser;
  std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, memory(e->src, engine(), in(x))},
                                          {DNNL_ARG_DIFF_DST, memory(e->dst, engine(), in(g))},
                                          {DNNL_ARG_DIFF_WEIGHTS, diff}};
  if (db != nullptr) args.emplace(DNNL_ARG_DIFF_BIAS, memory(e->bias, engine(), dbNew.data()));
  execute(e->weights, e->weightsScratch, std::move(args));
  if (e->reorderOut) {
    e->fromDiff.execute(stream(), diff, dkUser);
    stream().wait();
  }
  addInto(dk, dkNew.data(), kCount);
  if (db != nullptr) addInto(db, dbNew.data(), dbNew.size());
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

namespace {

bool haveAvx512() {
  static const bool yes = dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core;
  return yes;
}

// The layout Dense asks for its weights in. With AVX-512, oneDNN's matmul has its own blocked
// kernels (brgemm) and picks the layout itself (any). Below AVX-512 it runs its jit sgemm, and
// there the layout decides: on the AVX2 EPYC of bench/RESULTS.md, 32x2048x2048 at one thread takes
// 6.6 ms with the kernel as TF.js stores it ([in, units], ab) and 4.2 ms with it transposed once
// at load ([units, in], ba), while up to 8 rows are faster on ab (4 rows: 1.0 ms against 2.2).
// TFJS_DENSE_WEIGHTS=any|ab|ba overrides the choice (for benchmarks).
Tag denseWeightsTag(int64_t rows) {
  static const int forced = [] {
    const char* e = std::getenv("TFJS_DENSE_WEIGHTS");
    const std::string v = e ? e : "";
    return v == "any" ? 0 : v == "ab" ? 1 : v == "ba" ? 2 : -1;
  }();
  if (forced >= 0) return forced == 0 ? Tag::any : forced == 1 ? Tag::ab : Tag::ba;
  if (haveAvx512()) return Tag::any;
  return rows >= 16 ? Tag::ba : Tag::ab;
}

}  // namespace

// The primitive for `rows` (> 0), made on first use; null if oneDNN refuses.
EntryPtr Dense::Rep::entry(int64_t rows) {
  Rep& r = *this;
  return r.cache.get({rows, omp_get_max_threads()}, [&] {
    const memory::desc src({rows, r.in}, kF32, Tag::ab);
    const memory::desc dst({rows, r.units}, kF32, Tag::ab);
    const memory::desc weights({r.in, r.units}, kF32, denseWeightsTag(rows));
    const memory::desc bias = r.bias ? memory::desc({1, r.units}, kF32, Tag::ab) : memory::desc();
    dnnl::matmul::desc d(src, weights, bias, dst);
    dnnl::matmul::primitive_desc pd(d, attributes(r.activation), engine());
    auto entry = entryOf<dnnl::matmul>(pd, src, dst);
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

namespace {

// A pooling window as oneDNN takes it (channels_last src / dst dims, strides, kernel, left and
// right padding, the right clamped at 0) and the cache key of it (marked -1 first for the
// backward pass).
struct PoolGeometry {
  memory::dims src, dst, strides, kernel, padL, padR;
  std::vector<int64_t> key;
  bool empty = false;  // a zero-sized source or destination: nothing to compute
};

// False when oneDNN cannot express the window (negative padding).
bool poolGeometry(size_t rank, int64_t batch, const Window& w, int64_t ch, bool backward,
                  PoolGeometry& geo) {
  geo.src = {batch, ch};
  geo.dst = {batch, ch};
  geo.key = {batch, ch, omp_get_max_threads()};
  if (backward) geo.key.insert(geo.key.begin(), -1);
  for (size_t i = 3 - rank; i < 3; ++i) {
    if (w.pad[i] < 0) return false;
    const int64_t right = (w.out[i] - 1) * w.stride[i] + w.k[i] - w.in[i] - w.pad[i];
    geo.src.push_back(w.in[i]);
    geo.dst.push_back(w.out[i]);
    geo.strides.push_back(w.stride[i]);
    geo.kernel.push_back(w.k[i]);
    geo.padL.push_back(w.pad[i]);
    geo.padR.push_back(std::max<int64_t>(right, 0));
    geo.key.insert(geo.key.end(), {w.in[i], w.out[i], w.k[i], w.stride[i], w.pad[i]});
  }
  geo.empty = memory::desc(geo.src, kF32, channelsLast(rank)).get_size() == 0 ||
              memory::desc(geo.dst, kF32, channelsLast(rank)).get_size() == 0;
  return true;
}

}  // namespace

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
  PoolGeometry geo;
  if (!poolGeometry(rep_->rank, batch, w, ch, false, geo)) return false;
  if (geo.empty) return true;
  const EntryPtr e = rep_->cache.get(geo.key, [&] {
    const memory::desc src(geo.src, kF32, channelsLast(rep_->rank));
    const memory::desc dst(geo.dst, kF32, channelsLast(rep_->rank));
    dnnl::pooling_forward::desc d(
        dnnl::prop_kind::forward_inference,
        rep_->isMax ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding,
        src, dst, geo.strides, geo.kernel, geo.padL, geo.padR);
    dnnl::pooling_forward::primitive_desc pd(d, attributes(Fused::kLinear), engine());
    return entryOf<dnnl::pooling_forward>(pd, src, dst);
  });
  if (!e) return false;
  execute(*e, {{DNNL_ARG_SRC, memory(e->src, engine(), in(x))},
               {DNNL_ARG_DST, memory(e->dst, engine(), y)}});
  return true;
}

namespace {

// Max pooling's backward pass with reference::poolBackward's rule: each gradient goes to the
// first element of its window greater than all before it (in-bounds elements in the forward
// order; a NaN is never greater, so a window starting with one keeps it). Channels go four at a
// time through SSE2 compares and blends (no data-dependent branches); samples run in parallel
// (their gradients are disjoint). The sums per element happen in the reference's order, so the
// result is the reference's bit for bit.
void maxPoolBackward(const float* x, int64_t batch, const Window& w, int64_t ch, const float* g,
                     float* dx) {
  const int64_t perSample = w.out[0] * w.out[1] * w.out[2] * ch;
#pragma omp parallel for schedule(static) if (batch > 1 && batch * perSample >= 4096)
  for (int64_t n = 0; n < batch; ++n) {
    std::vector<int64_t> offs;  // the in-bounds input offsets of a window, in the forward order
    forEachOutput(w, n, [&](int64_t o, const Position& pos) {
      const float* gp = g + o * ch;
      offs.clear();
      forEachTap(w, n, pos, [&](int64_t, int64_t i) { offs.push_back(i * ch); });
      if (offs.empty()) return;
      const auto positions = static_cast<int32_t>(offs.size());
      int64_t c0 = 0;
      for (; c0 + 4 <= ch; c0 += 4) {  // SSE2: compares and blends, no branches
        __m128 best = _mm_loadu_ps(x + offs[0] + c0);
        __m128i at = _mm_setzero_si128();
        for (int32_t p = 1; p < positions; ++p) {
          const __m128 v = _mm_loadu_ps(x + offs[static_cast<size_t>(p)] + c0);
          const __m128 greater = _mm_cmpgt_ps(v, best);  // false when either is NaN
          best = _mm_or_ps(_mm_and_ps(greater, v), _mm_andnot_ps(greater, best));
          const __m128i mask = _mm_castps_si128(greater);
          at = _mm_or_si128(_mm_and_si128(mask, _mm_set1_epi32(p)), _mm_andnot_si128(mask, at));
        }
        alignas(16) int32_t index[4];
        _mm_store_si128(reinterpret_cast<__m128i*>(index), at);
        for (int64_t c = 0; c < 4; ++c) {
          dx[offs[static_cast<size_t>(index[c])] + c0 + c] += gp[c0 + c];
        }
      }
      for (; c0 < ch; ++c0) {
        size_t at = 0;
        for (size_t p = 1; p < offs.size(); ++p) {
          if (x[offs[p] + c0] > x[offs[at] + c0]) at = p;
        }
        dx[offs[at] + c0] += gp[c0];
      }
    });
  }
}

}  // namespace

bool Pool::backward(const float* x, int64_t batch, const Window& w, int64_t ch, const float* g,
                    float* dx) const {
  if (rep_->isMax) {
    maxPoolBackward(x, batch, w, ch, g, dx);
    return true;
  }
  PoolGeometry geo;
  if (!poolGeometry(rep_->rank, batch, w, ch, true, geo)) return false;
  if (geo.empty) return true;
  const EntryPtr e = rep_->cache.get(geo.key, [&] {
    const memory::desc src(geo.src, kF32, channelsLast(rep_->rank));
    const memory::desc dst(geo.dst, kF32, channelsLast(rep_->rank));
    const auto alg = dnnl::algorithm::pooling_avg_exclude_padding;
    const dnnl::primitive_attr attr = attributes(Fused::kLinear);
    const dnnl::pooling_forward::primitive_desc hint(
        dnnl::pooling_forward::desc(dnnl::prop_kind::forward_training, alg, src, dst, geo.strides,
                                    geo.kernel, geo.padL, geo.padR),
        attr, engine());
    const dnnl::pooling_backward::primitive_desc pd(
        dnnl::pooling_backward::desc(alg, src, dst, geo.strides, geo.kernel, geo.padL, geo.padR),
        attr, engine(), hint);
    return entryOf<dnnl::pooling_backward>(pd, src, dst);
  });
  if (!e) return false;
  execute(*e, {{DNNL_ARG_DIFF_DST, memory(e->dst, engine(), in(g))},
               {DNNL_ARG_DIFF_SRC, memory(e->src, engine(), dx)}});
  return true;
}

// --- element-wise activations of recurrent cells -----------------------------------------------

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

namespace {

// Which library multiplies an m-row product. With AVX-512, oneDNN's sgemm (an earlier
// bench/infer.sh run on an AVX-512 Xeon: about twice OpenBLAS's speed on the MLP there). Below it,
// oneDNN's jit sgemm depends on where the weights sit: on the AVX2 EPYC of the benchmark,
// 32x2048x2048 at one thread takes 6.6 ms when they start on a 64-byte boundary (as loaded weights
// do) and 4.1 ms 4 bytes off it, while OpenBLAS takes 3.7-3.9 ms either way; so there OpenBLAS runs
// every product of 4 rows or more, and oneDNN the matrix-vector-like ones (1 row: 0.33 ms,
// OpenBLAS 1.4 ms). TFJS_GEMM=onednn or openblas overrides the choice (for benchmarks).
bool openblasFor(int64_t m) {
  static const int forced = [] {
    const char* e = std::getenv("TFJS_GEMM");
    const std::string v = e ? e : "";
    return v == "onednn" ? 0 : v == "openblas" ? 1 : -1;
  }();
  if (forced >= 0) return forced == 1;
  return !haveAvx512() && m >= 4;
}

}  // namespace

void gemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (!referenceKernels() && openblasFor(m) && std::max({m, n, k, lda, ldb, ldc}) <= INT32_MAX) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
                beta, c, static_cast<int>(ldc));
    return;
  }
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

// --- what runs here ---------------------------------------------------------------------------

std::string cpuIsa() {
  using I = dnnl::cpu_isa;
  switch (dnnl::get_effective_cpu_isa()) {
    case I::sse41:
      return "sse4.1";
    case I::avx:
      return "avx";
    case I::avx2:
      return "avx2";
    case I::avx512_core:
      return "avx512_core";
    case I::avx512_core_vnni:
      return "avx512_core_vnni";
    case I::avx512_core_bf16:
      return "avx512_core_bf16";
    case I::avx512_core_amx:
      return "avx512_core_amx";
    default:
      return haveAvx512() ? "avx512" : "other";
  }
}

std::string gemmLibrary(int64_t rows) {
  return openblasFor(rows) ? "openblas" : "onednn";
}

std::string denseKernel(int64_t rows) {
  const Tag t = denseWeightsTag(rows);
  return t == Tag::any  ? "onednn-matmul-any"
         : t == Tag::ab ? "onednn-matmul-ab"
                        : "onednn-matmul-ba";
}

}  // namespace tfjs::kernels
