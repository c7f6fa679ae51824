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
  const size_t colon = name.rfind(':');
  if (colon != std::string::npos && colon + 1 < name.size()) {
    int index = 0;
    const char* first = name.data() + colon + 1;
    const char* last = name.data() + name.size();
    const auto [end, ec] = std::from_chars(first, last, index);
    if (ec == std::errc() && end == last) return {name.substr(0, colon), index};
  }
  return {name, 0};
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

GraphDef parseGraph(const Json& topology) {
  if (!topology.is_object() || !topology.contains("node") || !topology["node"].is_array()) {
    schema("the graph model's modelTopology has no 'node' list");
  }
  GraphDef g;
  for (const Json& j : topology["node"]) {
    if (!j.is_object() || !j.contains("name") || !j["name"].is_string() || !j.contains("op") ||
        !j["op"].is_string()) {
      schema(fmt::format("a graph node without a name or an op: {}", j.dump().substr(0, 200)));
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
      schema(fmt::format("two graph nodes are named '{}'", n.name));
    }
    g.nodes.push_back(std::move(n));
  }
  for (const Node& n : g.nodes) {
    for (const Input& in : n.inputs) {
      if (!g.find(in.node)) {
        schema(fmt::format("node '{}' ({}) reads '{}', which is not a node of the graph", n.name,
                           n.op, in.node));
      }
    }
    for (const std::string& c : n.controls) {
      if (!g.find(c)) {
        schema(fmt::format("node '{}' ({}) waits for '{}', which is not a node of the graph",
                           n.name, n.op, c));
      }
    }
  }
  return g;
}

}  // namespace tfjs::graph
