// keras/keras_writers.cpp — the Keras `.h5` writer and the Keras 3 `.keras` writer (see
// keras_zip.h for the contract).
//
// Layouts follow the real writers: tf_keras's legacy hdf5_format.py as written through h5py 3 for
// the `.h5` (root attributes, the `model_weights` group with `layer_names`, one group per layer
// with `weight_names` and the datasets at those paths), and keras-team/keras
// keras/src/saving/saving_lib.py for the `.keras` archive (its state tree: keras3_state.h). Which
// variable is which comes from model/variables.h, so every layer class the runtime can build is
// covered without a per-class table here; only the few classes that keep their variables in
// sub-objects (RNN cells, wrappers, nested models) are named.
#include "keras/keras_zip.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <hdf5.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "format/checked.h"
#include "io/files.h"
#include "keras/h5.h"
#include "keras/hdf5_util.h"
#include "keras/keras3_state.h"
#include "keras/zip_util.h"
#include "model/variables.h"

namespace fs = std::filesystem;

namespace tfjs::keras {
namespace {

using namespace state;  // NOLINT(google-build-using-namespace): this folder's own helpers

constexpr uint64_t kHdf5HeaderLimit = 64512;  // Keras's HDF5_OBJECT_HEADER_LIMIT
constexpr const char* kDefaultKeras2Version = "2.15.0";
constexpr const char* kDefaultKeras3Version = "3.0.0";

// --- binding TF.js weights to the topology's variables ---------------------------------------

struct BoundVariable {
  const LayerVariables* layer = nullptr;
  size_t variable = 0;
  size_t weight = 0;  // index into the decoded weights
};

// Binds every variable to a manifest weight as TF.js's loader (and our runtime) does: the name
// `<layer>/<variable>` exactly (":0" ignored), else TF.js's fallback (drop the second-to-last
// component) or a model-name prefix dropped. Every variable must find a weight of its shape and
// every model weight must be used (TF.js's strict mode); optimizer weights are skipped.
std::vector<BoundVariable> bindVariables(const std::vector<LayerVariables>& vars,
                                         const std::vector<NamedTensor>& weights,
                                         const std::vector<bool>& optimizer) {
  std::vector<std::string> names;
  for (const auto& w : weights) names.push_back(w.name);
  const WeightNameIndex index(names, optimizer);
  std::vector<BoundVariable> out;
  std::vector<bool> used(weights.size(), false);
  std::vector<Problem> problems;
  for (const auto& lv : vars) {
    for (size_t v = 0; v < lv.variables.size(); ++v) {
      const std::string key = lv.layer + "/" + lv.variables[v].name;
      const size_t idx = index.find(key, lv.variables[v].aliases);
      if (idx == SIZE_MAX) {
        problems.push_back({ErrorCode::kSchema,
                            fmt::format("no weight for variable '{}' of layer '{}' ({})", key,
                                        lv.layer, lv.className),
                            "", key, std::nullopt});
        continue;
      }
      const NamedTensor& w = weights[idx];
      if (w.tensor.shape() != lv.variables[v].shape) {
        problems.push_back({ErrorCode::kSchema,
                            fmt::format("the weight has shape {} but layer '{}' ({}) needs {} "
                                        "for '{}'",
                                        shapeString(w.tensor.shape()), lv.layer, lv.className,
                                        shapeString(lv.variables[v].shape), lv.variables[v].name),
                            "", w.name, std::nullopt});
        continue;
      }
      if (w.tensor.dtype() != DType::kFloat32) {
        problems.push_back({ErrorCode::kUnsupported,
                            fmt::format("the weight is {}; Keras layer variables are float32",
                                        dtypeName(w.tensor.dtype())),
                            "", w.name, std::nullopt});
        continue;
      }
      used[idx] = true;
      out.push_back({&lv, v, idx});
    }
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!used[i] && !optimizer[i]) {
      problems.push_back({ErrorCode::kSchema,
                          "the weight has no variable in the model topology (TF.js would refuse "
                          "it in strict mode)",
                          "", weights[i].name, std::nullopt});
    }
  }
  if (!problems.empty()) throw Error(std::move(problems));
  return out;
}

// What both writers need from TF.js layers-model artifacts.
struct Prepared {
  Json modelConfig;  // {class_name, config}
  std::vector<LayerVariables> vars;
  std::vector<NamedTensor> weights;
  std::vector<BoundVariable> bound;
  std::unordered_map<std::string, const BoundVariable*> byVariable;  // key + "\x1e" + index
};

std::string variableKey(const LayerVariables& lv, size_t v) {
  return modelKey(lv.modelPath, lv.layer) + "\x1e" + std::to_string(v);
}

Prepared prepare(const ModelArtifacts& artifacts, const std::string& path) {
  if (artifacts.inferredFormat() != ModelFormat::kLayers) {
    throw Error(ErrorCode::kInvalidArgument,
                "a graph model cannot be written as a Keras file; a layers model is needed", path);
  }
  if (artifacts.modelTopology.is_null()) {
    throw Error(ErrorCode::kWeightsOnly,
                "the model has no topology (weights only); a Keras model file needs one", path);
  }
  if (!artifacts.weightsLoaded && artifacts.weightCount() > 0) {
    throw Error(ErrorCode::kInvalidArgument, "the model's weights are not loaded", path);
  }
  Prepared p;
  p.modelConfig = artifacts.kerasModelConfig();
  if (!p.modelConfig.is_object() || !p.modelConfig.contains("class_name")) {
    throw Error(ErrorCode::kSchema, "the model topology has no Keras model config", path);
  }
  p.vars = listModelVariables(artifacts.modelTopology);
  p.weights = artifacts.weightCount() > 0 ? decodeWeights(artifacts) : std::vector<NamedTensor>{};
  std::vector<bool> optimizer;
  for (const auto* spec : artifacts.weightSpecs()) optimizer.push_back(spec->group == "optimizer");
  optimizer.resize(p.weights.size(), false);
  p.bound = bindVariables(p.vars, p.weights, optimizer);
  for (const auto& b : p.bound) p.byVariable[variableKey(*b.layer, b.variable)] = &b;
  return p;
}

// --- HDF5 writing ---------------------------------------------------------------------------

class H5Writer {
 public:
  explicit H5Writer(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& what, const std::string& weight = {}) const {
    const std::string d = hdf5Message();
    throw Error(ErrorCode::kIo, d.empty() ? what : fmt::format("{} (HDF5: {})", what, d), file_,
                weight);
  }

