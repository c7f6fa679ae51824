// train/losses.h — the losses and metrics of tfjs-layers' fit(), as TF.js defines them.
//
// Internal header (not installed). A Loss computes, for a batch, one loss value per sample (the
// elementwise losses take the mean over the last axis, as tfjs-layers' losses.ts does) and the
// gradient of a weighted sum of those per-sample losses with respect to the prediction. fit()
// combines them as tfjs-layers' training does: batch loss = mean over samples of
// (sample weight x per-sample loss), so the coefficients it passes to gradient() are
// weight_i / batch. All arithmetic is float32 in TF.js's order of operations where it matters
// (the same epsilons and clipping: TF.js's epsilon() is 1e-7).
//
// Names: the TF.js camelCase names ("meanSquaredError") and the Keras snake_case names and
// aliases TF.js also accepts ("mean_squared_error", "mse", ...). makeLoss / makeMetric throw
// tfjs::Error(kInvalidArgument) naming the unknown name and listing the known ones.
// Losses and metrics are immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "layers/layer.h"

namespace tfjs::train {

using layers::Array;

class Loss {
 public:
  virtual ~Loss() = default;
  // The canonical TF.js name, e.g. "meanSquaredError".
  virtual const std::string& name() const = 0;
  // Checks that yTrue fits yPred (same shape; for sparseCategoricalCrossentropy [batch] or
  // [batch, 1] class indices below yPred's last dimension) and throws kInvalidArgument otherwise.
  virtual void check(const Array& yTrue, const Array& yPred) const = 0;
  // out[i] = the loss of sample i (yPred.shape[0] samples).
  virtual void perSample(const Array& yTrue, const Array& yPred, float* out) const = 0;
  // dYPred = d(sum_i coeff[i] * loss_i) / d yPred (dYPred is resized to yPred's shape).
  virtual void gradient(const Array& yTrue, const Array& yPred, const float* coeff,
                        Array& dYPred) const = 0;
};

std::unique_ptr<Loss> makeLoss(const std::string& name);

// A metric: per-sample values, averaged by fit/evaluate as tfjs-layers averages them.
class Metric {
 public:
  virtual ~Metric() = default;
  // The name fit's history uses for it ("acc" for "accuracy"/"acc", as TF.js; the loss name
  // for a loss used as a metric, e.g. "meanSquaredError" or "mse" as given).
  virtual const std::string& name() const = 0;
  virtual void perSample(const Array& yTrue, const Array& yPred, float* out) const = 0;
};

// `lossName` resolves "accuracy"/"acc" (and crossentropy) to the binary, categorical or sparse
// variant as tfjs-layers does from the model's loss and output shape (`outputDim`: the last
// dimension of the output).
std::unique_ptr<Metric> makeMetric(const std::string& name, const std::string& lossName,
                                   int64_t outputDim);

}  // namespace tfjs::train
