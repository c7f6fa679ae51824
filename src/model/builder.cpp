// model/builder.cpp — tfjs::sequential, tfjs::input / apply / tfjs::model and
// tfjs::layers::* (include/tfjs/builder.h): Keras layer configs as tfjs-layers' model.toJSON
// writes them, the Sequential topology, and the functional graph with TF.js's layer order and
// node numbering (tfjs-layers' engine/container.ts: buildMapOfGraph, the depth sort and
// buildNodeConversionMap).
#include "tfjs/builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "format/keras_names.h"
#include "layers/activations.h"
#include "model/builder_util.h"
#include "tfjs/error.h"
#include "tfjs/version.h"

namespace tfjs {
namespace detail {

// {"class_name": "GlorotUniform", "config": {"seed": null}} for "glorot_uniform" or
// "glorotUniform" (TF.js reads initializers from model.json in this object form).
Json initializer(const std::string& name) {
  std::string cls;
  bool up = true;
  for (char c : name) {
    if (c == '_') {
      up = true;
      continue;
    }
    cls += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  Json cfg = Json::object();
  static const std::map<std::string, std::string> withSeed = {
      {"GlorotUniform", ""},   {"GlorotNormal", ""}, {"HeUniform", ""},      {"HeNormal", ""},
      {"LecunUniform", ""},    {"LecunNormal", ""},  {"RandomUniform", ""},  {"RandomNormal", ""},
      {"TruncatedNormal", ""}, {"Orthogonal", ""},   {"VarianceScaling", ""}};
  if (withSeed.count(cls)) cfg["seed"] = nullptr;
  return {{"class_name", cls}, {"config", cfg}};
}

std::vector<int64_t> repeat(const std::vector<int64_t>& v, size_t rank, const char* what) {
  if (v.size() == rank) return v;
  if (v.size() == 1) return std::vector<int64_t>(rank, v[0]);
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("{}: {} value(s) given, 1 or {} expected", what, v.size(), rank));
}

// Argument checks of the layer factories: an unusable argument is kInvalidArgument naming the
// layer (its name, or its class when unnamed) and the argument, as TF.js's ValueErrors do.
[[noreturn]] void invalidArg(const char* cls, const std::string& name, const char* arg,
                             const std::string& why) {
  throw Error(
      ErrorCode::kInvalidArgument,
      fmt::format("{}{}: {}: {}", cls, name.empty() ? "" : fmt::format(" '{}'", name), arg, why));
}

void checkPositive(const char* cls, const std::string& name, const char* arg, int64_t v) {
  if (v <= 0) invalidArg(cls, name, arg, fmt::format("{}: a positive integer was expected", v));
}

void checkPositive(const char* cls, const std::string& name, const char* arg,
                   const std::vector<int64_t>& v) {
  if (v.empty()) invalidArg(cls, name, arg, "empty: at least one value was expected");
  for (int64_t d : v) {
    if (d <= 0) {
      invalidArg(cls, name, arg,
                 fmt::format("{} holds {}: positive integers were expected", Json(v).dump(), d));
    }
  }
}

void checkOneOf(const char* cls, const std::string& name, const char* arg, const std::string& v,
                std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  invalidArg(cls, name, arg, fmt::format("'{}': one of {} was expected", v, list));
}

void checkActivation(const char* cls, const std::string& name, const char* arg,
                     const std::string& v) {
  if (!layers::isActivation(v)) {
    invalidArg(cls, name, arg, fmt::format("'{}' is not an activation TF.js knows", v));
  }
}

void checkInputShape(const char* cls, const std::string& name, const std::vector<int64_t>& s) {
  for (int64_t d : s) {
    if (d < -1) {
      invalidArg(cls, name, "inputShape",
                 fmt::format("{} holds {}: sizes >= 0 (or -1 for unknown) were expected",
                             Json(s).dump(), d));
    }
  }
}

LayerConfig make(const std::string& cls, Json cfg, const std::vector<int64_t>& inputShape,
                 const std::string& name, bool trainable) {
  if (!name.empty()) cfg["name"] = name;
  cfg["trainable"] = trainable;
  cfg["dtype"] = "float32";
  if (!inputShape.empty()) {
    Json b = Json::array({nullptr});
    for (int64_t d : inputShape) b.push_back(d < 0 ? Json(nullptr) : Json(d));
    cfg["batch_input_shape"] = b;
  }
  return {cls, std::move(cfg)};
}

LayerConfig conv(const char* cls, size_t rank, const layers::ConvArgs& a) {
  checkPositive(cls, a.name, "filters", a.filters);
  checkPositive(cls, a.name, "kernelSize", a.kernelSize);
  checkPositive(cls, a.name, "strides", a.strides);
  checkPositive(cls, a.name, "dilationRate", a.dilationRate);
  if (rank == 1) {
    checkOneOf(cls, a.name, "padding", a.padding, {"valid", "same", "causal"});
  } else {
    checkOneOf(cls, a.name, "padding", a.padding, {"valid", "same"});
  }
  checkOneOf(cls, a.name, "dataFormat", a.dataFormat, {"channels_last", "channels_first"});
  checkActivation(cls, a.name, "activation", a.activation);
  checkInputShape(cls, a.name, a.inputShape);
  Json cfg = {{"filters", a.filters},
              {"kernel_size", repeat(a.kernelSize, rank, "kernelSize")},
              {"strides", repeat(a.strides, rank, "strides")},
              {"padding", a.padding},
              {"data_format", a.dataFormat},
              {"dilation_rate", repeat(a.dilationRate, rank, "dilationRate")},
              {"activation", a.activation}};
  kernelAndBias(cfg, a);
  if (std::string_view(cls).find("Transpose") != std::string_view::npos) {
    cfg["output_padding"] = nullptr;
  }
  return make(cls, std::move(cfg), a.inputShape, a.name, a.trainable);
}

LayerConfig pooling(const char* cls, const layers::PoolingArgs& a, size_t rank) {
  checkPositive(cls, a.name, "poolSize", a.poolSize);
  if (!a.strides.empty()) checkPositive(cls, a.name, "strides", a.strides);
  checkOneOf(cls, a.name, "padding", a.padding, {"valid", "same"});
  checkOneOf(cls, a.name, "dataFormat", a.dataFormat, {"channels_last", "channels_first"});
  checkInputShape(cls, a.name, a.inputShape);
  const auto size = repeat(a.poolSize, rank, "poolSize");
  Json cfg = {{"pool_size", size},
              {"strides", a.strides.empty() ? size : repeat(a.strides, rank, "strides")},
              {"padding", a.padding},
              {"data_format", a.dataFormat}};
  return make(cls, std::move(cfg), a.inputShape, a.name);
}

Json regularizer(const std::optional<layers::Regularizer>& r) {
  if (!r) return nullptr;
  if (!std::isfinite(r->l1) || !std::isfinite(r->l2) || r->l1 < 0 || r->l2 < 0) {
    throw Error(
        ErrorCode::kInvalidArgument,
        fmt::format("regularizer l1 = {}, l2 = {}: finite values >= 0 expected", r->l1, r->l2));
  }
  return {{"class_name", "L1L2"}, {"config", {{"l1", r->l1}, {"l2", r->l2}}}};
}

LayerConfig recurrent(const char* cls, const layers::RecurrentArgs& a, bool gates) {
  checkPositive(cls, a.name, "units", a.units);
  checkActivation(cls, a.name, "activation", a.activation);
  if (gates) checkActivation(cls, a.name, "recurrentActivation", a.recurrentActivation);
  checkInputShape(cls, a.name, a.inputShape);
  Json cfg = {{"units", a.units},
              {"activation", a.activation},
              {"use_bias", a.useBias},
              {"return_sequences", a.returnSequences},
              {"return_state", false},
              {"go_backwards", a.goBackwards},
              {"stateful", false},
              {"unroll", false},
              {"kernel_initializer", initializer("glorot_uniform")},
              {"recurrent_initializer", initializer("orthogonal")},
              {"bias_initializer", initializer("zeros")},
              {"dropout", 0.0},
              {"recurrent_dropout", 0.0}};
  if (gates) cfg["recurrent_activation"] = a.recurrentActivation;
  if (std::string(cls) == "LSTM") cfg["unit_forget_bias"] = true;
  if (std::string(cls) == "GRU") cfg["reset_after"] = false;  // TF.js's GRU
  return make(cls, std::move(cfg), a.inputShape, a.name, a.trainable);
}

}  // namespace detail

using detail::initializer;
using detail::make;
using detail::regularizer;
using detail::repeat;

using detail::conv;
using detail::pooling;
using detail::recurrent;

using detail::checkActivation;
using detail::checkInputShape;
using detail::checkOneOf;
using detail::checkPositive;
using detail::invalidArg;

namespace layers {

LayerConfig dense(const DenseArgs& a) {
  checkPositive("Dense", a.name, "units", a.units);
  checkActivation("Dense", a.name, "activation", a.activation);
  checkInputShape("Dense", a.name, a.inputShape);
  Json cfg = {{"units", a.units}, {"activation", a.activation}};
  detail::kernelAndBias(cfg, a);
  return make("Dense", std::move(cfg), a.inputShape, a.name, a.trainable);
}
LayerConfig conv1d(const ConvArgs& a) {
  return conv("Conv1D", 1, a);
}
LayerConfig conv2d(const ConvArgs& a) {
  return conv("Conv2D", 2, a);
}
LayerConfig conv3d(const ConvArgs& a) {
  return conv("Conv3D", 3, a);
}
LayerConfig conv2dTranspose(const ConvArgs& a) {
  return conv("Conv2DTranspose", 2, a);
}
LayerConfig conv3dTranspose(const ConvArgs& a) {
  return conv("Conv3DTranspose", 3, a);
}
LayerConfig maxPooling2d(const PoolingArgs& a) {
  return pooling("MaxPooling2D", a, 2);
}
LayerConfig averagePooling2d(const PoolingArgs& a) {
  return pooling("AveragePooling2D", a, 2);
}
LayerConfig globalAveragePooling2d(const PoolingArgs& a) {
  checkOneOf("GlobalAveragePooling2D", a.name, "dataFormat", a.dataFormat,
             {"channels_last", "channels_first"});
  return make("GlobalAveragePooling2D", {{"data_format", a.dataFormat}}, a.inputShape, a.name);
}
LayerConfig globalMaxPooling2d(const PoolingArgs& a) {
  checkOneOf("GlobalMaxPooling2D", a.name, "dataFormat", a.dataFormat,
             {"channels_last", "channels_first"});
  return make("GlobalMaxPooling2D", {{"data_format", a.dataFormat}}, a.inputShape, a.name);
}
LayerConfig flatten(const SimpleArgs& a) {
  checkInputShape("Flatten", a.name, a.inputShape);
  return make("Flatten", Json::object(), a.inputShape, a.name);
}
LayerConfig dropout(const DropoutArgs& a) {
  if (!(a.rate >= 0 && a.rate < 1)) {
    invalidArg("Dropout", a.name, "rate",
               fmt::format("{}: a number in [0, 1) was expected", a.rate));
  }
  checkInputShape("Dropout", a.name, a.inputShape);
  return make("Dropout", {{"rate", a.rate}, {"noise_shape", nullptr}, {"seed", nullptr}},
              a.inputShape, a.name);
}
LayerConfig activation(const ActivationArgs& a) {
  checkActivation("Activation", a.name, "activation", a.activation);
  checkInputShape("Activation", a.name, a.inputShape);
  return make("Activation", {{"activation", a.activation}}, a.inputShape, a.name);
}
LayerConfig reshape(const ReshapeArgs& a) {
  if (a.targetShape.empty()) invalidArg("Reshape", a.name, "targetShape", "empty");
  int unknown = 0;
  for (int64_t d : a.targetShape) {
    if (d == -1) ++unknown;
    if (d == 0 || d < -1 || unknown > 1) {
      invalidArg("Reshape", a.name, "targetShape",
                 fmt::format("{}: positive sizes and at most one -1 were expected",
                             Json(a.targetShape).dump()));
    }
  }
  checkInputShape("Reshape", a.name, a.inputShape);
  return make("Reshape", {{"target_shape", a.targetShape}}, a.inputShape, a.name);
}
LayerConfig batchNormalization(const BatchNormalizationArgs& a) {
  if (!(a.momentum >= 0 && a.momentum <= 1)) {
    invalidArg("BatchNormalization", a.name, "momentum",
               fmt::format("{}: a number in [0, 1] was expected", a.momentum));
  }
  if (!(a.epsilon > 0)) {
    invalidArg("BatchNormalization", a.name, "epsilon",
               fmt::format("{}: a positive number was expected", a.epsilon));
  }
  checkInputShape("BatchNormalization", a.name, a.inputShape);
  Json cfg = {{"axis", a.axis},
              {"momentum", a.momentum},
              {"epsilon", a.epsilon},
              {"center", a.center},
              {"scale", a.scale},
              {"beta_initializer", initializer("zeros")},
              {"gamma_initializer", initializer("ones")},
              {"moving_mean_initializer", initializer("zeros")},
              {"moving_variance_initializer", initializer("ones")},
              {"beta_regularizer", regularizer(a.betaRegularizer)},
              {"gamma_regularizer", regularizer(a.gammaRegularizer)}};
  return make("BatchNormalization", std::move(cfg), a.inputShape, a.name, a.trainable);
}
LayerConfig simpleRNN(const RecurrentArgs& a) {
  return recurrent("SimpleRNN", a, false);
}
LayerConfig lstm(const RecurrentArgs& a) {
  return recurrent("LSTM", a, true);
}
LayerConfig gru(const RecurrentArgs& a) {
  return recurrent("GRU", a, true);
}
LayerConfig embedding(const EmbeddingArgs& a) {
  checkPositive("Embedding", a.name, "inputDim", a.inputDim);
  checkPositive("Embedding", a.name, "outputDim", a.outputDim);
  checkInputShape("Embedding", a.name, a.inputShape);
  Json cfg = {{"input_dim", a.inputDim},
              {"output_dim", a.outputDim},
              {"mask_zero", a.maskZero},
              {"embeddings_initializer", initializer("random_uniform")}};
  cfg["embeddings_initializer"]["config"]["minval"] = -0.05;
  cfg["embeddings_initializer"]["config"]["maxval"] = 0.05;
  cfg["embeddings_regularizer"] = regularizer(a.embeddingsRegularizer);
  return make("Embedding", std::move(cfg), a.inputShape, a.name, a.trainable);
}

// tfjs-layers' merge layers write {name, trainable} (+ axis); dtype as every factory here.
LayerConfig add(const MergeArgs& a) {
  return make("Add", Json::object(), {}, a.name);
}
LayerConfig multiply(const MergeArgs& a) {
  return make("Multiply", Json::object(), {}, a.name);
}
LayerConfig average(const MergeArgs& a) {
  return make("Average", Json::object(), {}, a.name);
}
LayerConfig maximum(const MergeArgs& a) {
  return make("Maximum", Json::object(), {}, a.name);
}
LayerConfig minimum(const MergeArgs& a) {
  return make("Minimum", Json::object(), {}, a.name);
}
LayerConfig concatenate(const ConcatenateArgs& a) {
  return make("Concatenate", {{"axis", a.axis}}, {}, a.name);
}

}  // namespace layers

// --- the functional graph --------------------------------------------------------------------

namespace detail {

enum class NodeKind { kInput, kLayer, kSequential, kFunctional };

// One application of a layer. Immutable once made; shared by the tensors it outputs and by the
// nodes downstream.
struct Node {
  uint64_t seq = 0;  // creation order, process-wide (a layer's nodes are numbered in this order)
  NodeKind kind = NodeKind::kLayer;
  std::shared_ptr<const void> identity;  // the layer: equal for every node of one layer
  std::string className;                 // "InputLayer", the layer's class, "Sequential", "Model"
  std::string givenName;                 // "" = automatic
  Json config;                           // kInput / kLayer: the config as given
  std::shared_ptr<const Sequential> sequential;     // kSequential: the model as applied
  std::shared_ptr<const FunctionalRep> functional;  // kFunctional
  std::vector<SymbolicTensor> inputs;
  size_t numOutputs = 1;
};

struct LayerEntry {
  const Node* first = nullptr;     // its earliest node in the model
  std::vector<const Node*> nodes;  // its nodes the model uses, in creation order
};

struct FunctionalRep {
  std::string givenName;  // "" = automatic
  std::vector<SymbolicTensor> inputs, outputs;
  std::vector<LayerEntry> layers;           // in TF.js's order
  std::map<const Node*, size_t> nodeIndex;  // serialized node index
};

struct BuilderAccess {
  static const Node* node(const SymbolicTensor& t) { return t.node_.get(); }
  static SymbolicTensor tensor(std::shared_ptr<const Node> n, size_t index) {
    SymbolicTensor t;
    t.node_ = std::move(n);
    t.index_ = index;
    return t;
  }
  static const std::vector<LayerConfig>& layers(const Sequential& s) { return s.layers_; }
  static const std::string& name(const Sequential& s) { return s.name_; }
  static const std::shared_ptr<const LayerIdentity>& identity(const Sequential& s) {
    return s.identity_;
  }
  static const std::shared_ptr<const FunctionalRep>& rep(const Functional& f) { return f.rep_; }
};

}  // namespace detail

namespace {

using detail::BuilderAccess;
using detail::FunctionalRep;
using detail::LayerEntry;
using detail::Node;
using detail::NodeKind;

std::atomic<uint64_t> nextSeq{0};

[[noreturn]] void invalid(const std::string& msg) {
  throw Error(ErrorCode::kInvalidArgument, msg);
}

// How a layer is called in a message: its name when given, else its class.
std::string describe(const Node& n) {
  if (n.kind == NodeKind::kInput) {
    return n.givenName.empty() ? fmt::format("an unnamed tfjs::input of shape {}",
                                             n.config["batch_input_shape"].dump())
                               : fmt::format("input '{}'", n.givenName);
  }
  return n.givenName.empty() ? fmt::format("an unnamed {} layer", n.className)
                             : fmt::format("layer '{}' ({})", n.givenName, n.className);
}

bool isMerge(const std::string& cls) {
  static const std::set<std::string> merges = {"Add",     "Multiply", "Average", "Maximum",
                                               "Minimum", "Subtract", "Dot",     "Concatenate"};
  return merges.count(cls) > 0;
}

std::vector<SymbolicTensor> makeNode(Node n, const std::vector<SymbolicTensor>& inputs,
                                     const std::string& who) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) {
      invalid(
          fmt::format("{}: input {} is an empty SymbolicTensor (make tensors with "
                      "tfjs::input or apply)",
                      who, i));
    }
  }
  n.seq = nextSeq.fetch_add(1);
  n.inputs = inputs;
  auto shared = std::make_shared<const Node>(std::move(n));
  std::vector<SymbolicTensor> out;
  for (size_t i = 0; i < shared->numOutputs; ++i) out.push_back(BuilderAccess::tensor(shared, i));
  return out;
}

