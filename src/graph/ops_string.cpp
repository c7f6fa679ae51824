// The graph ops of the string family (string ops): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> stringOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
