// Helpers of the SavedModel tests: copying and rewriting real SavedModels (files, index
// entries, SSTables written from the spec), catching the tfjs::Error a call throws.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "keras/saved_model.h"
#include "keras/tensor_bundle.h"
#include "src/keras/proto/tensor_bundle.pb.h"
#include "tfjs/error.h"
#include "tfjs/tensor.h"

namespace tfjs::smtest {

namespace fs = std::filesystem;
using keras::KerasFile;

inline std::string readBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void writeBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << p;
}

// Copies a fixture folder into `to`, writable (the fixtures are read-only).
inline void copyTree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& e : fs::recursive_directory_iterator(from)) {
    const fs::path dst = to / fs::relative(e.path(), from);
    if (e.is_directory()) {
      fs::create_directories(dst);
    } else {
      fs::copy_file(e.path(), dst, fs::copy_options::overwrite_existing);
      fs::permissions(dst, fs::perms::owner_read | fs::perms::owner_write);
    }
  }
}

// Runs `fn` and returns the tfjs::Error it throws (fails the test when it throws nothing).
template <typename F>
inline Error errorOf(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no tfjs::Error was thrown";
  return Error(ErrorCode::kInvalidArgument, "(nothing thrown)");
}

inline void putVarint(std::string& s, uint64_t v) {
  while (v >= 0x80) {
    s += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
}

inline void putFixed32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

// An SSTable in TF's / LevelDB's format, written from the spec (§10.4): one data block with
// prefix-compressed keys (a restart point every `interval` entries), an empty metaindex block,
// an index block, the footer. `dataBlock` receives the data block's offset and size.
inline std::string buildTable(const std::vector<std::pair<std::string, std::string>>& kv,
                              size_t interval = 16,
                              std::pair<size_t, size_t>* dataBlock = nullptr) {
  const auto block = [&](const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string out, last;
    std::vector<uint32_t> restarts{0};
    size_t counter = 0;
    for (const auto& [k, v] : entries) {
      size_t shared = 0;
      if (counter < interval) {
        while (shared < last.size() && shared < k.size() && last[shared] == k[shared]) ++shared;
      } else {
        restarts.push_back(static_cast<uint32_t>(out.size()));
        counter = 0;
      }
      putVarint(out, shared);
      putVarint(out, k.size() - shared);
      putVarint(out, v.size());
      out += k.substr(shared) + v;
      last = k;
      ++counter;
    }
    for (uint32_t r : restarts) putFixed32(out, r);
    putFixed32(out, static_cast<uint32_t>(restarts.size()));
    return out;
  };
  std::string file;
  const auto append = [&](const std::string& b) {
    const std::pair<uint64_t, uint64_t> h{file.size(), b.size()};
    file += b;
    const std::string typed = b + '\0';
    file += '\0';
    putFixed32(file, keras::crc32cMask(keras::crc32c(reinterpret_cast<const uint8_t*>(typed.data()),
                                                     typed.size())));
    return h;
  };
  const auto data = append(block(kv));
  if (dataBlock) *dataBlock = {data.first, data.second};
  const auto meta = append(block({}));
  std::string handle;
  putVarint(handle, data.first);
  putVarint(handle, data.second);
  const auto index = append(block({{kv.empty() ? std::string() : kv.back().first, handle}}));
  std::string footer;
  putVarint(footer, meta.first);
  putVarint(footer, meta.second);
  putVarint(footer, index.first);
  putVarint(footer, index.second);
  footer.resize(40, '\0');
  footer += std::string("\x57\xfb\x80\x8b\x24\x75\x47\xdb", 8);
  return file + footer;
}

// The real index's entries (header first) as stored, for rewriting.
inline std::vector<std::pair<std::string, std::string>> indexEntries(const fs::path& modelDir) {
  const auto bundle = keras::TensorBundle::open((modelDir / "variables" / "variables").string());
  keras::proto::BundleHeaderProto header;
  header.set_num_shards(bundle.numShards());
  header.mutable_version()->set_producer(1);
  std::vector<std::pair<std::string, std::string>> kv{{"", header.SerializeAsString()}};
  for (const auto& [k, v] : bundle.rawEntries()) kv.emplace_back(k, v);
  return kv;
}

// Rewrites the entry of `key` through `edit` and writes the index into `modelDir`.
template <typename F>
inline void rewriteEntry(const fs::path& modelDir, const std::string& key, F&& edit) {
  auto kv = indexEntries(modelDir);
  bool found = false;
  for (auto& [k, v] : kv) {
    if (k != key) continue;
    keras::proto::BundleEntryProto e;
    ASSERT_TRUE(e.ParseFromString(v));
    edit(e);
    v = e.SerializeAsString();
    found = true;
  }
  ASSERT_TRUE(found) << key;
  writeBytes(modelDir / "variables" / "variables.index", buildTable(kv));
}

inline std::string tensorBytes(const Tensor& t) {
  return std::string(reinterpret_cast<const char*>(t.bytes()), t.byteLength());
}

inline bool containsKeyDeep(const Json& j, const std::string& key, const std::string& value = {}) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (k == key && (value.empty() || v == value)) return true;
      if (containsKeyDeep(v, key, value)) return true;
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (containsKeyDeep(v, key, value)) return true;
    }
  }
  return false;
}

inline const keras::KerasLayerWeights* findLayer(const KerasFile& f, const std::string& name) {
  for (const auto& l : f.layers) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

}  // namespace tfjs::smtest
