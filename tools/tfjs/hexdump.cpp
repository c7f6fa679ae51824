// tfjs hexdump MODEL [--weight NAME] [--offset N] [--length N] — bytes with decoded values.
#include <fmt/format.h>

#include <cstdio>
#include <cstring>

#include "common.h"
#include "tfjs/tensor.h"

namespace tfjs::cli {
namespace {

// The decoded value of element `e` of `w`, whose bytes start at `p` (enough bytes available).
std::string elementText(const WeightSpec& w, const uint8_t* p) {
  if (w.quantization) {
    const Quantization& q = *w.quantization;
    if (q.dtype == DType::kFloat16) {
      const uint16_t h = static_cast<uint16_t>(p[0] | (p[1] << 8));
      return fmt::format("f16 0x{:04x}={}", h, floatText(halfToFloat(h)));
    }
    const uint32_t code =
        q.dtype == DType::kUint8 ? p[0] : static_cast<uint32_t>(p[0] | (p[1] << 8));
    WeightSpec one = w;
    one.shape = {};
    const Tensor t = decodeWeightBytes(one, p, dtypeSize(q.dtype));
    const std::string v =
        w.dtype == DType::kInt32 ? std::to_string(t.ints()[0]) : floatText(t.floats()[0]);
    return fmt::format("q{}→{}", code, v);
  }
  switch (w.dtype) {
    case DType::kFloat32: {
      float v;
      std::memcpy(&v, p, 4);
      return floatText(v);
    }
    case DType::kInt32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return std::to_string(v);
    }
    case DType::kBool:
      return p[0] ? "true" : "false";
    case DType::kComplex64: {
      float re, im;
      std::memcpy(&re, p, 4);
      std::memcpy(&im, p + 4, 4);
      return fmt::format("{}{}{}i", floatText(re), im < 0 ? "" : "+", floatText(im));
    }
    default:
      return "?";
  }
}

struct Annotation {
  uint64_t at;       // byte offset (in the weight) where the element starts
  std::string text;  // "[3] 1.5"
};

// Element annotations of a weight's bytes [0, length).
std::vector<Annotation> annotate(const WeightSpec& w, const uint8_t* bytes, uint64_t length) {
  std::vector<Annotation> out;
  if (w.variableLength()) {
    uint64_t off = 0;
    for (size_t i = 0; off + 4 <= length; ++i) {
      uint32_t n;
      std::memcpy(&n, bytes + off, 4);
      std::string s(reinterpret_cast<const char*>(bytes + off + 4),
                    static_cast<size_t>(std::min<uint64_t>(n, length - off - 4)));
      out.push_back(
          {off, fmt::format("[{}] len {} {}", i, n,
                            Json(s).dump(-1, ' ', false, Json::error_handler_t::replace))});
      off += 4 + static_cast<uint64_t>(n);
    }
    return out;
  }
  const size_t width = dtypeSize(w.storageDType());
  for (uint64_t i = 0; (i + 1) * width <= length; ++i) {
    out.push_back({i * width, fmt::format("[{}] {}", i, elementText(w, bytes + i * width))});
  }
  return out;
}

}  // namespace

void registerHexdump(CLI::App& app, Runner& run) {
  auto* cmd = app.add_subcommand(
      "hexdump",
      "hex and ASCII of the weight bytes, with each element's decoded value beside "
      "its bytes");
  struct Opts {
    ModelArgs model;
    std::string weight;
    uint64_t offset = 0;
    uint64_t length = 256;
    bool all = false;
  };
  auto o = std::make_shared<Opts>();
  o->model.add(*cmd);
  cmd->add_option("-w,--weight", o->weight, "only this weight (offsets are then within it)");
  cmd->add_option("--offset", o->offset, "first byte to show")->capture_default_str();
  cmd->add_option("--length", o->length, "bytes to show per weight (0: all)")
      ->capture_default_str();
  cmd->add_flag("--all", o->all, "show every byte (same as --length 0)");
  cmd->callback([&run, o] {
    run = [o]() -> int {
      const ModelArtifacts a = loadModel(o->model.model, o->model.loadOptions(true));
      std::vector<Problem> problems;
      const auto locs = locateWeights(a, problems);
      if (!problems.empty()) throw Error(problems);
      const auto specs = a.weightSpecs();
      bool found = false;
      for (size_t i = 0; i < specs.size(); ++i) {
        const WeightSpec& w = *specs[i];
        if (!o->weight.empty() && w.name != o->weight) continue;
        found = true;
        const WeightLocation& loc = locs[i];
        const auto& paths = a.weightsManifest[loc.group].paths;
        std::string shards = "-";
        if (loc.byteLength && !paths.empty()) {
          shards = paths[loc.firstPath];
          if (loc.lastPath != loc.firstPath) shards += " .. " + paths[loc.lastPath];
        }
        std::printf(
            "%s  %s%s %s  group %zu  bytes %llu..%llu  %s\n", w.name.c_str(),
            std::string(dtypeName(w.dtype)).c_str(),
            w.quantization ? fmt::format(" (stored {})", dtypeName(w.quantization->dtype)).c_str()
                           : "",
            shapeText(w.shape).c_str(), loc.group + 1,
            static_cast<unsigned long long>(loc.byteOffset),
            static_cast<unsigned long long>(loc.byteOffset + loc.byteLength), shards.c_str());
        const uint8_t* base = a.weightData.data() + loc.dataOffset;
        const auto notes = annotate(w, base, loc.byteLength);
        const uint64_t begin = std::min(o->offset, loc.byteLength);
        const uint64_t len = (o->all || o->length == 0)
                                 ? loc.byteLength - begin
                                 : std::min(o->length, loc.byteLength - begin);
        size_t ni = 0;
        for (uint64_t line = begin - begin % 16; line < begin + len; line += 16) {
          std::string hex, ascii;
          for (uint64_t b = line; b < line + 16; ++b) {
            if (b < begin || b >= begin + len) {
              hex += "   ";
              ascii += ' ';
            } else {
              hex += fmt::format("{:02x} ", base[b]);
              ascii += (base[b] >= 32 && base[b] < 127) ? static_cast<char>(base[b]) : '.';
            }
            if (b == line + 7) hex += ' ';
          }
          std::string values;
          while (ni < notes.size() && notes[ni].at < line) ++ni;
          for (size_t k = ni; k < notes.size() && notes[k].at < line + 16; ++k) {
            if (notes[k].at >= begin && notes[k].at < begin + len) {
              values += (values.empty() ? "" : "  ") + notes[k].text;
            }
          }
          std::printf("  %08llx  %s |%s|  %s\n",
                      static_cast<unsigned long long>(loc.byteOffset + line), hex.c_str(),
                      ascii.c_str(), values.c_str());
        }
        if (begin + len < loc.byteLength) {
          std::printf("  ... %llu more byte(s) (--length 0 or --all shows them)\n",
                      static_cast<unsigned long long>(loc.byteLength - begin - len));
        }
      }
      if (!found) {
        throw Error(ErrorCode::kInvalidArgument,
                    o->weight.empty() ? std::string("the model has no weights")
                                      : fmt::format("no weight named '{}'", o->weight));
      }
      return kOk;
    };
  });
}

}  // namespace tfjs::cli
