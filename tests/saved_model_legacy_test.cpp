// SavedModels written before TF 2.5 (no keras_metadata.pb: the Keras JSON lives in saved_model.pb's
// object graph) and the Keras preprocessing layers real models hold, against real files (the
// licensed ones committed under tests/fixtures/savedmodels, see SOURCES.md there):
//  - every committed TF 2.0-2.4 SavedModel (tf.saved_model.save and model.save; Sequential,
//    Functional of class Model / Functional, a shared nested model, several inputs and outputs,
//    two data files, a stale data file, no input shape): converted to a folder the real TF.js
//    loads and predicts from as our runtime does, every weight byte found in variables.data;
//    a subclassed model refused;
//  - coffee_roast (Keras 2.10 Normalization + Dense): Normalization written as
//    BatchNormalization, which TF.js loads; TF.js's prediction on it equals our runtime's Keras
//    formula on the original;
//  - a Keras .h5 with RandomFlip (unlicensed: ../shared, skipped without it): left out for TF.js;
//  - broken copies of saved_model.pb (a child out of range, a cycle, metadata that is not JSON,
//    a config layer without an object, a weight whose shape disagrees with the config): each a
//    precise error and no output.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "keras/saved_model.h"
#include "saved_model_util.h"
#include "src/keras/proto/saved_model.pb.h"
#include "src/keras/proto/tensor_bundle.pb.h"
#include "test_util.h"
#include "tfjs/convert.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"

