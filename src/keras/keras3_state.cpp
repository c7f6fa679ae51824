// keras/keras3_state.cpp — the Keras 3 state tree of a model config (keras3_state.h).
#include "keras/keras3_state.h"

#include <fmt/format.h>

#include <algorithm>

#include "format/checked.h"
#include "format/keras_names.h"
#include "model/topology.h"

namespace tfjs::keras::state {

bool startsWith(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

std::string stringOr(const Json& j, const char* key, const std::string& def) {
  if (j.is_object()) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string()) return it->get<std::string>();
  }
  return def;
}

bool isModelClass(const std::string& c) {
  return c == "Sequential" || c == "Functional" || c == "Model";
}

bool isRnnClass(const std::string& c) {
  return c == "SimpleRNN" || c == "LSTM" || c == "GRU" || c == "RNN" || c == "ConvLSTM1D" ||
         c == "ConvLSTM2D" || c == "ConvLSTM3D";
}

std::string keras3Class(const std::string& c) {
  if (c == "Model") return "Functional";
  if (c == "BatchNormalizationV1" || c == "BatchNormalizationV2") return "BatchNormalization";
  if (c == "UnifiedGRU") return "GRU";
  if (c == "UnifiedLSTM") return "LSTM";
  return c;
}

const Json& requireLayerList(const Json& model, const std::string& file) {
  if (const Json* layers = topology::layerList(model)) return *layers;
  throw Error(ErrorCode::kSchema,
              fmt::format("model config of class '{}' has no layer list",
                          stringOr(model, "class_name", "?")),
              file);
}

std::string layerName(const Json& layer) {
  const Json* cfg = layer.is_object() && layer.contains("config") ? &layer["config"] : nullptr;
  std::string n = cfg ? stringOr(*cfg, "name") : "";
  return n.empty() ? stringOr(layer, "name") : n;
}

const Json& layerConfig(const Json& layer) {
  static const Json kEmpty = Json::object();
  if (layer.is_object() && layer.contains("config") && layer["config"].is_object()) {
    return layer["config"];
  }
  return kEmpty;
}

void walkModel(const Json& model, std::vector<std::string>& modelPath, const std::string& prefix,
               StateTree& tree, const std::string& file, int depth) {
  if (depth > 32) throw Error(ErrorCode::kSchema, "models nested too deeply", file);
  const std::string cls = stringOr(model, "class_name");
  tree.models.push_back({prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1),
                         stringOr(layerConfig(model), "name")});
  const Json& layers = requireLayerList(model, file);
  std::unordered_map<std::string, int> used;
  bool first = true;
  for (const Json& layer : layers) {
    const std::string lcls = stringOr(layer, "class_name");
    if (lcls.empty()) {
      throw Error(ErrorCode::kSchema, "a layer config without class_name", file);
    }
    const bool skip = first && cls == "Sequential" && lcls == "InputLayer";
    first = false;
    if (skip) continue;
    std::string snake = kerasSnakeCase(keras3Class(lcls));
    auto [it, fresh] = used.emplace(snake, 0);
    if (!fresh) snake += "_" + std::to_string(++it->second);
    const std::string statePath = prefix + "layers/" + snake;
    if (isModelClass(lcls)) {
      modelPath.push_back(layerName(layer));
      walkModel(layer, modelPath, statePath + "/", tree, file, depth + 1);
      modelPath.pop_back();
      continue;
    }
    tree.slots.push_back({modelPath, layerName(layer), lcls, &layer, statePath});
  }
}

StateTree stateTree(const Json& modelConfig, const std::string& file) {
  StateTree tree;
  std::vector<std::string> modelPath;
  walkModel(modelConfig, modelPath, "", tree, file, 0);
  return tree;
}

