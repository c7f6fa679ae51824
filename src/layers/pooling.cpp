// Pooling: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D, GlobalMaxPooling1D/2D,
// GlobalAveragePooling1D/2D, computed as tfjs-backend-cpu does: max starts at -inf and takes
// larger values; average sums in double over the in-bounds elements only ('same' padding is not
// counted) and divides once (kernels/reference.cpp). Global pooling is tf.max / tf.mean over the
// spatial axes (kernels::reduce: max keeps a NaN, mean sums x / n, each rounded to float32, in
// double). Windowed pooling runs oneDNN's pooling (kernels/fast.cpp: the same windows,
// the average summed in float32) unless reference kernels are asked for. The backward pass of
// windowed pooling runs kernels::Pool::backward (average: oneDNN; max: a multithreaded loop with
// the reference's first-maximum rule), or reference::poolBackward under reference kernels.
//
// TF.js behaviours kept or refused (tfjs-layers 4.22, layers/pooling.ts):
//  - 1-D pooling and global 1-D pooling ignore data_format (always channels_last): a
//    channels_first config is refused.
//  - Global pooling ignores keepdims (always [batch, channels]): keepdims true is refused.
//  - 3-D 'same' padding is not clamped at 0 (tfjs-core computeConv3DInfo); kept.
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "kernels/kernels.h"
#include "layers/layer.h"
#include "layers/spatial.h"

namespace tfjs::layers {
namespace {

using spatial::Window;

class Pooling final : public Layer {
 public:
  Pooling(const Config& c, size_t rank, bool isMax)
      : Layer(c),
        rank_(rank),
        isMax_(isMax),
        poolSize_(c.ints("pool_size", rank, 2)),
        strides_(c.has("strides") ? c.ints("strides", rank, 1) : poolSize_),
        same_(spatial::samePadding(c)),
        channelsFirst_(spatial::channelsFirst(c)),
        fast_(isMax, rank) {
    for (size_t i = 0; i < rank; ++i) {
      if (poolSize_[i] <= 0) c.unsupported(fmt::format("pool_size {}", poolSize_[i]));
      if (strides_[i] <= 0) c.unsupported(fmt::format("strides {}", strides_[i]));
    }
    if (rank == 1 && channelsFirst_) {
      c.unsupported("data_format 'channels_first' (TF.js's 1-D pooling ignores it)");
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    const Shape& s = in.at(0);
    spatial::checkRank(config_, s, rank_ + 2);
    Shape out = s;
    const size_t first = channelsFirst_ ? 2 : 1;
    for (size_t i = 0; i < rank_; ++i) {
      out[first + i] = spatial::convOutputLength(s[first + i], poolSize_[i], same_, strides_[i]);
    }
    return {out};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array xcl;
    if (channelsFirst_) xcl = spatial::toChannelsLast(*in[0]);
    const Array& x = channelsFirst_ ? xcl : *in[0];
    const Window w = windowOf(x);
    const size_t off = 3 - rank_;
    const int64_t batch = x.shape[0], ch = x.shape.back();
    Shape s = {batch};
    for (size_t i = off; i < 3; ++i) s.push_back(w.out[i]);
    s.push_back(ch);
    Array y(s, kUninitialized);  // every element is written by either kernel
    if (kernels::referenceKernels() || !fast_.run(x.data.data(), batch, w, ch, y.data.data())) {
      kernels::reference::pool(x.data.data(), batch, w, ch, isMax_, y.data.data());
    }
    if (channelsFirst_) y = spatial::toChannelsFirst(y);
    return oneOutput(std::move(y));
  }
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    Array xcl;
    if (channelsFirst_) xcl = spatial::toChannelsLast(*in[0]);
    const Array& x = channelsFirst_ ? xcl : *in[0];
    const Array g = channelsFirst_ ? spatial::toChannelsLast(dOut[0]) : std::move(dOut[0]);
    const Window w = windowOf(x);
    Array dx(x.shape);
    if (kernels::referenceKernels() || !fast_.backward(x.data.data(), x.shape[0], w, x.shape.back(),
                                                       g.data.data(), dx.data.data())) {
      kernels::reference::poolBackward(x.data.data(), x.shape[0], w, x.shape.back(), isMax_,
                                       g.data.data(), dx.data.data());
    }
    if (channelsFirst_) dx = spatial::toChannelsFirst(dx);
    return oneOutput(std::move(dx));
  }

