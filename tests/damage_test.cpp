// Damaged models: each test copies a real model folder into a scratch folder, breaks the copy in
// one precise way and checks that loadModel throws the right tfjs::Error (naming the file, the
// weight and the byte range where those apply), that validateModel returns the same problem, and
// that `tfjs validate` exits 1 naming the problem's code while `tfjs inspect` fails cleanly.
// Also: the writer's refusal to clobber, and its cleanup after a failed save.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "test_util.h"
#include "tfjs/artifacts.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"
#include "tfjs/weights.h"

namespace tfjs::test {
namespace {

// --- scratch copies of real models -------------------------------------------------------------

// Copies the fixture folder `name` (model.json / shards; the Keras .h5 files are left out) into
// `tmp`, owner-writable, and returns the path of the copy's model JSON file.
fs::path copyModel(const fs::path& fixtures, const std::string& name, const TempDir& tmp,
                   const std::string& jsonName = "model.json") {
  const fs::path src = fixtures / name;
  const fs::path dst = tmp / name;
  fs::create_directories(dst);
  for (const auto& e : fs::directory_iterator(src)) {
    if (!e.is_regular_file() || e.path().extension() == ".h5") continue;
    const fs::path to = dst / e.path().filename();
    fs::copy_file(e.path(), to);
    fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                            fs::perms::others_read);
  }
  return dst / jsonName;
}

// Declares `model` (the copy's JSON path) and `tmp` (its scratch folder); skips without fixtures.
#define TFJS_COPY_MODEL(model, name, jsonName) \
  TFJS_REQUIRE_FIXTURES(name);                 \
  TempDir tmp;                                 \
  const fs::path model = copyModel(fixtures, (name), tmp, (jsonName))

// Declares `model` (the copy's model.json) and `tmp` for a model the real TF.js wrote at test time
// (tests/oracle/make_models.mjs, which CTest runs first). "multigroup": three weight groups of 2,
// 3 and 1 shards (mg_a, mg_b, mg_c: Dense kernels and biases).
#define TFJS_COPY_ORACLE_MODEL(model, name)                                  \
  TempDir tmp;                                                               \
  ASSERT_TRUE(fs::exists(fs::path(TFJS_ORACLE_DIR) / (name) / "model.json")) \
      << "the oracle's models are missing: run the oracle_make_models test"; \
  const fs::path model = copyModel(TFJS_ORACLE_DIR, (name), tmp)

constexpr const char* kCnn = "pair_deepmech_cnn";                       // 1 group, float32
constexpr const char* kHar = "pair_har_lstm_multigroup_tfjs0x";         // 4 groups, no 'format'
constexpr const char* kNsfw = "tfjs_layers_nsfwjs_mobilenet_v2_uint8";  // uint8-quantized
constexpr const char* kEye = "graph_eyeblink_uint16";                   // graph, uint16
constexpr const char* kFace = "graph_faceboxes_float16";                // graph, float16

Json readJson(const fs::path& p) {
  return Json::parse(readText(p));
}
void writeJson(const fs::path& p, const Json& j) {
  writeText(p, j.dump());
}
void editJson(const fs::path& p, const std::function<void(Json&)>& edit) {
  Json j = readJson(p);
  edit(j);
  writeJson(p, j);
}

// Replaces the first occurrence of `from` in the file's text (for JSON that nlohmann cannot
// write, such as 1e999).
void replaceText(const fs::path& p, const std::string& from, const std::string& to) {
  std::string text = readText(p);
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << p;
  text.replace(at, from.size(), to);
  writeText(p, text);
}

void appendBytes(const fs::path& p, size_t n) {
  std::string text = readText(p);
  text.append(n, '\x5a');
  writeText(p, text);
}

void writeU32At(const fs::path& p, size_t offset, uint32_t v) {
  std::string text = readText(p);
  ASSERT_LE(offset + 4, text.size());
  std::memcpy(text.data() + offset, &v, 4);
  writeText(p, text);
}

Json& weightsOf(Json& doc, size_t group) {
  return doc["weightsManifest"][group]["weights"];
}

// --- the manifest's layout, computed here independently of the library ------------------------

uint64_t widthOf(const std::string& dtype) {
  static const std::map<std::string, uint64_t> widths = {
      {"float32", 4}, {"int32", 4},  {"bool", 1},   {"complex64", 8},
      {"uint8", 1},   {"uint16", 2}, {"float16", 2}};
  return widths.at(dtype);
}

struct Slot {
  std::string name;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Where each weight of group `g` lies within the group's bytes (fixed-size dtypes only).
std::vector<Slot> groupLayout(const Json& doc, size_t g) {
  std::vector<Slot> out;
  uint64_t off = 0;
  for (const auto& w : doc["weightsManifest"][g]["weights"]) {
    uint64_t n = 1;
    for (const auto& d : w["shape"]) n *= d.get<uint64_t>();
    const std::string storage = w.contains("quantization")
                                    ? w["quantization"]["dtype"].get<std::string>()
                                    : w["dtype"].get<std::string>();
    const uint64_t len = n * widthOf(storage);
    out.push_back({w["name"].get<std::string>(), off, off + len});
    off += len;
  }
  return out;
}

uint64_t groupBytes(const Json& doc, size_t g) {
  const auto slots = groupLayout(doc, g);
  return slots.empty() ? 0 : slots.back().end;
}

// --- expectations -------------------------------------------------------------------------------

struct Expect {
  Expect(ErrorCode c, std::string f = {}, std::string w = {}, std::optional<ByteRange> b = {},
         std::string m = {})
      : code(c), file(std::move(f)), weight(std::move(w)), bytes(b), message(std::move(m)) {}
  ErrorCode code;
  std::string file;                // a substring of the problem's file ("" = not checked)
  std::string weight;              // the problem's weight, exactly ("" = not checked)
  std::optional<ByteRange> bytes;  // the problem's byte range (nullopt = not checked)
  std::string message;             // a substring of the message ("" = not checked)
};

std::string listProblems(const std::vector<Problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += "\n    " + p.toString();
  return s.empty() ? " (none)" : s;
}

void checkProblems(const std::vector<Problem>& problems, const Expect& e, const char* where) {
  // The first problem of the code (and weight, and file) wanted.
  const Problem* hit = nullptr;
  for (const auto& p : problems) {
    if (p.code == e.code && (e.weight.empty() || p.weight == e.weight)) {
      if (hit == nullptr || (hit->file.find(e.file) == std::string::npos &&
                             p.file.find(e.file) != std::string::npos)) {
        hit = &p;
      }
    }
  }
  if (hit == nullptr) {
    ADD_FAILURE() << where << ": no [" << errorCodeName(e.code) << "] problem"
                  << (e.weight.empty() ? "" : " for weight '" + e.weight + "'")
                  << "; got:" << listProblems(problems);
    return;
  }
  if (!e.file.empty()) {
    EXPECT_NE(hit->file.find(e.file), std::string::npos)
        << where << ": file '" << hit->file << "' does not name " << e.file;
  }
  if (e.bytes) {
    ASSERT_TRUE(hit->bytes.has_value()) << where << ": no byte range in " << hit->toString();
    EXPECT_EQ(hit->bytes->begin, e.bytes->begin) << where << ": " << hit->toString();
    EXPECT_EQ(hit->bytes->end, e.bytes->end) << where << ": " << hit->toString();
  }
  if (!e.message.empty()) {
    EXPECT_NE(hit->message.find(e.message), std::string::npos)
        << where << ": message lacks '" << e.message << "': " << hit->toString();
  }
}

enum class Cli {
  kNone,     // library checks only (options the CLI cannot express)
  kText,     // also `tfjs validate` and `tfjs inspect`
  kAndJson,  // also `tfjs validate --json`
};

// Runs the three checks of every damage: loadModel throws, validateModel reports, the CLI's
// validate exits 1 naming the code and inspect fails without crashing.
void expectDamaged(const fs::path& model, const Expect& e, const LoadOptions& options = {},
                   Cli cli = Cli::kText) {
  SCOPED_TRACE(model.string());
  try {
    (void)loadModel(model.string(), options);
    ADD_FAILURE() << "loadModel accepted the damaged model (expected [" << errorCodeName(e.code)
                  << "])";
  } catch (const Error& err) {
    checkProblems(err.problems(), e, "loadModel");
  } catch (const std::exception& ex) {
    ADD_FAILURE() << "loadModel threw a non-tfjs exception: " << ex.what();
  }
  checkProblems(validateModel(model.string(), options), e, "validateModel");
  if (cli == Cli::kNone) return;
  const auto v = runCli("validate " + quote(model));
  EXPECT_EQ(v.exitCode, 1) << v.out;
  EXPECT_NE(v.out.find("[" + std::string(errorCodeName(e.code)) + "]"), std::string::npos) << v.out;
  if (cli == Cli::kAndJson) {
    const auto j = runCli("validate --json " + quote(model));
    EXPECT_EQ(j.exitCode, 1) << j.out;
    EXPECT_NE(j.out.find("\"kind\": \"" + std::string(errorCodeName(e.code)) + "\""),
              std::string::npos)
        << j.out;
  }
  const auto i = runCli("inspect " + quote(model));
  EXPECT_GE(i.exitCode, 1) << i.out;
  EXPECT_LE(i.exitCode, 3) << "inspect crashed or failed internally:\n" << i.out;
}

void expectIntact(const fs::path& model, const LoadOptions& options = {}) {
  SCOPED_TRACE(model.string());
  EXPECT_EQ(listProblems(validateModel(model.string(), options)), " (none)");
  EXPECT_NO_THROW({
    const ModelArtifacts a = loadModel(model.string(), options);
    (void)decodeWeights(a);
  });
}

// --- byte-level damage on every kind of real model -----------------------------------------------

struct RealModel {
  const char* dir;
  const char* json;
  size_t group;  // the group to damage
};

std::ostream& operator<<(std::ostream& os, const RealModel& m) {
  return os << m.dir;
}

class RealDamage : public ::testing::TestWithParam<RealModel> {};

TEST_P(RealDamage, TruncatedShardNamesTheWeightThatDoesNotFit) {
  const RealModel m = GetParam();
  TFJS_COPY_MODEL(model, m.dir, m.json);
  const Json doc = readJson(model);
  const std::string shardName = doc["weightsManifest"][m.group]["paths"][0].get<std::string>();
  const fs::path shard = model.parent_path() / shardName;
  const auto slots = groupLayout(doc, m.group);
  ASSERT_EQ(fs::file_size(shard), groupBytes(doc, m.group)) << "fixture damaged?";
  // Cut in the middle of a weight halfway through the group.
  size_t k = slots.size() / 2;
  while (k < slots.size() && slots[k].end - slots[k].begin < 2) ++k;
  ASSERT_LT(k, slots.size());
  const uint64_t cut = slots[k].begin + (slots[k].end - slots[k].begin) / 2;
  fs::resize_file(shard, cut);
  expectDamaged(model,
                {ErrorCode::kTruncated, shardName, slots[k].name,
                 ByteRange{slots[k].begin, slots[k].end}, "missing"},
                {}, Cli::kAndJson);
}

TEST_P(RealDamage, OneByteShortNamesTheLastWeight) {
  const RealModel m = GetParam();
  TFJS_COPY_MODEL(model, m.dir, m.json);
  const Json doc = readJson(model);
  const std::string shardName = doc["weightsManifest"][m.group]["paths"][0].get<std::string>();
  auto slots = groupLayout(doc, m.group);
  while (!slots.empty() && slots.back().begin == slots.back().end) slots.pop_back();
  ASSERT_FALSE(slots.empty());
  fs::resize_file(model.parent_path() / shardName, slots.back().end - 1);
  expectDamaged(model, {ErrorCode::kTruncated, shardName, slots.back().name,
                        ByteRange{slots.back().begin, slots.back().end}, ""});
}

TEST_P(RealDamage, ExtraBytesAppended) {
  const RealModel m = GetParam();
  TFJS_COPY_MODEL(model, m.dir, m.json);
  const Json doc = readJson(model);
  const std::string shardName = doc["weightsManifest"][m.group]["paths"][0].get<std::string>();
  const uint64_t size = groupBytes(doc, m.group);
  appendBytes(model.parent_path() / shardName, 7);
  expectDamaged(model, {ErrorCode::kExtraBytes, shardName, "", ByteRange{size, size + 7}, "extra"});
}

TEST_P(RealDamage, MissingShard) {
  const RealModel m = GetParam();
  TFJS_COPY_MODEL(model, m.dir, m.json);
  const Json doc = readJson(model);
  const std::string shardName = doc["weightsManifest"][m.group]["paths"][0].get<std::string>();
  fs::remove(model.parent_path() / shardName);
  expectDamaged(model, {ErrorCode::kNotFound, shardName, "", std::nullopt, "does not exist"});
}

TEST_P(RealDamage, ShardReplacedByASymlinkOutOfTheFolderIsAnEscape) {
  const RealModel m = GetParam();
  TFJS_COPY_MODEL(model, m.dir, m.json);
  const Json doc = readJson(model);
  const std::string shardName = doc["weightsManifest"][m.group]["paths"][0].get<std::string>();
  const fs::path shard = model.parent_path() / shardName;
  TempDir outside;
  fs::rename(shard, outside / "stolen.bin");  // same bytes: only the location is wrong
  fs::create_symlink(outside / "stolen.bin", shard);
  expectDamaged(model, {ErrorCode::kPathEscape, shardName, "", std::nullopt, "outside"});
  // Allowed on request.
  LoadOptions allow;
  allow.allowSymlinkEscape = true;
  expectIntact(model, allow);
}

TEST_P(RealDamage, IntactCopyLoads) {
  const RealModel m = GetParam();
  TFJS_COPY_MODEL(model, m.dir, m.json);
  expectIntact(model);
  const auto v = runCli("validate " + quote(model));
  EXPECT_EQ(v.exitCode, 0) << v.out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RealDamage,
                         ::testing::Values(RealModel{kCnn, "model.json", 0},
                                           RealModel{kHar, "model.json", 2},
                                           RealModel{kNsfw, "model.json", 0},
                                           RealModel{kEye, "model.json", 0},
                                           RealModel{kFace, "faceboxes.json", 0}),
                         [](const ::testing::TestParamInfo<RealModel>& p) {
                           std::string s = p.param.dir;
                           for (char& c : s) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return s;
                         });

// --- files ---------------------------------------------------------------------------------------

TEST(Damage, MissingShardOfAMultiGroupModelNamesItsGroup) {
  TFJS_COPY_ORACLE_MODEL(model, "multigroup");
  fs::remove(model.parent_path() / "group2-shard2of3.bin");
  fs::remove(model.parent_path() / "group3-shard1of1.bin");
  // Both missing files are reported at once; the folder works as the location too.
  const auto problems = validateModel(model.parent_path().string());
  checkProblems(problems,
                {ErrorCode::kNotFound, "group2-shard2of3.bin", "", std::nullopt, "group 2"},
                "validateModel");
  checkProblems(problems,
                {ErrorCode::kNotFound, "group3-shard1of1.bin", "", std::nullopt, "group 3"},
                "validateModel");
  expectDamaged(model.parent_path(), {ErrorCode::kNotFound, "group2-shard2of3.bin"});
}

TEST(Damage, TruncatedShardOfAReshardedGroup) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  // Re-save with small shards, then cut the middle one short.
  const ModelArtifacts a = loadModel(model.string());
  const fs::path resharded = tmp / "resharded";
  SaveOptions so;
  so.shardSizeBytes = 16384;
  saveModel(a, resharded.string(), so);
  ASSERT_TRUE(fs::exists(resharded / "group1-shard2of4.bin"));
  expectIntact(resharded);
  fs::resize_file(resharded / "group1-shard2of4.bin", 1000);
  expectDamaged(resharded, {ErrorCode::kTruncated, "group1-shard", "dense/kernel"});
  fs::remove(resharded / "group1-shard2of4.bin");
  expectDamaged(resharded, {ErrorCode::kNotFound, "group1-shard2of4.bin"});
}

TEST(Damage, FolderWithoutModelJson) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  fs::remove(model);
  expectDamaged(model.parent_path(), {ErrorCode::kNotFound, model.parent_path().string(), "",
                                      std::nullopt, "no model.json"});
  const auto i = runCli("inspect " + quote(model.parent_path()));
  EXPECT_EQ(i.exitCode, 3) << i.out;
  expectDamaged(tmp / "no-such-folder", {ErrorCode::kNotFound, "no-such-folder"});
}

