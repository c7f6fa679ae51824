// model/summary_util.h — the summary's shape arithmetic and tolerant config getters, shared by the
// per-class rules (summary_rules.cpp) and the model walk (summary.cpp). Internal header.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/summary.h"

namespace tfjs::summary_detail {

// ---------------------------------------------------------------------------------------------
// Shapes

inline constexpr int64_t kNone = -1;  // an unknown ("None") dimension
using Dims = std::vector<int64_t>;
using Shape = std::optional<Dims>;  // nullopt: not even the rank is known
using Inputs = std::vector<Shape>;

// Arithmetic on dimensions: an unknown operand or an overflow gives an unknown dimension.
inline int64_t dimMul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return kNone;
  return r;
}
inline int64_t dimAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) return kNone;
  return r;
}
inline int64_t dimSub(int64_t a, int64_t b) {  // a - b, never below zero
  if (a < 0 || b < 0) return kNone;
  return a >= b ? a - b : 0;
}
inline int64_t dimProduct(const Dims& d, size_t from = 0) {
  int64_t p = 1;
  for (size_t i = from; i < d.size(); ++i) p = dimMul(p, d[i]);
  return p;
}

// Python's repr of a shape tuple: "(None, 28, 28, 32)", "(None,)", "()".
inline std::string tupleString(const Dims& d) {
  std::string s = "(";
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0) s += ", ";
    s += d[i] < 0 ? std::string("None") : std::to_string(d[i]);
  }
  if (d.size() == 1) s += ",";
  return s + ")";
}
inline std::string shapeString(const Shape& s) {
  return s ? tupleString(*s) : std::string("?");
}

// Normalizes a possibly negative axis; nullopt when out of range.
inline std::optional<size_t> normAxis(int64_t axis, size_t rank) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) return std::nullopt;
  return static_cast<size_t>(axis < 0 ? axis + r : axis);
}

// ---------------------------------------------------------------------------------------------
// Reading config values. Configs are untrusted: every accessor checks types and falls back.

inline const Json* field(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

inline std::optional<int64_t> asInt(const Json& j) {
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

inline int64_t intOr(const Json& cfg, std::string_view key, int64_t def) {
  const Json* j = field(cfg, key);
  if (!j) return def;
  if (j->is_array() && j->size() == 1) j = &(*j)[0];  // tfjs writes some scalars as [n]
  return asInt(*j).value_or(def);
}

inline bool boolOr(const Json& cfg, std::string_view key, bool def) {
  const Json* j = field(cfg, key);
  return j && j->is_boolean() ? j->get<bool>() : def;
}

// A string option, lower-cased with '_' removed, so that "channels_first", "channelsFirst" and
// "CHANNELS_FIRST" compare equal.
inline std::string optionOr(const Json& cfg, std::string_view key, std::string_view def) {
  const Json* j = field(cfg, key);
  std::string s = j && j->is_string() ? j->get<std::string>() : std::string(def);
  std::string out;
  for (char c : s) {
    if (c == '_') continue;
    out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  }
  return out;
}

inline bool channelsFirst(const Json& cfg) {
  return optionOr(cfg, "data_format", "channels_last") == "channelsfirst";
}

// An int-or-tuple option of `rank` entries ("kernel_size": 3 or [3, 3]); nullopt if malformed.
inline std::optional<Dims> tupleOr(const Json& cfg, std::string_view key, size_t rank,
                                   int64_t def) {
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
inline std::optional<std::vector<int64_t>> intList(const Json& j) {
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
inline Shape shapeFromJson(const Json* j) {
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

inline std::string stringOr(const Json& obj, std::string_view key, std::string def = {}) {
  const Json* j = field(obj, key);
  return j && j->is_string() ? j->get<std::string>() : def;
}

// The input shape a layer config declares for itself, batch dimension included: InputLayer's
// batch_input_shape (Keras 2, tfjs) or batch_shape (Keras 3), a first Sequential layer's
// batch_input_shape / input_shape, and the camelCase spellings of hand-edited files.
inline Shape declaredInputShape(const Json& cfg) {
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
inline uint64_t satMul(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_mul_overflow(a, b, &r) ? std::numeric_limits<uint64_t>::max() : r;
}
inline uint64_t satAdd(uint64_t a, uint64_t b) {
  uint64_t r = 0;
  return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<uint64_t>::max() : r;
}
// Product of dimensions as a count; nullopt if one is unknown.
inline std::optional<uint64_t> elementCount(std::initializer_list<int64_t> dims) {
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

inline Params trainableOnly(uint64_t n) {
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

// TimeDistributed: the shape of one time step of x ([batch, time, ...] -> [batch, ...]), and a
// step's output with x's batch and time axes put back; unknown when x has no time axis.
inline Shape timeStep(const Shape& x) {
  if (!x || x->size() < 2) return std::nullopt;
  Dims d{(*x)[0]};
  d.insert(d.end(), x->begin() + 2, x->end());
  return d;
}
inline Shape withTimeAxis(Shape y, const Shape& x) {
  if (!y || !x || x->size() < 2 || y->empty()) return std::nullopt;
  y->insert(y->begin() + 1, (*x)[1]);
  (*y)[0] = (*x)[0];
  return y;
}

// summary_rules.cpp: the output shapes and parameters of one layer class from its config and
// input shapes (the class table), and the rules the model walk shares with it.
Eval evalLayer(const std::string& className, const Json& cfg, const Inputs& in);

// summarizeLayersModel(); with rulesOnly, every layer is answered by the rules above, never by
// the runtime's layers (tests/summary_cases_test.cpp holds the rules to the same standard).
ModelSummary summarize(const ModelArtifacts& artifacts, bool rulesOnly);
Params withTrainable(Params p, const Json& cfg);  // all non-trainable when trainable = false
bool isModelClass(const std::string& cls);
bool isModelEntry(const Json& entry);
// summary_rules_rnn.cpp: the recurrent layers' rules.
Eval simpleRnn(const Json& cfg, const Inputs& in);
Eval gru(const Json& cfg, const Inputs& in);
Eval lstm(const Json& cfg, const Inputs& in);
Eval cudnnGru(const Json& cfg, const Inputs& in);
Eval cudnnLstm(const Json& cfg, const Inputs& in);
Eval genericRnn(const Json& cfg, const Inputs& in);

inline const Shape& firstInput(const Inputs& in) {
  static const Shape kUnknown;
  return in.empty() ? kUnknown : in[0];
}

inline Eval single(Shape out, std::optional<Params> params) {
  Eval e;
  e.outputs.push_back(std::move(out));
  e.params = params;
  return e;
}

}  // namespace tfjs::summary_detail
