// `tfjs convert`: Keras .h5 -> TF.js layers model, against the real converter's outputs in the
// fixtures (bit-identical weights, topology equal but for the documented differences), the real
// TF.js (tests/oracle/decode_folder.mjs loads and predicts our output), our runtime, the
// converter's quantization, and bad inputs (each a clear error, nothing written).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <hdf5.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <set>

#include "test_util.h"
#include "tfjs/convert.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"
#include "tfjs/tensor.h"
#include "tfjs/version.h"
#include "tfjs/weights.h"

namespace tfjs {
namespace {

using test::expectClose;
using test::floatTensorFromHex;

// Paths where two JSON values differ ("/modelTopology/model_config/config/name").
void jsonDiff(const Json& a, const Json& b, const std::string& path, std::set<std::string>& out) {
  if (a.type() != b.type()) {
    out.insert(path);
    return;
  }
  if (a.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    for (const auto& k : keys) {
      if (!a.contains(k) || !b.contains(k)) {
        out.insert(path + "/" + k);
      } else {
        jsonDiff(a[k], b[k], path + "/" + k, out);
      }
    }
  } else if (a.is_array()) {
    if (a.size() != b.size()) {
      out.insert(path);
      return;
    }
    for (size_t i = 0; i < a.size(); ++i) jsonDiff(a[i], b[i], fmt::format("{}[{}]", path, i), out);
  } else if (a != b) {
    out.insert(path);
  }
}

// model.json of artifacts as written, minus the manifest (compared separately).
Json topLevelWithoutManifest(const std::string& modelJson) {
  Json j = Json::parse(modelJson);
  j.erase("weightsManifest");
  return j;
}

std::vector<std::vector<std::string>> groupNames(const ModelArtifacts& a) {
  std::vector<std::vector<std::string>> out;
  for (const auto& g : a.weightsManifest) {
    out.emplace_back();
    for (const auto& w : g.weights) out.back().push_back(w.name);
  }
  return out;
}

std::map<std::string, std::string> rawFloatBytes(const ModelArtifacts& a) {
  std::map<std::string, std::string> out;
  for (const auto& t : decodeWeights(a)) {
    out[t.name] =
        std::string(reinterpret_cast<const char*>(t.tensor.bytes()), t.tensor.byteLength());
  }
  return out;
}

struct Pair {
  const char* h5;
  const char* real;
  bool split = false;
  bool allowCustom = false;
  std::set<std::string> topologyDiffs;
  bool sameOrder = true;  // false: the real output came from another file of the same weights
};

const std::set<std::string> kModern = {"/convertedBy"};
// Converter 0.x wrote no format / generatedBy / convertedBy.
const std::set<std::string> kOld = {"/format", "/generatedBy", "/convertedBy"};

const std::vector<Pair>& pairs() {
  static const std::vector<Pair> k = {
      {"pair_deepmech_cnn/model.h5", "pair_deepmech_cnn", false, false, kModern},
      {"pair_pytraining_tiny_mnist_bn/tiny_mnist.h5", "pair_pytraining_tiny_mnist_bn/web_model",
       false, false, kModern},
      {"pair_divorce_dense_k270_conv313/nnModel/divorce_model.h5",
       "pair_divorce_dense_k270_conv313/tfjs", false, false, kModern},
      {"pair_maternal_dense_dropout_k215_conv417/notebook/my_keras_model.h5",
       "pair_maternal_dense_dropout_k215_conv417/tfjs_model", false, false, kModern},
      {"pair_tinycnn_k215_conv422/oh_shapes_tinycnn_keras.h5",
       "pair_tinycnn_k215_conv422/web_model_argh", false, false, kModern},
      // RandomFlip / RandomRotation: not TF.js classes, but tfjs-cpp runs them (with a note).
      {"pair_tinycnn_k215_conv422/oh_shapes_tinycnn_keras_OHMYGOD.h5",
       "pair_tinycnn_k215_conv422/web_model", false, false, kModern},
      // TensorFlowOpLayer: converted on request only.
      {"pair_anime4k_srgan_functional/generator.h5", "pair_anime4k_srgan_functional", false, true,
       kModern},
      {"pair_pytraining_custom_layer_noweights/hyper.h5",
       "pair_pytraining_custom_layer_noweights/web_model2", false, true, kModern},
      // Converter 0.x wrote one group per layer: --split_weights_by_layer reproduces it.
      {"pair_har_lstm_multigroup_tfjs0x/har_model.h5", "pair_har_lstm_multigroup_tfjs0x", true,
       false, kOld},
      {"pair_deathgrips_lstm_2groups_tfjs0x/model.h5", "pair_deathgrips_lstm_2groups_tfjs0x", true,
       false, kOld},
      // save_weights file: no topology (null), as the converter writes it.
      {"pair_har_lstm_multigroup_tfjs0x/har_model_weights.h5",
       "pair_har_lstm_multigroup_tfjs0x",
       true,
       false,
       {"/format", "/generatedBy", "/convertedBy", "/modelTopology"},
       false},
  };
  return k;
}

TEST(Convert, PairsMatchTheRealConverter) {
  TFJS_REQUIRE_FIXTURES();
  int compared = 0;
  for (const auto& p : pairs()) {
    if (!test::haveFixture(p.h5)) continue;  // unlicensed, and no ../shared
    ++compared;
    SCOPED_TRACE(p.h5);
    ConvertOptions o;
    o.splitWeightsByLayer = p.split;
    o.allowCustomClasses = p.allowCustom;
    const ModelArtifacts ours = kerasH5ToArtifacts((fixtures / p.h5).string(), o);
    const ModelArtifacts theirs = loadModel((fixtures / p.real).string());
    if (p.sameOrder) {
      EXPECT_EQ(groupNames(ours), groupNames(theirs));
    } else {
      // save_weights files list layers in model order (root layer_names), as the converter
      // reads them; the real output came from the full-model file (name order).
      EXPECT_EQ(groupNames(ours), (std::vector<std::vector<std::string>>{
                                      {"lstm_1/kernel", "lstm_1/recurrent_kernel", "lstm_1/bias"},
                                      {"lstm_2/kernel", "lstm_2/recurrent_kernel", "lstm_2/bias"},
                                      {"dense_1/kernel", "dense_1/bias"},
                                      {"dense_2/kernel", "dense_2/bias"}}));
    }
    const auto a = rawFloatBytes(ours);
    const auto b = rawFloatBytes(theirs);
    ASSERT_EQ(a.size(), b.size());
    for (const auto& [name, bytes] : b) {
      ASSERT_TRUE(a.count(name)) << name;
      EXPECT_TRUE(a.at(name) == bytes) << "weight " << name << " differs";
    }
    std::set<std::string> diffs;
    jsonDiff(topLevelWithoutManifest(toModelJson(ours)),
             topLevelWithoutManifest(test::readText(fixtures / p.real / "model.json")), "", diffs);
    EXPECT_EQ(diffs, p.topologyDiffs);
    EXPECT_EQ(ours.convertedBy.value_or(""), "tfjs-cpp v" TFJS_VERSION);
  }
  EXPECT_GE(compared, test::haveAllFixtures() ? 11 : 4);
}

// new.h5 wraps the same generator as a nested model: the same 123 tensors, bit for bit.
TEST(Convert, NestedModelHasTheSameWeights) {
  TFJS_REQUIRE_FIXTURES("pair_anime4k_srgan_functional");
  ConvertOptions o;
  o.allowCustomClasses = true;
  const auto a = rawFloatBytes(
      kerasH5ToArtifacts((fixtures / "pair_anime4k_srgan_functional/new.h5").string(), o));
  const auto b = rawFloatBytes(loadModel((fixtures / "pair_anime4k_srgan_functional").string()));
  EXPECT_EQ(a.size(), 123u);
  EXPECT_TRUE(a == b);
}

using test::tfjsPredict;
using test::TfjsRun;

// Our conversion loads in the real TF.js and predicts what our runtime predicts, and our runtime
// predicts from it exactly what it predicts from the real converter's folder.
TEST(Convert, OutputLoadsInTfjsAndPredictsLikeTheRealOutput) {
  TFJS_REQUIRE_FIXTURES();
  test::TempDir tmp;
  int k = 0;
  for (const auto& p : pairs()) {
    if (p.allowCustom || std::string(p.h5).find("weights.h5") != std::string::npos) {
      continue;  // TF.js cannot load these (custom classes, no topology)
    }
    if (!test::haveFixture(p.h5)) continue;  // unlicensed, and no ../shared
    // pair_deathgrips: TF.js 4.22 misreads multi-group folders whose first shard is the smaller
    // one (see layers_model_test mergedWeightGroups); convert it as one group for TF.js here.
    SCOPED_TRACE(p.h5);
    const fs::path out = tmp / fmt::format("m{}", k++);
    ConvertOptions o;
    o.splitWeightsByLayer = p.split && std::string(p.h5).find("deathgrips") == std::string::npos;
    convertModel((fixtures / p.h5).string(), out.string(), o);
    const TfjsRun tf = tfjsPredict(out);
    ASSERT_TRUE(tf.ok) << tf.text;
    const Tensor x = floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
    const LayersModel ours = loadLayersModel(out.string());
    const LayersModel real = loadLayersModel((fixtures / p.real).string());
    const Tensor y = ours.predict(x);
    expectClose(y, floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]));
    const Tensor yr = real.predict(x);
    ASSERT_EQ(y.byteLength(), yr.byteLength());
    EXPECT_EQ(std::memcmp(y.bytes(), yr.bytes(), y.byteLength()), 0);
  }
  EXPECT_GE(k, test::haveAllFixtures() ? 7 : 3);
}

