// keras/saved_model.h — reading a tf.keras 2.x SavedModel (`model.save(dir)`) without TensorFlow.
//
// Internal header (not installed). readKerasSavedModel() returns what tensorflowjs_converter's
// keras_saved_model path sees after tf_keras.models.load_model + save(h5), i.e. what
// keras::readKerasH5 returns for that .h5 (checked bit for bit on a real SavedModel/.h5 pair):
//  - kerasVersion, backend, modelConfig, trainingConfig: the root node's JSON in
//    `keras_metadata.pb` (node_path "root"), rewritten as the .h5 holds it: Keras's SavedModel
//    encodings `{"class_name": "__tuple__" | "TensorShape", "items": [...]}` become plain lists
//    and the SavedModel-only `shared_object_id` keys are dropped. A root without model_config (a
//    subclassed model) is kUnsupported, as it is for the converter.
//  - layers: one per entry of model.layers (the root's `layer-<i>` edges in the checkpoint's
//    object graph `_CHECKPOINTABLE_OBJECT_GRAPH`), named by its metadata's "name", plus the
//    `top_level_model_weights` group Keras writes for the model's own weights (normally empty);
//    weightless layers (Flatten, ...) are listed with no weights, as in the .h5. Sorted by name,
//    as h5py lists `model_weights`.
//  - a layer's weights: in `layer.weights` order (the layer's `variables` list in the object
//    graph, else its variable children ordered as in the model's `variables` list), named by the
//    variable's TF name + ":0" ("dense/kernel:0"; Normalization's are "mean:0", "variance:0",
//    "count:0" because Keras creates them outside the layer's name scope). Optimizer slots and
//    iterations, and metric variables, are not model weights and are never read.
//  - values from the `variables/` TensorBundle (keras/tensor_bundle.h), dtypes converted as the
//    converter's write_weights does: float16/float64 -> float32, int64 -> int32 (wrapping),
//    float32, int32 and bool kept; anything else is kUnsupported.
// Spec: ../shared/spec/tfjs-format.md §10.
//
// Every byte is untrusted: block handles, varints, entry offsets and sizes, shard ids and shapes
// are checked (and overflow-checked) before use; CRC32C checksums are verified; protobufs are
// parsed with libprotobuf from our own minimal .proto files (src/keras/proto/). Errors are
// tfjs::Error naming the file (and the key or weight): kNotFound (no folder, no saved_model.pb,
// no variables.index, a missing data shard), kInvalidArgument (a file instead of a folder),
// kUnsupported (no keras_metadata.pb: not a Keras SavedModel — convert it as a graph model, the
// tf_saved_model path; a subclassed model; a dtype, a partitioned variable, a big-endian or
// Snappy-compressed bundle this reader does not handle), kSchema (corrupt protobuf, JSON, table
// or object graph; a checksum mismatch), kTruncated (a cut index, an entry beyond its shard),
// kTooLarge (KerasReadOptions caps). With options.readWeights false the layers are listed without
// weights (the index and object graph are still read). Thread-compatible.
#pragma once

#include <string>

#include "keras/keras_file.h"

namespace tfjs::keras {

// True when `dir` is a folder with saved_model.pb. Never throws.
bool looksLikeSavedModel(const std::string& dir);

// Reads the SavedModel folder `dir`. Throws tfjs::Error as described above.
KerasFile readKerasSavedModel(const std::string& dir, const KerasReadOptions& options = {});

}  // namespace tfjs::keras
