// The tf.keras SavedModel reader (keras/saved_model.h, keras/tensor_bundle.h) against the real
// SavedModels in the fixtures: heart (every weight name, order, shape and byte against heart.h5 of
// the same model, read with keras::readKerasH5; model_config and training_config against the
// .h5's), mnist (Conv2D + Flatten + Dense in TF Serving's `1/` folder), coffee_roast
// (Normalization's mean/variance/int64 count), the non-Keras SavedModel (refused), and broken
// copies made here from the real files (each its own error), plus a seeded mutation fuzz of the
// index.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

#include "keras/h5.h"
#include "keras/saved_model.h"
#include "keras/tensor_bundle.h"
#include "saved_model_util.h"
#include "src/keras/proto/saved_metadata.pb.h"
#include "src/keras/proto/tensor_bundle.pb.h"
#include "test_util.h"
#include "tfjs/error.h"

namespace tfjs {
namespace {

using keras::KerasFile;
using keras::readKerasSavedModel;

using namespace smtest;  // NOLINT: the helpers of saved_model_util.h

constexpr const char* kHeart = "savedmodel_heart_dense_with_h5";
constexpr const char* kMnist = "savedmodel_mnist_cnn/saved_model/1";
constexpr const char* kCoffee = "savedmodel_coffee_roast_dense/saved_model";

// --- CRC32C and the bundle format constants (T-14) --------------------------------------------

TEST(TensorBundle, Crc32cKnownValuesAndMask) {
  const std::string check = "123456789";
  const auto* p = reinterpret_cast<const uint8_t*>(check.data());
  EXPECT_EQ(keras::crc32c(p, check.size()), 0xe3069283u);  // the CRC-32C check value
  EXPECT_EQ(keras::crc32cExtend(keras::crc32c(p, 4), p + 4, 5), 0xe3069283u);
  const std::string zeros(32, '\0');  // RFC 3720 B.4: 32 bytes of zeros
  EXPECT_EQ(keras::crc32c(reinterpret_cast<const uint8_t*>(zeros.data()), 32), 0x8a9136aau);
  EXPECT_EQ(keras::crc32cMask(0), 0xa282ead8u);             // T-14: mask delta
  EXPECT_EQ(keras::crc32cMask(0x8000u), 0xa282ead8u + 1u);  // rotate right by 15
  for (uint32_t v : {0u, 1u, 0xe3069283u, 0xffffffffu, 0x12345678u}) {
    EXPECT_EQ(keras::crc32cUnmask(keras::crc32cMask(v)), v);
  }
}

TEST(TensorBundle, ReadsTheRealIndexAndARebuiltCopyAlike) {
  TFJS_REQUIRE_FIXTURES("savedmodel_coffee_roast_dense");
  const fs::path dir = fixtures / kCoffee;
  const auto bundle = keras::TensorBundle::open((dir / "variables" / "variables").string());
  EXPECT_EQ(bundle.numShards(), 1);
  EXPECT_EQ(bundle.shardPath(0), (dir / "variables" / "variables.data-00000-of-00001").string());
  const auto keys = bundle.keys();
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_TRUE(bundle.contains("_CHECKPOINTABLE_OBJECT_GRAPH"));
  EXPECT_TRUE(bundle.contains("layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
  const auto k = bundle.entry("layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(k.dtype, keras::kDtFloat);
  EXPECT_EQ(k.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(k.size, 2u * 3u * 4u);
  const auto iter = bundle.entry("optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE");
  EXPECT_EQ(iter.dtype, keras::kDtInt64);
  EXPECT_TRUE(iter.shape.empty());

  // The same entries written by the spec-following writer above (other restart intervals) read
  // back identically: the reader follows the format, not one file's byte layout.
  const test::TempDir tmp;
  copyTree(dir, tmp.path());
  for (size_t interval : {1u, 3u, 16u}) {
    writeBytes(tmp / "variables/variables.index", buildTable(indexEntries(dir), interval));
    const auto copy = keras::TensorBundle::open((tmp / "variables/variables").string());
    EXPECT_EQ(copy.rawEntries(), bundle.rawEntries()) << interval;
  }
}

// --- the real SavedModels ----------------------------------------------------------------------

TEST(SavedModel, LooksLikeSavedModel) {
  TFJS_REQUIRE_FIXTURES(kHeart, "savedmodel_mnist_cnn");
  EXPECT_TRUE(keras::looksLikeSavedModel((fixtures / kHeart).string()));
  EXPECT_TRUE(keras::looksLikeSavedModel((fixtures / kMnist).string()));
  EXPECT_FALSE(keras::looksLikeSavedModel((fixtures / "savedmodel_mnist_cnn").string()));
  EXPECT_FALSE(keras::looksLikeSavedModel((fixtures / kHeart / "heart.h5").string()));
  EXPECT_FALSE(keras::looksLikeSavedModel("/nonexistent/folder"));
}

// heart: the SavedModel and heart.h5 are the same model; the converter's path (load_model, save
// as .h5) must see in the SavedModel exactly what keras::readKerasH5 reads from the .h5.
TEST(SavedModel, HeartEqualsHeartH5) {
  TFJS_REQUIRE_FIXTURES(kHeart);
  const fs::path dir = fixtures / kHeart;
  const KerasFile sm = readKerasSavedModel(dir.string());
  const KerasFile h5 = keras::readKerasH5((dir / "heart.h5").string());

  EXPECT_EQ(sm.kerasVersion, "2.7.0");
  EXPECT_EQ(sm.kerasVersion, h5.kerasVersion);
  EXPECT_EQ(sm.backend, "tensorflow");
  EXPECT_EQ(sm.backend, h5.backend);
  EXPECT_FALSE(sm.weightsOnly);
  // The JSON the .h5 holds: tuples as lists, no shared_object_id; same keys in the same order.
  EXPECT_EQ(sm.modelConfig, h5.modelConfig) << sm.modelConfig.dump() << "\n"
                                            << h5.modelConfig.dump();
  EXPECT_EQ(sm.modelConfig.dump(), h5.modelConfig.dump());
  EXPECT_EQ(sm.trainingConfig.dump(), h5.trainingConfig.dump());
  EXPECT_FALSE(sm.trainingConfig.is_null());

  ASSERT_EQ(sm.layers.size(), h5.layers.size());
  ASSERT_EQ(sm.layers.size(), 7u);  // dense .. dense_5, top_level_model_weights (empty)
  size_t weights = 0;
  for (size_t i = 0; i < sm.layers.size(); ++i) {
    const auto& a = sm.layers[i];
    const auto& b = h5.layers[i];
    EXPECT_EQ(a.name, b.name);
    ASSERT_EQ(a.weights.size(), b.weights.size()) << a.name;
    for (size_t j = 0; j < a.weights.size(); ++j) {
      const auto& x = a.weights[j];
      const auto& y = b.weights[j];
      EXPECT_EQ(x.name, y.name);
      EXPECT_EQ(x.tensor.dtype(), y.tensor.dtype()) << x.name;
      EXPECT_EQ(x.tensor.shape(), y.tensor.shape()) << x.name;
      EXPECT_TRUE(tensorBytes(x.tensor) == tensorBytes(y.tensor)) << x.name << " differs";
      ++weights;
    }
  }
  EXPECT_EQ(weights, 12u);
  EXPECT_EQ(sm.layers[0].name, "dense");
  EXPECT_EQ(sm.layers[0].weights[0].name, "dense/kernel:0");
  EXPECT_EQ(sm.layers[0].weights[1].name, "dense/bias:0");
}

TEST(SavedModel, HeartTopologyOnly) {
  TFJS_REQUIRE_FIXTURES(kHeart);
  keras::KerasReadOptions o;
  o.readWeights = false;
  const KerasFile sm = readKerasSavedModel((fixtures / kHeart).string(), o);
  ASSERT_EQ(sm.layers.size(), 7u);
  for (const auto& l : sm.layers) EXPECT_TRUE(l.weights.empty()) << l.name;
  EXPECT_TRUE(sm.modelConfig.is_object());
}

TEST(SavedModel, HeartCapsAreEnforced) {
  TFJS_REQUIRE_FIXTURES(kHeart);
  keras::KerasReadOptions o;
  o.maxDatasetBytes = 1000;  // dense_1/kernel is 36*48*4 bytes
  Error e = errorOf([&] { readKerasSavedModel((fixtures / kHeart).string(), o); });
  EXPECT_EQ(e.code(), ErrorCode::kTooLarge);
  EXPECT_THAT(e.what(), HasSubstr("cap"));
  o = {};
  o.maxTotalBytes = 10000;
  e = errorOf([&] { readKerasSavedModel((fixtures / kHeart).string(), o); });
  EXPECT_EQ(e.code(), ErrorCode::kTooLarge);
}

// mnist: Sequential [Conv2D "Conv1", Flatten, Dense "Softmax"], Keras 2.8.0, TF Serving layout.
TEST(SavedModel, MnistCnn) {
  TFJS_REQUIRE_FIXTURES("savedmodel_mnist_cnn");
  const KerasFile sm = readKerasSavedModel((fixtures / kMnist).string());
  EXPECT_EQ(sm.kerasVersion, "2.8.0");
  EXPECT_EQ(sm.backend, "tensorflow");
  EXPECT_EQ(sm.modelConfig["class_name"], "Sequential");
  EXPECT_FALSE(containsKeyDeep(sm.modelConfig, "shared_object_id"));
  EXPECT_FALSE(containsKeyDeep(sm.modelConfig, "class_name", "__tuple__"));
  // The model's layers (Sequential's excludes the InputLayer), by name as h5py lists them.
  const Json& cfgLayers = sm.modelConfig["config"]["layers"];
  std::vector<std::string> expected;
  for (const auto& l : cfgLayers) {
    if (l["class_name"] != "InputLayer") expected.push_back(l["config"]["name"]);
  }
  expected.push_back("top_level_model_weights");  // the .h5 group of the model's own weights
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> names;
  for (const auto& l : sm.layers) names.push_back(l.name);
  EXPECT_EQ(names, expected);
  ASSERT_EQ(names.size(), 4u);

  // Shapes follow the config: Conv2D kernel [kh, kw, in, filters], Dense [in, units].
  Json conv, dense;
  for (const auto& l : cfgLayers) {
    if (l["class_name"] == "Conv2D") conv = l["config"];
    if (l["class_name"] == "Dense") dense = l["config"];
  }
  ASSERT_TRUE(conv.is_object() && dense.is_object());
  const auto* c = findLayer(sm, conv["name"]);
  const auto* d = findLayer(sm, dense["name"]);
  ASSERT_TRUE(c && d);
  ASSERT_EQ(c->weights.size(), 2u);
  EXPECT_EQ(c->weights[0].name, conv["name"].get<std::string>() + "/kernel:0");
  EXPECT_EQ(c->weights[1].name, conv["name"].get<std::string>() + "/bias:0");
  const auto& ck = c->weights[0].tensor.shape();
  ASSERT_EQ(ck.size(), 4u);
  EXPECT_EQ(ck[0], conv["kernel_size"][0].get<int64_t>());
  EXPECT_EQ(ck[1], conv["kernel_size"][1].get<int64_t>());
  EXPECT_EQ(ck[3], conv["filters"].get<int64_t>());
  EXPECT_EQ(c->weights[1].tensor.shape(), (std::vector<int64_t>{conv["filters"].get<int64_t>()}));
  ASSERT_EQ(d->weights.size(), 2u);
  EXPECT_EQ(d->weights[0].tensor.shape()[1], dense["units"].get<int64_t>());
  for (const auto& l : sm.layers) {
    if (l.name != c->name && l.name != d->name) {
      EXPECT_TRUE(l.weights.empty()) << l.name;
    }
  }
  // Trained weights, not zeros or garbage.
  const auto k = d->weights[0].tensor.floats();
  EXPECT_TRUE(std::all_of(k.begin(), k.end(), [](float v) { return std::isfinite(v); }));
  EXPECT_TRUE(std::any_of(k.begin(), k.end(), [](float v) { return v != 0.0f; }));
}

// coffee_roast: Normalization (mean, variance and an int64 count, named without a layer scope as
// TF named them) + two Dense.
TEST(SavedModel, CoffeeRoastNormalization) {
  TFJS_REQUIRE_FIXTURES("savedmodel_coffee_roast_dense");
  const KerasFile sm = readKerasSavedModel((fixtures / kCoffee).string());
  EXPECT_EQ(sm.kerasVersion, "2.10.0");
  std::vector<std::string> names;
  for (const auto& l : sm.layers) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"dense", "dense_1", "normalization",
                                             "top_level_model_weights"}));
  const auto* n = findLayer(sm, "normalization");
  ASSERT_TRUE(n);
  ASSERT_EQ(n->weights.size(), 3u);
  EXPECT_EQ(n->weights[0].name, "mean:0");
  EXPECT_EQ(n->weights[1].name, "variance:0");
  EXPECT_EQ(n->weights[2].name, "count:0");
  EXPECT_EQ(n->weights[0].tensor.dtype(), DType::kFloat32);
  EXPECT_EQ(n->weights[2].tensor.dtype(), DType::kInt32);  // int64 -> int32
  EXPECT_TRUE(n->weights[2].tensor.shape().empty());
  EXPECT_GT(n->weights[2].tensor.ints()[0], 0);                      // samples seen by adapt()
  for (float v : n->weights[1].tensor.floats()) EXPECT_GT(v, 0.0f);  // variances
  const auto* d = findLayer(sm, "dense");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->weights.size(), 2u);
  EXPECT_EQ(d->weights[0].name, "dense/kernel:0");
  // Dense(3) on the normalized 2 features.
  EXPECT_EQ(d->weights[0].tensor.shape(),
            (std::vector<int64_t>{n->weights[0].tensor.shape().back(), 3}));
}

TEST(SavedModel, NonKerasSavedModelIsRefused) {
  TFJS_REQUIRE_FIXTURES("savedmodel_nonkeras_tfjs_node_times_three");
  const fs::path dir = fixtures / "savedmodel_nonkeras_tfjs_node_times_three/times_three_float";
  EXPECT_TRUE(keras::looksLikeSavedModel(dir.string()));
  const Error e = errorOf([&] { readKerasSavedModel(dir.string()); });
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("not a Keras SavedModel"));
  EXPECT_THAT(e.what(), HasSubstr("keras_metadata.pb"));
  EXPECT_THAT(e.what(), HasSubstr("tf_saved_model"));
  EXPECT_THAT(e.what(), HasSubstr("graph model"));
}

TEST(SavedModel, FolderErrors) {
  TFJS_REQUIRE_FIXTURES("savedmodel_mnist_cnn");
  Error e = errorOf([&] { readKerasSavedModel("/nonexistent/saved_model"); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  // TF Serving's layout: the versions are subfolders.
  e = errorOf(
      [&] { readKerasSavedModel((fixtures / "savedmodel_mnist_cnn/saved_model").string()); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_THAT(e.what(), HasSubstr("no saved_model.pb"));
  EXPECT_THAT(e.what(), HasSubstr("subfolder '1'"));
  e = errorOf([&] { readKerasSavedModel((fixtures / kHeart / "heart.h5").string()); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
}

// --- broken copies of the real files -------------------------------------------------------------

class BrokenSavedModel : public ::testing::Test {
 protected:
  void SetUp() override {
    // Keras 2.10 (Apache-2.0, in the repository): Sequential [Normalization, Dense(3),
    // Dense(1)], so layer_with_weights-0 is the Normalization (mean, variance, count).
    TFJS_REQUIRE_FIXTURES("savedmodel_coffee_roast_dense");
    copyTree(fixtures / kCoffee, dir());
  }
  fs::path dir() const { return tmp_.path() / "model"; }
  fs::path index() const { return dir() / "variables" / "variables.index"; }
  fs::path data() const { return dir() / "variables" / "variables.data-00000-of-00001"; }
  Error read() const {
    return errorOf([&] { readKerasSavedModel(dir().string()); });
  }

 private:
  test::TempDir tmp_;
};

TEST_F(BrokenSavedModel, TheCopyReads) {
  EXPECT_EQ(readKerasSavedModel(dir().string()).layers.size(), 4u);
}

TEST_F(BrokenSavedModel, MissingIndex) {
  fs::remove(index());
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_THAT(e.what(), HasSubstr("variables.index"));
  EXPECT_THAT(e.what(), HasSubstr("no TensorBundle index"));
}

TEST_F(BrokenSavedModel, TruncatedIndex) {
  const std::string bytes = readBytes(index());
  for (size_t cut : {3u, 20u}) {  // inside the magic, inside the footer's padding
    writeBytes(index(), bytes.substr(0, bytes.size() - cut));
    const Error e = read();
    EXPECT_EQ(e.code(), ErrorCode::kTruncated) << cut;
    EXPECT_THAT(e.what(), HasSubstr("cut short")) << cut;
  }
  writeBytes(index(), bytes.substr(0, 30));
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kTruncated);
  EXPECT_THAT(e.what(), HasSubstr("shorter than the 48-byte SSTable footer"));
}

TEST_F(BrokenSavedModel, BadFooterMagic) {
  std::string bytes = readBytes(index());
  bytes[bytes.size() - 1] = '\xdc';
  writeBytes(index(), bytes);
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("bad footer magic"));
  EXPECT_THAT(e.what(), HasSubstr("57 fb 80 8b 24 75 47 dc"));
}

TEST_F(BrokenSavedModel, BlockChecksumMismatch) {
  std::string bytes = readBytes(index());
  bytes[40] = static_cast<char>(bytes[40] ^ 0x01);  // inside the data block (starts at 0)
  writeBytes(index(), bytes);
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("data block 0"));
  EXPECT_THAT(e.what(), HasSubstr("CRC32C"));
}

TEST_F(BrokenSavedModel, EntryRunsPastItsShard) {
  const uint64_t shardSize = fs::file_size(data());
  rewriteEntry(dir(), "layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE",
               [&](keras::proto::BundleEntryProto& e) {
                 e.set_offset(static_cast<int64_t>(shardSize) - 10);  // 24 bytes
               });
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kTruncated);
  EXPECT_THAT(e.what(),
              HasSubstr("past the end of the " + std::to_string(shardSize) + "-byte data shard"));
  EXPECT_THAT(e.what(), HasSubstr("layer_with_weights-1/kernel"));
  ASSERT_TRUE(e.problems().front().bytes.has_value());
  EXPECT_GT(e.problems().front().bytes->end, shardSize);
}

TEST_F(BrokenSavedModel, EntrySizeDisagreesWithShape) {
  rewriteEntry(dir(), "layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE",
               [](keras::proto::BundleEntryProto& e) { e.set_size(e.size() - 4); });
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("stores 8 bytes, but its shape [3] of float needs 12"));
}

TEST_F(BrokenSavedModel, DataChecksumMismatch) {
  // The first Dense kernel ([2, 3], 24 bytes); the test finds its offset from the index.
  const auto bundle = keras::TensorBundle::open((dir() / "variables/variables").string());
  const auto entry = bundle.entry("layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE");
  std::string bytes = readBytes(data());
  bytes[entry.offset + 17] = static_cast<char>(bytes[entry.offset + 17] ^ 0x40);
  writeBytes(data(), bytes);
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("fail their CRC32C check"));
  EXPECT_THAT(e.what(), HasSubstr("layer_with_weights-1/kernel"));
  EXPECT_THAT(e.what(), HasSubstr("variables.data-00000-of-00001"));
}

TEST_F(BrokenSavedModel, ObjectGraphChecksumMismatch) {
  const auto bundle = keras::TensorBundle::open((dir() / "variables/variables").string());
  const auto entry = bundle.entry("_CHECKPOINTABLE_OBJECT_GRAPH");
  std::string bytes = readBytes(data());
  const size_t at = entry.offset + entry.size - 10;  // in the string bytes
  bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
  writeBytes(data(), bytes);
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("_CHECKPOINTABLE_OBJECT_GRAPH"));
  EXPECT_THAT(e.what(), HasSubstr("CRC32C"));
}

