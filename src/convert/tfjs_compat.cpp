// convert/tfjs_compat.cpp — Keras preprocessing layers rewritten for TF.js 4.22 (contract in
// tfjs_compat.h). Keras facts: keras/layers/preprocessing/normalization.py (all versions:
// (x - mean) / max(sqrt(var), epsilon()), `invert` since 2.10, weights mean / variance of the
// kept dimensions and an int64 scalar count) and image_preprocessing.py (the random layers return
// their input when training is false). TF.js facts: tfjs-layers normalization.ts and the cpu
// kernel BatchNorm.ts (offset + (x - mean) * scale / Math.sqrt(variance + epsilon), statistics
// indexed along the last axis), image_preprocessing.ts (Rescaling: x * scale + offset, numbers).
#include "convert/tfjs_compat.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "layers/layer.h"
#include "model/topology.h"
#include "tfjs/error.h"
#include "tfjs/tensor.h"

namespace tfjs::convert {
namespace {

constexpr float kKerasEpsilon = 1e-7f;       // keras.backend.epsilon()
constexpr double kBatchNormEpsilon = 1e-14;  // sqrt(0 + 1e-14) = 1e-7: Keras's floor for std

bool isModelClass(const std::string& c) {
  return c == "Sequential" || c == "Model" || c == "Functional";
}

std::string nameOf(const Json& layer) {
  if (const auto c = layer.find("config"); c != layer.end() && c->is_object()) {
    if (const auto n = c->find("name"); n != c->end() && n->is_string()) return *n;
  }
  if (const auto n = layer.find("name"); n != layer.end() && n->is_string()) return *n;
  return "";
}

// The batch_input_shape of a layer's config, or nullptr.
Json* batchShape(Json& layer) {
  const auto c = layer.find("config");
  if (c == layer.end() || !c->is_object()) return nullptr;
  const auto s = c->find("batch_input_shape");
  return s != c->end() && s->is_array() ? &*s : nullptr;
}

// The one inbound [layer, node, tensor, ...] of a functional layer called once on one tensor.
const Json* singleInbound(const Json& layer) {
  const auto in = layer.find("inbound_nodes");
  if (in == layer.end() || !in->is_array() || in->size() != 1) return nullptr;
  const Json& node = (*in)[0];
  if (!node.is_array() || node.size() != 1 || !node[0].is_array() || node[0].empty() ||
      !node[0][0].is_string()) {
    return nullptr;
  }
  return &node[0];
}

// The rank of a layer's output from its input's, for the classes whose output rank the config
// tells; nullopt when unknown.
std::optional<size_t> rankAfter(const Json& layer, std::optional<size_t> in) {
  static const std::set<std::string> same = {"InputLayer",
                                             "Dense",
                                             "Dropout",
                                             "Activation",
                                             "BatchNormalization",
                                             "ReLU",
                                             "LeakyReLU",
                                             "PReLU",
                                             "ELU",
                                             "Softmax",
                                             "Rescaling",
                                             "Normalization",
                                             "GaussianNoise",
                                             "GaussianDropout",
                                             "AlphaDropout",
                                             "LayerNormalization",
                                             "SpatialDropout1D",
                                             "Conv1D",
                                             "Conv2D",
                                             "Conv3D",
                                             "SeparableConv2D",
                                             "DepthwiseConv2D",
                                             "Conv2DTranspose",
                                             "MaxPooling1D",
                                             "MaxPooling2D",
                                             "MaxPooling3D",
                                             "AveragePooling1D",
                                             "AveragePooling2D",
                                             "AveragePooling3D",
                                             "ZeroPadding2D",
                                             "Cropping2D",
                                             "UpSampling2D",
                                             "Masking"};
  static const std::set<std::string> recurrent = {"LSTM", "GRU", "SimpleRNN", "RNN"};
  static const std::set<std::string> global = {"GlobalAveragePooling1D", "GlobalMaxPooling1D",
                                               "GlobalAveragePooling2D", "GlobalMaxPooling2D"};
  const std::string cls = layer.value("class_name", "");
  const Json cfg = layer.value("config", Json::object());
  if (cls == "Flatten") return in ? std::optional<size_t>(2) : std::nullopt;
  if (cls == "Reshape" && cfg.is_object() && cfg.contains("target_shape") &&
      cfg["target_shape"].is_array()) {
    return cfg["target_shape"].size() + 1;
  }
  if (global.count(cls) && cfg.is_object() && !cfg.value("keepdims", false)) return 2u;
  if (!in) return std::nullopt;
  if (same.count(cls) || layers::isInferenceIdentity(cls)) return in;
  if (cls == "Embedding") return *in + 1;
  const Json* rnn =
      cls == "Bidirectional" && cfg.is_object() && cfg.contains("layer") ? &cfg["layer"] : &layer;
  if (recurrent.count(rnn->value("class_name", ""))) {
    const Json rc = rnn->value("config", Json::object());
    const bool sequences = rc.is_object() && rc.value("return_sequences", false);
    return sequences ? in : std::optional<size_t>(*in - 1);
  }
  return std::nullopt;
}

Json initializer(const char* cls) {
  return {{"class_name", cls}, {"config", Json::object()}};
}

// The keys of a replacement layer's config that the original's carry over.
Json baseConfig(const Json& cfg, const std::string& name) {
  Json out = Json::object();
  out["name"] = name;
  out["trainable"] = cfg.value("trainable", true);
  if (cfg.contains("batch_input_shape")) out["batch_input_shape"] = cfg["batch_input_shape"];
  out["dtype"] = cfg.contains("dtype") && cfg["dtype"].is_string() ? cfg["dtype"] : Json("float32");
  return out;
}

Tensor floatTensor(std::vector<int64_t> shape, const std::vector<float>& values) {
  Buffer b = Buffer::allocate(std::max<size_t>(values.size(), 1) * 4);
  if (!values.empty()) std::memcpy(b.mutableData(), values.data(), values.size() * 4);
  return Tensor(DType::kFloat32, std::move(shape), std::move(b), 0);
}

struct WeightEdits {
  std::map<std::string, std::string> rename;  // stored name -> new name
  std::set<std::string> drop;
  std::vector<NamedTensor> add;
  bool empty() const { return rename.empty() && drop.empty() && add.empty(); }
};

class Rewriter {
 public:
  Rewriter(const ModelArtifacts& a, bool keepPreprocessing, std::vector<std::string>& notes)
      : a_(a), keepPreprocessing_(keepPreprocessing), notes_(notes) {
    for (const auto* s : a.weightSpecs()) stored_.insert(s->name);
  }

