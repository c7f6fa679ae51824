// Training through the recurrent layers and the wrappers: backpropagation through time for
// SimpleRNN, GRU (both reset_after variants), LSTM and the generic RNN over cells, lists of cells
// and StackedRNNCells (return_sequences, return_state, go_backwards, initial states, activation
// variants), Bidirectional (every merge mode, return_state) and TimeDistributed, each checked
// against central finite differences of the model's own forward pass; the training forward
// against the inference forward; refused options. Dropout / recurrent_dropout in training: the
// gradients with the masks fixed by the stream, the masks' statistics and sharing across steps,
// where they multiply (against predict with scaled kernels, and a plain GRU reference of TF.js's
// equations), inference unchanged. Masks in training (Masking, Embedding(mask_zero)): gradients,
// the training forward against predict, and fit on padded data against fit on the unpadded data.
// The match with TF.js's own training of an LSTM model is the oracle case lstm_adam_mse
// (tests/train_test.cpp, TrainOracle).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "model/graph_trainer.h"
#include "tfjs/error.h"
#include "tfjs/layers_model.h"
#include "tfjs/train.h"
#include "train_util.h"

namespace tfjs {
namespace {

using test::checkGradients;
using test::functional;
using test::input;
using test::layer;
using test::node;
using test::randomInputs;
using test::randomModel;
using test::sequential;
using test::tensorOf;

// checkGradients for several inputs and outputs: L = sum over outputs k of sum(r_k * y_k), and
// every variable gets a gradient. With `samePredict`, also checks that the training forward
// computes what predict() computes (not so with dropout: then it checks that two training
// passes from the same stream agree).
void checkGradientsOn(LayersModel& m, const std::vector<layers::Array>& xs, std::mt19937& rng,
                      bool samePredict = true) {
  test::GradientCheck o;
  o.samePredict = samePredict;
  o.sameStream = !samePredict;
  o.nonzero = true;
  test::checkModelGradients(m, xs, rng, o);
}

void checkGradientsMulti(LayersModel& m, const std::vector<std::vector<int64_t>>& xShapes,
                         uint32_t seed, bool samePredict = true) {
  std::mt19937 rng(seed);
  const auto xs = randomInputs(xShapes, rng);
  checkGradientsOn(m, xs, rng, samePredict);
}

// Dense(3, tanh) -> `rnn` -> Dense(2): the first Dense's gradients check the RNN's input
// gradient, the last one's the RNN's output.
void checkSequence(const Json& rnn, uint32_t seed, int64_t steps = 4, bool samePredict = true) {
  auto topo =
      sequential(Json::array({layer("Dense", "d_in", {{"units", 3}, {"activation", "tanh"}}), rnn,
                              layer("Dense", "d_out", {{"units", 2}})}),
                 {steps, 2});
  LayersModel m = randomModel(topo, seed);
  checkGradientsMulti(m, {{3, steps, 2}}, seed + 100, samePredict);
}

Json rnnLayer(const std::string& cls, Json config) {
  return layer(cls, "rnn", std::move(config));
}

// checkSequence of a layer of class `cls` with each config.
void checkVariants(const std::string& cls, const std::vector<Json>& configs, uint32_t seed) {
  for (const auto& c : configs) {
    SCOPED_TRACE(c.dump());
    checkSequence(rnnLayer(cls, c), seed);
  }
}

TEST(TrainRecurrent, SimpleRNNVariants) {
  const std::vector<Json> configs = {
      {{"units", 4}},
      {{"units", 4}, {"return_sequences", true}},
      {{"units", 3}, {"go_backwards", true}},
      {{"units", 3}, {"go_backwards", true}, {"return_sequences", true}},
      {{"units", 3}, {"use_bias", false}, {"activation", "sigmoid"}},
      {{"units", 3}, {"activation", "softsign"}, {"return_sequences", true}},
      {{"units", 3}, {"activation", "softmax"}, {"return_sequences", true}},
      {{"units", 3}, {"activation", "linear"}},
  };
  checkVariants("SimpleRNN", configs, 3);
}

TEST(TrainRecurrent, GRUVariants) {
  const std::vector<Json> configs = {
      {{"units", 4}},
      {{"units", 4}, {"return_sequences", true}, {"recurrent_activation", "sigmoid"}},
      {{"units", 3}, {"go_backwards", true}, {"return_sequences", true}},
      {{"units", 3}, {"use_bias", false}},
      {{"units", 3}, {"activation", "softsign"}, {"recurrent_activation", "hard_sigmoid"}},
      {{"units", 4}, {"reset_after", true}, {"recurrent_activation", "sigmoid"}},
      {{"units", 3}, {"reset_after", true}, {"return_sequences", true}, {"go_backwards", true}},
      {{"units", 3}, {"reset_after", true}, {"use_bias", false}},
      {{"units", 3}, {"activation", "softmax"}, {"return_sequences", true}},
  };
  checkVariants("GRU", configs, 5);
}

TEST(TrainRecurrent, LSTMVariants) {
  const std::vector<Json> configs = {
      {{"units", 4}},
      {{"units", 4}, {"return_sequences", true}, {"recurrent_activation", "sigmoid"}},
      {{"units", 3}, {"go_backwards", true}},
      {{"units", 3}, {"go_backwards", true}, {"return_sequences", true}},
      {{"units", 3}, {"use_bias", false}, {"unit_forget_bias", false}},
      {{"units", 3}, {"activation", "softsign"}, {"recurrent_activation", "sigmoid"}},
      {{"units", 3}, {"activation", "softmax"}, {"return_sequences", true}},
  };
  checkVariants("LSTM", configs, 7);
}

Json cell(const std::string& cls, Json config) {
  return {{"class_name", cls}, {"config", config}};
}

TEST(TrainRecurrent, GenericRNNOverCellsListsAndStacks) {
  const std::vector<Json> configs = {
      {{"cell", cell("SimpleRNNCell", {{"units", 3}})}},
      {{"cell", cell("GRUCell", {{"units", 3}, {"reset_after", true}})},
       {"return_sequences", true}},
      {{"cell", cell("LSTMCell", {{"units", 3}})}, {"go_backwards", true}},
      {{"cell", Json::array({cell("LSTMCell", {{"units", 3}}), cell("GRUCell", {{"units", 2}})})}},
      {{"cell", Json::array({cell("SimpleRNNCell", {{"units", 2}}),
                             cell("LSTMCell", {{"units", 3}}), cell("GRUCell", {{"units", 2}})})},
       {"return_sequences", true},
       {"go_backwards", true}},
      {{"cell",
        cell("StackedRNNCells",
             {{"cells", Json::array({cell("GRUCell", {{"units", 3}}),
                                     cell("LSTMCell", {{"units", 2},
                                                       {"recurrent_activation", "sigmoid"}})})}})},
       {"return_sequences", true}},
  };
  checkVariants("RNN", configs, 11);
}

TEST(TrainRecurrent, InitialStatesAndReturnState) {
  // x -> Dense -> rnn(initial states from Dense(s)), every output of the rnn an output of the
  // model: the Dense layers on s check the initial states' gradients, the states' outputs bring
  // gradients of their own.
  struct Case {
    std::string cls;
    Json config;
    int states;
  };
  const std::vector<Case> cases = {
      {"SimpleRNN", {{"units", 3}, {"return_state", true}}, 1},
      {"GRU", {{"units", 3}, {"return_state", true}, {"return_sequences", true}}, 1},
      {"GRU", {{"units", 3}, {"return_state", true}, {"reset_after", true}}, 1},
      {"LSTM", {{"units", 3}, {"return_state", true}, {"go_backwards", true}}, 2},
      {"LSTM", {{"units", 3}, {"return_state", true}, {"return_sequences", true}}, 2},
      {"RNN",
       {{"cell", Json::array({cell("LSTMCell", {{"units", 2}}), cell("GRUCell", {{"units", 3}})})},
        {"return_state", true},
        {"return_sequences", true}},
       3},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.cls + " " + c.config.dump());
    // The RNN's states in its order; the stacked case's sizes are [3 (GRU h), 2, 2 (LSTM h, c)].
    std::vector<int> sizes(static_cast<size_t>(c.states), 3);
    if (c.cls == "RNN") sizes = {3, 2, 2};
    Json layers = Json::array({input("x", {4, 2}), input("s", {2}),
                               node("Dense", "dx", {{"units", 3}, {"activation", "tanh"}}, {"x"})});
    std::vector<std::string> rnnIn = {"dx"};
    for (int k = 0; k < c.states; ++k) {
      const std::string n = "s" + std::to_string(k);
      layers.push_back(node("Dense", n, {{"units", sizes[static_cast<size_t>(k)]}}, {"s"}));
      rnnIn.push_back(n);
    }
    layers.push_back(node(c.cls, "rnn", c.config, rnnIn));
    std::vector<std::pair<std::string, int>> outs;
    for (int k = 0; k <= c.states; ++k) outs.push_back({"rnn", k});
    LayersModel m = randomModel(functional(layers, {"x", "s"}, outs), 13);
    checkGradientsMulti(m, {{3, 4, 2}, {3, 2}}, 17);
  }
}

TEST(TrainWrappers, BidirectionalEveryMergeMode) {
  for (const char* mode : {"concat", "sum", "mul", "ave"}) {
    for (const char* cls : {"LSTM", "GRU", "SimpleRNN"}) {
      for (bool seq : {false, true}) {
        SCOPED_TRACE(std::string(mode) + " " + cls + (seq ? " sequences" : ""));
        checkSequence(
            layer("Bidirectional", "bi",
                  {{"merge_mode", mode},
                   {"layer",
                    {{"class_name", cls}, {"config", {{"units", 3}, {"return_sequences", seq}}}}}}),
            19);
      }
    }
  }
}

TEST(TrainWrappers, BidirectionalNullMergeReturnStateAndInitialStates) {
  for (const bool nullMerge : {true, false}) {
    SCOPED_TRACE(nullMerge ? "merge_mode null" : "concat");
    // x -> Dense -> Bidirectional(LSTM, return_state) with initial states from Dense(s).
    Json cfg = {{"layer",
                 {{"class_name", "LSTM"},
                  {"config", {{"units", 3}, {"return_sequences", true}, {"return_state", true}}}}}};
    cfg["merge_mode"] = nullMerge ? Json(nullptr) : Json("concat");
    Json layers = Json::array({input("x", {4, 2}), input("s", {2}),
                               node("Dense", "dx", {{"units", 3}, {"activation", "tanh"}}, {"x"})});
    std::vector<std::string> biIn = {"dx"};
    for (int k = 0; k < 4; ++k) {
      const std::string n = "s" + std::to_string(k);
      layers.push_back(node("Dense", n, {{"units", 3}}, {"s"}));
      biIn.push_back(n);
    }
    layers.push_back(node("Bidirectional", "bi", cfg, biIn));
    std::vector<std::pair<std::string, int>> outs;
    const int n = nullMerge ? 6 : 5;
    for (int k = 0; k < n; ++k) outs.push_back({"bi", k});
    LayersModel m = randomModel(functional(layers, {"x", "s"}, outs), 23);
    checkGradientsMulti(m, {{3, 4, 2}, {3, 2}}, 29);
  }
}

TEST(TrainWrappers, TimeDistributed) {
  // Dense, an RNN and a convolution + flatten inside TimeDistributed.
  checkSequence(
      layer("TimeDistributed", "td",
            {{"layer",
              {{"class_name", "Dense"}, {"config", {{"units", 3}, {"activation", "sigmoid"}}}}}}),
      31);
  {
    auto topo = sequential(
        Json::array({layer("TimeDistributed", "td",
                           {{"layer",
                             {{"class_name", "GRU"},
                              {"config", {{"units", 3}, {"return_sequences", true}}}}}}),
                     layer("TimeDistributed", "td2",
                           {{"layer", {{"class_name", "Flatten"}, {"config", Json::object()}}}}),
                     layer("Dense", "d_out", {{"units", 2}})}),
        {2, 4, 2});
    LayersModel m = randomModel(topo, 37);
    checkGradientsMulti(m, {{3, 2, 4, 2}}, 41);
  }
  {
    auto topo = sequential(
        Json::array(
            {layer("TimeDistributed", "td",
                   {{"layer",
                     {{"class_name", "Conv2D"},
                      {"config", {{"filters", 2}, {"kernel_size", 2}, {"activation", "tanh"}}}}}}),
             layer("TimeDistributed", "tf",
                   {{"layer", {{"class_name", "Flatten"}, {"config", Json::object()}}}}),
             layer("LSTM", "l", {{"units", 2}})}),
        {3, 3, 3, 1});
    LayersModel m = randomModel(topo, 43);
    checkGradientsMulti(m, {{2, 3, 3, 3, 1}}, 47);
  }
}

TEST(TrainRecurrent, ConvLSTM2DVariants) {
  // Conv2D -> ConvLSTM2D -> Flatten -> Dense: the Conv2D's kernel checks the input gradient.
  const std::vector<Json> configs = {
      {{"filters", 2}, {"kernel_size", 2}},
      {{"filters", 2}, {"kernel_size", 2}, {"padding", "same"}, {"return_sequences", true}},
      {{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"go_backwards", true}},
      {{"filters", 3},
       {"kernel_size", 2},
       {"dilation_rate", 2},
       {"padding", "same"},
       {"use_bias", false},
       {"recurrent_activation", "sigmoid"}},
      {{"filters", 2},
       {"kernel_size", 2},
       {"data_format", "channels_first"},
       {"return_sequences", true},
       {"activation", "softsign"}},
  };
  for (const auto& c : configs) {
    SCOPED_TRACE(c.dump());
    const auto [topo, x] = test::convLstm2DSequence(c);
    LayersModel m = randomModel(topo, 61);
    checkGradientsMulti(m, {x}, 67);
  }
  {
    // return_state: h and c as outputs.
    Json layers =
        Json::array({input("x", {3, 4, 4, 1}),
                     node("ConvLSTM2D", "cl",
                          {{"filters", 2}, {"kernel_size", 2}, {"return_state", true}}, {"x"})});
    LayersModel m = randomModel(functional(layers, {"x"}, {{"cl", 0}, {"cl", 1}, {"cl", 2}}), 71);
    checkGradientsMulti(m, {{2, 3, 4, 4, 1}}, 73);
  }
}

TEST(TrainRecurrent, LongerSequenceThroughUtilCheck) {
  // The shared finite-difference check too, on a longer sequence.
  auto topo = sequential(
      Json::array({layer("Dense", "d", {{"units", 2}}),
                   layer("LSTM", "l", {{"units", 3}, {"return_sequences", true}}),
                   layer("GRU", "g", {{"units", 2}}), layer("Dense", "o", {{"units", 1}})}),
      {9, 2});
  LayersModel m = randomModel(topo, 53);
  checkGradients(m, {2, 9, 2}, 59);
}

// --- dropout / recurrent_dropout in training (TF.js's cells: one mask of each kind per call,
// shared by every step) ---

const std::vector<std::pair<double, double>> kRates = {{0.3, 0.0}, {0.0, 0.4}, {0.25, 0.35}};

Json withRates(Json c, double dropout, double recurrent) {
  c["dropout"] = dropout;
  c["recurrent_dropout"] = recurrent;
  return c;
}

TEST(TrainRecurrentDropout, GradientsOfEveryCellKind) {
  const std::vector<std::pair<std::string, Json>> layers = {
      {"SimpleRNN", {{"units", 4}, {"return_sequences", true}}},
      {"SimpleRNN", {{"units", 3}, {"go_backwards", true}}},
      {"GRU", {{"units", 3}, {"return_sequences", true}}},
      {"GRU", {{"units", 3}, {"reset_after", true}, {"recurrent_activation", "sigmoid"}}},
      {"LSTM", {{"units", 3}, {"return_sequences", true}}},
      {"LSTM", {{"units", 3}, {"go_backwards", true}, {"recurrent_activation", "sigmoid"}}},
  };
  for (const auto& [cls, c] : layers) {
    for (const auto& [d, rd] : kRates) {
      SCOPED_TRACE(cls + " " + withRates(c, d, rd).dump());
      checkSequence(rnnLayer(cls, withRates(c, d, rd)), 83, 4, false);
    }
  }
}

TEST(TrainRecurrentDropout, GradientsOfCellsInRNNStacksAndBidirectional) {
  for (const auto& [d, rd] : kRates) {
    SCOPED_TRACE(std::to_string(d) + " / " + std::to_string(rd));
    checkSequence(
        rnnLayer("RNN", {{"cell", Json::array({cell("LSTMCell", withRates({{"units", 3}}, d, rd)),
                                               cell("GRUCell", withRates({{"units", 2}}, rd, d)),
                                               cell("SimpleRNNCell", {{"units", 2}})})},
                         {"return_sequences", true}}),
        89, 4, false);
    checkSequence(
        rnnLayer("RNN",
                 {{"cell",
                   cell("StackedRNNCells",
                        {{"cells",
                          Json::array({cell("SimpleRNNCell", withRates({{"units", 3}}, d, rd)),
                                       cell("LSTMCell", withRates({{"units", 2}}, d, rd))})}})}}),
        97, 4, false);
    for (const char* cls : {"LSTM", "GRU", "SimpleRNN"}) {
      checkSequence(
          layer("Bidirectional", "bi",
                {{"layer",
                  {{"class_name", cls},
                   {"config", withRates({{"units", 3}, {"return_sequences", true}}, d, rd)}}}}),
          101, 4, false);
    }
  }
}

// Training forward minus predict, largest absolute difference.
float trainVersusPredict(LayersModel& m, const std::vector<layers::Array>& xs, uint64_t seed) {
  internal::GraphTrainer t(m);
  layers::TrainingContext ctx;
  ctx.seed = seed;
  const auto y = t.forward(xs, ctx);
  const auto p = t.predict(xs);
  float most = 0;
  for (size_t i = 0; i < y[0].data.size(); ++i)
    most = std::max(most, std::fabs(y[0].data[i] - p[0].data[i]));
  return most;
}

TEST(TrainRecurrentDropout, InferenceIsUnchangedAndTrainingDrops) {
  for (const char* cls : {"SimpleRNN", "GRU", "LSTM"}) {
    SCOPED_TRACE(cls);
    std::mt19937 rng(5);
    const auto xs = randomInputs({{4, 5, 3}}, rng);
    auto plain = sequential(
        Json::array({layer(cls, "r", {{"units", 4}, {"return_sequences", true}})}), {5, 3});
    auto dropped = sequential(
        Json::array(
            {layer(cls, "r", withRates({{"units", 4}, {"return_sequences", true}}, 0.5, 0.5))}),
        {5, 3});
    LayersModel a = randomModel(plain, 7), b = randomModel(dropped, 7);
    const Tensor pa = a.predict(tensorOf(xs[0])), pb = b.predict(tensorOf(xs[0]));
    const auto fa = pa.floats(), fb = pb.floats();
    ASSERT_EQ(fa.size(), fb.size());
    for (size_t i = 0; i < fa.size(); ++i) ASSERT_EQ(fa[i], fb[i]) << i;
    // Training: the plain model's forward is predict's, the dropped one's is not, and two seeds
    // draw two sets of masks.
    EXPECT_LT(trainVersusPredict(a, xs, 1), 1e-5f);
    EXPECT_GT(trainVersusPredict(b, xs, 1), 1e-2f);
    internal::GraphTrainer t(b);
    layers::TrainingContext c1, c2;
    c1.seed = 1;
    c2.seed = 2;
    EXPECT_NE(t.forward(xs, c1)[0].data, t.forward(xs, c2)[0].data);
  }
}

// Sets every variable of a single-RNN model: kernel and recurrent_kernel to the given diagonal
// values (identity-like), biases to zero.
void setIdentityWeights(internal::GraphTrainer& t, float kernelDiag, float recurrentDiag) {
  for (const auto& v : t.variables()) {
    std::fill(v.value, v.value + v.size, 0.0f);
    if (v.shape.size() != 2) continue;
    const bool recurrent = v.name.find("recurrent_kernel") != std::string::npos;
    const float d = recurrent ? recurrentDiag : kernelDiag;
    for (int64_t i = 0; i < std::min(v.shape[0], v.shape[1]); ++i) v.value[i * v.shape[1] + i] = d;
  }
  t.commit();
}

TEST(TrainRecurrentDropout, MaskStatisticsAndSharingAcrossSteps) {
  const int64_t batch = 1000, units = 8, steps = 3;
  for (const double rate : {0.3, 0.6}) {
    SCOPED_TRACE(rate);
    const float scale = 1.0f / static_cast<float>(1 - rate);
    {
      // Input mask: linear SimpleRNN with W = I, U = 0, x = ones: every step outputs the mask.
      auto topo = sequential(Json::array({layer("SimpleRNN", "r",
                                                {{"units", units},
                                                 {"activation", "linear"},
                                                 {"return_sequences", true},
                                                 {"dropout", rate}})}),
                             {steps, units});
      LayersModel m = randomModel(topo, 3);
      internal::GraphTrainer t(m);
      setIdentityWeights(t, 1.0f, 0.0f);
      layers::TrainingContext ctx;
      ctx.seed = 42;
      const auto y = t.forward(
          {layers::Array({batch, steps, units}, std::vector<float>(batch * steps * units, 1.0f))},
          ctx)[0];
      int64_t zeros = 0, rowsDiffer = 0;
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t j = 0; j < units; ++j) {
          const float v = y.data[static_cast<size_t>((b * steps) * units + j)];
          EXPECT_TRUE(v == 0.0f || std::fabs(v - scale) < 1e-6f * scale) << v;
          zeros += v == 0.0f;
          for (int64_t s = 1; s < steps; ++s)
            ASSERT_EQ(y.data[static_cast<size_t>((b * steps + s) * units + j)], v)
                << "the input mask changed between steps";
          if (b > 0) rowsDiffer += v != y.data[static_cast<size_t>(((b - 1) * steps) * units + j)];
        }
      }
      const double frac = double(zeros) / double(batch * units);
      EXPECT_NEAR(frac, rate, 0.02);  // 4.3 standard deviations at 8000 draws
      EXPECT_GT(rowsDiffer, 0) << "every sample got the same mask";
    }
    {
      // Recurrent mask: W = 0, U = I, initial state ones: h1 = rec, h2 = rec * rec (the same mask
      // again: values 0 or scale^2 exactly where h1 is not 0).
      Json layers = Json::array({input("x", {2, units}), input("s", {units}),
                                 node("SimpleRNN", "r",
                                      {{"units", units},
                                       {"activation", "linear"},
                                       {"return_sequences", true},
                                       {"recurrent_dropout", rate}},
                                      {"x", "s"})});
      LayersModel m = randomModel(functional(layers, {"x", "s"}, {{"r", 0}}), 3);
      internal::GraphTrainer t(m);
      setIdentityWeights(t, 0.0f, 1.0f);
      layers::TrainingContext ctx;
      ctx.seed = 43;
      const auto y =
          t.forward({layers::Array({batch, 2, units}),
                     layers::Array({batch, units}, std::vector<float>(batch * units, 1.0f))},
                    ctx)[0];
      int64_t zeros = 0;
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t j = 0; j < units; ++j) {
          const float h1 = y.data[static_cast<size_t>((b * 2) * units + j)];
          const float h2 = y.data[static_cast<size_t>((b * 2 + 1) * units + j)];
          EXPECT_TRUE(h1 == 0.0f || std::fabs(h1 - scale) < 1e-6f * scale) << h1;
          EXPECT_NEAR(h2, h1 * h1, 1e-5f * scale * scale) << "the state mask changed";
          zeros += h1 == 0.0f;
        }
      }
      EXPECT_NEAR(double(zeros) / double(batch * units), rate, 0.02);
    }
  }
}

