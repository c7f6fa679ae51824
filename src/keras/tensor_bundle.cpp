// keras/tensor_bundle.cpp — TensorBundle reader (see tensor_bundle.h for the contract).
//
// Follows TF's tensorflow/core/lib/io/{format,block,table}.cc (the LevelDB table format: blocks of
// prefix-compressed entries with a restart array, a 5-byte trailer of compression type + masked
// CRC32C, an index block of BlockHandles, a 48-byte footer ending in the magic) and
// tensorflow/core/util/tensor_bundle/tensor_bundle.cc (BundleReader::GetValue and
// ReadStringTensor: what the checksums cover).
#include "keras/tensor_bundle.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>

#include "format/checked.h"
#include "io/files.h"
#include "src/keras/proto/tensor_bundle.pb.h"
#include "tfjs/error.h"

namespace fs = std::filesystem;

namespace tfjs::keras {

static_assert(std::endian::native == std::endian::little,
              "the TensorBundle reader assumes a little-endian host");

namespace {

constexpr uint32_t kMaskDelta = 0xa282ead8u;
constexpr size_t kFooterSize = 48;       // 2 x BlockHandle max (20 each) + 8 magic
constexpr size_t kBlockTrailerSize = 5;  // type byte + fixed32 masked CRC
constexpr uint8_t kMagic[8] = {0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb};
constexpr int kMaxRank = 64;
constexpr int32_t kBundleConsumerVersion = 1;  // TF's kTensorBundleVersion

constexpr std::array<uint32_t, 256> makeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kCrcTable = makeCrcTable();

uint32_t fixed32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Decodes a varint of at most `maxBytes` bytes from [*p, end). False when it runs past `end` or
// is longer than allowed (a varint32 takes at most 5 bytes, a varint64 at most 10).
bool getVarint(const uint8_t*& p, const uint8_t* end, int maxBytes, uint64_t& out) {
  uint64_t v = 0;
  for (int i = 0; i < maxBytes && p < end; ++i) {
    const uint8_t b = *p++;
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      out = v;
      return true;
    }
  }
  return false;
}

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += fmt::format("{}{:02x}", i ? " " : "", p[i]);
  return s;
}

std::string printableKey(const std::string& key) {
  std::string s;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      s += static_cast<char>(c);
    } else {
      s += fmt::format("\\x{:02x}", c);
    }
  }
  return s.empty() ? "\"\" (the header key)" : s;
}

// Reads a whole (small) file, capped; a missing one is named as what it should be.
std::string readFileCapped(const std::string& path, uint64_t cap, const char* what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw Error(ErrorCode::kNotFound, fmt::format("no {} (file not found)", what), path);
  }
  return io::readFileCapped(path, cap, fmt::format("the {}", what));
}

std::span<const uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// The SSTable parser over the index file's bytes.
class TableReader {
 public:
  TableReader(const std::string& path, std::span<const uint8_t> file,
              const TensorBundle::Limits& limits)
      : path_(path), file_(file), limits_(limits) {}

