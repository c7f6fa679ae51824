// The functional builder (tfjs::input / apply / tfjs::model, include/tfjs/builder.h) against
// the real TF.js: the same definition made with tf.input / layer.apply / tf.model in node gives
// the same topology (layer order, names, inbound nodes and node indices, nested models), and a
// model built and trained here loads in TF.js and predicts what it predicts here.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "test_util.h"
#include "tfjs/builder.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/layers_model.h"
#include "tfjs/version.h"
#include "train_util.h"

namespace tfjs {
namespace {

using UJson = nlohmann::json;  // key order ignored when comparing

// Two inputs, three outputs: a shared Dense (node 0 of the model is its second application, the
// first being on an input the model does not use), a nested Sequential, a nested functional model
// applied twice (nodes 1 and 2) and every merge layer.
Functional makeModel() {
  const auto a = input({.shape = {4}, .name = "a"});
  const auto b = input({.shape = {4}, .name = "b"});
  const auto shared = layers::dense({.units = 3, .activation = "relu", .name = "shared"});
  (void)shared.apply(input({.shape = {4}, .name = "stray"}));
  const auto ha = shared.apply(a);
  const auto hb = shared.apply(b);
  const Sequential sub({layers::dense({.units = 3, .inputShape = {3}, .name = "inner1"}),
                        layers::dense({.units = 2, .name = "inner2"})},
                       "sub");
  const auto ix = input({.shape = {3}, .name = "ix"});
  const Functional inner = model(
      {.inputs = {ix},
       .outputs = {layers::dense({.units = 3, .activation = "tanh", .name = "fn_dense"}).apply(ix)},
       .name = "inner"});
  const auto s = sub.apply(ha);
  const auto i1 = inner.apply(ha);
  const auto i2 = inner.apply(hb);
  const auto cat = layers::concatenate({.axis = -1, .name = "cat"}).apply({i1, hb});
  const auto head = layers::dense({.units = 1, .name = "head"}).apply(cat);
  const auto sum = layers::add({.name = "sum"}).apply({ha, i2});
  const auto prod = layers::multiply({.name = "prod"}).apply({sum, hb});
  const auto avg = layers::average({.name = "avg"}).apply({prod, ha, i1});
  const auto mx = layers::maximum({.name = "mx"}).apply({avg, hb});
  const auto mn = layers::minimum({.name = "mn"}).apply({mx, sum});
  return model({.inputs = {a, b}, .outputs = {head, s, mn}, .name = "m"});
}

// One layer applied at three depths (its nodes 0, 1, 2; the layer sorts at its deepest).
Functional makeDeepShared() {
  const auto x = input({.shape = {3}, .name = "x"});
  const auto d = layers::dense({.units = 3, .name = "d"});
  const auto h1 = d.apply(x);
  const auto e = layers::dense({.units = 3, .name = "e"}).apply(h1);
  const auto h2 = d.apply(e);
  const auto h3 = d.apply(h2);
  return model({.inputs = {x},
                .outputs = {layers::concatenate({.name = "c"}).apply({e, h2}),
                            layers::add({.name = "s"}).apply({h1, h3, x})},
                .name = "m2"});
}

// The same definitions in TF.js; with a folder argument, also loads that folder and predicts.
constexpr const char* kScript = R"JS(
import { tf, initTf, installFailureHandlers, Rng, hexOf, folderIOHandler } from '@LIB@';
installFailureHandlers();
await initTf();
const L = tf.layers;
const a = tf.input({shape: [4], name: 'a'});
const b = tf.input({shape: [4], name: 'b'});
const shared = L.dense({units: 3, activation: 'relu', name: 'shared'});
shared.apply(tf.input({shape: [4], name: 'stray'}));
const ha = shared.apply(a), hb = shared.apply(b);
const sub = tf.sequential({name: 'sub', layers: [
    L.dense({units: 3, inputShape: [3], name: 'inner1'}), L.dense({units: 2, name: 'inner2'})]});
const ix = tf.input({shape: [3], name: 'ix'});
const inner = tf.model({inputs: ix, name: 'inner',
    outputs: L.dense({units: 3, activation: 'tanh', name: 'fn_dense'}).apply(ix)});
const s = sub.apply(ha);
const i1 = inner.apply(ha), i2 = inner.apply(hb);
const cat = L.concatenate({axis: -1, name: 'cat'}).apply([i1, hb]);
const head = L.dense({units: 1, name: 'head'}).apply(cat);
const sum = L.add({name: 'sum'}).apply([ha, i2]);
const prod = L.multiply({name: 'prod'}).apply([sum, hb]);
const avg = L.average({name: 'avg'}).apply([prod, ha, i1]);
const mx = L.maximum({name: 'mx'}).apply([avg, hb]);
const mn = L.minimum({name: 'mn'}).apply([mx, sum]);
const m = tf.model({inputs: [a, b], outputs: [head, s, mn], name: 'm'});
const x = tf.input({shape: [3], name: 'x'});
const d = L.dense({units: 3, name: 'd'});
const h1 = d.apply(x), e = L.dense({units: 3, name: 'e'}).apply(h1);
const h2 = d.apply(e), h3 = d.apply(h2);
const m2 = tf.model({inputs: x, name: 'm2', outputs: [
    L.concatenate({name: 'c'}).apply([e, h2]), L.add({name: 's'}).apply([h1, h3, x])]});
const out = {topology: m.toJSON(null, false), topology2: m2.toJSON(null, false)};
if (process.argv[2]) {
  const loaded = await tf.loadLayersModel(folderIOHandler(process.argv[2]));
  const rng = new Rng('builder_test');
  const xs = [tf.tensor(rng.f32(5 * 4), [5, 4]), tf.tensor(rng.f32(5 * 4), [5, 4])];
  const ys = loaded.predict(xs);
  const dump = (t) => ({shape: t.shape, hex: hexOf(t.dataSync())});
  out.inputs = xs.map(dump);
  out.outputs = ys.map(dump);
}
process.stdout.write(JSON.stringify(out) + '\n');
)JS";

struct NodeRun {
  bool ok = false;
  std::string text;
  UJson out;
};

NodeRun runTfjs(const test::TempDir& tmp, const std::string& modelDir = "") {
  std::string script = kScript;
  const std::string lib = std::string(TFJS_SOURCE_DIR) + "/tests/oracle/lib.mjs";
  script.replace(script.find("@LIB@"), 5, lib);
  test::writeText(tmp / "builder.mjs", script);
  const std::string cmd =
      fmt::format("'{}' '{}' {} 2>&1", TFJS_NODE, (tmp / "builder.mjs").string(),
                  modelDir.empty() ? "" : test::quote(modelDir));
  NodeRun r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.text.append(buf, n);
  r.ok = ::pclose(p) == 0;
  if (r.ok) r.out = UJson::parse(r.text.substr(r.text.find("{\"topology\"")));
  return r;
}

#define REQUIRE_TFJS()                                                                       \
  if (!fs::exists(fs::path(TFJS_SOURCE_DIR) / "tests/oracle/node_modules/@tensorflow/tfjs")) \
  GTEST_SKIP() << "SKIPPED: tests/oracle/node_modules not installed (scripts/setup.sh)"

// What is compared with TF.js: everything but keras_version/backend and, in layer configs, the
// initializers (TF.js writes glorotUniform as VarianceScaling, Keras and tfjs-cpp as
// GlorotUniform; TF.js reads both) and "dtype" on non-input layers (Keras writes it on every
// layer, tfjs-layers only on the first).
void strip(UJson& j) {
  if (j.is_array()) {
    for (auto& e : j) strip(e);
    return;
  }
  if (!j.is_object()) return;
  if (j.contains("class_name") && j.contains("config") && j["config"].is_object()) {
    auto& cfg = j["config"];
    for (auto it = cfg.begin(); it != cfg.end();) {
      const std::string& k = it.key();
      const bool drop = (k.size() > 12 && k.ends_with("_initializer")) ||
                        (k == "dtype" && j["class_name"] != "InputLayer");
      it = drop ? cfg.erase(it) : std::next(it);
    }
  }
  j.erase("keras_version");
  j.erase("backend");
  for (auto& el : j.items()) strip(el.value());
}

Tensor floats(const std::vector<int64_t>& shape, int salt) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  Buffer b = Buffer::allocate(static_cast<size_t>(n) * 4);
  auto* f = reinterpret_cast<float*>(b.mutableData());
  for (int64_t i = 0; i < n; ++i) f[i] = static_cast<float>(((i + salt) * 37) % 19) / 19.0f - 0.4f;
  return Tensor(DType::kFloat32, shape, b, 0);
}

