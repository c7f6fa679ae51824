// graph/ops.h — the values graph ops compute on and the op table. Internal to src/graph.
//
// A Value is a tensor of TF.js's dtypes as the executor holds it: float32 in the kernels' Floats
// (so a kernel reads it in place), int32 and bool (0 / 1) as int32. Values are immutable once
// made and shared (ValuePtr): Identity passes its input on, a Const is made once at load.
//
// An op is one function of its inputs and its node (attributes), registered in its family's
// table (ops_*.cpp) under the op names tfjs-converter's op list uses; adding an op is one
// function and one row. Ops check their inputs' dtypes and shapes and refuse what TF.js refuses,
// naming the node (Node::invalid / unsupported).
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "graph/graph_def.h"
#include "kernels/array.h"
#include "tfjs/tensor.h"

namespace tfjs::graph {

using kernels::Shape;

struct TensorList;
struct TensorArray;  // ops_tensor_array.cpp
struct HashTable;    // ops_hash_table.cpp

struct Value {
  DType dtype = DType::kFloat32;
  Shape shape;
  kernels::Floats f;                       // float32; complex64 as re, im interleaved
  std::vector<int32_t> i;                  // int32, and bool as 0 / 1
  std::vector<std::string> s;              // string (raw bytes)
  std::shared_ptr<const TensorList> list;  // a TensorList handle (TF's DT_VARIANT); shape []
  std::shared_ptr<TensorArray> array;      // a TensorArray handle (TF's DT_RESOURCE); shape [2]
  std::shared_ptr<HashTable> table;        // a hash table handle (DT_RESOURCE); shape []
  int64_t size() const { return kernels::Array::count(shape); }
};
using ValuePtr = std::shared_ptr<const Value>;

// A TensorList (tf.TensorList in tfjs-converter): elements of one dtype, each a value or not yet
// set, with the element shape the list was made with (-1 dimensions unknown; unknown rank when
// `knownRank` is false) and its capacity (-1: none). Immutable: an op that changes a list makes
// a new one sharing the element values.
struct TensorList {
  DType elementDtype = DType::kFloat32;
  Shape elementShape;
  bool knownRank = false;
  int64_t maxElements = -1;
  std::vector<ValuePtr> items;  // null: not set
};

ValuePtr floatValue(Shape shape, kernels::Floats data);
ValuePtr intValue(Shape shape, std::vector<int32_t> data, DType dtype = DType::kInt32);
// A kernels::Array holding a float32 value's elements (a copy) / a float32 Value from an Array.
kernels::Array arrayOf(const Value& v);
ValuePtr fromArray(kernels::Array a);

// Conversions at the model's edges: feeds and Const weights in, fetched outputs out.
// Error(kUnsupported) for string and complex64 tensors, which no op here takes yet.
ValuePtr fromTensor(const Tensor& t, const std::string& what);
Tensor toTensor(const Value& v);

// What an op keeps across runs of its node (a fast kernel made once with its packed weights):
// one shared object, made on first use and replaced when the op finds it stale. Thread-safe.
class NodeState {
 public:
  template <typename T>
  std::shared_ptr<T> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::static_pointer_cast<T>(value_);
  }
  void set(std::shared_ptr<void> v) const {
    std::lock_guard<std::mutex> lock(mutex_);
    value_ = std::move(v);
  }

 private:
  mutable std::mutex mutex_;
  mutable std::shared_ptr<void> value_;
};

class Runtime;  // program.h: the library functions, for the control-flow ops

// What an op sees: its node, its inputs' values, its node's state and the runtime.
struct OpContext {
  const Node& node;
  std::span<const ValuePtr> inputs;
  const NodeState& state;
  const Runtime& runtime;

  // Input k; Node::invalid when the node has fewer inputs.
  const Value& in(size_t k) const;
  // Input k, which must be float32 (Node::unsupported otherwise, naming its dtype).
  const Value& floatIn(size_t k) const;
  // Input k read as integers (int32 or bool), e.g. a shape, an axis, begin / end / strides.
  std::vector<int64_t> ints(size_t k) const;
};

// The activations TF.js's fused ops apply after their bias (backend-cpu's applyActivation), and
// their element rules (ops_math.cpp): relu max(0, x) (NaN stays NaN), relu6 min(max(0, x), 6),
// elu x >= 0 ? x : exp(x) - 1, sigmoid 1 / (1 + exp(-x)), prelu / leakyrelu x < 0 ? alpha * x : x
// (prelu's alpha broadcast over x, leakyrelu's one number), each in double rounded to float32.
enum class Activation { kLinear, kRelu, kRelu6, kElu, kSigmoid, kPrelu, kLeakyRelu };
// y in place; `alpha` is prelu's alpha values (broadcast to y's shape), `leaky` leakyrelu's.
void activate(Activation a, kernels::Array& y, const Value* alpha, float leaky, const Node& node);

