// The preprocessing layers tfjs-layers registers: Rescaling, CenterCrop, Resizing,
// CategoryEncoding, with TF.js's own (cpu kernel) arithmetic. Images are NHWC. Only Rescaling has
// a backward pass (dx = dy * scale); training through the others is refused, as TF.js 4.22
// refuses it: CenterCrop's cropAndResize has no gradient there ("gradient function not found
// for CropAndResize"), Resizing does not run at all, CategoryEncoding's output is not
// differentiable.
//
// Where TF.js differs from Keras, TF.js is followed: Resizing samples with align_corners = true
// (without half-pixel centers) unless crop_to_aspect_ratio is set, which TF.js takes to mean
// align_corners = false and no crop; a crop_to_aspect_ratio that would actually crop is refused.
// CenterCrop crops by nearest-neighbour sampling of a normalized box, with TF.js's
// "a width margin of 0 becomes 1" rule, and resizes bilinearly (align_corners = false) when the
// input is smaller than the crop in either dimension.
//
// TF.js 4.22 itself fails to predict a model holding Resizing, or a CenterCrop that must resize:
// both hand the layer's input list, not its tensor, to tf.image.resizeBilinear ("x must be rank
// 3 or 4, but got rank 1"). This runtime computes what those layers compute when applied to a
// tensor directly.
//
// Keras's own Normalization and RandomCrop (which TF.js lacks) are computed as Keras computes them
// at inference; see their classes.
//
// The random image augmentation layers of Keras (RandomFlip, RandomRotation, RandomZoom,
// RandomTranslation, RandomContrast, RandomBrightness, RandomHeight, RandomWidth) return their
// input unchanged at inference, which is what Keras's predict computes. TF.js 4.22 cannot
// deserialize most of them, and its RandomHeight/RandomWidth resize by a random factor even in
// predict (so its outputs change from call to call); this runtime follows Keras there.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "format/js_math.h"
#include "kernels/kernels.h"
#include "layers/activations.h"
#include "layers/layer.h"

namespace tfjs::layers {
namespace {

// Refuses the Keras 3 data_format channels_first.
void channelsLastOnly(const Config& c) {
  if (c.string("data_format", "channels_last") != "channels_last") {
    c.unsupported(fmt::format("data_format '{}' (TF.js resizes NHWC images only)",
                              c.string("data_format", "")));
  }
}

// An NHWC image batch: rank 4 with known channels.
void needImages(const Config& c, const std::vector<Shape>& in) {
  if (in.size() != 1) c.unsupported(fmt::format("{} inputs", in.size()));
  if (in[0].size() != 4) {
    c.unsupported(fmt::format("an input of rank {} (it takes [batch, height, width, channels])",
                              in[0].size()));
  }
}

void checkRank4(const std::string& layer, const Array& x) {
  if (x.shape.size() != 4) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("layer '{}': input of shape {} is not [batch, height, width, "
                            "channels]",
                            layer, Json(x.shape).dump()));
  }
}

// tf.image.resizeBilinear / resizeNearestNeighbor on the cpu backend (halfPixelCenters false).
Array resize(const Array& x, int64_t newH, int64_t newW, bool bilinear, bool alignCorners) {
  return bilinear ? kernels::resizeBilinear(x, newH, newW, alignCorners, false)
                  : kernels::resizeNearest(x, newH, newW, alignCorners, false);
}

