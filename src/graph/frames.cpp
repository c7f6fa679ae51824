// The frame executor (program.h): how a graph with TensorFlow 1 control flow runs, as TF.js's
// executeAsync runs it (tfjs-converter's graph_executor.ts and execution_context.ts).
//
// A value belongs to a context: the root, or a loop frame at an iteration inside its enclosing
// contexts ("frame-3" inside "outer-1" ...). A node runs in the context where its last input
// arrived, once per context, when every input (data and control) has a value visible there: in
// that context or an enclosing one. Enter starts its frame's iteration 0 (a constant Enter keeps
// its value in the enclosing context, so every iteration sees it), NextIteration moves to the
// next iteration, Exit returns to the enclosing context. Switch leaves one output dead, and a
// node with a dead input never runs; Merge runs when any input has a value. Nodes wait on a
// stack, last pushed first, as in TF.js.
//
// Each value is freed once every reader in its own context has run; values read from an inner
// context (constants of a loop) live until the run ends. A loop past
// GraphModelOptions::maxLoopIterations, frames nested deeper than kMaxFrameDepth, an Exit or
// NextIteration outside a frame and a fetch that was never computed are errors naming the node.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "graph/program.h"
#include "tfjs/error.h"

namespace tfjs::graph {
namespace {

// How deeply frames may nest (real models nest two or three; a graph whose Enter feeds itself
// would nest without end).
constexpr int kMaxFrameDepth = 100;

// More outputs than any op has.
constexpr int kMaxOutputs = 1 << 16;

// A context: its enclosing context, its frame (interned name) and iteration. The root is 0.
struct Context {
  int parent = -1;
  int frame = -1;
  int64_t iteration = 0;
  int depth = 0;
};

// When a node's outputs reach its readers. TF.js runs the ops of its control, dynamic and
// hash-table families as promises: their outputs are stored, and their readers looked at, only
// once the stack has run dry, those that await a value (Switch, If, While, the dynamic and
// hash-table ops) after the others. Which node runs in which iteration depends on this order
// (a node is looked at only when one of its inputs arrives), so it is kept.
enum Tier { kNow = 0, kSoon = 1, kLater = 2 };

Tier tierOf(const std::string& op) {
  static const std::set<std::string, std::less<>> later = {"Switch",
                                                           "If",
                                                           "StatelessIf",
                                                           "While",
                                                           "StatelessWhile",
                                                           "NonMaxSuppressionV2",
                                                           "NonMaxSuppressionV3",
                                                           "NonMaxSuppressionV4",
                                                           "NonMaxSuppressionV5",
                                                           "Where",
                                                           "ListDiff"};
  if (later.count(op) || op.starts_with("HashTable") || op.starts_with("LookupTable") ||
      op.starts_with("InitializeTable")) {
    return kLater;
  }
  if (op == "Merge" || op == "Enter" || op == "Exit" || op == "NextIteration" || op == "LoopCond" ||
      op == "EmptyTensorList" || op.starts_with("TensorArray") || op.starts_with("TensorList")) {
    return kSoon;
  }
  return kNow;
}

// One node's outputs in one context, and per output how many reader slots in that context have
// yet to run (the output is freed at zero; never when it is fetched).
struct Slot {
  std::vector<ValuePtr> out;
  std::vector<int> remaining;
};

}  // namespace

std::vector<char> Program::needed(const std::map<size_t, ValuePtr>& fed,
                                  const std::vector<std::pair<size_t, int>>& fetches,
                                  const std::string& what) const {
  const GraphDef& g = *graph_;
  std::vector<char> used(g.nodes.size(), 0);
  std::vector<size_t> frontier;
  std::set<std::string> missing;
  for (const auto& f : fetches) {
    if (!used[f.first]) frontier.push_back(f.first);
    used[f.first] = 1;
  }
  while (!frontier.empty()) {
    const size_t k = frontier.back();
    frontier.pop_back();
    if (fed.count(k) || consts_[k]) continue;
    if (g.nodes[k].op == "Placeholder" || g.nodes[k].op == "_Arg") {
      missing.insert(g.nodes[k].name);
      continue;
    }
    const auto visit = [&](size_t d) {
      if (!used[d]) frontier.push_back(d);
      used[d] = 1;
    };
    for (const auto& in : inputs_[k]) visit(in.first);
    for (const size_t d : controls_[k]) visit(d);
  }
  if (!missing.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("cannot compute the outputs of {} from the inputs given: missing {}",
                            what, fmt::join(missing, ", ")));
  }
  return used;
}