namespace tfjs {
namespace {

using keras::readKerasSavedModel;
using namespace smtest;  // NOLINT: the helpers of saved_model_util.h
using ::testing::Contains;

// The SavedModels committed under tests/fixtures/savedmodels (licensed for it; SOURCES.md).
const fs::path kCommitted = fs::path(TFJS_SOURCE_DIR) / "tests" / "fixtures" / "savedmodels";
const fs::path kMlp3 = kCommitted / "tf23_rust_mlp3";
const fs::path kFunctional = kCommitted / "tf23_rust_functional_2in";
const fs::path kCoffee = kCommitted / "k210_coffee_roast_normalization";

// Every weight's bytes occur in the SavedModel's data file(s).
void expectWeightsInData(const KerasFile& f, const fs::path& dir) {
  std::string data;
  for (const auto& e : fs::directory_iterator(dir / "variables")) {
    if (e.path().filename().string().find(".data-") != std::string::npos) {
      data += readBytes(e.path());
    }
  }
  for (const auto& l : f.layers) {
    for (const auto& w : l.weights) {
      EXPECT_NE(data.find(tensorBytes(w.tensor)), std::string::npos) << w.name;
    }
  }
}

std::vector<std::string> weightNames(const KerasFile& f) {
  std::vector<std::string> out;
  for (const auto& l : f.layers) {
    for (const auto& w : l.weights) out.push_back(l.name + ":" + w.name);
  }
  return out;
}

TEST(LegacySavedModel, Tf23SequentialFromTheObjectGraph) {
  const fs::path dir = kMlp3;
  ASSERT_FALSE(fs::exists(dir / "keras_metadata.pb"));
  const KerasFile f = readKerasSavedModel(dir.string());
  EXPECT_EQ(f.kerasVersion, "2.4.0");
  EXPECT_EQ(f.backend, "tensorflow");
  EXPECT_EQ(f.modelConfig["class_name"], "Sequential");
  const Json& layers = f.modelConfig["config"]["layers"];
  ASSERT_EQ(layers.size(), 4u);
  EXPECT_EQ(layers[0]["class_name"], "InputLayer");
  // The `__tuple__` of the metadata, as the .h5 would hold it.
  EXPECT_EQ(layers[0]["config"]["batch_input_shape"], Json::parse("[null, 5]"));
  EXPECT_EQ(f.trainingConfig["loss"], "binary_crossentropy");
  EXPECT_EQ(weightNames(f),
            (std::vector<std::string>{"dense:dense/kernel:0", "dense:dense/bias:0",
                                      "test_in:test_in/kernel:0", "test_in:test_in/bias:0",
                                      "test_out:test_out/kernel:0", "test_out:test_out/bias:0"}));
  EXPECT_EQ(findLayer(f, "test_out")->weights[0].tensor.shape(), (std::vector<int64_t>{5, 1}));
  expectWeightsInData(f, dir);
}

TEST(LegacySavedModel, Tf23FunctionalWithASharedNestedModel) {
  const fs::path dir = kFunctional;
  const KerasFile f = readKerasSavedModel(dir.string());
  EXPECT_EQ(f.modelConfig["class_name"], "Functional");
  EXPECT_EQ(f.modelConfig["config"]["input_layers"].size(), 2u);
  // The nested model is one layer of the outer one, its weights named as in its own scope.
  EXPECT_EQ(weightNames(f),
            (std::vector<std::string>{"functional_1:dense/kernel:0", "functional_1:dense/bias:0",
                                      "test_out:test_out/kernel:0", "test_out:test_out/bias:0"}));
  EXPECT_EQ(findLayer(f, "functional_1")->weights[0].tensor.shape(), (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(findLayer(f, "test_out")->weights[0].tensor.shape(), (std::vector<int64_t>{6, 1}));
  EXPECT_TRUE(findLayer(f, "concatenate"));
  expectWeightsInData(f, dir);
}

// The tensors TF.js fed (decode_folder.mjs "inputs") and its outputs.
std::vector<Tensor> tensorsOf(const Json& list) {
  std::vector<Tensor> out;
  for (const auto& t : list) out.push_back(test::floatTensorFromHex(t["shape"], t["hex"]));
  return out;
}

// Converted, the real TF.js loads the folder and predicts what our runtime predicts from it.
void expectTfjsPredictsLikeUs(const fs::path& out) {
  const test::TfjsRun tf = test::tfjsPredict(out);
  ASSERT_TRUE(tf.ok) << tf.text;
  const auto xs = tensorsOf(tf.predict["inputs"]);
  const auto ys = tensorsOf(tf.predict["outputs"]);
  const auto ours = loadLayersModel(out.string()).predict(xs);
  ASSERT_EQ(ours.size(), ys.size());
  for (size_t i = 0; i < ys.size(); ++i) {
    test::expectClose(ours[i], ys[i]);
    for (float v : ys[i].floats()) EXPECT_TRUE(std::isfinite(v));
  }
}

// Every committed TF 2.0-2.4 SavedModel converts; the real TF.js loads the folder and predicts
// what our runtime predicts from it; every weight is found byte for byte in variables.data-*.
TEST(LegacySavedModel, EveryRealOneConvertsToAModelTfjsRuns) {
  test::TempDir tmp;
  int converted = 0;
  for (const auto& e : fs::directory_iterator(kCommitted)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory() || name.rfind("tf2", 0) != 0 || name == "tf24_tfnet_subclassed" ||
        name == "tf23_tfx_iris_transform_layer") {
      continue;  // refused: a subclassed model, a TensorFlow Transform layer (tests below)
    }
    SCOPED_TRACE(name);
    ASSERT_FALSE(fs::exists(e.path() / "keras_metadata.pb"));
    const fs::path out = tmp / name;
    ConvertOptions o;
    o.inputFormat = "keras_saved_model";
    const ConvertResult r = convertModel(e.path().string(), out.string(), o);
    EXPECT_THAT(r.kerasVersion, ::testing::StartsWith("2."));
    expectTfjsPredictsLikeUs(out);
    // The weights written are the SavedModel's bytes.
    KerasFile f;
    f.layers.push_back({"all", decodeWeights(loadModel(out.string()))});
    expectWeightsInData(f, e.path());
    ++converted;
  }
  EXPECT_EQ(converted, 9);
  // The command, detecting the format.
  const auto run =
      test::runCli("convert " + test::quote(kFunctional) + " " + test::quote(tmp / "cli"));
  EXPECT_EQ(run.exitCode, 0) << run.out;
  EXPECT_EQ(loadModel((tmp / "cli").string()).generatedBy, "keras v2.4.0");
}

// TF 2.0's tf.saved_model.save of a Sequential lists its InputLayer among the object graph's
// layers (not in the config), and a Flatten on [batch, 28, 28] stays.
TEST(LegacySavedModel, Tf20TfSavedModelSave) {
  const KerasFile f =
      readKerasSavedModel((kCommitted / "tf20_kotlindl_mnist_tf_saved_model_save").string());
  EXPECT_EQ(f.kerasVersion, "2.2.4-tf");
  EXPECT_EQ(f.modelConfig["class_name"], "Sequential");
  EXPECT_TRUE(findLayer(f, "flatten"));
}

// Two data files, and a stale third one the index does not name.
TEST(LegacySavedModel, ShardsAreTheIndexs) {
  for (const char* name :
       {"tf20_genomic_gaps_cnn_two_shards", "tf20_country_religion_stale_shard"}) {
    SCOPED_TRACE(name);
    const fs::path dir = kCommitted / name;
    EXPECT_TRUE(fs::exists(dir / "variables" / "variables.data-00001-of-00002"));
    const KerasFile f = readKerasSavedModel(dir.string());
    EXPECT_FALSE(weightNames(f).empty());
    expectWeightsInData(f, dir);
  }
}

// TF 2.0 could leave the first data file empty: the same tensors moved into the second file
// (every entry's shard and offset rewritten) read the same.
TEST(LegacySavedModel, FirstDataFileEmpty) {
  const fs::path from = kCommitted / "tf20_genomic_gaps_cnn_two_shards";
  test::TempDir tmp;
  const fs::path dir = tmp / "m";
  copyTree(from, dir);
  const fs::path d0 = dir / "variables" / "variables.data-00000-of-00002";
  const fs::path d1 = dir / "variables" / "variables.data-00001-of-00002";
  const std::string first = readBytes(d0);
  ASSERT_FALSE(first.empty());
  auto kv = indexEntries(dir);
  for (auto& [k, v] : kv) {
    if (k.empty()) continue;  // the header
    keras::proto::BundleEntryProto e;
    ASSERT_TRUE(e.ParseFromString(v));
    if (e.shard_id() == 0) {
      e.set_shard_id(1);
    } else {
      e.set_offset(e.offset() + static_cast<int64_t>(first.size()));
    }
    v = e.SerializeAsString();
  }
  writeBytes(d1, first + readBytes(d1));
  writeBytes(d0, "");
  writeBytes(dir / "variables" / "variables.index", buildTable(kv));
  const KerasFile moved = readKerasSavedModel(dir.string());
  const KerasFile original = readKerasSavedModel(from.string());
  ASSERT_EQ(weightNames(moved), weightNames(original));
  for (size_t l = 0; l < moved.layers.size(); ++l) {
    for (size_t w = 0; w < moved.layers[l].weights.size(); ++w) {
      EXPECT_EQ(tensorBytes(moved.layers[l].weights[w].tensor),
                tensorBytes(original.layers[l].weights[w].tensor));
    }
  }
}

// A TF 2.1 linear model (Input [None, 2] -> Dense(1)): y = x . kernel + bias, with the kernel and
// bias the SavedModel stores (2.0109668, -0.9778263; 3.0858316).
TEST(LegacySavedModel, Tf21LinearDense1Predicts) {
  test::TempDir tmp;
  convertModel((kCommitted / "tf21_eat30_linear_dense1").string(), (tmp / "m").string());
  const LayersModel m = loadLayersModel((tmp / "m").string());
  Buffer b = Buffer::allocate(16);
  const float x[4] = {1.0f, 2.0f, 5.0f, 7.0f};
  std::memcpy(b.mutableData(), x, 16);
  const Tensor y = m.predict(Tensor(DType::kFloat32, {2, 2}, b, 0));
  EXPECT_NEAR(y.floats()[0], 1.0 * 2.0109668 - 2.0 * 0.9778263 + 3.0858316, 1e-5);
  EXPECT_NEAR(y.floats()[1], 5.0 * 2.0109668 - 7.0 * 0.9778263 + 3.0858316, 1e-5);
}

// A TFX model whose root model_config lost its config: the network's config comes from the
// model's own metadata, as Keras revives it, and its TensorFlow Transform layer is then refused
// by name.
TEST(LegacySavedModel, ConfigFromTheModelsMetadata) {
  const fs::path dir = kCommitted / "tf23_tfx_iris_transform_layer";
  const KerasFile f = readKerasSavedModel(dir.string());
  EXPECT_EQ(f.modelConfig["class_name"], "Functional");
  EXPECT_EQ(f.modelConfig["config"]["input_layers"].size(), 4u);
  test::TempDir tmp;
  const Error e = errorOf([&] { convertModel(dir.string(), (tmp / "out").string()); });
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("TensorFlowTransform>TransformFeaturesLayer"));
  EXPECT_FALSE(fs::exists(tmp / "out"));
}

// A subclassed model has no config: refused, naming its class, and nothing is written.
TEST(LegacySavedModel, SubclassedModelIsRefused) {
  test::TempDir tmp;
  const Error e = errorOf([&] {
    convertModel((kCommitted / "tf24_tfnet_subclassed").string(), (tmp / "out").string());
  });
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("subclassed Keras model (class \"Tiny\")"));
  EXPECT_FALSE(fs::exists(tmp / "out"));
}

// Keras's Normalization, computed as Keras does: (x - mean) / max(sqrt(variance), 1e-7).
TEST(Normalization, KerasFormulaWithGivenStatistics) {
  const Json topology = Json::parse(R"({"class_name": "Sequential", "config": {"name": "s",
    "layers": [{"class_name": "Normalization", "config": {"name": "norm", "axis": -1,
      "mean": [1.0, 2.0], "variance": [4.0, 0.0], "batch_input_shape": [null, 2]}}]}})");
  ModelArtifacts a;
  a.format = "layers-model";
  a.modelTopology = topology;
  a.weightsLoaded = true;
  const LayersModel m = LayersModel::fromArtifacts(a);
  Buffer b = Buffer::allocate(16);
  const float x[4] = {3.0f, 2.5f, -1.0f, 2.0f};
  std::memcpy(b.mutableData(), x, 16);
  const Tensor y = m.predict(Tensor(DType::kFloat32, {2, 2}, b, 0));
  const auto v = y.floats();
  EXPECT_EQ(v[0], 1.0f);          // (3 - 1) / 2
  EXPECT_EQ(v[1], 0.5f / 1e-7f);  // variance 0: divided by epsilon
  EXPECT_EQ(v[2], -1.0f);         // (-1 - 1) / 2
  EXPECT_EQ(v[3], 0.0f);
}

