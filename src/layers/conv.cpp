// Convolutions: Conv1D, Conv2D, Conv3D, Conv2DTranspose, Conv3DTranspose, DepthwiseConv2D,
// SeparableConv2D. Each layer runs the fast oneDNN kernel (kernels/fast.cpp; bias and relu,
// relu6, elu, sigmoid or tanh fused) made once from its weights, or the reference kernel
// (kernels/reference.cpp: direct loops over channels_last data in the order of
// tfjs-backend-cpu's loops, bias added after the sum, then the activation) when reference kernels
// are asked for or oneDNN cannot express the geometry. channels_first inputs are transposed to
// channels_last and back, as tfjs-layers does around its NHWC ops.
//
// Training: every class keeps its pre-activation for the backward pass; the forward passes run
// fresh fast kernels packed from the current weights. The backward passes run
// kernels::ConvBackward (oneDNN's backward data / weights primitives, kept per geometry, fed the
// current weights on each run; SeparableConv2D: pointwise, then depthwise), or, under reference
// kernels or for a geometry oneDNN refuses, the reference loops: Conv's
// reference::convBackward; DepthwiseConv2D's reference::depthwiseBackward; SeparableConv2D's
// both; the transposed convolutions' input gradient is the forward convolution with the same
// kernel and their kernel gradient convBackward's with the roles of input and output gradient
// swapped.
//
// TF.js behaviours kept or refused (tfjs-layers 4.22, layers/convolutional*.ts):
//  - padding 'causal' throws NotImplementedError in TF.js: refused.
//  - strides > 1 together with dilation_rate > 1 fails tfjs-core's assert: refused.
//  - 'same' padding on 3-D ops is not clamped at 0 (tfjs-core computeConv3DInfo); kept.
//  - DepthwiseConv2D ignores dilation_rate (it passes null to depthwiseConv2d): > 1 is refused.
//  - Conv2DTranspose / Conv3DTranspose ignore dilation_rate and output_padding: refused if set.
//  - Conv1D with channels_first returns [batch, steps, filters] while declaring
//    [batch, filters, steps]: refused.
//  - SeparableConv2D with channels_first adds the bias along the height axis: refused with a
//    bias; without one it is computed as TF.js does (activation before the transpose back).
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "kernels/kernels.h"
#include "layers/activations.h"
#include "layers/layer.h"
#include "layers/spatial.h"

namespace tfjs::layers {
namespace {

using spatial::Window;

// Options every convolution shares (tfjs-layers BaseConv).
class ConvBase : public Layer {
 public:
  ConvBase(const Config& c, size_t rank)
      : Layer(c),
        rank_(rank),
        kernelSize_(c.ints("kernel_size", rank, 0)),
        strides_(c.ints("strides", rank, 1)),
        dilation_(c.ints("dilation_rate", rank, 1)),
        same_(spatial::samePadding(c)),
        channelsFirst_(spatial::channelsFirst(c)),
        useBias_(c.boolean("use_bias", true)),
        activation_(c.activation()) {
    if (!isActivation(activation_)) c.unsupported(fmt::format("activation '{}'", activation_));
    act_ = activationKind(activation_, c.name());
    fused_ = kernels::fusedActivation(act_);
    spatial::checkConvWindow(c, kernelSize_, strides_, dilation_);
  }

