// What the real TF.js 4.22 refuses to load (tfjsLoadProblems, kind tfjs-incompatible): each kind
// reported by `tfjs validate` naming the layer, the Keras 3 forms repaired by `tfjs convert`
// TF.js -> TF.js, and both checked against the real TF.js (tests/oracle/decode_folder.mjs): the
// originals fail to load there, the repaired outputs load and predict what tfjs-cpp predicts, and
// over every real layers model of the fixtures, "no problem found" is "TF.js loads it".
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "test_util.h"
#include "tfjs/builder.h"
#include "tfjs/convert.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"

namespace tfjs {
namespace {

// A Keras 3 Functional model as tensorflowjs_converter 4.22 writes one (the forms of the real
// converter's outputs in the fixtures, plus the Functional-only ones): InputLayer batch_shape and
// a DTypePolicy dtype, dict inbound nodes, flat input_layers / output_layers, module /
// registered_name, activation silu, LeakyReLU negative_slope, weights under the model's name.
constexpr const char* kKeras3Functional = R"({
  "format": "layers-model", "generatedBy": "keras v3.8.0",
  "convertedBy": "TensorFlow.js Converter v4.22.0",
  "modelTopology": {"keras_version": "3.8.0", "backend": "tensorflow", "model_config": {
    "class_name": "Functional", "config": {"name": "functional", "trainable": true,
    "layers": [
      {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4],
       "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                 "registered_name": null}, "sparse": false, "name": "inp"},
       "registered_name": null, "name": "inp", "inbound_nodes": []},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense",
       "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy",
       "config": {"name": "float32"}, "registered_name": null}, "units": 3,
       "activation": "silu", "use_bias": true}, "registered_name": null, "name": "dense",
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4],
         "dtype": "float32", "keras_history": ["inp", 0, 0]}}], "kwargs": {}}]},
      {"module": "keras.layers", "class_name": "LeakyReLU", "config": {"name": "lrelu",
       "trainable": true, "dtype": "float32", "negative_slope": 0.1}, "registered_name": null,
       "name": "lrelu",
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3],
         "dtype": "float32", "keras_history": ["dense", 0, 0]}}], "kwargs": {}}]},
      {"module": "keras.layers", "class_name": "Dense", "config": {"name": "out",
       "trainable": true, "dtype": "float32", "units": 2, "activation": "linear",
       "use_bias": true}, "registered_name": null, "name": "out",
       "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3],
         "dtype": "float32", "keras_history": ["lrelu", 0, 0]}}], "kwargs": {}}]}],
    "input_layers": ["inp", 0, 0], "output_layers": ["out", 0, 0]}}},
  "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
    {"name": "functional/dense/kernel", "shape": [4, 3], "dtype": "float32"},
    {"name": "functional/dense/bias", "shape": [3], "dtype": "float32"},
    {"name": "functional/out/kernel", "shape": [3, 2], "dtype": "float32"},
    {"name": "functional/out/bias", "shape": [2], "dtype": "float32"}]}]})";

fs::path writeModel(const fs::path& dir, const std::string& json, size_t floats) {
  fs::create_directories(dir);
  test::writeText(dir / "model.json", json);
  std::string bytes(floats * 4, '\0');
  for (size_t i = 0; i < floats; ++i) {
    const float v = static_cast<float>(static_cast<int>((i * 7) % 11) - 5) / 5.0f;
    std::memcpy(bytes.data() + 4 * i, &v, 4);
  }
  test::writeText(dir / "group1-shard1of1.bin", bytes);
  return dir;
}

std::vector<std::string> messages(const std::vector<Problem>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) {
    EXPECT_EQ(p.code, ErrorCode::kTfjsIncompatible);
    out.push_back(p.message);
  }
  return out;
}

// TF.js loads `dir` and predicts what tfjs-cpp predicts from it.
void expectTfjsPredictsAsWeDo(const fs::path& dir) {
  const test::TfjsRun tf = test::tfjsPredict(dir);
  ASSERT_TRUE(tf.ok) << tf.text;
  const Tensor x =
      test::floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
  test::expectClose(
      loadLayersModel(dir.string()).predict(x),
      test::floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]));
}

