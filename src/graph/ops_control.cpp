// Graph ops of tfjs-converter's control family that TensorFlow 2 writes (control flow v2):
// While / StatelessWhile and If / StatelessIf, which run library functions through the Runtime,
// and the TensorList ops (Reserve, EmptyTensorList, FromTensor, GetItem, SetItem, Stack, Length,
// PushBack, PopBack, Scatter(V2), Gather, Split, Concat(V2), Resize) as tfjs-converter's
// tensor_list.ts defines them. (TF.js 4.22 has no PartitionedCall: the converter
// inlines those calls, and a graph that keeps one is refused, as TF.js refuses it.) A While stops
// with an error after GraphModelOptions::maxLoopIterations iterations rather than hang.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <optional>

#include "graph/ops.h"
#include "graph/program.h"

namespace tfjs::graph {
namespace {

// The first element of a value as a condition (TF.js reads condValue[0]).
bool truthy(const OpContext& c, const Value& v) {
  if (v.list || v.size() < 1) c.node.invalid("a condition that is not a value with an element");
  return v.dtype == DType::kFloat32 ? v.f[0] != 0.0f : v.i[0] != 0;
}

std::vector<ValuePtr> whileOp(const OpContext& c) {
  const std::string cond = c.node.function("cond"), body = c.node.function("body");
  std::vector<ValuePtr> vars(c.inputs.begin(), c.inputs.end());
  const auto test = [&] {
    const std::vector<ValuePtr> r = c.runtime.call(cond, vars, c.node);
    if (r.empty()) c.node.invalid(fmt::format("its condition '{}' returns nothing", cond));
    return truthy(c, *r[0]);
  };
  int64_t iterations = 0;
  while (test()) {
    if (++iterations > c.runtime.maxIterations()) {
      c.node.invalid(
          fmt::format("the loop ran past {} iterations (GraphModelOptions::"
                      "maxLoopIterations)",
                      c.runtime.maxIterations()));
    }
    std::vector<ValuePtr> next = c.runtime.call(body, vars, c.node);
    if (next.size() != vars.size()) {
      c.node.invalid(fmt::format("its body '{}' returns {} values for {} loop variables", body,
                                 next.size(), vars.size()));
    }
    vars = std::move(next);
  }
  return vars;
}

std::vector<ValuePtr> ifOp(const OpContext& c) {
  const bool pick = truthy(c, c.in(0));
  const std::string branch = c.node.function(pick ? "then_branch" : "else_branch");
  return c.runtime.call(branch, c.inputs.subspan(1), c.node);
}

// --- TensorList ---------------------------------------------------------------------------------

// The most elements a list may hold (each one a value handle): an index past it is refused
// rather than growing the list to gigabytes of empty slots.
constexpr int64_t kMaxListLength = int64_t{1} << 24;

const TensorList& listIn(const OpContext& c, size_t k) {
  const Value& v = c.in(k);
  if (!v.list) c.node.invalid(fmt::format("input {} is not a TensorList", k));
  return *v.list;
}

ValuePtr listValue(TensorList list) {
  auto v = std::make_shared<Value>();
  v->shape = {};
  v->list = std::make_shared<const TensorList>(std::move(list));
  return v;
}

// An element-shape input: a scalar -1 is an unknown rank; -1 dimensions are unknown.
void readElementShape(const OpContext& c, size_t k, TensorList& list) {
  const Value& s = c.in(k);
  const std::vector<int64_t> dims = c.ints(k);
  list.knownRank = !(s.shape.empty() && dims.size() == 1 && dims[0] == -1);
  list.elementShape = list.knownRank ? dims : Shape{};
}

DType elementDtype(const OpContext& c) {
  const auto t = c.node.type("element_dtype");
  if (!t) c.node.invalid("no element_dtype attribute");
  return *t;
}

// A value fits the list's element shape (unknown dimensions match anything).
void checkElement(const OpContext& c, const TensorList& list, const Value& v) {
  if (v.dtype != list.elementDtype) {
    c.node.invalid(fmt::format("an element of dtype {} in a list of {}", dtypeName(v.dtype),
                               dtypeName(list.elementDtype)));
  }
  if (!list.knownRank) return;
  bool fits = v.shape.size() == list.elementShape.size();
  for (size_t d = 0; fits && d < v.shape.size(); ++d) {
    fits = list.elementShape[d] < 0 || list.elementShape[d] == v.shape[d];
  }
  if (!fits) {
    c.node.invalid(fmt::format("an element of shape {} in a list of elements {}",
                               shapeText(v.shape), shapeText(list.elementShape)));
  }
}

int64_t indexIn(const OpContext& c, size_t k) {
  const auto v = c.ints(k);
  if (v.size() != 1) c.node.invalid(fmt::format("input {} is not one index", k));
  return v[0];
}

std::vector<ValuePtr> listReserve(const OpContext& c) {
  TensorList list;
  list.elementDtype = elementDtype(c);
  readElementShape(c, 0, list);
  const int64_t n = indexIn(c, 1);
  // TensorListReserve starts empty with no capacity (TF.js's reserve); EmptyTensorList's
  // second input is its capacity.
  list.maxElements = c.node.op == "EmptyTensorList" ? n : -1;
  return {listValue(std::move(list))};
}

std::vector<ValuePtr> listFromTensor(const OpContext& c) {
  const Value& x = c.in(0);
  if (x.shape.empty()) c.node.invalid("a scalar (at least a vector is needed)");
  TensorList list;
  list.elementDtype = x.dtype;
  readElementShape(c, 1, list);
  const int64_t rows = x.shape[0];
  const int64_t per = rows > 0 ? x.size() / rows : 0;
  Shape row(x.shape.begin() + 1, x.shape.end());
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int64_t> src(static_cast<size_t>(per));
    for (int64_t k = 0; k < per; ++k) src[static_cast<size_t>(k)] = r * per + k;
    ValuePtr item = gatherValue(x, row, src);
    checkElement(c, list, *item);
    list.items.push_back(std::move(item));
  }
  return {listValue(std::move(list))};
}

std::vector<ValuePtr> listGetItem(const OpContext& c) {
  const TensorList& list = listIn(c, 0);
  const int64_t i = indexIn(c, 1);
  if (i < 0 || i >= static_cast<int64_t>(list.items.size()) ||
      !list.items[static_cast<size_t>(i)]) {
    c.node.invalid(fmt::format("element {} of a list of {} is not set", i, list.items.size()));
  }
  return {list.items[static_cast<size_t>(i)]};
}

std::vector<ValuePtr> listSetItem(const OpContext& c) {
  TensorList list = listIn(c, 0);
  const int64_t i = indexIn(c, 1);
  if (i < 0 || (list.maxElements >= 0 && i >= list.maxElements)) {
    c.node.invalid(
        fmt::format("cannot set element {} of a list of at most {}", i, list.maxElements));
  }
  if (i >= kMaxListLength) {
    c.node.invalid(fmt::format("element {} of a list (at most {} elements)", i, kMaxListLength));
  }
  checkElement(c, list, c.in(2));
  if (static_cast<size_t>(i) >= list.items.size()) list.items.resize(static_cast<size_t>(i) + 1);
  list.items[static_cast<size_t>(i)] = c.inputs[2];
  return {listValue(std::move(list))};
}

std::vector<ValuePtr> listPushBack(const OpContext& c) {
  TensorList list = listIn(c, 0);
  if (list.maxElements >= 0 && static_cast<int64_t>(list.items.size()) >= list.maxElements) {
    c.node.invalid("pushing onto a full list");
  }
  checkElement(c, list, c.in(1));
  if (static_cast<int64_t>(list.items.size()) >= kMaxListLength) {
    c.node.invalid(
        fmt::format("pushing onto a list of {} elements (the most there may be)", kMaxListLength));
  }
  list.items.push_back(c.inputs[1]);
  return {listValue(std::move(list))};
}

std::vector<ValuePtr> listStack(const OpContext& c) {
  const TensorList& list = listIn(c, 0);
  const int64_t want = c.node.integer("num_elements", -1);
  if (want != -1 && want != static_cast<int64_t>(list.items.size())) {
    c.node.invalid(
        fmt::format("a list of {} elements where {} are expected", list.items.size(), want));
  }
  if (list.items.empty()) {
    for (const int64_t d : list.elementShape) {
      if (d < 0 || !list.knownRank)
        c.node.invalid("stacking an empty list of unknown element shape");
    }
    Shape s{0};
    s.insert(s.end(), list.elementShape.begin(), list.elementShape.end());
    if (list.elementDtype == DType::kFloat32) return {floatValue(s, {})};
    return {intValue(s, {}, list.elementDtype)};
  }
  for (size_t k = 0; k < list.items.size(); ++k) {
    if (!list.items[k]) c.node.invalid(fmt::format("element {} of the list is not set", k));
  }
  const Shape& first = list.items[0]->shape;
  auto y = std::make_shared<Value>();
  y->dtype = list.elementDtype;
  y->shape = {static_cast<int64_t>(list.items.size())};
  y->shape.insert(y->shape.end(), first.begin(), first.end());
  for (const ValuePtr& item : list.items) {
    if (item->shape != first) c.node.invalid("elements of different shapes");
    if (y->dtype == DType::kFloat32) {
      y->f.insert(y->f.end(), item->f.begin(), item->f.end());
    } else {
      y->i.insert(y->i.end(), item->i.begin(), item->i.end());
    }
  }
  return {y};
}

std::vector<ValuePtr> listLength(const OpContext& c) {
  return {intValue({}, {static_cast<int32_t>(listIn(c, 0).items.size())})};
}

// --- the rest of tensor_list.ts: scatter, gather, split, concat, pop, resize ---------------------

// An element-shape input as TF.js reads it: a scalar is an unknown rank (nullopt).
std::optional<Shape> shapeParam(const OpContext& c, size_t k) {
  if (c.in(k).shape.empty()) return std::nullopt;
  return c.ints(k);
}

std::optional<Shape> listShape(const TensorList& list) {
  if (!list.knownRank) return std::nullopt;
  return list.elementShape;
}

// tensor_utils.ts's mergeElementShape: an unknown rank takes the other; dimensions known in
// both must agree.
std::optional<Shape> merge(const OpContext& c, const std::optional<Shape>& a,
                           const std::optional<Shape>& b) {
  if (!a) return b;
  if (!b) return a;
  if (a->size() != b->size()) {
    c.node.invalid(
        fmt::format("element shapes {} and {} have different ranks", shapeText(*a), shapeText(*b)));
  }
  Shape r(a->size());
  for (size_t d = 0; d < r.size(); ++d) {
    if ((*a)[d] >= 0 && (*b)[d] >= 0 && (*a)[d] != (*b)[d]) {
      c.node.invalid(
          fmt::format("element shapes {} and {} do not agree", shapeText(*a), shapeText(*b)));
    }
    r[d] = (*a)[d] >= 0 ? (*a)[d] : (*b)[d];
  }
  return r;
}

bool fullyDefined(const std::optional<Shape>& s) {
  return s && std::none_of(s->begin(), s->end(), [](int64_t d) { return d < 0; });
}

// inferElementShape: the list's and the op's element shapes, completed from the elements.
Shape inferShape(const OpContext& c, const TensorList& list, const std::optional<Shape>& want) {
  std::optional<Shape> s = merge(c, listShape(list), want);
  if (!fullyDefined(s)) {
    if (list.items.empty()) c.node.invalid("the element shape of an empty list is not known");
    for (const ValuePtr& item : list.items) {
      if (item) s = merge(c, item->shape, s);
    }
  }
  if (!fullyDefined(s)) c.node.invalid("the list's element shape is not fully known");
  return *s;
}

void checkDtype(const OpContext& c, const TensorList& list, std::optional<DType> want) {
  if (want && *want != list.elementDtype) {
    c.node.invalid(fmt::format("a list of {} elements read as {}", dtypeName(list.elementDtype),
                               dtypeName(*want)));
  }
}

// The list's elements at `indices`, each reshaped to `shape`, stacked (or, concat, joined along
// their first axis).
ValuePtr joinItems(const OpContext& c, const TensorList& list, const std::vector<int64_t>& indices,
                   const Shape& shape, bool concat) {
  auto y = std::make_shared<Value>();
  y->dtype = list.elementDtype;
  const int64_t per = kernels::Array::count(shape);
  for (const int64_t i : indices) {
    if (i < 0 || i >= static_cast<int64_t>(list.items.size()) ||
        !list.items[static_cast<size_t>(i)]) {
      c.node.invalid(fmt::format("element {} of a list of {} is not set", i, list.items.size()));
    }
    const Value& v = *list.items[static_cast<size_t>(i)];
    if (v.size() != per) {
      c.node.invalid(fmt::format("an element of shape {} cannot take the shape {}",
                                 shapeText(v.shape), shapeText(shape)));
    }
    y->f.insert(y->f.end(), v.f.begin(), v.f.end());
    y->i.insert(y->i.end(), v.i.begin(), v.i.end());
  }
  if (concat) {
    if (shape.empty()) c.node.invalid("concatenating scalar elements");
    y->shape = shape;
    y->shape[0] *= static_cast<int64_t>(indices.size());
  } else {
    y->shape = {static_cast<int64_t>(indices.size())};
    y->shape.insert(y->shape.end(), shape.begin(), shape.end());
  }
  return y;
}

// Rows [begin, begin + count) of x's first axis, as shape `shape`.
ValuePtr rowsOf(const Value& x, int64_t begin, int64_t count, Shape shape) {
  const int64_t per = x.shape[0] == 0 ? 0 : x.size() / x.shape[0];
  std::vector<int64_t> src(static_cast<size_t>(count * per));
  for (size_t k = 0; k < src.size(); ++k) src[k] = begin * per + static_cast<int64_t>(k);
  return gatherValue(x, std::move(shape), src);
}

std::vector<ValuePtr> listScatter(const OpContext& c) {
  const Value& x = c.in(0);
  const std::vector<int64_t> indices = c.ints(1);
  if (x.shape.empty() || static_cast<int64_t>(indices.size()) != x.shape[0]) {
    c.node.invalid(
        fmt::format("{} indices for a value of shape {}", indices.size(), shapeText(x.shape)));
  }
  const int64_t n = c.node.op == "TensorListScatterV2" ? indexIn(c, 3) : -1;
  TensorList list;
  list.elementDtype = x.dtype;
  readElementShape(c, 2, list);
  list.maxElements = n;
  for (const int64_t i : indices) {
    if (i < 0 || (n != -1 && i >= n) || i >= kMaxListLength) {
      c.node.invalid(fmt::format("index {} of a list of at most {} elements", i,
                                 n != -1 ? n : kMaxListLength));
    }
  }
  const Shape row(x.shape.begin() + 1, x.shape.end());
  for (size_t k = 0; k < indices.size(); ++k) {
    ValuePtr item = rowsOf(x, static_cast<int64_t>(k), 1, row);
    checkElement(c, list, *item);
    const auto i = static_cast<size_t>(indices[k]);
    if (i >= list.items.size()) list.items.resize(i + 1);
    list.items[i] = std::move(item);
  }
  return {listValue(std::move(list))};
}

std::vector<ValuePtr> listGather(const OpContext& c) {
  const TensorList& list = listIn(c, 0);
  checkDtype(c, list, c.node.type("element_dtype"));
  std::vector<int64_t> indices = c.ints(1);
  const std::optional<Shape> want = shapeParam(c, 2);
  merge(c, listShape(list), want);
  if (indices.size() > list.items.size()) indices.resize(list.items.size());  // TF.js cuts them
  const Shape shape = inferShape(c, list, want);
  return {joinItems(c, list, indices, shape, false)};
}

std::vector<ValuePtr> listSplit(const OpContext& c) {
  const Value& x = c.in(0);
  const std::vector<int64_t> lengths = c.ints(2);
  if (x.shape.empty()) c.node.invalid("splitting a scalar");
  int64_t total = 0;
  for (const int64_t l : lengths) {
    if (l < 0) c.node.invalid(fmt::format("a negative length {}", l));
    total += l;
  }
  if (total != x.shape[0]) {
    c.node.invalid(fmt::format("the lengths add up to {}, the value's shape is {}", total,
                               shapeText(x.shape)));
  }
  if (static_cast<int64_t>(lengths.size()) > kMaxListLength) {
    c.node.invalid(fmt::format("{} pieces (at most {})", lengths.size(), kMaxListLength));
  }
  TensorList list;
  list.elementDtype = x.dtype;
  readElementShape(c, 1, list);
  list.maxElements = static_cast<int64_t>(lengths.size());
  // Each block is reshaped to the element shape merged with the value's rows (TF.js).
  const std::optional<Shape> rowShape =
      merge(c, Shape(x.shape.begin() + 1, x.shape.end()), listShape(list));
  const int64_t per = total == 0 ? 0 : x.size() / total;
  int64_t at = 0;
  for (const int64_t l : lengths) {
    Shape s = rowShape.value_or(Shape{});
    if (kernels::Array::count(s) != l * per || !fullyDefined(s)) {
      c.node.invalid(fmt::format("a block of {} elements cannot take the element shape {}", l * per,
                                 shapeText(s)));
    }
    list.items.push_back(rowsOf(x, at, l, std::move(s)));
    at += l;
  }
  return {listValue(std::move(list))};
}

std::vector<ValuePtr> listConcat(const OpContext& c) {
  const TensorList& list = listIn(c, 0);
  checkDtype(c, list, c.node.type("element_dtype"));
  const std::optional<Shape> want = c.node.shape("element_shape");
  const Shape shape = inferShape(c, list, want);
  std::vector<int64_t> all(list.items.size());
  for (size_t k = 0; k < all.size(); ++k) all[k] = static_cast<int64_t>(k);
  if (all.empty()) {
    Shape s{0};
    s.insert(s.end(), shape.begin(), shape.end());
    auto y = std::make_shared<Value>();
    y->dtype = list.elementDtype;
    y->shape = std::move(s);
    return {y};
  }
  return {joinItems(c, list, all, shape, true)};
}

// TF.js's PopBack gives the element as output 0 (TensorFlow's output 1) and no new handle: the
// list it read is not changed for other readers here (lists are values), where TF.js's is.
std::vector<ValuePtr> listPopBack(const OpContext& c) {
  const TensorList& list = listIn(c, 0);
  checkDtype(c, list, c.node.type("element_dtype"));
  if (list.items.empty()) c.node.invalid("popping from an empty list");
  const std::optional<Shape> want = shapeParam(c, 1);
  const Shape shape = inferShape(c, list, want);
  const ValuePtr& last = list.items.back();
  if (!last) c.node.invalid("the last element of the list is not set");
  if (want) merge(c, last->shape, want);
  if (last->size() != kernels::Array::count(shape)) {
    c.node.invalid(fmt::format("an element of shape {} cannot take the shape {}",
                               shapeText(last->shape), shapeText(shape)));
  }
  return {gatherValue(*last, shape, [&] {
    std::vector<int64_t> src(static_cast<size_t>(last->size()));
    for (size_t k = 0; k < src.size(); ++k) src[k] = static_cast<int64_t>(k);
    return src;
  }())};
}

std::vector<ValuePtr> listResize(const OpContext& c) {
  TensorList list = listIn(c, 0);
  const int64_t n = indexIn(c, 1);
  if (n < 0) c.node.invalid(fmt::format("a negative size {}", n));
  if (list.maxElements != -1 && n > list.maxElements) {
    c.node.invalid(fmt::format("size {} is more than the list's {}", n, list.maxElements));
  }
  if (n > kMaxListLength) c.node.invalid(fmt::format("size {} (at most {})", n, kMaxListLength));
  list.items.resize(static_cast<size_t>(n));
  return {listValue(std::move(list))};
}

constexpr OpRow kRows[] = {
    {"While", whileOp},
    {"StatelessWhile", whileOp},
    {"If", ifOp},
    {"StatelessIf", ifOp},
    {"TensorListReserve", listReserve},
    {"EmptyTensorList", listReserve},
    {"TensorListFromTensor", listFromTensor},
    {"TensorListGetItem", listGetItem},
    {"TensorListSetItem", listSetItem},
    {"TensorListPushBack", listPushBack},
    {"TensorListStack", listStack},
    {"TensorListLength", listLength},
    {"TensorListScatter", listScatter},
    {"TensorListScatterV2", listScatter},
    {"TensorListGather", listGather},
    {"TensorListSplit", listSplit},
    {"TensorListConcat", listConcat},
    {"TensorListConcatV2", listConcat},
    {"TensorListPopBack", listPopBack},
    {"TensorListResize", listResize},
};

}  // namespace

std::span<const OpRow> controlOps() {
  return kRows;
}

}  // namespace tfjs::graph