  // All entries, in order. Keys must be strictly increasing.
  std::vector<std::pair<std::string, std::string>> readAll() {
    const BlockHandle index = readFooter();
    std::vector<std::pair<std::string, std::string>> indexEntries;
    parseBlock(readBlock(index, "index block"), "index block", indexEntries);
    std::vector<std::pair<std::string, std::string>> out;
    uint64_t prevEnd = 0;
    for (size_t i = 0; i < indexEntries.size(); ++i) {
      const auto& value = indexEntries[i].second;
      const auto* p = reinterpret_cast<const uint8_t*>(value.data());
      const uint8_t* end = p + value.size();
      BlockHandle h;
      if (!getVarint(p, end, 10, h.offset) || !getVarint(p, end, 10, h.size)) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("index block entry {} is not a block handle (bad varints)", i),
                    path_);
      }
      // TF writes data blocks back to back; a handle that goes backwards (or repeats a block)
      // is corrupt, and refusing it bounds the work to one pass over the file.
      if (h.offset < prevEnd) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("data block {} at offset {} overlaps the previous block (which "
                                "ends at {})",
                                i, h.offset, prevEnd),
                    path_);
      }
      const std::string what = fmt::format("data block {}", i);
      const std::vector<uint8_t> block = readBlock(h, what.c_str());
      prevEnd = h.offset + h.size + kBlockTrailerSize;  // readBlock checked the sum
      const size_t before = out.size();
      parseBlock(block, what.c_str(), out);
      // Keys increase across blocks too, and the index key is >= the block's last key.
      if (out.size() > before && before > 0 && !(out[before - 1].first < out[before].first)) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("keys out of order between blocks at key '{}'",
                                printableKey(out[before].first)),
                    path_);
      }
      if (out.size() > before && indexEntries[i].first < out.back().first) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("index key of {} is below its last key '{}'", what,
                                printableKey(out.back().first)),
                    path_);
      }
    }
    return out;
  }

 private:
  BlockHandle readFooter() {
    const uint64_t size = file_.size();
    if (size < kFooterSize) {
      throw Error(ErrorCode::kTruncated,
                  fmt::format("the index is {} bytes, shorter than the {}-byte SSTable footer: "
                              "the file is cut short or is not a TensorBundle index",
                              size, kFooterSize),
                  path_);
    }
    const uint8_t* footer = file_.data() + size - kFooterSize;
    const uint8_t* magic = footer + 40;
    if (std::memcmp(magic, kMagic, 8) != 0) {
      // A cut inside the footer leaves a prefix of the magic or the zero padding at the end.
      bool cut = file_.back() == 0;
      for (size_t k = 1; k < 8 && !cut; ++k) {
        cut = std::memcmp(file_.data() + size - k, kMagic, k) == 0;
      }
      if (cut) {
        throw Error(ErrorCode::kTruncated,
                    fmt::format("the index ends without its SSTable footer (the last 8 bytes "
                                "{} are not the magic {}): the file is cut short",
                                hex(magic, 8), hex(kMagic, 8)),
                    path_);
      }
      throw Error(ErrorCode::kSchema,
                  fmt::format("bad footer magic {} (expected {}): not a TensorBundle index, or a "
                              "corrupt one",
                              hex(magic, 8), hex(kMagic, 8)),
                  path_);
    }
    const uint8_t* p = footer;
    const uint8_t* end = footer + 40;
    BlockHandle meta, index;
    if (!getVarint(p, end, 10, meta.offset) || !getVarint(p, end, 10, meta.size) ||
        !getVarint(p, end, 10, index.offset) || !getVarint(p, end, 10, index.size)) {
      throw Error(ErrorCode::kSchema, "the SSTable footer's block handles are not valid varints",
                  path_);
    }
    return index;
  }

  // The contents of a block (without trailer), after checking bounds, CRC and compression type.
  std::vector<uint8_t> readBlock(const BlockHandle& h, const char* what) {
    const uint64_t dataEnd = file_.size() - kFooterSize;
    uint64_t end = 0;
    if (__builtin_add_overflow(h.offset, h.size, &end) ||
        __builtin_add_overflow(end, kBlockTrailerSize, &end) || end > dataEnd) {
      throw Error(ErrorCode::kTruncated,
                  fmt::format("{} (offset {}, {} bytes + {}-byte trailer) runs past the end of "
                              "the table data ({} bytes before the footer)",
                              what, h.offset, h.size, kBlockTrailerSize, dataEnd),
                  path_);
    }
    const uint8_t* p = file_.data() + h.offset;
    const size_t n = static_cast<size_t>(h.size);
    const uint32_t stored = crc32cUnmask(fixed32(p + n + 1));
    const uint32_t actual = crc32c(p, n + 1);  // the contents and the type byte
    if (stored != actual) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("{} (bytes {}..{}) fails its CRC32C check: stored {:08x}, computed "
                              "{:08x}; the index is corrupt",
                              what, h.offset, h.offset + h.size, stored, actual),
                  path_);
    }
    if (p[n] == 1) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{} is Snappy-compressed; TensorFlow writes bundles uncompressed "
                              "and this reader does not decompress Snappy",
                              what),
                  path_);
    }
    if (p[n] != 0) {
      throw Error(ErrorCode::kSchema, fmt::format("{} has unknown compression type {}", what, p[n]),
                  path_);
    }
    return std::vector<uint8_t>(p, p + n);
  }

  // Appends the entries of one block. Keys strictly increase inside the block.
  void parseBlock(const std::vector<uint8_t>& block, const char* what,
                  std::vector<std::pair<std::string, std::string>>& out) {
    const size_t size = block.size();
    if (size < 4) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("{} is {} bytes, too short for its restart count", what, size),
                  path_);
    }
    const uint32_t numRestarts = fixed32(block.data() + size - 4);
    if (numRestarts > (size - 4) / 4) {
      throw Error(ErrorCode::kSchema,
                  fmt::format("{} claims {} restart points, more than its {} bytes can hold", what,
                              numRestarts, size),
                  path_);
    }
    const size_t limit = size - 4 - 4 * static_cast<size_t>(numRestarts);
    const uint8_t* p = block.data();
    const uint8_t* end = block.data() + limit;
    std::string key;
    bool first = true;
    while (p < end) {
      uint64_t shared, unshared, valueLen;
      if (!getVarint(p, end, 5, shared) || !getVarint(p, end, 5, unshared) ||
          !getVarint(p, end, 5, valueLen)) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("{}: entry header at byte {} is not three valid varints", what,
                                p - block.data()),
                    path_);
      }
      const auto avail = static_cast<uint64_t>(end - p);
      if (shared > key.size() || unshared > avail || valueLen > avail - unshared) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("{}: entry at byte {} (shared {}, unshared {}, value {}) does not "
                                "fit its block",
                                what, p - block.data(), shared, unshared, valueLen),
                    path_);
      }
      materialized_ = checkedAdd(materialized_, checkedAdd(shared + unshared, valueLen));
      if (materialized_ > limits_.maxKeyBytes) {
        throw Error(
            ErrorCode::kTooLarge,
            fmt::format("the index's keys and values exceed the {}-byte cap", limits_.maxKeyBytes),
            path_);
      }
      std::string next = key.substr(0, static_cast<size_t>(shared));
      next.append(reinterpret_cast<const char*>(p), static_cast<size_t>(unshared));
      p += unshared;
      if (!first && !(key < next)) {
        throw Error(ErrorCode::kSchema,
                    fmt::format("{}: keys out of order ('{}' after '{}')", what, printableKey(next),
                                printableKey(key)),
                    path_);
      }
      key = std::move(next);
      first = false;
      out.emplace_back(
          key, std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(valueLen)));
      p += valueLen;
    }
  }

  const std::string& path_;
  std::span<const uint8_t> file_;
  const TensorBundle::Limits& limits_;
  uint64_t materialized_ = 0;
};

}  // namespace

