// The fast oneDNN and OpenBLAS kernels against the reference kernels they replace (src/kernels), on
// seeded random inputs across ranks, shapes, strides, paddings, dilations, depth multipliers and
// fused activations; the execution settings (thread count, reference switch); and concurrent runs
// of one kernel from several threads. Tolerance: |fast - reference| <= 1e-5 + 1e-4 * |reference|,
// the layer-case default (float32 sums evaluated in another order).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "kernels/kernels.h"
#include "layers/activations.h"
#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs::kernels {
namespace {

using layers::Array;
using layers::Shape;

std::vector<float> randomValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = uni(rng);
  return v;
}

// Expects every element within the tolerance; reports the first few that are not.
void expectClose(const std::vector<float>& fast, const std::vector<float>& ref,
                 const std::string& what) {
  ASSERT_EQ(fast.size(), ref.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < ref.size() && bad < 5; ++i) {
    const float tol = 1e-5f + 1e-4f * std::fabs(ref[i]);
    if (!(std::fabs(fast[i] - ref[i]) <= tol)) {
      ADD_FAILURE() << what << ": element " << i << " fast " << fast[i] << " reference " << ref[i];
      ++bad;
    }
  }
}

const char* kActivations[] = {"linear", "relu", "relu6", "elu", "sigmoid", "tanh", "softmax"};

// The reference's bias + activation, as the layers apply them after a reference kernel.
void finishReference(std::vector<float>& y, const float* bias, int64_t ch, const std::string& act) {
  if (bias != nullptr) {
    for (size_t i = 0; i < y.size(); ++i) y[i] += bias[i % static_cast<size_t>(ch)];
  }
  Array a({static_cast<int64_t>(y.size()) / ch, ch}, y);
  layers::applyActivation(act, a, "test");
  y.assign(a.data.begin(), a.data.end());
}

// The fused form of an activation name, resolved as the layers resolve it (the one name rule).
Fused fusedFor(const std::string& act) {
  const auto kind = findActivationOrNone(act);
  EXPECT_TRUE(kind.has_value()) << act;
  return kind ? fusedActivation(*kind) : Fused::kNone;
}

// What a layer does after a fast kernel: the activations without a fused form come after it.
void finishFast(std::vector<float>& y, int64_t ch, const std::string& act) {
  if (fusedFor(act) != Fused::kNone) return;
  Array a({static_cast<int64_t>(y.size()) / ch, ch}, y);
  layers::applyActivation(act, a, "test");
  y.assign(a.data.begin(), a.data.end());
}

Fused fusedOrLinear(const std::string& act) {
  const Fused f = fusedFor(act);
  return f == Fused::kNone ? Fused::kLinear : f;
}

TEST(Kernels, FusedActivationNames) {
  EXPECT_EQ(fusedFor("linear"), Fused::kLinear);
  EXPECT_EQ(fusedFor(""), Fused::kLinear);
  EXPECT_EQ(fusedFor("relu"), Fused::kRelu);
  EXPECT_EQ(fusedFor("relu6"), Fused::kRelu6);
  EXPECT_EQ(fusedFor("elu"), Fused::kElu);
  EXPECT_EQ(fusedFor("sigmoid"), Fused::kSigmoid);
  EXPECT_EQ(fusedFor("tanh"), Fused::kTanh);
  EXPECT_EQ(fusedFor("softmax"), Fused::kNone);
  EXPECT_EQ(fusedFor("selu"), Fused::kNone);
  EXPECT_EQ(fusedFor("hardSigmoid"), Fused::kNone);
}

TEST(Kernels, DenseMatchesReference) {
  uint32_t seed = 1;
  for (int64_t rows : {1, 3, 32}) {
    for (int64_t in : {1, 17, 64}) {
      for (int64_t units : {1, 5, 33}) {
        for (bool withBias : {false, true}) {
          for (const char* act : kActivations) {
            const auto x = randomValues(static_cast<size_t>(rows * in), seed++);
            const auto k = randomValues(static_cast<size_t>(in * units), seed++);
            const auto b = randomValues(static_cast<size_t>(units), seed++);
            const float* bias = withBias ? b.data() : nullptr;
            std::vector<float> ref(static_cast<size_t>(rows * units), 0.0f);
            reference::dense(x.data(), rows, in, k.data(), units, ref.data());
            finishReference(ref, bias, units, act);
            Dense fast(in, units, k.data(), bias, fusedOrLinear(act));
            std::vector<float> y(ref.size(), 12345.0f);
            ASSERT_TRUE(fast.run(x.data(), rows, y.data()));
            finishFast(y, units, act);
            expectClose(y, ref,
                        fmt::format("dense rows {} in {} units {} bias {} {}", rows, in, units,
                                    withBias, act));
          }
        }
      }
    }
  }
}

