// tfjs predict MODEL --input X [--input NAME=X2 ...] [--output Y.npy ...] [--json]
//                    [--top-k N [--labels labels.txt]] [--image-size WxH --scale S --channels C]
//                    [--outputs a,b:1]
// X is a .npy, JSON, CSV / TSV or image file, or a JSON literal (inputs.h). MODEL is a layers or
// a graph model (runnable.h); --outputs fetches any node outputs of a graph model.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>

#include "common.h"
#include "inputs.h"
#include "runnable.h"
#include "tfjs/npy.h"

namespace tfjs::cli {
namespace {

// labels.txt: one label per line (a trailing empty line is not a label).
std::vector<std::string> readLabels(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw Error(ErrorCode::kNotFound, "no such labels file", path);
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> labels;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  if (in.bad()) throw Error(ErrorCode::kIo, "cannot read the labels file", path);
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

struct Ranked {
  int64_t index;
  float score;
};

// The k best classes of each sample of a [batch, classes] output (ties: the lower index first,
// as tf.topk).
std::vector<std::vector<Ranked>> topK(const Tensor& y, int64_t k) {
  const int64_t batch = y.shape()[0], classes = y.shape()[1];
  k = std::min(k, classes);
  const auto v = y.floats();
  std::vector<std::vector<Ranked>> out;
  std::vector<int64_t> order(static_cast<size_t>(classes));
  for (int64_t b = 0; b < batch; ++b) {
    const float* row = v.data() + b * classes;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t a, int64_t c) {
      const float x = row[a], z = row[c];
      if (std::isnan(x) != std::isnan(z)) return std::isnan(z);  // NaN last
      return x > z || (!(z > x) && a < c);
    });
    std::vector<Ranked> best;
    for (int64_t i = 0; i < k; ++i) best.push_back({order[i], row[order[i]]});
    out.push_back(std::move(best));
  }
  return out;
}

Json scoreJson(float v) {
  return std::isfinite(v) ? Json(v) : Json(floatText(v));
}

struct PredictOptions {
  ModelArgs model;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::vector<std::string> fetch;  // --outputs (graph models)
  bool json = false;
  int64_t topK = 0;
  std::string labels;
  ImageArgs image;
  RunArgs compute;
};

// What `tfjs predict` computed: each output with its name, and with --top-k its ranked classes
// (per sample; none for an output that is not [batch, classes]) and the labels.
struct Prediction {
  std::vector<std::string> names;
  std::vector<Tensor> ys;
  std::vector<std::optional<std::vector<std::vector<Ranked>>>> ranked;
  std::vector<std::string> labels;
  const std::string* labelOf(int64_t index) const {
    return index < static_cast<int64_t>(labels.size()) ? &labels[static_cast<size_t>(index)]
                                                       : nullptr;
  }
};

// The model's inputs from the --input arguments (positional, or NAME=VALUE), in its input order.
std::vector<Tensor> readInputs(const Runnable& m, const PredictOptions& o) {
  const auto& infos = m.inputs();
  std::vector<Tensor> xs(infos.size());
  std::vector<bool> given(infos.size(), false);
  size_t positional = 0;
  for (const std::string& arg : o.inputs) {
    // NAME=VALUE when NAME is an input layer's name; a value may hold '=' itself.
    const auto eq = arg.find('=');
    size_t slot = infos.size();
    std::string value = arg;
    if (eq != std::string::npos && eq > 0) {
      for (size_t i = 0; i < infos.size(); ++i) {
        if (infos[i].name == arg.substr(0, eq)) slot = i;
      }
      std::error_code ec;
      const bool plain = arg[0] == '[' || arg[0] == '@' || std::filesystem::exists(arg, ec);
      if (slot == infos.size() && !plain) {
        std::string names;
        for (const auto& in : infos) names += (names.empty() ? "" : ", ") + in.name;
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("the model has no input named '{}' (inputs: {})", arg.substr(0, eq),
                                names));
      }
      if (slot != infos.size()) value = arg.substr(eq + 1);
    }
    if (slot == infos.size()) slot = positional++;
    if (slot >= infos.size()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("the model has {} input(s); more were given", infos.size()));
    }
    if (given[slot]) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("input '{}' was given twice", infos[slot].name));
    }
    xs[slot] = readInput(value, o.image, {infos[slot].name, infos[slot].shape});
    given[slot] = true;
  }
  for (size_t i = 0; i < infos.size(); ++i) {
    if (!given[i]) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("no value for input '{}' (shape {})", infos[i].name,
                              shapeText(infos[i].shape)));
    }
  }
  return xs;
}

// Runs the model on the inputs, writes the --output files, and ranks the classes of every
// [batch, classes] output with --top-k (notes and warnings on stderr).
Prediction collect(const Runnable& m, const PredictOptions& o) {
  Prediction p;
  p.names = o.fetch.empty() ? m.outputNames() : o.fetch;
  p.ys = m.run(readInputs(m, o), o.fetch);
  const auto& ys = p.ys;
  if (!o.outputs.empty() && o.outputs.size() != ys.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("the model has {} output(s) but {} --output file(s) were given",
                            ys.size(), o.outputs.size()));
  }
  for (size_t i = 0; i < o.outputs.size(); ++i) writeNpy(ys[i], o.outputs[i]);
  std::vector<std::string>& labels = p.labels;
  if (!o.labels.empty()) {
    if (o.topK == 0) throw Error(ErrorCode::kInvalidArgument, "--labels needs --top-k N");
    labels = readLabels(o.labels);
  }
  // --top-k: the outputs of shape [batch, classes].
  p.ranked.resize(ys.size());
  if (o.topK > 0) {
    for (size_t i = 0; i < ys.size(); ++i) {
      const std::string& name = p.names[i];
      if (ys[i].shape().size() != 2 || ys[i].dtype() != DType::kFloat32) {
        std::fprintf(stderr,
                     "tfjs: note: output '%s' has shape %s, not [batch, classes]: no "
                     "top-k for it\n",
                     name.c_str(), shapeText(ys[i].shape()).c_str());
        continue;
      }
      const int64_t classes = ys[i].shape()[1];
      if (!labels.empty() && static_cast<int64_t>(labels.size()) != classes) {
        std::fprintf(
            stderr, "tfjs: warning: %s has %zu label(s) but output '%s' has %lld classes%s\n",
            o.labels.c_str(), labels.size(), name.c_str(), static_cast<long long>(classes),
            static_cast<int64_t>(labels.size()) < classes ? ": classes without a line have no label"
                                                          : ": the extra lines are ignored");
      }
      p.ranked[i] = topK(ys[i], o.topK);
    }
  }
  return p;
}