// Where the masks multiply, against independent computations with batch 1 (where a mask on x or
// h is a scaling of the kernel's rows): SimpleRNN and LSTM trained with dropout compute what
// predict computes with W's rows scaled by the input mask and U's by the state mask. The masks
// are redrawn here from the same stream in TF.js's order (input mask, then state mask).
std::vector<float> drawMask(layers::TrainingContext& ctx, double rate, int64_t n) {
  const auto keep = static_cast<float>(1 - rate);
  std::vector<float> m(static_cast<size_t>(n));
  for (auto& v : m) v = ctx.uniform() < keep ? 1.0f / keep : 0.0f;
  return m;
}

// The training forward of t's model on xs from the stream `seed` (output 0), and the masks its
// recurrent layer drew, redrawn from the same stream: the input mask (rate, n features), then
// the state mask (rate, n units).
struct ForwardWithMasks {
  layers::Array y;
  std::vector<float> input, state;
};
ForwardWithMasks forwardWithMasks(internal::GraphTrainer& t, const std::vector<layers::Array>& xs,
                                  uint64_t seed, std::pair<double, int64_t> input,
                                  std::pair<double, int64_t> state) {
  layers::TrainingContext ctx;
  ctx.seed = seed;
  ForwardWithMasks r{t.forward(xs, ctx)[0], {}, {}};
  layers::TrainingContext replay;
  replay.seed = seed;
  r.input = drawMask(replay, input.first, input.second);
  r.state = drawMask(replay, state.first, state.second);
  return r;
}