// gemm() against its plain loop, through both libraries it chooses between (below AVX-512, oneDNN
// for 1-3 rows and OpenBLAS from 4; gemmLibrary() says which ran), every transpose, alpha and beta,
// and leading dimensions wider than the matrices.
TEST(Kernels, GemmMatchesReference) {
  uint32_t seed = 500;
  std::set<std::string> libraries;
  for (int64_t m : {1, 2, 3, 4, 5, 8, 33}) {
    libraries.insert(gemmLibrary(m));
    for (int64_t n : {1, 7, 40}) {
      for (int64_t k : {1, 16, 65}) {
        for (bool ta : {false, true}) {
          for (bool tb : {false, true}) {
            for (const auto& [alpha, beta] : {std::pair{1.0f, 0.0f}, std::pair{0.5f, 1.0f}}) {
              const int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 1;
              const auto a = randomValues(static_cast<size_t>((ta ? k : m) * lda), seed++);
              const auto b = randomValues(static_cast<size_t>((tb ? n : k) * ldb), seed++);
              const auto c0 = randomValues(static_cast<size_t>(m * ldc), seed++);
              std::vector<float> ref = c0, fast = c0;
              {
                const ExecutionScope scope(0, /*reference=*/true);
                gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, ref.data(), ldc);
              }
              gemm(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, fast.data(), ldc);
              expectClose(fast, ref,
                          fmt::format("gemm {} m {} n {} k {} transA {} transB {} alpha {} beta {}",
                                      gemmLibrary(m), m, n, k, ta, tb, alpha, beta));
            }
          }
        }
      }
    }
  }
  std::printf("gemm on %s: %s\n", cpuIsa().c_str(),
              fmt::format("{}", fmt::join(libraries, ", ")).c_str());
}

// NumPy broadcasting, on values written out by hand.
TEST(Kernels, BroadcastToAndSumTo) {
  const Array row({3}, std::vector<float>{1, 2, 3});
  EXPECT_TRUE(broadcastsTo({3}, {2, 3}));
  EXPECT_TRUE(broadcastsTo({2, 1}, {2, 3}));
  EXPECT_FALSE(broadcastsTo({2}, {2, 3}));
  EXPECT_FALSE(broadcastsTo({1, 2, 3}, {2, 3}));
  const Array rows = broadcastTo(row, {2, 3});
  EXPECT_EQ(rows.shape, (Shape{2, 3}));
  EXPECT_EQ(std::vector<float>(rows.data.begin(), rows.data.end()),
            (std::vector<float>{1, 2, 3, 1, 2, 3}));
  const Array col({2, 1}, std::vector<float>{10, 20});
  const Array cols = broadcastTo(col, {2, 2, 3});  // a leading axis added, the last repeated
  EXPECT_EQ(std::vector<float>(cols.data.begin(), cols.data.end()),
            (std::vector<float>{10, 10, 10, 20, 20, 20, 10, 10, 10, 20, 20, 20}));
  const Array g({2, 3}, std::vector<float>{1, 2, 3, 4, 5, 6});
  const Array s0 = sumTo(g, {3});
  EXPECT_EQ(std::vector<float>(s0.data.begin(), s0.data.end()), (std::vector<float>{5, 7, 9}));
  const Array s1 = sumTo(g, {2, 1});
  EXPECT_EQ(std::vector<float>(s1.data.begin(), s1.data.end()), (std::vector<float>{6, 15}));
  const Array s2 = sumTo(g, {1, 1});
  EXPECT_EQ(std::vector<float>(s2.data.begin(), s2.data.end()), (std::vector<float>{21}));
  try {
    broadcastTo(row, {2, 4});
    ADD_FAILURE() << "a [3] array broadcast to [2, 4]";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), HasSubstr("shape [3] does not broadcast to [2,4]"));
  }
}

// One convolution geometry: rank 1..3 spatial dims (the last `rank` of the window).
struct ConvCase {
  size_t rank;
  std::vector<int64_t> in, k, stride, dilation;
  bool same;
  int64_t batch, inC, outC;  // outC: filters, or the depth multiplier for depthwise
};

Window makeWindow(const ConvCase& c) {
  Window w;
  const size_t off = 3 - c.rank;
  for (size_t i = 0; i < c.rank; ++i) {
    w.in[off + i] = c.in[i];
    w.k[off + i] = c.k[i];
    w.stride[off + i] = c.stride[i];
    w.dilation[off + i] = c.dilation[i];
  }
  resolveWindow(w, c.same, c.rank < 3, "test");
  return w;
}

int64_t volume(const std::array<int64_t, 3>& a) {
  return a[0] * a[1] * a[2];
}

std::vector<ConvCase> convCases() {
  std::vector<ConvCase> cases;
  for (bool same : {false, true}) {
    // 1-D
    cases.push_back({1, {11}, {3}, {1}, {1}, same, 2, 3, 4});
    cases.push_back({1, {12}, {4}, {3}, {1}, same, 1, 5, 2});
    cases.push_back({1, {13}, {3}, {1}, {2}, same, 1, 2, 3});
    // 2-D
    cases.push_back({2, {7, 9}, {3, 3}, {1, 1}, {1, 1}, same, 2, 3, 8});
    cases.push_back({2, {8, 8}, {3, 3}, {2, 2}, {1, 1}, same, 1, 16, 16});
    cases.push_back({2, {9, 7}, {2, 3}, {2, 1}, {1, 1}, same, 3, 4, 5});
    cases.push_back({2, {10, 10}, {3, 2}, {1, 1}, {2, 3}, same, 1, 3, 4});
    cases.push_back({2, {6, 6}, {1, 1}, {1, 1}, {1, 1}, same, 2, 32, 24});
    cases.push_back({2, {7, 7}, {1, 1}, {3, 3}, {1, 1}, same, 1, 4, 4});  // kernel < stride
    cases.push_back({2, {14, 14}, {5, 5}, {2, 2}, {1, 1}, same, 1, 8, 16});
    // 3-D
    cases.push_back({3, {5, 6, 7}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, same, 1, 2, 3});
    cases.push_back({3, {6, 6, 6}, {2, 3, 2}, {2, 1, 2}, {1, 1, 1}, same, 2, 3, 4});
    cases.push_back({3, {7, 5, 6}, {2, 2, 2}, {1, 1, 1}, {2, 1, 2}, same, 1, 2, 2});
    cases.push_back({3, {5, 5, 5}, {1, 1, 1}, {2, 2, 2}, {1, 1, 1}, same, 1, 3, 2});
  }
  return cases;
}

