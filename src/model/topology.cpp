// The one reader of Keras model configs (topology.h).
#include "model/topology.h"

#include <fmt/format.h>

#include "tfjs/error.h"

namespace tfjs::topology {
namespace {

[[noreturn]] void schema(const std::string& message) {
  throw Error(ErrorCode::kSchema, message);
}

}  // namespace

bool isModelClass(const std::string& c) {
  return c == "Sequential" || c == "Functional" || c == "Model";
}

// Keras 3 tensors ({"class_name": "__keras_tensor__", "config": {"keras_history": [l, n, t]}})
// anywhere inside a node's args, in order.
static void collectKerasTensors(const Json& j, std::vector<Ref>& out) {
  if (j.is_object()) {
    if (j.value("class_name", std::string()) == "__keras_tensor__") {
      const Json& h = j.at("config").at("keras_history");
      out.push_back({h.at(0).get<std::string>(), h.at(1).get<size_t>(), h.at(2).get<size_t>()});
      return;
    }
    for (const auto& [k, v] : j.items()) collectKerasTensors(v, out);
  } else if (j.is_array()) {
    for (const auto& v : j) collectKerasTensors(v, out);
  }
}

static Ref refFromTriple(const Json& t) {
  if (!t.is_array() || t.size() < 3 || !t[0].is_string())
    schema(fmt::format("bad tensor reference {}", t.dump()));
  return {t[0].get<std::string>(), t[1].get<size_t>(), t[2].get<size_t>()};
}

static std::vector<Ref> refList(const Json& j) {
  std::vector<Ref> out;
  if (j.is_array() && j.size() >= 3 && j[0].is_string()) {
    out.push_back(refFromTriple(j));  // a single flat triple
  } else if (j.is_array()) {
    for (const auto& t : j) out.push_back(refFromTriple(t));
  } else if (j.is_object()) {
    for (const auto& [k, t] : j.items()) out.push_back(refFromTriple(t));
  } else {
    schema("input_layers / output_layers must be a list");
  }
  return out;
}

static std::vector<std::vector<Ref>> parseNodes(const Json& inbound) {
  std::vector<std::vector<Ref>> nodes;
  if (!inbound.is_array()) return nodes;
  for (const auto& node : inbound) {
    std::vector<Ref> refs;
    if (node.is_object()) {
      collectKerasTensors(node.contains("args") ? node["args"] : node, refs);
    } else if (node.is_array()) {
      for (const auto& t : node) refs.push_back(refFromTriple(t));
    } else {
      schema(fmt::format("bad inbound node {}", node.dump()));
    }
    nodes.push_back(std::move(refs));
  }
  return nodes;
}

// The batch input shape declared by a layer config (batch_input_shape, batch_shape, or
// input_shape / input_dim with a batch dimension added).
std::optional<std::vector<int64_t>> declaredShape(const Json& cfg) {
  auto toShape = [](const Json& j, bool addBatch) {
    std::vector<int64_t> s;
    if (addBatch) s.push_back(-1);
    for (const auto& d : j) s.push_back(d.is_number() ? d.get<int64_t>() : -1);
    return s;
  };
  for (const char* key : {"batch_input_shape", "batch_shape"}) {
    if (cfg.contains(key) && cfg[key].is_array()) return toShape(cfg[key], false);
  }
  if (cfg.contains("input_shape") && cfg["input_shape"].is_array())
    return toShape(cfg["input_shape"], true);
  if (cfg.contains("input_dim") && cfg["input_dim"].is_number()) {
    return std::vector<int64_t>{-1, cfg["input_dim"].get<int64_t>()};
  }
  return std::nullopt;
}

static LayerDesc layerDesc(const Json& entry) {
  if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string()) {
    schema(fmt::format("a layer entry has no class_name: {}", entry.dump().substr(0, 200)));
  }
  LayerDesc d;
  d.className = entry["class_name"].get<std::string>();
  d.config = entry.contains("config") ? entry["config"] : Json::object();
  if (entry.contains("name") && entry["name"].is_string()) {
    d.name = entry["name"].get<std::string>();
  } else if (d.config.is_object() && d.config.contains("name") && d.config["name"].is_string()) {
    d.name = d.config["name"].get<std::string>();
  }
  if (entry.contains("inbound_nodes")) d.nodes = parseNodes(entry["inbound_nodes"]);
  d.full = entry;
  return d;
}