TEST(Damage, ShardThatIsAFolderOrAFifo) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  const fs::path shard = model.parent_path() / "group1-shard1of1.bin";
  fs::remove(shard);
  fs::create_directory(shard);
  expectDamaged(model, {ErrorCode::kIo, "group1-shard1of1.bin", "", std::nullopt, "regular"});
  fs::remove(shard);
  ASSERT_EQ(::mkfifo(shard.c_str(), 0644), 0);
  expectDamaged(model, {ErrorCode::kIo, "group1-shard1of1.bin", "", std::nullopt, "regular"});
}

TEST(Damage, ModelJsonThatIsAFifoDoesNotHang) {
  TempDir tmp;
  const fs::path fifo = tmp / "model.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  expectDamaged(fifo, {ErrorCode::kIo, "model.json", "", std::nullopt, "regular"});
}

TEST(Damage, ModelJsonOverTheSizeCap) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  LoadOptions small;
  small.maxModelJsonBytes = 1000;
  expectDamaged(model, {ErrorCode::kTooLarge, "model.json", "", std::nullopt, "limit"}, small,
                Cli::kNone);
  LoadOptions fewWeights;
  fewWeights.maxWeightBytes = 1000;
  expectDamaged(model, {ErrorCode::kTooLarge, "", "", std::nullopt, "limit"}, fewWeights,
                Cli::kNone);
}

