// Tests of tfjs/summary.h: Keras-style layer summaries (shapes, parameter counts, connections,
// the printed table) and graph-model op censuses, on small inline topologies and on every real
// model.json under the fixtures folder.
#include "tfjs/summary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "tfjs/artifacts.h"
#include "tfjs/error.h"
#include "tfjs/io.h"

namespace {

namespace fs = std::filesystem;
using tfjs::Json;

// --- helpers ------------------------------------------------------------------------------------

// A layers-model artifacts from an inline topology and manifest entries.
tfjs::ModelArtifacts layersModel(const std::string& topology, const std::string& weights = "[]") {
  const std::string text = R"({"format":"layers-model","modelTopology":)" + topology +
                           R"(,"weightsManifest":[{"paths":["group1-shard1of1.bin"],"weights":)" +
                           weights + "}]}";
  return tfjs::parseModelJson(text, "inline.json");
}

tfjs::ModelSummary summarize(const std::string& topology, const std::string& weights = "[]") {
  return tfjs::summarizeLayersModel(layersModel(topology, weights));
}

// A Sequential [InputLayer(batchShape), <cls>(cfg)] and the summary row of the second layer.
tfjs::LayerSummary oneLayer(const std::string& batchShape, const std::string& cls,
                            const std::string& cfg) {
  Json layer = {{"class_name", cls}, {"config", Json::parse(cfg)}};
  layer["config"]["name"] = "l";
  Json model = {
      {"class_name", "Sequential"},
      {"config",
       {{"name", "sequential"},
        {"layers",
         {{{"class_name", "InputLayer"},
           {"config", {{"batch_input_shape", Json::parse(batchShape)}, {"name", "input"}}}},
          layer}}}}};
  const tfjs::ModelSummary s = summarize(model.dump());
  EXPECT_EQ(s.layers.size(), 1u);
  return s.layers.empty() ? tfjs::LayerSummary{} : s.layers[0];
}

// A functional model whose inputs in0, in1, ... (shapes given) feed one layer "m".
tfjs::LayerSummary mergeLayer(const std::vector<std::string>& shapes, const std::string& cls,
                              const std::string& cfg) {
  Json layers = Json::array();
  Json node = Json::array();
  Json inputs = Json::array();
  for (size_t i = 0; i < shapes.size(); ++i) {
    const std::string name = "in" + std::to_string(i);
    layers.push_back({{"class_name", "InputLayer"},
                      {"name", name},
                      {"config", {{"batch_input_shape", Json::parse(shapes[i])}, {"name", name}}},
                      {"inbound_nodes", Json::array()}});
    node.push_back({name, 0, 0, Json::object()});
    inputs.push_back({name, 0, 0});
  }
  Json c = Json::parse(cfg);
  c["name"] = "m";
  layers.push_back({{"class_name", cls}, {"name", "m"}, {"config", c}, {"inbound_nodes", {node}}});
  Json model = {{"class_name", "Functional"},
                {"config",
                 {{"name", "model"},
                  {"layers", layers},
                  {"input_layers", inputs},
                  {"output_layers", {{"m", 0, 0}}}}}};
  const tfjs::ModelSummary s = summarize(model.dump());
  return s.layers.back();
}

std::string shapes(const tfjs::LayerSummary& l) {
  std::string s;
  for (size_t i = 0; i < l.outputShapes.size(); ++i) s += (i ? " | " : "") + l.outputShapes[i];
  return s;
}

const tfjs::LayerSummary* findLayer(const tfjs::ModelSummary& s, const std::string& name) {
  for (const auto& l : s.layers) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

bool notesMention(const tfjs::ModelSummary& s, const std::string& text) {
  for (const auto& n : s.notes) {
    if (n.find(text) != std::string::npos) return true;
  }
  return false;
}

// --- the walkthrough model ----------------------------------------------------------------------

// tf.keras.Sequential([keras.layers.Dense(units=1, input_shape=[1])]) as TF 2.1 saves it.
const char* kWalkthrough = R"({"keras_version":"2.2.4-tf","backend":"tensorflow","model_config":
{"class_name":"Sequential","config":{"name":"sequential","layers":[{"class_name":"Dense","config":
{"name":"dense","trainable":true,"batch_input_shape":[null,1],"dtype":"float32","units":1,
"activation":"linear","use_bias":true,"kernel_initializer":{"class_name":"GlorotUniform",
"config":{"seed":null}},"bias_initializer":{"class_name":"Zeros","config":{}},
"kernel_regularizer":null,"bias_regularizer":null,"activity_regularizer":null,
"kernel_constraint":null,"bias_constraint":null}}]}}})";
const char* kWalkthroughWeights = R"([{"name":"dense/kernel","shape":[1,1],"dtype":"float32"},
{"name":"dense/bias","shape":[1],"dtype":"float32"}])";

TEST(SummaryLayers, WalkthroughDense) {
  const tfjs::ModelSummary s = summarize(kWalkthrough, kWalkthroughWeights);
  EXPECT_EQ(s.name, "sequential");
  EXPECT_EQ(s.className, "Sequential");
  EXPECT_FALSE(s.functional);
  ASSERT_EQ(s.layers.size(), 1u);
  EXPECT_EQ(s.layers[0].name, "dense");
  EXPECT_EQ(s.layers[0].className, "Dense");
  EXPECT_EQ(shapes(s.layers[0]), "(None, 1)");
  EXPECT_EQ(s.layers[0].params, 2u);
  EXPECT_TRUE(s.layers[0].paramsKnown);
  EXPECT_TRUE(s.layers[0].connectedTo.empty());
  EXPECT_EQ(s.totalParams, 2u);
  EXPECT_EQ(s.trainableParams, 2u);
  EXPECT_EQ(s.nonTrainableParams, 0u);
  EXPECT_EQ(s.inputShapes, std::vector<std::string>{"(None, 1)"});
  EXPECT_EQ(s.outputShapes, std::vector<std::string>{"(None, 1)"});
  EXPECT_TRUE(s.notes.empty());
}

TEST(SummaryFormat, WalkthroughLooksLikeKeras2) {
  const std::string expected =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      "Layer (type)                 Output Shape              Param #\n"
      "=================================================================\n"
      "dense (Dense)                (None, 1)                 2\n"
      "=================================================================\n"
      "Total params: 2\n"
      "Trainable params: 2\n"
      "Non-trainable params: 0\n"
      "_________________________________________________________________\n";
  EXPECT_EQ(tfjs::formatSummary(summarize(kWalkthrough, kWalkthroughWeights)), expected);
}

// --- Sequential CNN, Keras 2.15 style (explicit InputLayer, hidden in the table) ----------------

TEST(SummaryLayers, SequentialCnn) {
  const char* topology = R"({"class_name":"Sequential","config":{"name":"cnn","layers":[
    {"class_name":"InputLayer","config":{"batch_input_shape":[null,28,28,1],"name":"input_1"}},
    {"class_name":"Conv2D","config":{"name":"conv2d","filters":32,"kernel_size":[3,3],
      "strides":[1,1],"padding":"valid","data_format":"channels_last","dilation_rate":[1,1],
      "use_bias":true}},
    {"class_name":"MaxPooling2D","config":{"name":"pool","pool_size":[2,2],"strides":[2,2],
      "padding":"valid"}},
    {"class_name":"Conv2D","config":{"name":"conv2d_1","filters":64,"kernel_size":3,
      "strides":2,"padding":"same"}},
    {"class_name":"Dropout","config":{"name":"dropout","rate":0.25}},
    {"class_name":"Flatten","config":{"name":"flatten"}},
    {"class_name":"Dense","config":{"name":"dense","units":10,"use_bias":false}}]}})";
  const tfjs::ModelSummary s = summarize(topology);
  ASSERT_EQ(s.layers.size(), 6u);  // no InputLayer row for a Sequential model
  EXPECT_EQ(shapes(s.layers[0]), "(None, 26, 26, 32)");
  EXPECT_EQ(s.layers[0].params, 320u);  // 3*3*1*32 + 32
  EXPECT_EQ(shapes(s.layers[1]), "(None, 13, 13, 32)");
  EXPECT_EQ(shapes(s.layers[2]), "(None, 7, 7, 64)");
  EXPECT_EQ(s.layers[2].params, 18496u);  // 3*3*32*64 + 64
  EXPECT_EQ(shapes(s.layers[3]), "(None, 7, 7, 64)");
  EXPECT_EQ(shapes(s.layers[4]), "(None, 3136)");
  EXPECT_EQ(shapes(s.layers[5]), "(None, 10)");
  EXPECT_EQ(s.layers[5].params, 31360u);  // no bias
  EXPECT_EQ(s.totalParams, 320u + 18496u + 31360u);
  EXPECT_EQ(s.inputShapes, std::vector<std::string>{"(None, 28, 28, 1)"});
}

