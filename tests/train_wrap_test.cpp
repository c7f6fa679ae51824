// Training through TimeDistributed over a nested model (Sequential, Functional) and through a
// masked Softmax: the gradients against central finite differences of the model's own forward
// pass (including the input gradient the wrapper hands back, through a layer before it), the
// training forward against predict, the variables named as TF.js names them (the inner layers
// alone) and shared with a direct use of the same nested model, a short fit whose loss
// decreases, and the trained model saved with toArtifacts loaded by the real TF.js, which
// predicts what we predict. Softmax: Masking -> Dense -> Softmax with masked timesteps, and the
// refusal of a mask TF.js would broadcast to another shape, in training as in predict.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "model/graph_trainer.h"
#include "test_util.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"
#include "tfjs/train.h"
#include "train_util.h"

namespace tfjs {
namespace {

namespace fs = std::filesystem;
using test::layer;
using test::sequential;

// The inner Sequential: [*, 5] -> Dense(3, tanh) -> Dense(2).
Json innerSequential() {
  return {
      {"class_name", "Sequential"},
      {"config",
       {{"name", "inner"},
        {"layers",
         Json::array(
             {layer("Dense", "d1",
                    {{"units", 3}, {"activation", "tanh"}, {"batch_input_shape", {nullptr, 5}}}),
              layer("Dense", "d2", {{"units", 2}})})}}}};
}

// The same as a functional model, with a residual Add of two Dense branches.
Json innerFunctional() {
  auto node = [](const std::string& from) {
    return Json::array({Json::array({Json::array({from, 0, 0, Json::object()})})});
  };
  Json ls = Json::array();
  ls.push_back({{"class_name", "InputLayer"},
                {"name", "ii"},
                {"config", {{"name", "ii"}, {"batch_input_shape", {nullptr, 5}}}},
                {"inbound_nodes", Json::array()}});
  ls.push_back({{"class_name", "Dense"},
                {"name", "f1"},
                {"config", {{"name", "f1"}, {"units", 2}, {"activation", "tanh"}}},
                {"inbound_nodes", node("ii")}});
  ls.push_back({{"class_name", "Dense"},
                {"name", "f2"},
                {"config", {{"name", "f2"}, {"units", 2}, {"activation", "sigmoid"}}},
                {"inbound_nodes", node("ii")}});
  ls.push_back(
      {{"class_name", "Add"},
       {"name", "fa"},
       {"config", {{"name", "fa"}}},
       {"inbound_nodes", Json::array({Json::array({Json::array({"f1", 0, 0, Json::object()}),
                                                   Json::array({"f2", 0, 0, Json::object()})})})}});
  return {{"class_name", "Functional"},
          {"config",
           {{"name", "innerf"},
            {"layers", ls},
            {"input_layers", Json::array({Json::array({"ii", 0, 0})})},
            {"output_layers", Json::array({Json::array({"fa", 0, 0})})}}}};
}

// Dense on every step, the TimeDistributed(nested), Flatten, Dense: [*, 4, 5] -> [*, 2]. The
// first Dense needs the wrapper's input gradient.
Json outerModel(const Json& inner) {
  return sequential(Json::array({layer("Dense", "pre", {{"units", 5}, {"activation", "tanh"}}),
                                 layer("TimeDistributed", "td", {{"layer", inner}}),
                                 layer("Flatten", "fl"), layer("Dense", "out", {{"units", 2}})}),
                    {4, 5});
}

// A model with seeded random weights stored under the names TF.js gives them: a TimeDistributed
// over a nested model's variables under the inner layers' names (their alias), each name once
// (a nested model used twice binds one set).
LayersModel modelWithTfjsNames(const Json& topology, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  std::vector<NamedTensor> weights;
  std::set<std::string> seen;
  for (const auto& lv : listModelVariables(topology)) {
    for (const auto& v : lv.variables) {
      const std::string name = lv.className == "TimeDistributed" && !v.aliases.empty()
                                   ? v.aliases.front()
                                   : lv.layer + "/" + v.name;
      if (!seen.insert(name).second) continue;
      int64_t n = 1;
      for (auto d : v.shape) n *= d;
      Buffer b = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(n, 1)) * 4);
      auto* f = reinterpret_cast<float*>(b.data());
      for (int64_t i = 0; i < n; ++i) f[i] = u(rng);
      weights.push_back({name, Tensor(DType::kFloat32, v.shape, b, 0)});
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

std::vector<std::string> variableNames(LayersModel& m) {
  internal::GraphTrainer t(m);
  std::vector<std::string> names;
  for (const auto& v : t.variables()) names.push_back(v.name);
  return names;
}

// The training forward computes what predict computes.
void expectTrainingForwardIsPredict(LayersModel& m, const layers::Array& x) {
  internal::GraphTrainer t(m);
  layers::TrainingContext ctx;
  const auto y = t.forward({x}, ctx);
  const auto p = t.predict({x});
  ASSERT_EQ(y.size(), p.size());
  ASSERT_EQ(y[0].shape, p[0].shape);
  for (size_t i = 0; i < y[0].data.size(); ++i) {
    ASSERT_NEAR(y[0].data[i], p[0].data[i], 1e-5) << "element " << i;
  }
}

// test::checkGradients on a given input: L = sum(r * y), backward's variable gradients against
// central differences.
void checkGradientsAt(LayersModel& m, const layers::Array& x, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  internal::GraphTrainer t(m);
  layers::TrainingContext ctx;
  const auto y = t.forward({x}, ctx);
  layers::Array r(y[0].shape);
  for (auto& v : r.data) v = u(rng);
  auto loss = [&]() {
    layers::TrainingContext c2;
    const auto out = t.forward({x}, c2);
    double s = 0;
    for (size_t i = 0; i < out[0].data.size(); ++i) s += double(out[0].data[i]) * r.data[i];
    return s;
  };
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

// A float32 tensor with an array's values.
Tensor tensorOf(const layers::Array& a) {
  Buffer b = Buffer::allocate(std::max<size_t>(a.data.size(), 1) * 4);
  std::memcpy(b.data(), a.data.data(), a.data.size() * 4);
  return Tensor(DType::kFloat32, a.shape, b, 0);
}

layers::Array randomArray(const layers::Shape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  layers::Array x(s);
  for (auto& v : x.data) v = u(rng);
  return x;
}

TEST(TrainWrap, TimeDistributedOverASequentialGradients) {
  LayersModel m = test::randomModel(outerModel(innerSequential()), 3);
  // TF.js's names: the inner layers alone, no wrapper scope.
  EXPECT_EQ(variableNames(m),
            (std::vector<std::string>{"pre/kernel", "pre/bias", "d1/kernel", "d1/bias", "d2/kernel",
                                      "d2/bias", "out/kernel", "out/bias"}));
  expectTrainingForwardIsPredict(m, randomArray({3, 4, 5}, 8));
  test::checkGradients(m, {3, 4, 5}, 11);
}

TEST(TrainWrap, TimeDistributedOverAFunctionalModelGradients) {
  LayersModel m = test::randomModel(outerModel(innerFunctional()), 4);
  EXPECT_EQ(variableNames(m),
            (std::vector<std::string>{"pre/kernel", "pre/bias", "f1/kernel", "f1/bias", "f2/kernel",
                                      "f2/bias", "out/kernel", "out/bias"}));
  expectTrainingForwardIsPredict(m, randomArray({2, 4, 5}, 9));
  test::checkGradients(m, {2, 4, 5}, 12);
}

// An inner layer with trainable: false stays as it is (TF.js's TimeDistributed trains its layer's
// trainableWeights only); the other inner layer trains.
TEST(TrainWrap, TimeDistributedKeepsAFrozenInnerLayer) {
  Json inner = innerSequential();
  inner["config"]["layers"][0]["config"]["trainable"] = false;
  LayersModel m = test::randomModel(outerModel(inner), 6);
  {
    internal::GraphTrainer t(m);
    for (const auto& v : t.variables()) {
      EXPECT_EQ(v.trainable, v.name.rfind("d1/", 0) != 0) << v.name;
    }
  }
  const auto before = m.getWeights();
  std::vector<std::vector<float>> values;
  for (const auto& w : before)
    values.emplace_back(w.tensor.floats().begin(), w.tensor.floats().end());
  CompileArgs ca;
  ca.optimizer = "sgd";
  ca.loss = {"meanSquaredError"};
  m.compile(ca);
  FitArgs fa;
  fa.epochs = 1;
  fa.batchSize = 4;
  m.fit(tensorOf(randomArray({8, 4, 5}, 17)), tensorOf(randomArray({8, 2}, 18)), fa);
  const auto after = m.getWeights();
  ASSERT_EQ(after.size(), before.size());
  for (size_t k = 0; k < after.size(); ++k) {
    const auto a = after[k].tensor.floats();
    const bool same = std::equal(a.begin(), a.end(), values[k].begin(), values[k].end());
    EXPECT_EQ(same, after[k].name.rfind("d1/", 0) == 0) << after[k].name;
  }
}

// The nested model used directly (on the time average) and wrapped in a TimeDistributed: both
// uses bind the same stored weights, train one variable each, and its gradient is the sum of
// both paths' (the finite differences move both).
TEST(TrainWrap, TimeDistributedSharesTheNestedModelsVariablesWithADirectUse) {
  auto node = [](std::vector<std::string> from) {
    Json n = Json::array();
    for (const auto& f : from) n.push_back(Json::array({f, 0, 0, Json::object()}));
    return Json::array({n});
  };
  Json inner = innerSequential();
  Json ls = Json::array();
  ls.push_back({{"class_name", "InputLayer"},
                {"name", "x"},
                {"config", {{"name", "x"}, {"batch_input_shape", {nullptr, 4, 5}}}},
                {"inbound_nodes", Json::array()}});
  Json td = layer("TimeDistributed", "td", {{"layer", inner}});
  td["name"] = "td";
  td["inbound_nodes"] = node({"x"});
  ls.push_back(td);
  ls.push_back({{"class_name", "GlobalAveragePooling1D"},
                {"name", "p1"},
                {"config", {{"name", "p1"}}},
                {"inbound_nodes", node({"td"})}});
  ls.push_back({{"class_name", "GlobalAveragePooling1D"},
                {"name", "p0"},
                {"config", {{"name", "p0"}}},
                {"inbound_nodes", node({"x"})}});
  Json direct = inner;
  direct["name"] = "inner";
  direct["inbound_nodes"] = node({"p0"});
  ls.push_back(direct);
  ls.push_back({{"class_name", "Add"},
                {"name", "sum"},
                {"config", {{"name", "sum"}}},
                {"inbound_nodes",
                 // The nested model built on its own input owns node 0: this call is node 1.
                 Json::array({Json::array({Json::array({"p1", 0, 0, Json::object()}),
                                           Json::array({"inner", 1, 0, Json::object()})})})}});
  const Json topo = {{"class_name", "Functional"},
                     {"config",
                      {{"name", "shared"},
                       {"layers", ls},
                       {"input_layers", Json::array({Json::array({"x", 0, 0})})},
                       {"output_layers", Json::array({Json::array({"sum", 0, 0})})}}}};
  LayersModel m = modelWithTfjsNames(topo, 5);
  EXPECT_EQ(variableNames(m),
            (std::vector<std::string>{"d1/kernel", "d1/bias", "d2/kernel", "d2/bias"}));
  expectTrainingForwardIsPredict(m, randomArray({3, 4, 5}, 10));
  checkGradientsAt(m, randomArray({3, 4, 5}, 13), 14);
  // Trained, both uses still read one set of values, saved once under each name.
  CompileArgs ca;
  ca.optimizer = "adam";
  ca.loss = {"meanSquaredError"};
  m.compile(ca);
  FitArgs fa;
  fa.epochs = 2;
  fa.batchSize = 4;
  const layers::Array xa = randomArray({8, 4, 5}, 15), ya = randomArray({8, 2}, 16);
  const Tensor x = tensorOf(xa), y = tensorOf(ya);
  m.fit(x, y, fa);
  const auto w = m.getWeights();
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].name, "d1/kernel");
  const LayersModel again = LayersModel::fromArtifacts(m.toArtifacts());
  test::expectClose(again.predict(x), m.predict(x));
}

#define REQUIRE_TFJS()                                                                       \
  if (!fs::exists(fs::path(TFJS_SOURCE_DIR) / "tests/oracle/node_modules/@tensorflow/tfjs")) \
  GTEST_SKIP() << "SKIPPED: tests/oracle/node_modules not installed (scripts/setup.sh)"

// A short fit lowers the loss; the trained model, saved, loads in the real TF.js (whose binding
// needs the inner layers' names) and predicts what ours predicts.
TEST(TrainWrap, FitsAndTfjsPredictsTheTrainedModelAsWeDo) {
  REQUIRE_TFJS();
  for (const Json& inner : {innerSequential(), innerFunctional()}) {
    SCOPED_TRACE(inner["class_name"].get<std::string>());
    LayersModel m = test::randomModel(outerModel(inner), 21);
    CompileArgs ca;
    ca.optimizer = "adam";
    ca.loss = {"meanSquaredError"};
    m.compile(ca);
    FitArgs fa;
    fa.epochs = 6;
    fa.batchSize = 8;
    const layers::Array xa = randomArray({32, 4, 5}, 22), ya = randomArray({32, 2}, 23);
    const Tensor x = tensorOf(xa), y = tensorOf(ya);
    const Tensor before = m.predict(x);
    const History h = m.fit(x, y, fa);
    ASSERT_EQ(h.history.at("loss").size(), 6u);
    EXPECT_LT(h.history.at("loss")[5], h.history.at("loss")[0]);
    const Tensor after = m.predict(x);
    EXPECT_NE(std::memcmp(before.bytes(), after.bytes(), before.byteLength()), 0);
    test::TempDir tmp;
    saveModel(m.toArtifacts(), (tmp / "trained").string());
    const test::TfjsRun tf = test::tfjsPredict(tmp / "trained");
    ASSERT_TRUE(tf.ok) << tf.text;
    const Tensor tx =
        test::floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
    test::expectClose(m.predict(tx), test::floatTensorFromHex(tf.predict["output"]["shape"],
                                                              tf.predict["output"]["hex"]));
  }
}

// --- Softmax with a mask ---

// Masking(0) -> Dense -> Softmax over [*, 3, 3] with batch 3: TF.js broadcasts the [3, 3] mask
// against the input aligned on the last axes (mask[b][t] lands on step b, feature t of every
// sample) and adds (1 - mask) * -1e9. Two timesteps are all zeros (masked).
TEST(TrainWrap, MaskedSoftmaxGradients) {
  const Json topo = sequential(
      Json::array({layer("Masking", "mk", {{"mask_value", 0.0}}),
                   layer("Dense", "d", {{"units", 3}}), layer("Softmax", "sm", {{"axis", -1}})}),
      {3, 3});
  LayersModel m = test::randomModel(topo, 31);
  layers::Array x = randomArray({3, 3, 3}, 32);
  for (size_t f = 0; f < 3; ++f) {
    x.data[(0 * 3 + 1) * 3 + f] = 0.0f;  // sample 0, step 1
    x.data[(2 * 3 + 0) * 3 + f] = 0.0f;  // sample 2, step 0
  }
  expectTrainingForwardIsPredict(m, x);
  {
    // The mask took effect: mask[0][1] = 0 zeroes feature 1 of step 0 in every sample.
    internal::GraphTrainer t(m);
    const auto p = t.predict({x});
    for (int64_t b = 0; b < 3; ++b) EXPECT_LT(p[0].data[static_cast<size_t>(b * 9 + 1)], 1e-6f);
  }
  checkGradientsAt(m, x, 33);
}

// A mask TF.js would broadcast to another shape is refused in training as in predict.
TEST(TrainWrap, MaskedSoftmaxRefusesAMaskThatDoesNotFit) {
  const Json topo = sequential(Json::array({layer("Masking", "mk", {{"mask_value", 0.0}}),
                                            layer("Softmax", "sm", {{"axis", -1}})}),
                               {4, 3});
  LayersModel m = test::randomModel(topo, 41);
  const layers::Array x = randomArray({2, 4, 3}, 42);
  internal::GraphTrainer t(m);
  for (int pass = 0; pass < 2; ++pass) {
    try {
      layers::TrainingContext ctx;
      if (pass == 0) {
        t.predict({x});
      } else {
        t.forward({x}, ctx);
      }
      ADD_FAILURE() << "pass " << pass << ": a [2, 4] mask on [2, 4, 3] was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
      EXPECT_NE(std::string(e.what()).find("'sm' (Softmax)"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tfjs