TEST(TrainRecurrentDropout, MasksScaleTheInputsAndStatesBeforeTheProducts) {
  const int64_t features = 5, units = 4, steps = 6;
  for (const char* cls : {"SimpleRNN", "LSTM"}) {
    SCOPED_TRACE(cls);
    auto plain =
        sequential(Json::array({layer(cls, "r", {{"units", units}, {"return_sequences", true}})}),
                   {steps, features});
    auto dropped = sequential(
        Json::array(
            {layer(cls, "r", withRates({{"units", units}, {"return_sequences", true}}, 0.4, 0.5))}),
        {steps, features});
    LayersModel a = randomModel(plain, 9), b = randomModel(dropped, 9);
    std::mt19937 rng(10);
    const auto xs = randomInputs({{1, steps, features}}, rng);
    internal::GraphTrainer tb(b);
    const auto [y, dp, rec] = forwardWithMasks(tb, xs, 77, {0.4, features}, {0.5, units});
    internal::GraphTrainer ta(a);
    for (const auto& v : ta.variables()) {
      const bool isKernel = v.name == "r/kernel", isRecurrent = v.name == "r/recurrent_kernel";
      if (!isKernel && !isRecurrent) continue;
      const auto& mask = isKernel ? dp : rec;
      for (int64_t i = 0; i < v.shape[0]; ++i)
        for (int64_t j = 0; j < v.shape[1]; ++j) v.value[i * v.shape[1] + j] *= mask[size_t(i)];
    }
    ta.commit();
    const auto p = ta.predict(xs)[0];
    ASSERT_EQ(y.data.size(), p.data.size());
    for (size_t i = 0; i < y.data.size(); ++i) EXPECT_NEAR(y.data[i], p.data[i], 1e-5) << i;
  }
}

