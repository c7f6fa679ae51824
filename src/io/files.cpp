// io/files.cpp — the size-capped reader and the atomic writer (io/files.h).
#include "io/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "tfjs/error.h"
#include "tfjs/io.h"

namespace fs = std::filesystem;

namespace tfjs {
namespace io {

std::string readFileCapped(const std::string& path, uint64_t cap, std::string_view what) {
  const std::string name = what.empty() ? std::string("the file") : std::string(what);
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below); no effect on
  // regular files.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    throw Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("cannot open {}: {}", name, std::strerror(err)), path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorCode::kIo, fmt::format("{} is not a regular file", name), path);
  }
  if (static_cast<uint64_t>(st.st_size) > cap) {
    ::close(fd);
    throw Error(ErrorCode::kTooLarge,
                fmt::format("{} holds {} bytes, over the limit of {}", name, st.st_size, cap),
                path);
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t r = ::read(fd, out.data() + got, out.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      const int err = r < 0 ? errno : 0;
      ::close(fd);
      throw Error(ErrorCode::kIo,
                  r == 0 ? fmt::format("{} shrank while it was read", name)
                         : fmt::format("cannot read {}: {}", name, std::strerror(err)),
                  path);
    }
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return out;
}

namespace {
[[noreturn]] void exists(const std::string& target) {
  throw Error(ErrorCode::kExists,
              "the output file already exists; it is never replaced (--overwrite replaces it)",
              target);
}
}  // namespace

AtomicFile::AtomicFile(std::string target, bool overwrite)
    : target_(std::move(target)), overwrite_(overwrite) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target_, ec))) {
    if (!overwrite_) exists(target_);
    if (fs::is_directory(fs::symlink_status(target_, ec))) {
      throw Error(ErrorCode::kExists, "the output exists and is a folder, not a file", target_);
    }
  }
  fs::path parent = fs::path(target_).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    throw Error(ErrorCode::kNotFound, "the output's folder does not exist", target_);
  }
  std::string tmpl =
      (parent / fmt::format(".{}.tmp-XXXXXX", fs::path(target_).filename().string())).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    throw Error(ErrorCode::kIo,
                fmt::format("cannot create a temporary file: {}", std::strerror(errno)), target_);
  }
  ::fchmod(fd, 0644);
  ::close(fd);
  path_ = tmpl;
}

AtomicFile::~AtomicFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

void AtomicFile::write(std::string_view bytes) {
  const int fd = ::open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    throw Error(ErrorCode::kIo, fmt::format("cannot write: {}", std::strerror(errno)), target_);
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = errno;
      ::close(fd);
      throw Error(ErrorCode::kIo, fmt::format("write failed: {}", std::strerror(err)), target_);
    }
    done += static_cast<size_t>(w);
  }
  if (::close(fd) != 0) {
    throw Error(ErrorCode::kIo, fmt::format("write failed: {}", std::strerror(errno)), target_);
  }
}

void AtomicFile::commit(bool sync) {
  if (sync) {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
      const int e = errno;
      if (fd >= 0) ::close(fd);
      throw Error(ErrorCode::kIo, fmt::format("cannot sync the file: {}", std::strerror(e)),
                  target_);
    }
    ::close(fd);
  }
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target_.c_str(),
                  overwrite_ ? 0 : RENAME_NOREPLACE) != 0) {
    const int e = errno;
    if (e == EEXIST) exists(target_);
    throw Error(ErrorCode::kIo,
                fmt::format("cannot rename the file into place: {}", std::strerror(e)), target_);
  }
  path_.clear();
  if (!sync) return;
  const fs::path parent = fs::path(target_).parent_path();
  const int dfd = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace io

void writeFileAtomic(const std::string& path, std::string_view bytes,
                     const WriteFileOptions& options) {
  io::AtomicFile f(path, options.overwrite);
  f.write(bytes);
  f.commit(options.sync);
}

}  // namespace tfjs
