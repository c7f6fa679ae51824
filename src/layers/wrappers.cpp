// Wrappers: layers that run another layer (tfjs-layers 4.22, layers/wrappers.ts).
//
// TimeDistributed: applies its inner layer (any registered class: Dense, Conv2D, Flatten, LSTM,
// ...) to every timestep of a [batch, time, ...] input, as TF.js does by running the inner call
// once per step. Here the batch and time axes are folded into one ([batch * time, ...], a plain
// reshape of row-major data), the inner layer runs once, and the result is unfolded: every
// inference layer computes each sample on its own, so this gives the same values. The inner
// layer's variables keep their own names under the wrapper's scope (TF.js saves
// `time_distributed/kernel`; Keras 3's `time_distributed/dense/kernel` resolves to it through the
// loader's fallback). Masks: TimeDistributed supports masking and passes its input mask through
// unchanged (TF.js has no computeMask of its own); it hands the whole [batch, time] mask to the
// inner call at every step, which only layers that read a mask would notice (RNNs,
// Bidirectional, Softmax): that combination is refused instead of computed wrongly. A wrapped
// nested model (Sequential, Functional, Model) runs the same way: its whole graph on the folded
// [batch * time, ...] input (model/layers_model.cpp makes it); TF.js names its weights by the
// inner layers alone (`dense/kernel`, no wrapper scope), which the runtime's binding accepts
// (and GraphTrainer names the trained variables so).
//
// Training: TimeDistributed runs the inner layer's forwardTrain / backward on the folded arrays
// (a masked input is handled as at inference: ignored, or refused when the inner layer reads
// masks); over a nested model, the inner graph's training forward and backward, whose inner
// layers' gradients are gathered into the wrapper's in NestedModel::variables() order (the
// order its setWeights hands the values out). Bidirectional runs both directions' (with the input
// mask, when there is one) and splits the merged gradient back (see backward). The inner layers'
// variable gradients are added into the wrapper's own (a local GradientSink), and weightsChanged is
// passed on to the inner layers.
//
// Each wrapper has its own section below.
#include <fmt/format.h>

#include <optional>
#include <set>

#include "layers/layer.h"

