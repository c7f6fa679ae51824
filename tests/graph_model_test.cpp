// Graph models (tfjs/graph_model.h) against the real TF.js, and bad graphs and feeds.
//
// tests/oracle/graph_cases.mjs (run by CTest as the `graph_cases` fixture) runs the real graph
// models of tests/fixtures/real with tf.loadGraphModel + model.execute on seeded inputs. Each must
// load here with the same inputNodes / outputNodes and give outputs, and every node's output
// fetched by name, within 1e-3 + 1e-3 * |TF.js| (the issue's tolerance), with the fast and with
// the reference kernels. Models that use ops not
// run yet must be refused at load, naming them; malformed graphs and feeds fail with precise
// errors. TFJS_GRAPH_CASES=DIR points the test at another output folder of the oracle script.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <set>

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

// An oracle tensor: float32, or int32 / bool written as int32 values; complex64 as float32 re, im
// interleaved; string as each element's uint32 LE byte length and bytes.
Tensor tensorOf(const Json& t) {
  const auto shape = t["shape"].get<std::vector<int64_t>>();
  if (t["dtype"] == "float32") return test::tensorFromHex(DType::kFloat32, shape, t["hex"]);
  if (t["dtype"] == "complex64") return test::tensorFromHex(DType::kComplex64, shape, t["hex"]);
  if (t["dtype"] == "string") {
    const std::string hex = t["hex"];
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes.push_back(static_cast<char>(std::stoul(hex.substr(i, 2), nullptr, 16)));
    }
    std::vector<std::string> strings;
    for (size_t at = 0; at + 4 <= bytes.size();) {
      uint32_t n = 0;
      for (int b = 3; b >= 0; --b) n = n << 8 | static_cast<uint8_t>(bytes[at + b]);
      strings.push_back(bytes.substr(at + 4, n));
      at += 4 + n;
    }
    return Tensor(shape, strings);
  }
  const Tensor ints = test::tensorFromHex(DType::kInt32, shape, t["hex"]);
  if (t["dtype"] == "int32") return ints;
  return tensor(ints.ints(), shape, DType::kBool);
}