  void check(herr_t rc, const std::string& what) const {
    if (rc < 0) fail(what);
  }

  // A variable-length string attribute, as h5py 3 writes a Python str (UTF-8) or bytes (ASCII).
  void stringAttr(hid_t obj, const std::string& name, const std::string& value, bool utf8) const {
    Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
    check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size");
    check(H5Tset_cset(type.get(), utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII), "H5Tset_cset");
    Hid space(H5Screate(H5S_SCALAR), H5Sclose);
    Hid attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
             H5Aclose);
    if (!attr.ok()) fail(fmt::format("cannot create attribute '{}'", name));
    const char* p = value.c_str();
    check(H5Awrite(attr.get(), type.get(), &p), fmt::format("cannot write attribute '{}'", name));
  }

  // A list of byte strings as h5py 3 writes a numpy array of bytes: 1-D variable-length ASCII
  // strings; an empty list becomes an empty float64 array, as numpy makes it.
  void stringListAttr(hid_t obj, const std::string& name,
                      const std::vector<std::string>& values) const {
    const hsize_t n = values.size();
    if (n == 0) {
      Hid space(H5Screate_simple(1, &n, nullptr), H5Sclose);
      Hid attr(H5Acreate2(obj, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
               H5Aclose);
      if (!attr.ok()) fail(fmt::format("cannot create attribute '{}'", name));
      return;
    }
    Hid type(H5Tcopy(H5T_C_S1), H5Tclose);
    check(H5Tset_size(type.get(), H5T_VARIABLE), "H5Tset_size");
    check(H5Tset_cset(type.get(), H5T_CSET_ASCII), "H5Tset_cset");
    Hid space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    Hid attr(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
             H5Aclose);
    if (!attr.ok()) fail(fmt::format("cannot create attribute '{}'", name));
    std::vector<const char*> ptrs;
    for (const auto& v : values) ptrs.push_back(v.c_str());
    check(H5Awrite(attr.get(), type.get(), ptrs.data()),
          fmt::format("cannot write attribute '{}'", name));
  }

  // Keras's save_attributes_to_hdf5_group: split into name0, name1, ... (numpy.array_split)
  // while a chunk's fixed-width numpy size exceeds the HDF5 object header limit.
  void kerasListAttr(hid_t obj, const std::string& name,
                     const std::vector<std::string>& values) const {
    size_t width = 1;
    for (const auto& v : values) width = std::max(width, v.size());
    if (width > kHdf5HeaderLimit) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("a '{}' entry is longer than {} bytes, which Keras cannot save", name,
                              kHdf5HeaderLimit),
                  file_);
    }
    const size_t n = values.size();
    size_t chunks = 1;
    auto largest = [&](size_t k) { return (n / k + (n % k ? 1 : 0)) * width; };
    while (n > 0 && largest(chunks) > kHdf5HeaderLimit) ++chunks;
    if (chunks == 1) {
      stringListAttr(obj, name, values);
      return;
    }
    size_t begin = 0;
    for (size_t c = 0; c < chunks; ++c) {
      const size_t len = n / chunks + (c < n % chunks ? 1 : 0);
      stringListAttr(
          obj, name + std::to_string(c),
          std::vector<std::string>(values.begin() + static_cast<ptrdiff_t>(begin),
                                   values.begin() + static_cast<ptrdiff_t>(begin + len)));
      begin += len;
    }
  }

  // Opens `path` (slash-separated, relative to `base`), creating missing groups.
  hid_t group(hid_t base, const std::string& path) const {
    Hid lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    check(H5Pset_create_intermediate_group(lcpl.get(), 1), "H5Pset_create_intermediate_group");
    const htri_t exists = H5Lexists(base, path.c_str(), H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    hid_t g = exists > 0 ? H5Gopen2(base, path.c_str(), H5P_DEFAULT)
                         : H5Gcreate2(base, path.c_str(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) fail(fmt::format("cannot create group '{}'", path));
    return g;
  }

  // A float32 little-endian contiguous dataset at `path` below `base` (groups created).
  void dataset(hid_t base, const std::string& path, const Tensor& t,
               const std::string& weight) const {
    Hid lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
    check(H5Pset_create_intermediate_group(lcpl.get(), 1), "H5Pset_create_intermediate_group");
    std::vector<hsize_t> dims(t.shape().begin(), t.shape().end());
    Hid space(dims.empty() ? H5Screate(H5S_SCALAR)
                           : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
              H5Sclose);
    Hid ds(H5Dcreate2(base, path.c_str(), H5T_IEEE_F32LE, space.get(), lcpl.get(), H5P_DEFAULT,
                      H5P_DEFAULT),
           H5Dclose);
    if (!ds.ok()) {
      const std::string d = hdf5Message();
      throw Error(ErrorCode::kSchema,
                  fmt::format("cannot create dataset '{}' (a name clash with another weight?){}",
                              path, d.empty() ? "" : " (HDF5: " + d + ")"),
                  file_, weight);
    }
    if (t.size() > 0 &&
        H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.bytes()) < 0) {
      fail(fmt::format("cannot write dataset '{}'", path), weight);
    }
  }

 private:
  std::string file_;
};

