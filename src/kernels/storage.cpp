// Memory for the arrays of the kernels and runtimes: a bounded cache of large freed blocks (see
// array.h).
//
// Why: an inference call allocates every layer's output afresh. glibc serves blocks of this size
// with mmap or from the top of the heap and gives them back to the system when they are freed,
// so each call faulted in (and the kernel zeroed) every activation page again: a quarter of a
// MobileNet-224 call went to page faults. Keeping the freed blocks makes every call after the
// first reuse warm memory.
#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "kernels/array.h"

namespace tfjs::kernels::storage {
namespace {

constexpr size_t kSmall = size_t{256} << 10;       // below: operator new / delete
constexpr size_t kGranule = size_t{64} << 10;      // large sizes round up to this
constexpr size_t kCacheBytes = size_t{256} << 20;  // at most this much kept
constexpr size_t kAlign = 64;                      // a cache line (and every SIMD width)

size_t rounded(size_t bytes) {
  return bytes > std::numeric_limits<size_t>::max() - kGranule
             ? bytes
             : (bytes + kGranule - 1) / kGranule * kGranule;
}

struct Cache {
  std::mutex mu;
  struct Block {
    size_t bytes;
    void* p;
  };
  std::vector<Block> blocks;  // oldest first
  size_t total = 0;
};

// Never destroyed: arrays in static objects may be freed after any destructor would run.
Cache& cache() {
  static Cache* c = new Cache;  // NOLINT(cppcoreguidelines-owning-memory): intentionally leaked
  return *c;
}

}  // namespace

void* take(size_t bytes) {
  if (bytes < kSmall) return ::operator new(bytes == 0 ? 1 : bytes);
  const size_t size = rounded(bytes);
  {
    Cache& c = cache();
    const std::lock_guard<std::mutex> lock(c.mu);
    // The most recently given block of this size: the likeliest still to be in the CPU caches.
    for (size_t i = c.blocks.size(); i-- > 0;) {
      if (c.blocks[i].bytes == size) {
        void* p = c.blocks[i].p;
        c.total -= size;
        c.blocks.erase(c.blocks.begin() + static_cast<std::ptrdiff_t>(i));
        return p;
      }
    }
  }
  void* p = std::aligned_alloc(kAlign, size);
  if (!p) throw std::bad_alloc();
  return p;
}

void give(void* p, size_t bytes) noexcept {
  if (!p) return;
  if (bytes < kSmall) {
    ::operator delete(p);
    return;
  }
  const size_t size = rounded(bytes);
  if (size > kCacheBytes) {
    std::free(p);
    return;
  }
  {
    Cache& c = cache();
    const std::lock_guard<std::mutex> lock(c.mu);
    try {
      c.blocks.push_back({size, p});
    } catch (...) {
      std::free(p);
      return;
    }
    c.total += size;
    size_t drop = 0;
    while (c.total > kCacheBytes && drop < c.blocks.size()) {
      c.total -= c.blocks[drop].bytes;
      std::free(c.blocks[drop].p);
      ++drop;
    }
    c.blocks.erase(c.blocks.begin(), c.blocks.begin() + static_cast<std::ptrdiff_t>(drop));
  }
}

void releaseCached() noexcept {
  Cache& c = cache();
  const std::lock_guard<std::mutex> lock(c.mu);
  for (const auto& b : c.blocks) std::free(b.p);
  c.blocks.clear();
  c.total = 0;
}

}  // namespace tfjs::kernels::storage
