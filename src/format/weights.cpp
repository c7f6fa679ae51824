// Encoding tensors into weight groups, with the converter's quantization rules.
#include "tfjs/weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "format/checked.h"

namespace tfjs {

bool fnmatch(const std::string& pattern, const std::string& name) {
  // Iterative glob match with backtracking on the last '*'.
  size_t p = 0, n = 0, starP = std::string::npos, starN = 0;
  auto classMatch = [&](size_t& pp, char c) -> std::optional<bool> {
    // pattern[pp] == '['; returns nullopt when the class is unterminated (then '[' is literal).
    size_t i = pp + 1;
    bool negate = false;
    if (i < pattern.size() && pattern[i] == '!') {
      negate = true;
      ++i;
    }
    bool matched = false;
    bool first = true;
    while (i < pattern.size() && (first || pattern[i] != ']')) {
      first = false;
      if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
        if (pattern[i] <= c && c <= pattern[i + 2]) matched = true;
        i += 3;
      } else {
        if (pattern[i] == c) matched = true;
        ++i;
      }
    }
    if (i >= pattern.size()) return std::nullopt;
    pp = i + 1;
    return matched != negate;
  };
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      starP = p++;
      starN = n;
      continue;
    }
    if (p < pattern.size()) {
      if (pattern[p] == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pattern[p] == '[') {
        size_t pp = p;
        auto m = classMatch(pp, name[n]);
        if (m.has_value()) {
          if (*m) {
            p = pp;
            ++n;
            continue;
          }
        } else if (name[n] == '[') {
          ++p;
          ++n;
          continue;
        }
      } else if (pattern[p] == name[n]) {
        ++p;
        ++n;
        continue;
      }
    }
    if (starP == std::string::npos) return false;
    p = starP + 1;
    n = ++starN;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<DType> quantizationFor(const QuantizationMap& map, const std::string& name) {
  std::optional<DType> matched;
  std::optional<DType> fallthrough;
  int fallthroughs = 0;
  for (const auto& rule : map) {
    if (rule.patterns.empty()) {
      ++fallthroughs;
      fallthrough = rule.dtype;
      continue;
    }
    for (const auto& pat : rule.patterns) {
      if (!fnmatch(pat, name)) continue;
      if (matched && *matched != rule.dtype) {
        throw Error(ErrorCode::kInvalidArgument,
                    fmt::format("weight '{}' is matched by both {} and {} quantization", name,
                                dtypeName(*matched), dtypeName(rule.dtype)));
      }
      matched = rule.dtype;
    }
  }
  if (fallthroughs > 1) {
    throw Error(ErrorCode::kInvalidArgument,
                "only one quantization dtype may be given without patterns");
  }
  return matched ? matched : fallthrough;
}

EncodedGroup encodeWeights(const std::vector<NamedTensor>& tensors, const QuantizationMap& map) {
  EncodedGroup out;
  for (const auto& [name, t] : tensors) {
    WeightSpec spec;
    spec.name = name;
    spec.shape = t.shape();
    spec.dtype = t.dtype();
    if (t.dtype() == DType::kString) {
      for (const auto& s : t.strings()) {
        if (s.size() > UINT32_MAX) {
          throw Error(ErrorCode::kTooLarge, "a string element is over 4 GiB", "", name);
        }
        const auto len = static_cast<uint32_t>(s.size());
        const auto* lp = reinterpret_cast<const uint8_t*>(&len);
        out.bytes.insert(out.bytes.end(), lp, lp + 4);
        out.bytes.insert(out.bytes.end(), s.begin(), s.end());
      }
      out.specs.push_back(std::move(spec));
      continue;
    }
    auto q = t.dtype() == DType::kFloat32 ? quantizationFor(map, name) : std::nullopt;
    // An affine code (uint8 / uint16) has no room for ±inf or NaN (its min and scale would be
    // non-finite, which TF.js cannot read): such a weight (e.g. a score threshold of -inf) is
    // kept float32. float16 holds them.
    if (q && *q != DType::kFloat16) {
      const auto f = t.floats();
      if (!std::all_of(f.begin(), f.end(), [](float v) { return std::isfinite(v); })) q.reset();
    }
    if (!q) {
      out.bytes.insert(out.bytes.end(), t.bytes(), t.bytes() + t.byteLength());
    } else {
      std::vector<float> values(static_cast<size_t>(t.size()));
      if (!values.empty()) std::memcpy(values.data(), t.bytes(), values.size() * 4);
      const size_t at = out.bytes.size();
      out.bytes.resize(at + static_cast<size_t>(encodedByteLength(t.dtype(), t.shape(), q)));
      spec.quantization = quantizeInto(values, *q, out.bytes.data() + at);
    }
    out.specs.push_back(std::move(spec));
  }
  return out;
}

