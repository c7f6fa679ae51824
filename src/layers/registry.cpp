// The layer-class table (layer.h): the families' rows and the model classes, and Config's typed
// getters.
#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "layers/layer.h"

namespace tfjs::layers {

const Registry& registry() {
  static const Registry table = [] {
    Registry r;
    addCoreLayers(r);
    addMergeLayers(r);
    addReshapeLayers(r);
    addNormalizationLayers(r);
    addActivationLayers(r);
    addEmbeddingLayers(r);
    addPreprocessingLayers(r);
    addConvLayers(r);
    addPoolingLayers(r);
    addPaddingLayers(r);
    addWrapperLayers(r);
    addConvRecurrentLayers(r);
    addRecurrentLayers(r);
    // The model classes: layers of a topology that model/ builds (nested models through
    // NestedModelHooks), not the table's factories.
    for (const char* name : {"InputLayer", "Sequential", "Model", "Functional"}) {
      addClass(r, name, nullptr);
    }
    return r;
  }();
  return table;
}

namespace {
std::atomic<const NestedModelHooks*> gNestedModelHooks{nullptr};
}  // namespace

void setNestedModelHooks(const NestedModelHooks& hooks) {
  static NestedModelHooks installed;  // the hooks are function pointers: one set, never freed
  static std::once_flag once;
  std::call_once(once, [&] {
    installed = hooks;
    gNestedModelHooks.store(&installed, std::memory_order_release);
  });
}

const NestedModelHooks& nestedModelHooks() {
  const NestedModelHooks* h = gNestedModelHooks.load(std::memory_order_acquire);
  if (!h || !h->make || !h->addGradients) {
    throw Error(ErrorCode::kUnsupported,
                "nested models need model/'s hooks, and none are installed");
  }
  return *h;
}

void addClass(Registry& r, const char* className, LayerFactory make, ClassFlags flags) {
  const bool added =
      r.emplace(className, LayerClass{std::move(make), flags.tfjs, flags.maskThrough}).second;
  if (!added) {
    throw std::logic_error(fmt::format("layer class '{}' registered twice", className));
  }
}

const LayerClass* findLayerClass(const std::string& className) {
  const auto& r = registry();
  auto it = r.find(className);
  return it == r.end() ? nullptr : &it->second;
}

bool runsLayerClass(const std::string& className) {
  const LayerClass* c = findLayerClass(className);
  return c != nullptr && static_cast<bool>(c->make);
}

std::unique_ptr<Layer> createLayer(const Config& config) {
  const LayerClass* row = findLayerClass(config.className());
  if (row == nullptr || !row->make) {
    std::string hint;
    if (config.className() == "Lambda" || config.className() == "TensorFlowOpLayer" ||
        config.className() == "TFOpLambda" || config.className() == "SlicingOpLambda") {
      hint =
          " (it holds Python code or a TensorFlow op, which a layers model cannot carry; "
          "TF.js cannot run it either)";
    } else if (row != nullptr) {
      hint = " as a layer of its own (a model class, or an RNN cell outside an RNN layer)";
    } else {
      hint = " (a custom class, or one this version does not run yet)";
    }
    throw Error(ErrorCode::kUnsupported,
                fmt::format("layer '{}' has class '{}', which tfjs cannot run{}", config.name(),
                            config.className(), hint));
  }
  return row->make(config);
}

namespace {
const Json* find(const Json& j, const std::string& key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}
}  // namespace

void Layer::setWeights(std::vector<Tensor> weights) {
  const auto vars = variables();
  weights_.clear();
  for (size_t i = 0; i < weights.size() && i < vars.size(); ++i) {
    weights_.emplace_back(vars[i].name, std::move(weights[i]));
  }
}

std::vector<Array> Layer::backward(const std::vector<const Array*>& inputs,
                                   const std::vector<const Array*>& outputs, LayerState* state,
                                   std::vector<Array> dOutputs, GradientSink& grads) const {
  (void)inputs;
  (void)outputs;
  (void)state;
  (void)dOutputs;
  (void)grads;
  throw Error(ErrorCode::kUnsupported,
              fmt::format("layer '{}' ({}): training through this layer class is not supported "
                          "yet",
                          name(), className()));
}

void Layer::weightsChanged() {
  if (weights_.empty() || weights_.size() != variables().size()) return;
  std::vector<Tensor> same;
  for (const auto& [n, t] : weights_) same.push_back(t);
  setWeights(std::move(same));
}

float TrainingContext::uniform() {
  // SplitMix64 of (seed, counter): independent of thread timing and of call order elsewhere.
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * ++counter;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
}

std::vector<Array>& GradientSink::of(const Layer* layer) {
  for (auto& [l, g] : grads_) {
    if (l == layer) return g;
  }
  std::vector<Array> g;
  for (const auto& v : layer->variables()) g.emplace_back(v.shape);
  grads_.emplace_back(layer, std::move(g));
  return grads_.back().second;
}

const std::vector<Array>* GradientSink::find(const Layer* layer) const {
  for (const auto& [l, g] : grads_) {
    if (l == layer) return &g;
  }
  return nullptr;
}

std::vector<std::optional<Array>> Layer::computeMask(const std::vector<const Array*>& inputs,
                                                     const std::vector<const Array*>& masks) const {
  (void)inputs;
  const LayerClass* row = findLayerClass(className());
  if (masks.empty() || !masks[0] || row == nullptr || !row->maskThrough) return {};
  return {*masks[0]};
}

std::span<const float> Layer::weight(const std::string& name) const {
  for (const auto& [n, t] : weights_) {
    if (n == name) return t.floats();
  }
  return {};
}

std::span<float> Layer::mutableWeight(const std::string& name) const {
  const auto w = weight(name);
  return {const_cast<float*>(w.data()), w.size()};
}

bool Config::has(const std::string& key) const {
  return find(config_, key) != nullptr;
}

namespace {
// An integral JSON number that fits comfortably in int64 (config values are sizes, strides,
// axes...); anything else (2.5, 1e300, "3") is nullopt.
std::optional<int64_t> integral(const Json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_unsigned()) {
    const auto u = j.get<uint64_t>();
    if (u <= (uint64_t{1} << 53)) return static_cast<int64_t>(u);
    return std::nullopt;
  }
  if (j.is_number_float()) {
    const double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) <= 9007199254740992.0) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}
}  // namespace

