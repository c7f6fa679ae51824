// Running layers models natively against what the real TF.js computed: the oracle's models
// (tests/oracle: TF.js's predict on seeded inputs), the walkthrough model, and the tfjs-layers
// test models of the real fixtures with their stored inputs and outputs.
// Tolerance: |ours - tfjs| <= 1e-5 + 1e-4 * |tfjs| (float32 sums in a different order).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

namespace fs = std::filesystem;

Tensor floatTensorFromHex(const std::vector<int64_t>& shape, const std::string& hex) {
  Buffer b = Buffer::allocate(hex.size() / 2);
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    b.data()[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  return Tensor(DType::kFloat32, shape, b, 0);
}

Tensor floatTensor(const std::vector<int64_t>& shape, const std::vector<float>& v) {
  Buffer b = Buffer::allocate(v.size() * 4);
  if (!v.empty()) std::memcpy(b.data(), v.data(), v.size() * 4);
  return Tensor(DType::kFloat32, shape, b, 0);
}

void expectClose(const Tensor& ours, const Tensor& theirs) {
  ASSERT_EQ(ours.shape(), theirs.shape());
  const auto a = ours.floats();
  const auto b = theirs.floats();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], b[i], 1e-5 + 1e-4 * std::fabs(b[i])) << "element " << i;
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
  EXPECT_EQ(readNpy((tmp / "y.npy").string()).floats()[0], y.floats()[0]);
}

TEST(LayersModel, TfjsLayersTestModelsMatchTheirStoredOutputs) {
  TFJS_REQUIRE_FIXTURES();
  const fs::path base = fixtures / "tfjs_layers_tfjs2keras_testdata";
  for (const char* name :
       {"mlp", "functional_merge.json", "cnn", "depthwise_cnn", "one_dimensional"}) {
    SCOPED_TRACE(name);
    const LayersModel m = loadLayersModel((base / name).string());
    const Json xs = Json::parse(test::readText(base / (std::string(name) + ".xs-data.json")));
    const Json xshapes =
        Json::parse(test::readText(base / (std::string(name) + ".xs-shapes.json")));
    const Json ys = Json::parse(test::readText(base / (std::string(name) + ".ys-data.json")));
    const Json yshapes =
        Json::parse(test::readText(base / (std::string(name) + ".ys-shapes.json")));
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
  TFJS_REQUIRE_FIXTURES();
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
    const LayersModel m = loadLayersModel((fixtures / name).string());
    const Tensor x = floatTensorFromHex(theirs["input"]["shape"], theirs["input"]["hex"]);
    expectClose(m.predict(x),
                floatTensorFromHex(theirs["output"]["shape"], theirs["output"]["hex"]));
  }
}

TEST(LayersModel, UnsupportedClassNamesTheLayerAndClass) {
  TFJS_REQUIRE_FIXTURES();
  try {
    loadLayersModel((fixtures / "pair_pytraining_custom_layer_noweights/web_model2").string());
    FAIL() << "a custom layer class was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("HyperScale"));
  }
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

TEST(LayersModel, MaskReadersAfterMaskProducersAreRefused) {
  ModelArtifacts a = parseModelJson(
      R"({"format":"layers-model","modelTopology":{"class_name":"Sequential","config":{"name":"s","layers":[)"
      R"({"class_name":"Embedding","config":{"name":"e","input_dim":4,"output_dim":3,"mask_zero":true,"batch_input_shape":[null,5]}},)"
      R"({"class_name":"Softmax","config":{"name":"sm","axis":-1}}]}},)"
      R"("weightsManifest":[{"paths":["w.bin"],"weights":[{"name":"e/embeddings","shape":[4,3],"dtype":"float32"}]}]})");
  a.weightData = Buffer::allocate(48);
  std::memset(a.weightData.data(), 0, 48);
  a.weightsManifest[0].pathSizes = {48};
  a.weightsLoaded = true;
  try {
    LayersModel::fromArtifacts(a);
    FAIL() << "a mask reader was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("mask"));
  }
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
  TFJS_REQUIRE_FIXTURES();
  EXPECT_THROW(loadLayersModel((fixtures / "graph_tfjs_rn_dense").string()), Error);
  const fs::path dir(TFJS_ORACLE_DIR);
  const LayersModel m = loadLayersModel((dir / "dense_f32").string());
  try {
    m.predict(floatTensor({2, 3}, {1, 2, 3, 4, 5, 6}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_THAT(e.what(), ::testing::HasSubstr("must have shape"));
  }
}

}  // namespace
}  // namespace tfjs