// --- paths that leave the folder -----------------------------------------------------------------

class PathEscape : public ::testing::TestWithParam<const char*> {};

TEST_P(PathEscape, IsRefusedBeforeAnyRead) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  const std::string bad = GetParam();
  // Put real bytes where a naive loader would look, so that only the check can refuse it.
  if (bad == "../group1-shard1of1.bin") {
    fs::copy_file(model.parent_path() / "group1-shard1of1.bin", tmp / "group1-shard1of1.bin");
  }
  editJson(model, [&](Json& doc) { doc["weightsManifest"][0]["paths"][0] = bad; });
  expectDamaged(model, {ErrorCode::kPathEscape, "model.json", "", std::nullopt, bad});
}

INSTANTIATE_TEST_SUITE_P(Paths, PathEscape,
                         ::testing::Values("../group1-shard1of1.bin", "/etc/passwd",
                                           "a/../../group1-shard1of1.bin", "..\\evil.bin",
                                           "http://example.com/group1-shard1of1.bin",
                                           "C:/weights.bin", ""));

TEST(Damage, SymlinksInsideTheFolderAreFine) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  const fs::path dir = model.parent_path();
  fs::create_directory(dir / "data");
  fs::rename(dir / "group1-shard1of1.bin", dir / "data" / "real.bin");
  fs::create_symlink("data/real.bin", dir / "group1-shard1of1.bin");
  expectIntact(model);
  // The model folder itself reached through a symlink.
  fs::create_directory_symlink(dir, tmp / "link");
  expectIntact(tmp / "link");
  expectIntact(tmp / "link" / "model.json");
  // "./data/real.bin" stays inside.
  editJson(model, [](Json& doc) { doc["weightsManifest"][0]["paths"][0] = "./data/real.bin"; });
  expectIntact(model);
  // A dangling link is a missing file.
  fs::remove(dir / "data" / "real.bin");
  editJson(model,
           [](Json& doc) { doc["weightsManifest"][0]["paths"][0] = "group1-shard1of1.bin"; });
  expectDamaged(model, {ErrorCode::kNotFound, "group1-shard1of1.bin"});
}

