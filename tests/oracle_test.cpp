// Bit-for-bit agreement with the real TF.js: tests/oracle/make_models.mjs (run by CTest as the
// `oracle_make_models` fixture) makes model folders with @tensorflow/tfjs 4.22.0 and dumps what
// tf.io.decodeWeights decodes into decoded.json; every weight we decode must have the same dtype,
// shape and bytes (strings: the same byte strings).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include <fmt/format.h>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

namespace fs = std::filesystem;

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

fs::path oracleDir() { return fs::path(TFJS_ORACLE_DIR); }

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
      if (specs[i]->quantization) storages.insert(std::string(dtypeName(specs[i]->quantization->dtype)));
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

}  // namespace
}  // namespace tfjs
