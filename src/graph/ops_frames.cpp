// The graph ops of the frames family (control flow v1: Enter, Exit, Switch, Merge, NextIteration,
// LoopCond): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> framesOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