  WeightEdits edits;

  // m: {class_name, config, ...} of a Sequential or Functional model.
  void model(Json& m, int depth) {
    if (depth > 64) throw Error(ErrorCode::kSchema, "models nested more than 64 deep");
    Json* layers = topology::layerList(m);
    if (!layers) return;
    const bool functional = m.value("class_name", "") != "Sequential";
    if (!functional) inputFromBuildShape(m, *layers);
    // Pass 1, in place: nested models, Normalization, Embedding's dtype; which layers are left out
    // (`out`), knowing the rank of each layer's input where the config tells it.
    std::set<std::string> out;
    std::map<std::string, Json*> byName;
    std::map<std::string, std::optional<size_t>> rankOf;  // functional: each layer's output rank
    std::optional<size_t> rank;                           // sequential: the running rank
    Json* sequentialInput = nullptr;                      // sequential: its InputLayer
    bool sequentialSeen = false;  // sequential: a layer other than the InputLayer was read
    for (auto& l : *layers) {
      if (!l.is_object() || !l.contains("class_name") || !l["class_name"].is_string()) {
        throw Error(ErrorCode::kSchema, "a layer of the model config has no class_name");
      }
      const std::string cls = l["class_name"];
      const std::string name = nameOf(l);
      byName[name] = &l;
      const Json* shape = batchShape(l);
      // The rank of this layer's input, and the InputLayer that feeds it directly (if any).
      std::optional<size_t> in;
      Json* feedingInput = nullptr;
      if (functional) {
        const Json* src = singleInbound(l);
        if (src) {
          const auto r = rankOf.find((*src)[0].get<std::string>());
          if (r != rankOf.end()) in = r->second;
          const auto f = byName.find((*src)[0].get<std::string>());
          if (f != byName.end() && f->second->value("class_name", "") == "InputLayer") {
            feedingInput = f->second;
          }
        }
      } else {
        in = rank;
        if (!sequentialSeen && shape) in = shape->size();
        if (sequentialInput && !sequentialSeen) feedingInput = sequentialInput;
      }
      if (cls == "InputLayer") {
        if (shape) in = shape->size();
        if (!functional) sequentialInput = &l;
      } else if (isModelClass(cls)) {
        model(l, depth + 1);
        in.reset();
      } else if (cls == "Normalization") {
        const auto features = keepPreprocessing_ ? adaptedFeatures(l) : normalization(l);
        if (features) {
          // Its features must be known (BatchNormalization's, and Normalization's to be built):
          // Keras's adapted statistics fix them.
          for (Json* j : {&l, feedingInput}) {
            Json* s = j ? batchShape(*j) : nullptr;
            if (s && !s->empty() && s->back().is_null()) {
              s->back() = *features;
              notes_.push_back(
                  fmt::format("the input of layer '{}' has its last dimension set to "
                              "{}, the features of the Normalization there",
                              nameOf(*j), *features));
            }
          }
        }
      } else if (cls == "Embedding" && l["config"].is_object() &&
                 l["config"].value("dtype", Json()).is_string() &&
                 (l["config"]["dtype"] == "int32" || l["config"]["dtype"] == "int64")) {
        // Keras 2.0-2.1 took an Embedding's dtype for its input's; TF.js makes it the
        // embeddings' and then refuses the float32 weights.
        notes_.push_back(
            fmt::format("layer '{}' (Embedding): dtype {} written as float32 (Keras "
                        "2.0 meant its input's; TF.js 4.22 would make the "
                        "embeddings {} and refuse their float32 values)",
                        name, l["config"]["dtype"].get<std::string>(),
                        l["config"]["dtype"].get<std::string>()));
        l["config"]["dtype"] = "float32";
      }
      if (cls != "InputLayer" && !isModelClass(cls)) {
        if (layers::isInferenceIdentity(cls) && !keepPreprocessing_) {
          out.insert(name);
          dropped(cls, name);
        } else if (cls == "Flatten" && in == 2u) {
          out.insert(name);
          notes_.push_back(
              fmt::format("layer '{}' (Flatten) left out: its input is already "
                          "[batch, features], where Flatten is the identity in "
                          "Keras and TF.js 4.22 refuses it (it wants rank 3 or more)",
                          name));
        }
      }
      const std::optional<size_t> after = rankAfter(l, in);
      if (functional) {
        rankOf[name] = after;
      } else {
        rank = after;
        if (cls != "InputLayer") sequentialSeen = true;
      }
    }
    if (out.empty()) return;
    if (functional) {
      dropFunctional(m, *layers, out);
    } else {
      dropSequential(*layers, out);
    }
  }

