// The graph ops of TensorFlow 1's TensorArray (tfjs-converter's control family): TensorArrayV3
// makes one, and TensorArrayWriteV3 / ReadV3 / GatherV3 / ScatterV3 / ConcatV3 / SplitV3 /
// SizeV3 / CloseV3 use it through its handle, with the rules of tfjs-converter's
// tensor_array.ts:
//
// - an array has a dtype, a size (its capacity unless dynamic_size) and an element shape (-1
//   dimensions free); with no element shape, the first write sets it;
// - each index is written once and, once read, never written again; with clear_after_read an
//   index is read once; its size is one past the highest index written;
// - gather reads the indices given (cut to the array's size), stacks them; concat joins all;
//   scatter writes the rows of a tensor at the indices given; split writes consecutive row
//   blocks, each reshaped to the element shape;
// - a closed array refuses reads and writes.
//
// Unlike a TensorList, a TensorArray is a resource: the handle is shared and every op changes
// the one array (TF.js returns the handle as the "flow" output of a write). An array lives for
// one run. Its elements are refused past kMaxArrayLength indices rather than allocated.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "graph/ops.h"

namespace tfjs::graph {

struct TensorArray {
  std::string name;
  DType dtype = DType::kFloat32;
  int64_t maxSize = 0;
  std::optional<Shape> elementShape;  // nullopt: unknown rank
  bool dynamicSize = false;
  bool clearAfterRead = true;
  bool closed = false;
  struct Item {
    ValuePtr value;
    bool read = false, written = false, cleared = false;
  };
  std::vector<Item> items;
};

namespace {

constexpr int64_t kMaxArrayLength = int64_t{1} << 24;

TensorArray& arrayIn(const OpContext& c) {
  const Value& h = c.in(0);
  if (!h.array) c.node.invalid("input 0 is not a TensorArray handle");
  return *h.array;
}

int64_t numberIn(const OpContext& c, size_t k) {
  const Value& v = c.in(k);
  if (v.size() < 1) c.node.invalid(fmt::format("input {} has no element", k));
  return v.dtype == DType::kFloat32 ? static_cast<int64_t>(v.f[0]) : v.i[0];
}

std::string what(const TensorArray& a) {
  return fmt::format("TensorArray '{}'", a.name);
}

// TF.js's assertShapesMatchAllowUndefinedSize: same rank, dimensions equal where both known.
bool shapesMatch(const std::optional<Shape>& a, const Shape& b) {
  if (!a) return true;
  if (a->size() != b.size()) return false;
  for (size_t k = 0; k < b.size(); ++k) {
    if ((*a)[k] >= 0 && b[k] >= 0 && (*a)[k] != b[k]) return false;
  }
  return true;
}

std::string shapeOrUnknown(const std::optional<Shape>& s) {
  return s ? shapeText(*s) : "(unknown rank)";
}

void write(const OpContext& c, TensorArray& a, int64_t index, const ValuePtr& v) {
  if (a.closed) c.node.invalid(fmt::format("{} has already been closed", what(a)));
  if (index < 0 || (!a.dynamicSize && index >= a.maxSize)) {
    c.node.invalid(
        fmt::format("{}: cannot write index {}: the array is not resizeable and its "
                    "size is {}",
                    what(a), index, a.maxSize));
  }
  if (index >= kMaxArrayLength) {
    c.node.invalid(
        fmt::format("{}: index {} (at most {} elements)", what(a), index, kMaxArrayLength));
  }
  if (v->dtype != a.dtype) {
    c.node.invalid(fmt::format("{}: cannot write a {} value at index {} of a {} array", what(a),
                               dtypeName(v->dtype), index, dtypeName(a.dtype)));
  }
  if (a.items.empty() && (!a.elementShape || a.elementShape->empty())) a.elementShape = v->shape;
  if (!shapesMatch(a.elementShape, v->shape)) {
    c.node.invalid(fmt::format("{}: cannot write index {}: shapes {} and {} must match", what(a),
                               index, shapeOrUnknown(a.elementShape), shapeText(v->shape)));
  }
  if (static_cast<size_t>(index) >= a.items.size()) a.items.resize(static_cast<size_t>(index) + 1);
  TensorArray::Item& item = a.items[static_cast<size_t>(index)];
  if (item.read) {
    c.node.invalid(
        fmt::format("{}: cannot write index {}: it has already been read", what(a), index));
  }
  if (item.written) {
    c.node.invalid(
        fmt::format("{}: cannot write index {}: it has already been written", what(a), index));
  }
  item.value = v;
  item.written = true;
}

ValuePtr read(const OpContext& c, TensorArray& a, int64_t index) {
  if (a.closed) c.node.invalid(fmt::format("{} has already been closed", what(a)));
  if (index < 0 || index >= static_cast<int64_t>(a.items.size())) {
    c.node.invalid(fmt::format("{}: cannot read index {}: the array's size is {}", what(a), index,
                               a.items.size()));
  }
  TensorArray::Item& item = a.items[static_cast<size_t>(index)];
  if (!item.written) {
    c.node.invalid(fmt::format("{}: index {} was never written", what(a), index));
  }
  if (item.cleared) {
    c.node.invalid(
        fmt::format("{}: cannot read index {} twice: it was cleared after a previous read "
                    "(clear_after_read)",
                    what(a), index));
  }
  if (a.clearAfterRead) item.cleared = true;
  item.read = true;
  return item.value;
}

// An empty value [0, ...element shape] (the element shape must be known).
ValuePtr emptyOf(const OpContext& c, const TensorArray& a) {
  Shape s{0};
  if (a.elementShape) {
    for (const int64_t d : *a.elementShape) {
      if (d < 0)
        c.node.invalid(fmt::format("{} is empty and its element shape {} is not known", what(a),
                                   shapeText(*a.elementShape)));
      s.push_back(d);
    }
  }
  auto v = std::make_shared<Value>();
  v->dtype = a.dtype;
  v->shape = std::move(s);
  return v;
}

// Values of one dtype joined along a new axis 0 (stack) or their axis 0 (concat).
ValuePtr join(const OpContext& c, const TensorArray& a, const std::vector<ValuePtr>& parts,
              bool stack) {
  const Shape& first = parts[0]->shape;
  if (!stack && first.empty()) c.node.invalid(fmt::format("{}: cannot concat scalars", what(a)));
  auto y = std::make_shared<Value>();
  y->dtype = a.dtype;
  int64_t rows = 0;
  for (const ValuePtr& p : parts) {
    const bool same = stack
                          ? p->shape == first
                          : p->shape.size() == first.size() &&
                                std::equal(p->shape.begin() + 1, p->shape.end(), first.begin() + 1);
    if (!same) {
      c.node.invalid(fmt::format("{}: elements of shapes {} and {} cannot be {}", what(a),
                                 shapeText(first), shapeText(p->shape),
                                 stack ? "stacked" : "concatenated"));
    }
    rows += stack ? 1 : p->shape[0];
    y->f.insert(y->f.end(), p->f.begin(), p->f.end());
    y->i.insert(y->i.end(), p->i.begin(), p->i.end());
    y->s.insert(y->s.end(), p->s.begin(), p->s.end());
  }
  y->shape = {rows};
  y->shape.insert(y->shape.end(), first.begin() + (stack ? 0 : 1), first.end());
  return y;
}

void checkDtypeAttr(const OpContext& c, const TensorArray& a, const char* attr) {
  if (const auto t = c.node.type(attr); t && *t != a.dtype) {
    c.node.invalid(fmt::format("{} holds {} values, {} requested", what(a), dtypeName(a.dtype),
                               dtypeName(*t)));
  }
}

// Rows [begin, begin + count) of x's axis 0, as shape `shape`.
ValuePtr rows(const Value& x, int64_t begin, int64_t count, Shape shape) {
  const int64_t per = x.shape.empty() || x.shape[0] == 0 ? 0 : x.size() / x.shape[0];
  auto v = std::make_shared<Value>();
  v->dtype = x.dtype;
  v->shape = std::move(shape);
  const auto from = static_cast<size_t>(begin * per),
             to = static_cast<size_t>((begin + count) * per);
  if (!x.f.empty()) v->f.assign(x.f.begin() + from, x.f.begin() + to);
  if (!x.i.empty()) v->i.assign(x.i.begin() + from, x.i.begin() + to);
  if (!x.s.empty()) v->s.assign(x.s.begin() + from, x.s.begin() + to);
  return v;
}

ValuePtr handleOf(std::shared_ptr<TensorArray> a) {
  auto v = std::make_shared<Value>();
  v->dtype = DType::kFloat32;
  v->f = {0.0f};  // TF.js's handle is a kept scalar 0
  v->array = std::move(a);
  return v;
}

std::vector<ValuePtr> create(const OpContext& c) {
  auto a = std::make_shared<TensorArray>();
  a->maxSize = numberIn(c, 0);
  if (a->maxSize < 0) c.node.invalid(fmt::format("a TensorArray of size {}", a->maxSize));
  a->dtype = c.node.type("dtype").value_or(DType::kFloat32);
  a->elementShape = c.node.shape("element_shape");
  a->dynamicSize = c.node.flag("dynamic_size", false);
  a->clearAfterRead = c.node.flag("clear_after_read", true);
  a->name = c.node.string("tensor_array_name", c.node.name);
  if (a->name.empty()) a->name = c.node.name;
  return {handleOf(std::move(a)), floatValue({}, {1.0f})};
}

std::vector<ValuePtr> writeOp(const OpContext& c) {
  TensorArray& a = arrayIn(c);
  c.in(2);
  write(c, a, numberIn(c, 1), c.inputs[2]);
  return {c.inputs[0]};
}

std::vector<ValuePtr> readOp(const OpContext& c) {
  return {read(c, arrayIn(c), numberIn(c, 1))};
}

std::vector<ValuePtr> gatherOp(const OpContext& c) {
  TensorArray& a = arrayIn(c);
  checkDtypeAttr(c, a, "dtype");
  std::vector<int64_t> indices = c.ints(1);
  if (indices.size() > a.items.size()) indices.resize(a.items.size());  // TF.js cuts them
  if (indices.empty()) return {emptyOf(c, a)};
  std::vector<ValuePtr> parts;
  for (const int64_t i : indices) parts.push_back(read(c, a, i));
  if (!shapesMatch(a.elementShape, parts[0]->shape)) {
    c.node.invalid(fmt::format("{}: shapes {} and {} must match", what(a),
                               shapeOrUnknown(a.elementShape), shapeText(parts[0]->shape)));
  }
  return {join(c, a, parts, true)};
}

std::vector<ValuePtr> concatOp(const OpContext& c) {
  TensorArray& a = arrayIn(c);
  checkDtypeAttr(c, a, "dtype");
  if (a.items.empty()) return {emptyOf(c, a)};
  std::vector<ValuePtr> parts;
  for (size_t i = 0; i < a.items.size(); ++i) parts.push_back(read(c, a, static_cast<int64_t>(i)));
  if (!shapesMatch(a.elementShape, parts[0]->shape)) {
    c.node.invalid(fmt::format("{}: shapes {} and {} must match", what(a),
                               shapeOrUnknown(a.elementShape), shapeText(parts[0]->shape)));
  }
  return {join(c, a, parts, false)};
}

std::vector<ValuePtr> scatterOp(const OpContext& c) {
  TensorArray& a = arrayIn(c);
  const std::vector<int64_t> indices = c.ints(1);
  const Value& x = c.in(2);
  if (x.dtype != a.dtype) {
    c.node.invalid(
        fmt::format("{} holds {} values, not {}", what(a), dtypeName(a.dtype), dtypeName(x.dtype)));
  }
  if (x.shape.empty() || static_cast<int64_t>(indices.size()) != x.shape[0]) {
    c.node.invalid(
        fmt::format("{} indices for a value of shape {}", indices.size(), shapeText(x.shape)));
  }
  const int64_t top = indices.empty() ? -1 : *std::max_element(indices.begin(), indices.end());
  if (!a.dynamicSize && top >= a.maxSize) {
    c.node.invalid(
        fmt::format("{}: index {} is past the array's size {}", what(a), top, a.maxSize));
  }
  const Shape row(x.shape.begin() + 1, x.shape.end());
  for (size_t k = 0; k < indices.size(); ++k) {
    write(c, a, indices[k], rows(x, static_cast<int64_t>(k), 1, row));
  }
  return {c.inputs[0]};
}

std::vector<ValuePtr> splitOp(const OpContext& c) {
  TensorArray& a = arrayIn(c);
  const Value& x = c.in(1);
  const std::vector<int64_t> lengths = c.ints(2);
  if (x.dtype != a.dtype) {
    c.node.invalid(
        fmt::format("{} holds {} values, not {}", what(a), dtypeName(a.dtype), dtypeName(x.dtype)));
  }
  int64_t total = 0;
  for (const int64_t l : lengths) {
    if (l < 0) c.node.invalid(fmt::format("a negative length {}", l));
    total += l;
  }
  if (x.shape.empty() || total != x.shape[0]) {
    c.node.invalid(fmt::format("the lengths add up to {}, the value's shape is {}", total,
                               shapeText(x.shape)));
  }
  if (!a.dynamicSize && static_cast<int64_t>(lengths.size()) != a.maxSize) {
    c.node.invalid(fmt::format("{}: {} lengths for an array of size {} that is not resizeable",
                               what(a), lengths.size(), a.maxSize));
  }
  const int64_t per = total == 0 ? 0 : x.size() / total;
  int64_t at = 0;
  for (size_t k = 0; k < lengths.size(); ++k) {
    // Each block reshaped to the element shape (one -1 inferred), as TF.js does.
    const int64_t count = lengths[k] * per;
    Shape s = a.elementShape.value_or(Shape{});
    int64_t known = 1, free = -1;
    for (size_t d = 0; d < s.size(); ++d) {
      if (s[d] < 0 && free < 0) {
        free = static_cast<int64_t>(d);
      } else {
        known *= s[d];
      }
    }
    if (free >= 0 && known > 0 && count % known == 0) s[static_cast<size_t>(free)] = count / known;
    if (kernels::Array::count(s) != count ||
        std::any_of(s.begin(), s.end(), [](int64_t d) { return d < 0; })) {
      c.node.invalid(fmt::format("{}: a block of {} elements cannot take the element shape {}",
                                 what(a), count, shapeOrUnknown(a.elementShape)));
    }
    write(c, a, static_cast<int64_t>(k), rows(x, at, lengths[k], s));
    at += lengths[k];
  }
  return {c.inputs[0]};
}

std::vector<ValuePtr> sizeOp(const OpContext& c) {
  return {intValue({}, {static_cast<int32_t>(arrayIn(c).items.size())})};
}

std::vector<ValuePtr> closeOp(const OpContext& c) {
  TensorArray& a = arrayIn(c);
  a.items.clear();
  a.closed = true;
  return {c.inputs[0]};
}

constexpr OpRow kRows[] = {
    {"TensorArrayV3", create},           {"TensorArrayWriteV3", writeOp},
    {"TensorArrayReadV3", readOp},       {"TensorArrayGatherV3", gatherOp},
    {"TensorArrayScatterV3", scatterOp}, {"TensorArrayConcatV3", concatOp},
    {"TensorArraySplitV3", splitOp},     {"TensorArraySizeV3", sizeOp},
    {"TensorArrayCloseV3", closeOp},
};

}  // namespace

std::span<const OpRow> tensorArrayOps() {
  return kRows;
}

}  // namespace tfjs::graph