// coffee_roast: Normalization (adapted) + Dense + Dense. By default the TF.js output holds a
// BatchNormalization with the stored mean and variance bytes; TF.js loads it and predicts what
// our runtime's Keras formula predicts from the original classes.
TEST(Normalization, CoffeeRoastRewrittenForTfjs) {
  test::TempDir tmp;
  const fs::path in = kCoffee;
  const ConvertResult r = convertModel(in.string(), (tmp / "tfjs").string());
  EXPECT_THAT(r.notes, Contains(HasSubstr("layer 'normalization' (Normalization) written as "
                                          "BatchNormalization")));
  const ModelArtifacts a = loadModel((tmp / "tfjs").string());
  const Json& layers = a.modelTopology["model_config"]["config"]["layers"];
  bool batchNorm = false;
  for (const auto& l : layers) {
    EXPECT_NE(l["class_name"], "Normalization");
    if (l["class_name"] == "BatchNormalization") {
      batchNorm = true;
      EXPECT_EQ(l["config"]["name"], "normalization");
      EXPECT_EQ(l["config"]["epsilon"], 1e-14);
    }
  }
  EXPECT_TRUE(batchNorm);
  // The mean and variance bytes are the SavedModel's, renamed; count is gone.
  const KerasFile f = readKerasSavedModel(in.string());
  const auto* norm = findLayer(f, "normalization");
  ASSERT_TRUE(norm);
  std::map<std::string, std::string> bytes;
  for (auto& t : decodeWeights(a)) bytes[t.name] = tensorBytes(t.tensor);
  EXPECT_EQ(bytes.count("count"), 0u);
  EXPECT_EQ(bytes.at("normalization/moving_mean"), tensorBytes(norm->weights[0].tensor));
  EXPECT_EQ(bytes.at("normalization/moving_variance"), tensorBytes(norm->weights[1].tensor));

  // The model's input says [null, null]; Keras knows 2 features from adapt(), and the rewrite
  // writes them.
  EXPECT_EQ(layers[0]["config"]["batch_input_shape"], Json::parse("[null, 2]"));
  EXPECT_THAT(r.notes, Contains(HasSubstr("has its last dimension set to 2")));

  // The original classes, kept on request (the input's features set too): our runtime computes
  // Keras's formula, and TF.js's prediction from the rewritten model is the same.
  ConvertOptions keep;
  keep.keepPreprocessingLayers = true;
  const ConvertResult rk = convertModel(in.string(), (tmp / "keep").string(), keep);
  EXPECT_THAT(rk.notes, Contains(HasSubstr("class 'Normalization'")));
  const test::TfjsRun tf = test::tfjsPredict(tmp / "tfjs");
  ASSERT_TRUE(tf.ok) << tf.text;
  const auto xs = tensorsOf(tf.predict["inputs"]);
  const auto ys = tensorsOf(tf.predict["outputs"]);
  test::expectClose(loadLayersModel((tmp / "keep").string()).predict(xs).at(0), ys.at(0));
  test::expectClose(loadLayersModel((tmp / "tfjs").string()).predict(xs).at(0), ys.at(0));
  // TF.js 4.22 cannot load the kept class.
  EXPECT_FALSE(test::tfjsPredict(tmp / "keep").ok);
}

