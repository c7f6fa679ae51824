// LayersModel: Keras topology -> a graph of layer calls, weights bound by name, execution.
#include "tfjs/layers_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "format/checked.h"
#include "kernels/kernels.h"
#include "layers/layer.h"
#include "model/graph_trainer.h"
#include "model/variables.h"
#include "tfjs/convert.h"
#include "tfjs/summary.h"

namespace tfjs {
namespace {

using layers::Array;
using layers::Shape;

[[noreturn]] void schema(const std::string& message) {
  throw Error(ErrorCode::kSchema, message);
}

// --- the topology, normalized --------------------------------------------------------------------

// A reference to the `tensor`-th output of the `node`-th call of layer `layer`.
struct Ref {
  std::string layer;
  size_t node = 0;
  size_t tensor = 0;
};

struct LayerDesc {
  std::string className;
  std::string name;
  Json config;                          // the layer's "config"
  std::vector<std::vector<Ref>> nodes;  // inbound tensors of each call
  Json full;                            // the whole layer entry (for nested models)
};

struct ModelDesc {
  std::string name;
  std::vector<LayerDesc> layers;
  std::vector<Ref> inputs;
  std::vector<Ref> outputs;
};

bool isModelClass(const std::string& c) {
  return c == "Sequential" || c == "Functional" || c == "Model";
}

// Keras 3 tensors ({"class_name": "__keras_tensor__", "config": {"keras_history": [l, n, t]}})
// anywhere inside a node's args, in order.
void collectKerasTensors(const Json& j, std::vector<Ref>& out) {
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

Ref refFromTriple(const Json& t) {
  if (!t.is_array() || t.size() < 3 || !t[0].is_string())
    schema(fmt::format("bad tensor reference {}", t.dump()));
  return {t[0].get<std::string>(), t[1].get<size_t>(), t[2].get<size_t>()};
}

std::vector<Ref> refList(const Json& j) {
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

std::vector<std::vector<Ref>> parseNodes(const Json& inbound) {
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
std::optional<Shape> declaredShape(const Json& cfg) {
  auto toShape = [](const Json& j, bool addBatch) {
    Shape s;
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
    return Shape{-1, cfg["input_dim"].get<int64_t>()};
  }
  return std::nullopt;
}

LayerDesc layerDesc(const Json& entry) {
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

// --- the graph -----------------------------------------------------------------------------------

// The error for a layer that reads masks when a mask made upstream does not reach its input.
Error staleMask(const layers::Layer& layer) {
  return Error(ErrorCode::kUnsupported,
               fmt::format("layer '{}' ({}) reads a mask, and a mask was made upstream of it but "
                           "does not reach its input: TF.js 4.22 would still hand it the last "
                           "mask its executor saw (it keeps it for every later layer), Keras "
                           "would not; tfjs refuses rather than pick one",
                           layer.name(), layer.className()));
}

struct Call {
  size_t layer = 0;             // index into Graph::layers
  std::vector<size_t> inputs;   // value ids
  std::vector<size_t> outputs;  // value ids
};

struct Graph {
  std::string name;
  std::vector<std::unique_ptr<layers::Layer>> layers;
  std::vector<Call> calls;          // in execution order
  std::vector<size_t> inputValues;  // value ids of the model inputs
  std::vector<size_t> outputValues;
  std::vector<Shape> valueShapes;
  std::vector<TensorInfo> inputInfo, outputInfo;
  std::vector<size_t> lastUse;  // per value: index of the last call reading it (or SIZE_MAX)

  // Runs the calls; `inputs` in inputValues order. Masks travel beside the values as TF.js's
  // executor carries them (see the notes on mask propagation below NestedModel). `inputMasks`
  // (optional, per input) are masks arriving from an outer model; `inputMaskUpstream` says an input
  // had a mask somewhere upstream.
  std::vector<Array> run(std::vector<Array> inputs,
                         const std::vector<const Array*>& inputMasks = {},
                         const std::vector<bool>& inputMaskUpstream = {}) const {
    std::vector<Array> values(valueShapes.size());
    std::vector<std::optional<Array>> masks(valueShapes.size());
    // upstream[v]: some value that v depends on (or v itself) carried a mask.
    std::vector<bool> upstream(valueShapes.size(), false);
    for (size_t i = 0; i < inputs.size(); ++i) {
      values[inputValues[i]] = std::move(inputs[i]);
      if (i < inputMasks.size() && inputMasks[i]) masks[inputValues[i]] = *inputMasks[i];
      upstream[inputValues[i]] = masks[inputValues[i]].has_value() ||
                                 (i < inputMaskUpstream.size() && inputMaskUpstream[i]);
    }
    std::vector<bool> isOutput(valueShapes.size(), false);
    for (size_t v : outputValues) isOutput[v] = true;
    for (size_t c = 0; c < calls.size(); ++c) {
      const Call& call = calls[c];
      const layers::Layer& layer = *layers[call.layer];
      std::vector<const Array*> in, inMasks;
      bool anyMask = false, anyUpstream = false;
      for (size_t v : call.inputs) {
        in.push_back(&values[v]);
        inMasks.push_back(masks[v] ? &*masks[v] : nullptr);
        anyMask = anyMask || masks[v].has_value();
        anyUpstream = anyUpstream || upstream[v];
      }
      if (!anyMask && anyUpstream && layer.readsMask()) {
        throw staleMask(layer);
      }
      // TF.js's executor gives every output the first mask computeMask returns.
      std::vector<Array> out;
      std::vector<std::optional<Array>> outMasks;
      if (anyMask) {
        out = layer.callMasked(in, inMasks);
        outMasks = layer.computeMask(in, inMasks);
      } else {
        // Without masks the layer may take the storage of the inputs that die here (read by no
        // later call, no model output, not passed twice to this call): elementwise layers then
        // compute in place, Reshape / Flatten / Identity hand the values on without a copy. The
        // mask comes first, from the inputs as they arrive.
        outMasks = layer.computeMask(in, inMasks);
        std::vector<Array*> owned;
        std::vector<bool> consumable;
        for (size_t v : call.inputs) {
          owned.push_back(&values[v]);
          consumable.push_back(lastUse[v] == c && !isOutput[v] &&
                               std::count(call.inputs.begin(), call.inputs.end(), v) == 1);
        }
        out = layer.callConsuming(owned, consumable);
      }
      if (out.size() != call.outputs.size()) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("layer '{}' returned {} tensors, expected {}", layer.name(),
                                out.size(), call.outputs.size()));
      }
      for (size_t k = 0; k < out.size(); ++k) {
        values[call.outputs[k]] = std::move(out[k]);
        if (!outMasks.empty() && outMasks[0]) masks[call.outputs[k]] = *outMasks[0];
        upstream[call.outputs[k]] = anyUpstream || masks[call.outputs[k]].has_value();
      }
      // Free what no later call reads.
      for (size_t v : call.inputs) {
        if (lastUse[v] == c && !isOutput[v]) {
          layers::Floats().swap(values[v].data);
          masks[v].reset();
        }
      }
    }
    std::vector<Array> out;
    // Move each output out of the value table; copy only a value that is output more than once.
    for (size_t i = 0; i < outputValues.size(); ++i) {
      const size_t v = outputValues[i];
      const bool again = std::find(outputValues.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                   outputValues.end(), v) != outputValues.end();
      out.push_back(again ? values[v] : std::move(values[v]));
    }
    return out;
  }

  // --- training ---
  // What a training forward pass keeps for the backward pass: every value and each call's state.
  struct Tape {
    std::vector<Array> values;
    std::vector<std::unique_ptr<layers::LayerState>> states;
  };
  // The forward pass of fit(): forwardTrain on every call, nothing freed or consumed. Masks
  // travel beside the values as in run() (same arguments): a call with a masked input runs
  // forwardTrainMasked (the recurrent layers and Bidirectional apply the mask, other layers that
  // read masks refuse, the rest ignore it), and a stale mask is refused as in run(). The masks of
  // the model outputs end here: TF.js 4.22's compile leaves them out of the loss ("TODO(cais): Add
  // logic for output masks" in engine/training.ts), so every timestep counts in the loss.
  std::vector<Array> forwardTrain(std::vector<Array> inputs, layers::TrainingContext& ctx,
                                  Tape& tape, const std::vector<const Array*>& inputMasks = {},
                                  const std::vector<bool>& inputMaskUpstream = {}) const {
    tape.values.assign(valueShapes.size(), Array());
    tape.states.clear();
    tape.states.resize(calls.size());
    std::vector<std::optional<Array>> masks(valueShapes.size());
    std::vector<bool> upstream(valueShapes.size(), false);
    for (size_t i = 0; i < inputs.size(); ++i) {
      tape.values[inputValues[i]] = std::move(inputs[i]);
      if (i < inputMasks.size() && inputMasks[i]) masks[inputValues[i]] = *inputMasks[i];
      upstream[inputValues[i]] = masks[inputValues[i]].has_value() ||
                                 (i < inputMaskUpstream.size() && inputMaskUpstream[i]);
    }
    for (size_t c = 0; c < calls.size(); ++c) {
      const Call& call = calls[c];
      const layers::Layer& layer = *layers[call.layer];
      std::vector<const Array*> in, inMasks;
      bool anyMask = false, anyUpstream = false;
      for (size_t v : call.inputs) {
        in.push_back(&tape.values[v]);
        inMasks.push_back(masks[v] ? &*masks[v] : nullptr);
        anyMask = anyMask || masks[v].has_value();
        anyUpstream = anyUpstream || upstream[v];
      }
      if (!anyMask && anyUpstream && layer.readsMask()) {
        throw staleMask(layer);
      }
      const auto outMasks = layer.computeMask(in, inMasks);
      std::vector<Array> out = anyMask ? layer.forwardTrainMasked(in, inMasks, ctx, tape.states[c])
                                       : layer.forwardTrain(in, ctx, tape.states[c]);
      if (out.size() != call.outputs.size()) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("layer '{}' returned {} tensors, expected {}", layer.name(),
                                out.size(), call.outputs.size()));
      }
      for (size_t k = 0; k < out.size(); ++k) {
        tape.values[call.outputs[k]] = std::move(out[k]);
        if (!outMasks.empty() && outMasks[0]) masks[call.outputs[k]] = *outMasks[0];
        upstream[call.outputs[k]] = anyUpstream || masks[call.outputs[k]].has_value();
      }
    }
    std::vector<Array> out;
    for (size_t v : outputValues) out.push_back(tape.values[v]);
    return out;
  }
  // The backward pass: dOutputs in outputValues order (an empty array: no gradient flows from
  // that output). Adds every layer's variable gradients to `grads`; returns dL/d(inputs) in
  // inputValues order (empty where no gradient reaches).
  std::vector<Array> backward(const Tape& tape, std::vector<Array> dOutputs,
                              layers::GradientSink& grads, bool inputsNeedGradients = true) const {
    std::vector<Array> d(valueShapes.size());
    auto accumulate = [&](size_t v, Array g) {
      if (g.data.empty() && g.shape.empty()) return;
      if (d[v].data.empty()) {
        d[v] = std::move(g);
      } else {
        for (size_t i = 0; i < d[v].data.size(); ++i) d[v].data[i] += g.data[i];
      }
    };
    for (size_t i = 0; i < dOutputs.size() && i < outputValues.size(); ++i) {
      accumulate(outputValues[i], std::move(dOutputs[i]));
    }
    for (size_t c = calls.size(); c-- > 0;) {
      const Call& call = calls[c];
      bool any = false;
      for (size_t v : call.outputs) any = any || !d[v].data.empty();
      if (!any) continue;
      const layers::Layer& layer = *layers[call.layer];
      std::vector<const Array*> in, out;
      for (size_t v : call.inputs) in.push_back(&tape.values[v]);
      std::vector<Array> dOut;
      for (size_t v : call.outputs) {
        out.push_back(&tape.values[v]);
        dOut.push_back(d[v].data.empty() ? Array(tape.values[v].shape) : std::move(d[v]));
        d[v] = Array();
      }
      // A call reading only model inputs (that need no gradient) may skip dL/d(inputs).
      bool needed = inputsNeedGradients;
      for (size_t v : call.inputs) {
        needed =
            needed || std::find(inputValues.begin(), inputValues.end(), v) == inputValues.end();
      }
      grads.inputGradientsNeeded = needed;
      std::vector<Array> dIn =
          layer.backward(in, out, tape.states[c].get(), std::move(dOut), grads);
      grads.inputGradientsNeeded = true;
      for (size_t i = 0; i < dIn.size() && i < call.inputs.size(); ++i) {
        accumulate(call.inputs[i], std::move(dIn[i]));
      }
    }
    std::vector<Array> dIn;
    for (size_t v : inputValues) dIn.push_back(std::move(d[v]));
    return dIn;
  }
};

std::unique_ptr<Graph> buildGraph(const ModelDesc& m, const std::vector<Shape>* givenInputShapes);

// A model used as a layer inside another model.
class NestedModel final : public layers::Layer {
 public:
  NestedModel(const layers::Config& c, ModelDesc desc) : Layer(c), desc_(std::move(desc)) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    graph_ = buildGraph(desc_, &in);
    std::vector<Shape> out;
    for (size_t v : graph_->outputValues) out.push_back(graph_->valueShapes[v]);
    return out;
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    std::vector<Array> xs;
    for (const Array* a : in) xs.push_back(*a);
    return graph_->run(std::move(xs));
  }
  // The inner graph owns its inputs: the ones the outer executor gives up move in, the others
  // are copied.
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override {
    std::vector<Array> xs;
    for (size_t i = 0; i < in.size(); ++i) {
      xs.push_back(consumable[i] ? std::move(*in[i]) : *in[i]);
    }
    return graph_->run(std::move(xs));
  }
  // Masks as TF.js hands them on: its Container.call runs the inner graph with the outer call's
  // kwargs, whose mask is the mask of the outer call's FIRST input (executor.ts), while the inner
  // inputs themselves carry none. Every inner layer therefore sees that first mask (until an
  // inner layer makes a new one), whichever inner input it hangs from; the other inputs' masks
  // are dropped. Here: every inner input gets the first mask (none when the first input has
  // none), and readers off the path of a passing-through layer are refused by run() as stale.
  // The outputs carry no mask: TF.js's Container does not support masking.
  static std::vector<const Array*> innerMasks(size_t inputs,
                                              const std::vector<const Array*>& masks) {
    return std::vector<const Array*>(inputs, masks.empty() ? nullptr : masks[0]);
  }
  std::vector<Array> callMasked(const std::vector<const Array*>& in,
                                const std::vector<const Array*>& masks) const override {
    std::vector<Array> xs;
    for (const Array* a : in) xs.push_back(*a);
    const auto inner = innerMasks(in.size(), masks);
    std::vector<bool> upstream;
    for (const Array* m : inner) upstream.push_back(m != nullptr);
    return graph_->run(std::move(xs), inner, upstream);
  }
  std::vector<std::optional<Array>> computeMask(const std::vector<const Array*>&,
                                                const std::vector<const Array*>&) const override {
    return {};
  }
  bool readsMask() const override {
    for (const auto& inner : graph_->layers) {
      if (inner->readsMask()) return true;
    }
    return false;
  }
  bool mixesSamples() const override {
    for (const auto& inner : graph_->layers) {
      if (inner->mixesSamples()) return true;
    }
    return false;
  }
  // Training: the inner graph's tape is this call's state.
  struct State final : layers::LayerState {
    Graph::Tape tape;
  };
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, layers::TrainingContext& ctx,
                                  std::unique_ptr<layers::LayerState>& state) const override {
    auto st = std::make_unique<State>();
    std::vector<Array> xs;
    for (const Array* a : in) xs.push_back(*a);
    std::vector<Array> out = graph_->forwardTrain(std::move(xs), ctx, st->tape);
    state = std::move(st);
    return out;
  }
  // The first outer mask reaches every inner input, as in callMasked.
  std::vector<Array> forwardTrainMasked(const std::vector<const Array*>& in,
                                        const std::vector<const Array*>& masks,
                                        layers::TrainingContext& ctx,
                                        std::unique_ptr<layers::LayerState>& state) const override {
    auto st = std::make_unique<State>();
    std::vector<Array> xs;
    for (const Array* a : in) xs.push_back(*a);
    const auto inner = innerMasks(in.size(), masks);
    std::vector<bool> upstream;
    for (const Array* m : inner) upstream.push_back(m != nullptr);
    std::vector<Array> out = graph_->forwardTrain(std::move(xs), ctx, st->tape, inner, upstream);
    state = std::move(st);
    return out;
  }
  std::vector<Array> backward(const std::vector<const Array*>&, const std::vector<const Array*>&,
                              layers::LayerState* state, std::vector<Array> dOut,
                              layers::GradientSink& grads) const override {
    return graph_->backward(static_cast<State*>(state)->tape, std::move(dOut), grads,
                            grads.inputGradientsNeeded);
  }
  void weightsChanged() override {
    for (auto& inner : graph_->layers) inner->weightsChanged();
  }
  // The variables as one flat list, for a wrapper holding this model (TimeDistributed): every
  // layer with variables, depth first as bindWeights walks them, each variable named
  // `<inner layer>/<variable>` (TF.js names a nested layer's weights by that layer alone). The
  // runtime binds a model nested in a model through its inner layers instead (allLayers).
  std::vector<layers::VariableSpec> variables() const override;
  void setWeights(std::vector<Tensor> weights) override;
  Graph& graph() { return *graph_; }
  const Graph& graph() const { return *graph_; }