// --- shapes --------------------------------------------------------------------------------------

TEST(Damage, ShapeTooBigNeedsMoreBytesThanTheShardHolds) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  Json doc = readJson(model);
  const auto before = groupLayout(doc, 0);
  Json& bias = weightsOf(doc, 0).back();  // dense/bias [3]
  ASSERT_EQ(bias["name"], "dense/bias");
  bias["shape"][0] = 4;
  writeJson(model, doc);
  expectDamaged(model, {ErrorCode::kTruncated, "group1-shard1of1.bin", "dense/bias",
                        ByteRange{before.back().begin, before.back().begin + 16}});
}

TEST(Damage, ShapeTooSmallLeavesExtraBytes) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  Json doc = readJson(model);
  const uint64_t size = groupBytes(doc, 0);
  weightsOf(doc, 0).back()["shape"][0] = 2;
  writeJson(model, doc);
  expectDamaged(model,
                {ErrorCode::kExtraBytes, "group1-shard1of1.bin", "", ByteRange{size - 4, size}});
}

TEST(Damage, StorageDtypeWiderThanWritten) {
  // The last weight of the uint8 model claims uint16 codes: it no longer fits.
  TFJS_COPY_MODEL(model, kNsfw, "model.json");
  Json doc = readJson(model);
  const auto before = groupLayout(doc, 0);
  weightsOf(doc, 0).back()["quantization"]["dtype"] = "uint16";
  writeJson(model, doc);
  const uint64_t len = before.back().end - before.back().begin;
  expectDamaged(model, {ErrorCode::kTruncated, "group1-shard1of1", before.back().name,
                        ByteRange{before.back().begin, before.back().begin + 2 * len}});
}

TEST(Damage, Float16WeightClaimedAsFloat32) {
  TFJS_COPY_MODEL(model, kFace, "faceboxes.json");
  Json doc = readJson(model);
  Json* victim = nullptr;
  for (auto& w : weightsOf(doc, 0)) {
    if (w.contains("quantization")) victim = &w;
  }
  ASSERT_NE(victim, nullptr);
  victim->erase("quantization");
  writeJson(model, doc);
  expectDamaged(model, {ErrorCode::kTruncated, "faceboxes.bin"});
}

struct ShapeCase {
  const char* name;
  const char* shapeJson;  // raw JSON spliced in for the shape
  ErrorCode code;
};

std::ostream& operator<<(std::ostream& os, const ShapeCase& c) {
  return os << c.name;
}

class BadShape : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(BadShape, IsReportedForItsWeight) {
  const ShapeCase c = GetParam();
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  editJson(model, [](Json& doc) { weightsOf(doc, 0)[1]["shape"] = "@SHAPE@"; });
  replaceText(model, "\"@SHAPE@\"", c.shapeJson);
  expectDamaged(model, {c.code, "model.json", "conv2d/bias"});
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BadShape,
    ::testing::Values(
        ShapeCase{"Negative", "[-16]", ErrorCode::kBadShape},
        ShapeCase{"NegativeLater", "[4,-1]", ErrorCode::kBadShape},
        ShapeCase{"NonInteger", "[2.5]", ErrorCode::kBadShape},
        ShapeCase{"Huge", "[1e300]", ErrorCode::kBadShape},
        ShapeCase{"String", "\"16\"", ErrorCode::kBadShape},
        ShapeCase{"StringDim", "[\"16\"]", ErrorCode::kBadShape},
        ShapeCase{"NullDim", "[null]", ErrorCode::kBadShape},
        ShapeCase{"BoolDim", "[true]", ErrorCode::kBadShape},
        ShapeCase{"NestedDim", "[[16]]", ErrorCode::kBadShape},
        ShapeCase{"Object", "{\"0\":16}", ErrorCode::kBadShape},
        ShapeCase{"ProductOverflow", "[4294967296,4294967296,16]", ErrorCode::kShapeOverflow},
        ShapeCase{"ByteSizeOverflow", "[4611686018427387904]", ErrorCode::kShapeOverflow},
        ShapeCase{"DimensionOver63Bits", "[18446744073709551615]", ErrorCode::kShapeOverflow}),
    [](const ::testing::TestParamInfo<ShapeCase>& p) { return std::string(p.param.name); });

TEST(Damage, HugeButRepresentableShapeIsTruncatedNotAllocated) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  editJson(model, [](Json& doc) {
    weightsOf(doc, 0).back()["shape"] = Json::array({int64_t{1} << 40, 4096});
  });
  expectDamaged(model, {ErrorCode::kTruncated, "group1-shard1of1.bin", "dense/bias"});
}

TEST(Damage, GroupWhoseByteSizeOverflowsWhenSummed) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  editJson(model, [](Json& doc) {
    // Each weight alone fits in 64 bits; the group's total does not.
    for (int i = 0; i < 3; ++i) {
      weightsOf(doc, 0).push_back({{"name", "huge" + std::to_string(i)},
                                   {"shape", Json::array({INT64_MAX})},
                                   {"dtype", "bool"}});
    }
  });
  expectDamaged(model, {ErrorCode::kShapeOverflow});
}

// --- dtypes and quantization ---------------------------------------------------------------------

TEST(Damage, UnknownDType) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  editJson(model, [](Json& doc) { weightsOf(doc, 0)[2]["dtype"] = "float64"; });
  expectDamaged(
      model, {ErrorCode::kUnknownDType, "model.json", "conv2d_1/kernel", std::nullopt, "float64"});
}

