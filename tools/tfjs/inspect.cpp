// tfjs inspect MODEL [--json] [--metadata] [--summary] [--training] [--manifest] [--weights]
// [--integrity] — metadata, summary, training config, manifest, per-weight table, integrity
// verdict; the section flags choose which (none: all).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "common.h"
#include "tfjs/convert.h"
#include "tfjs/graph_model.h"
#include "tfjs/layers_model.h"
#include "tfjs/summary.h"

namespace tfjs::cli {
namespace {

Json shapeJson(const std::string& text);

std::string orDash(const std::optional<std::string>& s) {
  return s ? *s : "-";
}

std::string quantText(const WeightSpec& w) {
  if (!w.quantization) return "-";
  const Quantization& q = *w.quantization;
  if (!q.min) return std::string(dtypeName(q.dtype));
  return fmt::format("{} min={} scale={}", dtypeName(q.dtype), q.min.value_or(0),
                     q.scale.value_or(0));
}

std::string shardsText(const ModelArtifacts& a, const std::optional<WeightLocation>& loc) {
  if (!loc || !a.weightsLoaded) return "?";
  const auto& paths = a.weightsManifest[loc->group].paths;
  if (paths.empty() || loc->byteLength == 0) return "-";
  if (loc->firstPath == loc->lastPath) return paths[loc->firstPath];
  return fmt::format("{} .. {}", paths[loc->firstPath], paths[loc->lastPath]);
}

Json trainingConfigOf(const ModelArtifacts& a) {
  if (a.trainingConfig.is_object()) return a.trainingConfig;
  if (a.modelTopology.is_object()) {
    if (auto it = a.modelTopology.find("training_config"); it != a.modelTopology.end()) return *it;
  }
  return nullptr;
}

std::string compactJson(const Json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  return jsonText(j, -1);
}

std::string optimizerText(const Json& tc) {
  auto it = tc.find("optimizer_config");
  if (it == tc.end() || !it->is_object()) return "-";
  std::string name = it->value("class_name", std::string("?"));
  if (auto cfg = it->find("config"); cfg != it->end() && cfg->is_object()) {
    std::string params;
    for (auto p = cfg->begin(); p != cfg->end(); ++p) {
      if (p.key() == "name" || p.value().is_object() || p.value().is_array()) continue;
      if (!params.empty()) params += ", ";
      params += p.key() + "=" + compactJson(p.value());
    }
    if (!params.empty()) name += " (" + params + ")";
  }
  return name;
}

Json layersJson(const ModelSummary& s) {
  Json layers = Json::array();
  for (const auto& l : s.layers) {
    Json j = Json::object();
    j["name"] = l.name;
    j["className"] = l.className;
    if (l.outputShapes.size() == 1) {
      j["outputShape"] = shapeJson(l.outputShapes[0]);
      // An InputLayer's shape is written as the one-element list "[(None, 10)]".
      if (j["outputShape"].is_array() && j["outputShape"].size() == 1 &&
          j["outputShape"][0].is_array()) {
        j["outputShape"] = Json(j["outputShape"][0]);
      }
    } else {
      Json shapes = Json::array();
      for (const auto& o : l.outputShapes) shapes.push_back(shapeJson(o));
      j["outputShape"] = shapes;
    }
    j["params"] = l.params;
    j["trainableParams"] = l.trainableParams;
    j["nonTrainableParams"] = l.nonTrainableParams;
    j["connectedTo"] = l.connectedTo;
    j["depth"] = l.depth;
    layers.push_back(std::move(j));
  }
  return layers;
}

// A Keras-style shape text as JSON: "(None, 28, 28, 32)" -> [null, 28, 28, 32],
// "[(None, 4), (None, 4)]" -> [[null, 4], [null, 4]], "[-1,224,224,3]" (graph) -> [null, 224,
// 224, 3]; null when unknown ("?", "multiple") or not a shape.
Json shapeJson(const std::string& text) {
  size_t pos = 0;
  auto skip = [&] {
    while (pos < text.size() && text[pos] == ' ') ++pos;
  };
  // One level: a tuple / list of dimensions or of tuples.
  std::function<std::optional<Json>()> parse = [&]() -> std::optional<Json> {
    skip();
    if (pos >= text.size() || (text[pos] != '(' && text[pos] != '[')) return std::nullopt;
    const char close = text[pos] == '(' ? ')' : ']';
    ++pos;
    Json out = Json::array();
    for (;;) {
      skip();
      if (pos < text.size() && text[pos] == close) {
        ++pos;
        return out;
      }
      if (pos < text.size() && (text[pos] == '(' || text[pos] == '[')) {
        auto inner = parse();
        if (!inner) return std::nullopt;
        out.push_back(std::move(*inner));
      } else if (text.compare(pos, 4, "None") == 0) {
        out.push_back(nullptr);
        pos += 4;
      } else {
        size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(text.substr(pos), &used);
        } catch (const std::exception&) {
          return std::nullopt;
        }
        out.push_back(v < 0 ? Json(nullptr) : Json(v));
        pos += used;
      }
      skip();
      if (pos < text.size() && text[pos] == ',') ++pos;
    }
  };
  auto j = parse();
  skip();
  return j && pos == text.size() ? *j : Json(nullptr);
}

Json shapeJson(const std::vector<int64_t>& shape) {
  Json out = Json::array();
  for (int64_t d : shape) out.push_back(d < 0 ? Json(nullptr) : Json(d));
  return out;
}

// The names of a functional config's "input_layers" / "output_layers" ([[name, 0, 0], ...]).
std::vector<std::string> endpointNames(const Json& topo, const char* key) {
  std::vector<std::string> out;
  const Json* cfg = &topo;
  if (cfg->is_object() && cfg->contains("model_config")) cfg = &(*cfg)["model_config"];
  if (!cfg->is_object() || !cfg->contains("config") || !(*cfg)["config"].is_object()) return out;
  const Json& c = (*cfg)["config"];
  if (!c.contains(key) || !c[key].is_array()) return out;
  for (const auto& e : c[key]) {
    if (e.is_array() && !e.empty() && e[0].is_string()) out.push_back(e[0].get<std::string>());
  }
  return out;
}

// The model's inputs and outputs [{name, shape, dtype}] as LayersModel::inputs() / outputs() give
// them; when the model cannot be built (unsupported layers, damaged weights), from the summary.
std::pair<Json, Json> modelIoJson(const ModelArtifacts& a, const ModelSummary& summary,
                                  bool intact) {
  auto infos = [](const std::vector<TensorInfo>& v) {
    Json arr = Json::array();
    for (const auto& t : v) {
      arr.push_back({{"name", t.name},
                     {"shape", shapeJson(t.shape)},
                     {"dtype", std::string(dtypeName(t.dtype))}});
    }
    return arr;
  };
  if (intact && a.weightsLoaded) {
    try {
      ModelOptions options;
      options.strict = false;
      const LayersModel m = LayersModel::fromArtifacts(a, options);
      return {infos(m.inputs()), infos(m.outputs())};
    } catch (const Error&) {
    }
  }
  auto fromSummary = [&](const std::vector<std::string>& shapes, const char* key) {
    const auto names = endpointNames(a.modelTopology, key);
    Json arr = Json::array();
    for (size_t i = 0; i < shapes.size(); ++i) {
      Json shape = shapeJson(shapes[i]);
      // An InputLayer's shape is written as a one-element list "[(None, 10)]".
      if (shape.is_array() && shape.size() == 1 && shape[0].is_array()) shape = shape[0];
      arr.push_back({{"name", i < names.size() ? Json(names[i]) : Json(nullptr)},
                     {"shape", shape},
                     {"dtype", nullptr}});
    }
    return arr;
  };
  return {fromSummary(summary.inputShapes, "input_layers"),
          fromSummary(summary.outputShapes, "output_layers")};
}

// Rows of text cells printed as columns as wide as their widest cell; `right` marks the
// columns aligned right (numbers). The last column is not padded.
void printTable(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right,
                const char* indent) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], displayWidth(r[c]));
  }
  for (const auto& r : rows) {
    std::string line = indent;
    for (size_t c = 0; c < r.size(); ++c) {
      const size_t pad = width[c] - displayWidth(r[c]);
      const bool last = c + 1 == r.size();
      if (c) line += "  ";
      if (c < right.size() && right[c]) line += std::string(pad, ' ');
      line += r[c];
      if (!last && !(c < right.size() && right[c])) line += std::string(pad, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::printf("%s\n", line.c_str());
  }
}

// The sections `tfjs inspect` prints; the flags choose them (none given: every one).
struct Sections {
  bool metadata = false, summary = false, training = false, manifest = false, weights = false,
       integrity = false;
  bool any() const { return metadata || summary || training || manifest || weights || integrity; }
  void allIfNone() {
    if (!any()) metadata = summary = training = manifest = weights = integrity = true;
  }
};

// What `tfjs inspect` collects from a model before rendering it as text or JSON.
struct Inspection {
  std::string model;
  ModelArtifacts artifacts;
  std::vector<Problem> problems;  // validateModel's and TF.js's load problems
  bool graph = false;
  std::optional<ModelSummary> summary;
  std::optional<GraphSummary> gsum;
  // Graph models: the ops tfjs-cpp does not run yet, with their nodes (empty: runs natively).
  std::map<std::string, std::vector<std::string>> unsupportedOps;
  std::string summaryError;
  std::vector<const WeightSpec*> specs;               // into artifacts
  std::vector<std::optional<WeightLocation>> layout;  // per spec
  Json trainingConfig;
  std::string kerasVersion, backend;
  uint64_t weightBytes = 0, elements = 0;
};

// Everything `tfjs inspect` shows, collected once; the renderers below only format it.
Inspection collect(const ModelArgs& args) {
  Inspection r;
  r.model = args.model;
  ModelArtifacts& a = r.artifacts;
  auto& problems = r.problems;
  problems = validateModel(args.model, args.loadOptions(true), &a);
  // Nothing to show when model.json itself could not be read or parsed.
  if (!problems.empty() && a.keyOrder.empty()) throw Error(problems);
  for (auto& p : tfjsLoadProblems(a, args.model)) problems.push_back(std::move(p));
  r.graph = a.inferredFormat() == ModelFormat::kGraph;
  try {
    if (r.graph) {
      r.gsum = summarizeGraphModel(a);
      r.unsupportedOps = unsupportedGraphOps(a);
    } else if (!a.modelTopology.is_null()) {
      r.summary = summarizeLayersModel(a);
    }
  } catch (const Error& e) {
    r.summaryError = e.problems().front().toString();
  }
  r.specs = a.weightSpecs();
  r.layout = layoutOf(a);
  r.trainingConfig = trainingConfigOf(a);
  const Json& topo = a.modelTopology;
  r.kerasVersion =
      topo.is_object() && topo.contains("keras_version") && topo["keras_version"].is_string()
          ? topo["keras_version"].get<std::string>()
          : "";
  r.backend = topo.is_object() && topo.contains("backend") && topo["backend"].is_string()
                  ? topo["backend"].get<std::string>()
                  : "";
  for (size_t i = 0; i < r.specs.size(); ++i) {
    if (r.layout[i]) r.weightBytes += r.layout[i]->byteLength;
    uint64_t n = 1;
    for (auto d : r.specs[i]->shape) n *= static_cast<uint64_t>(d);
    r.elements += n;
  }
  return r;
}

// The --json document (keys by section; the metadata keys are always there).
Json renderJson(const Inspection& r, const Sections& show) {
  const ModelArtifacts& a = r.artifacts;
  Json out = Json::object();
  out["model"] = r.model;
  out["format"] = r.graph ? "graph-model" : "layers-model";
  out["formatField"] = a.format ? Json(*a.format) : Json(nullptr);
  out["generatedBy"] = a.generatedBy ? Json(*a.generatedBy) : Json(nullptr);
  out["convertedBy"] = a.convertedBy ? Json(*a.convertedBy) : Json(nullptr);
  out["kerasVersion"] = r.kerasVersion.empty() ? Json(nullptr) : Json(r.kerasVersion);
  out["backend"] = r.backend.empty() ? Json(nullptr) : Json(r.backend);
  if (show.summary && r.summary) {
    out["modelName"] = r.summary->name;
    out["className"] = r.summary->className;
    out["layers"] = layersJson(*r.summary);
    out["totalParams"] = r.summary->totalParams;
    out["trainableParams"] = r.summary->trainableParams;
    out["nonTrainableParams"] = r.summary->nonTrainableParams;
    out["notes"] = r.summary->notes;
    auto [inputs, outputs] = modelIoJson(a, *r.summary, r.problems.empty());
    out["inputs"] = std::move(inputs);
    out["outputs"] = std::move(outputs);
  } else if (show.summary) {
    out["layers"] = Json::array();
    out["totalParams"] = r.elements;
  }
  if (show.summary && r.gsum) {
    Json g = Json::object();
    auto infos = [](const std::vector<GraphTensorInfo>& v) {
      Json arr = Json::array();
      for (const auto& t : v) {
        arr.push_back({{"name", t.name},
                       {"tensor", t.tensor},
                       {"dtype", t.dtype},
                       {"shape", shapeJson(t.shape)}});
      }
      return arr;
    };
    g["inputs"] = infos(r.gsum->inputs);
    g["outputs"] = infos(r.gsum->outputs);
    g["nodeCount"] = r.gsum->nodeCount;
    g["functionCount"] = r.gsum->functionCount;
    g["initializerNodeCount"] = r.gsum->initializerNodeCount;
    g["opCounts"] = r.gsum->opCounts;
    g["runsNatively"] = r.unsupportedOps.empty();
    g["unsupportedOps"] = r.unsupportedOps;
    out["graph"] = g;
  }
  if (show.training) out["trainingConfig"] = r.trainingConfig;
  Json groups = Json::array();
  for (size_t gi = 0; gi < a.weightsManifest.size(); ++gi) {
    const auto& g = a.weightsManifest[gi];
    Json files = Json::array();
    uint64_t total = 0;
    for (size_t k = 0; k < g.paths.size(); ++k) {
      Json f = {{"path", g.paths[k]}};
      f["bytes"] = k < g.pathSizes.size() ? Json(g.pathSizes[k]) : Json(nullptr);
      if (k < g.pathSizes.size()) total += g.pathSizes[k];
      files.push_back(std::move(f));
    }
    groups.push_back({{"group", gi + 1},
                      {"files", files},
                      {"bytes", a.weightsLoaded ? Json(total) : Json(nullptr)},
                      {"weights", g.weights.size()}});
  }
  if (show.manifest) {
    out["groups"] = groups;
    out["weightBytes"] = r.weightBytes;
  }
  Json weights = Json::array();
  for (size_t i = 0; i < r.specs.size(); ++i) {
    const WeightSpec& w = *r.specs[i];
    Json j = Json::object();
    j["name"] = w.name;
    j["shape"] = w.shape;
    j["dtype"] = std::string(dtypeName(w.dtype));
    j["storageDtype"] = std::string(dtypeName(w.storageDType()));
    if (w.quantization) {
      Json q = {{"dtype", std::string(dtypeName(w.quantization->dtype))}};
      q["min"] = w.quantization->min ? Json(*w.quantization->min) : Json(nullptr);
      q["scale"] = w.quantization->scale ? Json(*w.quantization->scale) : Json(nullptr);
      j["quantization"] = q;
    } else {
      j["quantization"] = nullptr;
    }
    j["weightGroup"] = w.group ? Json(*w.group) : Json(nullptr);
    j["group"] = r.layout[i] ? Json(r.layout[i]->group + 1) : Json(nullptr);
    j["byteOffset"] = r.layout[i] ? Json(r.layout[i]->byteOffset) : Json(nullptr);
    j["byteLength"] = r.layout[i] ? Json(r.layout[i]->byteLength) : Json(nullptr);
    Json shards = Json::array();
    if (r.layout[i] && a.weightsLoaded && r.layout[i]->byteLength) {
      for (size_t k = r.layout[i]->firstPath; k <= r.layout[i]->lastPath; ++k) {
        shards.push_back(a.weightsManifest[r.layout[i]->group].paths[k]);
      }
    }
    j["shards"] = shards;
    weights.push_back(std::move(j));
  }
  if (show.weights) out["weights"] = weights;
  Json integrity = {{"ok", r.problems.empty()}};
  Json ps = Json::array();
  for (const auto& p : r.problems) ps.push_back(problemJson(p));
  integrity["problems"] = ps;
  if (show.integrity) out["integrity"] = integrity;
  return out;
}

// The text report, section by section.
void renderText(const Inspection& r, const Sections& show) {
  const ModelArtifacts& a = r.artifacts;
  const Json& tc = r.trainingConfig;
  if (show.metadata) {
    std::printf("Model: %s\n", r.model.c_str());
    std::printf("  format:       %s%s\n", r.graph ? "graph-model" : "layers-model",
                a.format ? "" : " (no 'format' key: inferred)");
    std::printf("  generatedBy:  %s\n", orDash(a.generatedBy).c_str());
    std::printf("  convertedBy:  %s\n", orDash(a.convertedBy).c_str());
    if (!r.kerasVersion.empty()) {
      std::printf("  keras:        %s%s\n", r.kerasVersion.c_str(),
                  r.backend.empty() ? "" : fmt::format(" (backend {})", r.backend).c_str());
    }
    std::printf("\n");
  }
  if (!show.summary) {
  } else if (r.summary) {
    std::printf("%s", formatSummary(*r.summary).c_str());
    for (const auto& n : r.summary->notes) std::printf("note: %s\n", n.c_str());
    std::printf("\n");
  } else if (r.gsum) {
    std::printf("Graph: %d nodes, %d functions", r.gsum->nodeCount, r.gsum->functionCount);
    if (!r.gsum->producer.empty()) std::printf(", producer %s", r.gsum->producer.c_str());
    if (r.gsum->initializerNodeCount)
      std::printf(", initializer %d nodes", r.gsum->initializerNodeCount);
    std::printf("\n");
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : r.gsum->inputs)
      rows.push_back({"input", t.name, t.tensor, t.dtype, t.shape});
    for (const auto& t : r.gsum->outputs) {
      rows.push_back({"output", t.name, t.tensor, t.dtype, t.shape});
    }
    printTable(rows, {}, "  ");
    std::printf("  ops:");
    int col = 0;
    for (const auto& [op, n] : r.gsum->opCounts) {
      std::printf("%s %s×%d", col++ % 6 == 0 ? "\n   " : "", op.c_str(), n);
    }
    if (r.unsupportedOps.empty()) {
      std::printf("\n  runs natively: yes (tfjs predict, tfjs bench)\n\n");
    } else {
      std::printf("\n  runs natively: no, ops not run yet:");
      for (const auto& [op, nodes] : r.unsupportedOps)
        std::printf(" %s×%zu", op.c_str(), nodes.size());
      std::printf("\n\n");
    }
  } else if (!r.summaryError.empty()) {
    std::printf("Summary unavailable: %s\n\n", r.summaryError.c_str());
  } else {
    std::printf("No model topology (weights only).\n\n");
  }
  if (show.training && !tc.is_null()) {
    std::printf("Training config:\n");
    std::printf("  loss:       %s\n", compactJson(tc.value("loss", Json(nullptr))).c_str());
    std::printf("  optimizer:  %s\n", optimizerText(tc).c_str());
    std::printf("  metrics:    %s\n", compactJson(tc.value("metrics", Json(nullptr))).c_str());
    std::printf("\n");
  }
  if (show.manifest) {
    size_t files = 0;
    for (const auto& g : a.weightsManifest) files += g.paths.size();
    std::printf(
        "Weights manifest: %zu group(s), %zu file(s), %zu weight(s), %s elements, %s "
        "bytes\n",
        a.weightsManifest.size(), files, r.specs.size(), withCommas(r.elements).c_str(),
        withCommas(r.weightBytes).c_str());
    for (size_t gi = 0; gi < a.weightsManifest.size(); ++gi) {
      const auto& g = a.weightsManifest[gi];
      std::printf("  group %zu: %zu weight(s)\n", gi + 1, g.weights.size());
      std::vector<std::vector<std::string>> rows;
      for (size_t k = 0; k < g.paths.size(); ++k) {
        rows.push_back({g.paths[k], k < g.pathSizes.size() ? withCommas(g.pathSizes[k]) + " bytes"
                                                           : std::string()});
      }
      printTable(rows, {false, true}, "    ");
    }
    std::printf("\n");
  }
  if (show.weights) {
    std::vector<std::vector<std::string>> rows = {{"#", "name", "shape", "dtype",
                                                   "storage / quantization", "group", "offset",
                                                   "bytes", "shard(s)"}};
    for (size_t i = 0; i < r.specs.size(); ++i) {
      const WeightSpec& w = *r.specs[i];
      rows.push_back(
          {std::to_string(i), w.name, shapeText(w.shape), std::string(dtypeName(w.dtype)),
           quantText(w), r.layout[i] ? std::to_string(r.layout[i]->group + 1) : "?",
           r.layout[i] ? withCommas(r.layout[i]->byteOffset) : "?",
           r.layout[i] ? withCommas(r.layout[i]->byteLength) : "?", shardsText(a, r.layout[i])});
    }
    printTable(rows, {true, false, false, false, false, true, true, true, false}, "  ");
    std::printf("\n");
  }
  if (!show.integrity) return;
  if (r.problems.empty()) {
    std::printf("Integrity: OK — every group's bytes match its manifest exactly\n");
  } else {
    std::printf("Integrity: %zu problem(s)\n", r.problems.size());
    for (const auto& p : r.problems) std::printf("  %s\n", p.toString().c_str());
  }
}

}  // namespace