// --- recurrent models ---------------------------------------------------------------------------

TEST(SummaryLayers, LstmStack) {
  const char* topology = R"({"class_name":"Sequential","config":{"name":"rnn","layers":[
    {"class_name":"Embedding","config":{"name":"emb","input_dim":1000,"output_dim":64,
      "batch_input_shape":[null,20],"input_length":20}},
    {"class_name":"LSTM","config":{"name":"lstm","units":32,"return_sequences":true}},
    {"class_name":"GRU","config":{"name":"gru","units":16,"reset_after":true}},
    {"class_name":"Dense","config":{"name":"out","units":1}}]}})";
  const tfjs::ModelSummary s = summarize(topology);
  ASSERT_EQ(s.layers.size(), 4u);
  EXPECT_EQ(shapes(s.layers[0]), "(None, 20, 64)");
  EXPECT_EQ(s.layers[0].params, 64000u);
  EXPECT_EQ(shapes(s.layers[1]), "(None, 20, 32)");
  EXPECT_EQ(s.layers[1].params, 12416u);  // 4 * (32 * (64 + 32) + 32)
  EXPECT_EQ(shapes(s.layers[2]), "(None, 16)");
  EXPECT_EQ(s.layers[2].params, 2400u);  // 3 * 16 * (32 + 16) + 2 * 3 * 16
  EXPECT_EQ(s.layers[3].params, 17u);
  EXPECT_EQ(s.totalParams, 64000u + 12416u + 2400u + 17u);
}

TEST(SummaryLayers, RecurrentVariants) {
  EXPECT_EQ(oneLayer("[null,5,3]", "SimpleRNN", R"({"units":8})").params, 96u);
  EXPECT_EQ(oneLayer("[null,5,3]", "GRU", R"({"units":4})").params, 96u);  // reset_after absent
  EXPECT_EQ(oneLayer("[null,5,3]", "GRU", R"({"units":4,"reset_after":true})").params, 108u);

  const tfjs::LayerSummary state =
      oneLayer("[null,5,3]", "LSTM", R"({"units":4,"return_state":true})");
  EXPECT_EQ(shapes(state), "(None, 4) | (None, 4) | (None, 4)");
  EXPECT_EQ(state.params, 128u);  // 4 * (4 * (3 + 4) + 4)

  const char* lstm = R"({"class_name":"LSTM","config":{"name":"lstm","units":4}})";
  const tfjs::LayerSummary concat =
      oneLayer("[null,5,3]", "Bidirectional",
               std::string(R"({"merge_mode":"concat","layer":)") + lstm + "}");
  EXPECT_EQ(shapes(concat), "(None, 8)");
  EXPECT_EQ(concat.params, 256u);
  EXPECT_EQ(shapes(oneLayer("[null,5,3]", "Bidirectional",
                            std::string(R"({"merge_mode":"sum","layer":)") + lstm + "}")),
            "(None, 4)");
  EXPECT_EQ(shapes(oneLayer("[null,5,3]", "Bidirectional",
                            std::string(R"({"merge_mode":null,"layer":)") + lstm + "}")),
            "(None, 4) | (None, 4)");
  EXPECT_EQ(shapes(oneLayer("[null,5,3]", "Bidirectional",
                            R"({"merge_mode":"ave","layer":{"class_name":"GRU","config":
                               {"name":"g","units":4,"return_sequences":true}}})")),
            "(None, 5, 4)");

  const tfjs::LayerSummary td = oneLayer(
      "[null,5,4]", "TimeDistributed", R"({"layer":{"class_name":"Dense","config":{"units":3}}})");
  EXPECT_EQ(shapes(td), "(None, 5, 3)");
  EXPECT_EQ(td.params, 15u);
  const tfjs::LayerSummary tdConv =
      oneLayer("[null,4,8,8,1]", "TimeDistributed",
               R"({"layer":{"class_name":"Conv2D","config":{"filters":2,"kernel_size":3}}})");
  EXPECT_EQ(shapes(tdConv), "(None, 4, 6, 6, 2)");
  EXPECT_EQ(tdConv.params, 20u);

  const tfjs::LayerSummary convLstm =
      oneLayer("[null,5,8,8,1]", "ConvLSTM2D", R"({"filters":2,"kernel_size":[3,3]})");
  EXPECT_EQ(shapes(convLstm), "(None, 6, 6, 2)");
  EXPECT_EQ(convLstm.params, 224u);  // 9*1*8 + 9*2*8 + 8
  EXPECT_EQ(shapes(oneLayer("[null,5,8,8,1]", "ConvLSTM2D",
                            R"({"filters":2,"kernel_size":3,"return_sequences":true})")),
            "(None, 5, 6, 6, 2)");

  const tfjs::LayerSummary rnn = oneLayer(
      "[null,5,3]", "RNN",
      R"({"return_sequences":true,"cell":{"class_name":"LSTMCell","config":{"units":4}}})");
  EXPECT_EQ(shapes(rnn), "(None, 5, 4)");
  EXPECT_EQ(rnn.params, 128u);
}

// --- layer families: shapes and counts worked out by hand ----------------------------------------

TEST(SummaryLayers, ConvolutionFamilies) {
  auto l = oneLayer("[null,10,1]", "Conv1D",
                    R"({"filters":2,"kernel_size":3,"padding":"causal","dilation_rate":2})");
  EXPECT_EQ(shapes(l), "(None, 10, 2)");
  EXPECT_EQ(l.params, 8u);
  l = oneLayer("[null,10,1]", "Conv1D", R"({"filters":2,"kernel_size":[3],"dilation_rate":[2]})");
  EXPECT_EQ(shapes(l), "(None, 6, 2)");

  l = oneLayer(
      "[null,3,11,11]", "Conv2D",
      R"({"filters":4,"kernel_size":[3,3],"strides":[2,2],"data_format":"channels_first"})");
  EXPECT_EQ(shapes(l), "(None, 4, 5, 5)");
  EXPECT_EQ(l.params, 112u);
  l = oneLayer("[null,5,5,4]", "Conv2D", R"({"filters":8,"kernel_size":1,"groups":2})");
  EXPECT_EQ(l.params, 24u);
  l = oneLayer("[null,null,null,3]", "Conv2D", R"({"filters":8,"kernel_size":3})");
  EXPECT_EQ(shapes(l), "(None, None, None, 8)");
  EXPECT_EQ(l.params, 224u);
  l = oneLayer("[null,8,8,8,1]", "Conv3D", R"({"filters":2,"kernel_size":3})");
  EXPECT_EQ(shapes(l), "(None, 6, 6, 6, 2)");
  EXPECT_EQ(l.params, 56u);

  l = oneLayer("[null,7,7,16]", "Conv2DTranspose",
               R"({"filters":8,"kernel_size":3,"strides":2,"padding":"same"})");
  EXPECT_EQ(shapes(l), "(None, 14, 14, 8)");
  EXPECT_EQ(l.params, 1160u);  // 3*3*8*16 + 8
  l = oneLayer("[null,7,7,16]", "Conv2DTranspose",
               R"({"filters":8,"kernel_size":3,"strides":2,"padding":"valid"})");
  EXPECT_EQ(shapes(l), "(None, 15, 15, 8)");

  l = oneLayer("[null,10,10,3]", "DepthwiseConv2D", R"({"kernel_size":3,"depth_multiplier":2})");
  EXPECT_EQ(shapes(l), "(None, 8, 8, 6)");
  EXPECT_EQ(l.params, 60u);  // 3*3*3*2 + 6
  l = oneLayer("[null,10,6]", "SeparableConv1D",
               R"({"filters":4,"kernel_size":3,"padding":"same"})");
  EXPECT_EQ(shapes(l), "(None, 10, 4)");
  EXPECT_EQ(l.params, 46u);  // 3*6 + 6*4 + 4
  l = oneLayer("[null,9,9,8]", "SeparableConv2D", R"({"filters":16,"kernel_size":[3,3]})");
  EXPECT_EQ(shapes(l), "(None, 7, 7, 16)");
  EXPECT_EQ(l.params, 216u);  // 9*8 + 8*16 + 16
}