uint32_t crc32cExtend(uint32_t crc, const uint8_t* data, size_t n) {
  uint32_t c = ~crc;
  for (size_t i = 0; i < n; ++i) c = kCrcTable[(c ^ data[i]) & 0xff] ^ (c >> 8);
  return ~c;
}

uint32_t crc32cMask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}

uint32_t crc32cUnmask(uint32_t masked) {
  const uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

std::string tfDataTypeName(int32_t dtype) {
  static const char* const kNames[] = {
      "invalid",   "float",  "double",     "int32", "uint8",    "int16",   "int8",     "string",
      "complex64", "int64",  "bool",       "qint8", "quint8",   "qint32",  "bfloat16", "qint16",
      "quint16",   "uint16", "complex128", "half",  "resource", "variant", "uint32",   "uint64"};
  if (dtype >= 0 && dtype < static_cast<int32_t>(std::size(kNames))) return kNames[dtype];
  return fmt::format("DataType {}", dtype);
}

size_t tfDataTypeSize(int32_t dtype) {
  switch (dtype) {
    case 1:
      return 4;  // float
    case 2:
      return 8;  // double
    case 3:
      return 4;  // int32
    case 4:
      return 1;  // uint8
    case 5:
      return 2;  // int16
    case 6:
      return 1;  // int8
    case 8:
      return 8;  // complex64
    case 9:
      return 8;  // int64
    case 10:
      return 1;  // bool
    case 11:
      return 1;  // qint8
    case 12:
      return 1;  // quint8
    case 13:
      return 4;  // qint32
    case 14:
      return 2;  // bfloat16
    case 15:
      return 2;  // qint16
    case 16:
      return 2;  // quint16
    case 17:
      return 2;  // uint16
    case 18:
      return 16;  // complex128
    case 19:
      return 2;  // half
    case 22:
      return 4;  // uint32
    case 23:
      return 8;  // uint64
    default:
      return 0;
  }
}

TensorBundle TensorBundle::open(const std::string& prefix, const Limits& limits) {
  TensorBundle b;
  b.prefix_ = prefix;
  b.indexPath_ = prefix + ".index";
  b.limits_ = limits;
  const std::string file = readFileCapped(b.indexPath_, limits.maxIndexBytes, "TensorBundle index");
  TableReader table(b.indexPath_, bytesOf(file), b.limits_);
  auto all = table.readAll();
  if (all.empty() || !all.front().first.empty()) {
    throw Error(ErrorCode::kSchema, "the index has no header entry (the empty key must come first)",
                b.indexPath_);
  }
  proto::BundleHeaderProto header;
  if (!header.ParseFromString(all.front().second)) {
    throw Error(ErrorCode::kSchema, "the header entry is not a valid BundleHeaderProto",
                b.indexPath_);
  }
  if (header.num_shards() < 1) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the header says the bundle has {} data shards; at least 1 expected",
                            header.num_shards()),
                b.indexPath_);
  }
  if (header.endianness() == 1) {
    throw Error(ErrorCode::kUnsupported,
                "the bundle was written on a big-endian machine; byte-swapping is not supported",
                b.indexPath_);
  }
  if (header.endianness() != 0) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the header's endianness is {} (0 little or 1 big expected)",
                            header.endianness()),
                b.indexPath_);
  }
  const auto& v = header.version();
  if (v.min_consumer() > kBundleConsumerVersion) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("the bundle needs a reader of version {} or newer (this reader is "
                            "version {}, as TensorFlow's)",
                            v.min_consumer(), kBundleConsumerVersion),
                b.indexPath_);
  }
  for (int32_t bad : v.bad_consumers()) {
    if (bad == kBundleConsumerVersion) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("the bundle disallows reader version {}", kBundleConsumerVersion),
                  b.indexPath_);
    }
  }
  b.numShards_ = header.num_shards();
  for (size_t i = 1; i < all.size(); ++i) b.entries_.emplace(std::move(all[i]));
  return b;
}

