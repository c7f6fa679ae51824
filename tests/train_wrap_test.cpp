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

using test::expectTrainingForwardIsPredict;
using test::functional;
using test::input;
using test::layer;
using test::node;
using test::randomArray;
using test::sequential;
using test::tensorOf;

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
  return functional(
      Json::array({input("ii", {5}),
                   node("Dense", "f1", {{"units", 2}, {"activation", "tanh"}}, {"ii"}),
                   node("Dense", "f2", {{"units", 2}, {"activation", "sigmoid"}}, {"ii"}),
                   node("Add", "fa", Json::object(), {"f1", "f2"})}),
      {"ii"}, {{"fa", 0}}, "innerf");
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
  return test::randomModel(topology, seed, [](const LayerVariables& lv, const LayerVariable& v) {
    return lv.className == "TimeDistributed" && !v.aliases.empty() ? v.aliases.front()
                                                                   : lv.layer + "/" + v.name;
  });
}

std::vector<std::string> variableNames(LayersModel& m) {
  internal::GraphTrainer t(m);
  std::vector<std::string> names;
  for (const auto& v : t.variables()) names.push_back(v.name);
  return names;
}

// The outer model over `inner`: the variables under TF.js's names (`innerNames`: the inner
// layers alone, no wrapper scope), the training forward against predict on an input from
// `forwardSeed`, the gradients on one from `gradientSeed`.
void checkTimeDistributed(const Json& inner, uint32_t seed,
                          const std::vector<std::string>& innerNames, int64_t batch,
                          uint32_t forwardSeed, uint32_t gradientSeed) {
  LayersModel m = test::randomModel(outerModel(inner), seed);
  std::vector<std::string> names = {"pre/kernel", "pre/bias"};
  names.insert(names.end(), innerNames.begin(), innerNames.end());
  names.insert(names.end(), {"out/kernel", "out/bias"});
  EXPECT_EQ(variableNames(m), names);
  expectTrainingForwardIsPredict(m, {randomArray({batch, 4, 5}, forwardSeed)});
  test::checkGradients(m, {batch, 4, 5}, gradientSeed);
}

// test::checkGradients on a given input.
void checkGradientsAt(LayersModel& m, const layers::Array& x, uint32_t seed) {
  std::mt19937 rng(seed);
  test::checkModelGradients(m, {x}, rng);
}

TEST(TrainWrap, TimeDistributedOverASequentialGradients) {
  checkTimeDistributed(innerSequential(), 3, {"d1/kernel", "d1/bias", "d2/kernel", "d2/bias"}, 3, 8,
                       11);
}

TEST(TrainWrap, TimeDistributedOverAFunctionalModelGradients) {
  checkTimeDistributed(innerFunctional(), 4, {"f1/kernel", "f1/bias", "f2/kernel", "f2/bias"}, 2, 9,
                       12);
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
  test::fitMse(m, "sgd", {tensorOf(randomArray({8, 4, 5}, 17))},
               {tensorOf(randomArray({8, 2}, 18))}, 1, 4);
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
  Json inner = innerSequential();
  Json direct = inner;
  direct["name"] = "inner";
  direct["inbound_nodes"] = Json::array({Json::array({Json::array({"p0", 0, 0, Json::object()})})});
  // The nested model built on its own input owns node 0: the call in "sum" is node 1.
  Json sum = node("Add", "sum", Json::object(), {});
  sum["inbound_nodes"] = Json::array({Json::array(
      {Json::array({"p1", 0, 0, Json::object()}), Json::array({"inner", 1, 0, Json::object()})})});
  const Json topo = functional(
      Json::array({input("x", {4, 5}), node("TimeDistributed", "td", {{"layer", inner}}, {"x"}),
                   node("GlobalAveragePooling1D", "p1", Json::object(), {"td"}),
                   node("GlobalAveragePooling1D", "p0", Json::object(), {"x"}), direct, sum}),
      {"x"}, {{"sum", 0}}, "shared");
  LayersModel m = modelWithTfjsNames(topo, 5);
  EXPECT_EQ(variableNames(m),
            (std::vector<std::string>{"d1/kernel", "d1/bias", "d2/kernel", "d2/bias"}));
  expectTrainingForwardIsPredict(m, {randomArray({3, 4, 5}, 10)});
  checkGradientsAt(m, randomArray({3, 4, 5}, 13), 14);
  // Trained, both uses still read one set of values, saved once under each name.
  const Tensor x = tensorOf(randomArray({8, 4, 5}, 15));
  test::fitMse(m, "adam", {x}, {tensorOf(randomArray({8, 2}, 16))}, 2, 4);
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
    const Tensor x = tensorOf(randomArray({32, 4, 5}, 22));
    const Tensor before = m.predict(x);
    const History h = test::fitMse(m, "adam", {x}, {tensorOf(randomArray({32, 2}, 23))}, 6, 8);
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
  expectTrainingForwardIsPredict(m, {x});
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
