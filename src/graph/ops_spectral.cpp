// The graph ops of the spectral family (FFT and the complex64 ops): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> spectralOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