 protected:
  // The channel count of a build-time input shape; refuses another rank or an unknown channel.
  int64_t channels(const Shape& s) const {
    spatial::checkRank(config_, s, rank_ + 2);
    const int64_t ch = channelsFirst_ ? s[1] : s.back();
    if (ch <= 0) config_.unsupported("an input whose channel dimension is unknown");
    return ch;
  }
  // The spatial dimensions of a shape in the layer's data format.
  Shape spatialDims(const Shape& s) const {
    return channelsFirst_ ? Shape(s.begin() + 2, s.end()) : Shape(s.begin() + 1, s.end() - 1);
  }
  Shape outputShape(int64_t batch, const Shape& space, int64_t ch) const {
    Shape out = {batch};
    if (channelsFirst_) out.push_back(ch);
    out.insert(out.end(), space.begin(), space.end());
    if (!channelsFirst_) out.push_back(ch);
    return out;
  }
  // The window of this layer over a channels_last input (rank_ spatial dims, placed last).
  Window window(const Shape& nhwc, bool useDilation) const {
    Window w;
    const size_t off = 3 - rank_;
    for (size_t i = 0; i < rank_; ++i) {
      w.in[off + i] = nhwc[1 + i];
      w.k[off + i] = kernelSize_[i];
      w.stride[off + i] = strides_[i];
      w.dilation[off + i] = useDilation ? dilation_[i] : 1;
    }
    return w;
  }
  // The geometry of one of this layer's convolutions (no weights, bias or activation yet).
  kernels::ConvSpec spec(kernels::ConvSpec::Kind kind, const std::vector<int64_t>& kernel,
                         int64_t inC, int64_t outC) const {
    kernels::ConvSpec s;
    s.kind = kind;
    s.rank = rank_;
    s.kernel = kernel;
    s.inC = inC;
    s.outC = outC;
    return s;
  }
  // A fast kernel over this layer's weights: `weights` (and the bias when used) fused with the
  // layer's activation when oneDNN has it.
  // `kernel` is the spatial kernel size (kernel_size, or 1s for a pointwise kernel).
  std::unique_ptr<kernels::Conv> fastKernel(kernels::ConvSpec::Kind kind, const char* weights,
                                            const std::vector<int64_t>& kernel, int64_t inC,
                                            int64_t outC, bool withBias,
                                            bool withActivation) const {
    kernels::ConvSpec s = spec(kind, kernel, inC, outC);
    s.weights = weight(weights).data();
    s.bias = withBias && useBias_ ? weight("bias").data() : nullptr;
    s.activation =
        withActivation && fused_ != kernels::Fused::kNone ? fused_ : kernels::Fused::kLinear;
    return std::make_unique<kernels::Conv>(s);
  }
  // The window of one sample of the build-time input (resolved), when that shape is fully known
  // and valid: what prepare() makes a fast kernel ready for at load.
  std::optional<Window> builtWindow(bool useDilation) const {
    if (built_.size() != rank_ + 2) return std::nullopt;
    Shape nhwc = {1};
    for (int64_t d : spatialDims(built_)) nhwc.push_back(d);
    nhwc.push_back(channelsFirst_ ? built_[1] : built_.back());
    for (int64_t d : nhwc) {
      if (d <= 0) return std::nullopt;
    }
    Window w = window(nhwc, useDilation);
    try {
      spatial::resolveWindow(w, same_, rank_ < 3, fmt::format("layer '{}'", name()));
    } catch (const Error&) {
      return std::nullopt;
    }
    return w;
  }
  // Makes `k` ready for one sample of the build-time shape at load (weights packed, primitive
  // made at the thread count of the scope the model is loaded in), unless reference kernels are
  // asked for or the shape is not known.
  void prepare(const kernels::Conv& k, bool useDilation) const {
    if (kernels::referenceKernels()) return;
    if (const auto w = builtWindow(useDilation)) k.prepare(1, *w);
  }
  // Runs `k` on channels_last x into y when fast kernels are on and it takes the geometry.
  static bool runFast(const kernels::Conv* k, const Array& x, const Window& w, Array& y) {
    return k != nullptr && !kernels::referenceKernels() &&
           k->run(x.data.data(), x.shape[0], w, y.data.data());
  }
  // The fast backward pass of one of this layer's convolutions (made in setWeights; the current
  // weights are given to each run, as training changes them).
  std::unique_ptr<kernels::ConvBackward> backwardKernel(kernels::ConvSpec::Kind kind,
                                                        const std::vector<int64_t>& kernel,
                                                        int64_t inC, int64_t outC) const {
    return std::make_unique<kernels::ConvBackward>(spec(kind, kernel, inC, outC));
  }
  // The fast backward pass `k` of one of this layer's convolutions over channels_last x and the
  // output gradient g (kernels::ConvBackward::run: dx overwritten, dk and db accumulated into)
  // when fast kernels are on and it takes the geometry; otherwise db (when given) receives the
  // sum of g over everything but its `outC` channels and `fallback()` runs the reference loops.
  template <typename Fallback>
  void backwardPass(const kernels::ConvBackward* k, const Array& x, const Window& w,
                    const char* kernel, const Array& g, int64_t outC, float* dx, float* dk,
                    float* db, Fallback fallback) const {
    if (k != nullptr && !kernels::referenceKernels() &&
        k->run(x.data.data(), x.shape[0], w, weight(kernel).data(), g.data.data(), dx, dk, db)) {
      return;
    }
    if (db != nullptr) {
      for (int64_t i = 0; i < g.size(); i += outC) {
        for (int64_t f = 0; f < outC; ++f) db[f] += g.data[static_cast<size_t>(i + f)];
      }
    }
    fallback();
  }
  // a itself when the layer is channels_last, else its channels_last transpose kept in `store`.
  const Array& asChannelsLast(const Array& a, Array& store) const {
    if (!channelsFirst_) return a;
    store = spatial::toChannelsLast(a);
    return store;
  }
  // The single output of a layer from channels_last `a` (transposed back for channels_first; an
  // empty array stays empty).
  std::vector<Array> inLayerFormat(Array a) const {
    if (channelsFirst_ && !a.shape.empty()) a = spatial::toChannelsFirst(a);
    return oneOutput(std::move(a));
  }
  // The activation still to apply after a fast (true) or reference (false) kernel.
  void finish(Array& y, bool ranFast) const {
    if (!ranFast || fused_ == kernels::Fused::kNone) applyActivation(act_, y);
  }
  static void addBias(Array& y, std::span<const float> b) {
    const int64_t ch = static_cast<int64_t>(b.size());
    for (int64_t i = 0; i < y.size(); i += ch) {
      for (int64_t j = 0; j < ch; ++j) y.data[static_cast<size_t>(i + j)] += b[j];
    }
  }

