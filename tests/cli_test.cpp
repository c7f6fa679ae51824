// CLI polish (issue 12): suggestions for mistyped commands and options, the error kind printed
// once, `tfjs inspect`'s sections, aligned tables and JSON (numeric shapes, inputs / outputs),
// strict `tfjs train` model specs, its progress lines and flags (early stopping, validation data,
// class weights, initial epoch, the saved training config), FitArgs::onBatchEnd, and the
// builders' argument checks.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

// A small classifier saved as a TF.js layers model: 4 inputs, Dense 3 relu, Dense 2 softmax.
fs::path savedModel(const TempDir& tmp) {
  const LayersModel m =
      sequential({layers::dense({.units = 3, .activation = "relu", .inputShape = {4}}),
                  layers::dense({.units = 2, .activation = "softmax", .name = "probabilities"})})
          .build(5);
  const fs::path dir = tmp / "model";
  saveModel(m.toArtifacts(), dir.string());
  return dir;
}

// --- suggestions ----------------------------------------------------------------------------

TEST(CliSuggestions, MistypedCommandNamesTheClosest) {
  auto r = runCli("inpsect m");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("unknown command 'inpsect'; did you mean 'inspect'?"));
  r = runCli("trian in:1,dense:1");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("did you mean 'train'?"));
  r = runCli("frobnicate x");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("unknown command 'frobnicate' (commands: inspect,"));
  EXPECT_THAT(r.out, Not(HasSubstr("did you mean")));
}

TEST(CliSuggestions, MistypedOptionNamesTheClosestOfItsCommand) {
  TempDir tmp;
  // Even before the required options are checked.
  auto r = runCli("train in:1,dense:1 --epoch 3");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("tfjs train: unknown option '--epoch'; did you mean '--epochs'?"));
  r = runCli("train in:1,dense:1 --x '[[1]]' --y '[[1]]' --out x --batchsize=4");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("unknown option '--batchsize'; did you mean '--batch-size'?"));
  r = runCli("inspect --jsno " + quote(savedModel(tmp)));
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("tfjs inspect: unknown option '--jsno'; did you mean '--json'?"));
  r = runCli("validate --frobnicate-everything m");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("unknown option '--frobnicate-everything'"));
  EXPECT_THAT(r.out, Not(HasSubstr("did you mean")));
}

// --- the error kind once ------------------------------------------------------------------------

TEST(CliErrors, TheKindIsPrintedOnce) {
  // Targets the loss refuses (fit wraps the loss's own invalid-argument error).
  auto r = runCli(
      "train in:2,dense:3:softmax --loss categoricalCrossentropy --x '[[1,2],[3,4]]' "
      "--y '[[1,0],[0,1]]' --out /nonexistent-dir/never");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_EQ(count(r.out, "invalid-argument"), 1u) << r.out;
}

// --- inspect ------------------------------------------------------------------------------------

TEST(CliInspect, SectionFlagsChooseWhatIsPrinted) {
  TempDir tmp;
  const std::string model = quote(savedModel(tmp));
  const auto all = runCli("inspect " + model);
  ASSERT_EQ(all.exitCode, 0) << all.out;
  for (const char* part :
       {"Model:", "Total params", "Weights manifest", "Integrity: OK", "probabilities/kernel"}) {
    EXPECT_THAT(all.out, HasSubstr(part));
  }
  auto r = runCli("inspect --summary " + model);
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Total params: 23"));
  for (const char* part : {"generatedBy", "Weights manifest", "Integrity", "byte"}) {
    EXPECT_THAT(r.out, Not(HasSubstr(part))) << part;
  }
  r = runCli("inspect --weights --verdict " + model);
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("probabilities/kernel"));
  EXPECT_THAT(r.out, HasSubstr("Integrity: OK"));
  EXPECT_THAT(r.out, Not(HasSubstr("Total params")));
  EXPECT_THAT(r.out, Not(HasSubstr("Weights manifest")));
  r = runCli("inspect --manifest " + model);
  EXPECT_THAT(r.out, HasSubstr("Weights manifest: 1 group(s), 1 file(s), 4 weight(s)"));
  EXPECT_THAT(r.out, Not(HasSubstr("probabilities/kernel")));
}

