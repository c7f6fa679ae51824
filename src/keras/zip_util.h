// keras/zip_util.h — libzip handles that close themselves (the .keras reader and writer).
#pragma once

#include <zip.h>

#include <memory>

namespace tfjs::keras {

// An archive opened by zip_open: discarded (nothing written) unless released after zip_close.
struct ZipCloser {
  void operator()(zip_t* z) const {
    if (z) zip_discard(z);
  }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;

struct ZipFileCloser {
  void operator()(zip_file_t* f) const {
    if (f) zip_fclose(f);
  }
};

}  // namespace tfjs::keras
