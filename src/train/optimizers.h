// train/optimizers.h — tf.train optimizers, with TF.js's update rules, defaults and state.
//
// Internal header (not installed). An Optimizer updates a fixed list of float32 variables from
// their gradients, one step per applyGradients call, keeping per-variable state (momentum
// accumulators, Adam's moments, ...) in the order the variables were first given. The rules are
// TF.js's (tfjs-core/src/optimizers/*.ts), not Keras's where they differ: e.g. RMSProp adds
// epsilon inside the square root, Adam's epsilon defaults to 1e-7, sgd with momentum is TF.js's
// MomentumOptimizer (accumulation = momentum * accumulation + g; Nesterov as TF.js computes it).
//
// makeOptimizer(name, config) accepts TF.js's names ("sgd", "momentum", "adam", "adamax",
// "rmsprop", "adagrad", "adadelta"), the Keras class names a training_config holds ("SGD",
// "Adam", "RMSprop", ...; SGD with momentum > 0 becomes TF.js's MomentumOptimizer), and a config
// in Keras snake_case or TF.js camelCase (learning_rate / learningRate / lr, momentum, nesterov /
// useNesterov, beta_1 / beta1, beta_2, epsilon, rho, decay, centered,
// initial_accumulator_value). Unknown names or options are tfjs::Error(kInvalidArgument).
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
  std::string name;  // the variable's name, e.g. "dense/kernel" (names the state when saved)
  float* value;      // updated in place
  const float* grad;
  size_t size;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One step. The list must name the same variables, in the same order, at every step.
  virtual void applyGradients(std::span<const OptimizerVariable> variables) = 0;
  // The TF.js class name ("SGDOptimizer", "MomentumOptimizer", "AdamOptimizer", ...) and its
  // getConfig(), as tfjs-layers writes them into a model's training_config.optimizer_config.
  virtual std::string className() const = 0;
  virtual Json config() const = 0;
  // The state as TF.js's optimizer.getWeights() names it (e.g. "iter", then "dense/kernel/m",
  // "dense/kernel/v" for Adam), for saving with includeOptimizer.
  virtual std::vector<NamedTensor> weights() const = 0;
  virtual int64_t iterations() const = 0;
};

std::unique_ptr<Optimizer> makeOptimizer(const std::string& name,
                                         const Json& config = Json::object());

}  // namespace tfjs::train
