// The one reader of Keras model configs (topology.h).
#include "model/topology.h"

#include <fmt/format.h>

#include "tfjs/error.h"

namespace tfjs::topology {
namespace {

[[noreturn]] void schema(const std::string& message) {
  throw Error(ErrorCode::kSchema, message);
}

// j[key] when j is an object that has it, else null.
const Json* at(const Json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

// j[key] when it is a string, else `otherwise`.
std::string stringAt(const Json& j, const char* key, const std::string& otherwise = {}) {
  const Json* v = at(j, key);
  return v && v->is_string() ? v->get<std::string>() : otherwise;
}

// A model config's layer list: the config itself (an old Sequential) or its "layers".
const Json* listIn(const Json& cfg) {
  if (cfg.is_array()) return &cfg;
  const Json* l = at(cfg, "layers");
  return l && l->is_array() ? l : nullptr;
}

}  // namespace

const Json* layerList(const Json& modelConfig) {
  const Json* cfg = at(modelConfig, "config");
  return cfg ? listIn(*cfg) : nullptr;
}

Json* layerList(Json& modelConfig) {
  return const_cast<Json*>(layerList(static_cast<const Json&>(modelConfig)));
}

bool isModelClass(const std::string& c) {
  return c == "Sequential" || c == "Functional" || c == "Model";
}

namespace {

// A node or tensor index: a non-negative integer.
std::optional<size_t> indexOf(const Json& j) {
  if (j.is_number_unsigned()) return j.get<size_t>();
  if (j.is_number_integer() && j.get<int64_t>() >= 0) return static_cast<size_t>(j.get<int64_t>());
  return std::nullopt;
}

// Reads references in one mode: strict throws on what tolerant leaves out.
class Reader {
 public:
  explicit Reader(Mode mode) : strict_(mode == Mode::kStrict) {}
  bool strict() const { return strict_; }

  // [layer, node, tensor(, kwargs)]. Tolerant: a missing node or tensor index is 0; one that is
  // not a non-negative integer leaves the reference out.
  std::optional<Ref> triple(const Json& t) const {
    const bool shaped = t.is_array() && !t.empty() && t[0].is_string();
    const std::optional<size_t> node = shaped && t.size() > 1 ? indexOf(t[1]) : std::nullopt;
    const std::optional<size_t> tensor = shaped && t.size() > 2 ? indexOf(t[2]) : std::nullopt;
    if (!shaped || !node || !tensor) {
      if (strict_) schema(fmt::format("bad tensor reference {}", t.dump().substr(0, 200)));
      if (!shaped || (t.size() > 1 && !node) || (t.size() > 2 && !tensor)) return std::nullopt;
    }
    return Ref{t[0].get<std::string>(), node.value_or(0), tensor.value_or(0), std::nullopt};
  }

  // Keras 3 tensors ({"class_name": "__keras_tensor__", "config": {"keras_history": [l, n, t],
  // "shape": [...]}}) anywhere inside `j`, in order.
  void kerasTensors(const Json& j, std::vector<Ref>& out, int depth = 0) const {
    if (depth > 64) {
      if (strict_) schema("an inbound node nested more than 64 levels deep");
      return;
    }
    if (j.is_object()) {
      const auto cls = j.find("class_name");
      if (cls != j.end() && cls->is_string() && cls->get<std::string>() == "__keras_tensor__") {
        const auto cfg = j.find("config");
        const Json* history = nullptr;
        if (cfg != j.end() && cfg->is_object()) {
          if (auto h = cfg->find("keras_history"); h != cfg->end()) history = &*h;
        }
        std::optional<Ref> r = history ? triple(*history) : std::nullopt;
        if (!history && strict_) schema("a __keras_tensor__ without keras_history");
        if (r) {
          if (auto shape = cfg->find("shape"); shape != cfg->end() && shape->is_array()) {
            std::vector<int64_t> dims;
            for (const Json& d : *shape)
              dims.push_back(d.is_number_integer() ? d.get<int64_t>() : -1);
            r->shape = std::move(dims);
          }
          out.push_back(std::move(*r));
        }
        return;
      }
      for (const auto& [k, v] : j.items()) kerasTensors(v, out, depth + 1);
    } else if (j.is_array()) {
      for (const auto& v : j) kerasTensors(v, out, depth + 1);
    }
  }

