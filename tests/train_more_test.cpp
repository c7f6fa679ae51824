// Training of the last layers that used to refuse it: Dot (batched dot products of rank-2/3
// inputs along any axes, normalize included), AlphaDropout, Dropout with a noise_shape and
// ConvLSTM2D's dropout / recurrent_dropout. Backward passes against central finite differences
// (at the layer and through GraphTrainer with fixed masks), Dot's input gradients and
// AlphaDropout's constants against the real TF.js 4.22 (node, tests/oracle), the dropout masks'
// statistics, and a double-precision ConvLSTM2D written here from TF.js's ConvLSTM2DCell that
// replays the documented mask draws.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "layers/layer.h"
#include "model/graph_trainer.h"
#include "test_util.h"
#include "tfjs/error.h"
#include "tfjs/layers_model.h"
#include "train_util.h"

namespace tfjs {
namespace {

using test::checkGradients;
using test::functional;
using test::input;
using test::layer;
using test::node;
using test::randomModel;
using test::sequential;

std::vector<float> randomFloats(size_t n, std::mt19937& rng, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

// A built layer of class `cls` with `config` for inputs of `shapes` (batch unknown).
std::unique_ptr<layers::Layer> makeLayer(const std::string& cls, Json config,
                                         const std::vector<layers::Shape>& shapes) {
  config["name"] = "l";
  auto l = layers::createLayer(layers::Config(cls, "l", config));
  std::vector<layers::Shape> built;
  for (auto s : shapes) {
    s[0] = -1;
    built.push_back(s);
  }
  l->build(built);
  return l;
}

// Layer-level check of dL/d(inputs) for L = sum(r * forwardTrain(inputs)) with every forward
// drawing from the same TrainingContext (seed `ctxSeed`): backward against central differences.
void checkInputGradients(const layers::Layer& l, const std::vector<layers::Array>& xs,
                         uint32_t seed, uint64_t ctxSeed = 0) {
  std::mt19937 rng(seed);
  auto pointers = [](const std::vector<layers::Array>& arrays) {
    std::vector<const layers::Array*> p;
    for (const auto& x : arrays) p.push_back(&x);
    return p;
  };
  // forwardTrain from the stream ctxSeed.
  auto forward = [&](const std::vector<const layers::Array*>& in,
                     std::unique_ptr<layers::LayerState>& state) {
    layers::TrainingContext c;
    c.seed = ctxSeed;
    return l.forwardTrain(in, c, state);
  };
  const std::vector<const layers::Array*> in = pointers(xs);
  std::unique_ptr<layers::LayerState> state;
  const auto out = forward(in, state);
  ASSERT_EQ(out.size(), 1u);
  const std::vector<float> r = randomFloats(out[0].data.size(), rng);
  std::vector<layers::Array> dOut;
  dOut.emplace_back(out[0].shape, r);
  layers::GradientSink sink;
  std::vector<const layers::Array*> outs = {&out[0]};
  const auto dx = l.backward(in, outs, state.get(), std::move(dOut), sink);
  ASSERT_EQ(dx.size(), xs.size());
  std::vector<layers::Array> probe = xs;
  auto loss = [&]() {
    std::unique_ptr<layers::LayerState> s;
    const auto o = forward(pointers(probe), s);
    double sum = 0;
    for (size_t i = 0; i < o[0].data.size(); ++i) sum += double(o[0].data[i]) * r[i];
    return sum;
  };
  for (size_t k = 0; k < xs.size(); ++k) {
    SCOPED_TRACE("input " + std::to_string(k));
    ASSERT_EQ(dx[k].shape, xs[k].shape);
    test::expectCentralDifferences(probe[k].data, dx[k].data, loss);
  }
}

// --- Dot ---

struct DotCase {
  Json axes;
  layers::Shape x, y;
};

// Every combination of ranks 2 and 3 with positive, negative, int and pair axes.
const std::vector<DotCase> kDotCases = {
    {1, {3, 4}, {3, 4}},
    {-1, {3, 4}, {3, 4}},
    {Json::array({-1, -1}), {3, 4}, {3, 4}},
    {Json::array({2, 2}), {2, 3, 4}, {2, 5, 4}},
    {Json::array({1, 1}), {2, 4, 3}, {2, 4, 5}},
    {Json::array({1, 2}), {2, 4, 3}, {2, 5, 4}},
    {Json::array({2, 1}), {2, 3, 4}, {2, 4, 5}},
    {-1, {2, 3, 4}, {2, 5, 4}},
    {Json::array({-2, -1}), {2, 4, 3}, {2, 2, 4}},
    {Json::array({2, 1}), {2, 3, 4}, {2, 4}},
    {Json::array({-2, -1}), {2, 4, 3}, {2, 4}},
    {-1, {2, 3, 4}, {2, 4}},
    {Json::array({1, 1}), {2, 4}, {2, 4, 3}},
    {Json::array({-1, -1}), {2, 4}, {2, 3, 4}},
};

TEST(TrainDot, InputGradientsForEveryAxesAndRankCombination) {
  for (const bool normalize : {false, true}) {
    for (size_t c = 0; c < kDotCases.size(); ++c) {
      const auto& dc = kDotCases[c];
      SCOPED_TRACE(fmt::format("axes {} x {} y {} normalize {}", dc.axes.dump(), Json(dc.x).dump(),
                               Json(dc.y).dump(), normalize));
      auto l = makeLayer("Dot", {{"axes", dc.axes}, {"normalize", normalize}}, {dc.x, dc.y});
      std::mt19937 rng(static_cast<uint32_t>(100 + c));
      std::vector<layers::Array> xs;
      xs.emplace_back(dc.x, randomFloats(static_cast<size_t>(layers::Array::count(dc.x)), rng));
      xs.emplace_back(dc.y, randomFloats(static_cast<size_t>(layers::Array::count(dc.y)), rng));
      checkInputGradients(*l, xs, static_cast<uint32_t>(7 + c));
    }
  }
}

// A pair with one negative entry fails TF.js's Dot.build ('Dimension incompatibility: 4 !==
// undefined': it indexes the shape with the raw entry); refused here when the model is made.
TEST(TrainDot, APairWithOneNegativeAxisIsRefusedAsTfjs) {
  for (const Json& axes : {Json::array({1, -1}), Json::array({-1, 1})}) {
    SCOPED_TRACE(axes.dump());
    try {
      makeLayer("Dot", {{"axes", axes}}, {{-1, 4}, {-1, 4}});
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
      EXPECT_NE(std::string(e.what()).find("negative"), std::string::npos) << e.what();
    }
  }
}

// Through GraphTrainer: two Dense layers feed the Dot, their kernels check its input gradients.
TEST(TrainDot, VariableGradientsThroughAFunctionalModel) {
  for (const bool normalize : {false, true}) {
    for (const Json& axes : {Json(-1), Json::array({1, 1})}) {
      SCOPED_TRACE(axes.dump() + (normalize ? " normalize" : ""));
      const Json topo = functional(
          Json::array({input("x", {3, 2}),
                       node("Dense", "a", {{"units", 4}, {"activation", "tanh"}}, {"x"}),
                       node("Dense", "b", {{"units", 4}}, {"x"}),
                       node("Dot", "dot", {{"axes", axes}, {"normalize", normalize}}, {"a", "b"})}),
          {"x"}, {{"dot", 0}});
      LayersModel m = randomModel(topo, 31);
      checkGradients(m, {3, 3, 2}, 37);
    }
  }
}

#define REQUIRE_TFJS()                                                                       \
  if (!fs::exists(fs::path(TFJS_SOURCE_DIR) / "tests/oracle/node_modules/@tensorflow/tfjs")) \
  GTEST_SKIP() << "SKIPPED: tests/oracle/node_modules not installed (scripts/setup.sh)"

// Runs `script` (with @LIB@ replaced by tests/oracle/lib.mjs) under node with `arg`; the last
// line of its stdout is JSON.
Json runNode(const test::TempDir& tmp, std::string script, const std::string& arg) {
  const std::string lib = std::string(TFJS_SOURCE_DIR) + "/tests/oracle/lib.mjs";
  script.replace(script.find("@LIB@"), 5, lib);
  test::writeText(tmp / "script.mjs", script);
  const std::string cmd =
      fmt::format("'{}' '{}' '{}' 2>&1", TFJS_NODE, (tmp / "script.mjs").string(), arg);
  std::string text;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error("node failed: " + text);
  const size_t at = text.rfind("\n{");
  return Json::parse(at == std::string::npos ? text : text.substr(at + 1));
}

const char* kDotScript = R"JS(
import fs from 'node:fs';
import {tf, initTf} from '@LIB@';
await initTf();
const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const results = [];
for (const c of cases) {
  const layer = tf.layers.dot({axes: c.axes, normalize: c.normalize});
  const x = tf.tensor(c.x, c.xShape), y = tf.tensor(c.y, c.yShape);
  const out = layer.apply([x, y]);
  const r = tf.tensor(c.r, out.shape);
  const [dx, dy] = tf.grads((a, b) => tf.sum(tf.mul(layer.apply([a, b]), r)))([x, y]);
  results.push({shape: out.shape, out: Array.from(out.dataSync()), dx: Array.from(dx.dataSync()),
                dy: Array.from(dy.dataSync())});
}
process.stdout.write(JSON.stringify({results}) + '\n');
)JS";

// Dot's output and input gradients against tf.grads of the real TF.js layer, normalize with
// fibers whose sum of squares is below TF.js's epsilon (1e-7: the norm is then the constant
// sqrt(epsilon)) included.
TEST(TrainDot, GradientsMatchTfjs) {
  REQUIRE_TFJS();
  test::TempDir tmp;
  struct Run {
    DotCase c;
    bool normalize;
    std::vector<float> x, y, r;
  };
  std::vector<Run> runs;
  std::mt19937 rng(41);
  for (const bool normalize : {false, true}) {
    for (const auto& c : kDotCases) {
      Run run{c, normalize, {}, {}, {}};
      run.x = randomFloats(static_cast<size_t>(layers::Array::count(c.x)), rng);
      run.y = randomFloats(static_cast<size_t>(layers::Array::count(c.y)), rng);
      if (normalize) {
        // Tiny entries: some fibers fall under epsilon, some straddle it.
        for (size_t i = 0; i < run.x.size(); i += 3) run.x[i] *= 1e-4f;
        for (size_t i = 0; i < 4 && i < run.y.size(); ++i) run.y[i] = 1e-5f * float(i);
      }
      runs.push_back(std::move(run));
    }
  }
  Json cases = Json::array();
  std::vector<layers::Array> outs;
  std::vector<std::vector<layers::Array>> grads;
  for (auto& run : runs) {
    auto l =
        makeLayer("Dot", {{"axes", run.c.axes}, {"normalize", run.normalize}}, {run.c.x, run.c.y});
    const layers::Array x(run.c.x, run.x), y(run.c.y, run.y);
    layers::TrainingContext ctx;
    std::unique_ptr<layers::LayerState> st;
    auto out = l->forwardTrain({&x, &y}, ctx, st);
    run.r = randomFloats(out[0].data.size(), rng);
    std::vector<layers::Array> dOut;
    dOut.emplace_back(out[0].shape, run.r);
    layers::GradientSink sink;
    grads.push_back(l->backward({&x, &y}, {&out[0]}, st.get(), std::move(dOut), sink));
    outs.push_back(std::move(out[0]));
    cases.push_back({{"axes", run.c.axes},
                     {"normalize", run.normalize},
                     {"x", run.x},
                     {"xShape", run.c.x},
                     {"y", run.y},
                     {"yShape", run.c.y},
                     {"r", run.r}});
  }
  test::writeText(tmp / "cases.json", cases.dump());
  const Json res = runNode(tmp, kDotScript, (tmp / "cases.json").string())["results"];
  ASSERT_EQ(res.size(), runs.size());
  for (size_t k = 0; k < runs.size(); ++k) {
    SCOPED_TRACE(fmt::format("axes {} x {} y {} normalize {}", runs[k].c.axes.dump(),
                             Json(runs[k].c.x).dump(), Json(runs[k].c.y).dump(),
                             runs[k].normalize));
    EXPECT_EQ(Json(outs[k].shape), res[k]["shape"]);
    const std::pair<const layers::Array*, const char*> parts[] = {
        {&outs[k], "out"}, {&grads[k][0], "dx"}, {&grads[k][1], "dy"}};
    for (const auto& [a, key] : parts) {
      const auto expect = res[k][key].get<std::vector<double>>();
      ASSERT_EQ(a->data.size(), expect.size()) << key;
      for (size_t i = 0; i < expect.size(); ++i) {
        EXPECT_NEAR(a->data[i], expect[i], 1e-4 * std::max(1.0, std::fabs(expect[i])))
            << key << " " << i;
      }
    }
  }
}

// --- AlphaDropout ---

const double kAlphaP = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;

// TF.js's affine constants (noise.ts).
std::pair<double, double> alphaAffine(double rate) {
  const double a = std::pow((1 - rate) * (1 + rate * kAlphaP * kAlphaP), -0.5);
  return {a, -a * kAlphaP * rate};
}

TEST(TrainAlphaDropout, EachOutputIsKeptAffineOrTheDroppedValue) {
  const double rate = 0.3;
  const auto [a, b] = alphaAffine(rate);
  auto l = makeLayer("AlphaDropout", {{"rate", rate}}, {{-1, 200, 50}});
  std::mt19937 rng(3);
  const layers::Array x({4, 200, 50}, randomFloats(40000, rng, -2.0f, 2.0f));
  layers::TrainingContext ctx;
  ctx.seed = 11;
  std::unique_ptr<layers::LayerState> st;
  const auto y = l->forwardTrain({&x}, ctx, st);
  size_t dropped = 0;
  const double droppedValue = a * -kAlphaP + b;  // TF.js's sign: (kept - 1) * alpha
  for (size_t i = 0; i < x.data.size(); ++i) {
    const double kept = a * x.data[i] + b;
    if (std::fabs(y[0].data[i] - droppedValue) < 1e-5) {
      ++dropped;
    } else {
      ASSERT_NEAR(y[0].data[i], kept, 1e-5) << i;
    }
  }
  EXPECT_NEAR(double(dropped) / double(x.data.size()), rate, 0.01);
  // Inference is the identity.
  const auto p = l->call({&x});
  EXPECT_EQ(p[0].data, x.data);
  // rate 0: the identity in training too.
  auto l0 = makeLayer("AlphaDropout", {{"rate", 0.0}}, {{-1, 200, 50}});
  std::unique_ptr<layers::LayerState> s0;
  EXPECT_EQ(l0->forwardTrain({&x}, ctx, s0)[0].data, x.data);
}

// On SELU-distributed inputs (selu of N(0, 1): mean ~0, variance ~1). Keras's formula
// (dropped -> alpha') keeps the input's mean and variance, which is what a and b are chosen for;
// TF.js 4.22 writes (kept - 1) * alpha', so a dropped element becomes -alpha' and the moments
// are those of u = kept ? x : -alpha' under a * u + b (checked here), not the input's. Ours
// follows TF.js (ConstantsMatchTfjs compares the values with the real TF.js).
TEST(TrainAlphaDropout, MomentsOnSeluInputsAreTfjsFormulas) {
  const size_t n = 400000;
  std::mt19937 rng(5);
  std::normal_distribution<double> z(0.0, 1.0);
  layers::Array x({static_cast<int64_t>(n / 100), 100});
  const double alpha = 1.6732632423543772848170429916717, scale = 1.0507009873554804934193349852946;
  for (float& v : x.data) {
    const double t = z(rng);
    v = static_cast<float>(scale * (t > 0 ? t : alpha * (std::exp(t) - 1)));
  }
  auto moments = [](const layers::Floats& d) {
    double m = 0, s = 0;
    for (float v : d) m += v;
    m /= double(d.size());
    for (float v : d) s += (v - m) * (v - m);
    return std::pair<double, double>{m, s / double(d.size())};
  };
  const auto [mx, vx] = moments(x.data);
  EXPECT_NEAR(mx, 0.0, 0.01);
  EXPECT_NEAR(vx, 1.0, 0.02);
  for (const double rate : {0.1, 0.3, 0.5}) {
    SCOPED_TRACE(rate);
    auto l = makeLayer("AlphaDropout", {{"rate", rate}}, {{-1, 100}});
    layers::TrainingContext ctx;
    ctx.seed = 17;
    std::unique_ptr<layers::LayerState> st;
    const auto y = l->forwardTrain({&x}, ctx, st);
    const auto [my, vy] = moments(y[0].data);
    const auto [a, b] = alphaAffine(rate);
    const double eu = (1 - rate) * mx - rate * kAlphaP;
    const double eu2 = (1 - rate) * (vx + mx * mx) + rate * kAlphaP * kAlphaP;
    EXPECT_NEAR(my, a * eu + b, 0.015);
    EXPECT_NEAR(vy, a * a * (eu2 - eu * eu), 0.03);
    // Keras's formula would give the input's moments back: with alpha' in place of -alpha'.
    const double ku = (1 - rate) * mx + rate * kAlphaP;
    const double ku2 = (1 - rate) * (vx + mx * mx) + rate * kAlphaP * kAlphaP;
    EXPECT_NEAR(a * ku + b, mx, 0.01);
    EXPECT_NEAR(a * a * (ku2 - ku * ku), vx, 0.02);
    EXPECT_GT(std::fabs(my - mx), 0.1);  // TF.js's does not
  }
}

TEST(TrainAlphaDropout, GradientsWithTheMaskFixedBySeed) {
  for (const Json& cfg : {Json{{"rate", 0.3}}, Json{{"rate", 0.5}, {"noise_shape", {4, 1, 3}}}}) {
    SCOPED_TRACE(cfg.dump());
    auto l = makeLayer("AlphaDropout", cfg, {{-1, 5, 3}});
    checkInputGradients(*l, {test::randomArray({4, 5, 3}, 9)}, 13, 23);
  }
  LayersModel m = randomModel(
      sequential(Json::array({layer("Dense", "d", {{"units", 6}, {"activation", "selu"}}),
                              layer("AlphaDropout", "ad", {{"rate", 0.25}}),
                              layer("Dense", "d2", {{"units", 2}})}),
                 {3}),
      19);
  checkGradients(m, {8, 3}, 29);
}

const char* kAlphaScript = R"JS(
import {tf, initTf} from '@LIB@';
await initTf();
const rate = Number(process.argv[2]);
const n = 4000;
const x = tf.tensor(Array.from({length: n}, (_, i) => i % 2), [n / 4, 4]);
const y = tf.layers.alphaDropout({rate}).apply(x, {training: true});
const p = tf.layers.alphaDropout({rate}).apply(x);
process.stdout.write(JSON.stringify({y: Array.from(y.dataSync()), p: Array.from(p.dataSync())}) +
                     '\n');
)JS";

// The real TF.js on inputs 0 and 1: in training every output is b (kept 0), a + b (kept 1) or
// the dropped value; the three values and the dropped fraction match tfjs-cpp's.
TEST(TrainAlphaDropout, ConstantsMatchTfjs) {
  REQUIRE_TFJS();
  test::TempDir tmp;
  for (const double rate : {0.2, 0.6}) {
    SCOPED_TRACE(rate);
    const Json res = runNode(tmp, kAlphaScript, fmt::format("{}", rate));
    const auto ty = res["y"].get<std::vector<float>>();
    const auto tp = res["p"].get<std::vector<float>>();
    auto l = makeLayer("AlphaDropout", {{"rate", rate}}, {{-1, 4}});
    layers::Array x({1000, 4});
    for (size_t i = 0; i < x.data.size(); ++i) x.data[i] = float(i % 2);
    layers::TrainingContext ctx;
    std::unique_ptr<layers::LayerState> st;
    const auto y = l->forwardTrain({&x}, ctx, st);
    ASSERT_EQ(ty.size(), y[0].data.size());
    for (size_t i = 0; i < tp.size(); ++i) ASSERT_EQ(tp[i], x.data[i]) << "TF.js predict " << i;
    std::set<float> tset(ty.begin(), ty.end()), oset(y[0].data.begin(), y[0].data.end());
    ASSERT_EQ(tset.size(), 3u);
    ASSERT_EQ(oset.size(), 3u);
    for (auto t = tset.begin(), o = oset.begin(); t != tset.end(); ++t, ++o) {
      EXPECT_NEAR(*o, *t, 1e-6);
    }
    // The dropped value a * -alpha' + b is the largest (TF.js's sign): its share is the rate.
    auto share = [](const std::vector<float>& v, float value) {
      size_t k = 0;
      for (float f : v) k += f == value;
      return double(k) / double(v.size());
    };
    const std::vector<float> ours(y[0].data.begin(), y[0].data.end());
    const auto [a, b] = alphaAffine(rate);
    EXPECT_NEAR(*tset.rbegin(), a * -kAlphaP + b, 1e-5);
    EXPECT_NEAR(share(ty, *tset.rbegin()), rate, 0.04);
    EXPECT_NEAR(share(ours, *oset.rbegin()), rate, 0.04);
  }
}

// --- Dropout with a noise_shape ---

TEST(TrainDropoutNoiseShape, MaskHasTheNoiseShapeBroadcast) {
  const double rate = 0.4;
  const float scale = 1.0f / 0.6f;
  struct Case {
    Json noise;
    std::vector<bool> shared;  // per axis: the mask is constant along it
  };
  const std::vector<Case> cases = {
      {Json::array({nullptr, 1, nullptr}), {false, true, false}},
      {Json::array({1, nullptr, nullptr}), {true, false, false}},
      {Json::array({nullptr, 1, 1}), {false, true, true}},
      {Json::array({200, 30, 1}), {false, false, true}},
      {Json::array({nullptr, nullptr, nullptr}), {false, false, false}},
  };
  const layers::Shape s = {200, 30, 8};
  layers::Array x(s);
  std::fill(x.data.begin(), x.data.end(), 1.0f);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.noise.dump());
    auto l = makeLayer("Dropout", {{"rate", rate}, {"noise_shape", c.noise}}, {s});
    layers::TrainingContext ctx;
    ctx.seed = 3;
    std::unique_ptr<layers::LayerState> st;
    const auto y = l->forwardTrain({&x}, ctx, st);
    size_t dropped = 0;
    for (int64_t i = 0; i < s[0]; ++i) {
      for (int64_t j = 0; j < s[1]; ++j) {
        for (int64_t k = 0; k < s[2]; ++k) {
          const float v = y[0].data[static_cast<size_t>((i * s[1] + j) * s[2] + k)];
          ASSERT_TRUE(v == 0.0f || v == scale) << v;
          dropped += v == 0.0f;
          // Equal to the entry at index 0 of every shared axis.
          const int64_t i0 = c.shared[0] ? 0 : i, j0 = c.shared[1] ? 0 : j,
                        k0 = c.shared[2] ? 0 : k;
          ASSERT_EQ(v, y[0].data[static_cast<size_t>((i0 * s[1] + j0) * s[2] + k0)]);
        }
      }
    }
    EXPECT_NEAR(double(dropped) / double(x.data.size()), rate, 0.05);
    // Along an unshared axis the entries differ (not one draw for everything).
    std::set<float> seen(y[0].data.begin(), y[0].data.end());
    EXPECT_EQ(seen.size(), 2u);
  }
  // Gradients with the mask fixed by the seed.
  auto l = makeLayer("Dropout", {{"rate", 0.5}, {"noise_shape", Json::array({nullptr, 1, 3})}},
                     {{-1, 4, 3}});
  checkInputGradients(*l, {test::randomArray({3, 4, 3}, 2)}, 5, 7);
  LayersModel m = randomModel(
      sequential(Json::array({layer("Dense", "d", {{"units", 4}, {"activation", "tanh"}}),
                              layer("Dropout", "dr",
                                    {{"rate", 0.5}, {"noise_shape", Json::array({nullptr, 1, 4})}}),
                              layer("Flatten", "f"), layer("Dense", "d2", {{"units", 2}})}),
                 {3, 2}),
      8);
  checkGradients(m, {5, 3, 2}, 9);
}

