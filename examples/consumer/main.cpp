// Loads a TF.js model (folder, model.json path or http(s) URL) and prints its weights.
#include <cstdio>

#include "tfjs/tfjs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: load_model MODEL\n");
    return 2;
  }
  try {
    const tfjs::ModelArtifacts model = tfjs::loadModel(argv[1]);
    std::printf(
        "tfjs %s: %s, %zu weights, %zu bytes\n", TFJS_VERSION,
        model.inferredFormat() == tfjs::ModelFormat::kGraph ? "graph-model" : "layers-model",
        model.weightCount(), model.weightData.size());
    for (const auto& [name, tensor] : tfjs::decodeWeights(model)) {
      std::printf("  %s: %s, %lld elements\n", name.c_str(),
                  std::string(tfjs::dtypeName(tensor.dtype())).c_str(),
                  static_cast<long long>(tensor.size()));
    }
  } catch (const tfjs::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