  size_t rank_;
  std::vector<int64_t> kernelSize_, strides_, dilation_;
  bool same_;
  bool channelsFirst_;
  bool useBias_;
  std::string activation_;
  ActivationKind act_ = ActivationKind::kLinear;
  kernels::Fused fused_ = kernels::Fused::kLinear;
  Shape built_;  // the input shape given to build()
};

Shape withChannels(int64_t batch, const Window& w, size_t rank, int64_t ch, bool useIn) {
  Shape s = {batch};
  for (size_t i = 3 - rank; i < 3; ++i) s.push_back(useIn ? w.in[i] : w.out[i]);
  s.push_back(ch);
  return s;
}

// The layers that run one convolution (Conv, ConvTranspose, DepthwiseConv2D): call, training
// forward and backward around the fast kernels of `kind`, with the reference kernels of each
// subclass as the fallback.
class OneKernelConv : public ConvBase {
 public:
  OneKernelConv(const Config& c, size_t rank, kernels::ConvSpec::Kind kind, const char* kernelName)
      : ConvBase(c, rank), kind_(kind), kernelName_(kernelName) {}

  std::vector<Shape> build(const std::vector<Shape>& in) override {
    inDim_ = channels(in.at(0));
    built_ = in[0];
    Shape space = spatialDims(in[0]);
    for (size_t i = 0; i < rank_; ++i) space[i] = outputLength(space[i], i);
    return {outputShape(in[0][0], space, outChannels())};
  }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{kernelName_, kernelShape()}};
    if (useBias_) v.push_back({"bias", {outChannels()}});
    return v;
  }
  void setWeights(std::vector<Tensor> weights) override {
    Layer::setWeights(std::move(weights));
    fast_ = fastKernel(kind_, kernelName_, kernelSize_, inDim_, outChannels(), true, true);
    backward_ = backwardKernel(kind_, kernelSize_, inDim_, outChannels());
    if (kind_ != kernels::ConvSpec::Kind::kTranspose) prepare(*fast_, true);
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array xcl;
    const Array& x = asChannelsLast(*in[0], xcl);
    Array y;
    const bool fast = convolve(x, fast_.get(), y);
    if (channelsFirst_) y = spatial::toChannelsFirst(y);
    finish(y, fast);
    return oneOutput(std::move(y));
  }
  // Training: z = conv(x) + bias (a fast kernel packed from the current weights, or the
  // reference loop), kept in the output's layout for the backward pass; y = activation(z) after
  // the transpose back (as call(): softmax then works on the last axis of the output, as TF.js
  // applies it).
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext&,
                                  std::unique_ptr<LayerState>& state) const override {
    Array xcl;
    const Array& x = asChannelsLast(*in[0], xcl);
    Array z;
    convolve(x,
             fastKernel(kind_, kernelName_, kernelSize_, inDim_, outChannels(), true, false).get(),
             z);
    if (channelsFirst_) z = spatial::toChannelsFirst(z);
    Array y = z;
    applyActivation(act_, y);
    state = std::make_unique<LayerState>();
    state->arrays.push_back(std::move(z));
    return oneOutput(std::move(y));
  }
  // Backward: g = dy * f'(z), channels_last; dbias = sum of g; then the fast backward pass or the
  // subclass's reference loops. Only Conv skips dL/dx when the executor needs none.
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState* state,
                              std::vector<Array> dOut, GradientSink& grads) const override {
    Array g = std::move(dOut[0]);  // in the output's layout, as z and y
    activationBackward(act_, state->arrays[0].data.data(), out[0]->data.data(), g.data.data(),
                       g.size(), g.shape.empty() ? 1 : g.shape.back());
    if (channelsFirst_) g = spatial::toChannelsLast(g);
    Array xcl;
    const Array& x = asChannelsLast(*in[0], xcl);
    const Window w = resolved(x);
    auto& dv = grads.of(this);
    float* db = useBias_ ? dv[1].data.data() : nullptr;
    const bool needDx = grads.inputGradientsNeeded || kind_ != kernels::ConvSpec::Kind::kConv;
    Array dx = needDx ? Array(x.shape) : Array();
    float* dxp = needDx ? dx.data.data() : nullptr;
    backwardPass(backward_.get(), x, w, kernelName_, g, outChannels(), dxp, dv[0].data.data(), db,
                 [&] { referenceBackward(x, w, g, dxp, dv[0].data.data()); });
    return inLayerFormat(std::move(dx));
  }

 protected:
  // The output channels (after build()), the kernel's shape, and the output length of spatial
  // dimension i for an input of length len (-1: unknown).
  virtual int64_t outChannels() const = 0;
  virtual Shape kernelShape() const = 0;
  virtual int64_t outputLength(int64_t len, size_t i) const {
    return spatial::convOutputLength(len, kernelSize_[i], same_, strides_[i], dilation_[i]);
  }
  // The kernel shape kernel_size + [a, b].
  Shape kernelWith(int64_t a, int64_t b) const {
    Shape k(kernelSize_.begin(), kernelSize_.end());
    k.push_back(a);
    k.push_back(b);
    return k;
  }
  // The resolved window of channels_last x.
  virtual Window resolved(const Array& x) const {
    Window w = window(x.shape, true);
    spatial::resolveWindow(w, same_, rank_ < 3, fmt::format("layer '{}'", name()));
    return w;
  }
  // The reference forward kernel: y (zero on entry) += conv(x) over w, no bias.
  virtual void reference(const Array& x, const Window& w, float* y) const = 0;
  // The reference backward kernels for dL/dy = g (channels_last): dx (zero on entry, or null to
  // skip) receives dL/dx, dk is accumulated into.
  virtual void referenceBackward(const Array& x, const Window& w, const Array& g, float* dx,
                                 float* dk) const = 0;

  kernels::ConvSpec::Kind kind_;
  const char* kernelName_;
  int64_t inDim_ = 0;  // set by build()

 private:
  // y = conv(x) + bias for channels_last x by the fast kernel k (its fused activation included)
  // when it runs, else by the reference kernel; true when k ran.
  bool convolve(const Array& x, const kernels::Conv* k, Array& y) const {
    const Window w = resolved(x);
    y = Array(withChannels(x.shape[0], w, rank_, outChannels(),
                           kind_ == kernels::ConvSpec::Kind::kTranspose),
              kUninitialized);
    if (runFast(k, x, w, y)) return true;
    std::fill(y.data.begin(), y.data.end(), 0.0f);
    reference(x, w, y.data.data());
    if (useBias_) addBias(y, weight("bias"));
    return false;
  }

  std::unique_ptr<kernels::Conv> fast_;
  std::unique_ptr<kernels::ConvBackward> backward_;
};

