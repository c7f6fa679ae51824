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
      inputs_(graph.nodes.size()),
      controls_(graph.nodes.size()),
      states_(std::make_unique<NodeState[]>(graph.nodes.size())) {
  for (size_t k = 0; k < graph.nodes.size(); ++k) {
    const Node& n = graph.nodes[k];
    // Inputs resolved to node positions once (parseGraph checked that they name nodes).
    for (const Input& in : n.inputs) inputs_[k].emplace_back(graph.index.at(in.node), in.index);
    for (const std::string& c : n.controls) controls_[k].push_back(graph.index.at(c));
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
    takes_.push_back(
        static_cast<uint8_t>((takesStrings(n.op) ? 1 : 0) | (takesComplex(n.op) ? 2 : 0)));
    if (n.op == "Switch" || n.op == "Merge" || n.op == "Enter" || n.op == "Exit" ||
        n.op == "NextIteration" || n.op == "LoopCond") {
      frames_ = true;
    }
  }
  if (frames_) {
    readers_.resize(graph.nodes.size());
    for (size_t k = 0; k < graph.nodes.size(); ++k) {
      const auto add = [&](size_t d) {
        if (readers_[d].empty() || readers_[d].back() != k) readers_[d].push_back(k);
      };
      for (const auto& in : inputs_[k]) add(in.first);
      for (const size_t d : controls_[k]) add(d);
    }
  }
}

Program::Plan Program::plan(const std::map<size_t, ValuePtr>& fed,
                            const std::vector<std::pair<size_t, int>>& fetches,
                            const std::string& what) const {
  const GraphDef& g = *graph_;
  if (frames_) {
    const std::vector<char> used = needed(fed, fetches, what);
    Plan p;
    for (size_t k = 0; k < used.size(); ++k) {
      if (used[k]) p.order.push_back(k);
    }
    return p;
  }
  // Every node the fetches need, inputs before readers (iterative depth-first walk).
  std::vector<int> state(g.nodes.size(), 0);  // 0 unseen, 1 on the walk, 2 planned
  Plan p;
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
      const bool leaf = fed.count(k) || consts_[k] || isInput(g.nodes[k].op);
      if (leaf && isInput(g.nodes[k].op) && !fed.count(k)) missing.insert(g.nodes[k].name);
      const size_t deps = leaf ? 0 : inputs_[k].size() + controls_[k].size();
      if (next < deps) {
        const size_t d = next < inputs_[k].size() ? inputs_[k][next].first
                                                  : controls_[k][next - inputs_[k].size()];
        ++next;
        if (state[d] == 1) {
          bad(fmt::format("{} has a cycle through node '{}' outside a loop frame", what,
                          g.nodes[d].name));
        }
        if (state[d] == 0) stack.emplace_back(d, 0);
        continue;
      }
      state[k] = 2;
      p.order.push_back(k);
      stack.pop_back();
    }
  }
  if (!missing.empty()) {
    bad(fmt::format("cannot compute the outputs of {} from the inputs given: missing {}", what,
                    fmt::join(missing, ", ")));
  }
  // Readers per node (data reads by planned nodes, plus fetches), to free at last use.
  p.uses.assign(g.nodes.size(), 0);
  for (const size_t k : p.order) {
    if (fed.count(k) || consts_[k]) continue;
    for (const auto& in : inputs_[k]) ++p.uses[in.first];
  }
  for (const auto& f : fetches) ++p.uses[f.first];
  return p;
}

