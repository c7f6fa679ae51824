// The public C++ API cannot be misused quietly: tensors check their bytes against their shape,
// views die with their tensor at compile time, buffers are copy on write (a Tensor and a loaded
// model never change behind the caller's back), a LayersModel is move-only with a deep clone(),
// and the tf.LayersModel API (getWeights / setWeights, layers / getLayer, trainable, save) works
// on models loaded from every format tfjs reads.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <type_traits>

#include "test_util.h"
#include "tfjs/builder.h"
#include "tfjs/convert.h"
#include "tfjs/layers_model.h"

namespace tfjs {
namespace {

template <typename T>
concept FloatsOnTemporary = requires {
  std::declval<T&&>().floats();
};
template <typename T>
concept BytesOnTemporary = requires {
  std::declval<T&&>().bytes();
};
template <typename T>
concept StringsOnTemporary = requires {
  std::declval<T&&>().strings();
};
template <typename T>
concept FloatsOnNamed = requires(const T& t) {
  t.floats();
};

static_assert(!FloatsOnTemporary<Tensor>, "a view of a temporary tensor would dangle");
static_assert(!BytesOnTemporary<Tensor>);
static_assert(!StringsOnTemporary<Tensor>);
static_assert(FloatsOnNamed<Tensor>);
static_assert(!std::is_copy_constructible_v<LayersModel> && !std::is_copy_assignable_v<LayersModel>,
              "copies of a model would share its weights: clone() instead");
static_assert(std::is_nothrow_move_constructible_v<LayersModel>);

std::optional<ErrorCode> codeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

std::string messageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Tensor, BufferShorterThanTheShapeIsRefused) {
  // The probe of issue 12: 4 bytes for a [2, 2] float32 tensor read out of bounds in predict.
  Buffer b = Buffer::allocate(4);
  EXPECT_THAT(messageOf([&] {
                Tensor(DType::kFloat32, {2, 2}, b, 0);
              }),
              HasSubstr("needs 16 bytes from offset 0, but the buffer holds 4"));
  Buffer b16 = Buffer::allocate(16);
  EXPECT_EQ(codeOf([&] { Tensor(DType::kFloat32, {2, 2}, b16, 4); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(codeOf([&] { Tensor(DType::kFloat32, {1}, b16, 2); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(codeOf([&] { Tensor(DType::kFloat32, {-1, 4}, b16, 0); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(codeOf([&] {
              Tensor(DType::kInt32, {int64_t{1} << 40, int64_t{1} << 40}, b16, 0);
            }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(codeOf([&] { Tensor(DType::kString, {1}, b16, 0); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(codeOf([&] {
              Tensor(std::vector<int64_t>{3}, {"a", "b"});
            }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(codeOf([&] { Tensor(DType::kFloat32, {2, 2}, b16, 0); }), std::nullopt);
  EXPECT_EQ(codeOf([&] { Tensor(DType::kBool, {3}, Buffer::allocate(4), 1); }), std::nullopt);
  // A default tensor is empty, not a scalar without bytes.
  EXPECT_EQ(Tensor().size(), 0);
  EXPECT_TRUE(Tensor().dataSync().empty());
}

TEST(Tensor, FactoriesAsInTfjs) {
  const Tensor a = tensor({1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(a.dtype(), DType::kFloat32);  // TF.js makes float32 from numbers
  EXPECT_EQ(a.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(a.dataSync(), (std::vector<float>{1, 2, 3, 4}));
  const Tensor flat = tensor({5.5f, 6});
  EXPECT_EQ(flat.shape(), (std::vector<int64_t>{2}));
  const std::vector<int32_t> iv{7, -8, 9};
  const Tensor i = tensor(iv);
  EXPECT_EQ(i.dtype(), DType::kInt32);
  EXPECT_EQ(std::vector<int32_t>(i.ints().begin(), i.ints().end()), iv);
  const std::vector<float> fv{0, 2.5f, -1};
  const Tensor bools = tensor(fv, {3}, DType::kBool);
  EXPECT_EQ(bools.dataSync(), (std::vector<float>{0, 1, 1}));
  EXPECT_EQ(scalar(10).shape(), std::vector<int64_t>{});
  EXPECT_EQ(scalar(10).dataSync(), std::vector<float>{10});
  EXPECT_EQ(zeros({2, 3}).dataSync(), std::vector<float>(6, 0));
  EXPECT_EQ(ones({4}, DType::kInt32).dataSync(), std::vector<float>(4, 1));
  EXPECT_EQ(fill({2}, 7.5f).dataSync(), std::vector<float>(2, 7.5f));
  EXPECT_THAT(messageOf([] {
                tensor({1, 2, 3}, {2, 2});
              }),
              HasSubstr("3 values for shape [2,2] (4 elements)"));
  EXPECT_EQ(codeOf([] { tensor({1}, {1}, DType::kString); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(codeOf([] { tensor({3e9f}, {1}, DType::kInt32); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(codeOf([] { zeros({-2}); }), ErrorCode::kInvalidArgument);
}

TEST(Tensor, IsAValueWhateverHappensToItsBuffer) {
  Buffer b = Buffer::allocate(8);
  const float init[2] = {1, 2};
  std::memcpy(b.mutableData(), init, 8);
  const Tensor t(DType::kFloat32, {2}, b, 0);
  b.mutableData()[0] = 0xff;  // copy on write: b gets its own bytes
  EXPECT_EQ(t.dataSync(), (std::vector<float>{1, 2}));
  EXPECT_NE(b.data(), t.bytes());
  // A Buffer nobody else holds is written in place.
  Buffer own = Buffer::allocate(4);
  const uint8_t* before = own.data();
  EXPECT_EQ(own.mutableData(), before);
}

// The walkthrough's model: y = w * x + b, one Dense unit on one input.
LayersModel denseModel(uint64_t seed = 1) {
  return sequential({layers::dense({.units = 1, .inputShape = {1}, .name = "dense"})}).build(seed);
}

TEST(LayersModelApi, LoadedModelDoesNotSeeTheCallersWeightBytesChange) {
  const fs::path dir = testing::TempDir() + "/api_loaded";
  fs::remove_all(dir);
  LayersModel m = denseModel();
  m.setWeights({tensor({2}, {1, 1}), tensor({-1}, {1})});
  m.save(dir.string());
  ModelArtifacts a = loadModel(dir.string());
  const LayersModel loaded = LayersModel::fromArtifacts(a);
  EXPECT_EQ(loaded.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{19});
  std::memset(a.weightData.mutableData(), 0, a.weightData.size());  // the caller's copy only
  EXPECT_EQ(loaded.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{19});
}

TEST(LayersModelApi, SetWeightsGetWeightsAndTheirChecks) {
  LayersModel m = denseModel();
  const auto w = m.getWeights();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].name, "dense/kernel");
  EXPECT_EQ(w[1].name, "dense/bias");
  m.setWeights({tensor({2}, {1, 1}), tensor({-1}, {1})});
  EXPECT_EQ(m.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{19});
  EXPECT_EQ(m.getWeights()[0].tensor.dataSync(), std::vector<float>{2});
  const std::vector<int32_t> three{3};
  m.setWeights({tensor(three, {1, 1}), tensor({0}, {1})});  // int32 is converted
  EXPECT_EQ(m.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{30});
  EXPECT_THAT(messageOf([&] {
                m.setWeights({tensor({2}, {1, 1})});
              }),
              HasSubstr("1 tensor(s) given, 2 expected"));
  EXPECT_THAT(messageOf([&] {
                m.setWeights({tensor({2, 3}, {2}), tensor({0}, {1})});
              }),
              HasSubstr("'dense/kernel' has shape [1,1], [2] given"));
  // Nothing changed by the refused calls.
  EXPECT_EQ(m.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{30});
}

TEST(LayersModelApi, CloneIsDeepAndWeightsAreValues) {
  LayersModel m = denseModel();
  m.setWeights({tensor({2}, {1, 1}), tensor({-1}, {1})});
  LayersModel c = m.clone();
  EXPECT_EQ(c.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{19});
  const auto before = m.getWeights();
  c.compile({.optimizer = "sgd", .loss = {"meanSquaredError"}});
  const Tensor xs = tensor({-1, 0, 1, 2, 3, 4}, {6, 1});
  const Tensor ys = tensor({0, 0, 0, 0, 0, 0}, {6, 1});
  c.fit(xs, ys, {.epochs = 5, .batchSize = 6});
  EXPECT_NE(c.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{19});
  EXPECT_EQ(m.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{19});
  // Weights taken before training are values: training m itself leaves them as they were.
  m.compile({.optimizer = "sgd", .loss = {"meanSquaredError"}});
  const auto taken = m.getWeights();
  m.fit(xs, ys, {.epochs = 3, .batchSize = 6});
  EXPECT_EQ(taken[0].tensor.dataSync(), std::vector<float>{2});
  EXPECT_NE(m.getWeights()[0].tensor.dataSync(), std::vector<float>{2});
  EXPECT_EQ(before[0].tensor.dataSync(), std::vector<float>{2});
  // A moved-from model says so instead of crashing.
  LayersModel moved = std::move(m);
  EXPECT_EQ(codeOf([&] { (void)m.inputs(); }), ErrorCode::kInvalidArgument);  // NOLINT
  EXPECT_EQ(moved.inputs().size(), 1u);
}

TEST(LayersModelApi, LayersGetLayerAndFreezing) {
  LayersModel m = sequential({layers::dense({.units = 3, .inputShape = {2}, .name = "base"}),
                              layers::dense({.units = 1, .name = "head"})})
                      .build(3);
  const auto all = m.layers();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name(), "base");
  EXPECT_EQ(all[1].className(), "Dense");
  EXPECT_EQ(all[0].countParams(), 9);
  EXPECT_EQ(all[0].getWeights().size(), 2u);
  EXPECT_EQ(all[0].getConfig()["units"], 3);
  EXPECT_THAT(messageOf([&] { m.getLayer("nope"); }),
              HasSubstr("no layer named 'nope' (layers: base, head)"));
  Layer base = m.getLayer("base");
  EXPECT_TRUE(base.trainable());
  base.setTrainable(false);
  EXPECT_FALSE(m.getLayer("base").trainable());
  const auto baseBefore = base.getWeights();
  const auto headBefore = m.getLayer("head").getWeights();
  m.compile({.optimizer = "sgd", .loss = {"meanSquaredError"}});
  m.fit(tensor({1, 2, 3, 4}, {2, 2}), tensor({1, -1}, {2, 1}), {.epochs = 2, .batchSize = 2});
  const auto baseAfter = m.getLayer("base").getWeights();
  for (size_t i = 0; i < baseBefore.size(); ++i) {
    EXPECT_EQ(baseAfter[i].tensor.dataSync(), baseBefore[i].tensor.dataSync()) << i;
  }
  EXPECT_NE(m.getLayer("head").getWeights()[0].tensor.dataSync(), headBefore[0].tensor.dataSync());
  EXPECT_THAT(m.summary(), HasSubstr("Non-trainable params: 9"));
  // The flag is saved, and a saved-and-loaded model keeps it.
  const fs::path dir = testing::TempDir() + "/api_frozen";
  fs::remove_all(dir);
  m.save(dir.string());
  const LayersModel back = loadLayersModel(dir.string());
  EXPECT_FALSE(back.getLayer("base").trainable());
  EXPECT_TRUE(back.getLayer("head").trainable());
  // Layer::setWeights replaces that layer's weights only.
  Layer head = m.getLayer("head");
  head.setWeights({zeros({3, 1}), tensor({4}, {1})});
  EXPECT_EQ(m.predict(tensor({1, 2}, {1, 2})).dataSync(), std::vector<float>{4});
  // A Layer keeps its model alive.
  Layer survivor = LayersModel(denseModel()).getLayer("dense");
  EXPECT_EQ(survivor.getWeights().size(), 2u);
}

TEST(LayersModelApi, LoadsKerasFilesDirectly) {
  const fs::path dir = testing::TempDir() + "/api_keras";
  fs::remove_all(dir);
  fs::create_directories(dir);
  LayersModel m = denseModel();
  m.setWeights({tensor({2}, {1, 1}), tensor({-1}, {1})});
  m.save((dir / "tfjs").string());
  ConvertOptions to;
  to.outputFormat = "keras";
  convertModel((dir / "tfjs").string(), (dir / "model.h5").string(), to);
  to.outputFormat = "keras_keras";
  convertModel((dir / "tfjs").string(), (dir / "model.keras").string(), to);
  for (const char* f : {"model.h5", "model.keras"}) {
    SCOPED_TRACE(f);
    const LayersModel k = loadLayersModel((dir / f).string());
    EXPECT_EQ(k.predict(tensor({10}, {1, 1})).dataSync(), std::vector<float>{19});
  }
  // loadModel (TF.js files only) names what the file is instead of a JSON parse error.
  EXPECT_THAT(messageOf([&] { loadModel((dir / "model.h5").string()); }),
              HasSubstr("HDF5 file (a Keras .h5 model), not a TF.js model.json"));
  EXPECT_THAT(messageOf([&] { loadModel((dir / "model.keras").string()); }),
              HasSubstr("zip archive"));
  // A committed tf.keras SavedModel folder.
  const fs::path sm =
      fs::path(TFJS_SOURCE_DIR) / "tests/fixtures/savedmodels/tf21_eat30_linear_dense1";
  const LayersModel s = loadLayersModel(sm.string());
  EXPECT_EQ(s.inputs().size(), 1u);
  EXPECT_EQ(s.layers().size(), 1u);
  EXPECT_THAT(messageOf([&] { loadModel(sm.string()); }), HasSubstr("it is a SavedModel"));
}

}  // namespace
}  // namespace tfjs
