// The graph ops of the creation family (Ones, Zeros, LinSpace, the random ops): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> creationOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
