// The graph ops of the reduction family beyond sum / mean / max / min / prod (All, Any, Cumsum, Cumprod, Bincount): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> reductionOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
