// Layers-model summaries as Keras 2 prints them, and a graph model's op census.
//
// How a layers model is read:
//   * The Keras model config (artifacts.kerasModelConfig()) is walked model by model. Sequential
//     models chain their layers; Functional/Model configs are evaluated node by node, in whatever
//     order the inbound references allow (configs need not be topologically sorted, and a
//     reference that never resolves is reported in a note rather than looped on forever).
//   * Every layer class maps to one function in kLayerTable that, given the layer's config and
//     input shapes, returns its output shapes and its parameter count (trainable and not). A
//     class that is not in the table gets the output shape "?" and its parameter count from the
//     manifest. Nothing in a config makes this code throw: only a topology that is not a Keras
//     model config at all does (kSchema).
//   * Nested models used as layers (Sequential/Functional/Model) are one row with their total
//     parameter count, as Keras's default summary shows them; they are walked to get their
//     output shape and parameters.
//   * Config-derived counts are cross-checked against the manifest: a weight belongs to a layer
//     when its name is "<layer>/..." possibly behind the names of enclosing models (Keras 3
//     writes "sequential/dense/kernel"). Disagreements become notes.
//
// Output shape conventions (tf.keras 2.x, as its model.summary() prints them):
//   * LayerSummary::outputShapes holds one Python-tuple string per output tensor, e.g.
//     "(None, 28, 28, 32)", "(None,)"; "?" when unknown; the single entry "multiple" when a
//     shared layer's nodes have different output shapes (Keras's own word for it).
//   * formatSummary() prints a single output as its tuple and several as a list
//     "[(None, 4), (None, 4)]"; InputLayer rows as the one-element list "[(None, 10)]", which
//     is how tf.keras 2.x prints the InputLayer of a functional model.
//   * Sequential models show no InputLayer row (Keras hides it); functional models show one per
//     input with 0 params and an empty "Connected to".
//   * Inbound connections are "name[node][tensor]" with the node index as written in the config.
//   * formatSummary() follows tf.keras 2.x's print_summary: 65 columns for a Sequential model or a
//     functional chain, 98 with "Connected to" otherwise; fields cut at their column, totals with
//     thousands separators, no byte sizes (as in the seed walkthrough). Trailing blanks are
//     trimmed. Notes are not printed: callers show ModelSummary::notes as they see fit.
//
// Graph models: inputs and outputs come from the signature (userDefinedMetadata.signature wins),
// else from Placeholder nodes and from nodes nobody consumes; as in TF.js's operation mapper a
// control input "^x" counts as consuming x. nodeCount is the main graph's; opCounts also counts
// the nodes of library functions. An output's dtype is read from its output_type, out_type, DstT,
// dtype or T attr, in that order; its shape is "?" unless the node has a "shape" attr.
#include "tfjs/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "model/topology.h"

namespace tfjs {
namespace {

// ---------------------------------------------------------------------------------------------
// Shapes

constexpr int64_t kNone = -1;  // an unknown ("None") dimension
using Dims = std::vector<int64_t>;
using Shape = std::optional<Dims>;  // nullopt: not even the rank is known
using Inputs = std::vector<Shape>;

// Arithmetic on dimensions: an unknown operand or an overflow gives an unknown dimension.
int64_t dimMul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return kNone;
  return r;
}
int64_t dimAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) return kNone;
  return r;
}
int64_t dimSub(int64_t a, int64_t b) {  // a - b, never below zero
  if (a < 0 || b < 0) return kNone;
  return a >= b ? a - b : 0;
}
int64_t dimProduct(const Dims& d, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < d.size(); ++i) p = dimMul(p, d[i]);
  return p;
}

// Python's repr of a shape tuple: "(None, 28, 28, 32)", "(None,)", "()".
std::string tupleString(const Dims& d) {
  std::string s = "(";
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0) s += ", ";
    s += d[i] < 0 ? std::string("None") : std::to_string(d[i]);
  }
  if (d.size() == 1) s += ",";
  return s + ")";
}
std::string shapeString(const Shape& s) {
  return s ? tupleString(*s) : std::string("?");
}

// Normalizes a possibly negative axis; nullopt when out of range.
std::optional<size_t> normAxis(int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return std::nullopt;
  return static_cast<size_t>(axis < 0 ? axis + r : axis);
}

// ---------------------------------------------------------------------------------------------
// Reading config values. Configs are untrusted: every accessor checks types and falls back.

const Json* field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<int64_t> asInt(const Json& j) {
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_number_unsigned()) {
    const uint64_t v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (j.is_number_float()) {  // JS writers may write 3 as 3.0
    const double v = j.get<double>();
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e15) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (j.is_string()) {  // protobuf JSON writes int64 as strings
    const std::string& s = j.get_ref<const std::string&>();
    if (s.empty() || s.size() > 18) return std::nullopt;  // no overflow below 10^18
    int64_t v = 0;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return std::nullopt;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return s[0] == '-' ? -v : v;
  }
  return std::nullopt;
}

int64_t intOr(const Json& cfg, std::string_view key, int64_t def) {
  const Json* j = field(cfg, key);
  if (!j) return def;
  if (j->is_array() && j->size() == 1) j = &(*j)[0];  // tfjs writes some scalars as [n]
  return asInt(*j).value_or(def);
}

bool boolOr(const Json& cfg, std::string_view key, bool def) {
  const Json* j = field(cfg, key);
  return j && j->is_boolean() ? j->get<bool>() : def;
}

