// The one Keras topology reader (model/topology.h): its spellings, its two modes, and its
// agreement with itself on every real layers model.
#include "model/topology.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

using topology::describe;
using topology::Mode;
using topology::Ref;

Json parse(const char* text) {
  return Json::parse(text);
}

std::string refs(const std::vector<Ref>& rs) {
  std::string s;
  for (const Ref& r : rs)
    s += r.layer + "[" + std::to_string(r.node) + "][" + std::to_string(r.tensor) + "] ";
  return s;
}

// A Keras 3 functional config: dict nodes with __keras_tensor__ args and a keyword tensor, flat
// input_layers / output_layers.
const char* kKeras3 = R"({"class_name": "Functional", "config": {"name": "m",
  "layers": [
    {"class_name": "InputLayer", "name": "x", "config": {"batch_shape": [null, 5, 3], "name": "x"},
     "inbound_nodes": []},
    {"class_name": "InputLayer", "name": "mask", "config": {"batch_shape": [null, 5], "name": "mask"},
     "inbound_nodes": []},
    {"class_name": "LSTM", "name": "lstm", "config": {"units": 2, "name": "lstm"},
     "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                  "config": {"shape": [null, 5, 3], "dtype": "float32",
                                             "keras_history": ["x", 0, 0]}}],
                        "kwargs": {"training": false,
                                   "mask": {"class_name": "__keras_tensor__",
                                            "config": {"shape": [null, 5],
                                                       "keras_history": ["mask", 0, 0]}}}}]}],
  "input_layers": [["x", 0, 0], ["mask", 0, 0]],
  "output_layers": ["lstm", 0, 0]}})";

TEST(Topology, Keras3NodesKeywordTensorsAndRecordedShapes) {
  for (const Mode mode : {Mode::kStrict, Mode::kTolerant}) {
    const topology::ModelDesc m = describe(parse(kKeras3), mode);
    ASSERT_EQ(m.layers.size(), 3u);
    const topology::LayerDesc& lstm = m.layers[2];
    ASSERT_EQ(lstm.nodes.size(), 1u);
    EXPECT_EQ(refs(lstm.nodes[0]), "x[0][0] ");
    ASSERT_EQ(lstm.keywordTensors.size(), 1u);
    EXPECT_EQ(refs(lstm.keywordTensors[0]), "mask[0][0] ");
    ASSERT_TRUE(lstm.nodes[0][0].shape.has_value());
    EXPECT_EQ(*lstm.nodes[0][0].shape, (std::vector<int64_t>{-1, 5, 3}));
    EXPECT_EQ(refs(m.inputs), "x[0][0] mask[0][0] ");
    EXPECT_EQ(refs(m.outputs), "lstm[0][0] ");  // one flat triple
  }
}

TEST(Topology, Keras2NodesAndTheirKeras2Spelling) {
  const Json cfg = parse(R"({"class_name": "Model", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "name": "a", "config": {"batch_input_shape": [null, 4]},
       "inbound_nodes": []},
      {"class_name": "Dense", "name": "d", "config": {"units": 2},
       "inbound_nodes": [[["a", 0, 0, {}]], ["a", 0, 0, {}]]}],
      "input_layers": {"a": ["a", 0, 0]}, "output_layers": [["d", 1, 0]]}})");
  const topology::ModelDesc m = describe(cfg);
  ASSERT_EQ(m.layers[1].nodes.size(), 2u);  // a list of triples, and one bare triple
  EXPECT_EQ(refs(m.layers[1].nodes[0]), "a[0][0] ");
  EXPECT_EQ(refs(m.layers[1].nodes[1]), "a[0][0] ");
  EXPECT_EQ(refs(m.inputs), "a[0][0] ");  // a dict of triples
  EXPECT_EQ(topology::keras2Node(m.layers[1].nodes[0]), parse(R"([["a", 0, 0, {}]])"));
  EXPECT_EQ(topology::keras2Node(m.layers[1].nodes[0], parse(R"({"training": false})")),
            parse(R"([["a", 0, 0, {"training": false}]])"));
}