TEST(CliInspect, WeightTableColumnsLineUp) {
  TempDir tmp;
  const auto r = runCli("inspect --weights " + quote(savedModel(tmp)));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  const auto ls = lines(r.out);
  size_t header = ls.size();
  for (size_t i = 0; i < ls.size(); ++i) {
    if (ls[i].find("storage / quantization") != std::string::npos) header = i;
  }
  ASSERT_LT(header, ls.size()) << r.out;
  const size_t shapeAt = ls[header].find("shape");
  const size_t dtypeAt = ls[header].find("dtype");
  const size_t bytesEnd = ls[header].find("bytes") + 5;  // right-aligned column
  for (size_t i = header + 1; i < header + 5; ++i) {
    ASSERT_LT(i, ls.size());
    SCOPED_TRACE(ls[i]);
    EXPECT_EQ(ls[i][shapeAt], '[');
    EXPECT_EQ(ls[i].substr(dtypeAt, 7), "float32");
    EXPECT_NE(ls[i][bytesEnd - 1], ' ');
    EXPECT_EQ(ls[i][bytesEnd], ' ');
  }
}

TEST(CliInspect, JsonHasNumericShapesAndTheModelsInputsAndOutputs) {
  TempDir tmp;
  const std::string model = quote(savedModel(tmp));
  auto r = runCli("inspect --json " + model);
  ASSERT_EQ(r.exitCode, 0) << r.out;
  Json doc = Json::parse(r.out);
  ASSERT_EQ(doc["layers"].size(), 2u);
  EXPECT_EQ(doc["layers"][0]["outputShape"], Json::parse("[null, 3]"));
  EXPECT_EQ(doc["layers"][1]["outputShape"], Json::parse("[null, 2]"));
  ASSERT_EQ(doc["inputs"].size(), 1u);
  EXPECT_EQ(doc["inputs"][0]["shape"], Json::parse("[null, 4]"));
  EXPECT_EQ(doc["inputs"][0]["dtype"], "float32");
  EXPECT_TRUE(doc["inputs"][0]["name"].is_string());
  ASSERT_EQ(doc["outputs"].size(), 1u);
  EXPECT_EQ(doc["outputs"][0]["name"], "probabilities");
  EXPECT_EQ(doc["outputs"][0]["shape"], Json::parse("[null, 2]"));
  EXPECT_EQ(doc["weights"][0]["shape"], Json::parse("[4, 3]"));
  for (const char* key : {"groups", "weights", "weightBytes", "integrity", "trainingConfig"}) {
    EXPECT_TRUE(doc.contains(key)) << key;
  }
  // Sections choose the keys too.
  r = runCli("inspect --json --summary " + model);
  ASSERT_EQ(r.exitCode, 0) << r.out;
  doc = Json::parse(r.out);
  EXPECT_TRUE(doc.contains("layers"));
  EXPECT_TRUE(doc.contains("format"));
  for (const char* key : {"groups", "weights", "integrity"}) EXPECT_FALSE(doc.contains(key)) << key;
}

