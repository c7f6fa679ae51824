// io/npy_file.cpp — .npy files (tfjs/npy.h): written atomically through io::AtomicFile, read in
// full from any readable path (a pipe too: the command line reads tensors from stdin).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/files.h"
#include "tfjs/error.h"
#include "tfjs/npy.h"

namespace tfjs {

void writeNpy(const Tensor& tensor, const std::string& path) {
  io::AtomicFile f(path, /*overwrite=*/true);
  f.write(encodeNpy(tensor));
  f.commit(/*sync=*/false);
}

Tensor readNpy(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("cannot open: {}", std::strerror(err)), path);
  }
  std::string bytes;
  char buf[1 << 16];
  ssize_t r;
  while ((r = ::read(fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR)) {
    if (r > 0) bytes.append(buf, static_cast<size_t>(r));
  }
  const int err = errno;
  ::close(fd);
  if (r < 0) throw Error(ErrorCode::kIo, fmt::format("read failed: {}", std::strerror(err)), path);
  return decodeNpy(bytes, path);
}

}  // namespace tfjs
