// graph/graph_def.h — a TF.js graph model's topology (a TensorFlow GraphDef written as JSON by
// tensorflowjs_converter) read into nodes: name, op, data inputs ("node", "node:k") and control
// inputs ("^node"), and typed access to the attributes as TF.js reads them (tfjs-converter's
// operation_mapper: `s` values are base64 bytes, `i` values int64 strings, `type` a DT_ name
// mapped to TF.js's dtypes). Internal to src/graph.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/dtype.h"

namespace tfjs::graph {

// One data input of a node: output `index` of node `node`.
struct Input {
  std::string node;
  int index = 0;
  std::string arg;  // while parsing a function body's "node:arg:k": the output argument
};

// "node" / "node:k" (or a function body's "node:arg:k") as an Input; control inputs ("^node")
// are not data inputs (see Node).
Input parseInput(const std::string& name);

// TF.js's dtype for a TensorFlow DT_ name (DT_FLOAT, DT_HALF and DT_DOUBLE are float32; DT_INT32,
// DT_INT64, DT_INT8 and DT_UINT8 int32; DT_BOOL bool; DT_STRING string; DT_COMPLEX64 complex64);
// nullopt for the others, which TF.js does not run.
std::optional<DType> dtypeFromTf(const std::string& name);

struct Node {
  std::string name;
  std::string op;
  std::vector<Input> inputs;          // data inputs, in order
  std::vector<std::string> controls;  // nodes named by "^node" inputs
  Json attr;                          // the "attr" object (empty when absent)

  // Attribute readers: the attribute's value, `otherwise` when it is absent; Error(kSchema)
  // naming the node and the attribute when it is present but malformed.
  std::string string(const char* key, const std::string& otherwise = {}) const;
  int64_t integer(const char* key, int64_t otherwise) const;
  double number(const char* key, double otherwise) const;
  bool flag(const char* key, bool otherwise) const;
  std::vector<int64_t> integers(const char* key) const;     // list.i; empty when absent
  std::vector<std::string> strings(const char* key) const;  // list.s, decoded
  std::optional<DType> type(const char* key) const;         // type, mapped by dtypeFromTf
  // A function attribute ({"func": {"name": ...}}): the function's name; Error(kSchema) when
  // absent or malformed.
  std::string function(const char* key) const;
  // A shape attribute ({"dim": [{"size": "-1"}, ...]}); nullopt when absent or unknown_rank.
  std::optional<std::vector<int64_t>> shape(const char* key) const;

  // Error(kUnsupported) / Error(kInvalidArgument) naming this node and its op.
  [[noreturn]] void unsupported(const std::string& what) const;
  [[noreturn]] void invalid(const std::string& what) const;
};

struct Function;

struct GraphDef {
  std::vector<Node> nodes;
  std::map<std::string, size_t> index;  // node name -> position in `nodes`
  // The library's functions (top level only): the bodies of While / If / PartitionedCall.
  std::map<std::string, std::shared_ptr<const Function>> functions;
  const Node* find(const std::string& name) const;
};

// A library function: its body, whose first nodes are its inputs (op "_Arg", named after the
// input arguments), and what each output argument returns.
struct Function {
  std::string name;
  std::vector<std::string> inputs;   // input argument names, in order
  std::vector<std::string> outputs;  // output argument names, in order
  std::vector<Input> results;        // per output: the body node output it returns
  GraphDef body;
};

// The nodes of modelTopology ({"node": [...], "versions", "library"}) and its library functions.
// Error(kSchema) for a topology without a node list, a node without a name or op, two nodes (or
// functions) with one name, an input that names no node (naming both), or a function whose
// output returns nothing of its body.
GraphDef parseGraph(const Json& modelTopology);

}  // namespace tfjs::graph
