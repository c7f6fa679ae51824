// The cells of the recurrent layers (recurrent.cpp runs the sequence loop over them): SimpleRNN,
// GRU and LSTM cells as tfjs-layers (src/layers/recurrent.ts) computes them.
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
//
// A cell computes x·W for every timestep at once (project), then one timestep of the whole batch
// per step() call; for training, trainStep() / stepBackward() keep and use each step's Trace.
#pragma once

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "layers/activations.h"
#include "layers/layer.h"

namespace tfjs::layers::rnn {

// The storage of an Array (states move into the layer's outputs without a copy).
using Buffer = decltype(Array::data);

// y[rows, n] = x[rows, k] · w[k, n]: `fast` (oneDNN) unless reference kernels are asked for or
// oneDNN refuses, else the reference loop. Every matrix product of the cells goes through here.
void product(const kernels::Dense* fast, const float* x, int64_t rows, int64_t k, const float* w,
             int64_t n, float* y);

// Columns [from, from + width) of a [rows, stride] matrix, row-major.
std::vector<float> columns(const float* m, int64_t rows, int64_t stride, int64_t from,
                           int64_t width);

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

// The cell of a SimpleRNN / GRU / LSTM layer, or of a cell config (SimpleRNNCell, GRUCell,
// LSTMCell) inside an RNN layer; `scope` prefixes its weight names (StackedRNNCells).
std::unique_ptr<Cell> makeCell(const std::string& cls, const Config& c, const std::string& scope);

}  // namespace tfjs::layers::rnn
