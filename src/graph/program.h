// graph/program.h — a runnable graph (the model's main graph, or a library function's body):
// its Const values and op of every node, and the run that computes what some fetches need from
// some feeds. The Runtime holds the library functions as programs, for the control-flow ops
// (While, If, PartitionedCall) to call. Internal to src/graph.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "graph/graph_def.h"
#include "graph/ops.h"

namespace tfjs::graph {

class Runtime;

class Program {
 public:
  // Binds the graph's Const nodes to `weights` (by node name; Error(kSchema) for a Const with
  // none) and its other nodes to their ops (the graph must have passed missingOps).
  Program(const GraphDef& graph, const std::map<std::string, ValuePtr>& weights);

  const GraphDef& graph() const { return *graph_; }

  // Whether the graph holds TensorFlow 1 control flow (Switch, Merge, Enter, Exit,
  // NextIteration, LoopCond): then it runs on the frame executor (frames.cpp), TF.js's
  // executeAsync, where a node runs once per frame and iteration its inputs reach and never
  // when one is dead.
  bool usesFrames() const { return frames_; }

  // What a run computes for one set of fed nodes and fetches: the nodes to run, in dependency
  // order, and how many readers each value has (to free it after the last). For a graph with
  // frames: the nodes the fetches need (in no order; a loop is a cycle), and `uses` empty.
  struct Plan {
    std::vector<size_t> order;
    std::vector<int> uses;
  };
  // The plan for `fetches` ((node, output) pairs) from the nodes in `fed`. Error(kInvalidArgument)
  // for a cycle or a needed Placeholder not fed (naming it and `what`).
  Plan plan(const std::map<size_t, ValuePtr>& fed,
            const std::vector<std::pair<size_t, int>>& fetches, const std::string& what) const;
  // Runs a plan made for the same fed nodes and fetches: every node once, each value freed after
  // its last reader. Error(kInvalidArgument) for an output a node does not have.
  std::vector<ValuePtr> execute(const Plan& plan, const std::map<size_t, ValuePtr>& fed,
                                const std::vector<std::pair<size_t, int>>& fetches,
                                const Runtime& runtime) const;
  // plan() then execute().
  // (execute() of a graph with frames runs executeFrames.)
  std::vector<ValuePtr> run(const std::map<size_t, ValuePtr>& fed,
                            const std::vector<std::pair<size_t, int>>& fetches,
                            const Runtime& runtime, const std::string& what) const;

 private:
  // The frame executor (frames.cpp): execute() for a graph with frames.
  std::vector<ValuePtr> executeFrames(const Plan& plan, const std::map<size_t, ValuePtr>& fed,
                                      const std::vector<std::pair<size_t, int>>& fetches,
                                      const Runtime& runtime) const;
  // The nodes the fetches need, walking back from them through data and control inputs to the
  // fed nodes, Consts and nodes without inputs; Error(kInvalidArgument) for a needed
  // Placeholder not fed.
  std::vector<char> needed(const std::map<size_t, ValuePtr>& fed,
                           const std::vector<std::pair<size_t, int>>& fetches,
                           const std::string& what) const;

  // Refuses (Node::unsupported) a string or complex64 input to an op that does not take one.
  void checkArgs(size_t k, std::span<const ValuePtr> args) const;

  const GraphDef* graph_;
  bool frames_ = false;
  // Per node: bit 1 it takes string inputs, bit 2 complex64 ones.
  std::vector<uint8_t> takes_;
  std::vector<ValuePtr> consts_;  // per node: its Const value, or null
  std::vector<OpFn> ops_;         // per node: its op, or null (Const, Placeholder, _Arg)
  std::vector<std::vector<std::pair<size_t, int>>> inputs_;  // per node: (node, output) read
  std::vector<std::vector<size_t>> controls_;                // per node: nodes waited for
  // Graphs with frames: per node, the nodes that read it (data or control), each once, in
  // graph order (TF.js's node.children), and per output how many input slots read it.
  std::vector<std::vector<size_t>> readers_;
  std::unique_ptr<NodeState[]> states_;
};

// The library functions as programs, and the limits of running them.
class Runtime {
 public:
  Runtime(const GraphDef& graph, const std::map<std::string, ValuePtr>& weights,
          int64_t maxIterations);

  // Calls function `name` on `args` (one per input argument) and returns its outputs;
  // Node::invalid on `caller` for an unknown function, a wrong argument count, or calls nested
  // deeper than kMaxCallDepth.
  std::vector<ValuePtr> call(const std::string& name, std::span<const ValuePtr> args,
                             const Node& caller) const;
  // The most iterations a While runs before it is refused.
  int64_t maxIterations() const { return maxIterations_; }
  // How deep function calls may nest (a function calling itself is refused at that depth).
  static constexpr int kMaxCallDepth = 64;

  // A resource that lives as long as the model (TF.js's ResourceManager: a hash table by the
  // name of the node that made it, shared by the model initializer and every run): the one
  // stored under `key`, made by `make` on first use. Thread-safe.
  std::shared_ptr<void> resource(const std::string& key,
                                 const std::function<std::shared_ptr<void>()>& make) const;

 private:
  // A function with its program and the plan every call of it uses (made on the first call).
  struct Callable {
    std::shared_ptr<const Function> function;
    std::unique_ptr<Program> program;
    std::vector<std::pair<size_t, int>> fetches;  // its results
    std::mutex mutex;
    std::shared_ptr<const Program::Plan> plan;
  };
  std::map<std::string, std::unique_ptr<Callable>> functions_;
  int64_t maxIterations_;
  mutable std::mutex resourcesMutex_;
  mutable std::map<std::string, std::shared_ptr<void>> resources_;
};

// The ops of a graph and of its library functions that no table row runs: op -> nodes.
std::map<std::string, std::vector<std::string>> missingOps(const GraphDef& graph);

}  // namespace tfjs::graph