 private:
  ModelDesc desc_;
  std::unique_ptr<Graph> graph_;
};

// Mask propagation. TF.js's executor (engine/executor.ts) computes a layer's output mask only
// when the layer supports masking, gives every output the first mask computeMask returns, and
// calls the layer with kwargs.mask = the mask of its first input whenever any input has one. It
// also never clears kwargs.mask, so a layer whose inputs carry no mask still gets the last mask
// seen: for the layers that read it that differs from Keras, and Graph::run refuses that case.
std::unique_ptr<layers::Layer> makeLayer(const LayerDesc& d) {
  layers::Config config(d.className, d.name, d.config);
  if (isModelClass(d.className)) return std::make_unique<NestedModel>(config, describe(d.full));
  return layers::createLayer(config);
}

std::unique_ptr<Graph> buildGraph(const ModelDesc& m, const std::vector<Shape>* given) {
  auto g = std::make_unique<Graph>();
  g->name = m.name;
  std::map<std::string, size_t> byName;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    if (!byName.emplace(m.layers[i].name, i).second) {
      schema(fmt::format("two layers are named '{}'", m.layers[i].name));
    }
  }
  // (layer, node) -> output value ids.
  std::map<std::pair<size_t, size_t>, std::vector<size_t>> produced;
  auto newValue = [&](Shape s) {
    g->valueShapes.push_back(std::move(s));
    return g->valueShapes.size() - 1;
  };
  // Model inputs: InputLayer node 0.
  for (size_t k = 0; k < m.inputs.size(); ++k) {
    const Ref& r = m.inputs[k];
    auto it = byName.find(r.layer);
    if (it == byName.end()) schema(fmt::format("input layer '{}' is not in the model", r.layer));
    const LayerDesc& d = m.layers[it->second];
    if (d.className != "InputLayer") {
      schema(fmt::format("model input '{}' is a {}, not an InputLayer", r.layer, d.className));
    }
    Shape shape;
    if (given && k < given->size()) {
      shape = (*given)[k];
    } else if (auto s = declaredShape(d.config)) {
      shape = *s;
    } else {
      schema(fmt::format("input layer '{}' declares no shape", d.name));
    }
    if (!shape.empty()) shape[0] = -1;
    const size_t v = newValue(shape);
    produced[{it->second, 0}] = {v};
    g->inputValues.push_back(v);
    DType dt = DType::kFloat32;
    if (d.config.is_object() && d.config.value("dtype", Json()).is_string() &&
        d.config["dtype"].get<std::string>() == "int32") {
      dt = DType::kInt32;
    }
    g->inputInfo.push_back({d.name, shape, dt});
  }
  // Layer objects, created once even when called several times (shared layers).
  std::vector<size_t> layerIndex(m.layers.size(), SIZE_MAX);
  std::vector<size_t> nextNode(m.layers.size(), 0);
  // A nested model built on its own input already owns inbound node 0 (its internal input
  // connection), so references to its k-th call in the outer model say node k + 1, as in Keras
  // and tfjs-layers.
  std::vector<size_t> nodeOffset(m.layers.size(), 0);
  for (size_t i = 0; i < m.layers.size(); ++i) {
    if (isModelClass(m.layers[i].className) && hasOwnInput(m.layers[i])) nodeOffset[i] = 1;
  }
  for (size_t i = 0; i < m.layers.size(); ++i) {
    if (m.layers[i].className == "InputLayer")
      nextNode[i] = m.layers[i].nodes.empty() ? 1 : m.layers[i].nodes.size();
  }
  // Resolve calls until none is left (Keras configs are not always in call order).
  bool progress = true;
  while (progress) {
    progress = false;
    for (size_t i = 0; i < m.layers.size(); ++i) {
      const LayerDesc& d = m.layers[i];
      while (nextNode[i] < d.nodes.size()) {
        const auto& refs = d.nodes[nextNode[i]];
        std::vector<size_t> in;
        bool ready = true;
        for (const Ref& r : refs) {
          auto it = byName.find(r.layer);
          if (it == byName.end()) {
            schema(fmt::format("layer '{}' takes its input from '{}', which is not in the model",
                               d.name, r.layer));
          }
          auto p = produced.find({it->second, r.node});
          if (p == produced.end()) {
            ready = false;
            break;
          }
          if (r.tensor >= p->second.size()) {
            schema(fmt::format("layer '{}' reads output {} of '{}', which has {}", d.name, r.tensor,
                               r.layer, p->second.size()));
          }
          in.push_back(p->second[r.tensor]);
        }
        if (!ready) break;
        if (layerIndex[i] == SIZE_MAX) {
          g->layers.push_back(makeLayer(d));
          layerIndex[i] = g->layers.size() - 1;
        }
        std::vector<Shape> inShapes;
        for (size_t v : in) inShapes.push_back(g->valueShapes[v]);
        const std::vector<Shape> outShapes = g->layers[layerIndex[i]]->build(inShapes);
        Call call;
        call.layer = layerIndex[i];
        call.inputs = in;
        for (const Shape& s : outShapes) call.outputs.push_back(newValue(s));
        produced[{i, nextNode[i] + nodeOffset[i]}] = call.outputs;
        g->calls.push_back(std::move(call));
        ++nextNode[i];
        progress = true;
      }
    }
  }
  for (const Ref& r : m.outputs) {
    auto it = byName.find(r.layer);
    if (it == byName.end()) schema(fmt::format("output layer '{}' is not in the model", r.layer));
    auto p = produced.find({it->second, r.node});
    if (p == produced.end() || r.tensor >= p->second.size()) {
      std::string pending;
      for (size_t i = 0; i < m.layers.size(); ++i) {
        if (nextNode[i] < m.layers[i].nodes.size())
          pending += (pending.empty() ? "" : ", ") + m.layers[i].name;
      }
      schema(
          fmt::format("output '{}' cannot be computed: the inputs of these layers never "
                      "resolve: {}",
                      r.layer, pending.empty() ? "(none)" : pending));
    }
    g->outputValues.push_back(p->second[r.tensor]);
    g->outputInfo.push_back({r.layer, g->valueShapes[p->second[r.tensor]], DType::kFloat32});
  }
  g->lastUse.assign(g->valueShapes.size(), SIZE_MAX);
  for (size_t c = 0; c < g->calls.size(); ++c) {
    for (size_t v : g->calls[c].inputs) g->lastUse[v] = c;
  }
  return g;
}

