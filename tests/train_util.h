// Helpers of the training tests: models from small topologies with seeded random weights, the
// layer entries of Sequential and functional topologies, seeded random inputs, and the
// finite-difference check of a backward pass (of a model's variables through GraphTrainer, or of
// anything given as values, analytic gradients and a loss). Header-only, for the test binaries;
// not thread-safe (the checks write into the variables they probe). Failures are gtest failures.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "layers/layer.h"
#include "model/graph_trainer.h"
#include "model/variables.h"
#include "tfjs/artifacts.h"
#include "tfjs/layers_model.h"
#include "tfjs/train.h"
#include "tfjs/weights.h"

namespace tfjs::test {

// A model from a topology with seeded random weights in [-0.5, 0.5), each variable stored under
// name(layer's variables entry, variable) when given (each name once: a nested model used twice
// binds one set), else as "layer/variable".
inline LayersModel randomModel(
    const Json& topology, uint32_t seed,
    const std::function<std::string(const LayerVariables&, const LayerVariable&)>& name = {}) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  std::vector<NamedTensor> weights;
  std::vector<std::string> seen;
  for (const auto& lv : listModelVariables(topology)) {
    for (const auto& v : lv.variables) {
      const std::string n = name ? name(lv, v) : lv.layer + "/" + v.name;
      if (name && std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
      seen.push_back(n);
      int64_t count = 1;
      for (auto d : v.shape) count *= d;
      Buffer b = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(count, 1)) * 4);
      auto* f = reinterpret_cast<float*>(b.mutableData());
      for (int64_t i = 0; i < count; ++i) f[i] = u(rng);
      weights.push_back({n, Tensor(DType::kFloat32, v.shape, b, 0)});
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

inline Json sequential(const Json& layers, const std::vector<int64_t>& inputShape) {
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

inline Json layer(const std::string& cls, const std::string& name, Json config = Json::object()) {
  config["name"] = name;
  return {{"class_name", cls}, {"config", config}};
}

// A functional-model layer entry called on output 0 of node 0 of each layer in `from`.
inline Json node(const std::string& cls, const std::string& name, Json config,
                 const std::vector<std::string>& from) {
  config["name"] = name;
  Json inbound = Json::array();
  for (const auto& f : from) inbound.push_back(Json::array({f, 0, 0, Json::object()}));
  return {{"class_name", cls},
          {"name", name},
          {"config", config},
          {"inbound_nodes", from.empty() ? Json::array() : Json::array({inbound})}};
}

// A functional model's InputLayer entry for inputs of `shape` (batch unknown).
inline Json input(const std::string& name, const std::vector<int64_t>& shape) {
  Json s = Json::array({nullptr});
  for (auto d : shape) s.push_back(d);
  return {{"class_name", "InputLayer"},
          {"name", name},
          {"config", {{"name", name}, {"batch_input_shape", s}}},
          {"inbound_nodes", Json::array()}};
}

// A functional topology named `name`: outputs are (layer, output index) of node 0.
inline Json functional(Json layers, const std::vector<std::string>& inputs,
                       const std::vector<std::pair<std::string, int>>& outputs,
                       const std::string& name = "f") {
  Json in = Json::array(), out = Json::array();
  for (const auto& i : inputs) in.push_back(Json::array({i, 0, 0}));
  for (const auto& [o, k] : outputs) out.push_back(Json::array({o, 0, k}));
  return {{"class_name", "Functional"},
          {"config",
           {{"name", name}, {"layers", layers}, {"input_layers", in}, {"output_layers", out}}}};
}

// TimeDistributed(Conv2D 1x1, tanh) -> ConvLSTM2D(config) -> Flatten -> Dense(2) over 3 frames
// of 5x5x2 (2x5x5 with data_format channels_first): the Conv2D's kernel checks the ConvLSTM2D's
// input gradient. Returns the topology and the shape of an input batch of 2.
inline std::pair<Json, std::vector<int64_t>> convLstm2DSequence(const Json& config) {
  const bool cf = config.value("data_format", "") == "channels_first";
  const std::vector<int64_t> frame =
      cf ? std::vector<int64_t>{2, 5, 5} : std::vector<int64_t>{5, 5, 2};
  Json conv = {{"filters", 2}, {"kernel_size", 1}, {"activation", "tanh"}};
  if (cf) conv["data_format"] = "channels_first";
  Json topo =
      sequential(Json::array({layer("TimeDistributed", "td",
                                    {{"layer", {{"class_name", "Conv2D"}, {"config", conv}}}}),
                              layer("ConvLSTM2D", "cl", config), layer("Flatten", "f"),
                              layer("Dense", "d", {{"units", 2}})}),
                 {3, frame[0], frame[1], frame[2]});
  return {topo, {2, 3, frame[0], frame[1], frame[2]}};
}

// Random arrays of the given shapes, in [-1, 1), drawn from `rng` in order.
inline std::vector<layers::Array> randomInputs(const std::vector<std::vector<int64_t>>& shapes,
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

// One random array of shape `s` in [-1, 1) from a generator seeded with `seed`.
inline layers::Array randomArray(const layers::Shape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  return std::move(randomInputs({s}, rng).front());
}

// A float32 tensor with an array's values.
inline Tensor tensorOf(const layers::Array& a) {
  Buffer b = Buffer::allocate(std::max<size_t>(a.data.size(), 1) * 4);
  std::memcpy(b.mutableData(), a.data.data(), a.data.size() * 4);
  return Tensor(DType::kFloat32, a.shape, b, 0);
}

// compile(optimizer, meanSquaredError), then fit with `epochs` and `batchSize`.
inline History fitMse(LayersModel& m, const std::string& optimizer, const std::vector<Tensor>& x,
                      const std::vector<Tensor>& y, int epochs, int batchSize) {
  CompileArgs ca;
  ca.optimizer = optimizer;
  ca.loss = {"meanSquaredError"};
  m.compile(ca);
  FitArgs fa;
  fa.epochs = epochs;
  fa.batchSize = batchSize;
  return m.fit(x, y, fa);
}

// The central-difference tolerance: |analytic - numeric| <= abs + rel * |numeric|.
struct Tolerance {
  double abs = 2e-3;
  double rel = 2e-2;
};

// Compares analytic[i], dL/d(values[i]), with central differences of loss() (step 1e-3 relative
// to the value, at least 1e-3), restoring every value afterwards.
inline void expectCentralDifferences(std::span<float> values, std::span<const float> analytic,
                                     const std::function<double()>& loss, Tolerance tol = {}) {
  ASSERT_GE(analytic.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const float keep = values[i];
    const float h = 1e-3f * std::max(1.0f, std::fabs(keep));
    values[i] = keep + h;
    const double up = loss();
    values[i] = keep - h;
    const double down = loss();
    values[i] = keep;
    const double numeric = (up - down) / (2.0 * h);
    EXPECT_NEAR(analytic[i], numeric, tol.abs + tol.rel * std::fabs(numeric)) << "element " << i;
  }
}

// The training forward on `xs` computes what predict() computes (1e-5), every output.
inline void expectTrainingForwardIsPredict(internal::GraphTrainer& t,
                                           const std::vector<layers::Array>& xs) {
  layers::TrainingContext ctx;
  const auto y = t.forward(xs, ctx);
  const auto p = t.predict(xs);
  ASSERT_EQ(y.size(), p.size());
  for (size_t k = 0; k < y.size(); ++k) {
    ASSERT_EQ(y[k].shape, p[k].shape) << "output " << k;
    for (size_t i = 0; i < y[k].data.size(); ++i)
      ASSERT_NEAR(y[k].data[i], p[k].data[i], 1e-5) << "output " << k << " element " << i;
  }
}
inline void expectTrainingForwardIsPredict(LayersModel& m, const std::vector<layers::Array>& xs) {
  internal::GraphTrainer t(m);
  expectTrainingForwardIsPredict(t, xs);
}

struct GradientCheck {
  Tolerance tol;
  // Before the check: the training forward computes what predict() computes...
  bool samePredict = false;
  // ... or (with dropout) two training passes from the same stream agree.
  bool sameStream = false;
  // Every variable gets a nonzero gradient somewhere.
  bool nonzero = false;
  // dL/d(outputs) (r below); empty: random in [-1, 1) from the rng, one array per output.
  std::vector<layers::Array> r;
};

// L = sum over outputs k of sum(r_k * y_k): dL/dy_k = r_k. Every forward pass is a training pass
// with the same random stream, so stochastic layers (Dropout) draw the same mask each time.
// Compares backward's variable gradients with central differences (expectCentralDifferences; the
// default tolerance 2e-2 relative + 2e-3 absolute: the forward passes are float32, and a step
// must not straddle a kink such as relu's at 0, which the fixed seeds avoid). A layer's input
// gradient is checked through the variables of a layer before it (the tests put a Dense or Conv
// first).
inline void checkModelGradients(LayersModel& m, const std::vector<layers::Array>& xs,
                                std::mt19937& rng, const GradientCheck& o = {}) {
  internal::GraphTrainer t(m);
  if (o.samePredict) {
    ASSERT_NO_FATAL_FAILURE(expectTrainingForwardIsPredict(t, xs));
  }
  layers::TrainingContext ctx;
  const auto y = t.forward(xs, ctx);
  if (o.sameStream) {
    layers::TrainingContext again;
    const auto y2 = t.forward(xs, again);
    ASSERT_EQ(y.size(), t.predict(xs).size());
    for (size_t k = 0; k < y.size(); ++k) {
      ASSERT_EQ(y[k].data, y2[k].data) << "the same stream gave other masks, output " << k;
    }
  }
  std::vector<layers::Array> r = o.r;
  if (r.empty()) {
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (const auto& out : y) {
      layers::Array a(out.shape);
      for (auto& v : a.data) v = u(rng);
      r.push_back(std::move(a));
    }
  }
  auto loss = [&]() {
    layers::TrainingContext c2;
    const auto out = t.forward(xs, c2);
    double s = 0;
    for (size_t k = 0; k < out.size(); ++k)
      for (size_t i = 0; i < out[k].data.size(); ++i) s += double(out[k].data[i]) * r[k].data[i];
    return s;
  };
  layers::TrainingContext same;  // the stream every loss() evaluation starts from (Dropout)
  t.forward(xs, same);
  const auto grads = t.backward(r);
  ASSERT_EQ(grads.size(), t.variables().size());
  for (size_t k = 0; k < grads.size(); ++k) {
    const auto& var = t.variables()[k];
    SCOPED_TRACE(var.name);
    expectCentralDifferences(std::span<float>(var.value, var.size), grads[k].data, loss, o.tol);
    if (o.nonzero) {
      const bool nonzero = std::any_of(grads[k].data.begin(), grads[k].data.begin() + var.size,
                                       [](float g) { return g != 0.0f; });
      EXPECT_TRUE(nonzero) << "no gradient reached " << var.name;
    }
  }
}

// checkModelGradients on one random input of shape xShape, drawn (then r) from a generator
// seeded with `seed`.
inline void checkGradients(LayersModel& m, const std::vector<int64_t>& xShape, uint32_t seed,
                           const GradientCheck& o = {}) {
  std::mt19937 rng(seed);
  const auto xs = randomInputs({xShape}, rng);
  checkModelGradients(m, xs, rng, o);
}

}  // namespace tfjs::test
