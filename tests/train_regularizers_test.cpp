// Regularizers in fit (train/regularizers.h). The loss curves against the real TF.js are the
// regularized_* cases of tests/oracle/make_training_cases.mjs (train_test's TrainOracle); here:
// the penalty's value and multiplicity on known weights (a layer called twice counts twice, as
// TF.js's Container.calculateLosses does), that validation and evaluate() leave it out, TF.js's
// L1L2 defaults, and what fit refuses by name: the recurrent layers' regularizers and every
// constraint (TF.js's fit ignores both; Keras applies them), activity regularizers (TF.js cannot
// build such a model).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "test_util.h"
#include "tfjs/error.h"
#include "tfjs/layers_model.h"
#include "tfjs/train.h"
#include "train/regularizers.h"
#include "train_util.h"

namespace tfjs {
namespace {

using test::randomModel;
using test::sequential;

Tensor tensor(std::vector<int64_t> shape, const std::vector<float>& v) {
  Buffer b = Buffer::allocate(v.size() * 4);
  std::memcpy(b.mutableData(), v.data(), v.size() * 4);
  return Tensor(DType::kFloat32, std::move(shape), b, 0);
}

double sumSquares(const Tensor& t) {
  double s = 0;
  for (float v : t.floats()) s += static_cast<double>(v) * v;
  return s;
}

// With a learning rate of 0 the weights stay: the epoch's loss is the data loss (what evaluate()
// reports) plus the penalty; the Dense `shared` is called twice and counts twice.
TEST(TrainRegularizers, PenaltyIsAddedOncePerCallAndLeftOutOfEvaluate) {
  Json t = Json::parse(R"({"class_name": "Functional", "config": {"name": "f",
    "layers": [
      {"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
       "config": {"name": "x", "batch_input_shape": [null, 3]}},
      {"class_name": "Dense", "name": "shared",
       "config": {"name": "shared", "units": 3,
                  "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.25}}},
       "inbound_nodes": [[["x", 0, 0, {}]], [["shared", 0, 0, {}]]]},
      {"class_name": "Add", "name": "sum", "config": {"name": "sum"},
       "inbound_nodes": [[["shared", 0, 0, {}], ["shared", 1, 0, {}]]]}],
    "input_layers": [["x", 0, 0]], "output_layers": [["sum", 0, 0]]}})");
  LayersModel m = randomModel(t, 3);
  m.compile({.optimizer = "sgd", .optimizerConfig = {{"learning_rate", 0.0}}, .loss = {"mse"}});
  const Tensor x =
      tensor({4, 3}, {0.1f, 0.2f, 0.3f, -0.4f, 0.5f, 0.6f, 0.7f, -0.8f, 0.9f, 1.0f, 0.0f, -0.5f});
  const Tensor y = tensor({4, 3}, std::vector<float>(12, 0.25f));
  FitArgs fit;
  fit.epochs = 1;
  fit.batchSize = 4;
  fit.shuffle = false;
  const History h = m.fit({x}, {y}, fit);
  const double data = m.evaluate({x}, {y}).at("loss");
  double kernel = 0;
  for (const auto& w : m.getWeights()) {
    if (w.name == "shared/kernel") kernel = sumSquares(w.tensor);
  }
  ASSERT_GT(kernel, 0);
  EXPECT_NEAR(h.history.at("loss")[0], data + 2 * 0.25 * kernel, 1e-6);
}

TEST(TrainRegularizers, TfjsAndKerasSpellings) {
  const auto reg = [](const Json& spec) {
    return train::regularizerOf("d", "Dense", {{"kernel_regularizer", spec}}, "kernel");
  };
  // TF.js's L1L2 takes 0.01 for a factor it is not given; Keras's L1 / L2 name one factor.
  const auto a = reg({{"class_name", "L1L2"}, {"config", {{"l2", 0.5}}}});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->l1, 0.01);
  EXPECT_EQ(a->l2, 0.5);
  const auto b = reg({{"class_name", "L2"}, {"config", {{"l2", 0.5}}}});
  EXPECT_EQ(b->l1, 0.0);
  EXPECT_EQ(b->l2, 0.5);
  const auto c = reg("l1l2");
  EXPECT_EQ(c->l1, 0.01);
  EXPECT_EQ(c->l2, 0.01);
  EXPECT_FALSE(reg(nullptr));
  EXPECT_FALSE(reg({{"class_name", "L1L2"}, {"config", {{"l1", 0.0}, {"l2", 0.0}}}}));
  try {
    reg({{"class_name", "OrthogonalRegularizer"}, {"config", {{"factor", 0.01}}}});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_THAT(e.what(), HasSubstr("layer 'd': kernel_regularizer"));
  }
  // The penalty and its gradient: l1 * sum|w| + l2 * sum w^2; l1 * sign(w) + 2 * l2 * w.
  const train::Regularizer r{0.5, 0.25};
  const float w[3] = {-2.0f, 0.0f, 4.0f};
  EXPECT_DOUBLE_EQ(r.penalty(w, 3), 0.5 * 6 + 0.25 * 20);
  float g[3] = {1.0f, 1.0f, 1.0f};
  r.addGradient(w, g, 3, 2.0);
  EXPECT_FLOAT_EQ(g[0], 1.0f + 2.0f * (-0.5f - 1.0f));
  EXPECT_FLOAT_EQ(g[1], 1.0f);
  EXPECT_FLOAT_EQ(g[2], 1.0f + 2.0f * (0.5f + 2.0f));
}

// Refused before any step, naming the layer: TF.js's fit ignores an LSTM's regularizers (they
// live on its cell) and cannot build a model with an activity regularizer.
TEST(TrainRegularizers, WhatTfjsIgnoresIsRefusedByName) {
  const Json l2 = {{"class_name", "L1L2"}, {"config", {{"l1", 0.0}, {"l2", 0.1}}}};
  const auto fitError = [](const Json& topo) {
    LayersModel m = randomModel(topo, 5);
    m.compile({.optimizer = "sgd", .loss = {"mse"}});
    const Tensor x = tensor({2, 3, 2}, std::vector<float>(12, 0.5f));
    const Tensor y = tensor({2, 2}, std::vector<float>(4, 0.5f));
    try {
      m.fit({x}, {y}, FitArgs{});
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_THAT(
      fitError(sequential(
          Json::array({test::layer("LSTM", "lstm", {{"units", 2}, {"recurrent_regularizer", l2}})}),
          {3, 2})),
      HasSubstr("layer 'lstm' (LSTM) has a recurrent_regularizer, which TF.js 4.22's "
                "fit ignores"));
  EXPECT_THAT(
      fitError(sequential(
          Json::array({test::layer("Flatten", "f"),
                       test::layer("Dense", "d", {{"units", 2}, {"activity_regularizer", l2}})}),
          {3, 2})),
      HasSubstr("layer 'd' (Dense) has an activity_regularizer"));
  // Constraints: TF.js's fit ignores them too (a nonNeg kernel goes negative), Keras applies them.
  const Json nonNeg = {{"class_name", "NonNeg"}, {"config", Json::object()}};
  EXPECT_THAT(
      fitError(sequential(
          Json::array({test::layer("Flatten", "f"),
                       test::layer("Dense", "d", {{"units", 2}, {"kernel_constraint", nonNeg}})}),
          {3, 2})),
      HasSubstr("layer 'd' (Dense) has a kernel_constraint, which TF.js 4.22's fit ignores"));
}

}  // namespace
}  // namespace tfjs
