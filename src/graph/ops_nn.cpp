// Graph ops of the convolution family: Conv1D, Conv2D, Conv3D, DepthwiseConv2dNative and the
// fused forms (_FusedConv2D, FusedDepthwiseConv2dNative: bias, then relu / relu6 / elu / sigmoid
// fused into oneDNN's kernel, prelu / leakyrelu after it), Conv2DBackpropInput (oneDNN's
// deconvolution), MatMul / _FusedMatMul (gemm), MaxPool / AvgPool / MaxPool3D / AvgPool3D,
// MaxPoolWithArgmax, Dilation2D, ResizeBilinear / ResizeNearestNeighbor. All on the kernels the
// layers use; the reference kernels when they are asked for or oneDNN cannot express a geometry.
// As TF.js: NHWC only (NCHW is refused where TF.js reads data_format; Conv2DBackpropInput and the
// 3-D pools ignore it, as TF.js does), and a fused FusedBatchNorm is refused as TF.js refuses it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "graph/ops.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::graph {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

// The two spatial entries of a 4-entry NHWC attribute (strides, dilations, ksize), 1s when absent.
std::array<int64_t, 2> hw(const Node& n, const char* key) {
  const auto v = n.integers(key);
  if (v.empty()) return {1, 1};
  if (v.size() != 4) n.invalid(fmt::format("'{}' has {} entries (4 expected)", key, v.size()));
  if (v[1] <= 0 || v[2] <= 0) n.invalid(fmt::format("'{}' = [{}]", key, fmt::join(v, ",")));
  return {v[1], v[2]};
}

void requireNhwc(const Node& n) {
  const std::string f = n.string("data_format", "NHWC");
  if (f != "NHWC") n.unsupported(fmt::format("data_format {} (TF.js runs NHWC)", f));
}

// The window of a 2-D op on input x [N, H, W, C] with kernel kh x kw, from the node's strides,
// dilations (the attribute `dilationKey`; none when null) and padding (SAME, VALID, or EXPLICIT
// with explicit_paddings where the op's TF.js executor reads it: getPadding).
kernels::Window windowOf(const Node& n, const Shape& x, int64_t kh, int64_t kw,
                         const char* dilationKey, bool explicitPadding = true) {
  if (x.size() != 4) n.invalid(fmt::format("an input of rank {} (4 expected: NHWC)", x.size()));
  kernels::Window w;
  w.in = {1, x[1], x[2]};
  w.k = {1, kh, kw};
  const auto s = hw(n, "strides");
  w.stride = {1, s[0], s[1]};
  if (dilationKey) {
    const auto d = hw(n, dilationKey);
    w.dilation = {1, d[0], d[1]};
  }
  const std::string padding = n.string("padding", "VALID");
  const std::string who = fmt::format("node '{}' ({})", n.name, n.op);
  if (padding == "SAME" || padding == "VALID") {
    kernels::resolveWindow(w, padding == "SAME", true, who);
  } else if (padding == "EXPLICIT" && explicitPadding) {
    const auto p = n.integers("explicit_paddings");
    if (p.size() != 8) n.invalid("explicit_paddings without 8 entries");
    for (size_t i = 1; i < 3; ++i) {
      const int64_t eff = w.k[i] + (w.k[i] - 1) * (w.dilation[i] - 1);
      const int64_t len = w.in[i] + p[2 * i] + p[2 * i + 1] - eff;
      if (p[2 * i] < 0 || p[2 * i + 1] < 0 || len < 0)
        n.invalid("explicit_paddings that do not fit");
      w.out[i] = len / w.stride[i] + 1;
      w.pad[i] = p[2 * i];
    }
  } else {
    n.unsupported(fmt::format("padding '{}'", padding));
  }
  return w;
}