 private:
  // The float32 values of stored weight `name`.
  std::vector<float> values(const std::string& name) {
    if (decoded_.empty()) {
      for (auto& t : decodeWeights(a_)) decoded_.emplace(t.name, std::move(t.tensor));
    }
    const Tensor& t = decoded_.at(name);
    if (t.dtype() != DType::kFloat32) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("weight '{}' is {}, not float32", name, dtypeName(t.dtype())), "",
                  name);
    }
    const auto f = t.floats();
    return {f.begin(), f.end()};
  }

  std::optional<std::string> storedWeight(const std::string& layer, const std::string& weight) {
    for (const std::string& n : {layer + "/" + weight, weight}) {
      if (stored_.count(n)) return n;
    }
    return std::nullopt;
  }

  std::optional<int64_t> keep(const std::string& name, const std::string& why) {
    notes_.push_back(
        fmt::format("layer '{}' (Normalization) kept: {}; TF.js 4.22 cannot load it", name, why));
    return std::nullopt;
  }

  // A Sequential whose layers carry no input shape but which Keras built (build_input_shape):
  // TF.js needs the shape on its first layer, so an InputLayer with it goes first.
  void inputFromBuildShape(Json& m, Json& layers) {
    const Json& cfg = m["config"];
    if (!cfg.is_object() || !cfg.contains("build_input_shape") ||
        !cfg["build_input_shape"].is_array() || layers.empty() || !layers[0].is_object() ||
        layers[0].value("class_name", "") == "InputLayer" || batchShape(layers[0])) {
      return;
    }
    const Json& first = layers[0];
    const Json dtype = first.contains("config") && first["config"].is_object() &&
                               first["config"].contains("dtype") &&
                               first["config"]["dtype"].is_string()
                           ? first["config"]["dtype"]
                           : Json("float32");
    Json in = {{"batch_input_shape", cfg["build_input_shape"]},
               {"dtype", dtype},
               {"sparse", false},
               {"name", nameOf(first) + "_input"}};
    layers.insert(layers.begin(), Json{{"class_name", "InputLayer"}, {"config", in}});
    notes_.push_back(
        fmt::format("Sequential '{}': its build_input_shape {} written as an "
                    "InputLayer, which TF.js needs to build the model",
                    cfg.value("name", ""), cfg["build_input_shape"].dump()));
  }

