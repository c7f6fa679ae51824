// Shared pieces of the `tfjs` subcommands: loading with progress, exit codes, formatting.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"

namespace tfjs::cli {

// Exit codes, documented in the README and `tfjs --help`.
enum Exit : int {
  kOk = 0,
  kProblems = 1,     // the model is damaged, unsupported or inconsistent
  kUsage = 2,        // bad command line
  kUnreachable = 3,  // a file or URL could not be read (missing, I/O error, HTTP error, timeout)
  kInternal = 4,     // a bug: please report it
};

// Options every command that reads a model shares.
struct ModelArgs {
  std::string model;
  std::vector<std::string> headers;  // "Name: value"
  bool allowCrossOrigin = false;
  double timeout = 30;
  void add(CLI::App& cmd);
  LoadOptions loadOptions(bool progress) const;
};

// --threads and --batch-chunk of the commands that run a model (bench, predict): ModelOptions.
struct RunArgs {
  int threads = 0;
  int64_t batchChunk = 0;
  void add(CLI::App& cmd);
  ModelOptions modelOptions() const;
};

// Exit code for an error that stopped a command.
int exitCodeFor(const Error& e);
// Prints every problem of `e` to stderr, one per line, prefixed with "tfjs: ".
void printError(const Error& e);

// "58,572"
std::string withCommas(uint64_t n);
// "57.2 KiB"
std::string humanBytes(uint64_t n);
// "[2,3]"
std::string shapeText(const std::vector<int64_t>& shape);
// Columns a UTF-8 text takes on a terminal (code points; no wide-character table).
size_t displayWidth(const std::string& s);
// Shortest text that reads back as the same float32.
std::string floatText(float v);

// Levenshtein distance (insertions, deletions, substitutions and swaps of neighbours count 1).
size_t editDistance(const std::string& a, const std::string& b);
// The name of `names` closest to `typed`, or "" when none is close enough to be a likely typo.
std::string closestName(const std::string& typed, const std::vector<std::string>& names);
// For a CLI11 parse error: an unknown command or option gets "did you mean ...?" on stderr.
// Returns the exit code when it printed the error, or -1 to let CLI11 print it.
int reportUnknownArguments(const CLI::App& app);

// The Keras Sequential topology of a `tfjs train` model spec such as "in:1,dense:1"
// (model_spec.cpp); every field is checked, an unknown one is an error naming the syntax.
Json topologyFromSpec(const std::string& spec);
// The syntax of every layer kind of a model spec, one per line (for --help and errors).
std::string modelSpecSyntax();

// One registered subcommand: its CLI11 definition and what runs it.
using Runner = std::function<int()>;
void registerInspect(CLI::App& app, Runner& run);
void registerWeights(CLI::App& app, Runner& run);
void registerHexdump(CLI::App& app, Runner& run);
void registerValidate(CLI::App& app, Runner& run);
void registerPredict(CLI::App& app, Runner& run);
void registerBench(CLI::App& app, Runner& run);
void registerTrain(CLI::App& app, Runner& run);

// The byte layout of every weight from the manifest alone (no weight bytes needed for
// fixed-size dtypes). For loaded artifacts this is locateWeights(); otherwise offsets are
// computed from shapes, and a weight after a string tensor gets no location.
std::vector<std::optional<WeightLocation>> layoutOf(const ModelArtifacts& a);

// JSON text for output; invalid UTF-8 (from paths, names, strings) is replaced, never fatal.
std::string jsonText(const Json& j, int indent = 2);

// JSON of a problem: {kind, message, file, weight, byteRange}
Json problemJson(const Problem& p);

}  // namespace tfjs::cli
