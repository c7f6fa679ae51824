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
// Cells, gates in TF.js's (and Keras's) order:
//   SimpleRNN  h = act(x·W + b + h·U)
//   GRU        z, r = ract(x·W_zr + b_zr + h·U_zr); hh = act(x·W_h + b_h + (r*h)·U_h);
//              h = z*h + (1-z)*hh. reset_after = true (the Keras 2/3 default, which TF.js refuses)
//              follows Keras: bias [2, 3u] = [input bias; recurrent bias],
//              hh = act(x·W_h + b_in_h + r*(h·U_h + b_rec_h)), z and r get both biases.
//   LSTM       i, f, c~, o = x·W + h·U + b; c = ract(f)*c + ract(i)*act(c~); h = ract(o)*act(c).
// recurrent_activation defaults to hard_sigmoid (TF.js's default; Keras writes it explicitly).
// Dropouts are the identity at inference; unroll and implementation change nothing.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "layers/activations.h"
#include "layers/layer.h"

namespace tfjs::layers {
namespace {

// y[rows, n] += x[rows, k] · w[k, n]. Every matrix product of the cells goes through here, so a
// fast GEMM can replace it in one place.
void matmulAdd(const float* x, int64_t rows, int64_t k, const float* w, int64_t n, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * k;
    float* yr = y + r * n;
    for (int64_t i = 0; i < k; ++i) {
      const float xi = xr[i];
      const float* wr = w + i * n;
      for (int64_t j = 0; j < n; ++j) yr[j] += xi * wr[j];
    }
  }
}

// Columns [from, from + width) of a [rows, stride] matrix, as a [rows, width] array.
Array columns(const float* m, int64_t rows, int64_t stride, int64_t from, int64_t width) {
  Array out({rows, width});
  for (int64_t r = 0; r < rows; ++r) {
    std::copy(m + r * stride + from, m + r * stride + from + width,
              out.data.begin() + static_cast<std::ptrdiff_t>(r * width));
  }
  return out;
}

// One recurrent cell. The layer computes x·W (+ input bias) for every timestep at once
// (inputProjection); step() then adds the recurrent part for one timestep.
class Cell {
 public:
  Cell(const Config& c, std::string scope) : config_(c), scope_(std::move(scope)) {
    units_ = c.integer("units", 0);
    if (units_ <= 0) c.unsupported(fmt::format("units = {}", units_));
    useBias_ = c.boolean("use_bias", true);
    activation_ = c.has("activation") ? c.activation("activation") : "tanh";
    if (!isActivation(activation_)) c.unsupported(fmt::format("activation '{}'", activation_));
  }
  virtual ~Cell() = default;
  Cell(const Cell&) = delete;
  Cell& operator=(const Cell&) = delete;

  int64_t units() const { return units_; }
  // The size of each state; the first is the output.
  virtual std::vector<int64_t> stateSizes() const { return {units_}; }
  void build(int64_t inputDim) { inputDim_ = inputDim; }
  int64_t inputDim() const { return inputDim_; }
  // Variables, named within the layer ("kernel" or "RNNCell_0/kernel").
  virtual std::vector<VariableSpec> variables() const = 0;
  // Receives the views of its variables' values, in variables() order.
  void bind(std::vector<std::span<const float>> w) { w_ = std::move(w); }
  // x[rows, inputDim] -> [rows, gates * units]: x·W plus the bias added before the recurrence.
  virtual Array inputProjection(const float* x, int64_t rows) const = 0;
  // One timestep for the whole batch: xp is this step's inputProjection rows [batch, ...],
  // states the current states. Returns the output and the new states.
  virtual std::pair<Array, std::vector<Array>> step(const float* xp, int64_t batch,
                                                    const std::vector<Array>& states) const = 0;

 protected:
  void activate(const std::string& name, Array& a) const {
    applyActivation(name, a, config_.name());
  }
  std::string var(const char* n) const { return scope_ + n; }
  Array project(const float* x, int64_t rows, int64_t width, const float* bias) const {
    Array y({rows, width});
    if (bias) {
      for (int64_t r = 0; r < rows; ++r)
        std::copy(bias, bias + width, y.data.begin() + static_cast<std::ptrdiff_t>(r * width));
    }
    matmulAdd(x, rows, inputDim_, w_[0].data(), width, y.data.data());
    return y;
  }