TEST(TfjsCheck, EachKeras3FormIsReportedNamingTheLayerAndTfjsRefusesIt) {
  test::TempDir tmp;
  const fs::path m = writeModel(tmp / "k3", kKeras3Functional, 12 + 3 + 6 + 2);
  bool repairable = false;
  const auto ps = tfjsLoadProblems(loadModel(m.string()), m.string(), &repairable);
  EXPECT_TRUE(repairable);
  const auto ms = messages(ps);
  using ::testing::Contains;
  EXPECT_THAT(ms, Contains(HasSubstr("InputLayer 'inp' has Keras 3's 'batch_shape'")));
  EXPECT_THAT(ms, Contains(HasSubstr("InputLayer 'inp' has a DTypePolicy object")));
  EXPECT_THAT(ms, Contains(HasSubstr("layer 'dense' has dict inbound nodes")));
  EXPECT_THAT(ms, Contains(HasSubstr("layer 'out' has dict inbound nodes")));
  EXPECT_THAT(ms, Contains(HasSubstr("layer 'dense' has activation 'silu'")));
  EXPECT_THAT(ms, Contains(HasSubstr("layer 'lrelu' (LeakyReLU) has Keras 3's 'negative_slope'")));
  EXPECT_THAT(ms, Contains(HasSubstr("model 'functional': 'input_layers'")));
  EXPECT_THAT(ms, Contains(HasSubstr("model 'functional': 'output_layers'")));
  EXPECT_THAT(ms, Contains(HasSubstr("weight of layer 'out' named under the model's name")));
  size_t prefixed = 0;
  for (const auto& p : ps) prefixed += p.weight.starts_with("functional/");
  EXPECT_EQ(prefixed, 4u);
  for (const auto& p : ps) EXPECT_EQ(p.file, m.string());

  // The real TF.js refuses it.
  const test::TfjsRun raw = test::tfjsPredict(m);
  EXPECT_FALSE(raw.ok) << raw.text;

  // validate: exit 1, each problem with its kind, and the convert that repairs it.
  auto r = runCli("validate " + quote(m));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("[tfjs-incompatible]"));
  EXPECT_THAT(r.out, HasSubstr("InputLayer 'inp'"));
  EXPECT_THAT(r.out, HasSubstr("--output_format tfjs_layers_model repairs"));
  r = runCli("validate --json " + quote(m));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  const Json j = Json::parse(r.out);
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_EQ(j["problems"].size(), ps.size());
  for (const auto& p : j["problems"]) EXPECT_EQ(p["kind"], "tfjs-incompatible");
  EXPECT_THAT(j["hint"].get<std::string>(), HasSubstr("tfjs convert"));
  // inspect shows them in its integrity verdict.
  r = runCli("inspect " + quote(m));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("[tfjs-incompatible]"));
  r = runCli("inspect --json " + quote(m));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_EQ(Json::parse(r.out)["integrity"]["problems"].size(), ps.size());
}

TEST(TfjsCheck, ConvertRepairsTheKeras3FormsAndTfjsThenLoadsIt) {
  test::TempDir tmp;
  const fs::path m = writeModel(tmp / "k3", kKeras3Functional, 12 + 3 + 6 + 2);
  auto r = runCli("convert " + quote(m) + " " + quote(tmp / "fixed") +
                  " --output_format tfjs_layers_model");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  for (const char* note :
       {"batch_input_shape", "dict-style inbound_nodes", "DTypePolicy", "'silu' written as 'swish'",
        "negative_slope", "input_layers", "weight names under the model's name"}) {
    EXPECT_THAT(r.out, HasSubstr(note));
  }
  const ModelArtifacts fixed = loadModel((tmp / "fixed").string());
  EXPECT_TRUE(tfjsLoadProblems(fixed).empty());
  EXPECT_EQ(fixed.weightSpecs().at(0)->name, "dense/kernel");
  EXPECT_EQ(runCli("validate " + quote(tmp / "fixed")).exitCode, 0);
  expectTfjsPredictsAsWeDo(tmp / "fixed");

  // --keep_keras3_topology keeps the converter's form (which TF.js cannot load).
  r = runCli("convert " + quote(m) + " " + quote(tmp / "kept") +
             " --output_format tfjs_layers_model --keep_keras3_topology");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("Keras 3:")));
  EXPECT_THAT(test::readText(tmp / "kept/model.json"), HasSubstr("batch_shape"));
  EXPECT_EQ(runCli("validate " + quote(tmp / "kept")).exitCode, 1);
}