// "" when every element is within 1e-3 + 1e-3 * |want| (NaN matches NaN), else the first miss.
std::string closeTo(const Tensor& ours, const Tensor& want) {
  if (ours.shape() != want.shape() || ours.dtype() != want.dtype()) {
    return fmt::format("shape/dtype [{}] {}, TF.js [{}] {}", fmt::join(ours.shape(), ","),
                       dtypeName(ours.dtype()), fmt::join(want.shape(), ","),
                       dtypeName(want.dtype()));
  }
  if (want.dtype() == DType::kString) {  // strings exact
    for (size_t i = 0; i < want.strings().size(); ++i) {
      if (ours.strings()[i] != want.strings()[i]) {
        return fmt::format("element {}: ours '{}', TF.js '{}'", i, ours.strings()[i],
                           want.strings()[i]);
      }
    }
    return "";
  }
  const auto a = ours.dataSync(), b = want.dataSync();
  for (size_t i = 0; i < b.size(); ++i) {
    if (std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (a[i] == b[i]) continue;  // equal infinities too
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
    if (names.empty()) continue;  // TF.js could not fetch them (nodesError)
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

// FaceBoxes with its TensorArrayV3 nodes turned into an op tfjs-cpp does not run (TF Decision
// Forests' SimpleMLCreateModelResource, which TF.js runs only with tfjs-tfdf).
ModelArtifacts faceboxesWithUnknownOps() {
  ModelArtifacts a =
      loadModel((repoFixtures() / "graph_faceboxes_float16" / "faceboxes.json").string());
  for (Json& n : a.modelTopology["node"]) {
    if (n["op"] == "TensorArrayV3") n["op"] = "SimpleMLCreateModelResource";
  }
  return a;
}

TEST(GraphModel, OpsNotRunAreRefusedAtLoadNamingThem) {
  const ModelArtifacts a = faceboxesWithUnknownOps();
  const auto [code, message] = errorOf([&] { GraphModel::fromArtifacts(a); });
  EXPECT_EQ(code, ErrorCode::kUnsupported);
  EXPECT_THAT(message, HasSubstr("SimpleMLCreateModelResource (5 nodes"));
  const auto missing = unsupportedGraphOps(a);
  EXPECT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing.at("SimpleMLCreateModelResource").size(), 5u);
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

namespace tfjs {
namespace {

// The command: predict on a graph model with the oracle's input gives TF.js's output; inspect
// says whether a graph model runs natively; a model with ops not run yet fails with exit 1.
TEST(GraphModelCli, PredictInspectAndRefusal) {
  const Json& o = oracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_cases.mjs)";
  const Json* rn = nullptr;
  for (const Json& m : o["models"]) {
    if (m["model"] == "graph_tfjs_rn_dense/model.json") rn = &m;
  }
  ASSERT_NE(rn, nullptr);
  test::TempDir tmp;
  writeNpy(tensorOf((*rn)["inputs"][0]), (tmp / "x.npy").string());
  const fs::path model = repoFixtures() / "graph_tfjs_rn_dense";
  const auto r =
      test::runCli("predict " + test::quote(model) + " --input " + test::quote(tmp / "x.npy") +
                   " --output " + test::quote(tmp / "y.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(closeTo(readNpy((tmp / "y.npy").string()), tensorOf((*rn)["outputs"][0])), "");
  const auto json = test::runCli(
      "predict " + test::quote(model) + " --input " + test::quote(tmp / "x.npy") +
      " --outputs StatefulPartitionedCall/sequential/dense_Dense2/MatMul,Identity --json");
  ASSERT_EQ(json.exitCode, 0) << json.out;
  const Json outs = Json::parse(json.out);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0]["name"], "StatefulPartitionedCall/sequential/dense_Dense2/MatMul");
  EXPECT_EQ(outs[1]["name"], "Identity");

  const auto yes = test::runCli("inspect --summary " + test::quote(model));
  EXPECT_THAT(yes.out, HasSubstr("runs natively: yes"));
  // FaceBoxes (v1 loops, TensorArrayV3) runs; a copy with an op tfjs-cpp does not run is
  // reported and refused.
  const fs::path faceboxes = repoFixtures() / "graph_faceboxes_float16" / "faceboxes.json";
  EXPECT_THAT(test::runCli("inspect --summary " + test::quote(faceboxes)).out,
              HasSubstr("runs natively: yes"));
  const fs::path unknown = tmp / "unknown";
  fs::create_directories(unknown);
  fs::copy_file(faceboxes.parent_path() / "faceboxes.bin", unknown / "faceboxes.bin");
  ModelArtifacts a = faceboxesWithUnknownOps();
  Json doc = Json::parse(test::readText(faceboxes));
  doc["modelTopology"] = a.modelTopology;
  test::writeText(unknown / "faceboxes.json", doc.dump());
  const auto no =
      test::runCli("inspect --summary --json " + test::quote(unknown / "faceboxes.json"));
  const Json j = Json::parse(no.out);
  EXPECT_EQ(j["graph"]["runsNatively"], false);
  EXPECT_EQ(j["graph"]["unsupportedOps"]["SimpleMLCreateModelResource"].size(), 5u);
  const auto refused = test::runCli("predict " + test::quote(unknown / "faceboxes.json") +
                                    " --input '[[[[1,2,3]]]]'");
  EXPECT_EQ(refused.exitCode, 1) << refused.out;
  EXPECT_THAT(refused.out,
              HasSubstr("[unsupported] this graph model uses ops tfjs-cpp does not run yet"));
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// tests/oracle/graph_op_cases.mjs: small graph models of one op or a few, with attribute
// variants, run by the real TF.js; each output within the issue's tolerance (fast and
// reference kernels), a case TF.js refuses refused here too.
const Json& opOracle() {
  return test::graphOpCases();
}

ModelArtifacts artifactsOf(const Json& c) {
  return test::graphCaseArtifacts(c);
}

class GraphOpOracle : public ::testing::TestWithParam<bool> {};

TEST_P(GraphOpOracle, EveryCaseMatchesTfjs) {
  const Json& o = opOracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_op_cases.mjs)";
  // A run of some families only (graph_op_cases.mjs OUTDIR FAMILY..., while working on them).
  const bool partial = o.value("partial", false);
  if (!partial) {
    ASSERT_GE(o["cases"].size(), 100u);
  }
  GraphModelOptions options;
  options.referenceKernels = GetParam();
  std::set<std::string> ops;
  for (const Json& c : o["cases"]) {
    SCOPED_TRACE(c["case"].get<std::string>());
    std::map<std::string, Tensor> feeds;
    for (const Json& in : c["inputs"]) feeds.emplace(in["name"].get<std::string>(), tensorOf(in));
    const auto fetch = c["fetch"].get<std::vector<std::string>>();
    if (c.contains("error")) {
      EXPECT_ANY_THROW(GraphModel::fromArtifacts(artifactsOf(c), options).execute(feeds, fetch))
          << "TF.js: " << c["error"];
      continue;
    }
    std::vector<Tensor> outs;
    ASSERT_NO_THROW(outs =
                        GraphModel::fromArtifacts(artifactsOf(c), options).execute(feeds, fetch));
    ASSERT_EQ(outs.size(), c["outputs"].size());
    for (size_t k = 0; k < outs.size(); ++k) {
      const Tensor want = tensorOf(c["outputs"][k]);
      if (c.value("check", "") == "shape") {  // TF.js drew the values unseeded: dtype, shape, range
        EXPECT_EQ(outs[k].dtype(), want.dtype()) << fetch[k];
        EXPECT_EQ(outs[k].shape(), want.shape()) << fetch[k];
        const double lo = c["range"][0], hi = c["range"][1];
        for (const double v : outs[k].dataSync()) {
          EXPECT_TRUE(v >= lo && v <= hi) << fetch[k] << ": " << v << " outside the range";
        }
        continue;
      }
      EXPECT_EQ(closeTo(outs[k], want), "") << fetch[k];
    }
    ops.insert(c["op"].get<std::string>());
  }
  if (!partial) {
    EXPECT_GE(ops.size(), 50u);
  }
}

INSTANTIATE_TEST_SUITE_P(Graph, GraphOpOracle, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Reference" : "Fast"; });

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// A While that would run past GraphModelOptions::maxLoopIterations stops with an error naming
// it; a call of a function the library lacks is refused, naming it.
TEST(GraphModel, LoopLimitAndUnknownFunctions) {
  const Json& o = opOracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_op_cases.mjs)";
  const Json* loop = nullptr;
  for (const Json& c : o["cases"]) {
    if (c["case"] == "StatelessWhile") loop = &c;
  }
  ASSERT_NE(loop, nullptr);
  const std::map<std::string, Tensor> feeds = {{"x", zeros({2, 3})}};
  GraphModelOptions options;
  options.maxLoopIterations = 3;  // the loop runs 3 times: allowed
  EXPECT_NO_THROW(GraphModel::fromArtifacts(artifactsOf(*loop), options).execute(feeds, {"w:3"}));
  options.maxLoopIterations = 2;
  const auto [code, message] = errorOf(
      [&] { GraphModel::fromArtifacts(artifactsOf(*loop), options).execute(feeds, {"w:3"}); });
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("node 'w' (StatelessWhile): the loop ran past 2 iterations"));

  ModelArtifacts a = artifactsOf(*loop);
  for (Json& n : a.modelTopology["node"]) {
    if (n["name"] == "w") n["attr"]["body"]["func"]["name"] = "nobody";
  }
  const GraphModel broken = GraphModel::fromArtifacts(a);
  EXPECT_THAT(errorOf([&] { broken.execute(feeds, {"w:3"}); }).second,
              HasSubstr("it calls 'nobody', which is not a function of the graph's library"));

  // A body that runs the loop again itself: refused at the call-depth limit, not a stack
  // overflow.
  ModelArtifacts recursive = artifactsOf(*loop);
  for (Json& f : recursive.modelTopology["library"]["function"]) {
    if (f["signature"]["name"] != "body") continue;
    Json again = {{"name", "again"},
                  {"op", "StatelessWhile"},
                  {"input", {"i", "n", "one", "x"}},
                  {"attr", recursive.modelTopology["node"].back()["attr"]}};
    f["nodeDef"].push_back(again);
    f["ret"]["x2"] = "again:output:3";
  }
  const auto [rcode, rmessage] =
      errorOf([&] { GraphModel::fromArtifacts(recursive).execute(feeds, {"w:3"}); });
  EXPECT_EQ(rcode, ErrorCode::kInvalidArgument);
  EXPECT_THAT(rmessage, HasSubstr("function calls nest deeper than 64"));
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// A padding (or resize) whose result would exceed the element limit is refused before anything
// is allocated.
TEST(GraphModel, OversizedResultsAreRefused) {
  const Json& o = opOracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_op_cases.mjs)";
  const Json* pad = nullptr;
  for (const Json& c : o["cases"]) {
    if (c["case"] == "Pad") pad = &c;
  }
  ASSERT_NE(pad, nullptr);
  ModelArtifacts a = artifactsOf(*pad);
  const int32_t huge = 1 << 30;  // paddings [[2^30, 0], [2^30, 1]]: far over 2^30 elements
  for (const size_t at : {size_t{0}, size_t{8}}) {
    std::memcpy(a.weightData.mutableData() + at, &huge, sizeof huge);
  }
  const auto [code, message] = errorOf([&] {
    GraphModel::fromArtifacts(a).execute({{"x", zeros({2, 3})}}, {"y"});
  });
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("over the limit"));
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// A graph model of the nodes given (JSON), no weights.
GraphModel graphOf(const std::string& nodes, GraphModelOptions options = {}) {
  const std::string json = R"({"format": "graph-model", "modelTopology": {"node": )" + nodes +
                           R"(}, "weightsManifest": []})";
  return GraphModel::fromArtifacts(parseModelJson(json), options);
}

// TensorFlow 1 loops stop at GraphModelOptions::maxLoopIterations; an Exit or NextIteration
// outside every frame and frames nested without end are refused, naming the node.
TEST(GraphModel, FrameLimits) {
  const Json& o = opOracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_op_cases.mjs)";
  const Json* loop = nullptr;
  for (const Json& c : o["cases"]) {
    if (c["case"] == "while loop 3 iterations") loop = &c;
  }
  ASSERT_NE(loop, nullptr);
  const std::map<std::string, Tensor> feeds = {{"x", zeros({2, 3})},
                                               {"n", tensor({3}, {}, DType::kInt32)}};
  GraphModelOptions options;
  options.maxLoopIterations = 3;
  EXPECT_NO_THROW(GraphModel::fromArtifacts(artifactsOf(*loop), options).execute(feeds));
  options.maxLoopIterations = 2;
  const auto [code, message] = errorOf([&] {
    GraphModel::fromArtifacts(artifactsOf(*loop), options).execute(feeds, {"loop/exit_x"});
  });
  EXPECT_EQ(code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(message, HasSubstr("node 'loop/next_"));
  EXPECT_THAT(message, HasSubstr("the loop 'loop' ran past 2 iterations"));

  const std::string x =
      R"({"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}})";
  EXPECT_THAT(errorOf([&] {
                graphOf("[" + x + R"(, {"name": "out", "op": "Exit", "input": ["x"]}])")
                    .execute({{"x", zeros({2})}}, {"out"});
              }).second,
              HasSubstr("node 'out' (Exit): it is outside every loop frame"));
  // Merge -> Enter -> NextIteration -> Merge: every turn enters the frame once more.
  EXPECT_THAT(errorOf([&] {
                graphOf("[" + x + R"(,
                  {"name": "m", "op": "Merge", "input": ["x", "n"]},
                  {"name": "e", "op": "Enter", "input": ["m"],
                   "attr": {"frame_name": {"s": "Zg=="}}},
                  {"name": "n", "op": "NextIteration", "input": ["e"]},
                  {"name": "out", "op": "Exit", "input": ["e"]}])")
                    .execute({{"x", zeros({2})}}, {"out"});
              }).second,
              HasSubstr("loop frames nest deeper than 100"));
  // An input past any output count (in a graph with frames): that reader never runs.
  EXPECT_THAT(errorOf([&] {
                graphOf("[" + x + R"(,
                  {"name": "p", "op": "Placeholder", "attr": {"dtype": {"type": "DT_BOOL"}}},
                  {"name": "sw", "op": "Switch", "input": ["x", "p"]},
                  {"name": "y", "op": "Identity", "input": ["sw:2000000000"]}])")
                    .execute({{"x", zeros({2})}, {"p", zeros({}, DType::kBool)}}, {"y"});
              }).second,
              HasSubstr("node 'y' output 0 was not computed"));
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// Every op of TF.js 4.22's op list (tfjs-converter's op_list/*.ts, read by the oracle script)
// runs here and has an oracle case, but TF Decision Forests' three ops, which TF.js itself
// runs only with @tensorflow/tfjs-tfdf (a WebAssembly inference engine).
TEST(GraphModel, EveryOpOfTfjsOpListRunsAndHasAnOracleCase) {
  const Json& o = opOracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_op_cases.mjs)";
  if (o.value("partial", false) || !o.contains("opList")) GTEST_SKIP() << "a partial oracle run";
  const std::set<std::string> notRun = {"SimpleMLCreateModelResource",
                                        "SimpleMLLoadModelFromPathWithHandle",
                                        "SimpleMLInferenceOpWithHandle"};
  std::set<std::string> withCase;
  for (const Json& c : o["cases"]) {
    const Json m = Json::parse(c["modelJson"].get<std::string>());
    for (const Json& n : m["modelTopology"]["node"]) withCase.insert(n["op"].get<std::string>());
    if (m["modelTopology"].contains("library")) {
      for (const Json& f : m["modelTopology"]["library"]["function"]) {
        for (const Json& n : f.value("nodeDef", Json::array())) {
          withCase.insert(n["op"].get<std::string>());
        }
      }
    }
  }
  Json nodes = Json::array();
  size_t count = 0;
  for (const auto& [family, ops] : o["opList"].items()) {
    for (const Json& op : ops) {
      const std::string name = op;
      ++count;
      if (notRun.count(name)) continue;
      nodes.push_back({{"name", family + "/" + name}, {"op", name}});
      EXPECT_TRUE(withCase.count(name)) << name << " (" << family << ") has no oracle case";
    }
  }
  EXPECT_GE(count, 240u);
  ModelArtifacts a = parseModelJson(Json{
      {"format", "graph-model"},
      {"modelTopology", {{"node", nodes}}},
      {"weightsManifest",
       Json::array()}}.dump());
  const auto missing = unsupportedGraphOps(a);
  for (const auto& [op, where] : missing) ADD_FAILURE() << op << " does not run";
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// tfjs convert re-quantizes and re-shards a graph model (which tensorflowjs_converter cannot do
// without its SavedModel): FaceBoxes (float16) to uint8 in 200 kB shards. The real TF.js loads
// the result and computes what tfjs-cpp computes from it; its signature and topology are kept.
TEST(GraphModelCli, ConvertRequantizesAndReshardsAGraphModel) {
  const fs::path faceboxes = repoFixtures() / "graph_faceboxes_float16" / "faceboxes.json";
  test::TempDir tmp;
  const fs::path out = tmp / "uint8";
  const auto r = test::runCli("convert " + quote(faceboxes) + " " + quote(out) +
                              " --quantize_uint8 --weight_shard_size_bytes 200000 --json");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(Json::parse(r.out)["inputFormat"], "tfjs_graph_model");
  const Json before = Json::parse(test::readText(faceboxes));
  const Json after = Json::parse(test::readText(out / "model.json"));
  EXPECT_EQ(after["format"], "graph-model");
  EXPECT_EQ(after["signature"], before["signature"]);
  EXPECT_EQ(after["modelTopology"], before["modelTopology"]);
  size_t shards = 0, uint8s = 0;
  for (const auto& e : fs::directory_iterator(out)) {
    if (e.path().extension() != ".bin") continue;
    ++shards;
    EXPECT_LE(fs::file_size(e.path()), 200000u) << e.path();
  }
  EXPECT_GE(shards, 5u);
  for (const Json& w : after["weightsManifest"][0]["weights"]) {
    if (w.contains("quantization") && w["quantization"]["dtype"] == "uint8") ++uint8s;
  }
  EXPECT_GE(uint8s, 60u);

  // The same input through the real TF.js and through tfjs-cpp, both on the converted model.
  std::vector<int32_t> pixels(128 * 128 * 3);  // an int32 image, as FaceBoxes takes
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<int32_t>((i * 37) % 256);
  const Tensor x = tensor(std::span<const int32_t>(pixels), {1, 128, 128, 3}, DType::kInt32);
  std::string hex;
  for (size_t i = 0; i < x.byteLength(); ++i) hex += fmt::format("{:02x}", x.bytes()[i]);
  Json feed = Json::object();
  feed["dtype"] = "int32";
  feed["shape"] = x.shape();
  feed["hex"] = hex;
  Json feeds = Json::object();
  feeds["image_tensor"] = feed;
  test::writeText(tmp / "in.json", feeds.dump());
  const std::string cmd = std::string("'") + TFJS_NODE + "' '" + TFJS_SOURCE_DIR +
                          "/tests/oracle/graph_predict.mjs' " + quote(out) + " " +
                          quote(tmp / "in.json") + " 2>&1";
  std::string text;
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  const bool ran = ::pclose(p) == 0;
  if (!ran && !fs::exists(fs::path(TFJS_SOURCE_DIR) / "tests/oracle/node_modules/@tensorflow")) {
    GTEST_SKIP() << "SKIPPED: no TF.js (run npm ci in tests/oracle)";
  }
  ASSERT_TRUE(ran) << text;
  const Json theirs = Json::parse(text.substr(text.find('[')));
  const GraphModel model = loadGraphModel((out / "model.json").string());
  const std::vector<Tensor> ours = model.execute({{"image_tensor", x}});
  ASSERT_EQ(ours.size(), theirs.size());
  for (size_t k = 0; k < ours.size(); ++k) {
    EXPECT_EQ(closeTo(ours[k], tensorOf(theirs[k])), "") << theirs[k]["name"];
  }
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// userDefinedMetadata.structuredOutputKeys (a SavedModel's dict outputs) names the outputs, as
// TF.js's execute names them; a malformed list is refused.
TEST(GraphModel, StructuredOutputKeysNameTheOutputs) {
  ModelArtifacts a = eyeblink();
  EXPECT_TRUE(GraphModel::fromArtifacts(a).structuredOutputKeys().empty());
  a.userDefinedMetadata = Json::object();
  a.userDefinedMetadata["structuredOutputKeys"] = {"blink"};
  EXPECT_EQ(GraphModel::fromArtifacts(a).structuredOutputKeys(), std::vector<std::string>{"blink"});
  a.userDefinedMetadata["structuredOutputKeys"] = {1};
  EXPECT_EQ(errorOf([&] { GraphModel::fromArtifacts(a); }).first, ErrorCode::kSchema);

  test::TempDir tmp;
  const fs::path src = repoFixtures() / "graph_eyeblink_uint16";
  fs::copy(src, tmp / "m", fs::copy_options::recursive);
  Json doc = Json::parse(test::readText(tmp / "m" / "model.json"));
  doc["userDefinedMetadata"] = {{"structuredOutputKeys", {"blink"}}};
  test::writeText(tmp / "m" / "model.json", doc.dump());
  writeNpy(zeros({1, 26, 34, 1}), (tmp / "x.npy").string());
  const auto r =
      test::runCli("predict " + quote(tmp / "m") + " --input " + quote(tmp / "x.npy") + " --json");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(Json::parse(r.out)[0]["name"], "blink");
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// Placeholders for `feeds` (in order) and one node `y` of `op` with `attr` (JSON) taking them;
// its outputs y:0 .. y:outputs-1.
std::vector<Tensor> runOneNode(const std::string& op, const std::string& attr,
                               const std::vector<std::pair<std::string, Tensor>>& feeds,
                               size_t outputs = 1) {
  Json nodes = Json::array(), inputs = Json::array();
  std::map<std::string, Tensor> byName;
  for (const auto& [name, t] : feeds) {
    const std::string dt = t.dtype() == DType::kFloat32  ? "DT_FLOAT"
                           : t.dtype() == DType::kString ? "DT_STRING"
                                                         : "DT_INT32";
    nodes.push_back(Json::parse(fmt::format(
        R"({{"name": "{}", "op": "Placeholder", "attr": {{"dtype": {{"type": "{}"}}}}}})", name,
        dt)));
    inputs.push_back(name);
    byName.emplace(name, t);
  }
  nodes.push_back({{"name", "y"}, {"op", op}, {"input", inputs}, {"attr", Json::parse(attr)}});
  std::vector<std::string> fetch;
  for (size_t k = 0; k < outputs; ++k) fetch.push_back(fmt::format("y:{}", k));
  return graphOf(nodes.dump()).execute(byName, fetch);
}

Tensor i32(const std::vector<int32_t>& v, std::vector<int64_t> shape) {
  return tensor(std::span<const int32_t>(v), std::move(shape));
}

// The ragged ops where TF.js's kernels are wrong (see tests/oracle/graph_ops/text.mjs) compute
// TensorFlow's results, and bad ragged inputs are refused naming the node, never a crash or an
// allocation past the element limit; every ragged case TF.js refuses is refused so (string
// values as unsupported, the others as invalid).
TEST(GraphModel, RaggedOpsFollowTensorFlowAndRefuseBadInputs) {
  const std::string splits = R"({"row_partition_types": {"list": {"s": ["Uk9XX1NQTElUUw=="]}}})";
  const std::string rowIds =
      R"({"row_partition_types": {"list": {"s": ["RklSU1RfRElNX1NJWkU=", "VkFMVUVfUk9XSURT"]}}})";
  const auto toTensor = [&](const Tensor& shape, const Tensor& values, const Tensor& dflt,
                            std::vector<Tensor> parts, const std::string& attr) {
    std::vector<std::pair<std::string, Tensor>> feeds = {
        {"shape", shape}, {"values", values}, {"default", dflt}};
    for (size_t k = 0; k < parts.size(); ++k) feeds.emplace_back(fmt::format("p{}", k), parts[k]);
    return runOneNode("RaggedTensorToTensor", attr, feeds).at(0);
  };
  const auto expectTensor = [](const Tensor& t, std::vector<int64_t> shape,
                               std::vector<float> values) {
    EXPECT_EQ(t.shape(), shape);
    EXPECT_EQ(t.dataSync(), values);
  };
  const Tensor rows = i32({0, 1, 3}, {3});
  // A scalar -1 shape (unknown rank; TF.js: "incompatible", rank 0), an inner dimension left -1
  // (TF.js: "Dimension -1 must be >= 0") or given (TF.js: shape [2, 1, 3, 3] and NaNs).
  expectTensor(toTensor(i32({-1}, {}), tensor({1, 2, 3}), scalar(0), {rows}, splits), {2, 2},
               {1, 0, 2, 3});
  expectTensor(toTensor(i32({-1, -1, -1}, {3}), tensor({1, 2, 3, 4, 5, 6}, {3, 2}), scalar(0),
                        {rows}, splits),
               {2, 2, 2}, {1, 2, 0, 0, 3, 4, 5, 6});
  expectTensor(toTensor(i32({-1, -1, 3}, {3}), tensor({1, 2, 3, 4, 5, 6}, {2, 3}), scalar(0),
                        {i32({0, 1, 2}, {3})}, splits),
               {2, 1, 3}, {1, 2, 3, 4, 5, 6});
  // Non-scalar defaults pad (TF.js: 0), broadcast right aligned over an element.
  expectTensor(toTensor(i32({-1, -1, 2}, {3}), tensor({1, 2, 3, 4, 5, 6}, {3, 2}),
                        tensor({7, 8}, {2}), {rows}, splits),
               {2, 2, 2}, {1, 2, 7, 8, 3, 4, 5, 6});
  expectTensor(toTensor(i32({-1, -1, 2, 3}, {4}), tensor({1, 2, 3, 4, 5, 6}, {1, 2, 3}),
                        tensor({7, 8}, {2, 1}), {i32({0, 0, 1}, {3})}, splits),
               {2, 1, 2, 3}, {7, 7, 7, 8, 8, 8, 1, 2, 3, 4, 5, 6});
  // A huge first_dim_size cut by the shape: no list of its rows is made.
  expectTensor(toTensor(i32({2, -1}, {2}), tensor({1, 2, 3}), scalar(0),
                        {i32({2147483647}, {}), i32({0, 0, 1}, {3})}, rowIds),
               {2, 2}, {1, 2, 3, 0});
  const auto refused = [](auto&& run, const std::string& what) {
    const auto [code, message] = errorOf(run);
    EXPECT_EQ(code, ErrorCode::kInvalidArgument) << message;
    EXPECT_THAT(message, HasSubstr("node 'y'")) << what;
    EXPECT_THAT(message, HasSubstr(what));
  };
  const auto gather = [&](std::vector<std::pair<std::string, Tensor>> feeds,
                          const std::string& attr = "{}") {
    return [=] { runOneNode("RaggedGather", attr, feeds, feeds.size() - 1); };
  };
  // Splits pointing past the next level's rows (TF.js checks against its length and reads past
  // it), an output over the element limit, an OUTPUT_RAGGED_RANK that is not the output's.
  refused(gather({{"s0", i32({0, 2, 4}, {3})},
                  {"s1", i32({0, 1, 3, 6}, {4})},
                  {"v", tensor({1, 2, 3, 4, 5, 6})},
                  {"i", i32({1}, {1})}}),
          "Ragged splits must not point past values");
  const std::vector<int32_t> zeros2M(2'000'000, 0);
  refused(gather({{"s", i32({0, 1000}, {2})},
                  {"v", zeros({1000})},
                  {"i", tensor(std::span<const int32_t>(zeros2M), {2'000'000})}}),
          "output values, over the limit");
  refused(gather({{"s", i32({0, 1}, {2})}, {"v", zeros({1})}, {"i", i32({0}, {1})}},
                 R"({"OUTPUT_RAGGED_RANK": {"i": "2"}})"),
          "OUTPUT_RAGGED_RANK is 2, the output has ragged rank 1");
  const auto range = [&](Tensor s, Tensor l, Tensor d) {
    return [=] { runOneNode("RaggedRange", "{}", {{"s", s}, {"l", l}, {"d", d}}, 2); };
  };
  refused(range(i32({0}, {}), i32({2000000000}, {}), i32({1}, {})), "the element limit");
  refused(range(scalar(0), scalar(NAN), scalar(1)), "a range with a NaN bound");
  const auto convert = [&](Tensor shape, Tensor values, Tensor dflt, std::vector<Tensor> parts,
                           const std::string& attr) {
    return [=] { toTensor(shape, values, dflt, parts, attr); };
  };
  refused(convert(i32({1 << 20, 1 << 20}, {2}), tensor({1, 2, 3}), scalar(0), {rows}, splits),
          "over the limit");
  refused(convert(i32({-1, -1}, {2}), tensor({1, 2, 3, 4, 5}), scalar(0), {rows}, splits),
          "the row partitions describe 3 values, not 5");
  refused(convert(i32({-1, -1}, {2}), tensor({1, 2, 3}), scalar(0),
                  {i32({2}, {}), i32({1, 0, 1}, {3})}, rowIds),
          "value_rowids[1] = 0 is out of order");
  refused(convert(i32({-1, -1}, {2}), tensor({1, 2, 3}), scalar(0),
                  {i32({2}, {}), i32({-1, 0, 1}, {3})}, rowIds),
          "value_rowids[0] = -1");
  refused(convert(i32({-1, -1, 2, 3}, {4}), zeros({1, 2, 3}), tensor({7, 8}, {2}),
                  {i32({0, 1}, {2})}, splits),
          "default_value shape [2] is incompatible with values [1,2,3]");

  const Json& o = opOracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_op_cases.mjs)";
  size_t checked = 0;
  for (const Json& c : o["cases"]) {
    if (c["op"].get<std::string>().rfind("Ragged", 0) != 0 || !c.contains("error")) continue;
    SCOPED_TRACE(c["case"].get<std::string>());
    std::map<std::string, Tensor> feeds;
    for (const Json& in : c["inputs"]) feeds.emplace(in["name"].get<std::string>(), tensorOf(in));
    const auto [code, message] =
        errorOf([&] { GraphModel::fromArtifacts(artifactsOf(c)).execute(feeds, c["fetch"]); });
    EXPECT_TRUE(code == ErrorCode::kInvalidArgument || code == ErrorCode::kUnsupported) << message;
    EXPECT_THAT(message, HasSubstr("node 'y' (Ragged"));
    ++checked;
  }
  if (!o.value("partial", false) || checked > 0) {
    EXPECT_GE(checked, 20u);
  }
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// tfjs predict takes string inputs as JSON strings and prints string outputs as strings
// (TF.js's StringSplit, from the per-op oracle).
TEST(GraphModelCli, StringInputsAndOutputs) {
  const Json& o = opOracle();
  if (o.is_null()) GTEST_SKIP() << "SKIPPED: no TF.js oracle output (graph_op_cases.mjs)";
  const Json* split = nullptr;
  for (const Json& c : o["cases"]) {
    if (c["case"] == "StringSplit space") split = &c;
  }
  ASSERT_NE(split, nullptr);
  test::TempDir tmp;
  const ModelArtifacts a = artifactsOf(*split);
  SaveOptions save;
  saveModel(a, (tmp / "m").string(), save);
  const auto r =
      test::runCli("predict " + quote(tmp / "m") +
                   R"( --input x='["a b","c d e","","f"]' --input d='" "')" + " --outputs y:1,y:2");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  const Json outs = Json::parse(r.out);
  EXPECT_EQ(outs[0]["dtype"], "string");
  EXPECT_EQ(outs[0]["values"], Json({"a", "b", "c", "d", "e", "f"}));
  EXPECT_EQ(outs[1]["values"], Json({4, 3}));
  const auto mixed = test::runCli("predict " + quote(tmp / "m") +
                                  R"( --input x='["a",1,"b","c"]' --input d='" "')");
  EXPECT_EQ(mixed.exitCode, 2) << mixed.out;
  EXPECT_THAT(mixed.out, HasSubstr("[1] is a number among strings"));
}

}  // namespace
}  // namespace tfjs