// Rescaling: y = x * scale + offset, each step rounded to float32 as tf.mul then tf.add do.
// scale and offset are numbers, or lists broadcast along the last axis.
class Rescaling final : public InPlaceLayer {
 public:
  explicit Rescaling(const Config& c)
      : InPlaceLayer(c), scale_(values(c, "scale", 1.0)), offset_(values(c, "offset", 0.0)) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    const int64_t last = in[0].empty() ? -1 : in[0].back();
    for (const auto* v : {&scale_, &offset_}) {
      if (v->size() != 1 && static_cast<int64_t>(v->size()) != last) {
        config_.unsupported(fmt::format("a scale or offset of {} values for an input of shape {}",
                                        v->size(), Json(in[0]).dump()));
      }
    }
    return {in[0]};
  }
  // dx = dy * scale (broadcast along the last axis as in the forward pass).
  std::vector<Array> backward(const std::vector<const Array*>&, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    Array g = std::move(dOut[0]);
    const size_t n = g.shape.empty() ? 1 : static_cast<size_t>(g.shape.back());
    for (size_t k = 0; k < g.data.size(); ++k) g.data[k] *= scale_[scale_.size() == 1 ? 0 : k % n];
    return oneOutput(std::move(g));
  }

 private:
  // y = x * scale + offset (two float32 roundings, as TF.js's mul then add); y may be x's data.
  void run(const Array& x, float* y) const override {
    const float* p = x.data.data();
    const size_t total = x.data.size();
    if (scale_.size() == 1 && offset_.size() == 1) {
      const float s = scale_[0], o = offset_[0];
      mapElements(p, y, static_cast<int64_t>(total), [s, o](float v) {
        const float m = v * s;
        return m + o;
      });
      return;
    }
    const size_t n = x.shape.empty() ? 1 : static_cast<size_t>(x.shape.back());
    for (size_t k = 0; k < total; ++k) {
      const float s = scale_[scale_.size() == 1 ? 0 : k % n];
      const float o = offset_[offset_.size() == 1 ? 0 : k % n];
      const float m = p[k] * s;
      y[k] = m + o;
    }
  }
  static std::vector<float> values(const Config& c, const char* key, double def) {
    if (!c.has(key)) return {static_cast<float>(def)};
    const Json& v = c.json()[key];
    std::vector<float> out;
    if (v.is_number()) {
      out.push_back(v.get<float>());
    } else if (v.is_array()) {
      for (const auto& e : v) {
        if (!e.is_number()) c.unsupported(fmt::format("'{}' = {}", key, v.dump()));
        out.push_back(e.get<float>());
      }
    }
    if (out.empty()) c.unsupported(fmt::format("'{}' = {}", key, v.dump()));
    return out;
  }
  std::vector<float> scale_, offset_;
};

// A layer that turns NHWC images into height x width ones (CenterCrop, RandomCrop).
class ToImageSize : public Layer {
 public:
  explicit ToImageSize(const Config& c)
      : Layer(c), height_(c.integer("height", 0)), width_(c.integer("width", 0)) {
    if (height_ <= 0 || width_ <= 0) {
      c.unsupported(fmt::format("height {} and width {}", height_, width_));
    }
    channelsLastOnly(c);
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    needImages(config_, in);
    return {{in[0][0], height_, width_, in[0][3]}};
  }

 protected:
  int64_t height_, width_;
};