// GRU: TF.js multiplies h by the state mask once and uses the dropped h everywhere, the final
// z * h included; a plain reference of those equations (batch 1, sigmoid / tanh).
TEST(TrainRecurrentDropout, GRUUsesTheDroppedStateEverywhereAsTfjs) {
  const int64_t f = 3, u = 4, steps = 5;
  auto topo = sequential(
      Json::array({layer(
          "GRU", "g",
          withRates({{"units", u}, {"return_sequences", true}, {"recurrent_activation", "sigmoid"}},
                    0.3, 0.5))}),
      {steps, f});
  LayersModel m = randomModel(topo, 12);
  std::mt19937 rng(13);
  const auto xs = randomInputs({{1, steps, f}}, rng);
  internal::GraphTrainer t(m);
  const auto [y, dp, rec] = forwardWithMasks(t, xs, 5, {0.3, f}, {0.5, u});
  const float *W = nullptr, *U = nullptr, *bias = nullptr;
  for (const auto& v : t.variables()) {
    if (v.name == "g/kernel") W = v.value;
    if (v.name == "g/recurrent_kernel") U = v.value;
    if (v.name == "g/bias") bias = v.value;
  }
  ASSERT_TRUE(W && U && bias);
  auto sig = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
  std::vector<double> h(u, 0.0);
  for (int64_t s = 0; s < steps; ++s) {
    std::vector<double> xd(f), hd(u), z(u), r(u), hh(u), next(u);
    for (int64_t i = 0; i < f; ++i) xd[i] = xs[0].data[size_t(s * f + i)] * dp[size_t(i)];
    for (int64_t j = 0; j < u; ++j) hd[j] = h[j] * rec[size_t(j)];
    for (int64_t j = 0; j < u; ++j) {
      double az = bias[j], ar = bias[u + j];
      for (int64_t i = 0; i < f; ++i) {
        az += xd[i] * W[i * 3 * u + j];
        ar += xd[i] * W[i * 3 * u + u + j];
      }
      for (int64_t k = 0; k < u; ++k) {
        az += hd[k] * U[k * 3 * u + j];
        ar += hd[k] * U[k * 3 * u + u + j];
      }
      z[j] = sig(az);
      r[j] = sig(ar);
    }
    for (int64_t j = 0; j < u; ++j) {
      double ah = bias[2 * u + j];
      for (int64_t i = 0; i < f; ++i) ah += xd[i] * W[i * 3 * u + 2 * u + j];
      for (int64_t k = 0; k < u; ++k) ah += r[k] * hd[k] * U[k * 3 * u + 2 * u + j];
      hh[j] = std::tanh(ah);
    }
    for (int64_t j = 0; j < u; ++j) {
      next[j] = z[j] * hd[j] + (1 - z[j]) * hh[j];
      EXPECT_NEAR(y.data[size_t(s * u + j)], next[j], 1e-5) << "step " << s << " unit " << j;
    }
    h = next;
  }
}

