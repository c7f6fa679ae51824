// Training: fit() against the real TF.js (tests/oracle/make_training_cases.mjs: the same starting
// weights, data and arguments give the same loss and metrics per epoch and the same final
// weights), every layer's backward pass against finite differences, and bad training input.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "model/graph_trainer.h"
#include "model/variables.h"
#include "test_util.h"
#include "tfjs/builder.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"
#include "tfjs/npy.h"
#include "tfjs/weights.h"
#include "train_util.h"

namespace tfjs {
namespace {

using test::floatTensorFromHex;
using test::readText;

const fs::path kCases = fs::path(TFJS_ORACLE_DIR).parent_path() / "training_cases";

Tensor tensorOf(const Json& j) {
  return floatTensorFromHex(j["shape"].get<std::vector<int64_t>>(), j["hex"].get<std::string>());
}

TEST(TrainOracle, FitMatchesTfjsEpochByEpoch) {
  const Json index = Json::parse(readText(kCases / "index.json"));
  // Issue 5's matrix: sgd, momentum, adam and rmsprop on the walkthrough, an MLP classifier with
  // categoricalCrossentropy and a small CNN; then the other models, losses and fit arguments.
  for (const char* cell :
       {"walkthrough_sgd_mse", "walkthrough_momentum_mse", "walkthrough_adam_betas_mse",
        "walkthrough_rmsprop_centered_mse", "mlp_sgd_cce_accuracy", "mlp_momentum_cce_accuracy",
        "mlp_adam_cce_accuracy", "mlp_rmsprop_rho_momentum_cce_accuracy", "cnn_sgd_cce",
        "cnn_momentum_cce", "cnn_adam_cce", "cnn_rmsprop_cce"}) {
    EXPECT_NE(std::find(index.begin(), index.end(), cell), index.end()) << "no case " << cell;
  }
  ASSERT_GE(index.size(), 18u);
  for (const auto& name : index) {
    SCOPED_TRACE(name.get<std::string>());
    const fs::path dir = kCases / name.get<std::string>();
    const Json c = Json::parse(readText(dir / "case.json"));
    LayersModel m = loadLayersModel(dir.string());
    CompileArgs ca;
    ca.optimizer = c["compile"]["optimizer"];
    ca.optimizerConfig = c["compile"]["optimizerConfig"];
    ca.loss = {c["compile"]["loss"].get<std::string>()};
    ca.metrics = c["compile"]["metrics"].get<std::vector<std::string>>();
    m.compile(ca);
    FitArgs fa;
    fa.epochs = c["fit"]["epochs"];
    fa.batchSize = c["fit"]["batchSize"];
    fa.shuffle = false;
    fa.validationSplit = c["fit"].value("validationSplit", 0.0);
    const History h = m.fit(tensorOf(c["x"]), tensorOf(c["y"]), fa);
    ASSERT_EQ(h.history.size(), c["history"].size());
    double worst = 0;  // the largest relative difference of any epoch's loss or metric
    for (const auto& [key, theirs] : c["history"].items()) {
      SCOPED_TRACE(key);
      ASSERT_TRUE(h.history.count(key)) << "no '" << key << "' in our history";
      const auto& ours = h.history.at(key);
      ASSERT_EQ(ours.size(), theirs.size());
      for (size_t e = 0; e < ours.size(); ++e) {
        const double t = theirs[e].get<double>();
        if (t != 0) worst = std::max(worst, std::fabs(ours[e] - t) / std::fabs(t));
        // Loss per epoch: relative difference at most 1e-4 (and 1e-6 absolute near zero).
        EXPECT_NEAR(ours[e], t, 1e-6 + 1e-4 * std::fabs(t)) << "epoch " << e;
      }
    }
    std::printf("%-40s %s, %zu epochs: largest relative difference per epoch %.2g\n",
                name.get<std::string>().c_str(), c["compile"]["optimizer"].dump().c_str(),
                c["history"]["loss"].size(), worst);
    const auto weights = m.getWeights();
    ASSERT_EQ(weights.size(), c["weights"].size());
    for (size_t i = 0; i < weights.size(); ++i) {
      SCOPED_TRACE(weights[i].name);
      const Tensor theirs = tensorOf(c["weights"][i]);
      ASSERT_EQ(weights[i].tensor.shape(), theirs.shape());
      const auto a = weights[i].tensor.floats();
      const auto b = theirs.floats();
      for (size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 1e-5 + 1e-4 * std::fabs(b[k]));
    }
  }
}

TEST(TrainOracle, TrainedModelSavesAndPredictsAsBeforeSaving) {
  const fs::path dir = kCases / "walkthrough_sgd_mse";
  const Json c = Json::parse(readText(dir / "case.json"));
  LayersModel m = loadLayersModel(dir.string());
  CompileArgs ca;
  ca.optimizer = "sgd";
  m.compile(ca);
  FitArgs fa;
  fa.epochs = 500;
  fa.shuffle = false;
  m.fit(tensorOf(c["x"]), tensorOf(c["y"]), fa);
  Buffer b = Buffer::allocate(4);
  const float ten = 10.0f;
  std::memcpy(b.mutableData(), &ten, 4);
  const Tensor x10(DType::kFloat32, {1, 1}, b, 0);
  const float y10 = m.predict(x10).dataSync()[0];
  EXPECT_NEAR(y10, 19.0f, 0.05f);
  test::TempDir tmp;
  const ModelArtifacts a = m.toArtifacts(true);
  saveModel(a, (tmp / "m").string());
  const ModelArtifacts back = loadModel((tmp / "m").string());
  EXPECT_EQ(back.trainingConfig["loss"], "meanSquaredError");
  EXPECT_EQ(back.trainingConfig["optimizer_config"]["class_name"],
            m.toArtifacts().trainingConfig["optimizer_config"]["class_name"]);
  LayersModel again = LayersModel::fromArtifacts(back);
  EXPECT_EQ(again.predict(x10).dataSync()[0], y10);
}

TEST(TrainOracle, TrainedModelsLoadInTfjsAndPredictAsOurs) {
  for (const char* name : {"cnn_adam_cce", "mlp_momentum_nesterov_sparse", "binary_sgd_bce"}) {
    SCOPED_TRACE(name);
    const fs::path dir = kCases / name;
    const Json c = Json::parse(readText(dir / "case.json"));
    LayersModel m = loadLayersModel(dir.string());
    CompileArgs ca;
    ca.optimizer = c["compile"]["optimizer"];
    ca.optimizerConfig = c["compile"]["optimizerConfig"];
    ca.loss = {c["compile"]["loss"].get<std::string>()};
    m.compile(ca);
    FitArgs fa;
    fa.epochs = 3;
    fa.seed = 5;  // shuffled, in tfjs-cpp's order
    m.fit(tensorOf(c["x"]), tensorOf(c["y"]), fa);
    test::TempDir tmp;
    saveModel(m.toArtifacts(true), (tmp / "trained").string());
    const test::TfjsRun tf = test::tfjsPredict(tmp / "trained");
    ASSERT_TRUE(tf.ok) << tf.text;
    const Tensor x = tensorOf(tf.predict["input"]);
    test::expectClose(m.predict(x), tensorOf(tf.predict["output"]));
  }
}

// --- gradient checks -------------------------------------------------------------------------

using test::checkGradients;
using test::layer;
using test::randomModel;
using test::sequential;

TEST(TrainGradients, DenseWithEveryActivation) {
  for (const char* act :
       {"linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus",
        "softsign", "swish", "mish", "gelu", "gelu_new", "hard_sigmoid", "log_softmax"}) {
    SCOPED_TRACE(act);
    auto topo =
        sequential(Json::array({layer("Dense", "d1", {{"units", 5}, {"activation", act}}),
                                layer("Dense", "d2", {{"units", 3}, {"activation", "linear"}})}),
                   {4});
    LayersModel m = randomModel(topo, 7);
    checkGradients(m, {6, 4}, 11);
  }
}

TEST(TrainGradients, ActivationFlattenReshapeRank3Dense) {
  auto topo = sequential(
      Json::array({layer("Dense", "d1", {{"units", 3}, {"activation", "tanh"}}),
                   layer("Activation", "a", {{"activation", "sigmoid"}}), layer("Flatten", "f"),
                   layer("Reshape", "r", {{"target_shape", {3, 3}}}),
                   layer("Activation", "sm", {{"activation", "softmax"}}), layer("Flatten", "f2"),
                   layer("Dense", "d2", {{"units", 2}})}),
      {3, 2});
  LayersModel m = randomModel(topo, 3);
  checkGradients(m, {4, 3, 2}, 5);
}

TEST(TrainGradients, SharedLayerAndNestedModelAccumulate) {
  // Functional: the same Dense applied twice, then added; a nested Sequential after it.
  Json inner = sequential(
      Json::array({layer("Dense", "inner_d", {{"units", 2}, {"activation", "tanh"}})}), {3});
  inner["config"]["name"] = "inner";
  Json topo = {
      {"class_name", "Functional"},
      {"config",
       {{"name", "f"},
        {"layers",
         Json::array({{{"class_name", "InputLayer"},
                       {"name", "in"},
                       {"config", {{"name", "in"}, {"batch_input_shape", {nullptr, 3}}}},
                       {"inbound_nodes", Json::array()}},
                      {{"class_name", "Dense"},
                       {"name", "shared"},
                       {"config", {{"name", "shared"}, {"units", 3}, {"activation", "relu"}}},
                       {"inbound_nodes",
                        {{{"in", 0, 0, Json::object()}}, {{"shared", 0, 0, Json::object()}}}}},
                      {{"class_name", "Add"},
                       {"name", "add"},
                       {"config", {{"name", "add"}}},
                       {"inbound_nodes",
                        {{{"shared", 0, 0, Json::object()}, {"shared", 1, 0, Json::object()}}}}},
                      {{"class_name", "Sequential"},
                       {"name", "inner"},
                       {"config", inner["config"]},
                       {"inbound_nodes", {{{"add", 0, 0, Json::object()}}}}}})},
        {"input_layers", {{"in", 0, 0}}},
        // Node 0 of a nested model with its own input is its internal node (Keras numbering).
        {"output_layers", {{"inner", 1, 0}}}}}};
  LayersModel m = randomModel(topo, 9);
  checkGradients(m, {5, 3}, 13);
}

TEST(TrainGradients, ConvolutionsAndPooling) {
  struct Case {
    const char* what;
    Json layers;
    std::vector<int64_t> input;
  };
  const std::vector<Case> cases = {
      {"conv2d valid + maxpool",
       Json::array(
           {layer("Conv2D", "c", {{"filters", 3}, {"kernel_size", 3}, {"activation", "relu"}}),
            layer("MaxPooling2D", "p", {{"pool_size", 2}}), layer("Flatten", "f"),
            layer("Dense", "d", {{"units", 2}})}),
       {7, 7, 2}},
      {"conv2d same strides 2 + avgpool same",
       Json::array({layer("Conv2D", "c",
                          {{"filters", 2},
                           {"kernel_size", 3},
                           {"strides", 2},
                           {"padding", "same"},
                           {"activation", "tanh"}}),
                    layer("AveragePooling2D", "p", {{"pool_size", 2}, {"padding", "same"}}),
                    layer("Flatten", "f")}),
       {6, 5, 3}},
      {"conv2d dilation 2, channels_first",
       Json::array({layer("Conv2D", "c",
                          {{"filters", 2},
                           {"kernel_size", 2},
                           {"dilation_rate", 2},
                           {"data_format", "channels_first"}}),
                    layer("Flatten", "f")}),
       {2, 6, 6}},
      {"conv1d + global average",
       Json::array(
           {layer("Conv1D", "c", {{"filters", 4}, {"kernel_size", 2}, {"activation", "sigmoid"}}),
            layer("GlobalAveragePooling1D", "g")}),
       {6, 3}},
      {"conv3d",
       Json::array(
           {layer("Conv3D", "c", {{"filters", 2}, {"kernel_size", 2}}), layer("Flatten", "g")}),
       {3, 3, 3, 2}},
      {"maxpool1d + avgpool3d",
       Json::array({layer("Conv1D", "c", {{"filters", 2}, {"kernel_size", 1}}),
                    layer("MaxPooling1D", "p", {{"pool_size", 2}}), layer("Flatten", "f")}),
       {6, 2}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    LayersModel m = randomModel(sequential(c.layers, c.input), 21);
    std::vector<int64_t> x = {3};
    x.insert(x.end(), c.input.begin(), c.input.end());
    checkGradients(m, x, 17);
  }
}

TEST(TrainGradients, MergeLayersWithBroadcasting) {
  for (const char* cls : {"Add", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}) {
    SCOPED_TRACE(cls);
    // x -> a = Dense(4), b = Dense(4) on x, c = Dense(1) (broadcast, except for Concatenate).
    const bool cat = std::string(cls) == "Concatenate";
    auto dense = [](const char* name, int units, const char* from) {
      return Json{{"class_name", "Dense"},
                  {"name", name},
                  {"config", {{"name", name}, {"units", units}, {"activation", "tanh"}}},
                  {"inbound_nodes", {{{from, 0, 0, Json::object()}}}}};
    };
    Json topo = {{"class_name", "Functional"},
                 {"config",
                  {{"name", "f"},
                   {"layers",
                    Json::array({{{"class_name", "InputLayer"},
                                  {"name", "in"},
                                  {"config", {{"name", "in"}, {"batch_input_shape", {nullptr, 3}}}},
                                  {"inbound_nodes", Json::array()}},
                                 dense("a", 4, "in"),
                                 dense("b", 4, "in"),
                                 dense("c", cat ? 2 : 1, "in"),
                                 {{"class_name", cls},
                                  {"name", "m"},
                                  {"config", {{"name", "m"}}},
                                  {"inbound_nodes",
                                   {{{"a", 0, 0, Json::object()},
                                     {"b", 0, 0, Json::object()},
                                     {"c", 0, 0, Json::object()}}}}}})},
                   {"input_layers", {{"in", 0, 0}}},
                   {"output_layers", {{"m", 0, 0}}}}}};
    LayersModel m = randomModel(topo, 4);
    checkGradients(m, {5, 3}, 8);
  }
}

// --- the builder API and model specs ------------------------------------------------------------

TEST(Builder, SequentialBuildsTrainsAndLoadsInTfjs) {
  LayersModel m = tfjs::sequential({layers::conv2d({.filters = 3,
                                                    .kernelSize = {3},
                                                    .padding = "same",
                                                    .activation = "relu",
                                                    .inputShape = {6, 6, 1}}),
                                    layers::maxPooling2d({}), layers::flatten(),
                                    layers::dense({.units = 2, .activation = "softmax"})})
                      .build(7);
  EXPECT_THAT(m.summary(), ::testing::HasSubstr("conv2d (Conv2D)"));
  EXPECT_THAT(m.summary(), ::testing::HasSubstr("dense (Dense)"));
  // Different seeds draw different weights; the same seed the same.
  const auto w7 = m.getWeights();
  const auto again = tfjs::sequential({layers::dense({.units = 2, .inputShape = {3}})}).build(7);
  const auto other = tfjs::sequential({layers::dense({.units = 2, .inputShape = {3}})}).build(8);
  const auto a = again.getWeights()[0].tensor.floats();
  const auto b = other.getWeights()[0].tensor.floats();
  EXPECT_FALSE(std::equal(a.begin(), a.end(), b.begin()));
  // Trains, saves, and the real TF.js loads it and predicts what we predict.
  Buffer xb = Buffer::allocate(8 * 36 * 4), yb = Buffer::allocate(8 * 2 * 4);
  auto* xf = reinterpret_cast<float*>(xb.mutableData());
  auto* yf = reinterpret_cast<float*>(yb.mutableData());
  for (int i = 0; i < 8 * 36; ++i) xf[i] = static_cast<float>((i * 37) % 11) / 11.0f;
  for (int i = 0; i < 8; ++i) {
    yf[2 * i] = static_cast<float>(i % 2);
    yf[2 * i + 1] = 1.0f - yf[2 * i];
  }
  CompileArgs ca;
  ca.optimizer = "adam";
  ca.loss = {"categoricalCrossentropy"};
  ca.metrics = {"accuracy"};
  m.compile(ca);
  FitArgs fa;
  fa.epochs = 3;
  fa.batchSize = 4;
  const History h = m.fit(Tensor(DType::kFloat32, {8, 6, 6, 1}, xb, 0),
                          Tensor(DType::kFloat32, {8, 2}, yb, 0), fa);
  EXPECT_EQ(h.history.at("loss").size(), 3u);
  EXPECT_EQ(h.history.at("acc").size(), 3u);
  test::TempDir tmp;
  saveModel(m.toArtifacts(), (tmp / "built").string());
  const test::TfjsRun tf = test::tfjsPredict(tmp / "built");
  ASSERT_TRUE(tf.ok) << tf.text;
  test::expectClose(m.predict(tensorOf(tf.predict["input"])), tensorOf(tf.predict["output"]));
  // Errors: no input shape on the first layer; a kernel size of the wrong rank.
  EXPECT_THROW(tfjs::sequential({layers::dense({.units = 1})}).toJSON(), Error);
  EXPECT_THROW(layers::conv2d({.filters = 1, .kernelSize = {1, 2, 3}}), Error);
}

TEST(Builder, ModelSpecOnTheCommandLine) {
  test::TempDir tmp;
  writeNpy(floatTensorFromHex({6, 1}, "000080bf000000000000803f000000400000404000008040"),
           (tmp / "x.npy").string());
  writeNpy(floatTensorFromHex({6, 1}, "000040c0000080bf0000803f000040400000a0400000e040"),
           (tmp / "y.npy").string());
  auto r = test::runCli(fmt::format(
      "train in:1,dense:1 --x {} --y {} --epochs 500 --optimizer sgd --loss meanSquaredError "
      "--seed 3 --out {} --history {} --h5 {} --quiet",
      test::quote(tmp / "x.npy"), test::quote(tmp / "y.npy"), test::quote(tmp / "m"),
      test::quote(tmp / "h.json"), test::quote(tmp / "m.h5")));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  // The .h5 holds the same weights (read back through tfjs convert).
  r = test::runCli(
      fmt::format("convert {} {}", test::quote(tmp / "m.h5"), test::quote(tmp / "back")));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(test::readText(tmp / "back/group1-shard1of1.bin"),
            test::readText(tmp / "m/group1-shard1of1.bin"));
  // An existing output is refused before any training.
  r = test::runCli(fmt::format("train in:1,dense:1 --x {} --y {} --out {}",
                               test::quote(tmp / "x.npy"), test::quote(tmp / "y.npy"),
                               test::quote(tmp / "m")));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, ::testing::HasSubstr("[exists]"));
  const LayersModel m = loadLayersModel((tmp / "m").string());
  const auto w = m.getWeights();
  EXPECT_NEAR(w[0].tensor.floats()[0], 2.0f, 0.02f);  // y = 2x - 1
  EXPECT_NEAR(w[1].tensor.floats()[0], -1.0f, 0.05f);
  const Json h = Json::parse(test::readText(tmp / "h.json"));
  EXPECT_EQ(h["history"]["loss"].size(), 500u);
  EXPECT_EQ(loadModel((tmp / "m").string()).trainingConfig["loss"], "meanSquaredError");
  // Bad input: an unknown layer, sample counts that differ, an unknown loss: exit 2 or 1 with a
  // clear message and nothing written.
  r = test::runCli(fmt::format("train in:1,dense:1,warp:3 --x {} --y {} --out {}",
                               test::quote(tmp / "x.npy"), test::quote(tmp / "y.npy"),
                               test::quote(tmp / "bad1")));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.out, ::testing::HasSubstr("unknown layer 'warp'"));
  writeNpy(floatTensorFromHex({2, 1}, "0000803f00000040"), (tmp / "y2.npy").string());
  r = test::runCli(fmt::format("train in:1,dense:1 --x {} --y {} --out {}",
                               test::quote(tmp / "x.npy"), test::quote(tmp / "y2.npy"),
                               test::quote(tmp / "bad2")));
  EXPECT_EQ(r.exitCode, 2) << r.out;  // invalid-argument: the data given is unusable
  EXPECT_THAT(r.out, ::testing::HasSubstr("samples"));
  r = test::runCli(fmt::format("train in:1,dense:1 --x {} --y {} --loss nope --out {}",
                               test::quote(tmp / "x.npy"), test::quote(tmp / "y.npy"),
                               test::quote(tmp / "bad3")));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.out, ::testing::HasSubstr("nope"));
  for (const char* d : {"bad1", "bad2", "bad3"}) EXPECT_FALSE(fs::exists(tmp / d)) << d;
}

