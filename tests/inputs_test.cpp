// The command line's input values (tools/tfjs/inputs.h): JSON literals and files, CSV / TSV, PNG
// and JPEG images (made here with libpng / libjpeg) with TF.js's bilinear resize checked against
// the real TF.js (tests/oracle/resize_bilinear.mjs), `tfjs predict --top-k`, and bad inputs,
// each a clear error and never a crash.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <png.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

// jpeglib.h needs FILE and size_t first.
#include <jpeglib.h>

#include "images.h"
#include "inputs.h"
#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

using ::testing::ElementsAre;

std::vector<float> valuesOf(const Tensor& t) {
  return {t.floats().begin(), t.floats().end()};
}

// Runs `f`, which must throw tfjs::Error with `code` and every one of `words` in its message.
template <typename F>
void expectError(F f, ErrorCode code, std::initializer_list<std::string> words) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one with " << *words.begin();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const auto& w : words) EXPECT_THAT(e.what(), HasSubstr(w));
  }
}

// --- images made here ----------------------------------------------------------------------------
std::string encodePng(const std::vector<uint8_t>& pixels, int width, int height, int channels) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = channels == 1   ? PNG_FORMAT_GRAY
                 : channels == 2 ? PNG_FORMAT_GA
                 : channels == 3 ? PNG_FORMAT_RGB
                                 : PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr));
  std::string out(size, '\0');
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr))
      << image.message;
  out.resize(size);
  return out;
}

std::string encodeJpeg(const std::vector<uint8_t>& pixels, int width, int height, int channels) {
  jpeg_compress_struct c;
  jpeg_error_mgr err;
  c.err = jpeg_std_error(&err);
  jpeg_create_compress(&c);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&c, &buf, &size);
  c.image_width = static_cast<JDIMENSION>(width);
  c.image_height = static_cast<JDIMENSION>(height);
  c.input_components = channels;
  c.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, 98, TRUE);
  for (int i = 0; i < c.num_components; ++i) {
    c.comp_info[i].h_samp_factor = 1;  // no chroma subsampling
    c.comp_info[i].v_samp_factor = 1;
  }
  jpeg_start_compress(&c, TRUE);
  while (c.next_scanline < c.image_height) {
    JSAMPROW row = const_cast<uint8_t*>(pixels.data()) +
                   static_cast<size_t>(c.next_scanline) * static_cast<size_t>(width * channels);
    jpeg_write_scanlines(&c, &row, 1);
  }
  jpeg_finish_compress(&c);
  std::string out(reinterpret_cast<const char*>(buf), size);
  std::free(buf);
  jpeg_destroy_compress(&c);
  return out;
}

// A smooth RGB gradient (JPEG keeps it within a few levels).
std::vector<uint8_t> gradient(int width, int height, int channels) {
  std::vector<uint8_t> p;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        p.push_back(static_cast<uint8_t>(40 + 12 * x + 9 * y + 30 * c));
      }
    }
  }
  return p;
}

// A model whose output is its input: Activation('linear') on inputs of `shape` (no batch).
fs::path identityModel(const TempDir& tmp, const std::string& name, std::vector<int64_t> shape,
                       const std::string& activation = "linear") {
  const Sequential s({layers::activation({.activation = activation, .inputShape = shape})});
  saveModel(s.build().toArtifacts(), (tmp / name).string());
  return tmp / name;
}

// The values printed by `tfjs predict --json` for the first output.
Json predictJson(const std::string& args) {
  const auto r = runCli("predict " + args + " --json");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  if (r.exitCode != 0) return Json::object();
  return Json::parse(r.out.substr(r.out.find('[')))[0];
}

