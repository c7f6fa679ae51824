// model.json <-> ModelArtifacts: parsing with schema checks, and serialization.
#include <fmt/format.h>

#include <cmath>
#include <set>
#include <unordered_set>

#include "format/checked.h"
#include "tfjs/artifacts.h"

namespace tfjs {
namespace {

constexpr const char* kKnownKeys[] = {
    "format",           "generatedBy",         "convertedBy",         "modelTopology",
    "weightsManifest",  "trainingConfig",      "userDefinedMetadata", "signature",
    "modelInitializer", "initializerSignature"};

bool isKnownKey(const std::string& key) {
  for (const char* k : kKnownKeys) {
    if (key == k) return true;
  }
  return false;
}

std::string typeName(const Json& j) {
  return std::string(j.type_name());
}

// Copying and printing a Json recurse once per nesting level, so a hostile model.json made of
// a few megabytes of '[' would exhaust the stack; TF.js models nest a few dozen levels at most.
constexpr size_t kMaxJsonDepth = 1000;

// True when arrays and objects in (valid) JSON text nest deeper than `limit`.
bool nestedDeeperThan(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// nlohmann's parse errors quote the offending input verbatim, which need not be UTF-8; a
// Problem's message must be (it is printed as JSON), so escape every non-ASCII byte.
std::string asciiOnly(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  return out;
}

class Parser {
 public:
  Parser(const std::string& source, std::vector<Problem>& problems)
      : source_(source), problems_(problems) {}

  void fail(ErrorCode code, std::string message, std::string weight = {}) {
    problems_.push_back({code, std::move(message), source_, std::move(weight), std::nullopt});
  }

  std::optional<std::string> optionalString(const Json& doc, const char* key) {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) {
      fail(ErrorCode::kSchema,
           fmt::format("'{}' must be a string or null, found {}", key, typeName(*it)));
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<int64_t> dimension(const Json& d, const std::string& weight, size_t axis) {
    if (d.is_number_integer() || d.is_number_unsigned()) {
      if (d.is_number_unsigned() && d.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
        fail(ErrorCode::kShapeOverflow, fmt::format("dimension {} does not fit in 64 bits", axis),
             weight);
        return std::nullopt;
      }
      const int64_t v = d.get<int64_t>();
      if (v < 0) {
        fail(ErrorCode::kBadShape, fmt::format("dimension {} is negative ({})", axis, v), weight);
        return std::nullopt;
      }
      return v;
    }
    if (d.is_number_float()) {
      const double v = d.get<double>();
      if (std::isfinite(v) && v >= 0 && v == std::floor(v) && v < 9.2e18) {
        return static_cast<int64_t>(v);
      }
      fail(ErrorCode::kBadShape,
           fmt::format("dimension {} must be a non-negative integer, found {}", axis, d.dump()),
           weight);
      return std::nullopt;
    }
    fail(ErrorCode::kBadShape,
         fmt::format("dimension {} must be a non-negative integer, found {}", axis, typeName(d)),
         weight);
    return std::nullopt;
  }

  std::optional<Quantization> quantization(const Json& q, const std::string& weight,
                                           DType logical) {
    if (!q.is_object()) {
      fail(ErrorCode::kBadQuantization,
           fmt::format("'quantization' must be an object, found {}", typeName(q)), weight);
      return std::nullopt;
    }
    Quantization out;
    auto dt = q.find("dtype");
    if (dt == q.end() || !dt->is_string()) {
      fail(ErrorCode::kBadQuantization, "'quantization.dtype' is missing or not a string", weight);
      return std::nullopt;
    }
    const auto storage = parseDType(dt->get<std::string>());
    if (!storage ||
        (*storage != DType::kUint8 && *storage != DType::kUint16 && *storage != DType::kFloat16)) {
      fail(ErrorCode::kUnknownDType,
           fmt::format("quantization dtype '{}' is not one of uint8, uint16, float16",
                       dt->get<std::string>()),
           weight);
      return std::nullopt;
    }
    out.dtype = *storage;
    bool ok = true;
    auto number = [&](const char* key) -> std::optional<double> {
      auto it = q.find(key);
      if (it == q.end() || it->is_null()) return std::nullopt;
      if (!it->is_number()) {
        fail(ErrorCode::kBadQuantization,
             fmt::format("'quantization.{}' must be a number, found {}", key, typeName(*it)),
             weight);
        ok = false;
        return std::nullopt;
      }
      const double v = it->get<double>();
      if (!std::isfinite(v)) {
        fail(ErrorCode::kBadQuantization, fmt::format("'quantization.{}' is not finite", key),
             weight);
        ok = false;
        return std::nullopt;
      }
      return v;
    };
    out.min = number("min");
    out.scale = number("scale");
    if (auto od = q.find("original_dtype"); od != q.end() && od->is_string()) {
      out.originalDtype = od->get<std::string>();
    }
    if (!ok) return std::nullopt;
    if (out.dtype == DType::kFloat16) {
      if (logical != DType::kFloat32) {
        fail(ErrorCode::kBadQuantization,
             fmt::format("float16 quantization needs dtype float32, not {}", dtypeName(logical)),
             weight);
        return std::nullopt;
      }
    } else {
      if (logical != DType::kFloat32 && logical != DType::kInt32) {
        fail(ErrorCode::kBadQuantization,
             fmt::format("{} quantization needs dtype float32 or int32, not {}",
                         dtypeName(out.dtype), dtypeName(logical)),
             weight);
        return std::nullopt;
      }
      if (!out.min || !out.scale) {
        fail(ErrorCode::kBadQuantization,
             fmt::format("{} quantization needs both 'min' and 'scale'", dtypeName(out.dtype)),
             weight);
        return std::nullopt;
      }
      if (*out.scale < 0) {
        fail(ErrorCode::kBadQuantization,
             fmt::format("'quantization.scale' is negative ({})", *out.scale), weight);
        return std::nullopt;
      }
    }
    return out;
  }

  std::optional<WeightSpec> weight(const Json& w, size_t group, size_t index) {
    const std::string where = fmt::format("weightsManifest[{}].weights[{}]", group, index);
    if (!w.is_object()) {
      fail(ErrorCode::kSchema, fmt::format("{} must be an object, found {}", where, typeName(w)));
      return std::nullopt;
    }
    WeightSpec spec;
    auto name = w.find("name");
    if (name == w.end() || !name->is_string()) {
      fail(ErrorCode::kSchema, fmt::format("{}.name is missing or not a string", where));
      return std::nullopt;
    }
    spec.name = name->get<std::string>();
    bool ok = true;
    auto shape = w.find("shape");
    if (shape == w.end() || !shape->is_array()) {
      fail(ErrorCode::kBadShape, "'shape' is missing or not an array", spec.name);
      ok = false;
    } else {
      for (size_t i = 0; i < shape->size(); ++i) {
        auto d = dimension((*shape)[i], spec.name, i);
        if (!d) {
          ok = false;
          break;
        }
        spec.shape.push_back(*d);
      }
    }
    auto dtype = w.find("dtype");
    if (dtype == w.end() || !dtype->is_string()) {
      fail(ErrorCode::kSchema, "'dtype' is missing or not a string", spec.name);
      return std::nullopt;
    }
    const auto dt = parseDType(dtype->get<std::string>());
    if (!dt || !isLogicalDType(*dt)) {
      fail(ErrorCode::kUnknownDType,
           fmt::format("dtype '{}' is not one TF.js decodes (float32, int32, bool, string, "
                       "complex64)",
                       dtype->get<std::string>()),
           spec.name);
      return std::nullopt;
    }
    spec.dtype = *dt;
    if (auto q = w.find("quantization"); q != w.end() && !q->is_null()) {
      spec.quantization = quantization(*q, spec.name, spec.dtype);
      if (!spec.quantization) ok = false;
    }
    if (auto g = w.find("group"); g != w.end() && g->is_string())
      spec.group = g->get<std::string>();
    if (!ok) return std::nullopt;
    // Sizes must be computable without overflow.
    try {
      spec.storedByteLength();
      if (spec.dtype == DType::kString) checkedMul(elementCount(spec.shape), 4);
    } catch (const Error&) {
      fail(ErrorCode::kShapeOverflow,
           fmt::format("the byte size of shape {} overflows 64 bits", shapeString(spec.shape)),
           spec.name);
      return std::nullopt;
    }
    return spec;
  }

  void manifest(const Json& m, ModelArtifacts& out) {
    if (!m.is_array()) {
      fail(ErrorCode::kSchema,
           fmt::format("'weightsManifest' must be an array of groups, found {}", typeName(m)));
      return;
    }
    std::unordered_set<std::string> seen;
    for (size_t g = 0; g < m.size(); ++g) {
      const Json& group = m[g];
      if (!group.is_object()) {
        fail(ErrorCode::kSchema,
             fmt::format("weightsManifest[{}] must be an object, found {}", g, typeName(group)));
        continue;
      }
      WeightGroup wg;
      auto paths = group.find("paths");
      if (paths == group.end() || !paths->is_array()) {
        fail(ErrorCode::kSchema,
             fmt::format("weightsManifest[{}].paths is missing or not an array", g));
      } else {
        for (const Json& p : *paths) {
          if (!p.is_string()) {
            fail(ErrorCode::kSchema,
                 fmt::format("weightsManifest[{}].paths holds a {}, not a string", g, typeName(p)));
            continue;
          }
          wg.paths.push_back(p.get<std::string>());
        }
      }
      auto weights = group.find("weights");
      if (weights == group.end() || !weights->is_array()) {
        fail(ErrorCode::kSchema,
             fmt::format("weightsManifest[{}].weights is missing or not an array", g));
      } else {
        for (size_t i = 0; i < weights->size(); ++i) {
          auto spec = weight((*weights)[i], g, i);
          if (!spec) continue;
          if (!seen.insert(spec->name).second) {
            fail(ErrorCode::kDuplicateWeight, "the name appears more than once in the manifest",
                 spec->name);
            continue;
          }
          wg.weights.push_back(std::move(*spec));
        }
      }
      out.weightsManifest.push_back(std::move(wg));
    }
  }

 private:
  const std::string& source_;
  std::vector<Problem>& problems_;
};

Json quantizationJson(const Quantization& q) {
  Json j = Json::object();
  j["dtype"] = std::string(dtypeName(q.dtype));
  if (q.min) j["min"] = *q.min;
  if (q.scale) j["scale"] = *q.scale;
  if (q.originalDtype) j["original_dtype"] = *q.originalDtype;
  return j;
}

}  // namespace

ModelArtifacts parseModelJson(std::string_view text, const std::string& source,
                              std::vector<Problem>& problems) {
  ModelArtifacts out;
  Parser p(source, problems);
  // Keras files given where a model.json was expected: say what they are and how to read them.
  if (text.starts_with(std::string_view("\x89HDF\r\n\x1a\n", 8))) {
    p.fail(ErrorCode::kInvalidJson,
           "this is an HDF5 file (a Keras .h5 model), not a TF.js model.json: tfjs reads it "
           "directly (tfjs inspect / predict, loadLayersModel) or converts it (tfjs convert)");
    return out;
  }
  if (text.starts_with(std::string_view("PK\x03\x04", 4))) {
    p.fail(ErrorCode::kInvalidJson,
           "this is a zip archive (a Keras 3 .keras model?), not a TF.js model.json: tfjs reads "
           "a .keras file directly (tfjs inspect / predict, loadLayersModel) or converts it "
           "(tfjs convert --output_format tfjs_layers_model)");
    return out;
  }
  if (nestedDeeperThan(text, kMaxJsonDepth)) {
    p.fail(ErrorCode::kTooLarge,
           fmt::format("arrays and objects nest deeper than {} levels", kMaxJsonDepth));
    return out;
  }
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    p.fail(ErrorCode::kInvalidJson,
           fmt::format("not valid JSON at byte {}: {}", e.byte, asciiOnly(e.what())));
    return out;
  } catch (const nlohmann::json::exception& e) {
    // e.g. out_of_range.406 for a number beyond double's range such as 1e999
    p.fail(ErrorCode::kInvalidJson, fmt::format("not usable JSON: {}", asciiOnly(e.what())));
    return out;
  }
  if (doc.is_array()) {
    p.fail(ErrorCode::kWeightsOnly,
           "this is a weights manifest (a list of weight groups, like weights_manifest.json) "
           "with no model topology; TF.js loads models from a model.json that holds "
           "'modelTopology' and 'weightsManifest'");
    return out;
  }
  if (!doc.is_object()) {
    p.fail(ErrorCode::kSchema,
           fmt::format("model.json must hold a JSON object, found {}", typeName(doc)));
    return out;
  }
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    out.keyOrder.push_back(it.key());
    if (!isKnownKey(it.key())) out.extra[it.key()] = it.value();
  }
  out.format = p.optionalString(doc, "format");
  if (out.format && *out.format != "layers-model" && *out.format != "graph-model") {
    p.fail(ErrorCode::kUnknownFormat,
           fmt::format("format '{}' is neither 'layers-model' nor 'graph-model'", *out.format));
  }
  out.generatedBy = p.optionalString(doc, "generatedBy");
  out.convertedBy = p.optionalString(doc, "convertedBy");
  auto objectOrNull = [&](const char* key, Json& dst) {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return;
    if (!it->is_object()) {
      p.fail(ErrorCode::kSchema,
             fmt::format("'{}' must be an object, found {}", key, typeName(*it)));
      return;
    }
    dst = *it;
  };
  objectOrNull("modelTopology", out.modelTopology);
  objectOrNull("trainingConfig", out.trainingConfig);
  objectOrNull("userDefinedMetadata", out.userDefinedMetadata);
  objectOrNull("signature", out.signature);
  objectOrNull("modelInitializer", out.modelInitializer);
  objectOrNull("initializerSignature", out.initializerSignature);
  if (auto m = doc.find("weightsManifest"); m != doc.end() && !m->is_null()) {
    out.hasWeightsManifest = true;
    p.manifest(*m, out);
  }
  const bool hasTopology = doc.contains("modelTopology") && !doc["modelTopology"].is_null();
  if (!hasTopology && !out.hasWeightsManifest) {
    p.fail(ErrorCode::kSchema,
           "contains neither a model topology ('modelTopology') nor a manifest for weights "
           "('weightsManifest')");
  }
  return out;
}

ModelArtifacts parseModelJson(std::string_view text, const std::string& source) {
  std::vector<Problem> problems;
  ModelArtifacts out = parseModelJson(text, source, problems);
  if (!problems.empty()) throw Error(std::move(problems));
  return out;
}

std::string toModelJson(const ModelArtifacts& a, int indent) {
  Json doc = Json::object();
  auto was = [&](const std::string& key) {
    for (const auto& k : a.keyOrder) {
      if (k == key) return true;
    }
    return false;
  };
  auto emit = [&](const std::string& key) {
    if (key == "format") {
      if (a.format)
        doc[key] = *a.format;
      else if (was(key))
        doc[key] = nullptr;
    } else if (key == "generatedBy" || key == "convertedBy") {
      const auto& v = key == "generatedBy" ? a.generatedBy : a.convertedBy;
      if (v)
        doc[key] = *v;
      else if (was(key) || a.keyOrder.empty())
        doc[key] = nullptr;
    } else if (key == "modelTopology") {
      if (!a.modelTopology.is_null() || was(key)) doc[key] = a.modelTopology;
    } else if (key == "weightsManifest") {
      if (!a.hasWeightsManifest && a.weightsManifest.empty() && !a.keyOrder.empty()) return;
      Json m = Json::array();
      for (const auto& g : a.weightsManifest) {
        Json jg = Json::object();
        jg["paths"] = g.paths;
        Json ws = Json::array();
        for (const auto& w : g.weights) {
          Json jw = Json::object();
          jw["name"] = w.name;
          jw["shape"] = w.shape;
          jw["dtype"] = std::string(dtypeName(w.dtype));
          if (w.quantization) jw["quantization"] = quantizationJson(*w.quantization);
          if (w.group) jw["group"] = *w.group;
          ws.push_back(std::move(jw));
        }
        jg["weights"] = std::move(ws);
        m.push_back(std::move(jg));
      }
      doc[key] = std::move(m);
    } else if (isKnownKey(key)) {
      const Json* v = key == "trainingConfig"        ? &a.trainingConfig
                      : key == "userDefinedMetadata" ? &a.userDefinedMetadata
                      : key == "signature"           ? &a.signature
                      : key == "modelInitializer"    ? &a.modelInitializer
                                                     : &a.initializerSignature;
      if (!v->is_null() || was(key)) doc[key] = *v;
    } else if (a.extra.contains(key)) {
      doc[key] = a.extra[key];
    }
  };
  std::set<std::string> done;
  for (const auto& k : a.keyOrder) {
    if (done.insert(k).second) emit(k);
  }
  for (const char* k : {"format", "generatedBy", "convertedBy", "userDefinedMetadata",
                        "modelTopology", "weightsManifest", "trainingConfig", "signature",
                        "modelInitializer", "initializerSignature"}) {
    if (done.insert(k).second) emit(k);
  }
  for (auto it = a.extra.begin(); it != a.extra.end(); ++it) {
    if (done.insert(it.key()).second) doc[it.key()] = it.value();
  }
  return doc.dump(indent);
}

ModelFormat ModelArtifacts::inferredFormat() const {
  if (format == "graph-model") return ModelFormat::kGraph;
  if (format == "layers-model") return ModelFormat::kLayers;
  if (modelTopology.is_object() &&
      (modelTopology.contains("node") || modelTopology.contains("versions"))) {
    return ModelFormat::kGraph;
  }
  return ModelFormat::kLayers;
}

const Json& ModelArtifacts::kerasModelConfig() const {
  static const Json kNull;
  if (inferredFormat() != ModelFormat::kLayers || !modelTopology.is_object()) return kNull;
  if (auto it = modelTopology.find("model_config"); it != modelTopology.end()) return *it;
  return modelTopology;
}

std::vector<const WeightSpec*> ModelArtifacts::weightSpecs() const {
  std::vector<const WeightSpec*> out;
  for (const auto& g : weightsManifest) {
    for (const auto& w : g.weights) out.push_back(&w);
  }
  return out;
}

size_t ModelArtifacts::weightCount() const {
  size_t n = 0;
  for (const auto& g : weightsManifest) n += g.weights.size();
  return n;
}

}  // namespace tfjs