// --- bad input ---------------------------------------------------------------------------------

TEST(TrainErrors, BadDataIsRefusedBeforeAnyStep) {
  auto topo = sequential(Json::array({layer("Dense", "d", {{"units", 1}})}), {2});
  LayersModel m = randomModel(topo, 1);
  const auto before = m.getWeights()[0].tensor.floats();
  const std::vector<float> keep(before.begin(), before.end());
  auto make = [](std::vector<int64_t> shape, float fill) {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    Buffer b = Buffer::allocate(static_cast<size_t>(n) * 4);
    auto* f = reinterpret_cast<float*>(b.mutableData());
    for (int64_t i = 0; i < n; ++i) f[i] = fill;
    return Tensor(DType::kFloat32, shape, b, 0);
  };
  auto expectError = [&](auto fn, const std::string& fragment) {
    try {
      fn();
      ADD_FAILURE() << "no error; expected one mentioning '" << fragment << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectError([&] { m.fit(make({4, 2}, 1), make({4, 1}, 1)); }, "not compiled");
  CompileArgs badOptimizer, badLoss;
  badOptimizer.optimizer = "nope";
  badLoss.loss = {"meanSquaredErr"};
  expectError([&] { m.compile(badOptimizer); }, "nope");
  expectError([&] { m.compile(badLoss); }, "meanSquaredErr");
  m.compile({});
  expectError([&] { m.fit(make({4, 2}, 1), make({3, 1}, 1)); }, "samples");
  expectError([&] { m.fit(make({4, 3}, 1), make({4, 1}, 1)); }, "shape");
  expectError([&] { m.fit(make({4, 2}, NAN), make({4, 1}, 1)); }, "finite");
  expectError([&] { m.fit(make({4, 2}, 1), make({4, 1}, INFINITY)); }, "finite");
  FitArgs bad;
  bad.batchSize = 0;
  expectError([&] { m.fit(make({4, 2}, 1), make({4, 1}, 1), bad); }, "batchSize");
  bad = {};
  bad.validationSplit = 0.9;  // floor(4 * 0.1) = 0 training samples
  expectError([&] { m.fit(make({4, 2}, 1), make({4, 1}, 1), bad); }, "validationSplit");
  const auto after = m.getWeights()[0].tensor.floats();
  EXPECT_EQ(std::vector<float>(after.begin(), after.end()), keep) << "weights changed";
}

TEST(TrainErrors, LayersWithoutBackwardAreNamed) {
  // CenterCrop: TF.js itself has no gradient for its crop (CropAndResize).
  auto topo = sequential(Json::array({layer("Dense", "d0", {{"units", 4}}),
                                      layer("Reshape", "r", {{"target_shape", {2, 2, 1}}}),
                                      layer("CenterCrop", "c", {{"height", 1}, {"width", 1}}),
                                      layer("Flatten", "f"), layer("Dense", "d", {{"units", 1}})}),
                         {4});
  LayersModel m = randomModel(topo, 1);
  m.compile({});
  Buffer b = Buffer::allocate(16 * 4);
  std::memset(b.mutableData(), 0, 16 * 4);
  Buffer b2 = Buffer::allocate(4 * 4);
  std::memset(b2.mutableData(), 0, 16);
  try {
    m.fit(Tensor(DType::kFloat32, {4, 4}, b, 0), Tensor(DType::kFloat32, {4, 1}, b2, 0));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'c' (CenterCrop)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tfjs
