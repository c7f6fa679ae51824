// keras/h5.cpp — Keras HDF5 reader on the libhdf5 C API (see h5.h for the contract).
//
// Follows tensorflowjs_converter's keras_h5_conversion.py: `_convert_h5_group` (a group with a
// `weight_names` attribute is a layer's leaf: its datasets are read at those paths, in that order;
// otherwise its subgroups are visited in name order), `h5_merged_saved_model_to_tfjs_format`
// (members of `model_weights` in h5py's name order) and `h5_weights_to_tfjs_format` (root
// `layer_names` order). Attribute arrays Keras splits when they exceed the HDF5 header limit
// (`weight_names0`, `weight_names1`, ...) are joined, as Keras's own loader does (the converter
// does not read them). Dtypes follow write_weights' auto-conversion.
//
// KerasH5Reader lists first and reads later: the listing opens every layer's leaf group once
// (kept open) and inspects every dataset (shape, dtype, storage, caps) without reading it; read()
// re-opens one dataset, checks it still matches, and has HDF5 read it into the caller's buffer.
// Only hard links are followed, at every component of every path the file names.
#include "keras/h5.h"

#include <fmt/format.h>
#include <hdf5.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>

#include "format/checked.h"
#include "keras/hdf5_util.h"

namespace fs = std::filesystem;

namespace tfjs::keras {
namespace {

[[noreturn]] void fail(ErrorCode code, const std::string& what, const std::string& file,
                       const std::string& weight = {}) {
  const std::string detail = hdf5Message();
  throw Error(code, detail.empty() ? what : fmt::format("{} (HDF5: {})", what, detail), file,
              weight);
}

// A file HDF5 cannot read: kTruncated when HDF5 says bytes are missing, else kSchema (corrupt).
[[noreturn]] void failCorrupt(const std::string& what, const std::string& file,
                              const std::string& weight = {}) {
  const std::string detail = hdf5Message();
  const bool truncated = detail.find("truncated") != std::string::npos ||
                         detail.find("eof") != std::string::npos ||
                         detail.find("addr overflow") != std::string::npos;
  throw Error(truncated ? ErrorCode::kTruncated : ErrorCode::kSchema,
              detail.empty() ? what : fmt::format("{} (HDF5: {})", what, detail), file, weight);
}

// How a dataset's values are read into the dtype readKerasH5 gives them.
enum class ReadKind {
  kFloat,  // any float width, read by HDF5 as native float32
  kInt32,  // 4-byte signed integers, read as native int32
  kInt64,  // 8-byte signed integers, read as int64 and wrapped to int32
  kBool,   // 1-byte enum, read as uint8 and normalized to 0/1
};

// A dataset as inspected: shape, output dtype and size, how to read it.
struct DatasetInfo {
  std::vector<int64_t> shape;
  DType dtype = DType::kFloat32;
  ReadKind kind = ReadKind::kFloat;
  uint64_t count = 0;       // elements
  uint64_t byteLength = 0;  // count x the output dtype's size
};

// A listed weight: its weight_names entry (a path relative to its leaf group), the leaf group
// (an index into the open groups), the group's description for messages, and the dataset.
struct Listed {
  std::string name;
  size_t group = 0;
  std::string where;
  DatasetInfo info;
};

struct Reader {
  const std::string& path;
  const H5ReadOptions& options;
  uint64_t fileSize = 0;
  uint64_t total = 0;

  bool hasAttr(hid_t obj, const std::string& name) const {
    return H5Aexists(obj, name.c_str()) > 0;
  }

