// tfjs validate MODEL — exit 0 when intact, else 1 and every problem found, including what the
// real TF.js 4.22 would refuse to load (tfjsLoadProblems), with the convert that repairs it.
#include <fmt/format.h>

#include <cstdio>

#include "common.h"
#include "tfjs/convert.h"

namespace tfjs::cli {

void registerValidate(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand("validate",
                                 "check a model's files against its manifest, and that the "
                                 "real TF.js 4.22 can load it; exit 1 and list every problem "
                                 "when it is not intact");
  auto args = std::make_shared<ModelArgs>();
  auto json = std::make_shared<bool>(false);
  args->add(*cmd);
  cmd->add_flag("--json", *json, "print the verdict as JSON");
  cmd->callback([&run, args, json] {
    run = [args, json]() -> int {
      ModelArtifacts a;
      auto problems = validateModel(args->model, args->loadOptions(true), &a);
      bool repairable = false;
      if (!a.keyOrder.empty()) {
        for (auto& p : tfjsLoadProblems(a, args->model, &repairable)) {
          problems.push_back(std::move(p));
        }
      }
      const std::string hint = repairable
                                   ? fmt::format(
                                         "tfjs convert {} OUT --output_format tfjs_layers_model "
                                         "repairs what TF.js 4.22 cannot load",
                                         args->model)
                                   : "";
      uint64_t bytes = a.weightData.size();
      size_t files = 0;
      for (const auto& g : a.weightsManifest) files += g.paths.size();
      if (*json) {
        Json out = Json::object();
        out["model"] = args->model;
        out["ok"] = problems.empty();
        out["weights"] = a.weightCount();
        out["files"] = files;
        out["bytes"] = bytes;
        Json ps = Json::array();
        for (const auto& p : problems) ps.push_back(problemJson(p));
        out["problems"] = ps;
        out["hint"] = hint.empty() ? Json(nullptr) : Json(hint);
        std::printf("%s\n", jsonText(out).c_str());
      } else if (problems.empty()) {
        std::printf(
            "OK: %s: %zu weights, %s bytes in %zu file(s); every group matches its "
            "manifest\n",
            args->model.c_str(), a.weightCount(), withCommas(bytes).c_str(), files);
      } else {
        std::printf("INVALID: %s: %zu problem(s)\n", args->model.c_str(), problems.size());
        for (const auto& p : problems) std::printf("  %s\n", p.toString().c_str());
        if (!hint.empty()) std::printf("hint: %s\n", hint.c_str());
      }
      return problems.empty() ? kOk : kProblems;
    };
  });
}

}  // namespace tfjs::cli
