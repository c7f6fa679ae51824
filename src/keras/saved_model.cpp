// keras/saved_model.cpp — tf.keras 2.x SavedModel reader (see saved_model.h for the contract).
//
// What tensorflowjs_converter's keras_saved_model path gets from tf_keras.models.load_model()
// followed by model.save(h5): keras_metadata.pb's root JSON gives keras_version, backend,
// model_config and training_config (rewritten as the .h5 would hold them: `__tuple__` and
// TensorShape objects become lists, SavedModel-only `shared_object_id` keys are dropped); the
// checkpoint's object graph gives model.layers (the root's `layer-<i>` edges), each layer's weights
// in `layer.weights` order (its `variables` list) and each weight's TF name (the SerializedTensor
// full_name); the TensorBundle gives the values. Layers come out in h5py's order (by name), as
// keras/h5.cpp returns them for the .h5 the converter would have written.
#include "keras/saved_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "format/checked.h"
#include "io/files.h"
#include "keras/tensor_bundle.h"
#include "model/topology.h"
#include "src/keras/proto/saved_metadata.pb.h"
#include "src/keras/proto/saved_model.pb.h"
#include "src/keras/proto/trackable_object_graph.pb.h"
#include "tfjs/dtype.h"
#include "tfjs/error.h"

namespace fs = std::filesystem;

namespace tfjs::keras {
namespace {

using ObjectGraph = proto::TrackableObjectGraph;
using TrackableObject = proto::TrackableObjectGraph::TrackableObject;

constexpr const char* kObjectGraphKey = "_CHECKPOINTABLE_OBJECT_GRAPH";
constexpr uint64_t kMaxMetadataBytes = 256ull << 20;
constexpr uint64_t kMaxSavedModelBytes = 1ull << 30;  // protobuf's own limit is 2 GiB

std::string readSmallFile(const fs::path& path, uint64_t cap, const char* what) {
  return io::readFileCapped(path.string(), cap, what);
}

// The JSON as the .h5 the converter writes would hold it: Keras's SavedModel JSON encoder writes
// tuples as {"class_name": "__tuple__", "items": [...]} and TensorShapes as
// {"class_name": "TensorShape", "items": [...]}, which load_model turns back into tuples and
// shapes and the .h5 writer into lists; `shared_object_id` exists only in SavedModel metadata.
Json toH5Json(const Json& j, int depth = 0) {
  if (depth > 512) throw Error(ErrorCode::kSchema, "metadata JSON nested too deeply");
  if (j.is_object()) {
    const auto cls = j.find("class_name");
    const auto items = j.find("items");
    if (cls != j.end() && items != j.end() && j.size() == 2 && cls->is_string() &&
        (*cls == "__tuple__" || *cls == "TensorShape")) {
      return toH5Json(*items, depth + 1);
    }
    Json out = Json::object();
    for (const auto& [k, v] : j.items()) {
      if (k == "shared_object_id") continue;
      out[k] = toH5Json(v, depth + 1);
    }
    return out;
  }
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& v : j) out.push_back(toH5Json(v, depth + 1));
    return out;
  }
  return j;
}

// "layer-12" -> 12; nullopt for other edge names.
std::optional<uint64_t> layerIndex(const std::string& edge) {
  constexpr std::string_view kPrefix = "layer-";
  if (edge.size() <= kPrefix.size() || edge.compare(0, kPrefix.size(), kPrefix) != 0) {
    return std::nullopt;
  }
  uint64_t v = 0;
  const char* b = edge.data() + kPrefix.size();
  const char* e = edge.data() + edge.size();
  const auto [ptr, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || ptr != e) return std::nullopt;
  return v;
}