// --- JSON ----------------------------------------------------------------------------------------
TEST(Inputs, JsonLiteralsAndFiles) {
  Tensor t = cli::readInput("[[1, 2.5], [3, -4]]");
  EXPECT_EQ(t.dtype(), DType::kFloat32);
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 2}));
  EXPECT_THAT(valuesOf(t), ElementsAre(1, 2.5, 3, -4));
  t = cli::readInput("[1,2,3]");
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{3}));
  t = cli::readInput("10");
  EXPECT_EQ(t.shape(), std::vector<int64_t>{});
  EXPECT_THAT(valuesOf(t), ElementsAre(10));
  EXPECT_THAT(valuesOf(cli::readInput("-1.5e1")), ElementsAre(-15));
  t = cli::readInput("[[true, false]]");
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 2}));
  EXPECT_THAT(valuesOf(t), ElementsAre(1, 0));
  EXPECT_EQ(cli::readInput("[]").shape(), (std::vector<int64_t>{0}));
  EXPECT_EQ(cli::readInput("[[],[]]").shape(), (std::vector<int64_t>{2, 0}));
  TempDir tmp;
  test::writeText(tmp / "x.json", "[[[1],[2]],[[3],[4]]]\n");
  t = cli::readInput("@" + (tmp / "x.json").string());
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_THAT(valuesOf(t), ElementsAre(1, 2, 3, 4));
  EXPECT_EQ(cli::readInput((tmp / "x.json").string()).shape(), (std::vector<int64_t>{2, 2, 1}));
}

TEST(Inputs, JsonErrorsNameThePosition) {
  expectError([] { cli::readInput("[[1,2],[3]]"); }, ErrorCode::kInvalidArgument,
              {"[1] has 1 element(s) but [0] has 2", "rectangular"});
  expectError([] { cli::readInput("[[1,2],[3,[4]]]"); }, ErrorCode::kInvalidArgument,
              {"[1][1] is an array but [0][0] is a number"});
  expectError([] { cli::readInput("[[1],2]"); }, ErrorCode::kInvalidArgument,
              {"[1] is a number but [0] is an array"});
  expectError([] { cli::readInput("[[1,\"a\"]]"); }, ErrorCode::kInvalidArgument,
              {"[0][1] is a string (\"a\")", "only numbers and booleans"});
  expectError([] { cli::readInput("[1, null]"); }, ErrorCode::kInvalidArgument, {"[1] is null"});
  expectError([] { cli::readInput("[1, 2"); }, ErrorCode::kInvalidArgument,
              {"not valid JSON", "the JSON input [1, 2"});
  TempDir tmp;
  test::writeText(tmp / "o.json", "{\"a\": 1}");
  expectError([&] { cli::readInput("@" + (tmp / "o.json").string()); }, ErrorCode::kInvalidArgument,
              {"the top level is an object", "o.json"});
  test::writeText(tmp / "bad.json", "[1,");
  expectError([&] { cli::readInput("@" + (tmp / "bad.json").string()); }, ErrorCode::kInvalidJson,
              {"not valid JSON", "bad.json"});
  expectError([&] { cli::readInput("@" + (tmp / "none.json").string()); }, ErrorCode::kNotFound,
              {"no such file", "none.json"});
}

// --- CSV / TSV -----------------------------------------------------------------------------------
TEST(Inputs, CsvAndTsv) {
  std::string header;
  Tensor t = cli::tensorFromDelimited("a,b,c\n1,2,3\r\n4, 5 ,\"6\"\n\n", ',', "x.csv", &header);
  EXPECT_EQ(header, "a,b,c");
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_THAT(valuesOf(t), ElementsAre(1, 2, 3, 4, 5, 6));
  t = cli::tensorFromDelimited("# a comment\n-1\n+2.5\n1e3\n", ',', "x.csv", &header);
  EXPECT_EQ(header, "");
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{3, 1}));
  EXPECT_THAT(valuesOf(t), ElementsAre(-1, 2.5, 1000));
  t = cli::tensorFromDelimited("1\t2\n3\t4", '\t', "x.tsv", &header);
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{2, 2}));
  expectError([] { cli::tensorFromDelimited("1,2\n3,4\n5\n", ',', "r.csv", nullptr); },
              ErrorCode::kInvalidArgument, {"CSV line 3 has 1 value(s) but line 1 has 2", "r.csv"});
  expectError([] { cli::tensorFromDelimited("x,y\n1,2\n3,oops\n", ',', "r.csv", nullptr); },
              ErrorCode::kInvalidArgument, {"line 1, column 1: 'x' is not a number"});
  std::string h;
  expectError([&] { cli::tensorFromDelimited("x,y\n1,2\n3,oops\n", ',', "r.csv", &h); },
              ErrorCode::kInvalidArgument, {"line 3, column 2: 'oops' is not a number"});
  expectError([&] { cli::tensorFromDelimited("1,,2\n", ',', "r.csv", &h); },
              ErrorCode::kInvalidArgument, {"line 1, column 2: an empty field"});
  expectError([&] { cli::tensorFromDelimited("", ',', "e.csv", &h); }, ErrorCode::kInvalidArgument,
              {"no rows of numbers", "e.csv"});
  expectError([&] { cli::tensorFromDelimited("a,b\n", ',', "e.csv", &h); },
              ErrorCode::kInvalidArgument, {"only a header row"});
}