// What convert cannot repair: a class TF.js does not register, and GRU reset_after.
TEST(TfjsCheck, UnregisteredClassesAndGruResetAfterAreReportedNotRepairable) {
  test::TempDir tmp;
  const std::string json = R"({"format": "layers-model", "modelTopology": {"class_name":
    "Sequential", "config": {"name": "seq", "layers": [
      {"class_name": "MyCustomLayer", "config": {"name": "custom", "batch_input_shape": [null, 5, 2]}},
      {"class_name": "GRU", "config": {"name": "gru", "units": 1, "reset_after": true}}]}},
    "weightsManifest": []})";
  const fs::path m = tmp / "m";
  fs::create_directories(m);
  test::writeText(m / "model.json", json);
  bool repairable = true;
  const auto ms = messages(tfjsLoadProblems(loadModel(m.string()), "", &repairable));
  EXPECT_FALSE(repairable);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_THAT(ms[0], HasSubstr("layer 'custom' has class 'MyCustomLayer'"));
  EXPECT_THAT(ms[1], HasSubstr("layer 'gru' (GRU) has reset_after: true"));
  const auto r = runCli("validate " + quote(m));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("hint:")));
}

// tf.loadLayersModel compiles from model.json's trainingConfig and refuses loss_weights,
// sample_weight_mode and weighted_metrics that are not null.
TEST(TfjsCheck, TrainingConfigKeysTfjsRefusesAreReported) {
  test::TempDir tmp;
  const LayersModel model =
      sequential({layers::dense({.units = 2, .inputShape = {3}})}).build(/*seed=*/3);
  ModelArtifacts a = model.toArtifacts();
  a.trainingConfig = {{"loss", "mean_squared_error"},
                      {"metrics", Json::array()},
                      {"loss_weights", nullptr},
                      {"optimizer_config", {{"class_name", "SGD"}, {"config", Json::object()}}}};
  const fs::path ok = tmp / "ok";
  saveModel(a, ok.string());
  EXPECT_TRUE(tfjsLoadProblems(loadModel(ok.string()), "").empty());
  a.trainingConfig["loss_weights"] = {2};
  a.trainingConfig["sample_weight_mode"] = "temporal";
  const fs::path bad = tmp / "bad";
  saveModel(a, bad.string());
  const auto ms = messages(tfjsLoadProblems(loadModel(bad.string()), ""));
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_THAT(ms[0], HasSubstr("trainingConfig has loss_weights [2]"));
  EXPECT_THAT(ms[1], HasSubstr("trainingConfig has sample_weight_mode \"temporal\""));
  EXPECT_EQ(runCli("validate " + quote(bad)).exitCode, 1);
  const test::TfjsRun tf = test::tfjsPredict(bad);
  EXPECT_FALSE(tf.ok);
  EXPECT_THAT(tf.text, HasSubstr("Loading loss_weights is not supported yet"));
  EXPECT_TRUE(test::tfjsPredict(ok).ok);
}

