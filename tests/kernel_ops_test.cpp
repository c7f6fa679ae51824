// The kernels the graph ops and the layers share (src/kernels: element-wise binary operations with
// broadcasting, reductions, image resizing and its gradients) against the real TF.js, and their
// fast forms against their reference forms.
//
// tests/oracle/kernel_cases.mjs (run by CTest as the `kernel_cases` fixture) records what
// @tensorflow/tfjs 4.22.0 (cpu backend) computes on seeded inputs, NaN, +-0, +-inf and ties
// among them; both the fast and the reference kernels must give TF.js's float32 values bit for
// bit (NaN matches NaN). The fast kernels must also equal the reference bit for bit on random
// shapes, broadcasts, axis sets and geometries (they keep its per-element expressions and
// order), and bad shapes or axes fail with kInvalidArgument naming them.
// TFJS_KERNEL_CASES=DIR points the test at another output folder of the oracle script.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

#include "kernels/kernels.h"
#include "test_util.h"
#include "tfjs/error.h"

namespace tfjs::kernels {
namespace {

// An oracle tensor (float32 as little-endian hex) as a kernels::Array.
Array arrayOf(const Json& t) {
  const Tensor x = test::tensorFromHex(DType::kFloat32, t["shape"].get<Shape>(), t["hex"]);
  const auto v = x.floats();
  return Array(x.shape(), std::vector<float>(v.begin(), v.end()));
}

// "" when equal bit for bit up to NaN payloads (and of equal shape), else the first difference.
std::string sameBits(const Array& ours, const Array& want) {
  if (ours.shape != want.shape) {
    return fmt::format("shape [{}], TF.js [{}]", fmt::join(ours.shape, ","),
                       fmt::join(want.shape, ","));
  }
  for (size_t i = 0; i < want.data.size(); ++i) {
    const float a = ours.data[i], b = want.data[i];
    if (std::isnan(a) && std::isnan(b)) continue;
    if (std::memcmp(&a, &b, sizeof a) != 0) {
      return fmt::format("element {}: ours {:.9g}, want {:.9g}", i, a, b);
    }
  }
  return "";
}

const Json& oracle() {
  static const Json data = test::oracleJson("kernel_cases", "kernel_cases.mjs", "kernel_cases.json",
                                            "TFJS_KERNEL_CASES");
  return data;
}

const std::map<std::string, Binary> kBinary = {
    {"add", Binary::kAdd},         {"sub", Binary::kSub},
    {"mul", Binary::kMul},         {"div", Binary::kDiv},
    {"maximum", Binary::kMaximum}, {"minimum", Binary::kMinimum},
    {"pow", Binary::kPow},         {"squaredDifference", Binary::kSquaredDifference}};
const std::map<std::string, Reduce> kReduce = {{"sum", Reduce::kSum},
                                               {"mean", Reduce::kMean},
                                               {"max", Reduce::kMax},
                                               {"min", Reduce::kMin},
                                               {"prod", Reduce::kProd}};

// One oracle case run through the kernels (under the calling thread's kernel choice).
Array run(const Json& c) {
  const std::string kind = c["kind"], op = c["op"];
  const Json& attrs = c["attrs"];
  std::vector<Array> in;
  for (const Json& t : c["inputs"]) in.push_back(arrayOf(t));
  if (kind == "binary") return binary(kBinary.at(op), in[0], in[1]);
  if (kind == "reduce") {
    return reduce(kReduce.at(op), in[0], attrs["axes"].get<std::vector<int64_t>>(),
                  attrs["keepDims"].get<bool>());
  }
  const auto size = attrs["size"].get<std::vector<int64_t>>();
  const bool align = attrs["alignCorners"].get<bool>();
  if (kind == "resize") {
    const bool half = attrs["halfPixelCenters"].get<bool>();
    return op == "bilinear" ? resizeBilinear(in[0], size[0], size[1], align, half)
                            : resizeNearest(in[0], size[0], size[1], align, half);
  }
  return op == "bilinear" ? resizeBilinearBackward(in[1], in[0].shape, align)
                          : resizeNearestBackward(in[1], in[0].shape, align);
}

class KernelOracle : public ::testing::TestWithParam<bool> {};

TEST_P(KernelOracle, MatchesTfjsBitForBit) {
  const Json& o = oracle();
  if (o.is_null()) {
    GTEST_SKIP() << "SKIPPED: no TF.js oracle output (node tests/oracle/kernel_cases.mjs failed "
                    "or node_modules is missing: run npm ci in tests/oracle)";
  }
  ASSERT_GE(o["cases"].size(), 150u);
  ExecutionScope scope(0, GetParam());
  std::map<std::string, int> kinds;
  for (const Json& c : o["cases"]) {
    const std::string name = c["case"];
    SCOPED_TRACE(name);
    Array ours;
    ASSERT_NO_THROW(ours = run(c));
    EXPECT_EQ(sameBits(ours, arrayOf(c["output"])), "");
    ++kinds[c["kind"].get<std::string>()];
  }
  for (const char* kind : {"binary", "reduce", "resize", "resizeGrad"}) {
    EXPECT_GT(kinds[kind], 10) << kind;
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, KernelOracle, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Reference" : "Fast"; });

// --- fast against reference on random geometry ---------------------------------------------

Array randomArray(const Shape& s, std::mt19937& rng) {
  std::uniform_real_distribution<float> uni(-3.0f, 3.0f);
  Array a(s, kUninitialized);
  for (float& v : a.data) v = uni(rng);
  // A few specials so the NaN and signed-zero rules run on the fast paths too.
  std::uniform_int_distribution<size_t> pick(0, a.data.size() == 0 ? 0 : a.data.size() - 1);
  if (!a.data.empty()) {
    a.data[pick(rng)] = std::numeric_limits<float>::quiet_NaN();
    a.data[pick(rng)] = -0.0f;
  }
  return a;
}

TEST(KernelOps, BinaryFastMatchesReference) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> rankOf(0, 5), dimOf(1, 6), coin(0, 2);
  for (int trial = 0; trial < 400; ++trial) {
    Shape out(static_cast<size_t>(rankOf(rng)));
    for (int64_t& d : out) d = dimOf(rng);
    if (trial % 50 == 0 && !out.empty()) out[0] = 300;  // large enough for the threaded loop
    // Each operand: a suffix of the output's axes, some of them 1.
    auto operandShape = [&] {
      std::uniform_int_distribution<size_t> drop(0, out.size());
      Shape s(out.begin() + static_cast<std::ptrdiff_t>(drop(rng)), out.end());
      for (int64_t& d : s) d = coin(rng) == 0 ? 1 : d;
      return s;
    };
    const Array a = randomArray(operandShape(), rng), b = randomArray(operandShape(), rng);
    for (const auto& [name, op] : kBinary) {
      SCOPED_TRACE(
          fmt::format("{} [{}] [{}]", name, fmt::join(a.shape, ","), fmt::join(b.shape, ",")));
      const Array ref = reference::binary(op, a, b);
      EXPECT_EQ(sameBits(binary(op, a, b), ref), "");
      if (ref.shape == a.shape) {  // in place: b broadcasts to a
        Array inPlace = a;
        binaryInPlace(op, inPlace, b);
        EXPECT_EQ(sameBits(inPlace, ref), "");
      }
    }
  }
}

TEST(KernelOps, ReduceFastMatchesReference) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> rankOf(1, 5), dimOf(0, 5), coin(0, 1);
  for (int trial = 0; trial < 300; ++trial) {
    Shape s(static_cast<size_t>(rankOf(rng)));
    for (int64_t& d : s) d = trial % 7 == 0 ? dimOf(rng) : std::max(1, dimOf(rng));
    if (trial % 40 == 0) s[0] = 200;
    const Array x = randomArray(s, rng);
    std::vector<int64_t> axes;
    for (size_t d = 0; d < s.size(); ++d) {
      if (coin(rng))
        axes.push_back(coin(rng) ? static_cast<int64_t>(d)
                                 : static_cast<int64_t>(d) - static_cast<int64_t>(s.size()));
    }
    const bool keep = coin(rng) == 1;
    for (const auto& [name, op] : kReduce) {
      SCOPED_TRACE(fmt::format("{} [{}] axes [{}] keepDims {}", name, fmt::join(s, ","),
                               fmt::join(axes, ","), keep));
      EXPECT_EQ(sameBits(reduce(op, x, axes, keep), reference::reduce(op, x, axes, keep)), "");
    }
  }
}

TEST(KernelOps, ResizeFastMatchesReference) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int> dimOf(1, 9), coin(0, 1);
  for (int trial = 0; trial < 120; ++trial) {
    const Array x =
        randomArray({dimOf(rng) % 3 + 1, dimOf(rng), dimOf(rng), dimOf(rng) % 4 + 1}, rng);
    const int64_t h = trial == 0 ? 120 : dimOf(rng) * 2, w = trial == 0 ? 130 : dimOf(rng) * 2;
    const bool align = coin(rng) == 1, half = !align && coin(rng) == 1;
    SCOPED_TRACE(
        fmt::format("[{}] -> {}x{} align {} half {}", fmt::join(x.shape, ","), h, w, align, half));
    EXPECT_EQ(sameBits(resizeBilinear(x, h, w, align, half),
                       reference::resizeBilinear(x, h, w, align, half)),
              "");
    EXPECT_EQ(sameBits(resizeNearest(x, h, w, align, half),
                       reference::resizeNearest(x, h, w, align, half)),
              "");
  }
}

template <typename F>
std::string invalidArgument(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code() == ErrorCode::kInvalidArgument ? e.what() : "another error kind";
  }
  return "no error";
}

TEST(KernelOps, BadShapesAndAxesAreRefused) {
  const Array a({2, 3}), b({4}), img({2, 3, 4});
  EXPECT_THAT(invalidArgument([&] { binary(Binary::kAdd, a, b); }),
              HasSubstr("[2,3] and [4] cannot be broadcast together"));
  Array c({3});
  EXPECT_THAT(invalidArgument([&] { binaryInPlace(Binary::kMul, c, a); }),
              HasSubstr("shape [2,3] does not broadcast to [3]"));
  EXPECT_THAT(invalidArgument([&] { reduce(Reduce::kSum, a, {2}, false); }),
              HasSubstr("axis 2 is out of range for shape [2,3]"));
  EXPECT_THAT(invalidArgument([&] {
                reduce(Reduce::kSum, a, {1, -1}, false);
              }),
              HasSubstr("name an axis twice"));
  EXPECT_THAT(invalidArgument([&] { resizeBilinear(img, 2, 2, false, false); }),
              HasSubstr("rank 3"));
  EXPECT_THAT(invalidArgument([&] {
                resizeNearest(Array({1, 2, 2, 1}), -1, 2, false, false);
              }),
              HasSubstr("negative output size"));
}

}  // namespace
}  // namespace tfjs::kernels
