// Keras 3 `.keras` files (readKerasZip, writeKerasZip) and the Keras `.h5` writer (writeKerasH5),
// checked against the real files: the real converter's TF.js output of a Keras 3 `.keras` (its
// weights must come out bit-identical and named as TF.js binds them), every real `.keras`
// fixture (values compared with h5py's), round trips of every real TF.js layers model through
// both writers, h5py's view of what we write, and every way an archive can be wrong.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <zip.h>

#include <array>
#include <cstring>
#include <map>
#include <set>

#include "keras/h5.h"
#include "keras/keras_zip.h"
#include "test_util.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"

namespace tfjs::keras {
namespace {

// CRC-32 (IEEE, as zlib.crc32), to compare values with what Python prints.
uint32_t crc32(const uint8_t* p, size_t n) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t crc(const Tensor& t) {
  return crc32(t.bytes(), t.byteLength());
}

bool sameBytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.byteLength() == b.byteLength() &&
         std::memcmp(a.bytes(), b.bytes(), a.byteLength()) == 0;
}

std::string stripSuffix(std::string n) {
  if (n.size() > 2 && n.compare(n.size() - 2, 2, ":0") == 0) n.resize(n.size() - 2);
  return n;
}

std::vector<NamedTensor> flatten(const KerasFile& f) {
  std::vector<NamedTensor> out;
  for (const auto& l : f.layers) {
    for (const auto& w : l.weights) out.push_back({stripSuffix(w.name), w.tensor});
  }
  return out;
}

// Runs /usr/bin/python3 with h5py on `script` (written to a file); nullopt when unavailable.
std::optional<std::string> runPython(const fs::path& dir, const std::string& script) {
  if (!fs::exists("/usr/bin/python3")) return std::nullopt;
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) return std::nullopt;
  const fs::path py = dir / "check.py";
  test::writeText(py, script);
  const fs::path out = dir / "check.out";
  const std::string cmd =
      fmt::format("/usr/bin/python3 {} > {} 2>&1", test::quote(py), test::quote(out));
  const int rc = std::system(cmd.c_str());
  const std::string text = test::readText(out);
  if (rc != 0) ADD_FAILURE() << "python failed:\n" << text;
  return text;
}

// A zip written with libzip from (name, bytes) members, stored or deflated.
void makeZip(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& members,
             bool deflate = true) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  ASSERT_NE(z, nullptr);
  for (const auto& [name, data] : members) {
    zip_source_t* src = zip_source_buffer(z, data.data(), data.size(), 0);
    ASSERT_NE(src, nullptr);
    const zip_int64_t i = zip_file_add(z, name.c_str(), src, 0);
    ASSERT_GE(i, 0) << zip_strerror(z);
    zip_set_file_compression(z, static_cast<zip_uint64_t>(i),
                             deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  ASSERT_EQ(zip_close(z), 0);
}

std::string zipMember(const fs::path& path, const std::string& name) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!z) return {};
  zip_stat_t st;
  std::string out;
  if (zip_stat(z, name.c_str(), 0, &st) == 0) {
    zip_file_t* f = zip_fopen(z, name.c_str(), 0);
    out.resize(st.size);
    if (f) {
      zip_fread(f, out.data(), st.size);
      zip_fclose(f);
    }
  }
  zip_discard(z);
  return out;
}

std::vector<std::string> zipNames(const fs::path& path) {
  std::vector<std::string> names;
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
  if (!z) return names;
  for (zip_int64_t i = 0; i < zip_get_num_entries(z, 0); ++i) {
    names.push_back(zip_get_name(z, static_cast<zip_uint64_t>(i), 0));
  }
  zip_discard(z);
  return names;
}

ErrorCode codeOf(const std::function<void()>& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (message) {
      message->clear();
      for (const auto& pr : e.problems()) *message += pr.toString() + "\n";
    }
    return e.code();
  }
  ADD_FAILURE() << "no error was thrown";
  return ErrorCode::kInvalidArgument;
}

