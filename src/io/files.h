// io/files.h — the one size-capped file reader and the one atomic file writer, for every reader
// and writer of the library (model.json, Keras .pb / index files, --metadata JSON; Keras .h5 and
// .keras files, .npy tensors, JSON outputs). Internal header; writeFileAtomic is also public
// (tfjs/io.h).
//
// readFileCapped reads a whole regular file, refusing a larger one before reading a byte, a FIFO
// or a device without waiting on it, and names the file in every error. AtomicFile is a temporary
// file in the target's folder that becomes the target only at commit(), by rename (never replacing
// an existing file unless asked); a writer that fails or throws before commit leaves nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tfjs::io {

// Reads the whole regular file `path`. Throws Error: kNotFound (no such file), kIo (not a regular
// file, read failure), kTooLarge (over `cap` bytes). `what` names the file in messages ("the
// TensorBundle index"); empty: "the file".
std::string readFileCapped(const std::string& path, uint64_t cap, std::string_view what = {});

class AtomicFile {
 public:
  // Creates the temporary file beside `target`. Throws Error(kExists) when the target exists and
  // `overwrite` is off, or is a folder; kNotFound when its folder does not exist; kIo otherwise.
  AtomicFile(std::string target, bool overwrite);
  ~AtomicFile();  // removes the temporary file unless committed
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // The temporary file's path, for libraries that write by path (HDF5, libzip).
  const std::string& path() const { return path_; }
  const std::string& target() const { return target_; }
  // Replaces the temporary file's contents with `bytes`.
  void write(std::string_view bytes);
  // Renames the temporary file to the target (refusing to replace one unless `overwrite`); with
  // `sync`, fsyncs the file before and its folder after (durable across a power loss).
  void commit(bool sync);

 private:
  std::string target_;
  bool overwrite_ = false;
  std::string path_;
};

}  // namespace tfjs::io
