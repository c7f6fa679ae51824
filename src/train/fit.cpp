// train/fit.cpp — LayersModel::compile / fit / evaluate / getWeights / toArtifacts: tfjs-layers'
// training loop (training.ts fitLoop, testLoop; callbacks BaseLogger, History, EarlyStopping)
// over the graph's training passes (model/graph_trainer.h), with TF.js's losses, metrics and
// optimizers (train/losses.h, train/optimizers.h).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "layers/layer.h"
#include "model/graph_trainer.h"
#include "tfjs/error.h"
#include "tfjs/layers_model.h"
#include "tfjs/version.h"
#include "tfjs/weights.h"
#include "train/losses.h"
#include "train/optimizers.h"
#include "train/regularizers.h"

namespace tfjs {
namespace internal {

// compile()'s choices, kept with the model (copies share it).
struct TrainingState {
  CompileArgs args;
  std::vector<std::unique_ptr<train::Loss>> losses;  // one per output
  // metrics[o]: the metrics of output o, in args.metrics order.
  std::vector<std::vector<std::unique_ptr<train::Metric>>> metrics;
  std::unique_ptr<train::Optimizer> optimizer;
};

}  // namespace internal

namespace {

using layers::Array;
using layers::Shape;

Array toArray(const Tensor& t, const std::string& what) {
  Array a(t.shape(), layers::kUninitialized);
  if (t.dtype() == DType::kFloat32) {
    const auto f = t.floats();
    std::copy(f.begin(), f.end(), a.data.begin());
  } else if (t.dtype() == DType::kInt32) {
    const auto v = t.ints();
    for (size_t i = 0; i < v.size(); ++i) a.data[i] = static_cast<float>(v[i]);
  } else if (t.dtype() == DType::kBool) {
    const auto v = t.bools();
    for (size_t i = 0; i < v.size(); ++i) a.data[i] = v[i] ? 1.0f : 0.0f;
  } else {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} is {}; float32, int32 or bool data was expected", what,
                            dtypeName(t.dtype())));
  }
  return a;
}

// Rows [rows[0], rows[1], ...] of a (dimension 0).
Array gather(const Array& a, const size_t* rows, size_t count) {
  Shape s = a.shape;
  s[0] = static_cast<int64_t>(count);
  Array out(s, layers::kUninitialized);
  const size_t inner = a.shape[0] ? a.data.size() / static_cast<size_t>(a.shape[0]) : 0;
  for (size_t r = 0; r < count; ++r) {
    std::copy_n(a.data.begin() + static_cast<std::ptrdiff_t>(rows[r] * inner), inner,
                out.data.begin() + static_cast<std::ptrdiff_t>(r * inner));
  }
  return out;
}

struct Data {
  std::vector<Array> x, y;
  size_t samples = 0;
};

// Checks x and y against the model and the losses; converts them to arrays.
Data prepare(const internal::TrainingState& st, const std::vector<TensorInfo>& inputs,
             const std::vector<TensorInfo>& outputs, const std::vector<Tensor>& x,
             const std::vector<Tensor>& y, const std::string& what) {
  if (x.size() != inputs.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: the model has {} input(s) but {} x tensor(s) were given", what,
                            inputs.size(), x.size()));
  }
  if (y.size() != outputs.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{}: the model has {} output(s) but {} y tensor(s) were given", what,
                            outputs.size(), y.size()));
  }
  Data d;
  auto samplesOf = [&](const Tensor& t, const std::string& name) -> size_t {
    if (t.shape().empty()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: {} is a scalar; a batch of samples (dimension 0) was expected",
                              what, name));
    }
    return static_cast<size_t>(t.shape()[0]);
  };
  d.samples = samplesOf(x[0], "x[0]");
  auto checkFinite = [&](const Array& a, const std::string& name) {
    for (size_t i = 0; i < a.data.size(); ++i) {
      if (!std::isfinite(a.data[i])) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("{}: {} holds {} at flat index {}; the data must be finite", what,
                                name, a.data[i], i));
      }
    }
  };
  for (size_t i = 0; i < x.size(); ++i) {
    const std::string name = fmt::format("x[{}] (input '{}')", i, inputs[i].name);
    if (samplesOf(x[i], name) != d.samples) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: {} has {} samples but x[0] has {}: every x and y needs the "
                              "same number of samples",
                              what, name, x[i].shape()[0], d.samples));
    }
    const auto& want = inputs[i].shape;
    bool ok = x[i].shape().size() == want.size();
    for (size_t k = 1; ok && k < want.size(); ++k) ok = want[k] < 0 || want[k] == x[i].shape()[k];
    if (!ok) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: {} has shape {} but the model expects {} (-1: any)", what, name,
                              Json(x[i].shape()).dump(), Json(want).dump()));
    }
    d.x.push_back(toArray(x[i], name));
    checkFinite(d.x.back(), name);
  }
  for (size_t o = 0; o < y.size(); ++o) {
    const std::string name = fmt::format("y[{}] (output '{}')", o, outputs[o].name);
    if (samplesOf(y[o], name) != d.samples) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: {} has {} samples but x has {}: x and y need the same number "
                              "of samples",
                              what, name, y[o].shape()[0], d.samples));
    }
    d.y.push_back(toArray(y[o], name));
    checkFinite(d.y.back(), name);
    // The loss checks the targets against a prediction of the output's shape.
    Shape ps = outputs[o].shape;
    ps[0] = static_cast<int64_t>(std::min<size_t>(d.samples, 1));
    for (auto& dim : ps) dim = std::max<int64_t>(dim, 1);
    const Array one = gather(d.y.back(), std::vector<size_t>{0}.data(), d.samples ? 1 : 0);
    if (d.samples) {
      try {
        st.losses[o]->check(one, Array(ps));
      } catch (const Error& e) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("{}: {}: {}", what, name, e.problems().front().message));
      }
    }
  }
  if (d.samples == 0) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("{}: no samples", what));
  }
  return d;
}