// --- images --------------------------------------------------------------------------------------
TEST(Inputs, PngPixelsExactly) {
  TempDir tmp;
  const std::vector<uint8_t> rgb = {255, 0, 0, 0,   255, 0,   0, 0, 255,
                                    1,   2, 3, 250, 251, 252, 7, 8, 9};
  test::writeText(tmp / "rgb.png", encodePng(rgb, 3, 2, 3));
  Tensor t = cli::readInput((tmp / "rgb.png").string());
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 2, 3, 3}));
  EXPECT_EQ(valuesOf(t), std::vector<float>(rgb.begin(), rgb.end()));
  // RGBA: alpha dropped (tf.browser.fromPixels(img, 3)), or kept with --channels 4.
  const std::vector<uint8_t> rgba = {10, 20, 30, 40, 50, 60, 70, 80};
  test::writeText(tmp / "rgba.png", encodePng(rgba, 2, 1, 4));
  EXPECT_THAT(valuesOf(cli::readInput((tmp / "rgba.png").string())),
              ElementsAre(10, 20, 30, 50, 60, 70));
  cli::ImageArgs four;
  four.channels = 4;
  EXPECT_THAT(valuesOf(cli::readInput((tmp / "rgba.png").string(), four)),
              ElementsAre(10, 20, 30, 40, 50, 60, 70, 80));
  // Gray stays one channel, becomes RGB with --channels 3 or for a model with 3 channels.
  test::writeText(tmp / "gray.png", encodePng({0, 128, 255, 7}, 2, 2, 1));
  t = cli::readInput((tmp / "gray.png").string());
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 2, 2, 1}));
  EXPECT_THAT(valuesOf(t), ElementsAre(0, 128, 255, 7));
  t = cli::readInput((tmp / "gray.png").string(), {}, {"in", {-1, 2, 2, 3}});
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 2, 2, 3}));
  EXPECT_THAT(valuesOf(t), ElementsAre(0, 0, 0, 128, 128, 128, 255, 255, 255, 7, 7, 7));
  // RGB to gray as tf.image.rgbToGrayscale; --scale.
  cli::ImageArgs gray;
  gray.channels = 1;
  t = cli::readInput((tmp / "rgb.png").string(), gray);
  EXPECT_NEAR(valuesOf(t)[0], 0.2989f * 255, 1e-4);
  EXPECT_NEAR(valuesOf(t)[4], 0.2989f * 250 + 0.587f * 251 + 0.114f * 252, 1e-3);
  cli::ImageArgs unit;
  unit.scale = "0..1";
  EXPECT_FLOAT_EQ(valuesOf(cli::readInput((tmp / "gray.png").string(), unit))[1], 128 / 255.0f);
  cli::ImageArgs symmetric;
  symmetric.scale = "-1..1";
  EXPECT_THAT(valuesOf(cli::readInput((tmp / "gray.png").string(), symmetric)),
              ElementsAre(-1, 128 / 127.5f - 1, 1, 7 / 127.5f - 1));
}

