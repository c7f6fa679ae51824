// The one weight-binding unit (model/variables.h, layer_graph.h's bindWeights): which stored
// weight each layer variable takes, by TF.js's name `<layer>/<variable>` and the other names
// Keras and the converters store it under.
#include <fmt/format.h>

#include <map>
#include <set>

#include "model/layer_graph.h"
#include "model/variables.h"
#include "tfjs/error.h"

namespace tfjs {
namespace internal {
namespace {

using topology::isModelClass;

}  // namespace

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

namespace {

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

}  // namespace

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
}  // namespace internal

using internal::buildGraph;
using internal::collectVariables;
using internal::Graph;
using topology::describe;

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

}  // namespace tfjs