// Every layers model.json among the fixtures (folders with a Keras topology).
std::vector<fs::path> layersModels(const fs::path& fixtures) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(fixtures)) {
    if (!e.is_regular_file() || e.path().filename() != "model.json") continue;
    LoadOptions o;
    o.skipWeights = true;
    try {
      const ModelArtifacts a = loadModel(e.path().string(), o);
      if (a.inferredFormat() == ModelFormat::kLayers && !a.modelTopology.is_null()) {
        out.push_back(e.path().parent_path());
      }
    } catch (const Error&) {
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<NamedTensor> modelWeights(const ModelArtifacts& a) {
  std::vector<NamedTensor> all = decodeWeights(a);
  std::vector<NamedTensor> out;
  size_t k = 0;
  for (const auto* spec : a.weightSpecs()) {
    if (spec->group != "optimizer") out.push_back(all[k]);
    ++k;
  }
  return out;
}

// The name among `names` a manifest weight name binds to under TF.js's rules: itself, or with
// leading model names dropped, or with the second-to-last component dropped.
std::string boundName(const std::string& n, const std::map<std::string, Tensor>& names) {
  if (names.count(n)) return n;
  std::vector<std::string> parts;
  for (size_t i = 0, j; i <= n.size(); i = j + 1) {
    j = std::min(n.find('/', i), n.size());
    parts.push_back(n.substr(i, j - i));
  }
  auto join = [&](size_t from, size_t skip) {
    std::string s;
    for (size_t i = from; i < parts.size(); ++i) {
      if (i != skip) s += (s.empty() ? "" : "/") + parts[i];
    }
    return s;
  };
  for (size_t from = 0; from + 2 <= parts.size(); ++from) {
    if (names.count(join(from, SIZE_MAX))) return join(from, SIZE_MAX);
    if (from + 3 <= parts.size() && names.count(join(from, parts.size() - 2))) {
      return join(from, parts.size() - 2);
    }
  }
  return {};
}

// --- (a) reading the real .keras files -------------------------------------------------------

TEST(KerasSnakeCase, MatchesTheStateTreeNamesKerasWrites) {
  // Names seen in the real fixtures' model.weights.h5 and Keras's naming.to_snake_case.
  EXPECT_EQ(kerasSnakeCase("Conv2D"), "conv2d");
  EXPECT_EQ(kerasSnakeCase("MaxPooling2D"), "max_pooling2d");
  EXPECT_EQ(kerasSnakeCase("LeakyReLU"), "leaky_re_lu");
  EXPECT_EQ(kerasSnakeCase("GRU"), "gru");
  EXPECT_EQ(kerasSnakeCase("InputLayer"), "input_layer");
  EXPECT_EQ(kerasSnakeCase("BatchNormalization"), "batch_normalization");
  EXPECT_EQ(kerasSnakeCase("Conv2DTranspose"), "conv2d_transpose");
  EXPECT_EQ(kerasSnakeCase("PReLU"), "p_re_lu");
  EXPECT_EQ(kerasSnakeCase("SimpleRNN"), "simple_rnn");
}

TEST(ReadKerasZip, PairWeightsEqualTheRealConvertersBytesAndNames) {
  TFJS_REQUIRE_FIXTURES("pair_keras3_cnn_to_layers_conv422");
  const fs::path dir = fixtures / "pair_keras3_cnn_to_layers_conv422";
  const KerasFile kf = readKerasZip((dir / "mnist_cnn_model.keras").string());
  EXPECT_EQ(kf.kerasVersion, "3.15.1");
  EXPECT_EQ(kf.modelConfig["class_name"], "Sequential");
  EXPECT_EQ(kf.modelConfig["module"], "keras");  // Keras 3 form kept for convert to normalize
  EXPECT_FALSE(kf.weightsOnly);
  const ModelArtifacts real = loadModel((dir / "tfjs_model").string());
  const std::vector<NamedTensor> want = decodeWeights(real);
  const std::vector<NamedTensor> got = flatten(kf);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name) << i;
    EXPECT_TRUE(sameBytes(got[i].tensor, want[i].tensor)) << want[i].name;
  }
  std::vector<std::string> layerNames;
  for (const auto& l : kf.layers) layerNames.push_back(l.name);
  EXPECT_EQ(layerNames, (std::vector<std::string>{"conv2d", "conv2d_1", "dense", "dense_1"}));
}

// Every dataset of a .keras's model.weights.h5 as h5py reads it: "path crc32" lines.
std::map<std::string, uint32_t> h5pyDatasets(const fs::path& scratch, const fs::path& keras,
                                             bool& skipped) {
  const auto out = runPython(scratch, fmt::format(R"(
import h5py, io, zipfile, zlib, numpy as np
z = zipfile.ZipFile({:?})
f = h5py.File(io.BytesIO(z.read('model.weights.h5')), 'r')
def visit(name, obj):
    if isinstance(obj, h5py.Dataset) and not name.startswith('optimizer'):
        a = np.ascontiguousarray(obj[()]).astype('<f4')
        print(name, zlib.crc32(a.tobytes()))
f.visititems(visit)
)",
                                                  keras.string()));
  std::map<std::string, uint32_t> m;
  skipped = !out.has_value();
  if (!out) return m;
  std::istringstream in(*out);
  std::string path;
  uint32_t c;
  while (in >> path >> c) m[path] = c;
  return m;
}

