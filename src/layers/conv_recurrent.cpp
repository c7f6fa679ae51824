// Convolutional recurrent layers: ConvLSTM2D (tfjs-layers 4.22, layers/convolutional_recurrent.ts).
//
// An LSTM whose matrix products are 2-D convolutions. Input [batch, time, rows, cols, channels]
// (channels_first: [batch, time, channels, rows, cols]); kernel [kh, kw, channels, 4 * filters],
// recurrent_kernel [kh, kw, filters, 4 * filters], bias [4 * filters], the four gates in the order
// i, f, c, o along the last axis (TF.js splits them there). At each step, as ConvLSTM2DCell.call:
//   x* = conv(x_t, kernel*, strides, padding, dilation_rate) + bias*
//   h* = conv(h_{t-1}, recurrent_kernel*, strides 1, 'same', no dilation)
//   i = ra(xi + hi), f = ra(xf + hf), c_t = f * c_{t-1} + i * a(xc + hc), h_t = ra(xo + ho) *
//   a(c_t)
// with a = activation (default tanh) and ra = recurrent_activation (TF.js default hard_sigmoid).
// States start at zero with the shape of one output step. Outputs: the last h (or every h when
// return_sequences, in processing order, so reversed time with go_backwards, as TF.js's rnn), then
// h and c when return_state. The input convolutions of every frame run at once before the time
// loop (one convolution over batch * time frames), the recurrent one once per step; both through
// oneDNN (kernels::Conv, weights packed once) or, when reference kernels are asked for, the plain
// loop of kernels::reference::conv over channels_last data in tfjs-backend-cpu's order (kernel
// row, kernel column, input channel). The gate activations run kernels::unary. channels_first
// data is transposed to channels_last and back, which changes no sum. Dropouts are the identity
// at inference; unit_forget_bias only chooses an initializer.
//
// Refused as TF.js refuses or cannot run them: stateful (no state is kept between calls here),
// unroll (NotImplementedError in TF.js), strides > 1 with dilation_rate > 1 (tfjs-core's conv2d
// assert), padding 'causal', initial states given as extra inputs, and masked inputs.
// Training: forwardTrain keeps every step (reference convolutions on the live weights) and
// backward is backpropagation through time with kernels::reference::convBackward. Dropout in
// training as tfjs-layers 4.22's ConvLSTM2DCell: with 0 < dropout < 1, four input masks (one per
// gate i, f, c, o) of the shape of one input frame [batch, rows, cols, channels]; with
// 0 < recurrent_dropout < 1, four state masks of the shape of h [batch, rows', cols', filters].
// Each entry is 0 with probability rate, else 1 / (1 - rate) (generateDropoutMask through
// tf.dropout), drawn once per layer call (ConvRNN2D.call resets them) and shared by every step;
// gate g's input convolution reads x_t * mask_g, its recurrent convolution h_{t-1} * rmask_g
// (unlike TF.js's LSTMCell, which uses only its first mask, this cell uses all four). The carried
// c is never dropped. Random stream: fit's (TrainingContext), as Dropout's; the masks are kept
// for backward. A rate outside (0, 1) drops nothing, as TF.js. Inference is unchanged.
// ConvLSTM2DCell is not registered: TF.js's generic RNN layer cannot run it (its input spec
// expects rank 3).
#include <fmt/format.h>

#include <algorithm>
#include <memory>

#include "kernels/kernels.h"
#include "layers/activations.h"
#include "layers/layer.h"
#include "layers/spatial.h"

