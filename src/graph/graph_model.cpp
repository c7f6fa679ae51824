// The public GraphModel (tfjs/graph_model.h): the graph read once (nodes, library functions,
// Const values, signature); each execute() resolves its feeds and fetches by signature key or
// node name, checks the feeds as TF.js checks them, and runs the main graph's Program
// (program.h: a plan from the fetches back to the feeds, each value freed after its last
// reader).
#include "tfjs/graph_model.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "graph/graph_def.h"
#include "graph/ops.h"
#include "graph/program.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs {

using graph::GraphDef;
using graph::Node;
using graph::ValuePtr;

struct GraphModel::Rep {
  GraphDef graph;
  std::unique_ptr<graph::Program> program;  // the main graph
  std::unique_ptr<graph::Runtime> runtime;  // the library functions, the model's hash tables
  // What the model initializer returned for the main graph's resource inputs (signature inputs
  // with a resourceId): node index -> value, fed when the caller does not feed that node.
  std::map<size_t, ValuePtr> captured;
  std::vector<ModelTensorInfo> inputs, outputs;
  // Signature key -> tensor name ("x:0"), for feeds and fetches.
  std::map<std::string, std::string> inputKeys, outputKeys;
  std::vector<std::string> structuredOutputKeys;  // userDefinedMetadata.structuredOutputKeys
  GraphModelOptions options;
};

namespace {

bool isPlaceholder(const std::string& op) {
  return op == "Placeholder";
}

// The signature as TF.js's GraphModel takes it: userDefinedMetadata.signature when it has one.
const Json& signatureOf(const ModelArtifacts& a) {
  if (a.userDefinedMetadata.is_object()) {
    const auto s = a.userDefinedMetadata.find("signature");
    if (s != a.userDefinedMetadata.end() && !s->is_null()) return *s;
  }
  return a.signature;
}

std::string nodeOfTensor(const std::string& tensor) {
  return graph::parseInput(tensor).node;
}

// A signature entry ({name, dtype, tensorShape}) as a ModelTensorInfo.
ModelTensorInfo infoOf(const std::string& key, const Json& entry) {
  ModelTensorInfo info;
  info.key = key;
  info.name = entry.is_object() && entry.contains("name") && entry["name"].is_string()
                  ? nodeOfTensor(entry["name"].get<std::string>())
                  : key;
  if (entry.is_object() && entry.contains("dtype") && entry["dtype"].is_string()) {
    if (const auto t = graph::dtypeFromTf(entry["dtype"].get<std::string>())) info.dtype = *t;
  }
  if (entry.is_object() && entry.contains("tensorShape") && entry["tensorShape"].is_object()) {
    const Json& ts = entry["tensorShape"];
    info.knownRank = !ts.value("unknownRank", false);
    if (ts.contains("dim") && ts["dim"].is_array()) {
      for (const Json& d : ts["dim"]) {
        const Json size = d.is_object() ? d.value("size", Json("-1")) : Json("-1");
        info.shape.push_back(size.is_string() ? std::stoll(size.get<std::string>())
                                              : size.get<int64_t>());
      }
    }
  }
  return info;
}

// A node's description from its own attributes (no signature): Placeholder dtype and shape.
ModelTensorInfo infoOf(const Node& n) {
  ModelTensorInfo info;
  info.name = info.key = n.name;
  if (const auto t = n.type("dtype")) info.dtype = *t;
  if (const auto s = n.shape("shape")) {
    info.shape = *s;
    info.knownRank = true;
  }
  return info;
}

}  // namespace

