// Running layers models natively against what the real TF.js computed: the oracle's models
// (tests/oracle: TF.js's predict on seeded inputs), the walkthrough model, and the tfjs-layers
// test models of the real fixtures with their stored inputs and outputs.
// Tolerance: |ours - tfjs| <= 1e-5 + 1e-4 * |tfjs| (float32 sums in a different order).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

using test::expectClose;
using test::floatTensorFromHex;

Tensor floatTensor(const std::vector<int64_t>& shape, const std::vector<float>& v) {
  Buffer b = Buffer::allocate(v.size() * 4);
  if (!v.empty()) std::memcpy(b.mutableData(), v.data(), v.size() * 4);
  return Tensor(DType::kFloat32, shape, b, 0);
}

// A model (any topology JSON) with zero weights, or with weight k = sin(k) when `patterned`;
// `specs` lists its weights as {"name", [shape]}.
ModelArtifacts functionalWithZeroWeights(
    const std::string& config,
    const std::vector<std::pair<std::string, std::vector<int64_t>>>& specs,
    bool patterned = false) {
  Json weights = Json::array();
  size_t bytes = 0;
  for (const auto& [n, s] : specs) {
    weights.push_back({{"name", n}, {"shape", s}, {"dtype", "float32"}});
    size_t k = 4;
    for (int64_t d : s) k *= static_cast<size_t>(d);
    bytes += k;
  }
  ModelArtifacts a = parseModelJson(R"({"format":"layers-model","modelTopology":)" + config +
                                    R"(,"weightsManifest":[{"paths":["w.bin"],"weights":)" +
                                    weights.dump() + "}]}");
  a.weightData = Buffer::allocate(bytes);
  if (bytes) std::memset(a.weightData.mutableData(), 0, bytes);
  for (size_t k = 0; patterned && k < bytes / 4; ++k) {
    const float v = static_cast<float>(std::sin(static_cast<double>(k)));
    std::memcpy(a.weightData.mutableData() + 4 * k, &v, 4);
  }
  a.weightsManifest[0].pathSizes = {bytes};
  a.weightsLoaded = true;
  return a;
}

Tensor intTensor(const std::vector<int64_t>& shape, const std::vector<int32_t>& v) {
  Buffer b = Buffer::allocate(v.size() * 4);
  std::memcpy(b.mutableData(), v.data(), v.size() * 4);
  return Tensor(DType::kInt32, shape, b, 0);
}

// The start of a Sequential topology: Embedding(4, 3, mask_zero) over [*, 5] ids.
const std::string kMaskedEmbedding =
    R"({"class_name":"Sequential","config":{"name":"s","layers":[)"
    R"({"class_name":"Embedding","config":{"name":"e","input_dim":4,"output_dim":3,"mask_zero":true,"batch_input_shape":[null,5]}},)";

// The tfjs-layers test model `name` in `base` predicts on its stored inputs (name.xs-data.json,
// name.xs-shapes.json) its stored outputs (name.ys-*.json).
void expectStoredOutputs(const fs::path& base, const std::string& name) {
  const LayersModel m = loadLayersModel((base / name).string());
  auto read = [&](const char* suffix) {
    return Json::parse(test::readText(base / (name + suffix)));
  };
  const Json xs = read(".xs-data.json"), xshapes = read(".xs-shapes.json");
  const Json ys = read(".ys-data.json"), yshapes = read(".ys-shapes.json");
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < xs.size(); ++i) {
    inputs.push_back(floatTensor(xshapes[i], xs[i].get<std::vector<float>>()));
  }
  const auto outputs = m.predict(inputs);
  ASSERT_EQ(outputs.size(), ys.size());
  for (size_t i = 0; i < ys.size(); ++i) {
    expectClose(outputs[i], floatTensor(yshapes[i], ys[i].get<std::vector<float>>()));
  }
}

// The model folder `dir`, given TF.js's input (theirs["input"], {shape, hex}), predicts what TF.js
// predicted (theirs["output"]).
void expectPredictsAsTfjs(const fs::path& dir, const Json& theirs) {
  const LayersModel m = loadLayersModel(dir.string());
  const Tensor x = floatTensorFromHex(theirs["input"]["shape"], theirs["input"]["hex"]);
  expectClose(m.predict(x), floatTensorFromHex(theirs["output"]["shape"], theirs["output"]["hex"]));
}

// f() throws a tfjs::Error of `code` whose message mentions each of `mentions`; else a failure
// saying what was `accepted`.
void expectError(const std::function<void()>& f, ErrorCode code,
                 const std::vector<std::string>& mentions, const std::string& accepted) {
  try {
    f();
    ADD_FAILURE() << accepted;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const auto& m : mentions) EXPECT_THAT(e.what(), ::testing::HasSubstr(m));
  }
}

TEST(LayersModel, OracleModelsPredictAsTfjs) {
  const fs::path dir(TFJS_ORACLE_DIR);
  ASSERT_TRUE(fs::exists(dir / "index.json"));
  const Json index = Json::parse(test::readText(dir / "index.json"));
  size_t ran = 0;
  for (const auto& c : index["cases"]) {
    const std::string name = c["name"];
    const Json decoded = Json::parse(test::readText(dir / name / "decoded.json"));
    if (!decoded.contains("predict")) continue;
    SCOPED_TRACE(name);
    const LayersModel m = loadLayersModel((dir / name).string());
    const Json& p = decoded["predict"];
    const Tensor x = floatTensorFromHex(p["input"]["shape"], p["input"]["hex"]);
    const Tensor want = floatTensorFromHex(p["output"]["shape"], p["output"]["hex"]);
    expectClose(m.predict(x), want);
    ++ran;
  }
  EXPECT_GE(ran, 5u);
}