// CenterCrop to height x width.
class CenterCrop final : public ToImageSize {
 public:
  using ToImageSize::ToImageSize;
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    checkRank4(name(), x);
    const int64_t batch = x.shape[0], inH = x.shape[1], inW = x.shape[2], ch = x.shape[3];
    // Math.floor((inH - height) / 2), as TF.js computes the margins.
    auto margin = [](int64_t from, int64_t to) {
      return static_cast<int64_t>(std::floor(static_cast<double>(from - to) / 2));
    };
    const int64_t hBuffer = inH != height_ ? margin(inH, height_) : 0;
    int64_t wBuffer = 0;
    if (inW != width_) {
      wBuffer = margin(inW, width_);
      if (wBuffer == 0) wBuffer = 1;
    }
    if (hBuffer < 0 || wBuffer < 0) return {resize(x, height_, width_, true, false)};
    // tf.image.cropAndResize(nearest) with one float32 box per image.
    const auto dH = static_cast<double>(inH), dW = static_cast<double>(inW);
    const double y1 = static_cast<float>(static_cast<double>(hBuffer) / dH);
    const double x1 = static_cast<float>(static_cast<double>(wBuffer) / dW);
    const double y2 = static_cast<float>(static_cast<double>(height_ + hBuffer) / dH);
    const double x2 = static_cast<float>(static_cast<double>(width_ + wBuffer) / dW);
    const double hScale = height_ > 1 ? (y2 - y1) * (dH - 1) / static_cast<double>(height_ - 1) : 0;
    const double wScale = width_ > 1 ? (x2 - x1) * (dW - 1) / static_cast<double>(width_ - 1) : 0;
    Array y({batch, height_, width_, ch});
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t r = 0; r < height_; ++r) {
        const double yi = height_ > 1 ? y1 * (dH - 1) + static_cast<double>(r) * hScale
                                      : 0.5 * (y1 + y2) * (dH - 1);
        for (int64_t c = 0; c < width_; ++c) {
          const double xi = width_ > 1 ? x1 * (dW - 1) + static_cast<double>(c) * wScale
                                       : 0.5 * (x1 + x2) * (dW - 1);
          float* out = y.data.data() + ((b * height_ + r) * width_ + c) * ch;
          if (yi < 0 || yi > dH - 1 || xi < 0 || xi > dW - 1) continue;  // extrapolation: 0
          const float* src = x.data.data() + ((b * inH + static_cast<int64_t>(jsRound(yi))) * inW +
                                              static_cast<int64_t>(jsRound(xi))) *
                                                 ch;
          std::copy(src, src + ch, out);
        }
      }
    }
    return oneOutput(std::move(y));
  }
};

// Resizing to height x width, bilinear or nearest.
class Resizing final : public Layer {
 public:
  explicit Resizing(const Config& c)
      : Layer(c),
        height_(c.integer("height", 0)),
        width_(c.integer("width", 0)),
        cropToAspectRatio_(c.boolean("crop_to_aspect_ratio", false)) {
    if (height_ <= 0 || width_ <= 0) {
      c.unsupported(fmt::format("height {} and width {}", height_, width_));
    }
    const std::string interpolation = c.string("interpolation", "bilinear");
    if (interpolation != "bilinear" && interpolation != "nearest") {
      c.unsupported(
          fmt::format("interpolation '{}' (TF.js implements bilinear and nearest)", interpolation));
    }
    bilinear_ = interpolation == "bilinear";
    if (c.boolean("pad_to_aspect_ratio", false)) c.unsupported("pad_to_aspect_ratio = true");
    if (c.boolean("antialias", false)) c.unsupported("antialias = true");
    channelsLastOnly(c);
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    needImages(config_, in);
    const Shape& s = in[0];
    if (s[1] > 0 && s[2] > 0) checkAspect(s[1], s[2]);
    return {{s[0], height_, width_, s[3]}};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    checkRank4(name(), x);
    checkAspect(x.shape[1], x.shape[2]);
    return {resize(x, height_, width_, bilinear_, !cropToAspectRatio_)};
  }

 private:
  // TF.js does not crop for crop_to_aspect_ratio: refused where Keras would crop.
  void checkAspect(int64_t h, int64_t w) const {
    if (cropToAspectRatio_ && h * width_ != w * height_) {
      config_.unsupported(
          fmt::format("crop_to_aspect_ratio = true for a {}x{} input resized to {}x{} (TF.js "
                      "does not crop, so its result would differ from Keras)",
                      h, w, height_, width_));
    }
  }
  int64_t height_, width_;
  bool cropToAspectRatio_;
  bool bilinear_ = true;
};

