// tfjs/io.h — loading and saving TF.js models: folders, model.json paths, file:// and http(s)://.
//
// loadModel() resolves weight files the way TF.js does: next to model.json (a folder means its
// model.json), or for URLs by cutting the model URL at its last '/' and appending the model URL's
// query string to every weight URL. Every byte is validated before use (see validateModel), and
// every problem comes back as a tfjs::Error naming the file or URL, the weight and the byte range.
//
// saveModel() writes model.json and the shards atomically: everything goes to a temporary sibling
// folder that is renamed into place only when complete, so a failed save leaves nothing behind and
// an existing model is never clobbered unless SaveOptions::overwrite is set.
//
// All functions are thread-safe; they share no state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs/artifacts.h"

namespace tfjs {

struct LoadOptions {
  // Extra request headers for http(s) (model.json and every shard), e.g. Authorization.
  std::map<std::string, std::string> headers;
  // Used verbatim in place of the model URL's folder for weight files (TF.js weightPathPrefix).
  std::string weightPathPrefix;
  // Allow weight URLs (through weightPathPrefix or absolute manifest paths) on another origin.
  bool allowCrossOrigin = false;
  // Follow symlinks that lead out of the model's folder (off: such a shard is a path-escape).
  bool allowSymlinkEscape = false;
  // Give up on a connection that cannot be made in this many seconds, or a transfer that moves
  // no byte for this many seconds.
  double connectTimeoutSeconds = 30;
  double stallTimeoutSeconds = 30;
  int maxRedirects = 10;
  // Limits on untrusted input.
  uint64_t maxModelJsonBytes = 512ull << 20;
  uint64_t maxWeightBytes = 64ull << 30;
  // Read only model.json (weightsLoaded stays false).
  bool skipWeights = false;
  // Called with a fraction in [0, 1] as weight bytes arrive; 1.0 is always the last call.
  std::function<void(double)> onProgress;
};

// Loads a model from a folder, a model.json path, a file:// URL or an http(s):// URL. Throws
// tfjs::Error when anything is missing, unreadable, inconsistent or unsafe.
ModelArtifacts loadModel(const std::string& location, const LoadOptions& options = {});

// Everything that is wrong with a model, without throwing: the empty list means intact.
// `artifacts`, when given, receives what could be loaded.
std::vector<Problem> validateModel(const std::string& location, const LoadOptions& options = {},
                                   ModelArtifacts* artifacts = nullptr);

// Checks loaded artifacts (schema, sizes, strings); the empty list means intact.
std::vector<Problem> validateArtifacts(const ModelArtifacts& artifacts);

struct SaveOptions {
  uint64_t shardSizeBytes = 4194304;  // the converter's default (4 MiB)
  bool overwrite = false;             // replace an existing model folder
  std::string modelFileName = "model.json";
  int indent = -1;  // model.json indentation; -1 = compact, as the converter
  // Make the files durable before returning: every file and both folders are fsync'ed before and
  // after the rename, so a power loss cannot leave a model folder whose shards were never
  // written. Off by default, as `cp`, tensorflowjs_converter and TF.js's own savers do: the
  // rename already keeps a failed or interrupted save from leaving anything behind, and waiting
  // for the disk costs about as much as writing the files (bench/RESULTS.md, convert section).
  bool sync = false;
};

// Writes `artifacts` to `dir` as model.json plus groupG-shardKofN.bin files (the manifest's paths
// are rewritten to those names). Requires artifacts.weightsLoaded (or no weights). Atomic:
// written into a temporary sibling folder that is renamed into place, removed on any failure.
void saveModel(const ModelArtifacts& artifacts, const std::string& dir,
               const SaveOptions& options = {});

// Writes one file atomically, as the library's own writers do (.h5, .keras, .npy): the bytes go
// to a temporary file beside `path` that is renamed into place only when complete, so a failure
// leaves nothing behind. Throws Error(kExists) when `path` exists and `overwrite` is off.
struct WriteFileOptions {
  bool overwrite = false;
  bool sync = false;  // fsync the file and its folder (durable across a power loss)
};
void writeFileAtomic(const std::string& path, std::string_view bytes,
                     const WriteFileOptions& options = {});

// True for http:// and https:// locations.
bool isHttpUrl(const std::string& location);

}  // namespace tfjs