// The three spatial entries of a 5-entry NDHWC attribute (strides, dilations, ksize), 1s when
// absent.
std::array<int64_t, 3> dhw(const Node& n, const char* key) {
  const auto v = n.integers(key);
  if (v.empty()) return {1, 1, 1};
  if (v.size() != 5) n.invalid(fmt::format("'{}' has {} entries (5 expected)", key, v.size()));
  if (v[1] <= 0 || v[2] <= 0 || v[3] <= 0)
    n.invalid(fmt::format("'{}' = [{}]", key, fmt::join(v, ",")));
  return {v[1], v[2], v[3]};
}

// TF.js's executors index these attributes ([1], [2], ...): an absent one is a TypeError there.
void requireAttrs(const Node& n, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (n.integers(key).empty()) n.invalid(fmt::format("no '{}' attribute", key));
  }
}

// SAME or VALID (the ops whose executor passes `padding` straight to tf.*: EXPLICIT is refused).
bool samePadding(const Node& n) {
  const std::string padding = n.string("padding", "VALID");
  if (padding != "SAME" && padding != "VALID") n.unsupported(fmt::format("padding '{}'", padding));
  return padding == "SAME";
}

// The kernel a convolution node keeps (oneDNN primitives and packed weights per geometry), with
// the filter and bias values it reads, while they are the same values (Const weights: always; a
// computed filter makes a new kernel on each run).
struct KeptConv {
  ValuePtr weights, bias;
  std::unique_ptr<kernels::Conv> conv;
};

std::shared_ptr<KeptConv> keptConv(const OpContext& c, const kernels::ConvSpec& spec,
                                   const ValuePtr& weights, const ValuePtr& bias) {
  auto kept = c.state.get<KeptConv>();
  if (!kept || kept->weights != weights || kept->bias != bias) {
    kept =
        std::make_shared<KeptConv>(KeptConv{weights, bias, std::make_unique<kernels::Conv>(spec)});
    c.state.set(kept);
  }
  return kept;
}

// The fused part of _FusedConv2D / FusedDepthwiseConv2dNative / _FusedMatMul, read as TF.js's
// executors read it: fused_ops [extra, activation] (lower-cased), num_args, the bias and prelu
// alpha among inputs 2..
struct Fusion {
  const Value* bias = nullptr;
  ValuePtr biasValue;  // the bias input, shared
  const Value* alpha = nullptr;
  Activation activation = Activation::kLinear;
  float leaky = 0.2f;
};

Fusion fusionOf(const OpContext& c) {
  Fusion f;
  const auto ops = c.node.strings("fused_ops");
  const std::string extra = ops.empty() ? "" : lower(ops[0]);
  const std::string act = ops.size() > 1 ? lower(ops[1]) : "";
  const int64_t numArgs = c.node.integer("num_args", 0);
  if (extra == "fusedbatchnorm") {
    c.node.unsupported("fused FusedBatchNorm (TF.js refuses it too)");
  }
  if (!extra.empty() && extra != "biasadd")
    c.node.unsupported(fmt::format("fused op '{}'", ops[0]));
  const bool bias = extra == "biasadd";
  if (bias && act == "prelu" && numArgs != 2)
    c.node.invalid("BiasAdd and Prelu need two extra arguments");
  if (bias && act != "prelu" && numArgs != 1) c.node.invalid("BiasAdd needs one extra argument");
  size_t next = 2;
  if (bias) {
    f.bias = &c.floatIn(next);
    f.biasValue = c.inputs[next++];
  }
  static const std::map<std::string, Activation> kinds = {{"", Activation::kLinear},
                                                          {"relu", Activation::kRelu},
                                                          {"relu6", Activation::kRelu6},
                                                          {"elu", Activation::kElu},
                                                          {"sigmoid", Activation::kSigmoid},
                                                          {"prelu", Activation::kPrelu},
                                                          {"leakyrelu", Activation::kLeakyRelu}};
  const auto k = kinds.find(act);
  if (k == kinds.end()) c.node.unsupported(fmt::format("fused activation '{}'", ops[1]));
  f.activation = k->second;
  if (f.activation == Activation::kPrelu) f.alpha = &c.floatIn(next++);
  f.leaky = static_cast<float>(c.node.number("leakyrelu_alpha", 0.2));
  return f;
}

