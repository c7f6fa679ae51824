#include "common.h"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace tfjs::cli {

void ModelArgs::add(CLI::App& cmd) {
  cmd.add_option("MODEL", model,
                 "a model folder, a model.json path, a file:// or an http(s):// URL")
      ->required();
  cmd.add_option("-H,--header", headers, "extra HTTP request header \"Name: value\" (repeatable)");
  cmd.add_flag("--allow-cross-origin", allowCrossOrigin,
               "fetch weight files from another origin than model.json");
  cmd.add_option("--timeout", timeout, "seconds before a stalled connection is abandoned")
      ->capture_default_str();
}

void RunArgs::add(CLI::App& cmd) {
  cmd.add_option("--threads", threads, "compute threads (0: all cores, or OMP_NUM_THREADS)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  cmd.add_option("--batch-chunk", batchChunk,
                 "samples per pass through the layers (0: chosen from the model's activation "
                 "sizes, -1: the whole batch at once)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{-1}, int64_t{1} << 40));
}

ModelOptions RunArgs::modelOptions() const {
  ModelOptions options;
  options.threads = threads;
  options.batchChunk = batchChunk;
  return options;
}

LoadOptions ModelArgs::loadOptions(bool progress) const {
  LoadOptions o;
  for (const auto& h : headers) {
    const auto colon = h.find(':');
    if (colon == std::string::npos) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("header '{}' is not of the form \"Name: value\"", h));
    }
    std::string value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    o.headers[h.substr(0, colon)] = value;
  }
  o.allowCrossOrigin = allowCrossOrigin;
  o.connectTimeoutSeconds = timeout;
  o.stallTimeoutSeconds = timeout;
  if (progress && isHttpUrl(model) && ::isatty(STDERR_FILENO)) {
    o.onProgress = [last = -1](double f) mutable {
      const int pct = static_cast<int>(f * 100);
      if (pct == last) return;
      last = pct;
      std::fprintf(stderr, "\rdownloading weights %3d%%%s", pct, pct >= 100 ? "\n" : "");
      std::fflush(stderr);
    };
  }
  return o;
}

int exitCodeFor(const Error& e) {
  switch (e.code()) {
    case ErrorCode::kIo:
    case ErrorCode::kNotFound:
    case ErrorCode::kHttp:
    case ErrorCode::kTimeout:
      return kUnreachable;
    case ErrorCode::kInvalidArgument:
      return kUsage;
    default:
      return kProblems;
  }
}

void printError(const Error& e) {
  for (Problem p : e.problems()) {
    // A message made from another error's what() starts with that error's "[kind] "; the kind
    // is printed once, by toString().
    const std::string kind = fmt::format("[{}] ", errorCodeName(p.code));
    while (p.message.starts_with(kind)) p.message.erase(0, kind.size());
    std::fprintf(stderr, "tfjs: %s\n", p.toString().c_str());
  }
}

std::string withCommas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string humanBytes(uint64_t n) {
  if (n < 1024) return fmt::format("{} B", n);
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(n);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string shapeText(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

size_t displayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string floatText(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::vector<std::optional<WeightLocation>> layoutOf(const ModelArtifacts& a) {
  if (!a.weightsLoaded) return layoutFromManifest(a);
  // One entry per weight in manifest order; a weight the walk could not place (a damaged
  // group) stays nullopt, and the groups after it keep their places.
  std::vector<size_t> groupStart;
  size_t n = 0;
  for (const auto& g : a.weightsManifest) {
    groupStart.push_back(n);
    n += g.weights.size();
  }
  std::vector<std::optional<WeightLocation>> out(n);
  std::vector<Problem> ignored;
  for (const auto& loc : locateWeights(a, ignored)) out[groupStart[loc.group] + loc.index] = loc;
  return out;
}

std::string jsonText(const Json& j, int indent) {
  return j.dump(indent, ' ', false, Json::error_handler_t::replace);
}

Json problemJson(const Problem& p) {
  Json j = Json::object();
  j["kind"] = std::string(errorCodeName(p.code));
  j["message"] = p.message;
  j["file"] = p.file.empty() ? Json(nullptr) : Json(p.file);
  j["weight"] = p.weight.empty() ? Json(nullptr) : Json(p.weight);
  j["byteRange"] = p.bytes ? Json::array({p.bytes->begin, p.bytes->end}) : Json(nullptr);
  return j;
}

}  // namespace tfjs::cli
