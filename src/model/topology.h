// model/topology.h — a Keras model config (model.json's modelTopology, a Keras .h5's
// model_config, a .keras config.json) read into one normalized description: the layers in order,
// each with its class, name, config and the inbound tensors of each of its calls, and the model's
// inputs and outputs. Keras 2 (nested lists of [layer, node, tensor, kwargs]), Keras 3 (dict
// nodes holding __keras_tensor__ objects, flat or dict input_layers / output_layers) and
// tfjs-layers' spellings read alike. A Sequential becomes the functional form it stands for (an
// InputLayer, then each layer called once on the one before).
//
// Two modes. kStrict (the runtime, the builder): anything malformed is a tfjs::Error(kSchema)
// naming it. kTolerant (the summary, which must describe whatever it is given): nothing in a
// layer entry throws; a reference that does not parse is left out, an entry without a class_name
// is class "?", a model without a layer list has no layers, a Sequential whose first layer
// declares no input gets an InputLayer without a shape.
//
// Internal header (not installed).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"

namespace tfjs::topology {

enum class Mode { kStrict, kTolerant };

// A reference to the `tensor`-th output of the `node`-th call of layer `layer` (the node index as
// the config writes it).
struct Ref {
  std::string layer;
  size_t node = 0;
  size_t tensor = 0;
  // The tensor's shape as Keras 3 records it beside the reference (-1: None), if it does.
  std::optional<std::vector<int64_t>> shape;
};

struct LayerDesc {
  std::string className;
  std::string name;
  Json config;                          // the layer's "config"
  std::vector<std::vector<Ref>> nodes;  // inbound tensors of each call (positional arguments)
  // Per call, the tensors passed as keyword arguments (Keras 3 "kwargs": mask, initial_state,
  // ...), in the order the config lists them; as many entries as `nodes`.
  std::vector<std::vector<Ref>> keywordTensors;
  Json full;  // the whole layer entry (for nested models)
};

struct ModelDesc {
  std::string name;
  std::vector<LayerDesc> layers;
  std::vector<Ref> inputs;
  std::vector<Ref> outputs;
};

// The layer list of a model config ({"class_name", "config"}): "config" itself when it is a list
// (an old Sequential), else config["layers"] when that is a list; nullptr otherwise. The one
// place that rule lives: the converter and the Keras readers and writers walk lists through it.
const Json* layerList(const Json& modelConfig);
Json* layerList(Json& modelConfig);

// Sequential, Functional or Model: a class whose config is a model.
bool isModelClass(const std::string& className);

// The batch input shape a layer config declares (batch_input_shape, batch_shape, or input_shape /
// input_dim with a batch dimension added; -1 for an unknown dimension), if any.
std::optional<std::vector<int64_t>> declaredShape(const Json& layerConfig);

// True when a nested model's config starts from its own input (an InputLayer, a declared input
// shape, or any functional model), as opposed to a Sequential whose build was deferred.
bool hasOwnInput(const LayerDesc& nested);

// The normalized description of a model config ({"class_name", "config"}).
ModelDesc describe(const Json& modelConfig, Mode mode = Mode::kStrict);

// Every Keras 3 tensor ({"class_name": "__keras_tensor__", ...}) inside `j`, in order (tolerant:
// one without a readable keras_history is left out).
std::vector<Ref> kerasTensors(const Json& j);

// input_layers / output_layers in any spelling (a list of triples, one flat triple, a dict of
// triples), tolerant: what does not parse is left out.
std::vector<Ref> endpoints(const Json& j);

// One call's inbound tensors as Keras 2 and tfjs-layers write them: [[layer, node, tensor, {}]...].
// `kwargs` is each triple's fourth element (the call's non-tensor keyword arguments).
Json keras2Node(const std::vector<Ref>& refs, const Json& kwargs = Json::object());

// A reference as a [layer, node, tensor] triple.
Json triple(const Ref& ref);

}  // namespace tfjs::topology
