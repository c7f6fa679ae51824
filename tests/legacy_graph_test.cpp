// The tfjs-converter 0.x graph format (tensorflowjs_model.pb + weights_manifest.json) read by
// loadModel (io/legacy_graph.h, format/graph_def_pb.h).
//
// No public 0.x model is licensed for redistribution (the ~30 repositories holding a
// tensorflowjs_model.pb have no licence), so the 0.x folders are made here from real graph
// models (tests/fixtures/real, MIT / Apache-2.0): their topology written back as a binary GraphDef
// beside their manifest and shards. The references are the real things: the old converter's own
// protobuf decoder (@tensorflow/tfjs-converter 0.8.4, tests/oracle/legacy_graph.mjs) reads the
// same .pb, and TF.js 4.22 runs the model that `tfjs convert` makes of the 0.x folder.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "format/graph_def_pb.h"
#include "src/format/proto/graph_def.pb.h"
#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

fs::path repoFixtures() {
  return fs::path(TFJS_SOURCE_DIR) / "tests" / "fixtures" / "real";
}

// The first difference between two JSON values ("" when none): objects compared as key sets
// (attribute order is the writer's), numbers by value (the converter's 0.2 is protobuf's 0.2), or
// with `asFloat32` as float32 values (the 0.x decoder gives AttrValue.f's float as a JS number).
std::string difference(const Json& ours, const Json& want, const std::string& at = "",
                       bool asFloat32 = false) {
  if (ours.is_number() && want.is_number()) {
    const double a = ours.get<double>(), b = want.get<double>();
    if (asFloat32 ? static_cast<float>(a) == static_cast<float>(b) : a == b) return "";
    return fmt::format("{}: ours {}, theirs {}", at, ours.dump(), want.dump());
  }
  if (ours.is_string() && want.is_number_integer()) {
    // The 0.x decoder's DataType enum ends at DT_BFLOAT16 (14) and the _REF types: it gives the
    // number of a later type (DT_HALF, DT_RESOURCE, ...), which the name must have.
    format::proto::DataType id;
    if (format::proto::DataType_Parse(ours.get<std::string>(), &id) && id == want.get<int>()) {
      return "";
    }
  }
  if (ours.type() != want.type()) {
    return fmt::format("{}: ours {}, theirs {}", at, ours.dump().substr(0, 200),
                       want.dump().substr(0, 200));
  }
  if (ours.is_object()) {
    for (const auto& [k, v] : want.items()) {
      if (!ours.contains(k)) return fmt::format("{}.{}: missing in ours", at, k);
      if (auto d = difference(ours[k], v, at + "." + k, asFloat32); !d.empty()) return d;
    }
    for (const auto& [k, v] : ours.items()) {
      if (!want.contains(k)) return fmt::format("{}.{}: only in ours ({})", at, k, v.dump());
    }
    return "";
  }
  if (ours.is_array()) {
    if (ours.size() != want.size()) {
      return fmt::format("{}: {} elements in ours, {} in theirs", at, ours.size(), want.size());
    }
    for (size_t i = 0; i < ours.size(); ++i) {
      if (auto d = difference(ours[i], want[i], fmt::format("{}[{}]", at, i), asFloat32);
          !d.empty()) {
        return d;
      }
    }
    return "";
  }
  return ours == want ? "" : fmt::format("{}: ours {}, theirs {}", at, ours.dump(), want.dump());
}

// Writes the graph model `json` (a real model.json) as a tfjs-converter 0.x folder `out`:
// tensorflowjs_model.pb, weights_manifest.json and copies of the shards. Returns the model.json.
Json writeLegacy(const fs::path& json, const fs::path& out) {
  const Json doc = Json::parse(test::readText(json));
  fs::create_directories(out);
  test::writeText(out / "tensorflowjs_model.pb",
                  format::graphDefFromJson(doc["modelTopology"], json.string()));
  test::writeText(out / "weights_manifest.json", doc["weightsManifest"].dump());
  for (const Json& group : doc["weightsManifest"]) {
    for (const Json& path : group["paths"]) {
      fs::copy_file(json.parent_path() / path.get<std::string>(), out / path.get<std::string>());
    }
  }
  return doc;
}

struct Case {
  const char* name;
  const char* json;   // the real graph model, under tests/fixtures/real
  const char* input;  // its input node
  std::vector<int64_t> shape;
  DType dtype;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"eyeblink", "graph_eyeblink_uint16/model.json", "input_1", {1, 26, 34, 1}, DType::kFloat32},
      {"faceboxes",
       "graph_faceboxes_float16/faceboxes.json",
       "image_tensor",
       {1, 128, 128, 3},
       DType::kInt32},
  };
  return all;
}