  // Reads a string attribute (scalar or 1-D array; fixed-length or variable-length strings).
  std::vector<std::string> readStrings(hid_t obj, const std::string& name,
                                       const std::string& where) const {
    Hid attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
    if (!attr.ok()) fail(ErrorCode::kSchema, fmt::format("cannot open attribute '{}'", name), path);
    Hid type(H5Aget_type(attr.get()), H5Tclose);
    Hid space(H5Aget_space(attr.get()), H5Sclose);
    if (!type.ok() || !space.ok()) {
      fail(ErrorCode::kIo, fmt::format("cannot read attribute '{}' of {}", name, where), path);
    }
    // h5py writes an empty list as an empty float64 array: no strings, whatever the type.
    if (H5Sget_simple_extent_type(space.get()) == H5S_SIMPLE &&
        H5Sget_simple_extent_npoints(space.get()) == 0) {
      return {};
    }
    if (H5Tget_class(type.get()) != H5T_STRING) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("attribute '{}' of {} is not a string", name, where), path);
    }
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 1) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("attribute '{}' of {} has rank {}; expected a string or a list "
                              "of strings",
                              name, where, rank),
                  path);
    }
    const hssize_t count = H5Sget_simple_extent_npoints(space.get());
    if (count < 0 || static_cast<uint64_t>(count) > (1u << 24)) {
      throw Error(ErrorCode::kTooLarge,
                  fmt::format("attribute '{}' of {} has {} entries", name, where, count), path);
    }
    const size_t n = static_cast<size_t>(count);
    std::vector<std::string> out;
    out.reserve(n);
    const htri_t vlen = H5Tis_variable_str(type.get());
    if (vlen < 0) fail(ErrorCode::kIo, fmt::format("bad type of attribute '{}'", name), path);
    if (vlen > 0) {
      Hid mem(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mem.get(), H5T_VARIABLE);
      H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
      std::vector<char*> ptrs(n, nullptr);
      if (n && H5Aread(attr.get(), mem.get(), ptrs.data()) < 0) {
        fail(ErrorCode::kIo, fmt::format("cannot read attribute '{}' of {}", name, where), path);
      }
      for (char* p : ptrs) out.emplace_back(p ? p : "");
      if (n) H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
    } else {
      const size_t width = H5Tget_size(type.get());
      if (width == 0 || checkedMul(width, n) > (256u << 20)) {
        throw Error(ErrorCode::kTooLarge,
                    fmt::format("attribute '{}' of {} is too large", name, where), path);
      }
      std::vector<char> buf(width * n + 1, '\0');
      Hid mem(H5Tcopy(type.get()), H5Tclose);
      if (n && H5Aread(attr.get(), mem.get(), buf.data()) < 0) {
        fail(ErrorCode::kIo, fmt::format("cannot read attribute '{}' of {}", name, where), path);
      }
      for (size_t i = 0; i < n; ++i) {
        const char* s = buf.data() + i * width;
        out.emplace_back(s, strnlen(s, width));  // null-padded, as numpy bytes_ arrays are
      }
    }
    return out;
  }

  std::string readString(hid_t obj, const std::string& name, const std::string& where) const {
    auto v = readStrings(obj, name, where);
    if (v.size() != 1) {
      throw Error(
          ErrorCode::kSchema,
          fmt::format("attribute '{}' of {} holds {} strings; expected one", name, where, v.size()),
          path);
    }
    return std::move(v.front());
  }

  // `name`, or the chunks `name0`, `name1`, ... Keras writes for long lists. nullopt if neither.
  std::optional<std::vector<std::string>> readNameList(hid_t obj, const std::string& name,
                                                       const std::string& where) const {
    if (hasAttr(obj, name)) return readStrings(obj, name, where);
    if (!hasAttr(obj, name + "0")) return std::nullopt;
    std::vector<std::string> all;
    for (int k = 0; hasAttr(obj, name + std::to_string(k)); ++k) {
      auto part = readStrings(obj, name + std::to_string(k), where);
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }

  Json readJsonAttr(hid_t obj, const std::string& name) const {
    const std::string text = readString(obj, name, "the file root");
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded()) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("attribute '{}' is not valid JSON ({} bytes)", name, text.size()),
                  path);
    }
    return j;
  }

  // Names of the direct members of `group`, in name order (h5py's iteration order), and whether
  // each is a group. Only hard links are listed: a soft, external or user-defined link is
  // refused (kUnsupported) rather than followed, so that no other file is ever opened.
  std::vector<std::pair<std::string, bool>> members(hid_t group, const std::string& where) const {
    struct Listing {
      std::vector<std::pair<std::string, bool>> names;  // name, is-group
      std::string link;                                 // the first non-hard link met
    } out;
    hsize_t idx = 0;
    const herr_t rc = H5Literate(
        group, H5_INDEX_NAME, H5_ITER_INC, &idx,
        [](hid_t g, const char* name, const H5L_info_t* info, void* data) -> herr_t {
          auto* v = static_cast<Listing*>(data);
          if (v->names.size() >= (1u << 20)) return -1;
          if (info == nullptr || info->type != H5L_TYPE_HARD) {
            v->link = name;
            return 1;  // stop: refused below
          }
          H5O_info_t oi;
          bool isGroup = false;
          if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) >= 0) {
            isGroup = oi.type == H5O_TYPE_GROUP;
          }
          v->names.emplace_back(name, isGroup);
          return 0;
        },
        &out);
    if (rc < 0) fail(ErrorCode::kIo, fmt::format("cannot list the members of {}", where), path);
    if (!out.link.empty()) refuseLink(group, out.link, where + "/" + out.link, {});
    return std::move(out.names);
  }

  // Throws kUnsupported for the link `name` of `group` (not a hard link), naming its target.
  [[noreturn]] void refuseLink(hid_t group, const std::string& name, const std::string& shown,
                               const std::string& weight) const {
    H5L_info_t li;
    std::string kind = "a link HDF5 cannot describe";
    std::string target;
    if (H5Lget_info(group, name.c_str(), &li, H5P_DEFAULT) >= 0) {
      if (li.type == H5L_TYPE_SOFT || li.type == H5L_TYPE_EXTERNAL) {
        kind = li.type == H5L_TYPE_SOFT ? "a soft link" : "an external link";
        if (li.u.val_size > 0 && li.u.val_size <= 4096) {
          std::vector<char> val(li.u.val_size + 1, '\0');
          if (H5Lget_val(group, name.c_str(), val.data(), li.u.val_size, H5P_DEFAULT) >= 0) {
            if (li.type == H5L_TYPE_SOFT) {
              target =
                  fmt::format(" to '{}'", std::string(val.data(), strnlen(val.data(), val.size())));
            } else {
              const char* file = nullptr;
              const char* obj = nullptr;
              if (H5Lunpack_elink_val(val.data(), li.u.val_size, nullptr, &file, &obj) >= 0 &&
                  file && obj) {
                target = fmt::format(" to '{}' in file '{}'", obj, file);
              }
            }
          }
        }
      } else if (li.type != H5L_TYPE_HARD) {
        kind = fmt::format("a user-defined link (type {})", static_cast<int>(li.type));
      }
    }
    H5Eclear2(H5E_DEFAULT);
    throw Error(ErrorCode::kUnsupported,
                fmt::format("'{}' is {}{}: only hard links are followed (Keras writes no links, "
                            "and a link may point into another file)",
                            shown, kind, target),
                path, weight);
  }

  // Refuses a soft, external or user-defined link at any component of the relative path `rel`
  // under `base` (kUnsupported). Returns quietly when a component does not exist: the caller's
  // open then fails with its own message.
  void requireHardLinks(hid_t base, const std::string& rel, const std::string& where,
                        const std::string& weight) const {
    Hid cur;
    hid_t at = base;
    if (!rel.empty() && rel[0] == '/') {  // an absolute path starts at the file's root group
      cur = Hid(H5Gopen2(base, "/", H5P_DEFAULT), H5Gclose);
      if (!cur.ok()) failCorrupt("cannot open the HDF5 root group", path, weight);
      at = cur.get();
    }
    std::string walked = where;
    size_t pos = 0;
    int depth = 0;
    while (pos < rel.size()) {
      size_t slash = rel.find('/', pos);
      if (slash == std::string::npos) slash = rel.size();
      const std::string comp = rel.substr(pos, slash - pos);
      pos = slash + 1;
      if (comp.empty() || comp == ".") continue;
      if (++depth > 64) throw Error(ErrorCode::kSchema, "path nested too deeply", path, weight);
      walked += (walked.empty() ? "" : "/") + comp;
      if (H5Lexists(at, comp.c_str(), H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return;
      }
      H5L_info_t li;
      if (H5Lget_info(at, comp.c_str(), &li, H5P_DEFAULT) < 0) {
        failCorrupt(fmt::format("cannot read the link '{}'", walked), path, weight);
      }
      if (li.type != H5L_TYPE_HARD) refuseLink(at, comp, walked, weight);
      if (slash < rel.size()) {
        Hid next(H5Oopen(at, comp.c_str(), H5P_DEFAULT), H5Oclose);
        if (!next.ok()) {
          H5Eclear2(H5E_DEFAULT);
          return;
        }
        cur = std::move(next);
        at = cur.get();
      }
    }
  }

  // Opens the dataset `dsName` (a path relative to `group`, as weight_names holds it) through
  // hard links only.
  Hid openDataset(hid_t group, const std::string& dsName, const std::string& where) const {
    requireHardLinks(group, dsName, where, dsName);
    Hid ds(H5Dopen2(group, dsName.c_str(), H5P_DEFAULT), H5Dclose);
    if (!ds.ok()) {
      fail(ErrorCode::kSchema,
           fmt::format("{} lists weight '{}' but there is no such dataset", where, dsName), path,
           dsName);
    }
    return ds;
  }

  // Opens the group `name` of `parent` (a hard link; kSchema naming `where` when missing).
  Hid openGroup(hid_t parent, const std::string& name, const std::string& where,
                const std::string& what) const {
    requireHardLinks(parent, name, where, {});
    Hid g(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.ok()) fail(ErrorCode::kSchema, fmt::format("{} has no group for {}", where, what), path);
    return g;
  }

  // Everything about a dataset but its bytes, checked: stored inside the file, a usable shape, a
  // dtype the converter writes, under the per-dataset cap (and, with `total`, the running total
  // under the total cap), and, when contiguous, lying inside the file.
  DatasetInfo inspect(hid_t ds, const std::string& dsName, uint64_t* total) const {
    Hid dcpl(H5Dget_create_plist(ds), H5Pclose);
    if (!dcpl.ok()) failCorrupt("cannot read the dataset's storage properties", path, dsName);
    const H5D_layout_t layout = H5Pget_layout(dcpl.get());
    if (H5Pget_external_count(dcpl.get()) != 0 || layout == H5D_VIRTUAL) {
      throw Error(ErrorCode::kUnsupported,
                  "dataset stored outside the file (external or virtual layout)", path, dsName);
    }
    Hid type(H5Dget_type(ds), H5Tclose);
    Hid space(H5Dget_space(ds), H5Sclose);
    if (!type.ok() || !space.ok()) {
      fail(ErrorCode::kIo, "cannot read the dataset's type or shape", path, dsName);
    }
    const H5S_class_t sclass = H5Sget_simple_extent_type(space.get());
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (sclass == H5S_NULL || rank < 0 || rank > 32) {
      throw Error(ErrorCode::kSchema, "dataset has no usable shape (null dataspace or rank > 32)",
                  path, dsName);
    }
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) {
      fail(ErrorCode::kIo, "cannot read the dataset's shape", path, dsName);
    }
    DatasetInfo info;
    for (hsize_t d : dims) {
      if (d > static_cast<hsize_t>(INT64_MAX)) {
        throw Error(ErrorCode::kShapeOverflow, "dataset dimension overflows", path, dsName);
      }
      info.shape.push_back(static_cast<int64_t>(d));
    }
    info.count = elementCount(info.shape);
    const H5T_class_t tclass = H5Tget_class(type.get());
    const size_t fileWidth = H5Tget_size(type.get());
    if (tclass == H5T_FLOAT && (fileWidth == 2 || fileWidth == 4 || fileWidth == 8)) {
      info.dtype = DType::kFloat32;  // float16/float64 -> float32 (HDF5 converts, to nearest)
      info.kind = ReadKind::kFloat;
    } else if (tclass == H5T_INTEGER && H5Tget_sign(type.get()) == H5T_SGN_2 &&
               (fileWidth == 4 || fileWidth == 8)) {
      info.dtype = DType::kInt32;  // int64 -> int32 wraps, as numpy's astype does
      info.kind = fileWidth == 4 ? ReadKind::kInt32 : ReadKind::kInt64;
    } else if (tclass == H5T_ENUM && fileWidth == 1) {
      info.dtype = DType::kBool;  // h5py stores numpy bool as an int8 enum {FALSE, TRUE}
      info.kind = ReadKind::kBool;
    } else {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("dataset dtype (HDF5 class {}, {} bytes) is not one the converter "
                              "writes (float16/32/64, int32/64, bool)",
                              static_cast<int>(tclass), fileWidth),
                  path, dsName);
    }
    info.byteLength = checkedMul(info.count, info.dtype == DType::kBool ? 1 : 4);
    if (info.byteLength > options.maxDatasetBytes) {
      throw Error(ErrorCode::kTooLarge,
                  fmt::format("dataset of shape {} needs {} bytes, over the {}-byte cap",
                              shapeString(info.shape), info.byteLength, options.maxDatasetBytes),
                  path, dsName);
    }
    if (total) {
      *total = checkedAdd(*total, info.byteLength);
      if (*total > options.maxTotalBytes) {
        throw Error(
            ErrorCode::kTooLarge,
            fmt::format("the weights need more than the {}-byte cap", options.maxTotalBytes), path,
            dsName);
      }
    }
    // A contiguous dataset must lie inside the file: catches truncated files and shapes that
    // claim more elements than were stored, before reading.
    if (layout == H5D_CONTIGUOUS && info.count > 0) {
      const haddr_t off = H5Dget_offset(ds);
      const uint64_t need = checkedMul(info.count, fileWidth);
      if (off != HADDR_UNDEF && (off > fileSize || fileSize - off < need)) {
        throw Error(ErrorCode::kTruncated,
                    fmt::format("dataset of shape {} needs {} bytes at offset {}, past the end of "
                                "the {}-byte file",
                                shapeString(info.shape), need, off, fileSize),
                    path, dsName);
      }
    }
    H5Eclear2(H5E_DEFAULT);
    return info;
  }

  // Reads the dataset `ds` described by `info` into `dest` (info.byteLength bytes), converted to
  // info.dtype. Float and int32 data go straight into `dest`; int64 through a temporary.
  void readInto(hid_t ds, const DatasetInfo& info, uint8_t* dest, const std::string& dsName) const {
    if (info.count == 0) return;
    herr_t rc = 0;
    switch (info.kind) {
      case ReadKind::kFloat:
        rc = H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dest);
        break;
      case ReadKind::kInt32:
        rc = H5Dread(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, dest);
        break;
      case ReadKind::kBool:
        rc = H5Dread(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, dest);
        if (rc >= 0) {
          for (uint64_t i = 0; i < info.count; ++i) dest[i] = dest[i] != 0 ? 1 : 0;
        }
        break;
      case ReadKind::kInt64: {
        Buffer raw = Buffer::allocate(static_cast<size_t>(checkedMul(info.count, 8)));
        rc = H5Dread(ds, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.mutableData());
        if (rc >= 0) {
          for (uint64_t i = 0; i < info.count; ++i) {
            int64_t v;
            std::memcpy(&v, raw.data() + i * 8, 8);
            const auto w = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
            std::memcpy(dest + i * 4, &w, 4);
          }
        }
        break;
      }
    }
    if (rc < 0) failCorrupt("cannot read the dataset (truncated or corrupt file?)", path, dsName);
  }

  // A whole dataset as a new tensor (readH5Image's datasets).
  Tensor readDataset(hid_t group, const std::string& dsName, const std::string& where) {
    Hid ds = openDataset(group, dsName, where);
    const DatasetInfo info = inspect(ds.get(), dsName, &total);
    Buffer out = Buffer::allocate(static_cast<size_t>(info.byteLength));
    readInto(ds.get(), info, out.mutableData(), dsName);
    return Tensor(info.dtype, info.shape, std::move(out), 0);
  }

  // The converter's _convert_h5_group: a leaf with weight_names (its datasets listed, the group
  // kept open in `groups` for reading them later), or recurse into subgroups.
  void convertGroup(hid_t group, const std::string& where, std::vector<Listed>& out,
                    std::vector<Hid>& groups, int depth) {
    if (depth > 64) throw Error(ErrorCode::kSchema, "groups nested too deeply", path);
    if (const auto names = readNameList(group, "weight_names", where); names.has_value()) {
      if (!options.readWeights || names->empty()) return;
      if (H5Iinc_ref(group) < 0) fail(ErrorCode::kIo, "cannot keep a layer group open", path);
      const size_t gi = groups.size();
      groups.emplace_back(group, H5Gclose);
      for (const auto& name : names.value()) {
        Hid ds = openDataset(group, name, where);
        out.push_back({name, gi, where, inspect(ds.get(), name, &total)});
      }
      return;
    }
    for (const auto& [name, isGroup] : members(group, where)) {
      if (!isGroup) continue;
      Hid sub(H5Gopen2(group, name.c_str(), H5P_DEFAULT), H5Gclose);
      if (!sub.ok()) fail(ErrorCode::kIo, fmt::format("cannot open group '{}'", name), path);
      convertGroup(sub.get(), where + "/" + name, out, groups, depth + 1);
    }
  }

  void listLayer(hid_t parent, const std::string& name, const std::string& where,
                 std::vector<H5LayerInfo>& layers, std::vector<std::vector<Listed>>& sources,
                 std::vector<Hid>& groups) {
    Hid g = openGroup(parent, name, where, fmt::format("layer '{}'", name));
    std::vector<Listed> listed;
    convertGroup(g.get(), where + "/" + name, listed, groups, 0);
    H5LayerInfo layer{name, {}};
    for (const auto& l : listed) {
      layer.weights.push_back({l.name, l.info.shape, l.info.dtype, l.info.byteLength});
    }
    layers.push_back(std::move(layer));
    sources.push_back(std::move(listed));
  }
};

