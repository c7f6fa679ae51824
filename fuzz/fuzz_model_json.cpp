// libFuzzer target for the model.json parser and the weight layout checks.
//
// The input is model.json text, a 0x00 byte, then the bytes of the weights (no 0x00: no weights).
// The text goes through parseModelJson; when it parses cleanly and its manifest has exactly one
// group with one path, the bytes become that file's contents and go through validateArtifacts,
// locateWeights and, when those find nothing wrong, decodeWeights. Problems are the expected
// outcome of most inputs; what must never happen is a crash, a sanitizer report, an exception
// other than tfjs::Error, or a model that parses but does not survive its own serialization.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"

namespace {

[[noreturn]] void fail(const char* what, const std::vector<tfjs::Problem>& problems) {
  std::fprintf(stderr, "fuzz_model_json: %s\n", what);
  for (const auto& p : problems) std::fprintf(stderr, "  %s\n", p.toString().c_str());
  std::abort();
}

// Reads every byte of a decoded tensor, so that a view past the weight buffer is caught.
uint64_t touch(const tfjs::Tensor& t) {
  uint64_t sum = 0;
  if (t.dtype() == tfjs::DType::kString) {
    for (const auto& s : t.strings()) {
      for (const char c : s) sum += static_cast<unsigned char>(c);
    }
    return sum;
  }
  const uint8_t* p = t.bytes();
  for (size_t i = 0; i < t.byteLength(); ++i) sum += p[i];
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto* nul = static_cast<const uint8_t*>(size ? std::memchr(data, 0, size) : nullptr);
  const size_t textSize = nul ? static_cast<size_t>(nul - data) : size;
  const std::string_view text(reinterpret_cast<const char*>(data), textSize);
  const uint8_t* bytes = nul ? nul + 1 : data + size;
  const size_t byteCount = static_cast<size_t>(data + size - bytes);

  std::vector<tfjs::Problem> problems;
  tfjs::ModelArtifacts a = tfjs::parseModelJson(text, "fuzz", problems);
  if (!problems.empty()) return 0;

  // What parses cleanly must serialize to JSON that parses cleanly again.
  const std::string again = tfjs::toModelJson(a);
  tfjs::parseModelJson(again, "fuzz (round trip)", problems);
  if (!problems.empty()) fail("a parsed model.json does not survive toModelJson", problems);

  try {
    (void)tfjs::expectedGroupSizes(a);
  } catch (const tfjs::Error&) {
    // sizes that overflow 64 bits when added: reported, fine
  }

  if (a.weightsManifest.size() != 1 || a.weightsManifest[0].paths.size() != 1) return 0;
  a.weightData = tfjs::Buffer::allocate(byteCount);
  if (byteCount) std::memcpy(a.weightData.mutableData(), bytes, byteCount);
  a.weightsManifest[0].pathSizes = {byteCount};
  a.weightsLoaded = true;

  problems = tfjs::validateArtifacts(a);
  std::vector<tfjs::Problem> layout;
  const auto locations = tfjs::locateWeights(a, layout);
  if (problems.empty() != layout.empty()) {
    fail("validateArtifacts and locateWeights disagree", problems.empty() ? layout : problems);
  }
  if (!layout.empty()) return 0;
  if (locations.size() != a.weightCount()) fail("a weight without a location", layout);

  uint64_t sum = 0;
  try {
    for (const auto& nt : tfjs::decodeWeights(a)) sum += touch(nt.tensor);
  } catch (const tfjs::Error& e) {
    fail("decodeWeights refused weights that locateWeights accepted", e.problems());
  }
  volatile uint64_t sink = sum;
  (void)sink;
  return 0;
}