// The --top-k report as text: per output and sample, the best classes with label and score.
void renderTopK(const Prediction& p) {
  for (size_t i = 0; i < p.ys.size(); ++i) {
    if (!p.ranked[i]) continue;
    for (size_t b = 0; b < p.ranked[i]->size(); ++b) {
      std::printf("%s, sample %zu:\n", p.names[i].c_str(), b);
      for (size_t r = 0; r < (*p.ranked[i])[b].size(); ++r) {
        const Ranked& c = (*p.ranked[i])[b][r];
        const std::string* label = p.labelOf(c.index);
        std::printf("  %zu. class %lld%s%s  %s\n", r + 1, static_cast<long long>(c.index),
                    label ? "  " : "", label ? label->c_str() : "", floatText(c.score).c_str());
      }
    }
  }
}

// The outputs as JSON: name, shape and values of each, with its topK array when ranked.
Json renderJson(const Prediction& p) {
  Json out = Json::array();
  for (size_t i = 0; i < p.ys.size(); ++i) {
    Json vals = Json::array();
    if (p.ys[i].dtype() == DType::kFloat32) {
      for (float v : p.ys[i].floats()) vals.push_back(scoreJson(v));
    } else if (p.ys[i].dtype() == DType::kString) {  // bytes; invalid UTF-8 shown as U+FFFD
      for (const std::string& v : p.ys[i].strings()) vals.push_back(v);
    } else if (p.ys[i].dtype() == DType::kComplex64) {  // [re, im] pairs
      const auto f = p.ys[i].floats();
      for (size_t k = 0; k + 1 < f.size(); k += 2) {
        vals.push_back(Json::array({scoreJson(f[k]), scoreJson(f[k + 1])}));
      }
    } else {
      for (float v : p.ys[i].dataSync()) vals.push_back(static_cast<int64_t>(v));
    }
    Json entry = {{"name", p.names[i]},
                  {"dtype", std::string(dtypeName(p.ys[i].dtype()))},
                  {"shape", p.ys[i].shape()},
                  {"values", vals}};
    if (p.ranked[i]) {
      Json samples = Json::array();
      for (const auto& best : *p.ranked[i]) {
        Json list = Json::array();
        for (const Ranked& c : best) {
          const std::string* label = p.labelOf(c.index);
          list.push_back({{"index", c.index},
                          {"label", label ? Json(*label) : Json(nullptr)},
                          {"score", scoreJson(c.score)}});
        }
        samples.push_back(std::move(list));
      }
      entry["topK"] = std::move(samples);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

void registerPredict(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand(
      "predict",
      "run a layers or graph model natively on inputs from .npy, JSON, CSV or image files or JSON "
      "literals, and write or print its outputs (or the top-k classes)");
  auto o = std::make_shared<PredictOptions>();
  o->model.add(*cmd);
  cmd->add_option("-i,--input", o->inputs,
                  "one input, in the model's input order, or NAME=VALUE for the input NAME (an "
                  "input layer, or a graph's signature key or placeholder) "
                  "(repeatable): a .npy (any numeric dtype), a JSON literal such as '[[10]]' or "
                  "'[1,2,3]' (float32; a bare number is a scalar), @FILE.json or FILE.json, a "
                  ".csv/.tsv of numbers ([rows, columns]; a header row is skipped), or a "
                  ".png/.jpg/.jpeg image ([1, height, width, channels] float32)")
      ->required()
      ->allow_extra_args(false);  // one value per --input: '[[1,2]]' is not CLI11's list syntax
  cmd->add_option("-o,--output", o->outputs, "where to write each output .npy, in output order");
  cmd->add_option("--outputs", o->fetch,
                  "graph models: the node outputs to compute instead of the model's outputs "
                  "(NAME, NAME:K or a signature key; comma-separated or repeated), intermediate "
                  "nodes included")
      ->delimiter(',');
  o->image.add(*cmd);
  o->compute.add(*cmd);
  cmd->add_flag("--json", o->json, "print the outputs as JSON");
  cmd->add_option("--top-k", o->topK,
                  "print the N best classes of each sample of every [batch, classes] output "
                  "(index, label, score) instead of all values; with --json, a topK array per "
                  "output")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  cmd->add_option("--labels", o->labels,
                  "with --top-k: a text file with the name of class i on line i+1");
  cmd->callback([&run, o] {
    run = [o]() -> int {
      const Runnable m = Runnable::open(o->model, o->compute, true);
      const Prediction p = collect(m, *o);
      if (o->topK > 0 && !o->json) {
        renderTopK(p);
      } else if (o->json || o->outputs.empty()) {
        std::printf("%s\n", jsonText(renderJson(p), o->json ? 2 : -1).c_str());
      }
      return kOk;
    };
  });
}

}  // namespace tfjs::cli