TEST(ReadKerasZip, EveryRealKerasFileReadsWithH5pysValues) {
  TFJS_REQUIRE_FIXTURES("keras3_admission_dense_keras_and_h5", "keras3_flownet_dense",
                        "keras3_gru_keras_and_h5", "pair_keras3_cnn_to_graph_conv318",
                        "pair_keras3_cnn_to_layers_conv422");
  TempDir tmp;
  struct Case {
    std::string file;
    std::string version;
    std::map<std::string, std::string> paths;  // TF.js weight name -> state path
  };
  const std::vector<Case> cases = {
      {"pair_keras3_cnn_to_layers_conv422/mnist_cnn_model.keras",
       "3.15.1",
       {{"conv2d/kernel", "layers/conv2d/vars/0"}, {"dense_1/bias", "layers/dense_1/vars/1"}}},
      {"pair_keras3_cnn_to_graph_conv318/Subhadip_Hensh_MNIST_CNN.keras",
       "3.10.0",
       {{"conv2d_1/kernel", "layers/conv2d_1/vars/0"}, {"dense/bias", "layers/dense/vars/1"}}},
      {"keras3_flownet_dense/out/final_model.keras",
       "3.9.2",
       {{"dense_3/kernel", "layers/dense_3/vars/0"}}},
      {"keras3_flownet_dense/25-06/model.keras",
       "3.9.2",
       {{"dense_2/bias", "layers/dense_2/vars/1"}}},
      {"keras3_admission_dense_keras_and_h5/model.keras",
       "3.13.2",
       {{"dense_1/kernel", "layers/dense_1/vars/0"}}},
      {"keras3_gru_keras_and_h5/models/gru_model.keras",
       "3.9.2",
       {{"gru_1/kernel", "layers/gru/cell/vars/0"},
        {"gru_1/recurrent_kernel", "layers/gru/cell/vars/1"},
        {"gru_1/bias", "layers/gru/cell/vars/2"},
        {"dense_1/kernel", "layers/dense/vars/0"}}},
  };
  bool noPython = false;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const fs::path file = fixtures / c.file;
    const KerasFile kf = readKerasZip(file.string());
    EXPECT_EQ(kf.kerasVersion, c.version);
    EXPECT_FALSE(kf.trainingConfig.is_null());  // all were saved compiled
    const auto got = flatten(kf);
    ASSERT_FALSE(got.empty());
    std::map<std::string, const Tensor*> byName;
    for (const auto& w : got) byName[w.name] = &w.tensor;
    bool skipped = false;
    const auto h5py = h5pyDatasets(tmp.path(), file, skipped);
    if (skipped) {
      noPython = true;
      continue;
    }
    // Every dataset of the layers is one weight, and the listed ones sit where expected.
    size_t layerDatasets = 0;
    for (const auto& [p, v] : h5py) layerDatasets += p.rfind("layers/", 0) == 0;
    EXPECT_EQ(layerDatasets, got.size());
    for (const auto& [name, path] : c.paths) {
      ASSERT_TRUE(byName.count(name)) << name;
      ASSERT_TRUE(h5py.count(path)) << path;
      EXPECT_EQ(crc(*byName[name]), h5py.at(path)) << name << " vs " << path;
    }
    std::multiset<uint32_t> ours, theirs;
    for (const auto& w : got) ours.insert(crc(w.tensor));
    for (const auto& [p, v] : h5py) {
      if (p.rfind("layers/", 0) == 0) theirs.insert(v);
    }
    EXPECT_EQ(ours, theirs);
  }
  if (noPython) GTEST_SKIP() << "SKIPPED (values): /usr/bin/python3 with h5py not found";
}

TEST(ReadKerasZip, GruCellVariablesAreBoundToTheGruLayer) {
  TFJS_REQUIRE_FIXTURES("keras3_gru_keras_and_h5");
  const KerasFile kf =
      readKerasZip((fixtures / "keras3_gru_keras_and_h5/models/gru_model.keras").string());
  ASSERT_EQ(kf.layers.size(), 2u);
  EXPECT_EQ(kf.layers[0].name, "dense_1");
  EXPECT_EQ(kf.layers[1].name, "gru_1");
  ASSERT_EQ(kf.layers[1].weights.size(), 3u);
  EXPECT_EQ(kf.layers[1].weights[0].name, "gru_1/kernel");
  EXPECT_EQ(kf.layers[1].weights[0].tensor.shape(), (std::vector<int64_t>{1, 150}));
  EXPECT_EQ(kf.layers[1].weights[2].name, "gru_1/bias");
  EXPECT_EQ(kf.layers[1].weights[2].tensor.shape(), (std::vector<int64_t>{2, 150}));
}

TEST(ReadKerasZip, ReadWeightsFalseReadsTheTopologyOnly) {
  TFJS_REQUIRE_FIXTURES("pair_keras3_cnn_to_layers_conv422");
  KerasReadOptions o;
  o.readWeights = false;
  const KerasFile kf = readKerasZip(
      (fixtures / "pair_keras3_cnn_to_layers_conv422/mnist_cnn_model.keras").string(), o);
  EXPECT_EQ(kf.kerasVersion, "3.15.1");
  EXPECT_TRUE(kf.layers.empty());
  EXPECT_TRUE(kf.modelConfig.is_object());
}

TEST(LooksLikeKerasZip, TellsZipsFromOtherFiles) {
  TFJS_REQUIRE_FIXTURES("keras3_admission_dense_keras_and_h5", "pair_keras3_cnn_to_layers_conv422");
  EXPECT_TRUE(looksLikeKerasZip(
      (fixtures / "pair_keras3_cnn_to_layers_conv422/mnist_cnn_model.keras").string()));
  EXPECT_FALSE(
      looksLikeKerasZip((fixtures / "keras3_admission_dense_keras_and_h5/model.h5").string()));
  EXPECT_FALSE(looksLikeKerasZip("/nonexistent/x.keras"));
}

// --- (b) round trips of every real TF.js layers model -----------------------------------------

