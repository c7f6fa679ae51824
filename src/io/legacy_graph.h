// io/legacy_graph.h — the graph format of tfjs-converter 0.x (before TF.js 1.0): a folder holding
// tensorflowjs_model.pb (a binary TensorFlow GraphDef whose Const nodes carry no values) and
// weights_manifest.json (the weights manifest array, as model.json's weightsManifest), the shards
// beside them. TF.js 1.0 and later no longer read it; loadModel does, as a graph model whose
// modelTopology is the GraphDef in the JSON form the current converter writes
// (format/graph_def_pb.h), so everything built on loadModel (inspect, validate, predict,
// loadGraphModel, convert) takes it. Internal to src/io.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tfjs/io.h"

namespace tfjs::io {

inline constexpr const char* kLegacyGraphFile = "tensorflowjs_model.pb";
inline constexpr const char* kLegacyManifestFile = "weights_manifest.json";

struct LegacyGraphFiles {
  std::string graph;     // the GraphDef (.pb)
  std::string manifest;  // weights_manifest.json beside it
};

// The 0.x files that `path` names: a folder holding tensorflowjs_model.pb and no model.json, or
// the path of a .pb file (other than a SavedModel's saved_model.pb). nullopt for anything else.
std::optional<LegacyGraphFiles> findLegacyGraph(const std::string& path);

// Reads the GraphDef and the manifest (not the weights) into graph-model artifacts. Problems are
// appended to `problems` (kNotFound: no weights_manifest.json; kTooLarge: a .pb or manifest over
// options.maxModelJsonBytes; kTruncated / kSchema: a GraphDef that does not decode;
// kInvalidJson / kSchema: a bad manifest, with every rule of model.json's weightsManifest).
ModelArtifacts readLegacyGraph(const LegacyGraphFiles& files, const LoadOptions& options,
                               std::vector<Problem>& problems);

}  // namespace tfjs::io