int64_t Config::integer(const std::string& key, int64_t def) const {
  const Json* v = find(config_, key);
  if (!v) return def;
  const Json& e = v->is_array() && v->size() == 1 ? (*v)[0] : *v;
  if (auto n = integral(e)) return *n;
  unsupported(fmt::format("'{}' = {}", key, v->dump()));
}

double Config::number(const std::string& key, double def) const {
  const Json* v = find(config_, key);
  if (!v) return def;
  if (v->is_number()) return v->get<double>();
  unsupported(fmt::format("'{}' = {}", key, v->dump()));
}

bool Config::boolean(const std::string& key, bool def) const {
  const Json* v = find(config_, key);
  if (!v) return def;
  if (v->is_boolean()) return v->get<bool>();
  unsupported(fmt::format("'{}' = {}", key, v->dump()));
}

std::string Config::string(const std::string& key, const std::string& def) const {
  const Json* v = find(config_, key);
  if (!v) return def;
  if (v->is_string()) return v->get<std::string>();
  unsupported(fmt::format("'{}' = {}", key, v->dump()));
}

std::vector<int64_t> Config::ints(const std::string& key, size_t rank, int64_t def) const {
  const Json* v = find(config_, key);
  if (!v) return std::vector<int64_t>(rank, def);
  if (auto n = integral(*v)) return std::vector<int64_t>(rank, *n);
  if (v->is_array()) {
    std::vector<int64_t> out;
    for (const auto& e : *v) {
      auto n = integral(e);
      if (!n) unsupported(fmt::format("'{}' = {}", key, v->dump()));
      out.push_back(*n);
    }
    if (out.size() == 1 && rank > 1) out.assign(rank, out[0]);
    if (out.size() == rank) return out;
  }
  unsupported(fmt::format("'{}' = {}", key, v->dump()));
}

std::string Config::activation(const std::string& key) const {
  const Json* v = find(config_, key);
  if (!v) return "linear";
  if (v->is_string()) return v->get<std::string>();
  // Keras 3 may serialize an activation as {"class_name": ..., "config": {"name": ...}}.
  // tf.keras 2 may also put an advanced-activation layer there ({"class_name": "ReLU", ...}).
  if (v->is_object()) {
    const Json* cn = find(*v, "class_name");
    const Json* cfg = find(*v, "config");
    const std::string cls = cn && cn->is_string() ? cn->get<std::string>() : "";
    if (cls == "ReLU" && cfg) {
      const bool plain = !find(*cfg, "max_value") && cfg->value("negative_slope", 0.0) == 0.0 &&
                         cfg->value("threshold", 0.0) == 0.0;
      if (plain) return "relu";
    } else if (cls == "Softmax" && cfg && cfg->value("axis", -1) == -1) {
      return "softmax";
    } else if (cfg && find(*cfg, "name") && (*cfg)["name"].is_string()) {
      return (*cfg)["name"].get<std::string>();  // Keras 3: {"class_name": "function", ...}
    }
  }
  unsupported(fmt::format("'{}' = {}", key, v->dump()));
}

void Config::unsupported(const std::string& what) const {
  throw Error(ErrorCode::kUnsupported,
              fmt::format("layer '{}' ({}): {} is not supported", name_, className_, what));
}

}  // namespace tfjs::layers