TEST(Inputs, JpegPixelsWithinTolerance) {
  TempDir tmp;
  const auto rgb = gradient(8, 8, 3);
  test::writeText(tmp / "g.jpg", encodeJpeg(rgb, 8, 8, 3));
  Tensor t = cli::readInput((tmp / "g.jpg").string());
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 8, 8, 3}));
  const auto v = valuesOf(t);
  for (size_t i = 0; i < rgb.size(); ++i) ASSERT_NEAR(v[i], rgb[i], 6) << "value " << i;
  const auto gray = gradient(8, 8, 1);
  test::writeText(tmp / "g.jpeg", encodeJpeg(gray, 8, 8, 1));
  t = cli::readInput((tmp / "g.jpeg").string());
  EXPECT_EQ(t.shape(), (std::vector<int64_t>{1, 8, 8, 1}));
  for (size_t i = 0; i < gray.size(); ++i) ASSERT_NEAR(valuesOf(t)[i], gray[i], 6);
}

TEST(Inputs, TruncatedAndCorruptImagesAreErrors) {
  TempDir tmp;
  const std::string png = encodePng(gradient(16, 16, 3), 16, 16, 3);
  const std::string jpg = encodeJpeg(gradient(16, 16, 3), 16, 16, 3);
  for (size_t keep : {png.size() - 1, png.size() / 2, size_t{40}, size_t{8}}) {
    SCOPED_TRACE(keep);
    test::writeText(tmp / "t.png", png.substr(0, keep));
    expectError([&] { cli::readInput((tmp / "t.png").string()); }, ErrorCode::kSchema,
                {"cannot decode the PNG image", "t.png"});
  }
  for (size_t keep : {jpg.size() - 2, jpg.size() / 2, size_t{30}, size_t{3}}) {
    SCOPED_TRACE(keep);
    test::writeText(tmp / "t.jpg", jpg.substr(0, keep));
    expectError([&] { cli::readInput((tmp / "t.jpg").string()); }, ErrorCode::kSchema,
                {"cannot decode the JPEG image", "t.jpg"});
  }
  // Every prefix of both files: an error, never a crash or a silently gray image.
  for (const auto& [bytes, name] : {std::pair{png, "all.png"}, std::pair{jpg, "all.jpg"}}) {
    for (size_t keep = 0; keep < bytes.size(); ++keep) {
      test::writeText(tmp / name, bytes.substr(0, keep));
      try {
        cli::readInput((tmp / name).string());
        ADD_FAILURE() << name << " cut to " << keep << " of " << bytes.size() << " bytes was read";
      } catch (const Error& e) {
        ASSERT_EQ(e.code(), ErrorCode::kSchema) << e.what();
      }
    }
  }
  std::string flipped = png;
  flipped[flipped.size() / 2] ^= 0x55;  // a CRC or zlib error
  test::writeText(tmp / "c.png", flipped);
  expectError([&] { cli::readInput((tmp / "c.png").string()); }, ErrorCode::kSchema,
              {"cannot decode the PNG image"});
  test::writeText(tmp / "n.png", "GIF89a not a png");
  expectError([&] { cli::readInput((tmp / "n.png").string()); }, ErrorCode::kSchema,
              {"not a PNG file"});
  test::writeText(tmp / "n.jpg", png);
  expectError([&] { cli::readInput((tmp / "n.jpg").string()); }, ErrorCode::kSchema,
              {"not a JPEG file"});
}