TEST(Damage, StorageOnlyDTypeAsLogicalDType) {
  // An unquantized uint8 entry (the Python writer makes these; TF.js refuses them).
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  editJson(model, [](Json& doc) { weightsOf(doc, 0)[0]["dtype"] = "uint8"; });
  expectDamaged(model, {ErrorCode::kUnknownDType, "model.json", "conv2d/kernel"});
}

struct QuantCase {
  const char* name;
  const char* model;
  const char* json;
  std::function<void(Json& weight)> edit;
  const char* raw;  // if set, replaces the string "@RAW@" in the written JSON
  ErrorCode code;
  bool pickQuantized = true;
};

std::ostream& operator<<(std::ostream& os, const QuantCase& c) {
  return os << c.name;
}

class BadQuantization : public ::testing::TestWithParam<QuantCase> {};

TEST_P(BadQuantization, IsReportedForItsWeight) {
  const QuantCase c = GetParam();
  TFJS_COPY_MODEL(model, c.model, c.json);
  Json doc = readJson(model);
  Json* victim = nullptr;  // the first weight that is (or is not) quantized, as the case wants
  for (auto& w : weightsOf(doc, 0)) {
    if (w.contains("quantization") == c.pickQuantized) {
      victim = &w;
      break;
    }
  }
  ASSERT_NE(victim, nullptr);
  const std::string name = (*victim)["name"].get<std::string>();
  c.edit(*victim);
  writeJson(model, doc);
  if (c.raw) replaceText(model, "\"@RAW@\"", c.raw);
  expectDamaged(model, {c.code, "", name});
}

INSTANTIATE_TEST_SUITE_P(
    Quantization, BadQuantization,
    ::testing::Values(
        QuantCase{"MissingScale", kNsfw, "model.json",
                  [](Json& w) { w["quantization"].erase("scale"); }, nullptr,
                  ErrorCode::kBadQuantization},
        QuantCase{"MissingMin", kEye, "model.json", [](Json& w) { w["quantization"].erase("min"); },
                  nullptr, ErrorCode::kBadQuantization},
        QuantCase{"NullScale", kEye, "model.json",
                  [](Json& w) { w["quantization"]["scale"] = nullptr; }, nullptr,
                  ErrorCode::kBadQuantization},
        QuantCase{"StringScale", kNsfw, "model.json",
                  [](Json& w) { w["quantization"]["scale"] = "abc"; }, nullptr,
                  ErrorCode::kBadQuantization},
        QuantCase{"BoolScale", kEye, "model.json",
                  [](Json& w) { w["quantization"]["scale"] = true; }, nullptr,
                  ErrorCode::kBadQuantization},
        QuantCase{"NegativeScale", kNsfw, "model.json",
                  [](Json& w) { w["quantization"]["scale"] = -0.5; }, nullptr,
                  ErrorCode::kBadQuantization},
        QuantCase{"NotAnObject", kNsfw, "model.json", [](Json& w) { w["quantization"] = "uint8"; },
                  nullptr, ErrorCode::kBadQuantization},
        QuantCase{"MissingDtype", kNsfw, "model.json",
                  [](Json& w) { w["quantization"].erase("dtype"); }, nullptr,
                  ErrorCode::kBadQuantization},
        QuantCase{"Int8Storage", kNsfw, "model.json",
                  [](Json& w) { w["quantization"]["dtype"] = "int8"; }, nullptr,
                  ErrorCode::kUnknownDType},
        QuantCase{"Float32Storage", kEye, "model.json",
                  [](Json& w) { w["quantization"]["dtype"] = "float32"; }, nullptr,
                  ErrorCode::kUnknownDType},
        QuantCase{"QuantizedBool", kNsfw, "model.json", [](Json& w) { w["dtype"] = "bool"; },
                  nullptr, ErrorCode::kBadQuantization},
        QuantCase{"QuantizedString", kEye, "model.json", [](Json& w) { w["dtype"] = "string"; },
                  nullptr, ErrorCode::kBadQuantization},
        QuantCase{"Float16OnUnquantizedInt32", kFace, "faceboxes.json",
                  [](Json& w) {
                    w["dtype"] = "int32";
                    w["quantization"] = {{"dtype", "float16"}};
                  },
                  nullptr, ErrorCode::kBadQuantization, /*pickQuantized=*/false},
        QuantCase{"Float16OnInt32", kFace, "faceboxes.json", [](Json& w) { w["dtype"] = "int32"; },
                  nullptr, ErrorCode::kBadQuantization}),
    [](const ::testing::TestParamInfo<QuantCase>& p) { return std::string(p.param.name); });

// --- JSON ----------------------------------------------------------------------------------------

TEST(Damage, ModelJsonCutMidway) {
  TFJS_COPY_MODEL(model, kFace, "faceboxes.json");
  const std::string text = readText(model);
  writeText(model, text.substr(0, text.size() / 2));
  expectDamaged(model, {ErrorCode::kInvalidJson, "faceboxes.json", "", std::nullopt, "JSON"});
}

TEST(Damage, ModelJsonEmptyOrGarbage) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  const std::string text = readText(model);
  writeText(model, "");
  expectDamaged(model, {ErrorCode::kInvalidJson, "model.json"});
  writeText(model, text + " trailing");
  expectDamaged(model, {ErrorCode::kInvalidJson, "model.json"});
  // Not UTF-8: the error message quotes the bytes, and must still print as JSON.
  writeText(model, "\x89PNG\r\n\x1a\n");
  expectDamaged(model, {ErrorCode::kInvalidJson, "model.json"}, {}, Cli::kAndJson);
  writeText(model, "{\"modelTopology\": {\"a\": \"\xff\xfe\"}}");
  expectDamaged(model, {ErrorCode::kInvalidJson, "model.json"}, {}, Cli::kAndJson);
}

TEST(Damage, NumberBeyondDoubleRange) {
  // JSON.parse gives Infinity; nlohmann refuses such a number: invalid JSON, not a crash.
  TFJS_COPY_MODEL(model, kNsfw, "model.json");
  editJson(model, [](Json& d) { weightsOf(d, 0)[0]["quantization"]["scale"] = "@RAW@"; });
  replaceText(model, "\"@RAW@\"", "1e999");
  expectDamaged(model, {ErrorCode::kInvalidJson, "model.json", "", std::nullopt, "1e999"});
  // The same in a shape.
  const fs::path cnn = copyModel(fixtures, kCnn, tmp);
  editJson(cnn, [](Json& d) { weightsOf(d, 0)[0]["shape"] = "@RAW@"; });
  replaceText(cnn, "\"@RAW@\"", "[-1e999]");
  expectDamaged(cnn, {ErrorCode::kInvalidJson, "model.json", "", std::nullopt, "1e999"});
}

