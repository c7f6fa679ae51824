// Helpers shared by the tests: fixture paths, scratch folders, running the `tfjs` command.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs::test {

namespace fs = std::filesystem;

// The real model files. Those whose licence allows it (Apache-2.0, MIT) are in the repository,
// tests/fixtures/real; the others (kUnlicensedFixtures) only in the collection they come from,
// ../shared/fixtures/real, or $TFJS_FIXTURES. fixturesDir() is that collection when it exists (it
// holds every fixture) and tests/fixtures/real otherwise.
inline constexpr const char* kUnlicensedFixtures[] = {"h5_k204_embedding_gru_functional",
                                                      "h5_k210_gru",
                                                      "h5_k224_embedding",
                                                      "h5_k280_timeseries_dense_conv1d_lstm_rnn",
                                                      "keras3_admission_dense_keras_and_h5",
                                                      "keras3_gru_h5_and_tfjs_converter422",
                                                      "keras3_gru_keras_and_h5",
                                                      "pair_anime4k_srgan_functional",
                                                      "pair_deathgrips_lstm_2groups_tfjs0x",
                                                      "pair_har_lstm_multigroup_tfjs0x",
                                                      "pair_keras3_cnn_to_layers_conv422",
                                                      "pair_maternal_dense_dropout_k215_conv417",
                                                      "pair_tinycnn_k215_conv422",
                                                      "savedmodel_heart_dense_with_h5",
                                                      "savedmodel_mnist_cnn"};

inline fs::path fixturesDir() {
  if (const char* env = std::getenv("TFJS_FIXTURES"); env && *env) return fs::path(env);
  if (fs::is_directory(TFJS_FIXTURES_DIR)) return fs::path(TFJS_FIXTURES_DIR);
  return fs::path(TFJS_SOURCE_DIR) / "tests" / "fixtures" / "real";
}

// Whether fixturesDir() holds the whole collection (the unlicensed fixtures too).
inline bool haveAllFixtures() {
  for (const char* name : kUnlicensedFixtures) {
    if (!fs::exists(fixturesDir() / name)) return false;
  }
  return true;
}

// Whether fixturesDir() / rel exists (rel: "fixture/file" or "fixture").
inline bool haveFixture(const fs::path& rel) {
  return fs::exists(fixturesDir() / rel);
}

// The named fixtures that fixturesDir() lacks, as a message; empty when all are there.
inline std::string missingFixtures(std::initializer_list<const char*> names) {
  std::string missing;
  for (const char* name : names) {
    if (fs::exists(fixturesDir() / name)) continue;
    missing += missing.empty() ? "" : ", ";
    missing += name;
  }
  return missing;
}

// A missing fixture is a skip, unless TFJS_FIXTURES_STRICT=1 (CI) and the fixture is one the
// repository holds: then the copy under tests/fixtures/real is broken and the test fails.
inline bool missingFixtureIsFailure(std::initializer_list<const char*> names) {
  const char* strict = std::getenv("TFJS_FIXTURES_STRICT");
  if (!strict || std::string(strict) != "1") return false;
  for (const char* name : names) {
    if (fs::exists(fixturesDir() / name)) continue;
    bool unlicensed = false;
    for (const char* u : kUnlicensedFixtures) unlicensed |= std::string(u) == name;
    if (!unlicensed) return true;
  }
  return false;
}

// Declares `fixtures` (fixturesDir()) and skips the test when one of the named fixture folders is
// absent (the unlicensed ones in a clone without ../shared). With no names, the test runs on
// whatever fixturesDir() holds.
#define TFJS_REQUIRE_FIXTURES(...)                                                      \
  const ::std::filesystem::path fixtures = ::tfjs::test::fixturesDir();                 \
  if (const ::std::string tfjs_missing_ = ::tfjs::test::missingFixtures({__VA_ARGS__}); \
      !tfjs_missing_.empty()) {                                                         \
    if (::tfjs::test::missingFixtureIsFailure({__VA_ARGS__})) {                         \
      FAIL() << "fixture missing from tests/fixtures/real: " << tfjs_missing_;          \
    }                                                                                   \
    GTEST_SKIP() << "SKIPPED: needs the unlicensed fixture(s) " << tfjs_missing_        \
                 << " (../shared/fixtures/real or $TFJS_FIXTURES)";                     \
  }                                                                                     \
  static_assert(true)

// The per-layer oracle cases (tests/oracle/make_layer_cases.mjs, run by CTest first), or
// $TFJS_LAYER_CASES.
inline fs::path layerCasesDir() {
  if (const char* env = std::getenv("TFJS_LAYER_CASES"); env && *env) return env;
  return fs::path(TFJS_ORACLE_DIR).parent_path() / "layer_cases";
}

