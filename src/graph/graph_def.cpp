// Reading a graph model's GraphDef JSON (graph_def.h).
#include "graph/graph_def.h"

#include <fmt/format.h>

#include <charconv>

#include "format/base64.h"
#include "tfjs/error.h"

namespace tfjs::graph {
namespace {

[[noreturn]] void schema(const std::string& what) {
  throw Error(ErrorCode::kSchema, what);
}

// An int64 as JSON writes a protobuf int64: a decimal string, or a number.
std::optional<int64_t> int64Of(const Json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (!j.is_string()) return std::nullopt;
  const std::string& s = j.get_ref<const std::string&>();
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Input parseInput(const std::string& name) {
  // "node", "node:k", or in a function body "node:arg:k".
  const auto integer = [](std::string_view t, int& v) {
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return !t.empty() && ec == std::errc() && end == t.data() + t.size();
  };
  const size_t last = name.rfind(':');
  if (last == std::string::npos || last + 1 >= name.size()) return {name, 0, {}};
  int index = 0;
  if (!integer(std::string_view(name).substr(last + 1), index)) return {name, 0, {}};
  const size_t mid = name.rfind(':', last - 1);
  if (last > 0 && mid != std::string::npos && mid + 1 < last) {
    const std::string arg = name.substr(mid + 1, last - mid - 1);
    int unused = 0;
    if (!integer(arg, unused)) return {name.substr(0, mid), index, arg};
  }
  return {name.substr(0, last), index, {}};
}

std::optional<DType> dtypeFromTf(const std::string& name) {
  if (name == "DT_FLOAT" || name == "DT_HALF" || name == "DT_DOUBLE") return DType::kFloat32;
  if (name == "DT_INT32" || name == "DT_INT64" || name == "DT_INT8" || name == "DT_UINT8") {
    return DType::kInt32;
  }
  if (name == "DT_BOOL") return DType::kBool;
  if (name == "DT_STRING") return DType::kString;
  if (name == "DT_COMPLEX64") return DType::kComplex64;
  return std::nullopt;
}

void Node::unsupported(const std::string& what) const {
  throw Error(ErrorCode::kUnsupported, fmt::format("node '{}' ({}): {}", name, op, what));
}

void Node::invalid(const std::string& what) const {
  throw Error(ErrorCode::kInvalidArgument, fmt::format("node '{}' ({}): {}", name, op, what));
}

namespace {

// attr[key], or null when absent; Error(kSchema) when present without the field `field`.
const Json* field(const Node& n, const char* key, const char* fieldName) {
  const auto a = n.attr.find(key);
  if (a == n.attr.end()) return nullptr;
  const auto f = a->find(fieldName);
  if (f == a->end()) {
    schema(fmt::format("node '{}' ({}): attribute '{}' has no '{}' value", n.name, n.op, key,
                       fieldName));
  }
  return &*f;
}

[[noreturn]] void malformed(const Node& n, const char* key) {
  schema(fmt::format("node '{}' ({}): attribute '{}' is malformed", n.name, n.op, key));
}

std::string decoded(const Node& n, const char* key, const Json& j) {
  if (!j.is_string()) malformed(n, key);
  auto s = base64Decode(j.get_ref<const std::string&>());
  if (!s) malformed(n, key);
  return *s;
}

}  // namespace

std::string Node::string(const char* key, const std::string& otherwise) const {
  const Json* f = field(*this, key, "s");
  return f ? decoded(*this, key, *f) : otherwise;
}

int64_t Node::integer(const char* key, int64_t otherwise) const {
  const Json* f = field(*this, key, "i");
  if (!f) return otherwise;
  const auto v = int64Of(*f);
  if (!v) malformed(*this, key);
  return *v;
}

double Node::number(const char* key, double otherwise) const {
  const Json* f = field(*this, key, "f");
  if (!f) return otherwise;
  if (f->is_number()) return f->get<double>();
  if (f->is_string()) {  // protobuf JSON spells non-finite floats as strings
    const std::string& s = f->get_ref<const std::string&>();
    if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  malformed(*this, key);
}

bool Node::flag(const char* key, bool otherwise) const {
  const Json* f = field(*this, key, "b");
  if (!f) return otherwise;
  if (!f->is_boolean()) malformed(*this, key);
  return f->get<bool>();
}

std::vector<int64_t> Node::integers(const char* key) const {
  const Json* list = field(*this, key, "list");
  std::vector<int64_t> out;
  if (!list) return out;
  const auto i = list->find("i");
  if (i == list->end()) return out;  // an empty list is written as {}
  if (!i->is_array()) malformed(*this, key);
  for (const Json& e : *i) {
    const auto v = int64Of(e);
    if (!v) malformed(*this, key);
    out.push_back(*v);
  }
  return out;
}

std::vector<std::string> Node::strings(const char* key) const {
  const Json* list = field(*this, key, "list");
  std::vector<std::string> out;
  if (!list) return out;
  const auto s = list->find("s");
  if (s == list->end()) return out;
  if (!s->is_array()) malformed(*this, key);
  for (const Json& e : *s) out.push_back(decoded(*this, key, e));
  return out;
}

std::optional<DType> Node::type(const char* key) const {
  const Json* f = field(*this, key, "type");
  if (!f) return std::nullopt;
  if (!f->is_string()) malformed(*this, key);
  const auto t = dtypeFromTf(f->get<std::string>());
  if (!t) unsupported(fmt::format("dtype {} (TF.js runs none of it)", f->get<std::string>()));
  return t;
}

std::string Node::function(const char* key) const {
  const Json* f = field(*this, key, "func");
  if (!f) schema(fmt::format("node '{}' ({}): no function attribute '{}'", name, op, key));
  if (!f->is_object() || !f->contains("name") || !(*f)["name"].is_string()) malformed(*this, key);
  return (*f)["name"].get<std::string>();
}

std::optional<std::vector<int64_t>> Node::shape(const char* key) const {
  const Json* f = field(*this, key, "shape");
  if (!f) return std::nullopt;
  if (!f->is_object()) malformed(*this, key);
  if (f->value("unknownRank", false)) return std::nullopt;
  std::vector<int64_t> out;
  if (const auto dims = f->find("dim"); dims != f->end()) {
    if (!dims->is_array()) malformed(*this, key);
    for (const Json& d : *dims) {
      const auto size = d.is_object() && d.contains("size") ? int64Of(d["size"]) : std::nullopt;
      if (!size) malformed(*this, key);
      out.push_back(*size);
    }
  }
  return out;
}

const Node* GraphDef::find(const std::string& name) const {
  const auto it = index.find(name);
  return it == index.end() ? nullptr : &nodes[it->second];
}

namespace {

// The position among an op's outputs of output argument `arg` (function bodies name outputs as
// "node:arg:k"): the ops with more than one output argument list them; any other op has one.
int outputOffset(const std::string& op, const std::string& arg) {
  static const std::map<std::string, std::vector<std::string>> kOutputs = {
      {"TopKV2", {"values", "indices"}},
      {"Unique", {"y", "idx"}},
      {"FusedBatchNorm",
       {"y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"}},
      {"FusedBatchNormV2",
       {"y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"}},
      {"FusedBatchNormV3",
       {"y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2",
        "reserve_space_3"}},
      {"NonMaxSuppressionV4", {"selected_indices", "valid_outputs"}},
      {"NonMaxSuppressionV5", {"selected_indices", "selected_scores", "valid_outputs"}},
      {"TensorListPopBack", {"output_handle", "tensor"}},
  };
  const auto it = kOutputs.find(op);
  if (it == kOutputs.end()) return 0;
  for (size_t k = 0; k < it->second.size(); ++k) {
    if (it->second[k] == arg) return static_cast<int>(k);
  }
  return 0;
}

// The nodes of a node list (the graph's "node", a function's "nodeDef"), `args` first as "_Arg"
// nodes (a function's inputs), each input checked to name a node.
GraphDef parseNodes(const Json& list, const std::vector<std::string>& args,
                    const std::string& where) {
  GraphDef g;
  for (const std::string& a : args) {
    Node n;
    n.name = a;
    n.op = "_Arg";
    n.attr = Json::object();
    g.index.emplace(a, g.nodes.size());
    g.nodes.push_back(std::move(n));
  }
  for (const Json& j : list) {
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("op") ||
        !j["op"].is_string()) {
      schema(fmt::format("{}: a node without a name or an op: {}", where, j.dump().substr(0, 200)));
    }
    Node n;
    n.name = j["name"];
    n.op = j["op"];
    if (const auto a = j.find("attr"); a != j.end()) {
      if (!a->is_object()) schema(fmt::format("node '{}': 'attr' is not an object", n.name));
      n.attr = *a;
    } else {
      n.attr = Json::object();
    }
    if (const auto in = j.find("input"); in != j.end()) {
      if (!in->is_array()) schema(fmt::format("node '{}': 'input' is not a list", n.name));
      for (const Json& e : *in) {
        if (!e.is_string()) schema(fmt::format("node '{}': an input that is not a name", n.name));
        const std::string& s = e.get_ref<const std::string&>();
        if (!s.empty() && s[0] == '^') {
          n.controls.push_back(s.substr(1));
        } else {
          n.inputs.push_back(parseInput(s));
        }
      }
    }
    if (!g.index.emplace(n.name, g.nodes.size()).second) {
      schema(fmt::format("{}: two nodes are named '{}'", where, n.name));
    }
    g.nodes.push_back(std::move(n));
  }
  // Function bodies name outputs "node:arg:k": resolve the argument to an output index now that
  // every node's op is known.
  for (Node& n : g.nodes) {
    for (Input& in : n.inputs) {
      if (!in.arg.empty()) {
        if (const Node* src = g.find(in.node)) in.index += outputOffset(src->op, in.arg);
        in.arg.clear();
      }
      if (!g.find(in.node)) {
        schema(fmt::format("node '{}' ({}) reads '{}', which is not a node of {}", n.name, n.op,
                           in.node, where));
      }
    }
    for (const std::string& c : n.controls) {
      if (!g.find(c)) {
        schema(fmt::format("node '{}' ({}) waits for '{}', which is not a node of {}", n.name, n.op,
                           c, where));
      }
    }
  }
  return g;
}

std::vector<std::string> argNames(const Json& sig, const char* key, const std::string& fn) {
  std::vector<std::string> out;
  if (!sig.contains(key)) return out;
  if (!sig[key].is_array()) schema(fmt::format("function '{}': '{}' is not a list", fn, key));
  for (const Json& a : sig[key]) {
    if (!a.is_object() || !a.contains("name") || !a["name"].is_string()) {
      schema(fmt::format("function '{}': an argument without a name", fn));
    }
    out.push_back(a["name"]);
  }
  return out;
}

Function parseFunction(const Json& f) {
  if (!f.is_object() || !f.contains("signature") || !f["signature"].is_object() ||
      !f["signature"].contains("name") || !f["signature"]["name"].is_string()) {
    schema("a library function without a signature name");
  }
  const Json& sig = f["signature"];
  Function fn;
  fn.name = sig["name"];
  fn.inputs = argNames(sig, "inputArg", fn.name);
  fn.outputs = argNames(sig, "outputArg", fn.name);
  const Json empty = Json::array();
  const Json& nodes = f.contains("nodeDef") ? f["nodeDef"] : empty;
  if (!nodes.is_array()) schema(fmt::format("function '{}': 'nodeDef' is not a list", fn.name));
  fn.body = parseNodes(nodes, fn.inputs, fmt::format("function '{}'", fn.name));
  const Json ret = f.contains("ret") ? f["ret"] : Json::object();
  for (const std::string& out : fn.outputs) {
    if (!ret.is_object() || !ret.contains(out) || !ret[out].is_string()) {
      schema(fmt::format("function '{}' does not say what its output '{}' returns", fn.name, out));
    }
    Input in = parseInput(ret[out].get<std::string>());
    if (!in.arg.empty()) {
      if (const Node* src = fn.body.find(in.node)) in.index += outputOffset(src->op, in.arg);
      in.arg.clear();
    }
    if (!fn.body.find(in.node)) {
      schema(fmt::format("function '{}' returns '{}', which is not one of its nodes", fn.name,
                         ret[out].get<std::string>()));
    }
    fn.results.push_back(in);
  }
  return fn;
}

}  // namespace

GraphDef parseGraph(const Json& topology) {
  if (!topology.is_object() || !topology.contains("node") || !topology["node"].is_array()) {
    schema("the graph model's modelTopology has no 'node' list");
  }
  GraphDef g = parseNodes(topology["node"], {}, "the graph");
  if (const auto lib = topology.find("library"); lib != topology.end() && lib->is_object()) {
    if (const auto fns = lib->find("function"); fns != lib->end()) {
      if (!fns->is_array()) schema("the graph's library 'function' is not a list");
      for (const Json& f : *fns) {
        Function fn = parseFunction(f);
        const std::string name = fn.name;
        auto shared = std::make_shared<const Function>(std::move(fn));
        if (!g.functions.emplace(name, std::move(shared)).second) {
          schema(fmt::format("two library functions are named '{}'", name));
        }
      }
    }
  }
  return g;
}

}  // namespace tfjs::graph
