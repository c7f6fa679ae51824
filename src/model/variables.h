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

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs {

struct LayerVariable {
  std::string name;  // e.g. "kernel", "forward_lstm/kernel" (Bidirectional), "alpha"
  std::vector<int64_t> shape;
  bool trainable = true;
  // Other full names the variable binds by when `<layer>/<name>` finds no weight, tried in
  // order: Keras's names of a stacked RNN's cell weights (`rnn/stacked_rnn_cells/lstm_cell/
  // kernel`, `rnn/lstm_cell/kernel` for TF.js's `rnn/RNNCell_0/kernel`, when the cells' names
  // are distinct), and for a TimeDistributed over a nested model the inner layer's own
  // `<inner layer>/<variable>` (TF.js's name). The runtime's binding tries them.
  std::vector<std::string> aliases;
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

// Which stored weight a variable `<layer>/<variable>` binds to, as tfjs-layers binds them: the
// weight's name itself (":0" ignored) first, then TF.js's fallback (the second-to-last component
// dropped: lstm/lstm_cell/kernel), then Keras 3's model-name prefixes stripped
// (sequential/dense/kernel), alone or with the fallback (sequential/gru/gru_cell/kernel). Used by
// the runtime's weight binding and by the Keras writers, so both bind alike.
// "a/b/c" -> {"a", "b", "c"} (a weight name's scopes; "" parts kept).
std::vector<std::string> splitWeightName(const std::string& name);

class WeightNameIndex {
 public:
  // names[i] is weight i's stored name; weights with skip[i] set (optimizer state) never bind.
  WeightNameIndex(const std::vector<std::string>& names, const std::vector<bool>& skip);
  // The index of the weight `key` binds to, or SIZE_MAX.
  size_t find(const std::string& key) const;
  // The same, trying `aliases` in order when `key` finds nothing (LayerVariable::aliases).
  size_t find(const std::string& key, const std::vector<std::string>& aliases) const;

 private:
  std::unordered_map<std::string, size_t> exact_, fallback_;
};

}  // namespace tfjs
