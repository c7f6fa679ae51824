// keras/keras_zip.h — the Keras 3 `.keras` zip (config.json, metadata.json, model.weights.h5), read
// and written in memory with libzip and libhdf5, and the Keras `.h5` writer.
//
// Internal header (not installed). Spec: ../shared/spec/tfjs-format.md §9.
//
// readKerasZip() returns what tensorflowjs_converter reads from a .keras (config.json, kept in
// Keras 3 form, as the model config; metadata.json's keras_version; backend ""; compile_config
// as trainingConfig) with the weights taken from model.weights.h5's state tree
// (`layers/<snake_case class>[_n]/vars/0..`, RNN cells under `cell/`, Bidirectional halves under
// `forward_layer/` and `backward_layer/`, TimeDistributed under `layer/`, nested models under
// their own `layers/`; Keras 2.13-2.15's `_layer_checkpoint_dependencies` too). Which variable is
// which comes from model/variables.h, so a layer class the runtime cannot build is kUnsupported.
// Weights are named as TF.js binds them ("dense/kernel"), one KerasLayerWeights per top-level
// layer (a nested model is one entry) in layer-name order, trainable weights before
// non-trainable ones: the order the converter writes a Keras .h5's weights in, so a .keras and
// the .h5 of the same model give the same KerasFile. The archive is untrusted: it is never
// extracted to disk; member names that escape the archive, members (or a whole archive) that
// decompress beyond the caps (KerasReadOptions: the weights file may hold 4 x maxTotalBytes +
// 64 MiB, as optimizer slots live there too; config.json 64 MiB) and members whose bytes differ
// from the zip directory's sizes are refused. With options.readWeights false, model.weights.h5
// is not read and `layers` is empty.
//
// writeKerasH5() writes a TF.js layers model as tf_keras's model.save('x.h5') lays it out through
// h5py 3: root keras_version and backend as UTF-8 variable-length strings, model_config and
// training_config (the topology's, else the top-level trainingConfig) as ASCII ones;
// model_weights with layer_names, backend, keras_version; a group per layer of model.layers (a
// Sequential's leading InputLayer excluded) with weight_names "<TF.js name>:0" and the float32
// datasets at those paths; top_level_model_weights; long name lists split as Keras splits them.
// keras_version is the topology's when it is a Keras 2 or 3 version, else 2.15.0. Weights come
// from decodeWeights (quantized weights are dequantized) and are matched to the topology's
// variables as TF.js matches them: a variable without a weight, or a weight without a variable,
// is kSchema. Optimizer weights are not written.
//
// writeKerasZip() writes the .keras Keras 3 saves: metadata.json {keras_version (the topology's
// when 3.x, else 3.0.0), date_saved}, config.json in Keras 3 form (module / registered_name on
// every layer and on initializers, regularizers and constraints; Model as Functional; a
// Sequential's batch_input_shape moved to a leading InputLayer with batch_shape; GRU without
// reset_after given reset_after false, TF.js's semantics; dtypes left as plain strings, which
// Keras 3 accepts; Keras 2 inbound_nodes kept, which Keras 3 reads; no compile_config), and
// model.weights.h5 built in memory (HDF5 core driver) with the state tree above, each `vars`
// group named by a `name` attribute as current Keras does; members stored uncompressed, as
// Python's zipfile writes them for Keras.
//
// Both writers are atomic: a temporary file in the output's folder (fsynced when asked), renamed
// into place with RENAME_NOREPLACE; an existing output is never replaced (kExists) and nothing
// is left behind on failure.
//
// Errors are tfjs::Error naming the file. Not thread-safe (libhdf5 has global state).
#pragma once

#include <string>

#include "format/keras_names.h"
#include "keras/keras_file.h"

namespace tfjs::keras {

using tfjs::kerasSnakeCase;  // format/keras_names.h

// True when `path` is a zip archive with config.json. Never throws.
bool looksLikeKerasZip(const std::string& path);

KerasFile readKerasZip(const std::string& path, const KerasReadOptions& options = {});

// sync: fsync the file and its folder around the rename (durable across a power loss).
// overwrite: replace an existing file (by the same atomic rename); otherwise kExists.
void writeKerasH5(const ModelArtifacts& artifacts, const std::string& path, bool sync = false,
                  bool overwrite = false);
void writeKerasZip(const ModelArtifacts& artifacts, const std::string& path, bool sync = false,
                   bool overwrite = false);

}  // namespace tfjs::keras
