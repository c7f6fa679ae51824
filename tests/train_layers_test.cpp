// Backward passes of the normalization, activation, embedding, padding / cropping / upsampling,
// Permute / RepeatVector and the remaining convolution layers (DepthwiseConv2D, SeparableConv2D,
// Conv2DTranspose, Conv3DTranspose) against central finite differences (train_util.h), for each
// config variant; BatchNormalization's training statistics and moving-average update against
// values computed here in double from TF.js's formulas. (Fit against the real TF.js, BatchNorm
// included, is tests/train_test.cpp's oracle.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "layers/layer.h"
#include "model/graph_trainer.h"
#include "tfjs/error.h"
#include "tfjs/layers_model.h"
#include "train_util.h"

namespace tfjs {
namespace {

using test::checkGradients;
using test::layer;
using test::randomModel;
using test::sequential;

TEST(TrainLayerGradients, BatchNormalizationThroughTheBatchStatistics) {
  struct Case {
    const char* what;
    Json layers;
    std::vector<int64_t> inputShape, xShape;
  };
  const std::vector<Case> cases = {
      {"dense, last axis",
       Json::array({layer("Dense", "d", {{"units", 4}, {"activation", "tanh"}}),
                    layer("BatchNormalization", "bn", {{"momentum", 0.9}}),
                    layer("Dense", "d2", {{"units", 2}})}),
       {3},
       {6, 3}},
      {"no center, no scale",
       Json::array({layer("Dense", "d", {{"units", 3}}),
                    layer("BatchNormalization", "bn",
                          {{"center", false}, {"scale", false}, {"epsilon", 0.01}}),
                    layer("Dense", "d2", {{"units", 2}})}),
       {3},
       {5, 3}},
      {"conv, channels_last",
       Json::array({layer("Conv2D", "c", {{"filters", 3}, {"kernel_size", 2}}),
                    layer("BatchNormalization", "bn"), layer("Flatten", "f"),
                    layer("Dense", "d2", {{"units", 2}})}),
       {4, 4, 2},
       {3, 4, 4, 2}},
      {"conv, channels_first, axis 1",
       Json::array({layer("Conv2D", "c",
                          {{"filters", 3}, {"kernel_size", 2}, {"data_format", "channels_first"}}),
                    layer("BatchNormalization", "bn", {{"axis", 1}, {"scale", false}}),
                    layer("Flatten", "f"), layer("Dense", "d2", {{"units", 2}})}),
       {2, 4, 4},
       {3, 2, 4, 4}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    LayersModel m = randomModel(sequential(c.layers, c.inputShape), 21);
    checkGradients(m, c.xShape, 4);
  }
}

// The batch mean and (biased) variance normalize the output; the moving statistics move
// towards them by 1 - momentum; predict() then reads the updated moving statistics.
TEST(TrainLayerGradients, BatchNormalizationUpdatesTheMovingStatistics) {
  LayersModel m = randomModel(
      sequential(Json::array({layer("BatchNormalization", "bn", {{"momentum", 0.75}})}), {2}), 3);
  internal::GraphTrainer t(m);
  std::vector<float> before[4];
  for (size_t k = 0; k < 4; ++k) {
    before[k].assign(t.variables()[k].value, t.variables()[k].value + t.variables()[k].size);
  }
  ASSERT_EQ(t.variables()[2].name, "bn/moving_mean");
  EXPECT_FALSE(t.variables()[2].trainable);
  EXPECT_FALSE(t.variables()[3].trainable);
  const std::vector<float> xs = {1.0f, -2.0f, 3.0f, 0.5f, -1.5f, 4.0f, 2.0f, 0.25f};
  layers::Array x({4, 2}, xs);
  layers::TrainingContext ctx;
  const auto y = t.forward({x}, ctx);
  for (size_t c = 0; c < 2; ++c) {
    double mean = 0, var = 0;
    for (size_t i = 0; i < 4; ++i) mean += xs[i * 2 + c] / 4.0;
    for (size_t i = 0; i < 4; ++i) var += (xs[i * 2 + c] - mean) * (xs[i * 2 + c] - mean) / 4.0;
    for (size_t i = 0; i < 4; ++i) {
      const double expect =
          before[1][c] + (xs[i * 2 + c] - mean) * before[0][c] / std::sqrt(var + 1e-3);
      EXPECT_NEAR(y[0].data[i * 2 + c], expect, 1e-5);
    }
    EXPECT_NEAR(t.variables()[2].value[c], before[2][c] - (before[2][c] - mean) * 0.25, 1e-6);
    EXPECT_NEAR(t.variables()[3].value[c], before[3][c] - (before[3][c] - var) * 0.25, 1e-6);
  }
  // The moving statistics get no gradient.
  const auto grads = t.backward({y[0]});
  for (size_t k = 2; k < 4; ++k) {
    for (float g : grads[k].data) EXPECT_EQ(g, 0.0f);
  }
  // After commit, inference normalizes with the updated moving statistics.
  t.commit();
  const auto p = t.predict({x});
  for (size_t i = 0; i < 8; ++i) {
    const size_t c = i % 2;
    const double expect = before[1][c] + (xs[i] - t.variables()[2].value[c]) * before[0][c] /
                                             std::sqrt(t.variables()[3].value[c] + 1e-3);
    EXPECT_NEAR(p[0].data[i], expect, 1e-4 * std::max(1.0, std::fabs(expect))) << i;
  }
}

TEST(TrainLayerGradients, LayerNormalization) {
  for (const Json& cfg :
       {Json{{"axis", -1}}, Json{{"axis", Json::array({1, 2})}},
        Json{{"axis", Json::array({2, 1})}, {"epsilon", 0.1}}, Json{{"axis", 1}, {"center", false}},
        Json{{"axis", -1}, {"scale", false}}}) {
    SCOPED_TRACE(cfg.dump());
    LayersModel m = randomModel(
        sequential(Json::array({layer("Dense", "d", {{"units", 4}}),
                                layer("LayerNormalization", "ln", cfg), layer("Flatten", "f"),
                                layer("Dense", "d2", {{"units", 2}})}),
                   {3, 2}),
        5);
    checkGradients(m, {4, 3, 2}, 6);
  }
}

// Keras's Normalization in training: nothing of it trains (Keras adapts it before fit); the
// gradient flows through it as dy / std (dy * std inverted) to the Dense before it.
TEST(TrainLayerGradients, KerasNormalization) {
  for (const bool invert : {false, true}) {
    SCOPED_TRACE(invert);
    LayersModel m = randomModel(sequential(Json::array({layer("Dense", "d", {{"units", 3}}),
                                                        layer("Normalization", "n",
                                                              {{"axis", -1},
                                                               {"mean", {1.0, -2.0, 0.5}},
                                                               {"variance", {4.0, 0.25, 9.0}},
                                                               {"invert", invert}}),
                                                        layer("Dense", "d2", {{"units", 2}})}),
                                           {2}),
                                8);
    checkGradients(m, {4, 2}, 9);
  }
}

TEST(TrainLayerGradients, ActivationLayers) {
  const std::vector<Json> acts = {
      layer("ReLU", "a"),
      layer("ReLU", "a", {{"max_value", 0.3}}),
      layer("LeakyReLU", "a", {{"alpha", 0.2}}),
      layer("PReLU", "a"),
      layer("PReLU", "a", {{"shared_axes", Json::array({1})}}),
      layer("ELU", "a"),
      layer("ThresholdedReLU", "a", {{"theta", 0.1}}),
      layer("Softmax", "a", {{"axis", -1}}),
      layer("Softmax", "a", {{"axis", Json::array({1, 2})}}),
      layer("Rescaling", "a", {{"scale", 0.5}, {"offset", 1.0}}),
      layer("Rescaling", "a", {{"scale", Json::array({0.5, -2.0, 3.0, 1.0})}}),
  };
  for (const Json& a : acts) {
    SCOPED_TRACE(a.dump());
    LayersModel m = randomModel(
        sequential(Json::array({layer("Dense", "d", {{"units", 4}}), a, layer("Flatten", "f"),
                                layer("Dense", "d2", {{"units", 2}})}),
                   {3, 2}),
        9);
    checkGradients(m, {5, 3, 2}, 10);
  }
}

// The conventions at the kinks, against gradients the real TF.js 4.22 gave for the same inputs
// (tf.grad of sum(layer(x) * r), recorded): relu's step is 0 at 0, clipByValue passes the
// gradient at max_value, leakyRelu / prelu take the alpha branch at 0, elu's gradient at 0 is 1.
TEST(TrainLayerGradients, KinksFollowTfjs) {
  const std::vector<float> x = {0.3f, 0.5f, 0.0f, -1.0f, 0.2f};
  const std::vector<float> r = {1, 2, 3, 4, 5};
  struct Case {
    const char* cls;
    Json config;
    std::vector<float> alpha;  // PReLU's weights
    std::vector<float> expect;
  };
  const std::vector<Case> cases = {
      {"ReLU", {{"max_value", 0.3}}, {}, {1, 0, 0, 0, 5}},
      {"LeakyReLU", {{"alpha", 0.2}}, {}, {1, 2, 0.6f, 0.8f, 5}},
      {"ELU", Json::object(), {}, {1, 2, 3, 1.47151780128479f, 5}},
      {"PReLU",
       Json::object(),
       {0.1f, 0.2f, 0.3f, 0.4f, 0.5f},
       {1, 2, 0.9000000357627869f, 1.6f, 5}},
      {"ThresholdedReLU", {{"theta", 0.3}}, {}, {0, 2, 0, 0, 0}},
      {"Softmax",
       {{"axis", -1}},
       {},
       {-0.41666072607040405f, -0.2138565182685852f, 0.04924878478050232f, 0.08395306766033173f,
        0.49731534719467163f}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.cls);
    Json cfg = c.config;
    cfg["name"] = "a";
    auto l = layers::createLayer(layers::Config(c.cls, "a", cfg));
    l->build({{-1, 5}});
    if (!c.alpha.empty()) {
      Buffer b = Buffer::allocate(c.alpha.size() * 4);
      std::memcpy(b.mutableData(), c.alpha.data(), c.alpha.size() * 4);
      std::vector<Tensor> w;
      w.push_back(Tensor(DType::kFloat32, {5}, b, 0));
      l->setWeights(std::move(w));
    }
    const layers::Array in({1, 5}, x);
    layers::TrainingContext ctx;
    std::unique_ptr<layers::LayerState> state;
    const auto out = l->forwardTrain({&in}, ctx, state);
    std::vector<layers::Array> dOut;
    dOut.emplace_back(layers::Shape{1, 5}, r);
    layers::GradientSink sink;
    const auto dx = l->backward({&in}, {&out[0]}, state.get(), std::move(dOut), sink);
    for (size_t i = 0; i < 5; ++i) EXPECT_NEAR(dx[0].data[i], c.expect[i], 1e-6) << i;
  }
  // ThresholdedReLU compares with theta as a float32 scalar, as TF.js: 0.1f is not above 0.1.
  auto t = layers::createLayer(layers::Config("ThresholdedReLU", "t", {{"theta", 0.1}}));
  t->build({{-1, 2}});
  const layers::Array tx({1, 2}, std::vector<float>{0.1f, 0.10000001f});
  const auto ty = t->call({&tx});
  EXPECT_EQ(ty[0].data[0], 0.0f);
  EXPECT_EQ(ty[0].data[1], 0.10000001f);
}

// Embedding takes integer indices, so the check runs on a chosen input: each row's gradient is
// the sum of the output gradients where its index was used; the input gets zeros.
TEST(TrainLayerGradients, EmbeddingScatterAddsTheRowsUsed) {
  LayersModel m = randomModel(
      sequential(Json::array({layer("Embedding", "e", {{"input_dim", 5}, {"output_dim", 3}})}),
                 {4}),
      2);
  internal::GraphTrainer t(m);
  layers::Array x({2, 4}, std::vector<float>{1, 3, 1, 0, 4, 1, 3, 3});
  layers::TrainingContext ctx;
  const auto y = t.forward({x}, ctx);
  ASSERT_EQ(y[0].shape, (layers::Shape{2, 4, 3}));
  layers::Array r(y[0].shape);
  for (size_t i = 0; i < r.data.size(); ++i) r.data[i] = static_cast<float>(i % 7) - 3.0f;
  const auto grads = t.backward({r});
  ASSERT_EQ(grads.size(), 1u);
  std::vector<double> expect(15, 0.0);
  for (size_t i = 0; i < 8; ++i) {
    for (size_t j = 0; j < 3; ++j)
      expect[static_cast<size_t>(x.data[i]) * 3 + j] += r.data[i * 3 + j];
  }
  for (size_t k = 0; k < 15; ++k) EXPECT_FLOAT_EQ(grads[0].data[k], expect[k]) << k;

  // Behind a weighted layer in a functional model too: Embedding -> Dense, differences.
  LayersModel m2 = randomModel(
      sequential(Json::array({layer("Embedding", "e", {{"input_dim", 6}, {"output_dim", 2}}),
                              layer("Flatten", "f"), layer("Dense", "d", {{"units", 2}})}),
                 {3}),
      4);
  // Fixed output gradients, a 2e-3 absolute tolerance (the weights lie in [-0.5, 0.5): the step
  // is 1e-3).
  test::GradientCheck o;
  o.tol = {2e-3, 0.0};
  o.r.emplace_back(layers::Shape{3, 2}, std::vector<float>{0.5f, -1, 2, 0.25f, -0.75f, 1});
  std::mt19937 unused(0);
  test::checkModelGradients(
      m2, {layers::Array({3, 3}, std::vector<float>{0, 5, 2, 2, 2, 1, 5, 0, 3})}, unused, o);
}

TEST(TrainLayerGradients, PaddingCroppingUpSampling) {
  const std::vector<Json> spatial = {
      layer("ZeroPadding2D", "p", {{"padding", Json::array({{1, 0}, {2, 1}})}}),
      layer("ZeroPadding2D", "p", {{"padding", 1}, {"data_format", "channels_first"}}),
      layer("Cropping2D", "p", {{"cropping", Json::array({{1, 0}, {0, 2}})}}),
      layer("Cropping2D", "p",
            {{"cropping", Json::array({1, 0})}, {"data_format", "channels_first"}}),
      layer("UpSampling2D", "p", {{"size", Json::array({2, 3})}}),
      layer("UpSampling2D", "p", {{"size", Json::array({3, 2})}, {"interpolation", "bilinear"}}),
      layer("UpSampling2D", "p",
            {{"size", Json::array({2, 2})},
             {"interpolation", "bilinear"},
             {"data_format", "channels_first"}}),
  };
  for (const Json& s : spatial) {
    SCOPED_TRACE(s.dump());
    LayersModel m = randomModel(
        sequential(Json::array(
                       {layer("Conv2D", "c",
                              {{"filters", 2},
                               {"kernel_size", 1},
                               {"data_format", s["config"].value("data_format", "channels_last")}}),
                        s, layer("Flatten", "f"), layer("Dense", "d", {{"units", 2}})}),
                   {3, 4, 2}),
        12);
    checkGradients(m, {2, 3, 4, 2}, 13);
  }
}

// A class without a backward pass (TF.js cannot differentiate CenterCrop either) is refused
// with an error naming the layer.
TEST(TrainLayerGradients, CenterCropIsRefusedByName) {
  LayersModel m = randomModel(
      sequential(Json::array({layer("Conv2D", "c", {{"filters", 1}, {"kernel_size", 1}}),
                              layer("CenterCrop", "cc", {{"height", 2}, {"width", 2}}),
                              layer("Flatten", "f"), layer("Dense", "d", {{"units", 1}})}),
                 {4, 4, 1}),
      1);
  internal::GraphTrainer t(m);
  layers::TrainingContext ctx;
  t.forward({layers::Array({2, 4, 4, 1})}, ctx);
  try {
    t.backward({layers::Array({2, 1})});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'cc' (CenterCrop)"), std::string::npos) << e.what();
  }
}

TEST(TrainLayerGradients, PermuteAndRepeatVector) {
  LayersModel m = randomModel(
      sequential(Json::array({layer("Dense", "d", {{"units", 4}}),
                              layer("Permute", "p", {{"dims", Json::array({3, 1, 2})}}),
                              layer("Flatten", "f"), layer("Dense", "d2", {{"units", 3}}),
                              layer("RepeatVector", "r", {{"n", 3}}),
                              layer("Dense", "d3", {{"units", 2}})}),
                 {2, 3, 2}),
      14);
  checkGradients(m, {3, 2, 3, 2}, 15);
}

TEST(TrainLayerGradients, DepthwiseSeparableAndTransposedConvolutions) {
  struct Case {
    Json conv;
    std::vector<int64_t> inputShape;
  };
  const std::vector<Case> cases = {
      {layer("DepthwiseConv2D", "c", {{"kernel_size", 2}, {"activation", "tanh"}}), {4, 5, 2}},
      {layer("DepthwiseConv2D", "c",
             {{"kernel_size", Json::array({3, 2})},
              {"strides", 2},
              {"padding", "same"},
              {"depth_multiplier", 2}}),
       {5, 4, 2}},
      {layer("DepthwiseConv2D", "c",
             {{"kernel_size", 2}, {"data_format", "channels_first"}, {"use_bias", false}}),
       {2, 4, 3}},
      {layer("SeparableConv2D", "c", {{"filters", 3}, {"kernel_size", 2}, {"activation", "relu"}}),
       {4, 4, 2}},
      {layer("SeparableConv2D", "c",
             {{"filters", 2},
              {"kernel_size", 3},
              {"padding", "same"},
              {"dilation_rate", 2},
              {"depth_multiplier", 2}}),
       {5, 5, 2}},
      {layer("SeparableConv2D", "c",
             {{"filters", 2},
              {"kernel_size", 2},
              {"strides", 2},
              {"use_bias", false},
              {"data_format", "channels_first"}}),
       {2, 4, 4}},
      {layer("Conv2DTranspose", "c", {{"filters", 3}, {"kernel_size", 3}, {"activation", "tanh"}}),
       {3, 3, 2}},
      {layer("Conv2DTranspose", "c",
             {{"filters", 2},
              {"kernel_size", Json::array({3, 2})},
              {"strides", 2},
              {"padding", "same"}}),
       {3, 2, 2}},
      {layer(
           "Conv2DTranspose", "c",
           {{"filters", 2}, {"kernel_size", 2}, {"strides", 3}, {"data_format", "channels_first"}}),
       {2, 2, 3}},
      {layer("Conv3DTranspose", "c", {{"filters", 2}, {"kernel_size", 2}, {"strides", 2}}),
       {2, 2, 2, 2}},
      {layer("Conv3DTranspose", "c",
             {{"filters", 2},
              {"kernel_size", 3},
              {"strides", Json::array({1, 2, 1})},
              {"padding", "same"}}),
       {2, 2, 3, 1}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.conv.dump());
    // A Dense in front (over the last axis) so that the convolution's input gradient is checked.
    std::vector<int64_t> x = {3};
    x.insert(x.end(), c.inputShape.begin(), c.inputShape.end());
    Json layers = Json::array();
    layers.push_back(layer("Dense", "d0", {{"units", c.inputShape.back()}}));
    layers.push_back(c.conv);
    layers.push_back(layer("Flatten", "f"));
    layers.push_back(layer("Dense", "d", {{"units", 2}}));
    LayersModel m = randomModel(sequential(layers, c.inputShape), 16);
    checkGradients(m, x, 17);
    // The training forward pass computes what predict does.
    test::expectTrainingForwardIsPredict(m, {test::randomArray(x, 3)});
  }
}

}  // namespace
}  // namespace tfjs
