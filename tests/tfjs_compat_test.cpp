// convert/tfjs_compat.h: Keras models rewritten into layers TF.js 4.22 loads, checked against the
// real TF.js. Each case is a small Keras topology with seeded statistics; the rewritten model is
// saved, loaded and run by the real TF.js (tests/oracle/decode_folder.mjs), and TF.js's output
// must equal what our runtime computes with Keras's own formula on the original model (which
// TF.js cannot load). Tolerance: test::expectClose (1e-5 + 1e-4 |y|). Also Keras's RandomCrop at
// inference on hand-computed values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "convert/tfjs_compat.h"
#include "test_util.h"
#include "tfjs/convert.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"
#include "tfjs/weights.h"

namespace tfjs {
namespace {

using ::testing::Contains;

Tensor floats(std::vector<int64_t> shape, const std::vector<float>& v) {
  Buffer b = Buffer::allocate(std::max<size_t>(v.size(), 1) * 4);
  if (!v.empty()) std::memcpy(b.mutableData(), v.data(), v.size() * 4);
  return Tensor(DType::kFloat32, std::move(shape), b, 0);
}

Tensor int32Scalar(int32_t v) {
  Buffer b = Buffer::allocate(4);
  std::memcpy(b.mutableData(), &v, 4);
  return Tensor(DType::kInt32, {}, b, 0);
}

// A converter-style layers model: {keras_version, model_config} and one weight group.
ModelArtifacts kerasModel(const Json& modelConfig, const std::vector<NamedTensor>& weights) {
  ModelArtifacts a;
  a.format = "layers-model";
  a.modelTopology = {
      {"keras_version", "2.10.0"}, {"backend", "tensorflow"}, {"model_config", modelConfig}};
  std::vector<EncodedGroup> groups;
  groups.push_back(encodeWeights(weights));
  setWeightGroups(a, std::move(groups));
  return a;
}

Json sequential(const Json& normConfig, int64_t features) {
  Json norm = normConfig;
  norm["name"] = "norm";
  norm["batch_input_shape"] = Json::array({nullptr, features});
  return {{"class_name", "Sequential"},
          {"config",
           {{"name", "sequential"},
            {"layers", Json::array({{{"class_name", "Normalization"}, {"config", norm}},
                                    {{"class_name", "Dense"},
                                     {"config",
                                      {{"name", "dense"},
                                       {"units", 2},
                                       {"activation", "linear"},
                                       {"use_bias", true}}}}})}}}};
}

std::vector<float> seeded(size_t n, float scale, float offset) {
  std::vector<float> v(n);
  uint32_t s = 12345;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = offset + scale * static_cast<float>(s >> 8) / static_cast<float>(1u << 24);
  }
  return v;
}

// Rewrites `original` for TF.js, saves it, and checks the real TF.js's prediction against our
// runtime's on the original (Keras's formula). Returns the notes.
std::vector<std::string> expectRewriteMatchesKeras(const ModelArtifacts& original,
                                                   const std::string& newClass) {
  test::TempDir tmp;
  ModelArtifacts rewritten = original;
  std::vector<std::string> notes;
  convert::rewriteForTfjs(rewritten, {}, false, notes);
  const Json& first = rewritten.modelTopology["model_config"]["config"]["layers"][0];
  EXPECT_EQ(first["class_name"], newClass);
  saveModel(rewritten, (tmp / "m").string());
  const test::TfjsRun tf = test::tfjsPredict(tmp / "m");
  EXPECT_TRUE(tf.ok) << tf.text;
  if (!tf.ok) return notes;
  const Tensor x =
      test::floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
  const Tensor y =
      test::floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]);
  test::expectClose(LayersModel::fromArtifacts(original).predict(x), y);
  // Our runtime on the rewritten model too (TF.js's BatchNormalization / Rescaling arithmetic).
  test::expectClose(LayersModel::fromArtifacts(rewritten).predict(x), y);
  return notes;
}

// Saves `forTfjs`, has the real TF.js load and run it, and compares its output with our runtime's
// on `ours` (the same model before the rewrite, or the rewritten one).
void expectTfjsPredictsAs(const ModelArtifacts& forTfjs, const ModelArtifacts& ours) {
  test::TempDir tmp;
  saveModel(forTfjs, (tmp / "m").string());
  const test::TfjsRun tf = test::tfjsPredict(tmp / "m");
  ASSERT_TRUE(tf.ok) << tf.text;
  const Tensor x =
      test::floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
  test::expectClose(
      LayersModel::fromArtifacts(ours).predict(x),
      test::floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]));
}

