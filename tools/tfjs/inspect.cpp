// tfjs inspect MODEL [--json] — metadata, summary, training config, manifest, integrity.
#include <fmt/format.h>

#include <cstdio>

#include "common.h"
#include "tfjs/summary.h"

namespace tfjs::cli {
namespace {

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
    j["outputShape"] = l.outputShapes.size() == 1 ? Json(l.outputShapes[0]) : Json(l.outputShapes);
    j["params"] = l.params;
    j["trainableParams"] = l.trainableParams;
    j["nonTrainableParams"] = l.nonTrainableParams;
    j["connectedTo"] = l.connectedTo;
    j["depth"] = l.depth;
    layers.push_back(std::move(j));
  }
  return layers;
}

}  // namespace

void registerInspect(CLI::App& app, Runner& run) {
  auto* cmd =
      app.add_subcommand("inspect",
                         "show a model: metadata, a Keras-style summary (or a graph's ops), the "
                         "training config, the weights manifest and the integrity verdict");
  auto args = std::make_shared<ModelArgs>();
  auto json = std::make_shared<bool>(false);
  args->add(*cmd);
  cmd->add_flag("--json", *json, "print one JSON document (keys documented in the README)");
  cmd->callback([&run, args, json] {
    run = [args, json]() -> int {
      ModelArtifacts a;
      auto problems = validateModel(args->model, args->loadOptions(true), &a);
      // Nothing to show when model.json itself could not be read or parsed.
      if (!problems.empty() && a.keyOrder.empty()) throw Error(problems);
      const bool graph = a.inferredFormat() == ModelFormat::kGraph;
      std::optional<ModelSummary> summary;
      std::optional<GraphSummary> gsum;
      std::string summaryError;
      try {
        if (graph) {
          gsum = summarizeGraphModel(a);
        } else if (!a.modelTopology.is_null()) {
          summary = summarizeLayersModel(a);
        }
      } catch (const Error& e) {
        summaryError = e.what();
      }
      const auto specs = a.weightSpecs();
      const auto layout = layoutOf(a);
      const Json tc = trainingConfigOf(a);
      const Json& topo = a.modelTopology;
      const std::string kerasVersion =
          topo.is_object() && topo.contains("keras_version") && topo["keras_version"].is_string()
              ? topo["keras_version"].get<std::string>()
              : "";
      const std::string backend =
          topo.is_object() && topo.contains("backend") && topo["backend"].is_string()
              ? topo["backend"].get<std::string>()
              : "";
      uint64_t weightBytes = 0, elements = 0;
      for (size_t i = 0; i < specs.size(); ++i) {
        if (layout[i]) weightBytes += layout[i]->byteLength;
        uint64_t n = 1;
        for (auto d : specs[i]->shape) n *= static_cast<uint64_t>(d);
        elements += n;
      }

      if (*json) {
        Json out = Json::object();
        out["model"] = args->model;
        out["format"] = graph ? "graph-model" : "layers-model";
        out["formatField"] = a.format ? Json(*a.format) : Json(nullptr);
        out["generatedBy"] = a.generatedBy ? Json(*a.generatedBy) : Json(nullptr);
        out["convertedBy"] = a.convertedBy ? Json(*a.convertedBy) : Json(nullptr);
        out["kerasVersion"] = kerasVersion.empty() ? Json(nullptr) : Json(kerasVersion);
        out["backend"] = backend.empty() ? Json(nullptr) : Json(backend);
        if (summary) {
          out["modelName"] = summary->name;
          out["className"] = summary->className;
          out["layers"] = layersJson(*summary);
          out["totalParams"] = summary->totalParams;
          out["trainableParams"] = summary->trainableParams;
          out["nonTrainableParams"] = summary->nonTrainableParams;
          out["notes"] = summary->notes;
        } else {
          out["layers"] = Json::array();
          out["totalParams"] = elements;
        }
        if (gsum) {
          Json g = Json::object();
          auto infos = [](const std::vector<GraphTensorInfo>& v) {
            Json arr = Json::array();
            for (const auto& t : v) {
              arr.push_back(
                  {{"name", t.name}, {"tensor", t.tensor}, {"dtype", t.dtype}, {"shape", t.shape}});
            }
            return arr;
          };
          g["inputs"] = infos(gsum->inputs);
          g["outputs"] = infos(gsum->outputs);
          g["nodeCount"] = gsum->nodeCount;
          g["functionCount"] = gsum->functionCount;
          g["initializerNodeCount"] = gsum->initializerNodeCount;
          g["opCounts"] = gsum->opCounts;
          out["graph"] = g;
        }
        out["trainingConfig"] = tc;
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
        out["groups"] = groups;
        Json weights = Json::array();
        for (size_t i = 0; i < specs.size(); ++i) {
          const WeightSpec& w = *specs[i];
          Json j = Json::object();
          j["name"] = w.name;
          j["shape"] = w.shape;
          j["dtype"] = std::string(dtypeName(w.dtype));
          j["storageDtype"] =
              std::string(dtypeName(w.quantization ? w.quantization->dtype : w.dtype));
          if (w.quantization) {
            Json q = {{"dtype", std::string(dtypeName(w.quantization->dtype))}};
            q["min"] = w.quantization->min ? Json(*w.quantization->min) : Json(nullptr);
            q["scale"] = w.quantization->scale ? Json(*w.quantization->scale) : Json(nullptr);
            j["quantization"] = q;
          } else {
            j["quantization"] = nullptr;
          }
          j["weightGroup"] = w.group ? Json(*w.group) : Json(nullptr);
          j["group"] = layout[i] ? Json(layout[i]->group + 1) : Json(nullptr);
          j["byteOffset"] = layout[i] ? Json(layout[i]->byteOffset) : Json(nullptr);
          j["byteLength"] = layout[i] ? Json(layout[i]->byteLength) : Json(nullptr);
          Json shards = Json::array();
          if (layout[i] && a.weightsLoaded && layout[i]->byteLength) {
            for (size_t k = layout[i]->firstPath; k <= layout[i]->lastPath; ++k) {
              shards.push_back(a.weightsManifest[layout[i]->group].paths[k]);
            }
          }
          j["shards"] = shards;
          weights.push_back(std::move(j));
        }
        out["weights"] = weights;
        out["weightBytes"] = weightBytes;
        Json integrity = {{"ok", problems.empty()}};
        Json ps = Json::array();
        for (const auto& p : problems) ps.push_back(problemJson(p));
        integrity["problems"] = ps;
        out["integrity"] = integrity;
        std::printf("%s\n", jsonText(out).c_str());
        return problems.empty() ? kOk : kProblems;
      }

      std::printf("Model: %s\n", args->model.c_str());
      std::printf("  format:       %s%s\n", graph ? "graph-model" : "layers-model",
                  a.format ? "" : " (no 'format' key: inferred)");
      std::printf("  generatedBy:  %s\n", orDash(a.generatedBy).c_str());
      std::printf("  convertedBy:  %s\n", orDash(a.convertedBy).c_str());
      if (!kerasVersion.empty()) {
        std::printf("  keras:        %s%s\n", kerasVersion.c_str(),
                    backend.empty() ? "" : fmt::format(" (backend {})", backend).c_str());
      }
      std::printf("\n");
      if (summary) {
        std::printf("%s", formatSummary(*summary).c_str());
        for (const auto& n : summary->notes) std::printf("note: %s\n", n.c_str());
        std::printf("\n");
      } else if (gsum) {
        std::printf("Graph: %d nodes, %d functions", gsum->nodeCount, gsum->functionCount);
        if (!gsum->producer.empty()) std::printf(", producer %s", gsum->producer.c_str());
        if (gsum->initializerNodeCount)
          std::printf(", initializer %d nodes", gsum->initializerNodeCount);
        std::printf("\n");
        for (const auto& t : gsum->inputs) {
          std::printf("  input   %-28s %-16s %-10s %s\n", t.name.c_str(), t.tensor.c_str(),
                      t.dtype.c_str(), t.shape.c_str());
        }
        for (const auto& t : gsum->outputs) {
          std::printf("  output  %-28s %-16s %-10s %s\n", t.name.c_str(), t.tensor.c_str(),
                      t.dtype.c_str(), t.shape.c_str());
        }
        std::printf("  ops:");
        int col = 0;
        for (const auto& [op, n] : gsum->opCounts) {
          std::printf("%s %s×%d", col++ % 6 == 0 ? "\n   " : "", op.c_str(), n);
        }
        std::printf("\n\n");
      } else if (!summaryError.empty()) {
        std::printf("Summary unavailable: %s\n\n", summaryError.c_str());
      } else {
        std::printf("No model topology (weights only).\n\n");
      }
      if (!tc.is_null()) {
        std::printf("Training config:\n");
        std::printf("  loss:       %s\n", compactJson(tc.value("loss", Json(nullptr))).c_str());
        std::printf("  optimizer:  %s\n", optimizerText(tc).c_str());
        std::printf("  metrics:    %s\n", compactJson(tc.value("metrics", Json(nullptr))).c_str());
        std::printf("\n");
      }
      size_t files = 0;
      for (const auto& g : a.weightsManifest) files += g.paths.size();
      std::printf(
          "Weights manifest: %zu group(s), %zu file(s), %zu weight(s), %s elements, %s "
          "bytes\n",
          a.weightsManifest.size(), files, specs.size(), withCommas(elements).c_str(),
          withCommas(weightBytes).c_str());
      for (size_t gi = 0; gi < a.weightsManifest.size(); ++gi) {
        const auto& g = a.weightsManifest[gi];
        std::printf("  group %zu: %zu weight(s)\n", gi + 1, g.weights.size());
        for (size_t k = 0; k < g.paths.size(); ++k) {
          std::printf("    %-32s %s\n", g.paths[k].c_str(),
                      k < g.pathSizes.size()
                          ? fmt::format("{:>12} bytes", withCommas(g.pathSizes[k])).c_str()
                          : "");
        }
      }
      std::printf("\n  %-3s %-40s %-16s %-9s %-30s %5s %10s %10s  %s\n", "#", "name", "shape",
                  "dtype", "storage / quantization", "group", "offset", "bytes", "shard(s)");
      for (size_t i = 0; i < specs.size(); ++i) {
        const WeightSpec& w = *specs[i];
        std::printf("  %-3zu %-40s %-16s %-9s %-30s %5s %10s %10s  %s\n", i, w.name.c_str(),
                    shapeText(w.shape).c_str(), std::string(dtypeName(w.dtype)).c_str(),
                    quantText(w).c_str(),
                    layout[i] ? std::to_string(layout[i]->group + 1).c_str() : "?",
                    layout[i] ? withCommas(layout[i]->byteOffset).c_str() : "?",
                    layout[i] ? withCommas(layout[i]->byteLength).c_str() : "?",
                    shardsText(a, layout[i]).c_str());
      }
      std::printf("\n");
      if (problems.empty()) {
        std::printf("Integrity: OK — every group's bytes match its manifest exactly\n");
      } else {
        std::printf("Integrity: %zu problem(s)\n", problems.size());
        for (const auto& p : problems) std::printf("  %s\n", p.toString().c_str());
      }
      return problems.empty() ? kOk : kProblems;
    };
  });
}

}  // namespace tfjs::cli