namespace tfjs::layers {
namespace {

// --- TimeDistributed -----------------------------------------------------------------------------

// Adds the gradients an inner layer left in `inner` to the wrapper's own, from variable `first`.
void addGradients(const GradientSink& inner, const Layer& layer, std::vector<Array>& dst,
                  size_t first) {
  const std::vector<Array>* g = inner.find(&layer);
  if (g == nullptr) return;
  for (size_t k = 0; k < g->size() && first + k < dst.size(); ++k) {
    auto& to = dst[first + k].data;
    const auto& from = (*g)[k].data;
    for (size_t i = 0; i < to.size() && i < from.size(); ++i) to[i] += from[i];
  }
}

// Rethrows an error of the inner layer with the wrapper named in front, keeping its code.
[[noreturn]] void rethrowWithContext(const Error& e, const Config& wrapper) {
  std::vector<Problem> problems = e.problems();
  problems.front().message = fmt::format("in layer '{}' ({}): {}", wrapper.name(),
                                         wrapper.className(), problems.front().message);
  throw Error(std::move(problems));
}

class TimeDistributed final : public Layer {
 public:
  explicit TimeDistributed(const Config& c) : Layer(c) {
    const Json& j = c.json();
    const Json* spec = j.is_object() && j.contains("layer") ? &j["layer"] : nullptr;
    if (!spec || !spec->is_object() || !spec->contains("class_name") ||
        !(*spec)["class_name"].is_string()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("layer '{}' (TimeDistributed): 'layer' must be an object with a "
                              "class_name and a config",
                              c.name()));
    }
    const std::string cls = (*spec)["class_name"].get<std::string>();
    const Json cfg = spec->contains("config") ? (*spec)["config"] : Json::object();
    if (!cfg.is_object()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("layer '{}' (TimeDistributed): the config of the wrapped '{}' is "
                              "not an object",
                              c.name(), cls));
    }
    const std::string innerName =
        cfg.contains("name") && cfg["name"].is_string() ? cfg["name"].get<std::string>() : cls;
    nested_ = cls == "Sequential" || cls == "Functional" || cls == "Model";
    if (nested_) {
      try {
        inner_ = nestedModelHooks().make(Config(cls, innerName, cfg));
      } catch (const Error& e) {
        rethrowWithContext(e, c);
      }
      return;
    }
    if (!runsLayerClass(cls)) {
      c.unsupported(
          fmt::format("wrapping layer '{}' of class '{}', which tfjs cannot run", innerName, cls));
    }
    try {
      inner_ = createLayer(Config(cls, innerName, cfg));
    } catch (const Error& e) {
      rethrowWithContext(e, c);
    }
  }

  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) {
      config_.unsupported(fmt::format("{} inputs (TimeDistributed takes one)", in.size()));
    }
    const Shape& s = in[0];
    if (s.size() < 3) {
      config_.unsupported(
          fmt::format("an input of rank {} (TimeDistributed needs [batch, time, ...])", s.size()));
    }
    // The inner layer sees [batch * time, ...]: its batch dimension is unknown.
    Shape child = {-1};
    child.insert(child.end(), s.begin() + 2, s.end());
    std::vector<Shape> out;
    try {
      out = inner_->build({child});
    } catch (const Error& e) {
      rethrowWithContext(e, config_);
    }
    if (out.size() != 1 || out[0].empty()) {
      config_.unsupported(fmt::format("wrapping layer '{}' ({}), which has {} outputs",
                                      inner_->name(), inner_->className(), out.size()));
    }
    Shape y = {s[0], s[1]};
    y.insert(y.end(), out[0].begin() + 1, out[0].end());
    return {y};
  }

  std::vector<VariableSpec> variables() const override { return inner_->variables(); }
  void setWeights(std::vector<Tensor> weights) override { inner_->setWeights(std::move(weights)); }

  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in.at(0);
    const int64_t batch = x.shape[0], steps = x.shape[1];
    Shape folded = {batch * steps};
    folded.insert(folded.end(), x.shape.begin() + 2, x.shape.end());
    const Array xf(folded, x.data);
    std::vector<Array> out = inner_->call({&xf});
    if (out.size() != 1 || out[0].shape.empty() || out[0].shape[0] != batch * steps) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': the wrapped layer '{}' did not return one tensor of "
                              "{} rows",
                              name(), inner_->name(), batch * steps));
    }
    Shape ys = {batch, steps};
    ys.insert(ys.end(), out[0].shape.begin() + 1, out[0].shape.end());
    return oneOutput(Array(std::move(ys), std::move(out[0].data)));
  }

  std::vector<std::optional<Array>> computeMask(
      const std::vector<const Array*>& inputs,
      const std::vector<const Array*>& masks) const override {
    (void)inputs;
    if (masks.empty() || !masks[0]) return {std::nullopt};
    return {*masks[0]};
  }

  std::vector<Array> callMasked(const std::vector<const Array*>& inputs,
                                const std::vector<const Array*>& masks) const override {
    if (!masks.empty() && masks[0] && inner_->readsMask()) {
      config_.unsupported(fmt::format(
          "a masked input with the wrapped layer '{}' ({}): TF.js hands the whole [batch, time] "
          "mask to it at every step, where it does not fit the per-step input",
          inner_->name(), inner_->className()));
    }
    return call(inputs);
  }
  // A wrapped mask reader reads the (stale) mask TF.js would hand it at every step.
  bool readsMask() const override { return inner_->readsMask(); }

  // Training: the inner layer's forwardTrain and backward on the folded [batch * time, ...]
  // arrays; its variable gradients land in the wrapper's (the same variables, same order).
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext& ctx,
                                  std::unique_ptr<LayerState>& state) const override {
    auto st = std::make_unique<FoldState>();
    st->x = fold(*in.at(0));
    std::vector<Array> out = inner_->forwardTrain({&st->x}, ctx, st->inner);
    const int64_t batch = in[0]->shape[0], steps = in[0]->shape[1];
    if (out.size() != 1 || out[0].shape.empty() || out[0].shape[0] != batch * steps) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': the wrapped layer '{}' did not return one tensor of "
                              "{} rows",
                              name(), inner_->name(), batch * steps));
    }
    st->y = out[0];
    Shape ys = {batch, steps};
    ys.insert(ys.end(), out[0].shape.begin() + 1, out[0].shape.end());
    state = std::move(st);
    return oneOutput(Array(std::move(ys), std::move(out[0].data)));
  }
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState* state,
                              std::vector<Array> dOut, GradientSink& grads) const override {
    (void)out;
    auto* st = dynamic_cast<FoldState*>(state);
    if (st == nullptr) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}' (TimeDistributed): backward without its training "
                              "forward",
                              name()));
    }
    std::vector<Array> d;
    d.push_back(Array(st->y.shape, std::move(dOut.at(0).data)));
    GradientSink inner;
    inner.inputGradientsNeeded = grads.inputGradientsNeeded;
    std::vector<Array> dx =
        inner_->backward({&st->x}, {&st->y}, st->inner.get(), std::move(d), inner);
    if (nested_) {
      nestedModelHooks().addGradients(*inner_, inner, grads.of(this));
    } else {
      addGradients(inner, *inner_, grads.of(this), 0);
    }
    // No dL/d(input) when the executor said none is needed and the inner layer skipped it.
    if (dx.empty() || dx[0].data.empty()) return oneOutput(Array());
    return oneOutput(Array(in[0]->shape, std::move(dx[0].data)));
  }
  void weightsChanged() override { inner_->weightsChanged(); }

 private:
  struct FoldState : LayerState {
    Array x, y;  // the folded input and output of the inner layer
    std::unique_ptr<LayerState> inner;
  };
  static Array fold(const Array& x) {
    Shape folded = {x.shape[0] * x.shape[1]};
    folded.insert(folded.end(), x.shape.begin() + 2, x.shape.end());
    return Array(folded, x.data);
  }

  std::unique_ptr<Layer> inner_;
  bool nested_ = false;  // inner_ is a nested model
};

