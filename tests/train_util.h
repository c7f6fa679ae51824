// Helpers of the training tests: models from small topologies with seeded random weights, and
// the finite-difference check of a model's backward pass.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "layers/layer.h"
#include "model/graph_trainer.h"
#include "model/variables.h"
#include "tfjs/artifacts.h"
#include "tfjs/layers_model.h"
#include "tfjs/weights.h"

namespace tfjs::test {

// A model from a topology with seeded random weights in [-0.5, 0.5).
inline LayersModel randomModel(const Json& topology, uint32_t seed) {
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

// L = sum(r * y) for a fixed random r: dL/dy = r. Every forward pass is a training pass with the
// same random stream, so stochastic layers (Dropout) draw the same mask each time. Compares
// backward's variable gradients with central differences (step 1e-3 relative to the value;
// tolerance 2e-2 relative + 2e-3 absolute: the forward passes are float32, and a step must not
// straddle a kink such as relu's at 0, which the fixed seeds avoid). A layer's input gradient is
// checked through the variables of a layer before it (the tests put a Dense or Conv first).
inline void checkGradients(LayersModel& m, const std::vector<int64_t>& xShape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  layers::Array x(xShape);
  for (auto& v : x.data) v = u(rng);
  internal::GraphTrainer t(m);
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
  layers::TrainingContext same;  // the stream every loss() evaluation starts from (Dropout)
  t.forward({x}, same);
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

}  // namespace tfjs::test