// A weight name as an HDF5 path must have no empty, "." or ".." component.
void checkH5Name(const std::string& name, const std::string& file) {
  for (const auto& part : splitWeightName(name)) {
    if (part.empty() || part == "." || part == "..") {
      throw Error(ErrorCode::kSchema,
                  "the weight name has an empty, '.' or '..' component and cannot be an HDF5 path",
                  file, name);
    }
  }
}

// --- the .h5 writer -------------------------------------------------------------------------

std::string kerasVersionFor(const ModelArtifacts& a, bool keras3) {
  const std::string v =
      a.modelTopology.is_object() ? stringOr(a.modelTopology, "keras_version") : "";
  if (keras3) return startsWith(v, "3.") ? v : kDefaultKeras3Version;
  return startsWith(v, "2.") || startsWith(v, "3.") ? v : kDefaultKeras2Version;
}

// The layers of the top-level model as `model.layers` lists them, with their weights in
// `_legacy_weights` order and named as TF.js binds them.
struct H5Layer {
  std::string name;
  std::vector<NamedTensor> weights;
};

std::vector<H5Layer> legacyLayers(const Prepared& p, const std::string& file) {
  std::unordered_map<std::string, bool> trainable;
  std::vector<std::string> path;
  indexConfigs(p.modelConfig, path, true, trainable, 0);
  std::vector<H5Layer> out;
  const Json& layers = requireLayerList(p.modelConfig, file);
  bool first = true;
  const bool sequential = stringOr(p.modelConfig, "class_name") == "Sequential";
  for (const Json& layer : layers) {
    const bool skip = first && sequential && stringOr(layer, "class_name") == "InputLayer";
    first = false;
    if (skip) continue;
    H5Layer h{layerName(layer), {}};
    std::vector<OrderedWeight> ws;
    for (const auto& lv : p.vars) {
      const bool inside =
          lv.modelPath.empty() ? lv.layer == h.name : lv.modelPath.front() == h.name;
      if (!inside) continue;
      auto t = trainable.find(modelKey(lv.modelPath, lv.layer));
      const bool layerTrainable = t == trainable.end() || t->second;
      for (size_t v = 0; v < lv.variables.size(); ++v) {
        const BoundVariable* b = p.byVariable.at(variableKey(lv, v));
        ws.push_back({lv.variables[v].trainable && layerTrainable,
                      {p.weights[b->weight].name, p.weights[b->weight].tensor}});
      }
    }
    h.weights = legacyOrder(std::move(ws));
    out.push_back(std::move(h));
  }
  return out;
}