TEST(CliInspect, FunctionalModelInputsAreNamed) {
  TempDir tmp;
  const auto a = input({.shape = {5}, .name = "features"});
  const auto y = layers::dense({.units = 2, .name = "head"}).apply(a);
  const LayersModel m = tfjs::model({.inputs = {a}, .outputs = {y}}).build(1);
  saveModel(m.toArtifacts(), (tmp / "f").string());
  const auto r = runCli("inspect --json " + quote(tmp / "f"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  const Json doc = Json::parse(r.out);
  EXPECT_EQ(doc["inputs"],
            Json::parse(R"([{"name":"features","shape":[null,5],"dtype":"float32"}])"));
  EXPECT_EQ(doc["outputs"], Json::parse(R"([{"name":"head","shape":[null,2],"dtype":"float32"}])"));
  // The InputLayer row: a plain shape, not a list of one.
  EXPECT_EQ(doc["layers"][0]["outputShape"], Json::parse("[null, 5]"));
}

// --- train: model specs -------------------------------------------------------------------------

TEST(CliTrain, ModelSpecsAreStrict) {
  TempDir tmp;
  const std::string data = "--x '[[[[1],[2],[3]],[[4],[5],[6]],[[7],[8],[9]]]]' --y '[[1]]'";
  // conv2d's padding field is honoured: 'same' keeps 3x3, 'valid' makes 1x1.
  for (const char* padding : {"same", "valid"}) {
    const fs::path out = tmp / padding;
    auto r =
        runCli(fmt::format("train in:3x3x1,conv2d:4:3:relu:{},flatten,dense:1 {} --quiet --out {}",
                           padding, data, quote(out)));
    ASSERT_EQ(r.exitCode, 0) << r.out;
    r = runCli("inspect --json --summary " + quote(out));
    ASSERT_EQ(r.exitCode, 0) << r.out;
    const Json doc = Json::parse(r.out);
    EXPECT_EQ(doc["layers"][0]["outputShape"],
              Json::parse(std::string(padding) == "same" ? "[null,3,3,4]" : "[null,1,1,4]"));
  }
  struct Bad {
    const char* spec;
    std::vector<const char*> words;
  };
  const Bad bad[] = {
      {"in:3x3x1,conv2d:4:3:relu:same:x",
       {"unexpected field 'x'", "syntax: conv2d:FILTERS:KERNEL"}},
      {"in:3x3x1,conv2d:4:3:same",
       {"unknown activation 'same'", "conv2d:FILTERS:KERNEL[:ACTIVATION[:PADDING]]"}},
      {"in:3x3x1,conv2d:4:3:relu:full", {"padding 'full'"}},
      {"in:1,dense:1:relu:x", {"unexpected field 'x'", "dense:UNITS[:ACTIVATION]"}},
      {"in:1,dense:0", {"units '0' is not a positive integer"}},
      {"in:1,dense", {"0 field(s) given, 1 needed"}},
      {"in:3x3x1,flatten:2", {"unexpected field '2'"}},
      {"in:2x2,lstm:3:seqs", {"unexpected field 'seqs'"}},
      {"in:1,dropout:1.5", {"rate '1.5'"}},
      {"in:1,dens:1", {"unknown layer 'dens'; did you mean 'dense'?"}},
      {"in:1:2,dense:1", {"the input takes one field"}},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.spec);
    const auto r =
        runCli(fmt::format("train {} {} --quiet --out {}", b.spec, data, quote(tmp / "never")));
    EXPECT_EQ(r.exitCode, 2) << r.out;
    for (const char* w : b.words) EXPECT_THAT(r.out, HasSubstr(w));
  }
  EXPECT_FALSE(fs::exists(tmp / "never"));
  const auto help = runCli("train --help");
  EXPECT_THAT(help.out, HasSubstr("conv2d:FILTERS:KERNEL[:ACTIVATION[:PADDING]]"));
}

// --- train: progress and flags ------------------------------------------------------------------

const char* kLine = "--x '[[-1],[0],[1],[2],[3],[4]]' --y '[[-3],[-1],[1],[3],[5],[7]]'";

TEST(CliTrain, ProgressInAPipeIsOnePlainLinePerEpoch) {
  TempDir tmp;
  auto r = runCli(fmt::format("train in:1,dense:1 {} --epochs 3 --batch-size 2 --out {}", kLine,
                              quote(tmp / "m")));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\033["), std::string::npos) << r.out;
  int epochs = 0;
  for (const auto& l : lines(r.out)) {
    if (!l.starts_with("Epoch ")) continue;
    ++epochs;
    EXPECT_THAT(l, ::testing::MatchesRegex(R"(Epoch [1-3]/3 loss=[-+.0-9e]+ \([0-9.]+m?s\))"));
  }
  EXPECT_EQ(epochs, 3) << r.out;
  r = runCli(
      fmt::format("train in:1,dense:1 {} --epochs 3 --quiet --out {}", kLine, quote(tmp / "q")));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, Not(HasSubstr("Epoch")));
}

TEST(CliTrain, EarlyStoppingValidationDataClassWeightsInitialEpoch) {
  TempDir tmp;
  // A min-delta no change can meet: stops after the second epoch (patience 0).
  auto r = runCli(fmt::format(
      "train in:1,dense:1 {} --epochs 10 --early-stopping loss --min-delta 1e9 --out {} --json",
      kLine, quote(tmp / "es")));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("stopped early after epoch 2 (loss did not improve)"));
  const auto jsonOf = [](const std::string& out) {
    return Json::parse(out.substr(out.find("{\n")));
  };
  EXPECT_EQ(jsonOf(r.out)["epoch"], Json::parse("[0, 1]"));
  // Validation data in the forms --x takes.
  r = runCli(fmt::format(
      "train in:1,dense:1 {} --epochs 2 --validation-x '[[5],[6]]' --validation-y '[[9],[11]]' "
      "--quiet --json --out {}",
      kLine, quote(tmp / "val")));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(jsonOf(r.out)["history"]["val_loss"].size(), 2u);
  r = runCli(fmt::format("train in:1,dense:1 {} --validation-x '[[5]]' --out {}", kLine,
                         quote(tmp / "never")));
  EXPECT_EQ(r.exitCode, 2) << r.out;
  // Class weights, as a list and as JSON; a bad one is an error naming the form.
  const char* cls = "--x '[[0],[1],[2],[3]]' --y '[[1,0],[1,0],[0,1],[1,0]]'";
  for (const char* cw : {"0=1,1=5", "'{\"0\": 1, \"1\": 5}'"}) {
    r =
        runCli(fmt::format("train in:1,dense:2:softmax {} --loss categoricalCrossentropy "
                           "--class-weight {} --quiet --out {}",
                           cls, cw, quote(tmp / fmt::format("cw{}", cw[0] == '0' ? 1 : 2))));
    EXPECT_EQ(r.exitCode, 0) << r.out;
  }
  r = runCli(fmt::format("train in:1,dense:2:softmax {} --class-weight 0=x --out {}", cls,
                         quote(tmp / "never")));
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--class-weight '0=x': 'x' is not a number"));
  // --initial-epoch: the epochs run are initial-epoch+1 .. epochs.
  r = runCli(fmt::format("train in:1,dense:1 {} --epochs 3 --initial-epoch 2 --json --out {}",
                         kLine, quote(tmp / "ie")));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(jsonOf(r.out)["epoch"], Json::parse("[2]"));
  EXPECT_THAT(r.out, HasSubstr("Epoch 3/3"));
  r = runCli(fmt::format("train in:1,dense:1 {} --epochs 3 --initial-epoch 3 --out {}", kLine,
                         quote(tmp / "never")));
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--initial-epoch 3 leaves nothing to train"));
  // --patience without --early-stopping is a usage error.
  r = runCli(
      fmt::format("train in:1,dense:1 {} --patience 2 --out {}", kLine, quote(tmp / "never")));
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_FALSE(fs::exists(tmp / "never"));
}