// A Keras 2.15 .h5 whose first layer is RandomFlip: left out, so TF.js loads the model; its
// predictions equal those of the real converter's folder (which TF.js cannot load).
TEST(Preprocessing, RandomFlipLeftOutForTfjs) {
  TFJS_REQUIRE_FIXTURES("pair_tinycnn_k215_conv422");
  test::TempDir tmp;
  const fs::path dir = fixtures / "pair_tinycnn_k215_conv422";
  const ConvertResult r =
      convertModel((dir / "oh_shapes_tinycnn_keras_OHMYGOD.h5").string(), (tmp / "m").string());
  EXPECT_THAT(r.notes, Contains(HasSubstr("(RandomFlip) left out")));
  const std::string json = test::readText(tmp / "m" / "model.json");
  EXPECT_THAT(json, ::testing::Not(HasSubstr("RandomFlip")));
  const test::TfjsRun tf = test::tfjsPredict(tmp / "m");
  ASSERT_TRUE(tf.ok) << tf.text;
  const auto xs = tensorsOf(tf.predict["inputs"]);
  const auto ys = tensorsOf(tf.predict["outputs"]);
  test::expectClose(loadLayersModel((dir / "web_model").string()).predict(xs).at(0), ys.at(0));
  EXPECT_FALSE(test::tfjsPredict(dir / "web_model").ok);  // the real converter's output
}