const std::vector<float> kDense = seeded(8, 2.0f, -1.0f);

TEST(TfjsCompat, AdaptedNormalizationBecomesBatchNormalization) {
  const auto mean = seeded(4, 1.0f, -0.5f), variance = seeded(4, 3.0f, 0.01f);
  const ModelArtifacts a =
      kerasModel(sequential({{"axis", -1}}, 4), {{"mean", floats({4}, mean)},
                                                 {"variance", floats({4}, variance)},
                                                 {"count", int32Scalar(100)},
                                                 {"dense/kernel", floats({4, 2}, kDense)},
                                                 {"dense/bias", floats({2}, {0.5f, -0.5f})}});
  const auto notes = expectRewriteMatchesKeras(a, "BatchNormalization");
  EXPECT_THAT(notes, Contains(HasSubstr("written as BatchNormalization")));
}

TEST(TfjsCompat, InvertedNormalizationBecomesBatchNormalizationWithGammaAndBeta) {
  const auto mean = seeded(3, 4.0f, 1.0f), variance = seeded(3, 2.0f, 0.5f);
  const ModelArtifacts a = kerasModel(
      sequential({{"axis", -1}, {"invert", true}}, 3),
      {{"mean", floats({3}, mean)},
       {"variance", floats({3}, variance)},
       {"count", int32Scalar(7)},
       {"dense/kernel", floats({3, 2}, std::vector<float>(kDense.begin(), kDense.begin() + 6))},
       {"dense/bias", floats({2}, {0.0f, 1.0f})}});
  const auto notes = expectRewriteMatchesKeras(a, "BatchNormalization");
  EXPECT_THAT(notes, Contains(HasSubstr("(Normalization, invert)")));
}

TEST(TfjsCompat, GivenStatisticsPerFeatureBecomeBatchNormalization) {
  const ModelArtifacts a =
      kerasModel(sequential({{"axis", -1}, {"mean", {1.0, -2.0}}, {"variance", {0.25, 9.0}}}, 2),
                 {{"dense/kernel", floats({2, 2}, {1.0f, 2.0f, 3.0f, 4.0f})},
                  {"dense/bias", floats({2}, {0.0f, 0.0f})}});
  expectRewriteMatchesKeras(a, "BatchNormalization");
}

TEST(TfjsCompat, OneGlobalMeanBecomesRescaling) {
  const ModelArtifacts a = kerasModel(
      sequential({{"axis", nullptr}}, 3),
      {{"mean", floats({}, {2.5f})},
       {"variance", floats({}, {6.25f})},
       {"count", int32Scalar(3)},
       {"dense/kernel", floats({3, 2}, std::vector<float>(kDense.begin(), kDense.begin() + 6))},
       {"dense/bias", floats({2}, {0.0f, 0.0f})}});
  const auto notes = expectRewriteMatchesKeras(a, "Rescaling");
  EXPECT_THAT(notes, Contains(HasSubstr("written as Rescaling(scale 0.4, offset -1.0)")));
}

// The largest difference between Keras's formula and TF.js's BatchNormalization, over 64 features
// with variances down to 1e-6: at most one float32 step (ulp) of the result, the rounding of the
// last step (TF.js's cpu kernel computes in double, Keras in float32).
TEST(TfjsCompat, BatchNormalizationIsWithinOneUlpOfKeras) {
  const auto mean = seeded(64, 10.0f, -5.0f);
  auto variance = seeded(64, 4.0f, 0.0f);
  for (size_t i = 0; i < variance.size(); i += 8) variance[i] = 1e-6f * static_cast<float>(i + 1);
  Json topo = sequential({{"axis", -1}}, 64);
  topo["config"]["layers"].erase(1);  // the Normalization alone
  const ModelArtifacts a = kerasModel(topo, {{"mean", floats({64}, mean)},
                                             {"variance", floats({64}, variance)},
                                             {"count", int32Scalar(10)}});
  test::TempDir tmp;
  ModelArtifacts rewritten = a;
  std::vector<std::string> notes;
  convert::rewriteForTfjs(rewritten, {}, false, notes);
  saveModel(rewritten, (tmp / "m").string());
  const test::TfjsRun tf = test::tfjsPredict(tmp / "m");
  ASSERT_TRUE(tf.ok) << tf.text;
  const Tensor x =
      test::floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
  const Tensor y =
      test::floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]);
  const Tensor keras = LayersModel::fromArtifacts(a).predict(x);
  int64_t worst = 0;
  for (size_t i = 0; i < y.floats().size(); ++i) {
    int32_t p, q;
    std::memcpy(&p, &keras.floats()[i], 4);
    std::memcpy(&q, &y.floats()[i], 4);
    worst = std::max<int64_t>(worst, std::abs(static_cast<int64_t>(p) - q));
  }
  EXPECT_LE(worst, 1) << "ulps";
}