uint64_t encodedByteLength(DType dtype, const std::vector<int64_t>& shape,
                           std::optional<DType> storage) {
  if (dtype == DType::kString) {
    throw Error(ErrorCode::kInvalidArgument,
                "a string weight's byte length depends on its values, not its shape");
  }
  if (storage && dtype != DType::kFloat32) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("only float32 weights are quantized, not {}", dtypeName(dtype)));
  }
  return checkedMul(elementCount(shape), dtypeSize(storage.value_or(dtype)));
}

Quantization quantizeInto(std::span<const float> values, DType storage, uint8_t* dest) {
  Quantization qz;
  qz.dtype = storage;
  qz.originalDtype = "float32";
  if (storage == DType::kFloat16) {
    for (size_t i = 0; i < values.size(); ++i) {
      const uint16_t h = floatToHalf(values[i]);
      dest[2 * i] = static_cast<uint8_t>(h & 0xff);
      dest[2 * i + 1] = static_cast<uint8_t>(h >> 8);
    }
  } else if (storage == DType::kUint8 || storage == DType::kUint16) {
    std::vector<uint8_t> codes;
    const AffineParams p = quantizeAffine(values, storage, codes);
    qz.min = p.min;
    qz.scale = p.scale;
    if (!codes.empty()) std::memcpy(dest, codes.data(), codes.size());
  } else {
    throw Error(
        ErrorCode::kInvalidArgument,
        fmt::format("{} is not a quantization dtype (uint8, uint16, float16)", dtypeName(storage)));
  }
  return qz;
}

void setWeightGroups(ModelArtifacts& a, std::vector<EncodedGroup> groups) {
  uint64_t total = 0;
  for (const auto& g : groups) total = checkedAdd(total, g.bytes.size());
  a.weightData = Buffer::allocate(static_cast<size_t>(total));
  a.weightsManifest.clear();
  uint64_t off = 0;
  for (size_t i = 0; i < groups.size(); ++i) {
    WeightGroup wg;
    wg.weights = std::move(groups[i].specs);
    if (!groups[i].bytes.empty()) {
      wg.paths.push_back(fmt::format("group{}-shard1of1.bin", i + 1));
      wg.pathSizes.push_back(groups[i].bytes.size());
      std::memcpy(a.weightData.mutableData() + off, groups[i].bytes.data(), groups[i].bytes.size());
      off += groups[i].bytes.size();
    }
    a.weightsManifest.push_back(std::move(wg));
  }
  a.hasWeightsManifest = true;
  a.weightsLoaded = true;
}

ModelArtifacts quantizeModel(const ModelArtifacts& artifacts, const QuantizationMap& map) {
  const auto tensors = decodeWeights(artifacts);
  ModelArtifacts out = artifacts;
  std::vector<EncodedGroup> groups;
  size_t k = 0;
  for (const auto& g : artifacts.weightsManifest) {
    std::vector<NamedTensor> members(
        tensors.begin() + static_cast<ptrdiff_t>(k),
        tensors.begin() + static_cast<ptrdiff_t>(k + g.weights.size()));
    k += g.weights.size();
    EncodedGroup eg = encodeWeights(members, map);
    for (size_t i = 0; i < eg.specs.size(); ++i) eg.specs[i].group = g.weights[i].group;
    groups.push_back(std::move(eg));
  }
  setWeightGroups(out, std::move(groups));
  return out;
}

}  // namespace tfjs