std::pair<ErrorCode, std::string> errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::kInvalidArgument, "no error"};
}

// node tests/oracle/SCRIPT ARGS: its stdout (stderr merged), and whether it succeeded.
std::pair<bool, std::string> runNode(const std::string& script, const std::string& args) {
  const std::string cmd = std::string("'") + TFJS_NODE + "' '" + TFJS_SOURCE_DIR +
                          "/tests/oracle/" + script + "' " + args + " 2>&1";
  std::string text;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {false, "popen failed"};
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  return {::pclose(p) == 0, text};
}

bool haveOracle() {
  return fs::exists(fs::path(TFJS_SOURCE_DIR) / "tests/oracle/node_modules/tfjs-converter-0x") &&
         fs::exists(fs::path(TFJS_SOURCE_DIR) / "tests/oracle/node_modules/@tensorflow/tfjs");
}

// The folder and the .pb path both load as the graph model they came from: same topology (in the
// converter's JSON spelling), same manifest, same weight bytes.
TEST(LegacyGraph, LoadsAsTheGraphModelItWasMadeFrom) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    test::TempDir tmp;
    const Json doc = writeLegacy(repoFixtures() / c.json, tmp / "old");
    const ModelArtifacts current = loadModel((repoFixtures() / c.json).string());
    for (const fs::path& where : {tmp / "old", tmp / "old" / "tensorflowjs_model.pb"}) {
      const ModelArtifacts a = loadModel(where.string());
      ASSERT_TRUE(a.format.has_value());
      EXPECT_EQ(*a.format, "graph-model");
      EXPECT_EQ(difference(a.modelTopology, doc["modelTopology"]), "");
      ASSERT_EQ(a.weightsManifest.size(), current.weightsManifest.size());
      ASSERT_EQ(a.weightData.size(), current.weightData.size());
      EXPECT_EQ(std::memcmp(a.weightData.data(), current.weightData.data(), a.weightData.size()),
                0);
    }
    // tfjs inspect and validate take the folder.
    auto r = test::runCli("validate " + quote(tmp / "old"));
    EXPECT_EQ(r.exitCode, 0) << r.out;
    r = test::runCli("inspect " + quote(tmp / "old"));
    EXPECT_EQ(r.exitCode, 0) << r.out;
    EXPECT_NE(r.out.find("graph"), std::string::npos) << r.out;
  }
}

// Every real graph model's topology (control flow, function library, every attribute kind) goes
// through the GraphDef proto and back unchanged: the proto has every field the converter writes.
TEST(LegacyGraph, EveryRealGraphTopologySurvivesTheBinaryForm) {
  const char* models[] = {"graph_eyeblink_uint16/model.json",
                          "graph_faceboxes_float16/faceboxes.json",
                          "graph_tfjs_rn_dense/model.json",
                          "graph_tfjs_e2e_dense/model/model.json",
                          "graph_tfjs_move_lstm/model.json",
                          "graph_tfjs_examples_prefetch/model.json",
                          "pair_pytraining_tiny_mnist_bn/web_model2/model.json",
                          "pair_keras3_cnn_to_graph_conv318/tfjs_model/model.json",
                          "tfjs_e2e_load_predict_data/graph_model/model.json"};
  size_t libraries = 0;
  for (const char* m : models) {
    SCOPED_TRACE(m);
    const Json topology = Json::parse(test::readText(repoFixtures() / m))["modelTopology"];
    const std::string pb = format::graphDefFromJson(topology, m);
    EXPECT_EQ(difference(format::graphDefToJson(pb, m), topology), "");
    libraries += topology.contains("library");
  }
  EXPECT_GE(libraries, 1u);  // graph_tfjs_move_lstm: While bodies in the library
}

// The old converter's own decoder (tfjs-converter 0.8.4's compiled GraphDef) reads the .pb into
// the nodes, inputs and attributes that tfjs-cpp reads from it.
TEST(LegacyGraph, TheOldConvertersDecoderReadsWhatWeRead) {
  if (!haveOracle()) GTEST_SKIP() << "SKIPPED: no tfjs-converter-0x (run npm ci in tests/oracle)";
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    test::TempDir tmp;
    writeLegacy(repoFixtures() / c.json, tmp / "old");
    const auto [ok, text] =
        runNode("legacy_graph.mjs", quote(tmp / "old" / "tensorflowjs_model.pb"));
    ASSERT_TRUE(ok) << text;
    const Json theirs = Json::parse(text);
    const ModelArtifacts ours = loadModel((tmp / "old").string());
    ASSERT_EQ(ours.modelTopology["node"].size(), theirs["node"].size());
    EXPECT_GT(theirs["node"].size(), 10u);
    EXPECT_EQ(difference(ours.modelTopology["node"], theirs["node"], "node", true), "");
    EXPECT_EQ(difference(ours.modelTopology["versions"], theirs["versions"], "versions", true), "");
  }
}