// --- Keras 2 (TF.js) config -> Keras 3 config ------------------------------------------------

Json withModule(const Json& obj, const char* module) {
  if (!obj.is_object() || !obj.contains("class_name") || obj.contains("module")) return obj;
  Json out = Json::object();
  out["module"] = module;
  for (auto& [k, v] : obj.items()) out[k] = v;
  if (!out.contains("registered_name")) out["registered_name"] = nullptr;
  return out;
}

Json layerToKeras3(const Json& layer, int depth, const std::string& file);

Json layerConfigToKeras3(const std::string& cls, const Json& cfg, int depth,
                         const std::string& file) {
  Json out = Json::object();
  for (const auto& item : cfg.items()) {
    const std::string& k = item.key();  // (not a structured binding: clang 14 cannot capture it)
    const Json& v = item.value();
    auto endsWith = [&](const char* suffix) {
      const size_t n = std::strlen(suffix);
      return k.size() >= n && k.compare(k.size() - n, n, suffix) == 0;
    };
    if (cls == "InputLayer" && k == "batch_input_shape") {
      out["batch_shape"] = v;
    } else if (cls != "InputLayer" && (k == "batch_input_shape" || k == "batch_size")) {
      continue;  // moved to an InputLayer by the caller (Keras 3 layers refuse the key)
    } else if (endsWith("_initializer")) {
      out[k] = withModule(v, "keras.initializers");
    } else if (endsWith("_regularizer")) {
      out[k] = withModule(v, "keras.regularizers");
    } else if (endsWith("_constraint")) {
      out[k] = withModule(v, "keras.constraints");
    } else if ((k == "layer" || k == "backward_layer" || k == "cell") && v.is_object() &&
               v.contains("class_name")) {
      out[k] = layerToKeras3(v, depth + 1, file);
    } else {
      out[k] = v;
    }
  }
  // TF.js's GRU is Keras's reset_after=False; Keras 3 defaults to True.
  if (cls == "GRU" && !out.contains("reset_after")) out["reset_after"] = false;
  return out;
}

