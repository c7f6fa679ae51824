// tfjs_bench_load MODELDIR [repeats=10]
// tfjs_bench_load --once load|decode MODELDIR
//
// Times tfjs::loadModel, and loadModel + decodeWeights, on a model folder (expected to be in the
// page cache), and reports min / median milliseconds as one JSON object on stdout. For reference
// it also times, in the same process and on the same files:
//   readLikeCat                  read(2) into one reused 128 KiB buffer, as `cat` does;
//   readIntoFreshBuffer          read(2) in place into one fresh 64-byte-aligned buffer of the
//                                files' total size: loadModel's I/O without parsing/validation;
//   readIntoFreshHugePageBuffer  the same into a 2 MiB aligned, madvise(MADV_HUGEPAGE) buffer.
// The differences locate the time: parsing + validation, and first-touch page faults.
//
// Peak RSS is measured on fresh processes that do exactly ONE load: the benchmark re-executes
// itself with `--once MODE` (posix_spawn of /proc/self/exe, before this process loads anything)
// five times per mode and embeds the report with the highest peak, plus min / median of the
// time of that first load. A --once process reports its VmHWM (the high-water RSS of its own
// address space, from /proc/self/status) before and after the load, getrusage's ru_maxrss and
// the minor page faults the load took.
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"
#include "tfjs/version.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using tfjs::Json;

constexpr int kOnceProcesses = 5;  // fresh processes per --once mode

double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The high-water RSS of this address space in bytes (VmHWM), or -1 when unavailable.
long long vmHwmBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

struct rusage selfUsage() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru;
}

Json stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  const double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  return {{"minMs", ms.front()}, {"medianMs", median}, {"maxMs", ms.back()}, {"runs", n}};
}

// model.json and the weight files, as `cat` is given them by run.sh: model.json, then the .bin
// files in name order.
std::vector<std::string> modelFiles(const std::string& dir) {
  std::vector<std::string> bins;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".bin") bins.push_back(e.path().string());
  }
  std::sort(bins.begin(), bins.end());
  bins.insert(bins.begin(), (std::filesystem::path(dir) / "model.json").string());
  return bins;
}

// What `cat FILES > /dev/null` does with its input: read(2) into one reused 128 KiB buffer.
uint64_t readLikeCat(const std::vector<std::string>& files) {
  alignas(64) static char buf[128 * 1024];
  uint64_t total = 0;
  for (const auto& f : files) {
    const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + f + ": " + std::strerror(errno));
    for (;;) {
      const ssize_t r = ::read(fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        ::close(fd);
        throw std::runtime_error("cannot read " + f + ": " + std::strerror(errno));
      }
      if (r == 0) break;
      total += static_cast<uint64_t>(r);
    }
    ::close(fd);
  }
  return total;
}

// What loadModel's local reader does with the bytes, without parsing or validating: read(2)
// every file in place into one freshly allocated buffer. With `hugePages`, the buffer is 2 MiB
// aligned and madvise(MADV_HUGEPAGE)d, so that first touch faults 2 MiB pages instead of 4 KiB
// ones (transparent huge pages in "madvise" mode, the common default).
// Returns the buffer, to be freed by the caller outside the timed region (as the benchmark does
// with loadModel's artifacts); `got` receives the bytes read.
uint8_t* readIntoFreshBuffer(const std::vector<std::string>& files, uint64_t fileBytes,
                             bool hugePages, uint64_t& got) {
  const size_t align = hugePages ? (2u << 20) : 64;
  const size_t size = (static_cast<size_t>(fileBytes) + align - 1) / align * align;
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(align, size));
  if (p == nullptr) throw std::runtime_error("out of memory");
  if (hugePages) ::madvise(p, size, MADV_HUGEPAGE);
  uint64_t off = 0;
  for (const auto& f : files) {
    const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::free(p);
      throw std::runtime_error("cannot open " + f + ": " + std::strerror(errno));
    }
    for (;;) {
      const size_t room = static_cast<size_t>(fileBytes - off);
      if (room == 0) break;
      const ssize_t r = ::read(fd, p + off, room);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      off += static_cast<uint64_t>(r);
    }
    ::close(fd);
  }
  got = off;
  return p;
}

