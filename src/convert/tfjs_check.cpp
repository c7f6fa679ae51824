// convert/tfjs_check.cpp — what TF.js 4.22's tf.loadLayersModel refuses in a layers model, and
// the Keras 3 repair (contracts in convert/tfjs_check.h and tfjs/convert.h).
//
// Every check was measured against the pinned @tensorflow/tfjs 4.22 (tests/oracle): the real
// converter's Keras 3 output and hand-made variants of it, one Keras 3 form at a time.
// DTypePolicy objects as the dtype of layers other than InputLayer load and predict (TF.js keeps
// the object as the layer's dtype), so only an InputLayer's is reported; `module` and
// `registered_name` keys are ignored by TF.js and are not reported.
#include "convert/tfjs_check.h"

#include <fmt/format.h>

#include <cctype>
#include <map>
#include <sstream>
#include <vector>

#include "format/activation_names.h"
#include "layers/layer.h"
#include "model/topology.h"
#include "tfjs/convert.h"

namespace tfjs::convert {
namespace {

// j[key] when it is a string, else "" (never throws on a malformed config).
std::string stringAt(const Json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

void forEachLayerAt(const Json& j, const std::function<void(const Json&)>& f, int depth) {
  if (depth > 200 || !j.is_object()) return;
  if (j.contains("class_name") && j["class_name"].is_string()) f(j);
  auto cfgIt = j.find("config");
  const Json* cfg = cfgIt != j.end() ? &*cfgIt : nullptr;
  if (!cfg) return;
  if (cfg->is_array()) {  // legacy Sequential: a bare list of layers
    for (const auto& l : *cfg) forEachLayerAt(l, f, depth + 1);
    return;
  }
  if (!cfg->is_object()) return;
  for (const char* key : {"layers", "cells"}) {
    if (auto it = cfg->find(key); it != cfg->end() && it->is_array()) {
      for (const auto& l : *it) forEachLayerAt(l, f, depth + 1);
    }
  }
  for (const char* key : {"layer", "cell", "forward_layer", "backward_layer"}) {
    if (auto it = cfg->find(key); it != cfg->end() && it->is_object()) {
      forEachLayerAt(*it, f, depth + 1);
    }
  }
}

bool containsKerasTensor(const Json& j) {
  return !topology::kerasTensors(j).empty();
}

// {"args": [...], "kwargs": {...}} -> [[layer, node, tensor, kwargs], ...]: the tensors of the
// positional arguments, each with the call's non-tensor keyword arguments.
Json convertInboundNode(const Json& node) {
  Json kwargs = Json::object();
  if (auto k = node.find("kwargs"); k != node.end() && k->is_object()) {
    for (const auto& [key, v] : k->items()) {
      if (!containsKerasTensor(v)) kwargs[key] = v;
    }
  }
  const auto args = node.find("args");
  return topology::keras2Node(
      args != node.end() ? topology::kerasTensors(*args) : std::vector<topology::Ref>{}, kwargs);
}

// A Keras 3 `input_layers`/`output_layers`: flat triple or dict -> list of triples.
Json layerTriples(const Json& v) {
  const bool flat = v.is_array() && v.size() == 3 && v[0].is_string();
  if (!flat && !v.is_object()) return v;
  Json out = Json::array();
  for (const topology::Ref& r : topology::endpoints(v)) out.push_back(topology::triple(r));
  return out;
}

void normalizeKeras3At(Json& j, std::set<std::string>& notes, int depth) {
  if (depth > 400) return;
  if (j.is_array()) {
    for (auto& e : j) normalizeKeras3At(e, notes, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  const bool inputLayer = stringAt(j, "class_name") == "InputLayer";
  Json out = Json::object();
  for (auto& [key, value] : j.items()) {
    if (key == "module" || key == "registered_name") {
      notes.insert("removed 'module' and 'registered_name' keys");
      continue;
    }
    Json v = value;
    std::string k = key;
    if (k == "dtype" && v.is_object() && v.contains("config") && v["config"].is_object() &&
        v["config"].contains("name") && v["config"]["name"].is_string()) {
      v = v["config"]["name"];
      notes.insert("DTypePolicy objects written as dtype names");
    } else if (k == "inbound_nodes" && v.is_array()) {
      Json nodes = Json::array();
      bool changed = false;
      for (const auto& n : v) {
        if (n.is_object() && (n.contains("args") || n.contains("kwargs"))) {
          nodes.push_back(convertInboundNode(n));
          changed = true;
        } else {
          nodes.push_back(n);
        }
      }
      if (changed) notes.insert("dict-style inbound_nodes written as nested lists");
      v = std::move(nodes);
    } else if ((k == "input_layers" || k == "output_layers") && !v.is_null()) {
      Json t = layerTriples(v);
      if (t != v) notes.insert("single or dict input_layers/output_layers written as lists");
      v = std::move(t);
    } else if (k == "activation" && v == "silu") {
      v = "swish";
      notes.insert("activation 'silu' written as 'swish'");
    } else {
      normalizeKeras3At(v, notes, depth + 1);
    }
    out[k] = std::move(v);
  }
  // Keras 3 renamed LeakyReLU's alpha to negative_slope; TF.js 4.22 reads alpha (default 0.3).
  if (stringAt(out, "class_name") == "LeakyReLU") {
    if (auto c = out.find("config"); c != out.end() && c->is_object() &&
                                     c->contains("negative_slope") && !c->contains("alpha")) {
      Json cfg = Json::object();
      for (auto& [ck, cv] : c->items()) cfg[ck == "negative_slope" ? "alpha" : ck] = cv;
      *c = std::move(cfg);
      notes.insert("LeakyReLU 'negative_slope' written as 'alpha'");
    }
  }
  if (inputLayer) {
    if (auto c = out.find("config"); c != out.end() && c->is_object() &&
                                     c->contains("batch_shape") &&
                                     !c->contains("batch_input_shape")) {
      Json cfg = Json::object();
      for (auto& [ck, cv] : c->items()) cfg[ck == "batch_shape" ? "batch_input_shape" : ck] = cv;
      *c = std::move(cfg);
      notes.insert("InputLayer 'batch_shape' written as 'batch_input_shape'");
    }
  }
  j = std::move(out);
}

}  // namespace

bool tfjsRegistersLayerClass(const std::string& className) {
  const layers::LayerClass* row = layers::findLayerClass(className);
  return row != nullptr && row->tfjs;
}

void forEachLayer(const Json& modelConfig, const std::function<void(const Json&)>& f) {
  forEachLayerAt(modelConfig, f, 0);
}

std::string layerNameOf(const Json& layer) {
  if (auto it = layer.find("name"); it != layer.end() && it->is_string()) return *it;
  if (auto c = layer.find("config"); c != layer.end() && c->is_object()) {
    if (auto it = c->find("name"); it != c->end() && it->is_string()) return *it;
  }
  return "";
}
void normalizeKeras3(Json& j, std::set<std::string>& notes) {
  normalizeKeras3At(j, notes, 0);
}

std::string keras3WeightName(const std::string& stored, const std::string& layer,
                             bool layerIsModel) {
  std::vector<std::string> parts;
  std::stringstream ss(stored);
  for (std::string p; std::getline(ss, p, '/');) parts.push_back(p);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] != layer) continue;
    const size_t from = layerIsModel ? i + 1 : i;
    if (from + 1 >= parts.size()) break;  // keep at least "<layer>/<weight>"
    std::string s;
    for (size_t k = from; k < parts.size(); ++k) s += (s.empty() ? "" : "/") + parts[k];
    return s;
  }
  return stored;
}

namespace {

// The model config of a topology, mutable: model_config when present, else the topology itself.
Json* modelConfigOf(Json& topology) {
  if (!topology.is_object()) return nullptr;
  if (auto it = topology.find("model_config"); it != topology.end()) {
    return it->is_object() ? &*it : nullptr;
  }
  return topology.contains("class_name") ? &topology : nullptr;
}

// The top-level layers of a model config: name -> is a nested model.
std::map<std::string, bool> topLevelLayers(const Json& mc) {
  std::map<std::string, bool> out;
  const Json* layers = topology::layerList(mc);
  if (!layers) return out;
  for (const auto& l : *layers) {
    if (!l.is_object()) continue;
    const std::string c = stringAt(l, "class_name");
    out[layerNameOf(l)] = c == "Sequential" || c == "Model" || c == "Functional";
  }
  return out;
}

std::string modelNameOf(const Json& mc) {
  if (auto c = mc.find("config"); c != mc.end() && c->is_object()) {
    if (auto n = c->find("name"); n != c->end() && n->is_string()) return *n;
  }
  return "";
}

// A weight name under the model's own name ("sequential/dense/kernel", as the converter writes a
// Keras 3 model): the layer it belongs to, or "".
std::string prefixedLayer(const std::string& weight, const std::string& modelName,
                          const std::map<std::string, bool>& layers) {
  if (modelName.empty() || layers.count(modelName)) return "";
  const std::string prefix = modelName + "/";
  if (!weight.starts_with(prefix)) return "";
  const size_t slash = weight.find('/', prefix.size());
  if (slash == std::string::npos) return "";
  const std::string layer = weight.substr(prefix.size(), slash - prefix.size());
  return layers.count(layer) ? layer : "";
}

// Activation names TF.js 4.22 loads ("None" is not one; the runtime reads it as linear).
bool tfjsKnowsActivation(const std::string& name) {
  return findActivation(name).has_value();
}

bool isLayerTriple(const Json& v) {
  return v.is_array() && v.size() >= 3 && v[0].is_string();
}

}  // namespace

void repairKeras3Artifacts(ModelArtifacts& a, std::vector<std::string>& notes) {
  Json* mc = modelConfigOf(a.modelTopology);
  if (!mc) return;
  std::set<std::string> n;
  const std::string modelName = modelNameOf(*mc);
  const auto layers = topLevelLayers(*mc);
  normalizeKeras3(*mc, n);
  if (mc != &a.modelTopology) {
    if (auto tc = a.modelTopology.find("training_config"); tc != a.modelTopology.end()) {
      normalizeKeras3(*tc, n);
    }
  }
  std::set<std::string> names;
  for (const auto* s : a.weightSpecs()) names.insert(s->name);
  bool renamed = false;
  for (auto& g : a.weightsManifest) {
    for (auto& w : g.weights) {
      const std::string layer = prefixedLayer(w.name, modelName, layers);
      if (layer.empty()) continue;
      const std::string to =
          keras3WeightName(w.name.substr(modelName.size() + 1), layer, layers.at(layer));
      if (to == w.name || names.count(to)) continue;
      names.erase(w.name);
      names.insert(to);
      w.name = to;
      renamed = true;
    }
  }
  if (renamed) n.insert("weight names under the model's name written as '<layer>/<weight>'");
  for (const auto& s : n) notes.push_back("Keras 3: " + s);
}

}  // namespace tfjs::convert