  // The features of an adapted Normalization over the last axis (its stored mean's length).
  std::optional<int64_t> adaptedFeatures(const Json& layer) {
    const Json cfg = layer.value("config", Json::object());
    if (!cfg.is_object()) return std::nullopt;
    const Json axis = cfg.contains("axis") ? cfg["axis"] : Json(-1);
    if (axis != Json(-1) && axis != Json::array({-1})) return std::nullopt;
    const auto m = storedWeight(nameOf(layer), "mean");
    if (!m) return std::nullopt;
    for (const auto* w : a_.weightSpecs()) {
      if (w->name == *m && w->shape.size() == 1) return w->shape[0];
    }
    return std::nullopt;
  }

  // Normalization -> BatchNormalization or Rescaling (see tfjs_compat.h). Returns the number of
  // features when it wrote a BatchNormalization.
  std::optional<int64_t> normalization(Json& layer) {
    Json& cfg = layer["config"];
    const std::string name = nameOf(layer);
    if (!cfg.is_object())
      throw Error(ErrorCode::kSchema, "a Normalization config is not an object");
    // The kept axes: -1 by default; null (or an empty list) for one global mean.
    std::vector<int64_t> axes{-1};
    if (cfg.contains("axis")) {
      const Json& a = cfg["axis"];
      axes.clear();
      if (a.is_number_integer()) {
        axes.push_back(a.get<int64_t>());
      } else if (a.is_array()) {
        for (const auto& e : a) {
          if (!e.is_number_integer()) return keep(name, "its axis is " + a.dump());
          axes.push_back(e.get<int64_t>());
        }
      } else if (!a.is_null()) {
        return keep(name, "its axis is " + a.dump());
      }
    }
    bool lastAxis = axes.size() == 1 && axes[0] == -1;
    if (axes.size() == 1 && !lastAxis && cfg.contains("batch_input_shape") &&
        cfg["batch_input_shape"].is_array()) {
      lastAxis = axes[0] + 1 == static_cast<int64_t>(cfg["batch_input_shape"].size());
    }
    const bool invert = cfg.value("invert", false);

    // The statistics: from the config (Keras 2.6+ with mean / variance given) or the weights.
    std::vector<float> mean, variance;
    std::vector<std::string> storedNames;
    const bool given = cfg.contains("mean") && !cfg["mean"].is_null();
    if (given) {
      for (const auto& [key, out] : {std::pair{"mean", &mean}, std::pair{"variance", &variance}}) {
        std::vector<const Json*> stack{&cfg[key]};
        while (!stack.empty()) {
          const Json* j = stack.back();
          stack.pop_back();
          if (j->is_number()) {
            out->push_back(j->get<float>());
          } else if (j->is_array()) {
            for (auto it = j->rbegin(); it != j->rend(); ++it) stack.push_back(&*it);
          } else {
            return keep(name, fmt::format("its {} is {}", key, cfg[key].dump()));
          }
        }
      }
    } else {
      const auto m = storedWeight(name, "mean"), v = storedWeight(name, "variance");
      if (!m || !v) return keep(name, "its adapted mean and variance are not among the weights");
      mean = values(*m);
      variance = values(*v);
      storedNames = {*m, *v};
      if (const auto c = storedWeight(name, "count")) storedNames.push_back(*c);
    }
    if (mean.empty() || mean.size() != variance.size()) {
      return keep(name, fmt::format("its mean has {} values and its variance {}", mean.size(),
                                    variance.size()));
    }
    std::vector<float> stdev(mean.size());
    for (size_t k = 0; k < mean.size(); ++k) {
      stdev[k] = std::max(std::sqrt(variance[k]), kKerasEpsilon);
    }
    const bool uniform =
        axes.empty() ||
        (given && std::all_of(mean.begin(), mean.end(), [&](float x) { return x == mean[0]; }) &&
         std::all_of(variance.begin(), variance.end(), [&](float x) { return x == variance[0]; }));
    Json out;
    if (uniform) {
      // One mean and variance for every element: Rescaling with numbers.
      Json rc = baseConfig(cfg, name);
      const double s = stdev[0], m = mean[0];
      rc["scale"] = invert ? s : 1.0 / s;
      rc["offset"] = invert ? m : -m / s;
      out = {{"class_name", "Rescaling"}, {"config", rc}};
      for (const auto& n : storedNames) edits.drop.insert(n);
      notes_.push_back(fmt::format(
          "layer '{}' (Normalization, one global mean) written as Rescaling(scale {}, offset {}), "
          "which TF.js 4.22 loads",
          name, rc["scale"].dump(), rc["offset"].dump()));
    } else if (lastAxis) {
      Json bn = baseConfig(cfg, name);
      bn["axis"] = -1;
      bn["momentum"] = 0.99;
      bn["epsilon"] = invert ? 0.0 : kBatchNormEpsilon;
      bn["center"] = invert;
      bn["scale"] = invert;
      bn["beta_initializer"] = initializer("Zeros");
      bn["gamma_initializer"] = initializer("Ones");
      bn["moving_mean_initializer"] = initializer("Zeros");
      bn["moving_variance_initializer"] = initializer("Ones");
      for (const char* k :
           {"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"}) {
        bn[k] = nullptr;
      }
      out = {{"class_name", "BatchNormalization"}, {"config", bn}};
      const std::vector<int64_t> shape{static_cast<int64_t>(mean.size())};
      const auto add = [&](const char* w, const std::vector<float>& v) {
        edits.add.push_back({name + "/" + w, floatTensor(shape, v)});
      };
      if (invert) {
        for (const auto& n : storedNames) edits.drop.insert(n);
        add("gamma", stdev);
        add("beta", mean);
        add("moving_mean", std::vector<float>(mean.size(), 0.0f));
        add("moving_variance", std::vector<float>(mean.size(), 1.0f));
      } else if (given) {
        add("moving_mean", mean);
        add("moving_variance", variance);
      } else {
        edits.rename[storedNames[0]] = name + "/moving_mean";
        edits.rename[storedNames[1]] = name + "/moving_variance";
        if (storedNames.size() > 2) edits.drop.insert(storedNames[2]);
      }
      notes_.push_back(fmt::format(
          "layer '{}' (Normalization{}) written as BatchNormalization ({}), which TF.js 4.22 "
          "loads",
          name, invert ? ", invert" : "",
          invert ? "gamma = std, beta = mean" : "its mean and variance, epsilon 1e-14"));
    } else {
      return keep(name, fmt::format("it normalizes over axes {} (TF.js's BatchNormalization "
                                    "kernels take the statistics along the last axis only)",
                                    Json(axes).dump()));
    }
    for (const char* k : {"name", "inbound_nodes"}) {
      if (layer.contains(k)) out[k] = layer[k];
    }
    layer = std::move(out);
    if (uniform) return std::nullopt;
    return static_cast<int64_t>(mean.size());
  }