// Keras layers TF.js lacks but tfjs-cpp runs, kept on request (--keep_preprocessing_layers), are
// converted with a note; the result predicts in our runtime exactly as the real converter's
// folder does. (By default RandomFlip is left out: saved_model_legacy_test.)
TEST(Convert, ClassesOnlyTfjsCppRunsAreConvertedWithANote) {
  TFJS_REQUIRE_FIXTURES("pair_tinycnn_k215_conv422");
  test::TempDir tmp;
  ConvertOptions keep;
  keep.keepPreprocessingLayers = true;
  const ConvertResult r = convertModel(
      (fixtures / "pair_tinycnn_k215_conv422/oh_shapes_tinycnn_keras_OHMYGOD.h5").string(),
      (tmp / "m").string(), keep);
  EXPECT_THAT(r.notes, ::testing::Contains(HasSubstr("class 'RandomFlip'")));
  const LayersModel ours = loadLayersModel((tmp / "m").string());
  const LayersModel real =
      loadLayersModel((fixtures / "pair_tinycnn_k215_conv422/web_model").string());
  std::vector<int64_t> shape = ours.inputs().at(0).shape;
  shape[0] = 2;
  int64_t n = 1;
  for (auto d : shape) n *= d;
  Buffer b = Buffer::allocate(static_cast<size_t>(n) * 4);
  for (int64_t i = 0; i < n; ++i) {
    const float v = static_cast<float>(i % 17) / 17.0f;
    std::memcpy(b.mutableData() + 4 * i, &v, 4);
  }
  const Tensor x(DType::kFloat32, shape, b, 0);
  const Tensor y = ours.predict(x);
  const Tensor yr = real.predict(x);
  ASSERT_EQ(y.byteLength(), yr.byteLength());
  EXPECT_EQ(std::memcmp(y.bytes(), yr.bytes(), y.byteLength()), 0);
}