void registerInspect(CLI::App& app, Runner& run) {
  auto* cmd =
      app.add_subcommand("inspect",
                         "show a model: metadata, a Keras-style summary (or a graph's ops), the "
                         "training config, the weights manifest and the integrity verdict");
  auto args = std::make_shared<ModelArgs>();
  auto json = std::make_shared<bool>(false);
  auto show = std::make_shared<Sections>();
  args->add(*cmd);
  cmd->add_flag("--json", *json, "print one JSON document (keys documented in the README)");
  cmd->add_flag("--metadata", show->metadata,
                "show the metadata (format, generatedBy, convertedBy, Keras version)");
  cmd->add_flag("--summary", show->summary,
                "show the Keras-style summary (graph models: inputs, outputs, ops)");
  cmd->add_flag("--training", show->training, "show the training config");
  cmd->add_flag("--manifest", show->manifest, "show the weights manifest's groups and files");
  cmd->add_flag("--weights", show->weights,
                "show the per-weight table (shape, dtype, quantization, group, offset, bytes, "
                "shards)");
  cmd->add_flag("--integrity,--verdict", show->integrity, "show the integrity verdict");
  cmd->footer(
      "Section flags may be combined (e.g. --summary --integrity); none: every section. With "
      "--json they choose the keys, as the README lists them per section.");
  cmd->callback([&run, args, json, show] {
    show->allIfNone();
    run = [args, json, show]() -> int {
      const Inspection r = collect(*args);
      if (*json) {
        std::printf("%s\n", jsonText(renderJson(r, *show)).c_str());
      } else {
        renderText(r, *show);
      }
      return r.problems.empty() ? kOk : kProblems;
    };
  });
}

}  // namespace tfjs::cli