std::vector<std::string> TensorBundle::keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [k, v] : entries_) out.push_back(k);
  return out;
}

std::string TensorBundle::shardPath(int32_t shardId) const {
  return fmt::format("{}.data-{:05d}-of-{:05d}", prefix_, shardId, numShards_);
}

BundleEntry TensorBundle::entry(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the index has no entry for key '{}'", printableKey(key)), indexPath_);
  }
  proto::BundleEntryProto pe;
  if (!pe.ParseFromString(it->second)) {
    throw Error(
        ErrorCode::kSchema,
        fmt::format("the entry of key '{}' is not a valid BundleEntryProto", printableKey(key)),
        indexPath_);
  }
  BundleEntry e;
  e.key = key;
  e.dtype = pe.dtype();
  if (pe.shape().unknown_rank()) {
    throw Error(ErrorCode::kSchema,
                fmt::format("entry '{}' has a shape of unknown rank", printableKey(key)),
                indexPath_);
  }
  if (pe.shape().dim_size() > kMaxRank) {
    throw Error(ErrorCode::kSchema,
                fmt::format("entry '{}' has rank {} (at most {} supported)", printableKey(key),
                            pe.shape().dim_size(), kMaxRank),
                indexPath_);
  }
  for (const auto& d : pe.shape().dim()) {
    if (d.size() < 0) {
      throw Error(ErrorCode::kBadShape,
                  fmt::format("entry '{}' has dimension {}; stored tensors have sizes >= 0",
                              printableKey(key), d.size()),
                  indexPath_);
    }
    e.shape.push_back(d.size());
  }
  elementCount(e.shape);  // throws kShapeOverflow
  e.sliced = pe.slices_size() > 0;
  if (e.sliced) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("entry '{}' is a partitioned (sliced) variable, which this reader "
                            "does not assemble",
                            printableKey(key)),
                indexPath_);
  }
  if (pe.shard_id() < 0 || pe.shard_id() >= numShards_) {
    throw Error(ErrorCode::kSchema,
                fmt::format("entry '{}' is in shard {}, but the bundle has {} shard(s) (ids 0.."
                            "{})",
                            printableKey(key), pe.shard_id(), numShards_, numShards_ - 1),
                indexPath_);
  }
  if (pe.offset() < 0 || pe.size() < 0) {
    throw Error(ErrorCode::kSchema,
                fmt::format("entry '{}' has a negative offset ({}) or size ({})", printableKey(key),
                            pe.offset(), pe.size()),
                indexPath_);
  }
  e.shardId = pe.shard_id();
  e.offset = static_cast<uint64_t>(pe.offset());
  e.size = static_cast<uint64_t>(pe.size());
  e.maskedCrc = pe.crc32c();
  return e;
}