TEST(SummaryLayers, PoolingPaddingResampling) {
  EXPECT_EQ(shapes(oneLayer("[null,7,7,5]", "MaxPooling2D",
                            R"({"pool_size":3,"strides":2,"padding":"same"})")),
            "(None, 4, 4, 5)");
  EXPECT_EQ(shapes(oneLayer("[null,7,7,5]", "MaxPooling2D", R"({"pool_size":[3,3],"strides":2})")),
            "(None, 3, 3, 5)");
  EXPECT_EQ(
      shapes(oneLayer("[null,9,3]", "AveragePooling1D", R"({"pool_size":[2],"strides":null})")),
      "(None, 4, 3)");
  EXPECT_EQ(shapes(oneLayer("[null,4,4,4,1]", "MaxPooling3D", R"({})")), "(None, 2, 2, 2, 1)");
  EXPECT_EQ(shapes(oneLayer("[null,7,7,5]", "GlobalAveragePooling2D", R"({"keepdims":true})")),
            "(None, 1, 1, 5)");
  EXPECT_EQ(
      shapes(oneLayer("[null,5,7,7]", "GlobalMaxPooling2D", R"({"data_format":"channels_first"})")),
      "(None, 5)");
  EXPECT_EQ(shapes(oneLayer("[null,9,3]", "GlobalMaxPooling1D", R"({})")), "(None, 3)");
  EXPECT_EQ(shapes(oneLayer("[null,5,5,2]", "ZeroPadding2D", R"({"padding":[[1,2],[3,4]]})")),
            "(None, 8, 12, 2)");
  EXPECT_EQ(shapes(oneLayer("[null,5,5,2]", "ZeroPadding2D", R"({"padding":1})")),
            "(None, 7, 7, 2)");
  EXPECT_EQ(shapes(oneLayer("[null,5,3]", "ZeroPadding1D", R"({"padding":2})")), "(None, 9, 3)");
  EXPECT_EQ(shapes(oneLayer("[null,10,10,3]", "Cropping2D", R"({"cropping":[[1,1],[2,2]]})")),
            "(None, 8, 6, 3)");
  EXPECT_EQ(shapes(oneLayer("[null,10,3]", "Cropping1D", R"({"cropping":[1,2]})")), "(None, 7, 3)");
  EXPECT_EQ(shapes(oneLayer("[null,4,4,1]", "UpSampling2D", R"({"size":[2,3]})")),
            "(None, 8, 12, 1)");
  EXPECT_EQ(shapes(oneLayer("[null,4,2]", "UpSampling1D", R"({"size":3})")), "(None, 12, 2)");
}

TEST(SummaryLayers, CoreAndNormalizationFamilies) {
  EXPECT_EQ(shapes(oneLayer("[null,3,5]", "Permute", R"({"dims":[2,1]})")), "(None, 5, 3)");
  EXPECT_EQ(shapes(oneLayer("[null,6]", "RepeatVector", R"({"n":4})")), "(None, 4, 6)");
  EXPECT_EQ(shapes(oneLayer("[null,3,8]", "Reshape", R"({"target_shape":[-1,4]})")),
            "(None, 6, 4)");
  EXPECT_EQ(shapes(oneLayer("[null,null,4]", "Flatten", R"({})")), "(None, None)");
  auto l = oneLayer("[null,5,4]", "Dense", R"({"units":3})");
  EXPECT_EQ(shapes(l), "(None, 5, 3)");
  EXPECT_EQ(l.params, 15u);
  for (const char* cls :
       {"Activation", "Dropout", "SpatialDropout2D", "GaussianNoise", "ReLU", "LeakyReLU", "ELU",
        "ThresholdedReLU", "Softmax", "Masking", "Rescaling", "AlphaDropout", "GaussianDropout"}) {
    l = oneLayer("[null,6,6,3]", cls, R"({})");
    EXPECT_EQ(shapes(l), "(None, 6, 6, 3)") << cls;
    EXPECT_EQ(l.params, 0u) << cls;
  }

  l = oneLayer("[null,10]", "BatchNormalization", R"({"center":false})");
  EXPECT_EQ(l.params, 30u);  // gamma 10; moving mean and variance 20
  EXPECT_EQ(l.trainableParams, 10u);
  EXPECT_EQ(l.nonTrainableParams, 20u);
  l = oneLayer("[null,4,4,8]", "BatchNormalization", R"({"axis":[3]})");
  EXPECT_EQ(l.params, 32u);
  EXPECT_EQ(l.nonTrainableParams, 16u);
  l = oneLayer("[null,3,4,4]", "BatchNormalization", R"({"axis":1})");
  EXPECT_EQ(l.params, 12u);
  EXPECT_EQ(oneLayer("[null,5,8]", "LayerNormalization", R"({"axis":-1})").params, 16u);
  EXPECT_EQ(oneLayer("[null,6,6,3]", "PReLU", R"({"shared_axes":[1,2]})").params, 3u);
  EXPECT_EQ(oneLayer("[null,6,6,3]", "PReLU", R"({})").params, 108u);

  l = oneLayer("[null,2]", "Normalization", R"({"axis":-1,"mean":null,"variance":null})");
  EXPECT_EQ(l.params, 5u);  // mean 2, variance 2, count 1
  EXPECT_EQ(l.nonTrainableParams, 5u);
  EXPECT_EQ(oneLayer("[null,2]", "Normalization", R"({"mean":[1,2],"variance":[1,1]})").params, 0u);

  EXPECT_EQ(mergeLayer({"[null,3,6]", "[null,4,6]"}, "AdditiveAttention", "{}").params, 6u);
  EXPECT_EQ(mergeLayer({"[null,3,6]", "[null,4,6]"}, "Attention", R"({"use_scale":true})").params,
            1u);

  l = oneLayer("[null,4,4,8]", "TensorFlowOpLayer",
               R"({"node_def":{"op":"DepthToSpace","attr":{"block_size":{"i":"2"}}}})");
  EXPECT_EQ(shapes(l), "(None, 8, 8, 2)");
  l = oneLayer("[null,4]", "TensorFlowOpLayer", R"({"node_def":{"op":"Einsum"}})");
  EXPECT_EQ(shapes(l), "?");
  EXPECT_TRUE(l.paramsKnown);  // a TF op layer has no weights
}