kernels::Fused fusedKind(Activation a) {
  // Indexed by Activation (ops.h); prelu and leakyrelu have no fused form.
  using F = kernels::Fused;
  constexpr F kFused[] = {F::kLinear,  F::kRelu, F::kRelu6, F::kElu,
                          F::kSigmoid, F::kNone, F::kNone};
  return kFused[static_cast<size_t>(a)];
}

// bias (over the last axis) and the activation, for a result the fast kernel did not finish.
void finish(kernels::Array& y, const Fusion& f, bool biasDone, bool activationDone, const Node& n) {
  if (f.bias && !biasDone) {
    kernels::binaryInPlace(kernels::Binary::kAdd, y, {f.bias->f.data(), f.bias->shape});
  }
  if (!activationDone) activate(f.activation, y, f.alpha, f.leaky, n);
}

std::vector<ValuePtr> convolution(const OpContext& c, bool depthwise, bool fused) {
  requireNhwc(c.node);
  const Value& x = c.floatIn(0);
  const Value& k = c.floatIn(1);
  if (k.shape.size() != 4) c.node.invalid(fmt::format("a filter of rank {}", k.shape.size()));
  const Fusion f = fused ? fusionOf(c) : Fusion{};
  const kernels::Window w = windowOf(c.node, x.shape, k.shape[0], k.shape[1], "dilations");
  const int64_t inC = x.shape[3];
  if (k.shape[2] != inC) {
    c.node.invalid(
        fmt::format("a filter for {} input channels on an input with {}", k.shape[2], inC));
  }
  const int64_t outC = depthwise ? inC * k.shape[3] : k.shape[3];
  if (f.bias && (f.bias->shape.size() != 1 || f.bias->shape[0] != outC)) {
    c.node.invalid(
        fmt::format("a bias of shape [{}] for {} channels", fmt::join(f.bias->shape, ","), outC));
  }
  const int64_t batch = x.shape[0];
  kernels::Array y({batch, w.out[1], w.out[2], outC});
  bool fast = false;
  const kernels::Fused fusedAct = fusedKind(f.activation);
  if (!kernels::referenceKernels()) {
    kernels::ConvSpec spec;
    spec.kind = depthwise ? kernels::ConvSpec::Kind::kDepthwise : kernels::ConvSpec::Kind::kConv;
    spec.rank = 2;
    spec.kernel = {k.shape[0], k.shape[1]};
    spec.inC = inC;
    spec.outC = outC;
    spec.weights = k.f.data();
    spec.bias = f.bias ? f.bias->f.data() : nullptr;
    spec.activation = fusedAct == kernels::Fused::kNone ? kernels::Fused::kLinear : fusedAct;
    const auto kept = keptConv(c, spec, c.inputs[1], f.bias ? f.biasValue : nullptr);
    fast = kept->conv->run(x.f.data(), batch, w, y.data.data());
  }
  if (!fast) {
    if (depthwise) {
      kernels::reference::depthwise(x.f.data(), batch, w, inC, k.f.data(), k.shape[3],
                                    y.data.data());
    } else {
      kernels::reference::conv(x.f.data(), batch, w, inC, k.f.data(), outC, y.data.data());
    }
  }
  finish(y, f, fast, fast && fusedAct != kernels::Fused::kNone, c.node);
  return {fromArray(std::move(y))};
}

std::vector<ValuePtr> conv2d(const OpContext& c) {
  return convolution(c, false, false);
}
std::vector<ValuePtr> fusedConv2d(const OpContext& c) {
  return convolution(c, false, true);
}
std::vector<ValuePtr> depthwise(const OpContext& c) {
  return convolution(c, true, false);
}
std::vector<ValuePtr> fusedDepthwise(const OpContext& c) {
  return convolution(c, true, true);
}

