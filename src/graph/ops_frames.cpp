// The graph ops of TensorFlow 1's control flow (tfjs-converter's control family): Switch, Merge,
// Enter, Exit, NextIteration and LoopCond. Their data rules are here; what makes them control
// flow (the frame and iteration a value belongs to, the dead outputs no reader waits for) is the
// frame executor's (frames.cpp), which runs every graph that holds one of them.
//
// A dead output is a null ValuePtr: Switch's output on the side its predicate did not pick.
// Merge is the one op run with inputs missing (null): it passes on the first one present, and
// has no output (is dead itself) when none is. TF.js's Merge has no second output (TensorFlow's
// value_index), so a reader of Merge:1 never runs, as in TF.js.
#include <fmt/format.h>

#include "graph/ops.h"

namespace tfjs::graph {
namespace {

std::vector<ValuePtr> passOn(const OpContext& c) {
  if (c.inputs.empty() || !c.inputs[0]) c.node.invalid("it has no input value");
  return {c.inputs[0]};
}

// Switch(data, pred): [data, dead] when pred is false, [dead, data] when it is true
// (TF.js reads pred's first element).
std::vector<ValuePtr> switchOp(const OpContext& c) {
  const Value& pred = c.in(1);
  if (pred.list || pred.array || pred.table || pred.size() < 1) {
    c.node.invalid("its predicate is not a value with an element");
  }
  const bool taken = pred.dtype == DType::kFloat32 ? pred.f[0] != 0.0f : pred.i[0] != 0;
  if (!c.inputs[0]) c.node.invalid("it has no data value");
  if (taken) return {nullptr, c.inputs[0]};
  return {c.inputs[0], nullptr};
}

std::vector<ValuePtr> mergeOp(const OpContext& c) {
  for (const ValuePtr& v : c.inputs) {
    if (v) return {v};
  }
  return {};
}

constexpr OpRow kRows[] = {
    {"Switch", switchOp}, {"Merge", mergeOp},        {"Enter", passOn},
    {"Exit", passOn},     {"NextIteration", passOn}, {"LoopCond", passOn},
};

}  // namespace

std::span<const OpRow> framesOps() {
  return kRows;
}

}  // namespace tfjs::graph