TEST(Kernels, ConvMatchesReference) {
  uint32_t seed = 100;
  int ran = 0;
  for (const ConvCase& c : convCases()) {
    for (const char* act : {"linear", "relu", "relu6", "sigmoid", "softmax"}) {
      for (bool withBias : {true, false}) {
        const Window w = makeWindow(c);
        const auto x = randomValues(static_cast<size_t>(c.batch * volume(w.in) * c.inC), seed++);
        int64_t kVolume = 1;
        for (int64_t k : c.k) kVolume *= k;
        const auto k = randomValues(static_cast<size_t>(kVolume * c.inC * c.outC), seed++);
        const auto b = randomValues(static_cast<size_t>(c.outC), seed++);
        const float* bias = withBias ? b.data() : nullptr;
        std::vector<float> ref(static_cast<size_t>(c.batch * volume(w.out) * c.outC), 0.0f);
        reference::conv(x.data(), c.batch, w, c.inC, k.data(), c.outC, ref.data());
        finishReference(ref, bias, c.outC, act);
        ConvSpec spec;
        spec.kind = ConvSpec::Kind::kConv;
        spec.rank = c.rank;
        spec.kernel = c.k;
        spec.inC = c.inC;
        spec.outC = c.outC;
        spec.weights = k.data();
        spec.bias = bias;
        spec.activation = fusedOrLinear(act);
        Conv fast(spec);
        std::vector<float> y(ref.size(), 12345.0f);
        const std::string what = fmt::format(
            "conv rank {} in {} k {} stride {} dilation {} same {} batch {} {}->{} {} "
            "bias {}",
            c.rank, fmt::join(c.in, "x"), fmt::join(c.k, "x"), fmt::join(c.stride, "x"),
            fmt::join(c.dilation, "x"), c.same, c.batch, c.inC, c.outC, act, withBias);
        const bool negativePad = w.pad[0] < 0 || w.pad[1] < 0 || w.pad[2] < 0;
        const bool ok = fast.run(x.data(), c.batch, w, y.data());
        // Only the unclamped 3-D 'same' rule gives negative padding, which oneDNN cannot express.
        ASSERT_EQ(ok, !negativePad) << what;
        if (!ok) continue;
        ++ran;
        finishFast(y, c.outC, act);
        expectClose(y, ref, what);
      }
    }
  }
  EXPECT_GT(ran, 200);
}

TEST(Kernels, DepthwiseMatchesReference) {
  uint32_t seed = 1000;
  for (const ConvCase& c : convCases()) {
    if (c.rank != 2) continue;
    for (int64_t mult : {1, 2, 3}) {
      for (const char* act : {"linear", "relu6", "tanh", "elu"}) {
        const Window w = makeWindow(c);
        const int64_t outC = c.inC * mult;
        const auto x = randomValues(static_cast<size_t>(c.batch * volume(w.in) * c.inC), seed++);
        const auto k = randomValues(static_cast<size_t>(c.k[0] * c.k[1] * outC), seed++);
        const auto b = randomValues(static_cast<size_t>(outC), seed++);
        std::vector<float> ref(static_cast<size_t>(c.batch * volume(w.out) * outC), 0.0f);
        reference::depthwise(x.data(), c.batch, w, c.inC, k.data(), mult, ref.data());
        finishReference(ref, b.data(), outC, act);
        ConvSpec spec;
        spec.kind = ConvSpec::Kind::kDepthwise;
        spec.rank = 2;
        spec.kernel = c.k;
        spec.inC = c.inC;
        spec.outC = outC;
        spec.weights = k.data();
        spec.bias = b.data();
        spec.activation = fusedOrLinear(act);
        Conv fast(spec);
        std::vector<float> y(ref.size(), 12345.0f);
        ASSERT_TRUE(fast.run(x.data(), c.batch, w, y.data()));
        expectClose(y, ref,
                    fmt::format("depthwise in {} k {} stride {} dilation {} same {} C {} x{} {}",
                                fmt::join(c.in, "x"), fmt::join(c.k, "x"), fmt::join(c.stride, "x"),
                                fmt::join(c.dilation, "x"), c.same, c.inC, mult, act));
      }
    }
  }
}

