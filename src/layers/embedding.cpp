// Embedding (a table lookup of integer indices) and Masking (zeroes the timesteps whose features
// all equal mask_value), as tfjs-layers computes their outputs, and the masks they make: with
// mask_zero, Embedding's mask is (index != 0) over the input's shape; Masking's is
// any(x != mask_value) over the last axis. Both are 0/1 float arrays. In training, Embedding's
// backward scatter-adds the output gradient into the rows used; Masking's multiplies it by the
// mask (nothing flows into a masked timestep). Their masks travel in training as at inference
// (the executor hands them to forwardTrainMasked; the recurrent layers apply them).
#include <fmt/format.h>

#include <cmath>
#include <optional>

#include "layers/layer.h"

namespace tfjs::layers {
namespace {

// Embedding: output[..., :] = embeddings[index]. Indices arrive as float32 (the runtime converts
// int32 inputs) and are truncated toward zero as TF.js's cast to int32 does; an index outside
// [0, input_dim) is an Error, as TF.js's gather refuses it.
class Embedding final : public Layer {
 public:
  explicit Embedding(const Config& c)
      : Layer(c), inputDim_(c.integer("input_dim", 0)), outputDim_(c.integer("output_dim", 0)) {
    if (inputDim_ <= 0) c.unsupported(fmt::format("input_dim = {}", inputDim_));
    if (outputDim_ <= 0) c.unsupported(fmt::format("output_dim = {}", outputDim_));
    if (c.has("lora_rank")) c.unsupported("lora_rank");
    if (c.boolean("sparse", false)) c.unsupported("sparse = true");
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    Shape out = in[0];
    if (out.empty()) config_.unsupported("a scalar input");
    out.push_back(outputDim_);
    return {out};
  }
  std::vector<VariableSpec> variables() const override {
    return {{"embeddings", {inputDim_, outputDim_}}};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    Shape shape = x.shape;
    shape.push_back(outputDim_);
    Array y(shape);
    const auto width = static_cast<size_t>(outputDim_);
    const auto table = weight("embeddings");
    for (size_t i = 0; i < x.data.size(); ++i) {
      const double t = std::trunc(static_cast<double>(x.data[i]));
      if (!(t >= 0 && t < static_cast<double>(inputDim_))) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("layer '{}': index {} (input element {}) is not in [0, {}]", name(),
                                x.data[i], i, inputDim_ - 1));
      }
      const auto row = static_cast<size_t>(t);
      std::copy(table.begin() + static_cast<std::ptrdiff_t>(row * width),
                table.begin() + static_cast<std::ptrdiff_t>((row + 1) * width),
                y.data.begin() + static_cast<std::ptrdiff_t>(i * width));
    }
    return oneOutput(std::move(y));
  }
  // Training: dembeddings[index] += dy for every index used (TF.js's gather gradient, a
  // scatter-add); the integer input has no gradient (zeros).
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut,
                              GradientSink& grads) const override {
    const Array& x = *in[0];
    const Array& g = dOut[0];
    const auto width = static_cast<size_t>(outputDim_);
    float* dTable = grads.of(this)[0].data.data();
    for (size_t i = 0; i < x.data.size(); ++i) {
      const double t = std::trunc(static_cast<double>(x.data[i]));
      if (!(t >= 0 && t < static_cast<double>(inputDim_))) continue;  // call() refused it
      float* row = dTable + static_cast<size_t>(t) * width;
      const float* gr = g.data.data() + i * width;
      for (size_t j = 0; j < width; ++j) row[j] += gr[j];
    }
    return oneOutput(Array(x.shape));
  }
  // TF.js: supportsMasking = mask_zero; the mask is notEqual(inputs, 0).
  std::vector<std::optional<Array>> computeMask(const std::vector<const Array*>& in,
                                                const std::vector<const Array*>&) const override {
    if (!maskZero_) return {};
    Array m(in[0]->shape);
    for (size_t i = 0; i < m.data.size(); ++i) m.data[i] = in[0]->data[i] != 0.0f ? 1.0f : 0.0f;
    return {std::move(m)};
  }

 private:
  int64_t inputDim_, outputDim_;
  bool maskZero_ = config_.boolean("mask_zero", false);
};

// Masking: y = x * any(x != mask_value, last axis), as TF.js computes it (a masked timestep
// becomes zeros; an infinite value in it would become NaN, as in TF.js).
class Masking final : public Layer {
 public:
  explicit Masking(const Config& c)
      : Layer(c), maskValue_(static_cast<float>(c.number("mask_value", 0.0))) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() != 1) config_.unsupported(fmt::format("{} inputs", in.size()));
    if (in[0].size() < 2) config_.unsupported("an input of rank 1");
    return {in[0]};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array y = *in[0];
    const int64_t n = y.shape.empty() ? 1 : y.shape.back();
    if (n == 0) return oneOutput(std::move(y));
    for (int64_t row = 0; row < y.size() / n; ++row) {
      float* p = y.data.data() + row * n;
      bool keep = false;
      for (int64_t i = 0; i < n && !keep; ++i) keep = p[i] != maskValue_;
      const float k = keep ? 1.0f : 0.0f;
      for (int64_t i = 0; i < n; ++i) p[i] *= k;
    }
    return oneOutput(std::move(y));
  }
  // Training: y = x * keep(row), keep 0 or 1 and constant around x (TF.js's gradient of the
  // multiply): dx = dy * keep.
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    const Array& x = *in[0];
    Array g = std::move(dOut[0]);
    const int64_t n = x.shape.empty() ? 1 : x.shape.back();
    if (n == 0 || g.size() != x.size()) return oneOutput(std::move(g));
    for (int64_t row = 0; row < x.size() / n; ++row) {
      const float* p = x.data.data() + row * n;
      bool keep = false;
      for (int64_t i = 0; i < n && !keep; ++i) keep = p[i] != maskValue_;
      if (!keep) std::fill(g.data.begin() + row * n, g.data.begin() + (row + 1) * n, 0.0f);
    }
    return oneOutput(std::move(g));
  }
  std::vector<std::optional<Array>> computeMask(const std::vector<const Array*>& in,
                                                const std::vector<const Array*>&) const override {
    const Array& x = *in[0];
    Shape s = x.shape;
    const int64_t n = s.back();
    s.pop_back();
    Array m(s);
    for (int64_t row = 0; row < m.size(); ++row) {
      bool keep = false;
      for (int64_t i = 0; i < n && !keep; ++i)
        keep = x.data[static_cast<size_t>(row * n + i)] != maskValue_;
      m.data[static_cast<size_t>(row)] = keep ? 1.0f : 0.0f;
    }
    return {std::move(m)};
  }

 private:
  float maskValue_;
};

}  // namespace

void addEmbeddingLayers(Registry& r) {
  add<Embedding>(r, "Embedding");
  add<Masking>(r, "Masking");
}

}  // namespace tfjs::layers
