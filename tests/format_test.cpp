// The format's building blocks against the spec's test vectors (tfjs-format.md §11) and the
// converter's algorithms: float16, affine quantization, dequantization, string and numeric
// packing, sharding names and sizes, model.json round trips, fnmatch, .npy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

using test::readText;

Tensor floatTensor(std::vector<int64_t> shape, std::vector<float> v) {
  Buffer b = Buffer::allocate(v.size() * 4);
  if (!v.empty()) std::memcpy(b.mutableData(), v.data(), v.size() * 4);
  return Tensor(DType::kFloat32, std::move(shape), b, 0);
}

Tensor intTensor(std::vector<int64_t> shape, std::vector<int32_t> v) {
  Buffer b = Buffer::allocate(v.size() * 4);
  if (!v.empty()) std::memcpy(b.mutableData(), v.data(), v.size() * 4);
  return Tensor(DType::kInt32, std::move(shape), b, 0);
}

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

ModelArtifacts withGroups(std::vector<EncodedGroup> groups) {
  ModelArtifacts a;
  a.format = "layers-model";
  a.modelTopology = Json::object();
  setWeightGroups(a, std::move(groups));
  return a;
}

// --- T-8: float16 ------------------------------------------------------------------------------
TEST(Float16, SpecVectorsT8) {
  EXPECT_TRUE(std::isnan(halfToFloat(0x7E00)));
  EXPECT_EQ(halfToFloat(0x7C00), INFINITY);
  EXPECT_EQ(halfToFloat(0xFC00), -INFINITY);
  EXPECT_EQ(std::bit_cast<uint32_t>(halfToFloat(0x0000)), 0x00000000u);
  EXPECT_EQ(std::bit_cast<uint32_t>(halfToFloat(0x8000)), 0x80000000u);
  EXPECT_EQ(halfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(halfToFloat(0x3555), 0.333251953125f);
  EXPECT_EQ(halfToFloat(0x0001), 5.960464477539063e-08f);
  EXPECT_EQ(halfToFloat(0x03FF), 6.097555160522461e-05f);
  EXPECT_EQ(halfToFloat(0x0400), 6.103515625e-05f);
  EXPECT_EQ(halfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(halfToFloat(0xC000), -2.0f);
  // T-7's float16 codes.
  EXPECT_EQ(halfToFloat(13312), 0.25f);
  EXPECT_EQ(halfToFloat(14336), 0.5f);
  EXPECT_EQ(halfToFloat(14848), 0.75f);
}

TEST(Float16, EveryHalfRoundTripsThroughFloat) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = halfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_EQ(floatToHalf(f) & 0x7c00u, 0x7c00u);
      EXPECT_NE(floatToHalf(f) & 0x03ffu, 0u);
      continue;
    }
    ASSERT_EQ(floatToHalf(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(Float16, EncodeRoundsHalfToEvenAndOverflows) {
  EXPECT_EQ(floatToHalf(65504.0f), 0x7BFF);
  EXPECT_EQ(floatToHalf(65519.99f), 0x7BFF);
  EXPECT_EQ(floatToHalf(65520.0f), 0x7C00);  // tie rounds to even: infinity
  EXPECT_EQ(floatToHalf(-1e9f), 0xFC00);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)), 0x0000);         // tie to even: zero
  EXPECT_EQ(floatToHalf(std::ldexp(1.5f, -25)), 0x0001);         // above the tie
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)), 0x0002);         // 1.5 ulp ties to even (2)
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie to even
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(3.0f, -11)), 0x3C02);
  EXPECT_EQ(floatToHalf(-0.0f), 0x8000);
}

// --- T-6: affine quantization (NumPy 2 / float64 evaluation) ------------------------------------
struct AffineCase {
  std::vector<float> data;
  DType dtype;
  std::vector<uint32_t> codes;
  double min, scale;
};

