// LayersModel: the public API of a layers model (tfjs/layers_model.h): loading from artifacts,
// predict, and tf.LayersModel's methods beyond it. The graph it runs is model/layer_graph.h.
#include "tfjs/layers_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "kernels/kernels.h"
#include "model/layers_model_rep.h"
#include "tfjs/convert.h"
#include "tfjs/summary.h"

namespace tfjs {
namespace {

using internal::allLayers;
using internal::bindWeights;
using internal::buildGraph;
using internal::Graph;
using internal::largestSampleFloats;
using internal::NestedModel;
using layers::Array;
using layers::Shape;
using topology::describe;

}  // namespace

// --- LayersModel ---------------------------------------------------------------------------------

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
KernelInfo kernelInfo(int64_t rows) {
  return {kernels::cpuIsa(), kernels::gemmLibrary(rows), kernels::denseKernel(rows)};
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