std::vector<uint8_t> TensorBundle::readShardRange(const BundleEntry& e) const {
  const std::string path = shardPath(e.shardId);
  if (e.size > limits_.maxTensorBytes) {
    throw Error(ErrorCode::kTooLarge,
                fmt::format("entry '{}' is {} bytes, over the {}-byte cap", printableKey(e.key),
                            e.size, limits_.maxTensorBytes),
                path, e.key);
  }
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw Error(ErrorCode::kNotFound,
                fmt::format("data shard {} of {} is missing (needed by '{}')", e.shardId,
                            numShards_, printableKey(e.key)),
                path, e.key);
  }
  const uint64_t fileSize = fs::file_size(path, ec);
  if (ec) throw Error(ErrorCode::kIo, "cannot stat the data shard", path, e.key);
  const uint64_t end = checkedAdd(e.offset, e.size);
  if (end > fileSize) {
    Problem p{ErrorCode::kTruncated,
              fmt::format("the index places '{}' at bytes {}..{}, past the end of the {}-byte "
                          "data shard",
                          printableKey(e.key), e.offset, end, fileSize),
              path, e.key, ByteRange{e.offset, end}};
    throw Error(std::move(p));
  }
  std::vector<uint8_t> buf(static_cast<size_t>(e.size));
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(e.offset));
  if (!in || (e.size && !in.read(reinterpret_cast<char*>(buf.data()),
                                 static_cast<std::streamsize>(e.size)))) {
    throw Error(ErrorCode::kIo, fmt::format("cannot read '{}'", printableKey(e.key)), path, e.key);
  }
  return buf;
}

std::vector<uint8_t> TensorBundle::readBytes(const BundleEntry& e) const {
  const size_t width = tfDataTypeSize(e.dtype);
  if (width == 0) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("entry '{}' has dtype {}, which has no fixed element size",
                            printableKey(e.key), tfDataTypeName(e.dtype)),
                indexPath_, e.key);
  }
  const uint64_t expected = checkedMul(elementCount(e.shape), width);
  if (e.size != expected) {
    throw Error(ErrorCode::kSchema,
                fmt::format("entry '{}' stores {} bytes, but its shape {} of {} needs {}",
                            printableKey(e.key), e.size, shapeString(e.shape),
                            tfDataTypeName(e.dtype), expected),
                indexPath_, e.key);
  }
  std::vector<uint8_t> bytes = readShardRange(e);
  const uint32_t actual = crc32c(bytes.data(), bytes.size());
  if (actual != crc32cUnmask(e.maskedCrc)) {
    const uint64_t end = e.offset + e.size;
    Problem p{ErrorCode::kSchema,
              fmt::format("the bytes of '{}' fail their CRC32C check (stored {:08x}, computed "
                          "{:08x}): the data shard is corrupt",
                          printableKey(e.key), crc32cUnmask(e.maskedCrc), actual),
              shardPath(e.shardId), e.key, ByteRange{e.offset, end}};
    throw Error(std::move(p));
  }
  return bytes;
}