TEST(Kernels, ConvTransposeMatchesReference) {
  uint32_t seed = 2000;
  int ran = 0;
  for (const ConvCase& c : convCases()) {
    if (c.rank == 1 || c.dilation != std::vector<int64_t>(c.rank, 1)) continue;
    for (const char* act : {"linear", "relu"}) {
      // The forward window runs from the output (size deconvLength) to the input (c.in).
      Window w;
      const size_t off = 3 - c.rank;
      for (size_t i = 0; i < c.rank; ++i) {
        w.k[off + i] = c.k[i];
        w.stride[off + i] = c.stride[i];
        w.in[off + i] = c.same ? c.in[i] * c.stride[i]
                               : c.in[i] * c.stride[i] + std::max<int64_t>(c.k[i] - c.stride[i], 0);
      }
      resolveWindow(w, c.same, c.rank < 3, "test");
      bool consistent = true;
      for (size_t i = 0; i < c.rank; ++i) consistent &= w.out[off + i] == c.in[i];
      if (!consistent) continue;
      const auto x = randomValues(static_cast<size_t>(c.batch * volume(w.out) * c.inC), seed++);
      int64_t kVolume = 1;
      for (int64_t k : c.k) kVolume *= k;
      const auto k = randomValues(static_cast<size_t>(kVolume * c.inC * c.outC), seed++);
      const auto b = randomValues(static_cast<size_t>(c.outC), seed++);
      std::vector<float> ref(static_cast<size_t>(c.batch * volume(w.in) * c.outC), 0.0f);
      reference::convTranspose(x.data(), c.batch, w, c.inC, k.data(), c.outC, ref.data());
      finishReference(ref, b.data(), c.outC, act);
      ConvSpec spec;
      spec.kind = ConvSpec::Kind::kTranspose;
      spec.rank = c.rank;
      spec.kernel = c.k;
      spec.inC = c.inC;
      spec.outC = c.outC;
      spec.weights = k.data();
      spec.bias = b.data();
      spec.activation = fusedOrLinear(act);
      Conv fast(spec);
      std::vector<float> y(ref.size(), 12345.0f);
      const std::string what = fmt::format("transpose rank {} in {} k {} stride {} same {} {}",
                                           c.rank, fmt::join(c.in, "x"), fmt::join(c.k, "x"),
                                           fmt::join(c.stride, "x"), c.same, act);
      if (!fast.run(x.data(), c.batch, w, y.data())) {
        // Only a kernel smaller than its stride ('valid') or negative 3-D padding is refused.
        bool expected = false;
        for (size_t i = off; i < 3; ++i) expected |= w.k[i] < w.stride[i] || w.pad[i] < 0;
        EXPECT_TRUE(expected) << what;
        continue;
      }
      ++ran;
      expectClose(y, ref, what);
    }
  }
  EXPECT_GT(ran, 10);
}

TEST(Kernels, PoolMatchesReference) {
  uint32_t seed = 3000;
  int ran = 0;
  for (const ConvCase& c : convCases()) {
    if (c.dilation != std::vector<int64_t>(c.rank, 1)) continue;
    for (bool isMax : {true, false}) {
      const Window w = makeWindow(c);
      const auto x = randomValues(static_cast<size_t>(c.batch * volume(w.in) * c.inC), seed++);
      std::vector<float> ref(static_cast<size_t>(c.batch * volume(w.out) * c.inC), 0.0f);
      reference::pool(x.data(), c.batch, w, c.inC, isMax, ref.data());
      Pool fast(isMax, c.rank);
      std::vector<float> y(ref.size(), 12345.0f);
      const bool negativePad = w.pad[0] < 0 || w.pad[1] < 0 || w.pad[2] < 0;
      const std::string what =
          fmt::format("{} pool rank {} in {} k {} stride {} same {}", isMax ? "max" : "avg", c.rank,
                      fmt::join(c.in, "x"), fmt::join(c.k, "x"), fmt::join(c.stride, "x"), c.same);
      const bool ok = fast.run(x.data(), c.batch, w, c.inC, y.data());
      ASSERT_EQ(ok, !negativePad) << what;
      if (!ok) continue;
      ++ran;
      expectClose(y, ref, what);
    }
  }
  EXPECT_GT(ran, 20);
}

// --- backward passes (training) ------------------------------------------------------------------

// The backward cases: the forward cases plus larger batches and channel counts.
std::vector<ConvCase> backwardCases() {
  std::vector<ConvCase> cases = convCases();
  for (bool same : {false, true}) {
    cases.push_back({1, {20}, {5}, {2}, {1}, same, 4, 6, 7});
    cases.push_back({2, {28, 28}, {3, 3}, {1, 1}, {1, 1}, same, 4, 1, 8});
    cases.push_back({2, {13, 13}, {3, 3}, {1, 1}, {1, 1}, same, 3, 8, 16});
    cases.push_back({2, {8, 9}, {4, 4}, {3, 2}, {1, 1}, same, 2, 5, 3});  // asymmetric 'same'
    cases.push_back({2, {11, 10}, {3, 3}, {1, 1}, {3, 2}, same, 2, 4, 6});
    cases.push_back({3, {6, 7, 8}, {3, 2, 3}, {1, 2, 2}, {1, 1, 1}, same, 2, 4, 5});
  }
  return cases;
}

std::string describe(const ConvCase& c) {
  return fmt::format("rank {} in {} k {} stride {} dilation {} same {} batch {} C {} -> {}", c.rank,
                     fmt::join(c.in, "x"), fmt::join(c.k, "x"), fmt::join(c.stride, "x"),
                     fmt::join(c.dilation, "x"), c.same, c.batch, c.inC, c.outC);
}

bool negativePadding(const Window& w) {
  return w.pad[0] < 0 || w.pad[1] < 0 || w.pad[2] < 0;
}

int64_t kernelVolume(const ConvCase& c) {
  int64_t v = 1;
  for (int64_t k : c.k) v *= k;
  return v;
}

// Random multiples of 1/8 in [-1, 1]: the backward cases' inputs. Their products are multiples
// of 1/64 and every sum here stays below 2^24 / 64, so float32 sums are exact in any order and
// the fast kernels must match the reference however long the reduction (a kernel gradient sums
// over batch x output positions, thousands of terms, where two float32 orders of general values
// drift apart by more than the tolerance).
std::vector<float> randomGrid(size_t n, uint32_t seed) {
  std::vector<float> v = randomValues(n, seed);
  for (float& x : v) x = std::round(x * 8.0f) / 8.0f;
  return v;
}