// One link of a group: its name, whether it is a hard link to a group or to a dataset, and the
// object's address (to visit each object once).
struct Link {
  std::string name;
  H5O_type_t type = H5O_TYPE_UNKNOWN;
  haddr_t addr = HADDR_UNDEF;
};

// The hard links of `group` in name order; soft and external links are skipped (an external
// link would open another file).
std::vector<Link> hardLinks(hid_t group, const std::string& file, const std::string& where) {
  std::vector<Link> out;
  hsize_t idx = 0;
  const herr_t rc = H5Literate(
      group, H5_INDEX_NAME, H5_ITER_INC, &idx,
      [](hid_t g, const char* name, const H5L_info_t* info, void* data) -> herr_t {
        auto* v = static_cast<std::vector<Link>*>(data);
        if (v->size() >= (1u << 20)) return -1;
        if (info == nullptr || info->type != H5L_TYPE_HARD) return 0;
        H5O_info_t oi;
        if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return -1;
        v->push_back({name, oi.type, oi.addr});
        return 0;
      },
      &out);
  if (rc < 0) fail(ErrorCode::kSchema, fmt::format("cannot list the members of {}", where), file);
  return out;
}

bool selected(const std::string& path, const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return true;
  for (const auto& p : prefixes) {
    if (path == p ||
        (path.size() > p.size() && path.compare(0, p.size(), p) == 0 && path[p.size()] == '/')) {
      return true;
    }
  }
  return false;
}

