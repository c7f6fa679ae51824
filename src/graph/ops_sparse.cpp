// The graph ops of the sparse family (sparse ops): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> sparseOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