// A weight's value, converted as the converter's write_weights converts dtypes.
Tensor toTensor(const BundleEntry& e, const std::vector<uint8_t>& raw, const std::string& file) {
  const uint64_t n = elementCount(e.shape);
  switch (e.dtype) {
    case kDtFloat:
    case kDtInt32: {
      Buffer b = Buffer::allocate(raw.size());
      if (!raw.empty()) std::memcpy(b.mutableData(), raw.data(), raw.size());
      return Tensor(e.dtype == kDtFloat ? DType::kFloat32 : DType::kInt32, e.shape, std::move(b),
                    0);
    }
    case kDtDouble:
    case kDtHalf: {
      Buffer b = Buffer::allocate(static_cast<size_t>(checkedMul(n, 4)));
      for (uint64_t i = 0; i < n; ++i) {
        float f;
        if (e.dtype == kDtDouble) {
          double d;
          std::memcpy(&d, raw.data() + i * 8, 8);
          f = static_cast<float>(d);
        } else {
          uint16_t h;
          std::memcpy(&h, raw.data() + i * 2, 2);
          f = halfToFloat(h);
        }
        std::memcpy(b.mutableData() + i * 4, &f, 4);
      }
      return Tensor(DType::kFloat32, e.shape, std::move(b), 0);
    }
    case kDtInt64: {
      Buffer b = Buffer::allocate(static_cast<size_t>(checkedMul(n, 4)));
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t v;
        std::memcpy(&v, raw.data() + i * 8, 8);
        const auto w = static_cast<uint32_t>(v);  // wraps, as numpy's astype(int32)
        std::memcpy(b.mutableData() + i * 4, &w, 4);
      }
      return Tensor(DType::kInt32, e.shape, std::move(b), 0);
    }
    case kDtBool: {
      Buffer b = Buffer::allocate(raw.size());
      for (size_t i = 0; i < raw.size(); ++i) b.mutableData()[i] = raw[i] != 0 ? 1 : 0;
      return Tensor(DType::kBool, e.shape, std::move(b), 0);
    }
    default:
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("weight '{}' has dtype {}; the converter writes only float32, "
                              "int32 and bool (from float16/32/64, int32/64, bool)",
                              e.key, tfDataTypeName(e.dtype)),
                  file, e.key);
  }
}

// One Keras object (layer, model, metric) of a SavedModel, as keras_metadata.pb lists it.
struct KerasObject {
  int32_t nodeId = 0;      // index into saved_model.pb's SavedObjectGraph
  std::string nodePath;    // "root", "root.layer-2", ... (object graph edge names)
  std::string identifier;  // "_tf_keras_layer", ...
  std::string metadata;    // its JSON
};

struct KerasObjects {
  std::string file;  // where they were read, for errors
  std::string what;  // "keras_metadata.pb" or "saved_model.pb's object graph"
  std::vector<KerasObject> nodes;
};

// The identifiers Keras gives its objects (keras/saving/legacy/saved_model/constants.py).
bool isKerasIdentifier(const std::string& id) {
  static const std::set<std::string> k = {"_tf_keras_layer",       "_tf_keras_input_layer",
                                          "_tf_keras_network",     "_tf_keras_model",
                                          "_tf_keras_sequential",  "_tf_keras_metric",
                                          "_tf_keras_rnn_layer",   "_tf_keras_saved_layer",
                                          "_tf_keras_saved_model", "_tf_keras_saved_network"};
  return k.count(id) > 0;
}

// keras_metadata.pb (tf.keras 2.5+).
KerasObjects readKerasMetadataFile(const fs::path& path) {
  const std::string bytes = readSmallFile(path, kMaxMetadataBytes, "keras_metadata.pb");
  proto::SavedMetadata meta;
  if (!meta.ParseFromString(bytes)) {
    throw Error(ErrorCode::kSchema,
                "keras_metadata.pb is not a valid SavedMetadata protobuf (corrupt file?)",
                path.string());
  }
  KerasObjects out{path.string(), "keras_metadata.pb", {}};
  for (const auto& n : meta.nodes()) {
    out.nodes.push_back({n.node_id(), n.node_path(), n.identifier(), n.metadata()});
  }
  return out;
}

// saved_model.pb, parsed on first use (Keras 2.5+ SavedModels are read without it unless a
// variable's name or the model's input shape must come from it).
class SavedModelFile {
 public:
  explicit SavedModelFile(fs::path path) : path_(std::move(path)) {}
  const fs::path& path() const { return path_; }
  // Throws kIo / kTooLarge / kSchema for a file that cannot be read or parsed, or that holds no
  // MetaGraphDef. Keras reads the first MetaGraphDef, as tf.saved_model.load does.
  const proto::SavedModel& get() {
    if (parsed_) return model_;
    const std::string bytes = readSmallFile(path_, kMaxSavedModelBytes, "saved_model.pb");
    if (!model_.ParseFromString(bytes)) {
      throw Error(ErrorCode::kSchema,
                  "saved_model.pb is not a valid SavedModel protobuf (corrupt file?)",
                  path_.string());
    }
    if (model_.meta_graphs_size() == 0) {
      throw Error(ErrorCode::kSchema, "saved_model.pb holds no MetaGraphDef", path_.string());
    }
    parsed_ = true;
    return model_;
  }

