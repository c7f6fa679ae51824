// model/topology.h — a Keras model config (model.json's modelTopology, a Keras .h5's
// model_config, a .keras config.json) read into one normalized description: the layers in order,
// each with its class, name, config and the inbound tensors of each of its calls, and the model's
// inputs and outputs. Keras 2 (nested lists of [layer, node, tensor, kwargs]), Keras 3 (dict
// nodes holding __keras_tensor__ objects, flat or dict input_layers / output_layers) and
// tfjs-layers' spellings read alike. A Sequential becomes the functional form it stands for (an
// InputLayer, then each layer called once on the one before).
//
// Internal header (not installed). Errors are tfjs::Error(kSchema) naming what is malformed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"

namespace tfjs::topology {

// A reference to the `tensor`-th output of the `node`-th call of layer `layer`.
struct Ref {
  std::string layer;
  size_t node = 0;
  size_t tensor = 0;
};

struct LayerDesc {
  std::string className;
  std::string name;
  Json config;                          // the layer's "config"
  std::vector<std::vector<Ref>> nodes;  // inbound tensors of each call
  Json full;                            // the whole layer entry (for nested models)
};

struct ModelDesc {
  std::string name;
  std::vector<LayerDesc> layers;
  std::vector<Ref> inputs;
  std::vector<Ref> outputs;
};

// Sequential, Functional or Model: a class whose config is a model.
bool isModelClass(const std::string& className);

// The batch input shape a layer config declares (batch_input_shape, batch_shape, or input_shape /
// input_dim with a batch dimension added; -1 for an unknown dimension), if any.
std::optional<std::vector<int64_t>> declaredShape(const Json& layerConfig);

// True when a nested model's config starts from its own input (an InputLayer, a declared input
// shape, or any functional model), as opposed to a Sequential whose build was deferred.
bool hasOwnInput(const LayerDesc& nested);

// The normalized description of a model config ({"class_name", "config"}).
ModelDesc describe(const Json& modelConfig);

}  // namespace tfjs::topology
