// The rules kept in one place (issue 13): JavaScript's Math.round and ToInt32 (format/js_math.h)
// against the real node on the values where naive versions go wrong, the activation-name rule
// (layers::findActivation) against the real TF.js's loader, and the manifest's size
// rules (WeightSpec::storageDType / storedByteLength, layoutFromManifest) against the decoder's
// own walk of the bytes (locateWeights).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <limits>

#include "format/js_math.h"
#include "layers/activations.h"
#include "test_util.h"
#include "tfjs/builder.h"
#include "tfjs/io.h"
#include "tfjs/weights.h"

namespace tfjs {
namespace {

// node's answer for `expression` over `values`, one number per line.
std::vector<double> nodeMap(const std::vector<double>& values, const char* expression) {
  std::string list;
  for (double v : values) list += fmt::format("{}{:.17g}", list.empty() ? "" : ",", v);
  const std::string cmd = fmt::format("'{}' -e 'for (const x of [{}]) console.log({})' 2>&1",
                                      TFJS_NODE, list, expression);
  std::vector<double> out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char line[128];
  while (std::fgets(line, sizeof line, p)) out.push_back(std::strtod(line, nullptr));
  EXPECT_EQ(::pclose(p), 0);
  return out;
}

const std::vector<double> kTricky = {0.49999999999999994,
                                     0.5,
                                     -0.5,
                                     1.5,
                                     2.5,
                                     -1.5,
                                     -2.5,
                                     4503599627370495.5,
                                     4503599627370497,
                                     -0.49999999999999994,
                                     1e300,
                                     -7.5,
                                     3.4999999999999996,
                                     0};

TEST(JsMath, MathRoundAsNode) {
  const auto js = nodeMap(kTricky, "Math.round(x)");
  ASSERT_EQ(js.size(), kTricky.size());
  for (size_t i = 0; i < kTricky.size(); ++i) {
    EXPECT_EQ(jsRound(kTricky[i]), js[i]) << fmt::format("Math.round({:.17g})", kTricky[i]);
  }
  // The naive floor(x + 0.5) the layers used to have differs on the first value.
  EXPECT_NE(std::floor(kTricky[0] + 0.5), js[0]);
}

TEST(JsMath, ToInt32AsInt32Array) {
  std::vector<double> v = {2147483648.0, -2147483649.0, 4294967296.5, -0.9, 1e20, -1e20};
  const auto js = nodeMap(v, "new Int32Array([x])[0]");
  ASSERT_EQ(js.size(), v.size());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(jsToInt32(v[i]), js[i]) << v[i];
  EXPECT_EQ(jsToInt32(std::numeric_limits<double>::quiet_NaN()), 0);
  EXPECT_EQ(jsToInt32(std::numeric_limits<double>::infinity()), 0);
}

// findActivation accepts exactly the names the real TF.js loads from a model.json
// (tests/oracle/activation_names.mjs); the runtime's findActivationOrNone accepts those and
// gelu_new, None and "".
TEST(ActivationNames, TheRuleIsTfjsLoadersRule) {
  const std::vector<std::string> names = {
      "linear",       "relu",       "relu6",       "relu_6",   "elu",      "selu",
      "sigmoid",      "tanh",       "softmax",     "softplus", "softsign", "hardSigmoid",
      "hard_sigmoid", "logSoftmax", "log_softmax", "gelu",     "gelu_new", "mish",
      "swish",        "silu",       "soft_plus",   "softPlus", "Relu",     "None",
      "leaky_relu",   "exponential"};
  std::string args;
  for (const auto& n : names) args += " '" + n + "'";
  const std::string cmd = fmt::format("'{}' '{}/tests/oracle/activation_names.mjs'{} 2>&1",
                                      TFJS_NODE, TFJS_SOURCE_DIR, args);
  std::string text;
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  ASSERT_EQ(::pclose(p), 0) << text;
  const Json tf = Json::parse(text.substr(text.rfind("{\"")));
  size_t loads = 0;
  for (const auto& name : names) {
    const bool ours = layers::findActivation(name).has_value();
    EXPECT_EQ(ours, tf.at(name).get<bool>()) << name;
    loads += ours;
    if (ours) {
      EXPECT_TRUE(layers::isActivation(name)) << name;
    }
  }
  EXPECT_GT(loads, 10u);
  EXPECT_FALSE(layers::findActivation("gelu_new"));
  EXPECT_EQ(layers::findActivationOrNone("gelu_new"), layers::ActivationKind::kGeluNew);
  EXPECT_EQ(layers::findActivationOrNone("None"), layers::ActivationKind::kLinear);
  EXPECT_STREQ(layers::activationName(*layers::findActivation("hard_sigmoid")), "hardSigmoid");
}

TEST(ManifestRules, StoredByteLengthFollowsTheStorageDType) {
  WeightSpec w{.name = "w", .shape = {3, 5}, .dtype = DType::kFloat32};
  EXPECT_EQ(w.storageDType(), DType::kFloat32);
  EXPECT_EQ(w.storedByteLength(), 60u);
  w.quantization = Quantization{.dtype = DType::kUint8};
  EXPECT_EQ(w.storageDType(), DType::kUint8);
  EXPECT_EQ(w.storedByteLength(), 15u);
  w.quantization->dtype = DType::kFloat16;
  EXPECT_EQ(w.storedByteLength(), 30u);
  WeightSpec s{.name = "s", .shape = {2}, .dtype = DType::kString};
  EXPECT_TRUE(s.variableLength());
  EXPECT_EQ(s.storedByteLength(), std::nullopt);
  WeightSpec huge{.name = "h", .shape = {1LL << 40, 1LL << 30}, .dtype = DType::kFloat32};
  EXPECT_THROW(huge.storedByteLength(), Error);
}

// layoutFromManifest (no bytes) places every weight where the decoder's walk of the bytes does.
TEST(ManifestRules, LayoutFromManifestAgreesWithTheWalkOfTheBytes) {
  test::TempDir tmp;
  const LayersModel m =
      sequential({layers::conv2d({.filters = 3, .kernelSize = {3}, .inputShape = {8, 8, 2}}),
                  layers::flatten({}), layers::dense({.units = 4})})
          .build(/*seed=*/2);
  SaveOptions save;
  save.shardSizeBytes = 100;  // several shards: locations cross shard boundaries
  saveModel(quantizeModel(m.toArtifacts(), {{DType::kUint8, {"*kernel"}}}), (tmp / "m").string(),
            save);
  const ModelArtifacts a = loadModel((tmp / "m").string());
  std::vector<Problem> problems;
  const auto walked = locateWeights(a, problems);
  ASSERT_TRUE(problems.empty());
  const auto planned = layoutFromManifest(a);
  ASSERT_EQ(planned.size(), walked.size());
  for (size_t i = 0; i < walked.size(); ++i) {
    ASSERT_TRUE(planned[i]) << i;
    EXPECT_EQ(planned[i]->group, walked[i].group);
    EXPECT_EQ(planned[i]->index, walked[i].index);
    EXPECT_EQ(planned[i]->byteOffset, walked[i].byteOffset);
    EXPECT_EQ(planned[i]->byteLength, walked[i].byteLength);
  }
  // A string weight ends what the manifest alone can place in its group.
  ModelArtifacts s = a;
  s.weightsManifest[0].weights.insert(
      s.weightsManifest[0].weights.begin() + 1,
      WeightSpec{.name = "t", .shape = {1}, .dtype = DType::kString});
  const auto cut = layoutFromManifest(s);
  ASSERT_EQ(cut.size(), walked.size() + 1);
  EXPECT_TRUE(cut[0]);
  for (size_t i = 1; i < cut.size(); ++i) EXPECT_FALSE(cut[i]) << i;
}

}  // namespace
}  // namespace tfjs
