// The graph ops of the normalization family (FusedBatchNorm, LRN, LogSoftmax, EuclideanNorm):
// ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> normalizationOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
