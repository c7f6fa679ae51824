// `tfjs convert`'s command line as tensorflowjs_converter users write it: every flag of the
// converter's 4.x command line accepted (--quantization_bytes mapped, graph-only flags ignored
// with a note or refused where the converter refuses them), --output_format suggested where it
// is needed, --sample before the paths, and --overwrite (atomic, folders and files).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.h"
#include "tfjs/builder.h"
#include "tfjs/convert.h"
#include "tfjs/io.h"

namespace tfjs {
namespace {

// A small TF.js layers model (Dense 3 -> 2), saved in `dir`.
fs::path smallModel(const fs::path& dir) {
  const Sequential s({layers::dense({.units = 4, .activation = "relu", .inputShape = {3}}),
                      layers::dense({.units = 2})});
  saveModel(s.build(3).toArtifacts(), dir.string());
  return dir;
}

size_t quantized(const fs::path& dir, DType dtype) {
  size_t n = 0;
  const ModelArtifacts a = loadModel(dir.string());
  for (const auto* s : a.weightSpecs()) {
    n += s->quantization && s->quantization->dtype == dtype;
  }
  return n;
}

TEST(ConvertCli, EveryConverterFlagIsAccepted) {
  test::TempDir tmp;
  const fs::path m = smallModel(tmp / "m");
  const std::string io = quote(m) + " " + quote(tmp / "out") + " --output_format tfjs_layers_model";
  // The graph conversion flags, written as scripts write them: ignored for a layers model, with a
  // note naming the flag (tensorflowjs_converter ignores them silently).
  auto r = runCli("convert " + io +
                  " --strip_debug_ops=True --skip_op_check --saved_model_tags serve "
                  "--output_node_names a,b --experiments=False "
                  "--use_structured_outputs_names True --control_flow_v2=False");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  for (const char* flag :
       {"--strip_debug_ops", "--skip_op_check", "--saved_model_tags", "--output_node_names",
        "--experiments", "--use_structured_outputs_names"}) {
    EXPECT_THAT(r.out, HasSubstr(fmt::format("note: {} ignored", flag)));
  }
  // Bare bool flags, before the paths, and dashed spellings.
  r = runCli("convert --strip-debug-ops --skip-op-check " + quote(m) + " " + quote(tmp / "o2") +
             " --output-format tfjs_layers_model");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(fs::exists(tmp / "o2/model.json"));
  r = runCli("convert --strip_debug_ops " + quote(m) + " " + quote(tmp / "o3") +
             " --output_format tfjs_layers_model");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(fs::exists(tmp / "o3/model.json"));
  // Refused where the converter refuses them (exit 2, naming the flag and why).
  r = runCli("convert " + quote(m) + " " + quote(tmp / "x") +
             " --output_format tfjs_layers_model --signature_name serving_default");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--signature_name applies to tf_saved_model and tf_hub inputs"));
  r = runCli("convert " + quote(m) + " " + quote(tmp / "x") +
             " --output_format tfjs_layers_model --control_flow_v2 True");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--control_flow_v2 applies to tfjs_graph_model outputs"));
  EXPECT_FALSE(fs::exists(tmp / "x"));
  // --version, as the converter's.
  r = runCli("convert --version");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("tfjs-cpp"));
}

TEST(ConvertCli, QuantizationBytesIsTheOldSpellingOfUint8AndUint16) {
  test::TempDir tmp;
  const fs::path m = smallModel(tmp / "m");
  auto r = runCli("convert " + quote(m) + " " + quote(tmp / "q1") +
                  " --output_format tfjs_layers_model --quantization_bytes 1");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--quantization_bytes is deprecated"));
  EXPECT_EQ(quantized(tmp / "q1", DType::kUint8), 4u);
  r = runCli("convert " + quote(m) + " " + quote(tmp / "q2") +
             " --output_format tfjs_layers_model --quantization-bytes=2");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(quantized(tmp / "q2", DType::kUint16), 4u);
  r = runCli("convert " + quote(m) + " " + quote(tmp / "q3") +
             " --output_format tfjs_layers_model --quantization_bytes 4");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  r = runCli("convert " + quote(m) + " " + quote(tmp / "q4") +
             " --output_format tfjs_layers_model --quantization_bytes 1 --quantize_uint16");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("cannot be used with the --quantize_* flags"));
  EXPECT_FALSE(fs::exists(tmp / "q3"));
  EXPECT_FALSE(fs::exists(tmp / "q4"));
}

