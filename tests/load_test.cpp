// Loading, validating, inspecting and re-saving every real model under ../shared/fixtures/real,
// plus the spec's file-level test vectors (T-9, T-10, T-11) read from the real files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include <fmt/format.h>

#include "test_util.h"
#include "tfjs/convert.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

// Every JSON file of the fixtures that is a TF.js model.json (an object with a topology or a
// weights manifest).
std::vector<fs::path> realModelJsons(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    const std::string name = e.path().filename().string();
    if (name.find("-data.json") != std::string::npos ||
        name.find("-shapes.json") != std::string::npos) {
      continue;
    }
    try {
      const Json j = Json::parse(test::readText(e.path()));
      if (j.is_object() && (j.contains("weightsManifest") || j.contains("modelTopology"))) {
        out.push_back(e.path());
      }
    } catch (const std::exception&) {
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RealModels, EveryModelJsonLoadsValidatesAndInspects) {
  TFJS_REQUIRE_FIXTURES();
  const auto models = realModelJsons(fixtures);
  ASSERT_GE(models.size(), test::haveAllFixtures() ? 30u : 24u);
  for (const auto& path : models) {
    SCOPED_TRACE(path.string());
    const ModelArtifacts a = loadModel(path.string());
    EXPECT_TRUE(a.weightsLoaded);
    EXPECT_TRUE(validateModel(path.string()).empty());
    const auto tensors = decodeWeights(a);
    EXPECT_EQ(tensors.size(), a.weightCount());
    // Intact; those the real TF.js 4.22 cannot load (Keras 3 converter outputs, classes TF.js
    // lacks) have tfjs-incompatible problems only (tfjs_check_test checks them against TF.js).
    const bool tfjsLoads = tfjsLoadProblems(a).empty();
    const auto inspect = runCli("inspect " + quote(path));
    EXPECT_EQ(inspect.exitCode, tfjsLoads ? 0 : 1) << inspect.out;
    EXPECT_THAT(inspect.out,
                ::testing::HasSubstr(tfjsLoads ? "Integrity: OK" : "[tfjs-incompatible]"));
    const auto json = runCli("inspect --json " + quote(path));
    ASSERT_EQ(json.exitCode, tfjsLoads ? 0 : 1) << json.out;
    const Json doc = Json::parse(json.out);
    for (const char* key : {"format", "generatedBy", "convertedBy", "layers", "weights",
                            "totalParams", "integrity", "groups"}) {
      EXPECT_TRUE(doc.contains(key)) << key;
    }
    ASSERT_EQ(doc["weights"].size(), a.weightCount());
    for (const auto& w : doc["weights"]) {
      for (const char* key : {"name", "shape", "dtype", "quantization", "group", "byteOffset",
                              "byteLength", "shards"}) {
        EXPECT_TRUE(w.contains(key)) << key;
      }
    }
    for (const auto& p : doc["integrity"]["problems"]) EXPECT_EQ(p["kind"], "tfjs-incompatible");
    EXPECT_EQ(runCli("validate " + quote(path)).exitCode, tfjsLoads ? 0 : 1);
  }
}

TEST(RealModels, SaveThenLoadRoundTripsBytesAndJson) {
  TFJS_REQUIRE_FIXTURES();
  for (const auto& path : realModelJsons(fixtures)) {
    SCOPED_TRACE(path.string());
    const ModelArtifacts a = loadModel(path.string());
    TempDir tmp;
    // A small shard size makes tensors span shard boundaries (kept to <= 64 shards per model).
    const uint64_t shard = std::max<uint64_t>(4096, a.weightData.size() / 64 + 1);
    saveModel(a, (tmp / "out").string(), {.shardSizeBytes = shard});
    const ModelArtifacts b = loadModel((tmp / "out").string());
    ASSERT_EQ(a.weightData.size(), b.weightData.size());
    EXPECT_EQ(std::memcmp(a.weightData.data(), b.weightData.data(), a.weightData.size()), 0);
    // Everything but the shard names is unchanged.
    Json ja = Json::parse(toModelJson(a));
    Json jb = Json::parse(toModelJson(b));
    for (auto* j : {&ja, &jb}) {
      if (j->contains("weightsManifest")) {
        for (auto& g : (*j)["weightsManifest"]) g.erase("paths");
      }
    }
    EXPECT_EQ(ja, jb);
    for (size_t g = 0; g < b.weightsManifest.size(); ++g) {
      for (size_t k = 0; k < b.weightsManifest[g].paths.size(); ++k) {
        EXPECT_EQ(b.weightsManifest[g].paths[k],
                  fmt::format("group{}-shard{}of{}.bin", g + 1, k + 1,
                              b.weightsManifest[g].paths.size()));
      }
    }
  }
}

TEST(RealModels, ConverterZeroXMultiGroupModel) {
  TFJS_REQUIRE_FIXTURES("pair_har_lstm_multigroup_tfjs0x");
  const ModelArtifacts a = loadModel((fixtures / "pair_har_lstm_multigroup_tfjs0x").string());
  EXPECT_FALSE(a.format.has_value());
  EXPECT_EQ(a.inferredFormat(), ModelFormat::kLayers);
  EXPECT_EQ(a.weightsManifest.size(), 4u);
  EXPECT_EQ(a.kerasModelConfig()["class_name"], "Sequential");
}

TEST(RealModels, QuantizedModelsDecode) {
  TFJS_REQUIRE_FIXTURES("graph_eyeblink_uint16", "graph_faceboxes_float16",
                        "tfjs_layers_nsfwjs_mobilenet_v2_uint8");
  struct Case {
    const char* path;
    DType storage;
  };
  for (const Case& c : {Case{"tfjs_layers_nsfwjs_mobilenet_v2_uint8", DType::kUint8},
                        Case{"graph_eyeblink_uint16", DType::kUint16},
                        Case{"graph_faceboxes_float16/faceboxes.json", DType::kFloat16}}) {
    SCOPED_TRACE(c.path);
    const ModelArtifacts a = loadModel((fixtures / c.path).string());
    size_t quantized = 0;
    for (const auto* w : a.weightSpecs()) {
      if (w->quantization) {
        ++quantized;
        EXPECT_EQ(w->quantization->dtype, c.storage);
      }
    }
    EXPECT_GT(quantized, 0u);
    for (const auto& [name, t] : decodeWeights(a)) {
      if (t.dtype() != DType::kFloat32) continue;
      for (float v : t.floats()) ASSERT_FALSE(std::isnan(v)) << name;
    }
  }
}

TEST(SpecVectors, T9JsSavedLayersModel) {
  TFJS_REQUIRE_FIXTURES("tfjs_e2e_load_predict_data");
  const fs::path dir = fixtures / "tfjs_e2e_load_predict_data/layers_model";
  const ModelArtifacts a = loadModel(dir.string());
  EXPECT_EQ(a.generatedBy, "TensorFlow.js tfjs-layers v0.0.0");
  EXPECT_FALSE(a.convertedBy.has_value());
  EXPECT_EQ(a.modelTopology["backend"], "tensor_flow.js");
  ASSERT_EQ(a.weightsManifest.size(), 1u);
  EXPECT_EQ(a.weightsManifest[0].paths, std::vector<std::string>{"weights.bin"});
  EXPECT_EQ(a.weightData.size(), 9200u);
  const auto ts = decodeWeights(a);
  ASSERT_EQ(ts.size(), 4u);
  EXPECT_EQ(ts[0].name, "embedding_Embedding2/embeddings");
  EXPECT_EQ(ts[0].tensor.shape(), (std::vector<int64_t>{100, 20}));
  EXPECT_EQ(ts[3].tensor.shape(), (std::vector<int64_t>{12}));
}

TEST(SpecVectors, T10MinimalGraphModel) {
  TFJS_REQUIRE_FIXTURES("tfjs_e2e_load_predict_data");
  const ModelArtifacts a =
      loadModel((fixtures / "tfjs_e2e_load_predict_data/graph_model").string());
  EXPECT_EQ(a.inferredFormat(), ModelFormat::kGraph);
  const auto ts = decodeWeights(a);
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].name, "w");
  EXPECT_THAT(std::vector<float>(ts[0].tensor.floats().begin(), ts[0].tensor.floats().end()),
              ::testing::ElementsAre(0.017376422882080078f, -0.45012539625167847f,
                                     0.7393851280212402f, 0.2666316032409668f));
  EXPECT_TRUE(ts[0].tensor.sharesBuffer(a.weightData));
  const auto hex = runCli("hexdump " + quote(fixtures / "tfjs_e2e_load_predict_data/graph_model"));
  EXPECT_EQ(hex.exitCode, 0);
  EXPECT_THAT(hex.out, ::testing::HasSubstr("00 59 8e 3c d6 76 e6 be  58 48 3d 3f f0 83 88 3e"));
  EXPECT_THAT(hex.out, ::testing::HasSubstr("[0] 0.017376423"));
}

