// Training through the recurrent layers and the wrappers: backpropagation through time for
// SimpleRNN, GRU (both reset_after variants), LSTM and the generic RNN over cells, lists of cells
// and StackedRNNCells (return_sequences, return_state, go_backwards, initial states, activation
// variants), Bidirectional (every merge mode, return_state) and TimeDistributed, each checked
// against central finite differences of the model's own forward pass; the training forward
// against the inference forward; refused options. The match with TF.js's own training of an
// LSTM model is the oracle case lstm_adam_mse (tests/train_test.cpp, TrainOracle).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

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

// Random inputs of the given shapes, in [-1, 1).
std::vector<layers::Array> randomInputs(const std::vector<std::vector<int64_t>>& shapes,
                                        std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<layers::Array> xs;
  for (const auto& s : shapes) {
    layers::Array x(s);
    for (auto& v : x.data) v = u(rng);
    xs.push_back(std::move(x));
  }
  return xs;
}

// checkGradients for several inputs and outputs: L = sum over outputs k of sum(r_k * y_k). Also
// checks that the training forward computes what predict() computes.
void checkGradientsMulti(LayersModel& m, const std::vector<std::vector<int64_t>>& xShapes,
                         uint32_t seed) {
  std::mt19937 rng(seed);
  const auto xs = randomInputs(xShapes, rng);
  model::GraphTrainer t(m);
  layers::TrainingContext ctx;
  const auto y = t.forward(xs, ctx);
  const auto inferred = t.predict(xs);
  ASSERT_EQ(y.size(), inferred.size());
  for (size_t k = 0; k < y.size(); ++k) {
    ASSERT_EQ(y[k].shape, inferred[k].shape) << "output " << k;
    for (size_t i = 0; i < y[k].data.size(); ++i)
      ASSERT_NEAR(y[k].data[i], inferred[k].data[i], 1e-5) << "output " << k << " element " << i;
  }
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<layers::Array> r;
  for (const auto& o : y) {
    layers::Array a(o.shape);
    for (auto& v : a.data) v = u(rng);
    r.push_back(std::move(a));
  }
  auto loss = [&]() {
    layers::TrainingContext c2;
    const auto out = t.forward(xs, c2);
    double s = 0;
    for (size_t k = 0; k < out.size(); ++k)
      for (size_t i = 0; i < out[k].data.size(); ++i) s += double(out[k].data[i]) * r[k].data[i];
    return s;
  };
  layers::TrainingContext same;
  t.forward(xs, same);
  const auto grads = t.backward(r);
  ASSERT_EQ(grads.size(), t.variables().size());
  for (size_t k = 0; k < grads.size(); ++k) {
    const auto& var = t.variables()[k];
    SCOPED_TRACE(var.name);
    bool nonzero = false;
    for (size_t i = 0; i < var.size; ++i) {
      const float keep = var.value[i];
      const float h = 1e-3f * std::max(1.0f, std::fabs(keep));
      var.value[i] = keep + h;
      const double up = loss();
      var.value[i] = keep - h;
      const double down = loss();
      var.value[i] = keep;
      const double numeric = (up - down) / (2.0 * h);
      nonzero = nonzero || grads[k].data[i] != 0.0f;
      EXPECT_NEAR(grads[k].data[i], numeric, 2e-3 + 2e-2 * std::fabs(numeric)) << "element " << i;
    }
    EXPECT_TRUE(nonzero) << "no gradient reached " << var.name;
  }
}

// Dense(3, tanh) -> `rnn` -> Dense(2): the first Dense's gradients check the RNN's input
// gradient, the last one's the RNN's output.
void checkSequence(const Json& rnn, uint32_t seed, int64_t steps = 4) {
  auto topo =
      sequential(Json::array({layer("Dense", "d_in", {{"units", 3}, {"activation", "tanh"}}), rnn,
                              layer("Dense", "d_out", {{"units", 2}})}),
                 {steps, 2});
  LayersModel m = randomModel(topo, seed);
  checkGradientsMulti(m, {{3, steps, 2}}, seed + 100);
}

Json rnnLayer(const std::string& cls, Json config) {
  return layer(cls, "rnn", std::move(config));
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
  for (const auto& c : configs) {
    SCOPED_TRACE(c.dump());
    checkSequence(rnnLayer("SimpleRNN", c), 3);
  }
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
  for (const auto& c : configs) {
    SCOPED_TRACE(c.dump());
    checkSequence(rnnLayer("GRU", c), 5);
  }
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
  for (const auto& c : configs) {
    SCOPED_TRACE(c.dump());
    checkSequence(rnnLayer("LSTM", c), 7);
  }
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
  for (const auto& c : configs) {
    SCOPED_TRACE(c.dump());
    checkSequence(rnnLayer("RNN", c), 11);
  }
}

