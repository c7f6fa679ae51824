#include "tfjs/error.h"

#include <fmt/format.h>

namespace tfjs {

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid-argument";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kNotFound:
      return "not-found";
    case ErrorCode::kInvalidJson:
      return "invalid-json";
    case ErrorCode::kSchema:
      return "schema";
    case ErrorCode::kUnknownFormat:
      return "unknown-format";
    case ErrorCode::kWeightsOnly:
      return "weights-only";
    case ErrorCode::kUnknownDType:
      return "unknown-dtype";
    case ErrorCode::kBadShape:
      return "bad-shape";
    case ErrorCode::kShapeOverflow:
      return "shape-overflow";
    case ErrorCode::kBadQuantization:
      return "bad-quantization";
    case ErrorCode::kDuplicateWeight:
      return "duplicate-weight";
    case ErrorCode::kPathEscape:
      return "path-escape";
    case ErrorCode::kCrossOrigin:
      return "cross-origin";
    case ErrorCode::kTooLarge:
      return "too-large";
    case ErrorCode::kTruncated:
      return "truncated";
    case ErrorCode::kExtraBytes:
      return "extra-bytes";
    case ErrorCode::kBadString:
      return "bad-string";
    case ErrorCode::kHttp:
      return "http";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kExists:
      return "exists";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kTfjsIncompatible:
      return "tfjs-incompatible";
  }
  return "unknown";
}

std::string Problem::toString() const {
  std::string out = fmt::format("[{}] ", errorCodeName(code));
  if (!file.empty()) out += file + ": ";
  if (!weight.empty()) out += fmt::format("weight '{}': ", weight);
  if (bytes) out += fmt::format("bytes {}..{}: ", bytes->begin, bytes->end);
  out += message;
  return out;
}

namespace {
std::string joinProblems(const std::vector<Problem>& problems) {
  if (problems.empty()) return "unknown error";
  std::string out = problems.front().toString();
  if (problems.size() > 1) out += fmt::format(" (and {} more problem(s))", problems.size() - 1);
  return out;
}
}  // namespace

Error::Error(Problem problem) : Error(std::vector<Problem>{std::move(problem)}) {}

Error::Error(std::vector<Problem> problems)
    : std::runtime_error(joinProblems(problems)), problems_(std::move(problems)) {
  if (problems_.empty())
    problems_.push_back({ErrorCode::kInvalidArgument, "unknown error", {}, {}, std::nullopt});
}

Error::Error(ErrorCode code, std::string message, std::string file, std::string weight)
    : Error(Problem{code, std::move(message), std::move(file), std::move(weight), std::nullopt}) {}

}  // namespace tfjs