// --- masks in training (Masking, Embedding(mask_zero)) ---

// [batch, steps, features] random values in [-1, 1) with the (b, t) steps where pad(b, t) all
// zeros (what Masking masks).
layers::Array paddedInput(int64_t batch, int64_t steps, int64_t features, std::mt19937& rng,
                          const std::function<bool(int64_t, int64_t)>& pad) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  layers::Array x({batch, steps, features});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < steps; ++t)
      for (int64_t i = 0; i < features; ++i)
        x.data[size_t((b * steps + t) * features + i)] = pad(b, t) ? 0.0f : u(rng);
  return x;
}

// Masked steps at the end, the start and the middle, a different set per sample, and one
// sample with nothing masked.
bool mixedPadding(int64_t b, int64_t t) {
  switch (b % 4) {
    case 0:
      return t >= 3;
    case 1:
      return t < 2;
    case 2:
      return t == 1 || t == 3;
    default:
      return false;
  }
}

TEST(TrainRecurrentMasks, GradientsThroughMaskingEveryCellKind) {
  // Dense (no bias: padded steps stay zero) -> Masking -> Dense(tanh) -> rnn -> Dense: the first
  // Dense's gradient checks Masking's backward, the second's the rnn's input gradient. The
  // training forward is also checked against predict (the inference path, checked against
  // TF.js elsewhere).
  const std::vector<std::pair<std::string, Json>> rnns = {
      {"SimpleRNN", {{"units", 3}}},
      {"SimpleRNN", {{"units", 3}, {"return_sequences", true}, {"go_backwards", true}}},
      {"GRU", {{"units", 3}, {"return_sequences", true}}},
      {"GRU", {{"units", 3}, {"go_backwards", true}, {"reset_after", true}}},
      {"LSTM", {{"units", 3}}},
      {"LSTM", {{"units", 3}, {"return_sequences", true}}},
      {"LSTM", {{"units", 3}, {"go_backwards", true}}},
      {"LSTM", {{"units", 3}, {"go_backwards", true}, {"return_sequences", true}}},
      {"RNN",
       {{"cell", Json::array({cell("LSTMCell", {{"units", 3}}), cell("GRUCell", {{"units", 2}})})},
        {"return_sequences", true}}},
  };
  for (const auto& [cls, c] : rnns) {
    SCOPED_TRACE(cls + " " + c.dump());
    auto topo =
        sequential(Json::array({layer("Dense", "d0", {{"units", 3}, {"use_bias", false}}),
                                layer("Masking", "mask", {{"mask_value", 0.0}}),
                                layer("Dense", "d_in", {{"units", 3}, {"activation", "tanh"}}),
                                rnnLayer(cls, c), layer("Dense", "d_out", {{"units", 2}})}),
                   {5, 2});
    LayersModel m = randomModel(topo, 131);
    std::mt19937 rng(137);
    std::vector<layers::Array> xs;
    xs.push_back(paddedInput(4, 5, 2, rng, mixedPadding));
    checkGradientsOn(m, xs, rng);
  }
}

