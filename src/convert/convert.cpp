// convert/convert.cpp — `tfjs convert`: Keras .h5 -> TF.js layers model, and re-sharding /
// re-quantizing a TF.js layers model (contract in include/tfjs/convert.h).
//
// Follows tensorflowjs_converter 4.22: converter.py (formats, defaults, metadata),
// keras_h5_conversion.py (topology dict, class renames, weight groups and names, generatedBy)
// and write_weights.py (quantization per group, shard naming, through encodeWeights/saveModel).
// The Keras 3 rewrite makes the form spec §1.5 shows TF.js 4.22 loads. A .h5 is read in two
// steps (keras::KerasH5Reader): the weight list first, then each weight straight into its place
// in the one output buffer, so that converting holds the weights once; the other readers give
// tensors that encodeWeights packs.
#include "tfjs/convert.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "convert/tfjs_check.h"
#include "convert/tfjs_compat.h"
#include "format/checked.h"
#include "io/files.h"
#include "keras/h5.h"
#include "keras/keras_zip.h"
#include "keras/saved_model.h"
#include "layers/layer.h"
#include "model/topology.h"
#include "model/variables.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"
#include "tfjs/version.h"

namespace fs = std::filesystem;

namespace tfjs {
namespace {

bool isContainerClass(const std::string& c) {
  return c == "Sequential" || c == "Model" || c == "Functional";
}

// keras_h5_conversion.translate_class_names: legacy class names anywhere in the tree.
void translateClassNames(Json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "class_name" && it->is_string()) {
        const auto& v = it->get_ref<const std::string&>();
        if (v == "BatchNormalizationV1")
          *it = "BatchNormalization";
        else if (v == "UnifiedGRU")
          *it = "GRU";
        else if (v == "UnifiedLSTM")
          *it = "LSTM";
      } else {
        translateClassNames(*it);
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) translateClassNames(e);
  }
}

// Lambda layers always; classes neither TF.js nor tfjs-cpp know unless allowed. Classes only
// tfjs-cpp runs (Keras layers TF.js lacks, e.g. RandomFlip) are converted with a note.
void checkClasses(const Json& modelConfig, const ConvertOptions& options, const std::string& file,
                  std::set<std::string>& notes) {
  std::vector<Problem> problems;
  convert::forEachLayer(modelConfig, [&](const Json& layer) {
    const std::string cls = layer["class_name"];
    const std::string name = convert::layerNameOf(layer);
    if (cls == "Lambda") {
      problems.push_back({ErrorCode::kUnsupported,
                          fmt::format("layer '{}' is a Lambda layer: its function is Python "
                                      "code, which is never run or converted, and TF.js has no "
                                      "Lambda layer; replace it by a built-in layer",
                                      name),
                          file,
                          {},
                          std::nullopt});
    } else if (convert::tfjsRegistersLayerClass(cls)) {
      return;
    } else if (!options.keepPreprocessingLayers && convert::rewrittenForTfjs(cls)) {
      return;  // rewriteForTfjs notes what it does
    } else if (layers::runsLayerClass(cls)) {
      notes.insert(
          fmt::format("class '{}' (layer '{}') runs in tfjs-cpp but TF.js 4.22 cannot "
                      "deserialize it",
                      cls, name));
    } else if (options.allowCustomClasses) {
      notes.insert(
          fmt::format("class '{}' (layer '{}') converted on request: neither TF.js "
                      "nor tfjs-cpp knows it",
                      cls, name));
    } else {
      problems.push_back({ErrorCode::kUnsupported,
                          fmt::format("layer '{}' has class '{}', which neither TF.js nor "
                                      "tfjs-cpp can deserialize (a custom or unsupported class; "
                                      "no code is run); --allow_custom_classes converts it "
                                      "anyway, for an app that registers that class",
                                      name, cls),
                          file,
                          {},
                          std::nullopt});
    }
  });
  if (!problems.empty()) throw Error(std::move(problems));
}

std::string normalizeWeightName(std::string n) {
  if (n.size() >= 2 && n.compare(n.size() - 2, 2, ":0") == 0) n.resize(n.size() - 2);
  return n;
}