// True when a nested model's config starts from its own input (an InputLayer, a declared input
// shape, or any functional model), as opposed to a Sequential whose build was deferred.
bool hasOwnInput(const LayerDesc& d) {
  if (d.className != "Sequential") return true;
  const Json& cfg = d.config;
  const Json& list = cfg.is_array() ? cfg : cfg.value("layers", Json::array());
  if (!list.is_array() || list.empty() || !list[0].is_object()) return false;
  if (list[0].value("class_name", std::string()) == "InputLayer") return true;
  return declaredShape(list[0].value("config", Json::object())).has_value();
}

ModelDesc describe(const Json& modelConfig) {
  if (!modelConfig.is_object() || !modelConfig.contains("class_name")) {
    schema("the topology is not a Keras model config (no class_name)");
  }
  const std::string cls = modelConfig["class_name"].get<std::string>();
  const Json& cfg = modelConfig.contains("config") ? modelConfig["config"] : Json::object();
  ModelDesc m;
  if (cls == "Sequential") {
    const Json& list = cfg.is_array() ? cfg : cfg.value("layers", Json::array());
    m.name = cfg.is_object() ? cfg.value("name", std::string("sequential")) : "sequential";
    if (!list.is_array() || list.empty()) schema("a Sequential model without layers");
    std::vector<LayerDesc> descs;
    for (const auto& e : list) descs.push_back(layerDesc(e));
    // The input: an explicit InputLayer, or the first layer's declared shape.
    std::string prev;
    size_t first = 0;
    if (descs[0].className == "InputLayer") {
      m.layers.push_back(descs[0]);
      prev = descs[0].name;
      first = 1;
    } else {
      LayerDesc input;
      input.className = "InputLayer";
      input.name = descs[0].name + "_input";
      auto shape = declaredShape(descs[0].config);
      // A nested model as first layer: its own first layer (or InputLayer) declares the shape.
      const Json* inner = &descs[0].full;
      while (!shape && inner->is_object() &&
             isModelClass(inner->value("class_name", std::string()))) {
        auto c = inner->find("config");
        if (c == inner->end()) break;
        const Json* members = &*c;
        if (members->is_object()) {
          auto l = members->find("layers");
          if (l == members->end()) break;
          members = &*l;
        }
        if (!members->is_array() || members->empty() || !(*members)[0].is_object()) break;
        inner = &(*members)[0];
        if (auto ic = inner->find("config"); ic != inner->end()) shape = declaredShape(*ic);
      }
      // A nested model as first layer declares its input inside.
      if (!shape && !isModelClass(descs[0].className)) {
        schema(fmt::format("the first layer '{}' of the Sequential model declares no input shape",
                           descs[0].name));
      }
      input.config = Json::object();
      if (shape) input.config["batch_input_shape"] = *shape;
      if (descs[0].config.is_object() && descs[0].config.contains("dtype") &&
          descs[0].config["dtype"].is_string()) {
        input.config["dtype"] = descs[0].config["dtype"];
      }
      if (!shape) input.config["nested_first_layer"] = true;
      m.layers.push_back(input);
      prev = input.name;
    }
    m.inputs.push_back({prev, 0, 0});
    // Node numbers as buildGraph counts them: a nested model with its own input has node 0
    // already, so its call in this chain is node 1.
    size_t prevNode = 0;
    for (size_t i = first; i < descs.size(); ++i) {
      descs[i].nodes = {{Ref{prev, prevNode, 0}}};
      prev = descs[i].name;
      prevNode = isModelClass(descs[i].className) && hasOwnInput(descs[i]) ? 1 : 0;
      m.layers.push_back(std::move(descs[i]));
    }
    m.outputs.push_back({prev, prevNode, 0});
    return m;
  }
  if (cls != "Functional" && cls != "Model") {
    schema(fmt::format("the topology's class '{}' is not Sequential, Functional or Model", cls));
  }
  m.name = cfg.value("name", std::string("model"));
  if (!cfg.contains("layers") || !cfg["layers"].is_array())
    schema("a functional model without layers");
  for (const auto& e : cfg["layers"]) m.layers.push_back(layerDesc(e));
  m.inputs = refList(cfg.value("input_layers", Json::array()));
  m.outputs = refList(cfg.value("output_layers", Json::array()));
  return m;
}

}  // namespace tfjs::topology