// CategoryEncoding: integer tokens in [0, num_tokens) to one_hot / multi_hot / count vectors
// (tf.denseBincount). one_hot takes [batch] or [batch, 1]; multi_hot and count take
// [batch, tokens]. Tokens arrive as float32 and are truncated as TF.js's cast to int32 does.
class CategoryEncoding final : public Layer {
 public:
  explicit CategoryEncoding(const Config& c) : Layer(c), numTokens_(c.integer("num_tokens", 0)) {
    if (numTokens_ <= 0) c.unsupported(fmt::format("num_tokens = {}", numTokens_));
    const std::string mode = c.string("output_mode", "multi_hot");
    if (mode == "one_hot" || mode == "oneHot") {
      mode_ = Mode::kOneHot;
    } else if (mode == "multi_hot" || mode == "multiHot") {
      mode_ = Mode::kMultiHot;
    } else if (mode == "count") {
      mode_ = Mode::kCount;
    } else {
      c.unsupported(fmt::format("output_mode '{}'", mode));
    }
    if (c.boolean("sparse", false)) c.unsupported("sparse = true");
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    const Shape& s = in[0];
    const bool ok =
        mode_ == Mode::kOneHot ? (s.size() == 1 || (s.size() == 2 && s[1] == 1)) : s.size() == 2;
    if (!ok) {
      config_.unsupported(fmt::format(
          "an input of shape {} (one_hot takes [batch] or [batch, 1], multi_hot and count "
          "[batch, tokens]; TF.js's output would not have rank 2)",
          Json(s).dump()));
    }
    return {{s[0], numTokens_}};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    const int64_t batch = x.shape.empty() ? 1 : x.shape[0];
    const int64_t per = batch == 0 ? 0 : x.size() / batch;
    Array y({batch, numTokens_});
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t i = 0; i < per; ++i) {
        const float v = x.data[static_cast<size_t>(b * per + i)];
        const double t = std::trunc(static_cast<double>(v));
        if (!(t >= 0 && t < static_cast<double>(numTokens_))) {
          throw Error(ErrorCode::kInvalidArgument,
                      fmt::format("layer '{}': token {} is not in [0, {}) (num_tokens)", name(), v,
                                  numTokens_));
        }
        float& slot = y.data[static_cast<size_t>(b * numTokens_ + static_cast<int64_t>(t))];
        slot = mode_ == Mode::kCount ? slot + 1.0f : 1.0f;
      }
    }
    return oneOutput(std::move(y));
  }

 private:
  enum class Mode { kOneHot, kMultiHot, kCount };
  int64_t numTokens_;
  Mode mode_ = Mode::kMultiHot;
};