// --- weight binding ------------------------------------------------------------------------------

// Every layer of the graph and of its nested models.
void allLayers(Graph& g, std::vector<layers::Layer*>& out) {
  for (auto& l : g.layers) {
    if (auto* nested = dynamic_cast<NestedModel*>(l.get())) {
      allLayers(nested->graph(), out);
    } else {
      out.push_back(l.get());
    }
  }
}

// Every variable of the graph's layers in allLayers order, named `<inner layer>/<variable>`; not
// trainable under a layer or nested model whose config says trainable: false (TF.js's
// TimeDistributed trains its layer's trainableWeights only).
void nestedVariables(const Graph& g, bool frozen, std::vector<layers::VariableSpec>& out) {
  for (const auto& l : g.layers) {
    const bool f = frozen || !l->config().boolean("trainable", true);
    if (const auto* nested = dynamic_cast<const NestedModel*>(l.get())) {
      nestedVariables(nested->graph(), f, out);
      continue;
    }
    for (auto v : l->variables()) {
      v.name = l->name() + "/" + v.name;
      v.trainable = v.trainable && !f;
      out.push_back(std::move(v));
    }
  }
}

std::vector<layers::VariableSpec> NestedModel::variables() const {
  std::vector<layers::VariableSpec> out;
  nestedVariables(*graph_, false, out);
  return out;
}