// tfjs convert re-writes the 0.x folder as a current graph model; the real TF.js 4.22 loads it
// and computes what tfjs-cpp computes from the 0.x folder.
TEST(LegacyGraph, ConvertedModelRunsInTfjsAsOursDoes) {
  if (!haveOracle()) GTEST_SKIP() << "SKIPPED: no TF.js (run npm ci in tests/oracle)";
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    test::TempDir tmp;
    const Json doc = writeLegacy(repoFixtures() / c.json, tmp / "old");
    // The 0.x folder is detected as a graph model (no --input_format).
    const auto r = test::runCli("convert " + quote(tmp / "old") + " " + quote(tmp / "new"));
    ASSERT_EQ(r.exitCode, 0) << r.out;
    const Json converted = Json::parse(test::readText(tmp / "new" / "model.json"));
    EXPECT_EQ(converted["format"], "graph-model");
    EXPECT_EQ(difference(converted["modelTopology"], doc["modelTopology"]), "");

    // A deterministic input: an image-like ramp.
    int64_t count = 1;
    for (int64_t d : c.shape) count *= d;
    Tensor x = c.dtype == DType::kInt32 ? zeros(c.shape, DType::kInt32) : zeros(c.shape);
    std::string hex;
    {
      std::vector<float> f(static_cast<size_t>(count));
      std::vector<int32_t> i(static_cast<size_t>(count));
      for (int64_t k = 0; k < count; ++k) {
        i[k] = static_cast<int32_t>((k * 37) % 256);
        f[k] = static_cast<float>(i[k]) / 255.0f;
      }
      x = c.dtype == DType::kInt32 ? tensor(std::span<const int32_t>(i), c.shape, DType::kInt32)
                                   : tensor(std::span<const float>(f), c.shape);
    }
    for (size_t k = 0; k < x.byteLength(); ++k) hex += fmt::format("{:02x}", x.bytes()[k]);
    Json feeds = Json::object();
    feeds[c.input] = {{"dtype", c.dtype == DType::kInt32 ? "int32" : "float32"},
                      {"shape", c.shape},
                      {"hex", hex}};
    test::writeText(tmp / "in.json", feeds.dump());
    const auto [ok, text] =
        runNode("graph_predict.mjs", quote(tmp / "new") + " " + quote(tmp / "in.json"));
    ASSERT_TRUE(ok) << text;
    const Json theirs = Json::parse(text.substr(text.find('[')));

    const GraphModel model = loadGraphModel((tmp / "old").string());
    const std::vector<Tensor> ours = model.execute({{c.input, x}});
    ASSERT_EQ(ours.size(), theirs.size());
    for (size_t k = 0; k < ours.size(); ++k) {
      SCOPED_TRACE(theirs[k]["name"].dump());
      const auto shape = theirs[k]["shape"].get<std::vector<int64_t>>();
      const Tensor want = theirs[k]["dtype"] == "float32"
                              ? test::tensorFromHex(DType::kFloat32, shape, theirs[k]["hex"])
                              : test::tensorFromHex(DType::kInt32, shape, theirs[k]["hex"]);
      ASSERT_EQ(ours[k].shape(), want.shape());
      const auto a = ours[k].dataSync(), b = want.dataSync();
      for (size_t i = 0; i < b.size(); ++i) {
        ASSERT_NEAR(a[i], b[i], 1e-4 + 1e-4 * std::fabs(b[i])) << "element " << i;
      }
    }
    // tfjs predict takes the 0.x folder too.
    writeNpy(x, (tmp / "x.npy").string());
    const auto p = test::runCli("predict " + quote(tmp / "old") + " --input " +
                                quote(tmp / "x.npy") + " --json");
    EXPECT_EQ(p.exitCode, 0) << p.out;
  }
}

// --- broken input: a precise Error, never a crash -------------------------------------------

struct LegacyGraphBroken : ::testing::Test {
  test::TempDir tmp;
  fs::path dir;
  std::string pb;
  void SetUp() override {
    dir = tmp / "old";
    writeLegacy(repoFixtures() / "graph_eyeblink_uint16" / "model.json", dir);
    pb = test::readText(dir / "tensorflowjs_model.pb");
  }
  void writePb(const std::string& bytes) { test::writeText(dir / "tensorflowjs_model.pb", bytes); }
  std::pair<ErrorCode, std::string> load(const LoadOptions& o = {}) {
    return errorOf([&] { loadModel(dir.string(), o); });
  }
};