TEST(LayersModel, WalkthroughModelPredictsExactlyAsTfjs) {
  // make_walkthrough.mjs trains y = 2x - 1 with TF.js and records predict([[10]]).
  test::TempDir tmp;
  const std::string cmd = fmt::format("'{}' '{}/tests/oracle/make_walkthrough.mjs' '{}' >/dev/null",
                                      TFJS_NODE, TFJS_SOURCE_DIR, (tmp / "linear").string());
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const Json expected = Json::parse(test::readText(tmp / "linear/walkthrough_expected.json"));
  const LayersModel m = loadLayersModel((tmp / "linear").string());
  ASSERT_EQ(m.inputs().size(), 1u);
  EXPECT_EQ(m.inputs()[0].shape, (std::vector<int64_t>{-1, 1}));
  const Tensor y = m.predict(floatTensor({1, 1}, {10}));
  EXPECT_EQ(y.floats()[0], expected["predict"]["output"][0].get<float>());
  EXPECT_THAT(m.summary(), ::testing::HasSubstr("Total params: 2"));
  // The command line: .npy in, .npy out.
  writeNpy(floatTensor({1, 1}, {10}), (tmp / "x.npy").string());
  const auto r =
      test::runCli("predict " + test::quote(tmp / "linear") + " --input " +
                   test::quote(tmp / "x.npy") + " --output " + test::quote(tmp / "y.npy"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(readNpy((tmp / "y.npy").string()).dataSync()[0], y.dataSync()[0]);
}

TEST(LayersModel, TfjsLayersTestModelsMatchTheirStoredOutputs) {
  TFJS_REQUIRE_FIXTURES("tfjs_layers_tfjs2keras_testdata");
  const fs::path base = fixtures / "tfjs_layers_tfjs2keras_testdata";
  for (const char* name :
       {"mlp", "functional_merge.json", "cnn", "depthwise_cnn", "one_dimensional"}) {
    SCOPED_TRACE(name);
    expectStoredOutputs(base, name);
  }
}

// Layers without weights whose result is known by hand: Permute, RepeatVector, Reshape(-1),
// Concatenate on axis 1, Maximum / Minimum / Multiply.
TEST(LayersModel, ValueMovingLayersByHand) {
  auto model = [](const std::string& layersJson) {
    ModelArtifacts a = parseModelJson(
        R"({"format":"layers-model","modelTopology":{"class_name":"Sequential","config":{"name":"s","layers":)" +
        layersJson + "}},\"weightsManifest\":[]}");
    a.weightsLoaded = true;
    return LayersModel::fromArtifacts(a);
  };
  const Tensor x = floatTensor({1, 2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor p =
      model(
          R"([{"class_name":"Permute","config":{"name":"p","dims":[2,1],"batch_input_shape":[null,2,3]}}])")
          .predict(x);
  EXPECT_EQ(p.shape(), (std::vector<int64_t>{1, 3, 2}));
  EXPECT_THAT(std::vector<float>(p.floats().begin(), p.floats().end()),
              ::testing::ElementsAre(1, 4, 2, 5, 3, 6));
  const Tensor r =
      model(
          R"([{"class_name":"Reshape","config":{"name":"r","target_shape":[-1,2],"batch_input_shape":[null,2,3]}},)"
          R"({"class_name":"Flatten","config":{"name":"f"}},)"
          R"({"class_name":"RepeatVector","config":{"name":"v","n":2}}])")
          .predict(x);
  EXPECT_EQ(r.shape(), (std::vector<int64_t>{1, 2, 6}));
  EXPECT_THAT(std::vector<float>(r.floats().begin(), r.floats().end()),
              ::testing::ElementsAre(1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6));
  // A functional model with two inputs: Concatenate, Maximum, Minimum, Multiply.
  const std::string functional =
      R"({"format":"layers-model","modelTopology":{"class_name":"Functional","config":{"name":"f","layers":[
    {"class_name":"InputLayer","name":"a","config":{"name":"a","batch_input_shape":[null,2]},"inbound_nodes":[]},
    {"class_name":"InputLayer","name":"b","config":{"name":"b","batch_input_shape":[null,2]},"inbound_nodes":[]},
    {"class_name":"Maximum","name":"mx","config":{"name":"mx"},"inbound_nodes":[[["a",0,0,{}],["b",0,0,{}]]]},
    {"class_name":"Minimum","name":"mn","config":{"name":"mn"},"inbound_nodes":[[["a",0,0,{}],["b",0,0,{}]]]},
    {"class_name":"Multiply","name":"mul","config":{"name":"mul"},"inbound_nodes":[[["mx",0,0,{}],["mn",0,0,{}]]]},
    {"class_name":"Concatenate","name":"c","config":{"name":"c","axis":-1},"inbound_nodes":[[["mx",0,0,{}],["mn",0,0,{}],["mul",0,0,{}]]]}],
    "input_layers":[["a",0,0],["b",0,0]],"output_layers":[["c",0,0]]}},"weightsManifest":[]})";
  ModelArtifacts fa = parseModelJson(functional);
  fa.weightsLoaded = true;
  const LayersModel f = LayersModel::fromArtifacts(fa);
  const Tensor c = f.predict({floatTensor({1, 2}, {1, 5}), floatTensor({1, 2}, {3, -2})}).at(0);
  EXPECT_THAT(std::vector<float>(c.floats().begin(), c.floats().end()),
              ::testing::ElementsAre(3, 5, 1, -2, 3, -10));
}

// The real converted and TF.js-saved models of the fixtures, run by the real TF.js
// (tests/oracle/decode_folder.mjs: tf.loadLayersModel + predict on a seeded input) and by us.
TEST(LayersModel, RealModelsPredictAsTfjs) {
  TFJS_REQUIRE_FIXTURES("pair_deepmech_cnn", "pair_divorce_dense_k270_conv313",
                        "pair_maternal_dense_dropout_k215_conv417", "pair_pytraining_tiny_mnist_bn",
                        "pair_tinycnn_k215_conv422", "pair_tm_reverse_tfjs_to_keras_mobilenet",
                        "tfjs_layers_nsfwjs_mobilenet_v2_uint8");
  for (const char* name :
       {"pair_deepmech_cnn", "pair_divorce_dense_k270_conv313/tfjs",
        "pair_maternal_dense_dropout_k215_conv417/tfjs_model",
        "pair_pytraining_tiny_mnist_bn/web_model", "pair_tinycnn_k215_conv422/web_model_argh",
        "pair_tm_reverse_tfjs_to_keras_mobilenet/tfjs", "tfjs_layers_nsfwjs_mobilenet_v2_uint8"}) {
    SCOPED_TRACE(name);
    const std::string cmd =
        fmt::format("'{}' '{}/tests/oracle/decode_folder.mjs' '{}' --predict-only", TFJS_NODE,
                    TFJS_SOURCE_DIR, (fixtures / name).string());
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ASSERT_EQ(::pclose(p), 0) << out;
    const Json theirs = Json::parse(out)["predict"];
    expectPredictsAsTfjs(fixtures / name, theirs);
  }
}

TEST(LayersModel, UnsupportedClassNamesTheLayerAndClass) {
  TFJS_REQUIRE_FIXTURES("pair_pytraining_custom_layer_noweights");
  expectError(
      [&] {
        loadLayersModel((fixtures / "pair_pytraining_custom_layer_noweights/web_model2").string());
      },
      ErrorCode::kUnsupported, {"HyperScale"}, "a custom layer class was accepted");
  const auto r = test::runCli(
      "predict " + test::quote(fixtures / "pair_pytraining_custom_layer_noweights/web_model2") +
      " --input /nonexistent.npy");
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, ::testing::HasSubstr("[unsupported]"));
}