// Keras's Normalization (adapted or given mean and variance), as tf.keras 2.2+ and Keras 3
// compute it in float32: y = (x - mean) / max(sqrt(variance), 1e-7), or with `invert`
// y = mean + x * max(sqrt(variance), 1e-7). `axis` (an int, a list, or null for one global mean)
// names the kept axes; mean and variance have the shape of the kept dimensions and broadcast
// over the others. Adapted values are the weights `mean`, `variance` and `count` (an integer,
// unused at inference); values in the config (`mean`, `variance`: a number or a list) make no
// weights. TF.js has no such layer; `tfjs convert` rewrites it for TF.js (convert/tfjs_compat).
// In training nothing of it is trained (Keras adapts it before fit): dx = dy / std (dy * std
// when inverted).
class Normalization final : public InPlaceLayer {
 public:
  explicit Normalization(const Config& c) : InPlaceLayer(c), invert_(c.boolean("invert", false)) {
    const Json& cfg = c.json();
    if (!cfg.contains("axis")) {
      axes_ = {-1};
    } else if (!cfg["axis"].is_null()) {
      const Json& a = cfg["axis"];
      if (a.is_number_integer()) {
        axes_ = {a.get<int64_t>()};
      } else if (a.is_array()) {
        for (const auto& e : a) {
          if (!e.is_number_integer()) c.unsupported("'axis' = " + a.dump());
          axes_.push_back(e.get<int64_t>());
        }
      } else {
        c.unsupported("'axis' = " + a.dump());
      }
    }
    const bool hasMean = cfg.contains("mean") && !cfg["mean"].is_null();
    const bool hasVariance = cfg.contains("variance") && !cfg["variance"].is_null();
    if (hasMean != hasVariance) c.unsupported("'mean' without 'variance' (or the reverse)");
    if (hasMean) {
      givenMean_ = flatNumbers(c, "mean");
      givenVariance_ = flatNumbers(c, "variance");
    }
  }

  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    const Shape& x = in[0];
    const auto rank = static_cast<int64_t>(x.size());
    keep_.clear();
    for (int64_t a : axes_) {
      const int64_t r = a < 0 ? a + rank : a;
      if (r < 0 || r >= rank) config_.unsupported(fmt::format("axis {} for rank {}", a, rank));
      if (r == 0) config_.unsupported("the batch axis as a kept axis");
      if (x[static_cast<size_t>(r)] < 0) {
        config_.unsupported(fmt::format("kept axis {} of unknown size", a));
      }
      if (std::find(keep_.begin(), keep_.end(), r) != keep_.end()) {
        config_.unsupported(fmt::format("axis {} listed twice", a));
      }
      keep_.push_back(r);
    }
    std::sort(keep_.begin(), keep_.end());
    statShape_.clear();
    volume_ = 1;
    for (int64_t r : keep_) {
      statShape_.push_back(x[static_cast<size_t>(r)]);
      volume_ *= x[static_cast<size_t>(r)];
    }
    if (!givenMean_.empty()) {
      for (const auto* v : {&givenMean_, &givenVariance_}) {
        if (v->size() != 1 && static_cast<int64_t>(v->size()) != volume_) {
          config_.unsupported(
              fmt::format("a mean or variance of {} values for {} features", v->size(), volume_));
        }
      }
      setStatistics(givenMean_, givenVariance_);
    }
    return {x};
  }

  std::vector<VariableSpec> variables() const override {
    if (!givenMean_.empty()) return {};
    VariableSpec count{"count", {}, false};
    count.integer = true;
    return {{"mean", statShape_, false}, {"variance", statShape_, false}, count};
  }

  void setWeights(std::vector<Tensor> weights) override {
    if (weights.size() == 3) {
      const auto m = weights[0].floats(), v = weights[1].floats();
      setStatistics(std::vector<float>(m.begin(), m.end()), std::vector<float>(v.begin(), v.end()));
    }
    Layer::setWeights(std::move(weights));
  }

  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    Array g = std::move(dOut[0]);
    forEachFeature(in[0]->shape, [&](size_t i, size_t k) {
      g.data[i] = invert_ ? g.data[i] * std_[k] : g.data[i] / std_[k];
    });
    return oneOutput(std::move(g));
  }

 private:
  void run(const Array& x, float* y) const override {
    const float* p = x.data.data();
    forEachFeature(x.shape, [&](size_t i, size_t k) {
      y[i] = invert_ ? mean_[k] + p[i] * std_[k] : (p[i] - mean_[k]) / std_[k];
    });
  }

  // f(element index, index into the statistics) for every element of an array of `shape`.
  template <typename F>
  void forEachFeature(const Shape& shape, F f) const {
    const auto total = static_cast<size_t>(Array::count(shape));
    if (keep_.empty()) {
      for (size_t i = 0; i < total; ++i) f(i, 0);
      return;
    }
    if (keep_.size() == 1 && keep_[0] == static_cast<int64_t>(shape.size()) - 1) {
      const auto n = static_cast<size_t>(statShape_[0]);
      for (size_t i = 0; i < total; ++i) f(i, i % n);
      return;
    }
    // General kept axes: the statistics index of element i from its coordinates.
    std::vector<size_t> strides(shape.size(), 0);  // per input axis: its stride in the stats
    size_t s = 1;
    for (size_t j = keep_.size(); j-- > 0;) {
      strides[static_cast<size_t>(keep_[j])] = s;
      s *= static_cast<size_t>(statShape_[j]);
    }
    std::vector<int64_t> coord(shape.size(), 0);
    size_t k = 0;
    for (size_t i = 0; i < total; ++i) {
      f(i, k);
      for (size_t d = shape.size(); d-- > 0;) {
        k += strides[d];
        if (++coord[d] < shape[d]) break;
        k -= strides[d] * static_cast<size_t>(shape[d]);
        coord[d] = 0;
      }
    }
  }

  void setStatistics(const std::vector<float>& mean, const std::vector<float>& variance) {
    const auto n = static_cast<size_t>(volume_);
    mean_.assign(n, 0.0f);
    std_.assign(n, 0.0f);
    for (size_t k = 0; k < n; ++k) {
      mean_[k] = mean[mean.size() == 1 ? 0 : k];
      std_[k] = std::max(std::sqrt(variance[variance.size() == 1 ? 0 : k]), kEpsilon);
    }
  }

  // A number or a (nested) list of numbers, flattened.
  static std::vector<float> flatNumbers(const Config& c, const char* key) {
    std::vector<float> out;
    std::function<void(const Json&, int)> walk = [&](const Json& j, int depth) {
      if (depth > 8) c.unsupported(fmt::format("'{}' nested too deeply", key));
      if (j.is_number()) {
        out.push_back(j.get<float>());
      } else if (j.is_array()) {
        for (const auto& e : j) walk(e, depth + 1);
      } else {
        c.unsupported(fmt::format("'{}' = {}", key, j.dump()));
      }
    };
    walk(c.json()[key], 0);
    if (out.empty()) c.unsupported(fmt::format("an empty '{}'", key));
    return out;
  }

  static constexpr float kEpsilon = 1e-7f;  // keras.backend.epsilon()
  bool invert_;
  std::vector<int64_t> axes_, keep_;
  Shape statShape_;
  int64_t volume_ = 1;
  std::vector<float> givenMean_, givenVariance_;
  std::vector<float> mean_, std_;  // per kept feature; std = max(sqrt(variance), epsilon)
};