TEST(Quantize, SpecVectorsT6) {
  const std::vector<AffineCase> cases = {
      {{0.f, -0.1f, 1.2f},
       DType::kUint8,
       {20, 0, 255},
       -0.10196078817049663,
       0.0050980394085248315},
      {{6.f, 7.f}, DType::kUint8, {0, 255}, 6.0, 0.00392156862745098},
      {{-1.f, 0.f, 1.f},
       DType::kUint16,
       {0, 32768, 65535},
       -1.0000152590218967,
       3.0518043793392844e-05},
      {{-1.f, 0.f, 1.f}, DType::kUint8, {0, 128, 255}, -1.003921568627451, 0.00784313725490196},
      {{-3.f, -2.f, -1.f}, DType::kUint8, {0, 128, 255}, -3.0, 0.00784313725490196},
      {{1.f, 1.f, 1.f, 1.f, 1.f}, DType::kUint8, {0, 0, 0, 0, 0}, 1.0, 1.0},
  };
  for (const auto& c : cases) {
    std::vector<uint8_t> codes;
    const AffineParams p = quantizeAffine(c.data, c.dtype, codes);
    EXPECT_EQ(p.min, c.min);
    EXPECT_EQ(p.scale, c.scale);
    const size_t w = dtypeSize(c.dtype);
    ASSERT_EQ(codes.size(), c.codes.size() * w);
    for (size_t i = 0; i < c.codes.size(); ++i) {
      const uint32_t got =
          w == 1 ? codes[i] : static_cast<uint32_t>(codes[2 * i] | (codes[2 * i + 1] << 8));
      EXPECT_EQ(got, c.codes[i]) << "element " << i;
    }
  }
}

TEST(Quantize, ZeroIsExactAndRow1DequantizesAsSpec) {
  WeightSpec spec{
      "w",
      {3},
      DType::kFloat32,
      Quantization{DType::kUint8, -0.10196078817049663, 0.0050980394085248315, "float32"},
      {}};
  const uint8_t codes[] = {20, 0, 255};
  const Tensor t = decodeWeightBytes(spec, codes, 3);
  EXPECT_EQ(t.floats()[0], 0.0f);
  EXPECT_EQ(t.floats()[1], -0.10196078568696976f);
  EXPECT_EQ(t.floats()[2], 1.1980392932891846f);
}

// --- T-7: JS dequantization ----------------------------------------------------------------------
TEST(Dequantize, SpecVectorsT7) {
  for (DType storage : {DType::kUint8, DType::kUint16}) {
    const std::vector<uint8_t> bytes = storage == DType::kUint8
                                           ? std::vector<uint8_t>{0, 48, 255}
                                           : std::vector<uint8_t>{0, 0, 48, 0, 255, 0};
    WeightSpec f{"f", {3}, DType::kFloat32, Quantization{storage, -1.0, 0.1, {}}, {}};
    const Tensor tf = decodeWeightBytes(f, bytes.data(), bytes.size());
    EXPECT_EQ(tf.floats()[0], -1.0f);
    EXPECT_EQ(tf.floats()[1], static_cast<float>(48 * 0.1 - 1));
    EXPECT_NEAR(tf.floats()[1], 3.8f, 1e-6);
    EXPECT_NEAR(tf.floats()[2], 24.5f, 1e-6);
    WeightSpec i{"i", {3}, DType::kInt32, Quantization{storage, -1.0, 0.1, {}}, {}};
    const Tensor ti = decodeWeightBytes(i, bytes.data(), bytes.size());
    EXPECT_THAT(std::vector<int32_t>(ti.ints().begin(), ti.ints().end()),
                ::testing::ElementsAre(-1, 4, 25));  // Math.round: 24.5 -> 25
  }
  const uint8_t half[] = {0x00, 0x34, 0x00, 0x38, 0x00, 0x3A};
  WeightSpec h{"h", {3}, DType::kFloat32, Quantization{DType::kFloat16, {}, {}, {}}, {}};
  const Tensor th = decodeWeightBytes(h, half, 6);
  EXPECT_THAT(std::vector<float>(th.floats().begin(), th.floats().end()),
              ::testing::ElementsAre(0.25f, 0.5f, 0.75f));
}

TEST(Dequantize, Int32UsesJavaScriptRoundingTiesUp) {
  WeightSpec i{"i", {2}, DType::kInt32, Quantization{DType::kUint8, -2.5, 1.0, {}}, {}};
  const uint8_t codes[] = {0, 5};  // -2.5 -> -2 (JS), 2.5 -> 3
  const Tensor t = decodeWeightBytes(i, codes, 2);
  EXPECT_EQ(t.ints()[0], -2);
  EXPECT_EQ(t.ints()[1], 3);
}