internal::TrainingState& compiled(const LayersModel& m) {
  auto& st = internal::GraphTrainer::trainingState(m);
  if (!st) {
    throw Error(ErrorCode::kInvalidArgument,
                "the model is not compiled: call compile() with an optimizer and a loss first");
  }
  return *st;
}

// Per-sample coefficients of one batch's loss: sample weight / batch size.
std::vector<float> coefficients(const FitArgs* args, const Array& y, size_t batch) {
  std::vector<float> c(batch, 1.0f / static_cast<float>(batch));
  if (!args || args->classWeight.empty()) return c;
  const size_t inner = batch ? y.data.size() / batch : 0;
  for (size_t i = 0; i < batch; ++i) {
    const float* row = y.data.data() + i * inner;
    int cls = 0;
    if (inner <= 1) {
      cls = static_cast<int>(std::lround(row[0]));
    } else {
      cls = static_cast<int>(std::max_element(row, row + inner) - row);
    }
    const auto it = args->classWeight.find(cls);
    const double w = it == args->classWeight.end() ? 1.0 : it->second;
    c[i] = static_cast<float>(w) / static_cast<float>(batch);
  }
  return c;
}

// The names fit's logs use: "loss", then each metric (prefixed by the output's name when the
// model has several outputs, with per-output losses, as tfjs-layers names them).
std::vector<std::string> logNames(const internal::TrainingState& st,
                                  const std::vector<TensorInfo>& outputs) {
  std::vector<std::string> names = {"loss"};
  const bool multi = outputs.size() > 1;
  if (multi) {
    for (const auto& o : outputs) names.push_back(o.name + "_loss");
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    for (const auto& m : st.metrics[o])
      names.push_back((multi ? outputs[o].name + "_" : "") + m->name());
  }
  return names;
}

// One batch's values in logNames order (losses and metrics as batch means), and dL/d(outputs)
// when `grads` is given.
std::vector<double> batchValues(const internal::TrainingState& st, const std::vector<Array>& yTrue,
                                const std::vector<Array>& yPred, const FitArgs* args,
                                std::vector<Array>* grads) {
  const size_t batch = static_cast<size_t>(yPred[0].shape[0]);
  std::vector<double> values = {0.0};
  std::vector<double> perOutput;
  std::vector<float> per(batch);
  for (size_t o = 0; o < yPred.size(); ++o) {
    const auto coeff = coefficients(args, yTrue[o], batch);
    st.losses[o]->perSample(yTrue[o], yPred[o], per.data());
    float mean = 0;  // TF.js: mean over the batch of (weight x loss), in float32
    for (size_t i = 0; i < batch; ++i) mean += per[i] * coeff[i] * static_cast<float>(batch);
    mean /= static_cast<float>(batch);
    values[0] += mean;
    perOutput.push_back(mean);
    if (grads) {
      Array g;
      st.losses[o]->gradient(yTrue[o], yPred[o], coeff.data(), g);
      grads->push_back(std::move(g));
    }
  }
  if (yPred.size() > 1) values.insert(values.end(), perOutput.begin(), perOutput.end());
  for (size_t o = 0; o < yPred.size(); ++o) {
    for (const auto& m : st.metrics[o]) {
      m->perSample(yTrue[o], yPred[o], per.data());
      float mean = 0;
      for (size_t i = 0; i < batch; ++i) mean += per[i];
      values.push_back(mean / static_cast<float>(batch));
    }
  }
  return values;
}