std::vector<ValuePtr> matMul(const OpContext& c, bool fused) {
  if (!fused && c.in(0).dtype == DType::kInt32 && c.in(1).dtype == DType::kInt32) {
    return batchMatMulOf(c, c.node.flag("transpose_a", false), c.node.flag("transpose_b", false));
  }
  const Value& a = c.floatIn(0);
  const Value& b = c.floatIn(1);
  if (a.shape.size() != 2 || b.shape.size() != 2) {
    c.node.unsupported(
        fmt::format("operands of rank {} and {} (2 expected; BatchMatMul is not here yet)",
                    a.shape.size(), b.shape.size()));
  }
  const bool ta = c.node.flag("transpose_a", false), tb = c.node.flag("transpose_b", false);
  const int64_t m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1];
  const int64_t kb = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1];
  if (k != kb) {
    c.node.invalid(fmt::format("inner dimensions {} and {} differ ([{}] x [{}])", k, kb,
                               fmt::join(a.shape, ","), fmt::join(b.shape, ",")));
  }
  const Fusion f = fused ? fusionOf(c) : Fusion{};
  if (f.bias && (f.bias->shape.size() != 1 || f.bias->shape[0] != n)) {
    // TF.js adds any bias that broadcasts; the converter writes [n].
    (void)kernels::broadcastShape(f.bias->shape, {m, n});
  }
  kernels::Array y({m, n});
  kernels::gemm(ta, tb, m, n, k, 1.0f, a.f.data(), a.shape[1], b.f.data(), b.shape[1], 0.0f,
                y.data.data(), n);
  finish(y, f, false, false, c.node);
  return {fromArray(std::move(y))};
}

std::vector<ValuePtr> plainMatMul(const OpContext& c) {
  return matMul(c, false);
}
std::vector<ValuePtr> fusedMatMul(const OpContext& c) {
  return matMul(c, true);
}

template <bool IsMax>
std::vector<ValuePtr> pool(const OpContext& c) {
  requireNhwc(c.node);
  const Value& x = c.floatIn(0);
  const auto k = hw(c.node, "ksize");
  const kernels::Window w = windowOf(c.node, x.shape, k[0], k[1], nullptr, false);
  const int64_t batch = x.shape[0], ch = x.shape[3];
  kernels::Array y({batch, w.out[1], w.out[2], ch});
  // The kernel (oneDNN's pooling primitive per geometry) is made once and kept with the node.
  bool fast = false;
  if (!kernels::referenceKernels()) {
    auto pool = c.state.get<kernels::Pool>();
    if (!pool) {
      pool = std::make_shared<kernels::Pool>(IsMax, 2);
      c.state.set(pool);
    }
    fast = pool->run(x.f.data(), batch, w, ch, y.data.data());
  }
  if (!fast) kernels::reference::pool(x.f.data(), batch, w, ch, IsMax, y.data.data());
  return {fromArray(std::move(y))};
}

template <bool Bilinear>
std::vector<ValuePtr> resize(const OpContext& c) {
  const Value& x = c.floatIn(0);
  const auto size = c.ints(1);
  if (size.size() != 2) c.node.invalid("a size input that is not [height, width]");
  const bool align = c.node.flag("align_corners", false);
  const bool half = c.node.flag("half_pixel_centers", false);
  if (align && half) c.node.invalid("align_corners and half_pixel_centers together");
  if (x.shape.size() == 4) checkSize(c, {x.shape[0], size[0], size[1], x.shape[3]});
  try {
    const kernels::Array xa = arrayOf(x);
    return {fromArray(Bilinear ? kernels::resizeBilinear(xa, size[0], size[1], align, half)
                               : kernels::resizeNearest(xa, size[0], size[1], align, half))};
  } catch (const Error& e) {
    c.node.invalid(e.what());
  }
}