TEST(TrainDropoutNoiseShape, ShapesThatCannotBroadcastAreRefused) {
  layers::Array x({2, 3, 4});
  struct Case {
    std::string cls;
    Json noise;
    ErrorCode code;
  };
  const std::vector<Case> cases = {
      {"Dropout", Json::array({nullptr, 2, 4}), ErrorCode::kInvalidArgument},
      {"Dropout", Json::array({nullptr, 4}), ErrorCode::kUnsupported},
      {"Dropout", Json::array({nullptr, "a", 4}), ErrorCode::kUnsupported},
      {"AlphaDropout", Json::array({nullptr, 1, 4}), ErrorCode::kUnsupported},
      {"AlphaDropout", Json::array({2, 3, 5}), ErrorCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.cls + " " + c.noise.dump());
    auto l = makeLayer(c.cls, {{"rate", 0.5}, {"noise_shape", c.noise}}, {x.shape});
    layers::TrainingContext ctx;
    std::unique_ptr<layers::LayerState> st;
    try {
      l->forwardTrain({&x}, ctx, st);
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), c.code) << e.what();
      EXPECT_NE(std::string(e.what()).find("noise_shape"), std::string::npos) << e.what();
    }
    // Inference never looks at it.
    EXPECT_EQ(l->call({&x})[0].data, x.data);
  }
}

