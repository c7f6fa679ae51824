// model/summary_rules.cpp — the summary's per-class rules: for each Keras layer class, the output
// shapes and parameter counts (trainable and not) from the layer's config and input shapes, and
// the class table that maps names to them (see summary.cpp for how they are used).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "model/summary_util.h"
#include "model/topology.h"

namespace tfjs::summary_detail {
namespace {

// --- same shape, no weights: activations, dropout and noise, masking, augmentation ---------------
Eval passThrough(const Json&, const Inputs& in) {
  return single(firstInput(in), Params{});
}

// --- layers whose output shape needs the actual computation: Lambda, TF op layers -------------
Eval opaque(const Json&, const Inputs&) {
  Eval e = single(std::nullopt, Params{});
  e.note = "output shape not derivable from the config";
  return e;
}

// TensorFlowOpLayer (tf.keras 2.2-2.3 raw TF op): a few shape-simple ops are worked out, the
// rest are opaque.
Eval tensorFlowOp(const Json& cfg, const Inputs& in) {
  const Json* nodeDef = field(cfg, "node_def");
  const std::string op = nodeDef ? stringOr(*nodeDef, "op") : std::string();
  const Shape& x = firstInput(in);
  static const std::set<std::string, std::less<>> kUnary = {
      "Identity", "Relu",       "Relu6",      "Elu",   "Selu", "Sigmoid", "Tanh",
      "Softplus", "Softsign",   "Neg",        "Abs",   "Exp",  "Log",     "Sqrt",
      "Rsqrt",    "Square",     "Reciprocal", "Floor", "Ceil", "Round",   "Sign",
      "Softmax",  "LogSoftmax", "LeakyRelu",  "Cast"};
  if (kUnary.count(op) > 0) return single(x, Params{});
  if ((op == "DepthToSpace" || op == "SpaceToDepth") && x && x->size() == 4) {
    const Json* attr = nodeDef ? field(*nodeDef, "attr") : nullptr;
    const Json* bs = attr ? field(*attr, "block_size") : nullptr;
    const int64_t b = bs ? intOr(*bs, "i", 0) : 0;
    std::string format = "NHWC";
    if (const Json* df = attr ? field(*attr, "data_format") : nullptr) {
      const std::string s = stringOr(*df, "s");  // base64 of the bytes
      if (s == "TkNIVw==") format = "NCHW";
    }
    if (b > 0) {
      Dims d = *x;
      const size_t c = format == "NHWC" ? 3 : 1;
      const size_t h = format == "NHWC" ? 1 : 2;
      const int64_t bb = dimMul(b, b);
      for (size_t i = h; i < h + 2; ++i) {
        d[i] = op == "DepthToSpace" ? dimMul(d[i], b) : (d[i] < 0 ? kNone : d[i] / b);
      }
      d[c] = op == "DepthToSpace" ? (d[c] < 0 || bb < 0 ? kNone : d[c] / bb) : dimMul(d[c], bb);
      return single(d, Params{});
    }
  }
  Eval e = single(std::nullopt, Params{});
  e.note = fmt::format("TF op '{}': output shape not derivable from the config",
                       op.empty() ? std::string("?") : op);
  return e;
}

// --- Dense ------------------------------------------------------------------------------------
Eval dense(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  const int64_t units = intOr(cfg, "units", kNone);
  Shape out;
  std::optional<Params> params;
  if (x && !x->empty()) {
    out = *x;
    out->back() = units;
    if (auto k = elementCount({x->back(), units})) {
      params = trainableOnly(satAdd(*k, boolOr(cfg, "use_bias", true) ? uint64_t(units) : 0));
    }
  }
  return single(out, params);
}

// --- Embedding --------------------------------------------------------------------------------
Eval embedding(const Json& cfg, const Inputs& in) {
  const int64_t inputDim = intOr(cfg, "input_dim", kNone);
  const int64_t outputDim = intOr(cfg, "output_dim", kNone);
  Shape x = firstInput(in);
  if (!x) {
    if (const Json* len = field(cfg, "input_length")) {
      if (auto l = asInt(*len)) x = Dims{kNone, *l};
    }
  }
  if (x) x->push_back(outputDim);
  std::optional<Params> params;
  if (auto n = elementCount({inputDim, outputDim})) params = trainableOnly(*n);
  return single(x, params);
}

// --- Flatten, Reshape, Permute, RepeatVector ----------------------------------------------------
Eval flatten(const Json&, const Inputs& in) {
  const Shape& x = firstInput(in);
  if (!x || x->empty()) return single(std::nullopt, Params{});
  return single(Dims{(*x)[0], dimProduct(*x, 1)}, Params{});
}

Eval reshape(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  const Json* t = field(cfg, "target_shape");
  // TF.js writes the inferred dimension (-1) as null.
  std::optional<std::vector<int64_t>> target;
  if (t && t->is_array()) {
    target.emplace();
    for (const Json& e : *t) {
      auto v = e.is_null() ? std::optional<int64_t>(-1) : asInt(e);
      if (!v) {
        target.reset();
        break;
      }
      target->push_back(*v);
    }
  } else if (t) {
    target = intList(*t);
  }
  if (!target) return single(std::nullopt, Params{});
  Dims out{x && !x->empty() ? (*x)[0] : kNone};
  int64_t known = 1;
  std::optional<size_t> wildcard;
  for (int64_t d : *target) {
    if (d < 0) {
      wildcard = out.size();
    } else {
      known = dimMul(known, d);
    }
    out.push_back(d < 0 ? kNone : d);
  }
  if (wildcard && x && !x->empty()) {
    const int64_t total = dimProduct(*x, 1);
    if (total >= 0 && known > 0) out[*wildcard] = total / known;
  }
  return single(out, Params{});
}

Eval permute(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  const Json* d = field(cfg, "dims");
  auto dims = d ? intList(*d) : std::nullopt;
  if (!x || !dims || dims->size() + 1 != x->size()) return single(std::nullopt, Params{});
  Dims out{(*x)[0]};
  for (int64_t axis : *dims) {
    if (axis < 1 || axis >= static_cast<int64_t>(x->size())) return single(std::nullopt, Params{});
    out.push_back((*x)[static_cast<size_t>(axis)]);
  }
  return single(out, Params{});
}

Eval repeatVector(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  if (!x || x->size() != 2) return single(std::nullopt, Params{});
  return single(Dims{(*x)[0], intOr(cfg, "n", kNone), (*x)[1]}, Params{});
}

// --- Convolutions -------------------------------------------------------------------------------
// A batch-first input split into spatial dimensions and channels, per data_format.
struct Spatial {
  int64_t batch = kNone;
  Dims space;
  int64_t channels = kNone;
  bool first = false;  // channels_first
  Dims join(const Dims& s, int64_t c) const {
    Dims d{batch};
    if (first) d.push_back(c);
    d.insert(d.end(), s.begin(), s.end());
    if (!first) d.push_back(c);
    return d;
  }
};

// `extra` leading non-spatial dims after the batch (1 for the time axis of ConvLSTM).
std::optional<Spatial> splitSpatial(const Shape& x, size_t rank, bool chFirst, size_t extra = 0) {
  if (!x || x->size() != rank + 2 + extra) return std::nullopt;
  Spatial s;
  s.first = chFirst;
  s.batch = (*x)[0];
  const size_t begin = 1 + extra + (chFirst ? 1 : 0);
  s.space.assign(x->begin() + static_cast<std::ptrdiff_t>(begin),
                 x->begin() + static_cast<std::ptrdiff_t>(begin + rank));
  s.channels = chFirst ? (*x)[1 + extra] : x->back();
  return s;
}

// keras.utils.conv_utils.conv_output_length
int64_t convLength(int64_t len, int64_t k, const std::string& padding, int64_t stride,
                   int64_t dilation) {
  if (len < 0 || k < 0 || stride <= 0 || dilation <= 0) return kNone;
  const int64_t dilated = dimAdd(dimMul(k - 1 < 0 ? 0 : k - 1, dilation), 1);
  if (dilated < 0) return kNone;
  int64_t out = len;
  if (padding == "valid") out = len >= dilated ? len - dilated + 1 : 0;
  if (padding == "full") out = dimSub(dimAdd(len, dilated), 1);
  // "same" and "causal" keep the length
  return out < 0 ? kNone : out == 0 ? 0 : (out - 1) / stride + 1;  // ceil(out / stride)
}

// keras.utils.conv_utils.deconv_output_length
int64_t deconvLength(int64_t len, int64_t k, const std::string& padding,
                     std::optional<int64_t> outputPadding, int64_t stride, int64_t dilation) {
  if (len < 0 || k < 0 || stride <= 0 || dilation <= 0) return kNone;
  k = dimAdd(k, dimMul(k - 1 < 0 ? 0 : k - 1, dilation - 1));
  if (k < 0) return kNone;
  if (!outputPadding) {
    if (padding == "valid") return dimAdd(dimMul(len, stride), std::max<int64_t>(k - stride, 0));
    if (padding == "full") return dimSub(dimMul(len, stride), dimSub(dimAdd(stride, k), 2));
    return dimMul(len, stride);
  }
  const int64_t pad = padding == "same" ? k / 2 : padding == "full" ? k - 1 : 0;
  const int64_t grown = dimAdd(dimAdd(dimMul(len > 0 ? len - 1 : 0, stride), k), *outputPadding);
  return dimSub(grown, dimMul(2, pad));
}

struct ConvOptions {
  Dims kernel, strides, dilation;
  std::string padding;
  bool ok = false;
};

ConvOptions convOptions(const Json& cfg, size_t rank, const char* kernelKey = "kernel_size") {
  ConvOptions o;
  auto k = tupleOr(cfg, kernelKey, rank, kNone);
  auto s = tupleOr(cfg, "strides", rank, 1);
  auto d = tupleOr(cfg, "dilation_rate", rank, 1);
  o.padding = optionOr(cfg, "padding", "valid");
  if (k && s && d) {
    o.kernel = *k;
    o.strides = *s;
    o.dilation = *d;
    o.ok = true;
  }
  return o;
}

Dims convSpace(const Spatial& sp, const ConvOptions& o) {
  Dims out;
  for (size_t i = 0; i < sp.space.size(); ++i) {
    out.push_back(convLength(sp.space[i], o.kernel[i], o.padding, o.strides[i], o.dilation[i]));
  }
  return out;
}

int64_t kernelVolume(const ConvOptions& o) {
  return dimProduct(o.kernel);
}

// Conv1D/2D/3D: kernel k... x (in / groups) x filters, bias filters.
Eval conv(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t filters = intOr(cfg, "filters", kNone);
  const int64_t groups = std::max<int64_t>(intOr(cfg, "groups", 1), 1);
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  Eval e = single(std::nullopt, std::nullopt);
  if (!o.ok) return e;
  if (sp) e.outputs[0] = sp->join(convSpace(*sp, o), filters);
  if (sp && sp->channels >= 0) {
    if (auto k = elementCount({kernelVolume(o), sp->channels / groups, filters})) {
      e.params = trainableOnly(satAdd(*k, boolOr(cfg, "use_bias", true) ? uint64_t(filters) : 0));
    }
  }
  return e;
}
template <size_t R>
Eval convN(const Json& cfg, const Inputs& in) {
  return conv(cfg, in, R);
}

// Conv1DTranspose/2D/3D: kernel k... x filters x in, bias filters.
Eval convTranspose(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t filters = intOr(cfg, "filters", kNone);
  std::optional<Dims> outputPadding;
  if (field(cfg, "output_padding")) outputPadding = tupleOr(cfg, "output_padding", rank, 0);
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  Eval e = single(std::nullopt, std::nullopt);
  if (!o.ok) return e;
  if (sp) {
    Dims space;
    for (size_t i = 0; i < rank; ++i) {
      space.push_back(
          deconvLength(sp->space[i], o.kernel[i], o.padding,
                       outputPadding ? std::optional<int64_t>((*outputPadding)[i]) : std::nullopt,
                       o.strides[i], o.dilation[i]));
    }
    e.outputs[0] = sp->join(space, filters);
    if (auto k = elementCount({kernelVolume(o), sp->channels, filters})) {
      e.params = trainableOnly(satAdd(*k, boolOr(cfg, "use_bias", true) ? uint64_t(filters) : 0));
    }
  }
  return e;
}
template <size_t R>
Eval convTransposeN(const Json& cfg, const Inputs& in) {
  return convTranspose(cfg, in, R);
}

// DepthwiseConv1D/2D: kernel k... x in x depth_multiplier, bias in x depth_multiplier.
Eval depthwiseConv(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t mult = intOr(cfg, "depth_multiplier", 1);
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  Eval e = single(std::nullopt, std::nullopt);
  if (!o.ok || !sp) return e;
  const int64_t outChannels = dimMul(sp->channels, mult);
  e.outputs[0] = sp->join(convSpace(*sp, o), outChannels);
  if (auto k = elementCount({kernelVolume(o), outChannels})) {
    e.params = trainableOnly(satAdd(*k, boolOr(cfg, "use_bias", true) ? uint64_t(outChannels) : 0));
  }
  return e;
}
template <size_t R>
Eval depthwiseConvN(const Json& cfg, const Inputs& in) {
  return depthwiseConv(cfg, in, R);
}

// SeparableConv1D/2D: depthwise k... x in x mult, pointwise in x mult x filters, bias filters.
Eval separableConv(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t mult = intOr(cfg, "depth_multiplier", 1);
  const int64_t filters = intOr(cfg, "filters", kNone);
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  Eval e = single(std::nullopt, std::nullopt);
  if (!o.ok || !sp) return e;
  e.outputs[0] = sp->join(convSpace(*sp, o), filters);
  const int64_t mid = dimMul(sp->channels, mult);
  auto depthwise = elementCount({kernelVolume(o), mid});
  auto pointwise = elementCount({mid, filters});
  if (depthwise && pointwise) {
    e.params = trainableOnly(satAdd(satAdd(*depthwise, *pointwise),
                                    boolOr(cfg, "use_bias", true) ? uint64_t(filters) : 0));
  }
  return e;
}
template <size_t R>
Eval separableConvN(const Json& cfg, const Inputs& in) {
  return separableConv(cfg, in, R);
}

// --- Pooling ------------------------------------------------------------------------------------
Eval pooling(const Json& cfg, const Inputs& in, size_t rank) {
  auto pool = tupleOr(cfg, "pool_size", rank, 2);
  auto strides = field(cfg, "strides") ? tupleOr(cfg, "strides", rank, 1) : pool;
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  if (!pool || !strides || !sp) return single(std::nullopt, Params{});
  const std::string padding = optionOr(cfg, "padding", "valid");
  Dims space;
  for (size_t i = 0; i < rank; ++i) {
    space.push_back(convLength(sp->space[i], (*pool)[i], padding, (*strides)[i], 1));
  }
  return single(sp->join(space, sp->channels), Params{});
}
template <size_t R>
Eval poolingN(const Json& cfg, const Inputs& in) {
  return pooling(cfg, in, R);
}

Eval globalPooling(const Json& cfg, const Inputs& in, size_t rank) {
  auto sp = splitSpatial(firstInput(in), rank, channelsFirst(cfg));
  if (!sp) return single(std::nullopt, Params{});
  if (boolOr(cfg, "keepdims", false))
    return single(sp->join(Dims(rank, 1), sp->channels), Params{});
  return single(Dims{sp->batch, sp->channels}, Params{});
}
template <size_t R>
Eval globalPoolingN(const Json& cfg, const Inputs& in) {
  return globalPooling(cfg, in, R);
}

// --- Padding, cropping, upsampling ------------------------------------------------------------
// ZeroPadding/Cropping amounts: int, one (before, after) pair per spatial dim, or one int per
// spatial dim (symmetric). For rank 1, a pair means (before, after) of the one dim.
std::optional<std::vector<std::pair<int64_t, int64_t>>> padAmounts(const Json& cfg, const char* key,
                                                                   size_t rank, int64_t def) {
  std::vector<std::pair<int64_t, int64_t>> out;
  const Json* j = field(cfg, key);
  if (!j) return std::vector<std::pair<int64_t, int64_t>>(rank, {def, def});
  if (auto v = asInt(*j)) return std::vector<std::pair<int64_t, int64_t>>(rank, {*v, *v});
  if (!j->is_array()) return std::nullopt;
  if (rank == 1 && j->size() == 2 && asInt((*j)[0]) && asInt((*j)[1])) {
    return std::vector<std::pair<int64_t, int64_t>>{{*asInt((*j)[0]), *asInt((*j)[1])}};
  }
  if (j->size() != rank) return std::nullopt;
  for (const Json& e : *j) {
    if (auto v = asInt(e)) {
      out.emplace_back(*v, *v);
    } else if (e.is_array() && e.size() == 2 && asInt(e[0]) && asInt(e[1])) {
      out.emplace_back(*asInt(e[0]), *asInt(e[1]));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

Eval padOrCrop(const Json& cfg, const Inputs& in, size_t rank, bool crop) {
  auto amounts = padAmounts(cfg, crop ? "cropping" : "padding", rank, crop ? 0 : 1);
  auto sp = splitSpatial(firstInput(in), rank, rank > 1 && channelsFirst(cfg));
  if (!amounts || !sp) return single(std::nullopt, Params{});
  Dims space;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t sum = dimAdd((*amounts)[i].first, (*amounts)[i].second);
    space.push_back(crop ? (sp->space[i] < 0 ? kNone : dimSub(sp->space[i], sum))
                         : dimAdd(sp->space[i], sum));
  }
  return single(sp->join(space, sp->channels), Params{});
}
template <size_t R>
Eval zeroPaddingN(const Json& cfg, const Inputs& in) {
  return padOrCrop(cfg, in, R, false);
}
template <size_t R>
Eval croppingN(const Json& cfg, const Inputs& in) {
  return padOrCrop(cfg, in, R, true);
}

Eval upSampling(const Json& cfg, const Inputs& in, size_t rank) {
  auto size = tupleOr(cfg, "size", rank, 2);
  auto sp = splitSpatial(firstInput(in), rank, rank > 1 && channelsFirst(cfg));
  if (!size || !sp) return single(std::nullopt, Params{});
  Dims space;
  for (size_t i = 0; i < rank; ++i) space.push_back(dimMul(sp->space[i], (*size)[i]));
  return single(sp->join(space, sp->channels), Params{});
}
template <size_t R>
Eval upSamplingN(const Json& cfg, const Inputs& in) {
  return upSampling(cfg, in, R);
}

// --- Normalization layers ---------------------------------------------------------------------
// Product of the input dims on the given axes (the shape of per-feature weights).
std::optional<int64_t> axesVolume(const Shape& x, const Json* axisJson, int64_t defaultAxis) {
  if (!x) return std::nullopt;
  std::vector<int64_t> axes{defaultAxis};
  if (axisJson) {
    auto a = intList(*axisJson);
    if (!a) return std::nullopt;
    axes = *a;
  }
  int64_t v = 1;
  for (int64_t a : axes) {
    auto n = normAxis(a, x->size());
    if (!n || (*x)[*n] < 0) return std::nullopt;
    v = dimMul(v, (*x)[*n]);
  }
  return v;
}

// BatchNormalization: gamma (scale) and beta (center) trainable, moving mean and variance not.
Eval batchNorm(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (auto c = axesVolume(x, field(cfg, "axis"), -1)) {
    const uint64_t n = static_cast<uint64_t>(*c);
    const uint64_t k = (boolOr(cfg, "scale", true) ? 1 : 0) + (boolOr(cfg, "center", true) ? 1 : 0);
    params = Params{satMul(k, n), satMul(2, n)};
  }
  return single(x, params);
}

// LayerNormalization: gamma and beta over the normalized axes (Keras 3 rms_scaling: gamma only).
Eval layerNorm(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (auto c = axesVolume(x, field(cfg, "axis"), -1)) {
    const bool rms = boolOr(cfg, "rms_scaling", false);
    const uint64_t k =
        (boolOr(cfg, "scale", true) || rms ? 1 : 0) + (boolOr(cfg, "center", true) && !rms ? 1 : 0);
    params = trainableOnly(satMul(k, static_cast<uint64_t>(*c)));
  }
  return single(x, params);
}

// GroupNormalization: gamma and beta over the channel axis.
Eval groupNorm(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (auto c = axesVolume(x, field(cfg, "axis"), -1)) {
    const uint64_t k = (boolOr(cfg, "scale", true) ? 1 : 0) + (boolOr(cfg, "center", true) ? 1 : 0);
    params = trainableOnly(satMul(k, static_cast<uint64_t>(*c)));
  }
  return single(x, params);
}

// Normalization (preprocessing): adapted mean and variance over the kept axes plus a scalar
// count, all non-trainable (Keras 2 and 3 alike); none when mean/variance are in the config.
Eval normalization(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (field(cfg, "mean")) {
    params = Params{};
  } else if (x) {
    const bool hasAxis = cfg.is_object() && cfg.contains("axis");
    // axis: null means one global mean and variance
    const std::optional<int64_t> n = hasAxis && !field(cfg, "axis")
                                         ? std::optional<int64_t>(1)
                                         : axesVolume(x, field(cfg, "axis"), -1);
    if (n) params = Params{0, satAdd(satMul(2, static_cast<uint64_t>(*n)), 1)};
  }
  return single(x, params);
}

// --- PReLU --------------------------------------------------------------------------------------
Eval prelu(const Json& cfg, const Inputs& in) {
  const Shape& x = firstInput(in);
  std::optional<Params> params;
  if (x && !x->empty()) {
    Dims alpha(x->begin() + 1, x->end());
    if (const Json* shared = field(cfg, "shared_axes")) {
      for (int64_t a : intList(*shared).value_or(std::vector<int64_t>{})) {
        if (a >= 1 && a <= static_cast<int64_t>(alpha.size()))
          alpha[static_cast<size_t>(a - 1)] = 1;
      }
    }
    const int64_t n = dimProduct(alpha);
    if (n >= 0) params = trainableOnly(static_cast<uint64_t>(n));
  }
  return single(x, params);
}

// --- ConvLSTM2D (the other recurrent layers: summary_rules_rnn.cpp) --------------------------

// ConvLSTM1D/2D/3D: input (batch, time, spatial..., channels).
Eval convLstm(const Json& cfg, const Inputs& in, size_t rank) {
  const ConvOptions o = convOptions(cfg, rank);
  const int64_t filters = intOr(cfg, "filters", kNone);
  const Shape& x = firstInput(in);
  const bool chFirst = channelsFirst(cfg);
  auto sp = splitSpatial(x, rank, chFirst, 1);
  Eval e;
  Shape y;
  Shape state;
  if (o.ok && sp) {
    const Dims frame = sp->join(convSpace(*sp, o), filters);  // (batch, [c,] space... [, c])
    state = frame;
    if (boolOr(cfg, "return_sequences", false)) {
      Dims seq = frame;
      seq.insert(seq.begin() + 1, (*x)[1]);
      y = seq;
    } else {
      y = frame;
    }
  }
  e.outputs.push_back(y);
  if (boolOr(cfg, "return_state", false)) {
    e.outputs.push_back(state);
    e.outputs.push_back(state);
  }
  if (o.ok && sp) {
    const int64_t f4 = dimMul(4, filters);
    auto kernel = elementCount({kernelVolume(o), sp->channels, f4});
    auto recurrent = elementCount({kernelVolume(o), filters, f4});
    if (kernel && recurrent && f4 >= 0) {
      e.params = trainableOnly(
          satAdd(satAdd(*kernel, *recurrent), boolOr(cfg, "use_bias", true) ? uint64_t(f4) : 0));
    }
  }
  return e;
}
template <size_t R>
Eval convLstmN(const Json& cfg, const Inputs& in) {
  return convLstm(cfg, in, R);
}

// --- Wrappers -----------------------------------------------------------------------------------
// The wrapped layer's {class_name, config}.
std::pair<std::string, const Json*> wrapped(const Json& cfg, const char* key) {
  const Json* layer = field(cfg, key);
  if (!layer) return {std::string(), nullptr};
  const Json* inner = field(*layer, "config");
  return {stringOr(*layer, "class_name"), inner};
}

}  // namespace

Params withTrainable(Params p, const Json& cfg) {
  if (!boolOr(cfg, "trainable", true)) return Params{0, p.total()};
  return p;
}

namespace {

Eval bidirectional(const Json& cfg, const Inputs& in) {
  auto [cls, inner] = wrapped(cfg, "layer");
  if (!inner) return single(std::nullopt, std::nullopt);
  Eval fw = evalLayer(cls, *inner, in);
  Eval bw = fw;
  if (auto [bcls, binner] = wrapped(cfg, "backward_layer"); binner)
    bw = evalLayer(bcls, *binner, in);
  Eval e;
  e.note = fw.note;
  if (fw.params && bw.params) {
    e.params = withTrainable(*fw.params, *inner);
    *e.params += withTrainable(*bw.params, *inner);
  }
  const Shape y = fw.outputs.empty() ? std::nullopt : fw.outputs[0];
  const std::string mode = field(cfg, "merge_mode") ? optionOr(cfg, "merge_mode", "concat") : "";
  if (mode.empty()) {  // merge_mode None: forward and backward outputs separately
    e.outputs = {y, y};
  } else if (mode == "concat") {
    Shape merged = y;
    if (merged && !merged->empty()) merged->back() = dimMul(merged->back(), 2);
    e.outputs = {merged};
  } else {
    e.outputs = {y};
  }
  if (fw.outputs.size() > 1) {  // return_state: the states of both directions follow
    for (int dir = 0; dir < 2; ++dir) {
      e.outputs.insert(e.outputs.end(), fw.outputs.begin() + 1, fw.outputs.end());
    }
  }
  return e;
}

Eval timeDistributed(const Json& cfg, const Inputs& in) {
  auto [cls, inner] = wrapped(cfg, "layer");
  if (!inner) return single(std::nullopt, std::nullopt);
  const Shape& x = firstInput(in);
  Eval e = evalLayer(cls, *inner, {timeStep(x)});
  if (e.params) e.params = withTrainable(*e.params, *inner);
  for (Shape& y : e.outputs) y = withTimeAxis(std::move(y), x);
  return e;
}

// --- Merge layers -------------------------------------------------------------------------------
// Keras's _compute_elemwise_op_output_shape, applied pairwise after the batch dimension.
Shape broadcastPair(const Shape& a, const Shape& b) {
  if (!a || !b) return std::nullopt;
  const Dims& longer = a->size() >= b->size() ? *a : *b;
  const Dims& shorter = a->size() >= b->size() ? *b : *a;
  Dims out(longer.begin(), longer.end() - static_cast<std::ptrdiff_t>(shorter.size()));
  for (size_t k = 0; k < shorter.size(); ++k) {
    const int64_t i = longer[longer.size() - shorter.size() + k];
    const int64_t j = shorter[k];
    if (i < 0 || j < 0) {
      out.push_back(kNone);
    } else if (i == 1) {
      out.push_back(j);
    } else if (j == 1 || i == j) {
      out.push_back(i);
    } else {
      return std::nullopt;  // incompatible
    }
  }
  return out;
}

Eval elementwiseMerge(const Json&, const Inputs& in) {
  if (in.empty()) return single(std::nullopt, Params{});
  std::set<int64_t> batches;
  Shape acc;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!in[i] || in[i]->empty()) return single(std::nullopt, Params{});
    if ((*in[i])[0] >= 0) batches.insert((*in[i])[0]);
    Shape rest = Dims(in[i]->begin() + 1, in[i]->end());
    acc = i == 0 ? rest : broadcastPair(acc, rest);
  }
  if (!acc) return single(std::nullopt, Params{});
  acc->insert(acc->begin(), batches.size() == 1 ? *batches.begin() : kNone);
  return single(acc, Params{});
}

Eval concatenate(const Json& cfg, const Inputs& in) {
  if (in.empty() || !in[0]) return single(std::nullopt, Params{});
  Dims out = *in[0];
  auto axis = normAxis(intOr(cfg, "axis", -1), out.size());
  if (!axis) return single(std::nullopt, Params{});
  for (size_t i = 1; i < in.size(); ++i) {
    if (!in[i] || in[i]->size() != out.size()) return single(std::nullopt, Params{});
    for (size_t d = 0; d < out.size(); ++d) {
      if (d == *axis) {
        out[d] = dimAdd(out[d], (*in[i])[d]);
      } else if (out[d] < 0) {
        out[d] = (*in[i])[d];
      }
    }
  }
  return single(out, Params{});
}

Eval dot(const Json& cfg, const Inputs& in) {
  if (in.size() != 2 || !in[0] || !in[1] || in[0]->empty() || in[1]->empty()) {
    return single(std::nullopt, Params{});
  }
  Dims a = *in[0];
  Dims b = *in[1];
  const Json* axesJson = field(cfg, "axes");
  auto axes = axesJson ? intList(*axesJson) : std::nullopt;
  if (!axes || axes->empty() || axes->size() > 2) return single(std::nullopt, Params{});
  const int64_t ra = static_cast<int64_t>(a.size());
  const int64_t rb = static_cast<int64_t>(b.size());
  const int64_t axA = (((*axes)[0] % ra) + ra) % ra;
  const int64_t axB = ((((axes->size() == 2 ? (*axes)[1] : (*axes)[0])) % rb) + rb) % rb;
  a.erase(a.begin() + axA);
  b.erase(b.begin() + axB);
  if (!b.empty()) b.erase(b.begin());
  a.insert(a.end(), b.begin(), b.end());
  if (a.size() == 1) a.push_back(1);
  return single(a, Params{});
}

// --- Preprocessing layers that change the shape -------------------------------------------------
Eval resizeLike(const Json& cfg, const Inputs& in) {  // Resizing, CenterCrop, RandomCrop
  const Shape& x = firstInput(in);
  if (!x || x->size() < 3) return single(std::nullopt, Params{});
  Dims out = *x;
  const size_t h = channelsFirst(cfg) ? out.size() - 2 : out.size() - 3;
  out[h] = intOr(cfg, "height", kNone);
  out[h + 1] = intOr(cfg, "width", kNone);
  return single(out, Params{});
}

Eval randomHeight(const Json& cfg, const Inputs& in) {
  Shape x = firstInput(in);
  if (x && x->size() >= 3) (*x)[channelsFirst(cfg) ? x->size() - 2 : x->size() - 3] = kNone;
  return single(x, Params{});
}

Eval randomWidth(const Json& cfg, const Inputs& in) {
  Shape x = firstInput(in);
  if (x && x->size() >= 3) (*x)[channelsFirst(cfg) ? x->size() - 1 : x->size() - 2] = kNone;
  return single(x, Params{});
}

Eval categoryEncoding(const Json& cfg, const Inputs& in) {
  Shape x = firstInput(in);
  const int64_t tokens = intOr(cfg, "num_tokens", kNone);
  if (!x || x->empty()) return single(std::nullopt, Params{});
  const bool oneHot = optionOr(cfg, "output_mode", "multi_hot") == "onehot";
  if (x->size() == 1) {
    x->push_back(tokens);
  } else if (oneHot && x->back() != 1) {
    x->push_back(tokens);
  } else {
    x->back() = tokens;
  }
  return single(x, Params{});
}

// --- Attention (Keras 2.4+/3): output has the query's shape -----------------------------------
Eval attention(const Json& cfg, const Inputs& in) {
  uint64_t n = boolOr(cfg, "use_scale", false) ? 1 : 0;
  if (optionOr(cfg, "score_mode", "dot") == "concat") n += 1;
  return single(firstInput(in), trainableOnly(n));
}

// AdditiveAttention: its scale (use_scale, on by default) has one entry per query feature.
Eval additiveAttention(const Json& cfg, const Inputs& in) {
  const Shape& q = firstInput(in);
  if (!boolOr(cfg, "use_scale", true)) return single(q, Params{});
  if (!q || q->empty() || q->back() < 0) return single(q, std::nullopt);
  return single(q, trainableOnly(static_cast<uint64_t>(q->back())));
}

// --- The table ----------------------------------------------------------------------------------
struct LayerFamily {
  std::initializer_list<std::string_view> classNames;
  Handler handler;
};

const LayerFamily kLayerTable[] = {
    {{"Activation",
      "Dropout",
      "SpatialDropout1D",
      "SpatialDropout2D",
      "SpatialDropout3D",
      "GaussianNoise",
      "GaussianDropout",
      "AlphaDropout",
      "Masking",
      "ReLU",
      "LeakyReLU",
      "ELU",
      "ThresholdedReLU",
      "Softmax",
      "ActivityRegularization",
      "Rescaling",
      "RandomFlip",
      "RandomRotation",
      "RandomZoom",
      "RandomTranslation",
      "RandomContrast",
      "RandomBrightness",
      "UnitNormalization",
      "Identity"},
     passThrough},
    {{"Lambda", "TFOpLambda", "SlicingOpLambda"}, opaque},
    {{"TensorFlowOpLayer"}, tensorFlowOp},
    {{"Dense"}, dense},
    {{"Embedding"}, embedding},
    {{"Flatten"}, flatten},
    {{"Reshape"}, reshape},
    {{"Permute"}, permute},
    {{"RepeatVector"}, repeatVector},
    {{"Conv1D", "Convolution1D"}, convN<1>},
    {{"Conv2D", "Convolution2D"}, convN<2>},
    {{"Conv3D", "Convolution3D"}, convN<3>},
    {{"Conv1DTranspose", "Convolution1DTranspose"}, convTransposeN<1>},
    {{"Conv2DTranspose", "Convolution2DTranspose", "Deconvolution2D"}, convTransposeN<2>},
    {{"Conv3DTranspose", "Convolution3DTranspose", "Deconvolution3D"}, convTransposeN<3>},
    {{"DepthwiseConv1D"}, depthwiseConvN<1>},
    {{"DepthwiseConv2D"}, depthwiseConvN<2>},
    {{"SeparableConv1D", "SeparableConvolution1D"}, separableConvN<1>},
    {{"SeparableConv2D", "SeparableConvolution2D"}, separableConvN<2>},
    {{"MaxPooling1D", "AveragePooling1D", "MaxPool1D", "AvgPool1D"}, poolingN<1>},
    {{"MaxPooling2D", "AveragePooling2D", "MaxPool2D", "AvgPool2D"}, poolingN<2>},
    {{"MaxPooling3D", "AveragePooling3D", "MaxPool3D", "AvgPool3D"}, poolingN<3>},
    {{"GlobalMaxPooling1D", "GlobalAveragePooling1D", "GlobalMaxPool1D", "GlobalAvgPool1D"},
     globalPoolingN<1>},
    {{"GlobalMaxPooling2D", "GlobalAveragePooling2D", "GlobalMaxPool2D", "GlobalAvgPool2D"},
     globalPoolingN<2>},
    {{"GlobalMaxPooling3D", "GlobalAveragePooling3D", "GlobalMaxPool3D", "GlobalAvgPool3D"},
     globalPoolingN<3>},
    {{"ZeroPadding1D"}, zeroPaddingN<1>},
    {{"ZeroPadding2D"}, zeroPaddingN<2>},
    {{"ZeroPadding3D"}, zeroPaddingN<3>},
    {{"Cropping1D"}, croppingN<1>},
    {{"Cropping2D"}, croppingN<2>},
    {{"Cropping3D"}, croppingN<3>},
    {{"UpSampling1D"}, upSamplingN<1>},
    {{"UpSampling2D"}, upSamplingN<2>},
    {{"UpSampling3D"}, upSamplingN<3>},
    {{"BatchNormalization", "BatchNormalizationV1", "BatchNormalizationV2",
      "SyncBatchNormalization"},
     batchNorm},
    {{"LayerNormalization"}, layerNorm},
    {{"GroupNormalization"}, groupNorm},
    {{"Normalization"}, normalization},
    {{"PReLU"}, prelu},
    {{"SimpleRNN"}, simpleRnn},
    {{"GRU", "UnifiedGRU", "GRUV2"}, gru},
    {{"LSTM", "UnifiedLSTM", "LSTMV2"}, lstm},
    {{"CuDNNGRU"}, cudnnGru},
    {{"CuDNNLSTM"}, cudnnLstm},
    {{"RNN"}, genericRnn},
    {{"ConvLSTM1D"}, convLstmN<1>},
    {{"ConvLSTM2D"}, convLstmN<2>},
    {{"ConvLSTM3D"}, convLstmN<3>},
    {{"Bidirectional"}, bidirectional},
    {{"TimeDistributed"}, timeDistributed},
    {{"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}, elementwiseMerge},
    {{"Concatenate"}, concatenate},
    {{"Dot"}, dot},
    {{"Resizing", "CenterCrop", "RandomCrop"}, resizeLike},
    {{"RandomHeight"}, randomHeight},
    {{"RandomWidth"}, randomWidth},
    {{"CategoryEncoding"}, categoryEncoding},
    {{"Attention"}, attention},
    {{"AdditiveAttention"}, additiveAttention},
};

const std::unordered_map<std::string_view, Handler>& layerHandlers() {
  static const std::unordered_map<std::string_view, Handler> table = [] {
    std::unordered_map<std::string_view, Handler> m;
    for (const LayerFamily& f : kLayerTable) {
      for (std::string_view name : f.classNames) m.emplace(name, f.handler);
    }
    return m;
  }();
  return table;
}

}  // namespace

Eval evalLayer(const std::string& className, const Json& cfg, const Inputs& in) {
  // Wrappers recurse through here; a hostile config must not exhaust the stack.
  thread_local int depth = 0;
  struct Guard {
    Guard() { ++depth; }
    ~Guard() { --depth; }
  } guard;
  const auto& table = layerHandlers();
  auto it = table.find(className);
  if (it == table.end() || depth > 16) {
    Eval e = single(std::nullopt, std::nullopt);
    e.note = it == table.end() ? "unknown class" : "wrappers nested too deeply";
    return e;
  }
  return it->second(cfg, in);
}

bool isModelClass(const std::string& cls) {
  return topology::isModelClass(cls);
}

// A layer entry that is itself a model: a model class, or any class whose config has the
// functional layout (Keras applications subclass Functional under their own name).
bool isModelEntry(const Json& entry) {
  const std::string cls = stringOr(entry, "class_name");
  if (isModelClass(cls)) return true;
  const Json* cfg = field(entry, "config");
  return cfg && cfg->is_object() && cfg->contains("layers") && (*cfg)["layers"].is_array() &&
         cfg->contains("input_layers");
}

}  // namespace tfjs::summary_detail