TEST(LayersModel, StrictBindingListsMissingAndExtraWeights) {
  const fs::path dir(TFJS_ORACLE_DIR);
  ModelArtifacts a = loadModel((dir / "dense_f32").string());
  // Rename one weight: it becomes both missing (under its old name) and extra (the new one).
  std::string renamed = a.weightsManifest[0].weights[0].name;
  a.weightsManifest[0].weights[0].name = "nowhere/kernel";
  try {
    LayersModel::fromArtifacts(a);
    FAIL() << "a renamed weight was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr(renamed));
    ASSERT_EQ(e.problems().size(), 2u);
    EXPECT_THAT(e.problems()[0].message, ::testing::HasSubstr("weights are not set"));
    EXPECT_THAT(e.problems()[1].message, ::testing::HasSubstr("nowhere/kernel"));
  }
}

// Masks propagate now; a Softmax layer reads the mask as TF.js does, broadcast against its input.
// Here the [1, 5] mask of the Embedding does not fit the [1, 5, 3] input (TF.js would broadcast
// it to another shape), so predict refuses it.
TEST(LayersModel, SoftmaxRefusesAMaskThatDoesNotFitItsInput) {
  const LayersModel m = LayersModel::fromArtifacts(functionalWithZeroWeights(
      kMaskedEmbedding +
          std::string(R"({"class_name":"Softmax","config":{"name":"sm","axis":-1}}]}})"),
      {{"e/embeddings", {4, 3}}}));
  expectError(
      [&] {
        m.predict(intTensor({1, 5}, {1, 2, 0, 0, 3}));
      },
      ErrorCode::kUnsupported, {"mask", "'sm'"},
      "a mask that does not fit the Softmax input was accepted");
}

TEST(LayersModel, BenchCommandReportsTimes) {
  const fs::path dir(TFJS_ORACLE_DIR);
  const auto r =
      test::runCli("bench " + test::quote(dir / "multigroup") + " --batch 4 --iters 3 --json");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  const Json j = Json::parse(r.out);
  for (const char* key : {"loadMs", "firstCallMs", "medianMs", "minMs", "maxMs"}) {
    EXPECT_GE(j[key].get<double>(), 0.0) << key;
  }
  EXPECT_EQ(j["batch"], 4);
  EXPECT_EQ(test::runCli("bench " + test::quote(dir / "multigroup") + " --batch 0").exitCode, 2);
}

TEST(LayersModel, GraphModelsAndBadInputsAreRefusedClearly) {
  TFJS_REQUIRE_FIXTURES("graph_tfjs_rn_dense");
  EXPECT_THROW(loadLayersModel((fixtures / "graph_tfjs_rn_dense").string()), Error);
  const fs::path dir(TFJS_ORACLE_DIR);
  const LayersModel m = loadLayersModel((dir / "dense_f32").string());
  expectError(
      [&] {
        m.predict(floatTensor({2, 3}, {1, 2, 3, 4, 5, 6}));
      },
      ErrorCode::kInvalidArgument, {"must have shape"}, "a [2, 3] input was accepted");
}

TEST(LayersModel, AugmentationLayersAreTheIdentityAtInference) {
  TFJS_REQUIRE_FIXTURES("pair_tinycnn_k215_conv422");
  // The same weights, once with a nested Sequential of RandomFlip + RandomRotation in front
  // (web_model) and once without (web_model_argh, which TF.js itself loads): the same outputs,
  // bit for bit, as in Keras's predict.
  const fs::path dir = fixtures / "pair_tinycnn_k215_conv422";
  const LayersModel augmented = loadLayersModel((dir / "web_model").string());
  const LayersModel plain = loadLayersModel((dir / "web_model_argh").string());
  std::vector<float> x(2 * 28 * 28);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7919) % 256) / 255.0f;
  const Tensor a = augmented.predict(floatTensor({2, 28, 28, 1}, x));
  const Tensor b = plain.predict(floatTensor({2, 28, 28, 1}, x));
  ASSERT_EQ(a.shape(), (std::vector<int64_t>{2, 5}));
  ASSERT_EQ(a.shape(), b.shape());
  EXPECT_EQ(std::memcmp(a.bytes(), b.bytes(), 2 * 5 * 4), 0);
}

// A one-layer functional model over inputs of the given shapes (batch excluded).
ModelArtifacts mergeModel(const std::string& layer, const std::vector<std::string>& shapes) {
  std::string inputs, layersJson, refs;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const std::string n = "in" + std::to_string(i);
    layersJson += fmt::format(
        R"({{"class_name":"InputLayer","name":"{0}","config":{{"name":"{0}","batch_input_shape":[null,{1}]}},"inbound_nodes":[]}},)",
        n, shapes[i]);
    refs += fmt::format(R"({}["{}",0,0,{{}}])", i ? "," : "", n);
    inputs += fmt::format(R"({}["{}",0,0])", i ? "," : "", n);
  }
  const std::string json = fmt::format(
      R"({{"format":"layers-model","modelTopology":{{"class_name":"Model","config":{{"name":"m","layers":[{0}{1}],"input_layers":[{2}],"output_layers":[["merge",0,0]]}}}},"weightsManifest":[]}})",
      layersJson,
      fmt::format(R"({{"class_name":{},"name":"merge","config":{},"inbound_nodes":[[{}]]}})",
                  Json(layer.substr(0, layer.find(' '))).dump(), layer.substr(layer.find(' ') + 1),
                  refs),
      inputs);
  ModelArtifacts a = parseModelJson(json);
  a.weightsLoaded = true;
  return a;
}