// --- ConvLSTM2D dropout / recurrent_dropout ---

Json withRates(Json c, double d, double rd) {
  c["dropout"] = d;
  c["recurrent_dropout"] = rd;
  return c;
}

TEST(TrainConvLSTM2DDropout, GradientsWithFixedMasks) {
  const std::vector<Json> configs = {
      withRates({{"filters", 2}, {"kernel_size", 2}}, 0.3, 0.0),
      withRates({{"filters", 2}, {"kernel_size", 2}, {"padding", "same"}}, 0.0, 0.4),
      withRates({{"filters", 2}, {"kernel_size", 2}, {"return_sequences", true}}, 0.25, 0.35),
      withRates({{"filters", 2}, {"kernel_size", 3}, {"strides", 2}, {"go_backwards", true}}, 0.4,
                0.3),
      withRates({{"filters", 3},
                 {"kernel_size", 2},
                 {"padding", "same"},
                 {"use_bias", false},
                 {"recurrent_activation", "sigmoid"}},
                0.5, 0.5),
      withRates({{"filters", 2},
                 {"kernel_size", 2},
                 {"data_format", "channels_first"},
                 {"return_sequences", true}},
                0.3, 0.3),
  };
  for (const auto& c : configs) {
    SCOPED_TRACE(c.dump());
    const auto [topo, x] = test::convLstm2DSequence(c);
    LayersModel m = randomModel(topo, 61);
    checkGradients(m, x, 67);
  }
}