int majorVersion(const std::string& v) {
  int m = 0;
  size_t i = 0;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9' && m < 1000; ++i) m = m * 10 + (v[i] - '0');
  return i == 0 ? -1 : m;
}

Json readMetadata(const ConvertOptions& options) {
  if (options.metadata.empty()) return nullptr;
  Json out = Json::object();
  for (const auto& [key, file] : options.metadata) {
    // A metadata file is user JSON copied into model.json: capped as model.json is.
    Json j = Json::parse(io::readFileCapped(file, LoadOptions{}.maxModelJsonBytes,
                                            fmt::format("the --metadata file '{}'", key)),
                         nullptr, false);
    if (j.is_discarded()) {
      throw Error(ErrorCode::kInvalidJson,
                  fmt::format("--metadata '{}': the file is not valid JSON", key), file);
    }
    out[key] = std::move(j);
  }
  return out;
}

std::string convertedBy() {
  return "tfjs-cpp v" TFJS_VERSION;
}

void setKeyOrder(ModelArtifacts& a) {
  a.keyOrder = {"format", "generatedBy", "convertedBy"};
  if (!a.userDefinedMetadata.is_null()) a.keyOrder.push_back("userDefinedMetadata");
  a.keyOrder.push_back("modelTopology");
  a.keyOrder.push_back("weightsManifest");
}

}  // namespace

namespace {

// One layer's weights as a Keras reader lists them: the layer's name and the stored weight
// names, in the converter's order.
struct LayerWeightNames {
  std::string layer;
  std::vector<std::string> stored;  // "dense/kernel:0", as stored
};

// One weight of the output: its name in the manifest and where the reader has it.
struct PlannedWeight {
  std::string name;
  size_t layer = 0;  // index into the reader's layers
  size_t index = 0;  // index within that layer
};

// What the converter writes for a Keras file, before any weight byte: the artifacts without
// weights (topology, metadata, key order) and the weight groups, named and ordered.
struct KerasPlan {
  ModelArtifacts artifacts;
  std::vector<std::vector<PlannedWeight>> groups;
  std::vector<std::string> notes;
};

// The plan for a Keras file's attributes `h5` (its `layers` unused) and weight lists
// `weightNames`.
KerasPlan planKeras(keras::KerasFile h5, const std::vector<LayerWeightNames>& weightNames,
                    const ConvertOptions& options) {
  const std::string& path = h5.path;
  if (h5.kerasVersion.empty()) {
    throw Error(ErrorCode::kSchema,
                "no 'keras_version' attribute: not a file written by Keras 2 or 3", path);
  }
  const int major = majorVersion(h5.kerasVersion);
  if (major != 2 && major != 3) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("Keras version {}: only files written by Keras 2 or Keras 3 are "
                            "supported (Keras 1 configs are not)",
                            h5.kerasVersion),
                path);
  }
  const bool keras3 = major == 3 && !options.keepKeras3Topology;
  std::set<std::string> notes, classNotes;

  // Which top-level layers are nested models (for Keras 3 weight names).
  std::set<std::string> modelLayers;
  ModelArtifacts a;
  a.format = "layers-model";
  a.convertedBy = convertedBy();
  a.userDefinedMetadata = readMetadata(options);
  if (!h5.weightsOnly) {
    Json& mc = h5.modelConfig;
    if (!mc.contains("class_name") || !mc.contains("config")) {
      throw Error(ErrorCode::kSchema,
                  "'model_config' has no 'class_name' / 'config': not a Keras model config", path);
    }
    translateClassNames(mc);
    checkClasses(mc, options, path, classNotes);
    if (const Json* layers = topology::layerList(static_cast<const Json&>(mc))) {
      for (const auto& l : *layers) {
        if (l.is_object() && isContainerClass(l.value("class_name", ""))) {
          modelLayers.insert(convert::layerNameOf(l));
        }
      }
    }
    if (keras3) convert::normalizeKeras3(mc, notes);
    // A .keras config.json also holds how the model was built and compiled: not model config.
    mc.erase("build_config");
    mc.erase("compile_config");
    Json topo = Json::object();
    topo["keras_version"] = h5.kerasVersion;
    if (!h5.backend.empty()) topo["backend"] = h5.backend;
    topo["model_config"] = mc;
    if (!h5.trainingConfig.is_null()) {
      if (keras3) convert::normalizeKeras3(h5.trainingConfig, notes);
      // A .keras compile_config names the optimizer "optimizer"; training_config says
      // "optimizer_config".
      if (keras3 && h5.trainingConfig.is_object() && h5.trainingConfig.contains("optimizer") &&
          !h5.trainingConfig.contains("optimizer_config")) {
        Json tc = Json::object();
        for (auto& [k, v] : h5.trainingConfig.items())
          tc[k == "optimizer" ? "optimizer_config" : k] = v;
        h5.trainingConfig = std::move(tc);
      }
      topo["training_config"] = h5.trainingConfig;
    }
    a.modelTopology = std::move(topo);
    a.generatedBy = "keras v" + h5.kerasVersion;
  }

  KerasPlan plan;
  auto& groups = plan.groups;
  if (!options.splitWeightsByLayer) groups.emplace_back();
  std::set<std::string> seen;
  bool renamed = false;
  for (size_t li = 0; li < weightNames.size(); ++li) {
    const LayerWeightNames& layer = weightNames[li];
    if (layer.stored.empty()) continue;
    std::vector<PlannedWeight> g;
    for (size_t wi = 0; wi < layer.stored.size(); ++wi) {
      std::string name = normalizeWeightName(layer.stored[wi]);
      if (keras3) {
        const std::string n2 =
            convert::keras3WeightName(name, layer.layer, modelLayers.count(layer.layer));
        renamed = renamed || n2 != name;
        name = n2;
      }
      if (!seen.insert(name).second) {
        throw Error(
            ErrorCode::kDuplicateWeight,
            fmt::format("two weights are named '{}' (write_weights refuses this too)", name), path,
            name);
      }
      g.push_back({std::move(name), li, wi});
    }
    if (options.splitWeightsByLayer) {
      groups.push_back(std::move(g));
    } else {
      for (auto& w : g) groups[0].push_back(std::move(w));
    }
  }
  if (renamed) notes.insert("Keras 3 weight paths written as '<layer>/<weight>'");
  setKeyOrder(a);
  for (const auto& n : classNotes) plan.notes.push_back(n);
  for (const auto& n : notes) plan.notes.push_back("Keras 3: " + n);
  plan.artifacts = std::move(a);
  return plan;
}