void NestedModel::setWeights(std::vector<Tensor> weights) {
  std::vector<layers::Layer*> all;
  allLayers(*graph_, all);
  size_t next = 0;
  for (layers::Layer* l : all) {
    const size_t n = l->variables().size();
    if (n == 0) continue;
    if (next + n > weights.size()) break;
    std::vector<Tensor> mine(
        std::make_move_iterator(weights.begin() + static_cast<ptrdiff_t>(next)),
        std::make_move_iterator(weights.begin() + static_cast<ptrdiff_t>(next + n)));
    l->setWeights(std::move(mine));
    next += n;
  }
  if (next != weights.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("nested model '{}' was given {} weights, its layers hold {}", name(),
                            weights.size(), next));
  }
}

// The other names variable `variable` of `layer` may be stored under, after TF.js's
// `<layer>/<variable>` (see LayerVariable::aliases).
//
// A stacked RNN's cells. TF.js names cell i's weights `<rnn>/RNNCell_<i>/<weight>` whatever the
// cells are called (tfjs-layers recurrent.ts, StackedRNNCells.build). Keras 2 builds the stack
// under its own name scope (RNN.build) and each cell under the cell's (StackedRNNCells.build,
// keras/layers/rnn/stacked_rnn_cells.py): `<rnn>/<stack>/<cell>/<weight>:0`, which the converter
// keeps minus ":0". TF.js 4.22 binds none of those (its fallback only drops the second-to-last
// component, giving `<rnn>/<stack>/<weight>`) and refuses the file. Here they bind by the cells'
// names from the config, also without the stack's scope (`<rnn>/<cell>/<weight>`), and only when
// every cell has a name and the names are distinct (else which cell a weight belongs to is
// ambiguous, and the weights stay unbound as in TF.js).
//
// Keras's Normalization: tf.keras 2.x creates its adapted `mean`, `variance` and `count` outside
// the layer's name scope, so a converted file names them "mean", "variance", "count".
//
// A TimeDistributed over a nested model: TF.js names the weights by the inner layers alone
// (`<inner layer>/<weight>`, no wrapper scope); NestedModel::variables() gives those names.
std::vector<std::string> variableAliases(const layers::Layer& layer, const std::string& variable) {
  std::vector<std::string> out;
  const Json& cfg = layer.config().json();
  if (!cfg.is_object()) return out;
  if (layer.className() == "Normalization") {
    out.push_back(variable);
    return out;
  }
  if (layer.className() == "TimeDistributed") {
    const Json inner = cfg.value("layer", Json::object());
    if (inner.is_object() && inner.value("class_name", Json()).is_string() &&
        isModelClass(inner["class_name"].get<std::string>())) {
      out.push_back(variable);
    }
    return out;
  }
  if (layer.className() != "RNN" || variable.rfind("RNNCell_", 0) != 0) return out;
  const size_t slash = variable.find('/');
  if (slash == std::string::npos) return out;
  size_t index = 0;
  try {
    size_t used = 0;
    index = std::stoul(variable.substr(8, slash - 8), &used);
    if (used != slash - 8) return out;
  } catch (const std::exception&) {
    return out;
  }
  const Json cell = cfg.value("cell", Json());
  Json cells = cell;
  std::string stack;
  if (cell.is_object()) {
    const Json sc = cell.value("config", Json::object());
    if (!sc.is_object() || !sc.contains("cells")) return out;
    cells = sc["cells"];
    if (sc.value("name", Json()).is_string()) stack = sc["name"].get<std::string>();
  }
  if (!cells.is_array() || index >= cells.size()) return out;
  std::vector<std::string> names;
  for (const auto& c : cells) {
    const Json cc = c.is_object() ? c.value("config", Json::object()) : Json::object();
    if (!cc.is_object() || !cc.value("name", Json()).is_string()) return out;
    names.push_back(cc["name"].get<std::string>());
    if (names.back().empty() || names.back() == stack) return out;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (names[i] == names[j]) return out;
    }
  }
  const std::string rest = variable.substr(slash + 1);
  if (!stack.empty()) out.push_back(layer.name() + "/" + stack + "/" + names[index] + "/" + rest);
  out.push_back(layer.name() + "/" + names[index] + "/" + rest);
  return out;
}

// Every layer with variables, depth first, with the names of the nested models around it.
void collectVariables(Graph& g, std::vector<std::string>& path, std::vector<LayerVariables>& out) {
  for (auto& l : g.layers) {
    if (auto* nested = dynamic_cast<NestedModel*>(l.get())) {
      path.push_back(l->name());
      collectVariables(nested->graph(), path, out);
      path.pop_back();
      continue;
    }
    const auto vars = l->variables();
    if (vars.empty()) continue;
    LayerVariables lv{path, l->name(), l->className(), {}};
    for (const auto& v : vars) {
      lv.variables.push_back({v.name, v.shape, v.trainable, variableAliases(*l, v.name)});
    }
    out.push_back(std::move(lv));
  }
}

// The values each layer with variables was given, in variables() order.
using BoundWeights = std::vector<std::pair<layers::Layer*, std::vector<Tensor>>>;

// An int32 weight as float32 values (a Keras integer variable, e.g. Normalization's count).
Tensor toFloat32(const Tensor& t) {
  const auto ints = t.ints();
  Buffer b = Buffer::allocate(std::max<size_t>(ints.size(), 1) * 4);
  for (size_t i = 0; i < ints.size(); ++i) {
    const auto f = static_cast<float>(ints[i]);
    std::memcpy(b.mutableData() + i * 4, &f, 4);
  }
  return Tensor(DType::kFloat32, t.shape(), std::move(b), 0);
}

