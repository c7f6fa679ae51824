// Programs and the runtime of library functions (program.h).
#include "graph/program.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "tfjs/error.h"

namespace tfjs::graph {
namespace {

bool isInput(const std::string& op) {
  return op == "Placeholder" || op == "_Arg";
}

[[noreturn]] void bad(const std::string& what) {
  throw Error(ErrorCode::kInvalidArgument, what);
}

}  // namespace

std::map<std::string, std::vector<std::string>> missingOps(const GraphDef& g) {
  std::map<std::string, std::vector<std::string>> out;
  const auto& table = opTable();
  const auto scan = [&](const GraphDef& graph) {
    for (const Node& n : graph.nodes) {
      if (n.op == "Const" || isInput(n.op) || table.count(n.op)) continue;
      out[n.op].push_back(n.name);
    }
  };
  scan(g);
  for (const auto& [name, fn] : g.functions) scan(fn->body);
  return out;
}

Program::Program(const GraphDef& graph, const std::map<std::string, ValuePtr>& weights)
    : graph_(&graph),
      consts_(graph.nodes.size()),
      ops_(graph.nodes.size()),
      states_(std::make_unique<NodeState[]>(graph.nodes.size())) {
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const Node& n = graph.nodes[k];
    if (n.op == "Const") {
      const auto w = weights.find(n.name);
      if (w == weights.end()) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("Const node '{}' has no weight in the weights manifest", n.name));
      }
      consts_[k] = w->second;
    } else if (!isInput(n.op)) {
      ops_[k] = opTable().at(n.op);
    }
  }
}

std::vector<ValuePtr> Program::run(const std::map<size_t, ValuePtr>& fed,
                                   const std::vector<std::pair<size_t, int>>& fetches,
                                   const Runtime& runtime, const std::string& what) const {
  const GraphDef& g = *graph_;
  // The plan: every node the fetches need, inputs before readers (iterative depth-first walk).
  std::vector<int> state(g.nodes.size(), 0);  // 0 unseen, 1 on the walk, 2 planned
  std::vector<size_t> order;
  std::set<std::string> missing;
  for (const auto& fetch : fetches) {
    std::vector<std::pair<size_t, size_t>> stack{{fetch.first, 0}};
    while (!stack.empty()) {
      auto& [k, next] = stack.back();
      if (next == 0) {
        if (state[k] == 2) {
          stack.pop_back();
          continue;
        }
        state[k] = 1;
      }
      const Node& n = g.nodes[k];
      const bool leaf = fed.count(k) || consts_[k] || isInput(n.op);
      if (leaf && isInput(n.op) && !fed.count(k)) missing.insert(n.name);
      const size_t deps = leaf ? 0 : n.inputs.size() + n.controls.size();
      if (next < deps) {
        const std::string& dep =
            next < n.inputs.size() ? n.inputs[next].node : n.controls[next - n.inputs.size()];
        ++next;
        const size_t d = g.index.at(dep);
        if (state[d] == 1) {
          bad(fmt::format("{} has a cycle through node '{}' outside a loop frame", what, dep));
        }
        if (state[d] == 0) stack.emplace_back(d, 0);
        continue;
      }
      state[k] = 2;
      order.push_back(k);
      stack.pop_back();
    }
  }
  if (!missing.empty()) {
    bad(fmt::format("cannot compute the outputs of {} from the inputs given: missing {}", what,
                    fmt::join(missing, ", ")));
  }
  // Readers left per node (data reads by planned nodes, plus fetches), to free at last use.
  std::vector<int> uses(g.nodes.size(), 0);
  for (const size_t k : order) {
    if (fed.count(k) || consts_[k]) continue;
    for (const auto& in : g.nodes[k].inputs) ++uses[g.index.at(in.node)];
  }
  for (const auto& f : fetches) ++uses[f.first];
  std::vector<std::vector<ValuePtr>> values(g.nodes.size());
  for (const size_t k : order) {
    const Node& n = g.nodes[k];
    if (const auto f = fed.find(k); f != fed.end()) {
      values[k] = {f->second};
      continue;
    }
    if (consts_[k]) {
      values[k] = {consts_[k]};
      continue;
    }
    std::vector<ValuePtr> args;
    args.reserve(n.inputs.size());
    for (const auto& in : n.inputs) {
      const size_t d = g.index.at(in.node);
      if (in.index < 0 || static_cast<size_t>(in.index) >= values[d].size()) {
        n.invalid(fmt::format("input '{}:{}' does not exist ('{}' has {} output{})", in.node,
                              in.index, in.node, values[d].size(),
                              values[d].size() == 1 ? "" : "s"));
      }
      args.push_back(values[d][static_cast<size_t>(in.index)]);
    }
    values[k] = ops_[k](OpContext{n, args, states_[k], runtime});
    for (const auto& in : n.inputs) {
      const size_t d = g.index.at(in.node);
      if (--uses[d] == 0) values[d].clear();
    }
  }
  std::vector<ValuePtr> out;
  for (const auto& [k, index] : fetches) {
    if (index < 0 || static_cast<size_t>(index) >= values[k].size()) {
      bad(fmt::format("node '{}' has no output {}", g.nodes[k].name, index));
    }
    out.push_back(values[k][static_cast<size_t>(index)]);
  }
  return out;
}

Runtime::Runtime(const GraphDef& graph, const std::map<std::string, ValuePtr>& weights,
                 int64_t maxIterations)
    : maxIterations_(maxIterations) {
  for (const auto& [name, fn] : graph.functions) {
    functions_.emplace(name, std::make_pair(fn, std::make_unique<Program>(fn->body, weights)));
  }
}

std::vector<ValuePtr> Runtime::call(const std::string& name, std::span<const ValuePtr> args,
                                    const Node& caller) const {
  // Calls nest (a While in a function body calls another function): a graph whose functions
  // call themselves would recurse until the stack overflows. Nesting is bounded per thread.
  thread_local int depth = 0;
  if (depth >= kMaxCallDepth) {
    caller.invalid(
        fmt::format("function calls nest deeper than {} (a function that calls "
                    "itself?) at '{}'",
                    kMaxCallDepth, name));
  }
  struct Nest {
    int& d;
    explicit Nest(int& v) : d(++v) {}
    ~Nest() { --d; }
  } nest(depth);
  const auto it = functions_.find(name);
  if (it == functions_.end()) {
    caller.invalid(
        fmt::format("it calls '{}', which is not a function of the graph's library", name));
  }
  const Function& fn = *it->second.first;
  const Program& program = *it->second.second;
  if (args.size() != fn.inputs.size()) {
    caller.invalid(fmt::format("function '{}' takes {} argument(s), {} given", name,
                               fn.inputs.size(), args.size()));
  }
  std::map<size_t, ValuePtr> fed;
  for (size_t k = 0; k < args.size(); ++k) fed[fn.body.index.at(fn.inputs[k])] = args[k];
  std::vector<std::pair<size_t, int>> fetches;
  for (const Input& r : fn.results) fetches.emplace_back(fn.body.index.at(r.node), r.index);
  return program.run(fed, fetches, *this, fmt::format("function '{}'", name));
}

}  // namespace tfjs::graph
