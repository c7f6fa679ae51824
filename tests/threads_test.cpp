// predict() from several threads: layers_model.h promises that predict() may be called from
// several threads at once on one model, and that models are independent of one another (clone(),
// loading the same folder twice). Each test compares every thread's result with the same call made
// alone first, bit for bit. Built and run under ThreadSanitizer by scripts/test.sh (TFJS_TSAN),
// where a data race is a failure even when the numbers come out right.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "test_util.h"
#include "tfjs/tfjs.h"

namespace tfjs {
namespace {

namespace L = tfjs::layers;

constexpr int kThreads = 4;
constexpr int kRounds = 3;

bool sameBytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.byteLength() == b.byteLength() &&
         std::memcmp(a.bytes(), b.bytes(), a.byteLength()) == 0;
}

// A tensor of the given shape filled with a deterministic pattern that depends on `seed`.
Tensor pattern(const std::vector<int64_t>& shape, int seed) {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    v[static_cast<size_t>(i)] = static_cast<float>(((i * 37 + seed * 101) % 97) - 48) / 32.0f;
  }
  return tensor(v, shape);
}

// Runs `work(thread index)` on kThreads threads at once (released together), and returns how
// many calls reported a mismatch.
template <typename Work>
int runTogether(Work work) {
  std::atomic<bool> go{false};
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      for (int r = 0; r < kRounds; ++r) {
        if (!work(t)) ++mismatches;
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  return mismatches.load();
}

LayersModel convAndRecurrentModel() {
  auto img = input({.shape = {8, 8, 3}, .name = "img"});
  auto seq = input({.shape = {5, 4}, .name = "seq"});
  auto c = L::conv2d({.filters = 4, .kernelSize = {3, 3}, .activation = "relu"}).apply(img);
  auto p = L::maxPooling2d({.poolSize = {2, 2}}).apply(c);
  auto n = L::batchNormalization().apply(p);
  auto f = L::flatten().apply(n);
  auto r = L::lstm({.units = 6}).apply(seq);
  auto g = L::gru({.units = 3}).apply(seq);
  auto joined = L::concatenate({}).apply({f, r, g});
  auto out = L::dense({.units = 2, .activation = "softmax"}).apply(joined);
  return model({.inputs = {img, seq}, .outputs = {out}}).build(/*seed=*/3);
}

// One model, several threads: each thread predicts its own inputs (and batch size, so the
// kernels' scratch sizes differ between threads) and must get what a lone call got.
TEST(Threads, PredictFromSeveralThreadsOnOneModel) {
  const LayersModel m =
      sequential({L::dense({.units = 64, .activation = "relu", .inputShape = {32}}),
                  L::dense({.units = 64, .activation = "tanh"}),
                  L::dense({.units = 10, .activation = "softmax"})})
          .build(/*seed=*/1);
  std::vector<Tensor> xs, want;
  for (int t = 0; t < kThreads; ++t) {
    xs.push_back(pattern({1 + 7 * t, 32}, t));
    want.push_back(m.predict(xs.back()));
  }
  EXPECT_EQ(runTogether([&](int t) { return sameBytes(m.predict(xs[t]), want[t]); }), 0);
}

TEST(Threads, PredictConvolutionsAndRecurrentLayersFromSeveralThreads) {
  const LayersModel m = convAndRecurrentModel();
  std::vector<std::vector<Tensor>> xs;
  std::vector<Tensor> want;
  for (int t = 0; t < kThreads; ++t) {
    const int64_t batch = 1 + t;
    xs.push_back({pattern({batch, 8, 8, 3}, t), pattern({batch, 5, 4}, t + 10)});
    want.push_back(m.predict(xs.back())[0]);
  }
  EXPECT_EQ(runTogether([&](int t) { return sameBytes(m.predict(xs[t])[0], want[t]); }), 0);
}

// Several models loaded from one folder, each predicting in its own thread, while another thread
// loads the folder again: loading shares nothing mutable between models.
TEST(Threads, ModelsLoadedFromOneFolderAreIndependent) {
  test::TempDir tmp;
  const std::string dir = (tmp / "model").string();
  convAndRecurrentModel().save(dir);
  const std::vector<Tensor> x = {pattern({2, 8, 8, 3}, 1), pattern({2, 5, 4}, 2)};
  const Tensor want = loadLayersModel(dir).predict(x)[0];
  EXPECT_EQ(runTogether([&](int) { return sameBytes(loadLayersModel(dir).predict(x)[0], want); }),
            0);
}

// fit() on a clone in one thread while other threads predict with the original: the original's
// results never change, and the clone's do.
TEST(Threads, FitOnACloneWhileTheOriginalPredicts) {
  const LayersModel original =
      sequential({L::dense({.units = 16, .activation = "relu", .inputShape = {8}}),
                  L::dense({.units = 1})})
          .build(/*seed=*/5);
  const Tensor x = pattern({4, 8}, 7);
  const Tensor want = original.predict(x);
  LayersModel copy = original.clone();
  copy.compile({.optimizer = "sgd", .loss = {"meanSquaredError"}});
  std::atomic<int> mismatches{0};
  std::thread trainer([&] {
    copy.fit(pattern({32, 8}, 3), fill({32, 1}, 2.0f), {.epochs = 5, .batchSize = 8});
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < kThreads - 1; ++t) {
    readers.emplace_back([&] {
      for (int r = 0; r < 10; ++r) {
        if (!sameBytes(original.predict(x), want)) ++mismatches;
      }
    });
  }
  trainer.join();
  for (auto& th : readers) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_FALSE(sameBytes(copy.predict(x), want));
}

}  // namespace
}  // namespace tfjs
