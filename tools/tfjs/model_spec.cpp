// The model spec of `tfjs train`: "in:SHAPE,LAYER,LAYER,..." with SHAPE like 1 or 28x28x1 and each
// LAYER a kind followed by its fields, positionally, separated by ':' (modelSpecSyntax() lists
// them). Strict: a missing required field, a field of the wrong form and a field beyond the kind's
// last are errors naming the field and the kind's syntax. Built with tfjs/builder.h.
#include <fmt/format.h>

#include <sstream>

#include "common.h"
#include "tfjs/builder.h"

namespace tfjs::cli {
namespace {

struct Kind {
  const char* name;
  const char* syntax;  // "dense:UNITS[:ACTIVATION]"
  size_t required;     // fields after the kind that must be given
  size_t fields;       // fields after the kind that may be given
};

// Keep in step with the README's `tfjs train` row and the builders below.
const Kind kKinds[] = {
    {"dense", "dense:UNITS[:ACTIVATION]", 1, 2},
    {"conv2d", "conv2d:FILTERS:KERNEL[:ACTIVATION[:PADDING]] (PADDING valid or same)", 2, 4},
    {"maxpool2d", "maxpool2d:SIZE[:STRIDES]", 1, 2},
    {"avgpool2d", "avgpool2d:SIZE[:STRIDES]", 1, 2},
    {"flatten", "flatten", 0, 0},
    {"batchnorm", "batchnorm", 0, 0},
    {"dropout", "dropout:RATE (RATE in [0, 1))", 1, 1},
    {"activation", "activation:ACTIVATION", 1, 1},
    {"lstm", "lstm:UNITS[:seq] (seq: return sequences)", 1, 2},
    {"gru", "gru:UNITS[:seq] (seq: return sequences)", 1, 2},
    {"simplernn", "simplernn:UNITS[:seq] (seq: return sequences)", 1, 2},
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::stringstream ss(s);
  while (std::getline(ss, part, sep)) out.push_back(part);
  if (!s.empty() && s.back() == sep) out.emplace_back();  // "dense:1:" has an empty last field
  return out;
}

[[noreturn]] void fail(const std::string& item, const Kind* kind, const std::string& why) {
  throw Error(ErrorCode::kInvalidArgument,
              kind ? fmt::format("model spec: '{}': {} (syntax: {})", item, why, kind->syntax)
                   : fmt::format("model spec: '{}': {}", item, why));
}

int64_t positive(const std::string& s, const std::string& item, const Kind* kind,
                 const char* what) {
  size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (s.empty() || used != s.size() || v <= 0) {
    fail(item, kind, fmt::format("{} '{}' is not a positive integer", what, s));
  }
  return v;
}

std::string activationField(const std::string& s, const std::string& item, const Kind* kind) {
  if (!layers::isActivation(s)) {
    fail(item, kind,
         fmt::format("unknown activation '{}' (known: linear, relu, relu6, elu, selu, sigmoid, "
                     "hard_sigmoid, softplus, softsign, tanh, softmax, log_softmax, gelu, "
                     "gelu_new, mish, swish)",
                     s));
  }
  return s;
}

}  // namespace

std::string modelSpecSyntax() {
  std::string out = "in:SHAPE (first; SHAPE like 1 or 28x28x1)";
  for (const Kind& k : kKinds) out += std::string(", ") + k.syntax;
  return out;
}

Json topologyFromSpec(const std::string& spec) {
  const auto items = split(spec, ',');
  if (items.empty() || !items[0].starts_with("in:")) {
    throw Error(ErrorCode::kInvalidArgument,
                "model spec: it must start with the input shape, e.g. in:1 or in:28x28x1");
  }
  std::vector<int64_t> shape;
  if (items[0].find(':', 3) != std::string::npos) {
    fail(items[0], nullptr, "the input takes one field, its shape (in:SHAPE, SHAPE like 28x28x1)");
  }
  if (items[0].size() == 3) fail(items[0], nullptr, "no shape (in:SHAPE, SHAPE like 1 or 28x28x1)");
  for (const auto& d : split(items[0].substr(3), 'x')) {
    shape.push_back(positive(d, items[0], nullptr, "dimension"));
  }
  if (items.size() < 2) {
    throw Error(ErrorCode::kInvalidArgument, "model spec: no layers after the input shape");
  }
  Sequential model;
  for (size_t i = 1; i < items.size(); ++i) {
    const std::string& item = items[i];
    const auto p = split(item, ':');
    if (p.empty() || p[0].empty()) fail(item, nullptr, "an empty layer");
    const std::string& kind = p[0];
    const Kind* k = nullptr;
    for (const Kind& c : kKinds) {
      if (kind == c.name) k = &c;
    }
    if (!k) {
      std::vector<std::string> names;
      for (const Kind& c : kKinds) names.emplace_back(c.name);
      const std::string guess = closestName(kind, names);
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      fail(item, nullptr,
           fmt::format("unknown layer '{}'{} (known: {})", kind,
                       guess.empty() ? "" : fmt::format("; did you mean '{}'?", guess), known));
    }
    const size_t given = p.size() - 1;
    if (given < k->required) {
      fail(item, k, fmt::format("{} field(s) given, {} needed", given, k->required));
    }
    if (given > k->fields) {
      fail(item, k,
           fmt::format("unexpected field '{}' (a {} layer takes {} field(s))", p[k->fields + 1],
                       kind, k->fields));
    }
    for (size_t f = 1; f < p.size(); ++f) {
      if (p[f].empty()) fail(item, k, fmt::format("field {} is empty", f));
    }
    auto opt = [&](size_t f) { return f < p.size() ? p[f] : std::string(); };
    const std::vector<int64_t> in = i == 1 ? shape : std::vector<int64_t>{};
    if (kind == "dense") {
      model.add(
          layers::dense({.units = positive(p[1], item, k, "units"),
                         .activation = p.size() > 2 ? activationField(p[2], item, k) : "linear",
                         .inputShape = in}));
    } else if (kind == "conv2d") {
      const std::string padding = p.size() > 4 ? p[4] : "valid";
      if (padding != "valid" && padding != "same") {
        fail(item, k, fmt::format("padding '{}' is neither valid nor same", padding));
      }
      model.add(
          layers::conv2d({.filters = positive(p[1], item, k, "filters"),
                          .kernelSize = {positive(p[2], item, k, "kernel size")},
                          .padding = padding,
                          .activation = p.size() > 3 ? activationField(p[3], item, k) : "linear",
                          .inputShape = in}));
    } else if (kind == "maxpool2d" || kind == "avgpool2d") {
      layers::PoolingArgs a{.poolSize = {positive(p[1], item, k, "pool size")}, .inputShape = in};
      if (!opt(2).empty()) a.strides = {positive(p[2], item, k, "strides")};
      model.add(kind == "maxpool2d" ? layers::maxPooling2d(a) : layers::averagePooling2d(a));
    } else if (kind == "flatten") {
      model.add(layers::flatten({.inputShape = in}));
    } else if (kind == "batchnorm") {
      model.add(layers::batchNormalization({.inputShape = in}));
    } else if (kind == "dropout") {
      double rate = -1;
      size_t used = 0;
      try {
        rate = std::stod(p[1], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != p[1].size() || !(rate >= 0 && rate < 1)) {
        fail(item, k, fmt::format("rate '{}' is not a number in [0, 1)", p[1]));
      }
      model.add(layers::dropout({.rate = rate, .inputShape = in}));
    } else if (kind == "activation") {
      model.add(
          layers::activation({.activation = activationField(p[1], item, k), .inputShape = in}));
    } else {  // lstm, gru, simplernn
      if (p.size() > 2 && p[2] != "seq") {
        fail(item, k, fmt::format("unexpected field '{}' (the only option is seq)", p[2]));
      }
      const layers::RecurrentArgs a{.units = positive(p[1], item, k, "units"),
                                    .returnSequences = p.size() > 2,
                                    .inputShape = in};
      model.add(kind == "lstm"  ? layers::lstm(a)
                : kind == "gru" ? layers::gru(a)
                                : layers::simpleRNN(a));
    }
  }
  return model.toJSON();
}

}  // namespace tfjs::cli
