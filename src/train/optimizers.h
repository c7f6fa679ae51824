// train/optimizers.h — tf.train optimizers, with TF.js's update rules, defaults and state.
//
// Internal header (not installed). An Optimizer updates a fixed list of float32 variables from
// their gradients, one step per applyGradients call, keeping per-variable state (momentum
// accumulators, Adam's moments, ...) in the order the variables were first given. The rules are
// TF.js's (tfjs-core/src/optimizers/*.ts), float32 op by op, not Keras's where they differ:
// Adam's epsilon is added to sqrt of the bias-corrected v; RMSProp adds epsilon inside the
// square root, but centered RMSProp subtracts it (sqrt(ms - (mg^2 + epsilon)), which can give
// NaN, as in TF.js); Adadelta divides by the accumulated gradient of the previous step; Adagrad's
// epsilon is always 1e-7; sgd with momentum is TF.js's MomentumOptimizer (accumulation =
// momentum * accumulation + g; Nesterov as TF.js computes it).
//
// makeOptimizer(name, config) accepts TF.js's names ("sgd", "momentum", "adam", "adamax",
// "rmsprop", "adagrad", "adadelta"; any case, so also TF.js's class names "RMSProp", ...), the
// Keras class names a training_config holds ("SGD", "Adam", "RMSprop", ..., with or without
// Keras's "Custom>" prefix), and a config in Keras snake_case or TF.js camelCase
// (learning_rate / learningRate / lr, momentum, nesterov / useNesterov, beta_1 / beta1, beta_2,
// epsilon, rho, decay, centered, initial_accumulator_value). Absent options take the defaults of
// tfjs-layers' compile() for that name (e.g. adam 0.001 / 0.9 / 0.999 / 1e-7, adadelta lr 1.0,
// adagrad lr 0.01, adamax lr 0.002, sgd lr 0.01); "momentum" requires learningRate and momentum.
// RMSprop's `rho` is TF.js's `decay`; when `rho` is given, `decay` is Keras's learning-rate decay.
// SGD with momentum > 0 becomes TF.js's MomentumOptimizer (TF.js's own loadTrainingConfig keeps
// only SGD's learning rate and silently drops the momentum). Keras-only options are accepted at
// their neutral values (decay 0 except Adamax, amsgrad false, clipnorm / clipvalue /
// weight_decay null, use_ema false, ...) and are tfjs::Error(kUnsupported) otherwise. Unknown
// names or options, and non-numeric values, are tfjs::Error(kInvalidArgument).
// Not thread-safe: one optimizer per training run.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs::train {

struct OptimizerVariable {
  std::string name;   // the variable's name, e.g. "dense/kernel" (names the state when saved)
  float* value;       // updated in place
  const float* grad;  // null: no gradient this step (TF.js skips the variable)
  size_t size;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One step. The list must name the same variables, in the same order and sizes, at every
  // step (kInvalidArgument otherwise).
  virtual void applyGradients(std::span<const OptimizerVariable> variables) = 0;
  // The TF.js class name ("SGD", "Momentum", "Adam", "Adamax", "RMSProp", "Adagrad",
  // "Adadelta") and its getConfig() ({"learningRate": ..., "beta1": ...}), as tfjs-layers
  // writes them into a model's training_config.optimizer_config.
  virtual std::string className() const = 0;
  virtual Json config() const = 0;
  // The state as TF.js's optimizer.getWeights() names and orders it, for saving with
  // includeOptimizer: "iter" (int32 scalar), then each state kind for every variable in turn
  // (Adam: all "<var>/m", then all "<var>/v"; Momentum "/momentum"; RMSProp "/rms",
  // "/momentum" and, centered, "/mg"; Adagrad "/accumulator"; Adadelta "/accum_grad",
  // "/accum_var"). Before the first step only "iter". The float32 tensors are flat ([size]): the
  // caller knows the variables' shapes. Adamax throws kUnsupported (TF.js's Adamax has no
  // getWeights()).
  virtual std::vector<NamedTensor> weights() const = 0;
  virtual int64_t iterations() const = 0;
};

std::unique_ptr<Optimizer> makeOptimizer(const std::string& name,
                                         const Json& config = Json::object());

}  // namespace tfjs::train
