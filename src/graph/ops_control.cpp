// Graph ops of tfjs-converter's control family that TensorFlow 2 writes (control flow v2):
// While / StatelessWhile and If / StatelessIf, which run library functions through the Runtime,
// and the TensorList ops (TensorListReserve, EmptyTensorList, TensorListFromTensor,
// TensorListGetItem, TensorListSetItem, TensorListStack, TensorListLength, TensorListPushBack) as
// tfjs-converter's tensor_list.ts defines them. (TF.js 4.22 has no PartitionedCall: the converter
// inlines those calls, and a graph that keeps one is refused, as TF.js refuses it.) A While stops
// with an error after GraphModelOptions::maxLoopIterations iterations rather than hang.
#include <fmt/format.h>
#include <fmt/ranges.h>

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
};

}  // namespace

std::span<const OpRow> controlOps() {
  return kRows;
}

}  // namespace tfjs::graph
