// tf.train optimizers (tfjs-core/src/optimizers/*_optimizer.ts) with their float32 update order,
// and the names and defaults tfjs-layers gives them (tfjs-layers/src/optimizers.ts).
//
// Every TF.js op rounds its result to float32 and a JS number operand becomes a float32 scalar,
// so each update below is a sequence of float operations on float32-rounded constants, in the
// order TF.js applies the ops (the library is built with -ffp-contract=off: no fused
// multiply-add). sqrt is correctly rounded in both.
#include "train/optimizers.h"
#include "train/losses.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "tfjs/error.h"

namespace tfjs::train {
namespace {

constexpr double kBackendEpsilon = 1e-7;  // ENGINE.backend.epsilon() on the cpu backend

[[noreturn]] void invalid(const std::string& message) {
  throw Error(ErrorCode::kInvalidArgument, message);
}

float jsMax(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<float>::quiet_NaN();
  return a > b ? a : b;
}

// ---------------------------------------------------------------------------------------------
// Options: the config with keys in TF.js camelCase.

class Options {
 public:
  Options(std::string optimizer, const Json& config) : optimizer_(std::move(optimizer)) {
    if (config.is_null()) return;
    if (!config.is_object()) {
      invalid(fmt::format("{} optimizer: the config must be a JSON object, got {}", optimizer_,
                          config.dump()));
    }
    for (const auto& [key, value] : config.items()) {
      std::string k = toCamelCase(key);
      if (k == "lr") k = "learningRate";
      if (k == "nesterov") k = "useNesterov";
      if (values_.count(k)) {
        invalid(fmt::format("{} optimizer: option '{}' is given twice (as '{}' and '{}')",
                            optimizer_, k, spelling_[k], key));
      }
      values_[k] = value;
      spelling_[k] = key;
    }
  }

  bool has(const std::string& k) const {
    auto it = values_.find(k);
    return it != values_.end() && !it->second.is_null();
  }
  // A finite number, or `def` when absent or null.
  double number(const std::string& k, std::optional<double> def) {
    used_.insert(k);
    if (!has(k)) {
      if (!def) invalid(fmt::format("{} optimizer: option '{}' is required", optimizer_, k));
      return *def;
    }
    const Json& v = values_.at(k);
    if (!v.is_number() || !std::isfinite(v.get<double>())) {
      invalid(fmt::format("{} optimizer: option '{}' must be a finite number, got {}", optimizer_,
                          spelling_.at(k), v.dump()));
    }
    return v.get<double>();
  }
  bool boolean(const std::string& k, bool def) {
    used_.insert(k);
    if (!has(k)) return def;
    const Json& v = values_.at(k);
    if (!v.is_boolean()) {
      invalid(fmt::format("{} optimizer: option '{}' must be true or false, got {}", optimizer_,
                          spelling_.at(k), v.dump()));
    }
    return v.get<bool>();
  }
  // Keras-only options that TF.js cannot honour: accepted at their neutral value only.
  void neutralNumber(const std::string& k, const std::string& what) {
    if (has(k) && number(k, 0.0) != 0.0) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{} optimizer: option '{}' = {} is not supported ({} does not "
                              "exist in TF.js's optimizer); only 0 or null is accepted",
                              optimizer_, spelling_.at(k), values_.at(k).dump(), what));
    }
    used_.insert(k);
  }
  void neutralNull(const std::string& k, const std::string& what) {
    if (has(k)) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{} optimizer: option '{}' = {} is not supported ({} does not "
                              "exist in TF.js's optimizer); only null is accepted",
                              optimizer_, spelling_.at(k), values_.at(k).dump(), what));
    }
    used_.insert(k);
  }
  void neutralFalse(const std::string& k, const std::string& what) {
    if (boolean(k, false)) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{} optimizer: option '{}' = true is not supported ({} does not "
                              "exist in TF.js's optimizer)",
                              optimizer_, spelling_.at(k), what));
    }
  }
  void ignore(const std::string& k) { used_.insert(k); }

  // The options every Keras optimizer config carries, at their neutral values.
  void kerasCommon() {
    if (has("name") && !values_.at("name").is_string()) {
      invalid(fmt::format("{} optimizer: 'name' must be a string", optimizer_));
    }
    ignore("name");
    neutralNumber("weightDecay", "weight decay");
    neutralNull("clipnorm", "gradient clipping");
    neutralNull("globalClipnorm", "gradient clipping");
    neutralNull("clipvalue", "gradient clipping");
    neutralFalse("useEma", "an exponential moving average of the weights");
    ignore("emaMomentum");  // only used with use_ema
    ignore("emaOverwriteFrequency");
    ignore("jitCompile");
    ignore("isLegacyOptimizer");
    neutralNull("lossScaleFactor", "loss scaling");
    neutralNull("gradientAccumulationSteps", "gradient accumulation");
  }

  // Throws for any option no reader asked for.
  void finish(const std::vector<std::string>& known) const {
    for (const auto& [k, v] : values_) {
      if (used_.count(k)) continue;
      std::string list;
      for (const std::string& n : known) list += (list.empty() ? "" : ", ") + n;
      invalid(fmt::format("{} optimizer: unknown option '{}'; known options: {}", optimizer_,
                          spelling_.at(k), list));
    }
  }

 private:
  std::string optimizer_;
  std::map<std::string, Json> values_;
  std::map<std::string, std::string> spelling_;
  std::set<std::string> used_;
};