  // The TF name of the variable a checkpoint key leads to in the object graph (the key is the
  // escaped edge path: "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE"), or "".
  std::string variableName(const std::string& checkpointKey) {
    const auto& graph = get().meta_graphs(0).object_graph_def();
    if (graph.nodes_size() == 0) return "";
    int32_t node = 0;
    size_t from = 0;
    while (from < checkpointKey.size()) {
      size_t to = checkpointKey.find('/', from);
      if (to == std::string::npos) to = checkpointKey.size();
      const std::string escaped = checkpointKey.substr(from, to - from);
      from = to + 1;
      if (escaped == ".ATTRIBUTES") break;
      std::string edge;  // "." is written "..", "/" is written ".S"
      for (size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] == '.' && i + 1 < escaped.size()) {
          edge += escaped[i + 1] == 'S' ? '/' : escaped[i + 1];
          ++i;
        } else {
          edge += escaped[i];
        }
      }
      int32_t next = -1;
      for (const auto& c : graph.nodes(node).children()) {
        if (c.local_name() == edge) next = c.node_id();
      }
      if (next < 0 || next >= graph.nodes_size()) return "";
      node = next;
    }
    const auto& n = graph.nodes(node);
    return n.has_variable() ? n.variable().name() : "";
  }

  // The shape of the one input of the serving_default signature (unknown dimensions null), or
  // null when there is no such signature or it has several inputs or an unknown rank.
  Json servingInputShape() {
    for (const auto& sig : get().meta_graphs(0).signature_def()) {
      if (sig.key() != "serving_default" || sig.value().inputs_size() != 1) continue;
      const auto& shape = sig.value().inputs(0).value().tensor_shape();
      if (shape.unknown_rank() || shape.dim_size() == 0) return nullptr;
      Json out = Json::array();
      for (const auto& d : shape.dim()) out.push_back(d.size() < 0 ? Json() : Json(d.size()));
      return out;
    }
    return nullptr;
  }

 private:
  fs::path path_;
  proto::SavedModel model_;
  bool parsed_ = false;
};