// Keras 3 .h5: normalized, the output loads in TF.js 4.22 (where TF.js supports the layers)
// and runs in our runtime; --keep_keras3_topology writes what converter 4.22 writes.
TEST(Convert, Keras3IsNormalizedForTfjs) {
  TFJS_REQUIRE_FIXTURES("keras3_admission_dense_keras_and_h5",
                        "keras3_gru_h5_and_tfjs_converter422");
  test::TempDir tmp;
  const fs::path dense = fixtures / "keras3_admission_dense_keras_and_h5/model.h5";
  const ConvertResult r = convertModel(dense.string(), (tmp / "dense").string());
  EXPECT_EQ(r.kerasVersion, "3.13.2");
  EXPECT_THAT(r.notes, ::testing::Contains(HasSubstr("batch_input_shape")));
  const ModelArtifacts a = loadModel((tmp / "dense").string());
  EXPECT_EQ(groupNames(a).at(0),
            (std::vector<std::string>{"dense/kernel", "dense/bias", "dense_1/kernel",
                                      "dense_1/bias", "dense_2/kernel", "dense_2/bias"}));
  const std::string text = toModelJson(a);
  EXPECT_THAT(text, ::testing::Not(HasSubstr("batch_shape")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("DTypePolicy")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("registered_name")));
  const TfjsRun tf = tfjsPredict(tmp / "dense");
  ASSERT_TRUE(tf.ok) << tf.text;
  const Tensor x = floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
  expectClose(loadLayersModel((tmp / "dense").string()).predict(x),
              floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]));

  // The raw form: TF.js 4.22 cannot load it (spec §1.5), which is why it is not the default.
  ConvertOptions keep;
  keep.keepKeras3Topology = true;
  convertModel(dense.string(), (tmp / "raw").string(), keep);
  const TfjsRun raw = tfjsPredict(tmp / "raw");
  EXPECT_FALSE(raw.ok);
  EXPECT_THAT(raw.text, HasSubstr("batchInputShape"));

  // GRU (reset_after=true): TF.js 4.22 has no such GRU, our runtime runs it.
  const fs::path gru = fixtures / "keras3_gru_h5_and_tfjs_converter422/gru-6d.h5";
  convertModel(gru.string(), (tmp / "gru").string());
  const TfjsRun tg = tfjsPredict(tmp / "gru");
  EXPECT_FALSE(tg.ok);
  EXPECT_THAT(tg.text, HasSubstr("reset_after"));
  const ModelArtifacts g = loadModel((tmp / "gru").string());
  EXPECT_EQ(groupNames(g).at(0),
            (std::vector<std::string>{"dense_6/kernel", "dense_6/bias", "gru_8/gru_cell/kernel",
                                      "gru_8/gru_cell/recurrent_kernel", "gru_8/gru_cell/bias"}));
  const LayersModel m = LayersModel::fromArtifacts(g);
  const Tensor y = m.predict(Tensor(
      DType::kFloat32, {2, 5, 6},
      [] {
        Buffer b = Buffer::allocate(2 * 5 * 6 * 4);
        for (int i = 0; i < 60; ++i) {
          const float v = 0.05f * static_cast<float>(i % 13) - 0.3f;
          std::memcpy(b.mutableData() + 4 * i, &v, 4);
        }
        return b;
      }(),
      0));
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 1}));

  // Converter 4.22 on a Keras 3.8 GRU .h5 of the same architecture (a different training run:
  // layer names carry other numeric suffixes): with --keep_keras3_topology our topology and
  // weight names are the converter's, up to those names.
  ConvertOptions k2;
  k2.keepKeras3Topology = true;
  const ModelArtifacts ours = kerasH5ToArtifacts(gru.string(), k2);
  const ModelArtifacts real =
      loadModel((fixtures / "keras3_gru_h5_and_tfjs_converter422").string());
  std::set<std::string> diffs;
  jsonDiff(topLevelWithoutManifest(toModelJson(ours)),
           topLevelWithoutManifest(
               test::readText(fixtures / "keras3_gru_h5_and_tfjs_converter422/model.json")),
           "", diffs);
  EXPECT_EQ(diffs,
            (std::set<std::string>{"/convertedBy", "/modelTopology/model_config/config/name",
                                   "/modelTopology/model_config/config/layers[0]/config/name",
                                   "/modelTopology/model_config/config/layers[1]/config/name",
                                   "/modelTopology/model_config/config/layers[2]/config/name"}));
  // Drops every "_<digits>" (the layer-name suffixes of a different training run). No
  // std::regex: GCC 12 under -O2 with the sanitizers warns inside <regex> (-Werror).
  auto stripSuffixes = [](const std::string& n) {
    std::string out;
    for (size_t i = 0; i < n.size();) {
      size_t j = i + 1;
      while (n[i] == '_' && j < n.size() && std::isdigit(static_cast<unsigned char>(n[j]))) ++j;
      if (n[i] == '_' && j > i + 1) {
        i = j;
      } else {
        out += n[i++];
      }
    }
    return out;
  };
  auto strip = [&](std::vector<std::vector<std::string>> g2) {
    for (auto& grp : g2) {
      for (auto& n : grp) n = stripSuffixes(n);
    }
    return g2;
  };
  EXPECT_EQ(strip(groupNames(ours)), strip(groupNames(real)));
}

// Every other .h5 of the fixtures converts, and the result runs in our runtime.
TEST(Convert, EveryFixtureH5ConvertsAndRuns) {
  TFJS_REQUIRE_FIXTURES(
      "h5_k204_embedding_gru_functional", "h5_k210_gru", "h5_k224_embedding",
      "h5_k280_timeseries_dense_conv1d_lstm_rnn", "keras3_admission_dense_keras_and_h5",
      "keras3_gru_h5_and_tfjs_converter422", "keras3_gru_keras_and_h5",
      "pair_tm_reverse_tfjs_to_keras_mobilenet", "savedmodel_heart_dense_with_h5");
  test::TempDir tmp;
  const std::vector<std::string> files = {
      "h5_k280_timeseries_dense_conv1d_lstm_rnn/linear.h5",
      "h5_k280_timeseries_dense_conv1d_lstm_rnn/dense.h5",
      "h5_k280_timeseries_dense_conv1d_lstm_rnn/multi_step_dense.h5",
      "h5_k280_timeseries_dense_conv1d_lstm_rnn/conv_model.h5",
      "h5_k280_timeseries_dense_conv1d_lstm_rnn/lstm_model.h5",
      "h5_k280_timeseries_dense_conv1d_lstm_rnn/RNN_model.h5",
      "h5_k210_gru/gru_model.h5",
      "h5_k224_embedding/imdb_model.h5",
      "h5_k204_embedding_gru_functional/gru.h5",
      "keras3_admission_dense_keras_and_h5/model.h5",
      "keras3_gru_keras_and_h5/gru_model.h5",
      "keras3_gru_h5_and_tfjs_converter422/gru-6d.h5",
      "savedmodel_heart_dense_with_h5/heart.h5",
      "pair_tm_reverse_tfjs_to_keras_mobilenet/keras/keras_model.h5",
  };
  int k = 0;
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    const fs::path out = tmp / fmt::format("m{}", k++);
    const ConvertResult r = convertModel((fixtures / f).string(), out.string());
    EXPECT_GT(r.weights, 0u);
    const LayersModel m = loadLayersModel(out.string());
    std::vector<Tensor> xs;
    for (const auto& in : m.inputs()) {
      std::vector<int64_t> shape;
      for (size_t d = 0; d < in.shape.size(); ++d) {
        shape.push_back(in.shape[d] < 0 ? (d == 0 ? 2 : 5) : in.shape[d]);
      }
      int64_t n = 1;
      for (auto d : shape) n *= d;
      Buffer b = Buffer::allocate(static_cast<size_t>(n) * 4);
      for (int64_t i = 0; i < n; ++i) {
        const float v = static_cast<float>(i % 7);  // also valid as embedding indices
        std::memcpy(b.mutableData() + 4 * i, &v, 4);
      }
      xs.emplace_back(DType::kFloat32, shape, b, 0);
    }
    const auto ys = m.predict(xs);
    ASSERT_FALSE(ys.empty());
    for (float v : ys[0].floats()) ASSERT_TRUE(std::isfinite(v));
  }
}

