// tfjs/tensor.h — a decoded weight: dtype, shape and values.
//
// A Tensor holds row-major values of a logical dtype (float32, int32, bool, string, complex64).
// Numeric values live in a Buffer, either one of its own or, for unquantized float32 / int32 /
// bool / complex64 weights whose bytes are suitably aligned, a view into the ModelArtifacts'
// weight buffer (no copy; the Tensor keeps that buffer alive). String values are held as
// std::string (raw bytes, no encoding assumed). Tensors are immutable values; const access is
// thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/dtype.h"

namespace tfjs {

class Tensor {
 public:
  Tensor() = default;
  // A numeric tensor viewing `byteLength` bytes of `buffer` from `offset`.
  Tensor(DType dtype, std::vector<int64_t> shape, Buffer buffer, size_t offset);
  // A string tensor.
  Tensor(std::vector<int64_t> shape, std::vector<std::string> strings);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t size() const;       // element count (1 for a scalar)
  size_t byteLength() const;  // numeric dtypes: size() * dtypeSize(dtype())
  const uint8_t* bytes() const { return buffer_.data() + offset_; }
  // True when the values are a view into the model's weight buffer (no copy was made).
  bool sharesBuffer(const Buffer& b) const { return buffer_.data() == b.data() && !b.empty(); }

  // Typed access; throws tfjs::Error(kInvalidArgument) when T does not match dtype().
  std::span<const float> floats() const;   // float32, and complex64 as interleaved re,im
  std::span<const int32_t> ints() const;   // int32
  std::span<const uint8_t> bools() const;  // bool, one byte 0/1 per element
  const std::vector<std::string>& strings() const { return strings_; }

 private:
  DType dtype_ = DType::kFloat32;
  std::vector<int64_t> shape_;
  Buffer buffer_;
  size_t offset_ = 0;
  std::vector<std::string> strings_;
};

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// Decodes every weight of loaded artifacts as TF.js's decodeWeights does (dequantizing uint8,
// uint16 and float16), in manifest order. Validates first and throws tfjs::Error listing every
// problem. Unquantized weights at aligned offsets share artifacts.weightData.
std::vector<NamedTensor> decodeWeights(const ModelArtifacts& artifacts);

// Decodes one weight at a known location (see locateWeights).
Tensor decodeWeight(const ModelArtifacts& artifacts, const WeightSpec& spec,
                    const WeightLocation& location);

// The raw-to-value decoding step for one weight's bytes, exposed for tests and tools.
Tensor decodeWeightBytes(const WeightSpec& spec, const uint8_t* bytes, size_t length);

}  // namespace tfjs
