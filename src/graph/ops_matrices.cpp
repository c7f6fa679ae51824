// The graph ops of the matrices family (BatchMatMul, Einsum, MatrixBandPart): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> matrixOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