TEST(Damage, ModelJsonNestedTooDeeply) {
  // A hostile model.json must not exhaust the stack (copying and printing JSON recurse).
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  const size_t depth = 200000;
  std::string text = "{\"format\":\"layers-model\",\"modelTopology\":{\"x\":";
  text += std::string(depth, '[') + std::string(depth, ']') + "}}";
  writeText(model, text);
  expectDamaged(model, {ErrorCode::kTooLarge, "model.json", "", std::nullopt, "nest"});
}

TEST(Damage, ModelJsonNestedDeeplyButWithinReasonLoads) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  std::string text = readText(model);
  const std::string deep = std::string(500, '[') + "\"]}\"" + std::string(500, ']');
  ASSERT_EQ(text.back(), '}');
  text.insert(text.size() - 1, ",\"deepExtra\":" + deep);
  writeText(model, text);
  expectIntact(model);
  EXPECT_TRUE(loadModel(model.string()).extra.contains("deepExtra"));
}

TEST(Damage, FileUrlReportsTheSameProblems) {
  TFJS_COPY_ORACLE_MODEL(model, "multigroup");
  fs::resize_file(model.parent_path() / "group3-shard1of1.bin", 100);
  expectDamaged("file://" + model.string(),
                {ErrorCode::kTruncated, "group3-shard1of1.bin", "mg_c/kernel", ByteRange{0, 600}});
  expectDamaged("file://" + model.parent_path().string(),
                {ErrorCode::kTruncated, "group3-shard1of1.bin", "mg_c/kernel", ByteRange{0, 600}});
}

struct JsonCase {
  const char* name;
  std::function<void(Json& doc)> edit;
  ErrorCode code;
  const char* weight;
};

std::ostream& operator<<(std::ostream& os, const JsonCase& c) {
  return os << c.name;
}

class WrongJson : public ::testing::TestWithParam<JsonCase> {};

TEST_P(WrongJson, IsASchemaProblem) {
  const JsonCase c = GetParam();
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  editJson(model, c.edit);
  expectDamaged(model, {c.code, "model.json", c.weight});
}

INSTANTIATE_TEST_SUITE_P(
    Schema, WrongJson,
    ::testing::Values(
        JsonCase{"ManifestIsAnObject",
                 [](Json& d) { d["weightsManifest"] = d["weightsManifest"][0]; },
                 ErrorCode::kSchema, ""},
        JsonCase{"ManifestIsAString", [](Json& d) { d["weightsManifest"] = "weights.bin"; },
                 ErrorCode::kSchema, ""},
        JsonCase{"GroupIsAnArray",
                 [](Json& d) {
                   d["weightsManifest"][0] = Json::array({1, 2});
                 },
                 ErrorCode::kSchema, ""},
        JsonCase{"PathsHoldANumber",
                 [](Json& d) { d["weightsManifest"][0]["paths"] = Json::array({42}); },
                 ErrorCode::kSchema, ""},
        JsonCase{"PathsIsAString",
                 [](Json& d) { d["weightsManifest"][0]["paths"] = "group1-shard1of1.bin"; },
                 ErrorCode::kSchema, ""},
        JsonCase{"PathsMissing", [](Json& d) { d["weightsManifest"][0].erase("paths"); },
                 ErrorCode::kSchema, ""},
        JsonCase{"WeightsMissing", [](Json& d) { d["weightsManifest"][0].erase("weights"); },
                 ErrorCode::kSchema, ""},
        JsonCase{"WeightIsANumber", [](Json& d) { weightsOf(d, 0)[0] = 7; }, ErrorCode::kSchema,
                 ""},
        JsonCase{"NameMissing", [](Json& d) { weightsOf(d, 0)[0].erase("name"); },
                 ErrorCode::kSchema, ""},
        JsonCase{"NameIsANumber", [](Json& d) { weightsOf(d, 0)[0]["name"] = 1; },
                 ErrorCode::kSchema, ""},
        JsonCase{"DtypeIsANumber", [](Json& d) { weightsOf(d, 0)[0]["dtype"] = 1; },
                 ErrorCode::kSchema, "conv2d/kernel"},
        JsonCase{"DtypeMissing", [](Json& d) { weightsOf(d, 0)[0].erase("dtype"); },
                 ErrorCode::kSchema, "conv2d/kernel"},
        JsonCase{"ShapeMissing", [](Json& d) { weightsOf(d, 0)[0].erase("shape"); },
                 ErrorCode::kBadShape, "conv2d/kernel"},
        JsonCase{"TopologyIsAnArray", [](Json& d) { d["modelTopology"] = Json::array(); },
                 ErrorCode::kSchema, ""},
        JsonCase{"TopologyIsAString", [](Json& d) { d["modelTopology"] = "sequential"; },
                 ErrorCode::kSchema, ""},
        JsonCase{"FormatIsANumber", [](Json& d) { d["format"] = 2; }, ErrorCode::kSchema, ""},
        JsonCase{"GeneratedByIsAnObject", [](Json& d) { d["generatedBy"] = Json::object(); },
                 ErrorCode::kSchema, ""},
        JsonCase{"UnknownFormat", [](Json& d) { d["format"] = "tfjs-model"; },
                 ErrorCode::kUnknownFormat, ""},
        JsonCase{"DuplicateWeight",
                 [](Json& d) { weightsOf(d, 0)[3]["name"] = weightsOf(d, 0)[1]["name"]; },
                 ErrorCode::kDuplicateWeight, "conv2d/bias"},
        JsonCase{"NeitherTopologyNorManifest",
                 [](Json& d) {
                   d.erase("modelTopology");
                   d.erase("weightsManifest");
                 },
                 ErrorCode::kSchema, ""},
        JsonCase{"BothNull",
                 [](Json& d) {
                   d["modelTopology"] = nullptr;
                   d["weightsManifest"] = nullptr;
                 },
                 ErrorCode::kSchema, ""},
        JsonCase{"BareManifestArray", [](Json& d) { d = Json(d["weightsManifest"]); },
                 ErrorCode::kWeightsOnly, ""},
        JsonCase{"ANumber", [](Json& d) { d = 42; }, ErrorCode::kSchema, ""},
        JsonCase{"AString", [](Json& d) { d = "model"; }, ErrorCode::kSchema, ""},
        JsonCase{"Null", [](Json& d) { d = nullptr; }, ErrorCode::kSchema, ""}),
    [](const ::testing::TestParamInfo<JsonCase>& p) { return std::string(p.param.name); });

