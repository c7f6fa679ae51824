// Layers-model summaries as Keras 2 prints them, and a graph model's op census.
//
// How a layers model is read:
//   * The Keras model config (artifacts.kerasModelConfig()) is walked model by model. Sequential
//     models chain their layers; Functional/Model configs are evaluated node by node, in whatever
//     order the inbound references allow (configs need not be topologically sorted, and a
//     reference that never resolves is reported in a note rather than looped on forever).
//   * A layer's output shapes and parameter counts come from the runtime's own layer (the
//     layer-class table's factory, build() and variables()) when it builds the class with the
//     config's options on fully known input shapes. Otherwise (a class or option the runtime
//     does not run, an unknown dimension) one function per class in kLayerTable
//     (summary_rules.cpp) derives them from the config, tolerantly. A class in neither gets the
//     output shape "?" and its parameter count from the manifest. Nothing in a config makes this
//     code throw: only a topology that is not a Keras model config at all does (kSchema).
//   * Nested models used as layers (Sequential/Functional/Model) are one row with their total
//     parameter count, as Keras's default summary shows them; they are walked to get their
//     output shape and parameters.
//   * Config-derived counts are cross-checked against the manifest: a weight belongs to a layer
//     when its name is "<layer>/..." possibly behind the names of enclosing models (Keras 3
//     writes "sequential/dense/kernel"). Disagreements become notes.
//
// Output shape conventions (tf.keras 2.x, as its model.summary() prints them):
//   * LayerSummary::outputShapes holds one Python-tuple string per output tensor, e.g.
//     "(None, 28, 28, 32)", "(None,)"; "?" when unknown; the single entry "multiple" when a
//     shared layer's nodes have different output shapes (Keras's own word for it).
//   * formatSummary() prints a single output as its tuple and several as a list
//     "[(None, 4), (None, 4)]"; InputLayer rows as the one-element list "[(None, 10)]", which
//     is how tf.keras 2.x prints the InputLayer of a functional model.
//   * Sequential models show no InputLayer row (Keras hides it); functional models show one per
//     input with 0 params and an empty "Connected to".
//   * Inbound connections are "name[node][tensor]" with the node index as written in the config.
//   * formatSummary() follows tf.keras 2.x's print_summary: 65 columns for a Sequential model or a
//     functional chain, 98 with "Connected to" otherwise; fields cut at their column, totals with
//     thousands separators, no byte sizes (as in the seed walkthrough). Trailing blanks are
//     trimmed. Notes are not printed: callers show ModelSummary::notes as they see fit.
//
// Graph models: inputs and outputs come from the signature (userDefinedMetadata.signature wins),
// else from Placeholder nodes and from nodes nobody consumes; as in TF.js's operation mapper a
// control input "^x" counts as consuming x. nodeCount is the main graph's; opCounts also counts
// the nodes of library functions. An output's dtype is read from its output_type, out_type, DstT,
// dtype or T attr, in that order; its shape is "?" unless the node has a "shape" attr.
#include "tfjs/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "layers/layer.h"
#include "model/summary_util.h"
#include "model/topology.h"

