// Recurrent layers: SimpleRNN, GRU, LSTM and the generic RNN layer over SimpleRNNCell, GRUCell,
// LSTMCell and StackedRNNCells, as tfjs-layers (src/layers/recurrent.ts) runs them at inference.
//
// The loop is TF.js's rnn(): the sequence is walked in time order (reversed with go_backwards,
// and then the returned sequence stays reversed); with a mask, a step whose mask is 0 keeps
// every state and outputs the previous first state (h): out = new * m + h_prev * (1 - m). The
// initial states are zeros, or the extra inputs of the layer call (functional models pass
// initial_state as inputs 1..n). Outputs: the last output or the whole sequence, then (with
// return_state) the final states. StackedRNNCells keeps its states as TF.js does: a flat list
// in reverse cell order ([h2, c2, h1, c1] for two LSTM cells), and names its weights
// RNNCell_<i>/kernel.
//
// Cells, gates in TF.js's (and Keras's) order, sums in TF.js's order:
//   SimpleRNN  h = act((x·W + b) + h·U)
//   GRU        z, r = ract((x·W_zr + b_zr) + h·U_zr); hh = act((x·W_h + b_h) + (r*h)·U_h);
//              h = z*h + (1-z)*hh. reset_after = true (the Keras 2/3 default, which TF.js refuses)
//              follows Keras: bias [2, 3u] = [input bias; recurrent bias],
//              hh = act((x·W_h + b_in_h) + r*(h·U_h + b_rec_h)), z and r get both biases.
//   LSTM       i, f, c~, o = (x·W + h·U) + b; c = ract(f)*c + ract(i)*act(c~); h = ract(o)*act(c).
// recurrent_activation defaults to hard_sigmoid (TF.js's default; Keras writes it explicitly).
// Dropouts are the identity at inference; unroll and implementation change nothing.
//
// Compute: x·W for every timestep of the sequence is one matrix product before the time loop
// ([batch * time, in] x [in, gates * units]); each step then makes one product h·U ([batch,
// units] x [units, gates * units]; GRU without reset_after: two, as TF.js) and one pass over the
// gates. The products run oneDNN's matmul (kernels::Dense: weights packed once per layer,
// primitives cached per row count) and the gate activations kernels::unary (AVX2 tanh and
// sigmoid), or the reference loops when reference kernels are asked for. The states live in two
// sets of buffers that trade places every step; nothing is allocated inside the time loop.
//
// Training (fit): forwardTrain runs the same equations with each cell's trainStep (plain loops,
// products through kernels::gemm on the live weights, activations through applyActivation),
// keeping every step's states and each cell's input and gates; backward is backpropagation
// through time: the steps in reverse, each step's cells from the top of the stack down, with
// gradients arriving on the sequence (or last) output and on the returned states, and leaving
// on the input and on the initial states (when given as inputs). Activation derivatives are
// activationBackward's (TF.js's gradients, hard_sigmoid's kinks included).
//
// Dropout in training, as tfjs-layers 4.22's cells: with 0 < dropout < 1 each cell draws one
// input mask [batch, input features], with 0 < recurrent_dropout < 1 one state mask [batch,
// units], once per layer call (TF.js's SimpleRNN / GRU / LSTM reset them at every call), shared
// by every timestep. Each entry is 0 with probability rate, else 1 / (1 - rate) (inverted
// dropout, TF.js's generateDropoutMask through tf.dropout); the random stream is fit's
// (TrainingContext), as Dropout's. The input mask multiplies the cell's input before x·W for
// every gate, the state mask multiplies h before the cell uses it: TF.js's GRU and LSTM draw 3
// and 4 masks of each kind but use only the first for every gate (so only that one is drawn
// here), and its GRU then uses the dropped h everywhere, z * h_dropped included; Keras's GRU
// does the same with reset_after. The carried state c and the masked blend below use the
// undropped states. Each cell of a stack has its own masks (its input is the cell below's
// output). A rate outside (0, 1) drops nothing, as TF.js clamps it. Inference is the identity.
// One divergence: TF.js's generic RNN layer (class RNN, cells or StackedRNNCells) never resets
// its cells' masks, so it keeps the masks of its very first call forever (even in predict
// after fit); here every call draws new ones, as its SimpleRNN / GRU / LSTM layers do.
//
// Masks in training: forwardTrainMasked runs the masked step of inference (a masked row keeps
// every state, and outputs the previous h); backward sends the gradient of a masked row's new
// states straight to its previous states, and nothing through that step's cells.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "kernels/kernels.h"
#include "layers/activations.h"
#include "layers/layer.h"

namespace tfjs::layers {
namespace {

// The storage of an Array (states move into the layer's outputs without a copy).
using Buffer = decltype(Array::data);

// y[rows, n] = x[rows, k] · w[k, n]: `fast` (oneDNN) unless reference kernels are asked for or
// oneDNN refuses, else the reference loop. Every matrix product of the cells goes through here.
void product(const kernels::Dense* fast, const float* x, int64_t rows, int64_t k, const float* w,
             int64_t n, float* y) {
  if (rows == 0 || n == 0) return;
  if (fast != nullptr && !kernels::referenceKernels() && fast->run(x, rows, y)) return;
  std::fill(y, y + rows * n, 0.0f);
  kernels::reference::dense(x, rows, k, w, n, y);
}

// Columns [from, from + width) of a [rows, stride] matrix, row-major.
std::vector<float> columns(const float* m, int64_t rows, int64_t stride, int64_t from,
                           int64_t width) {
  std::vector<float> out(static_cast<size_t>(rows * width));
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(m + r * stride + from, m + r * stride + from + width,
              out.begin() + static_cast<std::ptrdiff_t>(r * width));
  }
  return out;
}

// A matrix product with a fixed right-hand side w [k, n] (a view, or `owned`).
struct Product {
  std::vector<float> owned;
  const float* w = nullptr;
  int64_t k = 0, n = 0;
  std::unique_ptr<kernels::Dense> fast;
  void bind(const float* weights, int64_t rows, int64_t cols) {
    w = weights;
    k = rows;
    n = cols;
    fast = std::make_unique<kernels::Dense>(k, n, w, nullptr, kernels::Fused::kLinear);
  }
  void bindCopy(std::vector<float> weights, int64_t rows, int64_t cols) {
    owned = std::move(weights);
    bind(owned.data(), rows, cols);
  }
  void run(const float* x, int64_t rows, float* y) const {
    product(fast.get(), x, rows, k, w, n, y);
  }
};

// One recurrent cell. The layer computes x·W for every timestep at once (project); step() then
// does the rest of one timestep for the whole batch.
class Cell {
 public:
  Cell(const Config& c, std::string scope) : config_(c), scope_(std::move(scope)) {
    units_ = c.integer("units", 0);
    if (units_ <= 0) c.unsupported(fmt::format("units = {}", units_));
    useBias_ = c.boolean("use_bias", true);
    activation_ = c.has("activation") ? c.activation("activation") : "tanh";
    if (!isActivation(activation_)) c.unsupported(fmt::format("activation '{}'", activation_));
    kind_ = activationKind(activation_, c.name());
    act_ = unaryOf(kind_);
    dropout_ = c.number("dropout", 0.0);
    recurrentDropout_ = c.number("recurrent_dropout", 0.0);
  }
  virtual ~Cell() = default;
  Cell(const Cell&) = delete;
  Cell& operator=(const Cell&) = delete;

