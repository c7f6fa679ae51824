// The graph ops of the tensor array family (TensorArrayV3 and its reads, writes, gathers,
// scatters): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> tensorArrayOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