// Conv2DBackpropInput (tf.conv2dTranspose): inputs output_shape, filter [kh, kw, outC, inC], dy.
// TF.js ignores data_format and dilations here (always NHWC, dilation 1); a rank-3 dy runs as
// one image. The window is the forward convolution's from the output shape to dy; a dy whose
// size is not that convolution's output is refused (TF.js reads past it).
std::vector<ValuePtr> conv2dBackpropInput(const OpContext& c) {
  requireAttrs(c.node, {"strides"});
  const auto outShape = c.ints(0);
  const Value& k = c.floatIn(1);
  const Value& dy = c.floatIn(2);
  if (outShape.size() != dy.shape.size()) {
    c.node.invalid(fmt::format("an output shape of length {} for a dy of rank {}", outShape.size(),
                               dy.shape.size()));
  }
  if (dy.shape.size() != 3 && dy.shape.size() != 4)
    c.node.invalid(fmt::format("a dy of rank {} (4 expected)", dy.shape.size()));
  if (k.shape.size() != 4) c.node.invalid(fmt::format("a filter of rank {}", k.shape.size()));
  Shape xs(outShape.begin(), outShape.end()), ds = dy.shape;
  if (ds.size() == 3) {
    xs.insert(xs.begin(), 1);
    ds.insert(ds.begin(), 1);
  }
  for (int64_t d : xs) {
    if (d < 0) c.node.invalid(fmt::format("output shape {}", shapeText(xs)));
  }
  if (xs[3] != k.shape[2])
    c.node.invalid(fmt::format("an output depth {} for a filter of {}", xs[3], k.shape[2]));
  if (ds[3] != k.shape[3])
    c.node.invalid(fmt::format("a dy depth {} for a filter of {}", ds[3], k.shape[3]));
  checkSize(c, xs);
  const Shape result(outShape.begin(), outShape.end());
  if (kernels::Array::count(xs) == 0) {
    return {floatValue(result, kernels::Floats(static_cast<size_t>(kernels::Array::count(xs))))};
  }
  const kernels::Window w = windowOf(c.node, xs, k.shape[0], k.shape[1], nullptr);
  if (ds[0] != xs[0] || ds[1] != w.out[1] || ds[2] != w.out[2]) {
    c.node.invalid(
        fmt::format("a dy of shape {} for output shape {} (the convolution gives [{},{},{}])",
                    shapeText(dy.shape), shapeText(result), xs[0], w.out[1], w.out[2]));
  }
  kernels::Array y(xs);
  if (dy.size() == 0 || k.size() == 0) return {floatValue(result, std::move(y.data))};
  bool fast = false;
  if (!kernels::referenceKernels()) {
    kernels::ConvSpec spec;
    spec.kind = kernels::ConvSpec::Kind::kTranspose;
    spec.rank = 2;
    spec.kernel = {k.shape[0], k.shape[1]};
    spec.inC = ds[3];
    spec.outC = xs[3];
    spec.weights = k.f.data();
    const auto kept = keptConv(c, spec, c.inputs[1], nullptr);
    fast = kept->conv->run(dy.f.data(), xs[0], w, y.data.data());
  }
  if (!fast) {
    kernels::reference::convTranspose(dy.f.data(), xs[0], w, ds[3], k.f.data(), xs[3],
                                      y.data.data());
  }
  return {floatValue(result, std::move(y.data))};
}

// A convolution over `w` with the node's kept fast kernel, else the reference kernel.
void runConv(const OpContext& c, size_t rank, const Shape& kernel, const Value& x, int64_t batch,
             const kernels::Window& w, int64_t inC, const Value& k, int64_t outC, float* y) {
  // An empty input, filter or output: y stays zeros (an empty sum), as no kernel is asked.
  if (x.size() == 0 || k.size() == 0 || outC == 0) return;
  bool fast = false;
  if (!kernels::referenceKernels()) {
    kernels::ConvSpec spec;
    spec.kind = kernels::ConvSpec::Kind::kConv;
    spec.rank = rank;
    spec.kernel = kernel;
    spec.inC = inC;
    spec.outC = outC;
    spec.weights = k.f.data();
    fast = keptConv(c, spec, c.inputs[1], nullptr)->conv->run(x.f.data(), batch, w, y);
  }
  if (!fast) kernels::reference::conv(x.f.data(), batch, w, inC, k.f.data(), outC, y);
}

