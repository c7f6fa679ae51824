// tfjs/tensor.h — a tensor value: dtype, shape and values (tf.Tensor's data, without the ops).
//
// A Tensor holds row-major values of a logical dtype (float32, int32, bool, string, complex64).
// Numeric values live in a Buffer, either one of its own or, for unquantized float32 / int32 /
// bool / complex64 weights whose bytes are suitably aligned, a view into the ModelArtifacts'
// weight buffer (no copy; the Tensor keeps that buffer alive). String values are held as
// std::string (raw bytes, no encoding assumed). Tensors are immutable values: a Buffer is copy
// on write (tfjs/artifacts.h), so nothing written through another holder of the bytes reaches a
// Tensor. Const access is thread-safe.
//
// Make tensors as in TF.js:
//   tfjs::tensor({1, 2, 3, 4}, {2, 2})        // tf.tensor([1, 2, 3, 4], [2, 2]): float32
//   tfjs::tensor(std::vector<int32_t>{1, 2})  // int32, shape [2]
//   tfjs::scalar(10), tfjs::zeros({2, 3}), tfjs::ones({4}), tfjs::fill({2}, 7.5f)
// and read them with floats() / ints() / bools() (views, on a named tensor only) or dataSync()
// (an owning copy, also on a temporary: `auto v = model.predict(x).dataSync();`).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/dtype.h"

namespace tfjs {

class Tensor {
 public:
  Tensor() = default;  // an empty float32 tensor, shape [0]
  // A numeric tensor over `buffer` from byte `offset`. Throws tfjs::Error(kInvalidArgument) when
  // the shape has a negative dimension or too many elements, the dtype is string, the offset is
  // not a multiple of the element alignment (4 bytes; 1 for bool), or the buffer holds fewer than
  // offset + byteLength() bytes.
  Tensor(DType dtype, std::vector<int64_t> shape, Buffer buffer, size_t offset = 0);
  // A string tensor; throws kInvalidArgument when the count does not match the shape.
  Tensor(std::vector<int64_t> shape, std::vector<std::string> strings);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t size() const;       // element count (1 for a scalar)
  size_t byteLength() const;  // numeric dtypes: size() * dtypeSize(dtype())
  // The value bytes (numeric dtypes). Not on a temporary: the bytes go with it.
  const uint8_t* bytes() const& { return buffer_.data() + offset_; }
  const uint8_t* bytes() const&& = delete;
  // True when the values are a view into the model's weight buffer (no copy was made).
  bool sharesBuffer(const Buffer& b) const { return buffer_.data() == b.data() && !b.empty(); }

  // Typed views; throw tfjs::Error(kInvalidArgument) when T does not match dtype(). A view lives
  // as long as the Tensor: on a temporary they are deleted (use dataSync()).
  std::span<const float> floats() const&;   // float32, and complex64 as interleaved re,im
  std::span<const int32_t> ints() const&;   // int32
  std::span<const uint8_t> bools() const&;  // bool, one byte 0/1 per element
  const std::vector<std::string>& strings() const& { return strings_; }
  std::span<const float> floats() const&& = delete;
  std::span<const int32_t> ints() const&& = delete;
  std::span<const uint8_t> bools() const&& = delete;
  const std::vector<std::string>& strings() const&& = delete;

  // An owning copy of the values as numbers (tf.Tensor.dataSync()): float32 as is (complex64 as
  // interleaved re,im), int32 and bool converted. Throws kInvalidArgument for string tensors.
  std::vector<float> dataSync() const;

 private:
  DType dtype_ = DType::kFloat32;
  std::vector<int64_t> shape_{0};
  Buffer buffer_;
  size_t offset_ = 0;
  std::vector<std::string> strings_;
};

// --- factories, as TF.js's tf.tensor / tf.scalar / tf.zeros / tf.ones / tf.fill ----------------
// Each checks that the values fill the shape exactly and throws tfjs::Error(kInvalidArgument)
// otherwise. Without a shape, the values make a 1-D tensor. `dtype` may be float32, int32 or bool
// (bool: 1 for every non-zero value).
Tensor tensor(std::span<const float> values, std::vector<int64_t> shape,
              DType dtype = DType::kFloat32);
Tensor tensor(std::span<const float> values);
Tensor tensor(std::initializer_list<float> values, std::vector<int64_t> shape,
              DType dtype = DType::kFloat32);
Tensor tensor(std::initializer_list<float> values);
Tensor tensor(std::span<const int32_t> values, std::vector<int64_t> shape,
              DType dtype = DType::kInt32);
Tensor tensor(std::span<const int32_t> values);
Tensor scalar(float value, DType dtype = DType::kFloat32);
Tensor zeros(std::vector<int64_t> shape, DType dtype = DType::kFloat32);
Tensor ones(std::vector<int64_t> shape, DType dtype = DType::kFloat32);
Tensor fill(std::vector<int64_t> shape, float value, DType dtype = DType::kFloat32);

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