// The output against its own config: every variable the layers of the config declare (as the
// runtime builds them, which is how TF.js builds them) must find its weight, with the shape the
// config gives it. A Keras file whose weights disagree with its config (a corrupt or edited
// file) is refused here, naming the layer, rather than written for TF.js to refuse at load.
// Topologies the runtime cannot build (custom classes) are not checked.
void checkWeightsAgainstConfig(const ModelArtifacts& a, const std::string& file) {
  if (a.modelTopology.is_null()) return;
  std::vector<LayerVariables> layers;
  try {
    layers = listModelVariables(a.modelTopology);
  } catch (const Error&) {
    return;
  }
  const auto specs = a.weightSpecs();
  std::vector<std::string> names;
  for (const auto* s : specs) names.push_back(s->name);
  const WeightNameIndex index(names, std::vector<bool>(names.size(), false));
  std::vector<Problem> problems;
  for (const auto& l : layers) {
    for (const auto& v : l.variables) {
      const size_t i = index.find(l.layer + "/" + v.name, v.aliases);
      if (i == SIZE_MAX) {
        problems.push_back({ErrorCode::kSchema,
                            fmt::format("layer '{}' ({}) has no weight '{}/{}' in the file",
                                        l.layer, l.className, l.layer, v.name),
                            file,
                            {},
                            std::nullopt});
      } else if (specs[i]->shape != v.shape) {
        problems.push_back(
            {ErrorCode::kSchema,
             fmt::format("weight '{}' has shape {}, but layer '{}' ({}) of the model config needs "
                         "{} for its '{}'",
                         specs[i]->name, Json(specs[i]->shape).dump(), l.layer, l.className,
                         Json(v.shape).dump(), v.name),
             file, specs[i]->name, std::nullopt});
      }
    }
  }
  if (!problems.empty()) throw Error(std::move(problems));
}

