// keras/keras3_state.h — the Keras 3 state tree of a model config, shared by the `.keras` reader
// (keras_zip.cpp) and the Keras writers (keras_writers.cpp): which `layers/<class>[_n]/vars` group
// holds which of a layer's variables, how nested models and wrapped layers nest, and Keras's legacy
// weight order for `.h5` files.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "keras/keras_file.h"
#include "model/variables.h"
#include "tfjs/artifacts.h"

namespace tfjs::keras::state {

// --- small helpers -------------------------------------------------------------------------

bool startsWith(const std::string& s, const std::string& p);

std::string stringOr(const Json& j, const char* key, const std::string& def = {});

// --- Keras 3's state tree --------------------------------------------------------------------

bool isModelClass(const std::string& c);

bool isRnnClass(const std::string& c);

// The class Keras 3 instantiates for a config's class_name (its saving_lib names state by it).
std::string keras3Class(const std::string& c);

// A model config's layer list (topology::layerList); Error(kSchema) naming `file` when it has none.
const Json& requireLayerList(const Json& model, const std::string& file);

std::string layerName(const Json& layer);

const Json& layerConfig(const Json& layer);

// One layer of the state tree (nested models are walked through, not listed).
struct Slot {
  std::vector<std::string> modelPath;  // enclosing nested models, outer first
  std::string name;
  std::string className;
  const Json* layer = nullptr;  // {class_name, config, ...}
  std::string statePath;        // "layers/dense_1"
};

// A nested model's own state group.
struct ModelState {
  std::string statePath;  // "" for the root model
  std::string name;
};

struct StateTree {
  std::vector<Slot> slots;
  std::vector<ModelState> models;
};

// The container's layers as Keras 3 lists them: a Sequential's leading InputLayer is not one of
// its `layers` (Sequential.layers drops it); a Functional model lists its InputLayers.
void walkModel(const Json& model, std::vector<std::string>& modelPath, const std::string& prefix,
               StateTree& tree, const std::string& file, int depth);

StateTree stateTree(const Json& modelConfig, const std::string& file);

// One `vars` group of the state tree: its path, how many of the layer's variables (in order) it
// holds, and the object name Keras records in its `name` attribute.
struct VarGroup {
  std::string path;
  size_t count = 0;
  std::string objectName;
};

// The `vars` groups of a layer whose variables (n, in TF.js order) are `n`, in variable order.
void varGroups(const Json& layer, const std::string& statePath, size_t n,
               std::vector<VarGroup>& out, const std::string& file, int depth);

std::string modelKey(const std::vector<std::string>& modelPath, const std::string& layer);

// The layers' variables (model/variables.h) keyed by model path + layer name.
std::unordered_map<std::string, const LayerVariables*> indexVariables(
    const std::vector<LayerVariables>& vars);

// One weight of a KerasFile / an h5 layer group, before ordering.
struct OrderedWeight {
  bool trainable = true;
  NamedTensor tensor;
};

// Keras's `_legacy_weights(layer)` order within one top-level entry: the trainable weights, then
// the non-trainable ones, each in layer order. `trainable` already includes the layers' and
// enclosing models' `trainable` flags.
std::vector<NamedTensor> legacyOrder(std::vector<OrderedWeight> ws);

bool configTrainable(const Json* layer);

// Layer configs by model path + name, with whether the layer and its enclosing models are
// trainable.
void indexConfigs(const Json& model, std::vector<std::string>& path, bool trainable,
                  std::unordered_map<std::string, bool>& out, int depth);

}  // namespace tfjs::keras::state