// One load (mode "load") or one load + decodeWeights (mode "decode") in this fresh process.
int runOnce(const std::string& mode, const std::string& dir) {
  const long long before = vmHwmBytes();
  const long minfltBefore = selfUsage().ru_minflt;
  const auto t0 = Clock::now();
  tfjs::ModelArtifacts a = tfjs::loadModel(dir);
  size_t tensors = 0;
  size_t shared = 0;
  std::vector<tfjs::NamedTensor> decoded;
  if (mode == "decode") {
    decoded = tfjs::decodeWeights(a);
    tensors = decoded.size();
    for (const auto& t : decoded) shared += t.tensor.sharesBuffer(a.weightData) ? 1 : 0;
  } else if (mode != "load") {
    throw std::runtime_error("--once takes 'load' or 'decode', not '" + mode + "'");
  }
  const double ms = msSince(t0);
  const struct rusage ru = selfUsage();
  const Json out = {{"mode", mode},
                    {"ms", ms},
                    {"weightBytes", a.weightData.size()},
                    {"tensors", tensors},
                    {"tensorsSharingWeightBuffer", shared},
                    {"baselineRssBytes", before},
                    {"peakRssBytes", vmHwmBytes()},
                    {"ruMaxRssBytes", static_cast<long long>(ru.ru_maxrss) * 1024},
                    {"minorFaults", ru.ru_minflt - minfltBefore}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

// Runs `/proc/self/exe --once MODE DIR` and parses its JSON report.
Json spawnOnce(const std::string& mode, const std::string& dir) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
  std::string self = "/proc/self/exe";
  std::string once = "--once";
  std::string m = mode;
  std::string d = dir;
  char* args[] = {self.data(), once.data(), m.data(), d.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, self.c_str(), &fa, nullptr, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error(std::string("posix_spawn failed: ") + std::strerror(rc));
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t r = ::read(fds[0], buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    text.append(buf, static_cast<size_t>(r));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("the --once " + mode + " child failed");
  }
  return Json::parse(text);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 4 && std::string(argv[1]) == "--once") return runOnce(argv[2], argv[3]);
    if (argc < 2 || argc > 3 || argv[1][0] == '-') {
      std::fprintf(stderr,
                   "usage: %s MODELDIR [repeats=10]\n"
                   "       %s --once load|decode MODELDIR\n",
                   argv[0], argv[0]);
      return 2;
    }
    const std::string dir = argv[1];
    const int repeats = argc > 2 ? std::max(1, std::atoi(argv[2])) : 10;

    // Fresh processes first, while this one is still small: each does ONE load. Their peak RSS
    // (the largest seen) and the time of that first load (min / median over the processes).
    auto onceRuns = [&](const std::string& mode) {
      std::vector<double> ms;
      Json worst;
      for (int i = 0; i < kOnceProcesses; ++i) {
        Json r = spawnOnce(mode, dir);
        ms.push_back(r["ms"].get<double>());
        if (worst.is_null() || r["peakRssBytes"] > worst["peakRssBytes"]) worst = r;
      }
      worst.erase("ms");
      worst["firstLoad"] = stats(ms);
      return worst;
    };
    const Json onceLoad = onceRuns("load");
    const Json onceDecode = onceRuns("decode");

    const std::vector<std::string> files = modelFiles(dir);
    uint64_t fileBytes = 0;
    for (const auto& f : files) fileBytes += std::filesystem::file_size(f);

    // Warm-up: page cache, allocator, code.
    readLikeCat(files);
    { const auto warm = tfjs::decodeWeights(tfjs::loadModel(dir)); }

    std::vector<double> readMs;
    std::vector<double> freshMs;
    std::vector<double> hugeMs;
    std::vector<double> loadMs;
    std::vector<double> decodeMs;
    uint64_t weightBytes = 0;
    size_t tensorCount = 0;
    for (int i = 0; i < repeats; ++i) {
      auto t0 = Clock::now();
      if (readLikeCat(files) != fileBytes) throw std::runtime_error("the files changed size");
      readMs.push_back(msSince(t0));

      for (const bool huge : {false, true}) {
        uint64_t got = 0;
        t0 = Clock::now();
        uint8_t* p = readIntoFreshBuffer(files, fileBytes, huge, got);
        (huge ? hugeMs : freshMs).push_back(msSince(t0));
        std::free(p);  // outside the timed region
        if (got != fileBytes) throw std::runtime_error("the files changed size");
      }

      {
        t0 = Clock::now();
        tfjs::ModelArtifacts a = tfjs::loadModel(dir);
        loadMs.push_back(msSince(t0));
        weightBytes = a.weightData.size();
      }  // freed outside the timed region
      {
        t0 = Clock::now();
        tfjs::ModelArtifacts a = tfjs::loadModel(dir);
        std::vector<tfjs::NamedTensor> tensors = tfjs::decodeWeights(a);
        decodeMs.push_back(msSince(t0));
        tensorCount = tensors.size();
      }
    }

    const Json out = {{"tool", "tfjs-cpp"},
                      {"version", TFJS_VERSION},
                      {"model", dir},
                      {"files", files.size()},
                      {"fileBytes", fileBytes},
                      {"weightBytes", weightBytes},
                      {"tensors", tensorCount},
                      {"repeats", repeats},
                      {"readLikeCat", stats(readMs)},
                      {"readIntoFreshBuffer", stats(freshMs)},
                      {"readIntoFreshHugePageBuffer", stats(hugeMs)},
                      {"load", stats(loadMs)},
                      {"loadDecode", stats(decodeMs)},
                      {"once", {{"load", onceLoad}, {"loadDecode", onceDecode}}}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tfjs_bench_load: %s\n", e.what());
    return 1;
  }
}