struct ImageWalk {
  Reader& r;
  hid_t root;
  const std::vector<std::string>& prefixes;
  H5Image& out;
  std::set<haddr_t> visited;
  size_t objects = 0;

  void walk(hid_t group, const std::string& where, int depth) {
    if (depth > 64) throw Error(ErrorCode::kSchema, "groups nested too deeply", r.path, where);
    for (const Link& l : hardLinks(group, r.path, where.empty() ? "the root group" : where)) {
      if (++objects > (1u << 20)) {
        throw Error(ErrorCode::kTooLarge, "more than 2^20 objects in the HDF5 image", r.path);
      }
      const std::string full = where.empty() ? l.name : where + "/" + l.name;
      if (l.type == H5O_TYPE_GROUP) {
        if (!visited.insert(l.addr).second) continue;  // a second hard link to a group
        out.groups.push_back(full);
        Hid sub(H5Gopen2(group, l.name.c_str(), H5P_DEFAULT), H5Gclose);
        if (!sub.ok()) failCorrupt(fmt::format("cannot open group '{}'", full), r.path);
        walk(sub.get(), full, depth + 1);
      } else if (l.type == H5O_TYPE_DATASET && r.options.readWeights && selected(full, prefixes)) {
        {
          Hid ds(H5Dopen2(root, full.c_str(), H5P_DEFAULT), H5Dclose);
          if (!ds.ok()) failCorrupt("cannot open the dataset", r.path, full);
          Hid dcpl(H5Dget_create_plist(ds.get()), H5Pclose);
          if (!dcpl.ok() || H5Pget_external_count(dcpl.get()) != 0 ||
              H5Pget_layout(dcpl.get()) == H5D_VIRTUAL) {
            throw Error(ErrorCode::kUnsupported,
                        "dataset stored outside the file (external or virtual layout)", r.path,
                        full);
          }
        }
        out.datasets.push_back({full, r.readDataset(root, full, full)});
      }
    }
  }
};