// --- FitArgs::onBatchEnd ------------------------------------------------------------------------

// A model's saved training config gives tfjs train its defaults, as tf.loadLayersModel compiles
// from it: its loss as a name, a one-element list or a dict by output name; loss_weights other
// than 1 are refused (nothing applies them; TF.js refuses to load them) unless --loss is given.
TEST(CliTrain, TheSavedTrainingConfigGivesTheDefaultLoss) {
  TempDir tmp;
  auto r =
      runCli(fmt::format("train in:1,dense:1 {} --epochs 2 --loss meanAbsoluteError --quiet "
                         "--no-shuffle --out {}",
                         kLine, quote(tmp / "base")));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  const auto lossesOf = [&](const std::string& from, const std::string& extra,
                            const std::string& out) {
    auto t = runCli(fmt::format("train {} {} --epochs 3 --quiet --no-shuffle --json {} --out {}",
                                quote(from), kLine, extra, quote(tmp / out)));
    EXPECT_EQ(t.exitCode, 0) << t.out;
    return t.exitCode == 0 ? Json::parse(t.out.substr(t.out.find("{\n")))["history"]["loss"]
                           : Json();
  };
  const Json mae = lossesOf((tmp / "base").string(), "--loss meanAbsoluteError", "mae");
  const Json mse = lossesOf((tmp / "base").string(), "--loss meanSquaredError", "mse");
  ASSERT_EQ(mae.size(), 3u);
  EXPECT_NE(mae, mse);
  EXPECT_EQ(lossesOf((tmp / "base").string(), "", "stored"), mae);

  // The same model with the loss written as a list, as a dict by output name, with loss_weights.
  Json model = Json::parse(test::readText(tmp / "base" / "model.json"));
  const std::string output = model["modelTopology"]["config"]["layers"].back()["config"]["name"];
  const auto variant = [&](const std::string& name, const Json& loss, const Json& weights) {
    fs::copy(tmp / "base", tmp / name);
    Json m = model;
    m["trainingConfig"]["loss"] = loss;
    m["trainingConfig"]["loss_weights"] = weights;
    test::writeText(tmp / name / "model.json", m.dump());
    return (tmp / name).string();
  };
  EXPECT_EQ(lossesOf(variant("list", {"mean_absolute_error"}, nullptr), "", "l"), mae);
  EXPECT_EQ(lossesOf(variant("dict", {{output, "mae"}}, Json::array({1})), "", "d"), mae);
  const std::string weighted = variant("weighted", "mae", Json::array({2}));
  r = runCli(
      fmt::format("train {} {} --quiet --out {}", quote(weighted), kLine, quote(tmp / "never")));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("loss_weights [2]"));
  EXPECT_FALSE(fs::exists(tmp / "never"));
  EXPECT_EQ(lossesOf(weighted, "--loss mae", "w"), mae);
  r = runCli(fmt::format("train {} {} --quiet --out {}",
                         quote(variant("other", {{"nothing", "mae"}}, nullptr)), kLine,
                         quote(tmp / "never")));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr(fmt::format("names no loss for its output '{}'", output)));
}