// A string option, lower-cased with '_' removed, so that "channels_first", "channelsFirst" and
// "CHANNELS_FIRST" compare equal.
std::string optionOr(const Json& cfg, std::string_view key, std::string_view def) {
  const Json* j = field(cfg, key);
  std::string s = j && j->is_string() ? j->get<std::string>() : std::string(def);
  std::string out;
  for (char c : s) {
    if (c == '_') continue;
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return out;
}

bool channelsFirst(const Json& cfg) {
  return optionOr(cfg, "data_format", "channels_last") == "channelsfirst";
}

// An int-or-tuple option of `rank` entries ("kernel_size": 3 or [3, 3]); nullopt if malformed.
std::optional<Dims> tupleOr(const Json& cfg, std::string_view key, size_t rank, int64_t def) {
  const Json* j = field(cfg, key);
  if (!j) return Dims(rank, def);
  if (auto v = asInt(*j)) return Dims(rank, *v);
  if (!j->is_array()) return std::nullopt;
  Dims out;
  for (const Json& e : *j) {
    auto v = asInt(e);
    if (!v) return std::nullopt;
    out.push_back(*v);
  }
  if (out.size() == 1 && rank > 1) out.assign(rank, out[0]);
  if (out.size() != rank) return std::nullopt;
  return out;
}

// A list of ints, or one int as a list of one ("axis": -1 or [1, 2]).
std::optional<std::vector<int64_t>> intList(const Json& j) {
  if (auto v = asInt(j)) return std::vector<int64_t>{*v};
  if (!j.is_array()) return std::nullopt;
  std::vector<int64_t> out;
  for (const Json& e : j) {
    auto v = asInt(e);
    if (!v) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

// A shape as Keras writes it: [null, 28, 28, 1]. Negative entries count as None.
Shape shapeFromJson(const Json* j) {
  if (!j || !j->is_array()) return std::nullopt;
  Dims d;
  for (const Json& e : *j) {
    if (e.is_null()) {
      d.push_back(kNone);
    } else if (auto v = asInt(e)) {
      d.push_back(*v < 0 ? kNone : *v);
    } else {
      return std::nullopt;
    }
  }
  return d;
}

std::string stringOr(const Json& obj, std::string_view key, std::string def = {}) {
  const Json* j = field(obj, key);
  return j && j->is_string() ? j->get<std::string>() : def;
}

// The input shape a layer config declares for itself, batch dimension included: InputLayer's
// batch_input_shape (Keras 2, tfjs) or batch_shape (Keras 3), a first Sequential layer's
// batch_input_shape / input_shape, and the camelCase spellings of hand-edited files.
Shape declaredInputShape(const Json& cfg) {
  for (const char* key : {"batch_input_shape", "batch_shape", "batchInputShape", "batchShape"}) {
    if (Shape s = shapeFromJson(field(cfg, key))) return s;
  }
  for (const char* key : {"input_shape", "inputShape"}) {
    if (Shape s = shapeFromJson(field(cfg, key))) {
      s->insert(s->begin(), kNone);
      return s;
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Parameter counts

// Saturating unsigned arithmetic: parameter counts of absurd configs stay finite.
uint64_t satMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<uint64_t>::max() : r;
}
uint64_t satAdd(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<uint64_t>::max() : r;
}
// Product of dimensions as a count; nullopt if one is unknown.
std::optional<uint64_t> elementCount(std::initializer_list<int64_t> dims) {
  uint64_t p = 1;
  for (int64_t d : dims) {
    if (d < 0) return std::nullopt;
    p = satMul(p, static_cast<uint64_t>(d));
  }
  return p;
}

struct Params {
  uint64_t trainable = 0;
  uint64_t nonTrainable = 0;
  uint64_t total() const { return satAdd(trainable, nonTrainable); }
  Params& operator+=(const Params& o) {
    trainable = satAdd(trainable, o.trainable);
    nonTrainable = satAdd(nonTrainable, o.nonTrainable);
    return *this;
  }
};

Params trainableOnly(uint64_t n) {
  return {n, 0};
}

// ---------------------------------------------------------------------------------------------
// The layer table: one function per layer family. Each gets the layer's config and its input
// shapes and returns the output shapes and, when the config and shapes determine it, the
// parameter count.

struct Eval {
  std::vector<Shape> outputs;
  std::optional<Params> params;  // nullopt: not derivable (unknown class or input shape)
  std::string note;              // why an output shape or count is unknown
};

using Handler = Eval (*)(const Json& cfg, const Inputs& in);

Eval evalLayer(const std::string& className, const Json& cfg, const Inputs& in);

const Shape& firstInput(const Inputs& in) {
  static const Shape kUnknown;
  return in.empty() ? kUnknown : in[0];
}

Eval single(Shape out, std::optional<Params> params) {
  Eval e;
  e.outputs.push_back(std::move(out));
  e.params = params;
  return e;
}

// --- same shape, no weights: activations, dropout and noise, masking, augmentation ---------------
Eval passThrough(const Json&, const Inputs& in) {
  return single(firstInput(in), Params{});
}

// --- layers whose output shape needs the actual computation: Lambda, TF op layers -------------
Eval opaque(const Json&, const Inputs&) {
  Eval e = single(std::nullopt, Params{});
  e.note = "output shape not derivable from the config";
  return e;
}

// TensorFlowOpLayer (tf.keras 2.2-2.3 raw TF op): a few shape-simple ops are worked out, the
// rest are opaque.
Eval tensorFlowOp(const Json& cfg, const Inputs& in) {
  const Json* nodeDef = field(cfg, "node_def");
  const std::string op = nodeDef ? stringOr(*nodeDef, "op") : std::string();
  const Shape& x = firstInput(in);
  static const std::set<std::string, std::less<>> kUnary = {
      "Identity", "Relu",       "Relu6",      "Elu",   "Selu", "Sigmoid", "Tanh",
      "Softplus", "Softsign",   "Neg",        "Abs",   "Exp",  "Log",     "Sqrt",
      "Rsqrt",    "Square",     "Reciprocal", "Floor", "Ceil", "Round",   "Sign",
      "Softmax",  "LogSoftmax", "LeakyRelu",  "Cast"};
  if (kUnary.count(op) > 0) return single(x, Params{});
  if ((op == "DepthToSpace" || op == "SpaceToDepth") && x && x->size() == 4) {
    const Json* attr = nodeDef ? field(*nodeDef, "attr") : nullptr;
    const Json* bs = attr ? field(*attr, "block_size") : nullptr;
    const int64_t b = bs ? intOr(*bs, "i", 0) : 0;
    std::string format = "NHWC";
    if (const Json* df = attr ? field(*attr, "data_format") : nullptr) {
      const std::string s = stringOr(*df, "s");  // base64 of the bytes
      if (s == "TkNIVw==") format = "NCHW";
    }
    if (b > 0) {
      Dims d = *x;
      const size_t c = format == "NHWC" ? 3 : 1;
      const size_t h = format == "NHWC" ? 1 : 2;
      const int64_t bb = dimMul(b, b);
      for (size_t i = h; i < h + 2; ++i) {
        d[i] = op == "DepthToSpace" ? dimMul(d[i], b) : (d[i] < 0 ? kNone : d[i] / b);
      }
      d[c] = op == "DepthToSpace" ? (d[c] < 0 || bb < 0 ? kNone : d[c] / bb) : dimMul(d[c], bb);
      return single(d, Params{});
    }
  }
  Eval e = single(std::nullopt, Params{});
  e.note = fmt::format("TF op '{}': output shape not derivable from the config",
                       op.empty() ? std::string("?") : op);
  return e;
}

// --- Dense ------------------------------------------------------------------------------------
Eval dense(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  const int64_t units = intOr(cfg, "units", kNone);
  Shape out;
  std::optional<Params> params;
  if (x && !x->empty()) {
    out = *x;
    out->back() = units;
    if (auto k = elementCount({x->back(), units})) {
      params = trainableOnly(satAdd(*k, boolOr(cfg, "use_bias", true) ? uint64_t(units) : 0));
    }
  }
  return single(out, params);
}

// --- Embedding --------------------------------------------------------------------------------
Eval embedding(const Json& cfg, const Inputs& in) {
  const int64_t inputDim = intOr(cfg, "input_dim", kNone);
  const int64_t outputDim = intOr(cfg, "output_dim", kNone);
  Shape x = firstInput(in);
  if (!x) {
    if (const Json* len = field(cfg, "input_length")) {
      if (auto l = asInt(*len)) x = Dims{kNone, *l};
    }
  }
  if (x) x->push_back(outputDim);
  std::optional<Params> params;
  if (auto n = elementCount({inputDim, outputDim})) params = trainableOnly(*n);
  return single(x, params);
}

// --- Flatten, Reshape, Permute, RepeatVector ----------------------------------------------------
Eval flatten(const Json&, const Inputs& in) {
  const Shape& x = firstInput(in);
  if (!x || x->empty()) return single(std::nullopt, Params{});
  return single(Dims{(*x)[0], dimProduct(*x, 1)}, Params{});
}

Eval reshape(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  const Json* t = field(cfg, "target_shape");
  // TF.js writes the inferred dimension (-1) as null.
  std::optional<std::vector<int64_t>> target;
  if (t && t->is_array()) {
    target.emplace();
    for (const Json& e : *t) {
      auto v = e.is_null() ? std::optional<int64_t>(-1) : asInt(e);
      if (!v) {
        target.reset();
        break;
      }
      target->push_back(*v);
    }
  } else if (t) {
    target = intList(*t);
  }
  if (!target) return single(std::nullopt, Params{});
  Dims out{x && !x->empty() ? (*x)[0] : kNone};
  int64_t known = 1;
  std::optional<size_t> wildcard;
  for (int64_t d : *target) {
    if (d < 0) {
      wildcard = out.size();
    } else {
      known = dimMul(known, d);
    }
    out.push_back(d < 0 ? kNone : d);
  }
  if (wildcard && x && !x->empty()) {
    const int64_t total = dimProduct(*x, 1);
    if (total >= 0 && known > 0) out[*wildcard] = total / known;
  }
  return single(out, Params{});
}

Eval permute(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  const Json* d = field(cfg, "dims");
  auto dims = d ? intList(*d) : std::nullopt;
  if (!x || !dims || dims->size() + 1 != x->size()) return single(std::nullopt, Params{});
  Dims out{(*x)[0]};
  for (int64_t axis : *dims) {
    if (axis < 1 || axis >= static_cast<int64_t>(x->size())) return single(std::nullopt, Params{});
    out.push_back((*x)[static_cast<size_t>(axis)]);
  }
  return single(out, Params{});
}

Eval repeatVector(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  if (!x || x->size() != 2) return single(std::nullopt, Params{});
  return single(Dims{(*x)[0], intOr(cfg, "n", kNone), (*x)[1]}, Params{});
}

// --- Convolutions -------------------------------------------------------------------------------
// A batch-first input split into spatial dimensions and channels, per data_format.
struct Spatial {
  int64_t batch = kNone;
  Dims space;
  int64_t channels = kNone;
  bool first = false;  // channels_first
  Dims join(const Dims& s, int64_t c) const {
    Dims d{batch};
    if (first) d.push_back(c);
    d.insert(d.end(), s.begin(), s.end());
    if (!first) d.push_back(c);
    return d;
  }
};

// `extra` leading non-spatial dims after the batch (1 for the time axis of ConvLSTM).
std::optional<Spatial> splitSpatial(const Shape& x, size_t rank, bool chFirst, size_t extra = 0) {
  if (!x || x->size() != rank + 2 + extra) return std::nullopt;
  Spatial s;
  s.first = chFirst;
  s.batch = (*x)[0];
  const size_t begin = 1 + extra + (chFirst ? 1 : 0);
  s.space.assign(x->begin() + static_cast<std::ptrdiff_t>(begin),
                 x->begin() + static_cast<std::ptrdiff_t>(begin + rank));
  s.channels = chFirst ? (*x)[1 + extra] : x->back();
  return s;
}

// keras.utils.conv_utils.conv_output_length
int64_t convLength(int64_t len, int64_t k, const std::string& padding, int64_t stride,
                   int64_t dilation) {
  if (len < 0 || k < 0 || stride <= 0 || dilation <= 0) return kNone;
  const int64_t dilated = dimAdd(dimMul(k - 1 < 0 ? 0 : k - 1, dilation), 1);
  if (dilated < 0) return kNone;
  int64_t out = len;
  if (padding == "valid") out = len >= dilated ? len - dilated + 1 : 0;
  if (padding == "full") out = dimSub(dimAdd(len, dilated), 1);
  // "same" and "causal" keep the length
  return out < 0 ? kNone : out == 0 ? 0 : (out - 1) / stride + 1;  // ceil(out / stride)
}

// keras.utils.conv_utils.deconv_output_length
int64_t deconvLength(int64_t len, int64_t k, const std::string& padding,
                     std::optional<int64_t> outputPadding, int64_t stride, int64_t dilation) {
  if (len < 0 || k < 0 || stride <= 0 || dilation <= 0) return kNone;
  k = dimAdd(k, dimMul(k - 1 < 0 ? 0 : k - 1, dilation - 1));
  if (k < 0) return kNone;
  if (!outputPadding) {
    if (padding == "valid") return dimAdd(dimMul(len, stride), std::max<int64_t>(k - stride, 0));
    if (padding == "full") return dimSub(dimMul(len, stride), dimSub(dimAdd(stride, k), 2));
    return dimMul(len, stride);
  }
  const int64_t pad = padding == "same" ? k / 2 : padding == "full" ? k - 1 : 0;
  const int64_t grown = dimAdd(dimAdd(dimMul(len > 0 ? len - 1 : 0, stride), k), *outputPadding);
  return dimSub(grown, dimMul(2, pad));
}

struct ConvOptions {
  Dims kernel, strides, dilation;
  std::string padding;
  bool ok = false;
};

ConvOptions convOptions(const Json& cfg, size_t rank, const char* kernelKey = "kernel_size") {
  ConvOptions o;
  auto k = tupleOr(cfg, kernelKey, rank, kNone);
  auto s = tupleOr(cfg, "strides", rank, 1);
  auto d = tupleOr(cfg, "dilation_rate", rank, 1);
  o.padding = optionOr(cfg, "padding", "valid");
  if (k && s && d) {
    o.kernel = *k;
    o.strides = *s;
    o.dilation = *d;
    o.ok = true;
  }
  return o;
}

Dims convSpace(const Spatial& sp, const ConvOptions& o) {
  Dims out;
  for (size_t i = 0; i < sp.space.size(); ++i) {
    out.push_back(convLength(sp.space[i], o.kernel[i], o.padding, o.strides[i], o.dilation[i]));
  }
  return out;
}

int64_t kernelVolume(const ConvOptions& o) {
  return dimProduct(o.kernel);
}

// Conv1D/2D/3D: kernel k... x (in / groups) x filters, bias filters.
Eval conv(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t filters = intOr(cfg, "filters", kNone);
  const int64_t groups = std::max<int64_t>(intOr(cfg, "groups", 1), 1);
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  Eval e = single(std::nullopt, std::nullopt);
  if (!o.ok) return e;
  if (sp) e.outputs[0] = sp->join(convSpace(*sp, o), filters);
  if (sp && sp->channels >= 0) {
    if (auto k = elementCount({kernelVolume(o), sp->channels / groups, filters})) {
      e.params = trainableOnly(satAdd(*k, boolOr(cfg, "use_bias", true) ? uint64_t(filters) : 0));
    }
  }
  return e;
}
template <size_t R>
Eval convN(const Json& cfg, const Inputs& in) {
  return conv(cfg, in, R);
}

// Conv1DTranspose/2D/3D: kernel k... x filters x in, bias filters.
Eval convTranspose(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t filters = intOr(cfg, "filters", kNone);
  std::optional<Dims> outputPadding;
  if (field(cfg, "output_padding")) outputPadding = tupleOr(cfg, "output_padding", rank, 0);
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  Eval e = single(std::nullopt, std::nullopt);
  if (!o.ok) return e;
  if (sp) {
    Dims space;
    for (size_t i = 0; i < rank; ++i) {
      space.push_back(
          deconvLength(sp->space[i], o.kernel[i], o.padding,
                       outputPadding ? std::optional<int64_t>((*outputPadding)[i]) : std::nullopt,
                       o.strides[i], o.dilation[i]));
    }
    e.outputs[0] = sp->join(space, filters);
    if (auto k = elementCount({kernelVolume(o), sp->channels, filters})) {
      e.params = trainableOnly(satAdd(*k, boolOr(cfg, "use_bias", true) ? uint64_t(filters) : 0));
    }
  }
  return e;
}
template <size_t R>
Eval convTransposeN(const Json& cfg, const Inputs& in) {
  return convTranspose(cfg, in, R);
}

// DepthwiseConv1D/2D: kernel k... x in x depth_multiplier, bias in x depth_multiplier.
Eval depthwiseConv(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t mult = intOr(cfg, "depth_multiplier", 1);
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  Eval e = single(std::nullopt, std::nullopt);
  if (!o.ok || !sp) return e;
  const int64_t outChannels = dimMul(sp->channels, mult);
  e.outputs[0] = sp->join(convSpace(*sp, o), outChannels);
  if (auto k = elementCount({kernelVolume(o), outChannels})) {
    e.params = trainableOnly(satAdd(*k, boolOr(cfg, "use_bias", true) ? uint64_t(outChannels) : 0));
  }
  return e;
}
template <size_t R>
Eval depthwiseConvN(const Json& cfg, const Inputs& in) {
  return depthwiseConv(cfg, in, R);
}

// SeparableConv1D/2D: depthwise k... x in x mult, pointwise in x mult x filters, bias filters.
Eval separableConv(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t mult = intOr(cfg, "depth_multiplier", 1);
  const int64_t filters = intOr(cfg, "filters", kNone);
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  Eval e = single(std::nullopt, std::nullopt);
  if (!o.ok || !sp) return e;
  e.outputs[0] = sp->join(convSpace(*sp, o), filters);
  const int64_t mid = dimMul(sp->channels, mult);
  auto depthwise = elementCount({kernelVolume(o), mid});
  auto pointwise = elementCount({mid, filters});
  if (depthwise && pointwise) {
    e.params = trainableOnly(satAdd(satAdd(*depthwise, *pointwise),
                                    boolOr(cfg, "use_bias", true) ? uint64_t(filters) : 0));
  }
  return e;
}
template <size_t R>
Eval separableConvN(const Json& cfg, const Inputs& in) {
  return separableConv(cfg, in, R);
}

// --- Pooling ------------------------------------------------------------------------------------
Eval pooling(const Json& cfg, const Inputs& in, size_t rank) {
  auto pool = tupleOr(cfg, "pool_size", rank, 2);
  auto strides = field(cfg, "strides") ? tupleOr(cfg, "strides", rank, 1) : pool;
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  if (!pool || !strides || !sp) return single(std::nullopt, Params{});
  const std::string padding = optionOr(cfg, "padding", "valid");
  Dims space;
  for (size_t i = 0; i < rank; ++i) {
    space.push_back(convLength(sp->space[i], (*pool)[i], padding, (*strides)[i], 1));
  }
  return single(sp->join(space, sp->channels), Params{});
}
template <size_t R>
Eval poolingN(const Json& cfg, const Inputs& in) {
  return pooling(cfg, in, R);
}

Eval globalPooling(const Json& cfg, const Inputs& in, size_t rank) {
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  if (!sp) return single(std::nullopt, Params{});
  if (boolOr(cfg, "keepdims", false))
    return single(sp->join(Dims(rank, 1), sp->channels), Params{});
  return single(Dims{sp->batch, sp->channels}, Params{});
}
template <size_t R>
Eval globalPoolingN(const Json& cfg, const Inputs& in) {
  return globalPooling(cfg, in, R);
}

// --- Padding, cropping, upsampling ------------------------------------------------------------
// ZeroPadding/Cropping amounts: int, one (before, after) pair per spatial dim, or one int per
// spatial dim (symmetric). For rank 1, a pair means (before, after) of the one dim.
std::optional<std::vector<std::pair<int64_t, int64_t>>> padAmounts(const Json& cfg, const char* key,
                                                                   size_t rank, int64_t def) {
  std::vector<std::pair<int64_t, int64_t>> out;
  const Json* j = field(cfg, key);
  if (!j) return std::vector<std::pair<int64_t, int64_t>>(rank, {def, def});
  if (auto v = asInt(*j)) return std::vector<std::pair<int64_t, int64_t>>(rank, {*v, *v});
  if (!j->is_array()) return std::nullopt;
  if (rank == 1 && j->size() == 2 && asInt((*j)[0]) && asInt((*j)[1])) {
    return std::vector<std::pair<int64_t, int64_t>>{{*asInt((*j)[0]), *asInt((*j)[1])}};
  }
  if (j->size() != rank) return std::nullopt;
  for (const Json& e : *j) {
    if (auto v = asInt(e)) {
      out.emplace_back(*v, *v);
    } else if (e.is_array() && e.size() == 2 && asInt(e[0]) && asInt(e[1])) {
      out.emplace_back(*asInt(e[0]), *asInt(e[1]));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Eval padOrCrop(const Json& cfg, const Inputs& in, size_t rank, bool crop) {
  auto amounts = padAmounts(cfg, crop ? "cropping" : "padding", rank, crop ? 0 : 1);
  auto sp = splitSpatial(firstInput(in), rank, rank > 1 && channelsFirst(cfg));
  if (!amounts || !sp) return single(std::nullopt, Params{});
  Dims space;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t sum = dimAdd((*amounts)[i].first, (*amounts)[i].second);
    space.push_back(crop ? (sp->space[i] < 0 ? kNone : dimSub(sp->space[i], sum))
                         : dimAdd(sp->space[i], sum));
  }
  return single(sp->join(space, sp->channels), Params{});
}
template <size_t R>
Eval zeroPaddingN(const Json& cfg, const Inputs& in) {
  return padOrCrop(cfg, in, R, false);
}
template <size_t R>
Eval croppingN(const Json& cfg, const Inputs& in) {
  return padOrCrop(cfg, in, R, true);
}

Eval upSampling(const Json& cfg, const Inputs& in, size_t rank) {
  auto size = tupleOr(cfg, "size", rank, 2);
  auto sp = splitSpatial(firstInput(in), rank, rank > 1 && channelsFirst(cfg));
  if (!size || !sp) return single(std::nullopt, Params{});
  Dims space;
  for (size_t i = 0; i < rank; ++i) space.push_back(dimMul(sp->space[i], (*size)[i]));
  return single(sp->join(space, sp->channels), Params{});
}
template <size_t R>
Eval upSamplingN(const Json& cfg, const Inputs& in) {
  return upSampling(cfg, in, R);
}

// --- Normalization layers ---------------------------------------------------------------------
// Product of the input dims on the given axes (the shape of per-feature weights).
std::optional<int64_t> axesVolume(const Shape& x, const Json* axisJson, int64_t defaultAxis) {
  if (!x) return std::nullopt;
  std::vector<int64_t> axes{defaultAxis};
  if (axisJson) {
    auto a = intList(*axisJson);
    if (!a) return std::nullopt;
    axes = *a;
  }
  int64_t v = 1;
  for (int64_t a : axes) {
    auto n = normAxis(a, x->size());
    if (!n || (*x)[*n] < 0) return std::nullopt;
    v = dimMul(v, (*x)[*n]);
  }
  return v;
}

// BatchNormalization: gamma (scale) and beta (center) trainable, moving mean and variance not.
Eval batchNorm(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (auto c = axesVolume(x, field(cfg, "axis"), -1)) {
    const uint64_t n = static_cast<uint64_t>(*c);
    const uint64_t k = (boolOr(cfg, "scale", true) ? 1 : 0) + (boolOr(cfg, "center", true) ? 1 : 0);
    params = Params{satMul(k, n), satMul(2, n)};
  }
  return single(x, params);
}

// LayerNormalization: gamma and beta over the normalized axes (Keras 3 rms_scaling: gamma only).
Eval layerNorm(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (auto c = axesVolume(x, field(cfg, "axis"), -1)) {
    const bool rms = boolOr(cfg, "rms_scaling", false);
    const uint64_t k =
        (boolOr(cfg, "scale", true) || rms ? 1 : 0) + (boolOr(cfg, "center", true) && !rms ? 1 : 0);
    params = trainableOnly(satMul(k, static_cast<uint64_t>(*c)));
  }
  return single(x, params);
}

// GroupNormalization: gamma and beta over the channel axis.
Eval groupNorm(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (auto c = axesVolume(x, field(cfg, "axis"), -1)) {
    const uint64_t k = (boolOr(cfg, "scale", true) ? 1 : 0) + (boolOr(cfg, "center", true) ? 1 : 0);
    params = trainableOnly(satMul(k, static_cast<uint64_t>(*c)));
  }
  return single(x, params);
}

// Normalization (preprocessing): adapted mean and variance over the kept axes plus a scalar
// count, all non-trainable (Keras 2 and 3 alike); none when mean/variance are in the config.
Eval normalization(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (field(cfg, "mean")) {
    params = Params{};
  } else if (x) {
    const bool hasAxis = cfg.is_object() && cfg.contains("axis");
    // axis: null means one global mean and variance
    const std::optional<int64_t> n = hasAxis && !field(cfg, "axis")
                                         ? std::optional<int64_t>(1)
                                         : axesVolume(x, field(cfg, "axis"), -1);
    if (n) params = Params{0, satAdd(satMul(2, static_cast<uint64_t>(*n)), 1)};
  }
  return single(x, params);
}

// --- PReLU --------------------------------------------------------------------------------------
Eval prelu(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (x && !x->empty()) {
    Dims alpha(x->begin() + 1, x->end());
    if (const Json* shared = field(cfg, "shared_axes")) {
      for (int64_t a : intList(*shared).value_or(std::vector<int64_t>{})) {
        if (a >= 1 && a <= static_cast<int64_t>(alpha.size()))
          alpha[static_cast<size_t>(a - 1)] = 1;
      }
    }
    const int64_t n = dimProduct(alpha);
    if (n >= 0) params = trainableOnly(static_cast<uint64_t>(n));
  }
  return single(x, params);
}

// --- Recurrent layers ---------------------------------------------------------------------------
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

// ConvLSTM1D/2D/3D: input (batch, time, spatial..., channels).
Eval convLstm(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t filters = intOr(cfg, "filters", kNone);
  const Shape& x = firstInput(in);
  const bool chFirst = channelsFirst(cfg);
  auto sp = splitSpatial(x, rank, chFirst, 1);
  Eval e;
  Shape y;
  Shape state;
  if (o.ok && sp) {
    const Dims frame = sp->join(convSpace(*sp, o), filters);  // (batch, [c,] space... [, c])
    state = frame;
    if (boolOr(cfg, "return_sequences", false)) {
      Dims seq = frame;
      seq.insert(seq.begin() + 1, (*x)[1]);
      y = seq;
    } else {
      y = frame;
    }
  }
  e.outputs.push_back(y);
  if (boolOr(cfg, "return_state", false)) {
    e.outputs.push_back(state);
    e.outputs.push_back(state);
  }
  if (o.ok && sp) {
    const int64_t f4 = dimMul(4, filters);
    auto kernel = elementCount({kernelVolume(o), sp->channels, f4});
    auto recurrent = elementCount({kernelVolume(o), filters, f4});
    if (kernel && recurrent && f4 >= 0) {
      e.params = trainableOnly(
          satAdd(satAdd(*kernel, *recurrent), boolOr(cfg, "use_bias", true) ? uint64_t(f4) : 0));
    }
  }
  return e;
}
template <size_t R>
Eval convLstmN(const Json& cfg, const Inputs& in) {
  return convLstm(cfg, in, R);
}

// --- Wrappers -----------------------------------------------------------------------------------
// The wrapped layer's {class_name, config}.
std::pair<std::string, const Json*> wrapped(const Json& cfg, const char* key) {
  const Json* layer = field(cfg, key);
  if (!layer) return {std::string(), nullptr};
  const Json* inner = field(*layer, "config");
  return {stringOr(*layer, "class_name"), inner};
}

Params withTrainable(Params p, const Json& cfg) {
  if (!boolOr(cfg, "trainable", true)) return Params{0, p.total()};
  return p;
}

Eval bidirectional(const Json& cfg, const Inputs& in) {
  auto [cls, inner] = wrapped(cfg, "layer");
  if (!inner) return single(std::nullopt, std::nullopt);
  Eval fw = evalLayer(cls, *inner, in);
  Eval bw = fw;
  if (auto [bcls, binner] = wrapped(cfg, "backward_layer"); binner)
    bw = evalLayer(bcls, *binner, in);
  Eval e;
  e.note = fw.note;
  if (fw.params && bw.params) {
    e.params = withTrainable(*fw.params, *inner);
    *e.params += withTrainable(*bw.params, *inner);
  }
  const Shape y = fw.outputs.empty() ? std::nullopt : fw.outputs[0];
  const std::string mode = field(cfg, "merge_mode") ? optionOr(cfg, "merge_mode", "concat") : "";
  if (mode.empty()) {  // merge_mode None: forward and backward outputs separately
    e.outputs = {y, y};
  } else if (mode == "concat") {
    Shape merged = y;
    if (merged && !merged->empty()) merged->back() = dimMul(merged->back(), 2);
    e.outputs = {merged};
  } else {
    e.outputs = {y};
  }
  if (fw.outputs.size() > 1) {  // return_state: the states of both directions follow
    for (int dir = 0; dir < 2; ++dir) {
      e.outputs.insert(e.outputs.end(), fw.outputs.begin() + 1, fw.outputs.end());
    }
  }
  return e;
}

Eval timeDistributed(const Json& cfg, const Inputs& in) {
  auto [cls, inner] = wrapped(cfg, "layer");
  if (!inner) return single(std::nullopt, std::nullopt);
  const Shape& x = firstInput(in);
  Shape step;
  if (x && x->size() >= 2) {
    Dims d{(*x)[0]};
    d.insert(d.end(), x->begin() + 2, x->end());
    step = d;
  }
  Eval e = evalLayer(cls, *inner, {step});
  if (e.params) e.params = withTrainable(*e.params, *inner);
  for (Shape& y : e.outputs) {
    if (y && x && x->size() >= 2 && !y->empty()) {
      y->insert(y->begin() + 1, (*x)[1]);
      (*y)[0] = (*x)[0];
    } else {
      y.reset();
    }
  }
  return e;
}

// --- Merge layers -------------------------------------------------------------------------------
// Keras's _compute_elemwise_op_output_shape, applied pairwise after the batch dimension.
Shape broadcastPair(const Shape& a, const Shape& b) {
  if (!a || !b) return std::nullopt;
  const Dims& longer = a->size() >= b->size() ? *a : *b;
  const Dims& shorter = a->size() >= b->size() ? *b : *a;
  Dims out(longer.begin(), longer.end() - static_cast<std::ptrdiff_t>(shorter.size()));
  for (size_t k = 0; k < shorter.size(); ++k) {
    const int64_t i = longer[longer.size() - shorter.size() + k];
    const int64_t j = shorter[k];
    if (i < 0 || j < 0) {
      out.push_back(kNone);
    } else if (i == 1) {
      out.push_back(j);
    } else if (j == 1 || i == j) {
      out.push_back(i);
    } else {
      return std::nullopt;  // incompatible
    }
  }
  return out;
}

Eval elementwiseMerge(const Json&, const Inputs& in) {
  if (in.empty()) return single(std::nullopt, Params{});
  std::set<int64_t> batches;
  Shape acc;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i] || in[i]->empty()) return single(std::nullopt, Params{});
    if ((*in[i])[0] >= 0) batches.insert((*in[i])[0]);
    Shape rest = Dims(in[i]->begin() + 1, in[i]->end());
    acc = i == 0 ? rest : broadcastPair(acc, rest);
  }
  if (!acc) return single(std::nullopt, Params{});
  acc->insert(acc->begin(), batches.size() == 1 ? *batches.begin() : kNone);
  return single(acc, Params{});
}

Eval concatenate(const Json& cfg, const Inputs& in) {
  if (in.empty() || !in[0]) return single(std::nullopt, Params{});
  Dims out = *in[0];
  auto axis = normAxis(intOr(cfg, "axis", -1), out.size());
  if (!axis) return single(std::nullopt, Params{});
  for (size_t i = 1; i < in.size(); ++i) {
    if (!in[i] || in[i]->size() != out.size()) return single(std::nullopt, Params{});
    for (size_t d = 0; d < out.size(); ++d) {
      if (d == *axis) {
        out[d] = dimAdd(out[d], (*in[i])[d]);
      } else if (out[d] < 0) {
        out[d] = (*in[i])[d];
      }
    }
  }
  return single(out, Params{});
}

Eval dot(const Json& cfg, const Inputs& in) {
  if (in.size() != 2 || !in[0] || !in[1] || in[0]->empty() || in[1]->empty()) {
    return single(std::nullopt, Params{});
  }
  Dims a = *in[0];
  Dims b = *in[1];
  const Json* axesJson = field(cfg, "axes");
  auto axes = axesJson ? intList(*axesJson) : std::nullopt;
  if (!axes || axes->empty() || axes->size() > 2) return single(std::nullopt, Params{});
  const int64_t ra = static_cast<int64_t>(a.size());
  const int64_t rb = static_cast<int64_t>(b.size());
  const int64_t axA = (((*axes)[0] % ra) + ra) % ra;
  const int64_t axB = ((((axes->size() == 2 ? (*axes)[1] : (*axes)[0])) % rb) + rb) % rb;
  a.erase(a.begin() + axA);
  b.erase(b.begin() + axB);
  if (!b.empty()) b.erase(b.begin());
  a.insert(a.end(), b.begin(), b.end());
  if (a.size() == 1) a.push_back(1);
  return single(a, Params{});
}

// --- Preprocessing layers that change the shape -------------------------------------------------
Eval resizeLike(const Json& cfg, const Inputs& in) {  // Resizing, CenterCrop, RandomCrop
  const Shape& x = firstInput(in);
  if (!x || x->size() < 3) return single(std::nullopt, Params{});
  Dims out = *x;
  const size_t h = channelsFirst(cfg) ? out.size() - 2 : out.size() - 3;
  out[h] = intOr(cfg, "height", kNone);
  out[h + 1] = intOr(cfg, "width", kNone);
  return single(out, Params{});
}

Eval randomHeight(const Json& cfg, const Inputs& in) {
  Shape x = firstInput(in);
  if (x && x->size() >= 3) (*x)[channelsFirst(cfg) ? x->size() - 2 : x->size() - 3] = kNone;
  return single(x, Params{});
}

Eval randomWidth(const Json& cfg, const Inputs& in) {
  Shape x = firstInput(in);
  if (x && x->size() >= 3) (*x)[channelsFirst(cfg) ? x->size() - 1 : x->size() - 2] = kNone;
  return single(x, Params{});
}

Eval categoryEncoding(const Json& cfg, const Inputs& in) {
  Shape x = firstInput(in);
  const int64_t tokens = intOr(cfg, "num_tokens", kNone);
  if (!x || x->empty()) return single(std::nullopt, Params{});
  const bool oneHot = optionOr(cfg, "output_mode", "multi_hot") == "onehot";
  if (x->size() == 1) {
    x->push_back(tokens);
  } else if (oneHot && x->back() != 1) {
    x->push_back(tokens);
  } else {
    x->back() = tokens;
  }
  return single(x, Params{});
}

// --- Attention (Keras 2.4+/3): output has the query's shape -----------------------------------
Eval attention(const Json& cfg, const Inputs& in) {
  uint64_t n = boolOr(cfg, "use_scale", false) ? 1 : 0;
  if (optionOr(cfg, "score_mode", "dot") == "concat") n += 1;
  return single(firstInput(in), trainableOnly(n));
}

// AdditiveAttention: its scale (use_scale, on by default) has one entry per query feature.
Eval additiveAttention(const Json& cfg, const Inputs& in) {
  const Shape& q = firstInput(in);
  if (!boolOr(cfg, "use_scale", true)) return single(q, Params{});
  if (!q || q->empty() || q->back() < 0) return single(q, std::nullopt);
  return single(q, trainableOnly(static_cast<uint64_t>(q->back())));
}

// --- The table ----------------------------------------------------------------------------------
struct LayerFamily {
  std::initializer_list<std::string_view> classNames;
  Handler handler;
};

const LayerFamily kLayerTable[] = {
    {{"Activation",
      "Dropout",
      "SpatialDropout1D",
      "SpatialDropout2D",
      "SpatialDropout3D",
      "GaussianNoise",
      "GaussianDropout",
      "AlphaDropout",
      "Masking",
      "ReLU",
      "LeakyReLU",
      "ELU",
      "ThresholdedReLU",
      "Softmax",
      "ActivityRegularization",
      "Rescaling",
      "RandomFlip",
      "RandomRotation",
      "RandomZoom",
      "RandomTranslation",
      "RandomContrast",
      "RandomBrightness",
      "UnitNormalization",
      "Identity"},
     passThrough},
    {{"Lambda", "TFOpLambda", "SlicingOpLambda"}, opaque},
    {{"TensorFlowOpLayer"}, tensorFlowOp},
    {{"Dense"}, dense},
    {{"Embedding"}, embedding},
    {{"Flatten"}, flatten},
    {{"Reshape"}, reshape},
    {{"Permute"}, permute},
    {{"RepeatVector"}, repeatVector},
    {{"Conv1D", "Convolution1D"}, convN<1>},
    {{"Conv2D", "Convolution2D"}, convN<2>},
    {{"Conv3D", "Convolution3D"}, convN<3>},
    {{"Conv1DTranspose", "Convolution1DTranspose"}, convTransposeN<1>},
    {{"Conv2DTranspose", "Convolution2DTranspose", "Deconvolution2D"}, convTransposeN<2>},
    {{"Conv3DTranspose", "Convolution3DTranspose", "Deconvolution3D"}, convTransposeN<3>},
    {{"DepthwiseConv1D"}, depthwiseConvN<1>},
    {{"DepthwiseConv2D"}, depthwiseConvN<2>},
    {{"SeparableConv1D", "SeparableConvolution1D"}, separableConvN<1>},
    {{"SeparableConv2D", "SeparableConvolution2D"}, separableConvN<2>},
    {{"MaxPooling1D", "AveragePooling1D", "MaxPool1D", "AvgPool1D"}, poolingN<1>},
    {{"MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D"}, poolingN<2>},
    {{"MaxPooling3D", "AveragePooling3D", "MaxPool3D", "AvgPool3D"}, poolingN<3>},
    {{"GlobalMaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPool1D", "GlobalAvgPool1D"},
     globalPoolingN<1>},
    {{"GlobalMaxPooling2D", "GlobalAveragePooling2D", "GlobalMaxPool2D", "GlobalAvgPool2D"},
     globalPoolingN<2>},
    {{"GlobalMaxPooling3D", "GlobalAveragePooling3D", "GlobalMaxPool3D", "GlobalAvgPool3D"},
     globalPoolingN<3>},
    {{"ZeroPadding1D"}, zeroPaddingN<1>},
    {{"ZeroPadding2D"}, zeroPaddingN<2>},
    {{"ZeroPadding3D"}, zeroPaddingN<3>},
    {{"Cropping1D"}, croppingN<1>},
    {{"Cropping2D"}, croppingN<2>},
    {{"Cropping3D"}, croppingN<3>},
    {{"UpSampling1D"}, upSamplingN<1>},
    {{"UpSampling2D"}, upSamplingN<2>},
    {{"UpSampling3D"}, upSamplingN<3>},
    {{"BatchNormalization", "BatchNormalizationV1", "BatchNormalizationV2",
      "SyncBatchNormalization"},
     batchNorm},
    {{"LayerNormalization"}, layerNorm},
    {{"GroupNormalization"}, groupNorm},
    {{"Normalization"}, normalization},
    {{"PReLU"}, prelu},
    {{"SimpleRNN"}, simpleRnn},
    {{"GRU", "UnifiedGRU", "GRUV2"}, gru},
    {{"LSTM", "UnifiedLSTM", "LSTMV2"}, lstm},
    {{"CuDNNGRU"}, cudnnGru},
    {{"CuDNNLSTM"}, cudnnLstm},
    {{"RNN"}, genericRnn},
    {{"ConvLSTM1D"}, convLstmN<1>},
    {{"ConvLSTM2D"}, convLstmN<2>},
    {{"ConvLSTM3D"}, convLstmN<3>},
    {{"Bidirectional"}, bidirectional},
    {{"TimeDistributed"}, timeDistributed},
    {{"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}, elementwiseMerge},
    {{"Concatenate"}, concatenate},
    {{"Dot"}, dot},
    {{"Resizing", "CenterCrop", "RandomCrop"}, resizeLike},
    {{"RandomHeight"}, randomHeight},
    {{"RandomWidth"}, randomWidth},
    {{"CategoryEncoding"}, categoryEncoding},
    {{"Attention"}, attention},
    {{"AdditiveAttention"}, additiveAttention},
};

const std::unordered_map<std::string_view, Handler>& layerHandlers() {
  static const std::unordered_map<std::string_view, Handler> table = [] {
    std::unordered_map<std::string_view, Handler> m;
    for (const LayerFamily& f : kLayerTable) {
      for (std::string_view name : f.classNames) m.emplace(name, f.handler);
    }
    return m;
  }();
  return table;
}

Eval evalLayer(const std::string& className, const Json& cfg, const Inputs& in) {
  // Wrappers recurse through here; a hostile config must not exhaust the stack.
  thread_local int depth = 0;
  struct Guard {
    Guard() { ++depth; }
    ~Guard() { --depth; }
  } guard;
  const auto& table = layerHandlers();
  auto it = table.find(className);
  if (it == table.end() || depth > 16) {
    Eval e = single(std::nullopt, std::nullopt);
    e.note = it == table.end() ? "unknown class" : "wrappers nested too deeply";
    return e;
  }
  return it->second(cfg, in);
}

bool isModelClass(const std::string& cls) {
  return topology::isModelClass(cls);
}

// A layer entry that is itself a model: a model class, or any class whose config has the
// functional layout (Keras applications subclass Functional under their own name).
bool isModelEntry(const Json& entry) {
  const std::string cls = stringOr(entry, "class_name");
  if (isModelClass(cls)) return true;
  const Json* cfg = field(entry, "config");
  return cfg && cfg->is_object() && cfg->contains("layers") && (*cfg)["layers"].is_array() &&
         cfg->contains("input_layers");
}

// ---------------------------------------------------------------------------------------------
// Manifest cross-check

class Manifest {
 public:
  explicit Manifest(const ModelArtifacts& a) {
    for (const WeightSpec* w : a.weightSpecs()) {
      if (w->group && *w->group == "optimizer") continue;
      if (w->name.rfind("optimizer/", 0) == 0 || w->name.rfind("training/", 0) == 0) continue;
      Entry e;
      e.name = w->name;
      size_t start = 0;
      while (true) {
        const size_t slash = w->name.find('/', start);
        e.segments.push_back(w->name.substr(start, slash - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
      }
      uint64_t n = 1;
      for (int64_t d : w->shape) n = satMul(n, d < 0 ? 0 : static_cast<uint64_t>(d));
      e.elements = n;
      const std::string& last = e.segments.back();
      e.nonTrainable = last.find("moving_mean") != std::string::npos ||
                       last.find("moving_variance") != std::string::npos;
      entries_.push_back(std::move(e));
    }
  }

  // The weights of layer `layer`: names "layer/..." or "<enclosing model>/.../layer/...".
  struct Match {
    size_t weights = 0;
    Params params;
  };
  Match match(const std::string& layer, const std::set<std::string>& enclosing) {
    Match m;
    for (Entry& e : entries_) {
      if (!belongs(e, layer, enclosing)) continue;
      e.claimed = true;
      ++m.weights;
      (e.nonTrainable ? m.params.nonTrainable : m.params.trainable) += e.elements;
    }
    return m;
  }

  bool anyClaimed() const {
    return std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.claimed; });
  }
  std::vector<std::string> unclaimed() const {
    std::vector<std::string> out;
    for (const Entry& e : entries_) {
      if (!e.claimed) out.push_back(e.name);
    }
    return out;
  }

 private:
  struct Entry {
    std::string name;
    std::vector<std::string> segments;
    uint64_t elements = 0;
    bool nonTrainable = false;
    bool claimed = false;
  };

  static bool belongs(const Entry& e, const std::string& layer,
                      const std::set<std::string>& enclosing) {
    if (layer.empty()) return false;
    if (layer.find('/') != std::string::npos) return e.name.rfind(layer + "/", 0) == 0;
    for (size_t i = 0; i + 1 < e.segments.size(); ++i) {
      if (e.segments[i] == layer) return true;
      if (enclosing.count(e.segments[i]) == 0) return false;
    }
    return false;
  }

  std::vector<Entry> entries_;
};

// ---------------------------------------------------------------------------------------------
// Walking models

struct TensorRef {
  std::string layer;
  int64_t node = 0;
  int64_t tensor = 0;
  Shape recorded;  // Keras 3 records each input tensor's shape in the node
};

// Parses one [name, node, tensor(, kwargs)] reference.
std::optional<TensorRef> parseRef(const Json& j) {
  if (!j.is_array() || j.empty() || !j[0].is_string()) return std::nullopt;
  TensorRef r;
  r.layer = j[0].get<std::string>();
  if (j.size() > 1) r.node = asInt(j[1]).value_or(0);
  if (j.size() > 2) r.tensor = asInt(j[2]).value_or(0);
  return r;
}

// Keras 3: every {"class_name": "__keras_tensor__", ...} inside `j`, in order.
void collectKerasTensors(const Json& j, std::vector<TensorRef>& out, int depth = 0) {
  if (depth > 32) return;
  if (j.is_array()) {
    for (const Json& e : j) collectKerasTensors(e, out, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  if (stringOr(j, "class_name") == "__keras_tensor__") {
    const Json* cfg = field(j, "config");
    const Json* history = cfg ? field(*cfg, "keras_history") : nullptr;
    if (history) {
      if (auto r = parseRef(*history)) {
        r->recorded = shapeFromJson(field(*cfg, "shape"));
        out.push_back(std::move(*r));
      }
    }
    return;
  }
  for (const auto& [key, value] : j.items()) collectKerasTensors(value, out, depth + 1);
}

struct InboundNode {
  std::vector<TensorRef> inputs;       // the call's positional tensors
  std::vector<TensorRef> connections;  // every tensor it consumes (inputs, then keyword ones)
};

std::vector<InboundNode> parseInboundNodes(const Json& entry) {
  std::vector<InboundNode> nodes;
  const Json* list = field(entry, "inbound_nodes");
  if (!list || !list->is_array()) return nodes;
  for (const Json& node : *list) {
    InboundNode n;
    if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
      if (const Json* args = field(node, "args")) collectKerasTensors(*args, n.inputs);
      n.connections = n.inputs;
      if (const Json* kwargs = field(node, "kwargs")) collectKerasTensors(*kwargs, n.connections);
    } else if (node.is_array()) {
      if (!node.empty() && node[0].is_string()) {  // a single unwrapped reference
        if (auto r = parseRef(node)) n.inputs.push_back(std::move(*r));
      } else {
        for (const Json& ref : node) {
          if (auto r = parseRef(ref)) n.inputs.push_back(std::move(*r));
        }
      }
      n.connections = n.inputs;
    }
    nodes.push_back(std::move(n));
  }
  return nodes;
}

// input_layers / output_layers: a list of triples, one flat triple, or a dict of triples.
std::vector<TensorRef> parseEndpoints(const Json* j) {
  std::vector<TensorRef> out;
  if (!j) return out;
  if (auto single = parseRef(*j)) {
    out.push_back(std::move(*single));
    return out;
  }
  if (j->is_array() || j->is_object()) {
    for (const auto& [key, value] : j->items()) {
      if (auto r = parseRef(value)) out.push_back(std::move(*r));
    }
  }
  return out;
}

std::string layerName(const Json& entry) {
  std::string name = stringOr(entry, "name");
  if (name.empty()) {
    if (const Json* cfg = field(entry, "config")) name = stringOr(*cfg, "name");
  }
  return name;
}

struct ModelResult {
  std::string name;
  std::string className;
  bool sequentialLike = true;
  std::vector<LayerSummary> rows;
  std::vector<Shape> inputs;
  std::vector<Shape> outputs;
  Params params;
  bool paramsKnown = true;
};

// The result of evaluating one layer at one call.
struct LayerResult {
  LayerSummary row;
  std::vector<Shape> outputs;
  std::vector<Shape> modelInputs;  // for a nested model: its own input shapes
};

class Walker {
 public:
  explicit Walker(const ModelArtifacts& a) : manifest_(a) {}

  ModelResult model(const Json& entry, const Inputs* callInputs, std::vector<std::string> path);

  void finish(std::vector<std::string>& notes) {
    if (manifest_.anyClaimed()) {
      for (std::string& n : pendingMissing_) notes_.push_back(std::move(n));
      const auto rest = manifest_.unclaimed();
      if (!rest.empty()) {
        std::string list;
        for (size_t i = 0; i < rest.size() && i < 5; ++i) list += (i ? ", " : "") + rest[i];
        if (rest.size() > 5) list += ", ...";
        notes_.push_back(
            fmt::format("{} manifest weight(s) belong to no layer: {}", rest.size(), list));
      }
    }
    notes = std::move(notes_);
  }

 private:
  ModelResult sequential(const Json& cfg, const Inputs* callInputs, std::vector<std::string> path);
  ModelResult functional(const Json& cfg, const Inputs* callInputs, std::vector<std::string> path);
  LayerResult layer(const Json& entry, const Inputs& inputs, const std::vector<std::string>& path,
                    bool primary);

  void note(std::string text) {
    if (quiet_ == 0) notes_.push_back(std::move(text));
  }
  static std::string qualified(const std::vector<std::string>& path, const std::string& name) {
    std::string q;
    for (size_t i = 1; i < path.size(); ++i) q += path[i] + "/";  // path[0] is the top model
    return q + name;
  }

  Manifest manifest_;
  std::vector<std::string> notes_;
  std::vector<std::string> pendingMissing_;  // reported only if the manifest's naming matched
  int quiet_ = 0;                            // > 0 while re-evaluating a layer's later calls
  int depth_ = 0;
};

ModelResult Walker::model(const Json& entry, const Inputs* callInputs,
                          std::vector<std::string> path) {
  ModelResult r;
  r.className = stringOr(entry, "class_name");
  const Json* cfg = entry.is_object() && entry.contains("config") ? &entry["config"] : nullptr;
  if (depth_ > 32 || !cfg) {
    r.paramsKnown = false;
    r.outputs = {std::nullopt};
    return r;
  }
  ++depth_;
  const bool isSequential =
      cfg->is_array() || r.className == "Sequential" ||
      (!isModelClass(r.className) && cfg->is_object() && !cfg->contains("input_layers"));
  const std::string className = r.className;
  r = isSequential ? sequential(*cfg, callInputs, std::move(path))
                   : functional(*cfg, callInputs, std::move(path));
  r.className = className;
  --depth_;
  return r;
}

LayerResult Walker::layer(const Json& entry, const Inputs& inputs,
                          const std::vector<std::string>& path, bool primary) {
  LayerResult lr;
  LayerSummary& row = lr.row;
  row.name = layerName(entry);
  row.className = stringOr(entry, "class_name", "?");
  const Json* cfgPtr = field(entry, "config");
  static const Json kEmpty = Json::object();
  const Json& cfg = cfgPtr ? *cfgPtr : kEmpty;
  const std::string who = fmt::format("layer '{}' ({})", qualified(path, row.name), row.className);

  if (isModelEntry(entry)) {
    std::vector<std::string> inner = path;
    inner.push_back(row.name);
    ModelResult m = model(entry, &inputs, inner);
    lr.outputs = m.outputs;
    lr.modelInputs = m.inputs;
    Params p = withTrainable(m.params, cfg);
    row.params = p.total();
    row.trainableParams = p.trainable;
    row.nonTrainableParams = p.nonTrainable;
    row.paramsKnown = m.paramsKnown;
  } else if (const Json* td = row.className == "TimeDistributed" ? field(cfg, "layer") : nullptr;
             td != nullptr && isModelEntry(*td)) {
    // TimeDistributed over a nested model: the model on one time step, the time axis put back.
    const Shape x = inputs.empty() ? Shape() : inputs[0];
    Shape step;
    if (x && x->size() >= 2) {
      Dims d{(*x)[0]};
      d.insert(d.end(), x->begin() + 2, x->end());
      step = d;
    }
    std::vector<std::string> inner = path;
    inner.push_back(layerName(*td));
    const Inputs stepInputs{step};
    ModelResult m = model(*td, &stepInputs, inner);
    for (Shape y : m.outputs) {
      if (y && x && x->size() >= 2 && !y->empty()) {
        y->insert(y->begin() + 1, (*x)[1]);
        (*y)[0] = (*x)[0];
      } else {
        y.reset();
      }
      lr.outputs.push_back(y);
    }
    Params p = withTrainable(m.params, cfg);
    row.params = p.total();
    row.trainableParams = p.trainable;
    row.nonTrainableParams = p.nonTrainable;
    row.paramsKnown = m.paramsKnown;
  } else if (row.className == "InputLayer") {
    Shape s = declaredInputShape(cfg);
    if (!s && !inputs.empty()) s = inputs[0];
    lr.outputs = {s};
  } else {
    Eval e = evalLayer(row.className, cfg, inputs);
    lr.outputs = e.outputs;
    if (lr.outputs.empty()) lr.outputs.push_back(std::nullopt);
    std::optional<Params> p = e.params;
    if (primary) {
      const std::set<std::string> enclosing(path.begin(), path.end());
      const Manifest::Match m = manifest_.match(row.name, enclosing);
      if (!p) {
        row.paramsKnown = false;
        p = m.params;
        note(fmt::format("{}: {}; output shape {}, {} params taken from the manifest", who,
                         e.note.empty() ? "parameters not derivable from the config" : e.note,
                         shapeString(lr.outputs[0]), p->total()));
      } else {
        if (!e.note.empty()) note(fmt::format("{}: {}", who, e.note));
        if (m.weights > 0 && m.params.total() != p->total()) {
          note(fmt::format("{}: the config gives {} params but the manifest holds {}", who,
                           p->total(), m.params.total()));
        } else if (m.weights == 0 && p->total() > 0 && quiet_ == 0) {
          pendingMissing_.push_back(
              fmt::format("{}: the config gives {} params but the manifest has no weights named "
                          "'{}/...'",
                          who, p->total(), row.name));
        }
      }
      p = withTrainable(*p, cfg);
    }
    if (p) {
      row.params = p->total();
      row.trainableParams = p->trainable;
      row.nonTrainableParams = p->nonTrainable;
    }
  }
  for (const Shape& s : lr.outputs) row.outputShapes.push_back(shapeString(s));
  return lr;
}

ModelResult Walker::sequential(const Json& cfg, const Inputs* callInputs,
                               std::vector<std::string> path) {
  ModelResult r;
  const Json* layers = cfg.is_array() ? &cfg : field(cfg, "layers");
  r.name = cfg.is_object() ? stringOr(cfg, "name", "sequential") : "sequential";
  if (path.empty()) path.push_back(r.name);
  if (!layers || !layers->is_array()) {
    note(fmt::format("model '{}': Sequential config without a layer list", r.name));
    r.paramsKnown = false;
    r.outputs = {std::nullopt};
    return r;
  }

  // The input shape: an explicit InputLayer, or the first layer's own batch_input_shape, else
  // the shape the model is called on, else what Keras 3 / tf.keras 2.13+ recorded at build time.
  Shape current;
  size_t first = 0;
  if (!layers->empty()) {
    const Json& head = (*layers)[0];
    const Json* headCfg = field(head, "config");
    if (stringOr(head, "class_name") == "InputLayer") {
      first = 1;
      if (headCfg) current = declaredInputShape(*headCfg);
    } else if (headCfg && !isModelEntry(head)) {
      current = declaredInputShape(*headCfg);
      if (!current && stringOr(head, "class_name") == "Dense") {
        if (const Json* d = field(*headCfg, "input_dim")) {
          if (auto v = asInt(*d)) current = Dims{kNone, *v};
        }
      }
    }
    if (!current && callInputs && !callInputs->empty()) current = (*callInputs)[0];
    if (!current) current = shapeFromJson(field(cfg, "build_input_shape"));
    if (!current && headCfg && !isModelEntry(head)) {
      if (const Json* build = field(head, "build_config")) {
        current = shapeFromJson(field(*build, "input_shape"));
      }
    }
  }
  r.inputs = {current};
  for (size_t i = first; i < layers->size(); ++i) {
    const Json& entry = (*layers)[i];
    if (stringOr(entry, "class_name") == "InputLayer") continue;  // Keras hides it
    LayerResult lr = layer(entry, {current}, path, true);
    if (i == first && !r.inputs[0] && !lr.modelInputs.empty()) {
      r.inputs = {lr.modelInputs[0]};  // a nested model as first layer brings its input shape
    }
    current = lr.outputs.empty() ? std::nullopt : lr.outputs[0];
    r.params += Params{lr.row.trainableParams, lr.row.nonTrainableParams};
    r.paramsKnown = r.paramsKnown && lr.row.paramsKnown;
    r.rows.push_back(std::move(lr.row));
  }
  r.outputs = {current};
  return r;
}

ModelResult Walker::functional(const Json& cfg, const Inputs* callInputs,
                               std::vector<std::string> path) {
  ModelResult r;
  r.name = stringOr(cfg, "name", "model");
  if (path.empty()) path.push_back(r.name);
  const Json* layers = field(cfg, "layers");
  if (!layers || !layers->is_array()) {
    note(fmt::format("model '{}': functional config without a layer list", r.name));
    r.paramsKnown = false;
    r.outputs = {std::nullopt};
    return r;
  }

  struct Layer {
    const Json* entry = nullptr;
    std::string name;
    std::string className;
    bool isInput = false;
    // A nested model built on its own input owns node 0 (its internal call): references to its
    // k-th call here say node k + 1, as in Keras and tfjs-layers (topology::hasOwnInput).
    int64_t nodeOffset = 0;
    std::vector<InboundNode> nodes;
    std::vector<std::optional<std::vector<Shape>>> outputs;  // per node, once evaluated
    std::optional<LayerSummary> row;
  };
  std::vector<Layer> all;
  std::unordered_map<std::string, size_t> byName;
  for (const Json& entry : *layers) {
    Layer l;
    l.entry = &entry;
    l.name = layerName(entry);
    l.className = stringOr(entry, "class_name", "?");
    l.isInput = l.className == "InputLayer";
    if (isModelClass(l.className) && field(entry, "config")) {
      topology::LayerDesc d;
      d.className = l.className;
      d.config = *field(entry, "config");
      if (topology::hasOwnInput(d)) l.nodeOffset = 1;
    }
    l.nodes = parseInboundNodes(entry);
    if (l.isInput) l.nodes.assign(1, InboundNode{});  // an input has its one creating node
    l.outputs.resize(l.nodes.size());
    byName.emplace(l.name, all.size());
    all.push_back(std::move(l));
  }

  const std::vector<TensorRef> inputRefs = parseEndpoints(field(cfg, "input_layers"));
  const std::vector<TensorRef> outputRefs = parseEndpoints(field(cfg, "output_layers"));

  // Looks up the shape of a referenced tensor; nullopt inside when not yet available.
  auto lookup = [&](const TensorRef& ref, bool& ready) -> Shape {
    auto it = byName.find(ref.layer);
    if (it == byName.end()) return ref.recorded;
    const Layer& p = all[it->second];
    const int64_t node = ref.node - p.nodeOffset;
    if (node < 0 || static_cast<size_t>(node) >= p.outputs.size()) return ref.recorded;
    const auto& out = p.outputs[static_cast<size_t>(node)];
    if (!out) {
      ready = false;
      return std::nullopt;
    }
    if (ref.tensor < 0 || static_cast<size_t>(ref.tensor) >= out->size()) return ref.recorded;
    const Shape& s = (*out)[static_cast<size_t>(ref.tensor)];
    return s ? s : ref.recorded;
  };

  // Call shapes for nested functional inputs: the k-th input layer gets the k-th call input.
  std::map<std::string, Shape> callShapes;
  if (callInputs) {
    for (size_t k = 0; k < inputRefs.size() && k < callInputs->size(); ++k) {
      callShapes[inputRefs[k].layer] = (*callInputs)[k];
    }
  }

  auto evaluate = [&](Layer& l, size_t k) {
    Inputs in;
    for (const TensorRef& ref : l.nodes[k].inputs) {
      bool ready = true;
      in.push_back(lookup(ref, ready));
    }
    if (l.isInput) {
      auto c = callShapes.find(l.name);
      in = {c != callShapes.end() ? c->second : std::nullopt};
    }
    const bool primary = !l.row.has_value();
    if (!primary) ++quiet_;
    LayerResult lr = layer(*l.entry, in, path, primary);
    if (!primary) --quiet_;
    l.outputs[k] = lr.outputs;
    if (primary) l.row = std::move(lr.row);
  };

  // Evaluate nodes as their inputs become available; when stuck, force the first pending one.
  bool pending = true;
  while (pending) {
    bool progress = false;
    pending = false;
    for (Layer& l : all) {
      for (size_t k = 0; k < l.nodes.size(); ++k) {
        if (l.outputs[k]) continue;
        bool ready = true;
        for (const TensorRef& ref : l.nodes[k].inputs) lookup(ref, ready);
        if (ready) {
          evaluate(l, k);
          progress = true;
        } else {
          pending = true;
        }
      }
    }
    if (pending && !progress) {
      for (Layer& l : all) {
        auto it = std::find_if(l.outputs.begin(), l.outputs.end(),
                               [](const auto& o) { return !o.has_value(); });
        if (it == l.outputs.end()) continue;
        const size_t k = static_cast<size_t>(it - l.outputs.begin());
        note(fmt::format("layer '{}': inbound node {} refers to tensors that are never produced",
                         qualified(path, l.name), k));
        evaluate(l, k);
        break;
      }
    }
  }

  for (Layer& l : all) {
    if (!l.row) {  // a layer that is never called: parameters only
      LayerResult lr = layer(*l.entry, {}, path, true);
      l.row = std::move(lr.row);
      l.row->outputShapes = {"?"};
    } else if (l.nodes.size() > 1) {  // shared layer: one shape if all calls agree
      std::set<std::vector<std::string>> distinct;
      for (const auto& o : l.outputs) {
        std::vector<std::string> s;
        for (const Shape& t : *o) s.push_back(shapeString(t));
        distinct.insert(s);
      }
      if (distinct.size() > 1) l.row->outputShapes = {"multiple"};
    }
    for (const InboundNode& n : l.nodes) {
      for (const TensorRef& ref : n.connections) {
        l.row->connectedTo.push_back(fmt::format("{}[{}][{}]", ref.layer, ref.node, ref.tensor));
      }
    }
    r.params += Params{l.row->trainableParams, l.row->nonTrainableParams};
    r.paramsKnown = r.paramsKnown && l.row->paramsKnown;
    r.rows.push_back(std::move(*l.row));
  }

  auto endpointShape = [&](const TensorRef& ref) {
    bool ready = true;
    Shape s = lookup(ref, ready);
    return ready ? s : std::nullopt;
  };
  for (const TensorRef& ref : inputRefs) r.inputs.push_back(endpointShape(ref));
  for (const TensorRef& ref : outputRefs) r.outputs.push_back(endpointShape(ref));
  if (outputRefs.empty()) r.outputs = {std::nullopt};

  // Keras 2 prints a functional model without the "Connected to" column when its graph is a
  // chain: one node per depth, no node with several inbound tensors, no shared layer.
  std::map<std::pair<size_t, int64_t>, size_t> depth;  // (layer, node) -> depth from outputs
  std::vector<std::pair<std::pair<size_t, int64_t>, size_t>> work;
  for (const TensorRef& ref : outputRefs) {
    auto it = byName.find(ref.layer);
    if (it != byName.end())
      work.push_back({{it->second, ref.node - all[it->second].nodeOffset}, 0});
  }
  size_t steps = 0;
  const size_t maxSteps = 64 * (all.size() + 1) * (all.size() + 1);
  while (!work.empty() && ++steps < maxSteps) {
    auto [key, d] = work.back();
    work.pop_back();
    auto [it, inserted] = depth.emplace(key, d);
    if (!inserted) {
      if (it->second >= d) continue;
      it->second = d;
    }
    const Layer& l = all[key.first];
    if (key.second < 0 || static_cast<size_t>(key.second) >= l.nodes.size()) continue;
    for (const TensorRef& ref : l.nodes[static_cast<size_t>(key.second)].inputs) {
      auto p = byName.find(ref.layer);
      if (p != byName.end())
        work.push_back({{p->second, ref.node - all[p->second].nodeOffset}, d + 1});
    }
  }
  std::map<size_t, int> perDepth;
  std::map<size_t, int> perLayer;
  for (const auto& [key, d] : depth) {
    ++perDepth[d];
    ++perLayer[key.first];
    const Layer& l = all[key.first];
    if (key.second >= 0 && static_cast<size_t>(key.second) < l.nodes.size() &&
        l.nodes[static_cast<size_t>(key.second)].inputs.size() > 1) {
      r.sequentialLike = false;
    }
  }
  for (const auto& [d, n] : perDepth) {
    if (n > 1) r.sequentialLike = false;
  }
  for (const auto& [l, n] : perLayer) {
    if (n > 1) r.sequentialLike = false;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Formatting

std::string withCommas(uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string outputShapeField(const LayerSummary& l) {
  if (l.outputShapes.empty()) return "?";
  if (l.outputShapes.size() == 1 && l.className != "InputLayer") return l.outputShapes[0];
  if (l.outputShapes.size() == 1 && (l.outputShapes[0] == "?" || l.outputShapes[0] == "multiple")) {
    return l.outputShapes[0];
  }
  std::string s = "[";
  for (size_t i = 0; i < l.outputShapes.size(); ++i) s += (i ? ", " : "") + l.outputShapes[i];
  return s + "]";
}

// Keras's print_row: each field is cut at its column's end and padded to it; a field that
// reaches its column's end loses its last character to a separating space.
std::string row(const std::vector<std::string>& fields, const std::vector<size_t>& positions) {
  std::string line;
  for (size_t i = 0; i < fields.size() && i < positions.size(); ++i) {
    if (i > 0 && !line.empty()) line.back() = ' ';
    line += fields[i];
    if (line.size() > positions[i]) line.resize(positions[i]);
    line.append(positions[i] - line.size(), ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// --- Graph models -------------------------------------------------------------------------------

std::string tensorShapeString(const Json* shape) {
  if (!shape || !shape->is_object() || boolOr(*shape, "unknownRank", false)) return "?";
  std::string s = "[";
  if (const Json* dims = field(*shape, "dim"); dims && dims->is_array()) {
    for (size_t i = 0; i < dims->size(); ++i) {
      const Json* size = field((*dims)[i], "size");
      const int64_t v = size ? asInt(*size).value_or(-1) : 0;  // protobuf omits size 0
      s += (i ? "," : "") + std::to_string(v);
    }
  }
  return s + "]";
}

std::string attrType(const Json& node, std::initializer_list<const char*> keys) {
  const Json* attr = field(node, "attr");
  if (!attr) return {};
  for (const char* key : keys) {
    if (const Json* a = field(*attr, key)) {
      std::string t = stringOr(*a, "type");
      if (!t.empty()) return t;
    }
  }
  return {};
}

std::vector<GraphTensorInfo> signatureTensors(const Json* map) {
  std::vector<GraphTensorInfo> out;
  if (!map || !map->is_object()) return out;
  for (const auto& [key, value] : map->items()) {
    GraphTensorInfo t;
    t.name = key;
    t.tensor = stringOr(value, "name", key);
    t.dtype = stringOr(value, "dtype");
    t.shape = tensorShapeString(field(value, "tensorShape"));
    out.push_back(std::move(t));
  }
  return out;
}

std::string nodeOfInput(const std::string& input) {
  return input.substr(0, input.find(':'));
}

}  // namespace

ModelSummary summarizeLayersModel(const ModelArtifacts& artifacts) {
  const Json& config = artifacts.kerasModelConfig();
  const Json* body0 = field(config, "config");
  if (stringOr(config, "class_name").empty() || !body0 ||
      !(body0->is_object() || body0->is_array())) {
    throw Error(ErrorCode::kSchema,
                "the model topology is not a Keras model config ({class_name, config})");
  }
  const Json& body = *config.find("config");
  if (!isModelEntry(config) && !body.is_array() && !field(body, "layers")) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the model topology's class '{}' is not a Keras model",
                            stringOr(config, "class_name")));
  }

  Walker walker(artifacts);
  ModelResult m = walker.model(config, nullptr, {});
  ModelSummary s;
  s.name = m.name;
  s.className = m.className;
  s.functional = !(m.className == "Sequential" || body.is_array()) && !m.sequentialLike;
  for (LayerSummary& l : m.rows) {
    s.totalParams = satAdd(s.totalParams, l.params);
    s.trainableParams = satAdd(s.trainableParams, l.trainableParams);
    s.nonTrainableParams = satAdd(s.nonTrainableParams, l.nonTrainableParams);
  }
  s.layers = std::move(m.rows);
  for (const Shape& x : m.inputs) s.inputShapes.push_back(shapeString(x));
  for (const Shape& y : m.outputs) s.outputShapes.push_back(shapeString(y));
  walker.finish(s.notes);
  return s;
}

std::string formatSummary(const ModelSummary& summary, int width) {
  // tf.keras 2.x: 65 columns at [.45, .85, 1] for chains, 98 at [.33, .55, .67, 1] with the
  // "Connected to" column. `width` is the latter; chains get the same 65/98 of it.
  const bool connections = summary.functional;
  const int64_t clamped = std::clamp<int64_t>(width, 20, 4096);
  const size_t lineLength = static_cast<size_t>(connections ? clamped : clamped * 65 / 98);
  const std::vector<double> fractions =
      connections ? std::vector<double>{.33, .55, .67, 1.} : std::vector<double>{.45, .85, 1.};
  std::vector<size_t> positions;
  for (double f : fractions) positions.push_back(static_cast<size_t>(lineLength * f));

  std::vector<std::string> header = {"Layer (type)", "Output Shape", "Param #"};
  if (connections) header.push_back("Connected to");

  const std::string thin(lineLength, '_');
  const std::string thick(lineLength, '=');
  std::string out =
      fmt::format("Model: \"{}\"\n{}\n{}\n{}\n", summary.name, thin, row(header, positions), thick);
  for (size_t i = 0; i < summary.layers.size(); ++i) {
    const LayerSummary& l = summary.layers[i];
    const std::string indent(static_cast<size_t>(std::max(l.depth, 0)) * 2, ' ');
    std::vector<std::string> fields = {fmt::format("{}{} ({})", indent, l.name, l.className),
                                       outputShapeField(l), std::to_string(l.params)};
    if (connections) fields.push_back(l.connectedTo.empty() ? "" : l.connectedTo[0]);
    out += row(fields, positions) + "\n";
    for (size_t c = 1; connections && c < l.connectedTo.size(); ++c) {
      out += row({"", "", "", l.connectedTo[c]}, positions) + "\n";
    }
    out += (i + 1 == summary.layers.size() ? thick : thin) + "\n";
  }
  if (summary.layers.empty()) out += thick + "\n";
  out += fmt::format("Total params: {}\nTrainable params: {}\nNon-trainable params: {}\n{}\n",
                     withCommas(summary.totalParams), withCommas(summary.trainableParams),
                     withCommas(summary.nonTrainableParams), thin);
  return out;
}

GraphSummary summarizeGraphModel(const ModelArtifacts& artifacts) {
  const Json& graph = artifacts.modelTopology;
  if (!graph.is_object() ||
      !(graph.contains("node") || graph.contains("versions") || graph.contains("library"))) {
    throw Error(ErrorCode::kSchema, "the model topology is not a GraphDef (no node/versions)");
  }
  GraphSummary s;
  static const Json kNoNodes = Json::array();
  const Json* nodesPtr = field(graph, "node");
  const Json& nodes = nodesPtr && nodesPtr->is_array() ? *nodesPtr : kNoNodes;

  for (const Json& n : nodes) {
    const std::string op = stringOr(n, "op");
    if (!op.empty()) ++s.opCounts[op];
  }
  s.nodeCount = static_cast<int>(nodes.size());
  if (const Json* library = field(graph, "library")) {
    if (const Json* fns = field(*library, "function"); fns && fns->is_array()) {
      s.functionCount = static_cast<int>(fns->size());
      for (const Json& fn : *fns) {
        const Json* defs = field(fn, "nodeDef");
        if (!defs || !defs->is_array()) continue;
        for (const Json& n : *defs) {
          const std::string op = stringOr(n, "op");
          if (!op.empty()) ++s.opCounts[op];
        }
      }
    }
  }
  if (const Json* versions = field(graph, "versions")) {
    if (const Json* p = field(*versions, "producer")) {
      if (auto v = asInt(*p)) s.producer = std::to_string(*v);
    }
  }
  if (const Json* init = field(artifacts.modelInitializer, "node"); init && init->is_array()) {
    s.initializerNodeCount = static_cast<int>(init->size());
  }

  // The signature as TF.js uses it: userDefinedMetadata.signature overrides the top-level one.
  const Json* signature = field(artifacts.userDefinedMetadata, "signature");
  if (!signature || !signature->is_object()) {
    signature = artifacts.signature.is_object() ? &artifacts.signature : nullptr;
  }
  s.inputs = signature ? signatureTensors(field(*signature, "inputs")) : s.inputs;
  s.outputs = signature ? signatureTensors(field(*signature, "outputs")) : s.outputs;

  // Output dtype of a node, from the attrs that name it (output_type/out_type/DstT/dtype/T).
  auto nodeInfo = [](const Json& n) {
    GraphTensorInfo t;
    t.name = stringOr(n, "name");
    t.tensor = t.name + ":0";
    t.dtype = attrType(n, {"output_type", "out_type", "DstT", "dtype", "T"});
    const Json* attr = field(n, "attr");
    const Json* shape = attr ? field(*attr, "shape") : nullptr;
    t.shape = tensorShapeString(shape ? field(*shape, "shape") : nullptr);
    return t;
  };
  if (s.inputs.empty()) {
    for (const Json& n : nodes) {
      if (stringOr(n, "op").rfind("Placeholder", 0) == 0) s.inputs.push_back(nodeInfo(n));
    }
  }
  if (s.outputs.empty()) {
    std::set<std::string> consumed;
    for (const Json& n : nodes) {
      const Json* inputs = field(n, "input");
      if (!inputs || !inputs->is_array()) continue;
      for (const Json& i : *inputs) {
        if (!i.is_string()) continue;
        // As TF.js's operation mapper: "^x" (a control input) makes x a parent too.
        const std::string& name = i.get_ref<const std::string&>();
        consumed.insert(nodeOfInput(!name.empty() && name[0] == '^' ? name.substr(1) : name));
      }
    }
    for (const Json& n : nodes) {
      if (consumed.count(stringOr(n, "name")) == 0) s.outputs.push_back(nodeInfo(n));
    }
  }
  return s;
}

}  // namespace tfjs
