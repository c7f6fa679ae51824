// Helpers shared by the spatial families (conv.cpp, pooling.cpp, padding.cpp): data formats,
// output lengths and 'same' padding exactly as tfjs-layers / tfjs-core compute them, and the
// channels_first <-> channels_last transposes TF.js wraps around its NHWC kernels.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>

#include "layers/layer.h"

namespace tfjs::layers::spatial {

// data_format: true for channels_first. Keras writes channels_last / channels_first; TF.js's
// camelCase spellings are accepted too. Absent means channels_last (TF.js's default).
inline bool channelsFirst(const Config& c) {
  const std::string f = c.string("data_format", "channels_last");
  if (f == "channels_last" || f == "channelsLast") return false;
  if (f == "channels_first" || f == "channelsFirst") return true;
  c.unsupported(fmt::format("data_format '{}'", f));
}

// padding: true for 'same', false for 'valid'; anything else is refused (TF.js refuses 'causal'
// with NotImplementedError in every conv op).
inline bool samePadding(const Config& c) {
  const std::string p = c.string("padding", "valid");
  if (p == "valid") return false;
  if (p == "same") return true;
  if (p == "causal") c.unsupported("padding 'causal' (TF.js 4.22 does not implement it either)");
  c.unsupported(fmt::format("padding '{}'", p));
}

// tfjs-layers convOutputLength (build-time shapes); -1 stays unknown.
inline int64_t convOutputLength(int64_t in, int64_t k, bool same, int64_t stride,
                                int64_t dilation = 1) {
  if (in < 0) return -1;
  const int64_t effective = k + (k - 1) * (dilation - 1);
  const int64_t len = same ? in : in - effective + 1;
  if (len <= 0) return 0;
  return (len + stride - 1) / stride;
}

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
// the window starts after the first element there. `name` names the layer in errors.
inline void resolveWindow(Window& w, bool same, bool clampPad, const std::string& name) {
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
                  fmt::format("layer '{}': an input of spatial size {} is too small for a window "
                              "of {} with padding 'valid'",
                              name, w.in[i], eff));
    }
  }
}

// [N, C, d1..dk] -> [N, d1..dk, C].
inline Array toChannelsLast(const Array& x) {
  const int64_t n = x.shape[0], c = x.shape[1];
  const int64_t inner = n * c != 0 ? x.size() / (n * c) : 0;
  Shape s = {n};
  s.insert(s.end(), x.shape.begin() + 2, x.shape.end());
  s.push_back(c);
  Array y(s);
  for (int64_t b = 0; b < n; ++b) {
    const float* xb = x.data.data() + b * c * inner;
    float* yb = y.data.data() + b * c * inner;
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t i = 0; i < inner; ++i) yb[i * c + ch] = xb[ch * inner + i];
    }
  }
  return y;
}

// [N, d1..dk, C] -> [N, C, d1..dk].
inline Array toChannelsFirst(const Array& x) {
  const int64_t n = x.shape[0], c = x.shape.back();
  const int64_t inner = n * c != 0 ? x.size() / (n * c) : 0;
  Shape s = {n, c};
  s.insert(s.end(), x.shape.begin() + 1, x.shape.end() - 1);
  Array y(s);
  for (int64_t b = 0; b < n; ++b) {
    const float* xb = x.data.data() + b * c * inner;
    float* yb = y.data.data() + b * c * inner;
    for (int64_t i = 0; i < inner; ++i) {
      for (int64_t ch = 0; ch < c; ++ch) yb[ch * inner + i] = xb[i * c + ch];
    }
  }
  return y;
}

// Refuses a build-time input shape of another rank.
// Refuses non-positive kernel sizes, strides or dilations, and strides > 1 together with
// dilation > 1 (TF.js: "Either strides or dilations must be 1").
inline void checkConvWindow(const Config& c, const std::vector<int64_t>& kernel,
                            const std::vector<int64_t>& strides,
                            const std::vector<int64_t>& dilation) {
  bool strided = false, dilated = false;
  for (size_t i = 0; i < kernel.size(); ++i) {
    if (kernel[i] <= 0) c.unsupported(fmt::format("kernel_size {}", kernel[i]));
    if (strides[i] <= 0) c.unsupported(fmt::format("strides {}", strides[i]));
    if (dilation[i] <= 0) c.unsupported(fmt::format("dilation_rate {}", dilation[i]));
    strided |= strides[i] > 1;
    dilated |= dilation[i] > 1;
  }
  if (strided && dilated) {
    c.unsupported(
        "strides > 1 together with dilation_rate > 1 (TF.js: 'Either strides or "
        "dilations must be 1')");
  }
}

inline void checkRank(const Config& c, const Shape& s, size_t rank) {
  if (s.size() != rank) {
    c.unsupported(fmt::format("an input of rank {} (expected {})", s.size(), rank));
  }
}

}  // namespace tfjs::layers::spatial