// dL/dbias as the layers compute it next to a reference kernel.
void addBiasGradient(const std::vector<float>& g, int64_t ch, std::vector<float>& db) {
  for (size_t i = 0; i < g.size(); ++i) db[i % static_cast<size_t>(ch)] += g[i];
}

TEST(Kernels, ConvBackwardMatchesReference) {
  uint32_t seed = 5000;
  int ran = 0;
  for (const ConvCase& c : backwardCases()) {
    const Window w = makeWindow(c);
    for (bool withDx : {true, false}) {
      for (bool withDb : {true, false}) {
        const auto x = randomGrid(static_cast<size_t>(c.batch * volume(w.in) * c.inC), seed++);
        const auto k = randomGrid(static_cast<size_t>(kernelVolume(c) * c.inC * c.outC), seed++);
        const auto g = randomGrid(static_cast<size_t>(c.batch * volume(w.out) * c.outC), seed++);
        // dk and db start non-zero: both kernels accumulate into them.
        const auto dk0 = randomValues(k.size(), seed++);
        const auto db0 = randomValues(static_cast<size_t>(c.outC), seed++);
        std::vector<float> dxRef(x.size(), 0.0f), dkRef = dk0, dbRef = db0;
        reference::convBackward(x.data(), c.batch, w, c.inC, k.data(), c.outC, g.data(),
                                withDx ? dxRef.data() : nullptr, dkRef.data());
        addBiasGradient(g, c.outC, dbRef);
        ConvSpec spec;
        spec.rank = c.rank;
        spec.kernel = c.k;
        spec.inC = c.inC;
        spec.outC = c.outC;
        const ConvBackward fast(spec);
        std::vector<float> dx(x.size(), 12345.0f), dk = dk0, db = db0;
        const std::string what =
            fmt::format("conv backward {} dx {} db {}", describe(c), withDx, withDb);
        const bool ok =
            fast.run(x.data(), c.batch, w, k.data(), g.data(), withDx ? dx.data() : nullptr,
                     dk.data(), withDb ? db.data() : nullptr);
        ASSERT_EQ(ok, !negativePadding(w)) << what;
        if (!ok) {
          EXPECT_EQ(dk, dk0) << what << ": a refused run touched dk";
          continue;
        }
        ++ran;
        if (withDx) expectClose(dx, dxRef, what + " dx");
        expectClose(dk, dkRef, what + " dk");
        if (withDb) {
          expectClose(db, dbRef, what + " db");
        } else {
          EXPECT_EQ(db, db0) << what;
        }
      }
    }
  }
  EXPECT_GT(ran, 100);
}

TEST(Kernels, DepthwiseBackwardMatchesReference) {
  uint32_t seed = 6000;
  int ran = 0;
  for (const ConvCase& c : backwardCases()) {
    if (c.rank != 2) continue;
    const Window w = makeWindow(c);  // with dilation, as SeparableConv2D's depthwise step
    for (int64_t mult : {1, 2, 3}) {
      const int64_t outC = c.inC * mult;
      const auto x = randomGrid(static_cast<size_t>(c.batch * volume(w.in) * c.inC), seed++);
      const auto k = randomGrid(static_cast<size_t>(kernelVolume(c) * outC), seed++);
      const auto g = randomGrid(static_cast<size_t>(c.batch * volume(w.out) * outC), seed++);
      const auto dk0 = randomValues(k.size(), seed++);
      const auto db0 = randomValues(static_cast<size_t>(outC), seed++);
      std::vector<float> dxRef(x.size(), 0.0f), dkRef = dk0, dbRef = db0;
      reference::depthwiseBackward(x.data(), c.batch, w, c.inC, k.data(), mult, g.data(),
                                   dxRef.data(), dkRef.data());
      addBiasGradient(g, outC, dbRef);
      ConvSpec spec;
      spec.kind = ConvSpec::Kind::kDepthwise;
      spec.rank = 2;
      spec.kernel = c.k;
      spec.inC = c.inC;
      spec.outC = outC;
      const ConvBackward fast(spec);
      std::vector<float> dx(x.size(), 12345.0f), dk = dk0, db = db0;
      const std::string what = fmt::format("depthwise backward {} x{}", describe(c), mult);
      ASSERT_TRUE(
          fast.run(x.data(), c.batch, w, k.data(), g.data(), dx.data(), dk.data(), db.data()))
          << what;
      ++ran;
      expectClose(dx, dxRef, what + " dx");
      expectClose(dk, dkRef, what + " dk");
      expectClose(db, dbRef, what + " db");
    }
  }
  EXPECT_GT(ran, 40);
}