  void dropped(const std::string& cls, const std::string& name) {
    notes_.push_back(
        fmt::format("layer '{}' ({}) left out: it is the identity at inference in "
                    "Keras{}",
                    name, cls,
                    cls == "RandomWidth" ? ", while TF.js 4.22's RandomWidth resizes in predict too"
                                         : ", and TF.js 4.22 cannot load it"));
  }

  void dropSequential(Json& layers, const std::set<std::string>& out) {
    Json kept = Json::array();
    for (auto& l : layers) {
      const std::string name = nameOf(l);
      if (!out.count(name)) {
        kept.push_back(std::move(l));
        continue;
      }
      // A first layer's input shape stays, as the InputLayer Keras would have made.
      const Json* shape = batchShape(l);
      if (kept.empty() && shape) {
        const Json& cfg = l["config"];
        Json in = {{"batch_input_shape", *shape},
                   {"dtype", cfg.contains("dtype") && cfg["dtype"].is_string() ? cfg["dtype"]
                                                                               : Json("float32")},
                   {"sparse", false},
                   {"name", name + "_input"}};
        kept.push_back({{"class_name", "InputLayer"}, {"config", in}});
      }
    }
    layers = std::move(kept);
  }

  // A Functional model: every [layer, node, tensor, ...] reference to a left-out layer's node
  // becomes the reference that node itself was called on.
  void dropFunctional(Json& m, Json& layers, const std::set<std::string>& out) {
    std::map<std::pair<std::string, int64_t>, Json> replaced;  // (layer, node) -> [l, n, t]
    const auto resolve = [&](Json& ref) {
      if (!ref.is_array() || ref.size() < 3 || !ref[0].is_string() || !ref[1].is_number_integer()) {
        return;
      }
      const auto it = replaced.find({ref[0].get<std::string>(), ref[1].get<int64_t>()});
      if (it == replaced.end()) return;
      for (size_t k = 0; k < 3; ++k) ref[k] = it->second[k];
    };
    // Keras 3's dict-style nodes (--keep_keras3_topology) are not rewritten.
    for (const auto& l : layers) {
      const auto in = l.find("inbound_nodes");
      if (in == l.end() || !in->is_array()) continue;
      for (const auto& node : *in) {
        if (!node.is_array()) return keepAll(layers, out);
      }
    }
    Json kept = Json::array();
    for (auto& l : layers) {
      if (const auto in = l.find("inbound_nodes"); in != l.end() && in->is_array()) {
        for (auto& node : *in) {
          for (auto& ref : node) resolve(ref);
        }
      }
      const std::string cls = l["class_name"];
      const std::string name = nameOf(l);
      if (!out.count(name)) {
        kept.push_back(std::move(l));
        continue;
      }
      const auto in = l.find("inbound_nodes");
      if (in == l.end() || !in->is_array()) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("layer '{}' of a functional model has no inbound_nodes", name));
      }
      for (size_t k = 0; k < in->size(); ++k) {
        const Json& node = (*in)[k];
        if (node.size() != 1 || !node[0].is_array() || node[0].size() < 3) {
          throw Error(ErrorCode::kSchema,
                      fmt::format("layer '{}' ({}) is called on {} tensors in its call {}; it "
                                  "takes one",
                                  name, cls, node.size(), k));
        }
        replaced[{name, static_cast<int64_t>(k)}] =
            Json::array({node[0][0], node[0][1], node[0][2]});
      }
    }
    layers = std::move(kept);
    Json& cfg = m["config"];
    if (const auto o = cfg.find("output_layers"); o != cfg.end() && o->is_array()) {
      for (auto& ref : *o) resolve(ref);
    }
  }

  void keepAll(const Json& layers, const std::set<std::string>& out) {
    for (const auto& l : layers) {
      if (out.count(nameOf(l))) {
        notes_.push_back(
            fmt::format("layer '{}' ({}) kept after all: the Keras 3 topology was "
                        "kept as it is",
                        nameOf(l), l["class_name"].get<std::string>()));
      }
    }
  }

  const ModelArtifacts& a_;
  const bool keepPreprocessing_;
  std::vector<std::string>& notes_;
  std::set<std::string> stored_;
  std::map<std::string, Tensor> decoded_;
};