// Quantized conversions: every weight within scale/2 of the original (float16: the nearest
// half), pattern subsets select exactly their weights, and TF.js loads the result.
TEST(Convert, QuantizedOutputsDecodeWithinHalfAStep) {
  TFJS_REQUIRE_FIXTURES("pair_deepmech_cnn");
  test::TempDir tmp;
  const fs::path h5 = fixtures / "pair_deepmech_cnn/model.h5";
  const auto original = decodeWeights(kerasH5ToArtifacts(h5.string()));
  struct Case {
    const char* name;
    QuantizationMap map;
    std::set<std::string> quantized;  // empty = all
  };
  const std::vector<Case> cases = {
      {"u8", {{DType::kUint8, {}}}, {}},
      {"u16", {{DType::kUint16, {}}}, {}},
      {"f16", {{DType::kFloat16, {}}}, {}},
      {"mixed",
       {{DType::kUint8, {"conv2d/*"}}, {DType::kFloat16, {"dense*"}}},
       {"conv2d/kernel", "conv2d/bias", "dense/kernel", "dense/bias"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ConvertOptions o;
    o.quantization = c.map;
    const fs::path out = tmp / c.name;
    convertModel(h5.string(), out.string(), o);
    const ModelArtifacts a = loadModel(out.string());
    const auto decoded = decodeWeights(a);
    ASSERT_EQ(decoded.size(), original.size());
    size_t q = 0;
    for (size_t i = 0; i < decoded.size(); ++i) {
      const WeightSpec* spec = a.weightSpecs()[i];
      ASSERT_EQ(spec->name, original[i].name);
      const bool want = c.quantized.empty() || c.quantized.count(spec->name);
      ASSERT_EQ(spec->quantization.has_value(), want) << spec->name;
      const auto x = original[i].tensor.floats();
      const auto y = decoded[i].tensor.floats();
      if (!want) {
        ASSERT_EQ(std::memcmp(x.data(), y.data(), x.size() * 4), 0);
        continue;
      }
      ++q;
      for (size_t e = 0; e < x.size(); ++e) {
        const double tol = spec->quantization->scale
                               ? *spec->quantization->scale / 2 * (1 + 1e-6) + 1e-7
                               : std::fabs(x[e]) / 2048.0 + 6e-8;
        ASSERT_LE(std::fabs(double(x[e]) - double(y[e])), tol) << spec->name << " " << e;
      }
    }
    EXPECT_EQ(q, c.quantized.empty() ? original.size() : c.quantized.size());
    const TfjsRun tf = tfjsPredict(out);
    ASSERT_TRUE(tf.ok) << tf.text;
  }
}

// tfjs_layers_model -> tfjs_layers_model: re-shard (values kept bit for bit) and re-quantize.
TEST(Convert, TfjsLayersModelIsReshardedAndRequantized) {
  TFJS_REQUIRE_FIXTURES("pair_deepmech_cnn");
  test::TempDir tmp;
  const fs::path in = fixtures / "pair_deepmech_cnn";
  ConvertOptions o;
  o.outputFormat = "tfjs_layers_model";
  o.weightShardSizeBytes = 10000;
  const ConvertResult r = convertModel(in.string(), (tmp / "small").string(), o);
  EXPECT_EQ(r.inputFormat, "tfjs_layers_model");
  EXPECT_EQ(r.files, 6u);  // 58,572 bytes in 10,000-byte shards
  EXPECT_TRUE(fs::exists(tmp / "small/group1-shard6of6.bin"));
  EXPECT_TRUE(rawFloatBytes(loadModel((tmp / "small").string())) == rawFloatBytes(loadModel(in)));
  // Re-quantize to uint8, then de-quantize (no quantize flag): the float32 values TF.js decodes
  // from the uint8 model, bit for bit.
  ConvertOptions q = o;
  q.quantization = {{DType::kUint8, {}}};
  convertModel((tmp / "small").string(), (tmp / "u8").string(), q);
  const ModelArtifacts u8 = loadModel((tmp / "u8").string());
  for (const auto* spec : u8.weightSpecs()) {
    ASSERT_TRUE(spec->quantization.has_value());
    EXPECT_EQ(spec->quantization->dtype, DType::kUint8);
  }
  convertModel((tmp / "u8").string(), (tmp / "f32").string(), o);
  const ModelArtifacts f32 = loadModel((tmp / "f32").string());
  for (const auto* spec : f32.weightSpecs()) EXPECT_FALSE(spec->quantization.has_value());
  EXPECT_TRUE(rawFloatBytes(f32) == rawFloatBytes(u8));
  EXPECT_FALSE(rawFloatBytes(f32) == rawFloatBytes(loadModel(in)));
  // Without --output_format, the converter's default output for a TF.js input: a Keras .h5.
  const ConvertResult k = convertModel(in.string(), (tmp / "k").string());
  EXPECT_EQ(k.outputFormat, "keras");
  EXPECT_EQ(test::readText(tmp / "k").substr(0, 4), "\x89HDF");
}

// --- bad inputs -------------------------------------------------------------------------------

// Writes a small HDF5 file with string attributes at the root and optional float datasets.
void writeH5(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& attrs,
             const std::string& layer = {}, const std::vector<hsize_t>& dims = {},
             bool stringDataset = false, const std::string& datasetName = "w:0") {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  auto strAttr = [](hid_t obj, const std::string& name, const std::vector<std::string>& vals,
                    bool scalar) {
    size_t width = 1;
    for (const auto& v : vals) width = std::max(width, v.size());
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, width);
    const hsize_t n = vals.size();
    const hid_t s = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
    std::string buf(width * vals.size(), '\0');
    for (size_t i = 0; i < vals.size(); ++i)
      std::memcpy(&buf[i * width], vals[i].data(), vals[i].size());
    const hid_t a = H5Acreate2(obj, name.c_str(), t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, buf.data());
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
  };
  for (const auto& [k, v] : attrs) strAttr(f, k, {v}, true);
  if (!layer.empty()) {
    const hid_t mw = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t g = H5Gcreate2(mw, layer.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    strAttr(g, "weight_names", {"w:0"}, false);
    const hid_t s = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t t = H5Tcopy(stringDataset ? H5T_C_S1 : H5T_NATIVE_FLOAT);
    if (stringDataset) H5Tset_size(t, 4);
    const hid_t d = H5Dcreate2(g, datasetName.c_str(), t, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Tclose(t);
    H5Sclose(s);
    H5Gclose(g);
    H5Gclose(mw);
  }
  H5Fclose(f);
}

const char* kDenseConfig =
    R"({"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense",
    "config": {"name": "d", "units": 1, "batch_input_shape": [null, 1]}}]}})";