// The transposed convolution's backward pass against the reference route the layer takes: dx is
// the forward convolution of g with the same kernel, dk convBackward's kernel gradient with g as
// the input and x as the output gradient.
TEST(Kernels, ConvTransposeBackwardMatchesReference) {
  uint32_t seed = 7000;
  int ran = 0;
  for (const ConvCase& c : backwardCases()) {
    if (c.rank == 1 || c.dilation != std::vector<int64_t>(c.rank, 1)) continue;
    Window w;
    const size_t off = 3 - c.rank;
    for (size_t i = 0; i < c.rank; ++i) {
      w.k[off + i] = c.k[i];
      w.stride[off + i] = c.stride[i];
      w.in[off + i] = c.same ? c.in[i] * c.stride[i]
                             : c.in[i] * c.stride[i] + std::max<int64_t>(c.k[i] - c.stride[i], 0);
    }
    resolveWindow(w, c.same, c.rank < 3, "test");
    bool consistent = true;
    for (size_t i = 0; i < c.rank; ++i) consistent &= w.out[off + i] == c.in[i];
    if (!consistent) continue;
    // x: the layer's input (w.out, inC channels); g: its output's gradient (w.in, outC).
    const auto x = randomGrid(static_cast<size_t>(c.batch * volume(w.out) * c.inC), seed++);
    const auto k = randomGrid(static_cast<size_t>(kernelVolume(c) * c.inC * c.outC), seed++);
    const auto g = randomGrid(static_cast<size_t>(c.batch * volume(w.in) * c.outC), seed++);
    const auto dk0 = randomValues(k.size(), seed++);
    const auto db0 = randomValues(static_cast<size_t>(c.outC), seed++);
    std::vector<float> dxRef(x.size(), 0.0f), dkRef = dk0, dbRef = db0;
    reference::conv(g.data(), c.batch, w, c.outC, k.data(), c.inC, dxRef.data());
    reference::convBackward(g.data(), c.batch, w, c.outC, k.data(), c.inC, x.data(), nullptr,
                            dkRef.data());
    addBiasGradient(g, c.outC, dbRef);
    ConvSpec spec;
    spec.kind = ConvSpec::Kind::kTranspose;
    spec.rank = c.rank;
    spec.kernel = c.k;
    spec.inC = c.inC;
    spec.outC = c.outC;
    const ConvBackward fast(spec);
    std::vector<float> dx(x.size(), 12345.0f), dk = dk0, db = db0;
    const std::string what = fmt::format("transpose backward {}", describe(c));
    if (!fast.run(x.data(), c.batch, w, k.data(), g.data(), dx.data(), dk.data(), db.data())) {
      bool expected = false;
      for (size_t i = off; i < 3; ++i) expected |= w.k[i] < w.stride[i] || w.pad[i] < 0;
      EXPECT_TRUE(expected) << what;
      EXPECT_EQ(dk, dk0) << what << ": a refused run touched dk";
      continue;
    }
    ++ran;
    expectClose(dx, dxRef, what + " dx");
    expectClose(dk, dkRef, what + " dk");
    expectClose(db, dbRef, what + " db");
  }
  EXPECT_GT(ran, 10);
}

// Pooling's backward pass: average within the tolerance; max equal to the reference bit for
// bit, with values drawn from a few levels (many ties: the gradient goes to the first maximum,
// as TF.js's maxPoolPositions) and some -inf and NaN.
TEST(Kernels, PoolBackwardMatchesReference) {
  uint32_t seed = 8000;
  int ran = 0;
  for (const ConvCase& c : backwardCases()) {
    if (c.dilation != std::vector<int64_t>(c.rank, 1)) continue;
    const Window w = makeWindow(c);
    for (bool isMax : {true, false}) {
      auto x = randomValues(static_cast<size_t>(c.batch * volume(w.in) * c.inC), seed++);
      if (isMax) {
        for (size_t i = 0; i < x.size(); ++i) {
          x[i] = std::round(x[i] * 2.0f) / 2.0f;
          if (i % 17 == 3) x[i] = -std::numeric_limits<float>::infinity();
          if (i % 29 == 5) x[i] = std::numeric_limits<float>::quiet_NaN();
        }
      }
      const auto g = randomValues(static_cast<size_t>(c.batch * volume(w.out) * c.inC), seed++);
      std::vector<float> ref(x.size(), 0.0f), dx(x.size(), 0.0f);
      reference::poolBackward(x.data(), c.batch, w, c.inC, isMax, g.data(), ref.data());
      const Pool fast(isMax, c.rank);
      const std::string what =
          fmt::format("{} pool backward {}", isMax ? "max" : "avg", describe(c));
      const bool ok = fast.backward(x.data(), c.batch, w, c.inC, g.data(), dx.data());
      // Max pooling runs its own loop, which takes every window; average runs oneDNN.
      ASSERT_EQ(ok, isMax || !negativePadding(w)) << what;
      if (!ok) continue;
      ++ran;
      if (isMax) {
        EXPECT_EQ(0, std::memcmp(dx.data(), ref.data(), dx.size() * sizeof(float))) << what;
      } else {
        expectClose(dx, ref, what);
      }
    }
  }
  EXPECT_GT(ran, 40);
}

// A fast backward kernel reused across geometries and fed new weights each run (as training
// does) gives what a fresh one gives.
TEST(Kernels, ConvBackwardReusedAcrossRuns) {
  const ConvCase c{2, {12, 12}, {3, 3}, {1, 1}, {1, 1}, true, 2, 4, 6};
  ConvSpec spec;
  spec.rank = 2;
  spec.kernel = c.k;
  spec.inC = c.inC;
  spec.outC = c.outC;
  const ConvBackward reused(spec);
  uint32_t seed = 9000;
  for (int step = 0; step < 4; ++step) {
    ConvCase s = c;
    s.batch = 1 + step % 2;
    const Window w = makeWindow(s);
    const auto x = randomGrid(static_cast<size_t>(s.batch * volume(w.in) * s.inC), seed++);
    const auto k = randomGrid(static_cast<size_t>(kernelVolume(s) * s.inC * s.outC), seed++);
    const auto g = randomGrid(static_cast<size_t>(s.batch * volume(w.out) * s.outC), seed++);
    std::vector<float> dxRef(x.size(), 0.0f), dkRef(k.size(), 0.0f);
    reference::convBackward(x.data(), s.batch, w, s.inC, k.data(), s.outC, g.data(), dxRef.data(),
                            dkRef.data());
    std::vector<float> dx(x.size(), 1.0f), dk(k.size(), 0.0f);
    ASSERT_TRUE(
        reused.run(x.data(), s.batch, w, k.data(), g.data(), dx.data(), dk.data(), nullptr));
    expectClose(dx, dxRef, fmt::format("step {} dx", step));
    expectClose(dk, dkRef, fmt::format("step {} dk", step));
  }
}