std::vector<ValuePtr> Program::execute(const Plan& plan, const std::map<size_t, ValuePtr>& fed,
                                       const std::vector<std::pair<size_t, int>>& fetches,
                                       const Runtime& runtime) const {
  if (frames_) return executeFrames(plan, fed, fetches, runtime);
  const GraphDef& g = *graph_;
  std::vector<int> uses = plan.uses;
  std::vector<std::vector<ValuePtr>> values(g.nodes.size());
  for (const size_t k : plan.order) {
    if (const auto f = fed.find(k); f != fed.end()) {
      values[k] = {f->second};
      continue;
    }
    if (consts_[k]) {
      values[k] = {consts_[k]};
      continue;
    }
    const Node& n = g.nodes[k];
    std::vector<ValuePtr> args;
    args.reserve(inputs_[k].size());
    for (const auto& [d, index] : inputs_[k]) {
      if (index < 0 || static_cast<size_t>(index) >= values[d].size()) {
        n.invalid(fmt::format("input '{}:{}' does not exist ('{}' has {} output{})",
                              g.nodes[d].name, index, g.nodes[d].name, values[d].size(),
                              values[d].size() == 1 ? "" : "s"));
      }
      args.push_back(values[d][static_cast<size_t>(index)]);
    }
    checkArgs(k, args);
    values[k] = ops_[k](OpContext{n, args, states_[k], runtime});
    for (const auto& in : inputs_[k]) {
      if (--uses[in.first] == 0) values[in.first].clear();
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

void Program::checkArgs(size_t k, std::span<const ValuePtr> args) const {
  if (takes_[k] == 3) return;
  for (const ValuePtr& v : args) {
    if (!v) continue;
    if ((v->dtype == DType::kString && !(takes_[k] & 1)) ||
        (v->dtype == DType::kComplex64 && !(takes_[k] & 2))) {
      graph_->nodes[k].unsupported(fmt::format("a {} input (TF.js's {} takes {} tensors only)",
                                               dtypeName(v->dtype), graph_->nodes[k].op,
                                               v->dtype == DType::kString ? "numeric" : "real"));
    }
  }
}

std::vector<ValuePtr> Program::run(const std::map<size_t, ValuePtr>& fed,
                                   const std::vector<std::pair<size_t, int>>& fetches,
                                   const Runtime& runtime, const std::string& what) const {
  return execute(plan(fed, fetches, what), fed, fetches, runtime);
}

Runtime::Runtime(const GraphDef& graph, const std::map<std::string, ValuePtr>& weights,
                 int64_t maxIterations)
    : maxIterations_(maxIterations) {
  for (const auto& [name, fn] : graph.functions) {
    auto f = std::make_unique<Callable>();
    f->function = fn;
    f->program = std::make_unique<Program>(fn->body, weights);
    for (const Input& r : fn->results) f->fetches.emplace_back(fn->body.index.at(r.node), r.index);
    functions_.emplace(name, std::move(f));
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
  Callable& f = *it->second;
  const Function& fn = *f.function;
  if (args.size() != fn.inputs.size()) {
    caller.invalid(fmt::format("function '{}' takes {} argument(s), {} given", name,
                               fn.inputs.size(), args.size()));
  }
  std::map<size_t, ValuePtr> fed;
  for (size_t k = 0; k < args.size(); ++k) fed[fn.body.index.at(fn.inputs[k])] = args[k];
  const std::string what = fmt::format("function '{}'", name);
  // Every call feeds all the arguments and fetches all the results: one plan serves them all
  // (a loop body runs with it on every iteration).
  std::shared_ptr<const Program::Plan> plan;
  {
    std::lock_guard<std::mutex> lock(f.mutex);
    plan = f.plan;
  }
  if (!plan) {
    plan = std::make_shared<const Program::Plan>(f.program->plan(fed, f.fetches, what));
    std::lock_guard<std::mutex> lock(f.mutex);
    f.plan = plan;
  }
  return f.program->execute(*plan, fed, f.fetches, *this);
}

std::shared_ptr<void> Runtime::resource(const std::string& key,
                                        const std::function<std::shared_ptr<void>()>& make) const {
  std::lock_guard<std::mutex> lock(resourcesMutex_);
  auto& r = resources_[key];
  if (!r) r = make();
  return r;
}

}  // namespace tfjs::graph
