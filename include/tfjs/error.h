// tfjs/error.h — the one error type of the library.
//
// Every failure the library reports is a tfjs::Error: a std::runtime_error carrying one or more
// Problems. A Problem names what went wrong (an ErrorCode with a stable kebab-case name), the file
// or URL it concerns, the weight it concerns and the byte range, when those are known, so that a
// user can act on it. Loading stops at the first stage that finds problems and reports all the
// problems of that stage at once; `validateModel` returns them instead of throwing.
//
// Error and Problem are plain values: copyable, immutable after construction, thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tfjs {

enum class ErrorCode {
  kInvalidArgument,   // "invalid-argument": a caller's argument is unusable
  kIo,                // "io": a read or write failed
  kNotFound,          // "not-found": model.json or a weight file does not exist
  kInvalidJson,       // "invalid-json": model.json is not JSON
  kSchema,            // "schema": JSON of the wrong shape (wrong types, missing keys)
  kUnknownFormat,     // "unknown-format": `format` is neither layers-model nor graph-model
  kWeightsOnly,       // "weights-only": a weights manifest with no model topology
  kUnknownDType,      // "unknown-dtype": a dtype or quantization dtype TF.js does not decode
  kBadShape,          // "bad-shape": a dimension that is negative or not an integer
  kShapeOverflow,     // "shape-overflow": element count or byte size overflows 64 bits
  kBadQuantization,   // "bad-quantization": min/scale missing, not finite, or not applicable
  kDuplicateWeight,   // "duplicate-weight": two manifest entries with one name
  kPathEscape,        // "path-escape": a weight path that leaves the model's folder
  kCrossOrigin,       // "cross-origin": a weight URL on another origin than model.json
  kTooLarge,          // "too-large": a file beyond the configured size cap
  kTruncated,         // "truncated": fewer bytes than the manifest describes
  kExtraBytes,        // "extra-bytes": more bytes than the manifest describes
  kBadString,         // "bad-string": a string length prefix that runs past the data
  kHttp,              // "http": a non-2xx status or a transport failure
  kTimeout,           // "timeout": a transfer that stalled
  kExists,            // "exists": a save target that already holds a model
  kUnsupported,       // "unsupported": valid input this build cannot handle
  kTfjsIncompatible,  // "tfjs-incompatible": a model the real TF.js 4.22 refuses to load
};

// The stable, user-visible name of a code ("truncated", "path-escape", ...).
std::string_view errorCodeName(ErrorCode code);

struct ByteRange {
  uint64_t begin = 0;  // first byte
  uint64_t end = 0;    // one past the last byte
};

struct Problem {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;             // what is wrong and what was expected, one sentence
  std::string file;                // path or URL concerned, if any
  std::string weight;              // weight name concerned, if any
  std::optional<ByteRange> bytes;  // byte range concerned (in `file` if set, else in the group)

  // "[truncated] group1-shard1of1.bin: weight dense/kernel bytes 0..16: ..." — one line.
  std::string toString() const;
};

class Error : public std::runtime_error {
 public:
  explicit Error(Problem problem);
  explicit Error(std::vector<Problem> problems);  // requires !problems.empty()
  Error(ErrorCode code, std::string message, std::string file = {}, std::string weight = {});

  ErrorCode code() const { return problems_.front().code; }
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::vector<Problem> problems_;
};

}  // namespace tfjs