TEST(Kernels, BatchNormMatchesReference) {
  for (int64_t ch : {1, 3, 32, 37}) {
    const int64_t rows = 301;
    const auto x = randomValues(static_cast<size_t>(rows * ch), 7);
    auto mean = randomValues(static_cast<size_t>(ch), 8);
    auto variance = randomValues(static_cast<size_t>(ch), 9);
    for (float& v : variance) v = std::fabs(v) + 0.01f;
    const auto gamma = randomValues(static_cast<size_t>(ch), 10);
    const auto beta = randomValues(static_cast<size_t>(ch), 11);
    const double eps = 1e-3;
    std::vector<float> factor(static_cast<size_t>(ch));
    for (size_t c = 0; c < factor.size(); ++c) {
      factor[c] = static_cast<float>(gamma[c] / std::sqrt(static_cast<double>(variance[c]) + eps));
    }
    std::vector<float> ref(x.size()), y(x.size(), 12345.0f);
    for (size_t i = 0; i < x.size(); ++i) {
      const size_t c = i % static_cast<size_t>(ch);
      ref[i] = reference::normalize(x[i], mean[c], variance[c], gamma[c], beta[c], eps);
    }
    batchNormLastAxis(x.data(), rows, ch, mean.data(), factor.data(), beta.data(), y.data());
    expectClose(y, ref, fmt::format("batchnorm channels {}", ch));
    // In place.
    std::vector<float> z = x;
    batchNormLastAxis(z.data(), rows, ch, mean.data(), factor.data(), beta.data(), z.data());
    EXPECT_EQ(z, y);
  }
}

// The element-wise gate activations of the recurrent cells: names (the layers' one activation
// rule, mapped to the kernels' enum), and the fast (AVX2) forms
// against the reference on a dense sweep of [-30, 30], random values, and the special values.
// Tolerance: |fast - reference| <= 1e-6 * max(|reference|, 1e-3) for tanh and sigmoid (a few
// float32 ulps; absolute below 1e-3, where tanh(x) ~ x keeps its relative accuracy anyway),
// bit-exact for hard sigmoid, relu and linear; NaN where the reference is NaN.
TEST(Kernels, UnaryMatchesReference) {
  const auto unaryOfName = [](const char* name) {
    return layers::unaryOf(*layers::findActivationOrNone(name));
  };
  EXPECT_EQ(unaryOfName("tanh"), Unary::kTanh);
  EXPECT_EQ(unaryOfName("sigmoid"), Unary::kSigmoid);
  EXPECT_EQ(unaryOfName("hard_sigmoid"), Unary::kHardSigmoid);
  EXPECT_EQ(unaryOfName("hardSigmoid"), Unary::kHardSigmoid);
  EXPECT_EQ(unaryOfName("relu"), Unary::kRelu);
  EXPECT_EQ(unaryOfName("linear"), Unary::kLinear);
  EXPECT_EQ(unaryOfName(""), Unary::kLinear);
  EXPECT_EQ(unaryOfName("softmax"), Unary::kOther);
  EXPECT_EQ(unaryOfName("selu"), Unary::kOther);
  std::vector<float> kOtherValues = {1.0f};
  EXPECT_THROW(reference::unary(Unary::kOther, kOtherValues.data(), 1), Error);

  std::vector<float> x;
  for (int i = -300000; i <= 300000; ++i) x.push_back(static_cast<float>(i) * 1e-4f);
  for (float v : randomValues(4099, 77)) x.push_back(v * 100.0f);
  const float inf = std::numeric_limits<float>::infinity();
  for (float v : {0.0f,
                  -0.0f,
                  1e-30f,
                  -1e-30f,
                  1e-8f,
                  -3e-7f,
                  0.625f,
                  -0.625f,
                  0.62499f,
                  8.9f,
                  9.0f,
                  9.5f,
                  -87.3f,
                  -88.0f,
                  88.7f,
                  89.0f,
                  -100.0f,
                  100.0f,
                  1e30f,
                  -1e30f,
                  inf,
                  -inf,
                  std::numeric_limits<float>::quiet_NaN()}) {
    x.push_back(v);
  }
  x.push_back(0.3f);  // n % 8 != 0: the tail runs the reference
  for (Unary f :
       {Unary::kTanh, Unary::kSigmoid, Unary::kHardSigmoid, Unary::kRelu, Unary::kLinear}) {
    std::vector<float> ref = x, fast = x;
    reference::unary(f, ref.data(), static_cast<int64_t>(ref.size()));
    fastUnary(f, fast.data(), static_cast<int64_t>(fast.size()));
    const bool exact = f != Unary::kTanh && f != Unary::kSigmoid;
    int bad = 0;
    for (size_t i = 0; i < x.size() && bad < 5; ++i) {
      const bool ok =
          std::isnan(ref[i]) ? std::isnan(fast[i])
          : exact            ? std::memcmp(&ref[i], &fast[i], sizeof(float)) == 0
                  : std::fabs(fast[i] - ref[i]) <= 1e-6f * std::max(std::fabs(ref[i]), 1e-3f);
      if (!ok) {
        ADD_FAILURE() << "unary " << static_cast<int>(f) << " x " << x[i] << " fast " << fast[i]
                      << " reference " << ref[i];
        ++bad;
      }
    }
  }
  // The dispatcher follows the reference switch.
  std::vector<float> a = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f}, b = a, c = a;
  reference::unary(Unary::kTanh, b.data(), 8);
  {
    ExecutionScope scope(0, true);
    unary(Unary::kTanh, a.data(), 8);
  }
  EXPECT_EQ(a, b);
  fastUnary(Unary::kTanh, c.data(), 8);
  {
    ExecutionScope scope(0, false);
    std::vector<float> d = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
    unary(Unary::kTanh, d.data(), 8);
    if (!referenceKernels()) {
      EXPECT_EQ(d, c);
    }
  }
}