  int64_t units() const { return units_; }
  // The size of each state; the first is the output.
  virtual std::vector<int64_t> stateSizes() const { return {units_}; }
  // Gates: the width of x·W is gates() * units.
  virtual int64_t gates() const = 0;
  int64_t width() const { return gates() * units_; }
  void build(int64_t inputDim) { inputDim_ = inputDim; }
  int64_t inputDim() const { return inputDim_; }
  // Variables, named within the layer ("kernel" or "RNNCell_0/kernel").
  virtual std::vector<VariableSpec> variables() const = 0;
  // Receives the views of its variables' values, in variables() order, and makes its products.
  void bind(std::vector<std::span<const float>> w) {
    w_ = std::move(w);
    input_.bind(w_[0].data(), inputDim_, width());
    bindRecurrent();
  }
  // xp[rows, width()] = x[rows, inputDim] · W, no bias (step adds it where TF.js does).
  void project(const float* x, int64_t rows, float* xp) const { input_.run(x, rows, xp); }
  // One timestep for the batch: xp holds this step's projection (row b at xp + b * ldxp), prev
  // the current states ([batch, size] each, stateSizes() order); writes the new states to next
  // (next[0] is the output). `work` is scratch space kept by the caller across steps.
  virtual void step(const float* xp, int64_t ldxp, int64_t batch, const float* const* prev,
                    float* const* next, std::vector<float>& work) const = 0;

  // --- Training (plain loops, products through kernels::gemm) ---
  // What one timestep of the training forward keeps for its backward: the cell's input, the
  // gates before and after their activations ([batch, gates * units], gate g of row b at b *
  // width + g * units) and one more per-cell array (LSTM: act(c); GRU: r*h or h·U + bias).
  struct Trace {
    std::vector<float> in, pre, post, extra;
  };
  double dropout() const { return dropout_; }
  double recurrentDropout() const { return recurrentDropout_; }
  // One timestep as step() computes it, from the cell's input x [batch, inputDim] (kept in
  // tr.in by the caller), keeping what backStep needs in tr.
  virtual void trainStep(int64_t batch, const float* const* prev, float* const* next,
                         Trace& tr) const = 0;
  // The backward of one trainStep: dNext holds dL/d(new states) (overwritten as scratch); writes
  // dL/d(previous states) to dPrev and dL/d(input) [batch, inputDim] to dx; adds the variables'
  // gradients to dW[0..] (kernel, recurrent_kernel[, bias]).
  virtual void backStep(int64_t batch, const float* const* prev, const float* const* next,
                        const Trace& tr, float* const* dNext, float* const* dPrev, float* dx,
                        Array* dW) const = 0;

 protected:
  // p[b * ld + off .. + count * units) = f(x[same]) for every row b (softmax per gate).
  void actRows(ActivationKind kind, const float* x, float* y, int64_t batch, int64_t ld,
               int64_t off, int64_t count) const {
    for (int64_t b = 0; b < batch; ++b)
      applyActivation(kind, x + b * ld + off, y + b * ld + off, count * units_, units_);
  }
  // g *= f'(x) over the same blocks, given x and y = f(x).
  void actBackRows(ActivationKind kind, const float* x, const float* y, float* g, int64_t batch,
                   int64_t ld, int64_t off, int64_t count) const {
    for (int64_t b = 0; b < batch; ++b)
      activationBackward(kind, x + b * ld + off, y + b * ld + off, g + b * ld + off, count * units_,
                         units_);
  }
  // pre[batch, width] = x · W (the input projection, no bias).
  void projectTrain(const float* x, int64_t batch, float* pre) const {
    const int64_t n = width();
    kernels::gemm(false, false, batch, n, inputDim_, 1.0f, x, inputDim_, w_[0].data(), n, 0.0f, pre,
                  n);
  }
  // The input side of the backward from dpre [batch, width]: dx = dpre · W^T, dW += x^T · dpre
  // and, with a bias, dbias[0, width) += the column sums of dpre.
  void inputBackward(const float* x, const float* dpre, int64_t batch, float* dx, Array* dW) const {
    const int64_t n = width();
    kernels::gemm(false, true, batch, inputDim_, n, 1.0f, dpre, n, w_[0].data(), n, 0.0f, dx,
                  inputDim_);
    kernels::gemm(true, false, inputDim_, n, batch, 1.0f, x, inputDim_, dpre, n, 1.0f,
                  dW[0].data.data(), n);
    if (useBias_) colSums(dpre, batch, n, n, dW[2].data.data());
  }
  // acc[j] += sum over rows of m[r * ld + j], j < n.
  static void colSums(const float* m, int64_t rows, int64_t n, int64_t ld, float* acc) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < n; ++j) acc[j] += m[r * ld + j];
  }

  ActivationKind kind_ = ActivationKind::kTanh;
  double dropout_ = 0.0, recurrentDropout_ = 0.0;

  virtual void bindRecurrent() { recurrent_.bind(w_[1].data(), units_, width()); }
  const float* bias() const { return useBias_ ? w_[2].data() : nullptr; }
  // Applies an activation to `count` consecutive gates of each of `rows` rows (row b at p + b *
  // ld, gate g at + g * units). Activations without an element-wise kernel (softmax, ...) go
  // through applyActivation one gate of one row at a time, as on a [batch, units] gate.
  void activate(kernels::Unary kind, const std::string& name, float* p, int64_t rows, int64_t ld,
                int64_t count) const {
    const int64_t n = count * units_;
    if (kind != kernels::Unary::kOther) {
      if (ld == n) return kernels::unary(kind, p, rows * n);
      for (int64_t b = 0; b < rows; ++b) kernels::unary(kind, p + b * ld, n);
      return;
    }
    Array a({1, units_});
    for (int64_t b = 0; b < rows; ++b) {
      for (int64_t g = 0; g < count; ++g) {
        float* q = p + b * ld + g * units_;
        std::copy(q, q + units_, a.data.begin());
        applyActivation(name, a, config_.name());
        std::copy(a.data.begin(), a.data.end(), q);
      }
    }
  }
  std::string var(const char* n) const { return scope_ + n; }
  // The first `n` floats of work, grown to `n` if smaller (on the first step).
  static float* scratch(std::vector<float>& work, int64_t n) {
    if (work.size() < static_cast<size_t>(n)) work.resize(static_cast<size_t>(n));
    return work.data();
  }

  Config config_;
  std::string scope_;
  int64_t units_ = 0, inputDim_ = 0;
  bool useBias_ = true;
  std::string activation_;
  kernels::Unary act_ = kernels::Unary::kOther;
  std::vector<std::span<const float>> w_;  // kernel, recurrent_kernel[, bias]
  Product input_, recurrent_;
};

class SimpleRNNCell final : public Cell {
 public:
  using Cell::Cell;
  int64_t gates() const override { return 1; }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{var("kernel"), {inputDim_, units_}},
                                   {var("recurrent_kernel"), {units_, units_}}};
    if (useBias_) v.push_back({var("bias"), {units_}});
    return v;
  }
  void step(const float* xp, int64_t ldxp, int64_t batch, const float* const* prev,
            float* const* next, std::vector<float>& work) const override {
    const int64_t u = units_;
    float* rec = scratch(work, batch * u);
    recurrent_.run(prev[0], batch, rec);
    const float* b = bias();
    float* h = next[0];
    for (int64_t r = 0; r < batch; ++r) {
      const float* x = xp + r * ldxp;
      const float* hu = rec + r * u;
      float* hr = h + r * u;
      if (b) {
        for (int64_t j = 0; j < u; ++j) hr[j] = (x[j] + b[j]) + hu[j];
      } else {
        for (int64_t j = 0; j < u; ++j) hr[j] = x[j] + hu[j];
      }
    }
    activate(act_, activation_, h, batch, u, 1);
  }

  // pre = (x·W + b) + h·U; h' = act(pre). Backward: dpre = dh' * act'(pre); dU += h^T dpre;
  // dh = dpre U^T; dW, db, dx from dpre.
  void trainStep(int64_t batch, const float* const* prev, float* const* next,
                 Trace& tr) const override {
    const int64_t u = units_;
    tr.pre.resize(static_cast<size_t>(batch * u));
    float* pre = tr.pre.data();
    projectTrain(tr.in.data(), batch, pre);
    if (const float* b = bias()) {
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t j = 0; j < u; ++j) pre[r * u + j] += b[j];
    }
    kernels::gemm(false, false, batch, u, u, 1.0f, prev[0], u, w_[1].data(), u, 1.0f, pre, u);
    actRows(kind_, pre, next[0], batch, u, 0, 1);
  }
  void backStep(int64_t batch, const float* const* prev, const float* const* next, const Trace& tr,
                float* const* dNext, float* const* dPrev, float* dx, Array* dW) const override {
    const int64_t u = units_;
    float* dpre = dNext[0];
    actBackRows(kind_, tr.pre.data(), next[0], dpre, batch, u, 0, 1);
    kernels::gemm(true, false, u, u, batch, 1.0f, prev[0], u, dpre, u, 1.0f, dW[1].data.data(), u);
    kernels::gemm(false, true, batch, u, u, 1.0f, dpre, u, w_[1].data(), u, 0.0f, dPrev[0], u);
    inputBackward(tr.in.data(), dpre, batch, dx, dW);
  }
};