TEST(KerasWriters, RoundTripEveryRealLayersModelBitForBit) {
  TFJS_REQUIRE_FIXTURES();
  TempDir tmp;
  int converted = 0;
  std::vector<std::string> refused;
  for (const fs::path& dir : layersModels(fixtures)) {
    const std::string rel = fs::relative(dir, fixtures).string();
    SCOPED_TRACE(rel);
    const ModelArtifacts a = loadModel(dir.string());
    const std::vector<NamedTensor> want = modelWeights(a);
    const std::string stem = std::to_string(converted + refused.size());
    const fs::path h5 = tmp / (stem + ".h5");
    try {
      writeKerasH5(a, h5.string());
    } catch (const Error& e) {
      // Only models the runtime cannot build (custom or TF-op layers) may be refused.
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << e.what();
      EXPECT_FALSE(fs::exists(h5));
      refused.push_back(rel + ": " + e.what());
      continue;
    }
    std::map<std::string, Tensor> fromH5;
    for (auto& w : flatten(readKerasH5(h5.string()))) fromH5[w.name] = w.tensor;
    ASSERT_EQ(fromH5.size(), want.size());
    for (const auto& w : want) {
      ASSERT_TRUE(fromH5.count(w.name)) << w.name;
      EXPECT_TRUE(sameBytes(fromH5.at(w.name), w.tensor)) << w.name;
    }
    const fs::path kz = tmp / (stem + ".keras");
    writeKerasZip(a, kz.string());
    EXPECT_EQ(zipNames(kz),
              (std::vector<std::string>{"metadata.json", "config.json", "model.weights.h5"}));
    // A .keras stores weights by position: they come back under the names TF.js binds
    // (`<layer>/<variable>`), which for most models are the manifest's own names; names such as
    // Keras 3's "sequential/dense/kernel" come back as the "dense/kernel" they bind to.
    const KerasFile back = readKerasZip(kz.string());
    std::map<std::string, Tensor> fromZip;
    for (auto& w : flatten(back)) fromZip[w.name] = w.tensor;
    ASSERT_EQ(fromZip.size(), want.size());
    for (const auto& w : want) {
      const std::string name = boundName(w.name, fromZip);
      ASSERT_FALSE(name.empty()) << w.name;
      EXPECT_TRUE(sameBytes(fromZip.at(name), w.tensor)) << w.name;
    }
    ++converted;
  }
  for (const auto& r : refused)
    std::printf("refused (unsupported by the runtime): %s\n", r.c_str());
  std::printf("round-tripped %d layers models\n", converted);
  EXPECT_GE(converted, 15);
}

TEST(KerasWriters, DequantizedUint8ModelKeepsTheDequantizedValues) {
  TFJS_REQUIRE_FIXTURES("tfjs_layers_nsfwjs_mobilenet_v2_uint8");
  TempDir tmp;
  const ModelArtifacts a = loadModel((fixtures / "tfjs_layers_nsfwjs_mobilenet_v2_uint8").string());
  const auto want = decodeWeights(a);
  ASSERT_TRUE(a.weightSpecs().front()->quantization.has_value());
  writeKerasH5(a, (tmp / "m.h5").string());
  writeKerasZip(a, (tmp / "m.keras").string());
  for (const KerasFile& kf :
       {readKerasH5((tmp / "m.h5").string()), readKerasZip((tmp / "m.keras").string())}) {
    std::map<std::string, Tensor> got;
    for (auto& w : flatten(kf)) got[w.name] = w.tensor;
    ASSERT_EQ(got.size(), want.size());
    for (const auto& w : want) {
      ASSERT_TRUE(got.count(w.name)) << w.name;
      EXPECT_EQ(got.at(w.name).dtype(), DType::kFloat32);
      EXPECT_TRUE(sameBytes(got.at(w.name), w.tensor)) << w.name;
    }
  }
}

// --- (c) h5py's view of what we write ----------------------------------------------------------

