// tfjs/convert.h — `tensorflowjs_converter`, natively: Keras files to TF.js layers models and
// back.
//
// convertModel() reads a model in one format and writes it in another, with the Python
// converter's options, defaults and output. Supported in this version:
//
//   keras (Keras 2 or Keras 3 full-model .h5, or a save_weights .h5) -> tfjs_layers_model
//   keras_keras (a Keras 3 .keras zip, read in memory) -> tfjs_layers_model
//   keras_saved_model (a tf.keras 2.x SavedModel folder: the Keras config from keras_metadata.pb,
//     or from saved_model.pb's object graph for TF 2.0-2.4) -> tfjs_layers_model
//   tfjs_layers_model -> tfjs_layers_model (re-shard, re-quantize, de-quantize; the groups and
//     weight order are kept, where the converter goes through a temporary .h5 and so writes one
//     group in layer-name order; the Keras 3 forms the real converter writes for a Keras 3
//     model are repaired as for a Keras 3 .h5 below, unless keepKeras3Topology is set)
//   tfjs_layers_model -> keras (a Keras 2 layout .h5) or keras_keras (a Keras 3 .keras), float32
//
// Other pairs of the converter (graph models, keras_saved_model output) are refused with
// ErrorCode::kUnsupported.
//
// The output of a Keras .h5 is what tensorflowjs_converter writes: the topology
// {keras_version, backend, model_config, training_config?} with the converter's legacy class
// renames, `format` "layers-model", `generatedBy` "keras v<version>", one weight group in the
// converter's order (or one per layer), names without ":0", float32 bytes identical, the same
// quantization codes and shard names. On purpose it differs in four places:
//   * `convertedBy` is "tfjs-cpp v<version>";
//   * Keras 3 files are rewritten into the Keras 2 form TF.js 4.22 loads (InputLayer
//     `batch_shape` -> `batch_input_shape`; dict inbound nodes -> nested lists; single or dict
//     `input_layers`/`output_layers` -> lists of triples; DTypePolicy objects -> dtype names;
//     `module` / `registered_name` removed; activation "silu" -> "swish"; weight names without
//     the model's name, e.g. "sequential/dense/kernel" -> "dense/kernel"), unless
//     keepKeras3Topology is set, which writes exactly what the converter writes;
//   * Lambda layers (marshalled Python code) are refused, and so are layer classes neither TF.js
//     nor tfjs-cpp can deserialize (custom classes, TensorFlowOpLayer) unless allowCustomClasses
//     is set; Keras classes only tfjs-cpp runs are converted with a note (the converter converts
//     all of these silently, and TF.js then fails to load the model). Nothing in a file is ever
//     executed;
//   * Keras preprocessing layers TF.js 4.22 cannot load are rewritten into layers it loads and
//     computes the same (convert/tfjs_compat.h): the random augmentation layers, the identity
//     at inference, are left out; Normalization becomes BatchNormalization or Rescaling; each
//     rewrite gives a note. keepPreprocessingLayers keeps the original classes (for an app that
//     registers its own).
//
// A .keras input gives the topology {keras_version, model_config} (config.json without
// build_config / compile_config) and a SavedModel the one its keras_metadata.pb holds; both then
// follow the .h5 rules above. Conversion is atomic: the output folder (or file) appears complete
// or not at all, and an existing output is replaced only with `overwrite` (the new output is
// written beside it and renamed into place; the old one is removed only then). Functions are
// thread-compatible (libhdf5 is not re-entrant: do not convert two .h5 files at once from different
// threads).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"
#include "tfjs/weights.h"

