// Graph ops of the convolution, matrices and image families: Conv2D, DepthwiseConv2dNative and
// their fused forms (_FusedConv2D, FusedDepthwiseConv2dNative: bias, then relu / relu6 / elu /
// sigmoid fused into oneDNN's kernel, prelu / leakyrelu after it), MatMul / _FusedMatMul (gemm),
// MaxPool / AvgPool, ResizeBilinear / ResizeNearestNeighbor. All on the kernels the layers use;
// the reference kernels when they are asked for or oneDNN cannot express a geometry.
// As TF.js: NHWC only (NCHW is refused), and a fused FusedBatchNorm is refused as TF.js refuses
// it.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

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
// dilations and padding (SAME, VALID, or EXPLICIT with explicit_paddings).
kernels::Window windowOf(const Node& n, const Shape& x, int64_t kh, int64_t kw, bool dilations) {
  if (x.size() != 4) n.invalid(fmt::format("an input of rank {} (4 expected: NHWC)", x.size()));
  kernels::Window w;
  w.in = {1, x[1], x[2]};
  w.k = {1, kh, kw};
  const auto s = hw(n, "strides");
  w.stride = {1, s[0], s[1]};
  if (dilations) {
    const auto d = hw(n, "dilations");
    w.dilation = {1, d[0], d[1]};
  }
  const std::string padding = n.string("padding", "VALID");
  const std::string who = fmt::format("node '{}' ({})", n.name, n.op);
  if (padding == "SAME" || padding == "VALID") {
    kernels::resolveWindow(w, padding == "SAME", true, who);
  } else if (padding == "EXPLICIT") {
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
  const kernels::Window w = windowOf(c.node, x.shape, k.shape[0], k.shape[1], true);
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
    // The kernel (oneDNN primitives and packed weights per geometry) is kept with the node, with
    // the filter and bias values it reads, while they are the same values (Const weights:
    // always; a computed filter makes a new kernel on each run).
    struct Kept {
      ValuePtr weights, bias;
      std::unique_ptr<kernels::Conv> conv;
    };
    const ValuePtr& filterValue = c.inputs[1];
    const ValuePtr biasValue = f.bias ? f.biasValue : nullptr;
    auto kept = c.state.get<Kept>();
    if (!kept || kept->weights != filterValue || kept->bias != biasValue) {
      kernels::ConvSpec spec;
      spec.kind = depthwise ? kernels::ConvSpec::Kind::kDepthwise : kernels::ConvSpec::Kind::kConv;
      spec.rank = 2;
      spec.kernel = {k.shape[0], k.shape[1]};
      spec.inC = inC;
      spec.outC = outC;
      spec.weights = k.f.data();
      spec.bias = f.bias ? f.bias->f.data() : nullptr;
      spec.activation = fusedAct == kernels::Fused::kNone ? kernels::Fused::kLinear : fusedAct;
      kept = std::make_shared<Kept>(
          Kept{filterValue, biasValue, std::make_unique<kernels::Conv>(spec)});
      c.state.set(kept);
    }
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
  const kernels::Window w = windowOf(c.node, x.shape, k[0], k[1], false);
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

constexpr OpRow kRows[] = {
    {"Conv2D", conv2d},
    {"_FusedConv2D", fusedConv2d},
    {"DepthwiseConv2dNative", depthwise},
    {"DepthwiseConv2D", depthwise},
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
