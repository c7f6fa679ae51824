// Graph models (tfjs/graph_model.h) against the real TF.js, and bad graphs and feeds.
//
// tests/oracle/graph_cases.mjs (run by CTest as the `graph_cases` fixture) runs the real graph
// models of tests/fixtures/real with tf.loadGraphModel + model.execute on seeded inputs. Each must
// load here with the same inputNodes / outputNodes and give outputs, and every node's output
// fetched by name, within 1e-3 + 1e-3 * |TF.js| (the tolerance), with the fast and with
// the reference kernels. Models that use ops not
// run yet must be refused at load, naming them; malformed graphs and feeds fail with precise
// errors. TFJS_GRAPH_CASES=DIR points the test at another output folder of the oracle script.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

fs::path repoFixtures() {
  return fs::path(TFJS_SOURCE_DIR) / "tests" / "fixtures" / "real";
}

const Json& oracle() {
  static const Json data =
      test::oracleJson("graph_cases", "graph_cases.mjs", "graph_cases.json", "TFJS_GRAPH_CASES");
  return data;
}

Tensor tensorOf(const Json& t) {
  const DType dtype = t["dtype"] == "int32" ? DType::kInt32 : DType::kFloat32;
  return test::tensorFromHex(dtype, t["shape"].get<std::vector<int64_t>>(), t["hex"]);
}

// "" when every element is within 1e-3 + 1e-3 * |want| (NaN matches NaN), else the first miss.
std::string closeTo(const Tensor& ours, const Tensor& want) {
  if (ours.shape() != want.shape() || ours.dtype() != want.dtype()) {
    return fmt::format("shape/dtype [{}] {}, TF.js [{}] {}", fmt::join(ours.shape(), ","),
                       dtypeName(ours.dtype()), fmt::join(want.shape(), ","),
                       dtypeName(want.dtype()));
  }
  const auto a = ours.dataSync(), b = want.dataSync();
  for (size_t i = 0; i < b.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (!(std::fabs(a[i] - b[i]) <= 1e-3 + 1e-3 * std::fabs(b[i]))) {
      return fmt::format("element {}: ours {:.9g}, TF.js {:.9g}", i, a[i], b[i]);
    }
  }
  return "";
}

class GraphOracle : public ::testing::TestWithParam<bool> {};