// Malformed configs: strict mode names the problem as a kSchema error (never a JSON library
// exception); tolerant mode reads what it can.
TEST(Topology, StrictRefusesWhatTolerantSkips) {
  const char* cases[] = {
      // a negative node index
      R"({"class_name": "Functional", "config": {"layers": [
          {"class_name": "Dense", "name": "d", "config": {}, "inbound_nodes": [[["a", -1, 0]]]}],
          "input_layers": [], "output_layers": []}})",
      // a Keras 3 tensor without keras_history
      R"({"class_name": "Functional", "config": {"layers": [
          {"class_name": "Dense", "name": "d", "config": {},
           "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {}}]}]}],
          "input_layers": [], "output_layers": []}})",
      // a layer without class_name, and a non-string model name
      R"({"class_name": "Functional", "config": {"name": 7, "layers": [{"name": "d"}],
          "input_layers": [], "output_layers": []}})",
      // input_layers that is a number
      R"({"class_name": "Functional", "config": {"layers": [], "input_layers": 3,
          "output_layers": []}})",
      // a Sequential whose first layer declares no input
      R"({"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense",
          "config": {"units": 1, "name": "d"}}]}})",
      // a functional model without a layer list
      R"({"class_name": "Functional", "config": {"name": "m"}})",
  };
  for (const char* text : cases) {
    SCOPED_TRACE(text);
    const Json cfg = parse(text);
    try {
      describe(cfg, Mode::kStrict);
      ADD_FAILURE() << "strict mode accepted it";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kSchema);
    }
    EXPECT_NO_THROW(describe(cfg, Mode::kTolerant));
  }
  // What tolerant mode makes of them.
  const topology::ModelDesc noClass = describe(parse(cases[2]), Mode::kTolerant);
  ASSERT_EQ(noClass.layers.size(), 1u);
  EXPECT_EQ(noClass.layers[0].className, "?");
  EXPECT_EQ(noClass.name, "model");
  EXPECT_TRUE(describe(parse(cases[0]), Mode::kTolerant).layers[0].nodes[0].empty());
  const topology::ModelDesc seq = describe(parse(cases[4]), Mode::kTolerant);
  ASSERT_EQ(seq.layers.size(), 2u);
  EXPECT_EQ(seq.layers[0].className, "InputLayer");
  EXPECT_FALSE(seq.layers[0].config.contains("batch_input_shape"));
}

// Every real layers model: both modes read it alike.
TEST(Topology, BothModesAgreeOnRealModels) {
  TFJS_REQUIRE_FIXTURES();
  size_t models = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(test::fixturesDir())) {
    if (entry.path().filename() != "model.json") continue;
    ModelArtifacts a;
    try {
      a = loadModel(entry.path().string(), {.skipWeights = true});
    } catch (const Error&) {
      continue;  // deliberately broken copies
    }
    if (a.inferredFormat() != ModelFormat::kLayers) continue;
    SCOPED_TRACE(entry.path().string());
    const Json& cfg = a.kerasModelConfig();
    const topology::ModelDesc strict = describe(cfg, Mode::kStrict);
    const topology::ModelDesc tolerant = describe(cfg, Mode::kTolerant);
    ASSERT_EQ(strict.layers.size(), tolerant.layers.size());
    for (size_t i = 0; i < strict.layers.size(); ++i) {
      EXPECT_EQ(strict.layers[i].name, tolerant.layers[i].name);
      ASSERT_EQ(strict.layers[i].nodes.size(), tolerant.layers[i].nodes.size());
      for (size_t k = 0; k < strict.layers[i].nodes.size(); ++k) {
        EXPECT_EQ(refs(strict.layers[i].nodes[k]), refs(tolerant.layers[i].nodes[k]));
      }
    }
    EXPECT_EQ(refs(strict.inputs), refs(tolerant.inputs));
    EXPECT_EQ(refs(strict.outputs), refs(tolerant.outputs));
    ++models;
  }
  EXPECT_GT(models, 0u);
}

}  // namespace
}  // namespace tfjs