namespace tfjs::layers {
namespace {

using spatial::Window;

// y = conv(x) (+ bias when given) over the depth-1 window w: `fast` unless reference kernels are
// asked for or oneDNN refuses the geometry, else the reference loop.
void convolve(const kernels::Conv* fast, const float* x, int64_t batch, const Window& w,
              int64_t inC, const float* k, int64_t outC, const float* bias, float* y) {
  if (fast != nullptr && !kernels::referenceKernels() && fast->run(x, batch, w, y)) return;
  const int64_t n = batch * w.out[1] * w.out[2] * outC;
  std::fill(y, y + n, 0.0f);
  kernels::reference::conv(x, batch, w, inC, k, outC, y);
  if (bias != nullptr) {
    for (int64_t i = 0; i < n; i += outC) {
      for (int64_t g = 0; g < outC; ++g) y[i + g] += bias[g];
    }
  }
}

class ConvLSTM2D final : public Layer {
 public:
  explicit ConvLSTM2D(const Config& c)
      : Layer(c),
        filters_(c.integer("filters", 0)),
        kernelSize_(c.ints("kernel_size", 2, 0)),
        strides_(c.ints("strides", 2, 1)),
        dilation_(c.ints("dilation_rate", 2, 1)),
        same_(spatial::samePadding(c)),
        channelsFirst_(spatial::channelsFirst(c)),
        useBias_(c.boolean("use_bias", true)),
        returnSequences_(c.boolean("return_sequences", false)),
        returnState_(c.boolean("return_state", false)),
        goBackwards_(c.boolean("go_backwards", false)),
        activation_(c.has("activation") ? c.activation("activation") : "tanh"),
        recurrentActivation_(c.has("recurrent_activation") ? c.activation("recurrent_activation")
                                                           : "hard_sigmoid") {
    if (filters_ <= 0) c.unsupported(fmt::format("filters = {}", filters_));
    if (!isActivation(activation_)) c.unsupported(fmt::format("activation '{}'", activation_));
    if (!isActivation(recurrentActivation_)) {
      c.unsupported(fmt::format("recurrent_activation '{}'", recurrentActivation_));
    }
    kind_ = activationKind(activation_, c.name());
    rkind_ = activationKind(recurrentActivation_, c.name());
    act_ = unaryOf(kind_);
    ract_ = unaryOf(rkind_);
    spatial::checkConvWindow(c, kernelSize_, strides_, dilation_);
    if (c.boolean("stateful", false)) {
      c.unsupported("stateful = true (states kept between predict calls)");
    }
    if (c.boolean("unroll", false)) {
      c.unsupported("unroll = true (TF.js: 'Unrolling is not possible with convolutional RNNs')");
    }
    for (const char* key : {"dropout", "recurrent_dropout"}) {
      const double rate = c.number(key, 0.0);
      if (!(rate >= 0.0 && rate <= 1.0)) c.unsupported(fmt::format("'{}' = {}", key, rate));
    }
  }

  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) {
      config_.unsupported(
          fmt::format("{} inputs (initial states given as inputs are not supported)", in.size()));
    }
    const Shape& s = in[0];
    spatial::checkRank(config_, s, 5);
    inDim_ = channelsFirst_ ? s[2] : s[4];
    if (inDim_ <= 0) config_.unsupported("an input whose channel dimension is unknown");
    const int64_t h = channelsFirst_ ? s[3] : s[2];
    const int64_t w = channelsFirst_ ? s[4] : s[3];
    const int64_t ho =
        spatial::convOutputLength(h, kernelSize_[0], same_, strides_[0], dilation_[0]);
    const int64_t wo =
        spatial::convOutputLength(w, kernelSize_[1], same_, strides_[1], dilation_[1]);
    const Shape step =
        channelsFirst_ ? Shape{s[0], filters_, ho, wo} : Shape{s[0], ho, wo, filters_};
    Shape y = step;
    if (returnSequences_) y.insert(y.begin() + 1, s[1]);
    std::vector<Shape> out = {y};
    if (returnState_) {
      out.push_back(step);
      out.push_back(step);
    }
    return out;
  }

  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {
        {"kernel", {kernelSize_[0], kernelSize_[1], inDim_, 4 * filters_}},
        {"recurrent_kernel", {kernelSize_[0], kernelSize_[1], filters_, 4 * filters_}}};
    if (useBias_) v.push_back({"bias", {4 * filters_}});
    return v;
  }

  void setWeights(std::vector<Tensor> weights) override {
    Layer::setWeights(std::move(weights));
    kernels::ConvSpec s;
    s.kind = kernels::ConvSpec::Kind::kConv;
    s.rank = 2;
    s.kernel = kernelSize_;
    s.inC = inDim_;
    s.outC = 4 * filters_;
    s.weights = weight("kernel").data();
    s.bias = useBias_ ? weight("bias").data() : nullptr;
    s.activation = kernels::Fused::kLinear;
    fastInput_ = std::make_unique<kernels::Conv>(s);
    s.inC = filters_;
    s.weights = weight("recurrent_kernel").data();
    s.bias = nullptr;
    fastRecurrent_ = std::make_unique<kernels::Conv>(s);
  }

  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    return run(in, nullptr);
  }

  // Training: run() keeping every step's gates (before and after their activations), c, act(c)
  // and h, and the channels_last frames; backward walks the steps in reverse through the same
  // equations, the convolutions through kernels::reference::convBackward (the recurrent one per
  // step, the input one over every frame at once at the end).
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext& ctx,
                                  std::unique_ptr<LayerState>& state) const override {
    auto tr = std::make_unique<Trace>();
    const Array& x0 = *in.at(0);
    if (x0.shape.size() == 5) {
      // TF.js draws the input masks at the first step, then the state ones.
      const int64_t batch = x0.shape[0];
      const int64_t frame = x0.shape[2] * x0.shape[3] * x0.shape[4];
      const Window wx = inputWindow(channelsFirst_ ? x0.shape[3] : x0.shape[2],
                                    channelsFirst_ ? x0.shape[4] : x0.shape[3]);
      const int64_t stateSize = wx.out[1] * wx.out[2] * filters_;
      tr->dropIn = dropoutMasks(ctx, config_.number("dropout", 0.0), batch * frame);
      tr->dropRec = dropoutMasks(ctx, config_.number("recurrent_dropout", 0.0), batch * stateSize);
    }
    std::vector<Array> out = run(in, tr.get());
    state = std::move(tr);
    return out;
  }

  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState* state,
                              std::vector<Array> dOut, GradientSink& grads) const override {
    (void)out;
    const auto* tr = dynamic_cast<const Trace*>(state);
    if (tr == nullptr) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' ({}): backward without its training forward", name(),
                              className()));
    }
    const Array& x0 = *in.at(0);
    const int64_t batch = x0.shape[0], steps = x0.shape[1];
    const int64_t F = filters_, G = 4 * filters_;
    const int64_t ho = tr->wx.out[1], wo = tr->wx.out[2], pixels = ho * wo;
    const int64_t stepSize = pixels * F;
    // Every output gradient channels_last.
    for (Array& g : dOut) {
      if (!channelsFirst_ || g.data.empty()) continue;
      if (g.shape.size() == 4) {
        g = spatial::toChannelsLast(g);
      } else {
        Array folded({batch * steps, F, ho, wo}, std::move(g.data));
        Array t = spatial::toChannelsLast(folded);
        g = Array({batch, steps, ho, wo, F}, std::move(t.data));
      }
    }
    const auto n = static_cast<size_t>(batch * stepSize);
    std::vector<float> dh(n, 0.0f), dc(n, 0.0f), dhPrev(n);
    auto add = [&](std::vector<float>& acc, const Array& g) {
      if (g.data.size() != acc.size()) return;
      for (size_t i = 0; i < acc.size(); ++i) acc[i] += g.data[i];
    };
    if (!returnSequences_) add(dh, dOut.at(0));
    if (returnState_) {
      add(dh, dOut.at(1));
      add(dc, dOut.at(2));
    }
    auto& dv = grads.of(this);
    const float* rk = weight("recurrent_kernel").data();
    std::vector<float> dzx(static_cast<size_t>(batch * steps * pixels * G), 0.0f);
    std::vector<float> dz(static_cast<size_t>(batch * pixels * G));
    std::vector<float> d(n);
    std::vector<float> dgate[4];
    for (auto& v : dgate) v.resize(n);
    const std::vector<float> zeros(n, 0.0f);
    for (int64_t k = steps; k-- > 0;) {
      const int64_t t = goBackwards_ ? steps - 1 - k : k;
      const StepTrace& st = tr->steps[static_cast<size_t>(k)];
      if (returnSequences_ && !dOut.at(0).data.empty()) {
        const float* g = dOut[0].data.data();
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t i = 0; i < stepSize; ++i)
            dh[static_cast<size_t>(b * stepSize + i)] += g[(b * steps + k) * stepSize + i];
      }
      const std::vector<float>& cPrev = k > 0 ? tr->steps[static_cast<size_t>(k - 1)].c : zeros;
      const std::vector<float>& hPrev = k > 0 ? tr->steps[static_cast<size_t>(k - 1)].h : zeros;
      const auto& post = st.post;
      for (size_t i = 0; i < n; ++i) {
        dgate[3][i] = dh[i] * st.ac[i];
        d[i] = dh[i] * post[3][i];
      }
      activationBackward(kind_, st.c.data(), st.ac.data(), d.data(), batch * stepSize, F);
      for (size_t i = 0; i < n; ++i) {
        const float g = dc[i] + d[i];
        dgate[0][i] = g * post[2][i];
        dgate[1][i] = g * cPrev[i];
        dgate[2][i] = g * post[0][i];
        dc[i] = g * post[1][i];
      }
      for (int gate = 0; gate < 4; ++gate) {
        activationBackward(gate == 2 ? kind_ : rkind_, st.pre[gate].data(), post[gate].data(),
                           dgate[gate].data(), batch * stepSize, F);
      }
      for (int64_t b = 0; b < batch; ++b) {
        float* zx = dzx.data() + (b * steps + t) * pixels * G;
        for (int64_t p = 0; p < pixels; ++p) {
          for (int gate = 0; gate < 4; ++gate) {
            for (int64_t f = 0; f < F; ++f) {
              const float g = dgate[gate][static_cast<size_t>((b * pixels + p) * F + f)];
              dz[static_cast<size_t>((b * pixels + p) * G + gate * F + f)] = g;
              zx[p * G + gate * F + f] = g;
            }
          }
        }
      }
      std::fill(dhPrev.begin(), dhPrev.end(), 0.0f);
      gatedConvBackward(hPrev.data(), batch, tr->wh, F, rk, tr->dropRec, 1, dz.data(),
                        dhPrev.data(), dv[1].data.data());
      std::swap(dh, dhPrev);
    }
    if (useBias_) {
      float* db = dv[2].data.data();
      for (size_t i = 0; i < dzx.size(); i += static_cast<size_t>(G))
        for (int64_t g = 0; g < G; ++g) db[g] += dzx[i + static_cast<size_t>(g)];
    }
    Array dframes(tr->frames.shape);
    gatedConvBackward(tr->frames.data.data(), batch * steps, tr->wx, inDim_,
                      weight("kernel").data(), tr->dropIn, steps, dzx.data(), dframes.data.data(),
                      dv[0].data.data());
    if (channelsFirst_) dframes = spatial::toChannelsFirst(dframes);
    return oneOutput(Array(x0.shape, std::move(dframes.data)));
  }

 private:
  struct StepTrace {
    std::vector<float> pre[4], post[4];  // the gates i, f, c, o, each [batch, ho, wo, F]
    std::vector<float> c, ac, h;         // c_t, act(c_t), h_t
  };
  struct Trace : LayerState {
    Array frames;  // [batch * time, rows, cols, channels]
    Window wx, wh;
    std::vector<StepTrace> steps;
    // The dropout masks of the call, channels_last: none, or one per gate i, f, c, o, each
    // [batch, rows, cols, channels] (input) or [batch, rows', cols', filters] (state).
    std::vector<std::vector<float>> dropIn, dropRec;
  };

  // Four masks of n entries for `rate` (none unless 0 < rate < 1): each entry 0 with
  // probability rate, else 1 / (1 - rate).
  static std::vector<std::vector<float>> dropoutMasks(TrainingContext& ctx, double rate,
                                                      int64_t n) {
    if (!(rate > 0 && rate < 1)) return {};
    const auto keep = static_cast<float>(1 - rate);
    const float scale = 1.0f / keep;
    std::vector<std::vector<float>> masks(4, std::vector<float>(static_cast<size_t>(n)));
    for (auto& m : masks)
      for (float& v : m) v = ctx.uniform() < keep ? scale : 0.0f;
    return masks;
  }

  // The window of the input convolution for frames of rows x cols.
  Window inputWindow(int64_t rows, int64_t cols) const {
    Window wx;
    wx.in = {1, rows, cols};
    wx.k = {1, kernelSize_[0], kernelSize_[1]};
    wx.stride = {1, strides_[0], strides_[1]};
    wx.dilation = {1, dilation_[0], dilation_[1]};
    spatial::resolveWindow(wx, same_, true, fmt::format("layer '{}'", name()));
    return wx;
  }

  // Gate g's columns of a kernel [kh, kw, inC, 4F]: [kh, kw, inC, F].
  std::vector<float> gateSlice(const float* k, int64_t rows, int64_t g) const {
    const int64_t F = filters_, G = 4 * filters_;
    std::vector<float> s(static_cast<size_t>(rows * F));
    for (int64_t r = 0; r < rows; ++r)
      std::copy(k + r * G + g * F, k + r * G + (g + 1) * F, s.begin() + r * F);
    return s;
  }
  // xm = x * mask over `frames` frames of `frameSize`, frame n using mask row n / perSample.
  static void masked(const float* x, const std::vector<float>& mask, int64_t frames,
                     int64_t frameSize, int64_t perSample, std::vector<float>& xm) {
    xm.resize(static_cast<size_t>(frames * frameSize));
    for (int64_t n = 0; n < frames; ++n) {
      const float* m = mask.data() + (n / perSample) * frameSize;
      for (int64_t i = 0; i < frameSize; ++i) xm[n * frameSize + i] = x[n * frameSize + i] * m[i];
    }
  }

  // z [frames, out rows, out cols, 4F] = conv(x, k) (+ bias) over `frames` channels_last frames;
  // with masks (see Trace), gate g's columns are conv(x * mask_g, k_g) (+ bias_g).
  void gatedConv(const kernels::Conv* fast, const float* x, int64_t frames, const Window& w,
                 int64_t inC, const float* k, const float* bias,
                 const std::vector<std::vector<float>>& masks, int64_t perSample, float* z) const {
    const int64_t F = filters_, G = 4 * filters_;
    if (masks.empty()) return convolve(fast, x, frames, w, inC, k, G, bias, z);
    const int64_t frameSize = w.in[1] * w.in[2] * inC;
    const int64_t outPixels = frames * w.out[1] * w.out[2];
    std::vector<float> xm, zg(static_cast<size_t>(outPixels * F));
    for (int64_t g = 0; g < 4; ++g) {
      masked(x, masks[static_cast<size_t>(g)], frames, frameSize, perSample, xm);
      const std::vector<float> kg = gateSlice(k, w.k[1] * w.k[2] * inC, g);
      convolve(nullptr, xm.data(), frames, w, inC, kg.data(), F, bias ? bias + g * F : nullptr,
               zg.data());
      for (int64_t p = 0; p < outPixels; ++p)
        std::copy(zg.begin() + p * F, zg.begin() + (p + 1) * F, z + p * G + g * F);
    }
  }
  // The backward pass of gatedConv for dL/dz = dz: adds dL/dx into dx (unless null) and dL/dk
  // into dk.
  void gatedConvBackward(const float* x, int64_t frames, const Window& w, int64_t inC,
                         const float* k, const std::vector<std::vector<float>>& masks,
                         int64_t perSample, const float* dz, float* dx, float* dk) const {
    const int64_t F = filters_, G = 4 * filters_;
    if (masks.empty()) {
      kernels::reference::convBackward(x, frames, w, inC, k, G, dz, dx, dk);
      return;
    }
    const int64_t frameSize = w.in[1] * w.in[2] * inC;
    const int64_t outPixels = frames * w.out[1] * w.out[2];
    const int64_t rows = w.k[1] * w.k[2] * inC;
    std::vector<float> xm, dzg(static_cast<size_t>(outPixels * F));
    std::vector<float> dxg(static_cast<size_t>(frames * frameSize));
    std::vector<float> dkg(static_cast<size_t>(rows * F));
    for (int64_t g = 0; g < 4; ++g) {
      const std::vector<float>& mask = masks[static_cast<size_t>(g)];
      masked(x, mask, frames, frameSize, perSample, xm);
      const std::vector<float> kg = gateSlice(k, rows, g);
      for (int64_t p = 0; p < outPixels; ++p)
        std::copy(dz + p * G + g * F, dz + p * G + (g + 1) * F, dzg.begin() + p * F);
      std::fill(dxg.begin(), dxg.end(), 0.0f);
      std::fill(dkg.begin(), dkg.end(), 0.0f);
      kernels::reference::convBackward(xm.data(), frames, w, inC, kg.data(), F, dzg.data(),
                                       dx ? dxg.data() : nullptr, dkg.data());
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t f = 0; f < F; ++f) dk[r * G + g * F + f] += dkg[r * F + f];
      if (dx) {
        for (int64_t n = 0; n < frames; ++n) {
          const float* m = mask.data() + (n / perSample) * frameSize;
          for (int64_t i = 0; i < frameSize; ++i)
            dx[n * frameSize + i] += dxg[n * frameSize + i] * m[i];
        }
      }
    }
  }

  // The forward pass; with `tr` (training) it keeps the trace and runs the reference
  // convolutions on the live weights (fit changes them in place between steps).
  std::vector<Array> run(const std::vector<const Array*>& in, Trace* tr) const {
    const Array& x0 = *in.at(0);
    const int64_t batch = x0.shape[0], steps = x0.shape[1];
    if (steps <= 0) {
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("layer '{}' ({}): an input with {} timesteps", name(), className(), steps));
    }
    // Frames [batch * time, rows, cols, channels].
    Array frames;
    if (channelsFirst_) {
      frames = spatial::toChannelsLast(
          Array({batch * steps, x0.shape[2], x0.shape[3], x0.shape[4]}, x0.data));
    } else {
      frames = Array({batch * steps, x0.shape[2], x0.shape[3], x0.shape[4]}, x0.data);
    }
    const int64_t F = filters_, G = 4 * filters_;

    // Input convolutions of every frame at once, plus the bias (each gate's on its own dropped
    // frames in training with dropout).
    const Window wx = inputWindow(frames.shape[1], frames.shape[2]);
    const int64_t ho = wx.out[1], wo = wx.out[2], pixels = ho * wo;
    std::vector<float> zx(static_cast<size_t>(batch * steps * pixels * G));
    const std::vector<std::vector<float>> none;
    gatedConv(tr ? nullptr : fastInput_.get(), frames.data.data(), batch * steps, wx, inDim_,
              weight("kernel").data(), useBias_ ? weight("bias").data() : nullptr,
              tr ? tr->dropIn : none, steps, zx.data());
    if (tr) {
      tr->frames = std::move(frames);
      tr->wx = wx;
    }
    frames = Array();

    // The recurrent convolution keeps the state's size: stride 1, 'same', no dilation.
    Window wh;
    wh.in = {1, ho, wo};
    wh.k = {1, kernelSize_[0], kernelSize_[1]};
    spatial::resolveWindow(wh, true, true, fmt::format("layer '{}'", name()));
    if (tr) tr->wh = wh;

    const Shape stepShape = {batch, ho, wo, F};
    Array h(stepShape), c(stepShape);
    Array seq;
    if (returnSequences_) seq = Array({batch, steps, ho, wo, F});
    std::vector<float> zh(static_cast<size_t>(batch * pixels * G));
    const float* rk = weight("recurrent_kernel").data();
    Array gi(stepShape), gf(stepShape), gc(stepShape), go(stepShape);
    for (int64_t k = 0; k < steps; ++k) {
      const int64_t t = goBackwards_ ? steps - 1 - k : k;
      gatedConv(tr ? nullptr : fastRecurrent_.get(), h.data.data(), batch, wh, F, rk, nullptr,
                tr ? tr->dropRec : none, 1, zh.data());
      for (int64_t n = 0; n < batch; ++n) {
        const float* zxp = zx.data() + (n * steps + t) * pixels * G;
        const float* zhp = zh.data() + n * pixels * G;
        for (int64_t p = 0; p < pixels; ++p) {
          const int64_t o = (n * pixels + p) * F;
          for (int64_t f = 0; f < F; ++f) {
            const int64_t q = p * G + f;
            gi.data[static_cast<size_t>(o + f)] = zxp[q] + zhp[q];
            gf.data[static_cast<size_t>(o + f)] = zxp[q + F] + zhp[q + F];
            gc.data[static_cast<size_t>(o + f)] = zxp[q + 2 * F] + zhp[q + 2 * F];
            go.data[static_cast<size_t>(o + f)] = zxp[q + 3 * F] + zhp[q + 3 * F];
          }
        }
      }
      StepTrace* st = nullptr;
      if (tr) {
        st = &tr->steps.emplace_back();
        const Array* g4[4] = {&gi, &gf, &gc, &go};
        for (int g = 0; g < 4; ++g) st->pre[g].assign(g4[g]->data.begin(), g4[g]->data.end());
      }
      activate(ract_, recurrentActivation_, gi);
      activate(ract_, recurrentActivation_, gf);
      activate(act_, activation_, gc);
      activate(ract_, recurrentActivation_, go);
      if (st) {
        const Array* g4[4] = {&gi, &gf, &gc, &go};
        for (int g = 0; g < 4; ++g) st->post[g].assign(g4[g]->data.begin(), g4[g]->data.end());
      }
      for (int64_t i = 0; i < c.size(); ++i) {
        const auto j = static_cast<size_t>(i);
        c.data[j] = gf.data[j] * c.data[j] + gi.data[j] * gc.data[j];
      }
      Array ac = c;
      activate(act_, activation_, ac);
      for (int64_t i = 0; i < h.size(); ++i) {
        const auto j = static_cast<size_t>(i);
        h.data[j] = go.data[j] * ac.data[j];
      }
      if (st) {
        st->c.assign(c.data.begin(), c.data.end());
        st->ac.assign(ac.data.begin(), ac.data.end());
        st->h.assign(h.data.begin(), h.data.end());
      }
      if (returnSequences_) {
        const int64_t stepSize = pixels * F;
        for (int64_t n = 0; n < batch; ++n) {
          std::copy(h.data.begin() + n * stepSize, h.data.begin() + (n + 1) * stepSize,
                    seq.data.begin() + (n * steps + k) * stepSize);
        }
      }
    }

    std::vector<Array> out;
    out.push_back(returnSequences_ ? std::move(seq) : h);
    if (returnState_) {
      out.push_back(h);
      out.push_back(std::move(c));
    }
    if (channelsFirst_) {
      for (Array& a : out) {
        if (a.shape.size() == 4) {
          a = spatial::toChannelsFirst(a);
        } else {  // [batch, time, rows, cols, filters] -> [batch, time, filters, rows, cols]
          Array folded({batch * steps, ho, wo, F}, std::move(a.data));
          Array t = spatial::toChannelsFirst(folded);
          a = Array({batch, steps, F, ho, wo}, std::move(t.data));
        }
      }
    }
    return out;
  }

 public:
  std::vector<std::optional<Array>> computeMask(
      const std::vector<const Array*>& inputs,
      const std::vector<const Array*>& masks) const override {
    (void)inputs;
    for (const Array* m : masks) {
      if (m) config_.unsupported("a masked input");
    }
    return std::vector<std::optional<Array>>(returnState_ ? 3 : 1);
  }
  bool readsMask() const override { return true; }
  std::vector<Array> callMasked(const std::vector<const Array*>& inputs,
                                const std::vector<const Array*>& masks) const override {
    for (const Array* m : masks) {
      if (m) config_.unsupported("a masked input");
    }
    return call(inputs);
  }

 private:
  // The element-wise kernel of an activation, or applyActivation for the others (softmax, ...).
  void activate(kernels::Unary kind, const std::string& activation, Array& a) const {
    if (kind == kernels::Unary::kOther) return applyActivation(activation, a, name());
    kernels::unary(kind, a.data.data(), a.size());
  }

  int64_t filters_;
  std::vector<int64_t> kernelSize_, strides_, dilation_;
  bool same_;
  bool channelsFirst_;
  bool useBias_;
  bool returnSequences_, returnState_, goBackwards_;
  std::string activation_, recurrentActivation_;
  kernels::Unary act_ = kernels::Unary::kOther, ract_ = kernels::Unary::kOther;
  ActivationKind kind_ = ActivationKind::kTanh, rkind_ = ActivationKind::kHardSigmoid;
  int64_t inDim_ = 0;
  std::unique_ptr<kernels::Conv> fastInput_, fastRecurrent_;
};

}  // namespace

void addConvRecurrentLayers(Registry& r) {
  add<ConvLSTM2D>(r, "ConvLSTM2D");
  addClass(r, "ConvLSTM2DCell", nullptr);  // inside an RNN layer's config, which refuses it
}

}  // namespace tfjs::layers