// Conv1D / Conv2D / Conv3D: kernel [k..., in, filters], bias [filters].
class Conv final : public OneKernelConv {
 public:
  Conv(const Config& c, size_t rank)
      : OneKernelConv(c, rank, kernels::ConvSpec::Kind::kConv, "kernel"),
        filters_(c.integer("filters", 0)) {
    if (filters_ <= 0) c.unsupported(fmt::format("filters = {}", filters_));
    if (c.integer("groups", 1) != 1) {
      c.unsupported(
          fmt::format("groups = {} (TF.js has no grouped convolution)", c.integer("groups", 1)));
    }
    if (rank == 1 && channelsFirst_) {
      c.unsupported(
          "data_format 'channels_first' (TF.js's Conv1D returns [batch, steps, filters] for it "
          "while declaring [batch, filters, steps])");
    }
  }

 private:
  int64_t outChannels() const override { return filters_; }
  Shape kernelShape() const override { return kernelWith(inDim_, filters_); }
  void reference(const Array& x, const Window& w, float* y) const override {
    kernels::reference::conv(x.data.data(), x.shape[0], w, inDim_, weight("kernel").data(),
                             filters_, y);
  }
  void referenceBackward(const Array& x, const Window& w, const Array& g, float* dx,
                         float* dk) const override {
    kernels::reference::convBackward(x.data.data(), x.shape[0], w, inDim_, weight("kernel").data(),
                                     filters_, g.data.data(), dx, dk);
  }