// Each bad input: the error's code and message, the CLI's exit code, and nothing written.
// A Keras 3 .keras (keras_keras) converts to the weights the real converter 4.22 wrote for it,
// bit for bit and under the same names, and the result loads in TF.js and predicts as ours.
TEST(Convert, KerasZipMatchesTheRealConverterAndLoadsInTfjs) {
  TFJS_REQUIRE_FIXTURES("keras3_admission_dense_keras_and_h5", "keras3_flownet_dense",
                        "keras3_gru_keras_and_h5", "pair_keras3_cnn_to_graph_conv318",
                        "pair_keras3_cnn_to_layers_conv422");
  test::TempDir tmp;
  const fs::path pair = fixtures / "pair_keras3_cnn_to_layers_conv422";
  ConvertOptions o;
  o.outputFormat = "tfjs_layers_model";
  const ConvertResult r =
      convertModel((pair / "mnist_cnn_model.keras").string(), (tmp / "out").string(), o);
  EXPECT_EQ(r.inputFormat, "keras_keras");
  EXPECT_EQ(r.kerasVersion, "3.15.1");
  const ModelArtifacts ours = loadModel((tmp / "out").string());
  const ModelArtifacts theirs = loadModel((pair / "tfjs_model").string());
  EXPECT_EQ(groupNames(ours), groupNames(theirs));
  EXPECT_EQ(rawFloatBytes(ours), rawFloatBytes(theirs));
  EXPECT_EQ(ours.generatedBy.value_or(""), "keras v3.15.1");
  const TfjsRun tf = tfjsPredict(tmp / "out");
  ASSERT_TRUE(tf.ok) << tf.text;
  const LayersModel m = loadLayersModel((tmp / "out").string());
  const Tensor x =
      test::floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
  expectClose(m.predict(x),
              test::floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]));
  // Every .keras fixture converts and runs.
  for (const char* k :
       {"keras3_flownet_dense/25-06/model.keras", "keras3_flownet_dense/out/final_model.keras",
        "keras3_admission_dense_keras_and_h5/model.keras",
        "keras3_gru_keras_and_h5/models/gru_model.keras",
        "pair_keras3_cnn_to_graph_conv318/Subhadip_Hensh_MNIST_CNN.keras"}) {
    SCOPED_TRACE(k);
    const fs::path out = tmp / fmt::format("zip{}", std::hash<std::string>()(k));
    const auto c = test::runCli(fmt::format("convert {} {} --output_format tfjs_layers_model",
                                            test::quote(fixtures / k), test::quote(out)));
    ASSERT_EQ(c.exitCode, 0) << c.out;
    EXPECT_NO_THROW(loadLayersModel(out.string()));
  }
}

// A tf.keras SavedModel (keras_saved_model, the walkthrough's input format) converts to what the
// same model's .h5 converts to; the output loads in TF.js and predicts as ours; a SavedModel
// without keras_metadata.pb is refused with nothing written.
TEST(Convert, KerasSavedModelConvertsLikeItsH5) {
  TFJS_REQUIRE_FIXTURES("savedmodel_heart_dense_with_h5", "savedmodel_mnist_cnn",
                        "savedmodel_nonkeras_tfjs_node_times_three");
  test::TempDir tmp;
  const fs::path heart = fixtures / "savedmodel_heart_dense_with_h5";
  auto c = test::runCli(fmt::format("convert --input_format=keras_saved_model {} {}",
                                    test::quote(heart), test::quote(tmp / "sm")));
  ASSERT_EQ(c.exitCode, 0) << c.out;
  const ModelArtifacts fromSm = loadModel((tmp / "sm").string());
  const ModelArtifacts fromH5 = kerasH5ToArtifacts((heart / "heart.h5").string());
  EXPECT_EQ(groupNames(fromSm), groupNames(fromH5));
  EXPECT_EQ(rawFloatBytes(fromSm), rawFloatBytes(fromH5));
  EXPECT_EQ(fromSm.modelTopology["model_config"], fromH5.modelTopology["model_config"]);
  EXPECT_EQ(fromSm.generatedBy.value_or(""), "keras v2.7.0");
  // Detected without --input_format, too.
  c = test::runCli(fmt::format("convert {} {}",
                               test::quote(fixtures / "savedmodel_mnist_cnn/saved_model/1"),
                               test::quote(tmp / "mnist")));
  ASSERT_EQ(c.exitCode, 0) << c.out;
  const TfjsRun tf = tfjsPredict(tmp / "mnist");
  ASSERT_TRUE(tf.ok) << tf.text;
  const LayersModel m = loadLayersModel((tmp / "mnist").string());
  expectClose(
      m.predict(test::floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"])),
      test::floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]));
  c = test::runCli(fmt::format(
      "convert --input_format keras_saved_model {} {}",
      test::quote(fixtures / "savedmodel_nonkeras_tfjs_node_times_three/times_three_float"),
      test::quote(tmp / "no")));
  EXPECT_EQ(c.exitCode, 1) << c.out;
  EXPECT_THAT(c.out, HasSubstr("keras_metadata.pb"));
  EXPECT_FALSE(fs::exists(tmp / "no"));
}

// TF.js -> .h5 -> TF.js and TF.js -> .keras -> TF.js keep every weight bit for bit, through the
// command, for the TF.js layers models of the fixtures (quantized ones come back dequantized).
TEST(Convert, TfjsToKerasAndBackKeepsEveryWeight) {
  TFJS_REQUIRE_FIXTURES("keras3_gru_h5_and_tfjs_converter422", "pair_deepmech_cnn",
                        "pair_har_lstm_multigroup_tfjs0x", "pair_pytraining_tiny_mnist_bn",
                        "pair_tinycnn_k215_conv422", "pair_tm_reverse_tfjs_to_keras_mobilenet",
                        "tfjs_layers_nsfwjs_mobilenet_v2_uint8", "tfjs_layers_tfjs2keras_testdata");
  test::TempDir tmp;
  const std::vector<std::string> models = {"pair_deepmech_cnn",
                                           "pair_pytraining_tiny_mnist_bn/web_model",
                                           "pair_har_lstm_multigroup_tfjs0x",
                                           "pair_tinycnn_k215_conv422/web_model_argh",
                                           "keras3_gru_h5_and_tfjs_converter422",
                                           "tfjs_layers_nsfwjs_mobilenet_v2_uint8",
                                           "tfjs_layers_tfjs2keras_testdata/bidirectional_lstm",
                                           "tfjs_layers_tfjs2keras_testdata/functional_merge.json",
                                           "pair_tm_reverse_tfjs_to_keras_mobilenet/tfjs"};
  int k = 0;
  for (const auto& name : models) {
    SCOPED_TRACE(name);
    const fs::path in = fixtures / name;
    const ModelArtifacts original = loadModel(in.string());
    const auto want = rawFloatBytes(original);
    fs::path h5;
    for (const char* fmt : {"keras", "keras_keras"}) {
      SCOPED_TRACE(fmt);
      const fs::path file =
          tmp / fmt::format("m{}.{}", k++, std::string(fmt) == "keras" ? "h5" : "keras");
      const fs::path back = tmp / fmt::format("back{}", k++);
      if (std::string(fmt) == "keras") h5 = file;
      auto c = test::runCli(
          fmt::format("convert {} {} --output_format {}", test::quote(in), test::quote(file), fmt));
      ASSERT_EQ(c.exitCode, 0) << c.out;
      c = test::runCli(fmt::format("convert {} {} --output_format tfjs_layers_model",
                                   test::quote(file), test::quote(back)));
      ASSERT_EQ(c.exitCode, 0) << c.out;
      const auto got = rawFloatBytes(loadModel(back.string()));
      ASSERT_EQ(got.size(), want.size());
      for (const auto& [wname, bytes] : want) {
        // A .keras names weights "<layer>/<variable>" (no model prefix, no RNN cell scope), as
        // TF.js binds them: match on the variable and the layer's name among the components.
        auto it = got.find(wname);
        if (it == got.end()) {
          const auto slash = wname.rfind('/');
          for (auto g = got.begin(); g != got.end(); ++g) {
            const auto gs = g->first.find('/');
            if (gs == std::string::npos ||
                g->first.substr(g->first.rfind('/')) != wname.substr(slash))
              continue;
            if (("/" + wname + "/").find("/" + g->first.substr(0, gs) + "/") != std::string::npos)
              it = g;
          }
        }
        ASSERT_NE(it, got.end()) << wname;
        EXPECT_TRUE(it->second == bytes) << wname << " differs";
      }
    }
    // An existing output is refused and left untouched; quantizing a Keras output is refused.
    const auto size = fs::file_size(h5);
    auto c = test::runCli(
        fmt::format("convert {} {} --output_format keras", test::quote(in), test::quote(h5)));
    EXPECT_EQ(c.exitCode, 1) << c.out;
    EXPECT_NE(c.out.find("[exists]"), std::string::npos) << c.out;
    EXPECT_EQ(fs::file_size(h5), size);
  }
  const auto c = test::runCli(fmt::format("convert {} {} --output_format keras --quantize_uint8",
                                          test::quote(fixtures / "pair_deepmech_cnn"),
                                          test::quote(tmp / "q.h5")));
  EXPECT_EQ(c.exitCode, 2) << c.out;
  EXPECT_FALSE(fs::exists(tmp / "q.h5"));
}

