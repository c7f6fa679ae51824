// tfjs train MODEL --x X --y Y --epochs N [...] --out DIR
//
// X and Y are .npy, JSON, CSV / TSV or image files, or JSON literals such as '[[1],[2]]'
// (inputs.h).
//
// MODEL is a model folder, model.json or URL (its topology, and its weights as the starting point
// when it has any; a topology without weights starts from its initializers), or a model spec:
// "in:SHAPE,LAYER,LAYER,..." with SHAPE like 1 or 28x28x1 and LAYER one of dense:UNITS[:ACT],
// conv2d:FILTERS:KERNEL[:ACT], maxpool2d:SIZE, avgpool2d:SIZE, flatten, batchnorm, dropout:RATE,
// activation:ACT, lstm:UNITS[:seq], gru:UNITS[:seq], simplernn:UNITS[:seq] (":seq": return
// sequences), e.g. "in:1,dense:1", the walkthrough's model. Built with tfjs/builder.h.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common.h"
#include "inputs.h"
#include "tfjs/builder.h"
#include "tfjs/convert.h"
#include "tfjs/layers_model.h"

namespace tfjs::cli {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, sep);) out.push_back(part);
  return out;
}

int64_t positive(const std::string& s, const std::string& what) {
  size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || v <= 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("model spec: {} '{}' is not a positive integer", what, s));
  }
  return v;
}

// The Sequential topology of a model spec, made with the builder API (tfjs/builder.h).
Json topologyFromSpec(const std::string& spec) {
  const auto items = split(spec, ',');
  if (items.empty() || items[0].rfind("in:", 0) != 0) {
    throw Error(ErrorCode::kInvalidArgument,
                "model spec: it must start with the input shape, e.g. in:1 or in:28x28x1");
  }
  std::vector<int64_t> shape;
  for (const auto& d : split(items[0].substr(3), 'x')) shape.push_back(positive(d, "dimension"));
  Sequential model;
  for (size_t i = 1; i < items.size(); ++i) {
    const auto p = split(items[i], ':');
    if (p.empty()) throw Error(ErrorCode::kInvalidArgument, "model spec: an empty layer");
    const std::string& kind = p[0];
    auto arg = [&](size_t k, const std::string& what) -> const std::string& {
      if (p.size() <= k) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("model spec: '{}' needs {}", items[i], what));
      }
      return p[k];
    };
    const std::vector<int64_t> in = i == 1 ? shape : std::vector<int64_t>{};
    const std::string act = p.size() > 2 ? p[2] : "linear";
    if (kind == "dense") {
      model.add(layers::dense(
          {.units = positive(arg(1, "a unit count (dense:UNITS[:ACTIVATION])"), "units"),
           .activation = act,
           .inputShape = in}));
    } else if (kind == "conv2d") {
      model.add(layers::conv2d(
          {.filters =
               positive(arg(1, "a filter count (conv2d:FILTERS:KERNEL[:ACTIVATION])"), "filters"),
           .kernelSize = {positive(arg(2, "a kernel size (conv2d:FILTERS:KERNEL)"), "kernel size")},
           .activation = p.size() > 3 ? p[3] : "linear",
           .inputShape = in}));
    } else if (kind == "maxpool2d" || kind == "avgpool2d") {
      const layers::PoolingArgs a{.poolSize = {positive(arg(1, "a pool size"), "pool size")},
                                  .inputShape = in};
      model.add(kind == "maxpool2d" ? layers::maxPooling2d(a) : layers::averagePooling2d(a));
    } else if (kind == "flatten") {
      model.add(layers::flatten({.inputShape = in}));
    } else if (kind == "batchnorm") {
      model.add(layers::batchNormalization({.inputShape = in}));
    } else if (kind == "dropout") {
      double rate = -1;
      try {
        rate = std::stod(arg(1, "a rate (dropout:RATE)"));
      } catch (const std::invalid_argument&) {
      }
      if (!(rate >= 0 && rate < 1)) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("model spec: '{}': the rate must be in [0, 1)", items[i]));
      }
      model.add(layers::dropout({.rate = rate, .inputShape = in}));
    } else if (kind == "activation") {
      model.add(layers::activation(
          {.activation = arg(1, "an activation name (activation:NAME)"), .inputShape = in}));
    } else if (kind == "lstm" || kind == "gru" || kind == "simplernn") {
      const layers::RecurrentArgs a{.units = positive(arg(1, "a unit count"), "units"),
                                    .returnSequences = p.size() > 2 && p[2] == "seq",
                                    .inputShape = in};
      model.add(kind == "lstm"  ? layers::lstm(a)
                : kind == "gru" ? layers::gru(a)
                                : layers::simpleRNN(a));
    } else {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("model spec: unknown layer '{}' (known: dense, conv2d, maxpool2d, "
                              "avgpool2d, flatten, batchnorm, dropout, activation, lstm, gru, "
                              "simplernn)",
                              kind));
    }
  }
  if (items.size() < 2) {
    throw Error(ErrorCode::kInvalidArgument, "model spec: no layers after the input shape");
  }
  return model.toJSON();
}