  int64_t filters_;
};

// Conv2DTranspose / Conv3DTranspose: kernel [k..., filters, in], bias [filters]; output size
// tfjs-layers deconvLength: 'valid' in*s + max(k - s, 0), 'same' in*s. Backward: dx = conv(g)
// with the same kernel (the adjoint of the adjoint); dkernel[p, f, c] = sum g[i*s - pad + p, f] *
// x[i, c], which is convBackward's kernel gradient with g as the input and x as the output
// gradient.
class ConvTranspose final : public OneKernelConv {
 public:
  ConvTranspose(const Config& c, size_t rank)
      : OneKernelConv(c, rank, kernels::ConvSpec::Kind::kTranspose, "kernel"),
        filters_(c.integer("filters", 0)) {
    if (filters_ <= 0) c.unsupported(fmt::format("filters = {}", filters_));
    for (int64_t d : dilation_) {
      if (d != 1) c.unsupported("dilation_rate > 1 (TF.js ignores it for transposed convolution)");
    }
    if (c.has("output_padding")) {
      c.unsupported("output_padding (TF.js ignores it for transposed convolution)");
    }
  }

 private:
  int64_t outChannels() const override { return filters_; }
  Shape kernelShape() const override { return kernelWith(filters_, inDim_); }
  // tfjs-layers deconvLength.
  int64_t outputLength(int64_t len, size_t i) const override {
    if (len < 0) return -1;
    if (same_) return len * strides_[i];
    return len * strides_[i] + std::max<int64_t>(kernelSize_[i] - strides_[i], 0);
  }
  // The forward convolution this op is the adjoint of, which runs from the output (w.in) to the
  // channels_last input x (w.out).
  Window resolved(const Array& x) const override {
    Window w = window(x.shape, false);
    for (size_t i = 0; i < rank_; ++i) {
      const size_t j = 3 - rank_ + i;
      w.in[j] = outputLength(x.shape[1 + i], i);
    }
    spatial::resolveWindow(w, same_, rank_ < 3, fmt::format("layer '{}'", name()));
    for (size_t i = 0; i < rank_; ++i) {
      if (w.out[3 - rank_ + i] != x.shape[1 + i]) {
        throw Error(
            ErrorCode::kInvalidArgument,
            fmt::format("layer '{}': inconsistent transposed convolution geometry", name()));
      }
    }
    return w;
  }
  void reference(const Array& x, const Window& w, float* y) const override {
    kernels::reference::convTranspose(x.data.data(), x.shape[0], w, inDim_, weight("kernel").data(),
                                      filters_, y);
  }
  void referenceBackward(const Array& x, const Window& w, const Array& g, float* dx,
                         float* dk) const override {
    kernels::reference::conv(g.data.data(), x.shape[0], w, filters_, weight("kernel").data(),
                             inDim_, dx);
    kernels::reference::convBackward(g.data.data(), x.shape[0], w, filters_,
                                     weight("kernel").data(), inDim_, x.data.data(), nullptr, dk);
  }