bool hasSignatureAt(const char* data, size_t size, uint64_t off) {
  static const char kSig[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  return off <= size && size - off >= 8 && std::memcmp(data + off, kSig, 8) == 0;
}

}  // namespace

bool looksLikeHdf5(const std::string& path) {
  static const char kSig[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  for (uint64_t off = 0; off <= (1u << 20); off = off ? off * 2 : 512) {
    char buf[8];
    in.clear();
    in.seekg(static_cast<std::streamoff>(off));
    if (!in.read(buf, 8)) return false;
    if (std::memcmp(buf, kSig, 8) == 0) return true;
  }
  return false;
}

struct KerasH5Reader::Rep {
  std::string path;
  H5ReadOptions options;
  QuietErrors quiet;  // declared first: destroyed last, after every handle below is closed
  uint64_t fileSize = 0;
  Hid file;
  std::vector<Hid> groups;  // the layers' leaf groups, for reading their datasets
  KerasFile attributes;
  std::vector<H5LayerInfo> layers;
  std::vector<std::vector<Listed>> sources;  // parallel to layers
};

KerasH5Reader::KerasH5Reader(const std::string& path, const H5ReadOptions& options)
    : rep_(std::make_unique<Rep>()) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(ErrorCode::kNotFound, "no such file", path);
  if (!fs::is_regular_file(path, ec)) throw Error(ErrorCode::kIo, "not a regular file", path);
  if (!looksLikeHdf5(path)) {
    throw Error(ErrorCode::kUnknownFormat,
                "not an HDF5 file (no HDF5 signature); a Keras .h5 was expected", path);
  }
  Rep& rep = *rep_;
  rep.path = path;
  rep.options = options;
  Reader r{rep.path, rep.options};
  r.fileSize = rep.fileSize = fs::file_size(path, ec);
  rep.file = Hid(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!rep.file.ok()) failCorrupt("cannot open the HDF5 file (truncated or corrupt?)", path);
  Hid root(H5Gopen2(rep.file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!root.ok()) fail(ErrorCode::kIo, "cannot open the HDF5 root group", path);

  KerasFile& model = rep.attributes;
  model.path = path;
  const hid_t rg = root.get();
  if (r.hasAttr(rg, "keras_version")) {
    model.kerasVersion = r.readString(rg, "keras_version", "the file root");
  }
  if (r.hasAttr(rg, "backend")) model.backend = r.readString(rg, "backend", "the file root");

  if (r.hasAttr(rg, "layer_names") || r.hasAttr(rg, "layer_names0")) {
    // save_weights(): layers at the root, in layer_names order; no topology.
    model.weightsOnly = true;
    const auto names = r.readNameList(rg, "layer_names", "the file root");
    for (const auto& name : names.value_or(std::vector<std::string>{})) {
      r.listLayer(rg, name, "the file root", rep.layers, rep.sources, rep.groups);
    }
    return;
  }
  if (!r.hasAttr(rg, "model_config")) {
    throw Error(ErrorCode::kSchema,
                "no 'model_config' attribute (and no 'layer_names'): not a Keras model or "
                "weights file",
                path);
  }
  model.modelConfig = r.readJsonAttr(rg, "model_config");
  if (!model.modelConfig.is_object()) {
    throw Error(ErrorCode::kSchema, "attribute 'model_config' is not a JSON object", path);
  }
  if (r.hasAttr(rg, "training_config")) {
    model.trainingConfig = r.readJsonAttr(rg, "training_config");
  }
  const htri_t hasWeights = H5Lexists(rg, "model_weights", H5P_DEFAULT);
  if (hasWeights <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return;  // a model saved without weights (the converter would fail on the KeyError)
  }
  r.requireHardLinks(rg, "model_weights", "", {});
  Hid mw(H5Gopen2(rg, "model_weights", H5P_DEFAULT), H5Gclose);
  if (!mw.ok()) fail(ErrorCode::kSchema, "'model_weights' is not a group", path);
  for (const auto& [name, isGroup] : r.members(mw.get(), "model_weights")) {
    if (!isGroup) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("model_weights/{} is a dataset; a layer group was expected", name),
                  path);
    }
    r.listLayer(mw.get(), name, "model_weights", rep.layers, rep.sources, rep.groups);
  }
}