TEST_P(GraphOracle, RealGraphModelsMatchTfjs) {
  const Json& o = oracle();
  if (o.is_null()) {
    GTEST_SKIP() << "SKIPPED: no TF.js oracle output (node tests/oracle/graph_cases.mjs failed "
                    "or node_modules is missing: run npm ci in tests/oracle)";
  }
  ASSERT_GE(o["models"].size(), 7u);
  GraphModelOptions options;
  options.referenceKernels = GetParam();
  for (const Json& m : o["models"]) {
    SCOPED_TRACE(m["model"].get<std::string>());
    ASSERT_FALSE(m.contains("error")) << m["error"];
    const GraphModel model =
        loadGraphModel((repoFixtures() / m["model"].get<std::string>()).string(), {}, options);
    EXPECT_EQ(model.inputNodes(), m["inputNodes"].get<std::vector<std::string>>());
    EXPECT_EQ(model.outputNodes(), m["outputNodes"].get<std::vector<std::string>>());
    std::map<std::string, Tensor> feeds;
    for (const Json& in : m["inputs"]) feeds.emplace(in["name"].get<std::string>(), tensorOf(in));
    const std::vector<Tensor> outs = model.execute(feeds);
    ASSERT_EQ(outs.size(), m["outputs"].size());
    for (size_t k = 0; k < outs.size(); ++k) {
      EXPECT_EQ(closeTo(outs[k], tensorOf(m["outputs"][k])), "") << "output " << k;
    }
    // Every node's output, fetched by name: each op checked on its own.
    std::vector<std::string> names;
    for (const Json& n : m["nodes"]) names.push_back(n["name"]);
    const std::vector<Tensor> all = model.execute(feeds, names);
    ASSERT_EQ(all.size(), names.size());
    for (size_t k = 0; k < all.size(); ++k) {
      EXPECT_EQ(closeTo(all[k], tensorOf(m["nodes"][k])), "") << "node " << names[k];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Graph, GraphOracle, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Reference" : "Fast"; });

template <typename F>
std::pair<ErrorCode, std::string> errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::kIo, "no error"};
}

TEST(GraphModel, OpsNotRunYetAreRefusedAtLoadNamingThem) {
  const auto [code, message] = errorOf(
      [] { loadGraphModel((repoFixtures() / "graph_tfjs_move_lstm" / "model.json").string()); });
  EXPECT_EQ(code, ErrorCode::kUnsupported);
  EXPECT_THAT(message, HasSubstr("StatelessWhile (4 nodes"));
  EXPECT_THAT(message, HasSubstr("TensorListReserve"));
  const ModelArtifacts a =
      loadModel((repoFixtures() / "graph_tfjs_move_lstm" / "model.json").string());
  const auto missing = unsupportedGraphOps(a);
  EXPECT_EQ(missing.at("StatelessWhile").size(), 4u);
  EXPECT_FALSE(missing.count("MatMul"));
}

ModelArtifacts eyeblink() {
  return loadModel((repoFixtures() / "graph_eyeblink_uint16" / "model.json").string());
}

TEST(GraphModel, BadFeedsAndFetchesAreRefused) {
  const GraphModel model = GraphModel::fromArtifacts(eyeblink());
  const Tensor ok = zeros({1, 26, 34, 1});
  EXPECT_EQ(model.execute({{"input_1:0", ok}}).at(0).shape(), (std::vector<int64_t>{1, 1}));
  EXPECT_THAT(errorOf([&] {
                model.execute({{"input_1:0", zeros({1, 26, 34})}});
              }).second,
              HasSubstr("must be [-1,26,34,1], but was [1,26,34]"));
  EXPECT_THAT(errorOf([&] {
                model.execute({{"input_1:0", zeros({1, 26, 34, 1}, DType::kInt32)}});
              }).second,
              HasSubstr("dtype of input 'input_1' must be float32, but was int32"));
  EXPECT_THAT(errorOf([&] {
                model.execute({{"nope", ok}});
              }).second,
              HasSubstr("the input 'nope' is not part of the graph"));
  EXPECT_THAT(errorOf([&] {
                model.execute({{"input_1:0", ok}}, {"nope:0"});
              }).second,
              HasSubstr("the output 'nope:0' is not part of the graph"));
  EXPECT_THAT(errorOf([&] { model.execute({}); }).second, HasSubstr("missing input_1"));
  // An intermediate node can be fetched, as TF.js allows.
  const auto mid =
      model.execute({{"input_1:0", ok}}, {"StatefulPartitionedCall/model_1/flatten_1/Reshape"});
  EXPECT_EQ(mid.at(0).shape(), (std::vector<int64_t>{1, 1536}));
}

TEST(GraphModel, MalformedGraphsAreRefused) {
  {  // a Const whose weight is not in the manifest
    ModelArtifacts a = eyeblink();
    a.weightsManifest[0].weights[0].name = "renamed";
    const auto [code, message] = errorOf([&] { GraphModel::fromArtifacts(a); });
    EXPECT_EQ(code, ErrorCode::kSchema);
    EXPECT_THAT(
        message,
        HasSubstr("Const node 'StatefulPartitionedCall/model_1/conv2d_1/Conv2D/ReadVariableOp' has "
                  "no weight"));
  }
  {  // an input that names no node
    ModelArtifacts a = eyeblink();
    a.modelTopology["node"][12]["input"][0] = "ghost";
    const auto [code, message] = errorOf([&] { GraphModel::fromArtifacts(a); });
    EXPECT_EQ(code, ErrorCode::kSchema);
    EXPECT_THAT(message, HasSubstr("reads 'ghost', which is not a node of the graph"));
  }
  {  // a cycle: the first conv reads the last node
    ModelArtifacts a = eyeblink();
    Json& nodes = a.modelTopology["node"];
    for (Json& n : nodes) {
      if (n["name"] == "StatefulPartitionedCall/model_1/conv2d_1/BiasAdd")
        n["input"][0] = "Identity";
    }
    const GraphModel model = GraphModel::fromArtifacts(a);
    EXPECT_THAT(errorOf([&] {
                  model.execute({{"input_1:0", zeros({1, 26, 34, 1})}});
                }).second,
                HasSubstr("cycle"));
  }
  {  // a layers model
    ModelArtifacts a = eyeblink();
    a.format = "layers-model";
    const auto [code, message] = errorOf([&] { GraphModel::fromArtifacts(a); });
    EXPECT_EQ(code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(message, HasSubstr("not a graph model"));
  }
}

}  // namespace
}  // namespace tfjs
