// Spatial reshaping of images: ZeroPadding2D, Cropping2D, UpSampling2D (nearest and bilinear,
// as tfjs-backend-cpu's resizeNearestNeighbor / resizeBilinear with alignCorners and
// halfPixelCenters false, which is how tfjs-layers calls them: kernels/resize.cpp). Their
// backward passes are the adjoints: the gradient window cropped or padded back, and each
// output's gradient sent to the input(s) it came from with the same weights (TF.js's
// ResizeNearestNeighborGrad / ResizeBilinearGrad, kernels/resize.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/kernels.h"
#include "layers/layer.h"
#include "layers/spatial.h"

namespace tfjs::layers {
namespace {

// ((top, bottom), (left, right)) from an int, [h, w] or [[top, bottom], [left, right]].
std::array<int64_t, 4> pairs(const Config& c, const std::string& key, int64_t def) {
  if (!c.has(key)) return {def, def, def, def};
  const Json& v = c.json()[key];
  auto num = [&](const Json& j) {
    if (!j.is_number_integer() || j.get<int64_t>() < 0) {
      c.unsupported(fmt::format("'{}' = {}", key, v.dump()));
    }
    return j.get<int64_t>();
  };
  if (v.is_number()) {
    const int64_t p = num(v);
    return {p, p, p, p};
  }
  if (v.is_array() && v.size() == 2) {
    if (v[0].is_number() && v[1].is_number()) {
      const int64_t h = num(v[0]), w = num(v[1]);
      return {h, h, w, w};
    }
    if (v[0].is_array() && v[1].is_array() && v[0].size() == 2 && v[1].size() == 2) {
      return {num(v[0][0]), num(v[0][1]), num(v[1][0]), num(v[1][1])};
    }
  }
  c.unsupported(fmt::format("'{}' = {}", key, v.dump()));
}

// The (height, width) axes of a rank-4 shape.
std::pair<size_t, size_t> hw(bool channelsFirst) {
  return channelsFirst ? std::pair<size_t, size_t>{2, 3} : std::pair<size_t, size_t>{1, 2};
}

// Copies the [h0, h0 + oh) x [w0, w0 + ow) window of channels_last x (rows may start before 0
// or end after the input: those are zeros) into a new [N, oh, ow, C] array.
Array window2d(const Array& x, int64_t h0, int64_t w0, int64_t oh, int64_t ow) {
  const int64_t n = x.shape[0], ih = x.shape[1], iw = x.shape[2], c = x.shape[3];
  Array y({n, oh, ow, c});
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t r = 0; r < oh; ++r) {
      const int64_t sr = r + h0;
      if (sr < 0 || sr >= ih) continue;
      for (int64_t col = 0; col < ow; ++col) {
        const int64_t sc = col + w0;
        if (sc < 0 || sc >= iw) continue;
        const float* src = x.data.data() + ((b * ih + sr) * iw + sc) * c;
        float* dst = y.data.data() + ((b * oh + r) * ow + col) * c;
        std::copy(src, src + c, dst);
      }
    }
  }
  return y;
}

