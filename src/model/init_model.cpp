// train/init_model.cpp — modelFromJSON: a layers model from a topology alone, its variables
// filled by their initializers (kernel_initializer, bias_initializer, ... of each layer's config),
// as tf.models.modelFromJSON does.
#include <fmt/format.h>

#include "model/initializers.h"
#include "model/variables.h"
#include "tfjs/error.h"
#include "tfjs/layers_model.h"
#include "tfjs/weights.h"

namespace tfjs {
namespace {

// The config key of a variable's initializer and the default when the config has none (Keras's
// defaults; every config TF.js or Keras writes names its initializers).
std::pair<std::string, Json> initializerFor(const std::string& variable) {
  const std::string v = variable.substr(variable.rfind('/') + 1);
  if (v == "kernel") return {"kernel_initializer", "glorot_uniform"};
  if (v == "recurrent_kernel") return {"recurrent_initializer", "orthogonal"};
  if (v == "depthwise_kernel") return {"depthwise_initializer", "glorot_uniform"};
  if (v == "pointwise_kernel") return {"pointwise_initializer", "glorot_uniform"};
  if (v == "bias") return {"bias_initializer", "zeros"};
  if (v == "gamma") return {"gamma_initializer", "ones"};
  if (v == "beta") return {"beta_initializer", "zeros"};
  if (v == "moving_mean") return {"moving_mean_initializer", "zeros"};
  if (v == "moving_variance") return {"moving_variance_initializer", "ones"};
  if (v == "embeddings") {
    return {"embeddings_initializer",
            {{"class_name", "RandomUniform"}, {"config", {{"minval", -0.05}, {"maxval", 0.05}}}}};
  }
  if (v == "alpha") return {"alpha_initializer", "zeros"};
  return {v + "_initializer", "zeros"};
}

// The layer config (searching the topology, nested models included) of the layer `name`.
const Json* findLayerConfig(const Json& j, const std::string& name, int depth = 0) {
  if (depth > 64) return nullptr;
  if (j.is_object()) {
    if (j.contains("class_name") && j.contains("config") && j["config"].is_object() &&
        j["config"].value("name", std::string()) == name) {
      return &j["config"];
    }
    for (const auto& [k, v] : j.items()) {
      if (const Json* f = findLayerConfig(v, name, depth + 1)) return f;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (const Json* f = findLayerConfig(v, name, depth + 1)) return f;
    }
  }
  return nullptr;
}

// The initializer spec for `variable` of the layer with config `cfg` (looking into wrapped layers
// and RNN cells, whose configs hold the initializers).
Json initializerSpec(const Json* cfg, const std::string& variable) {
  const auto [key, def] = initializerFor(variable);
  for (int depth = 0; cfg && depth < 8; ++depth) {
    if (cfg->contains(key) && !(*cfg)[key].is_null()) return (*cfg)[key];
    const Json* next = nullptr;
    for (const char* inner : {"cell", "layer"}) {
      if (cfg->contains(inner) && (*cfg)[inner].is_object() && (*cfg)[inner].contains("config")) {
        next = &(*cfg)[inner]["config"];
        break;
      }
    }
    cfg = next;
  }
  return def;
}

}  // namespace

LayersModel modelFromJSON(const Json& modelTopology, uint64_t seed, const ModelOptions& options) {
  std::vector<NamedTensor> weights;
  uint64_t k = 0;
  for (const auto& lv : listModelVariables(modelTopology)) {
    const Json* cfg = findLayerConfig(modelTopology, lv.layer);
    for (const auto& v : lv.variables) {
      int64_t n = 1;
      for (int64_t d : v.shape) n *= d;
      Buffer b = Buffer::allocate(static_cast<size_t>(std::max<int64_t>(n, 1)) * 4);
      const uint64_t varSeed = seed * 0x9E3779B97F4A7C15ull + (++k);
      train::initialize(initializerSpec(cfg, v.name), v.shape, varSeed,
                        reinterpret_cast<float*>(b.mutableData()));
      weights.push_back({lv.layer + "/" + v.name, Tensor(DType::kFloat32, v.shape, b, 0)});
    }
  }
  ModelArtifacts a;
  a.format = "layers-model";
  a.modelTopology = modelTopology;
  std::vector<EncodedGroup> groups;
  groups.push_back(encodeWeights(weights));
  setWeightGroups(a, std::move(groups));
  return LayersModel::fromArtifacts(a, options);
}

}  // namespace tfjs