  int64_t filters_;
};

// DepthwiseConv2D: depthwise_kernel [kh, kw, in, depth_multiplier], bias [in * multiplier].
class DepthwiseConv2D final : public OneKernelConv {
 public:
  explicit DepthwiseConv2D(const Config& c)
      : OneKernelConv(c, 2, kernels::ConvSpec::Kind::kDepthwise, "depthwise_kernel"),
        mult_(c.integer("depth_multiplier", 1)) {
    if (mult_ <= 0) c.unsupported(fmt::format("depth_multiplier = {}", mult_));
    for (int64_t d : dilation_) {
      if (d != 1) {
        c.unsupported(
            "dilation_rate > 1 (TF.js's DepthwiseConv2D ignores it and computes an "
            "undilated convolution)");
      }
    }
  }

 private:
  int64_t outChannels() const override { return inDim_ * mult_; }
  Shape kernelShape() const override { return kernelWith(inDim_, mult_); }
  void reference(const Array& x, const Window& w, float* y) const override {
    kernels::reference::depthwise(x.data.data(), x.shape[0], w, inDim_,
                                  weight("depthwise_kernel").data(), mult_, y);
  }
  void referenceBackward(const Array& x, const Window& w, const Array& g, float* dx,
                         float* dk) const override {
    kernels::reference::depthwiseBackward(x.data.data(), x.shape[0], w, inDim_,
                                          weight("depthwise_kernel").data(), mult_, g.data.data(),
                                          dx, dk);
  }

  int64_t mult_;
};