// The real converter's outputs of Keras 3 models (fixtures): reported, repaired, and the repair
// loads in TF.js (the GRU keeps reset_after, which TF.js refuses: only that is left).
TEST(TfjsCheck, RealConverterKeras3OutputsAreReportedAndRepaired) {
  TFJS_REQUIRE_FIXTURES("keras3_gru_h5_and_tfjs_converter422", "pair_keras3_cnn_to_layers_conv422");
  test::TempDir tmp;
  const fs::path cnn = fixtures / "pair_keras3_cnn_to_layers_conv422/tfjs_model";
  auto r = runCli("validate " + quote(cnn));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("InputLayer 'input_layer' has Keras 3's 'batch_shape'"));
  const test::TfjsRun raw = test::tfjsPredict(cnn);
  EXPECT_FALSE(raw.ok);
  EXPECT_THAT(raw.text, HasSubstr("batchInputShape"));
  r = runCli("convert " + quote(cnn) + " " + quote(tmp / "cnn") +
             " --output_format tfjs_layers_model");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("note: Keras 3: InputLayer 'batch_shape' written as"));
  EXPECT_EQ(runCli("validate " + quote(tmp / "cnn")).exitCode, 0);
  expectTfjsPredictsAsWeDo(tmp / "cnn");
  // The weights are the converter's bytes.
  const auto a = decodeWeights(loadModel(cnn.string()));
  const auto b = decodeWeights(loadModel((tmp / "cnn").string()));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name, b[i].name);
    EXPECT_EQ(std::memcmp(a[i].tensor.bytes(), b[i].tensor.bytes(), a[i].tensor.byteLength()), 0);
  }

  const fs::path gru = fixtures / "keras3_gru_h5_and_tfjs_converter422";
  const auto ms = messages(tfjsLoadProblems(loadModel(gru.string())));
  using ::testing::Contains;
  EXPECT_THAT(ms, Contains(HasSubstr("InputLayer 'input_layer'")));
  EXPECT_THAT(ms, Contains(HasSubstr("layer 'gru' (GRU) has reset_after: true")));
  EXPECT_THAT(ms, Contains(HasSubstr("weight of layer 'gru' named under the model's name")));
  EXPECT_THAT(ms, Contains(HasSubstr("weight of layer 'dense' named under the model's name")));
  r = runCli("convert " + quote(gru) + " " + quote(tmp / "gru") +
             " --output_format tfjs_layers_model");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  const ModelArtifacts g = loadModel((tmp / "gru").string());
  const auto left = messages(tfjsLoadProblems(g));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_THAT(left[0], HasSubstr("reset_after"));
  EXPECT_EQ(g.weightSpecs().at(0)->name, "dense/kernel");
  const test::TfjsRun tg = test::tfjsPredict(tmp / "gru");
  EXPECT_FALSE(tg.ok);
  EXPECT_THAT(tg.text, HasSubstr("reset_after"));
  // tfjs-cpp runs it, repaired or not renamed.
  const LayersModel ours = LayersModel::fromArtifacts(g);
  EXPECT_EQ(ours.predict(tensor(std::vector<float>(2 * 3 * 6, 0.25f), {2, 3, 6})).shape(),
            (std::vector<int64_t>{2, 1}));
}

// Over every real layers model folder of the fixtures: no problem found <=> the real TF.js
// loads it and predicts.
TEST(TfjsCheck, AgreesWithTheRealTfjsOnEveryRealLayersModel) {
  TFJS_REQUIRE_FIXTURES();
  size_t checked = 0, refused = 0;
  for (const auto& e : fs::recursive_directory_iterator(fixtures)) {
    if (!e.is_regular_file() || e.path().filename() != "model.json") continue;
    ModelArtifacts a;
    try {
      a = loadModel(e.path().parent_path().string());
    } catch (const Error&) {
      continue;
    }
    if (a.inferredFormat() != ModelFormat::kLayers || a.modelTopology.is_null()) continue;
    SCOPED_TRACE(e.path().string());
    const auto ps = tfjsLoadProblems(a);
    const test::TfjsRun tf = test::tfjsPredict(e.path().parent_path());
    EXPECT_EQ(ps.empty(), tf.ok) << (ps.empty() ? tf.text : ps[0].message);
    ++checked;
    refused += !ps.empty();
  }
  EXPECT_GE(checked, 15u);
  EXPECT_GE(refused, test::haveAllFixtures() ? 3u : 1u);
}

}  // namespace
}  // namespace tfjs