namespace tfjs {

std::vector<Problem> tfjsLoadProblems(const ModelArtifacts& a, const std::string& file,
                                      bool* repairable) {
  using namespace convert;
  std::vector<Problem> out;
  bool fixable = false;
  if (repairable) *repairable = false;
  if (a.inferredFormat() != ModelFormat::kLayers) return out;
  const Json& mc = a.kerasModelConfig();
  if (!mc.is_object() || !mc.contains("class_name")) return out;
  auto add = [&](std::string message, bool byConvert, std::string weight = {}) {
    out.push_back(
        {ErrorCode::kTfjsIncompatible, std::move(message), file, std::move(weight), std::nullopt});
    fixable = fixable || byConvert;
  };
  auto checkModel = [&](const Json& model, const std::string& name) {
    const Json* cfg = model.contains("config") ? &model["config"] : nullptr;
    if (!cfg || !cfg->is_object()) return;
    for (const char* key : {"input_layers", "output_layers"}) {
      auto it = cfg->find(key);
      if (it == cfg->end() || it->is_null()) continue;
      if (it->is_object() || isLayerTriple(*it)) {
        add(fmt::format("model '{}': '{}' is a single [layer, node, tensor] or a dict (Keras 3); "
                        "TF.js 4.22 wants a list of them (tf.loadLayersModel fails an assertion)",
                        name, key),
            true);
      }
    }
  };
  checkModel(mc, modelNameOf(mc));
  convert::forEachLayer(mc, [&](const Json& layer) {
    const std::string cls = layer["class_name"];
    const std::string name = convert::layerNameOf(layer);
    const Json* cfg =
        layer.contains("config") && layer["config"].is_object() ? &layer["config"] : nullptr;
    if (&layer != &mc && (cls == "Functional" || cls == "Model" || cls == "Sequential")) {
      checkModel(layer, name);
    }
    if (!convert::tfjsRegistersLayerClass(cls)) {
      add(fmt::format("layer '{}' has class '{}', which TF.js 4.22 does not register "
                      "(tf.loadLayersModel fails: Unknown layer: {})",
                      name, cls, cls),
          false);
    }
    if (auto it = layer.find("inbound_nodes"); it != layer.end() && it->is_array()) {
      for (const auto& node : *it) {
        if (node.is_object()) {
          add(fmt::format("layer '{}' has dict inbound nodes {{\"args\", \"kwargs\"}} (Keras 3); "
                          "TF.js 4.22 reads nested lists (tf.loadLayersModel fails: Corrupted "
                          "configuration, expected array for nodeData)",
                          name),
              true);
          break;
        }
      }
    }
    if (!cfg) return;
    if (cls == "InputLayer") {
      if (cfg->contains("batch_shape") && !cfg->contains("batch_input_shape") &&
          !cfg->contains("batchInputShape") && !cfg->contains("input_shape") &&
          !cfg->contains("inputShape")) {
        add(fmt::format("InputLayer '{}' has Keras 3's 'batch_shape' and no "
                        "'batch_input_shape' (tf.loadLayersModel fails: An InputLayer should be "
                        "passed either a batchInputShape or an inputShape)",
                        name),
            true);
      }
      if (auto d = cfg->find("dtype"); d != cfg->end() && d->is_object()) {
        add(fmt::format("InputLayer '{}' has a DTypePolicy object as its dtype (Keras 3); TF.js "
                        "4.22 keeps the object and predict fails (The dtype of the feed "
                        "(float32) can not be cast)",
                        name),
            true);
      }
    }
    if ((cls == "GRU" || cls == "GRUCell") && cfg->contains("reset_after") &&
        (*cfg)["reset_after"] == true) {
      add(fmt::format("layer '{}' ({}) has reset_after: true (the Keras 2.x / 3 default); "
                      "TF.js 4.22 refuses it (GRUCell does not support reset_after parameter "
                      "set to true); retrain with reset_after=False for TF.js",
                      name, cls),
          false);
    }
    if (cls == "LeakyReLU" && cfg->contains("negative_slope") && !cfg->contains("alpha")) {
      add(fmt::format("layer '{}' (LeakyReLU) has Keras 3's 'negative_slope' and no 'alpha': "
                      "TF.js 4.22 ignores it and computes with alpha 0.3, a silently different "
                      "result",
                      name),
          true);
    }
    for (const char* key : {"activation", "recurrent_activation"}) {
      auto it = cfg->find(key);
      if (it == cfg->end() || !it->is_string() || tfjsKnowsActivation(*it)) continue;
      const std::string act = *it;
      add(fmt::format("layer '{}' has {} '{}', which TF.js 4.22 does not know "
                      "(tf.loadLayersModel fails: Unknown activation: {})",
                      name, key, act, act),
          act == "silu");
    }
  });
  // tf.loadLayersModel compiles from model.json's trainingConfig and throws for these keys.
  if (a.trainingConfig.is_object()) {
    for (const char* key : {"weighted_metrics", "loss_weights", "sample_weight_mode"}) {
      auto it = a.trainingConfig.find(key);
      if (it == a.trainingConfig.end() || it->is_null()) continue;
      add(fmt::format("trainingConfig has {} {} (tf.loadLayersModel fails: Loading {} is not "
                      "supported yet)",
                      key, it->dump(),
                      key == std::string("weighted_metrics") ? "weight_metrics" : key),
          false);
    }
  }
  const std::string modelName = modelNameOf(mc);
  const auto layers = topLevelLayers(mc);
  for (const auto* s : a.weightSpecs()) {
    const std::string layer = prefixedLayer(s->name, modelName, layers);
    if (layer.empty()) continue;
    add(fmt::format("weight of layer '{}' named under the model's name '{}' (Keras 3); TF.js "
                    "4.22 binds '{}/...' (tf.loadLayersModel fails: Provided weight data has "
                    "no target variable)",
                    layer, modelName, layer),
        true, s->name);
  }
  if (repairable) *repairable = fixable;
  return out;
}

}  // namespace tfjs
