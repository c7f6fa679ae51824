// The SimpleRNN, GRU and LSTM cells (recurrent_cells.h): their step, training step and
// backward step.
#include "layers/recurrent_cells.h"

#include <fmt/format.h>

#include <algorithm>

namespace tfjs::layers::rnn {

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

namespace {

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
}  // namespace

std::unique_ptr<Cell> makeCell(const std::string& cls, const Config& c, const std::string& scope) {
  if (cls == "SimpleRNNCell" || cls == "SimpleRNN")
    return std::make_unique<SimpleRNNCell>(c, scope);
  if (cls == "GRUCell" || cls == "GRU") return std::make_unique<GRUCell>(c, scope);
  if (cls == "LSTMCell" || cls == "LSTM") return std::make_unique<LSTMCell>(c, scope);
  c.unsupported(fmt::format("cell class '{}'", cls));
}

}  // namespace tfjs::layers::rnn