// --- T-1, T-2, T-3, T-4, T-5: packing and sharding ----------------------------------------------
TEST(Encode, StringsT1) {
  const EncodedGroup g =
      encodeWeights({{"weight1", Tensor({2, 2}, {"здраво", "end", "test", "a"})}});
  ASSERT_EQ(g.bytes.size(), 36u);
  const std::string bytes(g.bytes.begin(), g.bytes.end());
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x0c\0\0\0", 4));
  EXPECT_EQ(bytes.substr(4, 12), "здраво");
  EXPECT_EQ(bytes.substr(16, 7), std::string("\x03\0\0\0end", 7));
  EXPECT_EQ(bytes.substr(23, 8), std::string("\x04\0\0\0test", 8));
  EXPECT_EQ(bytes.substr(31, 5), std::string("\x01\0\0\0a", 5));
  const EncodedGroup empty = encodeWeights({{"e", Tensor({1}, {""})}});
  EXPECT_EQ(std::string(empty.bytes.begin(), empty.bytes.end()), std::string(4, '\0'));
}

TEST(Save, ShardedStringT2) {
  TempDir tmp;
  const auto a = withGroups({encodeWeights({{"s", Tensor({1}, {"helloworld"})}})});
  saveModel(a, (tmp / "m").string(), {.shardSizeBytes = 5});
  EXPECT_EQ(readText(tmp / "m/group1-shard1of3.bin"), std::string("\x0a\0\0\0h", 5));
  EXPECT_EQ(readText(tmp / "m/group1-shard2of3.bin"), "ellow");
  EXPECT_EQ(readText(tmp / "m/group1-shard3of3.bin"), "orld");
  const ModelArtifacts back = loadModel((tmp / "m").string());
  const auto ts = decodeWeights(back);
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].tensor.strings()[0], "helloworld");
}

TEST(Save, ShardedNumericT3) {
  TempDir tmp;
  const auto a = withGroups({encodeWeights({{"x", floatTensor({3}, {1, 2, 3})}})});
  saveModel(a, (tmp / "m").string(), {.shardSizeBytes = 8});
  const std::string s1 = readText(tmp / "m/group1-shard1of2.bin");
  const std::string s2 = readText(tmp / "m/group1-shard2of2.bin");
  ASSERT_EQ(s1.size(), 8u);
  ASSERT_EQ(s2.size(), 4u);
  float v[3];
  std::memcpy(v, s1.data(), 8);
  std::memcpy(v + 2, s2.data(), 4);
  EXPECT_EQ(v[0], 1.f);
  EXPECT_EQ(v[1], 2.f);
  EXPECT_EQ(v[2], 3.f);
}

TEST(Save, TwoGroupsShardedT4) {
  TempDir tmp;
  const auto g1 = encodeWeights({{"weight1", floatTensor({3}, {1, 2, 3})},
                                 {"weight2", floatTensor({2, 2}, {4, 5, 6, 7})},
                                 {"weight5", floatTensor({1}, {1})}});
  const auto g2 =
      encodeWeights({{"weight3", intTensor({4}, {1, 2, 3, 4})},
                     {"weight4", floatTensor({3, 2}, {1.1f, 1.2f, 1.3f, 1.4f, 1.5f, 1.6f})}});
  saveModel(withGroups({g1, g2}), (tmp / "m").string(), {.shardSizeBytes = 16});
  EXPECT_EQ(fs::file_size(tmp / "m/group1-shard1of2.bin"), 16u);
  EXPECT_EQ(fs::file_size(tmp / "m/group1-shard2of2.bin"), 16u);
  EXPECT_EQ(fs::file_size(tmp / "m/group2-shard1of3.bin"), 16u);
  EXPECT_EQ(fs::file_size(tmp / "m/group2-shard2of3.bin"), 16u);
  EXPECT_EQ(fs::file_size(tmp / "m/group2-shard3of3.bin"), 8u);
  const Json doc = Json::parse(readText(tmp / "m/model.json"));
  EXPECT_EQ(doc["weightsManifest"][1]["paths"],
            Json::array({"group2-shard1of3.bin", "group2-shard2of3.bin", "group2-shard3of3.bin"}));
  EXPECT_EQ(doc["weightsManifest"][1]["weights"][0]["dtype"], "int32");
  const auto ts = decodeWeights(loadModel((tmp / "m").string()));
  ASSERT_EQ(ts.size(), 5u);
  EXPECT_EQ(ts[1].tensor.floats()[3], 7.f);
  EXPECT_EQ(ts[3].tensor.ints()[3], 4);
  EXPECT_EQ(ts[4].tensor.floats()[5], 1.6f);
}