// --report: every quantized weight with its range and its largest error (at most half a step);
// --sample: the float32 and the quantized models run natively on the same input.
TEST(Convert, ReportShowsWhatQuantizationDid) {
  TFJS_REQUIRE_FIXTURES("pair_deepmech_cnn");
  test::TempDir tmp;
  const fs::path h5 = fixtures / "pair_deepmech_cnn/model.h5";
  ConvertOptions o;
  o.quantization = {{DType::kUint8, {}}};
  o.report = true;
  const LayersModel plain = LayersModel::fromArtifacts(kerasH5ToArtifacts(h5.string()));
  std::vector<int64_t> shape = plain.inputs()[0].shape;
  shape[0] = 2;
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  Buffer b = Buffer::allocate(static_cast<size_t>(n) * 4);
  auto* f = reinterpret_cast<float*>(b.mutableData());
  for (int64_t i = 0; i < n; ++i) f[i] = static_cast<float>((i * 7919) % 101) / 101.0f;
  o.sample = {Tensor(DType::kFloat32, shape, b, 0)};
  const ConvertResult r = convertModel(h5.string(), (tmp / "q").string(), o);
  ASSERT_EQ(r.quantized.size(), 6u);
  for (const auto& q : r.quantized) {
    SCOPED_TRACE(q.name);
    EXPECT_EQ(q.dtype, "uint8");
    ASSERT_TRUE(q.scale.has_value());
    EXPECT_GT(q.maxAbsError, 0.0);
    EXPECT_LE(q.maxAbsError, *q.scale / 2 * (1 + 1e-6) + 1e-7);
  }
  ASSERT_EQ(r.sample.size(), 1u);
  EXPECT_TRUE(r.sampleError.empty()) << r.sampleError;
  EXPECT_GT(r.sample[0].maxAbsDifference, 0.0);
  EXPECT_LT(r.sample[0].maxAbsDifference, 0.1 * std::max(1.0, r.sample[0].maxAbsValue));
  // The report changes nothing in the output: the same files as a plain quantized convert.
  ConvertOptions same;
  same.quantization = o.quantization;
  convertModel(h5.string(), (tmp / "q2").string(), same);
  EXPECT_EQ(test::readText(tmp / "q/model.json"), test::readText(tmp / "q2/model.json"));
  EXPECT_EQ(test::readText(tmp / "q/group1-shard1of1.bin"),
            test::readText(tmp / "q2/group1-shard1of1.bin"));
  // Through the command, and refused without a quantization.
  auto c = test::runCli(fmt::format("convert {} {} --quantize_float16 --report", test::quote(h5),
                                    test::quote(tmp / "f16")));
  ASSERT_EQ(c.exitCode, 0) << c.out;
  EXPECT_THAT(c.out, HasSubstr("max |error|"));
  EXPECT_THAT(c.out, HasSubstr("float16"));
  c = test::runCli(fmt::format("convert {} {} --report", test::quote(h5), test::quote(tmp / "n")));
  EXPECT_EQ(c.exitCode, 2) << c.out;
  EXPECT_FALSE(fs::exists(tmp / "n"));
}