// The resize against the real TF.js: tf.image.resizeBilinear with its defaults.
TEST(Inputs, ResizeMatchesTfjs) {
  if (!fs::exists(fs::path(TFJS_SOURCE_DIR) / "tests/oracle/node_modules/@tensorflow/tfjs")) {
    GTEST_SKIP() << "SKIPPED: tests/oracle/node_modules not installed (scripts/setup.sh)";
  }
  TempDir tmp;
  const int w = 7, h = 5;
  std::vector<uint8_t> px;
  for (int i = 0; i < w * h * 3; ++i) px.push_back(static_cast<uint8_t>((i * 37 + 11) % 256));
  test::writeText(tmp / "p.png", encodePng(px, w, h, 3));
  for (const auto& [nw, nh] : std::vector<std::pair<int, int>>{{3, 2}, {11, 9}, {7, 13}, {1, 1}}) {
    SCOPED_TRACE(fmt::format("{}x{}", nw, nh));
    cli::ImageArgs args;
    args.size = fmt::format("{}x{}", nw, nh);
    const Tensor ours = cli::readInput((tmp / "p.png").string(), args);
    ASSERT_EQ(ours.shape(), (std::vector<int64_t>{1, nh, nw, 3}));
    Json spec = {{"shape", {1, h, w, 3}}, {"values", px}, {"size", {nh, nw}}};
    test::writeText(tmp / "spec.json", spec.dump());
    const std::string cmd = fmt::format("'{}' '{}/tests/oracle/resize_bilinear.mjs' '{}'",
                                        TFJS_NODE, TFJS_SOURCE_DIR, (tmp / "spec.json").string());
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ASSERT_EQ(::pclose(p), 0) << out;
    const Json theirs = Json::parse(out);
    ASSERT_EQ(theirs["shape"], Json({1, nh, nw, 3}));
    const auto v = valuesOf(ours);
    ASSERT_EQ(v.size(), theirs["values"].size());
    for (size_t i = 0; i < v.size(); ++i) {
      ASSERT_NEAR(v[i], theirs["values"][i].get<float>(), 1e-4) << "value " << i;
    }
  }
}

// --- the command line ----------------------------------------------------------------------------
TEST(InputsCli, PredictTakesEveryForm) {
  TempDir tmp;
  const fs::path model = identityModel(tmp, "id", {2});
  const std::string name = loadLayersModel(model.string()).inputs()[0].name;
  Json y = predictJson(quote(model) + " --input '[[1,2],[3,4]]'");
  EXPECT_EQ(y["shape"], Json({2, 2}));
  EXPECT_EQ(y["values"], Json({1, 2, 3, 4}));
  test::writeText(tmp / "x.json", "[[5,6]]");
  y = predictJson(quote(model) + " --input @" + quote(tmp / "x.json"));
  EXPECT_EQ(y["values"], Json({5, 6}));
  y = predictJson(quote(model) + " --input '" + name + "=[[7,8]]'");
  EXPECT_EQ(y["values"], Json({7, 8}));
  y = predictJson(quote(model) + " --input " + name + "=@" + quote(tmp / "x.json"));
  EXPECT_EQ(y["values"], Json({5, 6}));
  test::writeText(tmp / "x.csv", "a,b\n1,2\n3,4\n5,6\n");
  const auto r = runCli("predict " + quote(model) + " --input " + quote(tmp / "x.csv"));
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("skipped the header row: a,b"));
  EXPECT_THAT(r.out, HasSubstr("[1.0,2.0,3.0,4.0,5.0,6.0]"));
  test::writeText(tmp / "x.tsv", "9\t8\n");
  EXPECT_EQ(predictJson(quote(model) + " --input " + quote(tmp / "x.tsv"))["values"], Json({9, 8}));
  // .npy of a dtype numpy users make often: uint8, read as int32 and run as float32.
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }";
  dict.append((64 - (10 + dict.size() + 1) % 64) % 64, ' ');
  test::writeText(tmp / "x.npy", std::string("\x93NUMPY\x01\x00", 8) +
                                     static_cast<char>(dict.size() + 1) + '\0' + dict + "\n" +
                                     std::string("\x03\xff", 2));
  EXPECT_EQ(predictJson(quote(model) + " --input " + quote(tmp / "x.npy"))["values"],
            Json({3, 255}));
  // A bool .npy runs as float32 0 / 1.
  writeNpy(Tensor(
               DType::kBool, {1, 2},
               [] {
                 Buffer b = Buffer::allocate(2);
                 b.mutableData()[0] = 1, b.mutableData()[1] = 0;
                 return b;
               }(),
               0),
           (tmp / "b.npy").string());
  EXPECT_EQ(predictJson(quote(model) + " --input " + quote(tmp / "b.npy"))["values"], Json({1, 0}));
  // Output files still work.
  const auto o =
      runCli("predict " + quote(model) + " --input '[[1,1]]' --output " + quote(tmp / "y.npy"));
  EXPECT_EQ(o.exitCode, 0) << o.out;
  EXPECT_EQ(readNpy((tmp / "y.npy").string()).shape(), (std::vector<int64_t>{1, 2}));
}