// TensorFlow's ResizeBilinear with half_pixel_centers (tf.image.resize's bilinear, no
// antialias), in float32 as its cpu kernel computes: source coordinate (i + 0.5) * in / out - 0.5,
// neighbours clamped to the image, top + (bottom - top) * y_lerp of the two horizontal lerps.
Array resizeBilinearHalfPixel(const Array& x, int64_t top, int64_t left, int64_t inH, int64_t inW,
                              int64_t outH, int64_t outW) {
  const int64_t batch = x.shape[0], fullH = x.shape[1], fullW = x.shape[2], ch = x.shape[3];
  Array y({batch, outH, outW, ch}, kUninitialized);
  const float hScale = static_cast<float>(inH) / static_cast<float>(outH);
  const float wScale = static_cast<float>(inW) / static_cast<float>(outW);
  struct Lerp {
    int64_t lo, hi;
    float frac;
  };
  const auto lerps = [](int64_t out, int64_t in, float scale) {
    std::vector<Lerp> v(static_cast<size_t>(out));
    for (int64_t i = 0; i < out; ++i) {
      const float src = (static_cast<float>(i) + 0.5f) * scale - 0.5f;
      const float f = std::floor(src);
      v[static_cast<size_t>(i)] = {std::max<int64_t>(static_cast<int64_t>(f), 0),
                                   std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1),
                                   src - f};
    }
    return v;
  };
  const auto ys = lerps(outH, inH, hScale), xs = lerps(outW, inW, wScale);
  const float* in = x.data.data();
  float* out = y.data.data();
  const auto at = [&](int64_t b, int64_t r, int64_t c) {
    return in + ((b * fullH + top + r) * fullW + left + c) * ch;
  };
  for (int64_t b = 0; b < batch; ++b) {
    for (const Lerp& ry : ys) {
      for (const Lerp& rx : xs) {
        const float *tl = at(b, ry.lo, rx.lo), *tr = at(b, ry.lo, rx.hi), *bl = at(b, ry.hi, rx.lo),
                    *br = at(b, ry.hi, rx.hi);
        for (int64_t d = 0; d < ch; ++d) {
          const float t = tl[d] + (tr[d] - tl[d]) * rx.frac;
          const float bo = bl[d] + (br[d] - bl[d]) * rx.frac;
          *out++ = t + (bo - t) * ry.frac;
        }
      }
    }
  }
  return y;
}