// What Keras 2.5+'s loader does for a SavedModel saved before TF 2.5 (_read_legacy_metadata):
// every object of saved_model.pb's SavedObjectGraph whose SavedUserObject has a Keras
// identifier, with the JSON TF 2.0-2.4 stored in its `metadata`, at the path
// _generate_object_paths gives it (a depth-first walk from the root that names each node by the
// edges to where it is first seen). Returns no nodes when the graph holds no Keras object (a
// plain tf.Module, a TF 1 SavedModel); throws when it holds Keras objects without metadata
// (tf.saved_model.save of a Keras model by TF 2.5+), an edge to a node that does not exist, or
// model layers that contain themselves.
KerasObjects readLegacyKerasObjects(SavedModelFile& file) {
  const fs::path& path = file.path();
  const proto::SavedModel& sm = file.get();
  KerasObjects out{path.string(), "saved_model.pb's object graph", {}};
  const auto& graph = sm.meta_graphs(0).object_graph_def();
  const int32_t count = graph.nodes_size();
  if (count == 0) return out;

  std::vector<std::string> paths(static_cast<size_t>(count));
  std::vector<bool> named(static_cast<size_t>(count), false);
  paths[0] = "root";
  named[0] = true;
  std::vector<int32_t> stack{0};
  while (!stack.empty()) {
    const int32_t current = stack.back();
    stack.pop_back();
    for (const auto& c : graph.nodes(current).children()) {
      if (c.node_id() < 0 || c.node_id() >= count) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("saved_model.pb's object graph: node {} ('{}') has a child '{}' "
                                "that is node {}, but the graph has {} nodes",
                                current, paths[current], c.local_name(), c.node_id(), count),
                    path.string());
      }
      if (named[c.node_id()]) continue;
      named[c.node_id()] = true;
      paths[c.node_id()] = paths[current] + "." + c.local_name();
      stack.push_back(c.node_id());
    }
  }

  // Models hold their layers by `layer-<i>` edges; a model reached again through its own
  // layers would make Keras's reconstruction recurse forever.
  std::vector<uint8_t> state(static_cast<size_t>(count), 0);  // 0 new, 1 on the path, 2 done
  std::vector<std::pair<int32_t, int>> walk{{0, 0}};
  state[0] = 1;
  while (!walk.empty()) {
    auto& [id, next] = walk.back();
    const auto& children = graph.nodes(id).children();
    if (next == children.size()) {
      state[id] = 2;
      walk.pop_back();
      continue;
    }
    const auto& c = children[next++];
    if (!layerIndex(c.local_name())) continue;
    if (state[c.node_id()] == 1) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("saved_model.pb's object graph has a cycle: node {} ('{}') has "
                              "layer '{}' that is node {} ('{}'), which contains it",
                              id, paths[id], c.local_name(), c.node_id(), paths[c.node_id()]),
                  path.string());
    }
    if (state[c.node_id()] == 0) {
      state[c.node_id()] = 1;
      walk.push_back({c.node_id(), 0});
    }
  }

  size_t withoutMetadata = 0;
  for (int32_t i = 0; i < count; ++i) {
    const auto& n = graph.nodes(i);
    if (!n.has_user_object() || !isKerasIdentifier(n.user_object().identifier())) continue;
    if (n.user_object().metadata().empty()) {
      ++withoutMetadata;
      continue;
    }
    if (!named[i]) continue;  // not reachable from the root: never loaded
    out.nodes.push_back({i, paths[i], n.user_object().identifier(), n.user_object().metadata()});
  }
  if (out.nodes.empty() && withoutMetadata > 0) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("no keras_metadata.pb, and the {} Keras objects of saved_model.pb "
                            "carry no metadata: this is not a Keras SavedModel that holds its "
                            "model config (TF 2.5+ keeps it in keras_metadata.pb, which "
                            "model.save writes and tf.saved_model.save does not). Save the model "
                            "with model.save(path) (or as .h5 / .keras); a plain TensorFlow "
                            "SavedModel converts to a graph model instead (tf_saved_model -> "
                            "tfjs_graph_model), another conversion path",
                            withoutMetadata),
                path.string());
  }
  return out;
}

// The Keras objects of the SavedModel `dir`: keras_metadata.pb when present (it takes
// precedence, as in Keras), else those of saved_model.pb (TF 2.0-2.4).
KerasObjects readKerasObjects(const fs::path& dir, SavedModelFile& savedModel) {
  std::error_code ec;
  const fs::path metaPath = dir / "keras_metadata.pb";
  if (fs::exists(metaPath, ec)) return readKerasMetadataFile(metaPath);
  KerasObjects objects = readLegacyKerasObjects(savedModel);
  if (objects.nodes.empty()) {
    throw Error(ErrorCode::kUnsupported,
                "no keras_metadata.pb, and saved_model.pb holds no Keras object: this is not a "
                "Keras SavedModel (tf.keras 2.5+ model.save writes keras_metadata.pb; TF 2.0-2.4 "
                "keep the Keras config in saved_model.pb), so it has no Keras model config to "
                "convert to a layers model. A plain TensorFlow SavedModel converts to a graph "
                "model instead (tf_saved_model -> tfjs_graph_model), which is another "
                "conversion path",
                dir.string());
  }
  return objects;
}

