// Values, the op context and the op table (ops.h).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "graph/ops.h"
#include "kernels/indexing.h"
#include "kernels/kernels.h"
#include "tfjs/error.h"

namespace tfjs::graph {

ValuePtr floatValue(Shape shape, kernels::Floats data) {
  auto v = std::make_shared<Value>();
  v->dtype = DType::kFloat32;
  v->shape = std::move(shape);
  v->f = std::move(data);
  return v;
}

ValuePtr intValue(Shape shape, std::vector<int32_t> data, DType dtype) {
  auto v = std::make_shared<Value>();
  v->dtype = dtype;
  v->shape = std::move(shape);
  v->i = std::move(data);
  return v;
}

kernels::Array arrayOf(const Value& v) {
  return kernels::Array(v.shape, v.f);
}

ValuePtr fromArray(kernels::Array a) {
  return floatValue(std::move(a.shape), std::move(a.data));
}

ValuePtr fromTensor(const Tensor& t, const std::string& what) {
  switch (t.dtype()) {
    case DType::kFloat32: {
      const auto f = t.floats();
      return floatValue(t.shape(), kernels::Floats(f.begin(), f.end()));
    }
    case DType::kInt32: {
      const auto i = t.ints();
      return intValue(t.shape(), std::vector<int32_t>(i.begin(), i.end()));
    }
    case DType::kBool: {
      const auto b = t.bools();
      return intValue(t.shape(), std::vector<int32_t>(b.begin(), b.end()), DType::kBool);
    }
    case DType::kString: {
      auto v = std::make_shared<Value>();
      v->dtype = DType::kString;
      v->shape = t.shape();
      v->s = t.strings();
      return v;
    }
    case DType::kComplex64: {  // re, im interleaved in both
      auto v = std::make_shared<Value>();
      v->dtype = DType::kComplex64;
      v->shape = t.shape();
      const auto f = t.floats();
      v->f.assign(f.begin(), f.end());
      return v;
    }
    default:
      throw Error(ErrorCode::kUnsupported,
                  fmt::format("{}: a {} tensor (the graph runtime runs float32, int32, bool, "
                              "string and complex64)",
                              what, dtypeName(t.dtype())));
  }
}

Tensor toTensor(const Value& v) {
  if (v.list) {
    throw Error(ErrorCode::kUnsupported, "a TensorList handle cannot be a model output");
  }
  if (v.dtype == DType::kFloat32)
    return tensor(std::span<const float>(v.f.data(), v.f.size()), v.shape);
  if (v.dtype == DType::kString) return Tensor(v.shape, v.s);
  if (v.dtype == DType::kComplex64) {
    Buffer b = Buffer::copyOf(v.f.data(), v.f.size() * sizeof(float));
    return Tensor(DType::kComplex64, v.shape, std::move(b));
  }
  return tensor(std::span<const int32_t>(v.i.data(), v.i.size()), v.shape, v.dtype);
}

const Value& OpContext::in(size_t k) const {
  if (k >= inputs.size()) {
    node.invalid(fmt::format("input {} is missing ({} given)", k, inputs.size()));
  }
  return *inputs[k];
}

const Value& OpContext::floatIn(size_t k) const {
  const Value& v = in(k);
  if (v.dtype != DType::kFloat32) {
    node.unsupported(fmt::format("input {} of dtype {} (float32 expected)", k, dtypeName(v.dtype)));
  }
  return v;
}

std::vector<int64_t> OpContext::ints(size_t k) const {
  const Value& v = in(k);
  if (v.dtype != DType::kInt32 && v.dtype != DType::kBool) {
    node.invalid(fmt::format("input {} is {} where integers are expected", k, dtypeName(v.dtype)));
  }
  return {v.i.begin(), v.i.end()};
}

ValuePtr gatherValue(const Value& like, Shape shape, const std::vector<int64_t>& src) {
  auto v = std::make_shared<Value>();
  v->dtype = like.dtype;
  v->shape = std::move(shape);
  if (like.dtype == DType::kFloat32) {
    v->f.resize(src.size());
    for (size_t k = 0; k < src.size(); ++k) v->f[k] = like.f[static_cast<size_t>(src[k])];
  } else if (like.dtype == DType::kComplex64) {  // re, im pairs
    v->f.resize(2 * src.size());
    for (size_t k = 0; k < src.size(); ++k) {
      v->f[2 * k] = like.f[2 * static_cast<size_t>(src[k])];
      v->f[2 * k + 1] = like.f[2 * static_cast<size_t>(src[k]) + 1];
    }
  } else if (like.dtype == DType::kString) {
    v->s.resize(src.size());
    for (size_t k = 0; k < src.size(); ++k) v->s[k] = like.s[static_cast<size_t>(src[k])];
  } else {
    v->i.resize(src.size());
    for (size_t k = 0; k < src.size(); ++k) v->i[k] = like.i[static_cast<size_t>(src[k])];
  }
  return v;
}

Broadcast broadcast(const OpContext& c, std::initializer_list<const Value*> operands) {
  Broadcast b;
  try {
    for (const Value* v : operands) b.out = kernels::broadcastShape(b.out, v->shape);
  } catch (const Error& e) {
    c.node.invalid(e.what());
  }
  checkSize(c, b.out);
  for (const Value* v : operands) {
    std::vector<int64_t> stride;
    kernels::indexing::repeatStrides(v->shape, b.out, stride);
    std::vector<int64_t> pos(static_cast<size_t>(kernels::Array::count(b.out)));
    kernels::indexing::forEachIndex(
        b.out, stride, [&](int64_t i, int64_t src) { pos[static_cast<size_t>(i)] = src; });
    b.positions.push_back(std::move(pos));
  }
  return b;
}

int64_t resolveAxis(const OpContext& c, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    c.node.invalid(fmt::format("axis {} is out of range for rank {}", axis, rank));
  }
  return axis < 0 ? axis + rank : axis;
}