class GRUCell final : public Cell {
 public:
  GRUCell(const Config& c, std::string scope) : Cell(c, std::move(scope)) {
    recurrentActivation_ =
        c.has("recurrent_activation") ? c.activation("recurrent_activation") : "hard_sigmoid";
    if (!isActivation(recurrentActivation_))
      c.unsupported(fmt::format("recurrent_activation '{}'", recurrentActivation_));
    rkind_ = activationKind(recurrentActivation_, c.name());
    ract_ = unaryOf(rkind_);
    resetAfter_ = c.boolean("reset_after", false);
  }
  int64_t gates() const override { return 3; }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{var("kernel"), {inputDim_, 3 * units_}},
                                   {var("recurrent_kernel"), {units_, 3 * units_}}};
    if (useBias_) {
      v.push_back({var("bias"), resetAfter_ ? Shape{2, 3 * units_} : Shape{3 * units_}});
    }
    return v;
  }
  void step(const float* xp, int64_t ldxp, int64_t batch, const float* const* prev,
            float* const* next, std::vector<float>& work) const override {
    const int64_t u = units_;
    const float* h = prev[0];
    const float* b = bias();  // reset_after: row 0 the input bias, row 1 the recurrent bias
    float* out = next[0];
    if (!resetAfter_) {
      // TF.js: the recurrent kernel splits into [:, :2u] (z, r) and [:, 2u:] (h).
      float* zr = scratch(work, batch * 4 * u);
      float* rh = zr + batch * 2 * u;
      float* hh = rh + batch * u;
      recurrentZR_.run(h, batch, zr);
      for (int64_t r = 0; r < batch; ++r) {
        const float* x = xp + r * ldxp;
        float* g = zr + r * 2 * u;
        if (b) {
          for (int64_t j = 0; j < 2 * u; ++j) g[j] = (x[j] + b[j]) + g[j];
        } else {
          for (int64_t j = 0; j < 2 * u; ++j) g[j] = x[j] + g[j];
        }
      }
      activate(ract_, recurrentActivation_, zr, batch, 2 * u, 2);
      for (int64_t r = 0; r < batch; ++r) {
        for (int64_t j = 0; j < u; ++j) rh[r * u + j] = zr[r * 2 * u + u + j] * h[r * u + j];
      }
      recurrentH_.run(rh, batch, hh);
      for (int64_t r = 0; r < batch; ++r) {
        const float* x = xp + r * ldxp + 2 * u;
        float* g = hh + r * u;
        if (b) {
          for (int64_t j = 0; j < u; ++j) g[j] = (x[j] + b[2 * u + j]) + g[j];
        } else {
          for (int64_t j = 0; j < u; ++j) g[j] = x[j] + g[j];
        }
      }
      activate(act_, activation_, hh, batch, u, 1);
      for (int64_t r = 0; r < batch; ++r) {
        for (int64_t j = 0; j < u; ++j) {
          const float z = zr[r * 2 * u + j];
          out[r * u + j] = z * h[r * u + j] + (1.0f - z) * hh[r * u + j];
        }
      }
      return;
    }
    // Keras reset_after: inner = h·U + recurrent bias; hh = act(x_h + r * inner_h).
    float* inner = scratch(work, batch * 3 * u);
    recurrent_.run(h, batch, inner);
    for (int64_t r = 0; r < batch; ++r) {
      const float* x = xp + r * ldxp;
      float* g = inner + r * 3 * u;
      if (b) {
        const float* bin = b;
        const float* brec = b + 3 * u;
        for (int64_t j = 0; j < 3 * u; ++j) g[j] = g[j] + brec[j];
        for (int64_t j = 0; j < 2 * u; ++j) g[j] = (x[j] + bin[j]) + g[j];
      } else {
        for (int64_t j = 0; j < 2 * u; ++j) g[j] = x[j] + g[j];
      }
    }
    activate(ract_, recurrentActivation_, inner, batch, 3 * u, 2);
    for (int64_t r = 0; r < batch; ++r) {
      const float* x = xp + r * ldxp + 2 * u;
      float* g = inner + r * 3 * u;
      for (int64_t j = 0; j < u; ++j) {
        const float xh = b ? x[j] + b[2 * u + j] : x[j];
        g[2 * u + j] = xh + g[u + j] * g[2 * u + j];
      }
    }
    activate(act_, activation_, inner + 2 * u, batch, 3 * u, 1);
    for (int64_t r = 0; r < batch; ++r) {
      const float* g = inner + r * 3 * u;
      for (int64_t j = 0; j < u; ++j) {
        out[r * u + j] = g[j] * h[r * u + j] + (1.0f - g[j]) * g[2 * u + j];
      }
    }
  }

  // reset_after = false (TF.js): pre_zr = (x·W_zr + b_zr) + h·U_zr; z, r = ract(pre_zr);
  // extra = r*h; pre_h = (x·W_h + b_h) + (r*h)·U_h; hh = act(pre_h).
  // reset_after = true (Keras): extra = h·U + b_rec; pre_zr = (x·W_zr + b_in_zr) + extra_zr;
  // pre_h = (x·W_h + b_in_h) + r * extra_h. Both: h' = z*h + (1-z)*hh.
  void trainStep(int64_t batch, const float* const* prev, float* const* next,
                 Trace& tr) const override {
    const int64_t u = units_, w = 3 * u;
    const float* h = prev[0];
    const float* b = bias();
    tr.pre.resize(static_cast<size_t>(batch * w));
    tr.post.resize(static_cast<size_t>(batch * w));
    float* pre = tr.pre.data();
    float* post = tr.post.data();
    projectTrain(tr.in.data(), batch, pre);
    const float* U = w_[1].data();
    if (!resetAfter_) {
      tr.extra.resize(static_cast<size_t>(batch * u));
      float* rh = tr.extra.data();
      if (b) {
        for (int64_t r = 0; r < batch; ++r)
          for (int64_t j = 0; j < 2 * u; ++j) pre[r * w + j] += b[j];
      }
      kernels::gemm(false, false, batch, 2 * u, u, 1.0f, h, u, U, w, 1.0f, pre, w);
      actRows(rkind_, pre, post, batch, w, 0, 2);
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t j = 0; j < u; ++j) rh[r * u + j] = post[r * w + u + j] * h[r * u + j];
      if (b) {
        for (int64_t r = 0; r < batch; ++r)
          for (int64_t j = 0; j < u; ++j) pre[r * w + 2 * u + j] += b[2 * u + j];
      }
      kernels::gemm(false, false, batch, u, u, 1.0f, rh, u, U + 2 * u, w, 1.0f, pre + 2 * u, w);
    } else {
      tr.extra.resize(static_cast<size_t>(batch * w));
      float* inner = tr.extra.data();
      kernels::gemm(false, false, batch, w, u, 1.0f, h, u, U, w, 0.0f, inner, w);
      for (int64_t r = 0; r < batch; ++r) {
        float* pr = pre + r * w;
        const float* ir = inner + r * w;
        if (b) {
          for (int64_t j = 0; j < w; ++j) inner[r * w + j] += b[w + j];
          for (int64_t j = 0; j < 2 * u; ++j) pr[j] = (pr[j] + b[j]) + ir[j];
        } else {
          for (int64_t j = 0; j < 2 * u; ++j) pr[j] = pr[j] + ir[j];
        }
      }
      actRows(rkind_, pre, post, batch, w, 0, 2);
      for (int64_t r = 0; r < batch; ++r) {
        float* pr = pre + r * w;
        for (int64_t j = 0; j < u; ++j) {
          const float xh = b ? pr[2 * u + j] + b[2 * u + j] : pr[2 * u + j];
          pr[2 * u + j] = xh + post[r * w + u + j] * inner[r * w + 2 * u + j];
        }
      }
    }
    actRows(kind_, pre, post, batch, w, 2 * u, 1);
    for (int64_t r = 0; r < batch; ++r) {
      for (int64_t j = 0; j < u; ++j) {
        const float z = post[r * w + j];
        next[0][r * u + j] = z * h[r * u + j] + (1.0f - z) * post[r * w + 2 * u + j];
      }
    }
  }
  void backStep(int64_t batch, const float* const* prev, const float* const* next, const Trace& tr,
                float* const* dNext, float* const* dPrev, float* dx, Array* dW) const override {
    (void)next;
    const int64_t u = units_, w = 3 * u;
    const float* h = prev[0];
    const float* pre = tr.pre.data();
    const float* post = tr.post.data();
    const float* U = w_[1].data();
    float* dU = dW[1].data.data();
    const float* dout = dNext[0];
    float* dh = dPrev[0];
    std::vector<float> dpre(static_cast<size_t>(batch * w));
    float* d = dpre.data();
    for (int64_t r = 0; r < batch; ++r) {
      for (int64_t j = 0; j < u; ++j) {
        const float g = dout[r * u + j], z = post[r * w + j], hh = post[r * w + 2 * u + j];
        d[r * w + j] = g * (h[r * u + j] - hh);
        d[r * w + 2 * u + j] = g * (1.0f - z);
        dh[r * u + j] = g * z;
      }
    }
    actBackRows(kind_, pre, post, d, batch, w, 2 * u, 1);
    if (!resetAfter_) {
      const float* rh = tr.extra.data();
      // pre_h += rh · U_h
      kernels::gemm(true, false, u, u, batch, 1.0f, rh, u, d + 2 * u, w, 1.0f, dU + 2 * u, w);
      std::vector<float> drh(static_cast<size_t>(batch * u));
      kernels::gemm(false, true, batch, u, u, 1.0f, d + 2 * u, w, U + 2 * u, w, 0.0f, drh.data(),
                    u);
      for (int64_t r = 0; r < batch; ++r) {
        for (int64_t j = 0; j < u; ++j) {
          const float g = drh[static_cast<size_t>(r * u + j)];
          d[r * w + u + j] = g * h[r * u + j];
          dh[r * u + j] += g * post[r * w + u + j];
        }
      }
      actBackRows(rkind_, pre, post, d, batch, w, 0, 2);
      // pre_zr += h · U_zr
      kernels::gemm(true, false, u, 2 * u, batch, 1.0f, h, u, d, w, 1.0f, dU, w);
      kernels::gemm(false, true, batch, u, 2 * u, 1.0f, d, w, U, w, 1.0f, dh, u);
    } else {
      const float* inner = tr.extra.data();
      std::vector<float> dinner(static_cast<size_t>(batch * w));
      float* di = dinner.data();
      for (int64_t r = 0; r < batch; ++r) {
        for (int64_t j = 0; j < u; ++j) {
          const float g = d[r * w + 2 * u + j];
          di[r * w + 2 * u + j] = g * post[r * w + u + j];
          d[r * w + u + j] = g * inner[r * w + 2 * u + j];
        }
      }
      actBackRows(rkind_, pre, post, d, batch, w, 0, 2);
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t j = 0; j < 2 * u; ++j) di[r * w + j] = d[r * w + j];
      kernels::gemm(true, false, u, w, batch, 1.0f, h, u, di, w, 1.0f, dU, w);
      kernels::gemm(false, true, batch, u, w, 1.0f, di, w, U, w, 1.0f, dh, u);
      if (useBias_) colSums(di, batch, w, w, dW[2].data.data() + w);
    }
    inputBackward(tr.in.data(), d, batch, dx, dW);
  }

 private:
  void bindRecurrent() override {
    if (resetAfter_) return Cell::bindRecurrent();
    const int64_t u = units_;
    recurrentZR_.bindCopy(columns(w_[1].data(), u, 3 * u, 0, 2 * u), u, 2 * u);
    recurrentH_.bindCopy(columns(w_[1].data(), u, 3 * u, 2 * u, u), u, u);
  }

  std::string recurrentActivation_;
  kernels::Unary ract_ = kernels::Unary::kOther;
  ActivationKind rkind_ = ActivationKind::kHardSigmoid;
  bool resetAfter_ = false;
  Product recurrentZR_, recurrentH_;  // reset_after = false
};