std::vector<std::string> TensorBundle::readStrings(const BundleEntry& e) const {
  if (e.dtype != kDtString) {
    throw Error(ErrorCode::kSchema,
                fmt::format("entry '{}' has dtype {}; a string tensor was expected",
                            printableKey(e.key), tfDataTypeName(e.dtype)),
                indexPath_, e.key);
  }
  const uint64_t n = elementCount(e.shape);
  // Each element takes at least one varint byte: refuse counts the stored size cannot hold
  // before allocating anything for them.
  if (n > e.size) {
    throw Error(
        ErrorCode::kSchema,
        fmt::format("entry '{}' claims {} strings in {} bytes", printableKey(e.key), n, e.size),
        indexPath_, e.key);
  }
  const std::vector<uint8_t> bytes = readShardRange(e);
  const std::string shard = shardPath(e.shardId);
  const uint8_t* p = bytes.data();
  const uint8_t* end = p + bytes.size();
  std::vector<uint64_t> lengths(static_cast<size_t>(n));
  uint32_t crc = 0;
  uint64_t total = 0;
  for (auto& len : lengths) {
    if (!getVarint(p, end, 10, len)) {
      throw Error(
          ErrorCode::kSchema,
          fmt::format("string lengths of '{}' run past its {} bytes", printableKey(e.key), e.size),
          shard, e.key);
    }
    if (len <= UINT32_MAX) {
      const auto l32 = static_cast<uint32_t>(len);
      crc = crc32cExtend(crc, reinterpret_cast<const uint8_t*>(&l32), 4);
    } else {
      crc = crc32cExtend(crc, reinterpret_cast<const uint8_t*>(&len), 8);
    }
    if (__builtin_add_overflow(total, len, &total)) total = UINT64_MAX;
  }
  if (end - p < 4) {
    throw Error(ErrorCode::kSchema,
                fmt::format("'{}' has no room for its length checksum", printableKey(e.key)), shard,
                e.key);
  }
  if (crc32cUnmask(fixed32(p)) != crc) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the string lengths of '{}' fail their CRC32C check: the data shard "
                            "is corrupt",
                            printableKey(e.key)),
                shard, e.key);
  }
  crc = crc32cExtend(crc, p, 4);
  p += 4;
  if (total > static_cast<uint64_t>(end - p)) {
    throw Error(ErrorCode::kSchema,
                fmt::format("the strings of '{}' ({} bytes) run past its {} stored bytes",
                            printableKey(e.key), total, e.size),
                shard, e.key);
  }
  std::vector<std::string> out;
  out.reserve(lengths.size());
  for (uint64_t len : lengths) {
    out.emplace_back(reinterpret_cast<const char*>(p), static_cast<size_t>(len));
    crc = crc32cExtend(crc, p, static_cast<size_t>(len));
    p += len;
  }
  if (crc != crc32cUnmask(e.maskedCrc)) {
    Problem pr{ErrorCode::kSchema,
               fmt::format("the bytes of '{}' fail their CRC32C check (stored {:08x}, computed "
                           "{:08x}): the data shard is corrupt",
                           printableKey(e.key), crc32cUnmask(e.maskedCrc), crc),
               shard, e.key, ByteRange{e.offset, e.offset + e.size}};
    throw Error(std::move(pr));
  }
  return out;
}

}  // namespace tfjs::keras