void bindWeights(Graph& g, const ModelArtifacts& artifacts, const ModelOptions& options,
                 BoundWeights& bound) {
  std::vector<NamedTensor> provided;
  for (auto& t : decodeWeights(artifacts)) provided.push_back(std::move(t));
  std::vector<bool> optimizer(provided.size(), false);
  {
    size_t k = 0;
    for (const auto* spec : artifacts.weightSpecs()) optimizer[k++] = spec->group == "optimizer";
  }
  std::vector<std::string> providedNames;
  for (const auto& t : provided) providedNames.push_back(t.name);
  const WeightNameIndex index(providedNames, optimizer);
  std::vector<layers::Layer*> all;
  allLayers(g, all);
  std::vector<bool> used(provided.size(), false);
  std::vector<std::string> missing;
  std::vector<Problem> problems;
  size_t total = 0;
  for (layers::Layer* layer : all) {
    const auto vars = layer->variables();
    if (vars.empty()) continue;
    std::vector<Tensor> values;
    bool complete = true;
    for (const auto& v : vars) {
      ++total;
      const std::string key = layer->name() + "/" + v.name;
      const size_t idx = index.find(key, variableAliases(*layer, v.name));
      if (idx == SIZE_MAX) {
        missing.push_back(key);
        complete = false;
        continue;
      }
      const Tensor& t = provided[idx].tensor;
      if (t.shape() != v.shape) {
        problems.push_back({ErrorCode::kInvalidArgument,
                            fmt::format("shape mismatch: the weight has shape {} but layer '{}' "
                                        "({}) needs {} for '{}'",
                                        Json(t.shape()).dump(), layer->name(), layer->className(),
                                        Json(v.shape).dump(), v.name),
                            "", provided[idx].name, std::nullopt});
        complete = false;
        continue;
      }
      if (t.dtype() == DType::kInt32 && v.integer) {
        used[idx] = true;
        values.push_back(toFloat32(t));
        continue;
      }
      if (t.dtype() != DType::kFloat32) {
        problems.push_back({ErrorCode::kInvalidArgument,
                            fmt::format("the weight is {} but layer '{}' needs float32",
                                        dtypeName(t.dtype()), layer->name()),
                            "", provided[idx].name, std::nullopt});
        complete = false;
        continue;
      }
      used[idx] = true;
      values.push_back(t);
    }
    if (complete) {
      bound.emplace_back(layer, values);
      layer->setWeights(std::move(values));
    }
  }
  if (!missing.empty() && options.strict) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    problems.push_back(
        {ErrorCode::kInvalidArgument,
         fmt::format("{} of {} weights are not set: {}", missing.size(), total, names), "", "",
         std::nullopt});
  }
  if (options.strict) {
    std::string extra;
    for (size_t i = 0; i < provided.size(); ++i) {
      if (!used[i] && !optimizer[i]) extra += (extra.empty() ? "" : ", ") + provided[i].name;
    }
    if (!extra.empty()) {
      problems.push_back({ErrorCode::kInvalidArgument,
                          fmt::format("provided weight data has no target variable: {}", extra), "",
                          "", std::nullopt});
    }
  }
  if (!missing.empty() && !options.strict) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    problems.push_back({ErrorCode::kUnsupported,
                        fmt::format("weights are missing and tfjs has no initializers to fill "
                                    "them: {}",
                                    names),
                        "", "", std::nullopt});
  }
  if (!problems.empty()) throw Error(std::move(problems));
}

// The floats of the largest value one sample makes anywhere in `g` (nested models included);
// -1 when some shape past the batch axis is unknown (a sequence of any length...).
int64_t largestSampleFloats(const Graph& g) {
  constexpr int64_t kHuge = int64_t{1} << 40;  // saturate: only "large" matters
  int64_t most = 0;
  for (const Shape& s : g.valueShapes) {
    int64_t n = 1;
    for (size_t d = 1; d < s.size(); ++d) {
      if (s[d] < 0) return -1;
      n = s[d] > 0 && n > kHuge / s[d] ? kHuge : n * s[d];
    }
    most = std::max(most, n);
  }
  for (const auto& l : g.layers) {
    if (const auto* nested = dynamic_cast<const NestedModel*>(l.get())) {
      const int64_t inner = largestSampleFloats(nested->graph());
      if (inner < 0) return -1;
      most = std::max(most, inner);
    }
  }
  return most;
}

}  // namespace

namespace internal {
std::unique_ptr<layers::Layer> makeNestedModelLayer(const layers::Config& config) {
  try {
    return std::make_unique<NestedModel>(
        config, describe(Json{{"class_name", config.className()}, {"config", config.json()}}));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kSchema,
                fmt::format("malformed nested model '{}': {}", config.name(), e.what()));
  }
}

void addNestedModelGradients(const layers::Layer& nested, const layers::GradientSink& inner,
                             std::vector<Array>& dst) {
  const auto* m = dynamic_cast<const NestedModel*>(&nested);
  if (m == nullptr) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("layer '{}' ({}) is not a nested model",
                                                         nested.name(), nested.className()));
  }
  // The leaf layers in the order NestedModel::variables() lists their variables.
  std::vector<layers::Layer*> all;
  allLayers(const_cast<Graph&>(m->graph()), all);
  size_t next = 0;
  for (const layers::Layer* l : all) {
    const size_t n = l->variables().size();
    const std::vector<Array>* g = inner.find(l);
    for (size_t k = 0; g != nullptr && k < n && k < g->size() && next + k < dst.size(); ++k) {
      auto& to = dst[next + k].data;
      const auto& from = (*g)[k].data;
      for (size_t i = 0; i < to.size() && i < from.size(); ++i) to[i] += from[i];
    }
    next += n;
  }
}
}  // namespace internal

std::vector<LayerVariables> listModelVariables(const Json& modelTopology) {
  const Json* config = &modelTopology;
  if (modelTopology.is_object() && modelTopology.contains("model_config")) {
    config = &modelTopology["model_config"];
  }
  std::unique_ptr<Graph> graph;
  try {
    graph = buildGraph(describe(*config), nullptr);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kSchema, fmt::format("malformed model topology: {}", e.what()));
  }
  std::vector<LayerVariables> out;
  std::vector<std::string> path;
  collectVariables(*graph, path, out);
  return out;
}

namespace {

std::string joinParts(const std::vector<std::string>& p, size_t from, size_t skip = SIZE_MAX) {
  std::string s;
  for (size_t i = from; i < p.size(); ++i) {
    if (i == skip) continue;
    s += (s.empty() ? "" : "/") + p[i];
  }
  return s;
}
}  // namespace

WeightNameIndex::WeightNameIndex(const std::vector<std::string>& names,
                                 const std::vector<bool>& skip) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (i < skip.size() && skip[i]) continue;
    std::string n = names[i];
    if (n.size() > 2 && n.compare(n.size() - 2, 2, ":0") == 0) n.resize(n.size() - 2);
    exact_.emplace(n, i);
    const auto parts = splitWeightName(n);
    if (parts.size() >= 3) fallback_.emplace(joinParts(parts, 0, parts.size() - 2), i);
    for (size_t from = 1; from + 2 <= parts.size(); ++from) {
      fallback_.emplace(joinParts(parts, from), i);
      if (from + 3 <= parts.size()) fallback_.emplace(joinParts(parts, from, parts.size() - 2), i);
    }
  }
}

std::vector<std::string> splitWeightName(const std::string& s) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (true) {
    const size_t j = s.find('/', i);
    parts.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  return parts;
}

size_t WeightNameIndex::find(const std::string& key) const {
  if (auto e = exact_.find(key); e != exact_.end()) return e->second;
  if (auto f = fallback_.find(key); f != fallback_.end()) return f->second;
  return SIZE_MAX;
}

size_t WeightNameIndex::find(const std::string& key,
                             const std::vector<std::string>& aliases) const {
  size_t idx = find(key);
  for (size_t a = 0; idx == SIZE_MAX && a < aliases.size(); ++a) idx = find(aliases[a]);
  return idx;
}

// --- LayersModel ---------------------------------------------------------------------------------

struct LayersModel::Rep {
  ModelArtifacts artifacts;  // keeps the weight buffer the layers view
  std::unique_ptr<Graph> graph;
  std::string summary;
  ModelOptions options;    // threads and kernel choice for predict
  int64_t batchChunk = 0;  // samples per pass in predict (0: never split)
  BoundWeights bound;      // what each layer views (the loaded buffer, or `owned` once trained)
  Buffer owned;            // the model's own copy of its variables (made by the first fit)
  std::shared_ptr<internal::TrainingState> training;  // compile()'s choices and the optimizer
};

