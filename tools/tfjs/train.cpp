// tfjs train MODEL --x X --y Y --epochs N [...] --out DIR
//
// X and Y are .npy, JSON, CSV / TSV or image files, or JSON literals such as '[[1],[2]]'
// (inputs.h).
//
// MODEL is a model folder, model.json or URL (its topology, and its weights as the starting point
// when it has any; a topology without weights starts from its initializers), or a model spec
// such as "in:1,dense:1", the walkthrough's model (model_spec.cpp).
//
// Progress: on a terminal, a live line per batch (batch k/n, samples/s, time left in the epoch,
// the epoch's mean loss so far) that becomes the epoch's line at its end; in a pipe, one plain
// line per epoch ("Epoch 2/5 loss=... val_loss=... (0.8s)"); nothing with --quiet.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "common.h"
#include "inputs.h"
#include "tfjs/builder.h"
#include "tfjs/convert.h"
#include "tfjs/layers_model.h"

namespace tfjs::cli {
namespace {

// The training config a model was saved with (top-level trainingConfig, else Keras's
// modelTopology.training_config), or null. Its loss_weights scale the loss and are refused
// (without --loss) unless all 1 (TF.js's loadTrainingConfig refuses any); sample_weight_mode and
// weighted_metrics change nothing without sample weights, which tfjs train does not take.
Json trainingDefaults(const ModelArtifacts& a, bool lossGiven) {
  Json tc = a.trainingConfig;
  if (tc.is_null() && a.modelTopology.is_object()) {
    tc = a.modelTopology.value("training_config", Json());
  }
  if (!tc.is_object()) return nullptr;
  if (auto w = tc.find("loss_weights"); !lossGiven && w != tc.end() && !w->is_null()) {
    bool ones = w->is_array() || w->is_object();
    for (const auto& v : w->items()) ones = ones && v.value().is_number() && v.value() == 1;
    if (!ones) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("the model's training config has loss_weights {}, which neither "
                              "TF.js's fit nor tfjs train applies (TF.js refuses to load it); give "
                              "--loss to train without them",
                              w->dump()));
    }
  }
  return tc;
}

// The training config's loss for the output named `output`: a name, a one-element list, or a
// {output: name} dict; nullopt when there is none.
std::optional<std::string> storedLoss(const Json& tc, const std::string& output) {
  if (!tc.is_object() || !tc.contains("loss") || tc["loss"].is_null()) return std::nullopt;
  const Json& l = tc["loss"];
  const Json* one = l.is_string()                         ? &l
                    : l.is_array() && l.size() == 1       ? &l[0]
                    : l.is_object() && l.contains(output) ? &l[output]
                                                          : nullptr;
  if (!one || !one->is_string()) {
    throw Error(ErrorCode::kUnsupported,
                fmt::format("the model's training config has loss {}, which names no loss for its "
                            "output '{}' (a loss name, a one-element list or a dict by output "
                            "name was expected); give --loss",
                            l.dump(), output));
  }
  return one->get<std::string>();
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, sep);) out.push_back(part);
  return out;
}

// --class-weight: "0=1,1=5" (or "0:1,1:5") or a JSON object {"0": 1, "1": 5}.
std::map<int, double> parseClassWeight(const std::string& text) {
  std::map<int, double> out;
  auto bad = [&](const std::string& why) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--class-weight '{}': {} (expected CLASS=WEIGHT,... such as 0=1,1=5, "
                             "or a JSON object such as '{{\"0\": 1, \"1\": 5}}')",
                             text, why));
  };
  auto number = [&](const std::string& s, bool integer) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (s.empty() || used != s.size() || !std::isfinite(v) || (integer && v != std::floor(v))) {
      throw bad(fmt::format("'{}' is not {}", s, integer ? "a class index" : "a number"));
    }
    return v;
  };
  auto add = [&](const std::string& k, double w) {
    const double c = number(k, true);
    if (c < 0 || c > 1e9) throw bad(fmt::format("class {} is not an index >= 0", k));
    if (w < 0) throw bad(fmt::format("the weight of class {} is negative", k));
    if (!out.emplace(static_cast<int>(c), w).second) throw bad(fmt::format("class {} twice", k));
  };
  if (!text.empty() && text.front() == '{') {
    Json j;
    try {
      j = Json::parse(text);
    } catch (const Json::exception&) {
      throw bad("not valid JSON");
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_number())
        throw bad(fmt::format("the weight of '{}' is not a number", it.key()));
      add(it.key(), it.value().get<double>());
    }
  } else {
    for (const auto& part : split(text, ',')) {
      const auto eq = part.find_first_of("=:");
      if (eq == std::string::npos) throw bad(fmt::format("'{}' has no '='", part));
      add(part.substr(0, eq), number(part.substr(eq + 1), false));
    }
  }
  if (out.empty()) throw bad("no classes");
  return out;
}