std::string shapeText(const Shape& s) {
  return fmt::format("[{}]", fmt::join(s, ","));
}

void checkSize(const OpContext& c, const Shape& s) {
  double n = 1;
  for (const int64_t d : s) {
    if (d < 0) c.node.invalid(fmt::format("a negative dimension in {}", shapeText(s)));
    n *= static_cast<double>(d);
  }
  if (n > static_cast<double>(kMaxElements)) {
    c.node.invalid(fmt::format("a result of shape {} ({:.0f} elements, over the limit of {})",
                               shapeText(s), n, kMaxElements));
  }
}

namespace {

// Ops that pass any value on, or hold it (control flow, TensorArray), or read only its shape.
bool passesAnything(std::string_view op) {
  static const std::set<std::string, std::less<>> ops = {"Identity",
                                                         "IdentityN",
                                                         "Snapshot",
                                                         "StopGradient",
                                                         "Print",
                                                         "PlaceholderWithDefault",
                                                         "Reshape",
                                                         "ExpandDims",
                                                         "Squeeze",
                                                         "Shape",
                                                         "ShapeN",
                                                         "Size",
                                                         "Rank",
                                                         "Switch",
                                                         "Merge",
                                                         "Enter",
                                                         "Exit",
                                                         "NextIteration",
                                                         "LoopCond",
                                                         "If",
                                                         "StatelessIf",
                                                         "While",
                                                         "StatelessWhile",
                                                         "TensorArrayV3",
                                                         "TensorArrayWriteV3",
                                                         "TensorArrayReadV3",
                                                         "TensorArrayGatherV3",
                                                         "TensorArrayScatterV3",
                                                         "TensorArrayConcatV3",
                                                         "TensorArraySplitV3",
                                                         "TensorArraySizeV3",
                                                         "TensorArrayCloseV3",
                                                         "NoOp"};
  return ops.count(op) > 0;
}

}  // namespace

bool takesStrings(std::string_view op) {
  static const std::set<std::string, std::less<>> ops = {
      "Pack",         "ConcatV2",     "Concat",
      "Slice",        "StridedSlice", "Tile",
      "Unpack",       "GatherNd",     "Equal",
      "NotEqual",     "Less",         "LessEqual",
      "Greater",      "GreaterEqual", "Unique",
      "UniqueV2",     "EnsureShape",  "StaticRegexReplace",
      "StringNGrams", "StringSplit",  "StringToHashBucketFast"};
  return passesAnything(op) || ops.count(op) > 0 || op.starts_with("HashTable") ||
         op.starts_with("LookupTable") || op.starts_with("InitializeTable");
}

bool takesComplex(std::string_view op) {
  static const std::set<std::string, std::less<>> ops = {"FFT",     "IFFT",       "RFFT", "IRFFT",
                                                         "Complex", "ComplexAbs", "Real", "Imag"};
  return passesAnything(op) || ops.count(op) > 0;
}

const std::map<std::string, OpFn>& opTable() {
  static const std::map<std::string, OpFn> table = [] {
    std::map<std::string, OpFn> t;
    for (const auto family :
         {basicOps(),      mathOps(),    nnOps(),        logicOps(),       sliceOps(),
          controlOps(),    dynamicOps(), framesOps(),    tensorArrayOps(), normalizationOps(),
          matrixOps(),     imageOps(),   reductionOps(), transformOps(),   creationOps(),
          evaluationOps(), stringOps(),  hashTableOps(), sparseOps(),      raggedOps(),
          spectralOps()}) {
      for (const OpRow& row : family) t.emplace(row.name, row.run);
    }
    return t;
  }();
  return table;
}

}  // namespace tfjs::graph
