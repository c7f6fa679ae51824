// Internal interfaces of the loaders: where model.json and its weight files come from.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tfjs/io.h"

namespace tfjs::io {

// One weight file as resolved from a manifest path.
struct WeightFile {
  std::string display;   // what messages call it: the path or URL
  std::string location;  // filesystem path or URL to read
  size_t group = 0;
  size_t index = 0;  // index within the group's paths
};

// Lexical containment: `path` (a manifest entry) stays inside its model folder. Returns an empty
// string when it does, else the reason.
std::string escapeReason(const std::string& path);

// --- local files -------------------------------------------------------------------------------
// Resolves a folder, a model.json path or a file:// URL to the model.json path.
std::string localModelJsonPath(const std::string& location);

// --- http(s) -----------------------------------------------------------------------------------
struct HttpResponse {
  long status = 0;
  std::vector<uint8_t> body;
  std::string effectiveUrl;
};

// GET `url` into memory. Throws Error(kHttp / kTimeout / kTooLarge) on transport failures and
// on a body over `cap`; a non-2xx status is an Error(kHttp) naming the URL.
HttpResponse httpGet(const std::string& url, const LoadOptions& options, uint64_t cap);

// GETs all `urls` in parallel. `onBytes(total so far)` is called as bytes arrive. Every failure
// is collected (one Problem per URL) instead of stopping at the first.
std::vector<HttpResponse> httpGetAll(const std::vector<std::string>& urls,
                                     const LoadOptions& options, uint64_t capEach,
                                     const std::function<void(uint64_t)>& onBytes,
                                     std::vector<Problem>& problems);

// "https://host:port" of a URL (lower-cased scheme and host, default port made explicit).
std::string urlOrigin(const std::string& url);

}  // namespace tfjs::io