namespace tfjs {
namespace {

using namespace summary_detail;  // NOLINT(google-build-using-namespace): this file's helpers

// ---------------------------------------------------------------------------------------------
// Manifest cross-check

class Manifest {
 public:
  explicit Manifest(const ModelArtifacts& a) {
    for (const WeightSpec* w : a.weightSpecs()) {
      if (w->group && *w->group == "optimizer") continue;
      if (w->name.rfind("optimizer/", 0) == 0 || w->name.rfind("training/", 0) == 0) continue;
      Entry e;
      e.name = w->name;
      size_t start = 0;
      while (true) {
        const size_t slash = w->name.find('/', start);
        e.segments.push_back(w->name.substr(start, slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
      uint64_t n = 1;
      for (int64_t d : w->shape) n = satMul(n, d < 0 ? 0 : static_cast<uint64_t>(d));
      e.elements = n;
      const std::string& last = e.segments.back();
      e.nonTrainable = last.find("moving_mean") != std::string::npos ||
                       last.find("moving_variance") != std::string::npos;
      entries_.push_back(std::move(e));
    }
  }

  // The weights of layer `layer`: names "layer/..." or "<enclosing model>/.../layer/...".
  struct Match {
    size_t weights = 0;
    Params params;
  };
  Match match(const std::string& layer, const std::set<std::string>& enclosing) {
    Match m;
    for (Entry& e : entries_) {
      if (!belongs(e, layer, enclosing)) continue;
      e.claimed = true;
      ++m.weights;
      (e.nonTrainable ? m.params.nonTrainable : m.params.trainable) += e.elements;
    }
    return m;
  }

  bool anyClaimed() const {
    return std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.claimed; });
  }
  std::vector<std::string> unclaimed() const {
    std::vector<std::string> out;
    for (const Entry& e : entries_) {
      if (!e.claimed) out.push_back(e.name);
    }
    return out;
  }

 private:
  struct Entry {
    std::string name;
    std::vector<std::string> segments;
    uint64_t elements = 0;
    bool nonTrainable = false;
    bool claimed = false;
  };

  static bool belongs(const Entry& e, const std::string& layer,
                      const std::set<std::string>& enclosing) {
    if (layer.empty()) return false;
    if (layer.find('/') != std::string::npos) return e.name.rfind(layer + "/", 0) == 0;
    for (size_t i = 0; i + 1 < e.segments.size(); ++i) {
      if (e.segments[i] == layer) return true;
      if (enclosing.count(e.segments[i]) == 0) return false;
    }
    return false;
  }

  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------------------------------------
// Walking models

using topology::Ref;

// One call of a layer: the tensors it takes positionally, and every tensor it consumes (those,
// then the keyword ones: Keras 3's mask, initial_state, ...) for the "Connected to" column.
struct InboundNode {
  std::vector<Ref> inputs;
  std::vector<Ref> connections;
};

// The shape Keras 3 recorded beside a reference, if any.
Shape recorded(const Ref& r) {
  if (!r.shape) return std::nullopt;
  Dims d;
  for (const int64_t v : *r.shape) d.push_back(v < 0 ? kNone : v);
  return d;
}

// The runtime's own layer, when it builds the class with these options on these input shapes
// (every dimension but the batch known): its output shapes and the sizes of its variables, the
// numbers predict() and the weight binding use. nullopt when it refuses (an option or class it
// does not run, an unknown dimension): the rules of summary_rules.cpp answer then.
std::optional<Eval> evalWithRuntime(const std::string& className, const std::string& name,
                                    const Json& cfg, const Inputs& in) {
  if (!layers::runsLayerClass(className) || in.empty()) return std::nullopt;
  std::vector<layers::Shape> shapes;
  for (const Shape& s : in) {
    if (!s || s->empty()) return std::nullopt;
    for (size_t i = 1; i < s->size(); ++i) {
      if ((*s)[i] < 0) return std::nullopt;
    }
    shapes.emplace_back(s->begin(), s->end());
  }
  try {
    const std::unique_ptr<layers::Layer> layer =
        layers::createLayer(layers::Config(className, name, cfg));
    Eval e;
    for (const layers::Shape& y : layer->build(shapes))
      e.outputs.emplace_back(Dims(y.begin(), y.end()));
    Params p;
    for (const layers::VariableSpec& v : layer->variables()) {
      uint64_t n = 1;
      for (const int64_t d : v.shape) {
        if (d < 0) return std::nullopt;
        n = satMul(n, static_cast<uint64_t>(d));
      }
      (v.trainable ? p.trainable : p.nonTrainable) += n;
    }
    e.params = p;
    return e;
  } catch (const std::exception&) {  // tfjs::Error, or a config value of an unexpected type
    return std::nullopt;
  }
}

std::string layerName(const Json& entry) {
  std::string name = stringOr(entry, "name");
  if (name.empty()) {
    if (const Json* cfg = field(entry, "config")) name = stringOr(*cfg, "name");
  }
  return name;
}

struct ModelResult {
  std::string name;
  std::string className;
  bool sequentialLike = true;
  std::vector<LayerSummary> rows;
  std::vector<Shape> inputs;
  std::vector<Shape> outputs;
  Params params;
  bool paramsKnown = true;
};

// The result of evaluating one layer at one call.
struct LayerResult {
  LayerSummary row;
  std::vector<Shape> outputs;
  std::vector<Shape> modelInputs;  // for a nested model: its own input shapes
};

class Walker {
 public:
  Walker(const ModelArtifacts& a, bool rulesOnly) : manifest_(a), rulesOnly_(rulesOnly) {}

  ModelResult model(const Json& entry, const Inputs* callInputs, std::vector<std::string> path);

  void finish(std::vector<std::string>& notes) {
    if (manifest_.anyClaimed()) {
      for (std::string& n : pendingMissing_) notes_.push_back(std::move(n));
      const auto rest = manifest_.unclaimed();
      if (!rest.empty()) {
        std::string list;
        for (size_t i = 0; i < rest.size() && i < 5; ++i) list += (i ? ", " : "") + rest[i];
        if (rest.size() > 5) list += ", ...";
        notes_.push_back(
            fmt::format("{} manifest weight(s) belong to no layer: {}", rest.size(), list));
      }
    }
    notes = std::move(notes_);
  }

 private:
  ModelResult sequential(const Json& cfg, const Inputs* callInputs, std::vector<std::string> path);
  ModelResult functional(const Json& entry, const Inputs* callInputs,
                         std::vector<std::string> path);
  LayerResult layer(const Json& entry, const Inputs& inputs, const std::vector<std::string>& path,
                    bool primary);

  void note(std::string text) {
    if (quiet_ == 0) notes_.push_back(std::move(text));
  }
  static std::string qualified(const std::vector<std::string>& path, const std::string& name) {
    std::string q;
    for (size_t i = 1; i < path.size(); ++i) q += path[i] + "/";  // path[0] is the top model
    return q + name;
  }

  Manifest manifest_;
  std::vector<std::string> notes_;
  std::vector<std::string> pendingMissing_;  // reported only if the manifest's naming matched
  bool rulesOnly_;                           // never ask the runtime (tests of the rules)
  int quiet_ = 0;                            // > 0 while re-evaluating a layer's later calls
  int depth_ = 0;
};

ModelResult Walker::model(const Json& entry, const Inputs* callInputs,
                          std::vector<std::string> path) {
  ModelResult r;
  r.className = stringOr(entry, "class_name");
  const Json* cfg = entry.is_object() && entry.contains("config") ? &entry["config"] : nullptr;
  if (depth_ > 32 || !cfg) {
    r.paramsKnown = false;
    r.outputs = {std::nullopt};
    return r;
  }
  ++depth_;
  const bool isSequential =
      cfg->is_array() || r.className == "Sequential" ||
      (!isModelClass(r.className) && cfg->is_object() && !cfg->contains("input_layers"));
  const std::string className = r.className;
  r = isSequential ? sequential(*cfg, callInputs, std::move(path))
                   : functional(entry, callInputs, std::move(path));
  r.className = className;
  --depth_;
  return r;
}

LayerResult Walker::layer(const Json& entry, const Inputs& inputs,
                          const std::vector<std::string>& path, bool primary) {
  LayerResult lr;
  LayerSummary& row = lr.row;
  row.name = layerName(entry);
  row.className = stringOr(entry, "class_name", "?");
  const Json* cfgPtr = field(entry, "config");
  static const Json kEmpty = Json::object();
  const Json& cfg = cfgPtr ? *cfgPtr : kEmpty;
  const std::string who = fmt::format("layer '{}' ({})", qualified(path, row.name), row.className);

  if (isModelEntry(entry)) {
    std::vector<std::string> inner = path;
    inner.push_back(row.name);
    ModelResult m = model(entry, &inputs, inner);
    lr.outputs = m.outputs;
    lr.modelInputs = m.inputs;
    Params p = withTrainable(m.params, cfg);
    row.params = p.total();
    row.trainableParams = p.trainable;
    row.nonTrainableParams = p.nonTrainable;
    row.paramsKnown = m.paramsKnown;
  } else if (const Json* td = row.className == "TimeDistributed" ? field(cfg, "layer") : nullptr;
             td != nullptr && isModelEntry(*td)) {
    // TimeDistributed over a nested model: the model on one time step, the time axis put back.
    const Shape x = inputs.empty() ? Shape() : inputs[0];
    std::vector<std::string> inner = path;
    inner.push_back(layerName(*td));
    const Inputs stepInputs{timeStep(x)};
    ModelResult m = model(*td, &stepInputs, inner);
    for (Shape& y : m.outputs) lr.outputs.push_back(withTimeAxis(std::move(y), x));
    Params p = withTrainable(m.params, cfg);
    row.params = p.total();
    row.trainableParams = p.trainable;
    row.nonTrainableParams = p.nonTrainable;
    row.paramsKnown = m.paramsKnown;
  } else if (row.className == "InputLayer") {
    Shape s = declaredInputShape(cfg);
    if (!s && !inputs.empty()) s = inputs[0];
    lr.outputs = {s};
  } else {
    std::optional<Eval> fromRuntime =
        rulesOnly_ ? std::nullopt : evalWithRuntime(row.className, row.name, cfg, inputs);
    Eval e = fromRuntime ? std::move(*fromRuntime) : evalLayer(row.className, cfg, inputs);
    lr.outputs = e.outputs;
    if (lr.outputs.empty()) lr.outputs.push_back(std::nullopt);
    std::optional<Params> p = e.params;
    if (primary) {
      const std::set<std::string> enclosing(path.begin(), path.end());
      const Manifest::Match m = manifest_.match(row.name, enclosing);
      if (!p) {
        row.paramsKnown = false;
        p = m.params;
        note(fmt::format("{}: {}; output shape {}, {} params taken from the manifest", who,
                         e.note.empty() ? "parameters not derivable from the config" : e.note,
                         shapeString(lr.outputs[0]), p->total()));
      } else {
        if (!e.note.empty()) note(fmt::format("{}: {}", who, e.note));
        if (m.weights > 0 && m.params.total() != p->total()) {
          note(fmt::format("{}: the config gives {} params but the manifest holds {}", who,
                           p->total(), m.params.total()));
        } else if (m.weights == 0 && p->total() > 0 && quiet_ == 0) {
          pendingMissing_.push_back(
              fmt::format("{}: the config gives {} params but the manifest has no weights named "
                          "'{}/...'",
                          who, p->total(), row.name));
        }
      }
      p = withTrainable(*p, cfg);
    }
    if (p) {
      row.params = p->total();
      row.trainableParams = p->trainable;
      row.nonTrainableParams = p->nonTrainable;
    }
  }
  for (const Shape& s : lr.outputs) row.outputShapes.push_back(shapeString(s));
  return lr;
}

ModelResult Walker::sequential(const Json& cfg, const Inputs* callInputs,
                               std::vector<std::string> path) {
  ModelResult r;
  const Json* layers = cfg.is_array() ? &cfg : field(cfg, "layers");
  r.name = cfg.is_object() ? stringOr(cfg, "name", "sequential") : "sequential";
  if (path.empty()) path.push_back(r.name);
  if (!layers || !layers->is_array()) {
    note(fmt::format("model '{}': Sequential config without a layer list", r.name));
    r.paramsKnown = false;
    r.outputs = {std::nullopt};
    return r;
  }

  // The input shape: an explicit InputLayer, or the first layer's own batch_input_shape, else
  // the shape the model is called on, else what Keras 3 / tf.keras 2.13+ recorded at build time.
  Shape current;
  size_t first = 0;
  if (!layers->empty()) {
    const Json& head = (*layers)[0];
    const Json* headCfg = field(head, "config");
    if (stringOr(head, "class_name") == "InputLayer") {
      first = 1;
      if (headCfg) current = declaredInputShape(*headCfg);
    } else if (headCfg && !isModelEntry(head)) {
      current = declaredInputShape(*headCfg);
      if (!current && stringOr(head, "class_name") == "Dense") {
        if (const Json* d = field(*headCfg, "input_dim")) {
          if (auto v = asInt(*d)) current = Dims{kNone, *v};
        }
      }
    }
    if (!current && callInputs && !callInputs->empty()) current = (*callInputs)[0];
    if (!current) current = shapeFromJson(field(cfg, "build_input_shape"));
    if (!current && headCfg && !isModelEntry(head)) {
      if (const Json* build = field(head, "build_config")) {
        current = shapeFromJson(field(*build, "input_shape"));
      }
    }
  }
  r.inputs = {current};
  for (size_t i = first; i < layers->size(); ++i) {
    const Json& entry = (*layers)[i];
    if (stringOr(entry, "class_name") == "InputLayer") continue;  // Keras hides it
    LayerResult lr = layer(entry, {current}, path, true);
    if (i == first && !r.inputs[0] && !lr.modelInputs.empty()) {
      r.inputs = {lr.modelInputs[0]};  // a nested model as first layer brings its input shape
    }
    current = lr.outputs.empty() ? std::nullopt : lr.outputs[0];
    r.params += Params{lr.row.trainableParams, lr.row.nonTrainableParams};
    r.paramsKnown = r.paramsKnown && lr.row.paramsKnown;
    r.rows.push_back(std::move(lr.row));
  }
  r.outputs = {current};
  return r;
}

ModelResult Walker::functional(const Json& entry, const Inputs* callInputs,
                               std::vector<std::string> path) {
  ModelResult r;
  const Json& cfg = *field(entry, "config");
  r.name = stringOr(cfg, "name", "model");
  if (path.empty()) path.push_back(r.name);
  const Json* layers = field(cfg, "layers");
  if (!layers || !layers->is_array()) {
    note(fmt::format("model '{}': functional config without a layer list", r.name));
    r.paramsKnown = false;
    r.outputs = {std::nullopt};
    return r;
  }
  // The one topology reader, in its tolerant mode: nothing in the entry makes it throw.
  Json wrapped;
  const Json* modelEntry = &entry;
  if (!isModelClass(stringOr(entry, "class_name"))) {  // a model config under another class
    wrapped = {{"class_name", "Functional"}, {"config", cfg}};
    modelEntry = &wrapped;
  }
  const topology::ModelDesc desc = topology::describe(*modelEntry, topology::Mode::kTolerant);

  struct Layer {
    const Json* entry = nullptr;
    std::string name;
    std::string className;
    bool isInput = false;
    // A nested model built on its own input owns node 0 (its internal call): references to its
    // k-th call here say node k + 1, as in Keras and tfjs-layers (topology::hasOwnInput).
    int64_t nodeOffset = 0;
    std::vector<InboundNode> nodes;
    std::vector<std::optional<std::vector<Shape>>> outputs;  // per node, once evaluated
    std::optional<LayerSummary> row;
  };
  std::vector<Layer> all;
  std::unordered_map<std::string, size_t> byName;
  for (const topology::LayerDesc& d : desc.layers) {
    Layer l;
    l.entry = &d.full;
    l.name = d.name;
    l.className = d.className;
    l.isInput = l.className == "InputLayer";
    if (isModelClass(l.className) && field(d.full, "config") && topology::hasOwnInput(d)) {
      l.nodeOffset = 1;
    }
    for (size_t k = 0; k < d.nodes.size(); ++k) {
      InboundNode n{d.nodes[k], d.nodes[k]};
      const auto& kw = d.keywordTensors[k];
      n.connections.insert(n.connections.end(), kw.begin(), kw.end());
      l.nodes.push_back(std::move(n));
    }
    if (l.isInput) l.nodes.assign(1, InboundNode{});  // an input has its one creating node
    l.outputs.resize(l.nodes.size());
    byName.emplace(l.name, all.size());
    all.push_back(std::move(l));
  }

  const std::vector<Ref>& inputRefs = desc.inputs;
  const std::vector<Ref>& outputRefs = desc.outputs;

  // Looks up the shape of a referenced tensor; nullopt inside when not yet available.
  auto lookup = [&](const Ref& ref, bool& ready) -> Shape {
    auto it = byName.find(ref.layer);
    if (it == byName.end()) return recorded(ref);
    const Layer& p = all[it->second];
    if (ref.node < static_cast<size_t>(p.nodeOffset)) return recorded(ref);
    const size_t node = ref.node - static_cast<size_t>(p.nodeOffset);
    if (node >= p.outputs.size()) return recorded(ref);
    const auto& out = p.outputs[node];
    if (!out) {
      ready = false;
      return std::nullopt;
    }
    if (ref.tensor >= out->size()) return recorded(ref);
    const Shape& s = (*out)[ref.tensor];
    return s ? s : recorded(ref);
  };

  // Call shapes for nested functional inputs: the k-th input layer gets the k-th call input.
  std::map<std::string, Shape> callShapes;
  if (callInputs) {
    for (size_t k = 0; k < inputRefs.size() && k < callInputs->size(); ++k) {
      callShapes[inputRefs[k].layer] = (*callInputs)[k];
    }
  }

  auto evaluate = [&](Layer& l, size_t k) {
    Inputs in;
    for (const Ref& ref : l.nodes[k].inputs) {
      bool ready = true;
      in.push_back(lookup(ref, ready));
    }
    if (l.isInput) {
      auto c = callShapes.find(l.name);
      in = {c != callShapes.end() ? c->second : std::nullopt};
    }
    const bool primary = !l.row.has_value();
    if (!primary) ++quiet_;
    LayerResult lr = layer(*l.entry, in, path, primary);
    if (!primary) --quiet_;
    l.outputs[k] = lr.outputs;
    if (primary) l.row = std::move(lr.row);
  };

  // Evaluate nodes as their inputs become available; when stuck, force the first pending one.
  bool pending = true;
  while (pending) {
    bool progress = false;
    pending = false;
    for (Layer& l : all) {
      for (size_t k = 0; k < l.nodes.size(); ++k) {
        if (l.outputs[k]) continue;
        bool ready = true;
        for (const Ref& ref : l.nodes[k].inputs) lookup(ref, ready);
        if (ready) {
          evaluate(l, k);
          progress = true;
        } else {
          pending = true;
        }
      }
    }
    if (pending && !progress) {
      for (Layer& l : all) {
        auto it = std::find_if(l.outputs.begin(), l.outputs.end(),
                               [](const auto& o) { return !o.has_value(); });
        if (it == l.outputs.end()) continue;
        const size_t k = static_cast<size_t>(it - l.outputs.begin());
        note(fmt::format("layer '{}': inbound node {} refers to tensors that are never produced",
                         qualified(path, l.name), k));
        evaluate(l, k);
        break;
      }
    }
  }

  for (Layer& l : all) {
    if (!l.row) {  // a layer that is never called: parameters only
      LayerResult lr = layer(*l.entry, {}, path, true);
      l.row = std::move(lr.row);
      l.row->outputShapes = {"?"};
    } else if (l.nodes.size() > 1) {  // shared layer: one shape if all calls agree
      std::set<std::vector<std::string>> distinct;
      for (const auto& o : l.outputs) {
        std::vector<std::string> s;
        for (const Shape& t : *o) s.push_back(shapeString(t));
        distinct.insert(s);
      }
      if (distinct.size() > 1) l.row->outputShapes = {"multiple"};
    }
    for (const InboundNode& n : l.nodes) {
      for (const Ref& ref : n.connections) {
        l.row->connectedTo.push_back(fmt::format("{}[{}][{}]", ref.layer, ref.node, ref.tensor));
      }
    }
    r.params += Params{l.row->trainableParams, l.row->nonTrainableParams};
    r.paramsKnown = r.paramsKnown && l.row->paramsKnown;
    r.rows.push_back(std::move(*l.row));
  }

  auto endpointShape = [&](const Ref& ref) {
    bool ready = true;
    Shape s = lookup(ref, ready);
    return ready ? s : std::nullopt;
  };
  for (const Ref& ref : inputRefs) r.inputs.push_back(endpointShape(ref));
  for (const Ref& ref : outputRefs) r.outputs.push_back(endpointShape(ref));
  if (outputRefs.empty()) r.outputs = {std::nullopt};

  // Keras 2 prints a functional model without the "Connected to" column when its graph is a
  // chain: one node per depth, no node with several inbound tensors, no shared layer.
  std::map<std::pair<size_t, int64_t>, size_t> depth;  // (layer, node) -> depth from outputs
  std::vector<std::pair<std::pair<size_t, int64_t>, size_t>> work;
  const auto nodeOf = [&](const Ref& ref, size_t layer) {
    return static_cast<int64_t>(ref.node) - all[layer].nodeOffset;
  };
  for (const Ref& ref : outputRefs) {
    auto it = byName.find(ref.layer);
    if (it != byName.end()) work.push_back({{it->second, nodeOf(ref, it->second)}, 0});
  }
  size_t steps = 0;
  const size_t maxSteps = 64 * (all.size() + 1) * (all.size() + 1);
  while (!work.empty() && ++steps < maxSteps) {
    auto [key, d] = work.back();
    work.pop_back();
    auto [it, inserted] = depth.emplace(key, d);
    if (!inserted) {
      if (it->second >= d) continue;
      it->second = d;
    }
    const Layer& l = all[key.first];
    if (key.second < 0 || static_cast<size_t>(key.second) >= l.nodes.size()) continue;
    for (const Ref& ref : l.nodes[static_cast<size_t>(key.second)].inputs) {
      auto p = byName.find(ref.layer);
      if (p != byName.end()) work.push_back({{p->second, nodeOf(ref, p->second)}, d + 1});
    }
  }
  std::map<size_t, int> perDepth;
  std::map<size_t, int> perLayer;
  for (const auto& [key, d] : depth) {
    ++perDepth[d];
    ++perLayer[key.first];
    const Layer& l = all[key.first];
    if (key.second >= 0 && static_cast<size_t>(key.second) < l.nodes.size() &&
        l.nodes[static_cast<size_t>(key.second)].inputs.size() > 1) {
      r.sequentialLike = false;
    }
  }
  for (const auto& [d, n] : perDepth) {
    if (n > 1) r.sequentialLike = false;
  }
  for (const auto& [l, n] : perLayer) {
    if (n > 1) r.sequentialLike = false;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Formatting

std::string withCommas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string outputShapeField(const LayerSummary& l) {
  if (l.outputShapes.empty()) return "?";
  if (l.outputShapes.size() == 1 && l.className != "InputLayer") return l.outputShapes[0];
  if (l.outputShapes.size() == 1 && (l.outputShapes[0] == "?" || l.outputShapes[0] == "multiple")) {
    return l.outputShapes[0];
  }
  std::string s = "[";
  for (size_t i = 0; i < l.outputShapes.size(); ++i) s += (i ? ", " : "") + l.outputShapes[i];
  return s + "]";
}

// Keras's print_row: each field is cut at its column's end and padded to it; a field that
// reaches its column's end loses its last character to a separating space.
std::string row(const std::vector<std::string>& fields, const std::vector<size_t>& positions) {
  std::string line;
  for (size_t i = 0; i < fields.size() && i < positions.size(); ++i) {
    if (i > 0 && !line.empty()) line.back() = ' ';
    line += fields[i];
    if (line.size() > positions[i]) line.resize(positions[i]);
    line.append(positions[i] - line.size(), ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// --- Graph models -------------------------------------------------------------------------------

std::string tensorShapeString(const Json* shape) {
  if (!shape || !shape->is_object() || boolOr(*shape, "unknownRank", false)) return "?";
  std::string s = "[";
  if (const Json* dims = field(*shape, "dim"); dims && dims->is_array()) {
    for (size_t i = 0; i < dims->size(); ++i) {
      const Json* size = field((*dims)[i], "size");
      const int64_t v = size ? asInt(*size).value_or(-1) : 0;  // protobuf omits size 0
      s += (i ? "," : "") + std::to_string(v);
    }
  }
  return s + "]";
}

std::string attrType(const Json& node, std::initializer_list<const char*> keys) {
  const Json* attr = field(node, "attr");
  if (!attr) return {};
  for (const char* key : keys) {
    if (const Json* a = field(*attr, key)) {
      std::string t = stringOr(*a, "type");
      if (!t.empty()) return t;
    }
  }
  return {};
}

std::vector<GraphTensorInfo> signatureTensors(const Json* map) {
  std::vector<GraphTensorInfo> out;
  if (!map || !map->is_object()) return out;
  for (const auto& [key, value] : map->items()) {
    GraphTensorInfo t;
    t.name = key;
    t.tensor = stringOr(value, "name", key);
    t.dtype = stringOr(value, "dtype");
    t.shape = tensorShapeString(field(value, "tensorShape"));
    out.push_back(std::move(t));
  }
  return out;
}

std::string nodeOfInput(const std::string& input) {
  return input.substr(0, input.find(':'));
}

}  // namespace

ModelSummary summarizeLayersModel(const ModelArtifacts& artifacts) {
  return summary_detail::summarize(artifacts, /*rulesOnly=*/false);
}

ModelSummary summary_detail::summarize(const ModelArtifacts& artifacts, bool rulesOnly) {
  const Json& config = artifacts.kerasModelConfig();
  const Json* body0 = field(config, "config");
  if (stringOr(config, "class_name").empty() || !body0 ||
      !(body0->is_object() || body0->is_array())) {
    throw Error(ErrorCode::kSchema,
                "the model topology is not a Keras model config ({class_name, config})");
  }
  const Json& body = *config.find("config");
  if (!isModelEntry(config) && !body.is_array() && !field(body, "layers")) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the model topology's class '{}' is not a Keras model",
                            stringOr(config, "class_name")));
  }

  Walker walker(artifacts, rulesOnly);
  ModelResult m = walker.model(config, nullptr, {});
  ModelSummary s;
  s.name = m.name;
  s.className = m.className;
  s.functional = !(m.className == "Sequential" || body.is_array()) && !m.sequentialLike;
  for (LayerSummary& l : m.rows) {
    s.totalParams = satAdd(s.totalParams, l.params);
    s.trainableParams = satAdd(s.trainableParams, l.trainableParams);
    s.nonTrainableParams = satAdd(s.nonTrainableParams, l.nonTrainableParams);
  }
  s.layers = std::move(m.rows);
  for (const Shape& x : m.inputs) s.inputShapes.push_back(shapeString(x));
  for (const Shape& y : m.outputs) s.outputShapes.push_back(shapeString(y));
  walker.finish(s.notes);
  return s;
}

std::string formatSummary(const ModelSummary& summary, int width) {
  // tf.keras 2.x: 65 columns at [.45, .85, 1] for chains, 98 at [.33, .55, .67, 1] with the
  // "Connected to" column. `width` is the latter; chains get the same 65/98 of it.
  const bool connections = summary.functional;
  const int64_t clamped = std::clamp<int64_t>(width, 20, 4096);
  const size_t lineLength = static_cast<size_t>(connections ? clamped : clamped * 65 / 98);
  const std::vector<double> fractions =
      connections ? std::vector<double>{.33, .55, .67, 1.} : std::vector<double>{.45, .85, 1.};
  std::vector<size_t> positions;
  for (double f : fractions) positions.push_back(static_cast<size_t>(lineLength * f));

  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (connections) header.push_back("Connected to");

  const std::string thin(lineLength, '_');
  const std::string thick(lineLength, '=');
  std::string out =
      fmt::format("Model: \"{}\"\n{}\n{}\n{}\n", summary.name, thin, row(header, positions), thick);
  for (size_t i = 0; i < summary.layers.size(); ++i) {
    const LayerSummary& l = summary.layers[i];
    const std::string indent(static_cast<size_t>(std::max(l.depth, 0)) * 2, ' ');
    std::vector<std::string> fields = {fmt::format("{}{} ({})", indent, l.name, l.className),
                                       outputShapeField(l), std::to_string(l.params)};
    if (connections) fields.push_back(l.connectedTo.empty() ? "" : l.connectedTo[0]);
    out += row(fields, positions) + "\n";
    for (size_t c = 1; connections && c < l.connectedTo.size(); ++c) {
      out += row({"", "", "", l.connectedTo[c]}, positions) + "\n";
    }
    out += (i + 1 == summary.layers.size() ? thick : thin) + "\n";
  }
  if (summary.layers.empty()) out += thick + "\n";
  out += fmt::format("Total params: {}\nTrainable params: {}\nNon-trainable params: {}\n{}\n",
                     withCommas(summary.totalParams), withCommas(summary.trainableParams),
                     withCommas(summary.nonTrainableParams), thin);
  return out;
}

GraphSummary summarizeGraphModel(const ModelArtifacts& artifacts) {
  const Json& graph = artifacts.modelTopology;
  if (!graph.is_object() ||
      !(graph.contains("node") || graph.contains("versions") || graph.contains("library"))) {
    throw Error(ErrorCode::kSchema, "the model topology is not a GraphDef (no node/versions)");
  }
  GraphSummary s;
  static const Json kNoNodes = Json::array();
  const Json* nodesPtr = field(graph, "node");
  const Json& nodes = nodesPtr && nodesPtr->is_array() ? *nodesPtr : kNoNodes;

  for (const Json& n : nodes) {
    const std::string op = stringOr(n, "op");
    if (!op.empty()) ++s.opCounts[op];
  }
  s.nodeCount = static_cast<int>(nodes.size());
  if (const Json* library = field(graph, "library")) {
    if (const Json* fns = field(*library, "function"); fns && fns->is_array()) {
      s.functionCount = static_cast<int>(fns->size());
      for (const Json& fn : *fns) {
        const Json* defs = field(fn, "nodeDef");
        if (!defs || !defs->is_array()) continue;
        for (const Json& n : *defs) {
          const std::string op = stringOr(n, "op");
          if (!op.empty()) ++s.opCounts[op];
        }
      }
    }
  }
  if (const Json* versions = field(graph, "versions")) {
    if (const Json* p = field(*versions, "producer")) {
      if (auto v = asInt(*p)) s.producer = std::to_string(*v);
    }
  }
  if (const Json* init = field(artifacts.modelInitializer, "node"); init && init->is_array()) {
    s.initializerNodeCount = static_cast<int>(init->size());
  }

  // The signature as TF.js uses it: userDefinedMetadata.signature overrides the top-level one.
  const Json* signature = field(artifacts.userDefinedMetadata, "signature");
  if (!signature || !signature->is_object()) {
    signature = artifacts.signature.is_object() ? &artifacts.signature : nullptr;
  }
  s.inputs = signature ? signatureTensors(field(*signature, "inputs")) : s.inputs;
  s.outputs = signature ? signatureTensors(field(*signature, "outputs")) : s.outputs;

  // Output dtype of a node, from the attrs that name it (output_type/out_type/DstT/dtype/T).
  auto nodeInfo = [](const Json& n) {
    GraphTensorInfo t;
    t.name = stringOr(n, "name");
    t.tensor = t.name + ":0";
    t.dtype = attrType(n, {"output_type", "out_type", "DstT", "dtype", "T"});
    const Json* attr = field(n, "attr");
    const Json* shape = attr ? field(*attr, "shape") : nullptr;
    t.shape = tensorShapeString(shape ? field(*shape, "shape") : nullptr);
    return t;
  };
  if (s.inputs.empty()) {
    for (const Json& n : nodes) {
      if (stringOr(n, "op").rfind("Placeholder", 0) == 0) s.inputs.push_back(nodeInfo(n));
    }
  }
  if (s.outputs.empty()) {
    std::set<std::string> consumed;
    for (const Json& n : nodes) {
      const Json* inputs = field(n, "input");
      if (!inputs || !inputs->is_array()) continue;
      for (const Json& i : *inputs) {
        if (!i.is_string()) continue;
        // As TF.js's operation mapper: "^x" (a control input) makes x a parent too.
        const std::string& name = i.get_ref<const std::string&>();
        consumed.insert(nodeOfInput(!name.empty() && name[0] == '^' ? name.substr(1) : name));
      }
    }
    for (const Json& n : nodes) {
      if (consumed.count(stringOr(n, "name")) == 0) s.outputs.push_back(nodeInfo(n));
    }
  }
  return s;
}

}  // namespace tfjs
