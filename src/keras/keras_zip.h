// keras/keras_zip.h — the Keras 3 `.keras` zip (config.json, metadata.json, model.weights.h5), read
// and written in memory with libzip and libhdf5, and the Keras `.h5` writer.
//
// Internal header (not installed). Spec: ../shared/spec/tfjs-format.md §9.
//
// readKerasZip() returns what tensorflowjs_converter reads from a .keras (config.json as the
// model config, metadata.json's keras_version) with the weights taken from model.weights.h5's
// state tree (`layers/<name>/vars/0..`) and named as TF.js binds them ("dense/kernel", in each
// layer's variable order). The archive is untrusted: it is never extracted to disk, member names
// that escape the archive and members that decompress beyond the caps are refused.
//
// writeKerasH5() / writeKerasZip() write a TF.js layers model's artifacts as a Keras 2 `.h5`
// (model_config, keras_version, backend, model_weights/<layer>/<weight> with weight_names) and
// as a `.keras` zip in Keras 3's layout, atomically (a temporary file renamed into place; an
// existing output is never replaced).
//
// Errors are tfjs::Error naming the file. Not thread-safe (libhdf5 has global state).
#pragma once

#include <string>

#include "keras/keras_file.h"

namespace tfjs::keras {

// True when `path` is a zip archive with config.json. Never throws.
bool looksLikeKerasZip(const std::string& path);

KerasFile readKerasZip(const std::string& path, const KerasReadOptions& options = {});

void writeKerasH5(const ModelArtifacts& artifacts, const std::string& path);
void writeKerasZip(const ModelArtifacts& artifacts, const std::string& path);

}  // namespace tfjs::keras
