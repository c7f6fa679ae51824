// A layers or a graph model as `tfjs predict` and `tfjs bench` run it: loaded once from any
// location tfjs reads, its inputs (name, shape, dtype) and default outputs, and one call that
// runs it on tensors in input order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "tfjs/graph_model.h"
#include "tfjs/layers_model.h"

namespace tfjs::cli {

class Runnable {
 public:
  // Loads MODEL: a graph model becomes a GraphModel, anything else a LayersModel.
  static Runnable open(const ModelArgs& model, const RunArgs& run, bool progress);

  bool isGraph() const { return graph_ != nullptr; }
  const LayersModel* layers() const { return layers_.get(); }
  const std::vector<TensorInfo>& inputs() const { return inputs_; }
  // The outputs run() gives without `fetch`: output layers, or the graph's outputNodes.
  const std::vector<std::string>& outputNames() const { return outputNames_; }
  // Runs on xs (in inputs() order); for a graph model, `fetch` names any node outputs
  // ("node", "node:k", signature keys) instead of the default outputs. A float32 value for an
  // int32 or bool graph input is converted when every value is a whole number (or 0 / 1).
  std::vector<Tensor> run(const std::vector<Tensor>& xs,
                          const std::vector<std::string>& fetch = {}) const;

 private:
  std::shared_ptr<const LayersModel> layers_;
  std::shared_ptr<const GraphModel> graph_;
  std::vector<TensorInfo> inputs_;
  std::vector<std::string> outputNames_;
};

}  // namespace tfjs::cli
