// tfjs/train.h — training a layers model natively, as tfjs-layers' compile / fit / evaluate do.
//
// The arguments mirror TF.js's ModelCompileArgs and ModelFitArgs (camelCase names become
// lowerCamel C++ fields). fit() runs TF.js's fit loop: an optional validation split taken from
// the end of the data before any shuffling, batches of batchSize in (shuffled) order, one
// optimizer step per batch on the batch's mean loss (summed over outputs), loss and metrics
// averaged over each epoch weighted by batch size, validation at each epoch's end. The losses,
// metrics and optimizers are TF.js's own definitions (see LayersModel::compile). Given the same
// starting weights, data and arguments (shuffle off), the per-epoch losses equal TF.js's within
// float32 rounding. Shuffling and Dropout use tfjs-cpp's own seeded random stream.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs {

struct CompileArgs {
  // "sgd", "momentum", "adam", "adamax", "rmsprop", "adagrad", "adadelta" or a Keras class name
  // ("SGD", "Adam", ...); optimizerConfig overrides its defaults (learning_rate / learningRate,
  // momentum, nesterov, beta_1, beta_2, epsilon, rho, decay, centered, ...).
  std::string optimizer = "sgd";
  Json optimizerConfig = Json::object();
  // One loss for every output ("meanSquaredError", "categoricalCrossentropy", ...; Keras names
  // and aliases such as "mse" too), or one per output.
  std::vector<std::string> loss = {"meanSquaredError"};
  std::vector<std::string> metrics;  // "accuracy"/"acc", "mse", "mae", ... for every output
};

// The values of one epoch (or one evaluation): "loss", then each metric, then "val_loss", ...
using Logs = std::map<std::string, double>;

struct FitArgs {
  int epochs = 1;
  int batchSize = 32;
  bool shuffle = true;
  uint64_t seed = 0;             // shuffling and Dropout (tfjs-cpp's stream)
  double validationSplit = 0.0;  // fraction of the samples, taken from the end, in [0, 1)
  // Validation data (takes precedence over validationSplit): x per input, y per output.
  std::vector<Tensor> validationX, validationY;
  int initialEpoch = 0;  // epochs run are initialEpoch .. epochs-1, as TF.js
  // Class weights (class index -> weight) for single-output models: each sample's loss is
  // weighted by its class (argmax of a one-hot y, or the value of a [n] / [n, 1] y).
  std::map<int, double> classWeight;
  // Early stopping (TF.js's tf.callbacks.earlyStopping): off when monitor is empty.
  struct EarlyStopping {
    std::string monitor;  // e.g. "val_loss"
    double minDelta = 0;
    int patience = 0;
    std::string mode = "auto";  // "min", "max" or "auto" (max for names containing "acc")
  } earlyStopping;
  // Called after each epoch with its index and logs; returning false stops training.
  std::function<bool(int epoch, const Logs& logs)> onEpochEnd;
  // Called after each batch's optimizer step with the epoch index, the batch index within the
  // epoch (0 .. batches-1), the batches per epoch and the batch's own loss and metrics (the loss
  // including the regularizer penalties, as TF.js's onBatchEnd logs); returning false stops
  // training after this batch (the epoch's logs then average the samples seen, as TF.js's).
  std::function<bool(int epoch, int batch, int batches, const Logs& logs)> onBatchEnd;
};

struct History {
  std::vector<int> epoch;
  std::map<std::string, std::vector<double>> history;  // "loss", "val_loss", metrics ...
};

}  // namespace tfjs