TEST_F(BrokenSavedModel, ShardIdOutOfRange) {
  rewriteEntry(dir(), "layer_with_weights-2/bias/.ATTRIBUTES/VARIABLE_VALUE",
               [](keras::proto::BundleEntryProto& e) { e.set_shard_id(1); });
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("is in shard 1, but the bundle has 1 shard(s)"));
}

TEST_F(BrokenSavedModel, MissingDataShard) {
  fs::remove(data());
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_THAT(e.what(), HasSubstr("data shard 0 of 1 is missing"));
  EXPECT_THAT(e.what(), HasSubstr("variables.data-00000-of-00001"));
}

TEST_F(BrokenSavedModel, PartitionedVariableIsUnsupported) {
  rewriteEntry(dir(), "layer_with_weights-1/kernel/.ATTRIBUTES/VARIABLE_VALUE",
               [](keras::proto::BundleEntryProto& e) { e.add_slices()->add_extent(); });
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("partitioned"));
}

TEST_F(BrokenSavedModel, UnsupportedWeightDtype) {
  rewriteEntry(dir(), "layer_with_weights-1/bias/.ATTRIBUTES/VARIABLE_VALUE",
               [](keras::proto::BundleEntryProto& e) {
                 e.set_dtype(6);  // int8: 3 one-byte elements
                 e.set_size(3);
               });
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("dtype int8"));
  EXPECT_THAT(e.what(), HasSubstr("dense/bias:0"));
}