// Conv1D (tf.conv1d): x [N, W, C] (or [W, C]), filter [k, C, F], stride / dilation numbers
// (stride has no default), data_format NWC only, SAME / VALID; as conv2d of height 1.
std::vector<ValuePtr> conv1d(const OpContext& c) {
  const Value& x = c.floatIn(0);
  const Value& k = c.floatIn(1);
  if (x.shape.size() != 2 && x.shape.size() != 3)
    c.node.invalid(fmt::format("an input of rank {} (3 expected)", x.shape.size()));
  if (k.shape.size() != 3) c.node.invalid(fmt::format("a filter of rank {}", k.shape.size()));
  const Shape xs = x.shape.size() == 2 ? Shape{1, x.shape[0], x.shape[1]} : x.shape;
  if (xs[2] != k.shape[1])
    c.node.invalid(fmt::format("a filter for {} channels on an input with {}", k.shape[1], xs[2]));
  const int64_t stride = c.node.integer("stride", 0), dilation = c.node.integer("dilation", 1);
  if (stride <= 0 || dilation <= 0)
    c.node.invalid(fmt::format("stride {} and dilation {}", stride, dilation));
  if (stride != 1 && dilation != 1) c.node.invalid("both stride and dilation above 1");
  const std::string format = c.node.string("data_format", "NWC");
  if (format != "NWC") c.node.unsupported(fmt::format("data_format {} (TF.js runs NWC)", format));
  kernels::Window w;
  w.in = {1, 1, xs[1]};
  w.k = {1, 1, k.shape[0]};
  w.stride = {1, 1, stride};
  w.dilation = {1, 1, dilation};
  kernels::resolveWindow(w, samePadding(c.node), true,
                         fmt::format("node '{}' ({})", c.node.name, c.node.op));
  const int64_t outC = k.shape[2];
  checkSize(c, {xs[0], w.out[2], outC});
  kernels::Array y({xs[0], w.out[2], outC});
  runConv(c, 2, {1, k.shape[0]}, x, xs[0], w, xs[2], k, outC, y.data.data());
  Shape shape = y.shape;
  if (x.shape.size() == 2) shape.erase(shape.begin());
  return {floatValue(shape, std::move(y.data))};
}

// Conv3D (tf.conv3d): x [N, D, H, W, C] (or without N), filter [kd, kh, kw, C, F]; data_format
// must be NDHWC (the op list's default, NHWC, is refused as TF.js refuses it); SAME / VALID with
// the 3-D padding rule (not clamped); strides or dilations all 1.
std::vector<ValuePtr> conv3d(const OpContext& c) {
  requireAttrs(c.node, {"strides", "dilations"});
  const Value& x = c.floatIn(0);
  const Value& k = c.floatIn(1);
  if (x.shape.size() != 4 && x.shape.size() != 5)
    c.node.invalid(fmt::format("an input of rank {} (5 expected)", x.shape.size()));
  if (k.shape.size() != 5) c.node.invalid(fmt::format("a filter of rank {}", k.shape.size()));
  Shape xs = x.shape;
  if (xs.size() == 4) xs.insert(xs.begin(), 1);
  if (xs[4] != k.shape[3])
    c.node.invalid(fmt::format("a filter for {} channels on an input with {}", k.shape[3], xs[4]));
  const auto s = dhw(c.node, "strides"), d = dhw(c.node, "dilations");
  const bool stridesOne = s == std::array<int64_t, 3>{1, 1, 1};
  if (!stridesOne && d != std::array<int64_t, 3>{1, 1, 1})
    c.node.invalid("strides and dilations both above 1");
  const std::string format = c.node.string("data_format", "NHWC");
  if (format != "NDHWC")
    c.node.invalid(fmt::format("data_format {} (TF.js runs NDHWC only)", format));
  kernels::Window w;
  w.in = {xs[1], xs[2], xs[3]};
  w.k = {k.shape[0], k.shape[1], k.shape[2]};
  w.stride = s;
  w.dilation = d;
  kernels::resolveWindow(w, samePadding(c.node), false,
                         fmt::format("node '{}' ({})", c.node.name, c.node.op));
  const int64_t outC = k.shape[4];
  const Shape ys{xs[0], w.out[0], w.out[1], w.out[2], outC};
  checkSize(c, ys);
  kernels::Array y(ys);
  runConv(c, 3, {w.k[0], w.k[1], w.k[2]}, x, xs[0], w, xs[4], k, outC, y.data.data());
  Shape shape = y.shape;
  if (x.shape.size() == 4) shape.erase(shape.begin());
  return {floatValue(shape, std::move(y.data))};
}