TEST(TrainConvLSTM2DDropout, InferenceIsUnchangedAndTrainingDrops) {
  std::mt19937 rng(4);
  layers::Array x({2, 3, 4, 4, 2}, randomFloats(2 * 3 * 4 * 4 * 2, rng));
  Json base = {{"filters", 2}, {"kernel_size", 2}, {"return_sequences", true}};
  LayersModel plain =
      randomModel(sequential(Json::array({layer("ConvLSTM2D", "cl", base)}), {3, 4, 4, 2}), 7);
  for (const auto& [d, rd] : std::vector<std::pair<double, double>>{{0.5, 0}, {0, 0.5}}) {
    SCOPED_TRACE(fmt::format("{} / {}", d, rd));
    LayersModel dropped = randomModel(
        sequential(Json::array({layer("ConvLSTM2D", "cl", withRates(base, d, rd))}), {3, 4, 4, 2}),
        7);
    internal::GraphTrainer tp(plain), td(dropped);
    const auto pp = tp.predict({x}), pd = td.predict({x});
    ASSERT_EQ(pp[0].data, pd[0].data);
    layers::TrainingContext c0, c1, c2;
    c1.seed = 1;
    c2.seed = 2;
    const auto fp = tp.forward({x}, c0);
    float most = 0;
    for (size_t i = 0; i < fp[0].data.size(); ++i)
      most = std::max(most, std::fabs(fp[0].data[i] - pp[0].data[i]));
    EXPECT_LT(most, 1e-5f);
    const auto f1 = td.forward({x}, c1);
    most = 0;
    for (size_t i = 0; i < f1[0].data.size(); ++i)
      most = std::max(most, std::fabs(f1[0].data[i] - pd[0].data[i]));
    EXPECT_GT(most, 1e-2f);
    EXPECT_NE(f1[0].data, td.forward({x}, c2)[0].data);
  }
}