// A functional-model layer entry.
Json node(const std::string& cls, const std::string& name, Json config,
          const std::vector<std::string>& from) {
  config["name"] = name;
  Json inbound = Json::array();
  for (const auto& f : from) inbound.push_back(Json::array({f, 0, 0, Json::object()}));
  return {{"class_name", cls},
          {"name", name},
          {"config", config},
          {"inbound_nodes", from.empty() ? Json::array() : Json::array({inbound})}};
}
Json input(const std::string& name, const std::vector<int64_t>& shape) {
  Json s = Json::array({nullptr});
  for (auto d : shape) s.push_back(d);
  return {{"class_name", "InputLayer"},
          {"name", name},
          {"config", {{"name", name}, {"batch_input_shape", s}}},
          {"inbound_nodes", Json::array()}};
}
Json functional(Json layers, const std::vector<std::string>& inputs,
                const std::vector<std::pair<std::string, int>>& outputs) {
  Json in = Json::array(), out = Json::array();
  for (const auto& i : inputs) in.push_back(Json::array({i, 0, 0}));
  for (const auto& [o, k] : outputs) out.push_back(Json::array({o, 0, k}));
  return {{"class_name", "Functional"},
          {"config",
           {{"name", "f"}, {"layers", layers}, {"input_layers", in}, {"output_layers", out}}}};
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
    const bool cf = c.value("data_format", "") == "channels_first";
    const std::vector<int64_t> frame =
        cf ? std::vector<int64_t>{2, 5, 5} : std::vector<int64_t>{5, 5, 2};
    Json conv = {{"filters", 2}, {"kernel_size", 1}, {"activation", "tanh"}};
    if (cf) conv["data_format"] = "channels_first";
    auto topo =
        sequential(Json::array({layer("TimeDistributed", "td",
                                      {{"layer", {{"class_name", "Conv2D"}, {"config", conv}}}}),
                                layer("ConvLSTM2D", "cl", c), layer("Flatten", "f"),
                                layer("Dense", "d", {{"units", 2}})}),
                   {3, frame[0], frame[1], frame[2]});
    LayersModel m = randomModel(topo, 61);
    checkGradientsMulti(m, {{2, 3, frame[0], frame[1], frame[2]}}, 67);
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

TEST(TrainRecurrent, DropoutIsRefusedNotIgnored) {
  for (const char* opt : {"dropout", "recurrent_dropout"}) {
    SCOPED_TRACE(opt);
    {
      // ConvLSTM2D and a Bidirectional LSTM too.
      auto conv = sequential(Json::array({layer("ConvLSTM2D", "cl",
                                                {{"filters", 1}, {"kernel_size", 1}, {opt, 0.5}})}),
                             {2, 2, 2, 1});
      LayersModel m = randomModel(conv, 1);
      model::GraphTrainer t(m);
      layers::TrainingContext ctx;
      EXPECT_THROW(t.forward({layers::Array({1, 2, 2, 2, 1})}, ctx), Error);
      auto bi = sequential(
          Json::array({layer(
              "Bidirectional", "bi",
              {{"layer", {{"class_name", "LSTM"}, {"config", {{"units", 2}, {opt, 0.5}}}}}})}),
          {2, 2});
      LayersModel m2 = randomModel(bi, 1);
      model::GraphTrainer t2(m2);
      EXPECT_THROW(t2.forward({layers::Array({1, 2, 2})}, ctx), Error);
    }
    auto topo = sequential(Json::array({layer("GRU", "g", {{"units", 2}, {opt, 0.25}}),
                                        layer("Dense", "d", {{"units", 1}})}),
                           {3, 2});
    LayersModel m = randomModel(topo, 1);
    model::GraphTrainer t(m);
    layers::TrainingContext ctx;
    try {
      t.forward({layers::Array({2, 3, 2})}, ctx);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
      EXPECT_NE(std::string(e.what()).find("'g' (GRU)"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("dropout"), std::string::npos) << e.what();
    }
    // Inference ignores it, as TF.js's predict does.
    EXPECT_NO_THROW(t.predict({layers::Array({2, 3, 2})}));
  }
}

}  // namespace
}  // namespace tfjs
