// Graph ops on hostile inputs: every case of the per-op oracle (tests/oracle/graph_op_cases.mjs)
// run again with its feeds, its integer weights and its attributes replaced by what a broken or
// malicious model holds: empty and scalar shapes, negative and huge integers, NaN and infinite
// floats. Each run must give a result or a tfjs::Error naming the problem: never a crash (the
// sanitizer build runs this too), another exception type, or an allocation past the element
// limit. The values are not compared (TF.js is not asked); the oracle tests do that.
#include <fmt/format.h>

#include <cstring>
#include <limits>

#include "test_util.h"
#include "tfjs/graph_model.h"

namespace tfjs {
namespace {

const Json& opOracle() {
  return test::graphOpCases();
}

// A feed of `dtype` and `shape` whose elements are all `v` (strings: "v").
Tensor filled(DType dtype, const std::vector<int64_t>& shape, double v) {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  if (dtype == DType::kString) {
    return Tensor(shape, std::vector<std::string>(static_cast<size_t>(n), fmt::format("{}", v)));
  }
  if (dtype == DType::kComplex64) {
    std::vector<float> f(static_cast<size_t>(2 * n), static_cast<float>(v));
    Buffer b = Buffer::copyOf(f.data(), f.size() * sizeof(float));
    return Tensor(DType::kComplex64, shape, std::move(b));
  }
  if (dtype == DType::kFloat32) {
    return tensor(std::vector<float>(static_cast<size_t>(n), static_cast<float>(v)), shape);
  }
  const auto i = static_cast<int32_t>(
      std::max<double>(std::min<double>(v, std::numeric_limits<int32_t>::max()),
                       std::numeric_limits<int32_t>::min()));
  return tensor(std::vector<int32_t>(static_cast<size_t>(n), dtype == DType::kBool ? i != 0 : i),
                shape, dtype);
}

DType dtypeOf(const std::string& name) {
  if (name == "float32") return DType::kFloat32;
  if (name == "int32") return DType::kInt32;
  if (name == "bool") return DType::kBool;
  if (name == "string") return DType::kString;
  return DType::kComplex64;
}

// One hostile variant of a case: what replaces its feeds, integer weights and attributes.
struct Variant {
  std::string what;
  std::optional<std::vector<int64_t>> shape;  // every feed's shape (else the case's)
  std::optional<double> value;                // every feed element
  std::optional<int32_t> intWeights;          // every int32 Const element
  std::optional<int64_t> intAttrs;            // every integer attribute (and list element)
};

// Sets every integer attribute ("i", and each element of "list.i") of every node to v.
void setIntAttrs(Json& nodes, int64_t v) {
  for (Json& n : nodes) {
    if (!n.contains("attr")) continue;
    for (auto& [key, a] : n["attr"].items()) {
      if (a.contains("i")) a["i"] = std::to_string(v);
      if (a.contains("list") && a["list"].contains("i")) {
        for (Json& e : a["list"]["i"]) e = std::to_string(v);
      }
    }
  }
}

TEST(GraphHostile, EveryOpSurvivesHostileFeedsWeightsAndAttributes) {
  const Json& o = opOracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_op_cases.mjs)";
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const std::vector<Variant> variants = {
      {"empty feeds", std::vector<int64_t>{0}, {}, {}, {}},
      {"scalar feeds", std::vector<int64_t>{}, {}, {}, {}},
      {"rank-4 feeds with a zero", std::vector<int64_t>{2, 0, 3, 1}, {}, {}, {}},
      {"feeds of -1", {}, -1.0, {}, {}},
      {"feeds of 100000", {}, 100000.0, {}, {}},
      {"feeds of 2^31-1", {}, 2147483647.0, {}, {}},
      {"feeds of NaN", {}, kNaN, {}, {}},
      {"feeds of -inf", {}, -kInf, {}, {}},
      {"int weights of -7", {}, {}, -7, {}},
      {"int weights of 100000", {}, {}, 100000, {}},
      {"int weights of 2^31-1", {}, {}, std::numeric_limits<int32_t>::max(), {}},
      {"int attributes of -3", {}, {}, {}, -3},
      {"int attributes of 100000", {}, {}, {}, 100000},
  };
  GraphModelOptions options;
  options.maxLoopIterations = 1000;
  size_t runs = 0, refused = 0;
  for (const Json& c : o["cases"]) {
    for (const Variant& v : variants) {
      SCOPED_TRACE(c["case"].get<std::string>() + " / " + v.what);
      Json model = Json::parse(c["modelJson"].get<std::string>());
      Json& nodes = model["modelTopology"]["node"];
      // Placeholders of any shape, so the feeds reach the ops.
      for (Json& n : nodes) {
        if (n["op"] == "Placeholder" && n.contains("attr")) n["attr"].erase("shape");
      }
      if (v.intAttrs) setIntAttrs(nodes, *v.intAttrs);
      Json record = c;
      record["modelJson"] = model.dump();
      ModelArtifacts a = test::graphCaseArtifacts(record);
      if (v.intWeights) {
        size_t at = 0;
        bool fixedSize = true;
        for (const auto& w : a.weightsManifest.at(0).weights) {
          int64_t n = 1;
          for (const int64_t d : w.shape) n *= d;
          if (w.dtype == DType::kString) fixedSize = false;
          if (!fixedSize) break;
          if (w.dtype == DType::kInt32) {
            for (int64_t k = 0; k < n; ++k) {
              std::memcpy(a.weightData.mutableData() + at + 4 * k, &*v.intWeights, 4);
            }
          }
          at += static_cast<size_t>(n) * (w.dtype == DType::kComplex64 ? 8 : 4);
        }
        if (!fixedSize) continue;
      }
      std::map<std::string, Tensor> feeds;
      for (const Json& in : c["inputs"]) {
        const DType dtype = dtypeOf(in["dtype"]);
        const auto shape = v.shape.value_or(in["shape"].get<std::vector<int64_t>>());
        feeds.emplace(in["name"].get<std::string>(), filled(dtype, shape, v.value.value_or(1.0)));
      }
      const auto fetch = c["fetch"].get<std::vector<std::string>>();
      ++runs;
      try {
        const GraphModel m = GraphModel::fromArtifacts(a, options);
        for (const Tensor& t : m.execute(feeds, fetch)) {
          int64_t n = 1;
          for (const int64_t d : t.shape()) n *= d;
          EXPECT_LE(n, int64_t{1} << 30);
        }
      } catch (const Error&) {
        ++refused;  // a precise error: what a hostile input should get
      } catch (const std::exception& e) {
        ADD_FAILURE() << "not a tfjs::Error: " << e.what();
      }
    }
  }
  EXPECT_GE(runs, 5000u);
  EXPECT_GT(refused, 0u);
  std::printf("%zu hostile runs, %zu refused with a tfjs::Error\n", runs, refused);
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// The real graph models of tests/fixtures/real on hostile feeds: unknown dimensions 0 or 1,
// NaN and infinite floats, negative and huge integers (FaceBoxes' image, an LSTM's state).
TEST(GraphHostile, RealGraphModelsSurviveHostileFeeds) {
  const fs::path root = fs::path(TFJS_SOURCE_DIR) / "tests" / "fixtures" / "real";
  const char* models[] = {"graph_eyeblink_uint16/model.json",
                          "graph_tfjs_rn_dense/model.json",
                          "graph_tfjs_e2e_dense/model/model.json",
                          "graph_tfjs_examples_prefetch/model.json",
                          "pair_keras3_cnn_to_graph_conv318/tfjs_model/model.json",
                          "pair_pytraining_tiny_mnist_bn/web_model2/model.json",
                          "tfjs_e2e_load_predict_data/graph_model/model.json",
                          "graph_tfjs_move_lstm/model.json",
                          "graph_faceboxes_float16/faceboxes.json"};
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  GraphModelOptions options;
  options.maxLoopIterations = 1000;
  size_t runs = 0;
  for (const char* rel : models) {
    const GraphModel m = loadGraphModel((root / rel).string(), {}, options);
    for (const int64_t unknown : {int64_t{0}, int64_t{1}, int64_t{3}}) {
      for (const double value : {0.0, -1.0, 255.0, 1e9, kNaN}) {
        SCOPED_TRACE(fmt::format("{} unknown dims {} values {}", rel, unknown, value));
        std::map<std::string, Tensor> feeds;
        for (const ModelTensorInfo& in : m.inputs()) {
          std::vector<int64_t> shape = in.knownRank ? in.shape : std::vector<int64_t>{2};
          for (int64_t& d : shape) d = d < 0 ? unknown : d;
          feeds.emplace(in.key, filled(in.dtype, shape, value));
        }
        ++runs;
        try {
          m.execute(feeds);
        } catch (const Error&) {
          // refused, naming the problem
        } catch (const std::exception& e) {
          ADD_FAILURE() << "not a tfjs::Error: " << e.what();
        }
      }
    }
  }
  EXPECT_EQ(runs, 9u * 15u);
}

}  // namespace
}  // namespace tfjs