Tensor tensorOf(const UJson& j) {
  return test::floatTensorFromHex(j["shape"].get<std::vector<int64_t>>(),
                                  j["hex"].get<std::string>());
}

TEST(FunctionalBuilder, TopologyIsWhatTfjsWrites) {
  REQUIRE_TFJS();
  test::TempDir tmp;
  const NodeRun tf = runTfjs(tmp);
  ASSERT_TRUE(tf.ok) << tf.text;
  UJson theirs = tf.out["topology"];
  UJson ours = UJson::parse(makeModel().toJSON().dump());
  EXPECT_EQ(ours["class_name"], "Model");
  EXPECT_EQ(ours["keras_version"], "tfjs-cpp " TFJS_VERSION);
  strip(theirs);
  strip(ours);
  // Layer by layer first, for a readable failure.
  ASSERT_EQ(ours["config"]["layers"].size(), theirs["config"]["layers"].size())
      << ours.dump(1) << "\n---\n"
      << theirs.dump(1);
  for (size_t i = 0; i < theirs["config"]["layers"].size(); ++i) {
    EXPECT_EQ(ours["config"]["layers"][i], theirs["config"]["layers"][i])
        << "layer " << i << "\nours:   " << ours["config"]["layers"][i].dump()
        << "\ntheirs: " << theirs["config"]["layers"][i].dump();
  }
  EXPECT_EQ(ours, theirs) << ours.dump() << "\n---\n" << theirs.dump();
  // The points the comparison is about, spelt out.
  const UJson& l = ours["config"]["layers"];
  EXPECT_EQ(l[2]["name"], "shared");
  EXPECT_EQ(l[2]["inbound_nodes"].size(), 2u);  // the stray application is not in the model
  EXPECT_EQ(ours["config"]["output_layers"][1], UJson::parse(R"(["sub", 1, 0])"));

  UJson theirs2 = tf.out["topology2"];
  UJson ours2 = UJson::parse(makeDeepShared().toJSON().dump());
  strip(theirs2);
  strip(ours2);
  EXPECT_EQ(ours2, theirs2) << ours2.dump() << "\n---\n" << theirs2.dump();
  EXPECT_EQ(ours2["config"]["layers"][1]["name"], "d");
  EXPECT_EQ(ours2["config"]["layers"][1]["inbound_nodes"].size(), 3u);
}