// Normalization over a non-last axis is kept (TF.js's cpu BatchNormalization would index its
// statistics along the last axis), with a note.
TEST(TfjsCompat, NormalizationOverAnotherAxisIsKept) {
  Json topo = sequential({{"axis", 1}}, 4);
  topo["config"]["layers"][0]["config"]["batch_input_shape"] = Json::array({nullptr, 3, 4});
  ModelArtifacts a = kerasModel(topo, {{"mean", floats({3}, {1, 2, 3})},
                                       {"variance", floats({3}, {1, 1, 1})},
                                       {"count", int32Scalar(1)}});
  std::vector<std::string> notes;
  convert::rewriteForTfjs(a, {}, false, notes);
  EXPECT_EQ(a.modelTopology["model_config"]["config"]["layers"][0]["class_name"], "Normalization");
  EXPECT_THAT(notes, Contains(HasSubstr("kept: it normalizes over axes [1]")));
}

// A functional model: the augmentation layers between the input and a Dense are left out, the
// Dense then reads the input.
TEST(TfjsCompat, FunctionalAugmentationLayersAreLeftOut) {
  const Json topo = Json::parse(R"({"class_name": "Functional", "config": {"name": "f",
    "layers": [
      {"class_name": "InputLayer", "name": "in", "inbound_nodes": [],
       "config": {"name": "in", "batch_input_shape": [null, 4, 4, 1], "dtype": "float32"}},
      {"class_name": "RandomFlip", "name": "flip", "config": {"name": "flip", "mode": "horizontal"},
       "inbound_nodes": [[["in", 0, 0, {}]]]},
      {"class_name": "RandomRotation", "name": "rot", "config": {"name": "rot", "factor": 0.1},
       "inbound_nodes": [[["flip", 0, 0, {}]]]},
      {"class_name": "Flatten", "name": "flat", "config": {"name": "flat"},
       "inbound_nodes": [[["rot", 0, 0, {}]]]},
      {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 1},
       "inbound_nodes": [[["flat", 0, 0, {}]]]}],
    "input_layers": [["in", 0, 0]], "output_layers": [["out", 0, 0]]}})");
  const ModelArtifacts a = kerasModel(topo, {{"out/kernel", floats({16, 1}, seeded(16, 1, 0))},
                                             {"out/bias", floats({1}, {0.25f})}});
  ModelArtifacts rewritten = a;
  std::vector<std::string> notes;
  convert::rewriteForTfjs(rewritten, {}, false, notes);
  const Json& layers = rewritten.modelTopology["model_config"]["config"]["layers"];
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[1]["inbound_nodes"][0][0][0], "in");
  EXPECT_THAT(notes, Contains(HasSubstr("layer 'rot' (RandomRotation) left out")));
  expectTfjsPredictsAs(rewritten, a);
}

// Keras 2.0's Embedding(dtype='int32') meant its input's dtype; TF.js would make the embeddings
// int32 and refuse the float32 values ("dtype of the new value (float32) and previous value
// (int32) must match"). Written float32, TF.js loads the model and predicts as our runtime does.
TEST(TfjsCompat, Keras20EmbeddingDtypeIsTheInputs) {
  const Json topo = Json::parse(R"({"class_name": "Sequential", "config": {"name": "s",
    "layers": [{"class_name": "Embedding", "config": {"name": "emb", "input_dim": 10,
      "output_dim": 3, "dtype": "int32", "batch_input_shape": [null, 4]}},
      {"class_name": "Flatten", "config": {"name": "f"}},
      {"class_name": "Dense", "config": {"name": "d", "units": 1}}]}})");
  ModelArtifacts a = kerasModel(topo, {{"emb/embeddings", floats({10, 3}, seeded(30, 1, -0.5f))},
                                       {"d/kernel", floats({12, 1}, seeded(12, 1, -0.5f))},
                                       {"d/bias", floats({1}, {0.1f})}});
  std::vector<std::string> notes;
  convert::rewriteForTfjs(a, {}, false, notes);
  EXPECT_THAT(notes, Contains(HasSubstr("dtype int32 written as float32")));
  expectTfjsPredictsAs(a, a);
}