// Every model layer of the object graph must be a layer of the model config and every layer of
// the config but an InputLayer (Sequential's model.layers leaves its InputLayer out) must have an
// object: else the weights of a layer would be missing from, or foreign to, the output.
void checkLayersAgainstConfig(const Json& modelConfig, const std::set<std::string>& objectLayers,
                              const std::set<std::string>& inputObjects,
                              const KerasObjects& objects) {
  const Json* list = topology::layerList(modelConfig);
  if (!list) return;  // the converter's checks name a malformed config
  std::set<std::string> configLayers;
  for (const auto& l : *list) {
    if (!l.is_object()) continue;
    std::string name;
    if (const auto c = l.find("config"); c != l.end() && c->is_object()) {
      if (const auto n = c->find("name"); n != c->end() && n->is_string()) name = *n;
    }
    if (name.empty()) {
      if (const auto n = l.find("name"); n != l.end() && n->is_string()) name = *n;
    }
    if (name.empty()) continue;
    configLayers.insert(name);
    if (l.value("class_name", "") != "InputLayer" && !objectLayers.count(name)) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("layer '{}' ({}) of the model config has no object in the "
                              "SavedModel's object graph, so its weights cannot be found",
                              name, l.value("class_name", "?")),
                  objects.file);
    }
  }
  for (const auto& name : objectLayers) {
    if (!configLayers.count(name) && !inputObjects.count(name)) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("the object graph has a model layer '{}' that the model config "
                              "does not list",
                              name),
                  objects.file);
    }
  }
}

struct Reader {
  const fs::path dir;
  ObjectGraph graph;
  uint64_t total = 0;

  const TrackableObject& node(int32_t id, const std::string& where) const {
    if (id < 0 || id >= graph.nodes_size()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("the checkpoint object graph refers to node {} from {}, but has {} "
                              "nodes",
                              id, where, graph.nodes_size()),
                  (dir / "variables" / "variables.index").string());
    }
    return graph.nodes(id);
  }

  // The node's VARIABLE_VALUE attribute, or nullptr when it is not a saved variable.
  static const TrackableObject::SerializedTensor* variableValue(const TrackableObject& n) {
    for (const auto& a : n.attributes()) {
      if (a.name() == "VARIABLE_VALUE") return &a;
    }
    return nullptr;
  }

  // The variable nodes of a layer, in `layer.weights` order: its `variables` list when it has
  // one (Keras adds it to every layer it saves in a SavedModel); else its direct variable
  // children, ordered as in the model's `variables` list (model.weights restricted to one layer is
  // that layer's weights) or, failing that, in the order they were tracked.
  std::vector<int32_t> layerVariables(const TrackableObject& layer, const std::string& where,
                                      const std::vector<int32_t>& modelVariables) const {
    std::vector<int32_t> out;
    for (const auto& c : layer.children()) {
      if (c.local_name() != "variables") continue;
      const TrackableObject& list = node(c.node_id(), where + "/variables");
      for (const auto& item : list.children()) {
        node(item.node_id(), where + "/variables/" + item.local_name());
        out.push_back(item.node_id());
      }
      return out;
    }
    std::set<int32_t> seen;
    for (const auto& c : layer.children()) {
      if (variableValue(node(c.node_id(), where + "/" + c.local_name())) &&
          seen.insert(c.node_id()).second) {
        out.push_back(c.node_id());
      }
    }
    std::map<int32_t, size_t> position;  // variables not in the model's list go last
    for (size_t i = 0; i < modelVariables.size(); ++i) position.emplace(modelVariables[i], i);
    const auto pos = [&](int32_t v) {
      const auto it = position.find(v);
      return it == position.end() ? modelVariables.size() : it->second;
    };
    std::stable_sort(out.begin(), out.end(), [&](int32_t a, int32_t b) { return pos(a) < pos(b); });
    return out;
  }
};

}  // namespace

bool looksLikeSavedModel(const std::string& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::is_regular_file(fs::path(dir) / "saved_model.pb", ec);
}