TEST(SpecVectors, T11ManifestOrderNotNodeOrder) {
  TFJS_REQUIRE_FIXTURES("graph_tfjs_rn_dense");
  const ModelArtifacts a = loadModel((fixtures / "graph_tfjs_rn_dense").string());
  const auto ts = decodeWeights(a);
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_THAT(ts[0].name, ::testing::HasSubstr("BiasAdd/ReadVariableOp"));
  EXPECT_EQ(ts[0].tensor.floats()[0], 0.16124327480793f);
  EXPECT_EQ(ts[1].tensor.shape(), (std::vector<int64_t>{10, 1}));
  EXPECT_EQ(a.weightData.size(), 44u);
}

TEST(Cli, WeightsWritesNpyPerWeightWithSubfolders) {
  TFJS_REQUIRE_FIXTURES("pair_deepmech_cnn");
  TempDir tmp;
  const fs::path model = fixtures / "pair_deepmech_cnn";
  const auto r = runCli("weights " + quote(model) + " --stats --out " + quote(tmp / "npy"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, ::testing::HasSubstr("mean"));
  const ModelArtifacts a = loadModel(model.string());
  for (const auto& [name, t] : decodeWeights(a)) {
    const fs::path p = tmp / "npy" / (name + ".npy");
    ASSERT_TRUE(fs::exists(p)) << p;
    const Tensor back = readNpy(p.string());
    EXPECT_EQ(back.shape(), t.shape());
    EXPECT_EQ(std::memcmp(back.bytes(), t.bytes(), t.byteLength()), 0);
  }
  const auto filtered = runCli("weights " + quote(model) + " --name '*bias' --json");
  ASSERT_EQ(filtered.exitCode, 0) << filtered.out;
  for (const auto& w : Json::parse(filtered.out)) {
    EXPECT_THAT(w["name"].get<std::string>(), ::testing::EndsWith("bias"));
  }
  EXPECT_EQ(runCli("weights " + quote(model) + " --name 'nothing*'").exitCode, 2);
}

TEST(Cli, FileUrlAndModelJsonPathAndFolderAllWork) {
  TFJS_REQUIRE_FIXTURES("pair_deepmech_cnn");
  const fs::path dir = fixtures / "pair_deepmech_cnn";
  for (const std::string& loc :
       {dir.string(), (dir / "model.json").string(), "file://" + (dir / "model.json").string()}) {
    EXPECT_EQ(loadModel(loc).weightCount(), 6u) << loc;
  }
}

TEST(Cli, HelpAndVersion) {
  EXPECT_EQ(runCli("--version").exitCode, 0);
  for (const char* sub : {"inspect", "weights", "hexdump", "validate"}) {
    const auto r = runCli(std::string(sub) + " --help");
    EXPECT_EQ(r.exitCode, 0) << sub;
    EXPECT_THAT(r.out, ::testing::HasSubstr("MODEL")) << sub;
  }
  EXPECT_EQ(runCli("inspect").exitCode, 2);
  EXPECT_EQ(runCli("frobnicate x").exitCode, 2);
  EXPECT_EQ(runCli("inspect /nonexistent/model").exitCode, 3);
}

TEST(Save, RefusesToClobberAndLeavesNoTemporaries) {
  TempDir tmp;
  ModelArtifacts a;
  a.format = "layers-model";
  a.modelTopology = Json::object();
  Buffer b = Buffer::allocate(8);
  std::memset(b.mutableData(), 0, 8);
  setWeightGroups(a, {EncodedGroup{{WeightSpec{"x", {2}, DType::kFloat32, {}, {}}},
                                   std::vector<uint8_t>(8, 0)}});
  saveModel(a, (tmp / "m").string());
  const std::string before = test::readText(tmp / "m/model.json");
  try {
    saveModel(a, (tmp / "m").string());
    FAIL() << "expected kExists";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kExists);
  }
  EXPECT_EQ(test::readText(tmp / "m/model.json"), before);
  saveModel(a, (tmp / "m").string(), {.overwrite = true});
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename(), "m");
  }
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace tfjs