LayersModel LayersModel::fromArtifacts(const ModelArtifacts& artifacts,
                                       const ModelOptions& options) {
  if (artifacts.inferredFormat() != ModelFormat::kLayers) {
    throw Error(ErrorCode::kInvalidArgument,
                "this is a graph model; a layers model (tf.loadLayersModel) was expected");
  }
  if (artifacts.modelTopology.is_null()) {
    throw Error(ErrorCode::kWeightsOnly, "model.json has no model topology (weights only)");
  }
  if (options.threads < 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("threads = {}: 0 (all cores) or a positive count", options.threads));
  }
  auto rep = std::make_shared<Rep>();
  rep->artifacts = artifacts;
  rep->options = options;
  try {
    rep->graph = buildGraph(describe(artifacts.kerasModelConfig()), nullptr);
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::kSchema, fmt::format("malformed model topology: {}", e.what()));
  }
  {
    // Layers pack their weights for the fast kernels here, at the thread count predict uses.
    const kernels::ExecutionScope scope(options.threads, options.referenceKernels);
    bindWeights(*rep->graph, rep->artifacts, options, rep->bound);
  }
  bool mixes = false;
  for (const auto& l : rep->graph->layers) mixes = mixes || l->mixesSamples();
  if (mixes) {
    rep->batchChunk = 0;  // never split: see Layer::mixesSamples
  } else if (options.batchChunk > 0) {
    rep->batchChunk = options.batchChunk;
  } else if (options.batchChunk == 0) {
    // Up to 16 MiB of the largest activation per pass: with a layer's input and output both
    // live that is about what a server CPU's last-level cache holds (32 MiB here), where the
    // whole batch at once streams every activation through memory (MobileNet at 224x224: 3 MiB
    // per sample and layer; batch 32 in passes of 5 is 1.9x faster than in one). A model whose
    // activations are small runs any batch in one pass.
    constexpr int64_t kChunkBytes = int64_t{16} << 20;
    const int64_t floats = largestSampleFloats(*rep->graph);
    if (floats > 0) rep->batchChunk = std::max<int64_t>(1, kChunkBytes / (floats * 4));
  }
  try {
    rep->summary = formatSummary(summarizeLayersModel(artifacts));
  } catch (const Error&) {
  }
  LayersModel m;
  m.rep_ = std::move(rep);
  return m;
}

LayersModel::~LayersModel() = default;

LayersModel::Rep& LayersModel::rep() const {
  if (!rep_) {
    throw Error(ErrorCode::kInvalidArgument, "this LayersModel was moved from; it holds no model");
  }
  return *rep_;
}

const std::string& LayersModel::name() const {
  return rep().graph->name;
}
const std::vector<TensorInfo>& LayersModel::inputs() const {
  return rep().graph->inputInfo;
}
const std::vector<TensorInfo>& LayersModel::outputs() const {
  return rep().graph->outputInfo;
}
std::string LayersModel::summary() const {
  return rep().summary;
}
int64_t LayersModel::batchChunk() const {
  return rep().batchChunk;
}

std::vector<Tensor> LayersModel::predict(const std::vector<Tensor>& inputs) const {
  const kernels::ExecutionScope scope(rep().options.threads, rep().options.referenceKernels);
  const Graph& g = *rep().graph;
  if (inputs.size() != g.inputInfo.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("the model has {} input(s) but {} tensor(s) were given",
                            g.inputInfo.size(), inputs.size()));
  }
  int64_t batch = -1;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    const TensorInfo& info = g.inputInfo[i];
    bool ok = t.shape().size() == info.shape.size() && !t.shape().empty();
    for (size_t d = 1; ok && d < info.shape.size(); ++d) {
      ok = info.shape[d] < 0 || info.shape[d] == t.shape()[d];
    }
    if (!ok) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("input '{}' must have shape {} (-1: any), not {}", info.name,
                              Json(info.shape).dump(), Json(t.shape()).dump()));
    }
    if (t.dtype() != DType::kFloat32 && t.dtype() != DType::kInt32) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("input '{}' is {}; float32 or int32 expected", info.name,
                              dtypeName(t.dtype())));
    }
    if (batch >= 0 && t.shape()[0] != batch) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("all inputs must have the same number of samples: input '{}' has "
                              "{}, input '{}' has {}",
                              g.inputInfo[0].name, batch, info.name, t.shape()[0]));
    }
    batch = t.shape()[0];
  }
  // Samples [first, first + n) of every input, as the float arrays the layers take.
  auto slice = [&](int64_t first, int64_t n) {
    std::vector<Array> xs;
    for (const Tensor& t : inputs) {
      Shape shape = t.shape();
      shape[0] = n;
      Array a(shape, layers::kUninitialized);  // every element is written below
      const size_t count = static_cast<size_t>(a.size());
      const size_t from =
          batch > 0 ? static_cast<size_t>(first) * static_cast<size_t>(t.size() / batch) : 0;
      if (t.dtype() == DType::kFloat32) {
        if (count) std::memcpy(a.data.data(), t.floats().data() + from, count * 4);
      } else {
        const auto ints = t.ints();
        for (size_t k = 0; k < count; ++k) a.data[k] = static_cast<float>(ints[from + k]);
      }
      xs.push_back(std::move(a));
    }
    return xs;
  };
  const int64_t chunk = rep().batchChunk > 0 && batch > rep().batchChunk ? rep().batchChunk : batch;
  std::vector<Tensor> out;
  std::vector<Buffer> buffers;
  std::vector<Shape> shapes;
  for (int64_t first = 0; first == 0 || first < batch; first += chunk) {
    const int64_t n = std::min(chunk, batch - first);
    std::vector<Array> ys = g.run(slice(first, n));
    if (first == 0) {
      for (const Array& y : ys) {
        Shape shape = y.shape;
        size_t floats = y.data.size();
        if (n != batch) {
          if (shape.empty() || shape[0] != n) {
            throw Error(ErrorCode::kUnsupported,
                        fmt::format("an output of a pass over {} samples has shape {}, without "
                                    "them on its first axis: run with ModelOptions::batchChunk "
                                    "= -1",
                                    n, Json(shape).dump()));
          }
          shape[0] = batch;
          floats = floats / static_cast<size_t>(n) * static_cast<size_t>(batch);
        }
        buffers.push_back(Buffer::allocate(floats * 4));
        shapes.push_back(std::move(shape));
      }
    }
    for (size_t k = 0; k < ys.size(); ++k) {
      const size_t bytes = ys[k].data.size() * 4;
      if (bytes) {
        std::memcpy(buffers[k].mutableData() + static_cast<size_t>(first) * (bytes / n),
                    ys[k].data.data(), bytes);
      }
    }
    if (chunk <= 0) break;
  }
  for (size_t k = 0; k < buffers.size(); ++k) {
    out.emplace_back(DType::kFloat32, shapes[k], std::move(buffers[k]), 0);
  }
  return out;
}

Tensor LayersModel::predict(const Tensor& input) const {
  return predict(std::vector<Tensor>{input}).at(0);
}

std::vector<Tensor> LayersModel::predictNamed(const std::map<std::string, Tensor>& inputs) const {
  const auto& info = rep().graph->inputInfo;
  std::vector<Tensor> ordered;
  std::vector<std::string> names, missing;
  for (const TensorInfo& i : info) {
    names.push_back(i.name);
    const auto it = inputs.find(i.name);
    if (it == inputs.end()) {
      missing.push_back(i.name);
    } else {
      ordered.push_back(it->second);
    }
  }
  std::vector<std::string> unknown;
  for (const auto& [name, t] : inputs) {
    if (std::find(names.begin(), names.end(), name) == names.end()) unknown.push_back(name);
  }
  if (!missing.empty() || !unknown.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("the model's inputs are {}; {}{}{}", Json(names).dump(),
                            missing.empty() ? "" : "missing: " + Json(missing).dump(),
                            !missing.empty() && !unknown.empty() ? "; " : "",
                            unknown.empty() ? "" : "unknown: " + Json(unknown).dump()));
  }
  return predict(ordered);
}

