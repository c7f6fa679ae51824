// The graph of layer calls (layer_graph.h): building it from a topology description, running it
// (predict), its training walks, and nested models as layers.
#include "model/layer_graph.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "tfjs/error.h"

namespace tfjs::internal {
namespace {

using topology::declaredShape;
using topology::describe;
using topology::hasOwnInput;
using topology::isModelClass;
using topology::LayerDesc;
using topology::ModelDesc;
using topology::Ref;

[[noreturn]] void schema(const std::string& message) {
  throw Error(ErrorCode::kSchema, message);
}

// The error for a layer that reads masks when a mask made upstream does not reach its input.
Error staleMask(const layers::Layer& layer) {
  return Error(ErrorCode::kUnsupported,
               fmt::format("layer '{}' ({}) reads a mask, and a mask was made upstream of it but "
                           "does not reach its input: TF.js 4.22 would still hand it the last "
                           "mask its executor saw (it keeps it for every later layer), Keras "
                           "would not; tfjs refuses rather than pick one",
                           layer.name(), layer.className()));
}

}  // namespace

namespace {

// What one call produced: its output values and the masks computeMask gave them.
struct CallResult {
  std::vector<Array> out;
  std::vector<std::optional<Array>> outMasks;
};

// The one walk over a graph's calls, for inference and for training alike: it places the inputs
// and their masks, hands each call its inputs and masks, refuses a stale mask, checks and stores
// the outputs with their masks, and (with freeDead) frees the values no later call reads.
// `runCall(c, in, inMasks, anyMask)` runs call c: Graph::run computes in place where inputs die,
// Graph::forwardTrain records on the tape.
template <typename RunCall>
void walkCalls(const Graph& g, std::vector<Array>& values, std::vector<Array> inputs,
               const std::vector<const Array*>& inputMasks,
               const std::vector<bool>& inputMaskUpstream, bool freeDead, RunCall runCall) {
  std::vector<std::optional<Array>> masks(g.valueShapes.size());
  // upstream[v]: some value that v depends on (or v itself) carried a mask.
  std::vector<bool> upstream(g.valueShapes.size(), false);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const size_t v = g.inputValues[i];
    values[v] = std::move(inputs[i]);
    if (i < inputMasks.size() && inputMasks[i]) masks[v] = *inputMasks[i];
    upstream[v] = masks[v].has_value() || (i < inputMaskUpstream.size() && inputMaskUpstream[i]);
  }
  for (size_t c = 0; c < g.calls.size(); ++c) {
    const Call& call = g.calls[c];
    const layers::Layer& layer = *g.layers[call.layer];
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
    CallResult r = runCall(c, in, inMasks, anyMask);
    if (r.out.size() != call.outputs.size()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' returned {} tensors, expected {}", layer.name(),
                              r.out.size(), call.outputs.size()));
    }
    // TF.js's executor gives every output the first mask computeMask returns.
    for (size_t k = 0; k < r.out.size(); ++k) {
      values[call.outputs[k]] = std::move(r.out[k]);
      if (!r.outMasks.empty() && r.outMasks[0]) masks[call.outputs[k]] = *r.outMasks[0];
      upstream[call.outputs[k]] = anyUpstream || masks[call.outputs[k]].has_value();
    }
    if (!freeDead) continue;
    for (size_t v : call.inputs) {
      if (g.lastUse[v] == c) {
        layers::Floats().swap(values[v].data);
        masks[v].reset();
      }
    }
  }
}

}  // namespace

std::vector<Array> Graph::run(std::vector<Array> inputs,
                              const std::vector<const Array*>& inputMasks,
                              const std::vector<bool>& inputMaskUpstream) const {
  std::vector<Array> values(valueShapes.size());
  walkCalls(*this, values, std::move(inputs), inputMasks, inputMaskUpstream, /*freeDead=*/true,
            [&](size_t c, const std::vector<const Array*>& in,
                const std::vector<const Array*>& inMasks, bool anyMask) {
              const Call& call = calls[c];
              const layers::Layer& layer = *layers[call.layer];
              CallResult r;
              if (anyMask) {
                r.out = layer.callMasked(in, inMasks);
                r.outMasks = layer.computeMask(in, inMasks);
                return r;
              }
              // Without masks the layer may take the storage of the inputs that die here (read
              // by no later call, no model output, not passed twice to this call): elementwise
              // layers then compute in place, Reshape / Flatten / Identity hand the values on
              // without a copy. The mask comes first, from the inputs as they arrive.
              r.outMasks = layer.computeMask(in, inMasks);
              std::vector<Array*> owned;
              std::vector<bool> consumable;
              for (size_t v : call.inputs) {
                owned.push_back(&values[v]);
                consumable.push_back(lastUse[v] == c &&
                                     std::count(call.inputs.begin(), call.inputs.end(), v) == 1);
              }
              r.out = layer.callConsuming(owned, consumable);
              return r;
            });
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

std::vector<Array> Graph::forwardTrain(std::vector<Array> inputs, layers::TrainingContext& ctx,
                                       Tape& tape, const std::vector<const Array*>& inputMasks,
                                       const std::vector<bool>& inputMaskUpstream) const {
  tape.values.assign(valueShapes.size(), Array());
  tape.states.clear();
  tape.states.resize(calls.size());
  walkCalls(*this, tape.values, std::move(inputs), inputMasks, inputMaskUpstream,
            /*freeDead=*/false,
            [&](size_t c, const std::vector<const Array*>& in,
                const std::vector<const Array*>& inMasks, bool anyMask) {
              const layers::Layer& layer = *layers[calls[c].layer];
              CallResult r;
              r.outMasks = layer.computeMask(in, inMasks);
              r.out = anyMask ? layer.forwardTrainMasked(in, inMasks, ctx, tape.states[c])
                              : layer.forwardTrain(in, ctx, tape.states[c]);
              return r;
            });
  std::vector<Array> out;
  for (size_t v : outputValues) out.push_back(tape.values[v]);
  return out;
}

std::vector<Array> Graph::backward(const Tape& tape, std::vector<Array> dOutputs,
                                   layers::GradientSink& grads, bool inputsNeedGradients) const {
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
      needed = needed || std::find(inputValues.begin(), inputValues.end(), v) == inputValues.end();
    }
    grads.inputGradientsNeeded = needed;
    std::vector<Array> dIn = layer.backward(in, out, tape.states[c].get(), std::move(dOut), grads);
    grads.inputGradientsNeeded = true;
    for (size_t i = 0; i < dIn.size() && i < call.inputs.size(); ++i) {
      accumulate(call.inputs[i], std::move(dIn[i]));
    }
  }
  std::vector<Array> dIn;
  for (size_t v : inputValues) dIn.push_back(std::move(d[v]));
  return dIn;
}