TEST(InputsCli, PredictImagesResizedToTheModel) {
  TempDir tmp;
  const fs::path model = identityModel(tmp, "img", {4, 4, 3});
  test::writeText(tmp / "p.png", encodePng(gradient(4, 4, 3), 4, 4, 3));
  Json y = predictJson(quote(model) + " --input " + quote(tmp / "p.png"));
  EXPECT_EQ(y["shape"], Json({1, 4, 4, 3}));
  const auto px = gradient(4, 4, 3);
  EXPECT_EQ(y["values"], Json(std::vector<float>(px.begin(), px.end())));
  // A bigger image is resized to the model's 4x4, with a note.
  test::writeText(tmp / "big.png", encodePng(gradient(8, 6, 3), 8, 6, 3));
  auto r =
      runCli("predict " + quote(model) + " --input " + quote(tmp / "big.png") + " --scale 0..1");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("resized from 8x6 to 4x4"));
  // A gray JPEG for a 3-channel model becomes RGB.
  test::writeText(tmp / "g.jpg", encodeJpeg(gradient(4, 4, 1), 4, 4, 1));
  y = predictJson(quote(model) + " --input " + quote(tmp / "g.jpg"));
  EXPECT_EQ(y["shape"], Json({1, 4, 4, 3}));
  // --image-size that does not fit the model: the model's shape check reports it.
  r = runCli("predict " + quote(model) + " --input " + quote(tmp / "p.png") + " --image-size 5x5");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_LT(r.exitCode, 4) << r.out;
  r = runCli("predict " + quote(model) + " --input " + quote(tmp / "p.png") + " --image-size 5by5");
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("is not WIDTHxHEIGHT"));
  r = runCli("predict " + quote(model) + " --input " + quote(tmp / "p.png") + " --scale=-1..1");
  EXPECT_EQ(r.exitCode, 0) << r.out;
}

TEST(InputsCli, TopKWithLabels) {
  TempDir tmp;
  const fs::path model = identityModel(tmp, "soft", {5}, "softmax");
  test::writeText(tmp / "labels.txt", "zero\none\ntwo\nthree\nfour\n");
  auto r = runCli("predict " + quote(model) + " --input '[[1,5,3,2,4],[9,0,0,0,1]]' --top-k 3 " +
                  "--labels " + quote(tmp / "labels.txt"));
  ASSERT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("sample 0:\n  1. class 1  one  0.6364"));
  EXPECT_THAT(r.out, HasSubstr("  2. class 4  four  0.2341"));
  EXPECT_THAT(r.out, HasSubstr("  3. class 2  two  0.0861"));
  EXPECT_THAT(r.out, HasSubstr("sample 1:\n  1. class 0  zero  0.99"));
  const Json y = predictJson(quote(model) + " --input '[[1,5,3,2,4]]' --top-k 2 --labels " +
                             quote(tmp / "labels.txt"));
  ASSERT_TRUE(y.contains("topK")) << y.dump();
  ASSERT_EQ(y["topK"].size(), 1u);
  EXPECT_EQ(y["topK"][0][0]["index"], 1);
  EXPECT_EQ(y["topK"][0][0]["label"], "one");
  EXPECT_NEAR(y["topK"][0][0]["score"].get<float>(), 0.6364f, 1e-4);
  EXPECT_EQ(y["topK"][0][1]["label"], "four");
  EXPECT_EQ(y["values"].size(), 5u);
  // More classes than labels: a warning, and no label for the rest.
  test::writeText(tmp / "short.txt", "a\nb\n");
  r = runCli("predict " + quote(model) + " --input '[[1,5,3,2,4]]' --top-k 2 --labels " +
             quote(tmp / "short.txt") + " --json");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("warning: "));
  EXPECT_THAT(r.out, HasSubstr("has 2 label(s) but output"));
  EXPECT_THAT(r.out, HasSubstr("\"label\": null"));
  // --top-k larger than the classes: all of them; without labels.
  r = runCli("predict " + quote(model) + " --input '[[1,5,3,2,4]]' --top-k 9");
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("  5. class 0  "));
  r = runCli("predict " + quote(model) + " --input '[[1,5,3,2,4]]' --labels " +
             quote(tmp / "labels.txt"));
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--labels needs --top-k"));
}