// Keras's RandomCrop at inference (tf.keras 2.7-2.15, Keras 3.0-3.7): smart_resize to height x
// width, i.e. the largest centered box of the target's aspect ratio, resized bilinearly (half-pixel
// centers) to the target: crop_h = int(float32(W * h) / w), crop_w = int(float32(H * w) / h), each
// at most the image's, starting at int(float32(H - crop_h) / 2) (and the same for the width).
// Other Keras versions differ at inference: tf.keras 2.3-2.6 resize the shorter side and then crop
// the center, Keras 3.8+ returns the input unchanged. Not trainable (as in TF.js, which has no
// such layer).
class RandomCrop final : public ToImageSize {
 public:
  using ToImageSize::ToImageSize;
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    checkRank4(name(), x);
    const int64_t inH = x.shape[1], inW = x.shape[2];
    if (inH <= 0 || inW <= 0) {
      throw Error(ErrorCode::kInvalidArgument, fmt::format("layer '{}': an empty image of shape {}",
                                                           name(), Json(x.shape).dump()));
    }
    const auto trunc = [](float v) { return static_cast<int64_t>(v); };
    const int64_t cropH =
        std::min(inH, trunc(static_cast<float>(inW * height_) / static_cast<float>(width_)));
    const int64_t cropW =
        std::min(inW, trunc(static_cast<float>(inH * width_) / static_cast<float>(height_)));
    if (cropH <= 0 || cropW <= 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': an image of {}x{} has no {}x{} box of the target's "
                              "aspect ratio",
                              name(), inH, inW, cropH, cropW));
    }
    const int64_t top = trunc(static_cast<float>(inH - cropH) / 2.0f);
    const int64_t left = trunc(static_cast<float>(inW - cropW) / 2.0f);
    return oneOutput(resizeBilinearHalfPixel(x, top, left, cropH, cropW, height_, width_));
  }
};

// A random augmentation layer at inference: the identity, for images of rank 3 or 4.
class InferenceIdentity final : public Layer {
 public:
  explicit InferenceIdentity(const Config& c) : Layer(c) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    if (in[0].size() < 3 || in[0].size() > 4)
      config_.unsupported(fmt::format("an input of rank {} (images expected)", in[0].size()));
    return {in[0]};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override { return {*in[0]}; }
};

constexpr const char* kInferenceIdentity[] = {
    "RandomFlip",     "RandomRotation",   "RandomZoom",   "RandomTranslation",
    "RandomContrast", "RandomBrightness", "RandomHeight", "RandomWidth"};

}  // namespace

bool isInferenceIdentity(const std::string& className) {
  for (const char* name : kInferenceIdentity) {
    if (className == name) return true;
  }
  return false;
}

void addPreprocessingLayers(Registry& r) {
  // TF.js registers RandomWidth only (its other preprocessing layers are not Keras's random ones).
  for (const char* name : kInferenceIdentity) {
    add<InferenceIdentity>(r, name, {.tfjs = std::string(name) == "RandomWidth"});
  }
  add<Rescaling>(r, "Rescaling");
  add<CenterCrop>(r, "CenterCrop");
  add<Resizing>(r, "Resizing");
  add<CategoryEncoding>(r, "CategoryEncoding");
  add<Normalization>(r, "Normalization", {.tfjs = false});
  add<RandomCrop>(r, "RandomCrop", {.tfjs = false});
}

}  // namespace tfjs::layers