KerasH5Reader::~KerasH5Reader() = default;

const KerasFile& KerasH5Reader::attributes() const {
  return rep_->attributes;
}

const std::vector<H5LayerInfo>& KerasH5Reader::layers() const {
  return rep_->layers;
}

void KerasH5Reader::read(size_t layer, size_t index, uint8_t* dest, uint64_t destSize) {
  Rep& rep = *rep_;
  if (layer >= rep.layers.size() || index >= rep.layers[layer].weights.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("no weight {} of layer {} in the file", index, layer), rep.path);
  }
  const Listed& src = rep.sources[layer][index];
  if (destSize != src.info.byteLength || (dest == nullptr && destSize != 0)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("a buffer of {} bytes was given for a weight of {} bytes", destSize,
                            src.info.byteLength),
                rep.path, src.name);
  }
  Reader r{rep.path, rep.options};
  r.fileSize = rep.fileSize;
  const hid_t group = rep.groups[src.group].get();
  Hid ds = r.openDataset(group, src.name, src.where);
  // The file is read again: it must still hold what was listed.
  const DatasetInfo now = r.inspect(ds.get(), src.name, nullptr);
  if (now.shape != src.info.shape || now.kind != src.info.kind) {
    throw Error(ErrorCode::kSchema, "the dataset changed since the file was opened", rep.path,
                src.name);
  }
  r.readInto(ds.get(), src.info, dest, src.name);
}