TEST(LayersModel, PredictTakesInputsByName) {
  // Maximum over [b, 3] and [b, 1]: not symmetric in shape, so a swap would show.
  const LayersModel m =
      LayersModel::fromArtifacts(mergeModel(R"(Maximum {"name":"merge"})", {"3", "1"}));
  const Tensor a = floatTensor({2, 3}, {1, -2, 3, -4, 5, -6});
  const Tensor b = floatTensor({2, 1}, {0, 0});
  const Tensor byName = m.predictNamed(std::map<std::string, Tensor>{{"in1", b}, {"in0", a}}).at(0);
  const Tensor byOrder = m.predict(std::vector<Tensor>{a, b}).at(0);
  ASSERT_EQ(byName.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_THAT(std::vector<float>(byName.floats().begin(), byName.floats().end()),
              ::testing::ElementsAre(1, 0, 3, 0, 5, 0));
  EXPECT_EQ(std::memcmp(byName.bytes(), byOrder.bytes(), 6 * 4), 0);
  try {
    m.predictNamed(std::map<std::string, Tensor>{{"in0", a}, {"nope", b}});
    FAIL() << "an unknown input name was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), ::testing::HasSubstr(R"(missing: ["in1"]; unknown: ["nope"])"));
  }
  // Inputs with different sample counts (TF.js: "All input Tensors (x) should have the same
  // number of samples").
  try {
    m.predict(std::vector<Tensor>{a, floatTensor({3, 1}, {0, 0, 0})});
    FAIL() << "inputs of 2 and 3 samples were accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("input 'in0' has 2, input 'in1' has 3"));
  }
  // One sample per pass through the layers gives the same outputs, for both inputs.
  ModelOptions onePerPass;
  onePerPass.batchChunk = 1;
  const LayersModel m1 =
      LayersModel::fromArtifacts(mergeModel(R"(Maximum {"name":"merge"})", {"3", "1"}), onePerPass);
  EXPECT_EQ(m1.batchChunk(), 1);
  const Tensor split = m1.predict(std::vector<Tensor>{a, floatTensor({2, 1}, {2, -9})}).at(0);
  ASSERT_EQ(split.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_THAT(std::vector<float>(split.floats().begin(), split.floats().end()),
              ::testing::ElementsAre(2, 2, 3, -4, 5, -6));
}

TEST(LayersModel, MergeLayersRefuseWhatTheyCannotCompute) {
  // Sanity: a broadcasting Add builds and runs.
  const LayersModel ok =
      LayersModel::fromArtifacts(mergeModel(R"(Add {"name":"merge"})", {"3,4", "1,4"}));
  EXPECT_EQ(ok.outputs()[0].shape, (std::vector<int64_t>{-1, 3, 4}));
  const std::pair<std::string, std::vector<std::string>> bad[] = {
      {R"(Add {"name":"merge"})", {"3,4", "2,4"}},               // not broadcastable
      {R"(Add {"name":"merge"})", {"3,4"}},                      // one input
      {R"(Dot {"name":"merge","axes":1})", {"2,3,4", "2,3,4"}},  // rank 4 (TF.js refuses too)
      {R"(Dot {"name":"merge","axes":0})", {"3", "3"}},          // the batch axis
      {R"(Dot {"name":"merge","axes":[1,2,3]})", {"3", "3"}},    // not an int or a pair
      {R"(Dot {"name":"merge","axes":-1})", {"3", "3", "3"}},    // three inputs
  };
  for (const auto& [layer, shapes] : bad) {
    SCOPED_TRACE(layer);
    try {
      LayersModel::fromArtifacts(mergeModel(layer, shapes));
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << e.what();
      EXPECT_THAT(e.what(), ::testing::HasSubstr("'merge'")) << e.what();
    }
  }
  try {  // contracted dimensions that differ: a schema error naming both sizes
    LayersModel::fromArtifacts(mergeModel(R"(Dot {"name":"merge","axes":-1})", {"3", "4"}));
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("3 !== 4"));
  }
}

// --- TimeDistributed and ConvLSTM2D (src/layers/wrappers.cpp, conv_recurrent.cpp) ---

// tfjs-layers' own TimeDistributed(Dense) after an LSTM, saved by TF.js, with its stored outputs;
// the wrapped Dense's kernel is saved as time_distributed_.../kernel.
TEST(LayersModel, TimeDistributedLstmFixtureMatchesItsStoredOutputs) {
  TFJS_REQUIRE_FIXTURES("tfjs_layers_tfjs2keras_testdata");
  const fs::path base = fixtures / "tfjs_layers_tfjs2keras_testdata";
  expectStoredOutputs(base, "time_distributed_lstm");
}

// A Sequential model of the given layers (JSON list) without weights.
ModelArtifacts sequentialWithoutWeights(const std::string& layersJson) {
  ModelArtifacts a = parseModelJson(
      R"({"format":"layers-model","modelTopology":{"class_name":"Sequential","config":{"name":"s","layers":)" +
      layersJson + "}},\"weightsManifest\":[]}");
  a.weightsLoaded = true;
  return a;
}

void expectRefused(const std::string& layersJson, ErrorCode code,
                   const std::vector<std::string>& mentions) {
  SCOPED_TRACE(layersJson);
  expectError([&] { LayersModel::fromArtifacts(sequentialWithoutWeights(layersJson)); }, code,
              mentions, "accepted");
}

TEST(LayersModel, WrapperAndConvLstmConfigsTfjsCannotRunAreRefused) {
  const std::string convlstm =
      R"({"class_name":"ConvLSTM2D","config":{"name":"cl","filters":2,"kernel_size":3,"batch_input_shape":[null,3,5,5,2],)";
  expectRefused("[" + convlstm + R"("stateful":true}}])", ErrorCode::kUnsupported,
                {"'cl'", "ConvLSTM2D", "stateful"});
  expectRefused("[" + convlstm + R"("unroll":true}}])", ErrorCode::kUnsupported,
                {"'cl'", "unroll"});
  expectRefused("[" + convlstm + R"("strides":2,"dilation_rate":2}}])", ErrorCode::kUnsupported,
                {"'cl'", "dilation_rate"});
  expectRefused("[" + convlstm + R"("padding":"causal"}}])", ErrorCode::kUnsupported,
                {"'cl'", "causal"});
  expectRefused(
      R"([{"class_name":"ConvLSTM2D","config":{"name":"cl","filters":2,"kernel_size":3,"batch_input_shape":[null,5,5,2]}}])",
      ErrorCode::kUnsupported, {"'cl'", "rank 4"});
  const std::string td =
      R"({"class_name":"TimeDistributed","config":{"name":"td","batch_input_shape":[null,3,4],"layer":)";
  // An inner class tfjs cannot run: the wrapper and the inner layer and class are named.
  expectRefused("[" + td + R"({"class_name":"HyperScale","config":{"name":"hs"}}}}])",
                ErrorCode::kUnsupported, {"'td'", "TimeDistributed", "'hs'", "HyperScale"});
  // A supported inner class with an option tfjs refuses: the inner error, the wrapper in front.
  expectRefused(
      "[" + td + R"({"class_name":"Dense","config":{"name":"d","units":2,"activation":"nope"}}}}])",
      ErrorCode::kUnsupported, {"'td'", "'d'", "Dense", "nope"});
  expectRefused(
      "[" + td + R"({"class_name":"Sequential","config":{"name":"inner","layers":[]}}}}])",
      ErrorCode::kSchema, {"'td'", "Sequential model without layers"});
  expectRefused("[" + td + R"(3}}])", ErrorCode::kSchema, {"'td'", "TimeDistributed"});
  expectRefused(
      R"([{"class_name":"TimeDistributed","config":{"name":"td","batch_input_shape":[null,4],"layer":{"class_name":"Dense","config":{"name":"d","units":2}}}}])",
      ErrorCode::kUnsupported, {"'td'", "rank 2"});
}

// TF.js hands TimeDistributed's [batch, time] mask to the inner call at every step; a Softmax
// layer would add it to a per-step input it does not fit, so that is refused.
TEST(LayersModel, TimeDistributedRefusesAMaskItsInnerLayerWouldRead) {
  const ModelArtifacts a = functionalWithZeroWeights(
      kMaskedEmbedding +
          std::string(
              R"({"class_name":"TimeDistributed","config":{"name":"td","layer":{"class_name":"Softmax","config":{"name":"sm","axis":-1}}}}]}})"),
      {{"e/embeddings", {4, 3}}});
  expectError(
      [&] {
        LayersModel::fromArtifacts(a).predict(intTensor({1, 5}, {1, 2, 0, 0, 3}));
      },
      ErrorCode::kUnsupported, {"mask", "td"}, "a mask read by the wrapped Softmax was accepted");
}

// --- Recurrent layers, Bidirectional, masks (src/layers/recurrent.cpp, wrappers.cpp) ---

std::vector<Tensor> storedTensors(const fs::path& data, const fs::path& shapes) {
  const Json d = Json::parse(test::readText(data));
  const Json s = Json::parse(test::readText(shapes));
  std::vector<Tensor> out;
  for (size_t i = 0; i < d.size(); ++i)
    out.push_back(floatTensor(s[i], d[i].get<std::vector<float>>()));
  return out;
}

// tfjs-layers' own SimpleRNN, GRU and Bidirectional(LSTM) test models (each after an Embedding),
// saved by TF.js with their inputs and outputs.
TEST(LayersModel, RecurrentTfjsLayersTestModelsMatchTheirStoredOutputs) {
  TFJS_REQUIRE_FIXTURES("tfjs_layers_tfjs2keras_testdata");
  const fs::path base = fixtures / "tfjs_layers_tfjs2keras_testdata";
  for (const std::string name : {"simple_rnn", "gru", "bidirectional_lstm"}) {
    SCOPED_TRACE(name);
    const LayersModel m = loadLayersModel((base / name).string());
    const auto xs =
        storedTensors(base / (name + ".xs-data.json"), base / (name + ".xs-shapes.json"));
    const auto ys =
        storedTensors(base / (name + ".ys-data.json"), base / (name + ".ys-shapes.json"));
    const auto outputs = m.predict(xs);
    ASSERT_EQ(outputs.size(), ys.size());
    for (size_t i = 0; i < ys.size(); ++i) expectClose(outputs[i], ys[i]);
  }
}

// What the real TF.js predicts for a fixture folder (decode_folder.mjs, seeded input).
// TF.js's prediction on a seeded input ({input, output}), or null when TF.js refuses the model.
Json tfjsPredict(const fs::path& dir) {
  return test::tfjsPredict(dir).predict;
}

// The same model folder with its weight groups merged into one group and one file (manifest
// order), for TF.js: its CompositeArrayBuffer (4.22) finds the shard of a weight's first byte
// as if every shard had the first one's size, and copies nothing (zeros) when that points past
// the last shard. In pair_deathgrips_lstm_2groups_tfjs0x the first group (31476 bytes) is the
// smaller one, so TF.js loads the LSTM's recurrent kernel and bias as all zeros.
fs::path mergedWeightGroups(const fs::path& dir, const fs::path& out) {
  Json model = Json::parse(test::readText(dir / "model.json"));
  Json weights = Json::array();
  std::string bytes;
  for (const auto& g : model["weightsManifest"]) {
    for (const auto& w : g["weights"]) weights.push_back(w);
    for (const auto& p : g["paths"]) bytes += test::readText(dir / p.get<std::string>());
  }
  model["weightsManifest"] = Json::array({{{"paths", {"merged.bin"}}, {"weights", weights}}});
  fs::create_directories(out);
  std::ofstream(out / "model.json") << model.dump();
  std::ofstream(out / "merged.bin", std::ios::binary) << bytes;
  return out;
}

// Converter 0.x LSTM models (several weight groups) and tfjs-layers' Embedding + GRU e2e model,
// run by TF.js and by us on the same input. For the two-group model TF.js reads its weights from
// a merged copy (see mergedWeightGroups); we read the original folder.
TEST(LayersModel, RecurrentRealModelsPredictAsTfjs) {
  TFJS_REQUIRE_FIXTURES("pair_deathgrips_lstm_2groups_tfjs0x", "pair_har_lstm_multigroup_tfjs0x",
                        "tfjs_e2e_load_predict_data");
  test::TempDir tmp;
  for (const char* name : {"pair_har_lstm_multigroup_tfjs0x", "pair_deathgrips_lstm_2groups_tfjs0x",
                           "tfjs_e2e_load_predict_data/layers_model"}) {
    SCOPED_TRACE(name);
    const bool merge = std::string(name) == "pair_deathgrips_lstm_2groups_tfjs0x";
    const Json theirs =
        tfjsPredict(merge ? mergedWeightGroups(fixtures / name, tmp / "merged") : fixtures / name);
    ASSERT_TRUE(theirs.is_object()) << "TF.js could not run " << name;
    expectPredictsAsTfjs(fixtures / name, theirs);
  }
}

// A Keras 3.8 GRU (reset_after = true, sigmoid, weights named sequential/gru/gru_cell/...)
// converted by tensorflowjs 4.22. TF.js cannot load it (Keras 3 InputLayer, reset_after), and the
// h5 next to it holds other weights, so the reference is the Keras equations computed here in
// double precision from the model's own weights.
TEST(LayersModel, Keras3GruResetAfterFixtureFollowsTheKerasEquations) {
  TFJS_REQUIRE_FIXTURES("keras3_gru_h5_and_tfjs_converter422");
  const fs::path dir = fixtures / "keras3_gru_h5_and_tfjs_converter422";
  EXPECT_TRUE(tfjsPredict(dir).is_null()) << "TF.js now runs this model: compare with it instead";
  const LayersModel m = loadLayersModel(dir.string());
  const ModelArtifacts a = loadModel(dir.string());
  std::map<std::string, std::vector<float>> w;
  for (const auto& t : decodeWeights(a)) {
    const auto f = t.tensor.floats();
    w[t.name.substr(t.name.rfind('/') + 1) +
      (t.name.find("dense") != std::string::npos ? "_d" : "")] =
        std::vector<float>(f.begin(), f.end());
  }
  const int64_t batch = 2, steps = 7, in = 6, u = 8;
  std::vector<float> xv(static_cast<size_t>(batch * steps * in));
  for (size_t i = 0; i < xv.size(); ++i)
    xv[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i)) * 1.5);
  const Tensor y = m.predict(floatTensor({batch, steps, in}, xv));
  ASSERT_EQ(y.shape(), (std::vector<int64_t>{batch, 1}));
  auto sigmoid = [](double v) { return 1 / (1 + std::exp(-v)); };
  const auto &K = w["kernel"], &U = w["recurrent_kernel"], &B = w["bias"];
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<double> h(static_cast<size_t>(u), 0.0);
    for (int64_t t = 0; t < steps; ++t) {
      std::vector<double> xp(static_cast<size_t>(3 * u)), hp(static_cast<size_t>(3 * u));
      for (int64_t j = 0; j < 3 * u; ++j) {
        double sx = B[static_cast<size_t>(j)], sh = B[static_cast<size_t>(3 * u + j)];
        for (int64_t i = 0; i < in; ++i)
          sx += xv[static_cast<size_t>((b * steps + t) * in + i)] *
                K[static_cast<size_t>(i * 3 * u + j)];
        for (int64_t i = 0; i < u; ++i)
          sh += h[static_cast<size_t>(i)] * U[static_cast<size_t>(i * 3 * u + j)];
        xp[static_cast<size_t>(j)] = sx;
        hp[static_cast<size_t>(j)] = sh;
      }
      for (int64_t j = 0; j < u; ++j) {
        const auto k = static_cast<size_t>(j), ku = static_cast<size_t>(u);
        const double z = sigmoid(xp[k] + hp[k]);
        const double r = sigmoid(xp[k + ku] + hp[k + ku]);
        const double hh = std::tanh(xp[k + 2 * ku] + r * hp[k + 2 * ku]);
        h[k] = z * h[k] + (1 - z) * hh;
      }
    }
    double logit = w["bias_d"][0];
    for (int64_t j = 0; j < u; ++j)
      logit += h[static_cast<size_t>(j)] * w["kernel_d"][static_cast<size_t>(j)];
    EXPECT_NEAR(y.floats()[static_cast<size_t>(b)], sigmoid(logit), 1e-5) << "batch row " << b;
  }
}

