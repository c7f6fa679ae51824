// The graph ops of the hash table family, as tfjs-converter's HashTable (executor/hash_table.js)
// runs them: HashTable / HashTableV2 make a table (or return the one made by a node of the same
// name: the model initializer's, through the Runtime's resources), LookupTableImport /
// InitializeTable replace its contents, LookupTableFind looks keys up, LookupTableSize counts
// them. The handle is a float32 scalar 0 (TF.js's handle tensor) carrying the table.
#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "graph/ops.h"
#include "graph/program.h"

namespace tfjs::graph {

// Keys are the values TF.js's Map holds (JS numbers compared by SameValueZero, or strings);
// each maps to a row of `values` (TF.js unstacks the values along axis 0). An import replaces the
// contents as a whole (a new immutable Contents), so a lookup reads one consistent table without
// holding the lock.
struct HashTable {
  struct Contents {
    std::unordered_map<std::string, int64_t> rows;
    ValuePtr values;
  };
  DType keyDtype = DType::kFloat32;
  DType valueDtype = DType::kFloat32;
  std::shared_ptr<const Contents> contents() const {
    std::lock_guard<std::mutex> lock(mutex);
    return current;
  }
  void replace(std::shared_ptr<const Contents> next) {
    std::lock_guard<std::mutex> lock(mutex);
    current = std::move(next);
  }

