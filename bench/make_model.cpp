// tfjs_bench_make_model OUTDIR [MiB=64] [shards=16]
//
// Writes the benchmark model: a Keras Sequential of bias-free Dense layers (a real topology that
// tf.loadLayersModel builds) whose float32 kernels total exactly MiB mebibytes, saved with
// tfjs::saveModel in `shards` equal shards (group1-shardKofN.bin). The layer width is chosen so
// that there are at least four layers when possible, and the kernels straddle shard boundaries
// (64 MiB / 16 shards: four 2048x2048 kernels of 16 MiB over sixteen 4 MiB shards).
// Prints one JSON line describing what was written.
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"
#include "tfjs/version.h"
#include "tfjs/weights.h"

namespace {

uint64_t parsePositive(const char* text, const char* what) {
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (end == text || *end != '\0' || v == 0) {
    throw std::runtime_error(fmt::format("{} must be a positive integer, got '{}'", what, text));
  }
  return v;
}

tfjs::Json denseLayer(const std::string& name, int64_t units, int64_t inputDim, bool first) {
  tfjs::Json config = tfjs::Json::object();
  config["name"] = name;
  config["trainable"] = true;
  if (first) config["batch_input_shape"] = tfjs::Json::array({nullptr, inputDim});
  config["dtype"] = "float32";
  config["units"] = units;
  config["activation"] = "linear";
  config["use_bias"] = false;
  config["kernel_initializer"] = {{"class_name", "GlorotUniform"}, {"config", {{"seed", nullptr}}}};
  config["bias_initializer"] = {{"class_name", "Zeros"}, {"config", tfjs::Json::object()}};
  config["kernel_regularizer"] = nullptr;
  config["bias_regularizer"] = nullptr;
  config["activity_regularizer"] = nullptr;
  config["kernel_constraint"] = nullptr;
  config["bias_constraint"] = nullptr;
  return {{"class_name", "Dense"}, {"config", config}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 2 || argc > 4) {
      std::fprintf(stderr, "usage: %s OUTDIR [MiB=64] [shards=16]\n", argv[0]);
      return 2;
    }
    const std::string outDir = argv[1];
    const uint64_t mib = argc > 2 ? parsePositive(argv[2], "MiB") : 64;
    const uint64_t shards = argc > 3 ? parsePositive(argv[3], "shards") : 16;
    const uint64_t totalBytes = mib << 20;

    // Widest square kernel (<= 2048) that divides the total into at least four layers; 512x512
    // (exactly 1 MiB) always divides it.
    int64_t width = 512;
    for (int64_t w : {2048, 1024}) {
      const uint64_t kernelBytes = static_cast<uint64_t>(w * w) * 4;
      if (totalBytes % kernelBytes == 0 && totalBytes / kernelBytes >= 4) {
        width = w;
        break;
      }
    }
    const uint64_t kernelBytes = static_cast<uint64_t>(width * width) * 4;
    const uint64_t layers = totalBytes / kernelBytes;

    tfjs::Json layerList = tfjs::Json::array();
    std::vector<tfjs::NamedTensor> tensors;
    uint32_t state = 0x9e3779b9u;  // xorshift32: deterministic, non-trivial values
    const float scale = 1.0f / static_cast<float>(width);
    for (uint64_t l = 0; l < layers; ++l) {
      const std::string name = l == 0 ? "dense" : fmt::format("dense_{}", l);
      layerList.push_back(denseLayer(name, width, width, l == 0));
      tfjs::Buffer buf = tfjs::Buffer::allocate(kernelBytes);
      auto* values = reinterpret_cast<float*>(buf.mutableData());
      for (uint64_t i = 0; i < kernelBytes / 4; ++i) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        values[i] = (static_cast<float>(state >> 8) / 8388608.0f - 1.0f) * scale;
      }
      tensors.push_back({name + "/kernel",
                         tfjs::Tensor(tfjs::DType::kFloat32, {width, width}, std::move(buf), 0)});
    }

    tfjs::ModelArtifacts a;
    a.format = "layers-model";
    a.generatedBy = "tfjs-cpp bench/make_model";
    a.convertedBy = fmt::format("tfjs-cpp {}", TFJS_VERSION);
    a.modelTopology = {
        {"keras_version", "2.13.1"},
        {"backend", "tensorflow"},
        {"model_config",
         {{"class_name", "Sequential"},
          {"config", {{"name", "sequential"}, {"layers", layerList}}}}},
    };
    std::vector<tfjs::EncodedGroup> groups;
    groups.push_back(tfjs::encodeWeights(tensors));
    tensors.clear();
    tfjs::setWeightGroups(a, std::move(groups));

    tfjs::SaveOptions opt;
    opt.shardSizeBytes = (totalBytes + shards - 1) / shards;
    opt.overwrite = true;
    tfjs::saveModel(a, outDir, opt);

    // Check what landed on disk: exactly `shards` shard files holding totalBytes.
    uint64_t files = 0;
    uint64_t bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(outDir)) {
      if (e.path().extension() == ".bin") {
        ++files;
        bytes += e.file_size();
      }
    }
    if (files != shards || bytes != totalBytes) {
      throw std::runtime_error(
          fmt::format("wrote {} shard files holding {} bytes; expected {} "
                      "holding {}",
                      files, bytes, shards, totalBytes));
    }
    tfjs::Json report = {{"dir", outDir},    {"weightBytes", totalBytes},
                         {"shards", files},  {"shardBytes", opt.shardSizeBytes},
                         {"layers", layers}, {"width", width}};
    std::printf("%s\n", report.dump().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfjs_bench_make_model: %s\n", e.what());
    return 1;
  }
}
