// model/layers_model_rep.h — what a LayersModel holds (its Rep), shared by the model's API
// (layers_model.cpp) and training's access to it (graph_trainer.cpp). Internal header.
#pragma once

#include <memory>
#include <string>

#include "model/graph_trainer.h"
#include "model/layer_graph.h"
#include "tfjs/layers_model.h"

namespace tfjs {

struct LayersModel::Rep {
  ModelArtifacts artifacts;  // keeps the weight buffer the layers view
  std::unique_ptr<internal::Graph> graph;
  std::string summary;
  ModelOptions options;    // threads and kernel choice for predict
  int64_t batchChunk = 0;  // samples per pass in predict (0: never split)
  internal::BoundWeights
      bound;     // what each layer views (the loaded buffer, or `owned` once trained)
  Buffer owned;  // the model's own copy of its variables (made by the first fit)
  std::shared_ptr<internal::TrainingState> training;  // compile()'s choices and the optimizer
};

}  // namespace tfjs