H5Model readKerasH5(const std::string& path, const H5ReadOptions& options) {
  KerasH5Reader reader(path, options);
  H5Model model = reader.attributes();
  const auto& layers = reader.layers();
  for (size_t i = 0; i < layers.size(); ++i) {
    KerasLayerWeights layer{layers[i].name, {}};
    for (size_t k = 0; k < layers[i].weights.size(); ++k) {
      const H5WeightInfo& w = layers[i].weights[k];
      Buffer b = Buffer::allocate(static_cast<size_t>(w.byteLength));
      reader.read(i, k, b.mutableData(), w.byteLength);
      layer.weights.push_back({w.name, Tensor(w.dtype, w.shape, std::move(b), 0)});
    }
    model.layers.push_back(std::move(layer));
  }
  return model;
}

H5Image readH5Image(std::string_view image, const std::string& name,
                    const std::vector<std::string>& prefixes, const H5ReadOptions& options) {
  bool signature = false;
  for (uint64_t off = 0; off <= (1u << 20) && !signature; off = off ? off * 2 : 512) {
    signature = hasSignatureAt(image.data(), image.size(), off);
  }
  if (!signature) {
    throw Error(ErrorCode::kUnknownFormat, "not an HDF5 file (no HDF5 signature)", name);
  }
  QuietErrors quiet;
  Reader r{name, options};
  r.fileSize = image.size();
  Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  if (!fapl.ok() || H5Pset_fapl_core(fapl.get(), 1 << 20, 0) < 0 ||
      H5Pset_file_image(fapl.get(), const_cast<char*>(image.data()), image.size()) < 0) {
    fail(ErrorCode::kIo, "cannot set up HDF5's in-memory driver", name);
  }
  Hid file(H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.ok()) failCorrupt("cannot open the HDF5 image (truncated or corrupt?)", name);
  Hid root(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!root.ok()) failCorrupt("cannot open the HDF5 root group", name);
  H5Image out;
  ImageWalk w{r, root.get(), prefixes, out, {}, 0};
  w.walk(root.get(), "", 0);
  return out;
}

}  // namespace tfjs::keras