TEST(Encode, MixedQuantizationT5) {
  const QuantizationMap map = {{DType::kFloat16, {"w1"}}, {DType::kUint8, {"w3"}}};
  const EncodedGroup g = encodeWeights({{"w1", floatTensor({3}, {1, 2, 3})},
                                        {"w2", intTensor({2}, {4, 5})},
                                        {"w3", floatTensor({2}, {6, 7})},
                                        {"w4", Tensor({1}, {"hello"})}},
                                       map);
  const std::string bytes(g.bytes.begin(), g.bytes.end());
  ASSERT_EQ(bytes.size(), 25u);
  EXPECT_EQ(hex(bytes.substr(0, 6)), "003c00400042");
  EXPECT_EQ(hex(bytes.substr(6, 8)), "0400000005000000");
  EXPECT_EQ(hex(bytes.substr(14, 2)), "00ff");
  EXPECT_EQ(bytes.substr(16), std::string("\x05\0\0\0hello", 9));
  ASSERT_EQ(g.specs.size(), 4u);
  EXPECT_EQ(g.specs[0].quantization->dtype, DType::kFloat16);
  EXPECT_FALSE(g.specs[0].quantization->min.has_value());
  EXPECT_FALSE(g.specs[1].quantization.has_value());
  EXPECT_EQ(*g.specs[2].quantization->min, 6.0);
  EXPECT_EQ(*g.specs[2].quantization->scale, 0.00392156862745098);
  // The manifest form the converter writes.
  ModelArtifacts a = withGroups({g});
  const Json doc = Json::parse(toModelJson(a));
  EXPECT_EQ(
      doc["weightsManifest"][0]["weights"][2]["quantization"].dump(),
      R"({"dtype":"uint8","min":6.0,"scale":0.00392156862745098,"original_dtype":"float32"})");
  // And it decodes back, with the unaligned int32 at offset 6 read correctly.
  const auto ts = decodeWeights(a);
  EXPECT_EQ(ts[0].tensor.floats()[2], 3.f);
  EXPECT_EQ(ts[1].tensor.ints()[1], 5);
  EXPECT_EQ(ts[2].tensor.floats()[1], 7.f);
  EXPECT_EQ(ts[3].tensor.strings()[0], "hello");
}

TEST(Quantize, RulesFollowTheConverter) {
  EXPECT_EQ(quantizationFor({{DType::kUint8, {"dense*"}}}, "dense_1/kernel"), DType::kUint8);
  EXPECT_EQ(quantizationFor({{DType::kUint8, {"conv*"}}}, "dense_1/kernel"), std::nullopt);
  EXPECT_EQ(quantizationFor({{DType::kUint8, {"conv*"}}, {DType::kFloat16, {}}}, "dense/bias"),
            DType::kFloat16);
  EXPECT_THROW(quantizationFor({{DType::kUint8, {"d*"}}, {DType::kUint16, {"*bias"}}}, "d/bias"),
               Error);
  EXPECT_THROW(quantizationFor({{DType::kUint8, {}}, {DType::kUint16, {}}}, "x"), Error);
  // Only float32 tensors are quantized.
  const EncodedGroup g = encodeWeights({{"i", intTensor({1}, {7})}}, {{DType::kUint8, {}}});
  EXPECT_FALSE(g.specs[0].quantization.has_value());
}

