// The tfjs-converter 0.x graph format (io/legacy_graph.h): the GraphDef decoded by
// format/graph_def_pb.h, the manifest checked by the one model.json parser.
#include "io/legacy_graph.h"

#include <fmt/format.h>

#include <filesystem>

#include "format/graph_def_pb.h"
#include "io/files.h"

namespace fs = std::filesystem;

namespace tfjs::io {

std::optional<LegacyGraphFiles> findLegacyGraph(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  const auto st = fs::status(p, ec);
  if (ec) return std::nullopt;
  if (fs::is_directory(st)) {
    if (fs::exists(p / "model.json", ec) || !fs::exists(p / kLegacyGraphFile, ec)) {
      return std::nullopt;
    }
    return LegacyGraphFiles{(p / kLegacyGraphFile).string(), (p / kLegacyManifestFile).string()};
  }
  if (fs::is_regular_file(st) && p.extension() == ".pb" && p.filename() != "saved_model.pb") {
    return LegacyGraphFiles{p.string(), (p.parent_path() / kLegacyManifestFile).string()};
  }
  return std::nullopt;
}

ModelArtifacts readLegacyGraph(const LegacyGraphFiles& files, const LoadOptions& options,
                               std::vector<Problem>& problems) {
  std::error_code ec;
  if (!fs::exists(files.manifest, ec)) {
    problems.push_back({ErrorCode::kNotFound,
                        fmt::format("{} has no {} beside it (a tfjs-converter 0.x graph model "
                                    "is the GraphDef and its weights manifest, side by side)",
                                    fs::path(files.graph).filename().string(), kLegacyManifestFile),
                        files.manifest, "", std::nullopt});
    return {};
  }
  Json topology;
  Json manifest;
  try {
    const std::string graph =
        readFileCapped(files.graph, options.maxModelJsonBytes, "the GraphDef (.pb)");
    topology = format::graphDefToJson(graph, files.graph);
    const std::string text =
        readFileCapped(files.manifest, options.maxModelJsonBytes, kLegacyManifestFile);
    try {
      manifest = Json::parse(text);
    } catch (const Json::parse_error& e) {
      problems.push_back({ErrorCode::kInvalidJson,
                          fmt::format("the weights manifest is not JSON: {}", e.what()),
                          files.manifest, "", std::nullopt});
      return {};
    }
  } catch (const Error& e) {
    for (const auto& p : e.problems()) problems.push_back(p);
    return {};
  }
  if (!manifest.is_array()) {
    problems.push_back({ErrorCode::kSchema,
                        fmt::format("the weights manifest is a JSON {}, not an array of weight "
                                    "groups",
                                    manifest.type_name()),
                        files.manifest, "", std::nullopt});
    return {};
  }
  // The one model.json parser checks the manifest (every rule of weightsManifest) and keeps the
  // topology as it is; the manifest's paths are relative to its folder, as model.json's are.
  Json model = Json::object();
  model["format"] = "graph-model";
  model["modelTopology"] = std::move(topology);
  model["weightsManifest"] = std::move(manifest);
  return parseModelJson(model.dump(), files.manifest, problems);
}

}  // namespace tfjs::io