// Keras 2.3+ writes regularizers as L1 / L2 objects; TF.js 4.22 registers only L1L2.
void regularizersAsL1L2(Json& j, std::set<std::string>& seen, int depth = 0) {
  if (depth > 400) return;
  if (j.is_array()) {
    for (auto& e : j) regularizersAsL1L2(e, seen, depth + 1);
    return;
  }
  if (!j.is_object()) return;
  for (auto& [key, v] : j.items()) {
    const bool regularizer =
        key.size() > 12 && key.compare(key.size() - 12, 12, "_regularizer") == 0;
    if (regularizer && v.is_object() && v.contains("class_name") && v["class_name"].is_string() &&
        (v["class_name"] == "L1" || v["class_name"] == "L2")) {
      const Json cfg = v.value("config", Json::object());
      const auto factor = [&](const char* k) {
        return cfg.is_object() && cfg.contains(k) && cfg[k].is_number() ? cfg[k] : Json(0.0);
      };
      seen.insert(v["class_name"].get<std::string>());
      v = {{"class_name", "L1L2"}, {"config", {{"l1", factor("l1")}, {"l2", factor("l2")}}}};
    } else {
      regularizersAsL1L2(v, seen, depth + 1);
    }
  }
}

// Weights named under the model's own name scope ("sequential/dense/kernel": a Sequential built
// by fit() creates its layers' variables inside its scope) are named "<layer>/<weight>", as
// TF.js binds them; only when the rest starts with a layer of the model and no other weight has
// that name.
void modelScopeNames(const ModelArtifacts& a, const Json& modelConfig, WeightEdits& edits,
                     std::vector<std::string>& notes) {
  const Json cfg = modelConfig.value("config", Json::object());
  if (!cfg.is_object() || !cfg.contains("name") || !cfg["name"].is_string()) return;
  const std::string prefix = cfg["name"].get<std::string>() + "/";
  std::set<std::string> layers, names;
  if (const Json* l = topology::layerList(modelConfig)) {
    for (const auto& e : *l) layers.insert(nameOf(e));
  }
  for (const auto* w : a.weightSpecs()) names.insert(w->name);
  size_t renamed = 0;
  for (const auto* w : a.weightSpecs()) {
    if (w->name.rfind(prefix, 0) != 0 || edits.rename.count(w->name)) continue;
    const std::string rest = w->name.substr(prefix.size());
    const std::string first = rest.substr(0, rest.find('/'));
    if (!layers.count(first) || rest == first || names.count(rest)) continue;
    edits.rename[w->name] = rest;
    ++renamed;
  }
  if (renamed) {
    notes.push_back(
        fmt::format("{} weight names written without the model's scope '{}' (as "
                    "'<layer>/<weight>', which TF.js binds)",
                    renamed, prefix.substr(0, prefix.size() - 1)));
  }
}

