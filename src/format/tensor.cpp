// Tensor, Buffer and the weight decoder (TF.js decodeWeights semantics).
#include "tfjs/tensor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "format/checked.h"
#include "format/js_math.h"

namespace tfjs {

Buffer Buffer::allocate(size_t size) {
  Buffer b;
  // Large buffers (weight data) are 2 MiB aligned and marked MADV_HUGEPAGE, so that filling them
  // faults in 2 MiB pages rather than 4 KiB ones (one fault per 512 pages).
  constexpr size_t kHugePage = size_t{2} << 20;
  const bool huge = size >= kHugePage;
  const size_t align = huge ? kHugePage : 64;
  const size_t rounded = huge ? (size + 4095) / 4096 * 4096 : ((size + 63) / 64) * 64;
  void* p = nullptr;
  if (::posix_memalign(&p, align, rounded == 0 ? 64 : rounded) != 0) p = nullptr;
  if (p == nullptr) {
    throw Error(ErrorCode::kTooLarge, fmt::format("cannot allocate {} bytes", size));
  }
  if (huge) ::madvise(p, rounded, MADV_HUGEPAGE);  // best effort: THP may be off
  b.data_ = std::shared_ptr<uint8_t[]>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
  b.size_ = size;
  return b;
}

Buffer Buffer::copyOf(const void* bytes, size_t size) {
  Buffer b = allocate(size);
  if (size) std::memcpy(b.data_.get(), bytes, size);
  return b;
}

uint8_t* Buffer::mutableData() {
  if (data_ && data_.use_count() > 1) *this = copyOf(data_.get(), size_);
  return data_.get();
}

uint8_t* internalWritableData(Buffer& b) {
  return b.data_.get();
}

namespace {

// The element count of `shape`, checked: no negative dimension, no overflow of int64.
uint64_t checkedCount(const std::vector<int64_t>& shape, const char* what) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: shape {} has a negative dimension", what, shapeString(shape)));
    }
    if (d != 0 && n > (uint64_t{1} << 62) / static_cast<uint64_t>(d)) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{}: shape {} has too many elements", what, shapeString(shape)));
    }
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

}  // namespace

Tensor::Tensor(DType dtype, std::vector<int64_t> shape, Buffer buffer, size_t offset)
    : dtype_(dtype), shape_(std::move(shape)), buffer_(std::move(buffer)), offset_(offset) {
  if (dtype_ == DType::kString) {
    throw Error(ErrorCode::kInvalidArgument,
                "a string tensor is made from strings, not from a byte buffer");
  }
  const uint64_t n = checkedCount(shape_, "Tensor");
  const uint64_t need = n * dtypeSize(dtype_);
  const size_t align = dtype_ == DType::kBool ? 1 : 4;
  if (offset_ % align != 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("Tensor: byte offset {} is not a multiple of {} ({} values)", offset_,
                            align, dtypeName(dtype_)));
  }
  if (offset_ > buffer_.size() || need > buffer_.size() - offset_) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("Tensor: a {} tensor of shape {} needs {} bytes from offset {}, but "
                            "the buffer holds {}",
                            dtypeName(dtype_), shapeString(shape_), need, offset_, buffer_.size()));
  }
}

Tensor::Tensor(std::vector<int64_t> shape, std::vector<std::string> strings)
    : dtype_(DType::kString), shape_(std::move(shape)), strings_(std::move(strings)) {
  const uint64_t n = checkedCount(shape_, "Tensor");
  if (n != strings_.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("Tensor: {} strings for shape {} ({} elements)", strings_.size(),
                            shapeString(shape_), n));
  }
}

int64_t Tensor::size() const {
  return static_cast<int64_t>(elementCount(shape_));
}

size_t Tensor::byteLength() const {
  return static_cast<size_t>(size()) * dtypeSize(dtype_);
}

namespace {
template <typename T>
std::span<const T> typed(const Tensor& t, bool ok, const char* what) {
  if (!ok) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("tensor of dtype {} read as {}", dtypeName(t.dtype()), what));
  }
  if (reinterpret_cast<uintptr_t>(t.bytes()) % alignof(T) != 0) {
    throw Error(ErrorCode::kInvalidArgument, "tensor bytes are not aligned for typed access");
  }
  return {reinterpret_cast<const T*>(t.bytes()), t.byteLength() / sizeof(T)};
}
}  // namespace