TEST(WriteKerasH5, H5pySeesKerasAttributesNamesAndValues) {
  TFJS_REQUIRE_FIXTURES("tfjs_layers_tfjs2keras_testdata");
  TempDir tmp;
  const ModelArtifacts a = loadModel((fixtures / "tfjs_layers_tfjs2keras_testdata/cnn").string());
  const fs::path out = tmp / "cnn.h5";
  writeKerasH5(a, out.string());
  const auto py = runPython(tmp.path(), fmt::format(R"(
import h5py, json, zlib, numpy as np
f = h5py.File({:?}, 'r')
def kind(obj, k):
    t = obj.attrs.get_id(k).get_type()
    if isinstance(t, h5py.h5t.TypeStringID):
        return ('vlen' if t.is_variable_str() else 'fixed') + ('-utf8' if t.get_cset() == 1 else '-ascii')
    return 'other'
def s(x):
    return x.decode() if isinstance(x, bytes) else x
for k in ('keras_version', 'backend'):
    print('root', k, f.attrs[k], kind(f, k))
print('root model_config', json.loads(f.attrs['model_config'])['class_name'], kind(f, 'model_config'))
mw = f['model_weights']
print('mw keras_version', s(mw.attrs['keras_version']), kind(mw, 'keras_version'))
print('mw layer_names', ','.join(s(n) for n in mw.attrs['layer_names']), kind(mw, 'layer_names'))
for name in mw:
    wn = mw[name].attrs['weight_names']
    print('group', name, ','.join(s(n) for n in wn) if len(wn) else '-', wn.dtype)
    for n in wn:
        d = mw[name][s(n)]
        print('ds', s(n), d.dtype.str, 'x'.join(map(str, d.shape)), zlib.crc32(np.ascontiguousarray(d[()]).tobytes()))
)",
                                                    out.string()));
  if (!py) GTEST_SKIP() << "SKIPPED: /usr/bin/python3 with h5py not found";
  // Expected from the topology and the manifest, independently of our reader.
  std::map<std::string, const Tensor*> byName;
  const auto want = decodeWeights(a);
  for (const auto& w : want) byName[w.name] = &w.tensor;
  std::istringstream in(*py);
  std::string line;
  std::map<std::string, std::string> lines;
  int datasets = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tag, key;
    ls >> tag >> key;
    std::string rest;
    std::getline(ls, rest);
    if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
    if (tag == "ds") {
      ++datasets;
      std::istringstream r(rest);
      std::string dtype, shape;
      uint32_t c = 0;
      r >> dtype >> shape >> c;
      const std::string name = stripSuffix(key);
      ASSERT_TRUE(byName.count(name)) << name;
      EXPECT_EQ(dtype, "<f4");
      EXPECT_EQ(c, crc(*byName.at(name))) << name;
    } else {
      lines[tag + " " + key] = rest;
    }
  }
  EXPECT_EQ(datasets, static_cast<int>(want.size()));
  EXPECT_EQ(lines["root keras_version"], "2.15.0 vlen-utf8");
  EXPECT_EQ(lines["root backend"], "tensorflow vlen-utf8");
  EXPECT_EQ(lines["root model_config"], "Sequential vlen-ascii");
  EXPECT_EQ(lines["mw keras_version"], "2.15.0 vlen-ascii");
  EXPECT_EQ(lines["mw layer_names"],
            "conv2d_Conv2D1,batch_normalization_BatchNormalization1,activation_Activation2,"
            "dropout_Dropout1,max_pooling2d_MaxPooling2D1,separable_conv2d_SeparableConv2D1,"
            "batch_normalization_BatchNormalization2,activation_Activation3,dropout_Dropout2,"
            "average_pooling2d_AveragePooling2D1,flatten_Flatten1,dense_Dense5 vlen-ascii");
  // Keras's layer order: BatchNormalization's gamma, beta, moving_mean, moving_variance.
  EXPECT_EQ(lines["group batch_normalization_BatchNormalization1"],
            "batch_normalization_BatchNormalization1/gamma:0,"
            "batch_normalization_BatchNormalization1/beta:0,"
            "batch_normalization_BatchNormalization1/moving_mean:0,"
            "batch_normalization_BatchNormalization1/moving_variance:0 object");
  EXPECT_EQ(lines["group flatten_Flatten1"], "- float64");  // empty list, as numpy writes it
  EXPECT_EQ(lines["group top_level_model_weights"], "- float64");
}

TEST(WriteKerasH5, LongNameListsAreSplitAsKerasSplitsThem) {
  // 2500 layers named with 28 characters: `layer_names` is 70000 bytes as a numpy array, over
  // HDF5's 64512-byte header limit, so Keras writes layer_names0 and layer_names1.
  const int n = 2500;
  Json layers = Json::array();
  Json weights = Json::array();
  for (int i = 0; i < n; ++i) {
    const std::string name = fmt::format("dense_with_a_long_name_{:05}", i);
    Json cfg = {{"name", name}, {"units", 1}, {"activation", "linear"}, {"use_bias", true}};
    if (i == 0) cfg["batch_input_shape"] = Json::parse("[null, 1]");
    layers.push_back({{"class_name", "Dense"}, {"config", cfg}});
    weights.push_back({{"name", name + "/kernel"}, {"shape", {1, 1}}, {"dtype", "float32"}});
    weights.push_back({{"name", name + "/bias"}, {"shape", {1}}, {"dtype", "float32"}});
  }
  Json model = {{"format", "layers-model"},
                {"modelTopology",
                 {{"class_name", "Sequential"},
                  {"config", {{"name", "long"}, {"layers", layers}}},
                  {"keras_version", "2.15.0"},
                  {"backend", "tensorflow"}}},
                {"weightsManifest", {{{"paths", {"w.bin"}}, {"weights", weights}}}}};
  ModelArtifacts a = parseModelJson(model.dump());
  a.weightData = Buffer::allocate(static_cast<size_t>(n) * 2 * 4);
  for (size_t i = 0; i < static_cast<size_t>(n) * 2; ++i) {
    const float v = static_cast<float>(i) * 0.5f;
    std::memcpy(a.weightData.mutableData() + i * 4, &v, 4);
  }
  a.weightsManifest[0].pathSizes = {static_cast<uint64_t>(n) * 2 * 4};
  a.weightsLoaded = true;
  TempDir tmp;
  const fs::path out = tmp / "long.h5";
  writeKerasH5(a, out.string());
  const KerasFile back = readKerasH5(out.string());  // joins the chunks, as Keras's loader does
  ASSERT_EQ(back.layers.size(), static_cast<size_t>(n) + 1);  // + top_level_model_weights
  const auto got = flatten(back);
  ASSERT_EQ(got.size(), static_cast<size_t>(n) * 2);
  const auto py = runPython(tmp.path(), fmt::format(R"(
import h5py
mw = h5py.File({:?}, 'r')['model_weights']
print(sorted(k for k in mw.attrs.keys() if k.startswith('layer_names')), [len(mw.attrs[k]) for k in ('layer_names0', 'layer_names1')])
)",
                                                    out.string()));
  if (!py) GTEST_SKIP() << "SKIPPED (h5py view): /usr/bin/python3 with h5py not found";
  EXPECT_EQ(*py, "['layer_names0', 'layer_names1'] [1250, 1250]\n");
}