// ZeroPadding2D and Cropping2D: a window of the input, grown (padding) or shrunk (cropping).
class Window2D final : public Layer {
 public:
  Window2D(const Config& c, bool crop)
      : Layer(c),
        crop_(crop),
        channelsFirst_(spatial::channelsFirst(c)),
        p_(pairs(c, crop ? "cropping" : "padding", crop ? 0 : 1)) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    Shape s = in.at(0);
    spatial::checkRank(config_, s, 4);
    const auto [h, w] = hw(channelsFirst_);
    const int64_t sign = crop_ ? -1 : 1;
    for (const auto& [axis, grow] : {std::pair{h, p_[0] + p_[1]}, std::pair{w, p_[2] + p_[3]}}) {
      if (s[axis] < 0) continue;
      s[axis] += sign * grow;
      if (s[axis] <= 0) {
        config_.unsupported(fmt::format("cropping that leaves nothing of {}", Json(in[0]).dump()));
      }
    }
    return {s};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array xcl;
    if (channelsFirst_) xcl = spatial::toChannelsLast(*in[0]);
    const Array& x = channelsFirst_ ? xcl : *in[0];
    const int64_t sign = crop_ ? -1 : 1;
    const int64_t oh = x.shape[1] + sign * (p_[0] + p_[1]);
    const int64_t ow = x.shape[2] + sign * (p_[2] + p_[3]);
    if (oh <= 0 || ow <= 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': cropping leaves nothing of a {}x{} input", name(),
                              x.shape[1], x.shape[2]));
    }
    Array y = window2d(x, -sign * p_[0], -sign * p_[2], oh, ow);
    if (channelsFirst_) y = spatial::toChannelsFirst(y);
    return oneOutput(std::move(y));
  }
  // The adjoint window: padding's gradient is dy cropped back, cropping's is dy padded with 0.
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    const Array g = channelsFirst_ ? spatial::toChannelsLast(dOut[0]) : std::move(dOut[0]);
    const Shape& xs = in[0]->shape;
    const auto [h, w] = hw(channelsFirst_);
    const int64_t sign = crop_ ? -1 : 1;
    Array dx = window2d(g, sign * p_[0], sign * p_[2], xs[h], xs[w]);
    if (channelsFirst_) dx = spatial::toChannelsFirst(dx);
    return oneOutput(std::move(dx));
  }

 private:
  bool crop_;
  bool channelsFirst_;
  std::array<int64_t, 4> p_;  // top, bottom, left, right
};

class UpSampling2D final : public Layer {
 public:
  explicit UpSampling2D(const Config& c)
      : Layer(c),
        size_(c.ints("size", 2, 2)),
        channelsFirst_(spatial::channelsFirst(c)),
        interpolation_(c.string("interpolation", "nearest")) {
    if (c.has("size") && c.json()["size"].is_number()) {
      c.unsupported("a single-number size (TF.js computes an empty output for it; give [h, w])");
    }
    if (size_[0] <= 0 || size_[1] <= 0) {
      c.unsupported(fmt::format("size [{}, {}]", size_[0], size_[1]));
    }
    if (interpolation_ != "nearest" && interpolation_ != "bilinear") {
      c.unsupported(
          fmt::format("interpolation '{}' (TF.js knows nearest and bilinear)", interpolation_));
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    Shape s = in.at(0);
    spatial::checkRank(config_, s, 4);
    const auto [h, w] = hw(channelsFirst_);
    if (s[h] >= 0) s[h] *= size_[0];
    if (s[w] >= 0) s[w] *= size_[1];
    return {s};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array xcl;
    if (channelsFirst_) xcl = spatial::toChannelsLast(*in[0]);
    const Array& x = channelsFirst_ ? xcl : *in[0];
    const int64_t oh = x.shape[1] * size_[0], ow = x.shape[2] * size_[1];
    Array y = interpolation_ == "nearest" ? kernels::resizeNearest(x, oh, ow, false, false)
                                          : kernels::resizeBilinear(x, oh, ow, false, false);
    if (channelsFirst_) y = spatial::toChannelsFirst(y);
    return oneOutput(std::move(y));
  }
  // The adjoint of the resize above: TF.js's ResizeNearestNeighborGrad / ResizeBilinearGrad
  // (kernels/resize.cpp).
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    const Array g = channelsFirst_ ? spatial::toChannelsLast(dOut[0]) : std::move(dOut[0]);
    const Shape xs = channelsFirst_
                         ? Shape{in[0]->shape[0], in[0]->shape[2], in[0]->shape[3], in[0]->shape[1]}
                         : in[0]->shape;
    Array dx = interpolation_ == "nearest" ? kernels::resizeNearestBackward(g, xs, false)
                                           : kernels::resizeBilinearBackward(g, xs, false);
    if (channelsFirst_) dx = spatial::toChannelsFirst(dx);
    return oneOutput(std::move(dx));
  }

 private:
  std::vector<int64_t> size_;
  bool channelsFirst_;
  std::string interpolation_;
};

}  // namespace

void addPaddingLayers(Registry& r) {
  addClass(r, "ZeroPadding2D",
           [](const Config& c) { return std::make_unique<Window2D>(c, false); });
  addClass(r, "Cropping2D", [](const Config& c) { return std::make_unique<Window2D>(c, true); });
  add<UpSampling2D>(r, "UpSampling2D");
}

}  // namespace tfjs::layers
