// A functional model with two inputs built in C++ (tf.input / layer.apply / tf.model), its
// layers and weights, transfer learning with a frozen layer, and named inputs.
//   usage: functional
#include <cstdio>

#include "tfjs/tfjs.h"

int main() {
  try {
    // [functional]
    auto a = tfjs::input({.shape = {4}, .name = "a"});
    auto b = tfjs::input({.shape = {4}, .name = "b"});
    auto shared = tfjs::layers::dense({.units = 8, .activation = "relu", .name = "shared"});
    auto joined = tfjs::layers::concatenate({}).apply({shared.apply(a), shared.apply(b)});
    auto out = tfjs::layers::dense({.units = 1, .name = "head"}).apply(joined);
    tfjs::LayersModel model = tfjs::model({.inputs = {a, b}, .outputs = {out}}).build(/*seed=*/7);

    for (const tfjs::Layer& layer : model.layers()) {
      std::printf("%s (%s): %lld params\n", layer.name().c_str(), layer.className().c_str(),
                  static_cast<long long>(layer.countParams()));
    }
    model.getLayer("shared").setTrainable(false);  // train the head only
    model.compile({.optimizer = "adam", .loss = {"meanSquaredError"}});
    const tfjs::Tensor xa = tfjs::ones({16, 4}), xb = tfjs::zeros({16, 4});
    model.fit({xa, xb}, {tfjs::fill({16, 1}, 3.0f)}, {.epochs = 20, .batchSize = 8});

    const auto ys = model.predictNamed({{"a", tfjs::ones({1, 4})}, {"b", tfjs::zeros({1, 4})}});
    std::printf("prediction %.4f\n", ys[0].dataSync()[0]);
    tfjs::LayersModel copy = model.clone();  // a deep copy; models are move-only
    std::printf("%zu weights\n", copy.getWeights().size());
    // [functional]
  } catch (const tfjs::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