TEST(WriteKerasZip, H5pySeesTheKeras3StateTree) {
  TFJS_REQUIRE_FIXTURES("tfjs_layers_tfjs2keras_testdata");
  TempDir tmp;
  const fs::path data = fixtures / "tfjs_layers_tfjs2keras_testdata";
  struct Case {
    std::string model;
    std::map<std::string, std::string> paths;  // state path -> TF.js weight name
  };
  const std::vector<Case> cases = {
      {"mlp",
       {{"layers/dense/vars/0", "dense_Dense1/kernel"},
        {"layers/dense_1/vars/1", "dense_Dense2/bias"},
        {"layers/dense_3/vars/0", "dense_Dense4/kernel"}}},
      {"cnn",
       {{"layers/batch_normalization/vars/0", "batch_normalization_BatchNormalization1/gamma"},
        {"layers/batch_normalization/vars/3",
         "batch_normalization_BatchNormalization1/moving_variance"},
        {"layers/separable_conv2d/vars/1", "separable_conv2d_SeparableConv2D1/pointwise_kernel"},
        {"layers/batch_normalization_1/vars/2",
         "batch_normalization_BatchNormalization2/moving_mean"}}},
      {"bidirectional_lstm",
       {{"layers/embedding/vars/0", "embedding_Embedding3/embeddings"},
        {"layers/bidirectional/forward_layer/cell/vars/0",
         "bidirectional_Bidirectional1/forward_lstm_LSTM1/kernel"},
        {"layers/bidirectional/backward_layer/cell/vars/2",
         "bidirectional_Bidirectional1/backward_lstm_LSTM1/bias"}}},
      {"time_distributed_lstm",
       {{"layers/lstm/cell/vars/1", "lstm_LSTM2/recurrent_kernel"},
        {"layers/time_distributed/layer/vars/0", "time_distributed_TimeDistributed1/kernel"}}},
      {"functional_merge.json",
       {{"layers/dense/vars/0", "dense_Dense8/kernel"},
        {"layers/dense_3/vars/1", "dense_Dense11/bias"}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.model);
    const ModelArtifacts a = loadModel((data / c.model).string());
    const fs::path out = tmp / (c.model + ".keras");
    writeKerasZip(a, out.string());
    std::map<std::string, const Tensor*> byName;
    const auto want = decodeWeights(a);
    for (const auto& w : want) byName[w.name] = &w.tensor;
    bool skipped = false;
    const auto h5py = h5pyDatasets(tmp.path(), out, skipped);
    if (skipped) GTEST_SKIP() << "SKIPPED: /usr/bin/python3 with h5py not found";
    EXPECT_EQ(h5py.size(), want.size());
    for (const auto& [path, name] : c.paths) {
      ASSERT_TRUE(h5py.count(path)) << path;
      EXPECT_EQ(h5py.at(path), crc(*byName.at(name))) << path << " vs " << name;
    }
    const Json config = Json::parse(zipMember(out, "config.json"));
    EXPECT_EQ(config["registered_name"], nullptr);
    const Json meta = Json::parse(zipMember(out, "metadata.json"));
    EXPECT_TRUE(meta["keras_version"].get<std::string>().rfind("3.", 0) == 0);
    EXPECT_TRUE(meta.contains("date_saved"));
  }
}

TEST(WriteKerasZip, SequentialGetsAKeras3InputLayer) {
  TFJS_REQUIRE_FIXTURES("tfjs_layers_tfjs2keras_testdata");
  TempDir tmp;
  const ModelArtifacts a = loadModel((fixtures / "tfjs_layers_tfjs2keras_testdata/mlp").string());
  const fs::path out = tmp / "mlp.keras";
  writeKerasZip(a, out.string());
  const Json config = Json::parse(zipMember(out, "config.json"));
  EXPECT_EQ(config["module"], "keras");
  EXPECT_EQ(config["class_name"], "Sequential");
  const Json& layers = config["config"]["layers"];
  EXPECT_EQ(layers[0]["class_name"], "InputLayer");
  EXPECT_EQ(layers[0]["config"]["batch_shape"], Json::parse("[null, 200]"));
  EXPECT_EQ(layers[1]["module"], "keras.layers");
  EXPECT_FALSE(layers[1]["config"].contains("batch_input_shape"));
  EXPECT_EQ(layers[1]["config"]["kernel_initializer"]["module"], "keras.initializers");
}

// --- (d) bad input and nothing written on failure ----------------------------------------------

class BadKerasZip : public ::testing::Test {
 protected:
  void SetUp() override {
    fixtures_ = test::fixturesDir();
    // A Keras 3.9.2 MLP: dense (64 units), dense_1, dense_2, dense_3 (MIT, in the repository).
    good_ = fixtures_ / "keras3_flownet_dense/25-06/model.keras";
    ASSERT_TRUE(fs::exists(good_)) << good_;
    config_ = zipMember(good_, "config.json");
    meta_ = zipMember(good_, "metadata.json");
    weights_ = zipMember(good_, "model.weights.h5");
  }
  // model.weights.h5 after `edit` on a file copy opened read-write.
  std::string editedWeights(const std::function<void(hid_t)>& edit) {
    const fs::path p = tmp_ / "w.h5";
    test::writeText(p, weights_);
    hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    EXPECT_GE(f, 0);
    edit(f);
    H5Fclose(f);
    return test::readText(p);
  }
  fs::path fixtures_, good_;
  TempDir tmp_;
  std::string config_, meta_, weights_;
};

TEST_F(BadKerasZip, NotAZip) {
  const fs::path p = tmp_ / "x.keras";
  test::writeText(p, "hello, not a zip at all");
  std::string msg;
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kUnknownFormat);
  EXPECT_NE(msg.find("not a zip"), std::string::npos) << msg;
  EXPECT_EQ(
      codeOf([&] { readKerasZip((fixtures_ / "pair_deepmech_cnn/model.h5").string()); }, &msg),
      ErrorCode::kUnknownFormat);
  EXPECT_NE(msg.find("HDF5"), std::string::npos) << msg;
  EXPECT_EQ(codeOf([&] { readKerasZip((tmp_ / "missing.keras").string()); }), ErrorCode::kNotFound);
}