TEST(FunctionalBuilder, TrainsAndTfjsPredictsAsWeDo) {
  REQUIRE_TFJS();
  LayersModel m = makeModel().build(11);
  EXPECT_EQ(m.inputs().size(), 2u);
  EXPECT_EQ(m.outputs().size(), 3u);
  const History h =
      test::fitMse(m, "adam", {floats({12, 4}, 1), floats({12, 4}, 2)},
                   {floats({12, 1}, 3), floats({12, 2}, 4), floats({12, 3}, 5)}, 4, 4);
  ASSERT_EQ(h.history.at("loss").size(), 4u);
  EXPECT_LT(h.history.at("loss")[3], h.history.at("loss")[0]);
  test::TempDir tmp;
  saveModel(m.toArtifacts(), (tmp / "trained").string());
  const NodeRun tf = runTfjs(tmp, (tmp / "trained").string());
  ASSERT_TRUE(tf.ok) << tf.text;
  const auto ys = m.predict({tensorOf(tf.out["inputs"][0]), tensorOf(tf.out["inputs"][1])});
  ASSERT_EQ(ys.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    test::expectClose(ys[i], tensorOf(tf.out["outputs"][i]));
  }
}

TEST(FunctionalBuilder, AutomaticNamesAreKeras) {
  const auto x1 = input({.shape = {2}});
  const auto x2 = input({.shape = {2}});
  const auto d = layers::dense({.units = 2});
  const auto h1 = d.apply(x1);
  const auto h2 = layers::dense({.units = 2, .name = "dense_1"}).apply(d.apply(x2));
  const Sequential seq({layers::dense({.units = 2, .inputShape = {2}})});
  const auto ix = input({.shape = {2}});
  const Functional nested =
      model({.inputs = {ix}, .outputs = {layers::dense({.units = 2}).apply(ix)}});
  const auto y = layers::add().apply({seq.apply(h1), nested.apply(h2), h1});
  const Json j = model({.inputs = {x1, x2}, .outputs = {y}}).toJSON();
  EXPECT_EQ(j["config"]["name"], "model");
  std::vector<std::string> names;
  for (const auto& l : j["config"]["layers"]) names.push_back(l["name"]);
  // Depth order: the inputs, the shared dense, then what follows; "dense_1" is taken explicitly.
  EXPECT_THAT(names, ::testing::ElementsAre("input_1", "input_2", "dense", "dense_1", "sequential",
                                            "model_1", "add"));
  EXPECT_EQ(j["config"]["layers"][4]["config"]["layers"][0]["config"]["name"], "dense_2");
  EXPECT_EQ(j["config"]["layers"][5]["config"]["layers"][0]["name"], "input_3");
  EXPECT_EQ(j["config"]["layers"][5]["config"]["layers"][1]["name"], "dense_3");
  EXPECT_EQ(j["config"]["layers"][2]["inbound_nodes"].dump(),
            R"([[["input_1",0,0,{}]],[["input_2",0,0,{}]]])");
  EXPECT_EQ(j["config"]["layers"][6]["inbound_nodes"].dump(),
            R"([[["sequential",1,0,{}],["model_1",1,0,{}],["dense",0,0,{}]]])");
  // It builds, and our loader reads the nesting as TF.js does (the outputs' shapes).
  const LayersModel m = model({.inputs = {x1, x2}, .outputs = {y}}).build(1);
  EXPECT_EQ(m.predict({floats({3, 2}, 0), floats({3, 2}, 1)})[0].shape(),
            (std::vector<int64_t>{3, 2}));
}

