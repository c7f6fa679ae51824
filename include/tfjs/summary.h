// tfjs/summary.h — what a model is made of, as Keras's model.summary() and a graph's op census.
//
// summarizeLayersModel() reads a layers model's Keras topology (Sequential, Functional/Model,
// nested models; Keras 2, Keras 3 and tfjs-layers spellings) and returns one row per layer with
// its class, output shape, parameter count and inbound connections, as Keras prints them.
// Parameter counts come from the layer configs; where a layer's weights are in the manifest
// they are cross-checked. summarizeGraphModel() lists a GraphDef's inputs, outputs and the
// number of nodes per op. Pure functions of the artifacts; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"

namespace tfjs {

struct LayerSummary {
  std::string name;
  std::string className;
  // Output shapes, Keras style: "(None, 28, 28, 32)"; one per output tensor; "?" when unknown.
  std::vector<std::string> outputShapes;
  uint64_t params = 0;
  uint64_t trainableParams = 0;
  uint64_t nonTrainableParams = 0;
  bool paramsKnown = true;               // false when the class is not understood
  std::vector<std::string> connectedTo;  // "conv2d[0][0]" (functional models only)
  int depth = 0;                         // nesting depth (layers of a nested model: 1, ...)
};

struct ModelSummary {
  std::string name;         // model name ("sequential")
  std::string className;    // "Sequential", "Functional", "Model"
  bool functional = false;  // print a "Connected to" column
  std::vector<LayerSummary> layers;
  uint64_t totalParams = 0;
  uint64_t trainableParams = 0;
  uint64_t nonTrainableParams = 0;
  std::vector<std::string> inputShapes;  // model inputs, Keras style
  std::vector<std::string> outputShapes;
  std::vector<std::string> notes;  // e.g. "layer 'x' (MyLayer): unknown class, shape ?"
};

// Throws tfjs::Error(kSchema) when the topology is not a Keras model config.
ModelSummary summarizeLayersModel(const ModelArtifacts& artifacts);

// Renders the summary as Keras does (a table with a title line and param totals).
std::string formatSummary(const ModelSummary& summary, int width = 98);

struct GraphTensorInfo {
  std::string name;    // signature key, or node name
  std::string tensor;  // "x:0"
  std::string dtype;   // "DT_FLOAT" as written; "" if unknown
  std::string shape;   // "[-1,224,224,3]" or "?"
};

struct GraphSummary {
  std::vector<GraphTensorInfo> inputs;
  std::vector<GraphTensorInfo> outputs;
  std::map<std::string, int> opCounts;  // op -> number of nodes (main graph and functions)
  int nodeCount = 0;
  int functionCount = 0;
  int initializerNodeCount = 0;
  std::string producer;  // versions.producer
};

GraphSummary summarizeGraphModel(const ModelArtifacts& artifacts);

}  // namespace tfjs