void varGroups(const Json& layer, const std::string& statePath, size_t n,
               std::vector<VarGroup>& out, const std::string& file, int depth) {
  if (depth > 8) throw Error(ErrorCode::kSchema, "wrapped layers nested too deeply", file);
  const std::string cls = keras3Class(stringOr(layer, "class_name"));
  const Json& cfg = layerConfig(layer);
  const std::string name = layerName(layer);
  if (isRnnClass(cls)) {
    std::string cellName = kerasSnakeCase(cls) + "_cell";
    if (cls == "RNN") {
      const Json* cell = cfg.contains("cell") ? &cfg["cell"] : nullptr;
      const std::string cellClass = cell ? stringOr(*cell, "class_name") : "";
      if (!cell || !cell->is_object() || cellClass == "StackedRNNCells") {
        throw Error(ErrorCode::kUnsupported,
                    fmt::format("layer '{}' (RNN) has a list of cells (StackedRNNCells), which "
                                "the .keras state mapping does not cover",
                                name),
                    file);
      }
      cellName = stringOr(layerConfig(*cell), "name", kerasSnakeCase(cellClass));
    }
    out.push_back({statePath + "/vars", 0, name});
    out.push_back({statePath + "/cell/vars", n, cellName});
    return;
  }
  if (cls == "Bidirectional") {
    const Json* fwd = cfg.contains("layer") ? &cfg["layer"] : nullptr;
    if (!fwd || !fwd->is_object() || n % 2 != 0) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("Bidirectional layer '{}' has no wrapped layer config or an odd "
                              "variable count ({})",
                              name, n),
                  file);
    }
    const Json* bwd = cfg.contains("backward_layer") && cfg["backward_layer"].is_object()
                          ? &cfg["backward_layer"]
                          : fwd;
    out.push_back({statePath + "/vars", 0, name});
    varGroups(*fwd, statePath + "/forward_layer", n / 2, out, file, depth + 1);
    varGroups(*bwd, statePath + "/backward_layer", n / 2, out, file, depth + 1);
    return;
  }
  if (cls == "TimeDistributed") {
    const Json* inner = cfg.contains("layer") ? &cfg["layer"] : nullptr;
    if (!inner || !inner->is_object()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("TimeDistributed layer '{}' has no wrapped layer config", name),
                  file);
    }
    out.push_back({statePath + "/vars", 0, name});
    varGroups(*inner, statePath + "/layer", n, out, file, depth + 1);
    return;
  }
  out.push_back({statePath + "/vars", n, name});
}

std::string modelKey(const std::vector<std::string>& modelPath, const std::string& layer) {
  std::string k;
  for (const auto& p : modelPath) k += p + "\x1f";
  return k + layer;
}

std::unordered_map<std::string, const LayerVariables*> indexVariables(
    const std::vector<LayerVariables>& vars) {
  std::unordered_map<std::string, const LayerVariables*> idx;
  for (const auto& lv : vars) idx.emplace(modelKey(lv.modelPath, lv.layer), &lv);
  return idx;
}

std::vector<NamedTensor> legacyOrder(std::vector<OrderedWeight> ws) {
  std::stable_partition(ws.begin(), ws.end(), [](const OrderedWeight& w) { return w.trainable; });
  std::vector<NamedTensor> out;
  out.reserve(ws.size());
  for (auto& w : ws) out.push_back(std::move(w.tensor));
  return out;
}

bool configTrainable(const Json* layer) {
  if (!layer) return true;
  const Json& cfg = layerConfig(*layer);
  auto it = cfg.find("trainable");
  return it == cfg.end() || !it->is_boolean() || it->get<bool>();
}

void indexConfigs(const Json& model, std::vector<std::string>& path, bool trainable,
                  std::unordered_map<std::string, bool>& out, int depth) {
  if (depth > 32 || !model.is_object()) return;
  const Json* layers = topology::layerList(model);
  if (!layers) return;
  for (const Json& layer : *layers) {
    const bool t = trainable && configTrainable(&layer);
    const std::string name = layerName(layer);
    if (isModelClass(stringOr(layer, "class_name"))) {
      path.push_back(name);
      indexConfigs(layer, path, t, out, depth + 1);
      path.pop_back();
    } else {
      out[modelKey(path, name)] = t;
    }
  }
}

}  // namespace tfjs::keras::state