std::span<const float> Tensor::floats() const& {
  return typed<float>(*this, dtype_ == DType::kFloat32 || dtype_ == DType::kComplex64, "float32");
}
std::span<const int32_t> Tensor::ints() const& {
  return typed<int32_t>(*this, dtype_ == DType::kInt32, "int32");
}
std::span<const uint8_t> Tensor::bools() const& {
  return typed<uint8_t>(*this, dtype_ == DType::kBool, "bool");
}

std::vector<float> Tensor::dataSync() const {
  switch (dtype_) {
    case DType::kFloat32:
    case DType::kComplex64: {
      const auto v = floats();
      return {v.begin(), v.end()};
    }
    case DType::kInt32: {
      const auto v = ints();
      return {v.begin(), v.end()};
    }
    case DType::kBool: {
      const auto v = bools();
      return {v.begin(), v.end()};
    }
    default:
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("dataSync() of a {} tensor: use strings()", dtypeName(dtype_)));
  }
}

namespace {

template <typename T>
Tensor makeTensor(std::span<const T> values, std::vector<int64_t> shape, DType dtype) {
  const uint64_t n = checkedCount(shape, "tensor()");
  if (n != values.size()) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("tensor(): {} values for shape {} ({} elements)", values.size(),
                            shapeString(shape), n));
  }
  if (dtype != DType::kFloat32 && dtype != DType::kInt32 && dtype != DType::kBool) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("tensor(): dtype {} (float32, int32 or bool)", dtypeName(dtype)));
  }
  Buffer b = Buffer::allocate(std::max<size_t>(static_cast<size_t>(n) * dtypeSize(dtype), 4));
  uint8_t* p = b.mutableData();
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::kFloat32) {
      const auto f = static_cast<float>(values[i]);
      std::memcpy(p + 4 * i, &f, 4);
    } else if (dtype == DType::kInt32) {
      const auto v = static_cast<int32_t>(values[i]);
      std::memcpy(p + 4 * i, &v, 4);
    } else {
      p[i] = values[i] != 0 ? 1 : 0;
    }
  }
  return Tensor(dtype, std::move(shape), std::move(b), 0);
}

}  // namespace

Tensor tensor(std::span<const float> values, std::vector<int64_t> shape, DType dtype) {
  for (float v : values) {
    if (dtype == DType::kInt32 && !(std::abs(v) < 2147483648.0f)) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("tensor(): {} does not fit an int32 tensor", v));
    }
  }
  return makeTensor(values, std::move(shape), dtype);
}
Tensor tensor(std::span<const float> values) {
  return tensor(values, {static_cast<int64_t>(values.size())});
}
Tensor tensor(std::initializer_list<float> values, std::vector<int64_t> shape, DType dtype) {
  return tensor(std::span<const float>(values.begin(), values.size()), std::move(shape), dtype);
}
Tensor tensor(std::initializer_list<float> values) {
  return tensor(std::span<const float>(values.begin(), values.size()));
}
Tensor tensor(std::span<const int32_t> values, std::vector<int64_t> shape, DType dtype) {
  return makeTensor(values, std::move(shape), dtype);
}
Tensor tensor(std::span<const int32_t> values) {
  return tensor(values, {static_cast<int64_t>(values.size())});
}
Tensor scalar(float value, DType dtype) {
  return tensor({value}, {}, dtype);
}
Tensor fill(std::vector<int64_t> shape, float value, DType dtype) {
  const uint64_t n = checkedCount(shape, "fill()");
  if (n > (uint64_t{1} << 40)) {
    throw Error(ErrorCode::kTooLarge,
                fmt::format("fill(): shape {} is too large", shapeString(shape)));
  }
  const std::vector<float> values(static_cast<size_t>(n), value);
  return tensor(std::span<const float>(values), std::move(shape), dtype);
}
Tensor zeros(std::vector<int64_t> shape, DType dtype) {
  return fill(std::move(shape), 0.0f, dtype);
}
Tensor ones(std::vector<int64_t> shape, DType dtype) {
  return fill(std::move(shape), 1.0f, dtype);
}

namespace {

uint32_t codeAt(const uint8_t* p, size_t i, DType storage) {
  if (storage == DType::kUint8) return p[i];
  return static_cast<uint32_t>(p[2 * i]) | (static_cast<uint32_t>(p[2 * i + 1]) << 8);
}

}  // namespace