// --- broken copies of saved_model.pb ---------------------------------------------------------

class BrokenLegacySavedModel : public ::testing::Test {
 protected:
  void SetUp() override {
    copyTree(kMlp3, dir());
    ASSERT_TRUE(model_.ParseFromString(readBytes(pb())));
  }
  fs::path dir() const { return tmp_.path() / "model"; }
  fs::path pb() const { return dir() / "saved_model.pb"; }
  keras::proto::SavedObjectGraph& graph() {
    return *model_.mutable_meta_graphs(0)->mutable_object_graph_def();
  }
  // The node whose metadata names the layer `name`.
  keras::proto::SavedGraphObject& layer(const std::string& name) {
    for (auto& n : *graph().mutable_nodes()) {
      if (n.has_user_object() &&
          n.user_object().metadata().find("\"name\": \"" + name + "\"") != std::string::npos &&
          n.user_object().identifier() == "_tf_keras_layer") {
        return n;
      }
    }
    ADD_FAILURE() << "no layer " << name;
    return *graph().mutable_nodes(0);
  }
  // Writes the edited saved_model.pb and converts: the error, and no output.
  Error convert() {
    writeBytes(pb(), model_.SerializeAsString());
    const fs::path out = tmp_.path() / "out";
    Error e = errorOf([&] { convertModel(dir().string(), out.string()); });
    EXPECT_FALSE(fs::exists(out));
    return e;
  }
  // The root's model_config, edited by `edit`.
  template <typename F>
  void editRootConfig(F&& edit) {
    auto* root = graph().mutable_nodes(0)->mutable_user_object();
    Json j = Json::parse(root->metadata());
    edit(j["model_config"]["config"]["layers"]);
    root->set_metadata(j.dump());
  }