// Keras's automatic names, unique across one topology (nested models included), skipping every
// name given explicitly anywhere in it.
class Namer {
 public:
  void reserve(const std::string& name) {
    if (!name.empty()) taken_.insert(name);
  }
  const std::string& assign(const void* key, const std::string& given, const std::string& base,
                            bool oneBased) {
    if (auto it = names_.find(key); it != names_.end()) return it->second;
    std::string name = given;
    while (name.empty() || (given.empty() && taken_.count(name))) {
      const int n = counts_[base]++;
      name = oneBased ? fmt::format("{}_{}", base, n + 1)
                      : (n == 0 ? base : fmt::format("{}_{}", base, n));
    }
    taken_.insert(name);
    return names_[key] = name;
  }
  const std::string& of(const void* key) const { return names_.at(key); }

 private:
  std::set<std::string> taken_;
  std::map<const void*, std::string> names_;
  std::map<std::string, int> counts_;
};

std::string givenName(const LayerConfig& l) {
  const auto it = l.config.find("name");
  return it != l.config.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void reserveNames(const FunctionalRep& rep, Namer& namer);
void reserveNames(const Sequential& s, Namer& namer) {
  namer.reserve(BuilderAccess::name(s));
  for (const auto& l : BuilderAccess::layers(s)) namer.reserve(givenName(l));
}
void reserveNames(const FunctionalRep& rep, Namer& namer) {
  namer.reserve(rep.givenName);
  for (const auto& e : rep.layers) {
    namer.reserve(e.first->givenName);
    if (e.first->sequential) reserveNames(*e.first->sequential, namer);
    if (e.first->functional) reserveNames(*e.first->functional, namer);
  }
}

void assignNames(const Sequential& s, Namer& namer) {
  for (const auto& l : BuilderAccess::layers(s)) {
    // A Sequential's entries are distinct layers: keyed by their place.
    namer.assign(&l, givenName(l), kerasSnakeCase(l.className), false);
  }
}
void assignNames(const FunctionalRep& rep, Namer& namer) {
  for (const auto& e : rep.layers) {
    const Node& n = *e.first;
    const bool in = n.kind == NodeKind::kInput;
    const std::string base = in                                ? "input"
                             : n.kind == NodeKind::kFunctional ? "model"
                                                               : kerasSnakeCase(n.className);
    namer.assign(n.identity.get(), n.givenName, base, in);
    if (n.sequential) assignNames(*n.sequential, namer);
    if (n.functional) assignNames(*n.functional, namer);
  }
}

// Every layer name once per model level, and every weight-holding layer name once in the whole
// topology (TF.js names weights "<layer>/<weight>", nested models included).
class NameCheck {
 public:
  void level(const std::vector<std::string>& names, const std::string& model) {
    std::set<std::string> seen;
    for (const auto& n : names) {
      if (!seen.insert(n).second) {
        invalid(
            fmt::format("model '{}' has two layers named '{}': every layer of a model needs "
                        "its own name (leave names empty for automatic ones)",
                        model, n));
      }
    }
  }
  void leaf(const std::string& name, const std::string& model) {
    const auto [it, fresh] = leaves_.emplace(name, model);
    if (!fresh && it->second != model) {  // within one model, level() says it better
      invalid(
          fmt::format("two layers are named '{}' (in model '{}' and in model '{}'): TF.js "
                      "names weights after their layer, so names must differ across nested "
                      "models too (a layer shared between a nested model and its outer "
                      "model is not supported)",
                      name, it->second, model));
    }
  }

 private:
  std::map<std::string, std::string> leaves_;
};

Json sequentialConfig(const Sequential& s, const Namer& namer, const std::string& name,
                      NameCheck& check) {
  const auto& layers = BuilderAccess::layers(s);
  if (layers.empty()) invalid(fmt::format("the Sequential model '{}' has no layer", name));
  if (!layers[0].config.contains("batch_input_shape")) {
    invalid(fmt::format("the first layer ({}) of Sequential model '{}' needs an inputShape",
                        layers[0].className, name));
  }
  Json list = Json::array();
  std::vector<std::string> names;
  for (const auto& l : layers) {
    Json cfg = l.config;
    cfg["name"] = namer.of(&l);
    names.push_back(namer.of(&l));
    check.leaf(names.back(), name);
    list.push_back({{"class_name", l.className}, {"config", std::move(cfg)}});
  }
  check.level(names, name);
  return {{"name", name}, {"layers", std::move(list)}};
}

Json functionalConfig(const FunctionalRep& rep, const Namer& namer, const std::string& name,
                      NameCheck& check) {
  auto ref = [&](const SymbolicTensor& t, bool withKwargs) {
    const Node* n = BuilderAccess::node(t);
    Json r = Json::array({namer.of(n->identity.get()), rep.nodeIndex.at(n), t.outputIndex()});
    if (withKwargs) r.push_back(Json::object());
    return r;
  };
  Json layers = Json::array();
  std::vector<std::string> names;
  for (const auto& e : rep.layers) {
    const Node& n = *e.first;
    const std::string& nm = namer.of(n.identity.get());
    names.push_back(nm);
    Json cfg;
    std::string cls = n.className;
    switch (n.kind) {
      case NodeKind::kInput:
        cfg = {{"batch_input_shape", n.config["batch_input_shape"]},
               {"dtype", n.config["dtype"]},
               {"sparse", false},
               {"name", nm}};
        break;
      case NodeKind::kLayer:
        cfg = n.config;
        cfg["name"] = nm;
        check.leaf(nm, name);
        break;
      case NodeKind::kSequential:
        cfg = sequentialConfig(*n.sequential, namer, nm, check);
        break;
      case NodeKind::kFunctional:
        cfg = functionalConfig(*n.functional, namer, nm, check);
        cls = "Model";
        break;
    }
    Json inbound = Json::array();
    for (const Node* node : e.nodes) {
      if (node->inputs.empty()) continue;
      Json refs = Json::array();
      for (const auto& t : node->inputs) refs.push_back(ref(t, true));
      inbound.push_back(std::move(refs));
    }
    layers.push_back({{"name", nm},
                      {"class_name", cls},
                      {"config", std::move(cfg)},
                      {"inbound_nodes", std::move(inbound)}});
  }
  check.level(names, name);
  Json ins = Json::array(), outs = Json::array();
  for (const auto& t : rep.inputs) ins.push_back(ref(t, false));
  for (const auto& t : rep.outputs) outs.push_back(ref(t, false));
  return {{"name", name},
          {"layers", std::move(layers)},
          {"input_layers", std::move(ins)},
          {"output_layers", std::move(outs)}};
}

Json topology(const char* cls, Json config) {
  return {{"class_name", cls},
          {"config", std::move(config)},
          {"keras_version", "tfjs-cpp " TFJS_VERSION},
          {"backend", "tensor_flow.js"}};
}

// The fingerprint two nodes of one layer must share (the config it was applied with).
Json fingerprint(const Node& n) {
  if (n.kind == NodeKind::kSequential) {
    Json layers = Json::array();
    for (const auto& l : BuilderAccess::layers(*n.sequential)) {
      layers.push_back({l.className, l.config});
    }
    return {BuilderAccess::name(*n.sequential), layers};
  }
  return {n.className, n.config};
}

// tfjs-layers' Container constructor: the nodes the outputs need (buildMapOfGraph, depth-first
// from each output in order), the layers' depths, and the layers sorted by decreasing depth, then
// by the order the traversal first met them.
std::shared_ptr<const FunctionalRep> analyse(const ModelArgs& args) {
  auto rep = std::make_shared<FunctionalRep>();
  rep->givenName = args.name;
  rep->inputs = args.inputs;
  rep->outputs = args.outputs;
  if (args.inputs.empty()) invalid("a functional model needs at least one input");
  if (args.outputs.empty()) invalid("a functional model needs at least one output");
  std::set<const Node*> inputNodes;
  for (size_t i = 0; i < args.inputs.size(); ++i) {
    const Node* n = BuilderAccess::node(args.inputs[i]);
    if (!n) invalid(fmt::format("inputs[{}] is an empty SymbolicTensor", i));
    if (n->kind != NodeKind::kInput) {
      invalid(fmt::format("inputs[{}] is the output of {}, not a tensor made by tfjs::input", i,
                          describe(*n)));
    }
    if (!inputNodes.insert(n).second) {
      invalid(fmt::format("inputs[{}] ({}) is given twice", i, describe(*n)));
    }
  }
  std::set<const Node*> finished;
  std::vector<const Node*> post;
  std::map<const void*, size_t> layerOrder;
  size_t output = 0;
  std::function<void(const Node*)> visit = [&](const Node* n) {
    if (finished.count(n)) return;
    if (n->kind == NodeKind::kInput && !inputNodes.count(n)) {
      invalid(
          fmt::format("outputs[{}] is not reachable from the model's inputs: it depends on "
                      "{}, which is not among them (a tensor of another model's graph?)",
                      output, describe(*n)));
    }
    layerOrder.emplace(n->identity.get(), layerOrder.size());
    for (const auto& t : n->inputs) visit(BuilderAccess::node(t));
    finished.insert(n);
    post.push_back(n);
  };
  for (output = 0; output < args.outputs.size(); ++output) {
    const Node* n = BuilderAccess::node(args.outputs[output]);
    if (!n) invalid(fmt::format("outputs[{}] is an empty SymbolicTensor", output));
    visit(n);
  }
  for (size_t i = 0; i < args.inputs.size(); ++i) {
    const Node* n = BuilderAccess::node(args.inputs[i]);
    if (!finished.count(n)) {
      invalid(fmt::format("inputs[{}] ({}) is not used by any output", i, describe(*n)));
    }
  }
  std::map<const Node*, int64_t> nodeDepth;
  std::map<const void*, int64_t> layerDepth;
  std::map<const void*, std::vector<const Node*>> nodesOf;
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    const Node* n = *it;
    const void* id = n->identity.get();
    int64_t depth = nodeDepth[n];
    depth = std::max(depth, layerDepth[id]);
    layerDepth[id] = depth;
    nodeDepth[n] = depth;
    nodesOf[id].push_back(n);
    for (const auto& t : n->inputs) {
      int64_t& d = nodeDepth[BuilderAccess::node(t)];
      d = std::max(d, depth + 1);
    }
  }
  std::vector<const void*> order;
  for (const auto& [id, depth] : layerDepth) order.push_back(id);
  std::sort(order.begin(), order.end(), [&](const void* a, const void* b) {
    if (layerDepth[a] != layerDepth[b]) return layerDepth[a] > layerDepth[b];
    return layerOrder[a] < layerOrder[b];
  });
  for (const void* id : order) {
    LayerEntry e;
    e.nodes = nodesOf[id];
    std::sort(e.nodes.begin(), e.nodes.end(),
              [](const Node* a, const Node* b) { return a->seq < b->seq; });
    e.first = e.nodes.front();
    const size_t base =
        e.first->kind == NodeKind::kSequential || e.first->kind == NodeKind::kFunctional ? 1 : 0;
    const Json print = fingerprint(*e.first);
    for (size_t i = 0; i < e.nodes.size(); ++i) {
      rep->nodeIndex[e.nodes[i]] = base + i;
      if (i > 0 && fingerprint(*e.nodes[i]) != print) {
        invalid(
            fmt::format("{} was applied twice with different configs (a LayerConfig changed "
                        "between its apply() calls?)",
                        describe(*e.first)));
      }
    }
    rep->layers.push_back(std::move(e));
  }
  return rep;
}

}  // namespace

