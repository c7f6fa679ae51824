// The graph ops of the evaluation family (Unique, LowerBound, UpperBound, ListDiff): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> evaluationOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
