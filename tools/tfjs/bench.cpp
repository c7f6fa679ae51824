// tfjs bench MODEL [--batch N] [--iters N] [--shape [NAME=]DxDx...]... [--json] — how fast a
// layers or graph model loads and runs.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>

#include "common.h"
#include "runnable.h"

namespace tfjs::cli {
namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// "--shape NAME=1x224x224x3" (NAME may be left out when the model has one input): the input's
// shape for the run, by input name (a graph model's signature key).
std::map<std::string, std::vector<int64_t>> parseShapes(const std::vector<std::string>& specs,
                                                        const std::vector<TensorInfo>& inputs) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const std::string& spec : specs) {
    const size_t eq = spec.rfind('=');
    std::string name = eq == std::string::npos ? "" : spec.substr(0, eq);
    const std::string dims = eq == std::string::npos ? spec : spec.substr(eq + 1);
    if (name.empty()) {
      if (inputs.size() != 1) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("--shape {}: the model has {} inputs, say which (NAME=...)", spec,
                                inputs.size()));
      }
      name = inputs[0].name;
    }
    const bool known = std::any_of(inputs.begin(), inputs.end(),
                                   [&](const TensorInfo& in) { return in.name == name; });
    if (!known) {
      std::vector<std::string> names;
      for (const TensorInfo& in : inputs) names.push_back(in.name);
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("--shape {}: the model has no input '{}' (its inputs: {})", spec,
                              name, fmt::join(names, ", ")));
    }
    std::vector<int64_t> shape;
    size_t at = 0;
    while (at <= dims.size() && !dims.empty()) {
      const size_t x = std::min(dims.find('x', at), dims.size());
      const std::string d = dims.substr(at, x - at);
      if (d.empty() || d.size() > 9 || !std::all_of(d.begin(), d.end(), ::isdigit)) {
        throw Error(
            ErrorCode::kInvalidArgument,
            fmt::format("--shape {}: '{}' is not a dimension (write 1x224x224x3)", spec, d));
      }
      shape.push_back(std::stoll(d));
      at = x + 1;
    }
    out[name] = shape;
  }
  return out;
}

}  // namespace

void registerBench(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand(
      "bench",
      "time a layers or graph model: load, first call, and milliseconds per batch (random inputs)");
  struct Opts {
    ModelArgs model;
    int64_t batch = 1;
    int iters = 20;
    bool json = false;
    std::vector<std::string> shapes;
    RunArgs compute;
  };
  auto o = std::make_shared<Opts>();
  o->model.add(*cmd);
  cmd->add_option("--batch", o->batch, "batch size")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--iters", o->iters, "timed calls after the first")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--shape", o->shapes,
                  "an input's shape, NAME=1x224x224x3 (NAME may be left out for a model with one "
                  "input); the others get --batch for the first unknown dimension, 1 for the rest")
      ->type_name("[NAME=]DIMS");
  o->compute.add(*cmd);
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([&run, o] {
    run = [o]() -> int {
      auto t0 = std::chrono::steady_clock::now();
      const Runnable m = Runnable::open(o->model, o->compute, true);
      const double loadMs = msSince(t0);
      // Random inputs of the model's shapes (--shape's where given) with the batch dimension
      // (and any other unknown dimension) set to --batch / 1; int32 and bool inputs are zeros
      // (a valid index).
      const auto shapes = parseShapes(o->shapes, m.inputs());
      std::mt19937 rng(42);
      std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
      std::vector<Tensor> xs;
      Json inputShapes = Json::object();
      for (const auto& in : m.inputs()) {
        std::vector<int64_t> shape = in.shape;
        if (const auto s = shapes.find(in.name); s != shapes.end()) shape = s->second;
        for (size_t d = 0; d < shape.size(); ++d) {
          if (shape[d] < 0) shape[d] = d == 0 ? o->batch : 1;
        }
        inputShapes[in.name] = shape;
        int64_t n = 1;
        for (int64_t d : shape) n *= d;
        if (in.dtype == DType::kInt32 || in.dtype == DType::kBool) {
          xs.push_back(zeros(shape, in.dtype));
          continue;
        }
        Buffer b = Buffer::allocate(static_cast<size_t>(n) * 4);
        for (int64_t i = 0; i < n; ++i) {
          const float v = uni(rng);
          std::memcpy(b.mutableData() + i * 4, &v, 4);
        }
        xs.emplace_back(DType::kFloat32, shape, std::move(b), 0);
      }
      t0 = std::chrono::steady_clock::now();
      m.run(xs);
      const double firstMs = msSince(t0);
      std::vector<double> times;
      for (int i = 0; i < o->iters; ++i) {
        t0 = std::chrono::steady_clock::now();
        m.run(xs);
        times.push_back(msSince(t0));
      }
      std::sort(times.begin(), times.end());
      // Rows per product of a Dense layer on a rank-2 input: the samples of one pass.
      const int64_t chunk = m.layers() ? m.layers()->batchChunk() : 0;
      const int64_t rowsPerPass = chunk > 0 ? std::min<int64_t>(chunk, o->batch) : o->batch;
      const double median = times[times.size() / 2];
      if (o->json) {
        Json out = {{"model", o->model.model}, {"batch", o->batch},
                    {"iters", o->iters},       {"threads", o->compute.threads},
                    {"loadMs", loadMs},        {"firstCallMs", firstMs},
                    {"medianMs", median},      {"minMs", times.front()},
                    {"maxMs", times.back()},   {"batchChunk", chunk}};
        out["format"] = m.isGraph() ? "graph-model" : "layers-model";
        out["inputShapes"] = inputShapes;
        const KernelInfo k = kernelInfo(rowsPerPass);
        out["isa"] = k.isa;
        out["denseKernel"] = k.dense;
        out["recurrentKernel"] = k.recurrent;
        std::printf("%s\n", jsonText(out).c_str());
      } else {
        std::printf("%s (batch %lld, %d calls)\n", o->model.model.c_str(),
                    static_cast<long long>(o->batch), o->iters);
        if (chunk > 0 && chunk < o->batch) {
          std::printf("  passes of    %10lld samples\n", static_cast<long long>(chunk));
        }
        const KernelInfo k = kernelInfo(rowsPerPass);
        std::printf("  kernels      %s; Dense: %s, recurrent: %s\n", k.isa.c_str(), k.dense.c_str(),
                    k.recurrent.c_str());
        std::printf("  load         %10.3f ms\n", loadMs);
        std::printf("  first call   %10.3f ms\n", firstMs);
        std::printf("  per batch    %10.3f ms median, %.3f min, %.3f max\n", median, times.front(),
                    times.back());
      }
      return kOk;
    };
  });
}

}  // namespace tfjs::cli