TEST(Damage, DuplicateWeightAcrossGroups) {
  TFJS_COPY_ORACLE_MODEL(model, "multigroup");
  editJson(model, [](Json& d) { weightsOf(d, 2)[0]["name"] = "mg_a/kernel"; });
  expectDamaged(model, {ErrorCode::kDuplicateWeight, "model.json", "mg_a/kernel"});
}

TEST(Damage, GroupWithoutPathsButWithWeights) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  editJson(model, [](Json& d) { d["weightsManifest"][0]["paths"] = Json::array(); });
  expectDamaged(model, {ErrorCode::kTruncated, "", "conv2d/kernel"});
}

TEST(Damage, WeightsOnlyModelJsonLoadsButDoesNotValidate) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  editJson(model, [](Json& d) { d["modelTopology"] = nullptr; });
  ModelArtifacts a;
  EXPECT_NO_THROW(a = loadModel(model.string()));
  EXPECT_EQ(a.weightCount(), 6u);
  EXPECT_TRUE(a.weightsLoaded);
  const auto problems = validateModel(model.string());
  ASSERT_EQ(problems.size(), 1u) << listProblems(problems);
  EXPECT_EQ(problems[0].code, ErrorCode::kWeightsOnly);
  const auto v = runCli("validate " + quote(model));
  EXPECT_EQ(v.exitCode, 1) << v.out;
  EXPECT_NE(v.out.find("[weights-only]"), std::string::npos) << v.out;
  const auto i = runCli("inspect " + quote(model));
  EXPECT_EQ(i.exitCode, 1) << i.out;
  // The key left out altogether: the same.
  editJson(model, [](Json& d) { d.erase("modelTopology"); });
  EXPECT_NO_THROW((void)loadModel(model.string()));
  const auto again = validateModel(model.string());
  ASSERT_EQ(again.size(), 1u) << listProblems(again);
  EXPECT_EQ(again[0].code, ErrorCode::kWeightsOnly);
}

// --- string tensors ------------------------------------------------------------------------------

// A small graph model with a string tensor, written by the library: returns its folder.
fs::path saveStringModel(const TempDir& tmp) {
  ModelArtifacts a;
  a.format = "graph-model";
  a.generatedBy = "damage_test";
  a.modelTopology = Json::parse(R"({"node":[],"library":{},"versions":{"producer":1}})");
  std::vector<NamedTensor> tensors;
  tensors.push_back({"vocab", Tensor({3}, {"alpha", "be", "gamma"})});
  Buffer b = Buffer::allocate(8);
  const float values[2] = {1.5f, -2.0f};
  std::memcpy(b.mutableData(), values, 8);
  tensors.push_back({"scale", Tensor(DType::kFloat32, {2}, b, 0)});
  std::vector<EncodedGroup> groups;
  groups.push_back(encodeWeights(tensors));
  setWeightGroups(a, std::move(groups));
  const fs::path dir = tmp / "strings";
  saveModel(a, dir.string());
  return dir;
}

TEST(Damage, StringModelRoundTrips) {
  TempDir tmp;
  const fs::path dir = saveStringModel(tmp);
  EXPECT_EQ(fs::file_size(dir / "group1-shard1of1.bin"), 9u + 6u + 9u + 8u);
  expectIntact(dir);
  const auto tensors = decodeWeights(loadModel(dir.string()));
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0].tensor.strings(), (std::vector<std::string>{"alpha", "be", "gamma"}));
  EXPECT_EQ(tensors[1].tensor.floats()[1], -2.0f);
}

TEST(Damage, StringLengthPrefixPastTheEnd) {
  TempDir tmp;
  const fs::path dir = saveStringModel(tmp);
  writeU32At(dir / "group1-shard1of1.bin", 0, 0x7fffffffu);
  expectDamaged(
      dir,
      {ErrorCode::kBadString, "group1-shard1of1.bin", "vocab", ByteRange{0, 4 + 0x7fffffffull}}, {},
      Cli::kAndJson);
  writeU32At(dir / "group1-shard1of1.bin", 0, 0xffffffffu);
  expectDamaged(dir, {ErrorCode::kBadString, "group1-shard1of1.bin", "vocab",
                      ByteRange{0, 4 + 0xffffffffull}});
}

TEST(Damage, SecondStringLengthPrefixPastTheEnd) {
  TempDir tmp;
  const fs::path dir = saveStringModel(tmp);
  writeU32At(dir / "group1-shard1of1.bin", 9, 1000);
  expectDamaged(
      dir, {ErrorCode::kBadString, "group1-shard1of1.bin", "vocab", ByteRange{9, 9 + 4 + 1000}});
}

TEST(Damage, StringThatSwallowsTheNextWeight) {
  // "gamma" (prefix at byte 15) claims 13 bytes: the strings end at 32 and the float weight that
  // followed them no longer fits.
  TempDir tmp;
  const fs::path dir = saveStringModel(tmp);
  writeU32At(dir / "group1-shard1of1.bin", 15, 13);
  expectDamaged(dir, {ErrorCode::kTruncated, "group1-shard1of1.bin", "scale", ByteRange{32, 40}});
}

TEST(Damage, StringGroupCutShort) {
  TempDir tmp;
  const fs::path dir = saveStringModel(tmp);
  fs::resize_file(dir / "group1-shard1of1.bin", 11);  // the second prefix has 2 of 4 bytes
  expectDamaged(dir, {ErrorCode::kTruncated, "group1-shard1of1.bin", "vocab", ByteRange{9, 13}});
}

TEST(Damage, StringGroupWithExtraBytes) {
  TempDir tmp;
  const fs::path dir = saveStringModel(tmp);
  appendBytes(dir / "group1-shard1of1.bin", 3);
  expectDamaged(dir, {ErrorCode::kExtraBytes, "group1-shard1of1.bin", "", ByteRange{32, 35}});
}