GraphModel::GraphModel(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
GraphModel::GraphModel(GraphModel&&) noexcept = default;
GraphModel& GraphModel::operator=(GraphModel&&) noexcept = default;
GraphModel::GraphModel(const GraphModel&) = default;
GraphModel& GraphModel::operator=(const GraphModel&) = default;
GraphModel::~GraphModel() = default;

std::map<std::string, std::vector<std::string>> unsupportedGraphOps(const ModelArtifacts& a) {
  return graph::missingOps(graph::parseGraph(a.modelTopology));
}

GraphModel GraphModel::fromArtifacts(const ModelArtifacts& a, const GraphModelOptions& options) {
  if (a.inferredFormat() != ModelFormat::kGraph) {
    throw Error(ErrorCode::kInvalidArgument,
                "not a graph model (a layers model: load it with loadLayersModel)");
  }
  auto rep = std::make_shared<Rep>();
  rep->options = options;
  rep->graph = graph::parseGraph(a.modelTopology);
  const GraphDef& g = rep->graph;
  // The modelInitializer graph (TF.js runs it once, before the first execute, sharing the
  // model's weights and resources: it fills the hash tables the main graph reads).
  GraphDef init;
  const bool hasInit = a.modelInitializer.is_object() && a.modelInitializer.contains("node") &&
                       !a.modelInitializer["node"].is_null();
  auto missing = graph::missingOps(g);
  if (hasInit) {
    init = graph::parseGraph(a.modelInitializer);
    for (auto& [op, nodes] : graph::missingOps(init)) {
      auto& all = missing[op];
      all.insert(all.end(), nodes.begin(), nodes.end());
    }
  }
  if (!missing.empty()) {
    std::vector<std::string> parts;
    for (const auto& [op, nodes] : missing) {
      parts.push_back(fmt::format(
          "{} ({} node{}: {}{})", op, nodes.size(), nodes.size() == 1 ? "" : "s",
          fmt::join(nodes.begin(), nodes.begin() + std::min<size_t>(nodes.size(), 3), ", "),
          nodes.size() > 3 ? ", ..." : ""));
    }
    throw Error(ErrorCode::kUnsupported,
                fmt::format("this graph model uses ops tfjs-cpp does not run yet: {}",
                            fmt::join(parts, "; ")));
  }
  // Weights bind to Const nodes by name (the main graph's and the library functions').
  std::map<std::string, graph::ValuePtr> weights;
  for (NamedTensor& w : decodeWeights(a)) {
    weights.emplace(w.name, graph::fromTensor(w.tensor, fmt::format("weight '{}'", w.name)));
  }
  rep->program = std::make_unique<graph::Program>(g, weights);
  rep->runtime = std::make_unique<graph::Runtime>(g, weights, options.maxLoopIterations);
  std::map<int64_t, ValuePtr> byResource;  // initializer outputs by resourceId
  if (hasInit) {
    // Fetches: initializerSignature.outputs' keys (tensor names), else the nodes no node reads.
    std::vector<std::pair<size_t, int>> fetches;
    std::vector<int64_t> resourceIds;
    const Json& isig = a.initializerSignature;
    if (isig.is_object() && isig.contains("outputs") && isig["outputs"].is_object() &&
        !isig["outputs"].empty()) {
      for (const auto& [key, entry] : isig["outputs"].items()) {
        const graph::Input out = graph::parseInput(key);
        const auto it = init.index.find(out.node);
        if (it == init.index.end()) {
          throw Error(
              ErrorCode::kSchema,
              fmt::format("initializerSignature output '{}' is not in the initializer", key));
        }
        fetches.emplace_back(it->second, out.index);
        const Json id = entry.is_object() ? entry.value("resourceId", Json()) : Json();
        resourceIds.push_back(id.is_number_integer() ? id.get<int64_t>() : -1);
      }
    } else {
      std::set<std::string> read;
      for (const Node& n : init.nodes) {
        for (const auto& in : n.inputs) read.insert(in.node);
        for (const auto& c : n.controls) read.insert(c);
      }
      for (size_t k = 0; k < init.nodes.size(); ++k) {
        if (!read.count(init.nodes[k].name)) fetches.emplace_back(k, 0);
      }
    }
    const graph::Program program(init, weights);
    kernels::ExecutionScope scope(options.threads, options.referenceKernels);
    const auto outs = program.run({}, fetches, *rep->runtime, "the model initializer");
    for (size_t k = 0; k < resourceIds.size() && k < outs.size(); ++k) {
      if (resourceIds[k] >= 0) byResource[resourceIds[k]] = outs[k];
    }
  }
  // Inputs and outputs, as TF.js's operation mapper lists them.
  const Json& sig = signatureOf(a);
  if (a.userDefinedMetadata.is_object()) {
    const auto k = a.userDefinedMetadata.find("structuredOutputKeys");
    if (k != a.userDefinedMetadata.end() && !k->is_null()) {
      if (!k->is_array() ||
          !std::all_of(k->begin(), k->end(), [](const Json& e) { return e.is_string(); })) {
        throw Error(ErrorCode::kSchema,
                    "userDefinedMetadata.structuredOutputKeys is not a list of strings");
      }
      rep->structuredOutputKeys = k->get<std::vector<std::string>>();
    }
  }
  if (sig.is_object() && sig.contains("inputs") && sig["inputs"].is_object()) {
    for (const auto& [key, entry] : sig["inputs"].items()) {
      if (!entry.is_object() || !entry.contains("resourceId") || !entry.contains("name") ||
          !entry["name"].is_string() || !entry["resourceId"].is_number_integer()) {
        continue;
      }
      const auto value = byResource.find(entry["resourceId"].get<int64_t>());
      const auto it = g.index.find(nodeOfTensor(entry["name"].get<std::string>()));
      if (value != byResource.end() && it != g.index.end())
        rep->captured[it->second] = value->second;
    }
  }
  const auto entries = [&](const char* which, std::map<std::string, std::string>& keys,
                           std::vector<ModelTensorInfo>& infos) {
    if (!sig.is_object() || !sig.contains(which) || !sig[which].is_object()) return false;
    for (const auto& [key, entry] : sig[which].items()) {
      if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) continue;
      keys[key] = entry["name"].get<std::string>();
      if (g.find(nodeOfTensor(keys[key]))) infos.push_back(infoOf(key, entry));
    }
    return !keys.empty();
  };
  if (!entries("inputs", rep->inputKeys, rep->inputs)) {
    for (const Node& n : g.nodes) {
      if (isPlaceholder(n.op)) rep->inputs.push_back(infoOf(n));
    }
  }
  if (!entries("outputs", rep->outputKeys, rep->outputs)) {
    std::set<std::string> read;
    for (const Node& n : g.nodes) {
      for (const auto& in : n.inputs) read.insert(in.node);
      for (const auto& c : n.controls) read.insert(c);
    }
    for (const Node& n : g.nodes) {
      if (!read.count(n.name)) {
        ModelTensorInfo info;
        info.name = info.key = n.name;
        rep->outputs.push_back(info);
      }
    }
  }
  return GraphModel(std::move(rep));
}