const std::string& SymbolicTensor::layerName() const {
  static const std::string none;
  return node_ ? node_->givenName : none;
}

SymbolicTensor input(const InputArgs& a) {
  Json shape = Json::array();
  if (a.batchSize && *a.batchSize <= 0) {
    invalid(fmt::format("tfjs::input: batchSize {} is not positive", *a.batchSize));
  }
  shape.push_back(a.batchSize ? Json(*a.batchSize) : Json(nullptr));
  for (int64_t d : a.shape) {
    if (d < -1) invalid(fmt::format("tfjs::input: dimension {} is negative (-1: unknown)", d));
    shape.push_back(d < 0 ? Json(nullptr) : Json(d));
  }
  if (a.dtype.empty()) invalid("tfjs::input: an empty dtype");
  Node n;
  n.kind = NodeKind::kInput;
  n.identity = std::make_shared<const detail::LayerIdentity>();
  n.className = "InputLayer";
  n.givenName = a.name;
  n.config = {{"batch_input_shape", shape}, {"dtype", a.dtype}};
  return makeNode(std::move(n), {}, "tfjs::input")[0];
}

SymbolicTensor LayerConfig::apply(const SymbolicTensor& x) const {
  return apply(std::vector<SymbolicTensor>{x});
}

SymbolicTensor LayerConfig::apply(const std::vector<SymbolicTensor>& xs) const {
  const std::string name = givenName(*this);
  const std::string who = name.empty() ? fmt::format("apply of an unnamed {} layer", className)
                                       : fmt::format("apply of layer '{}' ({})", name, className);
  if (!identity) invalid(who + ": the LayerConfig has no identity (it was moved from?)");
  if (className == "Sequential" || className == "Model" || className == "Functional" ||
      className == "InputLayer") {
    invalid(who + ": use tfjs::Sequential / tfjs::Functional's apply or tfjs::input instead");
  }
  if (isMerge(className)) {
    const bool pair = className == "Subtract" || className == "Dot";
    if (xs.size() < 2 || (pair && xs.size() != 2)) {
      invalid(fmt::format("{}: a merge layer takes {} tensors ({{a, b{}}}), {} given", who,
                          pair ? "exactly 2" : "2 or more", pair ? "" : ", ...", xs.size()));
    }
  } else if (xs.size() != 1) {
    invalid(fmt::format("{}: the layer takes one tensor, {} given", who, xs.size()));
  }
  Node n;
  n.kind = NodeKind::kLayer;
  n.identity = identity;
  n.className = className;
  n.givenName = name;
  n.config = config;
  return makeNode(std::move(n), xs, who)[0];
}

