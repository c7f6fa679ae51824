// Bit-for-bit agreement with the real TF.js: tests/oracle/make_models.mjs (run by CTest as the
// `oracle_make_models` fixture) makes model folders with @tensorflow/tfjs 4.22.0 and dumps what
// tf.io.decodeWeights decodes into decoded.json; every weight we decode must have the same dtype,
// shape and bytes (strings: the same byte strings).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "tfjs/weights.h"

#include <fmt/format.h>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

std::string hexOf(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

fs::path oracleDir() {
  return fs::path(TFJS_ORACLE_DIR);
}

Json oracleIndex() {
  const fs::path index = oracleDir() / "index.json";
  if (!fs::exists(index)) return nullptr;
  return Json::parse(test::readText(index));
}

TEST(Oracle, IndexExists) {
  const Json index = oracleIndex();
  ASSERT_FALSE(index.is_null()) << "run `node tests/oracle/make_models.mjs " << oracleDir()
                                << "` (CTest does it as the oracle_make_models fixture)";
  EXPECT_EQ(index["tfjs_version"], "4.22.0");
  EXPECT_GE(index["cases"].size(), 8u);
}

TEST(Oracle, DecodedWeightsEqualTfjsBitForBit) {
  const Json index = oracleIndex();
  ASSERT_FALSE(index.is_null());
  size_t compared = 0;
  std::set<std::string> storages;
  for (const auto& c : index["cases"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    fs::path dir = oracleDir() / name;
    const std::string modelFile = c.value("model_json", std::string("model.json"));
    if (name == "trailing_bytes") {
      // TF.js ignores bytes past the last tensor; we refuse them (the manifest must describe
      // every byte of a group), naming the byte range.
      try {
        loadModel((dir / modelFile).string());
        ADD_FAILURE() << "trailing bytes were accepted";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kExtraBytes) << e.what();
        ASSERT_TRUE(e.problems()[0].bytes.has_value());
      }
      continue;
    }
    const ModelArtifacts a = loadModel((dir / modelFile).string());
    const auto tensors = decodeWeights(a);
    const Json expected = Json::parse(test::readText(dir / "decoded.json"))["weights"];
    ASSERT_EQ(tensors.size(), expected.size());
    const auto specs = a.weightSpecs();
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& [wname, t] = tensors[i];
      const Json& e = expected[i];
      SCOPED_TRACE(wname);
      ASSERT_EQ(wname, e["name"].get<std::string>());
      EXPECT_EQ(std::string(dtypeName(t.dtype())), e["dtype"].get<std::string>());
      EXPECT_EQ(t.shape(), e["shape"].get<std::vector<int64_t>>());
      if (specs[i]->quantization)
        storages.insert(std::string(dtypeName(specs[i]->quantization->dtype)));
      if (t.dtype() == DType::kString) {
        const auto& want = e["strings"];
        ASSERT_EQ(t.strings().size(), want.size());
        for (size_t k = 0; k < want.size(); ++k) {
          const std::string& s = t.strings()[k];
          EXPECT_EQ(hexOf(reinterpret_cast<const uint8_t*>(s.data()), s.size()),
                    want[k].get<std::string>());
        }
      } else {
        ASSERT_EQ(hexOf(t.bytes(), t.byteLength()), e["hex"].get<std::string>());
      }
      ++compared;
    }
    // Every case must also pass validation (a weights-only case is reported as such, only).
    for (const auto& p : validateModel((dir / modelFile).string())) {
      EXPECT_EQ(p.code, ErrorCode::kWeightsOnly) << p.toString();
      EXPECT_TRUE(a.modelTopology.is_null());
    }
  }
  EXPECT_GT(compared, 20u);
  EXPECT_THAT(storages, ::testing::IsSupersetOf({"uint8", "uint16", "float16"}));
}