// A 1x1-kernel ConvLSTM2D (valid padding: every convolution is a per-pixel product) computed
// here in double from TF.js's ConvLSTM2DCell.call, with the masks replayed from a copy of the
// TrainingContext in the documented order (four input masks [batch, rows, cols, channels], then
// four state masks [batch, rows, cols, filters], entry 0 with probability rate else
// 1 / (1 - rate)), gate g's input times mask g, h times state mask g, shared by every step.
TEST(TrainConvLSTM2DDropout, MasksPerGateSharedAcrossStepsAsTfjs) {
  const int64_t B = 2, T = 3, R = 2, C = 2, CH = 3, F = 2, G = 4 * F, P = R * C;
  const double rate = 0.4, rrate = 0.3;
  LayersModel m = randomModel(
      sequential(Json::array({layer("ConvLSTM2D", "cl",
                                    withRates({{"filters", F},
                                               {"kernel_size", 1},
                                               {"return_sequences", true},
                                               {"recurrent_activation", "hard_sigmoid"}},
                                              rate, rrate))}),
                 {T, R, C, CH}),
      23);
  internal::GraphTrainer t(m);
  const float* K = t.variables()[0].value;   // [1, 1, CH, G]
  const float* RK = t.variables()[1].value;  // [1, 1, F, G]
  const float* bias = t.variables()[2].value;
  std::mt19937 rng(8);
  layers::Array x({B, T, R, C, CH}, randomFloats(static_cast<size_t>(B * T * P * CH), rng));
  layers::TrainingContext ctx;
  ctx.seed = 77;
  layers::TrainingContext replay = ctx;
  const auto y = t.forward({x}, ctx);
  ASSERT_EQ(y[0].shape, (layers::Shape{B, T, R, C, F}));
  auto masks = [&](double r, int64_t n) {
    const auto keep = static_cast<float>(1 - r);
    std::vector<std::vector<double>> ms(4, std::vector<double>(static_cast<size_t>(n)));
    for (auto& mk : ms)
      for (double& v : mk) v = replay.uniform() < keep ? 1.0 / double(keep) : 0.0;
    return ms;
  };
  const auto mi = masks(rate, B * P * CH);
  const auto mr = masks(rrate, B * P * F);
  auto hs = [](double v) { return std::min(1.0, std::max(0.0, 0.2 * v + 0.5)); };
  std::vector<double> h(static_cast<size_t>(B * P * F), 0.0), c = h;
  for (int64_t s = 0; s < T; ++s) {
    std::vector<double> nh(h.size()), nc(c.size());
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t p = 0; p < P; ++p) {
        double z[4][8] = {};
        for (int64_t g = 0; g < 4; ++g) {
          for (int64_t f = 0; f < F; ++f) {
            double acc = bias[g * F + f];
            for (int64_t ch = 0; ch < CH; ++ch) {
              const size_t xi = static_cast<size_t>(((b * T + s) * P + p) * CH + ch);
              const size_t mi_at = static_cast<size_t>((b * P + p) * CH + ch);
              acc += x.data[xi] * mi[static_cast<size_t>(g)][mi_at] * K[ch * G + g * F + f];
            }
            for (int64_t k = 0; k < F; ++k) {
              const size_t hi = static_cast<size_t>((b * P + p) * F + k);
              acc += h[hi] * mr[static_cast<size_t>(g)][hi] * RK[k * G + g * F + f];
            }
            z[g][f] = acc;
          }
        }
        for (int64_t f = 0; f < F; ++f) {
          const size_t at = static_cast<size_t>((b * P + p) * F + f);
          const double i = hs(z[0][f]), fg = hs(z[1][f]), o = hs(z[3][f]);
          nc[at] = fg * c[at] + i * std::tanh(z[2][f]);
          nh[at] = o * std::tanh(nc[at]);
          EXPECT_NEAR(y[0].data[static_cast<size_t>(((b * T + s) * P + p) * F + f)], nh[at], 1e-5)
              << "step " << s << " sample " << b << " pixel " << p << " filter " << f;
        }
      }
    }
    h = nh;
    c = nc;
  }
  // The layer drew exactly the documented number of uniforms.
  EXPECT_EQ(ctx.counter, replay.counter);
}

}  // namespace
}  // namespace tfjs