// ---------------------------------------------------------------------------------------------
// The shared part: variable bookkeeping and per-variable state slots.

Tensor floatTensor(const std::vector<int64_t>& shape, const float* v, size_t n) {
  Buffer b = Buffer::allocate(n * sizeof(float));
  if (n) std::memcpy(b.mutableData(), v, n * sizeof(float));
  return Tensor(DType::kFloat32, shape, b, 0);
}

class OptimizerBase : public Optimizer {
 public:
  int64_t iterations() const override { return iterations_; }

  std::vector<NamedTensor> weights() const override {
    std::vector<NamedTensor> out;
    Buffer b = Buffer::allocate(sizeof(int32_t));
    const auto iter = static_cast<int32_t>(iterations_);
    std::memcpy(b.mutableData(), &iter, sizeof iter);
    out.push_back({"iter", Tensor(DType::kInt32, {}, b, 0)});
    for (size_t s = 0; s < slots_.size(); ++s) {
      for (size_t v = 0; v < names_.size(); ++v) {
        const std::vector<float>& st = state_[s][v];
        out.push_back({names_[v] + "/" + slots_[s],
                       floatTensor({static_cast<int64_t>(st.size())}, st.data(), st.size())});
      }
    }
    return out;
  }

  void applyGradients(std::span<const OptimizerVariable> variables) override {
    bind(variables);
    beginStep();
    for (size_t v = 0; v < variables.size(); ++v) {
      const OptimizerVariable& var = variables[v];
      if (!var.grad) continue;  // TF.js skips a variable without a gradient
      update(v, var.value, var.grad, var.size);
    }
    endStep();
    ++iterations_;
  }

 protected:
  // `slots`: the state names in TF.js's getWeights() order ("m", "v"); `init`: their initial
  // value (TF.js: zerosLike, or fill for Adagrad's accumulator).
  OptimizerBase(std::vector<std::string> slots, float init = 0.0f)
      : slots_(std::move(slots)), init_(init) {}

  virtual void beginStep() {}
  virtual void endStep() {}
  virtual void update(size_t v, float* value, const float* grad, size_t n) = 0;
  float* slot(size_t s, size_t v) { return state_[s][v].data(); }

 private:
  void bind(std::span<const OptimizerVariable> variables) {
    for (const OptimizerVariable& var : variables) {
      if (var.size > 0 && !var.value) {
        invalid(fmt::format("optimizer: variable '{}' has no value buffer", var.name));
      }
    }
    if (!bound_) {
      std::set<std::string> seen;
      for (const OptimizerVariable& var : variables) {
        if (!seen.insert(var.name).second) {
          invalid(fmt::format("optimizer: variable '{}' is given twice", var.name));
        }
        names_.push_back(var.name);
        sizes_.push_back(var.size);
      }
      state_.assign(slots_.size(), {});
      for (auto& perVar : state_) {
        for (size_t n : sizes_) perVar.emplace_back(n, init_);
      }
      bound_ = true;
      return;
    }
    if (variables.size() != names_.size()) {
      invalid(fmt::format("optimizer: {} variables given, but the optimizer was first used with {}",
                          variables.size(), names_.size()));
    }
    for (size_t v = 0; v < variables.size(); ++v) {
      if (variables[v].name != names_[v] || variables[v].size != sizes_[v]) {
        invalid(fmt::format(
            "optimizer: variable {} is '{}' with {} values, but was '{}' with {} values at the "
            "first step (the list must stay the same)",
            v, variables[v].name, variables[v].size, names_[v], sizes_[v]));
      }
    }
  }

