// tfjs weights MODEL [--name GLOB] [--stats] [--values N] [--out DIR] [--json]
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "tfjs/npy.h"
#include "tfjs/tensor.h"
#include "tfjs/weights.h"

namespace fs = std::filesystem;

namespace tfjs::cli {
namespace {

struct Stats {
  double min = 0, max = 0, mean = 0, std = 0;
  uint64_t nan = 0, inf = 0, count = 0;
};

// Values of a numeric tensor as doubles (complex64: magnitudes are not taken; re and im count).
template <typename F>
void forEachValue(const Tensor& t, F&& f) {
  switch (t.dtype()) {
    case DType::kFloat32:
    case DType::kComplex64:
      for (float v : t.floats()) f(static_cast<double>(v));
      break;
    case DType::kInt32:
      for (int32_t v : t.ints()) f(static_cast<double>(v));
      break;
    case DType::kBool:
      for (uint8_t v : t.bools()) f(static_cast<double>(v));
      break;
    default:
      break;
  }
}

Stats statsOf(const Tensor& t) {
  Stats s;
  double sum = 0, sq = 0;
  bool first = true;
  forEachValue(t, [&](double v) {
    if (std::isnan(v)) {
      ++s.nan;
      return;
    }
    if (std::isinf(v)) ++s.inf;
    if (first || v < s.min) s.min = v;
    if (first || v > s.max) s.max = v;
    first = false;
    ++s.count;
    sum += v;
    sq += v * v;
  });
  if (s.count) {
    s.mean = sum / static_cast<double>(s.count);
    s.std = std::sqrt(std::max(0.0, sq / static_cast<double>(s.count) - s.mean * s.mean));
  }
  return s;
}

std::string valueText(const Tensor& t, size_t i) {
  switch (t.dtype()) {
    case DType::kFloat32:
      return floatText(t.floats()[i]);
    case DType::kInt32:
      return std::to_string(t.ints()[i]);
    case DType::kBool:
      return t.bools()[i] ? "true" : "false";
    case DType::kComplex64:
      return fmt::format("{}{:+}i", floatText(t.floats()[2 * i]), t.floats()[2 * i + 1]);
    case DType::kString: {
      std::string s = Json(t.strings()[i]).dump(-1, ' ', false, Json::error_handler_t::replace);
      return s;
    }
    default:
      return "?";
  }
}

// The .npy path of a weight under `dir`; refuses names that would leave it.
fs::path npyPathFor(const fs::path& dir, const std::string& name) {
  fs::path rel;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string::npos) j = name.size();
    const std::string part = name.substr(i, j - i);
    if (part.empty() || part == "." || part == ".." || part.find('\\') != std::string::npos ||
        part.find('\0') != std::string::npos) {
      throw Error(
          ErrorCode::kPathEscape,
          fmt::format("the weight name cannot be used as a file path under '{}'", dir.string()), "",
          name);
    }
    rel /= part;
    i = j + 1;
  }
  return dir / (rel.string() + ".npy");
}

// The options of `tfjs weights`.
struct WeightsOptions {
  ModelArgs model;
  std::string glob;
  bool stats = false;
  int values = 6;  // -1: all
  std::string out;
  bool json = false;
};

// One weight `tfjs weights` shows: its name, its decoded values, and their statistics.
struct Shown {
  std::string name;
  Tensor tensor;
  std::optional<Stats> stats;  // with --stats, for every dtype but string
};

// The weights the options select, decoded (and written as .npy files with --out). Error
// kInvalidArgument when --name matches none.
std::vector<Shown> collect(const WeightsOptions& o) {
  const ModelArtifacts a = loadModel(o.model.model, o.model.loadOptions(true));
  std::vector<Shown> shown;
  for (auto& [name, t] : decodeWeights(a)) {
    if (!o.glob.empty() && !fnmatch(o.glob, name)) continue;
    Shown w{std::move(name), std::move(t), std::nullopt};
    if (o.stats && w.tensor.dtype() != DType::kString) w.stats = statsOf(w.tensor);
    shown.push_back(std::move(w));
  }
  if (!o.glob.empty() && shown.empty()) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("no weight matches --name '{}'", o.glob));
  }
  if (!o.out.empty()) {
    for (const Shown& w : shown) {
      const fs::path p = npyPathFor(o.out, w.name);
      fs::create_directories(p.parent_path());
      writeNpy(w.tensor, p.string());
    }
  }
  return shown;
}