TEST(TrainRecurrentMasks, MaskedStepsGetNoGradientAndKeepTheState) {
  // LSTM(return_sequences) after Masking: the output at a masked step repeats the previous one,
  // and the input gradient of a masked step is exactly zero.
  auto topo =
      sequential(Json::array({layer("Masking", "mask"),
                              rnnLayer("LSTM", {{"units", 3}, {"return_sequences", true}})}),
                 {5, 2});
  LayersModel m = randomModel(topo, 139);
  std::mt19937 rng(149);
  const auto x = paddedInput(4, 5, 2, rng, mixedPadding);
  internal::GraphTrainer t(m);
  layers::TrainingContext ctx;
  const auto y = t.forward({x}, ctx)[0];
  for (int64_t b = 0; b < 4; ++b) {
    for (int64_t s = 0; s < 5; ++s) {
      if (!mixedPadding(b, s)) continue;
      for (int64_t j = 0; j < 3; ++j) {
        const float prev = s == 0 ? 0.0f : y.data[size_t((b * 5 + s - 1) * 3 + j)];
        EXPECT_EQ(y.data[size_t((b * 5 + s) * 3 + j)], prev) << b << " " << s;
      }
    }
  }
  // Through the loss sum(y): the RNN's variables get gradients, its input none at masked steps
  // (checked through the Masking layer's backward, which GraphTrainer runs as the first layer).
  layers::Array ones(y.shape, std::vector<float>(y.data.size(), 1.0f));
  const auto g = t.backward({ones});
  bool any = false;
  for (const auto& a : g)
    for (float v : a.data) any = any || v != 0.0f;
  EXPECT_TRUE(any);
}

