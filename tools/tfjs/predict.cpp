// tfjs predict MODEL --input X.npy [--input name=X2.npy ...] [--output Y.npy ...] [--json]
#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <map>

#include "common.h"
#include "tfjs/layers_model.h"
#include "tfjs/npy.h"

namespace tfjs::cli {

void registerPredict(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand(
      "predict", "run a layers model on .npy inputs natively and write or print its outputs");
  struct Opts {
    ModelArgs model;
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
    bool json = false;
    RunArgs compute;
  };
  auto o = std::make_shared<Opts>();
  o->model.add(*cmd);
  cmd->add_option("-i,--input", o->inputs,
                  "an input .npy, in the model's input order, or NAME=FILE.npy (repeatable); "
                  "float32/float64/int32/int64 accepted")
      ->required();
  cmd->add_option("-o,--output", o->outputs, "where to write each output .npy, in output order");
  o->compute.add(*cmd);
  cmd->add_flag("--json", o->json, "print the outputs as JSON");
  cmd->callback([&run, o] {
    run = [o]() -> int {
      const LayersModel m =
          loadLayersModel(o->model.model, o->model.loadOptions(true), o->compute.modelOptions());
      const auto& infos = m.inputs();
      std::vector<Tensor> xs(infos.size());
      std::vector<bool> given(infos.size(), false);
      size_t positional = 0;
      for (const std::string& arg : o->inputs) {
        const auto eq = arg.find('=');
        size_t slot = positional;
        std::string path = arg;
        if (eq != std::string::npos && !arg.ends_with(".npy=")) {
          const std::string name = arg.substr(0, eq);
          path = arg.substr(eq + 1);
          slot = infos.size();
          for (size_t i = 0; i < infos.size(); ++i) {
            if (infos[i].name == name) slot = i;
          }
          if (slot == infos.size()) {
            std::string names;
            for (const auto& in : infos) names += (names.empty() ? "" : ", ") + in.name;
            throw Error(ErrorCode::kInvalidArgument,
                        fmt::format("the model has no input named '{}' (inputs: {})", name, names));
          }
        } else {
          ++positional;
        }
        if (slot >= infos.size()) {
          throw Error(ErrorCode::kInvalidArgument,
                      fmt::format("the model has {} input(s); more were given", infos.size()));
        }
        xs[slot] = readNpy(path);
        given[slot] = true;
      }
      for (size_t i = 0; i < infos.size(); ++i) {
        if (!given[i]) {
          throw Error(ErrorCode::kInvalidArgument,
                      fmt::format("no value for input '{}' (shape {})", infos[i].name,
                                  shapeText(infos[i].shape)));
        }
      }
      const auto ys = m.predict(xs);
      if (!o->outputs.empty() && o->outputs.size() != ys.size()) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("the model has {} output(s) but {} --output file(s) were given",
                                ys.size(), o->outputs.size()));
      }
      for (size_t i = 0; i < o->outputs.size(); ++i) writeNpy(ys[i], o->outputs[i]);
      if (o->json || o->outputs.empty()) {
        Json out = Json::array();
        for (size_t i = 0; i < ys.size(); ++i) {
          Json vals = Json::array();
          for (float v : ys[i].floats())
            vals.push_back(std::isfinite(v) ? Json(v) : Json(floatText(v)));
          out.push_back(
              {{"name", m.outputs()[i].name}, {"shape", ys[i].shape()}, {"values", vals}});
        }
        std::printf("%s\n", jsonText(out, o->json ? 2 : -1).c_str());
      }
      return kOk;
    };
  });
}

}  // namespace tfjs::cli
