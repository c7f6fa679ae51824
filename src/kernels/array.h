// kernels/array.h — the plain float32 array every kernel and runtime computes on, and the memory
// it lives in. Below layers/ (and the graph runtime to come): it knows no layer and no graph.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace tfjs::kernels {

// A shape; -1 stands for an unknown dimension (Keras's None) in build-time shapes.
using Shape = std::vector<int64_t>;

// Memory for the executor's arrays (storage.cpp). Blocks of 256 KiB or more that are given back
// are kept (up to 256 MiB in all, the oldest released first) and handed out again for a request
// of the same rounded size: a model run over and over reuses the same blocks instead of having
// the C library return them to the system and fault fresh zeroed pages in on every call.
// Smaller blocks go straight to operator new / delete. Thread-safe (a mutex around the cache).
// take() throws std::bad_alloc like operator new; give() must get the size take() was asked for.
namespace storage {
void* take(size_t bytes);
void give(void* p, size_t bytes) noexcept;
// Frees every cached block (what a long-lived program may call after a large batch).
void releaseCached() noexcept;
}  // namespace storage

// std::allocator over storage::take / give, except that growing a vector without a value
// (vector(n), resize(n)) leaves the new elements default-initialized: for float, not written at
// all. vector(n, v), copies and every other construction behave as with std::allocator.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n > std::numeric_limits<size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(storage::take(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { storage::give(p, n * sizeof(T)); }
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// The storage of an Array.
using Floats = std::vector<float, DefaultInitAllocator<float>>;

// Tag for an Array whose elements are left unwritten (see Array(Shape, Uninitialized)).
struct Uninitialized {};
inline constexpr Uninitialized kUninitialized{};

// A float32 row-major array owned by the executor.
struct Array {
  Shape shape;
  Floats data;

  Array() = default;
  // Zero-filled.
  explicit Array(Shape s) : shape(std::move(s)), data(static_cast<size_t>(count(shape)), 0.0f) {}
  // Elements left unwritten (no zero fill, no touching of fresh pages): only for a caller that
  // writes every element before anything reads it (a kernel's full output, an elementwise map).
  Array(Shape s, Uninitialized) : shape(std::move(s)), data(static_cast<size_t>(count(shape))) {}
  Array(Shape s, Floats d) : shape(std::move(s)), data(std::move(d)) {}
  // Copies `d` (a std::vector<float> cannot hand its storage to Floats).
  Array(Shape s, const std::vector<float>& d) : shape(std::move(s)), data(d.begin(), d.end()) {}
  static int64_t count(const Shape& s) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    return n;
  }
  int64_t size() const { return static_cast<int64_t>(data.size()); }
};

}  // namespace tfjs::kernels