LayersModel loadLayersModel(const std::string& location, const LoadOptions& load,
                            const ModelOptions& options) {
  return LayersModel::fromArtifacts(loadAnyModel(location, load), options);
}

// --- training access (model/graph_trainer.h)
// -------------------------------------------------------

namespace internal {
namespace {

// Layers whose config says trainable: false, or inside a model that does.
void frozenLayers(Graph& g, bool frozen, std::set<const layers::Layer*>& out) {
  for (auto& l : g.layers) {
    const bool f = frozen || !l->config().boolean("trainable", true);
    if (auto* nested = dynamic_cast<NestedModel*>(l.get())) {
      frozenLayers(nested->graph(), f, out);
    } else if (f) {
      out.insert(l.get());
    }
  }
}

// How many times each leaf layer runs in one pass of `g`, `times` passes (a nested model's layers
// once per call of the nested model).
void countCalls(const Graph& g, int64_t times, std::map<const layers::Layer*, int64_t>& out) {
  for (const Call& c : g.calls) {
    const layers::Layer* l = g.layers[c.layer].get();
    if (const auto* nested = dynamic_cast<const NestedModel*>(l)) {
      countCalls(nested->graph(), times, out);
    } else {
      out[l] += times;
    }
  }
}

// The name TF.js gives variable `variable` of `layer`: `<layer>/<variable>`, except for a
// TimeDistributed over a nested model, whose variables TF.js names by the inner layers alone
// (`<inner layer>/<variable>`, the alias the binding accepts).
std::string trainedWeightName(const layers::Layer& layer, const std::string& variable) {
  if (layer.className() == "TimeDistributed") {
    const auto aliases = variableAliases(layer, variable);
    if (!aliases.empty()) return aliases.front();
  }
  return layer.name() + "/" + variable;
}

}  // namespace

struct GraphTrainer::Rep {
  LayersModel::Rep* model = nullptr;
  Graph::Tape tape;
  layers::GradientSink grads;
  // Per variable: every (layer, index of the layer's variable) viewing it. Several when layers
  // bound the same stored weight (a nested model used directly and wrapped in a
  // TimeDistributed): they keep sharing one variable, whose gradient is the sum of theirs.
  std::vector<std::vector<std::pair<const layers::Layer*, size_t>>> owners;
};

GraphTrainer::GraphTrainer(LayersModel& m) : rep_(std::make_unique<Rep>()) {
  LayersModel::Rep& mr = m.rep();
  rep_->model = &mr;
  std::set<const layers::Layer*> frozen;
  frozenLayers(*mr.graph, false, frozen);
  std::map<const layers::Layer*, int64_t> calls;
  countCalls(*mr.graph, 1, calls);
  // Offsets of every variable in one 64-byte aligned buffer; tensors viewing the same stored
  // bytes (the same weight bound by several layers) share one variable (`shared[k]`: the index of
  // the first such tensor). The layout depends only on which tensors coincide, which a copy
  // keeps, so a later GraphTrainer over `owned` finds the same offsets.
  std::vector<size_t> offsets, shared;
  std::vector<const Tensor*> seen;
  size_t total = 0;
  for (const auto& [layer, tensors] : mr.bound) {
    for (const auto& t : tensors) {
      size_t same = offsets.size();
      for (size_t j = 0; j < seen.size() && t.byteLength() > 0; ++j) {
        if (shared[j] == j && seen[j]->bytes() == t.bytes() && seen[j]->shape() == t.shape()) {
          same = j;
          break;
        }
      }
      seen.push_back(&t);
      shared.push_back(same);
      if (same != offsets.size()) {
        offsets.push_back(offsets[same]);
        continue;
      }
      offsets.push_back(total);
      total += (t.byteLength() + 63) / 64 * 64;
    }
  }
  const bool copy = mr.owned.empty();
  Buffer buf = copy ? Buffer::allocate(std::max<size_t>(total, 64)) : mr.owned;
  std::vector<size_t> variableOf(offsets.size(), SIZE_MAX);  // per tensor: its TrainVariable
  size_t k = 0;
  for (auto& [layer, tensors] : mr.bound) {
    const auto specs = layer->variables();
    std::vector<Tensor> views;
    for (size_t i = 0; i < tensors.size(); ++i, ++k) {
      const Tensor& t = tensors[i];
      const bool trainable = specs[i].trainable && !frozen.count(layer);
      views.emplace_back(DType::kFloat32, t.shape(), buf, offsets[k]);
      const TrainVariable::Owner owner{layer->name(), layer->className(), &layer->config().json(),
                                       specs[i].name, calls.count(layer) ? calls.at(layer) : 0};
      if (shared[k] != k) {
        const size_t var = variableOf[shared[k]];
        variableOf[k] = var;
        variables_[var].trainable = variables_[var].trainable && trainable;
        variables_[var].owners.push_back(owner);
        rep_->owners[var].emplace_back(layer, i);
        continue;
      }
      if (copy && t.byteLength())
        std::memcpy(internalWritableData(buf) + offsets[k], t.bytes(), t.byteLength());
      TrainVariable v;
      v.name = trainedWeightName(*layer, specs[i].name);
      v.shape = t.shape();
      v.trainable = trainable;
      v.value = reinterpret_cast<float*>(internalWritableData(buf) + offsets[k]);
      v.size = static_cast<size_t>(t.size());
      v.owners.push_back(owner);
      variableOf[k] = variables_.size();
      variables_.push_back(std::move(v));
      rep_->owners.push_back({{layer, i}});
    }
    if (copy) {
      tensors = views;
      layer->setWeights(std::move(views));
    }
  }
  if (copy) mr.owned = buf;
}

GraphTrainer::~GraphTrainer() = default;

const std::vector<TensorInfo>& GraphTrainer::inputs() const {
  return rep_->model->graph->inputInfo;
}
const std::vector<TensorInfo>& GraphTrainer::outputs() const {
  return rep_->model->graph->outputInfo;
}

std::vector<Array> GraphTrainer::forward(std::vector<Array> inputs, layers::TrainingContext& ctx) {
  const kernels::ExecutionScope scope(rep_->model->options.threads,
                                      rep_->model->options.referenceKernels);
  return rep_->model->graph->forwardTrain(std::move(inputs), ctx, rep_->tape);
}

std::vector<Array> GraphTrainer::backward(std::vector<Array> dOutputs) {
  const kernels::ExecutionScope scope(rep_->model->options.threads,
                                      rep_->model->options.referenceKernels);
  rep_->grads.clear();
  rep_->model->graph->backward(rep_->tape, std::move(dOutputs), rep_->grads,
                               /*inputsNeedGradients=*/false);
  std::vector<Array> out;
  for (size_t k = 0; k < variables_.size(); ++k) {
    Array sum;
    for (const auto& [layer, index] : rep_->owners[k]) {
      const std::vector<Array>* g = rep_->grads.find(layer);
      if (g == nullptr || index >= g->size()) continue;
      auto& from = const_cast<std::vector<Array>&>(*g)[index];
      if (sum.data.empty()) {
        sum = std::move(from);
      } else {
        for (size_t i = 0; i < sum.data.size() && i < from.data.size(); ++i) {
          sum.data[i] += from.data[i];
        }
      }
    }
    if (sum.data.empty()) sum = Array(Shape(variables_[k].shape));
    out.push_back(std::move(sum));
  }
  rep_->tape = Graph::Tape();
  return out;
}

std::vector<Array> GraphTrainer::predict(std::vector<Array> inputs) const {
  const kernels::ExecutionScope scope(rep_->model->options.threads,
                                      rep_->model->options.referenceKernels);
  return rep_->model->graph->run(std::move(inputs));
}

void GraphTrainer::commit() {
  const kernels::ExecutionScope scope(rep_->model->options.threads,
                                      rep_->model->options.referenceKernels);
  for (auto& l : rep_->model->graph->layers) l->weightsChanged();
}

std::shared_ptr<TrainingState>& GraphTrainer::trainingState(const LayersModel& m) {
  return m.rep().training;
}

const ModelArtifacts& GraphTrainer::loadedArtifacts(const LayersModel& m) {
  return m.rep().artifacts;
}

std::vector<NamedTensor> GraphTrainer::currentWeights(const LayersModel& m,
                                                      const std::set<const layers::Layer*>* only) {
  const LayersModel::Rep& mr = m.rep();
  std::vector<NamedTensor> out;
  std::set<std::pair<std::string, const uint8_t*>> listed;
  for (const auto& [layer, tensors] : mr.bound) {
    if (only != nullptr && !only->count(layer)) continue;
    const auto specs = layer->variables();
    for (size_t i = 0; i < tensors.size() && i < specs.size(); ++i) {
      NamedTensor w{trainedWeightName(*layer, specs[i].name), tensors[i]};
      // A weight several layers share (bound once, under one name) is listed once.
      if (!listed.emplace(w.name, w.tensor.bytes()).second) continue;
      // fit() and setWeights() write the model's own buffer in place: hand out a copy.
      if (w.tensor.sharesBuffer(mr.owned)) {
        w.tensor = Tensor(w.tensor.dtype(), w.tensor.shape(),
                          Buffer::copyOf(w.tensor.bytes(), w.tensor.byteLength()), 0);
      }
      out.push_back(std::move(w));
    }
  }
  return out;
}

void GraphTrainer::setWeights(LayersModel& m, const std::set<const layers::Layer*>* only,
                              const std::vector<Tensor>& values) {
  const auto current = currentWeights(m, only);
  if (values.size() != current.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("setWeights: {} tensor(s) given, {} expected (one per weight, in "
                            "getWeights() order)",
                            values.size(), current.size()));
  }
  for (size_t i = 0; i < values.size(); ++i) {
    const Tensor& v = values[i];
    if (v.shape() != current[i].tensor.shape()) {
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("setWeights: weight {} '{}' has shape {}, {} given", i, current[i].name,
                      shapeString(current[i].tensor.shape()), shapeString(v.shape())));
    }
    if (v.dtype() != DType::kFloat32 && v.dtype() != DType::kInt32) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("setWeights: weight {} '{}' is float32, a {} tensor was given", i,
                              current[i].name, dtypeName(v.dtype())));
    }
  }
  // The model's own buffer (made here unless fit or setWeights made it before), which every
  // bound tensor then views.
  GraphTrainer trainer(m);
  LayersModel::Rep& mr = m.rep();
  uint8_t* base = internalWritableData(mr.owned);
  size_t k = 0;
  std::set<const uint8_t*> written;
  for (const auto& [layer, tensors] : mr.bound) {
    if (only != nullptr && !only->count(layer)) continue;
    for (const Tensor& t : tensors) {
      if (!written.insert(t.bytes()).second) continue;  // a shared weight, listed once
      if (k >= values.size() || !t.sharesBuffer(mr.owned)) {
        throw std::logic_error("setWeights: the weights are not bound as expected");
      }
      float* dst = reinterpret_cast<float*>(base + (t.bytes() - mr.owned.data()));
      const Tensor& v = values[k++];
      if (v.dtype() == DType::kInt32) {
        const auto ints = v.ints();
        for (size_t i = 0; i < ints.size(); ++i) dst[i] = static_cast<float>(ints[i]);
      } else if (v.byteLength()) {
        std::memcpy(dst, v.bytes(), v.byteLength());
      }
    }
  }
  trainer.commit();
}

}  // namespace internal