class LSTMCell final : public Cell {
 public:
  LSTMCell(const Config& c, std::string scope) : Cell(c, std::move(scope)) {
    recurrentActivation_ =
        c.has("recurrent_activation") ? c.activation("recurrent_activation") : "hard_sigmoid";
    if (!isActivation(recurrentActivation_))
      c.unsupported(fmt::format("recurrent_activation '{}'", recurrentActivation_));
    rkind_ = activationKind(recurrentActivation_, c.name());
    ract_ = unaryOf(rkind_);
  }
  int64_t gates() const override { return 4; }
  std::vector<int64_t> stateSizes() const override { return {units_, units_}; }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{var("kernel"), {inputDim_, 4 * units_}},
                                   {var("recurrent_kernel"), {units_, 4 * units_}}};
    if (useBias_) v.push_back({var("bias"), {4 * units_}});
    return v;
  }
  void step(const float* xp, int64_t ldxp, int64_t batch, const float* const* prev,
            float* const* next, std::vector<float>& work) const override {
    const int64_t u = units_;
    float* zs = scratch(work, batch * 4 * u);  // per row: i, f, c~, o
    recurrent_.run(prev[0], batch, zs);
    const float* b = bias();
    for (int64_t r = 0; r < batch; ++r) {
      const float* x = xp + r * ldxp;
      float* g = zs + r * 4 * u;
      if (b) {
        for (int64_t j = 0; j < 4 * u; ++j) g[j] = (x[j] + g[j]) + b[j];
      } else {
        for (int64_t j = 0; j < 4 * u; ++j) g[j] = x[j] + g[j];
      }
    }
    activate(ract_, recurrentActivation_, zs, batch, 4 * u, 2);
    activate(act_, activation_, zs + 2 * u, batch, 4 * u, 1);
    activate(ract_, recurrentActivation_, zs + 3 * u, batch, 4 * u, 1);
    const float* cPrev = prev[1];
    float* h = next[0];
    float* c = next[1];
    for (int64_t r = 0; r < batch; ++r) {
      const float* g = zs + r * 4 * u;
      for (int64_t j = 0; j < u; ++j) {
        c[r * u + j] = g[u + j] * cPrev[r * u + j] + g[j] * g[2 * u + j];
      }
    }
    std::copy(c, c + batch * u, h);
    activate(act_, activation_, h, batch, u, 1);
    for (int64_t r = 0; r < batch; ++r) {
      const float* g = zs + r * 4 * u + 3 * u;
      for (int64_t j = 0; j < u; ++j) h[r * u + j] = g[j] * h[r * u + j];
    }
  }

  // pre = (x·W + h·U) + b; i, f, o = ract, c~ = act; c' = f*c + i*c~; extra = act(c');
  // h' = o * extra. Backward: do = dh'*act(c'); dc' += dh'*o*act'(c'); di = dc'*c~;
  // df = dc'*c; dc~ = dc'*i; dc = dc'*f; then through the gate activations to dpre.
  void trainStep(int64_t batch, const float* const* prev, float* const* next,
                 Trace& tr) const override {
    const int64_t u = units_, w = 4 * u;
    tr.pre.resize(static_cast<size_t>(batch * w));
    tr.post.resize(static_cast<size_t>(batch * w));
    tr.extra.resize(static_cast<size_t>(batch * u));
    float* pre = tr.pre.data();
    float* post = tr.post.data();
    projectTrain(tr.in.data(), batch, pre);
    kernels::gemm(false, false, batch, w, u, 1.0f, prev[0], u, w_[1].data(), w, 1.0f, pre, w);
    if (const float* b = bias()) {
      for (int64_t r = 0; r < batch; ++r)
        for (int64_t j = 0; j < w; ++j) pre[r * w + j] += b[j];
    }
    actRows(rkind_, pre, post, batch, w, 0, 2);
    actRows(kind_, pre, post, batch, w, 2 * u, 1);
    actRows(rkind_, pre, post, batch, w, 3 * u, 1);
    float* c = next[1];
    for (int64_t r = 0; r < batch; ++r) {
      const float* g = post + r * w;
      for (int64_t j = 0; j < u; ++j)
        c[r * u + j] = g[u + j] * prev[1][r * u + j] + g[j] * g[2 * u + j];
    }
    float* tc = tr.extra.data();
    applyActivation(kind_, c, tc, batch * u, u);
    for (int64_t r = 0; r < batch; ++r)
      for (int64_t j = 0; j < u; ++j) next[0][r * u + j] = post[r * w + 3 * u + j] * tc[r * u + j];
  }
  void backStep(int64_t batch, const float* const* prev, const float* const* next, const Trace& tr,
                float* const* dNext, float* const* dPrev, float* dx, Array* dW) const override {
    const int64_t u = units_, w = 4 * u;
    const float* post = tr.post.data();
    const float* tc = tr.extra.data();
    float* dh = dNext[0];
    float* dc = dNext[1];
    std::vector<float> dpre(static_cast<size_t>(batch * w));
    float* d = dpre.data();
    std::vector<float> dtc(static_cast<size_t>(batch * u));
    for (int64_t r = 0; r < batch; ++r) {
      for (int64_t j = 0; j < u; ++j) {
        d[r * w + 3 * u + j] = dh[r * u + j] * tc[r * u + j];
        dtc[static_cast<size_t>(r * u + j)] = dh[r * u + j] * post[r * w + 3 * u + j];
      }
    }
    activationBackward(kind_, next[1], tc, dtc.data(), batch * u, u);
    for (int64_t r = 0; r < batch; ++r) {
      const float* g = post + r * w;
      for (int64_t j = 0; j < u; ++j) {
        const float gc = dc[r * u + j] + dtc[static_cast<size_t>(r * u + j)];
        d[r * w + j] = gc * g[2 * u + j];
        d[r * w + u + j] = gc * prev[1][r * u + j];
        d[r * w + 2 * u + j] = gc * g[j];
        dPrev[1][r * u + j] = gc * g[u + j];
      }
    }
    actBackRows(rkind_, tr.pre.data(), post, d, batch, w, 0, 2);
    actBackRows(kind_, tr.pre.data(), post, d, batch, w, 2 * u, 1);
    actBackRows(rkind_, tr.pre.data(), post, d, batch, w, 3 * u, 1);
    kernels::gemm(true, false, u, w, batch, 1.0f, prev[0], u, d, w, 1.0f, dW[1].data.data(), w);
    kernels::gemm(false, true, batch, u, w, 1.0f, d, w, w_[1].data(), w, 0.0f, dPrev[0], u);
    inputBackward(tr.in.data(), d, batch, dx, dW);
  }

 private:
  std::string recurrentActivation_;
  kernels::Unary ract_ = kernels::Unary::kOther;
  ActivationKind rkind_ = ActivationKind::kHardSigmoid;
};