TEST(LayersModel, RecurrentOptionsTfjsCannotRunAreRefused) {
  const std::string shape = R"("batch_input_shape":[null,4,3])";
  expectRefused(
      R"([{"class_name":"LSTM","config":{"name":"l","units":2,"stateful":true,)" + shape + "}}]",
      ErrorCode::kUnsupported, {"'l'", "LSTM", "stateful"});
  expectRefused(
      R"([{"class_name":"GRU","config":{"name":"g","units":2,"time_major":true,)" + shape + "}}]",
      ErrorCode::kUnsupported, {"'g'", "GRU", "time_major"});
  expectRefused(R"([{"class_name":"LSTM","config":{"name":"l","units":0,)" + shape + "}}]",
                ErrorCode::kUnsupported, {"'l'", "units"});
  expectRefused(
      R"([{"class_name":"LSTM","config":{"name":"l","units":2,"recurrent_activation":"nope",)" +
          shape + "}}]",
      ErrorCode::kUnsupported, {"'l'", "nope"});
  expectRefused(
      R"([{"class_name":"RNN","config":{"name":"r","cell":{"class_name":"MinimalRNNCell","config":{"units":2}},)" +
          shape + "}}]",
      ErrorCode::kUnsupported, {"'r'", "MinimalRNNCell"});
  expectRefused(R"([{"class_name":"RNN","config":{"name":"r",)" + shape + "}}]", ErrorCode::kSchema,
                {"'r'", "cell"});
  expectRefused(
      R"([{"class_name":"LSTM","config":{"name":"l","units":2,"batch_input_shape":[null,3]}}])",
      ErrorCode::kUnsupported, {"'l'", "rank 2"});
  const std::string lstm = R"({"class_name":"LSTM","config":{"name":"lstm","units":2}})";
  expectRefused(
      R"([{"class_name":"Bidirectional","config":{"name":"b","merge_mode":"max","layer":)" + lstm +
          "," + shape + "}}]",
      ErrorCode::kUnsupported, {"'b'", "merge_mode", "max"});
  expectRefused(
      R"([{"class_name":"Bidirectional","config":{"name":"b","layer":{"class_name":"Dense","config":{"name":"d","units":2}},)" +
          shape + "}}]",
      ErrorCode::kUnsupported, {"'b'", "Dense"});
  expectRefused(
      R"([{"class_name":"Bidirectional","config":{"name":"b","layer":)" + lstm +
          R"(,"backward_layer":{"class_name":"LSTM","config":{"name":"back","units":5,"go_backwards":true}},)" +
          shape + "}}]",
      ErrorCode::kUnsupported, {"'b'", "backward_layer"});
  expectRefused(
      R"([{"class_name":"Bidirectional","config":{"name":"b","layer":{"class_name":"LSTM","config":{"name":"lstm","units":2,"stateful":true}},)" +
          shape + "}}]",
      ErrorCode::kUnsupported, {"'b'", "stateful"});
}

