// tfjs — TensorFlow.js models, natively. One subcommand per file in this folder.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>

#include "common.h"
#include "tfjs/version.h"

namespace tfjs::cli {
void registerConvert(CLI::App& app, Runner& run);  // convert.cpp
}  // namespace tfjs::cli

int main(int argc, char** argv) {
  using namespace tfjs::cli;
  CLI::App app{
      "tfjs " TFJS_VERSION
      " — look inside, check, load and convert TensorFlow.js models without Python or Node.\n\n"
      "MODEL is a model folder, a model.json path, a file:// URL or an http(s):// URL.\n"
      "Exit codes: 0 ok; 1 the model has problems; 2 bad command line; 3 a file or URL could "
      "not be read; 4 internal error.",
      "tfjs"};
  app.set_version_flag("-V,--version", "tfjs " TFJS_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);
  Runner run;
  registerInspect(app, run);
  registerWeights(app, run);
  registerHexdump(app, run);
  registerValidate(app, run);
  registerPredict(app, run);
  registerBench(app, run);
  registerConvert(app, run);
  registerTrain(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // An unknown command or option: name the likely intended one instead of CLI11's generic
    // "A subcommand is required" / "The following arguments were not expected".
    if (e.get_exit_code() != 0) {
      if (const int rc = reportUnknownArguments(app); rc >= 0) return rc;
    }
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kUsage;
  }
  try {
    return run();
  } catch (const tfjs::Error& e) {
    printError(e);
    return exitCodeFor(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfjs: internal error: %s\n", e.what());
    return kInternal;
  }
}