  // input_layers / output_layers: a list of triples, one flat triple, or a dict of triples.
  std::vector<Ref> endpoints(const Json& j) const {
    std::vector<Ref> out;
    if (j.is_array() && !j.empty() && j[0].is_string()) {
      if (auto r = triple(j)) out.push_back(std::move(*r));
    } else if (j.is_array() || j.is_object()) {
      for (const auto& [k, t] : j.items()) {
        if (auto r = triple(t)) out.push_back(std::move(*r));
      }
    } else if (strict_) {
      schema("input_layers / output_layers must be a list");
    }
    return out;
  }

  // inbound_nodes: per call, Keras 2 / tfjs-layers lists of triples (or one bare triple), or a
  // Keras 3 {"args": [...], "kwargs": {...}}.
  void nodes(const Json& inbound, LayerDesc& d) const {
    if (!inbound.is_array()) {
      if (strict_) schema(fmt::format("layer '{}': inbound_nodes is not a list", d.name));
      return;
    }
    for (const auto& node : inbound) {
      std::vector<Ref> refs, keywords;
      if (node.is_object()) {
        const auto args = node.find("args");
        kerasTensors(args != node.end() ? *args : node, refs);
        if (auto kw = node.find("kwargs"); args != node.end() && kw != node.end()) {
          kerasTensors(*kw, keywords);
        }
      } else if (node.is_array() && !node.empty() && node[0].is_string()) {
        if (auto r = triple(node)) refs.push_back(std::move(*r));
      } else if (node.is_array()) {
        for (const auto& t : node) {
          if (auto r = triple(t)) refs.push_back(std::move(*r));
        }
      } else if (strict_) {
        schema(fmt::format("bad inbound node {}", node.dump().substr(0, 200)));
      }
      d.nodes.push_back(std::move(refs));
      d.keywordTensors.push_back(std::move(keywords));
    }
  }

  LayerDesc layer(const Json& entry) const {
    LayerDesc d;
    const auto cls = entry.is_object() ? entry.find("class_name") : entry.end();
    if (!entry.is_object() || cls == entry.end() || !cls->is_string()) {
      if (strict_) {
        schema(fmt::format("a layer entry has no class_name: {}", entry.dump().substr(0, 200)));
      }
      d.className = "?";
    } else {
      d.className = cls->get<std::string>();
    }
    d.config = Json::object();
    if (entry.is_object()) {
      if (auto c = entry.find("config"); c != entry.end()) d.config = *c;
      if (auto n = entry.find("name"); n != entry.end() && n->is_string()) {
        d.name = n->get<std::string>();
      } else if (d.config.is_object() && d.config.contains("name") &&
                 d.config["name"].is_string()) {
        d.name = d.config["name"].get<std::string>();
      }
      if (auto in = entry.find("inbound_nodes"); in != entry.end()) nodes(*in, d);
    }
    d.full = entry;
    return d;
  }

