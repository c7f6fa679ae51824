// The walkthrough's model, in C++: y = 2x - 1 learned by one Dense unit, saved as a TF.js model
// and as a Keras .h5, loaded back, and asked for y(10).   usage: train_linear OUT_DIR
#include <cmath>
#include <cstdio>
#include <string>

#include "tfjs/tfjs.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: train_linear OUT_DIR\n");
    return 2;
  }
  const std::string out = argv[1];
  try {
    // [train]
    const tfjs::Sequential spec =
        tfjs::sequential({tfjs::layers::dense({.units = 1, .inputShape = {1}})});
    tfjs::LayersModel model = spec.build(/*seed=*/1);
    model.compile({.optimizer = "sgd", .loss = {"meanSquaredError"}});
    const tfjs::Tensor xs = tfjs::tensor({-1, 0, 1, 2, 3, 4}, {6, 1});
    const tfjs::Tensor ys = tfjs::tensor({-3, -1, 1, 3, 5, 7}, {6, 1});
    const tfjs::History history = model.fit(xs, ys, {.epochs = 500, .shuffle = false});
    std::printf("loss %g after %zu epochs\n", history.history.at("loss").back(),
                history.epoch.size());

    tfjs::SaveOptions save;
    save.overwrite = true;
    model.save(out + "/linear", save);  // model.json + group1-shard1of1.bin
    tfjs::ConvertOptions toKeras;
    toKeras.outputFormat = "keras";
    toKeras.overwrite = true;
    tfjs::convertModel(out + "/linear", out + "/linear.h5", toKeras);  // and a Keras .h5

    const tfjs::LayersModel loaded = tfjs::loadLayersModel(out + "/linear.h5");
    const std::vector<float> y = loaded.predict(tfjs::tensor({10}, {1, 1})).dataSync();
    std::printf("y(10) = %.5f\n", y[0]);  // about 19
    // [train]
    return std::abs(y[0] - 19) < 0.1 ? 0 : 1;
  } catch (const tfjs::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