Json modelToKeras3(const Json& model, int depth, const std::string& file);

Json layerToKeras3(const Json& layer, int depth, const std::string& file) {
  if (depth > 32) throw Error(ErrorCode::kSchema, "layers nested too deeply", file);
  const std::string cls = stringOr(layer, "class_name");
  if (isModelClass(cls)) return modelToKeras3(layer, depth + 1, file);
  Json out = Json::object();
  out["module"] = "keras.layers";
  out["class_name"] = keras3Class(cls);
  out["config"] = layerConfigToKeras3(cls, layerConfig(layer), depth, file);
  out["registered_name"] = nullptr;
  for (auto& [k, v] : layer.items()) {
    if (k != "class_name" && k != "config" && k != "module" && k != "registered_name") out[k] = v;
  }
  return out;
}

Json modelToKeras3(const Json& model, int depth, const std::string& file) {
  if (depth > 32) throw Error(ErrorCode::kSchema, "models nested too deeply", file);
  const std::string cls = stringOr(model, "class_name");
  const bool sequential = cls == "Sequential";
  const Json& layers = requireLayerList(model, file);
  Json cfg = Json::object();
  const Json& inCfg = layerConfig(model);
  cfg["name"] = stringOr(inCfg, "name", sequential ? "sequential" : "functional");
  cfg["trainable"] = inCfg.contains("trainable") ? inCfg["trainable"] : Json(true);
  Json outLayers = Json::array();
  if (sequential && !layers.empty() && stringOr(layers[0], "class_name") != "InputLayer") {
    const Json& c0 = layerConfig(layers[0]);
    if (c0.contains("batch_input_shape")) {
      // Keras 3 layers take no batch_input_shape: the shape moves to an InputLayer, named as
      // tf.keras names the one it makes for a Sequential.
      Json in = Json::object();
      in["batch_shape"] = c0["batch_input_shape"];
      in["dtype"] = c0.contains("dtype") && c0["dtype"].is_string() ? c0["dtype"] : Json("float32");
      in["sparse"] = false;
      in["name"] = layerName(layers[0]) + "_input";
      Json input = Json::object();
      input["module"] = "keras.layers";
      input["class_name"] = "InputLayer";
      input["config"] = std::move(in);
      input["registered_name"] = nullptr;
      outLayers.push_back(std::move(input));
    }
  }
  for (const Json& l : layers) outLayers.push_back(layerToKeras3(l, depth + 1, file));
  cfg["layers"] = std::move(outLayers);
  for (auto& [k, v] : inCfg.items()) {
    if (k != "name" && k != "trainable" && k != "layers") cfg[k] = v;
  }
  Json out = Json::object();
  if (sequential) {
    out["module"] = "keras";
    out["class_name"] = "Sequential";
  } else {
    out["module"] = "keras.src.models.functional";
    out["class_name"] = "Functional";
  }
  out["config"] = std::move(cfg);
  out["registered_name"] = nullptr;
  for (auto& [k, v] : model.items()) {
    if (k != "class_name" && k != "config" && k != "module" && k != "registered_name") out[k] = v;
  }
  return out;
}

