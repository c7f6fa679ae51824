// keras/keras_zip.cpp — reading the Keras 3 `.keras` zip (see keras_zip.h for the contract).
//
// The layout follows the real writer, keras-team/keras keras/src/saving/saving_lib.py:
// metadata.json, config.json and model.weights.h5, whose state tree (keras3_state.h) is
// `layers/<snake_case class>[_n]/vars/<i>`, RNN cells under `cell/`, wrapped layers under
// `layer/`, `forward_layer/`, `backward_layer/`, nested models under `layers/`. Which variable is
// which comes from model/variables.h. The Keras writers (.h5 and .keras) are keras_writers.cpp.
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
#include "keras/h5.h"
#include "keras/hdf5_util.h"
#include "keras/keras3_state.h"
#include "keras/zip_util.h"
#include "model/variables.h"

namespace fs = std::filesystem;

namespace tfjs::keras {
namespace {

using namespace state;  // NOLINT(google-build-using-namespace): this folder's own helpers

constexpr uint64_t kMaxJsonBytes = 64ull << 20;     // config.json
constexpr uint64_t kMaxMetadataBytes = 1ull << 20;  // metadata.json
constexpr uint64_t kMaxMembers = 65536;             // zip entries
constexpr uint64_t kAssetsAllowance = 1ull << 30;   // other members (never read)
constexpr int kMaxJsonDepth = 512;                  // nesting of config.json

// The deepest nesting of arrays/objects in JSON text (strings skipped), to refuse input that
// would make recursive walks run out of stack.
int jsonDepth(std::string_view text) {
  int depth = 0, maxDepth = 0;
  bool inString = false, escape = false;
  for (char c : text) {
    if (inString) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      maxDepth = std::max(maxDepth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return maxDepth;
}

Json parseJson(const std::string& text, const std::string& what, const std::string& path) {
  if (jsonDepth(text) > kMaxJsonDepth) {
    throw Error(ErrorCode::kTooLarge,
                fmt::format("{} nests deeper than {} levels", what, kMaxJsonDepth), path);
  }
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    throw Error(ErrorCode::kInvalidJson,
                fmt::format("{} is not valid JSON ({} bytes)", what, text.size()), path);
  }
  return j;
}

// --- zip reading ----------------------------------------------------------------------------

struct Member {
  zip_uint64_t index = 0;
  uint64_t size = 0;
  bool encrypted = false;
};

class ZipReader {
 public:
  ZipReader(const std::string& path, uint64_t totalCap) : path_(path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(ErrorCode::kNotFound, "no such file", path);
    if (!fs::is_regular_file(path, ec)) throw Error(ErrorCode::kIo, "not a regular file", path);
    char magic[4] = {0, 0, 0, 0};
    {
      std::ifstream in(path, std::ios::binary);
      if (!in) throw Error(ErrorCode::kIo, "cannot open the file", path);
      in.read(magic, 4);
    }
    const bool zipMagic =
        std::memcmp(magic, "PK\x03\x04", 4) == 0 || std::memcmp(magic, "PK\x05\x06", 4) == 0;
    if (!zipMagic) {
      throw Error(ErrorCode::kUnknownFormat,
                  looksLikeHdf5(path)
                      ? "an HDF5 file, not a zip archive: read it as a Keras .h5 file"
                      : "not a zip archive (a Keras 3 .keras file is a zip of config.json, "
                        "metadata.json and model.weights.h5)",
                  path);
    }
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!z) {
      zip_error_t ze;
      zip_error_init_with_code(&ze, err);
      const std::string msg = zip_error_strerror(&ze);
      zip_error_fini(&ze);
      if (err == ZIP_ER_NOZIP || err == ZIP_ER_INCONS || err == ZIP_ER_EOF) {
        throw Error(ErrorCode::kTruncated,
                    fmt::format("the zip archive is incomplete or inconsistent: {} (a truncated "
                                "download?)",
                                msg),
                    path);
      }
      throw Error(ErrorCode::kIo, fmt::format("cannot open the zip archive: {}", msg), path);
    }
    zip_.reset(z);
    const zip_int64_t n = zip_get_num_entries(z, 0);
    if (n < 0) throw Error(ErrorCode::kIo, "cannot list the zip archive", path);
    if (static_cast<uint64_t>(n) > kMaxMembers) {
      throw Error(ErrorCode::kTooLarge,
                  fmt::format("the zip archive has {} members, over the {} cap", n, kMaxMembers),
                  path);
    }
    uint64_t total = 0;
    for (zip_int64_t i = 0; i < n; ++i) {
      zip_stat_t st;
      zip_stat_init(&st);
      if (zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) != 0 || !st.name ||
          !(st.valid & ZIP_STAT_SIZE)) {
        throw Error(ErrorCode::kSchema, fmt::format("cannot read zip entry {}", i), path);
      }
      const std::string name = st.name;
      checkName(name);
      total = checkedAdd(total, st.size);
      if (!members_
               .emplace(name, Member{static_cast<zip_uint64_t>(i), st.size,
                                     (st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
                                         st.encryption_method != ZIP_EM_NONE})
               .second) {
        throw Error(ErrorCode::kSchema, fmt::format("the zip archive holds '{}' twice", name),
                    path);
      }
    }
    if (total > totalCap) {
      throw Error(ErrorCode::kTooLarge,
                  fmt::format("the zip's members decompress to {} bytes, over the {}-byte cap "
                              "(a zip bomb?)",
                              total, totalCap),
                  path);
    }
  }

  bool has(const std::string& name) const { return members_.count(name) != 0; }

  // The member's bytes, decompressed in memory. Refuses sizes over `cap` (as the directory
  // declares them, and as they decompress) and a member whose bytes differ from its declared size.
  std::string read(const std::string& name, uint64_t cap) const {
    const Member& m = members_.at(name);
    const std::string where = fmt::format("{}: {}", path_, name);
    if (m.encrypted) {
      throw Error(ErrorCode::kUnsupported, "the zip member is encrypted", where);
    }
    if (m.size > cap) {
      throw Error(
          ErrorCode::kTooLarge,
          fmt::format("the zip member decompresses to {} bytes, over the {}-byte cap", m.size, cap),
          where);
    }
    std::unique_ptr<zip_file_t, ZipFileCloser> f(zip_fopen_index(zip_.get(), m.index, 0));
    if (!f) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("cannot open the zip member: {}", zip_strerror(zip_.get())), where);
    }
    std::string out;
    out.reserve(static_cast<size_t>(std::min<uint64_t>(m.size, 64ull << 20)));
    std::vector<char> chunk(1 << 20);
    while (true) {
      const zip_int64_t got = zip_fread(f.get(), chunk.data(), chunk.size());
      if (got < 0) {
        zip_error_t* ze = zip_file_get_error(f.get());
        const int code = ze ? zip_error_code_zip(ze) : ZIP_ER_INTERNAL;
        const std::string msg = ze ? zip_error_strerror(ze) : "unknown error";
        if (code == ZIP_ER_READ || code == ZIP_ER_EOF || code == ZIP_ER_INCONS) {
          throw Error(ErrorCode::kTruncated,
                      fmt::format("cannot decompress the zip member: {} (truncated archive?)", msg),
                      where);
        }
        throw Error(ErrorCode::kSchema,
                    fmt::format("cannot decompress the zip member: {} (corrupt archive)", msg),
                    where);
      }
      if (got == 0) break;
      out.append(chunk.data(), static_cast<size_t>(got));
      if (out.size() > m.size || out.size() > cap) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("the zip member decompresses to more than the {} bytes the zip's "
                                "directory declares (a corrupt or crafted archive)",
                                m.size),
                    where);
      }
    }
    if (out.size() != m.size) {
      throw Error(ErrorCode::kTruncated,
                  fmt::format("the zip member decompressed to {} bytes; the zip's directory "
                              "declares {}",
                              out.size(), m.size),
                  where);
    }
    return out;
  }

 private:
  void checkName(const std::string& name) const {
    bool bad = name.empty() || name.front() == '/' || name.find('\\') != std::string::npos ||
               name.find('\0') != std::string::npos || (name.size() >= 2 && name[1] == ':');
    size_t i = 0;
    while (!bad && i <= name.size()) {
      const size_t j = std::min(name.find('/', i), name.size());
      if (name.compare(i, j - i, "..") == 0 && j - i == 2) bad = true;
      i = j + 1;
    }
    if (bad) {
      throw Error(ErrorCode::kPathEscape,
                  fmt::format("zip member name '{}' is absolute, has a backslash or a '..' "
                              "component; the archive is refused",
                              name),
                  path_);
    }
  }

  std::string path_;
  ZipPtr zip_;
  std::map<std::string, Member> members_;
};

}  // namespace