// MaxPool3D / AvgPool3D (tf.maxPool3d / avgPool3d): x [N, D, H, W, C] (or without N); TF.js
// ignores data_format (NDHWC always); SAME / VALID with the unclamped 3-D padding rule.
template <bool IsMax>
std::vector<ValuePtr> pool3d(const OpContext& c) {
  requireAttrs(c.node, {"strides", "ksize"});
  const Value& x = c.floatIn(0);
  if (x.shape.size() != 4 && x.shape.size() != 5)
    c.node.invalid(fmt::format("an input of rank {} (5 expected)", x.shape.size()));
  Shape xs = x.shape;
  if (xs.size() == 4) xs.insert(xs.begin(), 1);
  kernels::Window w;
  w.in = {xs[1], xs[2], xs[3]};
  w.k = dhw(c.node, "ksize");
  w.stride = dhw(c.node, "strides");
  kernels::resolveWindow(w, samePadding(c.node), false,
                         fmt::format("node '{}' ({})", c.node.name, c.node.op));
  const int64_t ch = xs[4];
  const Shape ys{xs[0], w.out[0], w.out[1], w.out[2], ch};
  checkSize(c, ys);
  kernels::Array y(ys);
  bool fast = y.data.empty();  // nothing to compute
  if (!fast && !kernels::referenceKernels()) {
    auto pool = c.state.get<kernels::Pool>();
    if (!pool) {
      pool = std::make_shared<kernels::Pool>(IsMax, 3);
      c.state.set(pool);
    }
    fast = pool->run(x.f.data(), xs[0], w, ch, y.data.data());
  }
  if (!fast) kernels::reference::pool(x.f.data(), xs[0], w, ch, IsMax, y.data.data());
  Shape shape = y.shape;
  if (x.shape.size() == 4) shape.erase(shape.begin());
  return {floatValue(shape, std::move(y.data))};
}

// MaxPoolWithArgmax: the max pool and, per output, the flat position of the first element
// greater than all before it in the window (row-major) — ((n*H + h)*W + w)*C + c with
// include_batch_in_index, else (h*W + w)*C + c; -1 when none is (an all -inf / NaN window).
std::vector<ValuePtr> maxPoolWithArgmax(const OpContext& c) {
  requireAttrs(c.node, {"strides", "ksize"});
  const Value& x = c.floatIn(0);
  const auto k = hw(c.node, "ksize");
  const kernels::Window w = windowOf(c.node, x.shape, k[0], k[1], nullptr, false);
  const bool withBatch = c.node.flag("include_batch_in_index", false);
  const int64_t batch = x.shape[0], ch = x.shape[3], image = x.shape[1] * x.shape[2] * ch;
  const Shape ys{batch, w.out[1], w.out[2], ch};
  checkSize(c, ys);
  kernels::Array y(ys);
  std::vector<int32_t> at(static_cast<size_t>(kernels::Array::count(ys)));
  for (int64_t n = 0; n < batch; ++n) {
    kernels::forEachOutput(w, n, [&](int64_t o, const kernels::Position& pos) {
      for (int64_t ci = 0; ci < ch; ++ci) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t where = -1;
        kernels::forEachTap(w, n, pos, [&](int64_t, int64_t i) {
          const float v = x.f[static_cast<size_t>(i * ch + ci)];
          if (v > best) {
            best = v;
            where = i * ch + ci - (withBatch ? 0 : n * image);
          }
        });
        y.data[static_cast<size_t>(o * ch + ci)] = best;
        at[static_cast<size_t>(o * ch + ci)] = static_cast<int32_t>(where);
      }
    });
  }
  return {floatValue(ys, std::move(y.data)), intValue(ys, std::move(at))};
}

