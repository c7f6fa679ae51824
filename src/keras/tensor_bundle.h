// keras/tensor_bundle.h — reading a TensorFlow TensorBundle (the `variables/` folder of a
// SavedModel, or any TF2 checkpoint) without TensorFlow.
//
// Internal header (not installed). A bundle is an index `<prefix>.index` — a LevelDB-style SSTable
// (TF's fork in tensorflow/core/lib/io/) mapping tensor keys to BundleEntryProto, with the
// BundleHeaderProto under the empty key — and data shards `<prefix>.data-%05d-of-%05d` holding the
// tensors' bytes. Spec: ../shared/spec/tfjs-format.md §10.4–§10.5.
//
// TensorBundle::open() reads and checks the whole index at once (it is small: one entry per
// tensor): the footer magic, every block handle against the file size, every block's CRC32C, the
// block structure (varints, shared-prefix lengths, restart array), strictly increasing keys, the
// header entry (shard count, endianness, version). Tensor data is read on demand, one entry at a
// time, and its CRC32C is checked before it is returned. Every byte is untrusted: all offsets and
// sizes are overflow-checked, and memory use is capped before anything is allocated.
//
// Errors are tfjs::Error naming the file and, when known, the key: kNotFound (index or shard file
// missing), kIo (unreadable), kTruncated (bytes missing: a footer cut, a block or an entry past
// the end of its file), kSchema (corrupt: bad magic, checksum mismatch, malformed block or
// protobuf, inconsistent entry), kUnsupported (Snappy-compressed blocks, big-endian bundles,
// partitioned tensors, a bundle version this reader does not know), kTooLarge (caps). A
// TensorBundle is immutable after open(); const methods may be called from several threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tfjs::keras {

// CRC32C (Castagnoli), as TF's crc32c::Extend: continues `crc` over `n` bytes.
uint32_t crc32cExtend(uint32_t crc, const uint8_t* data, size_t n);
inline uint32_t crc32c(const uint8_t* data, size_t n) {
  return crc32cExtend(0, data, n);
}
// TF's / LevelDB's checksum masking: rotate right by 15, add 0xa282ead8.
uint32_t crc32cMask(uint32_t crc);
uint32_t crc32cUnmask(uint32_t masked);

// tensorflow.DataType numbers this reader names or reads.
enum TfDataType : int32_t {
  kDtFloat = 1,
  kDtDouble = 2,
  kDtInt32 = 3,
  kDtString = 7,
  kDtInt64 = 9,
  kDtBool = 10,
  kDtHalf = 19,
};
// "float", "int64", ... ("DataType 42" for numbers TF does not define).
std::string tfDataTypeName(int32_t dtype);
// Bytes per element of a fixed-size dtype; 0 for string, variant, resource and unknown numbers.
size_t tfDataTypeSize(int32_t dtype);

// One decoded BundleEntryProto.
struct BundleEntry {
  std::string key;
  int32_t dtype = 0;           // tensorflow.DataType
  std::vector<int64_t> shape;  // every dimension >= 0
  int32_t shardId = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t maskedCrc = 0;
  bool sliced = false;  // a partitioned tensor (slices stored under other keys)
};

class TensorBundle {
 public:
  // Caps checked before allocating. The defaults fit any real Keras model.
  struct Limits {
    uint64_t maxIndexBytes = 256ull << 20;  // the index file
    uint64_t maxKeyBytes = 64ull << 20;     // all keys and values of the index, materialized
    uint64_t maxTensorBytes = 4ull << 30;   // one tensor's bytes as stored
  };

  // Opens `<prefix>.index` (e.g. "model/variables/variables") and reads the whole index.
  static TensorBundle open(const std::string& prefix, const Limits& limits);
  static TensorBundle open(const std::string& prefix) { return open(prefix, Limits{}); }

  const std::string& indexPath() const { return indexPath_; }
  int32_t numShards() const { return numShards_; }
  // Every key except the header's empty key, in the index's (byte-wise) order.
  std::vector<std::string> keys() const;
  bool contains(const std::string& key) const { return entries_.count(key) != 0; }
  // Every entry but the header, as stored: key -> serialized BundleEntryProto (for tools/tests).
  const std::map<std::string, std::string>& rawEntries() const { return entries_; }
  // Decodes the entry of `key`: kSchema when absent or malformed (bad shape, negative offset or
  // size, a shard id outside [0, num_shards)), kUnsupported when partitioned.
  BundleEntry entry(const std::string& key) const;
  // Path of data shard `shardId` ("<prefix>.data-00000-of-00001").
  std::string shardPath(int32_t shardId) const;

  // The raw bytes of a fixed-size-dtype entry, exactly as stored (little-endian), after checking
  // that `size` equals elements x dtype size, that the bytes lie inside their shard and that their
  // CRC32C matches.
  std::vector<uint8_t> readBytes(const BundleEntry& e) const;
  // The elements of a DT_STRING entry, with the length checksum and the entry checksum checked.
  std::vector<std::string> readStrings(const BundleEntry& e) const;

 private:
  TensorBundle() = default;
  // Reads [offset, offset + size) of the entry's shard, checked against the shard's size.
  std::vector<uint8_t> readShardRange(const BundleEntry& e) const;

  std::string prefix_;
  std::string indexPath_;
  Limits limits_;
  int32_t numShards_ = 0;
  std::map<std::string, std::string> entries_;  // key -> serialized BundleEntryProto
};

}  // namespace tfjs::keras
