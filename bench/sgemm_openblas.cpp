// tfjs_bench_sgemm [--batch 32] [--seconds 2] [--threads N] [--library openblas|onednn]
//
// The BLAS reference of the inference benchmark (bench/infer.sh): how many GFLOP/s OpenBLAS's
// cblas_sgemm (or, with --library onednn, oneDNN's dnnl_sgemm) reaches on the matrix products of
// the benchmark's MLP (Dense 64→2048→2048→10) at one batch, on this machine, in the same run as the
// other figures. One "forward" is the three products chained as the model runs them, row-major with
// the kernels in TF.js's [in, out] layout: [B×64]·[64×2048] → [B×2048]·[2048×2048] →
// [B×2048]·[2048×10]; its FLOP count 2·B·(64·2048 + 2048·2048 + 2048·10) is the reference count for
// the model (bias, relu and softmax are not counted, and not run here). Each product is also timed
// alone.
//
// Measured at 1 thread and at N threads (default: every core, from sysconfig), set with
// openblas_set_num_threads (oneDNN: omp_set_num_threads). Each measurement: 3 untimed forwards,
// then forwards until --seconds have passed and at least 20 ran; min and median per forward. Prints
// one JSON object on stdout.
#include <cblas.h>
#include <dnnl.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

struct Stats {
  double minMs = 0;
  double medianMs = 0;
  int runs = 0;
};

Stats statsOf(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  Stats s;
  s.minMs = ms.front();
  s.medianMs = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  s.runs = static_cast<int>(n);
  return s;
}

struct Product {
  int k;  // inputs
  int n;  // outputs
};
constexpr Product kMlp[] = {{64, 2048}, {2048, 2048}, {2048, 10}};

// Repeats `fn` (after 3 untimed calls) until `seconds` have passed and at least 20 calls ran.
template <class Fn>
Stats timeIt(double seconds, Fn&& fn) {
  for (int i = 0; i < 3; ++i) fn();
  std::vector<double> ms;
  const auto start = Clock::now();
  while (ms.size() < 20 || msSince(start) < seconds * 1000) {
    const auto t0 = Clock::now();
    fn();
    ms.push_back(msSince(t0));
  }
  return statsOf(std::move(ms));
}

void printStats(const char* name, const Stats& s, double flops, const char* tail) {
  std::printf(
      "\"%s\": {\"minMs\": %.6f, \"medianMs\": %.6f, \"runs\": %d, \"flops\": %.0f, "
      "\"gflopsAtMin\": %.3f, \"gflopsAtMedian\": %.3f}%s",
      name, s.minMs, s.medianMs, s.runs, flops, flops / (s.minMs * 1e6), flops / (s.medianMs * 1e6),
      tail);
}

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "tfjs_bench_sgemm: %s\nusage: tfjs_bench_sgemm [--batch 32] [--seconds 2] "
               "[--threads N] [--library openblas|onednn]\n",
               msg);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  int batch = 32;
  double seconds = 2;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  int threads = cores > 0 ? static_cast<int>(cores) : 1;
  bool onednn = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) usage(("no value after " + a).c_str());
    if (a == "--library") {
      const std::string lib = argv[++i];
      if (lib != "openblas" && lib != "onednn") usage("--library is openblas or onednn");
      onednn = lib == "onednn";
      continue;
    }
    char* end = nullptr;
    const double v = std::strtod(argv[++i], &end);
    if (end == argv[i] || *end != '\0' || !(v > 0) || v > 1e6) {
      usage(("bad value for " + a).c_str());
    }
    if (a == "--batch") {
      batch = static_cast<int>(v);
    } else if (a == "--seconds") {
      seconds = v;
    } else if (a == "--threads") {
      threads = static_cast<int>(v);
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (batch < 1 || threads < 1) usage("--batch and --threads must be at least 1");

  // Seeded random matrices: the input, the three kernels, and one output per product.
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  auto randomVec = [&](size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = uni(rng);
    return v;
  };
  std::vector<float> x = randomVec(static_cast<size_t>(batch) * kMlp[0].k);
  std::vector<std::vector<float>> w;
  std::vector<std::vector<float>> y;
  double forwardFlops = 0;
  for (const Product& p : kMlp) {
    w.push_back(randomVec(static_cast<size_t>(p.k) * p.n));
    // Variance 1/k: chained outputs keep the input's scale (no overflow, no subnormals).
    const float scale = std::sqrt(3.0f / static_cast<float>(p.k));
    for (float& v : w.back()) v *= scale;
    y.emplace_back(static_cast<size_t>(batch) * p.n);
    forwardFlops += 2.0 * batch * p.k * p.n;
  }
  auto product = [&](size_t i) {
    const Product& p = kMlp[i];
    const float* a = i == 0 ? x.data() : y[i - 1].data();
    if (onednn) {
      dnnl_sgemm('N', 'N', batch, p.n, p.k, 1.0f, a, p.k, w[i].data(), p.n, 0.0f, y[i].data(), p.n);
    } else {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, p.n, p.k, 1.0f, a, p.k,
                  w[i].data(), p.n, 0.0f, y[i].data(), p.n);
    }
  };
  auto forward = [&] {
    for (size_t i = 0; i < std::size(kMlp); ++i) product(i);
  };

  if (onednn) {
    const dnnl_version_t* v = dnnl_version();
    const std::string config = "oneDNN " + std::to_string(v->major) + "." +
                               std::to_string(v->minor) + "." + std::to_string(v->patch);
    std::printf(
        "{\"library\": \"oneDNN\", \"config\": \"%s\", \"corename\": \"oneDNN\", "
        "\"batch\": %d, \"seconds\": %.3f, \"products\": [",
        config.c_str(), batch, seconds);
  } else {
    std::printf(
        "{\"library\": \"OpenBLAS\", \"config\": \"%s\", \"corename\": \"%s\", "
        "\"batch\": %d, \"seconds\": %.3f, \"products\": [",
        openblas_get_config(), openblas_get_corename(), batch, seconds);
  }
  for (size_t i = 0; i < std::size(kMlp); ++i) {
    std::printf("%s[%d, %d, %d]", i ? ", " : "", batch, kMlp[i].k, kMlp[i].n);
  }
  std::printf("], \"forwardFlops\": %.0f, \"runs\": [", forwardFlops);
  std::vector<int> counts = {1};
  if (threads != 1) counts.push_back(threads);
  for (size_t c = 0; c < counts.size(); ++c) {
    openblas_set_num_threads(counts[c]);
    omp_set_num_threads(counts[c]);
    std::printf("%s{\"threads\": %d, \"openblasThreads\": %d, ", c ? ", " : "", counts[c],
                onednn ? omp_get_max_threads() : openblas_get_num_threads());
    printStats("forward", timeIt(seconds, forward), forwardFlops, ", \"products\": [");
    for (size_t i = 0; i < std::size(kMlp); ++i) {
      const double flops = 2.0 * batch * kMlp[i].k * kMlp[i].n;
      std::printf("{");
      printStats("product", timeIt(seconds / 4, [&] { product(i); }), flops,
                 i + 1 < std::size(kMlp) ? "}, " : "}]}");
    }
    std::fflush(stdout);
  }
  // A checksum of the last output keeps the products observable.
  double sum = 0;
  for (float v : y.back()) sum += v;
  std::printf("], \"checksum\": %.6g}\n", sum);
  return 0;
}
