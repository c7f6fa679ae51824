// Helpers shared by the spatial families (conv.cpp, pooling.cpp, padding.cpp): data formats,
// output lengths and 'same' padding exactly as tfjs-layers / tfjs-core compute them, and the
// channels_first <-> channels_last transposes TF.js wraps around its NHWC kernels.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>

#include "kernels/window.h"
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

// The window geometry lives with the kernels that iterate it (kernels/window.h).
using kernels::resolveWindow;
using kernels::Window;

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