TEST_F(BrokenSavedModel, MetadataNotAProtobuf) {
  writeBytes(dir() / "keras_metadata.pb", std::string("\x0a\xff\xff\xff\x0f", 5) + "not a proto");
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("keras_metadata.pb is not a valid SavedMetadata protobuf"));
}

TEST_F(BrokenSavedModel, RootMetadataNotJson) {
  keras::proto::SavedMetadata meta;
  ASSERT_TRUE(meta.ParseFromString(readBytes(dir() / "keras_metadata.pb")));
  bool found = false;
  for (auto& n : *meta.mutable_nodes()) {
    if (n.node_path() == "root") {
      n.set_metadata("{\"keras_version\": \"2.7.0\", oops");
      found = true;
    }
  }
  ASSERT_TRUE(found);
  writeBytes(dir() / "keras_metadata.pb", meta.SerializeAsString());
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("('root', _tf_keras_sequential) in keras_metadata.pb"));
  EXPECT_THAT(e.what(), HasSubstr("not a JSON object"));
}

TEST_F(BrokenSavedModel, NoRootInMetadata) {
  keras::proto::SavedMetadata meta;
  ASSERT_TRUE(meta.ParseFromString(readBytes(dir() / "keras_metadata.pb")));
  for (auto& n : *meta.mutable_nodes()) {
    if (n.node_path() == "root") n.set_node_path("toor");
  }
  writeBytes(dir() / "keras_metadata.pb", meta.SerializeAsString());
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("keras_metadata.pb has no Keras object at node_path 'root'"));
}