TEST(FunctionalBuilder, HeaderExampleBuildsAndSharesTheEncoder) {
  namespace L = tfjs::layers;
  auto left = tfjs::input({.shape = {28, 28, 1}, .name = "left"});
  auto right = tfjs::input({.shape = {28, 28, 1}, .name = "right"});
  auto encode = tfjs::sequential(
      {L::flatten({.inputShape = {28, 28, 1}}), L::dense({.units = 16, .activation = "relu"})});
  auto a = encode.apply(left), b = encode.apply(right);
  auto y = L::dense({.units = 1}).apply(L::concatenate().apply({a, b}));
  tfjs::LayersModel f = tfjs::model({.inputs = {left, right}, .outputs = {y}}).build(7);
  // One encoder: its Dense's kernel and bias once, then the head's; its calls are nodes 1 and 2.
  EXPECT_EQ(f.getWeights().size(), 4u);
  const Json j = tfjs::model({.inputs = {left, right}, .outputs = {y}}).toJSON();
  EXPECT_EQ(j["config"]["layers"][3]["inbound_nodes"].dump(),
            R"([[["sequential",1,0,{}],["sequential",2,0,{}]]])");
  const auto out = f.predict({floats({2, 28, 28, 1}, 1), floats({2, 28, 28, 1}, 2)});
  EXPECT_EQ(out[0].shape(), (std::vector<int64_t>{2, 1}));
}

