// model/variables.h — the variables a layers model's topology declares, without any weights.
//
// Internal header (not installed). listModelVariables() builds the model from its Keras topology
// (the same builder LayersModel::fromArtifacts uses, so every layer class the runtime knows and
// every spelling it accepts) and returns each layer that owns variables, depth first through
// nested models, with the variables in the layer's own order (the order Keras and TF.js list a
// layer's weights: Dense kernel, bias; BatchNormalization gamma, beta, moving_mean,
// moving_variance; an LSTM's cell kernel, recurrent_kernel, bias; ...). The name each variable
// binds by is `<layer>/<variable>` (TF.js's name). Throws tfjs::Error as fromArtifacts does
// (kUnsupported naming a layer class the runtime does not know, kSchema for a malformed topology).
// Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs {

struct LayerVariable {
  std::string name;  // e.g. "kernel", "forward_lstm/kernel" (Bidirectional), "alpha"
  std::vector<int64_t> shape;
  bool trainable = true;
};

struct LayerVariables {
  std::vector<std::string>
      modelPath;          // names of the nested models containing the layer (outer first)
  std::string layer;      // the layer's name
  std::string className;  // its Keras class
  std::vector<LayerVariable> variables;
};

// `modelTopology` is a model.json's modelTopology (or a bare {class_name, config} model config).
std::vector<LayerVariables> listModelVariables(const Json& modelTopology);

}  // namespace tfjs