// SeparableConv2D: depthwise (with dilation) then a 1x1 convolution; depthwise_kernel
// [kh, kw, in, multiplier], pointwise_kernel [1, 1, in * multiplier, filters], bias [filters].
class SeparableConv2D final : public ConvBase {
 public:
  explicit SeparableConv2D(const Config& c)
      : ConvBase(c, 2), filters_(c.integer("filters", 0)), mult_(c.integer("depth_multiplier", 1)) {
    if (filters_ <= 0) c.unsupported(fmt::format("filters = {}", filters_));
    if (mult_ <= 0) c.unsupported(fmt::format("depth_multiplier = {}", mult_));
    if (channelsFirst_ && useBias_) {
      c.unsupported(
          "data_format 'channels_first' with use_bias (TF.js adds the bias along the height "
          "axis there)");
    }
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    inDim_ = channels(in.at(0));
    built_ = in[0];
    Shape space = spatialDims(in[0]);
    for (size_t i = 0; i < 2; ++i) {
      space[i] =
          spatial::convOutputLength(space[i], kernelSize_[i], same_, strides_[i], dilation_[i]);
    }
    return {outputShape(in[0][0], space, filters_)};
  }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {
        {"depthwise_kernel", {kernelSize_[0], kernelSize_[1], inDim_, mult_}},
        {"pointwise_kernel", {1, 1, inDim_ * mult_, filters_}}};
    if (useBias_) v.push_back({"bias", {filters_}});
    return v;
  }
  void setWeights(std::vector<Tensor> weights) override {
    Layer::setWeights(std::move(weights));
    fastDepthwise_ = fastKernel(kernels::ConvSpec::Kind::kDepthwise, "depthwise_kernel",
                                kernelSize_, inDim_, inDim_ * mult_, false, false);
    fastPointwise_ = fastKernel(kernels::ConvSpec::Kind::kConv, "pointwise_kernel", {1, 1},
                                inDim_ * mult_, filters_, true, true);
    backwardDepthwise_ =
        backwardKernel(kernels::ConvSpec::Kind::kDepthwise, kernelSize_, inDim_, inDim_ * mult_);
    backwardPointwise_ =
        backwardKernel(kernels::ConvSpec::Kind::kConv, {1, 1}, inDim_ * mult_, filters_);
    prepare(*fastDepthwise_, true);
    if (const auto w = builtWindow(true); w && !kernels::referenceKernels()) {
      fastPointwise_->prepare(1, pointwiseWindow(*w));
    }
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array xcl;
    const Array& x = asChannelsLast(*in[0], xcl);
    Array d, y;
    const bool fast = convolve(x, fastDepthwise_.get(), fastPointwise_.get(), d, y);
    // TF.js applies the activation before transposing back (elementwise: the order is moot).
    finish(y, fast);
    return inLayerFormat(std::move(y));
  }
  // Training: d = depthwise(x) and z = pointwise(d) + bias, both channels_last and kept;
  // y = activation(z), then transposed back. Backward: g = dy * f'(z); dbias = sum of g; the
  // pointwise 1x1 convolution through convBackward (dd, dpointwise), then the depthwise one
  // through depthwiseBackward (dx, ddepthwise).
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext&,
                                  std::unique_ptr<LayerState>& state) const override {
    Array xcl;
    const Array& x = asChannelsLast(*in[0], xcl);
    const int64_t mid = inDim_ * mult_;
    const auto depthwise = fastKernel(kernels::ConvSpec::Kind::kDepthwise, "depthwise_kernel",
                                      kernelSize_, inDim_, mid, false, false);
    const auto pointwise = fastKernel(kernels::ConvSpec::Kind::kConv, "pointwise_kernel", {1, 1},
                                      mid, filters_, true, false);
    Array d, z;
    convolve(x, depthwise.get(), pointwise.get(), d, z);
    Array y = z;
    applyActivation(act_, y);
    state = std::make_unique<LayerState>();
    state->arrays.push_back(std::move(d));
    state->arrays.push_back(std::move(z));
    return inLayerFormat(std::move(y));
  }
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState* state,
                              std::vector<Array> dOut, GradientSink& grads) const override {
    Array xcl, ycl;
    const Array& x = asChannelsLast(*in[0], xcl);
    const Array& y = asChannelsLast(*out[0], ycl);
    Array g = channelsFirst_ ? spatial::toChannelsLast(dOut[0]) : std::move(dOut[0]);
    const Array& d = state->arrays[0];
    activationBackward(act_, state->arrays[1].data.data(), y.data.data(), g.data.data(), g.size(),
                       filters_);
    const Window w = resolved(x);
    const Window one = pointwiseWindow(w);
    auto& dv = grads.of(this);
    float* db = useBias_ ? dv[2].data.data() : nullptr;
    Array dd(d.shape);
    backwardPass(backwardPointwise_.get(), d, one, "pointwise_kernel", g, filters_, dd.data.data(),
                 dv[1].data.data(), db, [&] {
                   kernels::reference::convBackward(d.data.data(), x.shape[0], one, inDim_ * mult_,
                                                    weight("pointwise_kernel").data(), filters_,
                                                    g.data.data(), dd.data.data(),
                                                    dv[1].data.data());
                 });
    Array dx(x.shape);
    backwardPass(backwardDepthwise_.get(), x, w, "depthwise_kernel", dd, inDim_ * mult_,
                 dx.data.data(), dv[0].data.data(), nullptr, [&] {
                   kernels::reference::depthwiseBackward(
                       x.data.data(), x.shape[0], w, inDim_, weight("depthwise_kernel").data(),
                       mult_, dd.data.data(), dx.data.data(), dv[0].data.data());
                 });
    return inLayerFormat(std::move(dx));
  }

 private:
  Window resolved(const Array& x) const {
    Window w = window(x.shape, true);
    spatial::resolveWindow(w, same_, true, fmt::format("layer '{}'", name()));
    return w;
  }
  // The 1x1 pointwise step's window over the depthwise output of window w.
  static Window pointwiseWindow(const Window& w) {
    Window one;
    one.in = one.out = w.out;
    return one;
  }
  // d = depthwise(x) and y = pointwise(d) + bias, channels_last, by the fast kernels (the
  // pointwise one's fused activation included) when both run, else by the reference kernels;
  // true when the fast kernels ran.
  bool convolve(const Array& x, const kernels::Conv* depthwise, const kernels::Conv* pointwise,
                Array& d, Array& y) const {
    const Window w = resolved(x);
    const Window one = pointwiseWindow(w);
    const int64_t batch = x.shape[0];
    const int64_t mid = inDim_ * mult_;
    d = Array(withChannels(batch, w, 2, mid, false), kUninitialized);
    y = Array(withChannels(batch, w, 2, filters_, false), kUninitialized);
    if (runFast(depthwise, x, w, d) && runFast(pointwise, d, one, y)) return true;
    std::fill(d.data.begin(), d.data.end(), 0.0f);
    std::fill(y.data.begin(), y.data.end(), 0.0f);
    kernels::reference::depthwise(x.data.data(), batch, w, inDim_,
                                  weight("depthwise_kernel").data(), mult_, d.data.data());
    kernels::reference::conv(d.data.data(), batch, one, mid, weight("pointwise_kernel").data(),
                             filters_, y.data.data());
    if (useBias_) addBias(y, weight("bias"));
    return false;
  }

  int64_t filters_;
  int64_t mult_;
  int64_t inDim_ = 0;
  std::unique_ptr<kernels::Conv> fastDepthwise_, fastPointwise_;
  std::unique_ptr<kernels::ConvBackward> backwardDepthwise_, backwardPointwise_;
};

}  // namespace

void addConvLayers(Registry& r) {
  addClass(r, "Conv1D", [](const Config& c) { return std::make_unique<Conv>(c, 1); });
  addClass(r, "Conv2D", [](const Config& c) { return std::make_unique<Conv>(c, 2); });
  addClass(r, "Conv3D", [](const Config& c) { return std::make_unique<Conv>(c, 3); });
  addClass(r, "Conv2DTranspose",
           [](const Config& c) { return std::make_unique<ConvTranspose>(c, 2); });
  addClass(r, "Conv3DTranspose",
           [](const Config& c) { return std::make_unique<ConvTranspose>(c, 3); });
  add<DepthwiseConv2D>(r, "DepthwiseConv2D");
  add<SeparableConv2D>(r, "SeparableConv2D");
}

}  // namespace tfjs::layers
