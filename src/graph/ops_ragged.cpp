// The graph ops of the ragged family: none. TF.js 4.22's operation mapper does not load the ragged
// op list (tfjs-converter's OperationMapper lists no `ragged` ops), so a graph model with
// RaggedGather, RaggedRange or RaggedTensorToTensor fails to load in TF.js ("Unknown op
// 'RaggedGather'"); tfjs-cpp refuses them the same way, at load, as ops it does not run.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> raggedOps() {
  return {};  // TF.js runs none (see above)
}

}  // namespace tfjs::graph