std::unique_ptr<Cell> makeCell(const std::string& cls, const Config& c, const std::string& scope) {
  if (cls == "SimpleRNNCell" || cls == "SimpleRNN")
    return std::make_unique<SimpleRNNCell>(c, scope);
  if (cls == "GRUCell" || cls == "GRU") return std::make_unique<GRUCell>(c, scope);
  if (cls == "LSTMCell" || cls == "LSTM") return std::make_unique<LSTMCell>(c, scope);
  c.unsupported(fmt::format("cell class '{}'", cls));
}

// SimpleRNN, GRU, LSTM (the layer's own config describes its cell) and RNN (config "cell": one
// cell config, a list of them, or a StackedRNNCells config).
class Recurrent final : public Layer {
 public:
  explicit Recurrent(const Config& c) : Layer(c) {
    if (c.boolean("stateful", false)) {
      c.unsupported(
          "stateful = true (a stateful RNN carries its states from one predict call to the "
          "next; tfjs models are immutable)");
    }
    if (c.boolean("time_major", false)) c.unsupported("time_major = true");
    // Keras (and Bidirectional in Keras 3) may set zero_output_for_mask: masked steps output
    // zeros. TF.js ignores it; it matters only when a mask arrives, which callMasked and
    // forwardTrainMasked refuse.
    zeroOutputForMask_ = c.boolean("zero_output_for_mask", false);
    if (c.has("num_constants")) c.unsupported("num_constants (constants of RNN cells)");
    returnSequences_ = c.boolean("return_sequences", false);
    returnState_ = c.boolean("return_state", false);
    goBackwards_ = c.boolean("go_backwards", false);
    if (c.className() != "RNN") {
      if (c.has("reset_after") && c.className() != "GRU") c.unsupported("reset_after");
      cells_.push_back(makeCell(c.className(), c, ""));
      return;
    }
    if (!c.has("cell"))
      throw Error(ErrorCode::kSchema, fmt::format("RNN layer '{}' has no cell", c.name()));
    const Json& cell = c.json()["cell"];
    std::vector<Json> list;
    if (cell.is_array()) {
      for (const auto& e : cell) list.push_back(e);
    } else if (cell.is_object() && cell.value("class_name", std::string()) == "StackedRNNCells") {
      const Json& cfg = cell.contains("config") ? cell["config"] : Json::object();
      if (!cfg.contains("cells") || !cfg["cells"].is_array())
        throw Error(ErrorCode::kSchema,
                    fmt::format("layer '{}': StackedRNNCells without cells", c.name()));
      for (const auto& e : cfg["cells"]) list.push_back(e);
      stacked_ = true;
    } else {
      list.push_back(cell);
    }
    if (cell.is_array()) stacked_ = true;
    if (list.empty())
      throw Error(ErrorCode::kSchema, fmt::format("layer '{}' has no cells", c.name()));
    for (size_t i = 0; i < list.size(); ++i) {
      const Json& e = list[i];
      if (!e.is_object() || !e.contains("class_name") || !e["class_name"].is_string()) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("layer '{}': a cell config has no class_name", c.name()));
      }
      const std::string cls = e["class_name"].get<std::string>();
      if (cls != "SimpleRNNCell" && cls != "GRUCell" && cls != "LSTMCell") {
        c.unsupported(fmt::format("cell class '{}'", cls));
      }
      const Json cfg = e.contains("config") ? e["config"] : Json::object();
      Config cellConfig(cls, c.name(), cfg);
      const std::string scope = stacked_ ? fmt::format("RNNCell_{}/", i) : "";
      cells_.push_back(makeCell(cls, cellConfig, scope));
    }
  }

  // All states, flat: one cell's own order, or for a stack the cells in reverse order.
  std::vector<int64_t> stateSizes() const {
    std::vector<int64_t> s;
    for (auto it = cells_.rbegin(); it != cells_.rend(); ++it) {
      for (int64_t n : (*it)->stateSizes()) s.push_back(n);
    }
    return s;
  }

  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.empty()) config_.unsupported("no input");
    const Shape& x = in[0];
    if (x.size() != 3) {
      config_.unsupported(
          fmt::format("an input of rank {} (a recurrent layer takes [batch, time, "
                      "features])",
                      x.size()));
    }
    if (x[2] <= 0) config_.unsupported("an input whose feature dimension is unknown");
    const auto sizes = stateSizes();
    if (in.size() != 1 && in.size() != 1 + sizes.size()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("layer '{}' ({}) has {} state(s) but was passed {} initial state(s)",
                              name(), className(), sizes.size(), in.size() - 1));
    }
    for (size_t k = 1; k < in.size(); ++k) {
      const Shape& s = in[k];
      if (s.size() != 2 || (s[1] >= 0 && s[1] != sizes[k - 1])) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("layer '{}' ({}): initial state {} has shape {}, expected "
                                "[batch, {}]",
                                name(), className(), k - 1, Json(s).dump(), sizes[k - 1]));
      }
    }
    int64_t dim = x[2];
    for (auto& cell : cells_) {
      cell->build(dim);
      dim = cell->stateSizes()[0];
    }
    std::vector<Shape> out;
    out.push_back(returnSequences_ ? Shape{x[0], x[1], sizes[0]} : Shape{x[0], sizes[0]});
    if (returnState_) {
      for (int64_t s : sizes) out.push_back({x[0], s});
    }
    return out;
  }

  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v;
    for (const auto& cell : cells_) {
      for (auto& s : cell->variables()) v.push_back(std::move(s));
    }
    return v;
  }

  void setWeights(std::vector<Tensor> weights) override {
    Layer::setWeights(std::move(weights));
    for (auto& cell : cells_) {
      std::vector<std::span<const float>> w;
      for (const auto& s : cell->variables()) w.push_back(weight(s.name));
      cell->bind(std::move(w));
    }
  }

  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    return run(in, nullptr);
  }
  bool readsMask() const override { return true; }
  std::vector<Array> callMasked(const std::vector<const Array*>& in,
                                const std::vector<const Array*>& masks) const override {
    if (zeroOutputForMask_ && !masks.empty() && masks[0]) {
      config_.unsupported(
          "zero_output_for_mask = true with a masked input (Keras outputs zeros at masked steps, "
          "TF.js ignores the option and repeats the previous output)");
    }
    return run(in, masks.empty() ? nullptr : masks[0]);
  }
  // TF.js's RNN.computeMask: the input mask goes on with the sequence, none without it, none
  // for the states.
  std::vector<std::optional<Array>> computeMask(
      const std::vector<const Array*>& in, const std::vector<const Array*>& masks) const override {
    (void)in;
    std::vector<std::optional<Array>> out;
    if (returnSequences_ && !masks.empty() && masks[0]) {
      out.emplace_back(*masks[0]);
    } else {
      out.emplace_back(std::nullopt);
    }
    if (returnState_) {
      for (size_t k = 0; k < stateSizes().size(); ++k) out.emplace_back(std::nullopt);
    }
    return out;
  }

  // Training: the same loop with each cell's trainStep (plain loops and kernels::gemm), keeping
  // every step's states and traces; backward walks the steps in reverse (BPTT), each step's
  // cells from the top of the stack down. The dropout masks and the step mask stay in the state.
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext& ctx,
                                  std::unique_ptr<LayerState>& state) const override {
    return trainRun(in, nullptr, ctx, state);
  }
  std::vector<Array> forwardTrainMasked(const std::vector<const Array*>& in,
                                        const std::vector<const Array*>& masks,
                                        TrainingContext& ctx,
                                        std::unique_ptr<LayerState>& state) const override {
    const Array* mask = masks.empty() ? nullptr : masks[0];
    if (zeroOutputForMask_ && mask) {
      config_.unsupported(
          "zero_output_for_mask = true with a masked input (Keras outputs zeros at masked steps, "
          "TF.js ignores the option and repeats the previous output)");
    }
    return trainRun(in, mask, ctx, state);
  }

  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState* state,
                              std::vector<Array> dOut, GradientSink& grads) const override {
    (void)out;
    const auto* st = dynamic_cast<const TrainState*>(state);
    if (st == nullptr) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' ({}): backward without its training forward", name(),
                              className()));
    }
    const Array& x = *in[0];
    const int64_t batch = x.shape[0], steps = x.shape[1], features = x.shape[2];
    const auto sizes = stateSizes();
    const auto offset = stateOffsets();
    const int64_t outDim = sizes[0];
    // dState: dL/d(the states after the step being walked back), flat.
    std::vector<Buffer> dState, dPrev, dKeep;
    for (int64_t n : sizes) {
      dState.emplace_back(static_cast<size_t>(batch * n), 0.0f);
      dPrev.emplace_back(static_cast<size_t>(batch * n));
      if (!st->m.empty()) dKeep.emplace_back(static_cast<size_t>(batch * n));
    }
    auto addTo = [](Buffer& acc, const Array& g) {
      if (g.data.size() != acc.size()) return;
      for (size_t i = 0; i < acc.size(); ++i) acc[i] += g.data[i];
    };
    if (!returnSequences_) addTo(dState[0], dOut[0]);
    if (returnState_) {
      for (size_t s = 0; s < sizes.size() && s + 1 < dOut.size(); ++s)
        addTo(dState[s], dOut[s + 1]);
    }
    auto& dv = grads.of(this);
    std::vector<size_t> varOffset(cells_.size());
    for (size_t i = 0, v = 0; i < cells_.size(); ++i) {
      varOffset[i] = v;
      v += cells_[i]->variables().size();
    }
    Array dx(x.shape);
    std::vector<std::vector<float>> dxs(cells_.size()), hd(cells_.size());
    std::vector<const float*> prevPtrs(sizes.size()), nextPtrs(sizes.size());
    std::vector<float*> dNextPtrs(sizes.size()), dPrevPtrs(sizes.size());
    for (int64_t k = steps; k-- > 0;) {
      const int64_t t = goBackwards_ ? steps - 1 - k : k;
      if (returnSequences_ && dOut[0].size() == batch * steps * outDim) {
        for (int64_t b = 0; b < batch; ++b) {
          const float* g = dOut[0].data.data() + (b * steps + k) * outDim;
          for (int64_t j = 0; j < outDim; ++j)
            dState[0][static_cast<size_t>(b * outDim + j)] += g[j];
        }
      }
      if (!st->m.empty()) {
        // new = cell * m + prev * (1 - m): a masked row's gradient goes to the previous states
        // (dKeep) and none into the cells.
        const float* mk = st->m.data() + t * batch;
        for (size_t s = 0; s < sizes.size(); ++s) {
          for (int64_t b = 0; b < batch; ++b) {
            for (int64_t j = 0; j < sizes[s]; ++j) {
              const auto i = static_cast<size_t>(b * sizes[s] + j);
              dKeep[s][i] = dState[s][i] * (1.0f - mk[b]);
              dState[s][i] *= mk[b];
            }
          }
        }
      }
      const auto& prev = st->states[static_cast<size_t>(k)];
      const auto& next = st->states[static_cast<size_t>(k + 1)];
      for (size_t s = 0; s < sizes.size(); ++s) {
        prevPtrs[s] = prev[s].data();
        nextPtrs[s] = next[s].data();
        dNextPtrs[s] = dState[s].data();
        dPrevPtrs[s] = dPrev[s].data();
      }
      for (size_t i = cells_.size(); i-- > 0;) {
        const Cell& cell = *cells_[i];
        auto& g = dxs[i];
        g.resize(static_cast<size_t>(batch * cell.inputDim()));
        const std::vector<const float*> cellPrev =
            droppedPrev(prevPtrs.data() + offset[i], st->rec[i], hd[i], cell);
        cell.backStep(batch, cellPrev.data(), nextPtrs.data() + offset[i],
                      st->traces[static_cast<size_t>(k)][i], dNextPtrs.data() + offset[i],
                      dPrevPtrs.data() + offset[i], g.data(), dv.data() + varOffset[i]);
        // The cell saw h * rec and x * dp: their gradients times the same masks.
        multiplyBy(dPrev[offset[i]], st->rec[i]);
        multiplyBy(g, st->dp[i]);
        if (i > 0) {
          Buffer& below = dState[offset[i - 1]];
          for (size_t j = 0; j < below.size(); ++j) below[j] += g[j];
        } else {
          for (int64_t b = 0; b < batch; ++b) {
            std::copy(g.begin() + b * features, g.begin() + (b + 1) * features,
                      dx.data.begin() + (b * steps + t) * features);
          }
        }
      }
      if (!st->m.empty()) {
        for (size_t s = 0; s < sizes.size(); ++s)
          for (size_t i = 0; i < dPrev[s].size(); ++i) dPrev[s][i] += dKeep[s][i];
      }
      std::swap(dState, dPrev);
    }
    std::vector<Array> result;
    result.push_back(std::move(dx));
    if (in.size() > 1) {
      for (size_t s = 0; s < sizes.size(); ++s)
        result.emplace_back(Shape{batch, sizes[s]}, std::move(dState[s]));
    }
    return result;
  }

 private:
  struct TrainState : LayerState {
    std::vector<std::vector<Buffer>> states;       // [step + 1][flat state]; [0]: initial
    std::vector<std::vector<Cell::Trace>> traces;  // [step][cell]
    // Per cell: the input dropout mask [batch, inputDim] and the state one [batch, units]
    // (empty when off), drawn once for the call.
    std::vector<std::vector<float>> dp, rec;
    std::vector<float> m;  // the step mask [steps][batch], 0/1; empty without a mask
  };

  // TF.js's generateDropoutMask for `n` ones at `rate`: each entry 0 with probability rate, else
  // 1 / (1 - rate), from fit's random stream. Empty (no dropout) unless 0 < rate < 1.
  static std::vector<float> dropoutMask(TrainingContext& ctx, double rate, int64_t n) {
    if (!(rate > 0 && rate < 1)) return {};
    const auto keep = static_cast<float>(1 - rate);
    const float scale = 1.0f / keep;
    std::vector<float> mask(static_cast<size_t>(n));
    for (auto& v : mask) v = ctx.uniform() < keep ? scale : 0.0f;
    return mask;
  }
  // v *= mask elementwise; nothing when the mask is empty (off).
  static void multiplyBy(std::span<float> v, const std::vector<float>& mask) {
    if (mask.empty()) return;
    for (size_t i = 0; i < v.size() && i < mask.size(); ++i) v[i] *= mask[i];
  }
  // The states a cell reads: `prev` as is, or with h replaced by h * rec (kept in `hd`).
  static std::vector<const float*> droppedPrev(const float* const* prev,
                                               const std::vector<float>& rec,
                                               std::vector<float>& hd, const Cell& cell) {
    std::vector<const float*> p(prev, prev + cell.stateSizes().size());
    if (!rec.empty()) {
      hd.assign(prev[0], prev[0] + rec.size());
      multiplyBy(hd, rec);
      p[0] = hd.data();
    }
    return p;
  }

  std::vector<Array> trainRun(const std::vector<const Array*>& in, const Array* mask,
                              TrainingContext& ctx, std::unique_ptr<LayerState>& state) const {
    const Array& x = *in[0];
    checkInput(x);
    const int64_t batch = x.shape[0], steps = x.shape[1], features = x.shape[2];
    const auto sizes = stateSizes();
    auto st = std::make_unique<TrainState>();
    if (mask) st->m = stepMask(*mask, x);
    // The masks of the call, in TF.js's order: each cell's input mask, then its state mask.
    for (const auto& cell : cells_) {
      st->dp.push_back(dropoutMask(ctx, cell->dropout(), batch * cell->inputDim()));
      st->rec.push_back(dropoutMask(ctx, cell->recurrentDropout(), batch * cell->units()));
    }
    st->states.resize(static_cast<size_t>(steps + 1));
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (in.size() > 1) {
        checkState(*in[k + 1], batch, sizes[k], k);
        st->states[0].push_back(in[k + 1]->data);
      } else {
        st->states[0].emplace_back(static_cast<size_t>(batch * sizes[k]), 0.0f);
      }
    }
    const auto offset = stateOffsets();
    const int64_t outDim = sizes[0];
    Array seq;
    if (returnSequences_) seq = Array({batch, steps, outDim});
    st->traces.resize(static_cast<size_t>(steps));
    std::vector<const float*> prevPtrs(sizes.size());
    std::vector<float*> nextPtrs(sizes.size());
    std::vector<std::vector<float>> hd(cells_.size());
    for (int64_t k = 0; k < steps; ++k) {
      const int64_t t = goBackwards_ ? steps - 1 - k : k;
      auto& prev = st->states[static_cast<size_t>(k)];
      auto& next = st->states[static_cast<size_t>(k + 1)];
      for (size_t s = 0; s < sizes.size(); ++s) {
        next.emplace_back(static_cast<size_t>(batch * sizes[s]));
        prevPtrs[s] = prev[s].data();
        nextPtrs[s] = next[s].data();
      }
      auto& traces = st->traces[static_cast<size_t>(k)];
      traces.resize(cells_.size());
      for (size_t i = 0; i < cells_.size(); ++i) {
        Cell::Trace& tr = traces[i];
        if (i == 0) {
          tr.in.resize(static_cast<size_t>(batch * features));
          for (int64_t b = 0; b < batch; ++b) {
            const float* src = x.data.data() + (b * steps + t) * features;
            std::copy(src, src + features, tr.in.begin() + b * features);
          }
        } else {
          const Buffer& below = next[offset[i - 1]];
          tr.in.assign(below.begin(), below.end());
        }
        multiplyBy(tr.in, st->dp[i]);
        const std::vector<const float*> cellPrev =
            droppedPrev(prevPtrs.data() + offset[i], st->rec[i], hd[i], *cells_[i]);
        cells_[i]->trainStep(batch, cellPrev.data(), nextPtrs.data() + offset[i], tr);
      }
      if (!st->m.empty()) {
        // As run(): a masked row keeps every state (and so outputs the previous h).
        const float* mk = st->m.data() + t * batch;
        for (size_t s = 0; s < sizes.size(); ++s) blend(next[s], prev[s], batch, sizes[s], mk);
      }
      if (returnSequences_) {
        for (int64_t b = 0; b < batch; ++b) {
          const float* src = next[0].data() + b * outDim;
          std::copy(src, src + outDim, seq.data.begin() + (b * steps + k) * outDim);
        }
      }
    }
    const auto& last = st->states.back();
    std::vector<Array> result;
    if (returnSequences_) {
      result.push_back(std::move(seq));
    } else {
      result.emplace_back(Shape{batch, outDim}, last[0]);
    }
    if (returnState_) {
      for (size_t s = 0; s < sizes.size(); ++s)
        result.emplace_back(Shape{batch, sizes[s]}, last[s]);
    }
    state = std::move(st);
    return result;
  }

  // Cell i's states start at offset[i] in the flat list (reverse cell order).
  std::vector<size_t> stateOffsets() const {
    std::vector<size_t> offset(cells_.size());
    size_t pos = 0;
    for (size_t i = cells_.size(); i-- > 0;) {
      offset[i] = pos;
      pos += cells_[i]->stateSizes().size();
    }
    return offset;
  }
  void checkInput(const Array& x) const {
    if (x.shape.size() != 3) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' ({}) got an input of rank {}, expected [batch, time, "
                              "features]",
                              name(), className(), x.shape.size()));
    }
    if (x.shape[1] < 1) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' ({}) got a sequence of {} timesteps", name(), className(),
                              x.shape[1]));
    }
    if (x.shape[2] != cells_[0]->inputDim()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' ({}) got {} features per timestep, built for {}", name(),
                              className(), x.shape[2], cells_[0]->inputDim()));
    }
  }
  void checkState(const Array& s, int64_t batch, int64_t size, size_t k) const {
    if (s.shape != Shape{batch, size}) {
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("layer '{}' ({}): initial state {} has shape {}, expected {}", name(),
                      className(), k, Json(s.shape).dump(), Json(Shape{batch, size}).dump()));
    }
  }

  std::vector<Array> run(const std::vector<const Array*>& in, const Array* mask) const {
    const Array& x = *in[0];
    const int64_t batch = x.shape[0], steps = x.shape[1], features = x.shape[2];
    if (steps < 1) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' ({}) got a sequence of {} timesteps", name(), className(),
                              steps));
    }
    if (features != cells_[0]->inputDim()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' ({}) got {} features per timestep, built for {}", name(),
                              className(), features, cells_[0]->inputDim()));
    }
    const auto sizes = stateSizes();
    // States, flat in stateSizes() order: `cur` holds the states going into a step, `next`
    // receives the new ones; the two trade places after every step.
    std::vector<Buffer> cur, next;
    for (size_t k = 0; k < sizes.size(); ++k) {
      const auto n = static_cast<size_t>(batch * sizes[k]);
      if (in.size() > 1) {
        const Array& s = *in[k + 1];
        if (s.shape != Shape{batch, sizes[k]}) {
          throw Error(ErrorCode::kInvalidArgument,
                      fmt::format("layer '{}' ({}): initial state {} has shape {}, expected {}",
                                  name(), className(), k, Json(s.shape).dump(),
                                  Json(Shape{batch, sizes[k]}).dump()));
        }
        cur.push_back(s.data);
      } else {
        cur.emplace_back(n, 0.0f);
      }
      next.emplace_back(n);
    }
    std::vector<float> m;  // [steps][batch], 0/1
    if (mask) m = stepMask(*mask, x);
    // The first cell's x·W for the whole sequence, row b * steps + t; the other cells' per step.
    const int64_t width0 = cells_[0]->width();
    Buffer xp0(static_cast<size_t>(batch * steps * width0));
    cells_[0]->project(x.data.data(), batch * steps, xp0.data());
    // Cell i's states start at offset[i] in the flat list (reverse cell order).
    std::vector<size_t> offset(cells_.size());
    size_t pos = 0;
    for (size_t i = cells_.size(); i-- > 0;) {
      offset[i] = pos;
      pos += cells_[i]->stateSizes().size();
    }
    std::vector<Buffer> xps(cells_.size());
    for (size_t i = 1; i < cells_.size(); ++i)
      xps[i].resize(static_cast<size_t>(batch * cells_[i]->width()));
    std::vector<std::vector<float>> work(cells_.size());
    std::vector<const float*> prevPtrs(sizes.size());
    std::vector<float*> nextPtrs(sizes.size());
    const int64_t outDim = sizes[0];
    Array seq;
    if (returnSequences_) seq = Array({batch, steps, outDim});
    for (int64_t k = 0; k < steps; ++k) {
      const int64_t t = goBackwards_ ? steps - 1 - k : k;
      for (size_t s = 0; s < sizes.size(); ++s) {
        prevPtrs[s] = cur[s].data();
        nextPtrs[s] = next[s].data();
      }
      // Every cell in order, each on the output of the one below (before any mask).
      for (size_t i = 0; i < cells_.size(); ++i) {
        const Cell& cell = *cells_[i];
        if (i == 0) {
          cell.step(xp0.data() + t * width0, steps * width0, batch, prevPtrs.data() + offset[0],
                    nextPtrs.data() + offset[0], work[0]);
        } else {
          cell.project(next[offset[i - 1]].data(), batch, xps[i].data());
          cell.step(xps[i].data(), cell.width(), batch, prevPtrs.data() + offset[i],
                    nextPtrs.data() + offset[i], work[i]);
        }
      }
      if (mask) {
        // TF.js: output = out * m + states[0] * (1 - m), and each state likewise; the output is
        // the first state.
        const float* mk = m.data() + t * batch;
        for (size_t s = 0; s < sizes.size(); ++s) blend(next[s], cur[s], batch, sizes[s], mk);
      }
      if (returnSequences_) {
        for (int64_t b = 0; b < batch; ++b) {
          const float* src = next[0].data() + b * outDim;
          std::copy(src, src + outDim,
                    seq.data.begin() + static_cast<std::ptrdiff_t>((b * steps + k) * outDim));
        }
      }
      std::swap(cur, next);
    }
    std::vector<Array> result;
    if (returnSequences_) {
      result.push_back(std::move(seq));
    } else {
      result.emplace_back(Shape{batch, outDim}, returnState_ ? cur[0] : std::move(cur[0]));
    }
    if (returnState_) {
      for (size_t s = 0; s < sizes.size(); ++s)
        result.emplace_back(Shape{batch, sizes[s]}, std::move(cur[s]));
    }
    return result;
  }

  // The mask of a [batch, time, features] input as [time][batch] 0/1 values (TF.js casts it to
  // bool); Error(kUnsupported) unless it is [batch, time] or [batch, time, 1].
  std::vector<float> stepMask(const Array& mask, const Array& x) const {
    const int64_t batch = x.shape[0], steps = x.shape[1];
    const bool ok = (mask.shape == Shape{batch, steps}) || (mask.shape == Shape{batch, steps, 1});
    if (!ok) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("layer '{}' ({}) got a mask of shape {} for an input of shape {}; "
                              "[batch, time] expected",
                              name(), className(), Json(mask.shape).dump(), Json(x.shape).dump()));
    }
    std::vector<float> m(static_cast<size_t>(steps * batch));
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < steps; ++t)
        m[static_cast<size_t>(t * batch + b)] =
            mask.data[static_cast<size_t>(b * steps + t)] != 0.0f ? 1.0f : 0.0f;
    return m;
  }

  // v = v * m + prev * (1 - m), per batch row of n values.
  static void blend(Buffer& v, const Buffer& prev, int64_t batch, int64_t n, const float* m) {
    for (int64_t b = 0; b < batch; ++b) {
      const float mb = m[b];
      for (int64_t j = 0; j < n; ++j) {
        const auto i = static_cast<size_t>(b * n + j);
        v[i] = v[i] * mb + prev[i] * (1.0f - mb);
      }
    }
  }

  std::vector<std::unique_ptr<Cell>> cells_;
  bool stacked_ = false;
  bool returnSequences_ = false, returnState_ = false, goBackwards_ = false;
  bool zeroOutputForMask_ = false;
};

}  // namespace

void addRecurrentLayers(Registry& r) {
  add<Recurrent>(r, "SimpleRNN");
  add<Recurrent>(r, "GRU");
  add<Recurrent>(r, "LSTM");
  add<Recurrent>(r, "RNN");
}

}  // namespace tfjs::layers