// TF.js's testLoop: batch means weighted by batch size, over all samples.
Logs evaluateData(const internal::TrainingState& st, internal::GraphTrainer& trainer, const Data& d,
                  size_t batchSize, const std::vector<std::string>& names,
                  const std::string& prefix) {
  std::vector<double> totals(names.size(), 0.0);
  std::vector<size_t> rows(d.samples);
  std::iota(rows.begin(), rows.end(), 0);
  for (size_t start = 0; start < d.samples; start += batchSize) {
    const size_t n = std::min(batchSize, d.samples - start);
    std::vector<Array> xs, ys;
    for (const auto& a : d.x) xs.push_back(gather(a, rows.data() + start, n));
    for (const auto& a : d.y) ys.push_back(gather(a, rows.data() + start, n));
    const auto pred = trainer.predict(std::move(xs));
    const auto v = batchValues(st, ys, pred, nullptr, nullptr);
    for (size_t k = 0; k < v.size(); ++k) totals[k] += v[k] * static_cast<double>(n);
  }
  Logs logs;
  for (size_t k = 0; k < names.size(); ++k) {
    logs[prefix + names[k]] = totals[k] / static_cast<double>(d.samples);
  }
  return logs;
}

}  // namespace

void LayersModel::compile(const CompileArgs& args) {
  auto st = std::make_shared<internal::TrainingState>();
  st->args = args;
  const auto& outs = outputs();
  if (args.loss.size() != 1 && args.loss.size() != outs.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("{} losses were given for a model with {} outputs: give one loss, or "
                            "one per output",
                            args.loss.size(), outs.size()));
  }
  for (size_t o = 0; o < outs.size(); ++o) {
    const std::string& lossName = args.loss.size() == 1 ? args.loss[0] : args.loss[o];
    st->losses.push_back(train::makeLoss(lossName));
    std::vector<std::unique_ptr<train::Metric>> ms;
    const int64_t dim = outs[o].shape.empty() ? 1 : outs[o].shape.back();
    for (const auto& m : args.metrics) ms.push_back(train::makeMetric(m, lossName, dim));
    st->metrics.push_back(std::move(ms));
  }
  st->optimizer = train::makeOptimizer(args.optimizer, args.optimizerConfig);
  internal::GraphTrainer::trainingState(*this) = std::move(st);
}

History LayersModel::fit(const Tensor& x, const Tensor& y, const FitArgs& args) {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, args);
}