std::string nowString(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// The .keras weights file, built in memory with HDF5's core driver.
std::string kerasWeightsImage(const Prepared& p, const std::string& file) {
  QuietErrors quiet;
  H5Writer w(file + ": model.weights.h5");
  Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  w.check(fapl.ok() ? H5Pset_fapl_core(fapl.get(), 1 << 20, 0) : -1, "H5Pset_fapl_core");
  Hid f(H5Fcreate("model.weights.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!f.ok()) w.fail("cannot create the in-memory HDF5 file");
  const StateTree tree = stateTree(p.modelConfig, file);
  for (const auto& m : tree.models) {
    Hid g(w.group(f.get(), m.statePath.empty() ? "vars" : m.statePath + "/vars"), H5Gclose);
    w.stringAttr(g.get(), "name", m.name, true);
  }
  const auto byLayer = indexVariables(p.vars);
  for (const Slot& s : tree.slots) {
    auto it = byLayer.find(modelKey(s.modelPath, s.name));
    const LayerVariables* lv = it == byLayer.end() ? nullptr : it->second;
    std::vector<size_t> order;  // Keras 3: _trainable_variables, then _non_trainable_variables
    if (lv) {
      for (size_t v = 0; v < lv->variables.size(); ++v) order.push_back(v);
      std::stable_partition(order.begin(), order.end(),
                            [&](size_t v) { return lv->variables[v].trainable; });
    }
    std::vector<VarGroup> groups;
    varGroups(*s.layer, s.statePath, order.size(), groups, file, 0);
    size_t next = 0;
    for (const VarGroup& vg : groups) {
      Hid g(w.group(f.get(), vg.path), H5Gclose);
      w.stringAttr(g.get(), "name", vg.objectName, true);
      for (size_t i = 0; i < vg.count; ++i, ++next) {
        const BoundVariable* b = p.byVariable.at(variableKey(*lv, order[next]));
        w.dataset(g.get(), std::to_string(i), p.weights[b->weight].tensor,
                  p.weights[b->weight].name);
      }
    }
  }
  w.check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), "H5Fflush");
  const ssize_t size = H5Fget_file_image(f.get(), nullptr, 0);
  if (size <= 0) w.fail("cannot get the HDF5 file image");
  std::string image(static_cast<size_t>(size), '\0');
  if (H5Fget_file_image(f.get(), image.data(), image.size()) != size) {
    w.fail("cannot get the HDF5 file image");
  }
  return image;
}

}  // namespace