TEST(ConvertCli, QuantizingATfjsModelSuggestsTheOutputFormat) {
  test::TempDir tmp;
  const fs::path m = smallModel(tmp / "m");
  auto r = runCli("convert " + quote(m) + " " + quote(tmp / "q") + " --quantize_uint8");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("add --output_format tfjs_layers_model"));
  EXPECT_FALSE(fs::exists(tmp / "q"));
  r = runCli("convert --quantize_uint8 " + quote(m) + " " + quote(tmp / "q") +
             " --output_format tfjs_layers_model");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(quantized(tmp / "q", DType::kUint8), 4u);
}

TEST(ConvertCli, SampleBeforeThePathsTakesOneValue) {
  test::TempDir tmp;
  const fs::path m = smallModel(tmp / "m");
  const auto r = runCli("convert --sample '[[1,2,3]]' " + quote(m) + " " + quote(tmp / "q") +
                        " --output_format tfjs_layers_model --quantize_uint8");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("sample: output"));
  EXPECT_EQ(quantized(tmp / "q", DType::kUint8), 4u);
}

TEST(ConvertCli, OverwriteReplacesAFolderOrAFileAtomically) {
  test::TempDir tmp;
  const fs::path m = smallModel(tmp / "m");
  const std::string tfjsOut = " --output_format tfjs_layers_model";
  auto r = runCli("convert " + quote(m) + " " + quote(tmp / "out") + tfjsOut);
  ASSERT_EQ(r.exitCode, 0) << r.out;
  test::writeText(tmp / "out/stale.txt", "old");
  // Without --overwrite: kExists, mentioning --overwrite; nothing changes.
  r = runCli("convert " + quote(m) + " " + quote(tmp / "out") + tfjsOut + " --quantize_uint8");
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("[exists]"));
  EXPECT_THAT(r.out, HasSubstr("--overwrite"));
  EXPECT_EQ(quantized(tmp / "out", DType::kUint8), 0u);
  // With it: the new model replaces the old folder whole (no stale file left).
  r = runCli("convert " + quote(m) + " " + quote(tmp / "out") + tfjsOut +
             " --quantize_uint8 --overwrite");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(quantized(tmp / "out", DType::kUint8), 4u);
  EXPECT_FALSE(fs::exists(tmp / "out/stale.txt"));
  // A failed conversion leaves the old output as it was.
  r = runCli("convert " + quote(tmp / "nowhere") + " " + quote(tmp / "out") + tfjsOut +
             " --overwrite");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_EQ(quantized(tmp / "out", DType::kUint8), 4u);
  // No temporary sibling is left behind.
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    EXPECT_THAT(e.path().filename().string(), Not(HasSubstr(".tmp-")));
  }

  // A .h5 file.
  const fs::path h5 = tmp / "m.h5";
  r = runCli("convert " + quote(m) + " " + quote(h5));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  test::writeText(h5, "not an h5 file");
  r = runCli("convert " + quote(m) + " " + quote(h5));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--overwrite"));
  EXPECT_EQ(test::readText(h5), "not an h5 file");
  r = runCli("convert " + quote(m) + " " + quote(h5) + " --overwrite");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_EQ(detectInputFormat(h5.string()), "keras");
  // And a .keras file.
  const fs::path kz = tmp / "m.keras";
  test::writeText(kz, "old");
  r = runCli("convert " + quote(m) + " " + quote(kz) + " --output_format keras_keras --overwrite");
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_NE(test::readText(kz), "old");
  // --overwrite never replaces a folder by a file.
  r = runCli("convert " + quote(m) + " " + quote(tmp / "out") + " --overwrite");
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_TRUE(fs::exists(tmp / "out/model.json"));
}

}  // namespace
}  // namespace tfjs