  std::vector<std::string> slots_;
  float init_;
  bool bound_ = false;
  std::vector<std::string> names_;
  std::vector<size_t> sizes_;
  std::vector<std::vector<std::vector<float>>> state_;  // [slot][variable][element]
  int64_t iterations_ = 0;
};

// ---------------------------------------------------------------------------------------------

class SGD : public OptimizerBase {
 public:
  explicit SGD(double lr) : OptimizerBase({}), lr_(lr), c_(static_cast<float>(-lr)) {}
  std::string className() const override { return "SGD"; }
  Json config() const override { return Json{{"learningRate", lr_}}; }

 protected:
  void update(size_t, float* value, const float* g, size_t n) override {
    for (size_t i = 0; i < n; ++i) value[i] = c_ * g[i] + value[i];
  }

 private:
  double lr_;
  float c_;
};

class Momentum : public OptimizerBase {
 public:
  Momentum(double lr, double momentum, bool nesterov)
      : OptimizerBase({"momentum"}),
        lr_(lr),
        momentum_(momentum),
        nesterov_(nesterov),
        c_(static_cast<float>(-lr)),
        m_(static_cast<float>(momentum)) {}
  std::string className() const override { return "Momentum"; }
  Json config() const override {
    return Json{{"learningRate", lr_}, {"momentum", momentum_}, {"useNesterov", nesterov_}};
  }

 protected:
  void update(size_t v, float* value, const float* g, size_t n) override {
    float* acc = slot(0, v);
    for (size_t i = 0; i < n; ++i) {
      const float a = m_ * acc[i] + g[i];
      value[i] = nesterov_ ? c_ * (g[i] + a * m_) + value[i] : c_ * a + value[i];
      acc[i] = a;
    }
  }

 private:
  double lr_, momentum_;
  bool nesterov_;
  float c_, m_;
};

class Adam : public OptimizerBase {
 public:
  Adam(double lr, double beta1, double beta2, double epsilon)
      : OptimizerBase({"m", "v"}),
        lr_(lr),
        beta1_(beta1),
        beta2_(beta2),
        epsilon_(epsilon),
        negLr_(static_cast<float>(-lr)),
        b1_(static_cast<float>(beta1)),
        b2_(static_cast<float>(beta2)),
        oneMinusB1_(static_cast<float>(1.0 - beta1)),
        oneMinusB2_(static_cast<float>(1.0 - beta2)),
        eps_(static_cast<float>(epsilon)),
        accBeta1_(b1_),
        accBeta2_(b2_) {}
  std::string className() const override { return "Adam"; }
  Json config() const override {
    return Json{{"learningRate", lr_}, {"beta1", beta1_}, {"beta2", beta2_}, {"epsilon", epsilon_}};
  }

 protected:
  void beginStep() override {
    oneMinusAcc1_ = 1.0f - accBeta1_;
    oneMinusAcc2_ = 1.0f - accBeta2_;
  }
  void update(size_t v, float* value, const float* g, size_t n) override {
    float* m = slot(0, v);
    float* s = slot(1, v);
    for (size_t i = 0; i < n; ++i) {
      const float newM = m[i] * b1_ + g[i] * oneMinusB1_;
      const float newV = s[i] * b2_ + (g[i] * g[i]) * oneMinusB2_;
      const float mHat = newM / oneMinusAcc1_;
      const float vHat = newV / oneMinusAcc2_;
      m[i] = newM;
      s[i] = newV;
      value[i] = (mHat / (std::sqrt(vHat) + eps_)) * negLr_ + value[i];
    }
  }
  void endStep() override {
    accBeta1_ = accBeta1_ * b1_;
    accBeta2_ = accBeta2_ * b2_;
  }

