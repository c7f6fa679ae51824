// The graph ops of the ragged family (ragged ops): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> raggedOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