// --- in-memory artifacts -------------------------------------------------------------------------

TEST(Damage, InMemoryOverflowingLayoutIsNotAccepted) {
  // Two weights whose lengths wrap around 64 bits when added: the layout must not wrap.
  ModelArtifacts a = parseModelJson(
      R"({"format":"graph-model","modelTopology":{"node":[]},
          "weightsManifest":[{"paths":["w.bin"],"weights":[
          {"name":"a","shape":[1],"dtype":"bool"},
          {"name":"b","shape":[3,6148914691236517205],"dtype":"bool"}]}]})",
      "mem");
  a.weightData = Buffer::allocate(1);
  a.weightData.mutableData()[0] = 1;
  a.weightsManifest[0].pathSizes = {1};
  a.weightsLoaded = true;
  std::vector<Problem> problems;
  (void)locateWeights(a, problems);
  checkProblems(problems, {ErrorCode::kTruncated, "w.bin", "b"}, "locateWeights");
  EXPECT_FALSE(validateArtifacts(a).empty());
  EXPECT_THROW((void)decodeWeights(a), Error);
}

TEST(Damage, InMemoryPathSizesLargerThanTheBuffer) {
  ModelArtifacts a = parseModelJson(
      R"({"format":"graph-model","modelTopology":{"node":[]},
          "weightsManifest":[{"paths":["w.bin"],"weights":[
          {"name":"a","shape":[4],"dtype":"float32"}]}]})",
      "mem");
  a.weightData = Buffer::allocate(4);
  a.weightsManifest[0].pathSizes = {16};
  a.weightsLoaded = true;
  std::vector<Problem> problems;
  (void)locateWeights(a, problems);  // must not read past the 4 bytes
  EXPECT_FALSE(problems.empty());
  const auto v = validateArtifacts(a);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v[0].code, ErrorCode::kInvalidArgument);
  EXPECT_THROW((void)decodeWeights(a), Error);
}

// --- the writer ----------------------------------------------------------------------------------

std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    out[rel] = e.is_regular_file() ? readText(e.path()) : std::string("<dir>");
  }
  return out;
}

std::vector<std::string> tempSiblings(const fs::path& parent) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(parent)) {
    const std::string n = e.path().filename().string();
    if (n.find(".tmp-") != std::string::npos) out.push_back(n);
  }
  return out;
}

TEST(Save, RefusesANonEmptyFolderAndLeavesItUntouched) {
  TFJS_COPY_MODEL(model, kCnn, "model.json");
  const ModelArtifacts a = loadModel(model.string());
  const fs::path dest = tmp / "dest";
  fs::create_directory(dest);
  writeText(dest / "notes.txt", "keep me");
  writeText(dest / "model.json", "{\"old\":true}");
  const auto before = snapshot(dest);
  try {
    saveModel(a, dest.string());
    ADD_FAILURE() << "saveModel overwrote a non-empty folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kExists) << e.what();
    EXPECT_NE(e.problems()[0].file.find("dest"), std::string::npos) << e.what();
  }
  EXPECT_EQ(snapshot(dest), before);
  EXPECT_TRUE(tempSiblings(tmp.path()).empty());
  // A file in the way is refused too.
  writeText(tmp / "afile", "x");
  EXPECT_THROW(saveModel(a, (tmp / "afile").string()), Error);
  EXPECT_EQ(readText(tmp / "afile"), "x");
  // With overwrite the folder is replaced as a whole.
  SaveOptions over;
  over.overwrite = true;
  saveModel(a, dest.string(), over);
  EXPECT_FALSE(fs::exists(dest / "notes.txt"));
  EXPECT_TRUE(fs::exists(dest / "group1-shard1of1.bin"));
  EXPECT_TRUE(tempSiblings(tmp.path()).empty());
  expectIntact(dest);
  const ModelArtifacts b = loadModel(dest.string());
  ASSERT_EQ(b.weightData.size(), a.weightData.size());
  EXPECT_EQ(std::memcmp(b.weightData.data(), a.weightData.data(), a.weightData.size()), 0);
  // An empty existing folder needs no overwrite.
  const fs::path empty = tmp / "empty";
  fs::create_directory(empty);
  EXPECT_NO_THROW(saveModel(a, empty.string()));
  expectIntact(empty);
}

TEST(Save, FailedSavesLeaveNothingBehind) {
  TFJS_COPY_ORACLE_MODEL(model, "multigroup");
  const ModelArtifacts a = loadModel(model.string());
  const fs::path out = tmp / "out";
  fs::create_directory(out);
  const fs::path dest = out / "saved";
  auto expectNothing = [&](const char* what) {
    SCOPED_TRACE(what);
    EXPECT_FALSE(fs::exists(dest));
    EXPECT_EQ(tempSiblings(out), std::vector<std::string>{});
  };
  // Refused before anything is written: shard size 0.
  SaveOptions zero;
  zero.shardSizeBytes = 0;
  try {
    saveModel(a, dest.string(), zero);
    ADD_FAILURE() << "shard size 0 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
  }
  expectNothing("shard size 0");
  // Path sizes that disagree with the weight buffer.
  ModelArtifacts bad = a;
  bad.weightsManifest[1].pathSizes[0] += 1;
  EXPECT_THROW(saveModel(bad, dest.string()), Error);
  expectNothing("path sizes");
  // Weights not loaded.
  ModelArtifacts unloaded = loadModel(model.string(), [] {
    LoadOptions o;
    o.skipWeights = true;
    return o;
  }());
  EXPECT_THROW(saveModel(unloaded, dest.string()), Error);
  expectNothing("weights not loaded");
  // A model file name that a shard could take is refused before anything is written.
  SaveOptions clash;
  clash.modelFileName = "group3-shard1of1.bin";
  EXPECT_THROW(saveModel(a, dest.string(), clash), Error);
  expectNothing("name clash");
  // Fails midway, after the shards were written to the temporary folder: the model file's name
  // is longer than the file system allows (ENAMETOOLONG at creation).
  SaveOptions tooLong;
  tooLong.modelFileName = std::string(300, 'm');
  EXPECT_THROW(saveModel(a, dest.string(), tooLong), Error);
  expectNothing("name too long");
  // Still possible afterwards.
  saveModel(a, dest.string());
  expectIntact(dest);
  EXPECT_EQ(tempSiblings(out), std::vector<std::string>{});
}

}  // namespace
}  // namespace tfjs::test