TEST(FitCallbacks, OnBatchEndIsCalledForEveryBatch) {
  LayersModel m = sequential({layers::dense({.units = 1, .inputShape = {1}})}).build(3);
  m.compile({.optimizer = "sgd", .loss = {"meanSquaredError"}, .metrics = {"mae"}});
  std::vector<float> xs, ys;
  for (int i = 0; i < 10; ++i) {
    xs.push_back(static_cast<float>(i) / 10);
    ys.push_back(2 * static_cast<float>(i) / 10 - 1);
  }
  struct Call {
    int epoch, batch, batches;
    Logs logs;
  };
  std::vector<Call> calls;
  FitArgs fa;
  fa.epochs = 2;
  fa.batchSize = 4;
  fa.shuffle = false;
  fa.onBatchEnd = [&](int epoch, int batch, int batches, const Logs& logs) {
    calls.push_back({epoch, batch, batches, logs});
    return true;
  };
  const History h = m.fit(tensor(xs, {10, 1}), tensor(ys, {10, 1}), fa);
  ASSERT_EQ(calls.size(), 6u);  // 3 batches (4, 4, 2 samples) x 2 epochs
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].epoch, static_cast<int>(i / 3));
    EXPECT_EQ(calls[i].batch, static_cast<int>(i % 3));
    EXPECT_EQ(calls[i].batches, 3);
    ASSERT_TRUE(calls[i].logs.count("loss"));
    ASSERT_TRUE(calls[i].logs.count("mae"));
    EXPECT_TRUE(std::isfinite(calls[i].logs.at("loss")));
    EXPECT_GE(calls[i].logs.at("loss"), 0);
  }
  // The epoch's loss is the batches' losses weighted by their sizes (as TF.js averages them).
  for (int e = 0; e < 2; ++e) {
    const double mean = (4 * calls[3 * e].logs.at("loss") + 4 * calls[3 * e + 1].logs.at("loss") +
                         2 * calls[3 * e + 2].logs.at("loss")) /
                        10;
    EXPECT_NEAR(h.history.at("loss")[static_cast<size_t>(e)], mean, 1e-6 * (1 + mean));
  }
  // Returning false stops after that batch; the epoch's logs average the samples seen.
  calls.clear();
  fa.epochs = 5;
  fa.onBatchEnd = [&](int epoch, int batch, int batches, const Logs& logs) {
    calls.push_back({epoch, batch, batches, logs});
    return !(epoch == 1 && batch == 0);
  };
  const History stopped = m.fit(tensor(xs, {10, 1}), tensor(ys, {10, 1}), fa);
  EXPECT_EQ(calls.size(), 4u);
  EXPECT_EQ(stopped.epoch, (std::vector<int>{0, 1}));
  EXPECT_NEAR(stopped.history.at("loss")[1], calls.back().logs.at("loss"),
              1e-6 * (1 + calls.back().logs.at("loss")));
}