TEST_F(LegacyGraphBroken, TruncatedGraphDefNamesTheCut) {
  writePb(pb.substr(0, pb.size() / 2));
  const auto [code, what] = load();
  EXPECT_EQ(code, ErrorCode::kTruncated) << what;
  EXPECT_NE(what.find("tensorflowjs_model.pb"), std::string::npos) << what;
  EXPECT_NE(what.find(fmt::format("file ends at {}", pb.size() / 2)), std::string::npos) << what;
  // validate reports it without throwing, and the command says so.
  const auto problems = validateModel(dir.string());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].code, ErrorCode::kTruncated);
  const auto r = test::runCli("validate " + quote(dir));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_NE(r.out.find("truncated"), std::string::npos) << r.out;
}

TEST_F(LegacyGraphBroken, EveryCutIsAnErrorNeverACrash) {
  for (size_t n = 1; n < pb.size(); n += std::max<size_t>(1, pb.size() / 97)) {
    writePb(pb.substr(0, n));
    const auto [code, what] = load();
    EXPECT_TRUE(code == ErrorCode::kTruncated || code == ErrorCode::kSchema) << n << ": " << what;
  }
}

TEST_F(LegacyGraphBroken, CorruptNodeIsNamed) {
  // The first node's body: after its tag (0x0a) and length varint, its own first tag byte
  // becomes 0x07 (field 0, wire type 7), which no message has.
  ASSERT_EQ(static_cast<uint8_t>(pb[0]), 0x0a);
  size_t at = 1;
  while (static_cast<uint8_t>(pb[at]) & 0x80) ++at;
  std::string bad = pb;
  bad[at + 1] = 0x07;
  writePb(bad);
  const auto [code, what] = load();
  EXPECT_EQ(code, ErrorCode::kSchema) << what;
  EXPECT_NE(what.find("node 1 of the GraphDef"), std::string::npos) << what;
}

TEST_F(LegacyGraphBroken, NotAGraphDef) {
  for (const std::string& bytes :
       {std::string(), std::string("hello, this is not a protobuf"),
        test::readText(repoFixtures() / "graph_eyeblink_uint16" / "model.json"),
        std::string("\x0a\x00", 2)}) {
    writePb(bytes);
    const auto [code, what] = load();
    EXPECT_EQ(code, ErrorCode::kSchema) << what;
  }
}

TEST_F(LegacyGraphBroken, GraphDefOverTheLimit) {
  LoadOptions o;
  o.maxModelJsonBytes = pb.size() - 1;
  const auto [code, what] = load(o);
  EXPECT_EQ(code, ErrorCode::kTooLarge) << what;
  EXPECT_NE(what.find("tensorflowjs_model.pb"), std::string::npos) << what;
}

TEST_F(LegacyGraphBroken, MissingManifest) {
  fs::remove(dir / "weights_manifest.json");
  const auto [code, what] = load();
  EXPECT_EQ(code, ErrorCode::kNotFound) << what;
  EXPECT_NE(what.find("weights_manifest.json"), std::string::npos) << what;
  EXPECT_EQ(errorOf([&] { loadModel((dir / "tensorflowjs_model.pb").string()); }).first,
            ErrorCode::kNotFound);
}

TEST_F(LegacyGraphBroken, ManifestNamingAMissingShard) {
  fs::remove(dir / "group1-shard1of1.bin");
  const auto [code, what] = load();
  EXPECT_EQ(code, ErrorCode::kNotFound) << what;
  EXPECT_NE(what.find("group1-shard1of1.bin"), std::string::npos) << what;
}

TEST_F(LegacyGraphBroken, ManifestThatIsNotAManifest) {
  test::writeText(dir / "weights_manifest.json", "[{\"paths\": ");
  EXPECT_EQ(load().first, ErrorCode::kInvalidJson);
  test::writeText(dir / "weights_manifest.json", "{\"paths\": []}");
  EXPECT_EQ(load().first, ErrorCode::kSchema);
  test::writeText(dir / "weights_manifest.json", "[{\"paths\": [\"../x.bin\"], \"weights\": []}]");
  EXPECT_EQ(load().first, ErrorCode::kPathEscape);
}

TEST_F(LegacyGraphBroken, GraphDefOverHttpIsRefusedUpFront) {
  const auto e = errorOf([] { loadModel("http://127.0.0.1:9/m/tensorflowjs_model.pb"); });
  EXPECT_EQ(e.first, ErrorCode::kUnsupported) << e.second;
}

}  // namespace
}  // namespace tfjs