Tensor decodeWeightBytes(const WeightSpec& spec, const uint8_t* bytes, size_t length) {
  const uint64_t n = elementCount(spec.shape);
  if (spec.variableLength()) {
    std::vector<std::string> strings;
    strings.reserve(static_cast<size_t>(n));
    size_t off = 0;
    for (uint64_t i = 0; i < n; ++i) {
      if (off + 4 > length)
        throw Error(ErrorCode::kBadString, "string data truncated", "", spec.name);
      uint32_t sl;
      std::memcpy(&sl, bytes + off, 4);
      off += 4;
      if (sl > length - off)
        throw Error(ErrorCode::kBadString, "string data truncated", "", spec.name);
      strings.emplace_back(reinterpret_cast<const char*>(bytes + off), sl);
      off += sl;
    }
    return Tensor(spec.shape, std::move(strings));
  }
  const size_t outBytes = static_cast<size_t>(checkedMul(n, dtypeSize(spec.dtype)));
  // Check the input before allocating the output: the shape may be a lie.
  if (length < *spec.storedByteLength()) {
    throw Error(ErrorCode::kTruncated,
                spec.quantization ? "quantized weight data truncated" : "weight data truncated", "",
                spec.name);
  }
  Buffer out = Buffer::allocate(outBytes);
  if (!spec.quantization) {
    if (outBytes) std::memcpy(out.mutableData(), bytes, outBytes);
    return Tensor(spec.dtype, spec.shape, std::move(out), 0);
  }
  const Quantization& q = *spec.quantization;
  if (q.dtype == DType::kFloat16) {
    auto* dst = reinterpret_cast<float*>(out.mutableData());
    for (uint64_t i = 0; i < n; ++i)
      dst[i] = halfToFloat(static_cast<uint16_t>(codeAt(bytes, i, q.dtype)));
  } else {
    const double scale = q.scale.value_or(1.0);
    const double min = q.min.value_or(0.0);
    if (spec.dtype == DType::kInt32) {
      auto* dst = reinterpret_cast<int32_t*>(out.mutableData());
      for (uint64_t i = 0; i < n; ++i) {
        dst[i] = jsToInt32(jsRound(static_cast<double>(codeAt(bytes, i, q.dtype)) * scale + min));
      }
    } else {
      auto* dst = reinterpret_cast<float*>(out.mutableData());
      for (uint64_t i = 0; i < n; ++i)
        dst[i] = dequantizeToFloat(codeAt(bytes, i, q.dtype), scale, min);
    }
  }
  return Tensor(spec.dtype, spec.shape, std::move(out), 0);
}

Tensor decodeWeight(const ModelArtifacts& a, const WeightSpec& spec, const WeightLocation& loc) {
  if (loc.byteLength > a.weightData.size() ||
      loc.dataOffset > a.weightData.size() - loc.byteLength) {
    throw Error(Problem{ErrorCode::kTruncated, "weight lies past the end of the weight data", "",
                        spec.name, ByteRange{loc.byteOffset, loc.byteOffset + loc.byteLength}});
  }
  const uint8_t* p = a.weightData.data() + loc.dataOffset;
  const bool numeric = spec.dtype != DType::kString;
  const size_t align = spec.dtype == DType::kBool ? 1 : 4;
  if (!spec.quantization && numeric && loc.dataOffset % align == 0) {
    return Tensor(spec.dtype, spec.shape, a.weightData, static_cast<size_t>(loc.dataOffset));
  }
  return decodeWeightBytes(spec, p, static_cast<size_t>(loc.byteLength));
}

std::vector<NamedTensor> decodeWeights(const ModelArtifacts& a) {
  if (!a.weightsLoaded && a.weightCount() > 0) {
    throw Error(ErrorCode::kInvalidArgument, "the model's weights were not loaded");
  }
  std::vector<Problem> problems;
  const auto locations = locateWeights(a, problems);
  if (!problems.empty()) throw Error(std::move(problems));
  const auto specs = a.weightSpecs();
  std::vector<NamedTensor> out;
  out.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    out.push_back({specs[i]->name, decodeWeight(a, *specs[i], locations[i])});
  }
  return out;
}

}  // namespace tfjs