std::vector<Shape> NestedModel::build(const std::vector<Shape>& in) {
  graph_ = buildGraph(desc_, &in);
  std::vector<Shape> out;
  for (size_t v : graph_->outputValues) out.push_back(graph_->valueShapes[v]);
  return out;
}

std::vector<Array> NestedModel::call(const std::vector<const Array*>& in) const {
  std::vector<Array> xs;
  for (const Array* a : in) xs.push_back(*a);
  return graph_->run(std::move(xs));
}

std::vector<Array> NestedModel::callConsuming(const std::vector<Array*>& in,
                                              const std::vector<bool>& consumable) const {
  std::vector<Array> xs;
  for (size_t i = 0; i < in.size(); ++i) {
    xs.push_back(consumable[i] ? std::move(*in[i]) : *in[i]);
  }
  return graph_->run(std::move(xs));
}

std::vector<const Array*> NestedModel::innerMasks(size_t inputs,
                                                  const std::vector<const Array*>& masks) {
  return std::vector<const Array*>(inputs, masks.empty() ? nullptr : masks[0]);
}

std::vector<Array> NestedModel::callMasked(const std::vector<const Array*>& in,
                                           const std::vector<const Array*>& masks) const {
  std::vector<Array> xs;
  for (const Array* a : in) xs.push_back(*a);
  const auto inner = innerMasks(in.size(), masks);
  std::vector<bool> upstream;
  for (const Array* m : inner) upstream.push_back(m != nullptr);
  return graph_->run(std::move(xs), inner, upstream);
}

std::vector<std::optional<Array>> NestedModel::computeMask(const std::vector<const Array*>&,
                                                           const std::vector<const Array*>&) const {
  return {};
}

bool NestedModel::readsMask() const {
  for (const auto& inner : graph_->layers) {
    if (inner->readsMask()) return true;
  }
  return false;
}

bool NestedModel::mixesSamples() const {
  for (const auto& inner : graph_->layers) {
    if (inner->mixesSamples()) return true;
  }
  return false;
}

std::vector<Array> NestedModel::forwardTrain(const std::vector<const Array*>& in,
                                             layers::TrainingContext& ctx,
                                             std::unique_ptr<layers::LayerState>& state) const {
  auto st = std::make_unique<State>();
  std::vector<Array> xs;
  for (const Array* a : in) xs.push_back(*a);
  std::vector<Array> out = graph_->forwardTrain(std::move(xs), ctx, st->tape);
  state = std::move(st);
  return out;
}

std::vector<Array> NestedModel::forwardTrainMasked(
    const std::vector<const Array*>& in, const std::vector<const Array*>& masks,
    layers::TrainingContext& ctx, std::unique_ptr<layers::LayerState>& state) const {
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

std::vector<Array> NestedModel::backward(const std::vector<const Array*>&,
                                         const std::vector<const Array*>&,
                                         layers::LayerState* state, std::vector<Array> dOut,
                                         layers::GradientSink& grads) const {
  return graph_->backward(static_cast<State*>(state)->tape, std::move(dOut), grads,
                          grads.inputGradientsNeeded);
}

void NestedModel::weightsChanged() {
  for (auto& inner : graph_->layers) inner->weightsChanged();
}

namespace {

// Mask propagation. TF.js's executor (engine/executor.ts) computes a layer's output mask only
// when the layer supports masking, gives every output the first mask computeMask returns, and
// calls the layer with kwargs.mask = the mask of its first input whenever any input has one. It
// also never clears kwargs.mask, so a layer whose inputs carry no mask still gets the last mask
// seen: for the layers that read it that differs from Keras, and Graph::run refuses that case.
std::unique_ptr<layers::Layer> makeLayer(const LayerDesc& d) {
  layers::setNestedModelHooks({&makeNestedModelLayer, &addNestedModelGradients});
  layers::Config config(d.className, d.name, d.config);
  if (isModelClass(d.className)) return std::make_unique<NestedModel>(config, describe(d.full));
  return layers::createLayer(config);
}

}  // namespace

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
  for (size_t v : g->outputValues) g->lastUse[v] = SIZE_MAX;  // outputs outlive every call
  return g;
}

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

}  // namespace tfjs::internal