  Config config_;
  std::string scope_;
  int64_t units_ = 0, inputDim_ = 0;
  bool useBias_ = true;
  std::string activation_;
  std::vector<std::span<const float>> w_;  // kernel, recurrent_kernel[, bias]
};

class SimpleRNNCell final : public Cell {
 public:
  using Cell::Cell;
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{var("kernel"), {inputDim_, units_}},
                                   {var("recurrent_kernel"), {units_, units_}}};
    if (useBias_) v.push_back({var("bias"), {units_}});
    return v;
  }
  Array inputProjection(const float* x, int64_t rows) const override {
    return project(x, rows, units_, useBias_ ? w_[2].data() : nullptr);
  }
  std::pair<Array, std::vector<Array>> step(const float* xp, int64_t batch,
                                            const std::vector<Array>& states) const override {
    Array h({batch, units_});
    std::copy(xp, xp + batch * units_, h.data.begin());
    matmulAdd(states[0].data.data(), batch, units_, w_[1].data(), units_, h.data.data());
    activate(activation_, h);
    return {h, {h}};
  }
};

class GRUCell final : public Cell {
 public:
  GRUCell(const Config& c, std::string scope) : Cell(c, std::move(scope)) {
    recurrentActivation_ =
        c.has("recurrent_activation") ? c.activation("recurrent_activation") : "hard_sigmoid";
    if (!isActivation(recurrentActivation_))
      c.unsupported(fmt::format("recurrent_activation '{}'", recurrentActivation_));
    resetAfter_ = c.boolean("reset_after", false);
  }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{var("kernel"), {inputDim_, 3 * units_}},
                                   {var("recurrent_kernel"), {units_, 3 * units_}}};
    if (useBias_) {
      v.push_back({var("bias"), resetAfter_ ? Shape{2, 3 * units_} : Shape{3 * units_}});
    }
    return v;
  }
  Array inputProjection(const float* x, int64_t rows) const override {
    // reset_after: the first row of the bias is the input bias.
    return project(x, rows, 3 * units_, useBias_ ? w_[2].data() : nullptr);
  }
  std::pair<Array, std::vector<Array>> step(const float* xp, int64_t batch,
                                            const std::vector<Array>& states) const override {
    const int64_t u = units_;
    const Array& h = states[0];
    const float* rk = w_[1].data();
    Array z, r, hh;
    if (!resetAfter_) {
      // TF.js: the recurrent kernel splits into [:, :2u] (z, r) and [:, 2u:] (h).
      const Array rk1 = columns(rk, u, 3 * u, 0, 2 * u);
      const Array rk2 = columns(rk, u, 3 * u, 2 * u, u);
      Array inner({batch, 2 * u});
      matmulAdd(h.data.data(), batch, u, rk1.data.data(), 2 * u, inner.data.data());
      z = columns(xp, batch, 3 * u, 0, u);
      r = columns(xp, batch, 3 * u, u, u);
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t j = 0; j < u; ++j) {
          z.data[static_cast<size_t>(b * u + j)] += inner.data[static_cast<size_t>(b * 2 * u + j)];
          r.data[static_cast<size_t>(b * u + j)] +=
              inner.data[static_cast<size_t>(b * 2 * u + u + j)];
        }
      }
      activate(recurrentActivation_, z);
      activate(recurrentActivation_, r);
      Array rh({batch, u});
      for (size_t i = 0; i < rh.data.size(); ++i) rh.data[i] = r.data[i] * h.data[i];
      hh = columns(xp, batch, 3 * u, 2 * u, u);
      Array rec({batch, u});
      matmulAdd(rh.data.data(), batch, u, rk2.data.data(), u, rec.data.data());
      for (size_t i = 0; i < hh.data.size(); ++i) hh.data[i] += rec.data[i];
    } else {
      // Keras reset_after: inner = h·U + recurrent bias; hh = act(x_h + r * inner_h).
      Array inner({batch, 3 * u});
      if (useBias_) {
        const float* rb = w_[2].data() + 3 * u;
        for (int64_t b = 0; b < batch; ++b)
          std::copy(rb, rb + 3 * u, inner.data.begin() + static_cast<std::ptrdiff_t>(b * 3 * u));
      }
      matmulAdd(h.data.data(), batch, u, rk, 3 * u, inner.data.data());
      z = columns(xp, batch, 3 * u, 0, u);
      r = columns(xp, batch, 3 * u, u, u);
      hh = columns(xp, batch, 3 * u, 2 * u, u);
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t j = 0; j < u; ++j) {
          const auto k = static_cast<size_t>(b * u + j);
          const auto base = static_cast<size_t>(b * 3 * u + j);
          z.data[k] += inner.data[base];
          r.data[k] += inner.data[base + static_cast<size_t>(u)];
        }
      }
      activate(recurrentActivation_, z);
      activate(recurrentActivation_, r);
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t j = 0; j < u; ++j) {
          const auto k = static_cast<size_t>(b * u + j);
          hh.data[k] += r.data[k] * inner.data[static_cast<size_t>(b * 3 * u + 2 * u + j)];
        }
      }
    }
    activate(activation_, hh);
    Array out({batch, u});
    for (size_t i = 0; i < out.data.size(); ++i) {
      out.data[i] = z.data[i] * h.data[i] + (1.0f - z.data[i]) * hh.data[i];
    }
    return {out, {out}};
  }

 private:
  std::string recurrentActivation_;
  bool resetAfter_ = false;
};