TEST(SummaryLayers, MergeFamilies) {
  EXPECT_EQ(shapes(mergeLayer({"[null,4]", "[null,4]"}, "Add", "{}")), "(None, 4)");
  EXPECT_EQ(shapes(mergeLayer({"[null,1,4]", "[null,3,4]"}, "Multiply", "{}")), "(None, 3, 4)");
  EXPECT_EQ(shapes(mergeLayer({"[null,4]", "[null,4]"}, "Subtract", "{}")), "(None, 4)");
  EXPECT_EQ(shapes(mergeLayer({"[null,2,5]", "[null,3,5]"}, "Concatenate", R"({"axis":1})")),
            "(None, 5, 5)");
  EXPECT_EQ(shapes(mergeLayer({"[null,4]", "[null,4]"}, "Dot", R"({"axes":1})")), "(None, 1)");
  EXPECT_EQ(shapes(mergeLayer({"[null,3,4]", "[null,5,4]"}, "Dot", R"({"axes":[2,2]})")),
            "(None, 3, 5)");
  const tfjs::LayerSummary avg = mergeLayer({"[null,4]", "[null,4]", "[null,4]"}, "Average", "{}");
  EXPECT_EQ(avg.connectedTo, (std::vector<std::string>{"in0[0][0]", "in1[0][0]", "in2[0][0]"}));
}

// --- functional models --------------------------------------------------------------------------

// Keras 2 functional config: two inputs, Dense on one, Concatenate, Dense.
const char* kFunctionalConcat = R"({"class_name":"Functional","config":{"name":"two_towers",
"layers":[
 {"class_name":"InputLayer","name":"a","config":{"batch_input_shape":[null,8],"name":"a"},
  "inbound_nodes":[]},
 {"class_name":"InputLayer","name":"b","config":{"batch_input_shape":[null,4],"name":"b"},
  "inbound_nodes":[]},
 {"class_name":"Dense","name":"dense_a","config":{"name":"dense_a","units":16},
  "inbound_nodes":[[["a",0,0,{}]]]},
 {"class_name":"Concatenate","name":"concat","config":{"name":"concat","axis":-1},
  "inbound_nodes":[[["dense_a",0,0,{}],["b",0,0,{}]]]},
 {"class_name":"Dense","name":"out","config":{"name":"out","units":1},
  "inbound_nodes":[[["concat",0,0,{}]]]}],
"input_layers":[["a",0,0],["b",0,0]],"output_layers":[["out",0,0]]}})";

TEST(SummaryLayers, FunctionalConcatenate) {
  const tfjs::ModelSummary s = summarize(kFunctionalConcat);
  EXPECT_EQ(s.className, "Functional");
  EXPECT_TRUE(s.functional);
  ASSERT_EQ(s.layers.size(), 5u);  // InputLayers are rows in a functional model
  EXPECT_EQ(s.layers[0].className, "InputLayer");
  EXPECT_EQ(shapes(s.layers[0]), "(None, 8)");
  EXPECT_EQ(s.layers[0].params, 0u);
  EXPECT_TRUE(s.layers[0].connectedTo.empty());
  EXPECT_EQ(s.layers[2].params, 144u);
  EXPECT_EQ(s.layers[2].connectedTo, std::vector<std::string>{"a[0][0]"});
  EXPECT_EQ(shapes(s.layers[3]), "(None, 20)");
  EXPECT_EQ(s.layers[3].connectedTo, (std::vector<std::string>{"dense_a[0][0]", "b[0][0]"}));
  EXPECT_EQ(s.layers[4].params, 21u);
  EXPECT_EQ(s.totalParams, 165u);
  EXPECT_EQ(s.inputShapes, (std::vector<std::string>{"(None, 8)", "(None, 4)"}));
  EXPECT_EQ(s.outputShapes, std::vector<std::string>{"(None, 1)"});
}

TEST(SummaryFormat, FunctionalHasConnectedToColumn) {
  const std::string text = tfjs::formatSummary(summarize(kFunctionalConcat));
  std::istringstream in(text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines[0], "Model: \"two_towers\"");
  EXPECT_EQ(lines[1], std::string(98, '_'));
  // Columns at 32, 53 and 65 of 98, as tf.keras 2.x places them.
  EXPECT_EQ(lines[2],
            "Layer (type)                    Output Shape         Param #     Connected to");
  EXPECT_EQ(lines[3], std::string(98, '='));
  EXPECT_NE(text.find("a (InputLayer)                  [(None, 8)]          0\n"),
            std::string::npos);
  EXPECT_NE(
      text.find("concat (Concatenate)            (None, 20)           0           dense_a[0][0]\n"
                "                                                                 b[0][0]\n"),
      std::string::npos);
  EXPECT_NE(text.find("Total params: 165\n"), std::string::npos);
}

TEST(SummaryFormat, LongNamesAreCutLikeKeras) {
  // Keras cuts a field at its column's end and overwrites its last character with a space.
  const tfjs::ModelSummary s = summarize(R"({"class_name":"Sequential","config":{"name":"m",
    "layers":[{"class_name":"BatchNormalization",
     "config":{"name":"batch_normalization_BatchNormalization1",
    "batch_input_shape":[null,1000]}}]}})");
  const std::string text = tfjs::formatSummary(s);
  EXPECT_NE(text.find("\nbatch_normalization_BatchNor (None, 1000)              4000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("Total params: 4,000\nTrainable params: 2,000\nNon-trainable params: 2,000\n"),
      std::string::npos);
}

TEST(SummaryLayers, FunctionalChainPrintsLikeSequential) {
  // tf.keras 2.x drops the "Connected to" column when the graph is a chain.
  const tfjs::ModelSummary s = summarize(R"({"class_name":"Model","config":{"name":"chain",
    "layers":[
     {"class_name":"InputLayer","name":"x","config":{"batch_input_shape":[null,3],"name":"x"},
      "inbound_nodes":[]},
     {"class_name":"Dense","name":"d","config":{"name":"d","units":2},
      "inbound_nodes":[[["x",0,0,{}]]]}],
    "input_layers":[["x",0,0]],"output_layers":[["d",0,0]]}})");
  EXPECT_FALSE(s.functional);
  EXPECT_EQ(s.layers.size(), 2u);
  EXPECT_EQ(s.layers[1].connectedTo, std::vector<std::string>{"x[0][0]"});
  const std::string text = tfjs::formatSummary(s);
  EXPECT_EQ(text.find("Connected to"), std::string::npos);
  EXPECT_NE(text.find("x (InputLayer)               [(None, 3)]               0\n"),
            std::string::npos)
      << text;
}

// Keras 3 functional config: batch_shape, DTypePolicy objects, module/registered_name, dict-style
// inbound nodes, a nested list of tensors in args, flat input/output triples.
TEST(SummaryLayers, Keras3Functional) {
  const char* topology =
      R"({"keras_version":"3.4.1","model_config":{"module":"keras.src.models.functional",
"class_name":"Functional","config":{"name":"functional","trainable":true,"layers":[
 {"module":"keras.layers","class_name":"InputLayer","config":{"batch_shape":[null,32,32,3],
  "dtype":"float32","sparse":false,
  "name":"input_layer"},"registered_name":null,"name":"input_layer",
  "inbound_nodes":[]},
 {"module":"keras.layers","class_name":"Conv2D","config":{"name":"conv2d","trainable":true,
  "dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"},
  "registered_name":null},
  "filters":8,"kernel_size":[3,3],"strides":[1,1],"padding":"same","data_format":"channels_last",
  "dilation_rate":[1,1],"groups":1,"activation":"relu","use_bias":true},"registered_name":null,
  "build_config":{"input_shape":[null,32,32,3]},"name":"conv2d",
  "inbound_nodes":[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,32,32,3],
   "dtype":"float32","keras_history":["input_layer",0,0]}}],"kwargs":{}}]},
 {"module":"keras.layers","class_name":"BatchNormalization","config":{"name":"bn","axis":-1,
  "center":true,"scale":true},"name":"bn",
  "inbound_nodes":[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,32,32,8],
   "dtype":"float32","keras_history":["conv2d",0,0]}}],"kwargs":{"training":false}}]},
 {"module":"keras.layers","class_name":"Conv2D","config":{"name":"conv2d_1","filters":8,
  "kernel_size":[1,1],"padding":"valid","use_bias":false},"name":"conv2d_1",
  "inbound_nodes":[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,32,32,3],
   "dtype":"float32","keras_history":["input_layer",0,0]}}],"kwargs":{}}]},
 {"module":"keras.layers","class_name":"Add","config":{"name":"add"},"name":"add",
  "inbound_nodes":[{"args":[[{"class_name":"__keras_tensor__","config":{"shape":[null,32,32,8],
   "dtype":"float32","keras_history":["bn",0,0]}},{"class_name":"__keras_tensor__","config":
   {"shape":[null,32,32,8],"dtype":"float32","keras_history":["conv2d_1",0,0]}}]],"kwargs":{}}]},
 {"module":"keras.layers","class_name":"GlobalAveragePooling2D","config":{"name":"gap",
  "data_format":"channels_last","keepdims":false},"name":"gap",
  "inbound_nodes":[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,32,32,8],
   "dtype":"float32","keras_history":["add",0,0]}}],"kwargs":{}}]},
 {"module":"keras.layers","class_name":"Dense","config":{"name":"dense","units":10},"name":"dense",
  "inbound_nodes":[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,8],
   "dtype":"float32","keras_history":["gap",0,0]}}],"kwargs":{}}]}],