void appendNotes(const std::vector<std::string>& notes, std::vector<std::string>* out) {
  if (out) out->insert(out->end(), notes.begin(), notes.end());
}

// The artifacts the converter writes for a Keras file as read (any Keras reader's KerasFile):
// the tensors are packed by encodeWeights.
ModelArtifacts kerasFileToArtifacts(keras::KerasFile file, const ConvertOptions& options,
                                    std::vector<std::string>* notesOut) {
  std::vector<LayerWeightNames> names;
  for (const auto& layer : file.layers) {
    LayerWeightNames l{layer.name, {}};
    for (const auto& w : layer.weights) l.stored.push_back(w.name);
    names.push_back(std::move(l));
  }
  std::vector<keras::KerasLayerWeights> layers = std::move(file.layers);
  KerasPlan plan = planKeras(std::move(file), names, options);
  std::vector<EncodedGroup> encoded;
  for (const auto& g : plan.groups) {
    std::vector<NamedTensor> tensors;
    for (const auto& w : g) {
      tensors.push_back({w.name, std::move(layers[w.layer].weights[w.index].tensor)});
    }
    encoded.push_back(encodeWeights(tensors, options.quantization));
  }
  setWeightGroups(plan.artifacts, std::move(encoded));
  appendNotes(plan.notes, notesOut);
  return std::move(plan.artifacts);
}

// A Keras .h5 read straight into the output: the weights are listed first (names, shapes,
// dtypes), the manifest and byte layout computed (quantized weights take 1 or 2 bytes per
// element), weightData allocated once, and every weight read into its place (float data by
// HDF5 itself; quantized weights through a float32 temporary of one weight). Writes exactly
// what kerasFileToArtifacts(readKerasH5(path)) writes, holding the weights once.
ModelArtifacts kerasH5ToArtifactsInPlace(const std::string& path, const ConvertOptions& options,
                                         std::vector<std::string>* notesOut) {
  keras::KerasH5Reader reader(path);
  const auto& h5Layers = reader.layers();
  std::vector<LayerWeightNames> names;
  for (const auto& layer : h5Layers) {
    LayerWeightNames l{layer.name, {}};
    for (const auto& w : layer.weights) l.stored.push_back(w.name);
    names.push_back(std::move(l));
  }
  KerasPlan plan = planKeras(reader.attributes(), names, options);
  ModelArtifacts& a = plan.artifacts;

  // Where every weight goes.
  struct Slot {
    size_t group = 0, index = 0;  // its spec: a.weightsManifest[group].weights[index]
    const PlannedWeight* weight = nullptr;
    uint64_t offset = 0;  // in weightData
    uint64_t bytes = 0;   // encoded
    std::optional<DType> storage;
  };
  std::vector<Slot> slots;
  uint64_t total = 0;
  a.weightsManifest.clear();
  for (size_t gi = 0; gi < plan.groups.size(); ++gi) {
    WeightGroup wg;
    uint64_t groupBytes = 0;
    for (const PlannedWeight& w : plan.groups[gi]) {
      const keras::H5WeightInfo& src = h5Layers[w.layer].weights[w.index];
      WeightSpec spec;
      spec.name = w.name;
      spec.shape = src.shape;
      spec.dtype = src.dtype;
      Slot slot{gi, wg.weights.size(), &w, total, 0, std::nullopt};
      if (src.dtype == DType::kFloat32)
        slot.storage = quantizationFor(options.quantization, w.name);
      slot.bytes = encodedByteLength(src.dtype, src.shape, slot.storage);
      total = checkedAdd(total, slot.bytes);
      groupBytes += slot.bytes;
      wg.weights.push_back(std::move(spec));
      slots.push_back(slot);
    }
    if (groupBytes > 0) {
      wg.paths.push_back(fmt::format("group{}-shard1of1.bin", gi + 1));
      wg.pathSizes.push_back(groupBytes);
    }
    a.weightsManifest.push_back(std::move(wg));
  }
  if (total > SIZE_MAX) throw Error(ErrorCode::kTooLarge, "the weights do not fit in memory", path);
  a.weightData = Buffer::allocate(static_cast<size_t>(total));
  std::vector<float> temp;  // one quantized weight's float32 values
  for (const Slot& s : slots) {
    uint8_t* dest = a.weightData.mutableData() + s.offset;
    const keras::H5WeightInfo& src = h5Layers[s.weight->layer].weights[s.weight->index];
    if (!s.storage) {
      reader.read(s.weight->layer, s.weight->index, dest, s.bytes);
      continue;
    }
    temp.resize(static_cast<size_t>(src.byteLength / 4));
    reader.read(s.weight->layer, s.weight->index, reinterpret_cast<uint8_t*>(temp.data()),
                src.byteLength);
    a.weightsManifest[s.group].weights[s.index].quantization = quantizeInto(temp, *s.storage, dest);
  }
  a.hasWeightsManifest = true;
  a.weightsLoaded = true;
  appendNotes(plan.notes, notesOut);
  return std::move(plan.artifacts);
}

}  // namespace

