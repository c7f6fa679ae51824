// http(s) transport on libcurl: redirects, timeouts, headers, size caps, parallel transfers.
#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>

#include "io/fetch.h"

namespace tfjs::io {
namespace {

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::string url;
  HttpResponse response;
  uint64_t cap = 0;
  bool overCap = false;
  // Stall detection: the time the byte count last changed (libcurl's low-speed check averages
  // over several seconds, so a burst followed by silence would outlive stallTimeoutSeconds).
  double stallSeconds = 0;
  curl_off_t lastBytes = -1;
  std::chrono::steady_clock::time_point lastChange;
  bool stalled = false;
  char errbuf[CURL_ERROR_SIZE] = {0};
  struct curl_slist* headers = nullptr;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy{nullptr, curl_easy_cleanup};
  ~Transfer() {
    if (headers) curl_slist_free_all(headers);
  }
};

size_t onWrite(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (t->response.body.size() + bytes > t->cap) {
    t->overCap = true;
    return 0;  // aborts the transfer
  }
  t->response.body.insert(t->response.body.end(), data, data + bytes);
  return bytes;
}

int onXfer(void* user, curl_off_t, curl_off_t dlnow, curl_off_t, curl_off_t ulnow) {
  auto* t = static_cast<Transfer*>(user);
  const auto now = std::chrono::steady_clock::now();
  // Connecting is bounded by the connect timeout; the stall clock starts once the request is
  // about to go out (PRETRANSFER is set for new and reused connections alike; CONNECT is not).
  curl_off_t ready = 0;
  curl_easy_getinfo(t->easy.get(), CURLINFO_PRETRANSFER_TIME_T, &ready);
  if (ready == 0 || dlnow + ulnow != t->lastBytes) {
    t->lastBytes = dlnow + ulnow;
    t->lastChange = now;
    return 0;
  }
  if (std::chrono::duration<double>(now - t->lastChange).count() >= t->stallSeconds) {
    t->stalled = true;
    return 1;  // aborts the transfer
  }
  return 0;
}

std::unique_ptr<Transfer> makeTransfer(const std::string& url, const LoadOptions& o, uint64_t cap) {
  globalInit();
  auto t = std::make_unique<Transfer>();
  t->url = url;
  t->cap = cap;
  t->easy.reset(curl_easy_init());
  if (!t->easy) throw Error(ErrorCode::kHttp, "cannot initialize libcurl", url);
  CURL* e = t->easy.get();
  curl_easy_setopt(e, CURLOPT_URL, url.c_str());
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(o.maxRedirects));
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connectTimeoutSeconds * 1000));
  // A transfer moving less than 1 byte/s for stallTimeoutSeconds is abandoned.
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(o.stallTimeoutSeconds + 0.5)));
  t->stallSeconds = o.stallTimeoutSeconds;
  t->lastChange = std::chrono::steady_clock::now();
  curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, onXfer);
  curl_easy_setopt(e, CURLOPT_XFERINFODATA, t.get());
  curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_USERAGENT, "tfjs-cpp");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, onWrite);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
  if (cap < static_cast<uint64_t>(INT64_MAX)) {
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(cap));
  }
  for (const auto& [k, v] : o.headers) {
    t->headers = curl_slist_append(t->headers, (k + ": " + v).c_str());
  }
  if (t->headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  return t;
}