TEST(Convert, BadInputsAreClearErrorsAndWriteNothing) {
  TFJS_REQUIRE_FIXTURES("pair_anime4k_srgan_functional", "pair_deepmech_cnn",
                        "pair_keras3_cnn_to_layers_conv422",
                        "pair_pytraining_custom_layer_noweights");
  test::TempDir tmp;
  const fs::path out = tmp / "out";
  auto expectRefused = [&](const fs::path& input, ErrorCode code, const std::string& msg,
                           const ConvertOptions& o = {}) {
    SCOPED_TRACE(input.string());
    try {
      convertModel(input.string(), out.string(), o);
      FAIL() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_THAT(e.what(), HasSubstr(msg));
      EXPECT_THAT(e.what(), HasSubstr(input.filename().string()));
    }
    EXPECT_FALSE(fs::exists(out));
    for (const auto& e : fs::directory_iterator(tmp.path())) {
      EXPECT_FALSE(e.path().filename().string().starts_with(".out")) << "leftover " << e.path();
    }
  };
  // Not HDF5 at all (and --input_format keras given, so no detection rescues it).
  test::writeText(tmp / "notes.h5", "this is not a Keras file\n");
  ConvertOptions keras;
  keras.inputFormat = "keras";
  expectRefused(tmp / "notes.h5", ErrorCode::kUnknownFormat, "not an HDF5 file", keras);
  // Undetectable without --input_format.
  expectRefused(tmp / "notes.h5", ErrorCode::kInvalidArgument, "cannot tell the input format");

  // Truncated copies of a real file: the signature is there, the rest is not.
  const std::string full = test::readText(fixtures / "pair_deepmech_cnn/model.h5");
  for (size_t cut : {size_t{4096}, full.size() / 2, full.size() - 1000}) {
    const fs::path t = tmp / fmt::format("cut{}.h5", cut);
    test::writeText(t, full.substr(0, cut));
    SCOPED_TRACE(cut);
    try {
      convertModel(t.string(), out.string());
      FAIL() << "a truncated file was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kTruncated) << e.what();
      EXPECT_THAT(e.what(), HasSubstr(t.filename().string()));
    }
    EXPECT_FALSE(fs::exists(out));
  }

  {
    const auto r = test::runCli("convert " + test::quote(tmp / fmt::format("cut{}.h5", 4096)) +
                                " " + test::quote(out));
    EXPECT_EQ(r.exitCode, 1) << r.out;
    EXPECT_THAT(r.out, HasSubstr("[truncated]"));
    EXPECT_FALSE(fs::exists(out));
  }

  // Missing model_config.
  writeH5(tmp / "noconfig.h5", {{"keras_version", "2.15.0"}, {"backend", "tensorflow"}});
  expectRefused(tmp / "noconfig.h5", ErrorCode::kSchema, "no 'model_config' attribute");
  // Missing keras_version.
  writeH5(tmp / "nover.h5", {{"model_config", kDenseConfig}}, "d", {1, 1});
  expectRefused(tmp / "nover.h5", ErrorCode::kSchema, "no 'keras_version'");
  // Keras 1.
  writeH5(tmp / "k1.h5", {{"keras_version", "1.2.2"}, {"model_config", kDenseConfig}}, "d", {1, 1});
  expectRefused(tmp / "k1.h5", ErrorCode::kUnsupported, "Keras 1 configs are not");
  // model_config that is not JSON.
  writeH5(tmp / "badjson.h5", {{"keras_version", "2.15.0"}, {"model_config", "{not json"}});
  expectRefused(tmp / "badjson.h5", ErrorCode::kSchema, "'model_config' is not valid JSON");
  // A Lambda layer (refused even with --allow_custom_classes), and a custom class.
  const std::string lambda =
      R"({"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Lambda",
      "config": {"name": "my_lambda", "function": ["4wEAAAAAAAAA", null, null]}}]}})";
  writeH5(tmp / "lambda.h5", {{"keras_version", "2.15.0"}, {"model_config", lambda}});
  ConvertOptions custom;
  custom.allowCustomClasses = true;
  expectRefused(tmp / "lambda.h5", ErrorCode::kUnsupported, "'my_lambda' is a Lambda layer",
                custom);
  expectRefused(fixtures / "pair_pytraining_custom_layer_noweights/hyper.h5",
                ErrorCode::kUnsupported, "class 'HyperScale'");
  expectRefused(fixtures / "pair_anime4k_srgan_functional/generator.h5", ErrorCode::kUnsupported,
                "class 'TensorFlowOpLayer'");
  // A dataset whose dtype is not a number.
  writeH5(tmp / "strds.h5", {{"keras_version", "2.15.0"}, {"model_config", kDenseConfig}}, "d", {2},
          true);
  expectRefused(tmp / "strds.h5", ErrorCode::kUnsupported, "dtype");
  // A dataset claiming an absurd shape (4 TiB, never written: HDF5 allocates late).
  writeH5(tmp / "huge.h5", {{"keras_version", "2.15.0"}, {"model_config", kDenseConfig}}, "d",
          {1u << 20, 1u << 20});
  expectRefused(tmp / "huge.h5", ErrorCode::kTooLarge, "over the");
  // weight_names naming a dataset that is not there.
  writeH5(tmp / "nods.h5", {{"keras_version", "2.15.0"}, {"model_config", kDenseConfig}}, "d",
          {1, 1}, false, "other:0");
  expectRefused(tmp / "nods.h5", ErrorCode::kSchema, "lists weight 'w:0' but there is no such");
  // The output already exists (the converter has no overwrite flag: refuse).
  fs::create_directories(tmp / "exists");
  test::writeText(tmp / "exists/model.json", "{}");
  try {
    convertModel((fixtures / "pair_deepmech_cnn/model.h5").string(), (tmp / "exists").string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kExists);
  }
  EXPECT_EQ(test::readText(tmp / "exists/model.json"), "{}");
  // Pairs the converter has and this version does not.
  ConvertOptions kk;
  kk.outputFormat = "keras_keras";
  expectRefused(fixtures / "pair_deepmech_cnn/model.h5", ErrorCode::kUnsupported,
                "keras -> keras_keras is not supported", kk);
  kk.outputFormat = "tfjs_graph_model";
  expectRefused(fixtures / "pair_deepmech_cnn/model.h5", ErrorCode::kUnsupported,
                "keras -> tfjs_graph_model is not supported", kk);
  // A .keras that is damaged: cut in half.
  {
    const std::string bytes =
        test::readText(fixtures / "pair_keras3_cnn_to_layers_conv422/mnist_cnn_model.keras");
    test::writeText(tmp / "cut.keras", bytes.substr(0, bytes.size() / 2));
    ConvertOptions o;
    o.outputFormat = "tfjs_layers_model";
    try {
      convertModel((tmp / "cut.keras").string(), out.string(), o);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_THAT(e.what(), HasSubstr("cut.keras"));
    }
    EXPECT_FALSE(fs::exists(out));
    fs::remove(tmp / "cut.keras");
  }

  // Through the command: exit 1 for a model problem, 2 for usage, message on stderr.
  auto r = test::runCli("convert " + test::quote(tmp / "lambda.h5") + " " + test::quote(out));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("[unsupported]"));
  EXPECT_THAT(r.out, HasSubstr("Lambda"));
  EXPECT_FALSE(fs::exists(out));
  r = test::runCli("convert " + test::quote(tmp / "lambda.h5"));
  EXPECT_EQ(r.exitCode, 2) << r.out;
}