  keras::proto::SavedModel model_;

 private:
  test::TempDir tmp_;
};

TEST_F(BrokenLegacySavedModel, TheCopyConverts) {
  writeBytes(pb(), model_.SerializeAsString());  // a re-serialized file reads the same
  const fs::path out = dir().parent_path() / "ok";
  EXPECT_NO_THROW(convertModel(dir().string(), out.string()));
}

TEST_F(BrokenLegacySavedModel, ChildOutOfRange) {
  graph().mutable_nodes(1)->mutable_children(0)->set_node_id(99999);
  const Error e = convert();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("node 1 ('root.layer_with_weights-0') has a child 'kernel' "
                                  "that is node 99999"));
}

TEST_F(BrokenLegacySavedModel, LayerCycle) {
  auto* c = layer("test_out").add_children();
  c->set_node_id(0);
  c->set_local_name("layer-0");
  const Error e = convert();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("has a cycle"));
  EXPECT_THAT(e.what(), HasSubstr("node 0 ('root')"));
}

TEST_F(BrokenLegacySavedModel, MetadataNotJson) {
  layer("dense").mutable_user_object()->set_metadata("{\"class_name\": \"Dense\", oops");
  const Error e = convert();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("_tf_keras_layer) in saved_model.pb's object graph is not a "
                                  "JSON object"));
}

TEST_F(BrokenLegacySavedModel, ConfigLayerWithoutObject) {
  editRootConfig([](Json& layers) { layers[2]["config"]["name"] = "ghost"; });
  const Error e = convert();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("layer 'ghost' (Dense) of the model config has no object"));
}

TEST_F(BrokenLegacySavedModel, ShapeDisagreesWithTheConfig) {
  editRootConfig([](Json& layers) { layers[2]["config"]["units"] = 4; });
  const Error e = convert();
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("layer 'dense' (Dense)"));
  EXPECT_THAT(e.what(), HasSubstr("[5,4]"));
}

TEST_F(BrokenLegacySavedModel, NoKerasObjectsIsNotAKerasSavedModel) {
  for (auto& n : *graph().mutable_nodes()) {
    if (n.has_user_object()) n.mutable_user_object()->set_identifier("_generic_user_object");
  }
  const Error e = convert();
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_THAT(e.what(), HasSubstr("holds no Keras object"));
}

TEST_F(BrokenLegacySavedModel, NotAProtobuf) {
  writeBytes(pb(), std::string("\x0a\xff\xff\xff\x0f", 5) + "not a proto");
  const Error e = errorOf([&] { readKerasSavedModel(dir().string()); });
  EXPECT_EQ(e.code(), ErrorCode::kSchema);
  EXPECT_THAT(e.what(), HasSubstr("saved_model.pb is not a valid SavedModel protobuf"));
}

}  // namespace
}  // namespace tfjs