// Turns a finished transfer into a Problem, or nothing when it succeeded with a 2xx status.
std::optional<Problem> finish(Transfer& t, CURLcode rc) {
  CURL* e = t.easy.get();
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &t.response.status);
  char* eff = nullptr;
  curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
  if (eff) t.response.effectiveUrl = eff;
  if (t.overCap || rc == CURLE_FILESIZE_EXCEEDED) {
    return Problem{ErrorCode::kTooLarge,
                   fmt::format("the response is larger than the limit of {} bytes", t.cap), t.url,
                   "", std::nullopt};
  }
  if (t.stalled) {
    return Problem{ErrorCode::kTimeout,
                   fmt::format("the transfer stalled: no byte moved for {} s", t.stallSeconds),
                   t.url, "", std::nullopt};
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    return Problem{ErrorCode::kTimeout,
                   fmt::format("the transfer stalled or timed out ({})",
                               t.errbuf[0] ? t.errbuf : curl_easy_strerror(rc)),
                   t.url, "", std::nullopt};
  }
  if (rc == CURLE_TOO_MANY_REDIRECTS) {
    return Problem{ErrorCode::kHttp, fmt::format("too many redirects ({})", t.errbuf), t.url, "",
                   std::nullopt};
  }
  if (rc != CURLE_OK) {
    return Problem{
        ErrorCode::kHttp,
        fmt::format("request failed: {}", t.errbuf[0] ? t.errbuf : curl_easy_strerror(rc)), t.url,
        "", std::nullopt};
  }
  if (t.response.status < 200 || t.response.status > 299) {
    return Problem{ErrorCode::kHttp,
                   fmt::format("request failed with HTTP status {}", t.response.status), t.url, "",
                   std::nullopt};
  }
  return std::nullopt;
}

}  // namespace

HttpResponse httpGet(const std::string& url, const LoadOptions& options, uint64_t cap) {
  auto t = makeTransfer(url, options, cap);
  const CURLcode rc = curl_easy_perform(t->easy.get());
  if (auto p = finish(*t, rc)) throw Error(std::move(*p));
  return std::move(t->response);
}

std::vector<HttpResponse> httpGetAll(const std::vector<std::string>& urls,
                                     const LoadOptions& options, uint64_t capEach,
                                     const std::function<void(uint64_t)>& onBytes,
                                     std::vector<Problem>& problems) {
  std::vector<HttpResponse> out(urls.size());
  if (urls.empty()) return out;
  globalInit();
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              curl_multi_cleanup);
  if (!multi) throw Error(ErrorCode::kHttp, "cannot initialize libcurl");
  // At most 6 connections per host, as browsers do; all transfers are queued at once.
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_HOST_CONNECTIONS, 6L);
  std::vector<std::unique_ptr<Transfer>> transfers;
  for (const auto& url : urls) {
    transfers.push_back(makeTransfer(url, options, capEach));
    curl_easy_setopt(transfers.back()->easy.get(), CURLOPT_PRIVATE,
                     reinterpret_cast<void*>(transfers.size() - 1));
    curl_multi_add_handle(multi.get(), transfers.back()->easy.get());
  }
  int running = 0;
  uint64_t lastReported = 0;
  do {
    CURLMcode mc = curl_multi_perform(multi.get(), &running);
    if (mc != CURLM_OK) throw Error(ErrorCode::kHttp, curl_multi_strerror(mc));
    if (onBytes) {
      uint64_t total = 0;
      for (const auto& t : transfers) total += t->response.body.size();
      if (total != lastReported) onBytes(lastReported = total);
    }
    if (running) curl_multi_poll(multi.get(), nullptr, 0, 100, nullptr);
  } while (running);
  CURLMsg* msg;
  int left;
  while ((msg = curl_multi_info_read(multi.get(), &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    void* priv = nullptr;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    const auto i = reinterpret_cast<size_t>(priv);
    if (auto p = finish(*transfers[i], msg->data.result)) problems.push_back(std::move(*p));
  }
  for (size_t i = 0; i < transfers.size(); ++i) {
    curl_multi_remove_handle(multi.get(), transfers[i]->easy.get());
    out[i] = std::move(transfers[i]->response);
  }
  return out;
}

std::string urlOrigin(const std::string& url) {
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return {};
  auto part = [&](CURLUPart what, unsigned flags) -> std::string {
    char* s = nullptr;
    if (curl_url_get(u.get(), what, &s, flags) != CURLUE_OK || !s) return {};
    std::string r(s);
    curl_free(s);
    return r;
  };
  std::string scheme = part(CURLUPART_SCHEME, 0);
  std::string host = part(CURLUPART_HOST, 0);
  std::string port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  std::transform(host.begin(), host.end(), host.begin(), ::tolower);
  return scheme + "://" + host + ":" + port;
}

}  // namespace tfjs::io