 private:
  double lr_, beta1_, beta2_, epsilon_;
  float negLr_, b1_, b2_, oneMinusB1_, oneMinusB2_, eps_;
  float accBeta1_, accBeta2_;
  float oneMinusAcc1_ = 0, oneMinusAcc2_ = 0;
};

class Adamax : public OptimizerBase {
 public:
  Adamax(double lr, double beta1, double beta2, double epsilon, double decay)
      : OptimizerBase({"m", "v"}),
        lr_(lr),
        beta1_(beta1),
        beta2_(beta2),
        epsilon_(epsilon),
        decay_(decay),
        negLr_(static_cast<float>(-lr)),
        b1_(static_cast<float>(beta1)),
        b2_(static_cast<float>(beta2)),
        oneMinusB1_(static_cast<float>(1.0 - beta1)),
        eps_(static_cast<float>(epsilon)),
        decayF_(static_cast<float>(decay)),
        accBeta1_(b1_) {}
  std::string className() const override { return "Adamax"; }
  Json config() const override {
    return Json{{"learningRate", lr_},
                {"beta1", beta1_},
                {"beta2", beta2_},
                {"epsilon", epsilon_},
                {"decay", decay_}};
  }
  std::vector<NamedTensor> weights() const override {
    throw Error(ErrorCode::kUnsupported,
                "the Adamax optimizer has no weights to save: TF.js's AdamaxOptimizer does not "
                "implement getWeights(), so a model trained with it cannot be saved with its "
                "optimizer state");
  }

 protected:
  void beginStep() override {
    oneMinusAcc1_ = 1.0f - accBeta1_;
    stepLr_ = negLr_ / (iteration_ * decayF_ + 1.0f);
  }
  void update(size_t v, float* value, const float* g, size_t n) override {
    float* m = slot(0, v);
    float* u = slot(1, v);
    for (size_t i = 0; i < n; ++i) {
      const float newM = m[i] * b1_ + g[i] * oneMinusB1_;
      const float newU = jsMax(u[i] * b2_, std::fabs(g[i]));
      m[i] = newM;
      u[i] = newU;
      value[i] = (stepLr_ / oneMinusAcc1_) * (newM / (newU + eps_)) + value[i];
    }
  }
  void endStep() override {
    iteration_ = iteration_ + 1.0f;
    accBeta1_ = accBeta1_ * b1_;
  }

 private:
  double lr_, beta1_, beta2_, epsilon_, decay_;
  float negLr_, b1_, b2_, oneMinusB1_, eps_, decayF_;
  float accBeta1_;
  float iteration_ = 0;
  float oneMinusAcc1_ = 0, stepLr_ = 0;
};

class RMSProp : public OptimizerBase {
 public:
  RMSProp(double lr, double decay, double momentum, double epsilon, bool centered)
      : OptimizerBase(centered ? std::vector<std::string>{"rms", "momentum", "mg"}
                               : std::vector<std::string>{"rms", "momentum"}),
        lr_(lr),
        decay_(decay),
        momentum_(momentum),
        epsilon_(epsilon),
        centered_(centered),
        lrF_(static_cast<float>(lr)),
        decayF_(static_cast<float>(decay)),
        oneMinusDecay_(static_cast<float>(1.0 - decay)),
        momentumF_(static_cast<float>(momentum)),
        eps_(static_cast<float>(epsilon)) {}
  std::string className() const override { return "RMSProp"; }
  Json config() const override {
    return Json{{"learningRate", lr_},
                {"decay", decay_},
                {"momentum", momentum_},
                {"epsilon", epsilon_},
                {"centered", centered_}};
  }

 protected:
  void update(size_t v, float* value, const float* g, size_t n) override {
    float* ms = slot(0, v);
    float* mom = slot(1, v);
    float* mg = centered_ ? slot(2, v) : nullptr;
    for (size_t i = 0; i < n; ++i) {
      const float newMs = ms[i] * decayF_ + (g[i] * g[i]) * oneMinusDecay_;
      float denominator;
      if (centered_) {
        // TF.js subtracts epsilon here: sqrt(ms - (mg^2 + epsilon)).
        const float newMg = mg[i] * decayF_ + g[i] * oneMinusDecay_;
        denominator = std::sqrt(newMs - (newMg * newMg + eps_));
        mg[i] = newMg;
      } else {
        denominator = std::sqrt(newMs + eps_);
      }
      const float newMom = mom[i] * momentumF_ + (g[i] * lrF_) / denominator;
      ms[i] = newMs;
      mom[i] = newMom;
      value[i] = value[i] - newMom;
    }
  }