ModelArtifacts kerasH5ToArtifacts(const std::string& path, const ConvertOptions& options,
                                  std::vector<std::string>* notes) {
  return kerasH5ToArtifactsInPlace(path, options, notes);
}

ModelArtifacts kerasToArtifacts(const std::string& input, const std::string& inputFormat,
                                const ConvertOptions& options, std::vector<std::string>* notes) {
  if (inputFormat == "keras") return kerasH5ToArtifacts(input, options, notes);
  if (inputFormat == "keras_keras") {
    return kerasFileToArtifacts(keras::readKerasZip(input), options, notes);
  }
  if (inputFormat == "keras_saved_model") {
    return kerasFileToArtifacts(keras::readKerasSavedModel(input), options, notes);
  }
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("'{}' is not a Keras input format (keras, keras_keras, "
                          "keras_saved_model)",
                          inputFormat));
}

namespace {

// Whether the TF.js model at `input` (a folder with model.json, or the JSON file) is a graph
// model; false when it cannot be read (loading it later says why).
bool isGraphModel(const std::string& input) {
  std::error_code ec;
  const fs::path p(input);
  const fs::path json = fs::is_directory(p, ec) ? p / "model.json" : p;
  try {
    std::ifstream in(json, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return parseModelJson(text, json.string()).inferredFormat() == ModelFormat::kGraph;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

std::string detectInputFormat(const std::string& input) {
  std::error_code ec;
  const fs::path p(input);
  if (fs::is_directory(p, ec)) {
    if (fs::exists(p / "model.json", ec)) {
      return isGraphModel(input) ? "tfjs_graph_model" : "tfjs_layers_model";
    }
    if (fs::exists(p / "saved_model.pb", ec)) return "keras_saved_model";
    // tfjs-converter 0.x: tensorflowjs_model.pb + weights_manifest.json (a graph model).
    if (fs::exists(p / "tensorflowjs_model.pb", ec)) return "tfjs_graph_model";
  } else if (fs::is_regular_file(p, ec)) {
    if (keras::looksLikeHdf5(input)) return "keras";
    std::ifstream in(input, std::ios::binary);
    char sig[2] = {0, 0};
    in.read(sig, 2);
    if (sig[0] == 'P' && sig[1] == 'K' && p.extension() == ".keras") return "keras_keras";
    if (p.extension() == ".json") {
      return isGraphModel(input) ? "tfjs_graph_model" : "tfjs_layers_model";
    }
    if (p.extension() == ".pb" && fs::exists(p.parent_path() / "weights_manifest.json", ec)) {
      return "tfjs_graph_model";  // tfjs-converter 0.x's tensorflowjs_model.pb
    }
  } else {
    throw Error(ErrorCode::kNotFound, "no such file or folder", input);
  }
  throw Error(ErrorCode::kInvalidArgument,
              "cannot tell the input format (not HDF5, not a TF.js model folder or model.json); "
              "pass --input_format",
              input);
}

ModelArtifacts loadAnyModel(const std::string& location, const LoadOptions& load,
                            std::vector<std::string>* notes) {
  if (!isHttpUrl(location) && !location.starts_with("file://")) {
    std::string format;
    try {
      format = detectInputFormat(location);
    } catch (const Error&) {
      // Not a Keras file: loadModel says what is wrong with it as a TF.js model.
    }
    if (format == "keras" || format == "keras_keras" || format == "keras_saved_model") {
      ConvertOptions o;
      o.keepPreprocessingLayers = true;  // the runtime runs them with Keras's formulas
      return kerasToArtifacts(location, format, o, notes);
    }
  }
  return loadModel(location, load);
}

namespace {

// What quantization did: per quantized weight, its codes' range and the largest difference
// between the float32 value and the value TF.js decodes; with a sample, the largest difference
// of every model output (the native runtime on the float32 and on the quantized weights).
void reportQuantization(const ModelArtifacts& reference, const ModelArtifacts& quantized,
                        const ConvertOptions& options, ConvertResult& r) {
  std::map<std::string, Tensor> floats;
  for (auto& t : decodeWeights(reference)) floats.emplace(t.name, std::move(t.tensor));
  const auto specs = quantized.weightSpecs();
  const auto decoded = decodeWeights(quantized);
  for (size_t i = 0; i < decoded.size() && i < specs.size(); ++i) {
    const WeightSpec& spec = *specs[i];
    if (!spec.quantization) continue;
    QuantizationReport q;
    q.name = spec.name;
    q.dtype = dtypeName(spec.quantization->dtype);
    q.min = spec.quantization->min;
    q.scale = spec.quantization->scale;
    q.elements = static_cast<uint64_t>(decoded[i].tensor.size());
    const auto it = floats.find(spec.name);
    if (it != floats.end() && it->second.dtype() == DType::kFloat32 &&
        decoded[i].tensor.dtype() == DType::kFloat32) {
      const auto a = it->second.floats();
      const auto b = decoded[i].tensor.floats();
      for (size_t k = 0; k < a.size() && k < b.size(); ++k) {
        q.maxAbsError = std::max(q.maxAbsError, std::fabs(static_cast<double>(a[k]) - b[k]));
      }
    }
    r.quantized.push_back(std::move(q));
  }
  if (options.sample.empty()) return;
  try {
    const LayersModel before = LayersModel::fromArtifacts(reference);
    const LayersModel after = LayersModel::fromArtifacts(quantized);
    const auto ya = before.predict(options.sample);
    const auto yb = after.predict(options.sample);
    for (size_t o = 0; o < ya.size() && o < yb.size(); ++o) {
      SampleDifference d;
      d.output = before.outputs()[o].name;
      const auto a = ya[o].floats();
      const auto b = yb[o].floats();
      for (size_t k = 0; k < a.size() && k < b.size(); ++k) {
        d.maxAbsDifference =
            std::max(d.maxAbsDifference, std::fabs(static_cast<double>(a[k]) - b[k]));
        d.maxAbsValue = std::max(d.maxAbsValue, std::fabs(static_cast<double>(a[k])));
      }
      r.sample.push_back(std::move(d));
    }
  } catch (const Error& e) {
    r.sampleError = e.what();
  }
}

}  // namespace

ConvertResult convertModel(const std::string& input, const std::string& output,
                           const ConvertOptions& options) {
  static const std::set<std::string> kInputs = {
      "keras",          "keras_keras", "keras_saved_model", "tfjs_layers_model", "tfjs_graph_model",
      "tf_saved_model", "tf_hub",      "tf_frozen_model"};
  static const std::set<std::string> kOutputs = {"tfjs_layers_model", "tfjs_graph_model", "keras",
                                                 "keras_keras", "keras_saved_model"};
  ConvertResult r;
  r.inputFormat = options.inputFormat.empty() ? detectInputFormat(input) : options.inputFormat;
  if (!kInputs.count(r.inputFormat)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("unknown --input_format '{}'", r.inputFormat));
  }
  if (!options.outputFormat.empty() && !kOutputs.count(options.outputFormat)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("unknown --output_format '{}'", options.outputFormat));
  }
  r.outputFormat = options.outputFormat;
  if (r.outputFormat.empty()) {
    if (r.inputFormat == "keras" || r.inputFormat == "keras_saved_model") {
      r.outputFormat = "tfjs_layers_model";
    } else if (r.inputFormat == "tfjs_layers_model") {
      r.outputFormat = "keras";
    } else if (r.inputFormat == "keras_keras") {
      throw Error(ErrorCode::kInvalidArgument,
                  "input format keras_keras needs an explicit --output_format (as the converter "
                  "does): --output_format tfjs_layers_model");
    } else {
      r.outputFormat = "tfjs_graph_model";
    }
  }
  if (options.weightShardSizeBytes == 0) {
    throw Error(ErrorCode::kInvalidArgument, "--weight_shard_size_bytes must be positive");
  }
  const std::string pair = r.inputFormat + " -> " + r.outputFormat;
  const bool kerasInput = r.inputFormat == "keras" || r.inputFormat == "keras_keras" ||
                          r.inputFormat == "keras_saved_model";
  const bool keras = kerasInput && r.outputFormat == "tfjs_layers_model";
  const bool tfjsInput = r.inputFormat == "tfjs_layers_model";
  const bool graphIn = r.inputFormat == "tfjs_graph_model";
  const bool reshard = (tfjsInput && r.outputFormat == "tfjs_layers_model") ||
                       (graphIn && r.outputFormat == "tfjs_graph_model");
  const bool toKeras = tfjsInput && (r.outputFormat == "keras" || r.outputFormat == "keras_keras");
  if (!keras && !reshard && !toKeras) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("converting {} is not supported (this version converts keras, "
                            "keras_keras and keras_saved_model -> tfjs_layers_model, "
                            "tfjs_layers_model -> tfjs_layers_model, keras or keras_keras, and "
                            "tfjs_graph_model -> tfjs_graph_model)",
                            pair),
                input);
  }
  if (options.splitWeightsByLayer && !keras) {
    throw Error(ErrorCode::kInvalidArgument,
                "--split_weights_by_layer applies to keras inputs only");
  }
  if (toKeras && (!options.quantization.empty() || options.report || !options.sample.empty())) {
    if (options.outputFormat.empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  "a TF.js layers model converts to a Keras .h5 by default (as "
                  "tensorflowjs_converter does), which stores float32 weights; to quantize it "
                  "into a new TF.js model, add --output_format tfjs_layers_model");
    }
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("the --quantize_* flags apply to tfjs_layers_model outputs; a {} file "
                            "stores float32 weights (--output_format tfjs_layers_model "
                            "quantizes a TF.js model)",
                            r.outputFormat));
  }
  std::error_code ec;
  if (!options.overwrite && fs::exists(fs::symlink_status(output, ec)) &&
      (toKeras || !fs::is_directory(output, ec) || !fs::is_empty(output, ec))) {
    throw Error(ErrorCode::kExists,
                toKeras ? "the output file already exists; choose a new name or pass "
                          "--overwrite: nothing is overwritten"
                        : "the output already exists (and is not an empty folder); choose a new "
                          "one or pass --overwrite: nothing is overwritten",
                output);
  }
  if (options.overwrite && fs::exists(fs::symlink_status(output, ec)) &&
      toKeras == fs::is_directory(fs::symlink_status(output, ec))) {
    throw Error(ErrorCode::kExists,
                toKeras ? "the output exists and is a folder; --overwrite replaces a file only"
                        : "the output exists and is not a folder; --overwrite replaces a model "
                          "folder only",
                output);
  }
  if (toKeras) {
    // tfjs_layers_model -> Keras: the layers model decoded (dequantized) into a Keras 2 .h5 or
    // a Keras 3 .keras, written atomically.
    const ModelArtifacts in = loadModel(input);
    if (in.inferredFormat() != ModelFormat::kLayers || in.modelTopology.is_null()) {
      throw Error(ErrorCode::kUnsupported,
                  "the input is not a layers model with a topology; only layers models convert "
                  "to Keras files",
                  input);
    }
    if (r.outputFormat == "keras") {
      keras::writeKerasH5(in, output, options.sync, options.overwrite);
    } else {
      keras::writeKerasZip(in, output, options.sync, options.overwrite);
    }
    if (auto* mc = &in.modelTopology;
        mc->is_object() && mc->contains("keras_version") && (*mc)["keras_version"].is_string()) {
      r.kerasVersion = (*mc)["keras_version"];
    }
    r.groups = 0;
    r.weights = in.weightCount();
    r.bytes = in.weightData.size();
    r.files = 1;
    return r;
  }
  if ((options.report || !options.sample.empty()) && options.quantization.empty()) {
    throw Error(ErrorCode::kInvalidArgument,
                "--report and --sample describe what quantization did: give a --quantize_* flag");
  }
  ModelArtifacts a;
  ModelArtifacts reference;  // the float32 weights, for the report
  if (keras) {
    if (options.report || !options.sample.empty()) {
      // Read the float32 weights once (the report compares them with the quantized ones) and
      // quantize those, rather than reading the Keras file a second time.
      ConvertOptions plain = options;
      plain.quantization.clear();
      reference = kerasToArtifacts(input, r.inputFormat, plain, &r.notes);
      convert::rewriteForTfjs(reference, {}, options.keepPreprocessingLayers, r.notes);
      a = quantizeModel(reference, options.quantization);
    } else {
      a = kerasToArtifacts(input, r.inputFormat, options, &r.notes);
      convert::rewriteForTfjs(a, options.quantization, options.keepPreprocessingLayers, r.notes);
    }
  } else {
    ModelArtifacts in = loadModel(input);
    const bool isGraph = in.inferredFormat() == ModelFormat::kGraph;
    if (isGraph != graphIn) {
      throw Error(ErrorCode::kInvalidArgument,
                  isGraph ? "the input is a graph model: pass --input_format tfjs_graph_model"
                          : "the input is not a graph model: pass --input_format "
                            "tfjs_layers_model",
                  input);
    }
    // What the real converter writes for a Keras 3 model, in the form TF.js 4.22 loads (a
    // model with none of those forms is left exactly as it is). A graph model's topology,
    // signature, initializer and other keys are kept as they are: only its weights are
    // re-encoded (re-quantized and re-sharded), which the real converter cannot do without
    // the model's SavedModel.
    bool keras3Forms = false;
    if (!isGraph) tfjsLoadProblems(in, {}, &keras3Forms);
    if (keras3Forms && !options.keepKeras3Topology) convert::repairKeras3Artifacts(in, r.notes);
    if (options.report || !options.sample.empty()) reference = in;
    // Re-quantize from the float values (quantized inputs are dequantized first, as the
    // converter reads them back through Keras).
    a = quantizeModel(in, options.quantization);
    a.convertedBy = convertedBy();
    if (!options.metadata.empty()) a.userDefinedMetadata = readMetadata(options);
    bool listed = false;
    for (const auto& k : a.keyOrder) listed = listed || k == "convertedBy";
    if (!listed) setKeyOrder(a);
    if (auto* mc = &a.modelTopology; mc->is_object() && mc->contains("keras_version")) {
      r.kerasVersion = (*mc)["keras_version"].is_string() ? (*mc)["keras_version"] : "";
    }
  }
  if (keras) checkWeightsAgainstConfig(a, input);
  if (keras && a.modelTopology.is_object()) r.kerasVersion = a.modelTopology["keras_version"];
  if (options.report || !options.sample.empty()) reportQuantization(reference, a, options, r);
  SaveOptions save;
  save.shardSizeBytes = options.weightShardSizeBytes;
  save.sync = options.sync;
  save.overwrite = options.overwrite;
  saveModel(a, output, save);
  r.groups = a.weightsManifest.size();
  r.weights = a.weightCount();
  r.bytes = a.weightData.size();
  for (const auto& e : fs::directory_iterator(output, ec)) {
    if (e.path().filename() != "model.json") ++r.files;
  }
  return r;
}

}  // namespace tfjs