// "1:05", "12s", "1:02:03": a duration for the progress line.
std::string durationText(double seconds) {
  if (!(seconds >= 0) || seconds > 360000) return "?";
  const auto s = static_cast<long>(std::lround(seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}:{:02}", s / 60, s % 60);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

std::string logsText(const Logs& logs) {
  std::string line;
  for (const auto& [k, v] : logs) line += fmt::format(" {}={:.6g}", k, v);
  return line;
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
    std::string validationX, validationY, classWeight;
    std::string earlyStopping, earlyStoppingMode = "auto";
    int patience = 0;
    double minDelta = 0;
    int epochs = 1;
    int initialEpoch = 0;
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
      "in:1,dense:1 or in:28x28x1,conv2d:8:3:relu:same,maxpool2d:2,flatten,dense:10:softmax: "
      "layers separated by ',', each layer's fields by ':', positionally; an unknown or extra "
      "field is an error. Layers: " +
      modelSpecSyntax());
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
  auto* splitOpt = cmd->add_option("--validation-split,--validation_split", o->validationSplit,
                                   "fraction of the samples, taken from the end, to validate on "
                                   "after each epoch")
                       ->check(CLI::Range(0.0, 0.999999));
  auto* vx = cmd->add_option("--validation-x,--validation_x", o->validationX,
                             "validation inputs, in the forms --x takes (instead of "
                             "--validation-split)");
  auto* vy = cmd->add_option("--validation-y,--validation_y", o->validationY,
                             "validation targets, in the forms --y takes");
  vx->needs(vy);
  vy->needs(vx);
  vx->excludes(splitOpt);
  cmd->add_option("--class-weight,--class_weight", o->classWeight,
                  "weight of each class in the loss, CLASS=WEIGHT,... (e.g. 0=1,1=5) or a JSON "
                  "object ('{\"0\": 1, \"1\": 5}'); single-output models");
  auto* es = cmd->add_option(
      "--early-stopping", o->earlyStopping,
      "stop when the logged value MONITOR (e.g. val_loss, loss, val_acc) stops improving, as "
      "tf.callbacks.earlyStopping; see --patience, --min-delta, --early-stopping-mode");
  cmd->add_option("--patience", o->patience,
                  "epochs without improvement before early stopping stops (default 0)")
      ->check(CLI::NonNegativeNumber)
      ->needs(es);
  cmd->add_option("--min-delta,--min_delta", o->minDelta,
                  "smallest change of the monitored value that counts as an improvement "
                  "(default 0)")
      ->check(CLI::NonNegativeNumber)
      ->needs(es);
  cmd->add_option("--early-stopping-mode", o->earlyStoppingMode,
                  "min, max, or auto (max for names containing \"acc\", else min)")
      ->check(CLI::IsMember({"min", "max", "auto"}))
      ->capture_default_str()
      ->needs(es);
  cmd->add_option("--initial-epoch,--initial_epoch", o->initialEpoch,
                  "the epoch to start at (to resume: epochs run are initial-epoch+1 .. epochs)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
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
  cmd->add_flag("-q,--quiet", o->quiet,
                "no progress (by default: a live line per batch on a terminal, with samples/s "
                "and time left; one line per epoch in a pipe)");
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
      // Defaults from the model's training config (TF.js writes trainingConfig when saved after
      // compile; a converted Keras model holds modelTopology.training_config).
      const Json tc = trainingDefaults(start, !o->loss.empty());
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
      } else if (auto l = storedLoss(tc, m.outputs()[0].name)) {
        ca.loss = {*l};
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
      fa.initialEpoch = o->initialEpoch;
      if (fa.initialEpoch >= fa.epochs) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("--initial-epoch {} leaves nothing to train: --epochs is {} (the "
                                "epochs run are initial-epoch+1 .. epochs)",
                                fa.initialEpoch, fa.epochs));
      }
      fa.batchSize = o->batchSize;
      fa.shuffle = !o->noShuffle;
      fa.seed = o->seed;
      fa.validationSplit = o->validationSplit;
      if (!o->validationX.empty()) {
        fa.validationX = {
            readInput(o->validationX, o->image, {m.inputs()[0].name, m.inputs()[0].shape})};
        fa.validationY = {
            readInput(o->validationY, o->image, {m.outputs()[0].name, m.outputs()[0].shape})};
      }
      if (!o->classWeight.empty()) fa.classWeight = parseClassWeight(o->classWeight);
      if (!o->earlyStopping.empty()) {
        fa.earlyStopping.monitor = o->earlyStopping;
        fa.earlyStopping.patience = o->patience;
        fa.earlyStopping.minDelta = o->minDelta;
        fa.earlyStopping.mode = o->earlyStoppingMode;
      }
      const bool tty = ::isatty(STDERR_FILENO);
      // The training samples per epoch, as fit splits them (for samples/s and the time left).
      const int64_t samples = x.shape().empty() ? 1 : x.shape()[0];
      const int64_t trainSamples =
          fa.validationX.empty() && fa.validationSplit > 0
              ? static_cast<int64_t>(
                    std::floor(static_cast<double>(samples) * (1 - fa.validationSplit)))
              : samples;
      using Clock = std::chrono::steady_clock;
      struct Progress {
        Clock::time_point epochStart = Clock::now();
        Clock::time_point lastDraw{};
        double lossSum = 0;
        int lossCount = 0;
      };
      auto progress = std::make_shared<Progress>();
      if (tty && !o->quiet) {
        fa.onBatchEnd = [o, progress, trainSamples](int epoch, int batch, int batches,
                                                    const Logs& logs) {
          if (batch == 0) {
            progress->epochStart = Clock::now();
            progress->lossSum = 0;
            progress->lossCount = 0;
          }
          if (auto it = logs.find("loss"); it != logs.end()) {
            progress->lossSum += it->second;
            ++progress->lossCount;
          }
          const auto now = Clock::now();
          // Redraw at most 10 times a second (and always after the last batch).
          if (batch + 1 < batches && now - progress->lastDraw < std::chrono::milliseconds(100)) {
            return true;
          }
          progress->lastDraw = now;
          const double elapsed = std::chrono::duration<double>(now - progress->epochStart).count();
          const int64_t done =
              std::min<int64_t>(static_cast<int64_t>(batch + 1) * o->batchSize, trainSamples);
          // The rate once it means something (after 50 ms); until then "-".
          const double rate = elapsed > 0.05 ? static_cast<double>(done) / elapsed : 0;
          const double left = rate > 0 ? static_cast<double>(trainSamples - done) / rate : 0;
          constexpr int kBar = 20;
          const int filled = batches ? (batch + 1) * kBar / batches : kBar;
          std::string bar(static_cast<size_t>(filled), '=');
          if (filled < kBar) bar += '>' + std::string(static_cast<size_t>(kBar - filled - 1), '.');
          std::fprintf(
              stderr, "\rEpoch %d/%d %d/%d [%s] %s samples/s ETA %s loss=%.6g\033[K", epoch + 1,
              o->epochs, batch + 1, batches, bar.c_str(),
              rate > 0 ? withCommas(static_cast<uint64_t>(std::lround(rate))).c_str() : "-",
              rate > 0 ? durationText(left).c_str() : "-",
              progress->lossCount ? progress->lossSum / progress->lossCount : 0.0);
          std::fflush(stderr);
          return true;
        };
      }
      fa.onEpochEnd = [o, tty, progress](int epoch, const Logs& logs) {
        if (o->quiet) return true;
        const double seconds =
            std::chrono::duration<double>(Clock::now() - progress->epochStart).count();
        const std::string took =
            seconds < 1 ? fmt::format("{:.0f}ms", seconds * 1000) : fmt::format("{:.2f}s", seconds);
        const std::string line =
            fmt::format("Epoch {}/{}{} ({})", epoch + 1, o->epochs, logsText(logs), took);
        if (tty) {
          std::fprintf(stderr, "\r%s\033[K\n", line.c_str());
        } else {
          std::fprintf(stderr, "%s\n", line.c_str());
        }
        std::fflush(stderr);
        progress->epochStart = Clock::now();
        return true;
      };
      const auto t0 = Clock::now();
      progress->epochStart = t0;
      const History h = m.fit(x, y, fa);
      const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      if (!o->quiet && !h.epoch.empty() && h.epoch.back() + 1 < o->epochs) {
        std::fprintf(stderr, "stopped early after epoch %d (%s did not improve)\n",
                     h.epoch.back() + 1, o->earlyStopping.c_str());
      }
      Json hist = {{"epoch", h.epoch}, {"history", h.history}, {"fitSeconds", seconds}};
      if (!o->history.empty()) {
        writeFileAtomic(o->history, jsonText(hist) + "\n", {.overwrite = true, .sync = o->sync});
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