Sequential::Sequential(std::vector<LayerConfig> layers, std::string name)
    : name_(std::move(name)), layers_(std::move(layers)) {}

Sequential& Sequential::add(LayerConfig layer) {
  layers_.push_back(std::move(layer));
  return *this;
}

Json Sequential::toJSON() const {
  if (layers_.empty()) throw Error(ErrorCode::kInvalidArgument, "a Sequential model needs a layer");
  const std::string name = name_.empty() ? "sequential" : name_;
  Namer namer;
  reserveNames(*this, namer);
  namer.reserve(name);
  assignNames(*this, namer);
  NameCheck check;
  return topology("Sequential", sequentialConfig(*this, namer, name, check));
}

LayersModel Sequential::build(uint64_t seed, const ModelOptions& options) const {
  return modelFromJSON(toJSON(), seed, options);
}

SymbolicTensor Sequential::apply(const SymbolicTensor& x) const {
  const std::string who = name_.empty() ? std::string("apply of an unnamed Sequential model")
                                        : fmt::format("apply of Sequential model '{}'", name_);
  if (layers_.empty()) invalid(who + ": the model has no layer");
  if (!identity_) invalid(who + ": the Sequential has no identity (it was moved from?)");
  Node n;
  n.kind = NodeKind::kSequential;
  n.identity = identity_;
  n.className = "Sequential";
  n.givenName = name_;
  n.sequential = std::make_shared<const Sequential>(*this);
  return makeNode(std::move(n), {x}, who)[0];
}