// Embedding(mask_zero) -> LSTM -> RepeatVector, and the specs of its weights: the start of the
// stale-mask models below.
const std::string kStaleMask =
    kMaskedEmbedding +
    std::string(R"({"class_name":"LSTM","config":{"name":"l1","units":2}},)"
                R"({"class_name":"RepeatVector","config":{"name":"rv","n":5}},)");
const std::vector<std::pair<std::string, std::vector<int64_t>>> kStaleMaskSpecs = {
    {"e/embeddings", {4, 3}},
    {"l1/kernel", {3, 8}},
    {"l1/recurrent_kernel", {2, 8}},
    {"l1/bias", {8}}};

// Embedding(mask_zero) -> LSTM -> RepeatVector -> LSTM: the second LSTM gets no mask in Keras,
// but TF.js's executor still hands it the first one; that case is refused at predict.
TEST(LayersModel, AStaleMaskTfjsWouldReuseIsRefused) {
  auto specs = kStaleMaskSpecs;
  specs.insert(specs.end(),
               {{"l2/kernel", {2, 8}}, {"l2/recurrent_kernel", {2, 8}}, {"l2/bias", {8}}});
  const ModelArtifacts a = functionalWithZeroWeights(
      kStaleMask + std::string(R"({"class_name":"LSTM","config":{"name":"l2","units":2}}]}})"),
      specs);
  const LayersModel m = LayersModel::fromArtifacts(a);
  expectError(
      [&] {
        m.predict(intTensor({1, 5}, {1, 2, 3, 0, 0}));
      },
      ErrorCode::kUnsupported, {"'l2'", "mask"}, "a stale mask was accepted");
}

// The same through a wrapper: TimeDistributed(Softmax) reads the stale mask at every step.
TEST(LayersModel, AStaleMaskReachingAWrappedReaderIsRefused) {
  const ModelArtifacts a = functionalWithZeroWeights(
      kStaleMask +
          std::string(
              R"({"class_name":"TimeDistributed","config":{"name":"td","layer":{"class_name":"Softmax","config":{"name":"sm"}}}}]}})"),
      kStaleMaskSpecs);
  const LayersModel m = LayersModel::fromArtifacts(a);
  expectError(
      [&] {
        m.predict(intTensor({1, 5}, {1, 2, 3, 0, 0}));
      },
      ErrorCode::kUnsupported, {"'td'"}, "a stale mask was accepted");
  // Without the mask (mask_zero off) the same model runs.
  ModelArtifacts b = a;
  b.modelTopology["config"]["layers"][0]["config"]["mask_zero"] = false;
  EXPECT_EQ(LayersModel::fromArtifacts(b).predict(intTensor({1, 5}, {1, 2, 3, 0, 0})).shape(),
            (std::vector<int64_t>{1, 5, 2}));
}