 private:
  double lr_, decay_, momentum_, epsilon_;
  bool centered_;
  float lrF_, decayF_, oneMinusDecay_, momentumF_, eps_;
};

class Adagrad : public OptimizerBase {
 public:
  Adagrad(double lr, double initialAccumulatorValue)
      : OptimizerBase({"accumulator"}, static_cast<float>(initialAccumulatorValue)),
        lr_(lr),
        initial_(initialAccumulatorValue),
        negLr_(static_cast<float>(-lr)),
        eps_(static_cast<float>(kBackendEpsilon)) {}
  std::string className() const override { return "Adagrad"; }
  Json config() const override {
    return Json{{"learningRate", lr_}, {"initialAccumulatorValue", initial_}};
  }

 protected:
  void update(size_t v, float* value, const float* g, size_t n) override {
    float* acc = slot(0, v);
    for (size_t i = 0; i < n; ++i) {
      const float a = acc[i] + g[i] * g[i];
      acc[i] = a;
      value[i] = (g[i] / std::sqrt(a + eps_)) * negLr_ + value[i];
    }
  }

 private:
  double lr_, initial_;
  float negLr_, eps_;
};

class Adadelta : public OptimizerBase {
 public:
  Adadelta(double lr, double rho, double epsilon)
      : OptimizerBase({"accum_grad", "accum_var"}),
        lr_(lr),
        rho_(rho),
        epsilon_(epsilon),
        negLr_(static_cast<float>(-lr)),
        rhoF_(static_cast<float>(rho)),
        oneMinusRho_(static_cast<float>(1.0 - rho)),
        eps_(static_cast<float>(epsilon)) {}
  std::string className() const override { return "Adadelta"; }
  Json config() const override {
    return Json{{"learningRate", lr_}, {"rho", rho_}, {"epsilon", epsilon_}};
  }

 protected:
  void update(size_t v, float* value, const float* g, size_t n) override {
    float* ag = slot(0, v);
    float* au = slot(1, v);
    for (size_t i = 0; i < n; ++i) {
      const float newAg = ag[i] * rhoF_ + (g[i] * g[i]) * oneMinusRho_;
      // TF.js divides by the accumulated gradient of the previous step (ag, not newAg).
      const float upd = (std::sqrt(au[i] + eps_) / std::sqrt(ag[i] + eps_)) * g[i];
      const float newAu = au[i] * rhoF_ + (upd * upd) * oneMinusRho_;
      ag[i] = newAg;
      au[i] = newAu;
      value[i] = upd * negLr_ + value[i];
    }
  }

 private:
  double lr_, rho_, epsilon_;
  float negLr_, rhoF_, oneMinusRho_, eps_;
};

// ---------------------------------------------------------------------------------------------

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Keras's legacy learning-rate decay (lr / (1 + decay * iterations)), which only TF.js's Adamax
// has: accepted at 0 elsewhere.
void noLegacyDecay(Options& o) {
  o.neutralNumber("decay", "learning-rate decay");
}

}  // namespace

