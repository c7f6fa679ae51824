// Losses, metrics, optimizers and initializers (src/train) against the real TF.js.
//
// tests/oracle/train_math_cases.mjs (run by CTest as the `train_math` fixture) records what
// @tensorflow/tfjs 4.22.0 computes on seeded inputs: per-sample loss values and tf.grad of
// sum_i coeff_i * loss_i, per-sample metric values and the history name compile() gives,
// optimizer states after 5 applyGradients steps, and the moments of initializer draws. Losses,
// metrics and optimizers must match within 1e-6 abs + 1e-5 rel (NaN matches NaN). Initializer
// values cannot equal TF.js's (TF.js draws from seedrandom's alea, tfjs-cpp from
// std::mt19937_64), so their statistics are compared instead, with the distribution's own rules
// (bounds, truncation, orthogonality) checked exactly.
// TFJS_TRAIN_MATH=DIR points the test at another output folder of the oracle script.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <set>

#include "format/checked.h"
#include "model/initializers.h"
#include "test_util.h"
#include "tfjs/error.h"
#include "train/losses.h"
#include "train/optimizers.h"

namespace tfjs::train {
namespace {

using layers::Array;

constexpr double kAbs = 1e-6, kRel = 1e-5;

std::vector<float> floatsFromHex(const std::string& hex) {
  std::vector<float> out(hex.size() / 8);
  std::vector<uint8_t> bytes(hex.size() / 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

Array arrayOf(const Json& t) {
  return Array(t["shape"].get<std::vector<int64_t>>(), floatsFromHex(t["hex"]));
}

bool close(double ours, double want) {
  if (std::isnan(want)) return std::isnan(ours);
  if (std::isinf(want)) return ours == want;
  return std::fabs(ours - want) <= kAbs + kRel * std::fabs(want);
}

// "" when every element matches, else the first mismatch.
template <typename A, typename B>
std::string compare(const A& ours, const B& want) {
  if (ours.size() != want.size()) {
    return fmt::format("{} values, expected {}", ours.size(), want.size());
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (!close(ours[i], want[i])) {
      return fmt::format("element {}: ours {:.9g}, tfjs {:.9g}", i, ours[i], want[i]);
    }
  }
  return "";
}

const Json& oracle() {
  static const Json data =
      test::oracleJson("train_math", "train_math_cases.mjs", "train_math.json", "TFJS_TRAIN_MATH");
  return data;
}

#define REQUIRE_ORACLE()                                                                     \
  if (oracle().is_null())                                                                    \
  GTEST_SKIP() << "SKIPPED: no TF.js oracle output (node tests/oracle/train_math_cases.mjs " \
                  "failed or node_modules is missing: run npm ci in tests/oracle)"

template <typename F>
ErrorCode errorOf(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no tfjs::Error thrown";
  return ErrorCode::kIo;
}

// ---------------------------------------------------------------------------------------------
// Losses.

TEST(Losses, PerSampleValuesAndGradientsMatchTfjs) {
  REQUIRE_ORACLE();
  const Json& cases = oracle()["losses"];
  ASSERT_GE(cases.size(), 60u);
  std::set<std::string> seen;
  for (const Json& c : cases) {
    const std::string name = c["case"];
    SCOPED_TRACE(name);
    seen.insert(c["loss"].get<std::string>());
    const auto loss = makeLoss(c["loss"]);
    EXPECT_EQ(loss->name(), c["loss"].get<std::string>());
    const Array yTrue = arrayOf(c["yTrue"]);
    const Array yPred = arrayOf(c["yPred"]);
    const std::vector<float> coeff = floatsFromHex(c["coeff"]);
    std::vector<float> perSample(static_cast<size_t>(yPred.shape[0]));
    loss->perSample(yTrue, yPred, perSample.data());
    EXPECT_EQ(compare(perSample, floatsFromHex(c["perSample"])), "") << "per-sample loss";
    Array grad;
    loss->gradient(yTrue, yPred, coeff.data(), grad);
    EXPECT_EQ(grad.shape, yPred.shape);
    EXPECT_EQ(compare(grad.data, floatsFromHex(c["grad"]["hex"])), "") << "gradient";
  }
  EXPECT_EQ(seen.size(), 15u) << "every tfjs-layers loss plus huber";
}

TEST(Losses, NamesResolveAsTfjsLayersDoes) {
  const std::vector<std::pair<std::string, std::string>> names = {
      {"meanSquaredError", "meanSquaredError"},
      {"mean_squared_error", "meanSquaredError"},
      {"mse", "meanSquaredError"},
      {"MSE", "meanSquaredError"},
      {"mae", "meanAbsoluteError"},
      {"mean_absolute_percentage_error", "meanAbsolutePercentageError"},
      {"MAPE", "meanAbsolutePercentageError"},
      {"msle", "meanSquaredLogarithmicError"},
      {"squared_hinge", "squaredHinge"},
      {"categorical_hinge", "categoricalHinge"},
      {"logcosh", "logcosh"},
      {"log_cosh", "logcosh"},
      {"binary_crossentropy", "binaryCrossentropy"},
      {"categorical_crossentropy", "categoricalCrossentropy"},
      {"sparse_categorical_crossentropy", "sparseCategoricalCrossentropy"},
      {"kullback_leibler_divergence", "kullbackLeiblerDivergence"},
      {"kld", "kullbackLeiblerDivergence"},
      {"KLD", "kullbackLeiblerDivergence"},
      {"cosine", "cosineProximity"},
      {"cosine_proximity", "cosineProximity"},
      {"huber", "huber"},
      {"huber_loss", "huber"},
  };
  for (const auto& [given, canonical] : names) EXPECT_EQ(makeLoss(given)->name(), canonical);
}

TEST(Losses, BadInputIsInvalidArgument) {
  std::string msg;
  EXPECT_EQ(errorOf([] { makeLoss("softmaxCrossEntropy"); }, &msg), ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("softmaxCrossEntropy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("meanSquaredError"), std::string::npos) << "lists the known names: " << msg;
  EXPECT_NE(msg.find("sparseCategoricalCrossentropy"), std::string::npos) << msg;

  const auto mse = makeLoss("mse");
  const Array a({4, 3}), b({4, 2}), c({3, 3});
  std::vector<float> out(4);
  EXPECT_EQ(errorOf([&] { mse->perSample(a, b, out.data()); }, &msg), ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("[4,3]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4,2]"), std::string::npos) << msg;
  EXPECT_EQ(errorOf([&] { mse->check(c, a); }), ErrorCode::kInvalidArgument);
  Array grad;
  std::vector<float> coeff(4, 1.0f);
  EXPECT_EQ(errorOf([&] { mse->gradient(a, b, coeff.data(), grad); }), ErrorCode::kInvalidArgument);
  const Array rank1({4});
  EXPECT_EQ(errorOf([&] { mse->check(rank1, rank1); }, &msg), ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("rank"), std::string::npos) << msg;

  const auto sparse = makeLoss("sparse_categorical_crossentropy");
  const Array probs({2, 3}, std::vector<float>{0.2f, 0.3f, 0.5f, 0.1f, 0.1f, 0.8f});
  std::vector<float> two(2);
  EXPECT_NO_THROW(sparse->perSample(Array({2}, std::vector<float>{0, 2}), probs, two.data()));
  EXPECT_NO_THROW(sparse->perSample(Array({2, 1}, std::vector<float>{1, 2}), probs, two.data()));
  EXPECT_EQ(errorOf(
                [&] {
                  sparse->perSample(Array({2}, std::vector<float>{0, 3}), probs, two.data());
                },
                &msg),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("label 3"), std::string::npos) << msg;
  EXPECT_EQ(errorOf([&] {
              sparse->perSample(Array({2}, std::vector<float>{0, -1}), probs, two.data());
            }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf(
                [&] {
                  sparse->perSample(Array({2}, std::vector<float>{0.5f, 1}), probs, two.data());
                },
                &msg),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("0.5"), std::string::npos) << msg;
  EXPECT_EQ(errorOf([&] {
              sparse->perSample(Array({2}, std::vector<float>{NAN, 1}), probs, two.data());
            }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] { sparse->check(Array({2, 3}), probs); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] { sparse->check(Array({3}), probs); }), ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Metrics.

TEST(Metrics, PerSampleValuesAndNamesMatchTfjs) {
  REQUIRE_ORACLE();
  const Json& cases = oracle()["metrics"];
  ASSERT_GE(cases.size(), 40u);
  for (const Json& c : cases) {
    SCOPED_TRACE(c["case"].get<std::string>());
    const auto metric = makeMetric(c["metric"], c["lossName"], c["outputDim"]);
    EXPECT_EQ(metric->name(), c["historyName"].get<std::string>());
    const Array yTrue = arrayOf(c["yTrue"]);
    const Array yPred = arrayOf(c["yPred"]);
    std::vector<float> values(static_cast<size_t>(yPred.shape[0]));
    metric->perSample(yTrue, yPred, values.data());
    std::vector<float> want = floatsFromHex(c["values"]);
    if (c["batchValue"].get<bool>()) {
      // precision / recall: one value per batch, written to every sample.
      ASSERT_EQ(want.size(), 1u);
      want.assign(values.size(), want[0]);
    }
    EXPECT_EQ(compare(values, want), "");
  }
}

TEST(Metrics, AccuracyResolutionAndBadNames) {
  // Without a TF.js run: the rule of training.ts, spelled out.
  EXPECT_EQ(makeMetric("accuracy", "categorical_crossentropy", 1)->name(), "acc");
  EXPECT_EQ(makeMetric("crossentropy", "mse", 5)->name(), "ce");
  EXPECT_EQ(makeMetric("binary_accuracy", "mse", 5)->name(), "binary_accuracy");
  EXPECT_EQ(makeMetric("mean_absolute_error", "mse", 5)->name(), "mean_absolute_error");
  const Array labels({2}, std::vector<float>{1, 0});
  const Array probs({2, 3}, std::vector<float>{0.2f, 0.3f, 0.5f, 0.1f, 0.1f, 0.8f});
  std::vector<float> out(2);
  // sparse accuracy for a sparse loss: label 1 vs argmax 2, label 0 vs argmax 2.
  makeMetric("acc", "sparse_categorical_crossentropy", 3)->perSample(labels, probs, out.data());
  EXPECT_EQ(out, (std::vector<float>{0, 0}));
  std::string msg;
  EXPECT_EQ(errorOf([] { makeMetric("fmeasure", "mse", 1); }, &msg), ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("fmeasure"), std::string::npos) << msg;
  EXPECT_NE(msg.find("binaryAccuracy"), std::string::npos) << msg;
  const auto acc = makeMetric("categoricalAccuracy", "mse", 3);
  EXPECT_EQ(errorOf([&] { acc->perSample(labels, probs, out.data()); }),
            ErrorCode::kInvalidArgument);
  const auto sparseAcc = makeMetric("acc", "sparseCategoricalCrossentropy", 3);
  EXPECT_EQ(errorOf([&] {
              sparseAcc->perSample(Array({2}, std::vector<float>{1, 7}), probs, out.data());
            }),
            ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Optimizers.

struct Vars {
  std::vector<std::string> names;
  std::vector<std::vector<float>> values;
  std::vector<std::vector<float>> grads;
  std::vector<OptimizerVariable> list() {
    std::vector<OptimizerVariable> out;
    for (size_t i = 0; i < names.size(); ++i) {
      out.push_back({names[i], values[i].data(), grads[i].data(), values[i].size()});
    }
    return out;
  }
};

Vars initialVars(const Json& c) {
  Vars v;
  for (const Json& var : c["variables"]) {
    v.names.push_back(var["name"]);
    v.values.push_back(floatsFromHex(var["init"]));
    v.grads.emplace_back(v.values.back().size());
  }
  return v;
}

TEST(Optimizers, StepsConfigAndWeightsMatchTfjs) {
  REQUIRE_ORACLE();
  const Json& cases = oracle()["optimizers"];
  ASSERT_GE(cases.size(), 19u);
  for (const Json& c : cases) {
    SCOPED_TRACE(c["case"].get<std::string>());
    const auto opt = makeOptimizer(c["name"], c["config"]);
    EXPECT_EQ(opt->className(), c["tfjsClassName"].get<std::string>());
    const Json config = opt->config();
    const Json& want = c["tfjsConfig"];
    ASSERT_EQ(config.size(), want.size()) << config.dump() << " vs " << want.dump();
    auto wi = want.begin();
    for (auto it = config.begin(); it != config.end(); ++it, ++wi) {
      EXPECT_EQ(it.key(), wi.key());
      if (wi->is_number()) {
        EXPECT_DOUBLE_EQ(it->get<double>(), wi->get<double>()) << it.key();
      } else {
        EXPECT_EQ(*it, *wi) << it.key();
      }
    }
    Vars vars = initialVars(c);
    int step = 0;
    for (const Json& s : c["steps"]) {
      SCOPED_TRACE(fmt::format("step {}", step++));
      for (size_t i = 0; i < vars.grads.size(); ++i) vars.grads[i] = floatsFromHex(s["grads"][i]);
      opt->applyGradients(vars.list());
      for (size_t i = 0; i < vars.values.size(); ++i) {
        EXPECT_EQ(compare(vars.values[i], floatsFromHex(s["values"][i])), "") << vars.names[i];
      }
    }
    EXPECT_EQ(opt->iterations(), 5);
    if (c.contains("weightsError")) {
      EXPECT_EQ(errorOf([&] { opt->weights(); }), ErrorCode::kUnsupported);
      continue;
    }
    const std::vector<NamedTensor> weights = opt->weights();
    ASSERT_EQ(weights.size(), c["weights"].size());
    for (size_t i = 0; i < weights.size(); ++i) {
      const Json& w = c["weights"][i];
      EXPECT_EQ(weights[i].name, w["name"].get<std::string>());
      if (w["dtype"] == "int32") {
        ASSERT_EQ(weights[i].tensor.dtype(), DType::kInt32);
        EXPECT_EQ(weights[i].tensor.shape(), std::vector<int64_t>{});
        EXPECT_EQ(weights[i].tensor.ints()[0], 5);
        continue;
      }
      // Ours are flat: the optimizer knows sizes, not shapes.
      const auto shape = w["shape"].get<std::vector<int64_t>>();
      EXPECT_EQ(weights[i].tensor.size(),
                std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>()));
      const auto f = weights[i].tensor.floats();
      EXPECT_EQ(compare(std::vector<float>(f.begin(), f.end()), floatsFromHex(w["hex"])), "")
          << weights[i].name;
    }
  }
}

// The comparison can tell rules apart: RMSProp with epsilon outside the square root and
// Adadelta dividing by the updated accumulator (plausible misreadings of TF.js) both fail it.
TEST(Optimizers, WrongRulesDoNotMatchTfjs) {
  REQUIRE_ORACLE();
  auto find = [](const std::string& name) -> const Json& {
    for (const Json& c : oracle()["optimizers"]) {
      if (c["case"] == name) return c;
    }
    throw std::runtime_error("no case " + name);
  };
  auto mismatches = [](const Json& c, auto&& update) {
    Vars v = initialVars(c);
    std::vector<std::vector<float>> s1(v.values.size()), s2(v.values.size());
    for (size_t i = 0; i < v.values.size(); ++i) {
      s1[i].assign(v.values[i].size(), 0.0f);
      s2[i].assign(v.values[i].size(), 0.0f);
    }
    bool differs = false;
    for (const Json& s : c["steps"]) {
      for (size_t i = 0; i < v.values.size(); ++i) {
        const std::vector<float> g = floatsFromHex(s["grads"][i]);
        for (size_t j = 0; j < g.size(); ++j) update(v.values[i][j], s1[i][j], s2[i][j], g[j]);
        differs |= !compare(v.values[i], floatsFromHex(s["values"][i])).empty();
      }
    }
    return differs;
  };
  // rmsprop_momentum: lr 0.01, decay 0.8, momentum 0.5, epsilon 1e-6.
  EXPECT_TRUE(mismatches(find("rmsprop_momentum"), [](float& x, float& ms, float& mom, float g) {
    ms = ms * 0.8f + (g * g) * static_cast<float>(1.0 - 0.8);
    mom = mom * 0.5f + (g * 0.01f) / (std::sqrt(ms) + 1e-6f);
    x = x - mom;
  }));
  // ... and the right rule, written the same way, matches: the check is not vacuous.
  EXPECT_FALSE(mismatches(find("rmsprop_momentum"), [](float& x, float& ms, float& mom, float g) {
    ms = ms * 0.8f + (g * g) * static_cast<float>(1.0 - 0.8);
    mom = mom * 0.5f + (g * 0.01f) / std::sqrt(ms + 1e-6f);
    x = x - mom;
  }));
  // adadelta_custom: lr 0.5, rho 0.9, epsilon 1e-6.
  EXPECT_TRUE(mismatches(find("adadelta_custom"), [](float& x, float& ag, float& au, float g) {
    ag = ag * 0.9f + (g * g) * static_cast<float>(1.0 - 0.9);
    const float u = (std::sqrt(au + 1e-6f) / std::sqrt(ag + 1e-6f)) * g;
    au = au * 0.9f + (u * u) * static_cast<float>(1.0 - 0.9);
    x = u * -0.5f + x;
  }));
}

TEST(Optimizers, KerasConfigsAndDefaults) {
  // tfjs-layers' defaults for a bare name.
  EXPECT_EQ(makeOptimizer("adadelta")->config().dump(),
            R"({"learningRate":1.0,"rho":0.95,"epsilon":1e-07})");
  EXPECT_EQ(makeOptimizer("Adagrad")->config().dump(),
            R"({"learningRate":0.01,"initialAccumulatorValue":0.1})");
  EXPECT_EQ(makeOptimizer("sgd")->className(), "SGD");
  // Keras 3 / Keras 2.11+ configs (the "Custom>" prefix is Keras's h5 registration name).
  const Json keras3 = Json::parse(R"({"name": "adam", "learning_rate": 0.0010000000474974513,
      "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null,
      "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null,
      "loss_scale_factor": null, "gradient_accumulation_steps": null, "jit_compile": false,
      "is_legacy_optimizer": false, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
      "amsgrad": false})");
  for (const char* name : {"Adam", "Custom>Adam"}) {
    const auto adam = makeOptimizer(name, keras3);
    EXPECT_EQ(adam->className(), "Adam");
    EXPECT_DOUBLE_EQ(adam->config()["learningRate"].get<double>(), 0.0010000000474974513);
  }
  // Keras SGD: momentum 0 stays SGD.
  EXPECT_EQ(makeOptimizer("SGD", Json::parse(R"({"learning_rate": 0.1, "momentum": 0.0,
      "nesterov": false})"))
                ->className(),
            "SGD");
  // Old Keras RMSprop: rho is TF.js's decay; Keras's decay is the learning-rate decay.
  const auto rms = makeOptimizer("RMSprop", Json::parse(R"({"lr": 0.002, "rho": 0.8,
      "decay": 0.0, "epsilon": 1e-07})"));
  EXPECT_DOUBLE_EQ(rms->config()["decay"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(rms->config()["learningRate"].get<double>(), 0.002);
}

TEST(Optimizers, BadNamesOptionsAndVariables) {
  std::string msg;
  EXPECT_EQ(errorOf([] { makeOptimizer("nadam"); }, &msg), ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("nadam"), std::string::npos) << msg;
  EXPECT_NE(msg.find("adadelta"), std::string::npos) << "lists the known names: " << msg;
  EXPECT_EQ(errorOf([] { makeOptimizer("adam", Json::parse(R"({"beta3": 0.9})")); }, &msg),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("beta3"), std::string::npos) << msg;
  EXPECT_EQ(errorOf([] { makeOptimizer("adam", Json::parse(R"({"learning_rate": "fast"})")); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      errorOf([] { makeOptimizer("adam", Json::parse(R"({"lr": 0.1, "learning_rate": 0.2})")); }),
      ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([] { makeOptimizer("adam", Json::array()); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([] { makeOptimizer("momentum", Json::parse(R"({"learningRate": 0.1})")); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([] { makeOptimizer("Adam", Json::parse(R"({"amsgrad": true})")); }, &msg),
            ErrorCode::kUnsupported);
  EXPECT_NE(msg.find("amsgrad"), std::string::npos) << msg;
  EXPECT_EQ(errorOf([] { makeOptimizer("SGD", Json::parse(R"({"decay": 0.01})")); }),
            ErrorCode::kUnsupported);
  EXPECT_EQ(errorOf([] { makeOptimizer("Adam", Json::parse(R"({"clipnorm": 1.0})")); }),
            ErrorCode::kUnsupported);
  EXPECT_EQ(errorOf([] { makeOptimizer("Adagrad", Json::parse(R"({"epsilon": 1e-3})")); }),
            ErrorCode::kUnsupported);

  const auto opt = makeOptimizer("adam");
  std::vector<float> a(3, 1.0f), b(2, 1.0f), g(3, 0.5f);
  std::vector<OptimizerVariable> first = {{"a", a.data(), g.data(), 3},
                                          {"b", b.data(), g.data(), 2}};
  opt->applyGradients(first);
  std::vector<OptimizerVariable> renamed = {{"a", a.data(), g.data(), 3},
                                            {"c", b.data(), g.data(), 2}};
  EXPECT_EQ(errorOf([&] { opt->applyGradients(renamed); }, &msg), ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("'c'"), std::string::npos) << msg;
  std::vector<OptimizerVariable> fewer = {{"a", a.data(), g.data(), 3}};
  EXPECT_EQ(errorOf([&] { opt->applyGradients(fewer); }), ErrorCode::kInvalidArgument);
  const auto fresh = makeOptimizer("sgd");
  std::vector<OptimizerVariable> twice = {{"a", a.data(), g.data(), 3},
                                          {"a", a.data(), g.data(), 3}};
  EXPECT_EQ(errorOf([&] { fresh->applyGradients(twice); }), ErrorCode::kInvalidArgument);
}

// Every optimizer and string loss / metric found in the real Keras files' training configs.
TEST(Optimizers, RealKerasTrainingConfigs) {
  TFJS_REQUIRE_FIXTURES();
  test::TempDir tmp;
  const std::string script = R"PY(
import json, sys, os, zipfile
import h5py
out = []
for root, _, files in os.walk(sys.argv[1]):
    for f in sorted(files):
        p = os.path.join(root, f)
        tc = None
        if f.endswith('.h5'):
            with h5py.File(p, 'r') as h:
                v = h.attrs.get('training_config')
                if v is not None:
                    tc = json.loads(v.decode() if isinstance(v, bytes) else v)
                    tc['optimizer'] = tc.get('optimizer_config')
        elif f.endswith('.keras'):
            with zipfile.ZipFile(p) as z:
                tc = json.loads(z.read('config.json')).get('compile_config')
        if tc:
            out.append({'file': os.path.relpath(p, sys.argv[1]), 'loss': tc.get('loss'),
                        'metrics': tc.get('metrics'), 'optimizer': tc.get('optimizer')})
json.dump(out, open(sys.argv[2], 'w'))
)PY";
  test::writeText(tmp / "scan.py", script);
  const std::string cmd =
      fmt::format("/usr/bin/python3 '{}' '{}' '{}' 2>&1", (tmp / "scan.py").string(),
                  fixtures.string(), (tmp / "configs.json").string());
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "SKIPPED: /usr/bin/python3 with h5py needed";
  const Json configs = Json::parse(test::readText(tmp / "configs.json"));
  ASSERT_GE(configs.size(), test::haveAllFixtures() ? 10u : 5u);
  int optimizers = 0, losses = 0, metrics = 0;
  for (const Json& c : configs) {
    SCOPED_TRACE(c["file"].get<std::string>());
    const Json& o = c["optimizer"];
    if (o.is_object()) {
      const auto opt = makeOptimizer(o["class_name"], o["config"]);
      EXPECT_FALSE(opt->className().empty());
      ++optimizers;
    }
    std::string lossName;
    if (c["loss"].is_string()) {
      lossName = c["loss"];
      EXPECT_NO_THROW(makeLoss(lossName));
      ++losses;
    }
    if (!c["metrics"].is_array()) continue;
    for (const Json& m : c["metrics"]) {
      if (!m.is_string()) continue;
      if (m == "fmeasure") {  // Keras 1's, which TF.js never had
        EXPECT_EQ(errorOf([&] { makeMetric(m, lossName, 2); }), ErrorCode::kInvalidArgument);
        continue;
      }
      EXPECT_NO_THROW(makeMetric(m, lossName, 2)) << m;
      ++metrics;
    }
  }
  const bool all = test::haveAllFixtures();  // else the repository's licensed fixtures only
  EXPECT_GE(optimizers, all ? 15 : 5);
  EXPECT_GE(losses, all ? 10 : 3);
  EXPECT_GE(metrics, all ? 3 : 2);
}

// ---------------------------------------------------------------------------------------------
// Initializers.

struct Moments {
  double mean = 0, std = 0, min = INFINITY, max = -INFINITY;
};
Moments momentsOf(const std::vector<float>& v) {
  Moments m;
  double s = 0, s2 = 0;
  for (float x : v) {
    s += x;
    s2 += static_cast<double>(x) * x;
    m.min = std::min<double>(m.min, x);
    m.max = std::max<double>(m.max, x);
  }
  m.mean = s / static_cast<double>(v.size());
  m.std = std::sqrt(std::max(0.0, s2 / static_cast<double>(v.size()) - m.mean * m.mean));
  return m;
}

std::vector<float> draw(const Json& spec, const std::vector<int64_t>& shape, uint64_t seed = 7) {
  std::vector<float> v(static_cast<size_t>(
      std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>())));
  initialize(spec, shape, seed, v.data());
  return v;
}

// Columns of a rows x cols matrix (rows >= cols) or its rows (rows < cols) are orthogonal with
// norm `gain`: the largest deviation of the Gram matrix from gain^2 I.
double orthogonalityError(const std::vector<float>& v, int64_t rows, int64_t cols, double gain) {
  const bool tall = rows >= cols;
  const int64_t k = tall ? cols : rows, len = tall ? rows : cols;
  auto at = [&](int64_t vec, int64_t i) {
    return static_cast<double>(tall ? v[i * cols + vec] : v[vec * cols + i]);
  };
  double worst = 0;
  for (int64_t a = 0; a < k; ++a) {
    for (int64_t b = 0; b < k; ++b) {
      double dot = 0;
      for (int64_t i = 0; i < len; ++i) dot += at(a, i) * at(b, i);
      worst = std::max(worst, std::fabs(dot / (gain * gain) - (a == b ? 1.0 : 0.0)));
    }
  }
  return worst;
}

// Our draws have the moments of TF.js's (the values differ: another random stream), within a
// few standard errors; bounds are the distribution's own.
TEST(Initializers, MomentsMatchTfjsDistributions) {
  REQUIRE_ORACLE();
  const Json& cases = oracle()["initializers"];
  ASSERT_GE(cases.size(), 20u);
  for (const Json& c : cases) {
    SCOPED_TRACE(c["case"].get<std::string>());
    const auto shape = c["shape"].get<std::vector<int64_t>>();
    const std::vector<float> v = draw(c["spec"], shape);
    const Moments m = momentsOf(v);
    const double n = static_cast<double>(v.size());
    const double tfStd = c["std"], tfMin = c["min"], tfMax = c["max"];
    // Means: both within 5 standard errors of each other; stds: within 3% (n >= 1000).
    const double se = tfStd / std::sqrt(n) + 1e-12;
    EXPECT_NEAR(m.mean, c["mean"].get<double>(), 5 * 1.42 * se);
    if (n >= 1000) {
      EXPECT_NEAR(m.std, tfStd, 0.03 * tfStd);
      // Bounded distributions (uniform, truncated normal): the same support, our extremes
      // within TF.js's range widened by 2% of it.
      const std::string name = c["case"];
      if (name.rfind("randomNormal", 0) != 0 && name.rfind("orthogonal", 0) != 0) {
        const double range = tfMax - tfMin;
        EXPECT_GE(m.min, tfMin - 0.02 * range);
        EXPECT_LE(m.max, tfMax + 0.02 * range);
      }
    }
    if (c.contains("values")) {
      const std::vector<float> want = floatsFromHex(c["values"]);
      if (c["std"].get<double>() == 0 || c["case"] == "identity") {
        EXPECT_EQ(compare(v, want), "") << "deterministic initializer";
      }
    }
  }
}

TEST(Initializers, DistributionRules) {
  // Glorot uniform: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)).
  {
    const auto v = draw("glorot_uniform", {200, 300});
    const double limit = std::sqrt(6.0 / 500);
    const Moments m = momentsOf(v);
    EXPECT_GE(m.min, -limit);
    EXPECT_LT(m.max, limit);
    EXPECT_NEAR(m.std, limit / std::sqrt(3.0), 0.02 * limit / std::sqrt(3.0));
  }
  // He normal on a conv kernel [3, 3, 64, 32]: fanIn 576, a normal with stddev sqrt(2 / 576)
  // truncated at 2 stddev, without a correction factor (TF.js), so its std is 0.8796 stddev.
  {
    const auto v = draw("HeNormal", {3, 3, 64, 32});
    const double sd = std::sqrt(2.0 / 576);
    const Moments m = momentsOf(v);
    EXPECT_GE(m.min, -2 * sd);
    EXPECT_LE(m.max, 2 * sd);
    EXPECT_GT(m.max, 1.95 * sd);
    EXPECT_NEAR(m.std, 0.87962566103423978 * sd, 0.02 * sd);
  }
  // computeFans of a bias (rank 1): sqrt(n) each.
  {
    const auto v = draw("lecun_uniform", {10000});
    const double limit = std::sqrt(3.0 / 100);
    const Moments m = momentsOf(v);
    EXPECT_GE(m.min, -limit);
    EXPECT_LT(m.max, limit);
    EXPECT_GT(m.max, 0.99 * limit);
  }
  // untruncated_normal (Keras's; TF.js rejects it) is a plain normal.
  {
    const Json spec = Json::parse(R"({"class_name": "VarianceScaling", "config": {"scale": 1.0,
        "mode": "fan_in", "distribution": "untruncated_normal", "seed": 1}})");
    const auto v = draw(spec, {100, 400});
    const Moments m = momentsOf(v);
    EXPECT_NEAR(m.std, 0.1, 0.003);
    EXPECT_GT(m.max, 0.3);
  }
  // TruncatedNormal(mean 3, stddev 0.5) stays within [2, 4].
  {
    const auto v = draw(Json::parse(R"({"class_name": "TruncatedNormal", "config": {"mean": 3,
        "stddev": 0.5}})"),
                        {20000});
    const Moments m = momentsOf(v);
    EXPECT_GE(m.min, 2.0);
    EXPECT_LE(m.max, 4.0);
    EXPECT_NEAR(m.mean, 3.0, 0.01);
  }
  // Orthogonal: orthonormal columns (or rows) to 1e-5, times gain; conv kernels are flattened
  // to [prod(all but last), last].
  for (const auto& [shape, gain] : std::vector<std::pair<std::vector<int64_t>, double>>{
           {{30, 50}, 1.0}, {{50, 30}, 1.0}, {{3, 3, 4, 8}, 1.5}, {{16, 16}, 0.5}}) {
    SCOPED_TRACE(shapeString(shape));
    const auto v = draw(Json{{"class_name", "Orthogonal"}, {"config", {{"gain", gain}}}}, shape);
    const int64_t cols = shape.back();
    const auto rows = static_cast<int64_t>(v.size()) / cols;
    EXPECT_LT(orthogonalityError(v, rows, cols, gain), 1e-5);
  }
  // Identity: gain * I.
  {
    const auto v =
        draw(Json::parse(R"({"class_name": "Identity", "config": {"gain": 3}})"), {4, 4});
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) EXPECT_EQ(v[i * 4 + j], i == j ? 3.0f : 0.0f);
    }
  }
}

TEST(Initializers, SeedsAndBadSpecs) {
  const Json seeded = Json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": 42}})");
  const Json seeded2 = Json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": 43}})");
  EXPECT_EQ(draw(seeded, {8, 8}, 1), draw(seeded, {8, 8}, 2)) << "a config seed wins";
  EXPECT_NE(draw(seeded, {8, 8}), draw(seeded2, {8, 8}));
  EXPECT_EQ(draw("glorot_uniform", {8, 8}, 5), draw("glorotUniform", {8, 8}, 5));
  EXPECT_NE(draw("glorot_uniform", {8, 8}, 5), draw("glorot_uniform", {8, 8}, 6));
  const Json nullSeed = Json::parse(R"({"class_name": "Orthogonal", "config": {"seed": null}})");
  EXPECT_EQ(draw(nullSeed, {6, 6}, 9), draw(nullSeed, {6, 6}, 9));
  EXPECT_NE(draw(nullSeed, {6, 6}, 9), draw(nullSeed, {6, 6}, 10));
  // Keras 3 wraps the class in a module.
  EXPECT_NO_THROW(draw(Json::parse(R"({"module": "keras.initializers", "class_name": "HeUniform",
      "config": {"seed": null}, "registered_name": null})"),
                       {4, 4}));

  std::string msg;
  float out[16];
  EXPECT_EQ(errorOf(
                [&] {
                  initialize("xavier_magic", {4, 4}, 1, out);
                },
                &msg),
            ErrorCode::kUnsupported);
  EXPECT_NE(msg.find("xavier_magic"), std::string::npos) << msg;
  EXPECT_EQ(errorOf(
                [&] {
                  initialize(
                      Json::parse(R"({"class_name": "RandomNormal", "config": {"stdev": 1}})"),
                      {4, 4}, 1, out);
                },
                &msg),
            ErrorCode::kInvalidArgument);
  EXPECT_NE(msg.find("stdev"), std::string::npos) << msg;
  EXPECT_EQ(errorOf([&] { initialize("identity", {2, 8}, 1, out); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] { initialize("orthogonal", {16}, 1, out); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] { initialize("zeros", {-1, 4}, 1, out); }), ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] {
              initialize(Json::parse(R"({"class_name": "GlorotUniform", "config": {"seed": 1.5}})"),
                         {4, 4}, 1, out);
            }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] {
              initialize(Json::parse(R"({"class_name": "VarianceScaling",
                  "config": {"mode": "fan_sideways"}})"),
                         {4, 4}, 1, out);
            }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] {
              initialize(Json::parse(R"({"class_name": "RandomNormal", "config": {"stddev": -1}})"),
                         {4, 4}, 1, out);
            }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] { initialize(Json::parse(R"({"class_name": "Constant"})"), {4}, 1, out); }),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(errorOf([&] { initialize(Json(42), {4}, 1, out); }), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace tfjs::train