// Dilation2D (tf.dilation2d): x [N, H, W, C] (or [H, W, C]), filter [fh, fw, C]; strides, rates,
// SAME / VALID. y = the max over the window of x + filter, starting from
// Number.MIN_SAFE_INTEGER (what an empty window gives, as float32: -9007199254740992).
std::vector<ValuePtr> dilation2d(const OpContext& c) {
  requireAttrs(c.node, {"strides", "rates"});
  const Value& x = c.floatIn(0);
  const Value& f = c.floatIn(1);
  if (x.shape.size() != 3 && x.shape.size() != 4)
    c.node.invalid(fmt::format("an input of rank {} (4 expected)", x.shape.size()));
  if (f.shape.size() != 3) c.node.invalid(fmt::format("a filter of rank {}", f.shape.size()));
  Shape xs = x.shape;
  if (xs.size() == 3) xs.insert(xs.begin(), 1);
  if (xs[3] != f.shape[2])
    c.node.invalid(fmt::format("a filter of depth {} on an input of depth {}", f.shape[2], xs[3]));
  (void)samePadding(c.node);
  const kernels::Window w = windowOf(c.node, xs, f.shape[0], f.shape[1], "rates", false);
  const int64_t batch = xs[0], ch = xs[3];
  const Shape ys{batch, w.out[1], w.out[2], ch};
  checkSize(c, ys);
  kernels::Array y(ys);
  constexpr float kStart = -9007199254740991.0f;  // Number.MIN_SAFE_INTEGER
  for (int64_t n = 0; n < batch; ++n) {
    kernels::forEachOutput(w, n, [&](int64_t o, const kernels::Position& pos) {
      float* yp = y.data.data() + o * ch;
      std::fill(yp, yp + ch, kStart);
      kernels::forEachTap(w, n, pos, [&](int64_t p, int64_t i) {
        const float* xp = x.f.data() + i * ch;
        const float* fp = f.f.data() + p * ch;
        for (int64_t ci = 0; ci < ch; ++ci) yp[ci] = std::max(yp[ci], xp[ci] + fp[ci]);
      });
    });
  }
  Shape shape = y.shape;
  if (x.shape.size() == 3) shape.erase(shape.begin());
  return {floatValue(shape, std::move(y.data))};
}

constexpr OpRow kRows[] = {
    {"Conv2D", conv2d},
    {"_FusedConv2D", fusedConv2d},
    {"DepthwiseConv2dNative", depthwise},
    {"DepthwiseConv2D", depthwise},
    {"DepthwiseConv2d", depthwise},
    {"Conv2DBackpropInput", conv2dBackpropInput},
    {"Conv1D", conv1d},
    {"Conv3D", conv3d},
    {"MaxPool3D", pool3d<true>},
    {"AvgPool3D", pool3d<false>},
    {"MaxPoolWithArgmax", maxPoolWithArgmax},
    {"Dilation2D", dilation2d},
    {"FusedDepthwiseConv2dNative", fusedDepthwise},
    {"MatMul", plainMatMul},
    {"_FusedMatMul", fusedMatMul},
    {"MaxPool", pool<true>},
    {"AvgPool", pool<false>},
    {"ResizeBilinear", resize<true>},
    {"ResizeNearestNeighbor", resize<false>},
};

}  // namespace

std::span<const OpRow> nnOps() {
  return kRows;
}

}  // namespace tfjs::graph