"input_layers":["input_layer",0,0],"output_layers":["dense",0,0]},
"registered_name":"Functional"}})";
  const tfjs::ModelSummary s = summarize(topology);
  ASSERT_EQ(s.layers.size(), 7u);
  EXPECT_TRUE(s.functional);
  EXPECT_EQ(shapes(*findLayer(s, "conv2d")), "(None, 32, 32, 8)");
  EXPECT_EQ(findLayer(s, "conv2d")->params, 224u);
  EXPECT_EQ(findLayer(s, "bn")->params, 32u);
  EXPECT_EQ(findLayer(s, "bn")->nonTrainableParams, 16u);
  EXPECT_EQ(findLayer(s, "conv2d_1")->params, 24u);
  EXPECT_EQ(findLayer(s, "add")->connectedTo,
            (std::vector<std::string>{"bn[0][0]", "conv2d_1[0][0]"}));
  EXPECT_EQ(shapes(*findLayer(s, "gap")), "(None, 8)");
  EXPECT_EQ(findLayer(s, "dense")->params, 90u);
  EXPECT_EQ(s.totalParams, 224u + 32u + 24u + 90u);
  EXPECT_EQ(s.nonTrainableParams, 16u);
  EXPECT_EQ(s.inputShapes, std::vector<std::string>{"(None, 32, 32, 3)"});
  EXPECT_EQ(s.outputShapes, std::vector<std::string>{"(None, 10)"});
}

TEST(SummaryLayers, Keras3SequentialWithModelPrefixedWeights) {
  // Keras 3 legacy-H5 conversions name weights "sequential/dense/kernel".
  const tfjs::ModelSummary s = summarize(
      R"({"class_name":"Sequential","config":{"name":"sequential","layers":[
        {"class_name":"InputLayer","config":{"batch_shape":[null,6],"name":"input_layer"}},
        {"class_name":"Dense","config":{"name":"dense","units":2,
         "dtype":{"module":"keras","class_name":"DTypePolicy","config":{"name":"float32"}}}}]}})",
      R"([{"name":"sequential/dense/kernel","shape":[6,2],"dtype":"float32"},
          {"name":"sequential/dense/bias","shape":[2],"dtype":"float32"}])");
  EXPECT_EQ(s.totalParams, 14u);
  EXPECT_TRUE(s.notes.empty()) << s.notes.front();
}

// --- nested models ------------------------------------------------------------------------------

TEST(SummaryLayers, NestedModelsAreOneRow) {
  // Outer Sequential: [InputLayer, Sequential(feature: Conv2D, GlobalAveragePooling2D),
  // Sequential(head: Dense with its own batch_input_shape)].
  const tfjs::ModelSummary s = summarize(R"({"class_name":"Sequential","config":{"name":"outer",
    "layers":[
     {"class_name":"InputLayer","config":{"batch_input_shape":[null,16,16,3],"name":"in"}},
     {"class_name":"Sequential","config":{"name":"feature","layers":[
       {"class_name":"Conv2D","config":{"name":"conv","filters":4,"kernel_size":3}},
       {"class_name":"GlobalAveragePooling2D","config":{"name":"gap"}}]}},
     {"class_name":"Sequential","config":{"name":"head","layers":[
       {"class_name":"Dense","config":{"name":"fc","units":2,"batch_input_shape":[null,4],
        "trainable":false}}]}}]}})");
  ASSERT_EQ(s.layers.size(), 2u);
  EXPECT_EQ(s.layers[0].name, "feature");
  EXPECT_EQ(s.layers[0].className, "Sequential");
  EXPECT_EQ(shapes(s.layers[0]), "(None, 4)");
  EXPECT_EQ(s.layers[0].params, 112u);  // 3*3*3*4 + 4
  EXPECT_EQ(s.layers[0].depth, 0);
  EXPECT_EQ(shapes(s.layers[1]), "(None, 2)");
  EXPECT_EQ(s.layers[1].params, 10u);
  EXPECT_EQ(s.layers[1].nonTrainableParams, 10u);  // trainable: false inside
  EXPECT_EQ(s.totalParams, 122u);
  EXPECT_EQ(s.trainableParams, 112u);
  EXPECT_EQ(s.nonTrainableParams, 10u);
}

TEST(SummaryLayers, NestedFunctionalInFunctional) {
  const tfjs::ModelSummary s =
      summarize(R"({"class_name":"Model","config":{"name":"outer","layers":[
   {"class_name":"InputLayer","name":"in","config":{"batch_input_shape":[null,8],"name":"in"},
    "inbound_nodes":[]},
   {"class_name":"Model","name":"inner","config":{"name":"inner","layers":[
     {"class_name":"InputLayer","name":"inner_in","config":{"batch_input_shape":[null,8],
      "name":"inner_in"},"inbound_nodes":[]},
     {"class_name":"Dense","name":"d1","config":{"name":"d1","units":4},
      "inbound_nodes":[[["inner_in",0,0,{}]]]}],
     "input_layers":[["inner_in",0,0]],"output_layers":[["d1",0,0]]},
    "inbound_nodes":[[["in",0,0,{}]]]},
   {"class_name":"Dense","name":"head","config":{"name":"head","units":1},
    "inbound_nodes":[[["inner",1,0,{}]]]}],
   "input_layers":[["in",0,0]],"output_layers":[["head",0,0]]}})");
  // A nested functional model owns node 0 (its own graph): its first call in `outer` is node 1,
  // as Keras and tfjs-layers write it.
  ASSERT_EQ(s.layers.size(), 3u);
  const tfjs::LayerSummary* inner = findLayer(s, "inner");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->className, "Model");
  EXPECT_EQ(inner->params, 36u);
  EXPECT_EQ(shapes(*inner), "(None, 4)");
  EXPECT_EQ(inner->connectedTo, std::vector<std::string>{"in[0][0]"});
  EXPECT_EQ(findLayer(s, "head")->connectedTo, std::vector<std::string>{"inner[1][0]"});
  EXPECT_EQ(shapes(*findLayer(s, "head")), "(None, 1)");
  EXPECT_EQ(s.totalParams, 41u);
}

// --- unknown classes, manifest cross-check, odd configs ----------------------------------------

TEST(SummaryLayers, UnknownClassUsesManifest) {
  const tfjs::ModelSummary s = summarize(
      R"({"class_name":"Sequential","config":{"name":"s","layers":[
        {"class_name":"MyLayer","config":{"name":"my_layer","batch_input_shape":[null,3]}},
        {"class_name":"Dense","config":{"name":"dense","units":2}}]}})",
      R"([{"name":"my_layer/w","shape":[3,4],"dtype":"float32"},
          {"name":"dense/kernel","shape":[4,2],"dtype":"float32"},
          {"name":"dense/bias","shape":[2],"dtype":"float32"}])");
  ASSERT_EQ(s.layers.size(), 2u);
  EXPECT_EQ(shapes(s.layers[0]), "?");
  EXPECT_FALSE(s.layers[0].paramsKnown);
  EXPECT_EQ(s.layers[0].params, 12u);
  EXPECT_TRUE(notesMention(s, "MyLayer"));
  // The Dense after it has no known input dim either: its count comes from the manifest too.
  EXPECT_EQ(s.layers[1].params, 10u);
  EXPECT_FALSE(s.layers[1].paramsKnown);
  EXPECT_EQ(s.totalParams, 22u);
  EXPECT_NE(tfjs::formatSummary(s).find("my_layer (MyLayer)           ?"), std::string::npos);
}