bool looksLikeKerasZip(const std::string& path) {
  try {
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {0, 0, 0, 0};
    if (!in.read(magic, 4) || std::memcmp(magic, "PK\x03\x04", 4) != 0) return false;
    int err = 0;
    zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
    if (!z) return false;
    const bool has = zip_name_locate(z, "config.json", 0) >= 0;
    zip_discard(z);
    return has;
  } catch (...) {
    return false;
  }
}

KerasFile readKerasZip(const std::string& path, const KerasReadOptions& options) {
  const uint64_t h5Cap = checkedAdd(checkedMul(options.maxTotalBytes, 4), 64ull << 20);
  const uint64_t totalCap = checkedAdd(checkedAdd(h5Cap, 2 * kMaxJsonBytes), kAssetsAllowance);
  ZipReader zip(path, totalCap);
  if (!zip.has("config.json")) {
    throw Error(ErrorCode::kUnknownFormat,
                "the zip archive has no config.json: not a Keras 3 .keras model", path);
  }
  KerasFile out;
  out.path = path;
  if (zip.has("metadata.json")) {
    const Json meta =
        parseJson(zip.read("metadata.json", kMaxMetadataBytes), "metadata.json", path);
    out.kerasVersion = stringOr(meta, "keras_version");
  }
  out.modelConfig = parseJson(zip.read("config.json", kMaxJsonBytes), "config.json", path);
  if (!out.modelConfig.is_object() || !out.modelConfig.contains("class_name") ||
      !out.modelConfig.contains("config")) {
    throw Error(ErrorCode::kSchema,
                "config.json is not a Keras object ({\"class_name\", \"config\", ...})", path);
  }
  if (auto it = out.modelConfig.find("compile_config");
      it != out.modelConfig.end() && !it->is_null()) {
    out.trainingConfig = *it;
  }
  if (!options.readWeights) return out;
  if (!zip.has("model.weights.h5")) {
    if (zip.has("model.weights.npz")) {
      throw Error(ErrorCode::kUnsupported,
                  "the weights are stored as model.weights.npz (saved with "
                  "weights_format='npz'); only model.weights.h5 is supported: re-save the model "
                  "with Keras's default weights format",
                  path);
    }
    throw Error(ErrorCode::kSchema, "the archive has no model.weights.h5", path);
  }
  const std::string h5Name = path + ": model.weights.h5";
  H5Image image;
  {
    const std::string bytes = zip.read("model.weights.h5", h5Cap);
    image = readH5Image(bytes, h5Name, {"layers", "_layer_checkpoint_dependencies"}, options);
  }
  const std::set<std::string> groups(image.groups.begin(), image.groups.end());
  std::unordered_map<std::string, const Tensor*> datasets;
  for (const auto& d : image.datasets) datasets[d.name] = &d.tensor;
  // Keras 2.13-2.15 wrote `_layer_checkpoint_dependencies` where Keras 3 writes `layers`.
  const bool legacyTree = !groups.count("layers") && groups.count("_layer_checkpoint_dependencies");
  auto located = [&](const std::string& p) {
    if (!legacyTree) return p;
    std::string s;
    for (const auto& part : splitWeightName(p)) {
      s += (s.empty() ? "" : "/") + (part == "layers" ? "_layer_checkpoint_dependencies" : part);
    }
    return s;
  };

  const std::vector<LayerVariables> vars = listModelVariables(out.modelConfig);
  const StateTree tree = stateTree(out.modelConfig, path);
  std::unordered_map<std::string, const Slot*> slots;
  for (const Slot& s : tree.slots) slots[modelKey(s.modelPath, s.name)] = &s;
  std::unordered_map<std::string, bool> trainable;
  {
    std::vector<std::string> mp;
    indexConfigs(out.modelConfig, mp, true, trainable, 0);
  }
  std::map<std::string, std::vector<OrderedWeight>> topLevel;  // sorted by name, as h5py lists
  for (const LayerVariables& lv : vars) {
    auto sit = slots.find(modelKey(lv.modelPath, lv.layer));
    if (sit == slots.end()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("layer '{}' ({}) has no place in the .keras state tree", lv.layer,
                              lv.className),
                  path);
    }
    const Slot& s = *sit->second;
    std::vector<size_t> order;
    for (size_t v = 0; v < lv.variables.size(); ++v) order.push_back(v);
    std::stable_partition(order.begin(), order.end(),
                          [&](size_t v) { return lv.variables[v].trainable; });
    std::vector<VarGroup> vgs;
    varGroups(*s.layer, s.statePath, order.size(), vgs, path, 0);
    std::vector<Tensor> values(lv.variables.size());
    size_t next = 0;
    for (const VarGroup& vg : vgs) {
      const std::string gp = located(vg.path);
      if (vg.count == 0) continue;
      if (!groups.count(gp)) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("no group '{}' for the {} variables of layer '{}' ({})", gp,
                                vg.count, lv.layer, lv.className),
                    h5Name);
      }
      for (size_t i = 0; i < vg.count; ++i, ++next) {
        const LayerVariable& var = lv.variables[order[next]];
        const std::string dp = gp + "/" + std::to_string(i);
        auto dit = datasets.find(dp);
        if (dit == datasets.end()) {
          throw Error(ErrorCode::kSchema,
                      fmt::format("no dataset '{}' for variable '{}' of layer '{}' ({})", dp,
                                  var.name, lv.layer, lv.className),
                      h5Name, dp);
        }
        if (dit->second->shape() != var.shape) {
          throw Error(ErrorCode::kSchema,
                      fmt::format("dataset '{}' has shape {} but layer '{}' ({}) needs {} for "
                                  "'{}'",
                                  dp, shapeString(dit->second->shape()), lv.layer, lv.className,
                                  shapeString(var.shape), var.name),
                      h5Name, dp);
        }
        values[order[next]] = *dit->second;
      }
      if (datasets.count(gp + "/" + std::to_string(vg.count))) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("group '{}' holds more than the {} variables layer '{}' ({}) has",
                                gp, vg.count, lv.layer, lv.className),
                    h5Name);
      }
    }
    auto t = trainable.find(modelKey(lv.modelPath, lv.layer));
    const bool layerTrainable = t == trainable.end() || t->second;
    auto& entry = topLevel[lv.modelPath.empty() ? lv.layer : lv.modelPath.front()];
    for (size_t v = 0; v < lv.variables.size(); ++v) {
      entry.push_back({lv.variables[v].trainable && layerTrainable,
                       {lv.layer + "/" + lv.variables[v].name, std::move(values[v])}});
    }
  }
  for (auto& [name, ws] : topLevel) out.layers.push_back({name, legacyOrder(std::move(ws))});
  return out;
}

}  // namespace tfjs::keras
