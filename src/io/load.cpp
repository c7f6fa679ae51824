// loadModel / validateModel: routing, path containment, size checks before reading, reading.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "format/checked.h"
#include "io/fetch.h"
#include "io/files.h"
#include "io/legacy_graph.h"
#include "tfjs/io.h"

namespace fs = std::filesystem;

namespace tfjs {

bool isHttpUrl(const std::string& location) {
  auto starts = [&](const char* p) {
    const size_t n = std::strlen(p);
    if (location.size() < n) return false;
    for (size_t i = 0; i < n; ++i) {
      if (std::tolower(static_cast<unsigned char>(location[i])) != p[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

namespace io {

std::string escapeReason(const std::string& path) {
  if (path.empty()) return "the path is empty";
  if (path.find('\0') != std::string::npos) return "the path holds a NUL byte";
  if (path.front() == '/' || path.front() == '\\') return "the path is absolute";
  if (path.find("://") != std::string::npos) return "the path is a URL";
  if (path.size() >= 2 && path[1] == ':') return "the path is absolute (drive letter)";
  // Lexical walk: a '..' that climbs above the model folder escapes it.
  int depth = 0;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find_first_of("/\\", i);
    if (j == std::string::npos) j = path.size();
    const std::string part = path.substr(i, j - i);
    if (part == "..") {
      if (--depth < 0) return "the path climbs out of the model folder with '..'";
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    i = j + 1;
  }
  return {};
}

std::string localModelJsonPath(const std::string& location) {
  std::string path = location;
  if (path.rfind("file://", 0) == 0) path = path.substr(7);
  if (path.empty()) throw Error(ErrorCode::kInvalidArgument, "no model location given");
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    throw Error(ErrorCode::kNotFound, "no such file or folder", path);
  }
  if (fs::is_directory(st)) {
    const fs::path candidate = fs::path(path) / "model.json";
    if (!fs::exists(candidate, ec)) {
      if (fs::exists(fs::path(path) / "saved_model.pb", ec)) {
        throw Error(ErrorCode::kNotFound,
                    "the folder has no model.json: it is a SavedModel (tfjs reads a tf.keras "
                    "SavedModel directly: tfjs inspect / predict, loadLayersModel; or converts "
                    "it: tfjs convert)",
                    path);
      }
      throw Error(ErrorCode::kNotFound,
                  "the folder has no model.json (pass the path of the model's JSON file if it "
                  "has another name)",
                  path);
    }
    return candidate.string();
  }
  return path;
}

namespace {

struct Loader {
  const LoadOptions& opt;
  std::vector<Problem>& problems;

  void add(ErrorCode code, std::string message, std::string file = {}, std::string weight = {},
           std::optional<ByteRange> bytes = std::nullopt) {
    problems.push_back({code, std::move(message), std::move(file), std::move(weight), bytes});
  }

  // Compares each group's actual byte count with what its manifest needs (non-string groups).
  void checkGroupSizes(const ModelArtifacts& a, const std::vector<WeightFile>& files,
                       const std::vector<uint64_t>& sizes, const std::vector<bool>& present) {
    std::vector<std::optional<uint64_t>> expected;
    try {
      expected = expectedGroupSizes(a);
    } catch (const Error& e) {
      for (const auto& p : e.problems()) problems.push_back(p);
      return;
    }
    for (size_t g = 0; g < a.weightsManifest.size(); ++g) {
      uint64_t actual = 0;
      bool complete = true;
      std::vector<size_t> members;
      for (size_t k = 0; k < files.size(); ++k) {
        if (files[k].group != g) continue;
        if (!present[k]) complete = false;
        actual += sizes[k];
        members.push_back(k);
      }
      if (!complete || !expected[g]) continue;
      // The file to blame: writers cut every shard but the last to one size, so a shard shorter
      // than its largest sibling is the one that lost bytes; otherwise the group's last file.
      std::string last = members.empty() ? std::string() : files[members.back()].display;
      std::string shortShardNote;
      if (members.size() >= 2) {
        uint64_t nominal = 0;
        for (size_t m = 0; m + 1 < members.size(); ++m)
          nominal = std::max(nominal, sizes[members[m]]);
        for (size_t m = 0; m + 1 < members.size(); ++m) {
          if (sizes[members[m]] < nominal && actual < *expected[g]) {
            last = files[members[m]].display;
            shortShardNote = fmt::format(
                "; this shard holds {} bytes while its sibling shards hold {} (only the last "
                "shard of a group may be shorter)",
                sizes[members[m]], nominal);
            break;
          }
        }
      }
      if (a.weightsManifest[g].paths.empty() && *expected[g] > 0) {
        add(ErrorCode::kTruncated,
            fmt::format("group {} lists no weight files but its weights need {} bytes", g + 1,
                        *expected[g]),
            "", a.weightsManifest[g].weights.front().name);
        continue;
      }
      if (actual < *expected[g]) {
        // Name the first weight that does not fit.
        uint64_t off = 0;
        std::string weight;
        ByteRange range{actual, *expected[g]};
        for (const auto& w : a.weightsManifest[g].weights) {
          const uint64_t len = *w.storedByteLength();
          if (off + len > actual) {
            weight = w.name;
            range = {off, off + len};
            break;
          }
          off += len;
        }
        add(ErrorCode::kTruncated,
            fmt::format("group {}'s files hold {} bytes but its manifest describes {} ({} "
                        "missing); the weight's bytes {}..{} of the group are not all there{}",
                        g + 1, actual, *expected[g], *expected[g] - actual, range.begin, range.end,
                        shortShardNote),
            last, weight, range);
      } else if (actual > *expected[g]) {
        add(ErrorCode::kExtraBytes,
            fmt::format("group {}'s files hold {} bytes but its manifest describes only {} ({} "
                        "extra)",
                        g + 1, actual, *expected[g], actual - *expected[g]),
            last, "", ByteRange{*expected[g], actual});
      }
    }
  }

  void finishLayout(ModelArtifacts& a) {
    a.weightsLoaded = true;
    locateWeights(a, problems);
  }

  // Reads files[i] (sizes[i] bytes each) back to back into `dst`. Large loads are cut into
  // chunks read by a few threads with pread(2): the copy out of the page cache (and the page
  // faults of the fresh buffer) then use every core.
  bool readFilesInto(const std::vector<WeightFile>& files, const std::vector<uint64_t>& sizes,
                     uint64_t total, uint8_t* dst) {
    struct Chunk {
      size_t file;
      uint64_t offset;  // in the file
      uint64_t length;
      uint64_t to;  // in dst
    };
    constexpr uint64_t kChunk = 4u << 20;
    std::vector<Chunk> chunks;
    std::vector<int> fds(files.size(), -1);
    auto closeAll = [&] {
      for (int fd : fds) {
        if (fd >= 0) ::close(fd);
      }
    };
    uint64_t to = 0;
    for (size_t i = 0; i < files.size(); ++i) {
      fds[i] = ::open(files[i].location.c_str(), O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0) {
        add(ErrorCode::kIo, fmt::format("cannot open: {}", std::strerror(errno)), files[i].display);
        closeAll();
        return false;
      }
      for (uint64_t o = 0; o < sizes[i]; o += kChunk) {
        chunks.push_back({i, o, std::min(kChunk, sizes[i] - o), to + o});
      }
      to += sizes[i];
    }
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> done{0};
    std::mutex mu;  // guards `failure` and onProgress calls
    std::optional<Problem> failure;
    auto work = [&] {
      for (size_t c = next++; c < chunks.size(); c = next++) {
        const Chunk& ch = chunks[c];
        uint64_t got = 0;
        while (got < ch.length) {
          const ssize_t r =
              ::pread(fds[ch.file], dst + ch.to + got, static_cast<size_t>(ch.length - got),
                      static_cast<off_t>(ch.offset + got));
          if (r < 0 && errno == EINTR) continue;
          if (r <= 0) break;
          got += static_cast<uint64_t>(r);
        }
        std::lock_guard<std::mutex> lock(mu);
        if (got != ch.length) {
          if (!failure) {
            failure = Problem{
                ErrorCode::kTruncated,
                fmt::format("the file shrank while being read (expected {} bytes)", sizes[ch.file]),
                files[ch.file].display, "", ByteRange{ch.offset + got, ch.offset + ch.length}};
          }
          next = chunks.size();
          return;
        }
        const uint64_t now = done += ch.length;
        if (opt.onProgress && total && now < total) {
          opt.onProgress(static_cast<double>(now) / static_cast<double>(total));
        }
      }
    };
    const size_t threads =
        total < (16u << 20) ? 1
                            : std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()),
                                                4, chunks.size()});
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    closeAll();
    if (failure) {
      problems.push_back(std::move(*failure));
      return false;
    }
    return true;
  }

  bool loadLocal(const std::string& location, ModelArtifacts& a) {
    std::string jsonPath;
    const std::string path = location.rfind("file://", 0) == 0 ? location.substr(7) : location;
    if (auto legacy = findLegacyGraph(path)) {
      // tfjs-converter 0.x: tensorflowjs_model.pb + weights_manifest.json, whose folder holds
      // the shards as model.json's does.
      a = readLegacyGraph(*legacy, opt, problems);
      jsonPath = legacy->manifest;
    } else {
      jsonPath = localModelJsonPath(location);
      const std::string text = readFileCapped(jsonPath, opt.maxModelJsonBytes, "model.json");
      a = parseModelJson(text, jsonPath, problems);
    }
    if (!problems.empty() || opt.skipWeights) return problems.empty();
    const fs::path dir = fs::path(jsonPath).parent_path();
    std::error_code ec;
    const fs::path realDir = fs::canonical(dir.empty() ? fs::path(".") : dir, ec);
    std::vector<WeightFile> files;
    for (size_t g = 0; g < a.weightsManifest.size(); ++g) {
      for (size_t k = 0; k < a.weightsManifest[g].paths.size(); ++k) {
        const std::string& p = a.weightsManifest[g].paths[k];
        const std::string display = (dir / p).string();
        if (auto why = escapeReason(p); !why.empty()) {
          add(ErrorCode::kPathEscape, fmt::format("weight path '{}' is refused: {}", p, why),
              jsonPath);
          continue;
        }
        files.push_back({display, display, g, k});
      }
    }
    if (!problems.empty()) return false;
    // Existence, symlink containment and sizes, before any weight byte is read.
    std::vector<uint64_t> sizes(files.size(), 0);
    std::vector<bool> present(files.size(), false);
    uint64_t total = 0;
    for (size_t i = 0; i < files.size(); ++i) {
      struct stat st {};
      if (::stat(files[i].location.c_str(), &st) != 0) {
        add(ErrorCode::kNotFound,
            fmt::format("weight file does not exist ({} of group {} in the manifest)",
                        a.weightsManifest[files[i].group].paths[files[i].index],
                        files[i].group + 1),
            files[i].display);
        continue;
      }
      if (!S_ISREG(st.st_mode)) {
        add(ErrorCode::kIo, "weight path is not a regular file", files[i].display);
        continue;
      }
      if (!opt.allowSymlinkEscape) {
        const fs::path real = fs::canonical(files[i].location, ec);
        const auto rel = ec ? fs::path("..") : real.lexically_relative(realDir);
        if (ec || rel.empty() || *rel.begin() == "..") {
          add(ErrorCode::kPathEscape,
              fmt::format("weight file resolves to '{}', outside the model folder '{}' (a "
                          "symlink leads out)",
                          real.string(), realDir.string()),
              files[i].display);
          continue;
        }
      }
      sizes[i] = static_cast<uint64_t>(st.st_size);
      present[i] = true;
      total += sizes[i];
    }
    if (total > opt.maxWeightBytes) {
      add(ErrorCode::kTooLarge,
          fmt::format("the weight files hold {} bytes, over the limit of {}", total,
                      opt.maxWeightBytes),
          jsonPath);
    }
    checkGroupSizes(a, files, sizes, present);
    if (!problems.empty()) return false;
    // Read every file straight into its place in the one weight buffer.
    a.weightData = Buffer::allocate(static_cast<size_t>(total));
    for (auto& g : a.weightsManifest) g.pathSizes.assign(g.paths.size(), 0);
    if (!readFilesInto(files, sizes, total, a.weightData.mutableData())) return false;
    for (size_t i = 0; i < files.size(); ++i) {
      a.weightsManifest[files[i].group].pathSizes[files[i].index] = sizes[i];
    }
    if (opt.onProgress) opt.onProgress(1.0);
    finishLayout(a);
    return problems.empty();
  }

  bool loadHttp(const std::string& url, ModelArtifacts& a) {
    if (const size_t q = url.find_first_of("?#"); url.substr(0, q).ends_with(".pb")) {
      add(ErrorCode::kUnsupported,
          "a GraphDef (.pb) is read from a local folder only (a tfjs-converter 0.x model: "
          "download tensorflowjs_model.pb, weights_manifest.json and the shards, or convert "
          "them with tfjs convert)",
          url);
      return false;
    }
    HttpResponse r;
    try {
      r = httpGet(url, opt, opt.maxModelJsonBytes);
    } catch (const Error& e) {
      Problem p = e.problems().front();
      if (p.code == ErrorCode::kHttp) {
        p.message += "; please verify this URL points to the model JSON of the model to load";
      }
      throw Error(std::move(p));
    }
    a = parseModelJson(
        std::string_view(reinterpret_cast<const char*>(r.body.data()), r.body.size()), url,
        problems);
    if (!problems.empty() || opt.skipWeights) return problems.empty();
    // TF.js: prefix = url up to and including its last '/', suffix = the query after the last
    // '?' when that '?' comes after the last '/'.
    const size_t slash = url.rfind('/');
    const size_t query = url.rfind('?');
    std::string prefix = url.substr(0, slash + 1);
    std::string suffix;
    if (query != std::string::npos && query > slash) {
      suffix = url.substr(query);
      prefix = url.substr(0, slash + 1);
    }
    if (!opt.weightPathPrefix.empty()) prefix = opt.weightPathPrefix;
    const std::string origin = urlOrigin(url);
    std::vector<WeightFile> files;
    std::vector<std::string> urls;
    for (size_t g = 0; g < a.weightsManifest.size(); ++g) {
      for (size_t k = 0; k < a.weightsManifest[g].paths.size(); ++k) {
        const std::string& p = a.weightsManifest[g].paths[k];
        const std::string full = prefix + p + suffix;
        if (auto why = escapeReason(p); !why.empty()) {
          add(ErrorCode::kPathEscape, fmt::format("weight path '{}' is refused: {}", p, why), url);
          continue;
        }
        if (!opt.allowCrossOrigin && urlOrigin(full) != origin) {
          add(ErrorCode::kCrossOrigin,
              fmt::format("weight URL is on origin {}, not the model's {} (allow it with "
                          "allowCrossOrigin / --allow-cross-origin)",
                          urlOrigin(full), origin),
              full);
          continue;
        }
        files.push_back({full, full, g, k});
        urls.push_back(full);
      }
    }
    if (!problems.empty()) return false;
    // The total to report progress against; unknown (0: only the final 1.0) when a group holds
    // strings, whose size is not known before their bytes are.
    uint64_t expectedTotal = 0;
    try {
      bool known = true;
      for (const auto& s : expectedGroupSizes(a)) {
        if (s) expectedTotal = checkedAdd(expectedTotal, *s);
        known = known && s.has_value();
      }
      if (!known) expectedTotal = 0;
    } catch (const Error& e) {
      for (const auto& p : e.problems()) problems.push_back(p);
      return false;
    }
    auto onBytes = [&](uint64_t got) {
      if (opt.onProgress && expectedTotal) {
        opt.onProgress(
            std::min(1.0, static_cast<double>(got) / static_cast<double>(expectedTotal)));
      }
    };
    auto bodies = httpGetAll(urls, opt, opt.maxWeightBytes, onBytes, problems);
    if (!problems.empty()) return false;
    std::vector<uint64_t> sizes;
    uint64_t total = 0;
    for (const auto& b : bodies) {
      sizes.push_back(b.body.size());
      total = checkedAdd(total, b.body.size());
    }
    if (total > opt.maxWeightBytes) {
      add(ErrorCode::kTooLarge,
          fmt::format("the weight files hold {} bytes, over the limit of {}", total,
                      opt.maxWeightBytes),
          url);
      return false;
    }
    checkGroupSizes(a, files, sizes, std::vector<bool>(files.size(), true));
    if (!problems.empty()) return false;
    a.weightData = Buffer::allocate(static_cast<size_t>(total));
    for (auto& g : a.weightsManifest) g.pathSizes.assign(g.paths.size(), 0);
    uint64_t off = 0;
    for (size_t i = 0; i < files.size(); ++i) {
      if (!bodies[i].body.empty()) {
        std::memcpy(a.weightData.mutableData() + off, bodies[i].body.data(), bodies[i].body.size());
      }
      a.weightsManifest[files[i].group].pathSizes[files[i].index] = sizes[i];
      off += sizes[i];
      std::vector<uint8_t>().swap(bodies[i].body);
    }
    if (opt.onProgress) opt.onProgress(1.0);
    finishLayout(a);
    return problems.empty();
  }
};

}  // namespace
}  // namespace io

namespace {
bool loadInto(const std::string& location, const LoadOptions& options, ModelArtifacts& a,
              std::vector<Problem>& problems) {
  io::Loader loader{options, problems};
  try {
    if (isHttpUrl(location)) return loader.loadHttp(location, a);
    return loader.loadLocal(location, a);
  } catch (const Error& e) {
    for (const auto& p : e.problems()) problems.push_back(p);
    return false;
  }
}
}  // namespace

ModelArtifacts loadModel(const std::string& location, const LoadOptions& options) {
  ModelArtifacts a;
  std::vector<Problem> problems;
  if (!loadInto(location, options, a, problems)) throw Error(std::move(problems));
  return a;
}

std::vector<Problem> validateModel(const std::string& location, const LoadOptions& options,
                                   ModelArtifacts* artifacts) {
  ModelArtifacts a;
  std::vector<Problem> problems;
  loadInto(location, options, a, problems);
  if (problems.empty()) {
    // Checks that do not stop a load but make the model unusable by TF.js.
    if (a.modelTopology.is_null()) {
      problems.push_back({ErrorCode::kWeightsOnly,
                          "model.json has a weights manifest but no model topology (a "
                          "weights-only conversion); tf.loadLayersModel cannot build a model "
                          "from it",
                          location, "", std::nullopt});
    }
  }
  if (artifacts) *artifacts = std::move(a);
  return problems;
}

std::vector<Problem> validateArtifacts(const ModelArtifacts& a) {
  std::vector<Problem> problems;
  // Schema: re-parse what a writer would emit, so in-memory artifacts get the same checks.
  parseModelJson(toModelJson(a), "model.json", problems);
  if (!problems.empty()) return problems;
  if (a.weightsLoaded) {
    locateWeights(a, problems);
  }
  return problems;
}

}  // namespace tfjs