class LSTMCell final : public Cell {
 public:
  LSTMCell(const Config& c, std::string scope) : Cell(c, std::move(scope)) {
    recurrentActivation_ =
        c.has("recurrent_activation") ? c.activation("recurrent_activation") : "hard_sigmoid";
    if (!isActivation(recurrentActivation_))
      c.unsupported(fmt::format("recurrent_activation '{}'", recurrentActivation_));
  }
  std::vector<int64_t> stateSizes() const override { return {units_, units_}; }
  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v = {{var("kernel"), {inputDim_, 4 * units_}},
                                   {var("recurrent_kernel"), {units_, 4 * units_}}};
    if (useBias_) v.push_back({var("bias"), {4 * units_}});
    return v;
  }
  Array inputProjection(const float* x, int64_t rows) const override {
    return project(x, rows, 4 * units_, useBias_ ? w_[2].data() : nullptr);
  }
  std::pair<Array, std::vector<Array>> step(const float* xp, int64_t batch,
                                            const std::vector<Array>& states) const override {
    const int64_t u = units_;
    Array zs({batch, 4 * u});
    std::copy(xp, xp + batch * 4 * u, zs.data.begin());
    matmulAdd(states[0].data.data(), batch, u, w_[1].data(), 4 * u, zs.data.data());
    Array i = columns(zs.data.data(), batch, 4 * u, 0, u);
    Array f = columns(zs.data.data(), batch, 4 * u, u, u);
    Array cc = columns(zs.data.data(), batch, 4 * u, 2 * u, u);
    Array o = columns(zs.data.data(), batch, 4 * u, 3 * u, u);
    activate(recurrentActivation_, i);
    activate(recurrentActivation_, f);
    activate(activation_, cc);
    activate(recurrentActivation_, o);
    const Array& cPrev = states[1];
    Array c({batch, u});
    for (size_t k = 0; k < c.data.size(); ++k) {
      c.data[k] = f.data[k] * cPrev.data[k] + i.data[k] * cc.data[k];
    }
    Array ac = c;
    activate(activation_, ac);
    Array h({batch, u});
    for (size_t k = 0; k < h.data.size(); ++k) h.data[k] = o.data[k] * ac.data[k];
    return {h, {h, c}};
  }

 private:
  std::string recurrentActivation_;
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
    // zeros. TF.js ignores it; it matters only when a mask arrives, which callMasked refuses.
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

 private:
  std::vector<Array> run(const std::vector<const Array*>& in, const Array* mask) const {
    const Array& x = *in[0];
    const int64_t batch = x.shape[0], steps = x.shape[1], features = x.shape[2];
    if (steps < 1) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' ({}) got a sequence of {} timesteps", name(), className(),
                              steps));
    }
    const auto sizes = stateSizes();
    // States, flat in stateSizes() order.
    std::vector<Array> states;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (in.size() > 1) {
        const Array& s = *in[k + 1];
        if (s.shape != Shape{batch, sizes[k]}) {
          throw Error(ErrorCode::kInvalidArgument,
                      fmt::format("layer '{}' ({}): initial state {} has shape {}, expected {}",
                                  name(), className(), k, Json(s.shape).dump(),
                                  Json(Shape{batch, sizes[k]}).dump()));
        }
        states.push_back(s);
      } else {
        states.emplace_back(Shape{batch, sizes[k]});
      }
    }
    std::vector<float> m;  // [steps][batch], 0/1
    if (mask) {
      const bool ok =
          (mask->shape == Shape{batch, steps}) || (mask->shape == Shape{batch, steps, 1});
      if (!ok) {
        throw Error(
            ErrorCode::kUnsupported,
            fmt::format("layer '{}' ({}) got a mask of shape {} for an input of shape {}; "
                        "[batch, time] expected",
                        name(), className(), Json(mask->shape).dump(), Json(x.shape).dump()));
      }
      m.resize(static_cast<size_t>(steps * batch));
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t t = 0; t < steps; ++t)
          m[static_cast<size_t>(t * batch + b)] =
              mask->data[static_cast<size_t>(b * steps + t)] != 0.0f ? 1.0f : 0.0f;
    }
    // Per cell, the input projection of the whole sequence is computed when the cell's input
    // is known: for the first cell, all timesteps up front; for stacked cells, per step.
    const Array xp0 = cells_[0]->inputProjection(x.data.data(), batch * steps);
    const int64_t width0 = xp0.size() / (batch * steps);
    std::vector<Array> outputs;  // per processed step, [batch, out]
    Array last;
    for (int64_t k = 0; k < steps; ++k) {
      const int64_t t = goBackwards_ ? steps - 1 - k : k;
      // This step's projection rows for the batch: [batch, width0].
      Array rows({batch, width0});
      for (int64_t b = 0; b < batch; ++b) {
        const float* src = xp0.data.data() + (b * steps + t) * width0;
        std::copy(src, src + width0, rows.data.begin() + static_cast<std::ptrdiff_t>(b * width0));
      }
      auto [out, newStates] = stepAll(rows, batch, states);
      if (mask) {
        const float* mk = m.data() + t * batch;
        // TF.js: output = out * m + states[0] * (1 - m); each state likewise.
        blend(out, states[0], mk);
        for (size_t s = 0; s < states.size(); ++s) blend(newStates[s], states[s], mk);
      }
      states = std::move(newStates);
      if (returnSequences_) outputs.push_back(out);
      last = std::move(out);
    }
    (void)features;
    std::vector<Array> result;
    const int64_t outDim = sizes[0];
    if (returnSequences_) {
      Array seq({batch, steps, outDim});
      for (int64_t k = 0; k < steps; ++k) {
        for (int64_t b = 0; b < batch; ++b) {
          const float* src = outputs[static_cast<size_t>(k)].data.data() + b * outDim;
          std::copy(src, src + outDim,
                    seq.data.begin() + static_cast<std::ptrdiff_t>((b * steps + k) * outDim));
        }
      }
      result.push_back(std::move(seq));
    } else {
      result.push_back(std::move(last));
    }
    if (returnState_) {
      for (auto& s : states) result.push_back(std::move(s));
    }
    return result;
  }

  // v = v * m + prev * (1 - m), per batch row.
  static void blend(Array& v, const Array& prev, const float* m) {
    const int64_t batch = v.shape[0];
    const int64_t n = v.size() / batch;
    for (int64_t b = 0; b < batch; ++b) {
      const float mb = m[b];
      for (int64_t j = 0; j < n; ++j) {
        const auto i = static_cast<size_t>(b * n + j);
        v.data[i] = v.data[i] * mb + prev.data[i] * (1.0f - mb);
      }
    }
  }

  // One timestep through every cell. `rows` is the first cell's input projection.
  std::pair<Array, std::vector<Array>> stepAll(const Array& rows, int64_t batch,
                                               const std::vector<Array>& states) const {
    if (cells_.size() == 1) return cells_[0]->step(rows.data.data(), batch, states);
    // Stacked: states are in reverse cell order; cell i's states start after those of the cells
    // above it.
    std::vector<size_t> offset(cells_.size());
    size_t pos = 0;
    for (size_t i = cells_.size(); i-- > 0;) {
      offset[i] = pos;
      pos += cells_[i]->stateSizes().size();
    }
    std::vector<Array> newStates(states.size());
    Array input;
    for (size_t i = 0; i < cells_.size(); ++i) {
      const size_t n = cells_[i]->stateSizes().size();
      std::vector<Array> own(states.begin() + static_cast<std::ptrdiff_t>(offset[i]),
                             states.begin() + static_cast<std::ptrdiff_t>(offset[i] + n));
      std::pair<Array, std::vector<Array>> r;
      if (i == 0) {
        r = cells_[0]->step(rows.data.data(), batch, own);
      } else {
        const Array xp = cells_[i]->inputProjection(input.data.data(), batch);
        r = cells_[i]->step(xp.data.data(), batch, own);
      }
      for (size_t k = 0; k < n; ++k) newStates[offset[i] + k] = std::move(r.second[k]);
      input = std::move(r.first);
    }
    return {input, std::move(newStates)};
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