 private:
  mutable std::mutex mutex;
  std::shared_ptr<const Contents> current = std::make_shared<Contents>();
};

namespace {

// A key as bytes: strings as themselves, numbers as a double with -0 as 0 and one NaN.
std::string keyOf(const Value& v, size_t k) {
  if (v.dtype == DType::kString) return "s" + v.s[k];
  double d = v.dtype == DType::kFloat32 ? static_cast<double>(v.f[k]) : v.i[k];
  if (d == 0) d = 0;
  if (d != d) d = std::numeric_limits<double>::quiet_NaN();
  std::string out(1 + sizeof d, 'n');
  std::memcpy(out.data() + 1, &d, sizeof d);
  return out;
}

int64_t elementWidth(const Value& v) {
  return v.dtype == DType::kComplex64 ? 2 : 1;
}

// Appends `n` elements of `from` starting at element `at` to `to` (same dtype).
void appendElements(Value& to, const Value& from, int64_t at, int64_t n) {
  const auto b = static_cast<size_t>(at), e = static_cast<size_t>(at + n);
  if (from.dtype == DType::kString) {
    to.s.insert(to.s.end(), from.s.begin() + b, from.s.begin() + e);
  } else if (from.dtype == DType::kFloat32 || from.dtype == DType::kComplex64) {
    const auto w = static_cast<size_t>(elementWidth(from));
    to.f.insert(to.f.end(), from.f.begin() + b * w, from.f.begin() + e * w);
  } else {
    to.i.insert(to.i.end(), from.i.begin() + b, from.i.begin() + e);
  }
}

std::shared_ptr<HashTable> tableOf(const OpContext& c) {
  const Value& h = c.in(0);
  if (!h.table) c.node.invalid("input 0 is not a hash table handle");
  return h.table;
}

// TF.js's checkKeyAndValueTensor.
void checkDtypes(const OpContext& c, const HashTable& t, const Value& keys, const Value& values) {
  if (keys.dtype != t.keyDtype) {
    c.node.invalid(fmt::format("Expect key dtype {}, but got {}", dtypeName(t.keyDtype),
                               dtypeName(keys.dtype)));
  }
  if (values.dtype != t.valueDtype) {
    c.node.invalid(fmt::format("Expect value dtype {}, but got {}", dtypeName(t.valueDtype),
                               dtypeName(values.dtype)));
  }
}

std::vector<ValuePtr> hashTable(const OpContext& c) {
  const auto keyDtype = c.node.type("key_dtype");
  const auto valueDtype = c.node.type("value_dtype");
  if (!keyDtype || !valueDtype) c.node.invalid("no key_dtype / value_dtype attribute");
  // One table per node name for the model's lifetime (TF.js's ResourceManager).
  auto made = std::static_pointer_cast<HashTable>(c.runtime.resource(c.node.name, [&] {
    auto t = std::make_shared<HashTable>();
    t->keyDtype = *keyDtype;
    t->valueDtype = *valueDtype;
    return std::static_pointer_cast<void>(t);
  }));
  auto v = std::make_shared<Value>();
  v->shape = {};
  v->f = {0};
  v->table = std::move(made);
  return {v};
}

std::vector<ValuePtr> importTable(const OpContext& c) {
  const auto table = tableOf(c);
  const Value& keys = c.in(1);
  const Value& values = c.in(2);
  checkDtypes(c, *table, keys, values);
  // unstack(values): rank >= 1, one row per key.
  if (values.shape.empty()) c.node.invalid("Axis = 0 is not in [-0, 0)");
  if (keys.size() != values.shape[0]) {
    c.node.invalid(
        fmt::format("The number of elements doesn't match, keys has {} elements, the "
                    "values has {} elements.",
                    keys.size(), values.shape[0]));
  }
  auto next = std::make_shared<HashTable::Contents>();
  for (int64_t k = 0; k < keys.size(); ++k) next->rows[keyOf(keys, static_cast<size_t>(k))] = k;
  next->values = c.inputs[2];
  table->replace(std::move(next));
  return {c.inputs[0]};
}

std::vector<ValuePtr> findTable(const OpContext& c) {
  const auto table = tableOf(c);
  const Value& keys = c.in(1);
  const Value& dflt = c.in(2);
  checkDtypes(c, *table, keys, dflt);
  const auto contents = table->contents();
  const auto& rows = contents->rows;
  const ValuePtr& values = contents->values;
  // stack() of each key's row or the default value: at least one, all of one shape.
  if (keys.size() == 0) c.node.invalid("Pass at least one tensor to tf.stack");
  const Shape rowShape =
      values ? Shape(values->shape.begin() + 1, values->shape.end()) : dflt.shape;
  std::vector<int64_t> found(static_cast<size_t>(keys.size()), -1);
  for (int64_t k = 0; k < keys.size(); ++k) {
    const auto it = rows.find(keyOf(keys, static_cast<size_t>(k)));
    if (it != rows.end()) found[static_cast<size_t>(k)] = it->second;
  }
  const Shape& first = found[0] >= 0 ? rowShape : dflt.shape;
  for (const int64_t f : found) {
    if ((f >= 0 ? rowShape : dflt.shape) != first) {
      c.node.invalid(
          fmt::format("All tensors passed to stack must have matching shapes (a "
                      "value of shape {}, the default value's {})",
                      shapeText(rowShape), shapeText(dflt.shape)));
    }
  }
  const int64_t rowSize = kernels::Array::count(first);
  Shape outShape{keys.size()};
  outShape.insert(outShape.end(), first.begin(), first.end());
  checkSize(c, outShape);
  auto out = std::make_shared<Value>();
  out->dtype = table->valueDtype;
  out->shape = outShape;
  for (const int64_t f : found) {
    if (f >= 0) {
      appendElements(*out, *values, f * rowSize, rowSize);
    } else {
      appendElements(*out, dflt, 0, rowSize);
    }
  }
  return {out};
}

std::vector<ValuePtr> tableSize(const OpContext& c) {
  return {intValue({}, {static_cast<int32_t>(tableOf(c)->contents()->rows.size())})};
}

constexpr OpRow kRows[] = {
    {"HashTable", hashTable},           {"HashTableV2", hashTable},
    {"LookupTableImport", importTable}, {"LookupTableImportV2", importTable},
    {"InitializeTable", importTable},   {"InitializeTableV2", importTable},
    {"LookupTableFind", findTable},     {"LookupTableFindV2", findTable},
    {"LookupTableSize", tableSize},     {"LookupTableSizeV2", tableSize},
};

}  // namespace

std::span<const OpRow> hashTableOps() {
  return kRows;
}

}  // namespace tfjs::graph