std::vector<ValuePtr> Program::executeFrames(const Plan& plan,
                                             const std::map<size_t, ValuePtr>& fed,
                                             const std::vector<std::pair<size_t, int>>& fetches,
                                             const Runtime& runtime) const {
  const GraphDef& g = *graph_;
  const size_t n = g.nodes.size();
  std::vector<char> used(n, 0);
  for (const size_t k : plan.order) used[k] = 1;
  std::vector<char> kept(n, 0);  // fetched, fed and Const: never freed
  for (const auto& f : fetches) kept[f.first] = 1;
  // Reader slots per (node, output): data inputs read their output, control inputs output 0.
  std::vector<std::vector<int>> readerSlots(n);
  // (An input "node:k" past any op's outputs never has a value, so its reader never runs: not
  // counted, which keeps a hostile "x:2000000000" from sizing a table by it.)
  const auto countRead = [&](size_t d, int index) {
    if (index < 0 || index >= kMaxOutputs) return;
    auto& r = readerSlots[d];
    if (r.size() <= static_cast<size_t>(index)) r.resize(static_cast<size_t>(index) + 1, 0);
    ++r[static_cast<size_t>(index)];
  };
  for (const size_t k : plan.order) {
    if (fed.count(k) || consts_[k]) continue;
    for (const auto& [d, index] : inputs_[k]) countRead(d, index);
    for (const size_t d : controls_[k]) countRead(d, 0);
  }

  // Contexts, interned by (parent, frame, iteration); frame names interned.
  std::vector<Context> contexts{Context{}};
  std::map<std::tuple<int, int, int64_t>, int> contextIds;
  std::unordered_map<std::string, int> frameIds;
  std::vector<std::string> frameNames;
  const auto contextOf = [&](int parent, int frame, int64_t iteration) {
    const auto key = std::make_tuple(parent, frame, iteration);
    if (const auto it = contextIds.find(key); it != contextIds.end()) return it->second;
    const int id = static_cast<int>(contexts.size());
    contexts.push_back(Context{parent, frame, iteration, contexts[parent].depth + 1});
    contextIds.emplace(key, id);
    return id;
  };

  std::unordered_map<uint64_t, Slot> values;
  const auto keyOf = [](size_t node, int context) {
    return static_cast<uint64_t>(node) << 32 | static_cast<uint32_t>(context);
  };
  // The slot of `node` visible from `context` (its own, else the nearest enclosing context's)
  // and the context it is in; {nullptr, -1} when there is none.
  const auto find = [&](size_t node, int context) -> std::pair<Slot*, int> {
    for (int c = context; c >= 0; c = contexts[c].parent) {
      if (const auto it = values.find(keyOf(node, c)); it != values.end()) return {&it->second, c};
    }
    return {nullptr, -1};
  };
  const auto valueOf = [&](size_t node, int index, int context) -> ValuePtr {
    const Slot* s = find(node, context).first;
    if (!s || index < 0 || static_cast<size_t>(index) >= s->out.size()) return nullptr;
    return s->out[static_cast<size_t>(index)];
  };
  const auto store = [&](size_t node, int context, std::vector<ValuePtr> out) {
    Slot s;
    s.remaining.assign(out.size(), 0);
    for (size_t i = 0; i < out.size() && i < readerSlots[node].size(); ++i) {
      s.remaining[i] = readerSlots[node][i];
    }
    s.out = std::move(out);
    values[keyOf(node, context)] = std::move(s);
  };
  // A reader in `context` has run: its inputs' values held in that same context lose a reader.
  const auto consumed = [&](size_t node, int index, int context) {
    if (kept[node] || index < 0) return;
    const auto it = values.find(keyOf(node, context));
    if (it == values.end() || static_cast<size_t>(index) >= it->second.out.size()) return;
    Slot& s = it->second;
    if (--s.remaining[static_cast<size_t>(index)] <= 0) s.out[static_cast<size_t>(index)].reset();
    for (const ValuePtr& v : s.out) {
      if (v) return;
    }
    values.erase(it);  // every output read or dead: no reader will look again
  };

  std::vector<std::pair<size_t, int>> stack;
  std::unordered_set<uint64_t> added;
  const auto ready = [&](size_t k, int context) {
    const bool merge = g.nodes[k].op == "Merge";
    bool any = false, all = true;
    const auto check = [&](size_t d, int index) {
      const bool has = valueOf(d, index, context) != nullptr;
      any = any || has;
      all = all && has;
    };
    for (const auto& [d, index] : inputs_[k]) check(d, index);
    for (const size_t d : controls_[k]) check(d, 0);
    return merge ? any : all;
  };
  const auto pushReaders = [&](size_t k, int context) {
    for (const size_t r : readers_[k]) {
      if (!used[r] || added.count(keyOf(r, context)) || !ready(r, context)) continue;
      added.insert(keyOf(r, context));
      stack.emplace_back(r, context);
    }
  };

  // The fed values and Consts are there from the start (in the root context); nodes without
  // inputs start the run with them.
  for (const size_t k : plan.order) {
    if (const auto f = fed.find(k); f != fed.end()) {
      kept[k] = 1;
      store(k, 0, {f->second});
    } else if (consts_[k]) {
      kept[k] = 1;
      store(k, 0, {consts_[k]});
    }
  }
  for (const size_t k : plan.order) {
    if (fed.count(k) || consts_[k] || inputs_[k].size() + controls_[k].size() == 0) {
      added.insert(keyOf(k, 0));
      stack.emplace_back(k, 0);
    }
  }

  // Outputs of the ops of a later tier, held until the stack runs dry: node, the context they
  // belong to, the one their readers run in, the outputs.
  struct Held {
    size_t node;
    int into, next;
    std::vector<ValuePtr> out;
  };
  std::vector<Held> held[3];
  const auto deliver = [&](size_t k, int into, int next, std::vector<ValuePtr> out) {
    if (out.empty()) return;  // a Merge with no input: dead
    store(k, into, std::move(out));
    pushReaders(k, next);
  };
  std::vector<ValuePtr> args;
  for (;;) {
    if (stack.empty()) {
      for (const int tier : {kSoon, kLater}) {
        for (Held& h : held[tier]) deliver(h.node, h.into, h.next, std::move(h.out));
        held[tier].clear();
      }
      if (stack.empty()) break;
    }
    const auto [k, context] = stack.back();
    stack.pop_back();
    if (fed.count(k) || consts_[k]) {
      pushReaders(k, context);
      continue;
    }
    const Node& node = g.nodes[k];
    args.clear();
    // Every input has a value (a Merge's may not: null); an output a node does not have never
    // has one, so its reader never runs (as in TF.js).
    for (const auto& [d, index] : inputs_[k]) args.push_back(valueOf(d, index, context));
    // The context the outputs belong to, and the one the readers run in.
    int into = context, next = context;
    if (node.op == "Enter") {
      if (contexts[context].depth >= kMaxFrameDepth) {
        node.invalid(fmt::format("loop frames nest deeper than {}", kMaxFrameDepth));
      }
      const std::string name = node.string("frame_name");
      const auto [it, isNew] = frameIds.emplace(name, static_cast<int>(frameNames.size()));
      if (isNew) frameNames.push_back(name);
      next = contextOf(context, it->second, 0);
      if (!node.flag("is_constant", false)) into = next;
    } else if (node.op == "Exit" || node.op == "NextIteration") {
      if (context == 0) node.invalid("it is outside every loop frame");
      const Context& c = contexts[context];
      if (node.op == "Exit") {
        next = c.parent;
      } else {
        if (c.iteration + 1 > runtime.maxIterations()) {
          node.invalid(fmt::format(
              "the loop '{}' ran past {} iterations (GraphModelOptions::maxLoopIterations)",
              frameNames[static_cast<size_t>(c.frame)], runtime.maxIterations()));
        }
        next = contextOf(c.parent, c.frame, c.iteration + 1);
      }
      into = next;
    }
    checkArgs(k, args);
    std::vector<ValuePtr> out = ops_[k](OpContext{node, args, states_[k], runtime});
    for (const auto& [d, index] : inputs_[k]) {
      if (find(d, context).second == context) consumed(d, index, context);
    }
    for (const size_t d : controls_[k]) {
      if (find(d, context).second == context) consumed(d, 0, context);
    }
    const Tier tier = tierOf(node.op);
    if (tier == kNow) {
      deliver(k, into, next, std::move(out));
    } else {
      held[tier].push_back(Held{k, into, next, std::move(out)});
    }
  }

  std::vector<ValuePtr> result;
  for (const auto& [k, index] : fetches) {
    const ValuePtr v = valueOf(k, index, 0);
    if (!v) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("node '{}' output {} was not computed: it is on a branch not taken "
                              "(a dead output of a Switch) or inside a loop frame",
                              g.nodes[k].name, index));
    }
    result.push_back(v);
  }
  return result;
}

}  // namespace tfjs::graph
