// Loads a TF.js model (folder, model.json path or http(s) URL), prints its weights, and saves a
// copy with its kernels quantized to uint8 as `tensorflowjs_converter --quantize_uint8 '*kernel'`
// would.   usage: inspect_model MODEL [OUT]
#include <cstdio>
#include <string>

#include "tfjs/tfjs.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: inspect_model MODEL [OUT]\n");
    return 2;
  }
  try {
    // [inspect]
    tfjs::LoadOptions options;
    options.headers["User-Agent"] = "inspect_model";       // sent with every http(s) request
    options.onProgress = [](double done) { (void)done; };  // 0..1 as weight bytes arrive
    tfjs::ModelArtifacts model = tfjs::loadModel(argv[1], options);
    std::printf(
        "tfjs %s: %s, %zu weights, %zu bytes\n", TFJS_VERSION,
        model.inferredFormat() == tfjs::ModelFormat::kGraph ? "graph-model" : "layers-model",
        model.weightCount(), model.weightData.size());
    for (const auto& [name, tensor] : tfjs::decodeWeights(model)) {
      std::printf("  %s: %s %s\n", name.c_str(),
                  std::string(tfjs::dtypeName(tensor.dtype())).c_str(),
                  tfjs::Json(tensor.shape()).dump().c_str());
    }
    if (argc == 3) {
      tfjs::SaveOptions save;
      save.overwrite = true;
      tfjs::saveModel(tfjs::quantizeModel(model, {{tfjs::DType::kUint8, {"*kernel"}}}), argv[2],
                      save);
    }
    // [inspect]
  } catch (const tfjs::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
