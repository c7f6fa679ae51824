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
// RNNCell_<i>/kernel. The cells themselves (their equations and products) are in
// recurrent_cells.{h,cpp}.
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
#include "layers/recurrent_cells.h"

namespace tfjs::layers {
namespace {

using rnn::Buffer;
using rnn::Cell;
using rnn::makeCell;

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
  // Cells: inside an RNN layer's config (`cell`), built by the RNN layer.
  for (const char* name : {"SimpleRNNCell", "GRUCell", "LSTMCell", "StackedRNNCells"}) {
    addClass(r, name, nullptr);
  }
}

}  // namespace tfjs::layers