// Runs tests/oracle/decode_folder.mjs: what the real TF.js decodes from a folder we wrote.
Json tfjsDecodes(const fs::path& dir, bool loadLayers) {
  const std::string cmd =
      fmt::format("'{}' '{}/tests/oracle/decode_folder.mjs' '{}'{} 2>&1", TFJS_NODE,
                  TFJS_SOURCE_DIR, dir.string(), loadLayers ? " --load-layers" : "");
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return nullptr;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  if (status != 0) {
    ADD_FAILURE() << cmd << " failed:\n" << out;
    return nullptr;
  }
  return Json::parse(out);
}

void expectSameAsTfjs(const ModelArtifacts& ours, const Json& theirs) {
  const auto tensors = decodeWeights(ours);
  const Json& expected = theirs["weights"];
  ASSERT_EQ(tensors.size(), expected.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, t] = tensors[i];
    SCOPED_TRACE(name);
    ASSERT_EQ(name, expected[i]["name"].get<std::string>());
    EXPECT_EQ(t.shape(), expected[i]["shape"].get<std::vector<int64_t>>());
    if (t.dtype() == DType::kString) {
      ASSERT_EQ(t.strings().size(), expected[i]["strings"].size());
      for (size_t k = 0; k < t.strings().size(); ++k) {
        const std::string& s = t.strings()[k];
        EXPECT_EQ(hexOf(reinterpret_cast<const uint8_t*>(s.data()), s.size()),
                  expected[i]["strings"][k].get<std::string>());
      }
    } else {
      EXPECT_EQ(hexOf(t.bytes(), t.byteLength()), expected[i]["hex"].get<std::string>());
    }
  }
}

// The writer's output, quantized by our port of the converter, is read by the real TF.js exactly
// as we read it, and TF.js builds and runs the layers model from it.
TEST(Oracle, TfjsReadsWhatWeWriteQuantizedAndSharded) {
  ASSERT_FALSE(oracleIndex().is_null());
  const std::vector<QuantizationMap> maps = {
      {},
      {{DType::kUint8, {"*kernel"}}, {DType::kFloat16, {}}},
      {{DType::kUint16, {}}},
      {{DType::kFloat16, {}}},
  };
  for (const char* name : {"dense_f32", "multigroup", "sharded_f32"}) {
    const ModelArtifacts original = loadModel((oracleDir() / name).string());
    for (size_t m = 0; m < maps.size(); ++m) {
      SCOPED_TRACE(fmt::format("{} map {}", name, m));
      test::TempDir tmp;
      const ModelArtifacts q = quantizeModel(original, maps[m]);
      saveModel(q, (tmp / "m").string(), {.shardSizeBytes = 777});
      const ModelArtifacts back = loadModel((tmp / "m").string());
      const Json theirs = tfjsDecodes(tmp / "m", true);
      ASSERT_FALSE(theirs.is_null());
      expectSameAsTfjs(back, theirs);
      EXPECT_TRUE(theirs.contains("predict"));
    }
  }
}

TEST(Oracle, TfjsReadsEveryDtypeWeWrite) {
  ASSERT_FALSE(oracleIndex().is_null());
  for (const char* name :
       {"dtypes", "quant_uint8", "quant_uint16", "quant_float16", "quant_edge", "bool_nonbinary"}) {
    SCOPED_TRACE(name);
    const ModelArtifacts original = loadModel((oracleDir() / name).string());
    test::TempDir tmp;
    // Tiny shards (strings and floats split across files), at most ~40 files per model.
    const uint64_t shard = std::max<uint64_t>(5, original.weightData.size() / 40 + 1);
    saveModel(original, (tmp / "m").string(), {.shardSizeBytes = shard});
    const Json theirs = tfjsDecodes(tmp / "m", false);
    ASSERT_FALSE(theirs.is_null());
    expectSameAsTfjs(loadModel((tmp / "m").string()), theirs);
  }
}

}  // namespace
}  // namespace tfjs
