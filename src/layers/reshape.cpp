// Layers that only move values: Reshape (with one -1), Permute, RepeatVector. Reshape hands the
// input's storage on when the executor gives it up (Layer::callConsuming); Permute and
// RepeatVector write every element of a fresh, uninitialized output. Backward: Permute transposes
// the gradient back, RepeatVector sums it over the repeats.
#include <fmt/format.h>

#include "layers/layer.h"

namespace tfjs::layers {
namespace {

class Reshape final : public Layer {
 public:
  using Layer::Layer;
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    const Shape& s = in.at(0);
    int64_t n = 1;
    for (size_t d = 1; d < s.size(); ++d) n = (s[d] < 0 || n < 0) ? -1 : n * s[d];
    if (!config_.has("target_shape")) config_.unsupported("a missing target_shape");
    const auto target = config_.json()["target_shape"];
    target_.clear();
    for (const auto& d : target) target_.push_back(d.is_number() ? d.get<int64_t>() : -1);
    int64_t known = 1, unknown = -1;
    for (size_t d = 0; d < target_.size(); ++d) {
      if (target_[d] < 0) {
        if (unknown >= 0) config_.unsupported("a target_shape with two unknown dimensions");
        unknown = static_cast<int64_t>(d);
      } else {
        known *= target_[d];
      }
    }
    if (unknown >= 0 && n >= 0) {
      if (known == 0 || n % known != 0) {
        config_.unsupported(
            fmt::format("target_shape {} for an input of {} values", Json(target_).dump(), n));
      }
      target_[static_cast<size_t>(unknown)] = n / known;
    } else if (n >= 0 && known != n) {
      config_.unsupported(
          fmt::format("target_shape {} for an input of {} values", Json(target_).dump(), n));
    }
    Shape out = {s.empty() ? -1 : s[0]};
    out.insert(out.end(), target_.begin(), target_.end());
    return {out};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    return oneOutput(Array(outputShape(*in[0]), in[0]->data));
  }
  // The values stay where they are: a consumable input gives up its storage.
  std::vector<Array> callConsuming(const std::vector<Array*>& in,
                                   const std::vector<bool>& consumable) const override {
    if (!consumable[0]) return call({in[0]});
    Shape shape = outputShape(*in[0]);
    return oneOutput(Array(std::move(shape), std::move(in[0]->data)));
  }
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    return oneOutput(Array(in[0]->shape, std::move(dOut[0].data)));
  }

 private:
  Shape outputShape(const Array& x) const {
    Shape shape = {x.shape[0]};
    shape.insert(shape.end(), target_.begin(), target_.end());
    if (Array::count(shape) != x.size()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("layer '{}': cannot reshape {} values to {}", name(), x.size(),
                              Json(shape).dump()));
    }
    return shape;
  }

  Shape target_;
};

class Permute final : public Layer {
 public:
  using Layer::Layer;
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    const Shape& s = in.at(0);
    dims_.clear();
    for (const auto& d : config_.json().value("dims", Json::array()))
      dims_.push_back(d.get<int64_t>());
    if (dims_.size() + 1 != s.size())
      config_.unsupported(fmt::format("dims for rank {}", s.size()));
    Shape out = {s[0]};
    for (int64_t d : dims_) {
      if (d < 1 || d >= static_cast<int64_t>(s.size()))
        config_.unsupported(fmt::format("dim {}", d));
      out.push_back(s[static_cast<size_t>(d)]);
    }
    return {out};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    std::vector<size_t> perm = {0};
    for (int64_t d : dims_) perm.push_back(static_cast<size_t>(d));
    return oneOutput(transpose(*in[0], perm));
  }
  // The gradient of a transpose is the transpose by the inverse permutation.
  std::vector<Array> backward(const std::vector<const Array*>&, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    std::vector<size_t> inverse(dims_.size() + 1, 0);
    for (size_t i = 0; i < dims_.size(); ++i) inverse[static_cast<size_t>(dims_[i])] = i + 1;
    return oneOutput(transpose(dOut[0], inverse));
  }

 private:
  // y[i...] = x[i[perm^-1]...]: axis i of y is axis perm[i] of x.
  static Array transpose(const Array& x, const std::vector<size_t>& perm) {
    const size_t rank = x.shape.size();
    Shape out(rank);
    for (size_t i = 0; i < rank; ++i) out[i] = x.shape[perm[i]];
    std::vector<int64_t> inStride(rank, 1);
    for (size_t i = rank - 1; i > 0; --i) inStride[i - 1] = inStride[i] * x.shape[i];
    Array y(out, kUninitialized);
    std::vector<int64_t> idx(rank, 0);
    for (int64_t k = 0; k < y.size(); ++k) {
      int64_t src = 0;
      for (size_t i = 0; i < rank; ++i) src += idx[i] * inStride[perm[i]];
      y.data[static_cast<size_t>(k)] = x.data[static_cast<size_t>(src)];
      for (size_t i = rank; i-- > 0;) {
        if (++idx[i] < out[i]) break;
        idx[i] = 0;
      }
    }
    return y;
  }

  std::vector<int64_t> dims_;
};

class RepeatVector final : public Layer {
 public:
  explicit RepeatVector(const Config& c) : Layer(c), n_(c.integer("n", 0)) {
    if (n_ <= 0) c.unsupported(fmt::format("n = {}", n_));
  }
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.at(0).size() != 2) config_.unsupported("an input that is not 2D");
    return {{in[0][0], n_, in[0][1]}};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const Array& x = *in[0];
    const int64_t b = x.shape[0], f = x.shape[1];
    Array y({b, n_, f}, kUninitialized);
    for (int64_t i = 0; i < b; ++i) {
      for (int64_t r = 0; r < n_; ++r) {
        std::copy(x.data.begin() + i * f, x.data.begin() + (i + 1) * f,
                  y.data.begin() + (i * n_ + r) * f);
      }
    }
    return oneOutput(std::move(y));
  }
  // dx[b, :] = sum over the n repeats of dy[b, r, :].
  std::vector<Array> backward(const std::vector<const Array*>& in, const std::vector<const Array*>&,
                              LayerState*, std::vector<Array> dOut, GradientSink&) const override {
    const Array& g = dOut[0];
    const int64_t b = in[0]->shape[0], f = in[0]->shape[1];
    Array dx(in[0]->shape);
    for (int64_t i = 0; i < b; ++i) {
      for (int64_t r = 0; r < n_; ++r) {
        for (int64_t j = 0; j < f; ++j) {
          dx.data[static_cast<size_t>(i * f + j)] +=
              g.data[static_cast<size_t>((i * n_ + r) * f + j)];
        }
      }
    }
    return oneOutput(std::move(dx));
  }

 private:
  int64_t n_;
};

}  // namespace

void addReshapeLayers(Registry& r) {
  add<Reshape>(r, "Reshape");
  add<Permute>(r, "Permute");
  add<RepeatVector>(r, "RepeatVector");
}

}  // namespace tfjs::layers