TEST(Kernels, ExecutionScopeSetsAndRestores) {
  const int before = omp_get_max_threads();
  const bool referenceBefore = referenceKernels();
  {
    ExecutionScope scope(1, true);
    EXPECT_EQ(omp_get_max_threads(), 1);
    EXPECT_TRUE(referenceKernels());
    {
      ExecutionScope inner(0, false);  // 0 leaves the thread count alone
      EXPECT_EQ(omp_get_max_threads(), 1);
    }
    EXPECT_TRUE(referenceKernels());
  }
  EXPECT_EQ(omp_get_max_threads(), before);
  EXPECT_EQ(referenceKernels(), referenceBefore);
  // Another thread's scope does not change this thread's settings.
  std::thread t([] {
    ExecutionScope scope(3, true);
    EXPECT_EQ(omp_get_max_threads(), 3);
  });
  t.join();
  EXPECT_EQ(omp_get_max_threads(), before);
}

// One kernel object run from several threads at once, at different thread counts and batch
// sizes (each a primitive of its own in the cache), gives the single-threaded answers.
TEST(Kernels, ConcurrentRunsAgree) {
  const ConvCase c{2, {12, 12}, {3, 3}, {1, 1}, {1, 1}, true, 1, 8, 16};
  const auto k = randomValues(static_cast<size_t>(9 * c.inC * c.outC), 5);
  const auto b = randomValues(static_cast<size_t>(c.outC), 6);
  ConvSpec spec;
  spec.rank = 2;
  spec.kernel = c.k;
  spec.inC = c.inC;
  spec.outC = c.outC;
  spec.weights = k.data();
  spec.bias = b.data();
  spec.activation = Fused::kRelu;
  const Conv fast(spec);
  const Window w = makeWindow(c);
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      const ExecutionScope scope(1 + t % 2, false);
      const int64_t batch = 1 + t % 3;
      const auto x = randomValues(static_cast<size_t>(batch * volume(w.in) * c.inC), 40 + t);
      std::vector<float> ref(static_cast<size_t>(batch * volume(w.out) * c.outC), 0.0f);
      reference::conv(x.data(), batch, w, c.inC, k.data(), c.outC, ref.data());
      finishReference(ref, b.data(), c.outC, "relu");
      for (int i = 0; i < 20; ++i) {
        std::vector<float> y(ref.size(), 12345.0f);
        ASSERT_TRUE(fast.run(x.data(), batch, w, y.data()));
        expectClose(y, ref, fmt::format("thread {} run {}", t, i));
      }
    });
  }
  for (auto& t : threads) t.join();
}

// The model options reach the kernels: a real MobileNetV2 (uint8-quantized weights) predicts the
// same with the fast kernels at 1 and 2 threads as with the reference kernels, and a negative
// thread count is refused.
TEST(Kernels, ModelOptionsSelectThreadsAndKernels) {
  TFJS_REQUIRE_FIXTURES("tfjs_layers_nsfwjs_mobilenet_v2_uint8");
  const std::string model = (fixtures / "tfjs_layers_nsfwjs_mobilenet_v2_uint8").string();
  const ModelArtifacts artifacts = loadModel(model);
  const auto x = randomValues(2 * 224 * 224 * 3, 77);
  Buffer b = Buffer::allocate(x.size() * 4);
  std::memcpy(b.mutableData(), x.data(), x.size() * 4);
  const Tensor input(DType::kFloat32, {2, 224, 224, 3}, std::move(b), 0);
  ModelOptions options;
  options.referenceKernels = true;
  const Tensor refOut = LayersModel::fromArtifacts(artifacts, options).predict(input);
  const std::vector<float> ref(refOut.floats().begin(), refOut.floats().end());
  for (int threads : {1, 2}) {
    options.referenceKernels = false;
    options.threads = threads;
    const Tensor out = LayersModel::fromArtifacts(artifacts, options).predict(input);
    expectClose(std::vector<float>(out.floats().begin(), out.floats().end()), ref,
                fmt::format("MobileNetV2 at {} threads", threads));
  }
  options.threads = -1;
  EXPECT_THROW(LayersModel::fromArtifacts(artifacts, options), Error);
}

}  // namespace
}  // namespace tfjs::kernels