KerasFile readKerasSavedModel(const std::string& dirName, const KerasReadOptions& options) {
  const fs::path dir(dirName);
  std::error_code ec;
  if (!fs::exists(dir, ec)) throw Error(ErrorCode::kNotFound, "no such folder", dirName);
  if (!fs::is_directory(dir, ec)) {
    throw Error(ErrorCode::kInvalidArgument,
                "not a folder; a SavedModel is a folder with saved_model.pb", dirName);
  }
  if (!fs::is_regular_file(dir / "saved_model.pb", ec)) {
    // TF Serving keeps versions in numbered subfolders: point at one.
    std::string hint;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (!name.empty() &&
          std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
          fs::is_regular_file(it->path() / "saved_model.pb", ec)) {
        hint = fmt::format(" (the subfolder '{}' holds one: pass that folder)", name);
        break;
      }
    }
    throw Error(ErrorCode::kNotFound,
                fmt::format("no saved_model.pb: not a SavedModel folder{}", hint), dirName);
  }
  // --- The Keras objects' JSON: keras_metadata.pb (Keras 2.5+), else saved_model.pb ------------
  SavedModelFile savedModel(dir / "saved_model.pb");
  const KerasObjects objects = readKerasObjects(dir, savedModel);
  const std::string& metaFile = objects.file;
  std::map<std::string, const KerasObject*> byPath;
  for (const auto& n : objects.nodes) byPath.emplace(n.nodePath, &n);
  const auto rootIt = byPath.find("root");
  if (rootIt == byPath.end()) {
    throw Error(
        ErrorCode::kSchema,
        fmt::format("{} has no Keras object at node_path 'root' (the model itself)", objects.what),
        metaFile);
  }
  const auto parseJson = [&](const KerasObject& n) {
    Json j = Json::parse(n.metadata, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("the metadata of node {} ('{}', {}) in {} is not a JSON object "
                              "({} bytes)",
                              n.nodeId, n.nodePath, n.identifier, objects.what, n.metadata.size()),
                  metaFile);
    }
    return j;
  };
  const Json root = parseJson(*rootIt->second);

  KerasFile out;
  out.path = dirName;
  const auto str = [&](const char* key) -> std::string {
    const auto it = root.find(key);
    if (it == root.end() || it->is_null()) return {};
    if (!it->is_string()) {
      throw Error(ErrorCode::kSchema, fmt::format("the root metadata's '{}' is not a string", key),
                  metaFile);
    }
    return it->get<std::string>();
  };
  out.kerasVersion = str("keras_version");
  out.backend = str("backend");
  const auto mcIt = root.find("model_config");
  if (mcIt == root.end() || mcIt->is_null()) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("the root object ({}) has no model_config: a subclassed Keras model "
                            "has no config to rebuild it from, and the converter cannot convert "
                            "it to a layers model either",
                            rootIt->second->identifier),
                metaFile);
  }
  const Json* mc = &*mcIt;
  if (!mc->is_object() || !mc->contains("class_name")) {
    throw Error(ErrorCode::kSchema,
                "the root metadata's model_config is not an object with a class_name", metaFile);
  }
  // Keras revives a model from its own metadata's class_name and config; model_config (what the
  // .h5 would hold) lacks the config when get_config failed at save time (seen on a TF 2.3 TFX
  // model), while the metadata still has the network's.
  Json revived;
  if (!mc->contains("config") && root.contains("config") && root["config"].is_object() &&
      root.value("class_name", "") == mc->value("class_name", "") &&
      (root["class_name"] == "Sequential" || root["class_name"] == "Functional" ||
       root["class_name"] == "Model")) {
    revived = {{"class_name", root["class_name"]}, {"config", root["config"]}};
    mc = &revived;
  }
  if (!mc->contains("config")) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("the model is a subclassed Keras model (class {}): it has no config "
                            "to rebuild it from, and the converter cannot convert it to a layers "
                            "model either",
                            (*mc)["class_name"].dump()),
                metaFile);
  }
  out.modelConfig = toH5Json(*mc);
  // A Sequential built by fit() or build() has no input shape in its layers; Keras keeps it as
  // the model's build_input_shape (in the .h5's config too): from the metadata, or from the
  // serving signature TF 2.0-2.4 saved with it.
  if (Json& cfg = out.modelConfig["config"];
      out.modelConfig["class_name"] == "Sequential" && cfg.is_object() &&
      !cfg.contains("build_input_shape") && cfg.contains("layers") && cfg["layers"].is_array() &&
      !cfg["layers"].empty() && cfg["layers"][0].is_object() &&
      cfg["layers"][0].value("class_name", "") != "InputLayer" &&
      !cfg["layers"][0].value("config", Json::object()).contains("batch_input_shape")) {
    Json shape;
    if (const auto b = root.find("build_input_shape"); b != root.end()) shape = toH5Json(*b);
    if (!shape.is_array()) {
      try {
        shape = savedModel.servingInputShape();
      } catch (const Error&) {
        shape = nullptr;  // without a readable saved_model.pb the input shape stays unknown
      }
    }
    if (shape.is_array()) cfg["build_input_shape"] = std::move(shape);
  }

  if (const auto tc = root.find("training_config"); tc != root.end() && !tc->is_null()) {
    out.trainingConfig = toH5Json(*tc);
  }

  // --- variables/: the object graph, model.layers, each layer's weights ------------------------
  TensorBundle::Limits limits;
  limits.maxTensorBytes = options.maxDatasetBytes * 2;  // float64/int64 shrink to 4 bytes
  const TensorBundle bundle =
      TensorBundle::open((dir / "variables" / "variables").string(), limits);
  if (!bundle.contains(kObjectGraphKey)) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the checkpoint has no '{}' entry, so its variables cannot be linked "
                            "to layers",
                            kObjectGraphKey),
                bundle.indexPath());
  }
  const auto graphStrings = bundle.readStrings(bundle.entry(kObjectGraphKey));
  Reader r{dir, {}};
  if (graphStrings.size() != 1 || !r.graph.ParseFromString(graphStrings.front())) {
    throw Error(ErrorCode::kSchema,
                fmt::format("'{}' is not one serialized TrackableObjectGraph", kObjectGraphKey),
                bundle.shardPath(0));
  }
  if (r.graph.nodes_size() == 0) {
    throw Error(ErrorCode::kSchema, "the checkpoint object graph has no nodes", bundle.indexPath());
  }
  const TrackableObject& rootNode = r.graph.nodes(0);

  // model.variables, for ordering layers without their own list.
  std::vector<int32_t> modelVariables;
  for (const auto& c : rootNode.children()) {
    if (c.local_name() != "variables") continue;
    for (const auto& item : r.node(c.node_id(), "root/variables").children()) {
      modelVariables.push_back(item.node_id());
    }
    break;
  }

  // model.layers: the root's `layer-<i>` edges, in index order.
  std::map<uint64_t, int32_t> layerNodes;
  for (const auto& c : rootNode.children()) {
    if (const auto i = layerIndex(c.local_name())) {
      r.node(c.node_id(), "root/" + c.local_name());
      if (!layerNodes.emplace(*i, c.node_id()).second) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("the object graph's root has two '{}' edges", c.local_name()),
                    bundle.indexPath());
      }
    }
  }
  if (layerNodes.empty()) {
    throw Error(ErrorCode::kUnsupported,
                "the model has no layers in its checkpoint object graph (no 'layer-N' edges): "
                "only Sequential and Functional Keras models can be converted",
                bundle.indexPath());
  }

  // Reads the variables `vars` (object graph nodes) into `layer.weights`, in that order.
  const auto addWeights = [&](KerasLayerWeights& layer, const std::vector<int32_t>& vars,
                              const std::string& where) {
    for (const int32_t v : vars) {
      const auto* attr = Reader::variableValue(r.node(v, where));
      if (!attr) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("a variable of layer '{}' (object graph node {}) has no saved "
                                "value in the checkpoint",
                                layer.name, v),
                    bundle.indexPath());
      }
      // The name the variable has in TF (and in the .h5: "dense/kernel:0"): the checkpoint's,
      // or (TF 2.2 leaves it out) the SavedModel object graph's.
      std::string fullName = attr->full_name();
      if (fullName.empty()) fullName = savedModel.variableName(attr->checkpoint_key());
      if (fullName.empty()) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("the variable with checkpoint key '{}' of layer '{}' has no full "
                                "(TF variable) name to call it by, in the checkpoint or in "
                                "saved_model.pb",
                                attr->checkpoint_key(), layer.name),
                    bundle.indexPath());
      }
      const std::string weightName = fullName + ":0";
      if (!options.readWeights) continue;
      if (!bundle.contains(attr->checkpoint_key())) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("weight '{}' of layer '{}' has checkpoint key '{}', which the "
                                "index does not hold",
                                weightName, layer.name, attr->checkpoint_key()),
                    bundle.indexPath(), weightName);
      }
      const BundleEntry e = bundle.entry(attr->checkpoint_key());
      const uint64_t n = elementCount(e.shape);
      const uint64_t outBytes = checkedMul(n, e.dtype == kDtBool ? 1 : 4);
      if (outBytes > options.maxDatasetBytes) {
        throw Error(ErrorCode::kTooLarge,
                    fmt::format("weight of shape {} needs {} bytes, over the {}-byte cap",
                                shapeString(e.shape), outBytes, options.maxDatasetBytes),
                    bundle.indexPath(), weightName);
      }
      r.total = checkedAdd(r.total, outBytes);
      if (r.total > options.maxTotalBytes) {
        throw Error(
            ErrorCode::kTooLarge,
            fmt::format("the weights need more than the {}-byte cap", options.maxTotalBytes),
            bundle.indexPath(), weightName);
      }
      if (tfDataTypeSize(e.dtype) == 0 ||
          !(e.dtype == kDtFloat || e.dtype == kDtDouble || e.dtype == kDtHalf ||
            e.dtype == kDtInt32 || e.dtype == kDtInt64 || e.dtype == kDtBool)) {
        throw Error(ErrorCode::kUnsupported,
                    fmt::format("weight '{}' has dtype {}; the converter writes only float32, "
                                "int32 and bool (from float16/32/64, int32/64, bool)",
                                weightName, tfDataTypeName(e.dtype)),
                    bundle.indexPath(), weightName);
      }
      layer.weights.push_back({weightName, toTensor(e, bundle.readBytes(e), bundle.indexPath())});
    }
  };

  std::set<std::string> names, inputObjects;
  for (const auto& [index, nodeId] : layerNodes) {
    const std::string where = fmt::format("layer-{}", index);
    // The layer's metadata is under the first root edge that reaches it (layer_with_weights-k
    // comes before layer-i).
    const KerasObject* lm = nullptr;
    for (const auto& c : rootNode.children()) {
      if (c.node_id() != nodeId) continue;
      const auto it = byPath.find("root." + c.local_name());
      if (it != byPath.end()) {
        lm = it->second;
        break;
      }
    }
    if (!lm) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("model layer {} (object graph node {}) has no Keras object in {} "
                              "(no node_path 'root.{}')",
                              index, nodeId, objects.what, where),
                  metaFile);
    }
    const Json lj = parseJson(*lm);
    const auto nameIt = lj.find("name");
    if (nameIt == lj.end() || !nameIt->is_string() || nameIt->get<std::string>().empty()) {
      throw Error(
          ErrorCode::kSchema,
          fmt::format("the metadata of node {} ('{}') has no layer name", lm->nodeId, lm->nodePath),
          metaFile);
    }
    KerasLayerWeights layer{nameIt->get<std::string>(), {}};
    // TF 2.0-2.1 list a Sequential's InputLayer among its layers; its config does not.
    if (lj.value("class_name", "") == "InputLayer") inputObjects.insert(layer.name);
    if (!names.insert(layer.name).second) {
      throw Error(ErrorCode::kSchema, fmt::format("two model layers are named '{}'", layer.name),
                  metaFile);
    }
    const auto vars = r.layerVariables(r.node(nodeId, where), where, modelVariables);
    addWeights(layer, vars, where);
    out.layers.push_back(std::move(layer));
  }
  checkLayersAgainstConfig(out.modelConfig, names, inputObjects, objects);
  // Keras (2.6+) also writes the model's own weights, outside any layer, as the .h5 group
  // `top_level_model_weights` (empty for Sequential and Functional models, but present).
  {
    KerasLayerWeights top{"top_level_model_weights", {}};
    std::vector<int32_t> vars;
    for (const auto& c : rootNode.children()) {
      if (Reader::variableValue(r.node(c.node_id(), "root/" + c.local_name())) &&
          std::find(vars.begin(), vars.end(), c.node_id()) == vars.end()) {
        vars.push_back(c.node_id());
      }
    }
    addWeights(top, vars, "root");
    if (names.count(top.name) == 0) out.layers.push_back(std::move(top));
  }
  // h5py lists model_weights/ members by name.
  std::sort(out.layers.begin(), out.layers.end(),
            [](const KerasLayerWeights& a, const KerasLayerWeights& b) { return a.name < b.name; });
  return out;
}

}  // namespace tfjs::keras
