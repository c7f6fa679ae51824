// keras/saved_model.h — reading a tf.keras 2.x SavedModel (`model.save(dir)`) without TensorFlow.
//
// Internal header (not installed). readKerasSavedModel() does what tensorflowjs_converter's
// keras_saved_model path gets from tf_keras.models.load_model + save(h5): the model config and
// Keras version from `keras_metadata.pb` (the root node's metadata JSON), and every weight's value
// from the `variables/` TensorBundle (the SSTable index `variables.index` and its data shards),
// linked to its layer through the checkpoint's object graph (`_CHECKPOINTABLE_OBJECT_GRAPH`),
// named by the variable's full name ("dense/kernel") and ordered as the .h5 the converter writes
// would order them. Spec: ../shared/spec/tfjs-format.md §10.
//
// Every byte is untrusted: block handles, varints, entry offsets and sizes, shard ids and shapes
// are checked (and overflow-checked) before use; CRC32C checksums are verified; protobufs are
// parsed with libprotobuf from our own minimal .proto files. Errors are tfjs::Error naming the
// file (and the key): kNotFound (no saved_model.pb / variables), kUnsupported (no
// keras_metadata.pb: not a Keras SavedModel; a dtype or a sliced tensor this reader does not
// handle), kSchema (corrupt protobuf, JSON or table), kTruncated (an entry beyond its shard),
// kTooLarge (KerasReadOptions caps). Thread-compatible.
#pragma once

#include <string>

#include "keras/keras_file.h"

namespace tfjs::keras {

// True when `dir` is a folder with saved_model.pb. Never throws.
bool looksLikeSavedModel(const std::string& dir);

// Reads the SavedModel folder `dir`. Throws tfjs::Error as described above.
KerasFile readKerasSavedModel(const std::string& dir, const KerasReadOptions& options = {});

}  // namespace tfjs::keras