namespace tfjs {

struct ConvertOptions {
  // "keras", "keras_keras", "keras_saved_model", "tfjs_layers_model"; "" = detect from the input
  // (HDF5 signature -> keras; a folder or .json with model.json -> tfjs_layers_model).
  std::string inputFormat;
  // "tfjs_layers_model", "keras", "keras_keras", ...; "" = the converter's default for the input
  // (keras -> tfjs_layers_model, tfjs_layers_model -> keras).
  std::string outputFormat;
  // --quantize_uint8 / --quantize_uint16 / --quantize_float16 (see weights.h).
  QuantizationMap quantization;
  uint64_t weightShardSizeBytes = 4194304;  // --weight_shard_size_bytes; must be > 0
  bool splitWeightsByLayer = false;         // --split_weights_by_layer (keras input only)
  // --metadata key:file.json,...: each file's JSON becomes userDefinedMetadata[key].
  std::vector<std::pair<std::string, std::string>> metadata;
  // Write a Keras 3 model's topology and names as they are (a Keras 3 .h5, .keras, or a TF.js
  // model the real converter made from one), rather than in the form TF.js 4.22 loads.
  bool keepKeras3Topology = false;
  bool allowCustomClasses = false;  // convert classes neither TF.js nor tfjs-cpp know (not Lambda)
  bool keepPreprocessingLayers = false;  // Keras inputs: no rewrite for TF.js (see above)
  // --report: ConvertResult::quantized describes every quantized weight. --sample: the model's
  // inputs (one tensor per input) run on the float32 and on the quantized weights with the
  // native runtime; ConvertResult::sample gives the largest output difference. Both need a
  // quantization and a tfjs_layers_model output.
  bool report = false;
  std::vector<Tensor> sample;
  // Wait until the output is on the disk before returning (SaveOptions::sync; for .h5 / .keras
  // outputs the file and its folder are fsync'ed). Off by default, as tensorflowjs_converter.
  bool sync = false;
  // Replace an existing output (folder or file), atomically; otherwise kExists.
  bool overwrite = false;
};

struct QuantizationReport {
  std::string name;
  std::string dtype;                 // "uint8", "uint16", "float16"
  std::optional<double> min, scale;  // affine quantization only
  uint64_t elements = 0;
  double maxAbsError = 0;  // max |float32 value - dequantized value|
};

struct SampleDifference {
  std::string output;           // the output layer's name
  double maxAbsDifference = 0;  // max |float32 model's output - quantized model's output|
  double maxAbsValue = 0;       // max |float32 model's output| (for scale)
};

struct ConvertResult {
  std::string inputFormat;
  std::string outputFormat;
  std::string kerasVersion;                   // "" for tfjs inputs
  size_t weights = 0;                         // weight tensors written
  size_t groups = 0;                          // weight groups
  size_t files = 0;                           // shard files
  uint64_t bytes = 0;                         // weight bytes written
  std::vector<std::string> notes;             // what was rewritten (Keras 3 normalization, ...)
  std::vector<QuantizationReport> quantized;  // with ConvertOptions::report or sample
  std::vector<SampleDifference> sample;       // with ConvertOptions::sample
  std::string sampleError;  // why the sample could not run (a layer the runtime refuses), or ""
};

// The Keras .h5 at `path` as the artifacts the converter would write (weights loaded, one
// placeholder path per group until saved). Throws tfjs::Error (see keras reader and above).
ModelArtifacts kerasH5ToArtifacts(const std::string& path, const ConvertOptions& options = {},
                                  std::vector<std::string>* notes = nullptr);

// The artifacts the converter writes for a Keras input of `inputFormat` ("keras": .h5,
// "keras_keras": .keras zip, "keras_saved_model": a tf.keras SavedModel folder).
ModelArtifacts kerasToArtifacts(const std::string& input, const std::string& inputFormat,
                                const ConvertOptions& options = {},
                                std::vector<std::string>* notes = nullptr);

// The input format detected for `input` ("keras", "tfjs_layers_model", "tfjs_graph_model" (also
// tfjs-converter 0.x's tensorflowjs_model.pb folder), "keras_keras", "keras_saved_model");
// throws kInvalidArgument when it cannot be told.
std::string detectInputFormat(const std::string& input);

// A model from any format tfjs reads, in memory: a local Keras .h5, .keras archive or tf.keras
// SavedModel folder is converted as `tfjs convert` would (preprocessing layers the runtime runs
// are kept, `notes` receives the rewrites); anything else is a TF.js model read by loadModel().
// What loadLayersModel and the tfjs commands read.
ModelArtifacts loadAnyModel(const std::string& location, const LoadOptions& load = {},
                            std::vector<std::string>* notes = nullptr);

// What the real TF.js 4.22 tf.loadLayersModel refuses in a layers model (or silently computes
// otherwise), one Problem (ErrorCode::kTfjsIncompatible) per finding, naming the layer: an
// InputLayer with Keras 3's `batch_shape` and no `batch_input_shape`, or with a DTypePolicy
// object as its dtype; dict inbound nodes ({"args", "kwargs"}); a single or dict
// `input_layers` / `output_layers`; layer classes TF.js does not register; activations it does
// not know (e.g. "silu"); GRU / GRUCell with reset_after true; LeakyReLU with `negative_slope`
// and no `alpha` (TF.js computes with 0.3); weight names under the model's own name
// ("sequential/dense/kernel", which TF.js cannot bind). Each was checked against the real TF.js.
// Empty for graph models and models with no topology. `file` is put in each Problem;
// `repairable` (optional) is set when convertModel to tfjs_layers_model repairs at least one of
// them (the Keras 3 forms; not the classes, unknown activations other than "silu", or GRU
// reset_after).
std::vector<Problem> tfjsLoadProblems(const ModelArtifacts& artifacts, const std::string& file = {},
                                      bool* repairable = nullptr);

// Converts `input` to `output` (a folder for tfjs_layers_model). Throws tfjs::Error;
// kUnsupported for pairs this version does not convert, kExists when `output` exists (unless
// ConvertOptions::overwrite).
ConvertResult convertModel(const std::string& input, const std::string& output,
                           const ConvertOptions& options = {});

}  // namespace tfjs