TEST(TrainRecurrentMasks, EmbeddingMaskZeroThroughBidirectionalGRU) {
  for (const bool seq : {false, true}) {
    for (const char* mode : {"concat", "sum"}) {
      SCOPED_TRACE(std::string(mode) + (seq ? " sequences" : ""));
      auto topo = sequential(
          Json::array(
              {layer("Embedding", "e", {{"input_dim", 5}, {"output_dim", 3}, {"mask_zero", true}}),
               layer("Bidirectional", "bi",
                     {{"merge_mode", mode},
                      {"layer",
                       {{"class_name", "GRU"},
                        {"config", {{"units", 3}, {"return_sequences", seq}}}}}}),
               layer("Dense", "d_out", {{"units", 2}})}),
          {6});
      LayersModel m = randomModel(topo, 151);
      std::mt19937 rng(157);
      layers::Array x({4, 6});
      const float ids[4][6] = {
          {1, 2, 3, 0, 0, 0}, {0, 0, 4, 1, 2, 3}, {2, 0, 3, 0, 4, 1}, {4, 3, 2, 1, 1, 2}};
      for (int64_t b = 0; b < 4; ++b)
        for (int64_t s = 0; s < 6; ++s) x.data[size_t(b * 6 + s)] = ids[b][s];
      checkGradientsOn(m, {x}, rng);
    }
  }
}

TEST(TrainRecurrentMasks, DropoutAndMaskTogether) {
  auto topo = sequential(
      Json::array(
          {layer("Dense", "d0", {{"units", 3}, {"use_bias", false}}), layer("Masking", "mask"),
           rnnLayer("LSTM", withRates({{"units", 3}, {"return_sequences", true}}, 0.3, 0.3)),
           layer("Dense", "d_out", {{"units", 2}})}),
      {5, 2});
  LayersModel m = randomModel(topo, 163);
  std::mt19937 rng(167);
  std::vector<layers::Array> xs;
  xs.push_back(paddedInput(4, 5, 2, rng, mixedPadding));
  checkGradientsOn(m, xs, rng, false);
}