std::unique_ptr<Optimizer> makeOptimizer(const std::string& name, const Json& config) {
  std::string base = name;
  if (base.rfind("Custom>", 0) == 0) base = base.substr(7);  // Keras 2.11+ h5 class names
  const std::string key = lower(base);
  Options o(base.empty() ? name : base, config);
  o.kerasCommon();
  const std::vector<std::string> common = {"name",
                                           "weight_decay",
                                           "clipnorm",
                                           "global_clipnorm",
                                           "clipvalue",
                                           "use_ema",
                                           "ema_momentum",
                                           "ema_overwrite_frequency",
                                           "jit_compile",
                                           "is_legacy_optimizer",
                                           "loss_scale_factor",
                                           "gradient_accumulation_steps"};
  auto known = [&](std::vector<std::string> own) {
    own.insert(own.end(), common.begin(), common.end());
    return own;
  };
  // Defaults for absent options: those of tfjs-layers' getOptimizer(name).
  if (key == "sgd") {
    const double lr = o.number("learningRate", 0.01);
    const double momentum = o.number("momentum", 0.0);
    const bool nesterov = o.boolean("useNesterov", false);
    noLegacyDecay(o);
    o.finish(known({"learningRate (lr)", "momentum", "nesterov", "decay (0)"}));
    if (momentum != 0.0) return std::make_unique<Momentum>(lr, momentum, nesterov);
    return std::make_unique<SGD>(lr);
  }
  if (key == "momentum") {
    const double lr = o.number("learningRate", std::nullopt);
    const double momentum = o.number("momentum", std::nullopt);
    const bool nesterov = o.boolean("useNesterov", false);
    o.finish(known({"learningRate", "momentum", "useNesterov"}));
    return std::make_unique<Momentum>(lr, momentum, nesterov);
  }
  if (key == "adam") {
    const double lr = o.number("learningRate", 0.001);
    const double beta1 = o.number("beta1", 0.9);
    const double beta2 = o.number("beta2", 0.999);
    const double epsilon = o.number("epsilon", kBackendEpsilon);
    o.neutralFalse("amsgrad", "AMSGrad");
    noLegacyDecay(o);
    o.finish(known({"learningRate (lr)", "beta1 (beta_1)", "beta2 (beta_2)", "epsilon",
                    "amsgrad (false)", "decay (0)"}));
    return std::make_unique<Adam>(lr, beta1, beta2, epsilon);
  }
  if (key == "adamax") {
    const double lr = o.number("learningRate", 0.002);
    const double beta1 = o.number("beta1", 0.9);
    const double beta2 = o.number("beta2", 0.999);
    const double epsilon = o.number("epsilon", kBackendEpsilon);
    const double decay = o.number("decay", 0.0);
    o.finish(known({"learningRate (lr)", "beta1 (beta_1)", "beta2 (beta_2)", "epsilon", "decay"}));
    return std::make_unique<Adamax>(lr, beta1, beta2, epsilon, decay);
  }
  if (key == "rmsprop") {
    const double lr = o.number("learningRate", 0.001);
    // TF.js calls the moving-average factor `decay`; Keras calls it `rho` and uses `decay` for
    // its legacy learning-rate decay. A config with `rho` is Keras's.
    double decay;
    if (o.has("rho")) {
      decay = o.number("rho", 0.9);
      noLegacyDecay(o);
    } else {
      decay = o.number("decay", 0.9);
      o.ignore("rho");
    }
    const double momentum = o.number("momentum", 0.0);
    const double epsilon = o.number("epsilon", kBackendEpsilon);
    const bool centered = o.boolean("centered", false);
    o.finish(known(
        {"learningRate (lr)", "decay (TF.js) or rho (Keras)", "momentum", "epsilon", "centered"}));
    return std::make_unique<RMSProp>(lr, decay, momentum, epsilon, centered);
  }
  if (key == "adagrad") {
    const double lr = o.number("learningRate", 0.01);
    const double initial = o.number("initialAccumulatorValue", 0.1);
    if (o.has("epsilon") && std::fabs(o.number("epsilon", 0.0) - kBackendEpsilon) > 1e-12) {
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{} optimizer: epsilon {} is not supported: TF.js's Adagrad always "
                              "uses the backend epsilon 1e-7",
                              base, o.number("epsilon", 0.0)));
    }
    o.ignore("epsilon");
    noLegacyDecay(o);
    o.finish(known({"learningRate (lr)", "initialAccumulatorValue (initial_accumulator_value)",
                    "epsilon (1e-7)", "decay (0)"}));
    return std::make_unique<Adagrad>(lr, initial);
  }
  if (key == "adadelta") {
    const double lr = o.number("learningRate", 1.0);
    const double rho = o.number("rho", 0.95);
    const double epsilon = o.number("epsilon", kBackendEpsilon);
    noLegacyDecay(o);
    o.finish(known({"learningRate (lr)", "rho", "epsilon", "decay (0)"}));
    return std::make_unique<Adadelta>(lr, rho, epsilon);
  }
  invalid(fmt::format(
      "unknown optimizer '{}'; known optimizers: sgd, momentum, adam, adamax, rmsprop, adagrad, "
      "adadelta (any case, e.g. the Keras class names SGD, Adam, RMSprop; TF.js has no other "
      "optimizer)",
      name));
}

}  // namespace tfjs::train