// Renames, drops and adds weights; the bytes of the others are kept as they are.
void applyEdits(ModelArtifacts& a, WeightEdits edits, const QuantizationMap& quantization) {
  if (edits.drop.empty() && edits.add.empty()) {
    for (auto& g : a.weightsManifest) {
      for (auto& w : g.weights) {
        if (const auto it = edits.rename.find(w.name); it != edits.rename.end())
          w.name = it->second;
      }
    }
    return;
  }
  std::vector<Problem> problems;
  const auto locations = locateWeights(a, problems);
  if (!problems.empty()) throw Error(std::move(problems));
  std::vector<EncodedGroup> groups(std::max<size_t>(a.weightsManifest.size(), 1));
  for (const WeightLocation& loc : locations) {
    WeightSpec spec = a.weightsManifest[loc.group].weights[loc.index];
    if (edits.drop.count(spec.name)) continue;
    if (const auto it = edits.rename.find(spec.name); it != edits.rename.end()) {
      spec.name = it->second;
    }
    EncodedGroup& g = groups[loc.group];
    g.specs.push_back(std::move(spec));
    const uint8_t* p = a.weightData.data() + loc.dataOffset;
    g.bytes.insert(g.bytes.end(), p, p + loc.byteLength);
  }
  if (!edits.add.empty()) {
    EncodedGroup added = encodeWeights(edits.add, quantization);
    EncodedGroup& g = groups.front();
    for (auto& s : added.specs) g.specs.push_back(std::move(s));
    g.bytes.insert(g.bytes.end(), added.bytes.begin(), added.bytes.end());
  }
  setWeightGroups(a, std::move(groups));
}

}  // namespace

bool rewrittenForTfjs(const std::string& className) {
  return layers::isInferenceIdentity(className) || className == "Normalization";
}

void rewriteForTfjs(ModelArtifacts& a, const QuantizationMap& quantization,
                    bool keepPreprocessingLayers, std::vector<std::string>& notes) {
  if (!a.modelTopology.is_object()) return;
  const auto mc = a.modelTopology.find("model_config");
  if (mc == a.modelTopology.end() || !mc->is_object()) return;
  Rewriter r(a, keepPreprocessingLayers, notes);
  Json config = *mc;
  r.model(config, 0);
  std::set<std::string> regularizers;
  regularizersAsL1L2(config, regularizers);
  for (const auto& c : regularizers) {
    notes.push_back(
        fmt::format("{} regularizers written as L1L2 (TF.js 4.22 knows only that class)", c));
  }
  WeightEdits edits = std::move(r.edits);
  modelScopeNames(a, config, edits, notes);
  if (!edits.empty()) applyEdits(a, std::move(edits), quantization);
  a.modelTopology["model_config"] = std::move(config);
}

}  // namespace tfjs::convert