TEST(SummaryLayers, ManifestDisagreementIsNoted) {
  const tfjs::ModelSummary s = summarize(
      R"({"class_name":"Sequential","config":{"name":"s","layers":[
        {"class_name":"Dense","config":{"name":"dense","units":4,
"batch_input_shape":[null,3]}}]}})",
      R"([{"name":"dense/kernel","shape":[3,5],"dtype":"float32"},
          {"name":"dense/bias","shape":[5],"dtype":"float32"},
          {"name":"stray/w","shape":[2],"dtype":"float32"}])");
  EXPECT_EQ(s.totalParams, 16u);  // the config's count is what is reported
  EXPECT_TRUE(notesMention(s, "manifest holds 20"));
  EXPECT_TRUE(notesMention(s, "stray/w"));
}

TEST(SummaryLayers, TrainableFalseCountsAsNonTrainable) {
  const tfjs::ModelSummary s = summarize(R"({"class_name":"Sequential","config":{"name":"s",
    "layers":[{"class_name":"Dense","config":{"name":"frozen","units":4,"trainable":false,
    "batch_input_shape":[null,3]}},{"class_name":"Dense","config":{"name":"d","units":1}}]}})");
  EXPECT_EQ(s.layers[0].trainableParams, 0u);
  EXPECT_EQ(s.layers[0].nonTrainableParams, 16u);
  EXPECT_EQ(s.trainableParams, 5u);
  EXPECT_EQ(s.nonTrainableParams, 16u);
}

TEST(SummaryLayers, SharedLayerWithDifferentShapesIsMultiple) {
  const tfjs::ModelSummary s = summarize(R"({"class_name":"Model","config":{"name":"m","layers":[
   {"class_name":"InputLayer","name":"a","config":{"batch_input_shape":[null,2,3],"name":"a"},
    "inbound_nodes":[]},
   {"class_name":"InputLayer","name":"b","config":{"batch_input_shape":[null,4,5],"name":"b"},
    "inbound_nodes":[]},
   {"class_name":"Flatten","name":"f","config":{"name":"f"},
    "inbound_nodes":[[["a",0,0,{}]],[["b",0,0,{}]]]},
   {"class_name":"Concatenate","name":"c","config":{"name":"c"},
    "inbound_nodes":[[["f",0,0,{}],["f",1,0,{}]]]}],
   "input_layers":[["a",0,0],["b",0,0]],"output_layers":[["c",0,0]]}})");
  EXPECT_EQ(shapes(*findLayer(s, "f")), "multiple");
  EXPECT_EQ(findLayer(s, "f")->connectedTo, (std::vector<std::string>{"a[0][0]", "b[0][0]"}));
  EXPECT_EQ(shapes(*findLayer(s, "c")), "(None, 26)");
  EXPECT_EQ(findLayer(s, "c")->connectedTo, (std::vector<std::string>{"f[0][0]", "f[1][0]"}));
}

TEST(SummaryLayers, LegacySequentialListAndFirstLayerShape) {
  // tfjs-layers 1.x / Keras 2.0 write a Sequential config as a bare list.
  const tfjs::ModelSummary s = summarize(R"({"class_name":"Sequential","config":[
    {"class_name":"Dense","config":{"name":"d1","units":3,"batch_input_shape":[null,5]}},
    {"class_name":"Dense","config":{"name":"d2","units":1}}]})");
  EXPECT_EQ(s.name, "sequential");
  ASSERT_EQ(s.layers.size(), 2u);
  EXPECT_EQ(s.layers[0].params, 18u);
  EXPECT_EQ(s.layers[1].params, 4u);
  EXPECT_EQ(s.inputShapes, std::vector<std::string>{"(None, 5)"});
}

TEST(SummaryLayers, MalformedConfigsNeverThrow) {
  // A reference to a missing layer, a cycle, a node index out of range, wrong value types.
  const tfjs::ModelSummary s = summarize(R"({"class_name":"Model","config":{"name":"m","layers":[
   {"class_name":"InputLayer","name":"x","config":{"batch_input_shape":"oops","name":"x"},
    "inbound_nodes":[]},
   {"class_name":"Dense","name":"p","config":{"name":"p","units":"many"},
    "inbound_nodes":[[["q",0,0,{}]]]},
   {"class_name":"Dense","name":"q","config":{"name":"q","units":2},
    "inbound_nodes":[[["p",0,0,{}]]]},
   {"class_name":"Conv2D","name":"c","config":{"name":"c","kernel_size":null},
    "inbound_nodes":[[["ghost",3,7,{}]], ["x", 5, 0, {}], 17, {"args": 3}]},
   {"class_name":"Dense","name":"r","config":7,"inbound_nodes":"nope"}],
   "input_layers":{"x":["x",0,0]},"output_layers":[["q",0,0],["nowhere",0,0]]}})");
  EXPECT_EQ(s.layers.size(), 5u);
  EXPECT_TRUE(notesMention(s, "never produced"));
  EXPECT_NO_THROW(tfjs::formatSummary(s));
  EXPECT_EQ(s.outputShapes.size(), 2u);
}

TEST(SummaryLayers, NotAKerasConfigThrowsSchema) {
  for (const char* topology : {R"({"class_name":"Dense","config":{"units":3}})",
                               R"({"config":{"layers":[]}})", R"([1,2,3])"}) {
    try {
      summarize(topology);
      ADD_FAILURE() << "no throw for " << topology;
    } catch (const tfjs::Error& e) {
      EXPECT_EQ(e.code(), tfjs::ErrorCode::kSchema) << topology;
    }
  }
}

// --- graph models -------------------------------------------------------------------------------

tfjs::ModelArtifacts graphModel(const std::string& rest) {
  return tfjs::parseModelJson(R"({"format":"graph-model",)" + rest +
                                  R"(,"weightsManifest":[{"paths":["g.bin"],"weights":[]}]})",
                              "graph.json");
}

TEST(SummaryGraph, PlaceholdersAndConsumerlessNodes) {
  const tfjs::GraphSummary g = tfjs::summarizeGraphModel(graphModel(R"(
    "modelTopology":{"node":[
      {"name":"x","op":"Placeholder","attr":{"dtype":{"type":"DT_FLOAT"},
        "shape":{"shape":{"dim":[{"size":"-1"},{"size":"3"}]}}}},
      {"name":"w","op":"Const","attr":{"dtype":{"type":"DT_FLOAT"}}},
      {"name":"mm","op":"MatMul","input":["x","w"],"attr":{"T":{"type":"DT_FLOAT"}}},
      {"name":"sink","op":"NoOp","input":["^mm"]},
      {"name":"y","op":"Identity","input":["mm:0","^sink"],"attr":{"T":{"type":"DT_FLOAT"}}}],
      "library":{"function":[{"signature":{"name":"f"},"nodeDef":[
        {"name":"a","op":"AddV2","input":["x","y"]},{"name":"b","op":"MatMul"}]}]},
      "versions":{"producer":175}},
    "modelInitializer":{"node":[{"name":"t","op":"HashTableV2"},{"name":"i","op":"NoOp"}]})"));
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].name, "x");
  EXPECT_EQ(g.inputs[0].tensor, "x:0");
  EXPECT_EQ(g.inputs[0].dtype, "DT_FLOAT");
  EXPECT_EQ(g.inputs[0].shape, "[-1,3]");
  ASSERT_EQ(g.outputs.size(), 1u);  // mm and sink are consumed; "^sink" counts, as in TF.js
  EXPECT_EQ(g.outputs[0].name, "y");
  EXPECT_EQ(g.outputs[0].tensor, "y:0");
  EXPECT_EQ(g.nodeCount, 5);
  EXPECT_EQ(g.functionCount, 1);
  EXPECT_EQ(g.opCounts.at("MatMul"), 2);  // main graph and function
  EXPECT_EQ(g.opCounts.at("AddV2"), 1);
  EXPECT_EQ(g.initializerNodeCount, 2);
  EXPECT_EQ(g.producer, "175");
}