TEST_F(BrokenSavedModel, SubclassedModelIsRefused) {
  keras::proto::SavedMetadata meta;
  ASSERT_TRUE(meta.ParseFromString(readBytes(dir() / "keras_metadata.pb")));
  for (auto& n : *meta.mutable_nodes()) {
    if (n.node_path() != "root") continue;
    Json j = Json::parse(n.metadata());
    j.erase("model_config");
    n.set_metadata(j.dump());
  }
  writeBytes(dir() / "keras_metadata.pb", meta.SerializeAsString());
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("no model_config"));
}

// Keras 2.5+ leaves the metadata of saved_model.pb's Keras objects empty: without
// keras_metadata.pb there is no config.
TEST_F(BrokenSavedModel, NoKerasMetadata) {
  fs::remove(dir() / "keras_metadata.pb");
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("not a Keras SavedModel"));
  EXPECT_THAT(e.what(), HasSubstr("carry no metadata"));
  EXPECT_THAT(e.what(), HasSubstr("model.save"));
}

TEST_F(BrokenSavedModel, NoObjectGraph) {
  auto kv = indexEntries(dir());
  kv.erase(std::remove_if(kv.begin(), kv.end(),
                          [](const auto& p) { return p.first == "_CHECKPOINTABLE_OBJECT_GRAPH"; }),
           kv.end());
  writeBytes(index(), buildTable(kv));
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("no '_CHECKPOINTABLE_OBJECT_GRAPH' entry"));
}