History LayersModel::fit(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                         const FitArgs& args) {
  internal::TrainingState& st = compiled(*this);
  if (args.batchSize <= 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("batchSize = {}: a positive number was expected", args.batchSize));
  }
  if (args.epochs < 0 || args.initialEpoch < 0) {
    throw Error(ErrorCode::kInvalidArgument, "epochs and initialEpoch must not be negative");
  }
  if (!(args.validationSplit >= 0 && args.validationSplit < 1)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("validationSplit = {}: a fraction in [0, 1) was expected",
                            args.validationSplit));
  }
  if (!args.classWeight.empty() && outputs().size() != 1) {
    throw Error(ErrorCode::kInvalidArgument, "classWeight needs a model with one output");
  }
  Data all = prepare(st, inputs(), outputs(), x, y, "fit");
  Data train, val;
  bool validate = false;
  if (!args.validationX.empty() || !args.validationY.empty()) {
    val = prepare(st, inputs(), outputs(), args.validationX, args.validationY, "validationData");
    train = std::move(all);
    validate = true;
  } else if (args.validationSplit > 0) {
    // TF.js: the last samples (from floor(n * (1 - split))) validate, before any shuffling.
    const size_t splitAt = static_cast<size_t>(
        std::floor(static_cast<double>(all.samples) * (1 - args.validationSplit)));
    if (splitAt == 0 || splitAt >= all.samples) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("validationSplit = {} leaves {} training and {} validation samples "
                              "of {}: both must be at least 1",
                              args.validationSplit, splitAt, all.samples - splitAt, all.samples));
    }
    std::vector<size_t> a(splitAt), b(all.samples - splitAt);
    std::iota(a.begin(), a.end(), 0);
    std::iota(b.begin(), b.end(), splitAt);
    for (const auto& t : all.x) {
      train.x.push_back(gather(t, a.data(), a.size()));
      val.x.push_back(gather(t, b.data(), b.size()));
    }
    for (const auto& t : all.y) {
      train.y.push_back(gather(t, a.data(), a.size()));
      val.y.push_back(gather(t, b.data(), b.size()));
    }
    train.samples = a.size();
    val.samples = b.size();
    validate = true;
  } else {
    train = std::move(all);
  }

  internal::GraphTrainer trainer(*this);
  const auto names = logNames(st, outputs());
  std::vector<train::OptimizerVariable> vars;
  std::vector<size_t> trainableIndex;
  for (size_t k = 0; k < trainer.variables().size(); ++k) {
    if (trainer.variables()[k].trainable) trainableIndex.push_back(k);
  }
  // The regularizers' penalties (train/regularizers.h), resolved before any step: TF.js adds
  // them to every batch's loss, once per call of the owning layer, and trains the trainable
  // variables on them too.
  struct Penalty {
    size_t variable;
    train::Regularizer regularizer;
    double times;
  };
  std::vector<Penalty> penalties;
  for (size_t k = 0; k < trainer.variables().size(); ++k) {
    for (const auto& o : trainer.variables()[k].owners) {
      if (!o.config || o.calls == 0) continue;
      train::refuseConstraints(o.layer, o.className, *o.config);
      if (const auto r = train::regularizerOf(o.layer, o.className, *o.config, o.variable)) {
        penalties.push_back({k, *r, static_cast<double>(o.calls)});
      }
    }
  }
  History history;
  std::mt19937_64 shuffleRng(args.seed);
  layers::TrainingContext ctx;
  ctx.seed = args.seed ^ 0x5DEECE66Dull;
  std::vector<size_t> order(train.samples);
  std::iota(order.begin(), order.end(), 0);
  const size_t batchSize = static_cast<size_t>(args.batchSize);
  // Early stopping state (tf.callbacks.earlyStopping).
  const auto& es = args.earlyStopping;
  const bool maximize =
      es.mode == "max" || (es.mode == "auto" && es.monitor.find("acc") != std::string::npos);
  double best = maximize ? -INFINITY : INFINITY;
  int wait = 0;
  for (int epoch = args.initialEpoch; epoch < args.epochs; ++epoch) {
    if (args.shuffle) std::shuffle(order.begin(), order.end(), shuffleRng);
    std::vector<double> totals(names.size(), 0.0);
    size_t seen = 0;
    bool stopInEpoch = false;
    for (size_t start = 0; start < train.samples; start += batchSize) {
      const size_t n = std::min(batchSize, train.samples - start);
      seen += n;
      double batchPenalty = 0;
      std::vector<Array> xs, ys;
      for (const auto& a : train.x) xs.push_back(gather(a, order.data() + start, n));
      for (const auto& a : train.y) ys.push_back(gather(a, order.data() + start, n));
      const auto pred = trainer.forward(std::move(xs), ctx);
      std::vector<Array> dOut;
      const auto v = batchValues(st, ys, pred, &args, &dOut);
      for (size_t k = 0; k < v.size(); ++k) totals[k] += v[k] * static_cast<double>(n);
      for (const Penalty& p : penalties) {  // the weights as this batch's forward used them
        const auto& tv = trainer.variables()[p.variable];
        const double penalty = p.times * p.regularizer.penalty(tv.value, tv.size);
        batchPenalty += penalty;
        totals[0] += penalty * static_cast<double>(n);
      }
      auto grads = trainer.backward(std::move(dOut));
      for (const Penalty& p : penalties) {
        const auto& tv = trainer.variables()[p.variable];
        if (tv.trainable) {
          p.regularizer.addGradient(tv.value, grads[p.variable].data.data(), tv.size, p.times);
        }
      }
      vars.clear();
      for (size_t k : trainableIndex) {
        const auto& tv = trainer.variables()[k];
        vars.push_back({tv.name, tv.value, grads[k].data.data(), tv.size});
      }
      st.optimizer->applyGradients(vars);
      if (args.onBatchEnd) {
        Logs bl;
        for (size_t k = 0; k < v.size() && k < names.size(); ++k) bl[names[k]] = v[k];
        if (!names.empty()) bl[names[0]] += batchPenalty;
        const int batches = static_cast<int>((train.samples + batchSize - 1) / batchSize);
        if (!args.onBatchEnd(epoch, static_cast<int>(start / batchSize), batches, bl)) {
          stopInEpoch = true;
          break;
        }
      }
    }
    trainer.commit();
    Logs logs;
    for (size_t k = 0; k < names.size(); ++k) {
      logs[names[k]] = totals[k] / static_cast<double>(std::max<size_t>(seen, 1));
    }
    if (validate) {
      const Logs vl = evaluateData(st, trainer, val, batchSize, names, "val_");
      logs.insert(vl.begin(), vl.end());
    }
    history.epoch.push_back(epoch);
    for (const auto& [k, v] : logs) history.history[k].push_back(v);
    bool stop = (args.onEpochEnd && !args.onEpochEnd(epoch, logs)) || stopInEpoch;
    if (!es.monitor.empty()) {
      const auto it = logs.find(es.monitor);
      if (it == logs.end()) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("early stopping monitors '{}', which fit does not log (it logs "
                                "{})",
                                es.monitor, Json(names).dump()));
      }
      const double cur = it->second;
      const bool better = maximize ? cur - es.minDelta > best : cur + es.minDelta < best;
      if (better) {
        best = cur;
        wait = 0;
      } else if (++wait >= es.patience) {
        stop = true;
      }
    }
    if (stop) break;
  }
  trainer.commit();
  return history;
}

