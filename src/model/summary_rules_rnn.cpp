// model/summary_rules_rnn.cpp — the summary's rules for the recurrent layers: SimpleRNN, GRU, LSTM,
// their CuDNN variants and RNN over one cell or a stack of cells (the class table that uses them:
// summary_rules.cpp).
#include <fmt/format.h>

#include <map>

#include "model/summary_util.h"

namespace tfjs::summary_detail {
namespace {

// The cell's weights per unit block: SimpleRNN 1, GRU 3, LSTM 4; states per output.
struct RnnKind {
  int gates = 1;
  int states = 1;
  bool cudnnBias = false;  // CuDNN layers carry two bias vectors
};

Eval rnnWithKind(const Json& cfg, const Inputs& in, RnnKind kind) {
  const Shape& x = firstInput(in);
  const int64_t units = intOr(cfg, "units", kNone);
  Eval e;
  Shape y;
  if (x && x->size() >= 3) {
    y = boolOr(cfg, "return_sequences", false) ? Dims{(*x)[0], (*x)[1], units}
                                               : Dims{(*x)[0], units};
  }
  e.outputs.push_back(y);
  if (boolOr(cfg, "return_state", false)) {
    for (int i = 0; i < kind.states; ++i) {
      e.outputs.push_back(x ? Shape(Dims{(*x)[0], units}) : std::nullopt);
    }
  }
  if (x && !x->empty()) {
    const int64_t gu = dimMul(kind.gates, units);
    auto kernel = elementCount({x->back(), gu});
    auto recurrent = elementCount({units, gu});
    if (kernel && recurrent && gu >= 0) {
      uint64_t bias = 0;
      if (boolOr(cfg, "use_bias", true)) {
        const bool doubleBias =
            kind.cudnnBias || (kind.gates == 3 && boolOr(cfg, "reset_after", false));
        bias = satMul(doubleBias ? 2 : 1, static_cast<uint64_t>(gu));
      }
      e.params = trainableOnly(satAdd(satAdd(*kernel, *recurrent), bias));
    }
  }
  return e;
}

}  // namespace

Eval simpleRnn(const Json& cfg, const Inputs& in) {
  return rnnWithKind(cfg, in, {1, 1, false});
}
Eval gru(const Json& cfg, const Inputs& in) {
  return rnnWithKind(cfg, in, {3, 1, false});
}
Eval lstm(const Json& cfg, const Inputs& in) {
  return rnnWithKind(cfg, in, {4, 2, false});
}
Eval cudnnGru(const Json& cfg, const Inputs& in) {
  return rnnWithKind(cfg, in, {3, 1, true});
}
Eval cudnnLstm(const Json& cfg, const Inputs& in) {
  return rnnWithKind(cfg, in, {4, 2, true});
}

// RNN(cell=...): the generic wrapper with one SimpleRNN/GRU/LSTM cell; the cell's config carries
// units and biases, the RNN's config carries return_sequences/return_state.
// RNN over a cell: `cell` (Keras: one cell config, a list, or StackedRNNCells {cells: [...]}) or
// `cells` (tfjs-layers' list). A stack feeds each cell the previous one's units; its states come
// in reverse cell order, as the runtime and TF.js return them.
Eval genericRnn(const Json& cfg, const Inputs& in) {
  static const std::map<std::string, RnnKind, std::less<>> kCells = {
      {"SimpleRNNCell", {1, 1, false}}, {"GRUCell", {3, 1, false}}, {"LSTMCell", {4, 2, false}}};
  std::vector<const Json*> cells;
  const Json* cell = field(cfg, "cell");
  if (!cell) cell = field(cfg, "cells");
  if (cell && cell->is_array()) {
    for (const Json& c : *cell) cells.push_back(&c);
  } else if (cell && stringOr(*cell, "class_name") == "StackedRNNCells") {
    const Json* stackCfg = field(*cell, "config");
    const Json* list = stackCfg ? field(*stackCfg, "cells") : nullptr;
    if (list && list->is_array()) {
      for (const Json& c : *list) cells.push_back(&c);
    }
  } else if (cell) {
    cells.push_back(cell);
  }
  std::vector<std::pair<Json, RnnKind>> stack;
  for (const Json* c : cells) {
    const std::string cellClass = stringOr(*c, "class_name");
    const Json* cellCfg = field(*c, "config");
    auto it = kCells.find(cellClass);
    if (it == kCells.end() || !cellCfg || !cellCfg->is_object()) {
      Eval e = single(std::nullopt, std::nullopt);
      e.note = fmt::format("RNN cell '{}' not understood", cellClass);
      return e;
    }
    stack.emplace_back(*cellCfg, it->second);
  }
  if (stack.empty()) {
    Eval e = single(std::nullopt, std::nullopt);
    e.note = "RNN without a cell";
    return e;
  }
  const Shape& x = firstInput(in);
  Eval out;
  Params total;
  bool known = true;
  Shape cellInput = x;
  std::vector<Shape> states;  // per cell, in cell order
  std::vector<int> stateCounts;
  for (size_t i = 0; i < stack.size(); ++i) {
    Json merged = stack[i].first;
    merged["return_sequences"] = i + 1 < stack.size() || boolOr(cfg, "return_sequences", false);
    merged["return_state"] = true;
    const Eval e = rnnWithKind(merged, {cellInput}, stack[i].second);
    if (e.params) {
      total += *e.params;
    } else {
      known = false;
    }
    if (i + 1 == stack.size()) out.outputs.push_back(e.outputs[0]);
    states.insert(states.end(), e.outputs.begin() + 1, e.outputs.end());
    stateCounts.push_back(stack[i].second.states);
    // The next cell sees this one's sequence: [batch, time, units].
    const int64_t units = intOr(stack[i].first, "units", kNone);
    cellInput = x && x->size() >= 3 ? Shape(Dims{(*x)[0], (*x)[1], units}) : std::nullopt;
  }
  if (boolOr(cfg, "return_state", false)) {
    size_t end = states.size();
    for (size_t i = stack.size(); i-- > 0;) {
      const size_t begin = end - static_cast<size_t>(stateCounts[i]);
      out.outputs.insert(out.outputs.end(), states.begin() + static_cast<std::ptrdiff_t>(begin),
                         states.begin() + static_cast<std::ptrdiff_t>(end));
      end = begin;
    }
  }
  if (known) out.params = total;
  return out;
}

}  // namespace tfjs::summary_detail
