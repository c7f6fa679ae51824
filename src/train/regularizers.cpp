// train/regularizers.cpp — see regularizers.h. TF.js: tfjs-layers regularizers.ts (L1L2.apply,
// getRegularizer), engine/topology.ts (addWeight, calculateLosses), engine/training.ts
// (makeTrainFunction). Keras: keras/regularizers.py (L1, L2, L1L2 and their string names).
#include "train/regularizers.h"

#include <fmt/format.h>

#include <cmath>
#include <iterator>
#include <set>

#include "tfjs/error.h"

namespace tfjs::train {
namespace {

// The config key of a variable's regularizer, from the variable's last name component.
std::string keyOf(const std::string& variable) {
  const std::string v = variable.substr(variable.rfind('/') + 1);
  if (v == "recurrent_kernel") return "recurrent_regularizer";
  if (v == "depthwise_kernel") return "depthwise_regularizer";
  if (v == "pointwise_kernel") return "pointwise_regularizer";
  return v + "_regularizer";  // kernel, bias, embeddings, gamma, beta, alpha
}

bool isNull(const Json& cfg, const std::string& key) {
  return !cfg.is_object() || !cfg.contains(key) || cfg[key].is_null();
}

// Every non-null key ending in `suffix` of a config, looking into wrapped layers and cells.
void keysEndingIn(const Json& cfg, const std::string& suffix, std::set<std::string>& out,
                  int depth = 0) {
  if (depth > 8 || !cfg.is_object()) return;
  for (const auto& [k, v] : cfg.items()) {
    if (k.size() > suffix.size() &&
        k.compare(k.size() - suffix.size(), suffix.size(), suffix) == 0 && !v.is_null()) {
      out.insert(k);
    }
  }
  for (const char* inner : {"cell", "layer", "forward_layer", "backward_layer"}) {
    const auto it = cfg.find(inner);
    if (it != cfg.end() && it->is_object()) {
      keysEndingIn(it->value("config", Json()), suffix, out, depth + 1);
    }
  }
  if (const auto cells = cfg.find("cells"); cells != cfg.end() && cells->is_array()) {
    for (const auto& c : *cells) keysEndingIn(c.value("config", Json()), suffix, out, depth + 1);
  }
}

double factor(const std::string& layer, const Json& cfg, const char* key, double def) {
  if (!cfg.is_object() || !cfg.contains(key) || cfg[key].is_null()) return def;
  const Json& v = cfg[key];
  if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("layer '{}': regularizer factor {} = {} is not a number >= 0", layer,
                            key, v.dump()));
  }
  return v.get<double>();
}

Regularizer parse(const std::string& layer, const std::string& key, const Json& spec) {
  if (spec.is_string()) {
    const std::string s = spec;
    if (s == "l1l2" || s == "L1L2") return {0.01, 0.01};  // TF.js's L1L2 defaults
    if (s == "l1" || s == "L1") return {0.01, 0};         // Keras's L1()
    if (s == "l2" || s == "L2") return {0, 0.01};         // Keras's L2()
  } else if (spec.is_object() && spec.contains("class_name") && spec["class_name"].is_string()) {
    const std::string cls = spec["class_name"];
    const Json cfg = spec.value("config", Json::object());
    if (cls == "L1L2") return {factor(layer, cfg, "l1", 0.01), factor(layer, cfg, "l2", 0.01)};
    if (cls == "L1") return {factor(layer, cfg, "l1", 0.01), 0};
    if (cls == "L2") return {0, factor(layer, cfg, "l2", 0.01)};
  }
  throw Error(ErrorCode::kUnsupported,
              fmt::format("layer '{}': {} {} is not a regularizer fit knows (L1L2, L1, L2, "
                          "\"l1l2\", \"l1\", \"l2\")",
                          layer, key, spec.dump()));
}

}  // namespace

double Regularizer::penalty(const float* w, size_t n) const {
  double a = 0, s = 0;
  for (size_t i = 0; i < n; ++i) {
    a += std::fabs(static_cast<double>(w[i]));
    s += static_cast<double>(w[i]) * w[i];
  }
  return l1 * a + l2 * s;
}

void Regularizer::addGradient(const float* w, float* g, size_t n, double scale) const {
  for (size_t i = 0; i < n; ++i) {
    const double sign = w[i] > 0 ? 1.0 : w[i] < 0 ? -1.0 : 0.0;
    g[i] = static_cast<float>(g[i] + scale * (l1 * sign + 2.0 * l2 * w[i]));
  }
}

std::optional<Regularizer> regularizerOf(const std::string& layer, const std::string& className,
                                         const Json& config, const std::string& variable) {
  if (!isNull(config, "activity_regularizer")) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("layer '{}' ({}) has an activity_regularizer: TF.js 4.22 cannot build "
                            "a model with one (\"Layer invocation in the presence of activity "
                            "regularizer(s) is not supported yet\"), so fit refuses it; remove it "
                            "to train",
                            layer, className));
  }
  static const std::set<std::string> ignoredByTfjs = {"SimpleRNN", "GRU",           "LSTM",
                                                      "RNN",       "Bidirectional", "ConvLSTM2D"};
  if (ignoredByTfjs.count(className)) {
    std::set<std::string> keys;
    keysEndingIn(config, "_regularizer", keys);
    if (!keys.empty()) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("layer '{}' ({}) has a {}, which TF.js 4.22's fit ignores (its "
                              "recurrent layers do not pass their cells' penalties on) and Keras "
                              "applies: fit refuses it rather than match one of them silently; "
                              "remove it to train",
                              layer, className, *keys.begin()));
    }
    return std::nullopt;
  }
  // TimeDistributed: the wrapped layer's config holds the regularizers.
  const Json* cfg = &config;
  if (className == "TimeDistributed" && config.is_object() && config.contains("layer") &&
      config["layer"].is_object()) {
    const Json& inner = config["layer"];
    const Json innerCfg = inner.value("config", Json());
    if (!isNull(innerCfg, "activity_regularizer")) {
      return regularizerOf(layer, inner.value("class_name", "?"), innerCfg, variable);
    }
    if (inner.contains("config") && inner["config"].is_object()) cfg = &inner["config"];
  }
  const std::string key = keyOf(variable);
  if (isNull(*cfg, key)) return std::nullopt;
  const Regularizer r = parse(layer, key, (*cfg)[key]);
  if (r.l1 == 0 && r.l2 == 0) return std::nullopt;
  return r;
}

void refuseConstraints(const std::string& layer, const std::string& className, const Json& config) {
  std::set<std::string> keys;
  keysEndingIn(config, "_constraint", keys);
  // TF.js 4.22's DepthwiseConv2D.getConfig writes its depthwise regularizer under
  // depthwise_constraint too: a regularizer class there is that slip, not a constraint.
  const auto slip = [&](const std::string& key) {
    const auto it = config.find(key);
    if (it == config.end() || !it->is_object()) return false;
    const std::string cls = it->value("class_name", "");
    return cls == "L1L2" || cls == "L1" || cls == "L2";
  };
  for (auto it = keys.begin(); it != keys.end();) it = slip(*it) ? keys.erase(it) : std::next(it);
  if (keys.empty()) return;
  throw Error(ErrorCode::kUnsupported,
              fmt::format("layer '{}' ({}) has a {}, which TF.js 4.22's fit ignores (its "
                          "optimizers write the variables without it) and Keras applies after "
                          "every step: fit refuses it rather than match one of them silently; "
                          "remove it to train",
                          layer, className, *keys.begin()));
}

}  // namespace tfjs::train