TEST(Quantize, QuantizeModelThenSaveAndLoadDequantizesAsTfjs) {
  TempDir tmp;
  std::vector<float> v(1000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i)) * 3.0f;
  const auto a = withGroups(
      {encodeWeights({{"dense/kernel", floatTensor({10, 100}, v)},
                      {"dense/bias", floatTensor({10}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})}})});
  const ModelArtifacts q = quantizeModel(a, {{DType::kUint8, {"*kernel"}}, {DType::kFloat16, {}}});
  saveModel(q, (tmp / "q").string(), {.shardSizeBytes = 300});
  const auto ts = decodeWeights(loadModel((tmp / "q").string()));
  std::vector<uint8_t> codes;
  const AffineParams p = quantizeAffine(v, DType::kUint8, codes);
  for (size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(ts[0].tensor.floats()[i], dequantizeToFloat(codes[i], p.scale, p.min));
    ASSERT_NEAR(ts[0].tensor.floats()[i], v[i], p.scale / 2 + 1e-6);
  }
  EXPECT_EQ(ts[1].tensor.floats()[9], 9.f);
}

// --- T-12: a hash-table graph model's weights (int32 scalar, strings, int32) ------------------
TEST(Decode, HashTableWeightsT12) {
  ModelArtifacts a = parseModelJson(
      R"({"format":"graph-model","modelTopology":{"node":[],"versions":{"producer":1}},)"
      R"("weightsManifest":[{"paths":["weights.bin"],"weights":[)"
      R"({"name":"unknown_0","shape":[],"dtype":"int32"},{"name":"114","shape":[2],"dtype":"string"},)"
      R"({"name":"116","shape":[2],"dtype":"int32"}]}]})");
  const uint8_t bytes[] = {0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x61, 0x01, 0x00,
                           0x00, 0x00, 0x62, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
  a.weightData = Buffer::allocate(sizeof bytes);
  std::memcpy(a.weightData.mutableData(), bytes, sizeof bytes);
  a.weightsManifest[0].pathSizes = {sizeof bytes};
  a.weightsLoaded = true;
  EXPECT_TRUE(validateArtifacts(a).empty());
  const auto ts = decodeWeights(a);
  ASSERT_EQ(ts.size(), 3u);
  EXPECT_EQ(ts[0].tensor.ints()[0], -1);
  EXPECT_EQ(ts[1].tensor.strings(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ts[2].tensor.ints()[0], 0);
  EXPECT_EQ(ts[2].tensor.ints()[1], 1);
  EXPECT_FALSE(ts[2].tensor.sharesBuffer(a.weightData));  // offset 14: unaligned, copied
}

// --- fnmatch (Python fnmatchcase) ---------------------------------------------------------------
TEST(Fnmatch, PythonSemantics) {
  EXPECT_TRUE(fnmatch("*", "a/b/c"));
  EXPECT_TRUE(fnmatch("dense*/kernel", "dense_1/kernel"));
  EXPECT_TRUE(fnmatch("*/kernel", "model/dense/kernel"));  // '*' crosses '/'
  EXPECT_TRUE(fnmatch("conv?d*", "conv2d_1/bias"));
  EXPECT_TRUE(fnmatch("[cd]ense", "dense"));
  EXPECT_FALSE(fnmatch("[!d]ense", "dense"));
  EXPECT_TRUE(fnmatch("a[0-9]", "a7"));
  EXPECT_FALSE(fnmatch("Dense", "dense"));  // case-sensitive
  EXPECT_FALSE(fnmatch("dense", "dense/kernel"));
  EXPECT_TRUE(fnmatch("a[", "a["));  // unterminated class: literal
}

// --- model.json round trip -----------------------------------------------------------------------
TEST(ModelJson, RoundTripKeepsKeyOrderUnknownKeysAndNulls) {
  const std::string text =
      R"({"zeta":1,"format":"layers-model","generatedBy":"keras v2.15.0","convertedBy":null,)"
      R"("modelTopology":{"keras_version":"2.15.0","model_config":{"class_name":"Sequential","config":{"name":"s","layers":[]}},"backend":"tensorflow"},)"
      R"("weightsManifest":[{"paths":["group1-shard1of1.bin"],"weights":[{"name":"d/k","shape":[1,1],"dtype":"float32"}]}],)"
      R"("custom":{"b":2,"a":1}})";
  const ModelArtifacts a = parseModelJson(text);
  EXPECT_EQ(a.format, "layers-model");
  EXPECT_FALSE(a.convertedBy.has_value());
  EXPECT_EQ(a.extra["custom"]["b"], 2);
  EXPECT_EQ(toModelJson(a), text);
  EXPECT_EQ(a.kerasModelConfig()["class_name"], "Sequential");
}

TEST(ModelJson, OldConverterFormWithoutFormatKeyIsLayers) {
  const ModelArtifacts a = parseModelJson(
      R"({"modelTopology":{"keras_version":"2.1.4","backend":"tensorflow","model_config":{"class_name":"Sequential","config":[]},"training_config":{"loss":"mse"}},"weightsManifest":[]})");
  EXPECT_FALSE(a.format.has_value());
  EXPECT_EQ(a.inferredFormat(), ModelFormat::kLayers);
  const ModelArtifacts g = parseModelJson(
      R"({"modelTopology":{"node":[],"versions":{"producer":175}},"weightsManifest":[]})");
  EXPECT_EQ(g.inferredFormat(), ModelFormat::kGraph);
}

TEST(ModelJson, EveryProblemIsReportedAtOnce) {
  std::vector<Problem> problems;
  parseModelJson(
      R"({"format":"layers-model","modelTopology":{},"weightsManifest":[{"paths":["a.bin"],"weights":[)"
      R"({"name":"a","shape":[-1],"dtype":"float32"},{"name":"b","shape":[1],"dtype":"float64"},)"
      R"({"name":"c","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8","min":0}},)"
      R"({"name":"d","shape":[1],"dtype":"float32"},{"name":"d","shape":[1],"dtype":"float32"}]}]})",
      "model.json", problems);
  std::vector<ErrorCode> codes;
  for (const auto& p : problems) codes.push_back(p.code);
  EXPECT_THAT(codes,
              ::testing::ElementsAre(ErrorCode::kBadShape, ErrorCode::kUnknownDType,
                                     ErrorCode::kBadQuantization, ErrorCode::kDuplicateWeight));
  EXPECT_EQ(problems[0].weight, "a");
  EXPECT_EQ(problems[3].weight, "d");
}

// --- .npy ----------------------------------------------------------------------------------------
TEST(Npy, RoundTripsEveryDtype) {
  TempDir tmp;
  Buffer c = Buffer::allocate(16);
  const float cv[] = {1, -1, 2.5f, 0};
  std::memcpy(c.mutableData(), cv, 16);
  Buffer b = Buffer::allocate(3);
  b.mutableData()[0] = 1, b.mutableData()[1] = 0, b.mutableData()[2] = 1;
  const std::vector<Tensor> ts = {floatTensor({2, 3}, {1, 2, 3, 4, 5, 6}),
                                  intTensor({}, {-7}),
                                  Tensor(DType::kBool, {3}, b, 0),
                                  Tensor(DType::kComplex64, {2}, c, 0),
                                  Tensor({2}, {"ab", "xyz"}),
                                  floatTensor({0, 4}, {})};
  for (size_t i = 0; i < ts.size(); ++i) {
    const std::string path = (tmp / fmt::format("t{}.npy", i)).string();
    writeNpy(ts[i], path);
    const std::string raw = readText(path);
    EXPECT_EQ((raw.find('\n') + 1) % 64, 0u) << "header padded to 64 bytes";
    const Tensor back = readNpy(path);
    EXPECT_EQ(back.dtype(), ts[i].dtype());
    EXPECT_EQ(back.shape(), ts[i].shape());
    if (back.dtype() == DType::kString) {
      EXPECT_EQ(back.strings(), ts[i].strings());
    } else {
      ASSERT_EQ(back.byteLength(), ts[i].byteLength());
      EXPECT_EQ(std::memcmp(back.bytes(), ts[i].bytes(), back.byteLength()), 0);
    }
  }
  EXPECT_NE(readText(tmp / "t1.npy").find("'shape': ()"), std::string::npos);
  EXPECT_NE(
      readText(tmp / "t0.npy").find("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)"),
      std::string::npos);
}

TEST(Npy, RefusesPicklesAndTruncation) {
  EXPECT_THROW(decodeNpy("not npy"), Error);
  Tensor t = floatTensor({4}, {1, 2, 3, 4});
  std::string bytes = encodeNpy(t);
  bytes.resize(bytes.size() - 1);
  try {
    decodeNpy(bytes);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kTruncated);
  }
  std::string obj = encodeNpy(t);
  obj.replace(obj.find("<f4"), 3, "|O ");
  EXPECT_THROW(decodeNpy(obj), Error);
}

// A version 1.0 .npy file written by hand from the spec: magic, version, little-endian header
// length, the header dict padded with spaces to a multiple of 64 bytes with '\n', then the data.
std::string handNpy(const std::string& descr, const std::string& shape, const std::string& data) {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string bytesOf(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += static_cast<char>(b);
  return s;
}

std::vector<float> floatsOf(const Tensor& t) {
  return {t.floats().begin(), t.floats().end()};
}
std::vector<int32_t> intsOf(const Tensor& t) {
  return {t.ints().begin(), t.ints().end()};
}

TEST(Npy, ReadsTheOtherNumericDtypesAsTfjsWould) {
  using ::testing::ElementsAre;
  // uint8 / int8 → int32
  Tensor t = decodeNpy(handNpy("|u1", "(2, 2)", bytesOf({0, 1, 200, 255})));
  EXPECT_EQ(t.dtype(), DType::kInt32);
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_THAT(intsOf(t), ElementsAre(0, 1, 200, 255));
  t = decodeNpy(handNpy("|i1", "(3,)", bytesOf({0x80, 0xff, 0x7f})));
  EXPECT_EQ(t.dtype(), DType::kInt32);
  EXPECT_THAT(intsOf(t), ElementsAre(-128, -1, 127));
  // uint16 / int16, little- and big-endian
  t = decodeNpy(handNpy("<u2", "(2,)", bytesOf({0x34, 0x12, 0xff, 0xff})));
  EXPECT_THAT(intsOf(t), ElementsAre(0x1234, 65535));
  t = decodeNpy(handNpy("<i2", "(2,)", bytesOf({0xfe, 0xff, 0x00, 0x80})));
  EXPECT_THAT(intsOf(t), ElementsAre(-2, -32768));
  t = decodeNpy(handNpy(">i2", "(2,)", bytesOf({0xff, 0xfe, 0x12, 0x34})));
  EXPECT_THAT(intsOf(t), ElementsAre(-2, 0x1234));
  t = decodeNpy(handNpy(">i4", "(1,)", bytesOf({0xff, 0xff, 0xff, 0xf9})));
  EXPECT_THAT(intsOf(t), ElementsAre(-7));
  t = decodeNpy(handNpy("<u4", "(1,)", bytesOf({0x05, 0x00, 0x00, 0x00})));
  EXPECT_THAT(intsOf(t), ElementsAre(5));
  // bool stays bool; any non-zero byte is true
  t = decodeNpy(handNpy("|b1", "(3,)", bytesOf({1, 0, 1})));
  EXPECT_EQ(t.dtype(), DType::kBool);
  EXPECT_THAT(std::vector<uint8_t>(t.bools().begin(), t.bools().end()), ElementsAre(1, 0, 1));
  // float16 → float32: 1, -2, 0.5, 65504 (max), a subnormal (2^-24), +inf; and big-endian
  t = decodeNpy(
      handNpy("<f2", "(2, 3)",
              bytesOf({0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c})));
  EXPECT_EQ(t.dtype(), DType::kFloat32);
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_THAT(floatsOf(t), ElementsAre(1.0f, -2.0f, 0.5f, 65504.0f, std::ldexp(1.0f, -24),
                                       std::numeric_limits<float>::infinity()));
  t = decodeNpy(handNpy(">f2", "(1,)", bytesOf({0x3c, 0x00})));
  EXPECT_THAT(floatsOf(t), ElementsAre(1.0f));
  // float64 → float32, both byte orders; big-endian float32
  double d = 0.1;
  std::string le(8, '\0');
  std::memcpy(le.data(), &d, 8);
  std::string be(le.rbegin(), le.rend());
  EXPECT_THAT(floatsOf(decodeNpy(handNpy("<f8", "()", le))), ElementsAre(0.1f));
  EXPECT_THAT(floatsOf(decodeNpy(handNpy(">f8", "()", be))), ElementsAre(0.1f));
  EXPECT_THAT(floatsOf(decodeNpy(handNpy(">f4", "(1,)", bytesOf({0x3f, 0x80, 0, 0})))),
              ElementsAre(1.0f));
  // int64 / uint64 wrap to int32 as before
  EXPECT_THAT(intsOf(decodeNpy(handNpy(">i8", "(1,)",
                                       bytesOf({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd})))),
              ElementsAre(-3));
  // an empty array and a scalar
  EXPECT_EQ(decodeNpy(handNpy("|u1", "(0, 3)", "")).shape(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(decodeNpy(handNpy("|u1", "()", bytesOf({9}))).shape(), std::vector<int64_t>{});
}

// Each broken file gives an Error with a code and a message that says what is wrong.
TEST(Npy, BrokenHeadersAreClearErrors) {
  auto expectError = [](const std::string& bytes, ErrorCode code, const std::string& words) {
    try {
      decodeNpy(bytes, "x.npy");
      ADD_FAILURE() << "accepted: " << words;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_THAT(e.what(), ::testing::HasSubstr(words));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("x.npy"));
    }
  };
  expectError("", ErrorCode::kSchema, "no \\x93NUMPY magic");
  expectError("\x93NUMPX\x01\x00\x10\x00", ErrorCode::kSchema, "magic");
  std::string v9 = handNpy("|u1", "(1,)", "a");
  v9[6] = 9;
  expectError(v9, ErrorCode::kSchema, "version 9");
  std::string longHeader = handNpy("|u1", "(1,)", "a");
  longHeader[9] = 0x7f;  // header length far beyond the file
  expectError(longHeader, ErrorCode::kSchema, "truncated .npy header");
  expectError(handNpy("|u1", "(2, x)", "ab"), ErrorCode::kSchema, "bad .npy shape");
  std::string noDescr = handNpy("|u1", "(1,)", "a");
  noDescr.replace(noDescr.find("'descr'"), 7, "'DESCR'");
  expectError(noDescr, ErrorCode::kSchema, "no 'descr'");
  expectError(handNpy("<u2", "(2,)", "abc"), ErrorCode::kTruncated, "holds 3 bytes");
  expectError(handNpy("<f2", "(2, 2)", "abcdef"), ErrorCode::kTruncated, "needs 8");
  expectError(handNpy("<f16", "(1,)", std::string(16, '\0')), ErrorCode::kUnsupported,
              "'<f16' is not supported");
  expectError(handNpy("|f4", "(1,)", "abcd"), ErrorCode::kUnsupported, "'|f4'");
  expectError(handNpy(">c8", "(1,)", "abcdefgh"), ErrorCode::kUnsupported, "'>c8'");
  expectError(handNpy("<M8[ns]", "(1,)", "abcdefgh"), ErrorCode::kUnsupported, "'<M8[ns]'");
  std::string fortran = handNpy("<f4", "(1,)", "abcd");
  fortran.replace(fortran.find("False"), 5, "True ");
  expectError(fortran, ErrorCode::kUnsupported, "Fortran");
}

// --- zero-copy -----------------------------------------------------------------------------------
TEST(Decode, AlignedFloat32WeightsShareTheWeightBuffer) {
  const auto a = withGroups({encodeWeights({{"a", floatTensor({2}, {1, 2})},
                                            {"h", floatTensor({1}, {3})},
                                            {"b", floatTensor({2}, {4, 5})}},
                                           {{DType::kFloat16, {"h"}}})});
  const auto ts = decodeWeights(a);
  EXPECT_TRUE(ts[0].tensor.sharesBuffer(a.weightData));
  EXPECT_FALSE(ts[1].tensor.sharesBuffer(a.weightData));  // dequantized
  EXPECT_FALSE(ts[2].tensor.sharesBuffer(a.weightData));  // offset 10: unaligned, copied
  EXPECT_EQ(ts[2].tensor.floats()[1], 5.f);
}

}  // namespace
}  // namespace tfjs