Functional::Functional(const ModelArgs& args) : rep_(analyse(args)) {
  (void)toJSON();  // names: every conflict is an error now rather than at build()
}

Json Functional::toJSON() const {
  const std::string name = rep_->givenName.empty() ? "model" : rep_->givenName;
  Namer namer;
  namer.reserve(name);
  reserveNames(*rep_, namer);
  assignNames(*rep_, namer);
  NameCheck check;
  return topology("Model", functionalConfig(*rep_, namer, name, check));
}

LayersModel Functional::build(uint64_t seed, const ModelOptions& options) const {
  return modelFromJSON(toJSON(), seed, options);
}

size_t Functional::numInputs() const {
  return rep_->inputs.size();
}
size_t Functional::numOutputs() const {
  return rep_->outputs.size();
}

std::vector<SymbolicTensor> Functional::applyMulti(const std::vector<SymbolicTensor>& xs) const {
  const std::string who = rep_->givenName.empty()
                              ? std::string("apply of an unnamed functional model")
                              : fmt::format("apply of model '{}'", rep_->givenName);
  if (xs.size() != rep_->inputs.size()) {
    invalid(fmt::format("{}: the model takes {} tensor(s), {} given", who, rep_->inputs.size(),
                        xs.size()));
  }
  Node n;
  n.kind = NodeKind::kFunctional;
  n.identity = rep_;
  n.className = "Model";
  n.givenName = rep_->givenName;
  n.functional = rep_;
  n.numOutputs = rep_->outputs.size();
  return makeNode(std::move(n), xs, who);
}

SymbolicTensor Functional::apply(const std::vector<SymbolicTensor>& xs) const {
  if (rep_->outputs.size() != 1) {
    invalid(fmt::format("apply of a model with {} outputs: use applyMulti", rep_->outputs.size()));
  }
  return applyMulti(xs)[0];
}

SymbolicTensor Functional::apply(const SymbolicTensor& x) const {
  return apply(std::vector<SymbolicTensor>{x});
}

}  // namespace tfjs