// fit() on padded sequences with Masking equals fit() on the same sequences unpadded, when every
// sample is padded alike (return_sequences false: the last output is the last real step's).
// Without the Masking layer the losses differ (the control).
History fitOn(const Json& topo, const layers::Array& x, const layers::Array& y) {
  LayersModel m = randomModel(topo, 171);
  CompileArgs ca;
  ca.optimizer = "adam";
  ca.optimizerConfig = {{"learning_rate", 0.05}};
  m.compile(ca);
  FitArgs fa;
  fa.epochs = 4;
  fa.batchSize = 3;
  fa.shuffle = false;
  return m.fit(tensorOf(x), tensorOf(y), fa);
}

TEST(TrainRecurrentMasks, FitOnPaddedDataEqualsFitOnUnpaddedData) {
  const int64_t n = 8, steps = 4, pad = 2, f = 2;
  for (const char* cls : {"LSTM", "GRU", "SimpleRNN"}) {
    for (const bool back : {false, true}) {
      for (const bool padFront : {false, true}) {
        SCOPED_TRACE(std::string(cls) + (back ? " go_backwards" : "") +
                     (padFront ? " front padding" : " end padding"));
        std::mt19937 rng(173);
        const auto x = randomInputs({{n, steps, f}}, rng)[0];
        const auto y = randomInputs({{n, 1}}, rng)[0];
        layers::Array xp({n, steps + pad, f});
        for (int64_t b = 0; b < n; ++b)
          for (int64_t s = 0; s < steps; ++s)
            for (int64_t i = 0; i < f; ++i)
              xp.data[size_t((b * (steps + pad) + s + (padFront ? pad : 0)) * f + i)] =
                  x.data[size_t((b * steps + s) * f + i)];
        const Json rnn = rnnLayer(cls, {{"units", 3}, {"go_backwards", back}});
        const Json out = layer("Dense", "d_out", {{"units", 1}});
        const auto masked =
            fitOn(sequential(Json::array({layer("Masking", "mask"), rnn, out}), {-1, f}), xp, y);
        const auto plain = fitOn(sequential(Json::array({rnn, out}), {-1, f}), x, y);
        const auto unmasked = fitOn(sequential(Json::array({rnn, out}), {-1, f}), xp, y);
        const auto& lm = masked.history.at("loss");
        const auto& lp = plain.history.at("loss");
        const auto& lu = unmasked.history.at("loss");
        ASSERT_EQ(lm.size(), lp.size());
        double apart = 0;
        for (size_t e = 0; e < lm.size(); ++e) {
          EXPECT_NEAR(lm[e], lp[e], 1e-5 * std::max(1.0, std::fabs(lp[e]))) << "epoch " << e;
          apart = std::max(apart, std::fabs(lu[e] - lp[e]));
        }
        EXPECT_GT(apart, 1e-4) << "padding without a mask changed nothing: the check is void";
      }
    }
  }
}

TEST(TrainRecurrentMasks, LayersThatReadMasksWithoutTrainingSupportRefuse) {
  // Softmax reads the mask (TF.js adds -1e9 at masked positions); training refuses it clearly.
  auto topo = sequential(
      Json::array(
          {layer("Embedding", "e", {{"input_dim", 4}, {"output_dim", 3}, {"mask_zero", true}}),
           layer("Softmax", "sm", {{"axis", -1}})}),
      {5});
  LayersModel m = randomModel(topo, 1);
  internal::GraphTrainer t(m);
  layers::TrainingContext ctx;
  layers::Array x({1, 5}, std::vector<float>{1, 2, 0, 0, 3});
  try {
    t.forward({x}, ctx);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("'sm' (Softmax)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mask"), std::string::npos) << e.what();
  }
  // The other refusals of inference hold in training too: zero_output_for_mask with a mask, a
  // wrapped reader under TimeDistributed, and a stale mask (a mask made upstream that does not
  // reach the reader: RepeatVector drops it).
  const Json emb =
      layer("Embedding", "e", {{"input_dim", 4}, {"output_dim", 3}, {"mask_zero", true}});
  const std::vector<std::pair<Json, std::string>> refused = {
      {Json::array({emb, rnnLayer("LSTM", {{"units", 2}, {"zero_output_for_mask", true}})}),
       "zero_output_for_mask"},
      {Json::array({emb, layer("Reshape", "rs", {{"target_shape", {5, 3, 1}}}),
                    layer("TimeDistributed", "td",
                          {{"layer", {{"class_name", "LSTM"}, {"config", {{"units", 2}}}}}})}),
       "'td' (TimeDistributed)"},
      {Json::array({emb, rnnLayer("LSTM", {{"units", 2}}), layer("RepeatVector", "rv", {{"n", 3}}),
                    layer("LSTM", "l2", {{"units", 2}})}),
       "'l2' (LSTM)"},
  };
  for (const auto& [layers, what] : refused) {
    SCOPED_TRACE(what);
    LayersModel mr = randomModel(sequential(layers, {5}), 1);
    internal::GraphTrainer tr(mr);
    layers::TrainingContext c;
    try {
      tr.forward({x}, c);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace tfjs