 private:
  // The resolved window over a channels_last input.
  Window windowOf(const Array& x) const {
    Window w;
    const size_t off = 3 - rank_;
    for (size_t i = 0; i < rank_; ++i) {
      w.in[off + i] = x.shape[1 + i];
      w.k[off + i] = poolSize_[i];
      w.stride[off + i] = strides_[i];
    }
    spatial::resolveWindow(w, same_, rank_ < 3, fmt::format("layer '{}'", name()));
    return w;
  }

  size_t rank_;
  bool isMax_;
  std::vector<int64_t> poolSize_, strides_;
  bool same_;
  bool channelsFirst_;
  kernels::Pool fast_;
};

class GlobalPooling final : public Layer {
 public:
  GlobalPooling(const Config& c, size_t rank, bool isMax)
      : Layer(c), rank_(rank), isMax_(isMax), channelsFirst_(spatial::channelsFirst(c)) {
    if (rank == 1 && channelsFirst_) {
      c.unsupported("data_format 'channels_first' (TF.js's GlobalPooling1D ignores it)");
    }
    if (c.boolean("keepdims", false)) {
      c.unsupported("keepdims = true (TF.js ignores it and returns [batch, channels])");
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    const Shape& s = in.at(0);
    spatial::checkRank(config_, s, rank_ + 2);
    return {{s[0], channelsFirst_ ? s[1] : s.back()}};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    // tf.max / tf.mean over the spatial axes, as tfjs-layers' GlobalPooling calls them.
    const Array& x = *in[0];
    std::vector<int64_t> axes;
    for (size_t d = 0; d < rank_; ++d)
      axes.push_back(static_cast<int64_t>(d) + (channelsFirst_ ? 2 : 1));
    Array y =
        kernels::reduce(isMax_ ? kernels::Reduce::kMax : kernels::Reduce::kMean, x, axes, false);
    return oneOutput(std::move(y));
  }

  // dx: each gradient to the first maximum of its channel (max), or spread evenly (average).
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    const Array& x = *in[0];
    const Array& g = dOut[0];
    const int64_t batch = x.shape[0];
    const int64_t ch = channelsFirst_ ? x.shape[1] : x.shape.back();
    const int64_t inner = batch * ch != 0 ? x.size() / (batch * ch) : 0;
    const int64_t cStride = channelsFirst_ ? inner : 1;
    const int64_t iStride = channelsFirst_ ? 1 : ch;
    Array dx(x.shape);
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t c = 0; c < ch; ++c) {
        const int64_t base = b * ch * inner + c * cStride;
        const float gv = g.data[static_cast<size_t>(b * ch + c)];
        if (isMax_) {
          int64_t best = 0;
          for (int64_t i = 1; i < inner; ++i) {
            if (x.data[static_cast<size_t>(base + i * iStride)] >
                x.data[static_cast<size_t>(base + best * iStride)])
              best = i;
          }
          if (inner > 0) dx.data[static_cast<size_t>(base + best * iStride)] += gv;
        } else {
          const float share = gv / static_cast<float>(inner);
          for (int64_t i = 0; i < inner; ++i)
            dx.data[static_cast<size_t>(base + i * iStride)] = share;
        }
      }
    }
    return oneOutput(std::move(dx));
  }

 private:
  size_t rank_;
  bool isMax_;
  bool channelsFirst_;
};

template <size_t Rank, bool IsMax>
void addPooling(Registry& r, const char* name) {
  addClass(r, name, [](const Config& c) { return std::make_unique<Pooling>(c, Rank, IsMax); });
}

template <size_t Rank, bool IsMax>
void addGlobal(Registry& r, const char* name) {
  addClass(r, name,
           [](const Config& c) { return std::make_unique<GlobalPooling>(c, Rank, IsMax); });
}

}  // namespace

void addPoolingLayers(Registry& r) {
  addPooling<1, true>(r, "MaxPooling1D");
  addPooling<2, true>(r, "MaxPooling2D");
  addPooling<3, true>(r, "MaxPooling3D");
  addPooling<1, false>(r, "AveragePooling1D");
  addPooling<2, false>(r, "AveragePooling2D");
  addPooling<3, false>(r, "AveragePooling3D");
  addGlobal<1, true>(r, "GlobalMaxPooling1D");
  addGlobal<2, true>(r, "GlobalMaxPooling2D");
  addGlobal<1, false>(r, "GlobalAveragePooling1D");
  addGlobal<2, false>(r, "GlobalAveragePooling2D");
}

}  // namespace tfjs::layers