const std::vector<ModelTensorInfo>& GraphModel::inputs() const {
  return rep_->inputs;
}
const std::vector<ModelTensorInfo>& GraphModel::outputs() const {
  return rep_->outputs;
}

std::vector<std::string> GraphModel::inputNodes() const {
  std::vector<std::string> out;
  for (const auto& i : rep_->inputs) out.push_back(i.key);
  return out;
}

const std::vector<std::string>& GraphModel::structuredOutputKeys() const {
  return rep_->structuredOutputKeys;
}

std::vector<std::string> GraphModel::outputNodes() const {
  std::vector<std::string> out;
  for (const auto& o : rep_->outputs) out.push_back(o.key);
  return out;
}

std::vector<Tensor> GraphModel::execute(const std::map<std::string, Tensor>& feeds,
                                        const std::vector<std::string>& fetchNames) const {
  const Rep& r = *rep_;
  const GraphDef& g = r.graph;
  const auto bad = [](const std::string& what) { throw Error(ErrorCode::kInvalidArgument, what); };
  // Feeds: signature key -> tensor name; the node must exist; checked as TF.js checks them.
  std::map<size_t, ValuePtr> fed;  // node index -> value (output 0)
  for (const auto& [name, tensor] : feeds) {
    const auto key = r.inputKeys.find(name);
    const graph::Input in = graph::parseInput(key != r.inputKeys.end() ? key->second : name);
    const auto it = g.index.find(in.node);
    if (it == g.index.end() || in.index != 0) {
      bad(fmt::format("the input '{}' is not part of the graph (inputs: {})", name,
                      fmt::join(inputNodes(), ", ")));
    }
    const Node& n = g.nodes[it->second];
    if (const auto s = isPlaceholder(n.op) ? n.shape("shape") : std::nullopt) {
      bool match = s->size() == tensor.shape().size();
      for (size_t d = 0; match && d < s->size(); ++d) {
        match = (*s)[d] == -1 || (*s)[d] == tensor.shape()[d];
      }
      if (!match) {
        bad(fmt::format("the shape of input '{}' must be [{}], but was [{}]", n.name,
                        fmt::join(*s, ","), fmt::join(tensor.shape(), ",")));
      }
    }
    if (const auto t = isPlaceholder(n.op) ? n.type("dtype") : std::nullopt;
        t && *t != tensor.dtype()) {
      bad(fmt::format("the dtype of input '{}' must be {}, but was {}", n.name, dtypeName(*t),
                      dtypeName(tensor.dtype())));
    }
    fed[it->second] = graph::fromTensor(tensor, fmt::format("input '{}'", name));
  }
  for (const auto& [k, v] : r.captured) fed.emplace(k, v);  // resource inputs not fed
  // Fetches.
  std::vector<std::string> names = fetchNames.empty() ? outputNodes() : fetchNames;
  std::vector<std::pair<size_t, int>> fetches;
  for (const std::string& name : names) {
    const auto key = r.outputKeys.find(name);
    const graph::Input out = graph::parseInput(key != r.outputKeys.end() ? key->second : name);
    const auto it = g.index.find(out.node);
    if (it == g.index.end()) {
      bad(fmt::format("the output '{}' is not part of the graph (outputs: {})", name,
                      fmt::join(outputNodes(), ", ")));
    }
    fetches.emplace_back(it->second, out.index);
  }
  kernels::ExecutionScope scope(r.options.threads, r.options.referenceKernels);
  std::vector<Tensor> out;
  for (const ValuePtr& v : r.program->run(fed, fetches, *r.runtime, "the graph")) {
    out.push_back(graph::toTensor(*v));
  }
  return out;
}

std::vector<Tensor> GraphModel::predict(const std::vector<Tensor>& inputs) const {
  // Resource inputs the model initializer filled are not given (TF.js's captured inputs).
  std::vector<const ModelTensorInfo*> given;
  for (const ModelTensorInfo& info : rep_->inputs) {
    const auto it = rep_->graph.index.find(info.name);
    if (it == rep_->graph.index.end() || !rep_->captured.count(it->second)) given.push_back(&info);
  }
  if (inputs.size() != given.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("the model takes {} input(s) ({}), {} given", given.size(),
                            fmt::join(inputNodes(), ", "), inputs.size()));
  }
  std::map<std::string, Tensor> feeds;
  for (size_t k = 0; k < inputs.size(); ++k) feeds.emplace(given[k]->key, inputs[k]);
  return execute(feeds);
}

GraphModel loadGraphModel(const std::string& location, const LoadOptions& load,
                          const GraphModelOptions& options) {
  return GraphModel::fromArtifacts(loadModel(location, load), options);
}

}  // namespace tfjs