// --- builder argument checks --------------------------------------------------------------------

void expectInvalid(const std::function<void()>& f, std::initializer_list<const char*> words) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    for (const char* w : words) EXPECT_THAT(e.what(), HasSubstr(w));
  }
}

TEST(BuilderArguments, InvalidArgumentsAreInvalidArgumentNamingLayerAndArgument) {
  expectInvalid([] { layers::dense({.units = 0}); }, {"Dense", "units", "0"});
  expectInvalid([] { layers::dense({.units = -3, .name = "d"}); }, {"Dense 'd'", "units"});
  expectInvalid([] { layers::dense({.units = 2, .activation = "nope"}); },
                {"Dense", "activation", "nope"});
  expectInvalid([] { layers::conv2d({.filters = 0, .kernelSize = {3}}); }, {"Conv2D", "filters"});
  expectInvalid([] { layers::conv2d({.filters = 2, .kernelSize = {0}}); },
                {"Conv2D", "kernelSize"});
  expectInvalid([] { layers::conv2d({.filters = 2, .kernelSize = {3}, .strides = {0}}); },
                {"Conv2D", "strides"});
  expectInvalid([] { layers::conv2d({.filters = 2, .kernelSize = {3}, .padding = "full"}); },
                {"Conv2D", "padding", "full"});
  expectInvalid([] { layers::conv1d({.filters = 2, .kernelSize = {}}); }, {"Conv1D", "kernelSize"});
  expectInvalid([] { layers::maxPooling2d({.poolSize = {0}}); }, {"MaxPooling2D", "poolSize"});
  expectInvalid([] { layers::averagePooling2d({.poolSize = {2}, .strides = {-1}}); },
                {"AveragePooling2D", "strides"});
  expectInvalid([] { layers::dropout({.rate = 1.0}); }, {"Dropout", "rate"});
  expectInvalid([] { layers::dropout({.rate = -0.1}); }, {"Dropout", "rate"});
  expectInvalid([] { layers::lstm({.units = 0}); }, {"LSTM", "units"});
  expectInvalid([] { layers::gru({.units = 4, .recurrentActivation = "x"}); },
                {"GRU", "recurrentActivation"});
  expectInvalid([] { layers::simpleRNN({.units = -1}); }, {"SimpleRNN", "units"});
  expectInvalid([] { layers::embedding({.inputDim = 0, .outputDim = 4}); },
                {"Embedding", "inputDim"});
  expectInvalid([] { layers::embedding({.inputDim = 10, .outputDim = 0}); },
                {"Embedding", "outputDim"});
  expectInvalid([] { layers::reshape({.targetShape = {-1, -1}}); }, {"Reshape", "targetShape"});
  expectInvalid([] { layers::reshape({.targetShape = {0, 2}}); }, {"Reshape", "targetShape"});
  expectInvalid([] { layers::activation({.activation = "bogus"}); }, {"Activation", "bogus"});
  expectInvalid([] { layers::batchNormalization({.momentum = 1.5}); },
                {"BatchNormalization", "momentum"});
  expectInvalid([] { layers::batchNormalization({.epsilon = 0}); },
                {"BatchNormalization", "epsilon"});
  expectInvalid([] { layers::flatten({.inputShape = {-2}}); }, {"Flatten", "inputShape"});
  // Valid arguments still make layers.
  EXPECT_NO_THROW(layers::dense({.units = 1}));
  EXPECT_NO_THROW(layers::conv1d({.filters = 1, .kernelSize = {2}, .padding = "causal"}));
  EXPECT_NO_THROW(layers::dropout({.rate = 0}));
  EXPECT_NO_THROW(layers::reshape({.targetShape = {-1, 2}}));
}

}  // namespace
}  // namespace tfjs
