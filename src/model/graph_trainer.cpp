// Training's access to a LayersModel's graph (model/graph_trainer.h).
#include "model/graph_trainer.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "format/checked.h"
#include "kernels/kernels.h"
#include "model/layers_model_rep.h"
#include "tfjs/error.h"

namespace tfjs {

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

}  // namespace tfjs
