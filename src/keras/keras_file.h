// keras/keras_file.h — a Keras model file as read, before it becomes TF.js artifacts.
//
// Internal header (not installed). Every Keras reader (HDF5 `.h5` in keras/h5.h, the Keras 3
// `.keras` zip in keras/keras_zip.h, the tf.keras SavedModel in keras/saved_model.h) produces a
// KerasFile; convert.cpp turns a KerasFile into the artifacts tensorflowjs_converter writes. The
// fields are what the converter's keras_h5_conversion.py reads from an .h5: the root attributes
// and, per layer, the weights in the order the converter would write them, named as Keras names
// the variables ("dense/kernel:0", or "dense/kernel"; convert strips ":0").
#pragma once

#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs::keras {

struct KerasLayerWeights {
  std::string name;                  // the layer's name (its h5 group)
  std::vector<NamedTensor> weights;  // names as stored (e.g. "dense/kernel:0"), not normalized
};

struct KerasFile {
  std::string path;
  bool weightsOnly = false;  // save_weights file: no model_config
  std::string kerasVersion;  // "" when the file does not say
  std::string backend;       // "" when the file does not say
  Json modelConfig;          // {class_name, config, ...}; null when absent
  Json trainingConfig;       // Keras 2 `training_config` (or Keras 3 compile_config); null if none
  std::vector<KerasLayerWeights> layers;
};

// Limits every Keras reader enforces before it reads or allocates.
struct KerasReadOptions {
  uint64_t maxDatasetBytes = 4ull << 30;  // one weight, after conversion to 4-byte values
  uint64_t maxTotalBytes = 64ull << 30;   // all weights together
  bool readWeights = true;                // false: topology and attributes only
};

}  // namespace tfjs::keras