// How many values of `t` to show (--values; -1: all).
size_t valuesShown(const Tensor& t, int values) {
  const size_t n = static_cast<size_t>(t.size());
  return values < 0 ? n : std::min(n, static_cast<size_t>(values));
}

Json renderJson(const Shown& w, const WeightsOptions& o) {
  const Tensor& t = w.tensor;
  const size_t n = static_cast<size_t>(t.size()), k = valuesShown(t, o.values);
  Json j = {{"name", w.name},
            {"dtype", std::string(dtypeName(t.dtype()))},
            {"shape", t.shape()},
            {"size", n}};
  Json vals = Json::array();
  for (size_t i = 0; i < k; ++i) {
    if (t.dtype() == DType::kFloat32) {
      const float v = t.floats()[i];
      vals.push_back(std::isfinite(v) ? Json(v) : Json(floatText(v)));
    } else if (t.dtype() == DType::kInt32) {
      vals.push_back(t.ints()[i]);
    } else if (t.dtype() == DType::kBool) {
      vals.push_back(t.bools()[i] != 0);
    } else if (t.dtype() == DType::kString) {
      vals.push_back(Json(t.strings()[i]).dump(-1, ' ', false, Json::error_handler_t::replace));
    } else {
      vals.push_back(Json::array({t.floats()[2 * i], t.floats()[2 * i + 1]}));
    }
  }
  j["values"] = vals;
  if (w.stats) {
    const Stats& s = *w.stats;
    j["stats"] = {{"min", s.min}, {"max", s.max}, {"mean", s.mean},
                  {"std", s.std}, {"nan", s.nan}, {"inf", s.inf}};
  }
  return j;
}

void renderText(const Shown& w, const WeightsOptions& o) {
  const Tensor& t = w.tensor;
  const size_t n = static_cast<size_t>(t.size()), k = valuesShown(t, o.values);
  std::printf("%s  %s %s\n", w.name.c_str(), std::string(dtypeName(t.dtype())).c_str(),
              shapeText(t.shape()).c_str());
  if (w.stats) {
    const Stats& s = *w.stats;
    std::printf("  min %.9g  max %.9g  mean %.9g  std %.9g", s.min, s.max, s.mean, s.std);
    if (s.nan || s.inf) {
      std::printf("  (NaN %llu, Inf %llu)", static_cast<unsigned long long>(s.nan),
                  static_cast<unsigned long long>(s.inf));
    }
    std::printf("\n");
  }
  if (k) {
    std::string line = "  [";
    for (size_t i = 0; i < k; ++i) line += (i ? ", " : "") + valueText(t, i);
    line += k < n ? fmt::format(", ... {} more]", n - k) : "]";
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

void registerWeights(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand(
      "weights", "decode (dequantize) every weight: values, statistics, or one .npy per weight");
  auto o = std::make_shared<WeightsOptions>();
  o->model.add(*cmd);
  cmd->add_option("--name", o->glob, "only weights whose name matches this shell pattern");
  cmd->add_flag("--stats", o->stats, "show min / max / mean / std (and NaN / Inf counts)");
  cmd->add_option("--values", o->values, "show the first N values of each weight (-1: all)")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "write DIR/<weight name>.npy per weight ('/' makes folders)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([&run, o] {
    run = [o]() -> int {
      const std::vector<Shown> shown = collect(*o);
      if (o->json) {
        Json out = Json::array();
        for (const Shown& w : shown) out.push_back(renderJson(w, *o));
        std::printf("%s\n", jsonText(out).c_str());
      } else {
        for (const Shown& w : shown) renderText(w, *o);
      }
      if (!o->out.empty() && !o->json) {
        std::fprintf(stderr, "wrote %zu .npy file(s) under %s\n", shown.size(), o->out.c_str());
      }
      return kOk;
    };
  });
}

}  // namespace tfjs::cli
