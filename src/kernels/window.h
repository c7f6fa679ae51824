// The geometry of a windowed op (convolution, pooling) on up to three spatial dimensions, and
// its resolution from the input size, kernel, strides, dilations and padding mode exactly as
// tfjs-core computes it. Below both runtimes: the layers and the graph ops fill a Window, the
// kernels iterate it; it knows neither layers nor graphs.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "tfjs/error.h"

namespace tfjs::kernels {

// The geometry of a windowed op on up to three spatial dimensions (depth, height, width); lower
// ranks put 1s in front (a 1-D op is depth 1, height 1), as TF.js runs conv1d as a conv2d.
struct Window {
  std::array<int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, stride{1, 1, 1}, dilation{1, 1, 1},
      pad{0, 0, 0};  // pad: before (top/left/front), may be negative (3-D)
};

// Fills out and pad from in, k, stride, dilation as tfjs-core's computeConv2DInfo /
// computeConv3DInfo do: 'same' gives ceil(in / stride) and pads floor(total / 2) before;
// 'valid' gives ceil((in - effective + 1) / stride). The 2-D path clamps the total padding at 0;
// the 3-D path (conv3d, maxPool3d, avgPool3d) does not, so with a kernel smaller than the stride
// the window starts after the first element there. `who` names the layer or op in errors
// ("layer 'conv1'").
inline void resolveWindow(Window& w, bool same, bool clampPad, const std::string& who) {
  for (size_t i = 0; i < 3; ++i) {
    const int64_t eff = w.k[i] + (w.k[i] - 1) * (w.dilation[i] - 1);
    if (same) {
      w.out[i] = (w.in[i] + w.stride[i] - 1) / w.stride[i];
      int64_t total = (w.out[i] - 1) * w.stride[i] + eff - w.in[i];
      if (clampPad) total = std::max<int64_t>(total, 0);
      // JS Math.floor(total / 2), also for a negative total.
      w.pad[i] = total >= 0 ? total / 2 : -((-total + 1) / 2);
    } else {
      const int64_t len = w.in[i] - eff + 1;
      w.out[i] = len > 0 ? (len + w.stride[i] - 1) / w.stride[i] : 0;
      w.pad[i] = 0;
    }
    if (w.out[i] <= 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: an input of spatial size {} is too small for a window "
                              "of {} with padding 'valid'",
                              who, w.in[i], eff));
    }
  }
}

}  // namespace tfjs::kernels