TEST_F(BrokenSavedModel, KeysOutOfOrder) {
  auto kv = indexEntries(dir());
  std::swap(kv[3], kv[4]);
  writeBytes(index(), buildTable(kv));
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("keys out of order"));
}

TEST_F(BrokenSavedModel, BigEndianBundleIsUnsupported) {
  auto kv = indexEntries(dir());
  keras::proto::BundleHeaderProto h;
  ASSERT_TRUE(h.ParseFromString(kv[0].second));
  h.set_endianness(1);
  kv[0].second = h.SerializeAsString();
  writeBytes(index(), buildTable(kv));
  const Error e = read();
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("big-endian"));
}

// Random damage never crashes, hangs or passes silently as a different model: either the model
// reads (a mutation the format cannot notice, e.g. in an unused field) or a tfjs::Error explains.
// Three kinds: raw byte flips (caught by the block CRC), flips inside the data block with its CRC
// recomputed (reach the block parser), and flips inside entry values of a well-formed table
// (reach the protobuf and entry checks). Runs under ASan/UBSan in CI.
TEST_F(BrokenSavedModel, FuzzIndexMutations) {
  const std::string original = readBytes(index());
  const auto kv = indexEntries(dir());
  std::pair<size_t, size_t> block;
  const std::string rebuilt = buildTable(kv, 16, &block);
  std::mt19937 rng(20240531);
  int read = 0, refused = 0;
  for (int iter = 0; iter < 300; ++iter) {
    std::string bytes;
    const int kind = iter % 3;
    const int flips = 1 + static_cast<int>(rng() % 6);
    if (kind == 0) {
      bytes = original;
      for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    } else if (kind == 1) {
      bytes = rebuilt;
      for (int f = 0; f < flips; ++f) {
        bytes[block.first + rng() % block.second] = static_cast<char>(rng());
      }
      std::string typed = bytes.substr(block.first, block.second) + '\0';
      std::string crc;
      putFixed32(crc, keras::crc32cMask(keras::crc32c(
                          reinterpret_cast<const uint8_t*>(typed.data()), typed.size())));
      bytes.replace(block.first + block.second + 1, 4, crc);
    } else {
      auto mutated = kv;
      for (int f = 0; f < flips; ++f) {
        auto& v = mutated[rng() % mutated.size()].second;
        if (!v.empty()) v[rng() % v.size()] = static_cast<char>(rng());
      }
      bytes = buildTable(mutated);
    }
    writeBytes(index(), bytes);
    try {
      const KerasFile f = readKerasSavedModel(dir().string());
      EXPECT_EQ(f.layers.size(), 4u);
      ++read;
    } catch (const Error& e) {
      EXPECT_FALSE(std::string(e.what()).empty());
      ++refused;
    }
  }
  EXPECT_EQ(read + refused, 300);
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace tfjs