// Every real Keras file of ../shared/fixtures/real converts to a folder the real TF.js loads and
// predicts from, except what TF.js 4.22 cannot compute: GRU with reset_after (TF.js refuses it;
// tfjs-cpp runs it), TensorFlowOpLayer and custom classes (refused by convert), a save_weights
// file (no topology) and a SavedModel of no Keras model (refused by convert).
TEST(RealKerasFiles, EveryOneTfjsCanComputeLoadsInTfjs) {
  TFJS_REQUIRE_FIXTURES("h5_k210_gru", "keras3_gru_h5_and_tfjs_converter422",
                        "keras3_gru_keras_and_h5", "pair_anime4k_srgan_functional",
                        "pair_har_lstm_multigroup_tfjs0x", "pair_pytraining_custom_layer_noweights",
                        "savedmodel_nonkeras_tfjs_node_times_three");
  const std::set<std::string> tfjsCannot = {
      "h5_k210_gru/gru_model.h5",  // GRU reset_after
      "keras3_gru_h5_and_tfjs_converter422/gru-6d.h5",
      "keras3_gru_keras_and_h5/gru_model.h5",
      "keras3_gru_keras_and_h5/models/gru_model.keras",
      "pair_anime4k_srgan_functional/generator.h5",  // TensorFlowOpLayer
      "pair_anime4k_srgan_functional/new.h5",
      "pair_pytraining_custom_layer_noweights/hyper.h5",               // a custom class
      "pair_har_lstm_multigroup_tfjs0x/har_model_weights.h5",          // save_weights: no topology
      "savedmodel_nonkeras_tfjs_node_times_three/times_three_float"};  // not Keras
  std::vector<fs::path> inputs;
  for (const auto& e : fs::recursive_directory_iterator(fixtures)) {
    const auto ext = e.path().extension();
    if (ext == ".h5" || ext == ".keras") inputs.push_back(e.path());
    if (e.path().filename() == "saved_model.pb") inputs.push_back(e.path().parent_path());
  }
  std::sort(inputs.begin(), inputs.end());
  test::TempDir tmp;
  int loaded = 0;
  for (const fs::path& in : inputs) {
    const std::string rel = fs::relative(in, fixtures).string();
    if (tfjsCannot.count(rel)) continue;
    SCOPED_TRACE(rel);
    const fs::path out = tmp / fmt::format("m{}", loaded);
    ConvertOptions o;
    if (in.extension() == ".keras") o.outputFormat = "tfjs_layers_model";
    convertModel(in.string(), out.string(), o);
    const test::TfjsRun tf = test::tfjsPredict(out);
    ASSERT_TRUE(tf.ok) << tf.text;
    const Tensor x =
        test::floatTensorFromHex(tf.predict["input"]["shape"], tf.predict["input"]["hex"]);
    const Tensor y =
        test::floatTensorFromHex(tf.predict["output"]["shape"], tf.predict["output"]["hex"]);
    for (float v : y.floats()) EXPECT_TRUE(std::isfinite(v));
    // (With unknown dimensions fed as 2, a 'valid' window larger than the input gives TF.js an
    // empty output, which our runtime refuses with a message instead.)
    if (tf.predict["inputs"].size() == 1 && !y.floats().empty()) {
      test::expectClose(loadLayersModel(out.string()).predict(x), y);
    }
    ++loaded;
  }
  EXPECT_GE(loaded, 29);
}

// Keras's RandomCrop at inference (keras 2.7+ smart_resize): a 4x6 image to 2x2 takes the
// centered 4x4 box (columns 1-4) and halves it bilinearly with half-pixel centers, which averages
// each 2x2 block.
TEST(RandomCrop, InferenceIsKerasSmartResize) {
  const Json topo = Json::parse(R"({"class_name": "Sequential", "config": {"name": "s",
    "layers": [{"class_name": "RandomCrop", "config": {"name": "crop", "height": 2, "width": 2,
      "batch_input_shape": [null, 4, 6, 1]}}]}})");
  ModelArtifacts a;
  a.format = "layers-model";
  a.modelTopology = topo;
  a.weightsLoaded = true;
  std::vector<float> x(24);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);  // x[r][c] = 6r + c
  const Tensor y = LayersModel::fromArtifacts(a).predict(floats({1, 4, 6, 1}, x));
  ASSERT_EQ(y.shape(), (std::vector<int64_t>{1, 2, 2, 1}));
  const auto v = y.floats();
  EXPECT_EQ(std::vector<float>(v.begin(), v.end()), (std::vector<float>{4.5f, 6.5f, 16.5f, 18.5f}));
}

}  // namespace
}  // namespace tfjs