 private:
  bool strict_;
};

}  // namespace

std::vector<Ref> kerasTensors(const Json& j) {
  std::vector<Ref> out;
  Reader(Mode::kTolerant).kerasTensors(j, out);
  return out;
}

std::vector<Ref> endpoints(const Json& j) {
  return Reader(Mode::kTolerant).endpoints(j);
}

Json triple(const Ref& r) {
  return Json::array({r.layer, r.node, r.tensor});
}

Json keras2Node(const std::vector<Ref>& refs, const Json& kwargs) {
  Json node = Json::array();
  for (const Ref& r : refs) node.push_back(Json::array({r.layer, r.node, r.tensor, kwargs}));
  return node;
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

// True when a nested model's config starts from its own input (an InputLayer, a declared input
// shape, or any functional model), as opposed to a Sequential whose build was deferred.
bool hasOwnInput(const LayerDesc& d) {
  if (d.className != "Sequential") return true;
  const Json* list = listIn(d.config);
  if (!list || list->empty() || !(*list)[0].is_object()) return false;
  if (stringAt((*list)[0], "class_name") == "InputLayer") return true;
  const Json* cfg = at((*list)[0], "config");
  return cfg && declaredShape(*cfg).has_value();
}

ModelDesc describe(const Json& modelConfig, Mode mode) {
  const Reader read(mode);
  const Json* clsJson = at(modelConfig, "class_name");
  if (!clsJson || !clsJson->is_string()) {
    schema("the topology is not a Keras model config (no class_name)");
  }
  const std::string cls = clsJson->get<std::string>();
  static const Json kEmpty = Json::object();
  const Json* cfgPtr = at(modelConfig, "config");
  const Json& cfg = cfgPtr ? *cfgPtr : kEmpty;
  const Json* list = listIn(cfg);
  ModelDesc m;
  if (cls == "Sequential") {
    m.name = cfg.is_object() ? stringAt(cfg, "name", "sequential") : "sequential";
    if (!list || list->empty()) {
      if (read.strict()) schema("a Sequential model without layers");
      return m;
    }
    std::vector<LayerDesc> descs;
    for (const auto& e : *list) descs.push_back(read.layer(e));
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
      for (int depth = 0; !shape && depth < 64 && isModelClass(stringAt(*inner, "class_name"));
           ++depth) {
        const Json* members = at(*inner, "config") ? listIn(*at(*inner, "config")) : nullptr;
        if (!members || members->empty() || !(*members)[0].is_object()) break;
        inner = &(*members)[0];
        if (const Json* ic = at(*inner, "config")) shape = declaredShape(*ic);
      }
      // A nested model as first layer declares its input inside.
      if (!shape && !isModelClass(descs[0].className) && read.strict()) {
        schema(fmt::format("the first layer '{}' of the Sequential model declares no input shape",
                           descs[0].name));
      }
      input.config = Json::object();
      if (shape) input.config["batch_input_shape"] = *shape;
      if (const Json* dtype = at(descs[0].config, "dtype"); dtype && dtype->is_string()) {
        input.config["dtype"] = *dtype;
      }
      if (!shape) input.config["nested_first_layer"] = true;
      m.layers.push_back(input);
      prev = input.name;
    }
    m.inputs.push_back({prev, 0, 0, std::nullopt});
    // Node numbers as buildGraph counts them: a nested model with its own input has node 0
    // already, so its call in this chain is node 1.
    size_t prevNode = 0;
    for (size_t i = first; i < descs.size(); ++i) {
      descs[i].nodes = {{Ref{prev, prevNode, 0, std::nullopt}}};
      descs[i].keywordTensors = {{}};
      prev = descs[i].name;
      prevNode = isModelClass(descs[i].className) && hasOwnInput(descs[i]) ? 1 : 0;
      m.layers.push_back(std::move(descs[i]));
    }
    m.outputs.push_back({prev, prevNode, 0, std::nullopt});
    return m;
  }
  if (cls != "Functional" && cls != "Model" && read.strict()) {
    schema(fmt::format("the topology's class '{}' is not Sequential, Functional or Model", cls));
  }
  m.name = stringAt(cfg, "name", "model");
  if (!list || !cfg.is_object()) {
    if (read.strict()) schema("a functional model without layers");
    return m;
  }
  for (const auto& e : *list) m.layers.push_back(read.layer(e));
  static const Json kNoEndpoints = Json::array();
  const Json* ins = at(cfg, "input_layers");
  const Json* outs = at(cfg, "output_layers");
  m.inputs = read.endpoints(ins ? *ins : kNoEndpoints);
  m.outputs = read.endpoints(outs ? *outs : kNoEndpoints);
  return m;
}

}  // namespace tfjs::topology