// A fresh scratch folder, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tfjs-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& s) const { return path_ / s; }

 private:
  fs::path path_;
};

inline std::string readText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The JSON an oracle script writes: FOLDER/FILE under the build tree (CTest's fixture runs
// `node tests/oracle/SCRIPT FOLDER` first), or under $ENV_VAR when set; when absent (a test run by
// hand), the script is run now. Null when the script fails (node_modules missing): the caller
// skips, saying so.
inline Json oracleJson(const char* folder, const char* script, const char* file,
                       const char* envVar) {
  fs::path dir;
  if (const char* env = std::getenv(envVar); env && *env) {
    dir = env;
  } else {
    dir = fs::path(TFJS_ORACLE_DIR).parent_path() / folder;
  }
  if (!fs::exists(dir / file)) {
    const std::string cmd = std::string("'") + TFJS_NODE + "' '" + TFJS_SOURCE_DIR +
                            "/tests/oracle/" + script + "' '" + dir.string() + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) return Json();
  }
  if (!fs::exists(dir / file)) return Json();
  return Json::parse(readText(dir / file));
}

inline void writeText(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << s;
}

struct CommandResult {
  int exitCode = -1;
  std::string out;  // stdout and stderr, merged
};

// Runs the `tfjs` command with `args` (already shell-quoted where needed).
inline CommandResult runCli(const std::string& args) {
  const std::string cmd = std::string("'") + TFJS_CLI + "' " + args + " 2>&1";
  CommandResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

inline std::string quote(const fs::path& p) {
  return "'" + p.string() + "'";
}

// A float32 / int32 tensor from little-endian hex (as the oracle's JSON dumps write it).
inline Tensor tensorFromHex(DType dtype, const std::vector<int64_t>& shape,
                            const std::string& hex) {
  Buffer b = Buffer::allocate(hex.size() / 2);
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    b.mutableData()[i] = static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  return Tensor(dtype, shape, b, 0);
}
inline Tensor floatTensorFromHex(const std::vector<int64_t>& shape, const std::string& hex) {
  return tensorFromHex(DType::kFloat32, shape, hex);
}

// The per-op graph oracle's cases (tests/oracle/graph_op_cases.mjs, made on first use; null
// when node or its packages are missing). TFJS_GRAPH_OP_CASES=DIR reads another run's output.
inline const Json& graphOpCases() {
  static const Json data = oracleJson("graph_op_cases", "graph_op_cases.mjs", "graph_op_cases.json",
                                      "TFJS_GRAPH_OP_CASES");
  return data;
}

// A case of the per-op graph oracle (tests/oracle/graph_op_cases.mjs) as loaded artifacts: its
// model.json text and its one weight file (hex).
inline ModelArtifacts graphCaseArtifacts(const Json& c) {
  ModelArtifacts a = parseModelJson(c["modelJson"].get<std::string>());
  const std::string hex = c["weightsHex"];
  a.weightData = Buffer::allocate(hex.size() / 2);
  for (size_t i = 0; i < hex.size() / 2; ++i) {
    a.weightData.mutableData()[i] =
        static_cast<uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  }
  a.weightsManifest.at(0).pathSizes = {a.weightData.size()};  // one weight file
  a.weightsLoaded = true;
  return a;
}

// |ours - theirs| <= 1e-5 + 1e-4 * |theirs| elementwise (float32 sums in another order), same
// shape.
inline void expectClose(const Tensor& ours, const Tensor& theirs) {
  ASSERT_EQ(ours.shape(), theirs.shape());
  const auto a = ours.floats();
  const auto b = theirs.floats();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], b[i], 1e-5 + 1e-4 * std::fabs(b[i])) << "element " << i;
  }
}

// What the real TF.js makes of a model folder (tests/oracle/decode_folder.mjs --predict-only):
// {"predict": {input, output}} on a seeded input, or the error text when TF.js refuses it.
struct TfjsRun {
  bool ok = false;
  Json predict;
  std::string text;
};
inline TfjsRun tfjsPredict(const fs::path& dir) {
  const std::string cmd = std::string("'") + TFJS_NODE + "' '" + TFJS_SOURCE_DIR +
                          "/tests/oracle/decode_folder.mjs' '" + dir.string() +
                          "' --predict-only 2>&1";
  TfjsRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.text.append(buf.data(), n);
  r.ok = ::pclose(p) == 0;
  if (r.ok) {
    const auto brace = r.text.find("{\"weights\"");
    r.predict = Json::parse(r.text.substr(brace == std::string::npos ? 0 : brace))["predict"];
  }
  return r;
}

}  // namespace tfjs::test

// The names nearly every test file uses, once for all of them.
namespace tfjs {
namespace fs = std::filesystem;
using test::quote;
using test::runCli;
using test::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;
}  // namespace tfjs
