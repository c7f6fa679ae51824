// The graph ops of the transform family (MirrorPad, space / batch / depth moves, Reverse, scatter /
// gather ND): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> transformOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
