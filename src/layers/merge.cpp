// Merge layers: Add, Multiply, Average, Maximum, Minimum (elementwise over inputs of one shape)
// and Concatenate (along `axis`).
#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "layers/layer.h"

namespace tfjs::layers {
namespace {

enum class Op { kAdd, kMultiply, kAverage, kMaximum, kMinimum };

class Elementwise final : public Layer {
 public:
  Elementwise(const Config& c, Op op) : Layer(c), op_(op) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() < 2)
      config_.unsupported(fmt::format("{} input(s) (at least 2 needed)", in.size()));
    for (const Shape& s : in) {
      if (s != in[0]) {
        config_.unsupported(
            fmt::format("inputs of different shapes ({} and {}); broadcasting "
                        "merges are not supported yet",
                        Json(in[0]).dump(), Json(s).dump()));
      }
    }
    return {in[0]};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    Array y = *in[0];
    for (size_t k = 1; k < in.size(); ++k) {
      if (in[k]->shape != y.shape) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("layer '{}': inputs of different shapes", name()));
      }
      const float* x = in[k]->data.data();
      float* o = y.data.data();
      const size_t n = y.data.size();
      switch (op_) {
        case Op::kAdd:
        case Op::kAverage:
          for (size_t i = 0; i < n; ++i) o[i] += x[i];
          break;
        case Op::kMultiply:
          for (size_t i = 0; i < n; ++i) o[i] *= x[i];
          break;
        case Op::kMaximum:
          for (size_t i = 0; i < n; ++i) o[i] = std::max(o[i], x[i]);
          break;
        case Op::kMinimum:
          for (size_t i = 0; i < n; ++i) o[i] = std::min(o[i], x[i]);
          break;
      }
    }
    if (op_ == Op::kAverage) {
      const float scale = 1.0f / static_cast<float>(in.size());
      for (float& v : y.data) v *= scale;
    }
    return {std::move(y)};
  }

 private:
  Op op_;
};

class Concatenate final : public Layer {
 public:
  explicit Concatenate(const Config& c) : Layer(c), axis_(c.integer("axis", -1)) {}
  std::vector<Shape> build(const std::vector<Shape>& in) override {
    if (in.size() < 2)
      config_.unsupported(fmt::format("{} input(s) (at least 2 needed)", in.size()));
    const auto rank = static_cast<int64_t>(in[0].size());
    axis_ = axis_ < 0 ? axis_ + rank : axis_;
    if (axis_ <= 0 || axis_ >= rank) config_.unsupported(fmt::format("axis {}", axis_));
    Shape out = in[0];
    out[static_cast<size_t>(axis_)] = 0;
    for (const Shape& s : in) {
      if (static_cast<int64_t>(s.size()) != rank) config_.unsupported("inputs of different ranks");
      for (int64_t d = 1; d < rank; ++d) {
        if (d != axis_ && s[static_cast<size_t>(d)] != in[0][static_cast<size_t>(d)]) {
          config_.unsupported(fmt::format("inputs {} and {} that differ off the axis",
                                          Json(in[0]).dump(), Json(s).dump()));
        }
      }
      const int64_t a = s[static_cast<size_t>(axis_)];
      int64_t& o = out[static_cast<size_t>(axis_)];
      o = (a < 0 || o < 0) ? -1 : o + a;
    }
    return {out};
  }
  std::vector<Array> call(const std::vector<const Array*>& in) const override {
    const auto ax = static_cast<size_t>(axis_);
    Shape shape = in[0]->shape;
    shape[ax] = 0;
    for (const Array* a : in) shape[ax] += a->shape[ax];
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < ax; ++d) outer *= shape[d];
    for (size_t d = ax + 1; d < shape.size(); ++d) inner *= shape[d];
    Array y(shape);
    float* o = y.data.data();
    for (int64_t r = 0; r < outer; ++r) {
      for (const Array* a : in) {
        const int64_t chunk = a->shape[ax] * inner;
        const float* src = a->data.data() + r * chunk;
        o = std::copy(src, src + chunk, o);
      }
    }
    return {std::move(y)};
  }

 private:
  int64_t axis_;
};

}  // namespace

void addMergeLayers(Registry& r) {
  const std::pair<const char*, Op> ops[] = {{"Add", Op::kAdd},
                                            {"Multiply", Op::kMultiply},
                                            {"Average", Op::kAverage},
                                            {"Maximum", Op::kMaximum},
                                            {"Minimum", Op::kMinimum}};
  for (const auto& [name, op] : ops) {
    const Op o = op;
    r[name] = [o](const Config& c) { return std::make_unique<Elementwise>(c, o); };
  }
  add<Concatenate>(r, "Concatenate");
}

}  // namespace tfjs::layers