TEST_F(BadKerasZip, NoConfigJson) {
  const fs::path p = tmp_ / "x.keras";
  makeZip(p, {{"metadata.json", meta_}, {"model.weights.h5", weights_}});
  std::string msg;
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kUnknownFormat);
  EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
}

TEST_F(BadKerasZip, TruncatedZip) {
  const std::string whole = test::readText(good_);
  for (size_t keep : {whole.size() / 2, whole.size() - 10}) {
    const fs::path p = tmp_ / "t.keras";
    test::writeText(p, whole.substr(0, keep));
    EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }), ErrorCode::kTruncated) << keep;
  }
}

TEST_F(BadKerasZip, BadConfigJson) {
  const fs::path p = tmp_ / "x.keras";
  makeZip(p, {{"metadata.json", meta_},
              {"config.json", "{\"class_name\": "},
              {"model.weights.h5", weights_}});
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }), ErrorCode::kInvalidJson);
  makeZip(p, {{"config.json", std::string(100000, '[')}});
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }), ErrorCode::kTooLarge);
}

TEST_F(BadKerasZip, WeightsMissingALayersVarsOrADataset) {
  const fs::path p = tmp_ / "x.keras";
  std::string msg;
  makeZip(p, {{"metadata.json", meta_},
              {"config.json", config_},
              {"model.weights.h5",
               editedWeights([](hid_t f) { H5Ldelete(f, "layers/dense_1", H5P_DEFAULT); })}});
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kSchema);
  EXPECT_NE(msg.find("no group 'layers/dense_1/vars'"), std::string::npos) << msg;
  makeZip(p, {{"metadata.json", meta_},
              {"config.json", config_},
              {"model.weights.h5", editedWeights([](hid_t f) {
                 H5Ldelete(f, "layers/dense_2/vars/1", H5P_DEFAULT);
               })}});
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kSchema);
  EXPECT_NE(msg.find("no dataset 'layers/dense_2/vars/1'"), std::string::npos) << msg;
  makeZip(p, {{"metadata.json", meta_}, {"config.json", config_}});
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kSchema);
  EXPECT_NE(msg.find("no model.weights.h5"), std::string::npos) << msg;
}

TEST_F(BadKerasZip, DatasetOfTheWrongShape) {
  const fs::path p = tmp_ / "x.keras";
  std::string msg;
  makeZip(p, {{"metadata.json", meta_},
              {"config.json", config_},
              {"model.weights.h5", editedWeights([](hid_t f) {
                 H5Ldelete(f, "layers/dense/vars/1", H5P_DEFAULT);
                 const hsize_t dims[1] = {8};
                 const float zeros[8] = {};
                 hid_t s = H5Screate_simple(1, dims, nullptr);
                 hid_t d = H5Dcreate2(f, "layers/dense/vars/1", H5T_IEEE_F32LE, s, H5P_DEFAULT,
                                      H5P_DEFAULT, H5P_DEFAULT);
                 H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros);
                 H5Dclose(d);
                 H5Sclose(s);
               })}});
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kSchema);
  EXPECT_NE(msg.find("has shape [8] but layer 'dense' (Dense) needs [64]"), std::string::npos)
      << msg;
}

TEST_F(BadKerasZip, NpzWeightsAreUnsupported) {
  const fs::path p = tmp_ / "x.keras";
  makeZip(p, {{"metadata.json", meta_},
              {"config.json", config_},
              {"model.weights.npz", "PK\x05\x06" + std::string(18, '\0')}});
  std::string msg;
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kUnsupported);
  EXPECT_NE(msg.find("model.weights.npz"), std::string::npos) << msg;
}

TEST_F(BadKerasZip, MemberNamesThatEscapeAreRefused) {
  for (const char* name : {"../evil", "/etc/passwd", "assets\\x", "a/../../b"}) {
    const fs::path p = tmp_ / "x.keras";
    makeZip(p, {{"metadata.json", meta_}, {"config.json", config_}, {name, "x"}});
    EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }), ErrorCode::kPathEscape) << name;
  }
}

