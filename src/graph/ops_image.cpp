// The graph ops of the image family (CropAndResize, ImageProjectiveTransformV3): ops.h.
#include "graph/ops.h"

namespace tfjs::graph {

std::span<const OpRow> imageOps() {
  return {};  // no op yet
}

}  // namespace tfjs::graph
