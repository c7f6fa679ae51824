// convert/tfjs_check.h — what the real TF.js 4.22 tf.loadLayersModel accepts: the check
// (tfjs::tfjsLoadProblems in tfjs/convert.h) and the Keras 3 repair both conversions use.
//
// Internal header (not installed). The Keras 3 repair rewrites a Keras 3 model config into the
// Keras 2 form TF.js 4.22 loads: InputLayer `batch_shape` -> `batch_input_shape`; dict inbound
// nodes ({"args": [...], "kwargs": {...}}) -> nested lists; single or dict
// `input_layers`/`output_layers` -> lists of triples; DTypePolicy objects -> dtype names;
// `module` / `registered_name` removed; activation "silu" -> "swish"; LeakyReLU `negative_slope`
// -> `alpha`. It is idempotent, and leaves a Keras 2 config as it is.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "tfjs/artifacts.h"

namespace tfjs::convert {

// Layer classes tfjs-layers 4.22 registers (serialization.registerClass): the `tfjs` column of the
// layer-class table (layers/layer.h), checked against the pinned @tensorflow/tfjs's
// SerializationMap by tests/layer_classes_test.cpp.
bool tfjsRegistersLayerClass(const std::string& className);

// Visits every layer entry of a model config (Sequential / Functional `layers`, nested models,
// wrapper `layer`s, RNN `cell`s).
void forEachLayer(const Json& modelConfig, const std::function<void(const Json&)>& f);

// The layer's name (top-level `name`, else config.name), or "".
std::string layerNameOf(const Json& layer);

// The Keras 3 repair of a model config or training config, in place; `notes` receives one
// sentence per kind of rewrite made (nothing for a Keras 2 config).
void normalizeKeras3(Json& j, std::set<std::string>& notes);

// Keras 3 stores Variable.path ("sequential/dense/kernel", "sequential/gru/gru_cell/kernel");
// TF.js binds "<layer>/<weight>" (and drops an RNN cell scope itself). The path from the owning
// layer's name on; for a nested model, from after the model's name.
std::string keras3WeightName(const std::string& stored, const std::string& layer,
                             bool layerIsModel);

// The Keras 3 repair of a TF.js layers model's artifacts (as the real converter writes a Keras 3
// model): the topology's model and training configs, and weight names under the model's own
// name ("sequential/dense/kernel" -> "dense/kernel"; the bytes are kept). Notes as above, each
// prefixed "Keras 3: ".
void repairKeras3Artifacts(ModelArtifacts& a, std::vector<std::string>& notes);

}  // namespace tfjs::convert