TEST_F(BadKerasZip, BombBeyondTheCapIsRefusedBeforeDecompressing) {
  // 80 MiB of spaces compress to ~80 KiB: over the 64 MiB config.json cap.
  const fs::path p = tmp_ / "bomb.keras";
  makeZip(p, {{"metadata.json", meta_}, {"config.json", std::string(80u << 20, ' ')}});
  EXPECT_LT(fs::file_size(p), 1u << 20);
  std::string msg;
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kTooLarge);
  EXPECT_NE(msg.find("cap"), std::string::npos) << msg;
  // The weights member against a small weights cap.
  makeZip(p, {{"metadata.json", meta_},
              {"config.json", config_},
              {"model.weights.h5", weights_ + std::string(8u << 20, '\0')}});
  KerasReadOptions small;
  small.maxTotalBytes = 1u << 20;  // the model's ~90 KB of weights fit
  small.maxDatasetBytes = 1u << 20;
  EXPECT_NO_THROW(readKerasZip(good_.string(), small));
  KerasReadOptions tiny = small;
  tiny.maxTotalBytes = 0;
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string(), tiny); }), ErrorCode::kTooLarge);
}

TEST_F(BadKerasZip, ZipWhoseDirectoryLiesAboutTheSizeIsRefused) {
  // A deflated config.json whose declared uncompressed size is patched smaller (central
  // directory and local header): it decompresses beyond what the directory claims.
  const fs::path p = tmp_ / "lie.keras";
  const std::string text = config_ + std::string(4096, ' ');
  makeZip(p, {{"metadata.json", meta_}, {"config.json", text}, {"model.weights.h5", weights_}});
  std::string bytes = test::readText(p);
  const auto patch = [&](const char* sig, size_t sizeOffset, size_t nameLenOffset,
                         size_t nameOffset) {
    size_t pos = 0;
    int patched = 0;
    while ((pos = bytes.find(sig, pos)) != std::string::npos) {
      uint16_t nameLen;
      std::memcpy(&nameLen, bytes.data() + pos + nameLenOffset, 2);
      if (bytes.compare(pos + nameOffset, nameLen, "config.json") == 0) {
        const uint32_t lie = 100;
        std::memcpy(bytes.data() + pos + sizeOffset, &lie, 4);
        ++patched;
      }
      pos += 4;
    }
    return patched;
  };
  ASSERT_EQ(patch("PK\x03\x04", 22, 26, 30), 1);  // local header: uncompressed size
  ASSERT_EQ(patch("PK\x01\x02", 24, 28, 46), 1);  // central directory: uncompressed size
  test::writeText(p, bytes);
  std::string msg;
  EXPECT_EQ(codeOf([&] { readKerasZip(p.string()); }, &msg), ErrorCode::kSchema) << msg;
  EXPECT_TRUE(msg.find("declare") != std::string::npos ||
              msg.find("decompress") != std::string::npos)
      << msg;
}

TEST(KerasWriters, RefuseAnExistingOutputAndWriteNothingOnFailure) {
  TFJS_REQUIRE_FIXTURES("pair_pytraining_custom_layer_noweights",
                        "tfjs_layers_tfjs2keras_testdata");
  TempDir tmp;
  const ModelArtifacts a = loadModel((fixtures / "tfjs_layers_tfjs2keras_testdata/mlp").string());
  const fs::path h5 = tmp / "m.h5";
  const fs::path kz = tmp / "m.keras";
  test::writeText(h5, "keep me");
  test::writeText(kz, "keep me too");
  EXPECT_EQ(codeOf([&] { writeKerasH5(a, h5.string()); }), ErrorCode::kExists);
  EXPECT_EQ(codeOf([&] { writeKerasZip(a, kz.string()); }), ErrorCode::kExists);
  EXPECT_EQ(test::readText(h5), "keep me");
  EXPECT_EQ(test::readText(kz), "keep me too");
  // A model the runtime cannot build, a weights-only model and a missing weight: no file, and
  // no temporary file left behind.
  ModelArtifacts custom =
      loadModel((fixtures / "pair_pytraining_custom_layer_noweights/web_model2").string());
  EXPECT_EQ(codeOf([&] { writeKerasH5(custom, (tmp / "c.h5").string()); }),
            ErrorCode::kUnsupported);
  ModelArtifacts weightsOnly = a;
  weightsOnly.modelTopology = nullptr;
  EXPECT_EQ(codeOf([&] { writeKerasZip(weightsOnly, (tmp / "w.keras").string()); }),
            ErrorCode::kWeightsOnly);
  ModelArtifacts renamed = a;
  renamed.weightsManifest[0].weights[0].name = "no_such_layer/kernel";
  std::string msg;
  EXPECT_EQ(codeOf([&] { writeKerasH5(renamed, (tmp / "r.h5").string()); }, &msg),
            ErrorCode::kSchema);
  EXPECT_NE(msg.find("no_such_layer/kernel"), std::string::npos) << msg;
  EXPECT_EQ(codeOf([&] { writeKerasH5(a, (tmp / "no/such/dir/m.h5").string()); }),
            ErrorCode::kNotFound);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    left.push_back(e.path().filename().string());
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"m.h5", "m.keras"}));
}

}  // namespace
}  // namespace tfjs::keras