void writeKerasH5(const ModelArtifacts& artifacts, const std::string& path, bool sync,
                  bool overwrite) {
  const Prepared p = prepare(artifacts, path);
  std::vector<H5Layer> layers = legacyLayers(p, path);
  for (const auto& l : layers) {
    for (const auto& w : l.weights) checkH5Name(w.name, path);
  }
  io::AtomicFile tmp(path, overwrite);  // replaced whole, or not at all
  {
    QuietErrors quiet;
    H5Writer w(path);
    Hid f(H5Fcreate(tmp.path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!f.ok()) w.fail("cannot create the HDF5 file");
    const std::string version = kerasVersionFor(artifacts, false);
    // tf_keras's save_model_to_hdf5 through h5py 3: str values as UTF-8, bytes as ASCII.
    w.stringAttr(f.get(), "keras_version", version, true);
    w.stringAttr(f.get(), "backend", "tensorflow", true);
    w.stringAttr(f.get(), "model_config", p.modelConfig.dump(-1, ' ', true), false);
    Json training =
        artifacts.modelTopology.is_object() && artifacts.modelTopology.contains("training_config")
            ? artifacts.modelTopology["training_config"]
            : artifacts.trainingConfig;
    if (!training.is_null())
      w.stringAttr(f.get(), "training_config", training.dump(-1, ' ', true), false);
    Hid mw(w.group(f.get(), "model_weights"), H5Gclose);
    std::vector<std::string> names;
    for (const auto& l : layers) names.push_back(l.name);
    w.kerasListAttr(mw.get(), "layer_names", names);
    w.stringAttr(mw.get(), "backend", "tensorflow", false);
    w.stringAttr(mw.get(), "keras_version", version, false);
    std::sort(layers.begin(), layers.end(),
              [](const H5Layer& a, const H5Layer& b) { return a.name < b.name; });
    for (const auto& l : layers) {
      checkH5Name(l.name, path);
      if (H5Lexists(mw.get(), l.name.c_str(), H5P_DEFAULT) > 0) {
        throw Error(ErrorCode::kSchema, fmt::format("two layers are named '{}'", l.name), path);
      }
      H5Eclear2(H5E_DEFAULT);
      Hid g(w.group(mw.get(), l.name), H5Gclose);
      std::vector<std::string> weightNames;
      for (const auto& wt : l.weights) {
        const bool hasSuffix =
            wt.name.size() > 2 && wt.name.compare(wt.name.size() - 2, 2, ":0") == 0;
        weightNames.push_back(hasSuffix ? wt.name : wt.name + ":0");
      }
      w.kerasListAttr(g.get(), "weight_names", weightNames);
      for (size_t i = 0; i < l.weights.size(); ++i) {
        w.dataset(g.get(), weightNames[i], l.weights[i].tensor, l.weights[i].name);
      }
    }
    Hid top(w.group(mw.get(), "top_level_model_weights"), H5Gclose);
    w.kerasListAttr(top.get(), "weight_names", {});
    w.check(H5Fflush(f.get(), H5F_SCOPE_GLOBAL), "cannot flush the HDF5 file");
  }
  tmp.commit(sync);
}

void writeKerasZip(const ModelArtifacts& artifacts, const std::string& path, bool sync,
                   bool overwrite) {
  const Prepared p = prepare(artifacts, path);
  Json config = modelToKeras3(p.modelConfig, 0, path);
  Json meta = Json::object();
  meta["keras_version"] = kerasVersionFor(artifacts, true);
  meta["date_saved"] = nowString("%Y-%m-%d@%H:%M:%S");
  const std::string metaText = meta.dump(-1, ' ', true);
  const std::string configText = config.dump(-1, ' ', true);
  const std::string weights = kerasWeightsImage(p, path);
  io::AtomicFile tmp(path, overwrite);  // replaced whole, or not at all
  int err = 0;
  zip_t* raw = zip_open(tmp.path().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!raw) {
    throw Error(ErrorCode::kIo, fmt::format("cannot create the zip archive (libzip error {})", err),
                path);
  }
  ZipPtr z(raw);
  // Python's zipfile as Keras uses it: stored (not deflated); the two JSON members dated
  // 1980-01-01 (ZipFile.open(name, "w")), the weights dated now (writestr).
  std::tm dos{};
  dos.tm_year = 80;
  dos.tm_mon = 0;
  dos.tm_mday = 1;
  dos.tm_isdst = -1;
  const std::time_t dosEpoch = std::mktime(&dos);
  const std::pair<const char*, const std::string*> members[] = {
      {"metadata.json", &metaText}, {"config.json", &configText}, {"model.weights.h5", &weights}};
  for (const auto& [name, data] : members) {
    zip_source_t* src = zip_source_buffer(z.get(), data->data(), data->size(), 0);
    if (!src) throw Error(ErrorCode::kIo, "libzip cannot make a source", path);
    const zip_int64_t idx = zip_file_add(z.get(), name, src, ZIP_FL_OVERWRITE);
    if (idx < 0) {
      zip_source_free(src);
      throw Error(ErrorCode::kIo, fmt::format("cannot add {}: {}", name, zip_strerror(z.get())),
                  path);
    }
    const auto i = static_cast<zip_uint64_t>(idx);
    if (zip_set_file_compression(z.get(), i, ZIP_CM_STORE, 0) != 0 ||
        zip_file_set_mtime(
            z.get(), i, std::strcmp(name, "model.weights.h5") == 0 ? std::time(nullptr) : dosEpoch,
            0) != 0) {
      throw Error(ErrorCode::kIo, fmt::format("cannot set up {}: {}", name, zip_strerror(z.get())),
                  path);
    }
  }
  if (zip_close(z.get()) != 0) {
    throw Error(ErrorCode::kIo,
                fmt::format("cannot write the zip archive: {}", zip_strerror(z.get())), path);
  }
  (void)z.release();
  tmp.commit(sync);
}

}  // namespace tfjs::keras
