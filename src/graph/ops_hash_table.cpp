// The graph ops of the hash table family (hash tables): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> hashTableOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
