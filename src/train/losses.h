// train/losses.h — the losses and metrics of tfjs-layers' fit(), as TF.js defines them.
//
// Internal header (not installed). A Loss computes, for a batch, one loss value per sample and the
// gradient of a weighted sum of those per-sample losses with respect to the prediction. TF.js's
// loss functions reduce only the last axis (elementwise losses take its mean, as tfjs-layers'
// losses.ts does); for yPred of rank > 2 ([batch, d1, ..., depth]) the per-sample value is the
// mean over d1... of those, so that the mean of the per-sample values is the mean fit() takes
// over the whole loss tensor. fit() combines them as tfjs-layers' training does: batch loss =
// mean over samples of (weight x per-sample loss), so the coefficients it passes to gradient()
// are weight_i / batch. (TF.js's fit takes per-sample weights only from classWeight; its
// sampleWeight argument throws "not implemented yet", and metrics are never weighted.) All
// arithmetic is float32 in TF.js's order of operations, with TF.js's epsilon() = 1e-7 and its
// clipping (e.g. binaryCrossentropy clips yPred to [eps, 1 - eps] and works on the logit
// log(y / (1 - y)); categoricalCrossentropy divides yPred by its sum over the last axis first);
// gradients are tf.grad's through those clips (zero where a value was clipped).
//
// Names: the TF.js camelCase names ("meanSquaredError"), Keras's snake_case spellings (turned
// into camelCase as tfjs-layers' loadTrainingConfig does) and the short aliases losses.ts exports
// ("mse", "MAE", "kld", "cosine", ...; TF.js's compile() itself rejects those as losses). "huber"
// (Keras's huber, delta 1.0) is not a tfjs-layers loss. makeLoss / makeMetric throw
// tfjs::Error(kInvalidArgument) naming the unknown name and listing the known ones; perSample,
// gradient and check throw kInvalidArgument for mismatched shapes and bad sparse labels.
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
  // Checks that yTrue fits yPred (yPred of rank >= 2; yTrue of the same shape, or for
  // sparseCategoricalCrossentropy yPred's shape without its last axis, optionally with a trailing
  // 1, holding integer class indices in [0, last dimension)) and throws kInvalidArgument
  // otherwise.
  virtual void check(const Array& yTrue, const Array& yPred) const = 0;
  // out[i] = the loss of sample i (yPred.shape[0] samples).
  virtual void perSample(const Array& yTrue, const Array& yPred, float* out) const = 0;
  // dYPred = d(sum_i coeff[i] * loss_i) / d yPred (dYPred is resized to yPred's shape).
  virtual void gradient(const Array& yTrue, const Array& yPred, const float* coeff,
                        Array& dYPred) const = 0;
};

std::unique_ptr<Loss> makeLoss(const std::string& name);

// tfjs-layers' toCamelCase ("mean_squared_error" -> "meanSquaredError"; a name without '_' is
// unchanged): how TF.js reads Keras's snake_case names of losses, metrics and optimizer options.
std::string toCamelCase(const std::string& s);

// A metric: per-sample values, averaged by fit/evaluate as tfjs-layers averages them. precision
// and recall are per-batch values in TF.js (counts over the whole batch of yPred == 1 exactly):
// every sample gets the batch's value. Metrics check shapes (and sparse labels) as Loss::check.
class Metric {
 public:
  virtual ~Metric() = default;
  // The name fit's history uses for it ("acc" for "accuracy"/"acc" and "ce" for
  // "crossentropy"/"ce", as TF.js; otherwise the name as given, e.g. "meanSquaredError" or
  // "mse").
  virtual const std::string& name() const = 0;
  virtual void perSample(const Array& yTrue, const Array& yPred, float* out) const = 0;
};

// `lossName` resolves "accuracy"/"acc" (and "crossentropy"/"ce") to the binary, categorical or
// sparse variant as tfjs-layers' compile() does from the model's loss and output shape
// (`outputDim`: the last dimension of the output): binary when outputDim is 1 or the loss is
// binaryCrossentropy, sparse when the loss is sparseCategoricalCrossentropy, else categorical.
// Other names: binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, precision, recall
// and every loss name (a superset of what TF.js's compile() accepts).
std::unique_ptr<Metric> makeMetric(const std::string& name, const std::string& lossName,
                                   int64_t outputDim);

}  // namespace tfjs::train
