// saveModel: shards written to a temporary sibling folder, then renamed into place. The shards
// are written straight from the artifacts' weight buffer (no copy of the weights).
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>

#include "tfjs/io.h"

namespace fs = std::filesystem;

namespace tfjs {
namespace {

// Files written but not yet durable (SaveOptions::sync; without it each file is closed as soon
// as it is written). Each keeps its descriptor open until it is fsync'ed (so that a writeback
// error is reported to the descriptor that wrote the bytes); at most kMaxOpen at once, the oldest
// being synced first when one more arrives. Deferring the fsyncs lets the disk write one shard
// while the next is copied, and the file system commit its journal once for many files rather
// than once per file.
class PendingFiles {
 public:
  explicit PendingFiles(bool sync) : sync_(sync) {}
  PendingFiles(const PendingFiles&) = delete;
  PendingFiles& operator=(const PendingFiles&) = delete;
  ~PendingFiles() {
    for (const auto& f : open_) ::close(f.fd);
  }

  bool syncing() const { return sync_; }

  // Takes ownership of `fd` (closed even when this throws).
  void add(int fd, fs::path path) {
    if (!sync_) {
      if (::close(fd) != 0) {
        throw Error(ErrorCode::kIo, fmt::format("cannot close: {}", std::strerror(errno)),
                    path.string());
      }
      return;
    }
    try {
      open_.push_back({fd, std::move(path)});
    } catch (...) {
      ::close(fd);
      throw;
    }
    if (open_.size() > kMaxOpen) syncOldest();
  }

  // fsyncs and closes every pending file, oldest first.
  void syncAll() {
    while (!open_.empty()) syncOldest();
  }

 private:
  static constexpr size_t kMaxOpen = 64;
  bool sync_;
  struct File {
    int fd;
    fs::path path;
  };

  void syncOldest() {
    File f = std::move(open_.front());
    open_.pop_front();
    const bool synced = ::fsync(f.fd) == 0;
    const int err = errno;
    const bool closed = ::close(f.fd) == 0;
    if (!synced || !closed) {
      throw Error(ErrorCode::kIo,
                  fmt::format("cannot flush: {}", std::strerror(synced ? errno : err)),
                  f.path.string());
    }
  }

  std::deque<File> open_;
};

// Creates `path` with `size` bytes and hands the file to `pending`, which closes it at once or,
// with SaveOptions::sync, starts writing it back to the disk without waiting (sync_file_range, a
// hint) and makes it durable later.
void writeAll(const fs::path& path, const uint8_t* data, size_t size, PendingFiles& pending) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error(ErrorCode::kIo, fmt::format("cannot create: {}", std::strerror(errno)),
                path.string());
  }
  size_t done = 0;
  while (done < size) {
    const ssize_t w = ::write(fd, data + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = errno;
      ::close(fd);
      throw Error(ErrorCode::kIo, fmt::format("write failed: {}", std::strerror(err)),
                  path.string());
    }
    done += static_cast<size_t>(w);
  }
  if (size > 0 && pending.syncing()) ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  pending.add(fd, path);
}

void syncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Removes a temporary folder on scope exit unless released.
struct TempDir {
  fs::path path;
  ~TempDir() {
    if (!path.empty()) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

}  // namespace

void saveModel(const ModelArtifacts& artifacts, const std::string& dirArg,
               const SaveOptions& options) {
  if (options.shardSizeBytes == 0) {
    throw Error(ErrorCode::kInvalidArgument, "the shard size must be a positive number of bytes");
  }
  const std::string& mf = options.modelFileName;
  if (mf.empty() || mf == "." || mf == ".." || mf.find('/') != std::string::npos ||
      (mf.rfind("group", 0) == 0 && mf.find("-shard") != std::string::npos)) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("'{}' cannot be the model file name: it must be a plain file name "
                            "that no shard can take",
                            mf));
  }
  if (!artifacts.weightsLoaded && artifacts.weightCount() > 0) {
    throw Error(ErrorCode::kInvalidArgument, "cannot save a model whose weights were not loaded");
  }
  std::vector<Problem> problems = validateArtifacts(artifacts);
  if (!problems.empty()) throw Error(std::move(problems));

  fs::path dir = fs::path(dirArg).lexically_normal();
  if (dir.has_filename() == false) dir = dir.parent_path();
  if (dir.empty()) throw Error(ErrorCode::kInvalidArgument, "no output folder given");
  std::error_code ec;
  bool replace = false;
  if (fs::exists(fs::symlink_status(dir, ec))) {
    if (!fs::is_directory(dir, ec)) {
      throw Error(ErrorCode::kExists, "exists and is not a folder", dir.string());
    }
    if (!fs::is_empty(dir, ec)) {
      if (!options.overwrite) {
        throw Error(ErrorCode::kExists,
                    "the folder exists and is not empty; refusing to overwrite it (use "
                    "overwrite / --overwrite to replace it)",
                    dir.string());
      }
      replace = true;
    }
  }
  fs::path parent = dir.parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) {
      throw Error(ErrorCode::kIo, fmt::format("cannot create the parent folder: {}", ec.message()),
                  parent.string());
    }
  }
  std::string tmpl = (parent / fmt::format(".{}.tmp-XXXXXX", dir.filename().string())).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw Error(ErrorCode::kIo,
                fmt::format("cannot create a temporary folder: {}", std::strerror(errno)),
                parent.string());
  }
  TempDir tmp{tmpl};
  ::chmod(tmpl.c_str(), 0755);
  PendingFiles pending(
      options.sync);  // destroyed (descriptors closed) before the folder is removed

  // Re-shard every group with the converter's names.
  ModelArtifacts out = artifacts;
  out.weightData = Buffer();
  uint64_t groupStart = 0;
  for (size_t g = 0; g < out.weightsManifest.size(); ++g) {
    WeightGroup& wg = out.weightsManifest[g];
    uint64_t size = 0;
    for (uint64_t s : artifacts.weightsManifest[g].pathSizes) size += s;
    const uint64_t n = (size + options.shardSizeBytes - 1) / options.shardSizeBytes;
    wg.paths.clear();
    wg.pathSizes.clear();
    for (uint64_t k = 0; k < n; ++k) {
      const std::string name = fmt::format("group{}-shard{}of{}.bin", g + 1, k + 1, n);
      const uint64_t begin = k * options.shardSizeBytes;
      const uint64_t len = std::min(options.shardSizeBytes, size - begin);
      writeAll(tmp.path / name, artifacts.weightData.data() + groupStart + begin,
               static_cast<size_t>(len), pending);
      wg.paths.push_back(name);
      wg.pathSizes.push_back(len);
    }
    groupStart += size;
  }
  const std::string json = toModelJson(out, options.indent);
  writeAll(tmp.path / options.modelFileName, reinterpret_cast<const uint8_t*>(json.data()),
           json.size(), pending);
  pending.syncAll();  // with sync: every file durable before the folder is renamed into place
  if (options.sync) syncDir(tmp.path);

  if (replace) {
    // Swap the new folder with the old one atomically, then delete the old one.
    if (::renameat2(AT_FDCWD, tmp.path.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0) {
      throw Error(ErrorCode::kIo,
                  fmt::format("cannot replace the existing folder: {}", std::strerror(errno)),
                  dir.string());
    }
  } else {
    fs::remove(dir, ec);  // an empty folder, if any
    if (::renameat2(AT_FDCWD, tmp.path.c_str(), AT_FDCWD, dir.c_str(), RENAME_NOREPLACE) != 0) {
      throw Error(ErrorCode::kExists,
                  fmt::format("cannot move the new model into place: {}", std::strerror(errno)),
                  dir.string());
    }
    tmp.path.clear();
  }
  if (options.sync) syncDir(parent);
}

}  // namespace tfjs