void expectError(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning: " << part;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << e.what();
    EXPECT_THAT(e.what(), HasSubstr(part));
  }
}

TEST(FunctionalBuilder, WrongUseIsAClearError) {
  const auto x = input({.shape = {3}, .name = "x"});
  const auto other = input({.shape = {3}, .name = "other"});
  const auto h = layers::dense({.units = 2, .name = "h"}).apply(x);
  const auto g = layers::dense({.units = 2, .name = "g"}).apply(other);
  // An output that needs an input the model was not given (a tensor of another graph).
  expectError(
      [&] {
        model({.inputs = {x}, .outputs = {layers::add().apply({h, g})}});
      },
      "outputs[0] is not reachable from the model's inputs: it depends on input 'other'");
  // An input no output uses.
  expectError(
      [&] {
        model({.inputs = {x, other}, .outputs = {h}});
      },
      "inputs[1] (input 'other') is not used by any output");
  // An input that is not a tfjs::input, or given twice; no inputs; empty tensors.
  expectError([&] { model({.inputs = {h}, .outputs = {h}}); }, "not a tensor made by tfjs::input");
  expectError([&] { model({.inputs = {x, x}, .outputs = {h}}); }, "given twice");
  expectError([&] { model({.inputs = {}, .outputs = {h}}); }, "at least one input");
  expectError([&] { model({.inputs = {x}, .outputs = {SymbolicTensor()}}); },
              "outputs[0] is an empty SymbolicTensor");
  expectError([&] { layers::dense({.units = 1}).apply(SymbolicTensor()); }, "empty SymbolicTensor");
  // Merges with one input; a plain layer with two.
  expectError([&] { layers::add().apply({h}); }, "a merge layer takes 2 or more tensors");
  expectError([&] { layers::concatenate({.axis = 1}).apply(std::vector<SymbolicTensor>{h}); },
              "1 given");
  expectError([&] { layers::dense({.units = 1}).apply({h, h}); }, "takes one tensor, 2 given");
  // A nested model given the wrong count; a multi-output model through apply().
  const Functional two = model({.inputs = {x}, .outputs = {h, layers::flatten().apply(x)}});
  expectError([&] { two.applyMulti({x, x}); }, "takes 1 tensor(s), 2 given");
  expectError([&] { two.apply(x); }, "use applyMulti");
  EXPECT_EQ(two.applyMulti({other}).size(), 2u);
  // Two layers with one name; one layer applied with two configs.
  expectError(
      [&] {
        model({.inputs = {x}, .outputs = {layers::dense({.units = 1, .name = "h"}).apply(h)}});
      },
      "two layers named 'h'");
  const Sequential s({layers::dense({.units = 2, .inputShape = {2}, .name = "h"})}, "s");
  expectError([&] { model({.inputs = {x}, .outputs = {s.apply(h)}}); }, "two layers are named 'h'");
  auto d = layers::dense({.units = 2, .name = "d"});
  const auto d1 = d.apply(x);
  d.config["units"] = 5;
  expectError([&] { model({.inputs = {x}, .outputs = {d.apply(d1)}}); },
              "applied twice with different configs");
  // A Sequential nested without an input shape.
  const Sequential noShape({layers::dense({.units = 2})});
  expectError([&] { model({.inputs = {x}, .outputs = {noShape.apply(x)}}); },
              "needs an inputShape");
}

}  // namespace
}  // namespace tfjs