// --- the tf.LayersModel API beyond predict: layers, weights, clone, save
// --------------------------

namespace {

// The leaf layers (the ones weights are bound to) under top-level layer `l`.
std::set<const layers::Layer*> leavesOf(layers::Layer* l) {
  std::vector<layers::Layer*> all;
  if (auto* nested = dynamic_cast<NestedModel*>(l)) {
    allLayers(nested->graph(), all);
  } else {
    all.push_back(l);
  }
  return {all.begin(), all.end()};
}

// Sets `trainable` in the config of top-level layer `name` of a Keras topology (converter output
// with model_config, or a JS save), so that a saved model keeps it.
void setTrainableInTopology(Json& topology, const std::string& name, bool trainable) {
  if (!topology.is_object()) return;
  Json& mc = topology.contains("model_config") ? topology["model_config"] : topology;
  if (!mc.is_object() || !mc.contains("config")) return;
  Json& cfg = mc["config"];
  Json* list = cfg.is_array()
                   ? &cfg
                   : (cfg.is_object() && cfg.contains("layers") ? &cfg["layers"] : nullptr);
  if (list == nullptr || !list->is_array()) return;
  for (Json& l : *list) {
    if (l.is_object() && l.contains("config") && l["config"].is_object() &&
        l["config"].value("name", std::string()) == name) {
      l["config"]["trainable"] = trainable;
    }
  }
}

}  // namespace

void LayersModel::setWeights(const std::vector<Tensor>& weights) {
  internal::GraphTrainer::setWeights(*this, nullptr, weights);
}

std::vector<Layer> LayersModel::layers() const {
  std::vector<Layer> out;
  for (size_t i = 0; i < rep().graph->layers.size(); ++i) out.push_back(Layer(rep_, i));
  return out;
}

Layer LayersModel::getLayer(const std::string& name) const {
  const auto& all = rep().graph->layers;
  std::vector<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i]->name() == name) return Layer(rep_, i);
    names.push_back(all[i]->name());
  }
  throw Error(
      ErrorCode::kInvalidArgument,
      fmt::format("the model has no layer named '{}' (layers: {})", name, fmt::join(names, ", ")));
}

LayersModel LayersModel::clone() const {
  return fromArtifacts(toArtifacts(false), rep().options);
}

void LayersModel::save(const std::string& dir, const SaveOptions& options,
                       bool includeOptimizer) const {
  saveModel(toArtifacts(includeOptimizer), dir, options);
}

const std::string& Layer::name() const {
  return rep_->graph->layers.at(index_)->name();
}
const std::string& Layer::className() const {
  return rep_->graph->layers.at(index_)->className();
}
const Json& Layer::getConfig() const {
  return rep_->graph->layers.at(index_)->config().json();
}
bool Layer::trainable() const {
  return rep_->graph->layers.at(index_)->config().boolean("trainable", true);
}
void Layer::setTrainable(bool trainable) {
  auto& layer = *rep_->graph->layers.at(index_);
  layer.mutableConfig().set("trainable", trainable);
  setTrainableInTopology(rep_->artifacts.modelTopology, layer.name(), trainable);
  try {
    rep_->summary = formatSummary(summarizeLayersModel(rep_->artifacts));
  } catch (const Error&) {
  }
}
std::vector<NamedTensor> Layer::getWeights() const {
  LayersModel m;
  m.rep_ = rep_;
  const auto leaves = leavesOf(rep_->graph->layers.at(index_).get());
  return internal::GraphTrainer::currentWeights(m, &leaves);
}
void Layer::setWeights(const std::vector<Tensor>& weights) {
  LayersModel m;
  m.rep_ = rep_;
  const auto leaves = leavesOf(rep_->graph->layers.at(index_).get());
  internal::GraphTrainer::setWeights(m, &leaves, weights);
}
int64_t Layer::countParams() const {
  int64_t n = 0;
  for (const auto& w : getWeights()) n += w.tensor.size();
  return n;
}

}  // namespace tfjs