TEST(InputsCli, TrainTakesJsonAndCsv) {
  TempDir tmp;
  auto r = runCli(
      "train in:1,dense:1 --x '[[-1],[0],[1],[2],[3],[4]]' --y '[[-3],[-1],[1],[3],[5],"
      "[7]]' --epochs 3 -q --out " +
      quote(tmp / "a"));
  EXPECT_EQ(r.exitCode, 0) << r.out;
  EXPECT_TRUE(fs::exists(tmp / "a/model.json"));
  test::writeText(tmp / "x.csv", "x\n-1\n0\n1\n");
  test::writeText(tmp / "y.csv", "y\n-3\n-1\n1\n");
  r = runCli("train in:1,dense:1 --x " + quote(tmp / "x.csv") + " --y " + quote(tmp / "y.csv") +
             " --epochs 2 -q --out " + quote(tmp / "b"));
  EXPECT_EQ(r.exitCode, 0) << r.out;
  r = runCli("train in:1,dense:1 --x '[[1],[2]]' --y '[[1],[2],[3]]' --epochs 1 -q --out " +
             quote(tmp / "c"));
  EXPECT_NE(r.exitCode, 0) << r.out;
  EXPECT_LT(r.exitCode, 4) << r.out;
}

// Every bad input: a message naming what is wrong, a usage / problem / unreadable exit code (never
// a crash: a signal would give 128 + its number, an internal error 4).
TEST(InputsCli, BadInputsAreClearErrors) {
  TempDir tmp;
  const fs::path model = identityModel(tmp, "id", {2});
  const fs::path image = identityModel(tmp, "img", {16, 16, 3});
  test::writeText(tmp / "r.csv", "1,2\n3\n");
  const std::string png = encodePng(gradient(16, 16, 3), 16, 16, 3);
  test::writeText(tmp / "t.png", png.substr(0, png.size() / 2));
  const std::string jpg = encodeJpeg(gradient(16, 16, 3), 16, 16, 3);
  test::writeText(tmp / "t.jpg", jpg.substr(0, jpg.size() / 2));
  test::writeText(tmp / "x.bmp", "BM");
  struct Case {
    std::string input;
    fs::path model;
    int exitCode;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"'[[1,2],[3]]'", model, 2, "[1] has 1 element(s) but [0] has 2"},
      {quote(tmp / "r.csv"), model, 2, "CSV line 2 has 1 value(s) but line 1 has 2"},
      {quote(tmp / "t.png"), image, 1, "cannot decode the PNG image"},
      {quote(tmp / "t.jpg"), image, 1, "cannot decode the JPEG image"},
      {quote(tmp / "x.bmp"), model, 2, "unknown extension '.bmp'"},
      {quote(tmp / "missing.npy"), model, 3, "missing.npy"},
      {quote(tmp / "missing.png"), model, 3, "no such file"},
      {quote(tmp / "missing"), model, 3, "no such file"},
      {"nosuch=[[1,2]]", model, 2, "no input named 'nosuch'"},
      {"'[1,'", model, 2, "not valid JSON"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    const auto r = runCli("predict " + quote(c.model) + " --input " + c.input);
    EXPECT_EQ(r.exitCode, c.exitCode) << r.out;
    EXPECT_THAT(r.out, HasSubstr(c.words));
  }
  const auto r = runCli("train in:2,dense:1 --x " + quote(tmp / "t.png") +
                        " --y '[[1]]' --epochs 1 --out " + quote(tmp / "o"));
  EXPECT_EQ(r.exitCode, 1) << r.out;
  EXPECT_THAT(r.out, HasSubstr("cannot decode the PNG image"));
}

}  // namespace
}  // namespace tfjs