Logs LayersModel::evaluate(const std::vector<Tensor>& x, const std::vector<Tensor>& y,
                           int batchSize) const {
  const internal::TrainingState& st = compiled(*this);
  if (batchSize <= 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("batchSize = {}: a positive number was expected", batchSize));
  }
  const Data d = prepare(st, inputs(), outputs(), x, y, "evaluate");
  internal::GraphTrainer trainer(const_cast<LayersModel&>(*this));
  return evaluateData(st, trainer, d, static_cast<size_t>(batchSize), logNames(st, outputs()), "");
}

std::vector<NamedTensor> LayersModel::getWeights() const {
  return internal::GraphTrainer::currentWeights(*this);
}

ModelArtifacts LayersModel::toArtifacts(bool includeOptimizer) const {
  const ModelArtifacts& loaded = internal::GraphTrainer::loadedArtifacts(*this);
  ModelArtifacts a;
  a.format = "layers-model";
  a.generatedBy = "tfjs-cpp v" TFJS_VERSION;
  a.convertedBy = std::nullopt;
  a.modelTopology = loaded.modelTopology;
  a.keyOrder = {"modelTopology", "format", "generatedBy", "convertedBy", "weightsManifest"};
  const auto& st = internal::GraphTrainer::trainingState(*this);
  if (st) {
    Json loss = st->args.loss.size() == 1 ? Json(st->args.loss[0]) : Json(st->args.loss);
    a.trainingConfig = {
        {"loss", loss},
        {"metrics", st->args.metrics},
        {"optimizer_config",
         {{"class_name", st->optimizer->className()}, {"config", st->optimizer->config()}}}};
    a.keyOrder.push_back("trainingConfig");
  }
  // One group, as TF.js's handlers write it; with includeOptimizer the optimizer's weights follow
  // the model's, their specs marked group "optimizer" (tfjs-layers' save()).
  std::vector<NamedTensor> weights = getWeights();
  const size_t modelCount = weights.size();
  if (includeOptimizer && st && st->optimizer->iterations() > 0) {
    // Slots come flat ("dense/kernel/m" of [n]); TF.js saves them in their variable's shape.
    for (auto& w : st->optimizer->weights()) {
      for (size_t i = 0; i < modelCount; ++i) {
        const std::string& v = weights[i].name;
        if (w.name.size() > v.size() && w.name.compare(0, v.size(), v) == 0 &&
            w.name[v.size()] == '/' && w.tensor.size() == weights[i].tensor.size() &&
            w.tensor.dtype() == DType::kFloat32) {
          Buffer b = Buffer::allocate(std::max<size_t>(w.tensor.byteLength(), 4));
          if (w.tensor.byteLength())
            std::memcpy(b.mutableData(), w.tensor.bytes(), w.tensor.byteLength());
          w.tensor = Tensor(DType::kFloat32, weights[i].tensor.shape(), b, 0);
          break;
        }
      }
      weights.push_back(std::move(w));
    }
  }
  EncodedGroup g = encodeWeights(weights);
  for (size_t i = modelCount; i < g.specs.size(); ++i) g.specs[i].group = "optimizer";
  std::vector<EncodedGroup> groups;
  groups.push_back(std::move(g));
  setWeightGroups(a, std::move(groups));
  return a;
}

}  // namespace tfjs
