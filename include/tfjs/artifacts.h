// tfjs/artifacts.h — ModelArtifacts, the hub every reader produces and every writer consumes.
//
// A ModelArtifacts is the in-memory form of one TF.js model: the parsed model.json (typed fields
// for the keys TF.js knows, the JSON of every other top-level key kept in order) and the weight
// bytes of all groups, concatenated in manifest order into one 64-byte-aligned Buffer, exactly
// as TF.js concatenates them before decoding. It mirrors `tf.io.ModelArtifacts` plus the
// manifest's group structure, which TF.js flattens away but a writer needs.
//
// Artifacts are plain values: copying shares the weight Buffer, and writing through one copy's
// weightData.mutableData() writes a private copy (a model built from artifacts never changes).
// They are thread-compatible: const access from several threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tfjs/dtype.h"
#include "tfjs/error.h"

namespace tfjs {

using Json = nlohmann::ordered_json;  // key order is kept everywhere

// A shared, 64-byte-aligned, fixed-size byte buffer. Copies share the bytes, copy on write:
// mutableData() on a Buffer whose bytes another Buffer also holds (a copy, a Tensor, a loaded
// model) first gives it a private copy, so writing through one holder never changes what another
// sees. A pointer from mutableData() stays writable only until the Buffer is next copied.
class Buffer {
 public:
  Buffer() = default;
  static Buffer allocate(size_t size);  // contents uninitialized
  static Buffer copyOf(const void* bytes, size_t size);
  const uint8_t* data() const { return data_.get(); }
  uint8_t* mutableData();  // copies first when shared (see above)
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // True when another Buffer holds the same bytes.
  bool shared() const { return data_.use_count() > 1; }

 private:
  friend uint8_t* internalWritableData(Buffer& b);
  std::shared_ptr<uint8_t[]> data_;
  size_t size_ = 0;
};

// The bytes of `b` writable in place even while shared (no copy on write). For the library's
// own buffers only (a model writing the weights it owns during fit); never for a caller's.
uint8_t* internalWritableData(Buffer& b);

struct Quantization {
  DType dtype = DType::kUint8;  // storage: kUint8, kUint16 or kFloat16
  std::optional<double> min;    // affine only
  std::optional<double> scale;  // affine only
  std::optional<std::string> originalDtype;
};

struct WeightSpec {
  std::string name;
  std::vector<int64_t> shape;     // [] is a scalar
  DType dtype = DType::kFloat32;  // logical dtype after dequantization
  std::optional<Quantization> quantization;
  std::optional<std::string> group;  // "model" / "optimizer" (JS writers only)

  // The one place for the manifest's size rules (every reader, writer and view uses these).
  // The dtype of the bytes in the shard: quantization->dtype when quantized, else dtype.
  DType storageDType() const { return quantization ? quantization->dtype : dtype; }
  // An unquantized string weight: its bytes are length-prefixed strings, no fixed size.
  bool variableLength() const { return dtype == DType::kString && !quantization; }
  // The bytes the weight takes in its group (elements x storage width); nullopt when
  // variableLength(). Throws kShapeOverflow when the size overflows 64 bits.
  std::optional<uint64_t> storedByteLength() const;
};

struct WeightGroup {
  std::vector<std::string> paths;   // shard files, in order, as written in the manifest
  std::vector<WeightSpec> weights;  // tensors, in order
  std::vector<uint64_t> pathSizes;  // actual byte size of each path once loaded (else empty)
};

enum class ModelFormat { kLayers, kGraph };

struct ModelArtifacts {
  // Top-level model.json keys. A missing or null string key is nullopt; `keyOrder` remembers
  // which keys were present, so that a round trip writes a null where one was read.
  std::optional<std::string> format;  // "layers-model", "graph-model" or absent (old)
  std::optional<std::string> generatedBy;
  std::optional<std::string> convertedBy;
  Json modelTopology;   // null when absent
  Json trainingConfig;  // top-level camelCase key (JS save); null if absent
  Json userDefinedMetadata;
  Json signature;
  Json modelInitializer;
  Json initializerSignature;
  std::vector<WeightGroup> weightsManifest;  // empty when the key is absent or []
  bool hasWeightsManifest = false;           // the key was present
  Json extra = Json::object();               // unknown top-level keys, in file order
  std::vector<std::string> keyOrder;         // top-level keys in file order, for round trips

  Buffer weightData;           // all groups' bytes, concatenated in manifest order
  bool weightsLoaded = false;  // weightData holds the bytes of every group

  // The format as TF.js would treat it: `format` when it names one, else graph-model when the
  // topology is a GraphDef (has `node` or `versions`), else layers-model.
  ModelFormat inferredFormat() const;
  // The Keras model config: modelTopology.model_config when present (converter output, old
  // converters), else modelTopology itself (JS model.save). Null for graph models.
  const Json& kerasModelConfig() const;
  // All specs of all groups, flattened in manifest order.
  std::vector<const WeightSpec*> weightSpecs() const;
  size_t weightCount() const;
};

// Where one weight's bytes lie: its group, its offset inside the group's concatenated bytes and
// inside weightData, and the shard files it spans.
struct WeightLocation {
  size_t group = 0;
  size_t index = 0;         // index within the group
  uint64_t byteOffset = 0;  // offset within the group
  uint64_t byteLength = 0;
  uint64_t dataOffset = 0;  // offset within ModelArtifacts::weightData
  size_t firstPath = 0;     // index into the group's paths of the first shard it lies in
  size_t lastPath = 0;      // ... and the last (== firstPath unless it spans shards)
};

// Parses model.json text. Checks the JSON and the manifest's schema (types, dtypes, shapes,
// quantization parameters, duplicate names) and throws a tfjs::Error listing every problem.
// `source` names the file or URL in messages. Does not touch weight files.
ModelArtifacts parseModelJson(std::string_view text, const std::string& source = "model.json");
// Same, collecting problems instead of throwing; returns what could be parsed.
ModelArtifacts parseModelJson(std::string_view text, const std::string& source,
                              std::vector<Problem>& problems);

// Serializes the artifacts' model.json (without weight bytes), keys in the converter's order
// (format, generatedBy, convertedBy, userDefinedMetadata, modelTopology, weightsManifest, then
// the rest), unknown keys kept. indent < 0 writes compact JSON as the converter does.
std::string toModelJson(const ModelArtifacts& artifacts, int indent = -1);

// The byte size the manifest expects for each group, before reading any byte. String tensors
// have no fixed size: groups containing one get nullopt. Throws on overflow.
std::vector<std::optional<uint64_t>> expectedGroupSizes(const ModelArtifacts& artifacts);

// Every weight's location as the manifest alone gives it, before or without reading a byte: in
// manifest order (one entry per weight), nullopt from a group's first string weight on (its
// size is in its bytes) and for a size that overflows. dataOffset, firstPath and lastPath are
// left 0 (they need the shard sizes: see locateWeights).
std::vector<std::optional<WeightLocation>> layoutFromManifest(const ModelArtifacts& artifacts);

// Walks the loaded weight bytes the way TF.js's decoder does, group by group, and returns every
// weight's location. Checks that each group's bytes match its manifest exactly (string length
// prefixes in bounds, no bytes missing, no bytes left over) and appends one Problem per fault.
// Requires artifacts.weightsLoaded.
std::vector<WeightLocation> locateWeights(const ModelArtifacts& artifacts,
                                          std::vector<Problem>& problems);

}  // namespace tfjs