// Add's mask in TF.js 4.22 gets a leading axis ([1, batch, time]); an LSTM reading it refuses it,
// while a model where nothing reads it runs.
TEST(LayersModel, AMergedMaskOfTheWrongShapeIsRefusedByItsReader) {
  auto model = [](const std::string& after, const std::string& out) {
    return R"({"class_name":"Functional","config":{"name":"f","layers":[)"
           R"({"class_name":"InputLayer","name":"a","config":{"name":"a","batch_input_shape":[null,4],"dtype":"int32"},"inbound_nodes":[]},)"
           R"({"class_name":"InputLayer","name":"b","config":{"name":"b","batch_input_shape":[null,4],"dtype":"int32"},"inbound_nodes":[]},)"
           R"({"class_name":"Embedding","name":"ea","config":{"name":"ea","input_dim":4,"output_dim":2,"mask_zero":true},"inbound_nodes":[[["a",0,0,{}]]]},)"
           R"({"class_name":"Embedding","name":"eb","config":{"name":"eb","input_dim":4,"output_dim":2,"mask_zero":true},"inbound_nodes":[[["b",0,0,{}]]]},)"
           R"({"class_name":"Add","name":"add","config":{"name":"add"},"inbound_nodes":[[["ea",0,0,{}],["eb",0,0,{}]]]},)" +
           after + R"(],"input_layers":[["a",0,0],["b",0,0]],"output_layers":[[")" + out +
           R"(",0,0]]}})";
  };
  const std::vector<std::pair<std::string, std::vector<int64_t>>> emb = {{"ea/embeddings", {4, 2}},
                                                                         {"eb/embeddings", {4, 2}}};
  auto lstmSpecs = emb;
  lstmSpecs.push_back({"l/kernel", {2, 8}});
  lstmSpecs.push_back({"l/recurrent_kernel", {2, 8}});
  lstmSpecs.push_back({"l/bias", {8}});
  const std::vector<Tensor> in = {intTensor({2, 4}, {1, 2, 0, 0, 3, 3, 3, 0}),
                                  intTensor({2, 4}, {1, 1, 1, 1, 2, 0, 0, 0})};
  const LayersModel bad = LayersModel::fromArtifacts(functionalWithZeroWeights(
      model(
          R"({"class_name":"LSTM","name":"l","config":{"name":"l","units":2},"inbound_nodes":[[["add",0,0,{}]]]})",
          "l"),
      lstmSpecs));
  expectError([&] { bad.predict(in); }, ErrorCode::kUnsupported, {"'l'", "[1,2,4]"},
              "a [1, batch, time] mask was accepted by an LSTM");
  const LayersModel ok = LayersModel::fromArtifacts(functionalWithZeroWeights(
      model(
          R"({"class_name":"GlobalAveragePooling1D","name":"g","config":{"name":"g"},"inbound_nodes":[[["add",0,0,{}]]]})",
          "g"),
      emb));
  EXPECT_EQ(ok.predict(in).at(0).shape(), (std::vector<int64_t>{2, 2}));
}

// zero_output_for_mask (Keras; TF.js ignores it) changes nothing without a mask, and is refused
// when a mask reaches the layer.
TEST(LayersModel, ZeroOutputForMaskIsRefusedOnlyWhenAMaskArrives) {
  const std::string rnn =
      R"({"class_name":"SimpleRNN","config":{"name":"s","units":2,"zero_output_for_mask":true}})";
  const std::vector<std::pair<std::string, std::vector<int64_t>>> specs = {
      {"s/kernel", {3, 2}}, {"s/recurrent_kernel", {2, 2}}, {"s/bias", {2}}};
  auto seq = [&](const std::string& first) {
    return R"({"class_name":"Sequential","config":{"name":"q","layers":[)" + first + "," + rnn +
           "]}}";
  };
  const Tensor x = floatTensor({1, 4, 3}, std::vector<float>(12, 0.5f));
  const LayersModel plain = LayersModel::fromArtifacts(functionalWithZeroWeights(
      seq(R"({"class_name":"InputLayer","config":{"name":"in","batch_input_shape":[null,4,3]}})"),
      specs, true));
  EXPECT_EQ(plain.predict(x).shape(), (std::vector<int64_t>{1, 2}));
  const LayersModel masked = LayersModel::fromArtifacts(functionalWithZeroWeights(
      seq(R"({"class_name":"Masking","config":{"name":"m","batch_input_shape":[null,4,3]}})"),
      specs, true));
  expectError([&] { masked.predict(x); }, ErrorCode::kUnsupported, {"'s'", "zero_output_for_mask"},
              "zero_output_for_mask with a mask was accepted");
}

// A Bidirectional LSTM as Keras 3 saves it (the wrapped layer named forward_lstm, a mirrored
// backward_layer, weights bidirectional/forward_lstm/lstm_cell/kernel) computes what the TF.js
// form (layer lstm, weights bidirectional/forward_lstm/kernel) computes with the same values.
TEST(LayersModel, Keras3BidirectionalNamingBindsLikeTheTfjsForm) {
  auto model = [](const std::string& inner, const std::string& extra) {
    return R"({"class_name":"Sequential","config":{"name":"q","layers":[)"
           R"({"class_name":"InputLayer","config":{"name":"in","batch_input_shape":[null,3,2]}},)"
           R"({"class_name":"Bidirectional","config":{"name":"bidirectional","merge_mode":"concat",)"
           R"("layer":{"class_name":"LSTM","config":{"name":")" +
           inner + R"(","units":2,"return_sequences":true,"recurrent_activation":"sigmoid"}})" +
           extra + "}}]}}";
  };
  auto specs = [](const std::string& cell) {
    std::vector<std::pair<std::string, std::vector<int64_t>>> s;
    for (const char* dir : {"forward_lstm", "backward_lstm"}) {
      const std::string p = std::string("bidirectional/") + dir + "/" + cell;
      s.push_back({p + "kernel", {2, 8}});
      s.push_back({p + "recurrent_kernel", {2, 8}});
      s.push_back({p + "bias", {8}});
    }
    return s;
  };
  const LayersModel tfjsForm =
      LayersModel::fromArtifacts(functionalWithZeroWeights(model("lstm", ""), specs(""), true));
  const LayersModel keras3 = LayersModel::fromArtifacts(functionalWithZeroWeights(
      model("forward_lstm",
            R"(,"backward_layer":{"class_name":"LSTM","config":{"name":"backward_lstm","units":2,)"
            R"("return_sequences":true,"recurrent_activation":"sigmoid","go_backwards":true}})"),
      specs("lstm_cell/"), true));
  std::vector<float> xv(12);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = 0.3f * static_cast<float>(i) - 1.5f;
  const Tensor x = floatTensor({2, 3, 2}, xv);
  const Tensor a = tfjsForm.predict(x), b = keras3.predict(x);
  ASSERT_EQ(a.shape(), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_THAT(std::vector<float>(b.floats().begin(), b.floats().end()),
              ::testing::ElementsAreArray(a.floats().begin(), a.floats().end()));
  float spread = 0;
  for (float v : a.floats()) spread = std::max(spread, std::fabs(v));
  EXPECT_GT(spread, 0.05f);  // not a model of zeros
}

