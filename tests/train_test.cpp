// Training: fit() against the real TF.js (tests/oracle/make_training_cases.mjs: the same starting
// weights, data and arguments give the same loss and metrics per epoch and the same final
// weights), every layer's backward pass against finite differences, and bad training input.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "model/graph_trainer.h"
#include "model/variables.h"
#include "test_util.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"
#include "tfjs/weights.h"

namespace tfjs {
namespace {

namespace fs = std::filesystem;
using test::floatTensorFromHex;
using test::readText;

const fs::path kCases = fs::path(TFJS_ORACLE_DIR).parent_path() / "training_cases";

Tensor tensorOf(const Json& j) {
  return floatTensorFromHex(j["shape"].get<std::vector<int64_t>>(), j["hex"].get<std::string>());
}

TEST(TrainOracle, FitMatchesTfjsEpochByEpoch) {
  const Json index = Json::parse(readText(kCases / "index.json"));
  ASSERT_GE(index.size(), 6u);
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
    for (const auto& [key, theirs] : c["history"].items()) {
      SCOPED_TRACE(key);
      ASSERT_TRUE(h.history.count(key)) << "no '" << key << "' in our history";
      const auto& ours = h.history.at(key);
      ASSERT_EQ(ours.size(), theirs.size());
      for (size_t e = 0; e < ours.size(); ++e) {
        const double t = theirs[e].get<double>();
        // Loss per epoch: relative difference at most 1e-4 (and 1e-6 absolute near zero).
        EXPECT_NEAR(ours[e], t, 1e-6 + 1e-4 * std::fabs(t)) << "epoch " << e;
      }
    }
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
  std::memcpy(b.data(), &ten, 4);
  const Tensor x10(DType::kFloat32, {1, 1}, b, 0);
  const float y10 = m.predict(x10).floats()[0];
  EXPECT_NEAR(y10, 19.0f, 0.05f);
  test::TempDir tmp;
  const ModelArtifacts a = m.toArtifacts(true);
  saveModel(a, (tmp / "m").string());
  const ModelArtifacts back = loadModel((tmp / "m").string());
  EXPECT_EQ(back.trainingConfig["loss"], "meanSquaredError");
  EXPECT_EQ(back.trainingConfig["optimizer_config"]["class_name"],
            m.toArtifacts().trainingConfig["optimizer_config"]["class_name"]);
  LayersModel again = LayersModel::fromArtifacts(back);
  EXPECT_EQ(again.predict(x10).floats()[0], y10);
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

// A model from a topology with seeded random weights in [-0.5, 0.5).
LayersModel randomModel(const Json& topology, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  std::vector<NamedTensor> weights;
  for (const auto& lv : listModelVariables(topology)) {
    for (const auto& v : lv.variables) {
      int64_t n = 1;
      for (auto d : v.shape) n *= d;
      Buffer b = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(n, 1)) * 4);
      auto* f = reinterpret_cast<float*>(b.data());
      for (int64_t i = 0; i < n; ++i) f[i] = u(rng);
      weights.push_back({lv.layer + "/" + v.name, Tensor(DType::kFloat32, v.shape, b, 0)});
    }
  }
  ModelArtifacts a;
  a.format = "layers-model";
  a.modelTopology = topology;
  std::vector<EncodedGroup> g;
  g.push_back(encodeWeights(weights));
  setWeightGroups(a, std::move(g));
  return LayersModel::fromArtifacts(a);
}

Json sequential(const Json& layers, const std::vector<int64_t>& inputShape) {
  Json ls = Json::array();
  bool first = true;
  for (auto l : layers) {
    if (first) {
      std::vector<int64_t> b = {-1};
      b.insert(b.end(), inputShape.begin(), inputShape.end());
      Json bj = Json::array();
      for (auto d : b) bj.push_back(d < 0 ? Json(nullptr) : Json(d));
      l["config"]["batch_input_shape"] = bj;
      first = false;
    }
    ls.push_back(l);
  }
  return {{"class_name", "Sequential"}, {"config", {{"name", "s"}, {"layers", ls}}}};
}

Json layer(const std::string& cls, const std::string& name, Json config = Json::object()) {
  config["name"] = name;
  return {{"class_name", cls}, {"config", config}};
}

// L = sum(r * y) for a fixed random r: dL/dy = r. Compares backward's variable and input
// gradients with central differences (step 1e-3 relative to the value; tolerance 2e-2 relative
// + 2e-3 absolute: the forward passes are float32, and a step must not straddle a kink such as
// relu's at 0, which the fixed seeds avoid).
void checkGradients(LayersModel& m, const std::vector<int64_t>& xShape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  layers::Array x(xShape);
  for (auto& v : x.data) v = u(rng);
  model::GraphTrainer t(m);
  layers::TrainingContext ctx;
  auto y = t.forward({x}, ctx);
  layers::Array r(y[0].shape);
  for (auto& v : r.data) v = u(rng);
  auto loss = [&]() {
    layers::TrainingContext c2;
    const auto out = t.forward({x}, c2);
    double s = 0;
    for (size_t i = 0; i < out[0].data.size(); ++i) s += double(out[0].data[i]) * r.data[i];
    return s;
  };
  t.forward({x}, ctx);
  const auto grads = t.backward({r});
  ASSERT_EQ(grads.size(), t.variables().size());
  for (size_t k = 0; k < grads.size(); ++k) {
    const auto& var = t.variables()[k];
    SCOPED_TRACE(var.name);
    for (size_t i = 0; i < var.size; ++i) {
      const float keep = var.value[i];
      const float h = 1e-3f * std::max(1.0f, std::fabs(keep));
      var.value[i] = keep + h;
      const double up = loss();
      var.value[i] = keep - h;
      const double down = loss();
      var.value[i] = keep;
      const double numeric = (up - down) / (2.0 * h);
      EXPECT_NEAR(grads[k].data[i], numeric, 2e-3 + 2e-2 * std::fabs(numeric)) << "element " << i;
    }
  }
}

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
    auto* f = reinterpret_cast<float*>(b.data());
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
  auto topo = sequential(
      Json::array({layer("LSTM", "c", {{"units", 2}}), layer("Dense", "d", {{"units", 1}})}),
      {4, 1});
  LayersModel m = randomModel(topo, 1);
  m.compile({});
  Buffer b = Buffer::allocate(16 * 4);
  std::memset(b.data(), 0, 16 * 4);
  Buffer b2 = Buffer::allocate(4 * 4);
  std::memset(b2.data(), 0, 16);
  try {
    m.fit(Tensor(DType::kFloat32, {4, 4, 1}, b, 0), Tensor(DType::kFloat32, {4, 1}, b2, 0));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'c' (LSTM)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tfjs