// The command: the converter's flag spellings, detection, --json, quantize flags without values.
TEST(Convert, CommandLine) {
  TFJS_REQUIRE_FIXTURES("pair_deepmech_cnn");
  test::TempDir tmp;
  const fs::path h5 = fixtures / "pair_deepmech_cnn/model.h5";
  auto r = test::runCli("convert --quantize_uint8 " + test::quote(h5) + " " +
                        test::quote(tmp / "a") + " --json");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["inputFormat"], "keras");
  EXPECT_EQ(j["outputFormat"], "tfjs_layers_model");
  EXPECT_EQ(j["weights"], 6);
  EXPECT_EQ(j["bytes"], 58572 / 4);
  r = test::runCli(
      "convert --input-format=keras --quantize-float16='dense/*' "
      "--weight-shard-size-bytes 20000 --split-weights-by-layer " +
      test::quote(h5) + " " + test::quote(tmp / "b"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  const ModelArtifacts b = loadModel((tmp / "b").string());
  EXPECT_EQ(b.weightsManifest.size(), 3u);  // conv2d, conv2d_1, dense
  EXPECT_EQ(b.weightsManifest[0].paths.at(0), "group1-shard1of1.bin");
  size_t f16 = 0;
  for (const auto* s : b.weightSpecs()) f16 += s->quantization.has_value();
  EXPECT_EQ(f16, 2u);
  test::writeText(tmp / "meta.json", R"({"labels": ["a", "b"]})");
  r = test::runCli("convert --metadata labels:" + test::quote(tmp / "meta.json") + " " +
                   test::quote(h5) + " " + test::quote(tmp / "c"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(loadModel((tmp / "c").string()).userDefinedMetadata,
            Json::parse(R"({"labels": {"labels": ["a", "b"]}})"));
  r = test::runCli("convert --weight_shard_size_bytes 0 " + test::quote(h5) + " " +
                   test::quote(tmp / "d"));
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_FALSE(fs::exists(tmp / "d"));
  // --sync (fsync everything) writes the same files; to .h5 as well.
  r = test::runCli("convert --sync " + test::quote(h5) + " " + test::quote(tmp / "e"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  r = test::runCli("convert " + test::quote(h5) + " " + test::quote(tmp / "f"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(test::readText(tmp / "e/group1-shard1of1.bin"),
            test::readText(tmp / "f/group1-shard1of1.bin"));
  r = test::runCli("convert --sync " + test::quote(tmp / "e") + " " + test::quote(tmp / "e.h5"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(fs::is_regular_file(tmp / "e.h5"));
  // --help names both positionals plainly.
  r = test::runCli("convert --help");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_THAT(r.out, ::testing::HasSubstr("[INPUT] [OUTPUT]"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("--sync"));
}

}  // namespace
}  // namespace tfjs

namespace tfjs {
namespace {

// A Keras .h5 is read through hard links only: a layer group reached by a soft link, a weight
// reached through an external link (into another, valid, file) and a dataset whose bytes live in
// an external raw file are each refused with kUnsupported naming the link, and nothing is
// written. The same file with a plain group converts, with the values written here.
TEST(Convert, H5LinksAndExternalStorageAreRefused) {
  test::TempDir tmp;
  const std::string config =
      R"({"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense",
      "config": {"name": "d", "units": 2, "use_bias": false, "batch_input_shape": [null, 2]}}]}})";
  const std::vector<float> values = {1.5f, -2.25f, 3.0f, 0.125f};
  const hsize_t dims[2] = {2, 2};
  auto strAttr = [](hid_t obj, const char* name, const std::string& v, bool list) {
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, v.size());
    const hsize_t one = 1;
    const hid_t s = list ? H5Screate_simple(1, &one, nullptr) : H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, v.data());
    H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
  };
  // A layer group "<name>" holding weight_names ["d/kernel:0"] and <name>/d/kernel:0 (or, with
  // `external`, the kernel's bytes in the raw file `external`).
  auto writeLayer = [&](hid_t parent, const char* name, const fs::path& external = {}) {
    const hid_t g = H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    strAttr(g, "weight_names", "d/kernel:0", true);
    const hid_t inner = H5Gcreate2(g, "d", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const hid_t s = H5Screate_simple(2, dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (!external.empty()) H5Pset_external(dcpl, external.c_str(), 0, values.size() * 4);
    const hid_t d =
        H5Dcreate2(inner, "kernel:0", H5T_IEEE_F32LE, s, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    EXPECT_GE(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(s);
    H5Gclose(inner);
    H5Gclose(g);
  };
  // kind: "plain", "soft" (model_weights/d -> /elsewhere/d), "elink" (model_weights/d/d -> the
  // group d in other.h5), "extstore" (the kernel's bytes in raw.bin).
  auto writeModel = [&](const fs::path& path, const std::string& kind) {
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    strAttr(f, "keras_version", "2.15.0", false);
    strAttr(f, "backend", "tensorflow", false);
    strAttr(f, "model_config", config, false);
    const hid_t mw = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (kind == "plain") writeLayer(mw, "d");
    if (kind == "extstore") writeLayer(mw, "d", tmp / "raw.bin");
    if (kind == "soft") {
      const hid_t e = H5Gcreate2(f, "elsewhere", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      writeLayer(e, "d");
      H5Gclose(e);
      ASSERT_GE(H5Lcreate_soft("/elsewhere/d", mw, "d", H5P_DEFAULT, H5P_DEFAULT), 0);
    }
    if (kind == "elink") {
      const hid_t g = H5Gcreate2(mw, "d", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      strAttr(g, "weight_names", "d/kernel:0", true);
      ASSERT_GE(H5Lcreate_external((tmp / "other.h5").c_str(), "/layer/d", g, "d", H5P_DEFAULT,
                                   H5P_DEFAULT),
                0);
      H5Gclose(g);
    }
    H5Gclose(mw);
    H5Fclose(f);
  };
  {  // the external link's target: a valid file holding the weight
    const hid_t f = H5Fcreate((tmp / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    writeLayer(f, "layer");
    H5Fclose(f);
  }
  for (const char* kind : {"plain", "soft", "elink", "extstore"}) {
    writeModel(tmp / fmt::format("{}.h5", kind), kind);
  }
  ASSERT_TRUE(fs::exists(tmp / "raw.bin"));  // written by HDF5 through the external storage

  const ModelArtifacts plain = kerasH5ToArtifacts((tmp / "plain.h5").string());
  ASSERT_EQ(plain.weightData.size(), values.size() * 4);
  EXPECT_EQ(std::memcmp(plain.weightData.data(), values.data(), values.size() * 4), 0);
  ASSERT_EQ(groupNames(plain), (std::vector<std::vector<std::string>>{{"d/kernel"}}));

  struct Refusal {
    const char* kind;
    const char* msg;
    const char* weight;
  };
  const std::vector<Refusal> refused = {
      {"soft", "'model_weights/d' is a soft link to '/elsewhere/d'", ""},
      {"elink", "is an external link to '/layer/d' in file '", "d/kernel:0"},
      {"extstore", "dataset stored outside the file (external or virtual layout)", "d/kernel:0"},
  };
  for (const auto& [kind, msg, weight] : refused) {
    SCOPED_TRACE(kind);
    const fs::path in = tmp / fmt::format("{}.h5", kind);
    const fs::path out = tmp / fmt::format("{}-out", kind);
    try {
      convertModel(in.string(), out.string());
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << e.what();
      EXPECT_THAT(e.what(), HasSubstr(msg));
      EXPECT_THAT(e.what(), HasSubstr(in.filename().string()));
      EXPECT_THAT(e.what(), HasSubstr(weight));
    }
    EXPECT_FALSE(fs::exists(out));
  }
}

}  // namespace
}  // namespace tfjs