TEST(SummaryGraph, UserDefinedMetadataSignatureOverrides) {
  const tfjs::GraphSummary g = tfjs::summarizeGraphModel(graphModel(R"(
    "modelTopology":{"node":[{"name":"in","op":"Placeholder"},
      {"name":"out","op":"Relu","input":["in"]}],"versions":{}},
    "signature":{"inputs":{"old:0":{"name":"old:0","dtype":"DT_INT32"}}},
    "userDefinedMetadata":{"signature":{
      "inputs":{"in:0":{"name":"in:0","dtype":"DT_FLOAT","tensorShape":{"unknownRank":true}}},
      "outputs":{"out:0":{"name":"out:0","dtype":"DT_FLOAT","tensorShape":{}}}}})"));
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].name, "in:0");
  EXPECT_EQ(g.inputs[0].shape, "?");
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0].shape, "[]");
  EXPECT_EQ(g.producer, "");
}

TEST(SummaryGraph, LayersModelIsNotAGraph) {
  EXPECT_THROW(tfjs::summarizeGraphModel(layersModel(kWalkthrough)), tfjs::Error);
  EXPECT_THROW(tfjs::summarizeLayersModel(graphModel(R"("modelTopology":{"node":[]})")),
               tfjs::Error);
}

// --- real fixtures ------------------------------------------------------------------------------

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every model.json-like file under the fixtures: JSON objects with a modelTopology.
std::vector<fs::path> modelJsonFiles(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    const Json j = Json::parse(readFile(e.path()), nullptr, false);
    if (j.is_object() && j.contains("modelTopology")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

tfjs::ModelArtifacts loadFixture(const fs::path& p) {
  tfjs::LoadOptions options;
  options.skipWeights = true;  // the manifest is all a summary needs
  return tfjs::loadModel(p.string(), options);
}

uint64_t manifestElements(const tfjs::ModelArtifacts& a) {
  uint64_t total = 0;
  for (const tfjs::WeightSpec* w : a.weightSpecs()) {
    if (w->group && *w->group == "optimizer") continue;
    uint64_t n = 1;
    for (int64_t d : w->shape) n *= static_cast<uint64_t>(d);
    total += n;
  }
  return total;
}

TEST(SummaryFixtures, EveryModelSummarizes) {
  TFJS_REQUIRE_FIXTURES();
  const auto files = modelJsonFiles(fixtures);
  ASSERT_GE(files.size(), tfjs::test::haveAllFixtures() ? 30u : 26u);
  int layers = 0;
  int graphs = 0;
  for (const fs::path& p : files) {
    SCOPED_TRACE(p.string());
    const tfjs::ModelArtifacts a = loadFixture(p);
    if (a.inferredFormat() == tfjs::ModelFormat::kGraph) {
      tfjs::GraphSummary g;
      ASSERT_NO_THROW(g = tfjs::summarizeGraphModel(a));
      EXPECT_FALSE(g.inputs.empty());
      EXPECT_FALSE(g.outputs.empty());
      EXPECT_GT(g.nodeCount, 0);
      ++graphs;
    } else {
      tfjs::ModelSummary s;
      ASSERT_NO_THROW(s = tfjs::summarizeLayersModel(a));
      EXPECT_FALSE(s.layers.empty());
      EXPECT_FALSE(tfjs::formatSummary(s).empty());
      ++layers;
    }
  }
  EXPECT_GE(layers, tfjs::test::haveAllFixtures() ? 20 : 16);
  EXPECT_GE(graphs, 9);
}

// Every real layers model: the config-derived total equals the manifest's element count, and
// every row has a known shape, except for the one custom (unknown) class.
TEST(SummaryFixtures, ParamsMatchManifest) {
  TFJS_REQUIRE_FIXTURES();
  int checked = 0;
  for (const fs::path& p : modelJsonFiles(fixtures)) {
    const tfjs::ModelArtifacts a = loadFixture(p);
    if (a.inferredFormat() != tfjs::ModelFormat::kLayers) continue;
    SCOPED_TRACE(p.string());
    const tfjs::ModelSummary s = tfjs::summarizeLayersModel(a);
    EXPECT_EQ(s.totalParams, manifestElements(a));
    EXPECT_EQ(s.totalParams, s.trainableParams + s.nonTrainableParams);
    const bool custom = p.string().find("custom_layer") != std::string::npos;
    for (const auto& l : s.layers) {
      if (custom) continue;
      EXPECT_TRUE(l.paramsKnown) << l.name;
      for (const auto& shape : l.outputShapes) {
        EXPECT_EQ(shape.find('?'), std::string::npos) << l.name << " " << shape;
      }
    }
    if (!custom) {
      EXPECT_TRUE(s.notes.empty()) << s.notes.front();
    }
    ++checked;
  }
  EXPECT_GE(checked, tfjs::test::haveAllFixtures() ? 20 : 16);
}

TEST(SummaryFixtures, KnownKerasNumbers) {
  TFJS_REQUIRE_FIXTURES("pair_tinycnn_k215_conv422", "keras3_gru_h5_and_tfjs_converter422",
                        "pair_anime4k_srgan_functional");
  {  // klawr/deepmech: Conv2D(16, 4x4) on 32x32x1 ... Dense(3)
    const auto s =
        tfjs::summarizeLayersModel(loadFixture(fixtures / "pair_deepmech_cnn/model.json"));
    ASSERT_EQ(s.layers.size(), 6u);
    EXPECT_EQ(s.layers[0].params, 272u);  // 4*4*1*16 + 16
    EXPECT_EQ(shapes(s.layers[4]), "(None, 2048)");
    EXPECT_EQ(s.layers[5].params, 6147u);  // 2048*3 + 3
    EXPECT_EQ(s.totalParams, 14643u);
    EXPECT_EQ(s.inputShapes, std::vector<std::string>{"(None, 32, 32, 1)"});
  }
  {  // functional CNN with BatchNormalization: moving statistics are non-trainable
    const auto s = tfjs::summarizeLayersModel(
        loadFixture(fixtures / "pair_pytraining_tiny_mnist_bn/web_model/model.json"));
    EXPECT_EQ(s.layers[0].className, "InputLayer");
    EXPECT_EQ(s.totalParams, 278410u);
    EXPECT_EQ(s.nonTrainableParams, 2u * (32 + 64 + 128));
    EXPECT_EQ(shapes(*findLayer(s, "max_pooling2d_2")), "(None, 4, 4, 128)");
    EXPECT_FALSE(s.functional);  // a chain: Keras prints it without "Connected to"
  }
  {  // nested Sequentials of Keras 2.15
    const auto s = tfjs::summarizeLayersModel(
        loadFixture(fixtures / "pair_tinycnn_k215_conv422/web_model/model.json"));
    ASSERT_EQ(s.layers.size(), 2u);
    EXPECT_EQ(s.layers[0].name, "aug");
    EXPECT_EQ(s.layers[0].params, 0u);
    EXPECT_EQ(s.layers[1].name, "classifier");
    EXPECT_EQ(shapes(s.layers[1]), "(None, 5)");
    EXPECT_EQ(s.layers[1].params, 105541u);
  }
  {  // Teachable Machine: Sequential[Sequential[Model(MobileNetV2), GAP], Sequential[Dense, Dense]]
    const auto s = tfjs::summarizeLayersModel(
        loadFixture(fixtures / "pair_tm_reverse_tfjs_to_keras_mobilenet/tfjs/model.json"));
    ASSERT_EQ(s.layers.size(), 2u);
    EXPECT_EQ(shapes(s.layers[0]), "(None, 1280)");
    EXPECT_EQ(s.layers[1].params, 1280u * 100 + 100 + 100 * 3);
    EXPECT_EQ(s.inputShapes, std::vector<std::string>{"(None, 224, 224, 3)"});
    EXPECT_EQ(s.totalParams, 538608u);
  }
  {  // Keras 3 GRU (reset_after: two bias rows)
    const auto s = tfjs::summarizeLayersModel(
        loadFixture(fixtures / "keras3_gru_h5_and_tfjs_converter422/model.json"));
    EXPECT_EQ(s.layers[0].params, 3u * 8 * (6 + 8) + 2 * 24);
    EXPECT_EQ(s.inputShapes, std::vector<std::string>{"(None, None, 6)"});
  }
  {  // functional SR generator: PReLU with shared axes, DepthToSpace TF op layers
    const auto s = tfjs::summarizeLayersModel(
        loadFixture(fixtures / "pair_anime4k_srgan_functional/model.json"));
    EXPECT_TRUE(s.functional);
    EXPECT_EQ(findLayer(s, "p_re_lu")->params, 32u);
    EXPECT_EQ(findLayer(s, "expanded_conv_add")->connectedTo,
              (std::vector<std::string>{"p_re_lu[0][0]", "expanded_conv_project_BN[0][0]"}));
    EXPECT_EQ(findLayer(s, "tf_op_layer_DepthToSpace")->className, "TensorFlowOpLayer");
    EXPECT_EQ(s.outputShapes.size(), 1u);
  }
  {  // custom layer: unknown class, shape "?"
    const auto s = tfjs::summarizeLayersModel(
        loadFixture(fixtures / "pair_pytraining_custom_layer_noweights/web_model2/model.json"));
    const auto* l = findLayer(s, "hyper_scale_1");
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(shapes(*l), "?");
    EXPECT_FALSE(l->paramsKnown);
    EXPECT_TRUE(notesMention(s, "HyperScale"));
  }
}

// tfjs-layers' own test models come with the shapes tfjs computed (batch 1).
TEST(SummaryFixtures, Tfjs2KerasShapesMatchReference) {
  TFJS_REQUIRE_FIXTURES();
  const fs::path dir = fixtures / "tfjs_layers_tfjs2keras_testdata";
  int checked = 0;
  for (const char* name :
       {"bidirectional_lstm", "cnn", "depthwise_cnn", "functional_merge.json", "gru", "mlp",
        "one_dimensional", "simple_rnn", "time_distributed_lstm"}) {
    SCOPED_TRACE(name);
    const auto s = tfjs::summarizeLayersModel(loadFixture(dir / name / "model.json"));
    auto asTuples = [](const Json& shapesJson) {
      std::vector<std::string> out;
      for (const Json& shape : shapesJson) {
        std::string t = "(None";
        for (size_t i = 1; i < shape.size(); ++i) t += ", " + std::to_string(shape[i].get<int>());
        out.push_back(t + (shape.size() == 1 ? ",)" : ")"));
      }
      return out;
    };
    const std::string base = std::string(name);
    EXPECT_EQ(s.inputShapes, asTuples(Json::parse(readFile(dir / (base + ".xs-shapes.json")))));
    EXPECT_EQ(s.outputShapes, asTuples(Json::parse(readFile(dir / (base + ".ys-shapes.json")))));
    ++checked;
  }
  EXPECT_EQ(checked, 9);
}

TEST(SummaryFixtures, GraphModels) {
  TFJS_REQUIRE_FIXTURES();
  {
    const auto g =
        tfjs::summarizeGraphModel(loadFixture(fixtures / "graph_tfjs_e2e_dense/model/model.json"));
    ASSERT_EQ(g.inputs.size(), 1u);
    EXPECT_EQ(g.inputs[0].name, "dense_dense1_input:0");
    EXPECT_EQ(g.inputs[0].dtype, "DT_FLOAT");
    EXPECT_EQ(g.inputs[0].shape, "[-1,1]");
    ASSERT_EQ(g.outputs.size(), 1u);
    EXPECT_EQ(g.outputs[0].tensor, "Identity:0");
    EXPECT_EQ(g.nodeCount, 5);
    EXPECT_EQ(g.opCounts.at("_FusedMatMul"), 1);
    EXPECT_EQ(g.opCounts.at("Const"), 2);
    EXPECT_EQ(g.producer, "175");
  }
  {  // signature in userDefinedMetadata (converter 1.x)
    const auto g =
        tfjs::summarizeGraphModel(loadFixture(fixtures / "graph_eyeblink_uint16/model.json"));
    ASSERT_EQ(g.inputs.size(), 1u);
    EXPECT_EQ(g.inputs[0].tensor, "input_1:0");
    EXPECT_EQ(g.inputs[0].shape, "[-1,26,34,1]");
    EXPECT_EQ(g.outputs.at(0).tensor, "Identity:0");
    EXPECT_EQ(g.opCounts.at("_FusedConv2D"), 3);
    EXPECT_EQ(g.opCounts.at("MaxPool"), 3);
  }
  {  // signature with outputs only: inputs come from the Placeholder nodes
    const auto g =
        tfjs::summarizeGraphModel(loadFixture(fixtures / "graph_faceboxes_float16/faceboxes.json"));
    ASSERT_EQ(g.inputs.size(), 1u);
    EXPECT_EQ(g.inputs[0].name, "image_tensor");
    EXPECT_EQ(g.inputs[0].dtype, "DT_UINT8");
    EXPECT_EQ(g.inputs[0].shape, "[-1,-1,-1,3]");
    ASSERT_EQ(g.outputs.size(), 3u);
    EXPECT_EQ(g.outputs[0].name, "scores");
    EXPECT_EQ(g.outputs[1].name, "boxes");
    EXPECT_EQ(g.outputs[2].name, "num_boxes");
    EXPECT_EQ(g.nodeCount, 876);
    EXPECT_EQ(g.opCounts.at("Const"), 350);
    EXPECT_EQ(g.opCounts.at("NonMaxSuppressionV3"), 1);
  }
  {  // functions: op counts include their nodeDefs
    const auto g =
        tfjs::summarizeGraphModel(loadFixture(fixtures / "graph_tfjs_move_lstm/model.json"));
    EXPECT_EQ(g.functionCount, 8);
    EXPECT_EQ(g.nodeCount, 92);
    EXPECT_EQ(g.opCounts.at("StatelessWhile"), 4);
    EXPECT_EQ(g.opCounts.at("AddV2"), 16);
    EXPECT_EQ(g.producer, "561");
    ASSERT_EQ(g.outputs.size(), 2u);
    EXPECT_EQ(g.outputs[0].name, "Identity_1:0");
  }
  {  // no signature: Placeholder inputs, consumer-less outputs
    const auto g =
        tfjs::summarizeGraphModel(loadFixture(fixtures / "graph_tfjs_rn_dense/model.json"));
    ASSERT_EQ(g.inputs.size(), 1u);
    EXPECT_EQ(g.inputs[0].name, "dense_dense2_input");
    EXPECT_EQ(g.inputs[0].shape, "[-1,10]");
    ASSERT_EQ(g.outputs.size(), 1u);
    EXPECT_EQ(g.outputs[0].name, "Identity");
    EXPECT_EQ(g.opCounts.at("MatMul"), 1);
    EXPECT_EQ(g.opCounts.at("BiasAdd"), 1);
  }
  {
    const auto g = tfjs::summarizeGraphModel(
        loadFixture(fixtures / "graph_tfjs_examples_prefetch/model.json"));
    ASSERT_EQ(g.inputs.size(), 2u);
    EXPECT_EQ(g.inputs[0].dtype, "DT_INT64");
    EXPECT_EQ(g.opCounts.at("GatherV2"), 1);
  }
}

}  // namespace
