// The manifest's byte layout: expected sizes per group and the location of every weight, with
// every way the bytes can disagree with the manifest reported as its own Problem.
#include <fmt/format.h>

#include <cstring>

#include "format/checked.h"
#include "tfjs/artifacts.h"

namespace tfjs {
namespace {

std::string groupFileName(const WeightGroup& g, size_t group) {
  if (g.paths.size() == 1) return g.paths.front();
  return fmt::format("group {}", group + 1);
}

}  // namespace

std::optional<uint64_t> WeightSpec::storedByteLength() const {
  if (variableLength()) return std::nullopt;
  return checkedMul(elementCount(shape), dtypeSize(storageDType()));
}

std::vector<std::optional<WeightLocation>> layoutFromManifest(const ModelArtifacts& a) {
  std::vector<std::optional<WeightLocation>> out;
  for (size_t g = 0; g < a.weightsManifest.size(); ++g) {
    uint64_t off = 0;
    bool known = true;  // false after a string weight or an overflowing size
    for (size_t i = 0; i < a.weightsManifest[g].weights.size(); ++i) {
      const WeightSpec& w = a.weightsManifest[g].weights[i];
      if (known && !w.variableLength()) {
        try {
          WeightLocation loc;
          loc.group = g;
          loc.index = i;
          loc.byteOffset = off;
          loc.byteLength = *w.storedByteLength();
          off = checkedAdd(off, loc.byteLength);
          out.emplace_back(loc);
          continue;
        } catch (const Error&) {
        }
      }
      known = false;
      out.emplace_back(std::nullopt);
    }
  }
  return out;
}

std::vector<std::optional<uint64_t>> expectedGroupSizes(const ModelArtifacts& a) {
  std::vector<std::optional<uint64_t>> out;
  for (const auto& g : a.weightsManifest) {
    std::optional<uint64_t> total = 0;
    for (const auto& w : g.weights) {
      if (w.variableLength()) {
        total.reset();
        break;
      }
      *total = checkedAdd(*total, *w.storedByteLength());
    }
    out.push_back(total);
  }
  return out;
}

std::vector<WeightLocation> locateWeights(const ModelArtifacts& a, std::vector<Problem>& problems) {
  std::vector<WeightLocation> out;
  // The walk reads string length prefixes: the groups must cover the buffer exactly (this is the
  // one place that checks it; decodeWeights and validateArtifacts rely on it).
  uint64_t allGroups = 0;
  for (size_t gi = 0; gi < a.weightsManifest.size(); ++gi) {
    const WeightGroup& g = a.weightsManifest[gi];
    if (g.pathSizes.size() != g.paths.size()) {
      problems.push_back({ErrorCode::kInvalidArgument,
                          fmt::format("group {} has {} paths but {} path sizes", gi + 1,
                                      g.paths.size(), g.pathSizes.size()),
                          "", "", std::nullopt});
      return out;
    }
    for (uint64_t s : g.pathSizes) {
      if (__builtin_add_overflow(allGroups, s, &allGroups)) allGroups = UINT64_MAX;
    }
  }
  if (allGroups != a.weightData.size()) {
    problems.push_back({ErrorCode::kInvalidArgument,
                        fmt::format("the groups' path sizes add up to {} bytes but the weight "
                                    "buffer holds {}",
                                    allGroups, a.weightData.size()),
                        "", "", std::nullopt});
    return out;
  }
  uint64_t groupStart = 0;
  for (size_t gi = 0; gi < a.weightsManifest.size(); ++gi) {
    const WeightGroup& g = a.weightsManifest[gi];
    uint64_t groupSize = 0;
    for (uint64_t s : g.pathSizes) groupSize += s;
    // Shard boundaries within the group, for "lies in shard(s)".
    std::vector<uint64_t> ends;
    uint64_t acc = 0;
    for (uint64_t s : g.pathSizes) ends.push_back(acc += s);
    auto shardOf = [&](uint64_t offset) -> size_t {
      for (size_t k = 0; k < ends.size(); ++k) {
        if (offset < ends[k]) return k;
      }
      return ends.empty() ? 0 : ends.size() - 1;
    };
    const uint8_t* base = a.weightData.data() + groupStart;
    uint64_t off = 0;
    bool broken = false;
    for (size_t wi = 0; wi < g.weights.size() && !broken; ++wi) {
      const WeightSpec& w = g.weights[wi];
      WeightLocation loc;
      loc.group = gi;
      loc.index = wi;
      loc.byteOffset = off;
      if (w.variableLength()) {
        const uint64_t n = elementCount(w.shape);
        uint64_t len = 0;
        for (uint64_t e = 0; e < n; ++e) {
          if (off + len + 4 > groupSize) {
            problems.push_back(
                {ErrorCode::kTruncated,
                 fmt::format("string element {} of {} has no room for its 4-byte length prefix "
                             "(group {} holds {} bytes)",
                             e, n, gi + 1, groupSize),
                 groupFileName(g, gi), w.name, ByteRange{off + len, off + len + 4}});
            broken = true;
            break;
          }
          uint32_t sl;
          std::memcpy(&sl, base + off + len, 4);
          if (off + len + 4 + sl > groupSize) {
            problems.push_back(
                {ErrorCode::kBadString,
                 fmt::format("string element {} of {} claims {} bytes, past the end of group {} "
                             "({} bytes)",
                             e, n, sl, gi + 1, groupSize),
                 groupFileName(g, gi), w.name, ByteRange{off + len, off + len + 4 + sl}});
            broken = true;
            break;
          }
          len += 4 + static_cast<uint64_t>(sl);
        }
        if (broken) break;
        loc.byteLength = len;
      } else {
        loc.byteLength = *w.storedByteLength();
        if (loc.byteLength > groupSize - off) {  // off <= groupSize; the sum could wrap
          const uint64_t end =
              loc.byteLength > UINT64_MAX - off ? UINT64_MAX : off + loc.byteLength;
          problems.push_back(
              {ErrorCode::kTruncated,
               fmt::format("the manifest needs {} bytes for this {} weight of shape {}, but group "
                           "{} ends after {} of them",
                           loc.byteLength, dtypeName(w.storageDType()), shapeString(w.shape),
                           gi + 1, groupSize - off),
               groupFileName(g, gi), w.name, ByteRange{off, end}});
          broken = true;
          break;
        }
      }
      loc.dataOffset = groupStart + off;
      loc.firstPath = shardOf(off);
      loc.lastPath = loc.byteLength ? shardOf(off + loc.byteLength - 1) : loc.firstPath;
      off += loc.byteLength;
      out.push_back(loc);
    }
    if (!broken && off < groupSize) {
      problems.push_back({ErrorCode::kExtraBytes,
                          fmt::format("group {} holds {} bytes but its manifest describes only {}; "
                                      "{} byte(s) at the end belong to no weight",
                                      gi + 1, groupSize, off, groupSize - off),
                          groupFileName(g, gi), "", ByteRange{off, groupSize}});
    }
    groupStart += groupSize;
  }
  return out;
}

}  // namespace tfjs