bool isSpec(const std::string& m) {
  return m.rfind("in:", 0) == 0;
}

}  // namespace

void registerTrain(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand(
      "train", "train a layers model natively (TF.js's fit) and save it as a TF.js model");
  struct Opts {
    ModelArgs model;
    std::string x, y, out, h5, history, optimizer, loss, metrics;
    int epochs = 1;
    int batchSize = 32;
    double learningRate = 0;
    double validationSplit = 0;
    uint64_t seed = 0;
    bool noShuffle = false;
    bool includeOptimizer = false;
    bool sync = false;
    bool quiet = false;
    bool json = false;
    int threads = 0;
    ImageArgs image;
  };
  auto o = std::make_shared<Opts>();
  o->model.add(*cmd);
  cmd->get_option("MODEL")->description(
      "a model folder, model.json or URL (topology + starting weights), or a model spec such as "
      "in:1,dense:1 or in:28x28x1,conv2d:8:3:relu,maxpool2d:2,flatten,dense:10:softmax (layers: "
      "dense:UNITS[:ACT], conv2d:FILTERS:KERNEL[:ACT], maxpool2d:N, avgpool2d:N, flatten, "
      "batchnorm, dropout:RATE, activation:ACT, lstm|gru|simplernn:UNITS[:seq])");
  cmd->add_option("--x", o->x,
                  "the inputs (samples along dimension 0): a .npy, a JSON literal such as "
                  "'[[-1],[0],[1]]', @FILE.json or FILE.json, a .csv/.tsv of numbers, or a "
                  ".png/.jpg image (one sample)")
      ->required();
  cmd->add_option("--y", o->y, "the targets, with as many samples, in the same forms as --x")
      ->required();
  o->image.add(*cmd);
  cmd->add_option("--epochs", o->epochs, "epochs to train")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  cmd->add_option("--batch-size,--batch_size", o->batchSize, "samples per optimizer step")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30));
  cmd->add_option("--optimizer", o->optimizer,
                  "sgd, momentum, adam, adamax, rmsprop, adagrad, adadelta (default: the model's "
                  "trainingConfig, else sgd)");
  cmd->add_option("--learning-rate,--learning_rate", o->learningRate,
                  "the optimizer's learning rate (default: TF.js's for the optimizer)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--loss", o->loss,
                  "meanSquaredError, categoricalCrossentropy, ... (default: the model's "
                  "trainingConfig, else meanSquaredError)");
  cmd->add_option("--metrics", o->metrics, "comma-separated metrics, e.g. accuracy,mae");
  cmd->add_option("--validation-split,--validation_split", o->validationSplit,
                  "fraction of the samples, taken from the end, to validate on after each epoch")
      ->check(CLI::Range(0.0, 0.999999));
  cmd->add_option("--seed", o->seed, "seed of shuffling, dropout and initializers")
      ->capture_default_str();
  cmd->add_flag("--no-shuffle", o->noShuffle, "keep the samples in order (TF.js: shuffle false)");
  cmd->add_option("--history", o->history, "write the per-epoch loss and metrics as JSON");
  cmd->add_option("--out", o->out, "the folder to save the trained TF.js model in")->required();
  cmd->add_option("--h5", o->h5,
                  "also save the trained model as a Keras .h5 (Keras 2 layout, as tfjs convert "
                  "writes it)");
  cmd->add_flag("--sync", o->sync,
                "wait until the saved files are on the disk (fsync; off by default, as TF.js's "
                "savers)");
  cmd->add_flag("--include-optimizer", o->includeOptimizer,
                "also save the optimizer's state (a weight group marked \"optimizer\")");
  cmd->add_option("--threads", o->threads, "compute threads (0: all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd->add_flag("-q,--quiet", o->quiet, "no per-epoch progress");
  cmd->add_flag("--json", o->json,
                "print the history (and fitSeconds, the time fit took) as JSON at the end");
  cmd->callback([&run, o] {
    run = [o]() -> int {
      ModelOptions options;
      options.threads = o->threads;
      // Outputs that exist are refused before any training (nothing is ever overwritten).
      for (const std::string& target : {o->out, o->h5}) {
        std::error_code ec;
        if (!target.empty() && std::filesystem::exists(target, ec) &&
            !(std::filesystem::is_directory(target, ec) && std::filesystem::is_empty(target, ec))) {
          throw Error(ErrorCode::kExists,
                      "the output already exists; choose a new one: nothing is overwritten",
                      target);
        }
      }
      const bool spec = isSpec(o->model.model);
      ModelArtifacts start;
      if (!spec) start = loadModel(o->model.model, o->model.loadOptions(true));
      LayersModel m = spec ? modelFromJSON(topologyFromSpec(o->model.model), o->seed, options)
                      : start.weightCount() == 0
                          ? modelFromJSON(start.modelTopology, o->seed, options)
                          : LayersModel::fromArtifacts(start, options);
      const Tensor x = readInput(o->x, o->image, {m.inputs()[0].name, m.inputs()[0].shape});
      const Tensor y = readInput(o->y, o->image, {m.outputs()[0].name, m.outputs()[0].shape});
      // Defaults from the model's trainingConfig (TF.js writes one when saved after compile).
      const Json tc = start.trainingConfig;
      CompileArgs ca;
      ca.optimizer = o->optimizer;
      if (ca.optimizer.empty() && tc.is_object() && tc.contains("optimizer_config")) {
        ca.optimizer = tc["optimizer_config"].value("class_name", "sgd");
        ca.optimizerConfig = tc["optimizer_config"].value("config", Json::object());
      }
      if (ca.optimizer.empty()) ca.optimizer = "sgd";
      if (o->learningRate > 0) ca.optimizerConfig["learning_rate"] = o->learningRate;
      if (!o->loss.empty()) {
        ca.loss = {o->loss};
      } else if (tc.is_object() && tc.contains("loss") && tc["loss"].is_string()) {
        ca.loss = {tc["loss"].get<std::string>()};
      }
      if (!o->metrics.empty()) ca.metrics = split(o->metrics, ',');
      m.compile(ca);
      if (o->includeOptimizer) {
        std::string lower;
        for (char c : ca.optimizer)
          lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == "adamax") {
          throw Error(ErrorCode::kInvalidArgument,
                      "--include-optimizer with adamax: TF.js's Adamax has no savable state "
                      "(getWeights is not implemented), so the model could not be saved after "
                      "training; leave --include-optimizer out or choose another optimizer");
        }
      }
      FitArgs fa;
      fa.epochs = o->epochs;
      fa.batchSize = o->batchSize;
      fa.shuffle = !o->noShuffle;
      fa.seed = o->seed;
      fa.validationSplit = o->validationSplit;
      const bool tty = ::isatty(STDERR_FILENO);
      fa.onEpochEnd = [o, tty](int epoch, const Logs& logs) {
        if (o->quiet) return true;
        std::string line = fmt::format("Epoch {}/{}", epoch + 1, o->epochs);
        for (const auto& [k, v] : logs) line += fmt::format(" {}={:.6g}", k, v);
        if (tty) {
          std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), epoch + 1 == o->epochs ? "\n" : "");
        } else {
          std::fprintf(stderr, "%s\n", line.c_str());
        }
        return true;
      };
      const auto t0 = std::chrono::steady_clock::now();
      const History h = m.fit(x, y, fa);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (tty && !o->quiet && !h.epoch.empty() && h.epoch.back() + 1 != o->epochs) {
        std::fprintf(stderr, "\n");
      }
      Json hist = {{"epoch", h.epoch}, {"history", h.history}, {"fitSeconds", seconds}};
      if (!o->history.empty()) {
        std::ofstream out(o->history, std::ios::binary | std::ios::trunc);
        out << jsonText(hist) << "\n";
        if (!out) throw Error(ErrorCode::kIo, "cannot write the history file", o->history);
      }
      SaveOptions save;
      save.sync = o->sync;
      saveModel(m.toArtifacts(o->includeOptimizer), o->out, save);
      if (!o->h5.empty()) {
        ConvertOptions k;
        k.sync = o->sync;
        k.inputFormat = "tfjs_layers_model";
        k.outputFormat = "keras";
        convertModel(o->out, o->h5, k);
      }
      if (o->json) {
        std::printf("%s\n", jsonText(hist).c_str());
      } else {
        std::string last;
        for (const auto& [k, v] : h.history) last += fmt::format(" {}={:.7g}", k, v.back());
        std::printf("trained %zu epoch(s):%s\nsaved %s%s%s\n", h.epoch.size(), last.c_str(),
                    o->out.c_str(), o->h5.empty() ? "" : " and ", o->h5.c_str());
      }
      return kOk;
    };
  });
}

}  // namespace tfjs::cli