// An RNN over StackedRNNCells binds Keras's names for its cells' weights
// (rnn/stacked_rnn_cells/lstm_cell/kernel as Keras 2 and the converter write them, and
// rnn/lstm_cell/kernel) to what TF.js's names (rnn/RNNCell_0/kernel) bind, by the cells' names in
// the config; with two cells of one name the mapping is ambiguous and the weights stay unbound.
// (tests/oracle/layer_cases/nested.mjs compares both Keras forms with TF.js's predict.)
TEST(LayersModel, KerasStackedCellWeightNamesBindLikeTheTfjsForm) {
  auto model = [](const std::string& second) {
    return R"({"class_name":"Sequential","config":{"name":"q","layers":[)"
           R"({"class_name":"RNN","config":{"name":"rnn","return_sequences":true,)"
           R"("batch_input_shape":[null,3,2],"cell":{"class_name":"StackedRNNCells","config":{)"
           R"("name":"stacked_rnn_cells","cells":[)"
           R"({"class_name":"LSTMCell","config":{"name":"lstm_cell","units":3,"recurrent_activation":"sigmoid"}},)"
           R"({"class_name":"LSTMCell","config":{"name":")" +
           second + R"(","units":2,"recurrent_activation":"sigmoid"}}]}}}}]}})";
  };
  auto specs = [](const std::string& c0, const std::string& c1) {
    std::vector<std::pair<std::string, std::vector<int64_t>>> s;
    s.push_back({"rnn/" + c0 + "/kernel", {2, 12}});
    s.push_back({"rnn/" + c0 + "/recurrent_kernel", {3, 12}});
    s.push_back({"rnn/" + c0 + "/bias", {12}});
    s.push_back({"rnn/" + c1 + "/kernel", {3, 8}});
    s.push_back({"rnn/" + c1 + "/recurrent_kernel", {2, 8}});
    s.push_back({"rnn/" + c1 + "/bias", {8}});
    return s;
  };
  std::vector<float> xv(12);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = 0.25f * static_cast<float>(i) - 1.4f;
  const Tensor x = floatTensor({2, 3, 2}, xv);
  const Tensor want =
      LayersModel::fromArtifacts(
          functionalWithZeroWeights(model("lstm_cell_1"), specs("RNNCell_0", "RNNCell_1"), true))
          .predict(x);
  ASSERT_EQ(want.shape(), (std::vector<int64_t>{2, 3, 2}));
  float spread = 0;
  for (float v : want.floats()) spread = std::max(spread, std::fabs(v));
  EXPECT_GT(spread, 0.05f);  // not a model of zeros
  for (const auto& [c0, c1] : {std::pair<std::string, std::string>{"stacked_rnn_cells/lstm_cell",
                                                                   "stacked_rnn_cells/lstm_cell_1"},
                               {"lstm_cell", "lstm_cell_1"}}) {
    SCOPED_TRACE(c0);
    const Tensor got = LayersModel::fromArtifacts(
                           functionalWithZeroWeights(model("lstm_cell_1"), specs(c0, c1), true))
                           .predict(x);
    EXPECT_THAT(std::vector<float>(got.floats().begin(), got.floats().end()),
                ::testing::ElementsAreArray(want.floats().begin(), want.floats().end()));
  }
  // Swapped: the cells' names, not the weights' order, decide (the shapes then disagree).
  EXPECT_THROW(LayersModel::fromArtifacts(functionalWithZeroWeights(
                   model("lstm_cell_1"), specs("lstm_cell_1", "lstm_cell"), true)),
               Error);
  try {
    LayersModel::fromArtifacts(
        functionalWithZeroWeights(model("lstm_cell"), specs("lstm_cell", "lstm_cell_1"), true));
    ADD_FAILURE() << "two cells named lstm_cell bound";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("rnn/RNNCell_0/kernel"));
  }
}

// TimeDistributed over a nested Sequential binds its weights by the inner layers' names (as TF.js
// saves them) and computes each step as the inner model does.
TEST(LayersModel, TimeDistributedOverANestedModelBindsTheInnerLayersNames) {
  const std::string config =
      R"({"class_name":"Sequential","config":{"name":"q","layers":[)"
      R"({"class_name":"TimeDistributed","config":{"name":"td","batch_input_shape":[null,4,5],)"
      R"("layer":{"class_name":"Sequential","config":{"name":"inner","layers":[)"
      R"({"class_name":"Dense","config":{"name":"d1","units":3,"batch_input_shape":[null,5]}},)"
      R"({"class_name":"Dense","config":{"name":"d2","units":2}}]}}}}]}})";
  const LayersModel m = LayersModel::fromArtifacts(functionalWithZeroWeights(
      config, {{"d1/kernel", {5, 3}}, {"d1/bias", {3}}, {"d2/kernel", {3, 2}}, {"d2/bias", {2}}},
      true));
  std::vector<float> xv(40);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = 0.1f * static_cast<float>(i % 7) - 0.3f;
  const Tensor y = m.predict(floatTensor({2, 4, 5}, xv));
  ASSERT_EQ(y.shape(), (std::vector<int64_t>{2, 4, 2}));
  // Row 0, step 0 by hand: d2(d1(x)), kernels row-major [in, out], weights sin(k) in spec order.
  auto w = [](size_t k) { return static_cast<float>(std::sin(static_cast<double>(k))); };
  std::vector<float> h(3), o(2);
  for (size_t j = 0; j < 3; ++j) {
    h[j] = w(15 + j);
    for (size_t i = 0; i < 5; ++i) h[j] += xv[i] * w(i * 3 + j);
  }
  for (size_t j = 0; j < 2; ++j) {
    o[j] = w(24 + j);
    for (size_t i = 0; i < 3; ++i) o[j] += h[i] * w(18 + i * 2 + j);
  }
  EXPECT_NEAR(y.floats()[0], o[0], 1e-5);
  EXPECT_NEAR(y.floats()[1], o[1], 1e-5);
}

}  // namespace
}  // namespace tfjs