// Helpers of the op families (values.cpp).
// A value of `like`'s dtype and shape `shape` whose element k is like's element src[k].
ValuePtr gatherValue(const Value& like, Shape shape, const std::vector<int64_t>& src);
// For each index of `out` in row-major order, the flat source position sourceOf(index) gives: the
// gather list of an op that moves elements (Slice, Tile, Transpose, StridedSlice, ...).
template <typename F>
std::vector<int64_t> sourcesOf(const Shape& out, F sourceOf) {
  std::vector<int64_t> src(static_cast<size_t>(kernels::Array::count(out)));
  std::vector<int64_t> idx(out.size(), 0);
  for (size_t k = 0; k < src.size(); ++k) {
    src[k] = sourceOf(idx);
    for (size_t d = out.size(); d-- > 0;) {  // odometer increment
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return src;
}
// The NumPy broadcast of the operands' shapes and, for each of its elements in row-major order,
// each operand's flat position (Node::invalid when the shapes do not broadcast): the index
// arithmetic of the element-wise ops that do not run on a kernel (int32, comparisons, ...).
struct Broadcast {
  Shape out;
  std::vector<std::vector<int64_t>> positions;  // per operand, per output element
};
Broadcast broadcast(const OpContext& c, std::initializer_list<const Value*> operands);
// Element k of a float32, int32 or bool value, as a double.
inline double numberAt(const Value& v, int64_t k) {
  return v.dtype == DType::kFloat32 ? static_cast<double>(v.f[static_cast<size_t>(k)])
                                    : static_cast<double>(v.i[static_cast<size_t>(k)]);
}
// An axis in [-rank, rank) resolved (negative from the end); Node::invalid otherwise.
int64_t resolveAxis(const OpContext& c, int64_t axis, int64_t rank);
// "[2,3]"
std::string shapeText(const Shape& s);
// The most elements one value may have (2^30: 4 GiB of float32); a Fill, Range, Tile,
// BroadcastTo or OneHot asked for more is Node::invalid, not an out-of-memory kill.
inline constexpr int64_t kMaxElements = int64_t{1} << 30;
void checkSize(const OpContext& c, const Shape& s);

using OpFn = std::vector<ValuePtr> (*)(const OpContext&);

struct OpRow {
  const char* name;
  OpFn run;
};

// BatchMatMul's product (ops_matrices.cpp), also MatMul's for int32 operands: a x b over the
// last two axes (transposed when ta / tb), the batch axes paired as TF.js pairs them.
std::vector<ValuePtr> batchMatMulOf(const OpContext& c, bool ta, bool tb);

// Each family's rows (ops_*.cpp).
std::span<const OpRow> basicOps();    // graph, creation, transformation, slice / join
std::span<const OpRow> mathOps();     // arithmetic, basic math, reduction
std::span<const OpRow> nnOps();       // convolution, matrices, pooling, image
std::span<const OpRow> logicOps();    // logical, evaluation
std::span<const OpRow> sliceOps();    // slice / join and creation ops that cut, repeat or make
std::span<const OpRow> controlOps();  // control flow v2 (functions), TensorList
std::span<const OpRow> dynamicOps();  // NonMaxSuppression
std::span<const OpRow>
framesOps();  // control flow v1: Enter, Exit, Switch, Merge, NextIteration, LoopCond
std::span<const OpRow> tensorArrayOps();  // TensorArrayV3 and its reads, writes, gathers, scatters
std::span<const OpRow> normalizationOps();  // FusedBatchNorm, LRN, LogSoftmax, EuclideanNorm
std::span<const OpRow> matrixOps();         // BatchMatMul, Einsum, MatrixBandPart
std::span<const OpRow> imageOps();          // CropAndResize, ImageProjectiveTransformV3
std::span<const OpRow> reductionOps();      // All, Any, Cumsum, Cumprod, Bincount, DenseBincount
std::span<const OpRow>
transformOps();  // MirrorPad, space / batch / depth moves, Reverse, scatter / gather ND
std::span<const OpRow> creationOps();    // Ones, Zeros, LinSpace, the random ops
std::span<const OpRow> evaluationOps();  // Unique, LowerBound, UpperBound, ListDiff
std::span<const OpRow> stringOps();      // string ops
std::span<const OpRow> hashTableOps();   // hash tables
std::span<const OpRow> sparseOps();      // sparse ops
std::span<const OpRow> raggedOps();      // ragged ops
std::span<const OpRow> spectralOps();    // FFT and the complex64 ops

// Whether an op takes string / complex64 inputs (TF.js's 'string_or_numeric' ops, the string,
// hash-table and spectral ops, and those that only pass values on). The executors refuse any
// other op such an input, naming it, rather than let a numeric kernel read it.
bool takesStrings(std::string_view op);
bool takesComplex(std::string_view op);

// Every op by name (the families' rows, built once).
const std::map<std::string, OpFn>& opTable();

}  // namespace tfjs::graph