// --- Bidirectional -------------------------------------------------------------------------------

// Bidirectional: runs its recurrent layer forward and a copy of it with go_backwards flipped, as
// TF.js does (its config is the wrapped one; a Keras 3 `backward_layer` is accepted when it is
// that mirror, since TF.js ignores it). The backward sequence output is reversed back along time
// before merging (concat on the last axis, sum, mul, ave, or merge_mode null: two outputs); with
// return_state the forward states then the backward states follow. Initial states (extra inputs)
// split in half: forward first. Variables are named forward_<inner>/... and backward_<inner>/...
// as TF.js names them (Keras's bidirectional/forward_lstm/lstm_cell/kernel resolves through the
// loader's fallback). The mask goes to both directions; the output mask is the input mask when
// return_sequences (twice with merge_mode null), none otherwise, none for the states.
class Bidirectional final : public Layer {
 public:
  explicit Bidirectional(const Config& c) : Layer(c) {
    const Json& j = c.json();
    const Json* spec = j.is_object() && j.contains("layer") ? &j["layer"] : nullptr;
    if (!spec || !spec->is_object() || !spec->contains("class_name") ||
        !(*spec)["class_name"].is_string() || !spec->contains("config") ||
        !(*spec)["config"].is_object()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("layer '{}' (Bidirectional): 'layer' must be an object with a "
                              "class_name and a config",
                              c.name()));
    }
    const std::string cls = (*spec)["class_name"].get<std::string>();
    static const std::set<std::string> recurrent = {"SimpleRNN", "GRU", "LSTM", "RNN"};
    if (!recurrent.count(cls)) c.unsupported(fmt::format("wrapping a '{}' layer", cls));
    Json cfg = (*spec)["config"];
    const std::string innerName =
        cfg.contains("name") && cfg["name"].is_string() ? cfg["name"].get<std::string>() : cls;
    if (j.contains("merge_mode") && j["merge_mode"].is_null()) {
      mergeMode_ = "";  // two outputs
    } else {
      mergeMode_ = c.string("merge_mode", "concat");
      if (mergeMode_ != "concat" && mergeMode_ != "sum" && mergeMode_ != "mul" &&
          mergeMode_ != "ave") {
        c.unsupported(fmt::format("merge_mode '{}'", mergeMode_));
      }
    }
    if (j.contains("backward_layer") && !j["backward_layer"].is_null()) {
      const Json& b = j["backward_layer"];
      auto strip = [](Json x) {
        if (x.is_object()) {
          x.erase("name");
          x.erase("go_backwards");
        }
        return x;
      };
      const bool mirror =
          b.is_object() && b.value("class_name", std::string()) == cls && b.contains("config") &&
          b["config"].is_object() &&
          b["config"].value("go_backwards", false) != cfg.value("go_backwards", false) &&
          strip(b["config"]) == strip(cfg);
      if (!mirror) {
        c.unsupported(
            "a backward_layer that is not the mirror of the forward layer (TF.js builds the "
            "backward layer from the forward one)");
      }
    }
    returnSequences_ = cfg.value("return_sequences", false);
    returnState_ = cfg.value("return_state", false);
    // Keras 3 saves the wrapped layer as the forward one, already named forward_<inner>, and
    // the mirror as backward_<inner>: those names are kept rather than prefixed twice.
    const std::string base = innerName.rfind("forward_", 0) == 0 ? innerName.substr(8) : innerName;
    Json fwd = cfg, bwd = cfg;
    fwd["name"] = "forward_" + base;
    bwd["name"] = "backward_" + base;
    bwd["go_backwards"] = !cfg.value("go_backwards", false);
    try {
      forward_ = createLayer(Config(cls, fwd["name"].get<std::string>(), fwd));
      backward_ = createLayer(Config(cls, bwd["name"].get<std::string>(), bwd));
    } catch (const Error& e) {
      rethrowWithContext(e, c);
    }
  }

  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.empty()) config_.unsupported("no input");
    if ((in.size() - 1) % 2 != 0) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("layer '{}' (Bidirectional) got {} initial states; the forward and "
                              "backward layers need the same number",
                              name(), in.size() - 1));
    }
    const size_t half = (in.size() - 1) / 2;
    std::vector<Shape> fin = {in[0]}, bin = {in[0]};
    fin.insert(fin.end(), in.begin() + 1, in.begin() + 1 + static_cast<std::ptrdiff_t>(half));
    bin.insert(bin.end(), in.begin() + 1 + static_cast<std::ptrdiff_t>(half), in.end());
    std::vector<Shape> f, b;
    try {
      f = forward_->build(fin);
      b = backward_->build(bin);
    } catch (const Error& e) {
      rethrowWithContext(e, config_);
    }
    numStates_ = f.size() - 1;
    std::vector<Shape> out;
    Shape y = f[0];
    if (mergeMode_ == "concat") y.back() *= 2;
    out.push_back(y);
    if (mergeMode_.empty()) out.push_back(f[0]);
    if (returnState_) {
      out.insert(out.end(), f.begin() + 1, f.end());
      out.insert(out.end(), b.begin() + 1, b.end());
    }
    return out;
  }

  std::vector<VariableSpec> variables() const override {
    std::vector<VariableSpec> v;
    for (const Layer* l : {forward_.get(), backward_.get()}) {
      for (auto s : l->variables()) {
        s.name = l->name() + "/" + s.name;
        v.push_back(std::move(s));
      }
    }
    return v;
  }
  void setWeights(std::vector<Tensor> weights) override {
    const size_t nf = forward_->variables().size();
    std::vector<Tensor> f(weights.begin(), weights.begin() + static_cast<std::ptrdiff_t>(nf));
    std::vector<Tensor> b(weights.begin() + static_cast<std::ptrdiff_t>(nf), weights.end());
    forward_->setWeights(std::move(f));
    backward_->setWeights(std::move(b));
  }

  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    return run(in, {});
  }
  bool readsMask() const override { return true; }
  std::vector<Array> callMasked(const std::vector<const Array*>& in,
                                const std::vector<const Array*>& masks) const override {
    return run(in, masks.empty() ? std::vector<const Array*>{} : std::vector{masks[0]});
  }
  std::vector<std::optional<Array>> computeMask(
      const std::vector<const Array*>& in, const std::vector<const Array*>& masks) const override {
    (void)in;
    std::optional<Array> m;
    if (returnSequences_ && !masks.empty() && masks[0]) m = *masks[0];
    std::vector<std::optional<Array>> out = {m};
    if (mergeMode_.empty()) out.push_back(m);
    if (returnState_) out.resize(out.size() + 2 * numStates_);
    return out;
  }

  // Training: both directions' forwardTrain, merged as run() merges; backward splits the
  // merged gradient (concat: halves; sum: both; ave: halves of it; mul: times the other side),
  // reverses the backward direction's along time, runs both inner backwards and adds their
  // input gradients (x from both, the initial states from each its half).
  std::vector<Array> forwardTrain(const std::vector<const Array*>& in, TrainingContext& ctx,
                                  std::unique_ptr<LayerState>& state) const override {
    return trainBoth(in, nullptr, ctx, state);
  }
  // With a mask, both directions get it, as in run() (their states keep the masks they used).
  std::vector<Array> forwardTrainMasked(const std::vector<const Array*>& in,
                                        const std::vector<const Array*>& masks,
                                        TrainingContext& ctx,
                                        std::unique_ptr<LayerState>& state) const override {
    return trainBoth(in, masks.empty() ? nullptr : masks[0], ctx, state);
  }
  std::vector<Array> trainBoth(const std::vector<const Array*>& in, const Array* mask,
                               TrainingContext& ctx, std::unique_ptr<LayerState>& state) const {
    auto st = std::make_unique<BiState>();
    const auto [fin, bin] = split(in);
    if (mask) {
      st->f = forward_->forwardTrainMasked(fin, {mask}, ctx, st->fState);
      st->b = backward_->forwardTrainMasked(bin, {mask}, ctx, st->bState);
    } else {
      st->f = forward_->forwardTrain(fin, ctx, st->fState);
      st->b = backward_->forwardTrain(bin, ctx, st->bState);
    }
    std::vector<Array> f = st->f, b = st->b;
    std::vector<Array> out = merge(std::move(f), std::move(b));
    state = std::move(st);
    return out;
  }
  std::vector<Array> backward(const std::vector<const Array*>& in,
                              const std::vector<const Array*>& out, LayerState* state,
                              std::vector<Array> dOut, GradientSink& grads) const override {
    (void)out;
    auto* st = dynamic_cast<BiState*>(state);
    if (st == nullptr) {
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("layer '{}' (Bidirectional): backward without its training forward", name()));
    }
    const Array& y = st->f[0];
    const Array yr = returnSequences_ ? reverseTime(st->b[0]) : st->b[0];
    Array df(y.shape), db(y.shape);  // db along the merged (re-reversed) time order
    size_t next = 1;
    if (mergeMode_.empty()) {
      df = std::move(dOut.at(0));
      db = std::move(dOut.at(1));
      next = 2;
    } else {
      const Array& g = dOut.at(0);
      const int64_t w = y.shape.back();
      const int64_t rows = y.size() / w;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t j = 0; j < w; ++j) {
          const size_t i = static_cast<size_t>(r * w + j);
          if (mergeMode_ == "concat") {
            df.data[i] = g.data[static_cast<size_t>(r * 2 * w + j)];
            db.data[i] = g.data[static_cast<size_t>(r * 2 * w + w + j)];
          } else if (mergeMode_ == "sum") {
            df.data[i] = db.data[i] = g.data[i];
          } else if (mergeMode_ == "ave") {
            df.data[i] = db.data[i] = 0.5f * g.data[i];
          } else {  // mul
            df.data[i] = g.data[i] * yr.data[i];
            db.data[i] = g.data[i] * y.data[i];
          }
        }
      }
    }
    if (returnSequences_) db = reverseTime(db);
    std::vector<Array> dF, dB;
    dF.push_back(std::move(df));
    dB.push_back(std::move(db));
    for (size_t k = 0; k < numStates_; ++k) dF.push_back(std::move(dOut.at(next + k)));
    for (size_t k = 0; k < numStates_; ++k) dB.push_back(std::move(dOut.at(next + numStates_ + k)));
    if (!returnState_) {
      dF.resize(st->f.size());
      dB.resize(st->b.size());
    }
    for (size_t k = 0; k < dF.size(); ++k) {
      if (dF[k].data.empty()) dF[k] = Array(st->f[k].shape);
    }
    for (size_t k = 0; k < dB.size(); ++k) {
      if (dB[k].data.empty()) dB[k] = Array(st->b[k].shape);
    }
    const auto [fin, bin] = split(in);
    std::vector<const Array*> fo, bo;
    for (const auto& a : st->f) fo.push_back(&a);
    for (const auto& a : st->b) bo.push_back(&a);
    GradientSink inner;
    std::vector<Array> dxf = forward_->backward(fin, fo, st->fState.get(), std::move(dF), inner);
    std::vector<Array> dxb = backward_->backward(bin, bo, st->bState.get(), std::move(dB), inner);
    auto& dv = grads.of(this);
    addGradients(inner, *forward_, dv, 0);
    addGradients(inner, *backward_, dv, forward_->variables().size());
    std::vector<Array> dIn;
    Array dx = std::move(dxf.at(0));
    for (size_t i = 0; i < dx.data.size(); ++i) dx.data[i] += dxb.at(0).data[i];
    dIn.push_back(std::move(dx));
    for (size_t k = 1; k < dxf.size(); ++k) dIn.push_back(std::move(dxf[k]));
    for (size_t k = 1; k < dxb.size(); ++k) dIn.push_back(std::move(dxb[k]));
    return dIn;
  }
  void weightsChanged() override {
    forward_->weightsChanged();
    backward_->weightsChanged();
  }

 private:
  struct BiState : LayerState {
    std::vector<Array> f, b;  // the outputs of both directions, as they returned them
    std::unique_ptr<LayerState> fState, bState;
  };
  // The inputs of the forward and backward layers: x, then each its half of the initial states.
  std::pair<std::vector<const Array*>, std::vector<const Array*>> split(
      const std::vector<const Array*>& in) const {
    const size_t half = (in.size() - 1) / 2;
    std::vector<const Array*> fin = {in[0]}, bin = {in[0]};
    fin.insert(fin.end(), in.begin() + 1, in.begin() + 1 + static_cast<std::ptrdiff_t>(half));
    bin.insert(bin.end(), in.begin() + 1 + static_cast<std::ptrdiff_t>(half), in.end());
    return {fin, bin};
  }
  // A [batch, time, width] array reversed along time.
  static Array reverseTime(const Array& yr) {
    const int64_t batch = yr.shape[0], steps = yr.shape[1], width = yr.shape[2];
    Array r(yr.shape);
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t t = 0; t < steps; ++t) {
        const float* src = yr.data.data() + (n * steps + t) * width;
        std::copy(
            src, src + width,
            r.data.begin() + static_cast<std::ptrdiff_t>((n * steps + (steps - 1 - t)) * width));
      }
    }
    return r;
  }

  std::vector<Array> run(const std::vector<const Array*>& in,
                         const std::vector<const Array*>& mask) const {
    const size_t half = (in.size() - 1) / 2;
    std::vector<const Array*> fin = {in[0]}, bin = {in[0]};
    fin.insert(fin.end(), in.begin() + 1, in.begin() + 1 + static_cast<std::ptrdiff_t>(half));
    bin.insert(bin.end(), in.begin() + 1 + static_cast<std::ptrdiff_t>(half), in.end());
    std::vector<Array> f = mask.empty() ? forward_->call(fin) : forward_->callMasked(fin, mask);
    std::vector<Array> b = mask.empty() ? backward_->call(bin) : backward_->callMasked(bin, mask);
    return merge(std::move(f), std::move(b));
  }
  // The outputs from both directions' (the backward sequence reversed back along time).
  std::vector<Array> merge(std::vector<Array> f, std::vector<Array> b) const {
    Array& y = f[0];
    Array& yr = b[0];
    if (returnSequences_) yr = reverseTime(yr);
    std::vector<Array> out;
    if (mergeMode_.empty()) {
      out.push_back(std::move(y));
      out.push_back(std::move(yr));
    } else if (mergeMode_ == "concat") {
      const int64_t w = y.shape.back();
      const int64_t rows = y.size() / w;
      Shape s = y.shape;
      s.back() = 2 * w;
      Array c(s);
      for (int64_t r = 0; r < rows; ++r) {
        std::copy(y.data.begin() + r * w, y.data.begin() + (r + 1) * w, c.data.begin() + r * 2 * w);
        std::copy(yr.data.begin() + r * w, yr.data.begin() + (r + 1) * w,
                  c.data.begin() + r * 2 * w + w);
      }
      out.push_back(std::move(c));
    } else {
      for (size_t i = 0; i < y.data.size(); ++i) {
        const float a = y.data[i], b2 = yr.data[i];
        y.data[i] = mergeMode_ == "sum" ? a + b2 : mergeMode_ == "mul" ? a * b2 : 0.5f * (a + b2);
      }
      out.push_back(std::move(y));
    }
    if (returnState_) {
      for (size_t k = 1; k < f.size(); ++k) out.push_back(std::move(f[k]));
      for (size_t k = 1; k < b.size(); ++k) out.push_back(std::move(b[k]));
    }
    return out;
  }

  std::unique_ptr<Layer> forward_, backward_;
  std::string mergeMode_;
  bool returnSequences_ = false, returnState_ = false;
  size_t numStates_ = 0;
};

}  // namespace

void addWrapperLayers(Registry& r) {
  add<TimeDistributed>(r, "TimeDistributed");
  add<Bidirectional>(r, "Bidirectional");
}

}  // namespace tfjs::layers
