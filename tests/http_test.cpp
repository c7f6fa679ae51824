// Loading over http(s): a cpp-httplib server on 127.0.0.1 (ephemeral port, background thread)
// serves a model saved by the library itself, with handlers that inject faults (404s, short
// shards, redirects, stalls, oversized model.json) and record every request the loader makes.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"
#include "tfjs/artifacts.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/tensor.h"
#include "tfjs/weights.h"

namespace tfjs::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One request as the server saw it.
struct Seen {
  std::string path;    // decoded path, no query
  std::string target;  // raw request target, with the query
  httplib::Headers headers;
};

// An httplib::Server on a loopback address and an ephemeral port, run by a background thread.
// Register fault handlers on server() first, then serveDir(), then start(): httplib tries
// handlers in registration order. The destructor releases stalled handlers and stops the server.
class TestServer {
 public:
  explicit TestServer(std::string host = "127.0.0.1") : host_(std::move(host)) {
    svr_.set_tcp_nodelay(true);  // else Nagle + delayed ACKs cost ~40 ms per reused connection
    svr_.set_keep_alive_timeout(1);
    svr_.set_read_timeout(2, 0);
    svr_.set_write_timeout(2, 0);
    svr_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back({req.path, req.target, req.headers});
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  httplib::Server& server() { return svr_; }

  // Serves the files of `dir` at `prefix` + file name ("/m/" + "model.json").
  void serveDir(const std::string& prefix, const fs::path& dir) {
    svr_.Get(prefix + "([^/]+)", [dir](const httplib::Request& req, httplib::Response& res) {
      const fs::path file = dir / std::string(req.matches[1]);
      std::error_code ec;
      if (!fs::is_regular_file(file, ec)) {
        res.status = 404;
        return;
      }
      res.set_content(readText(file), "application/octet-stream");
    });
  }

  // Binds and starts serving; false when the address cannot be bound.
  bool start() {
    port_ = svr_.bind_to_any_port(host_);
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    // stop() is a no-op until the server runs: wait for it so that stop() always ends it.
    const auto deadline = Clock::now() + 5s;
    while (!svr_.is_running() && Clock::now() < deadline) std::this_thread::sleep_for(1ms);
    return svr_.is_running();
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    svr_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Blocks a handler until the test ends (or `limit` passes, as a last resort).
  void stall(std::chrono::milliseconds limit = 10s) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, limit, [this] { return stopping_; });
  }

  int port() const { return port_; }
  const std::string& host() const { return host_; }
  std::string url(const std::string& path) const {
    return fmt::format("http://{}:{}{}", host_, port_, path);
  }

  std::vector<Seen> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_;
  }
  size_t countPath(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<size_t>(
        std::count_if(seen_.begin(), seen_.end(), [&](const Seen& s) { return s.path == path; }));
  }
  size_t countShards() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<size_t>(std::count_if(seen_.begin(), seen_.end(), [](const Seen& s) {
      return s.path.size() > 4 && s.path.compare(s.path.size() - 4, 4, ".bin") == 0;
    }));
  }

 private:
  std::string host_;
  int port_ = -1;
  httplib::Server svr_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<Seen> seen_;
};

Tensor floatTensor(std::vector<int64_t> shape, float start) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  Buffer b = Buffer::allocate(static_cast<size_t>(n) * 4);
  for (int64_t i = 0; i < n; ++i) {
    const float v = start + 0.25f * static_cast<float>(i);
    std::memcpy(b.mutableData() + i * 4, &v, 4);
  }
  return Tensor(DType::kFloat32, std::move(shape), b, 0);
}

const std::vector<std::string> kStrings = {"alpha", "", "\xce\xb3-delta"};
constexpr uint64_t kShardBytes = 64;

enum class Groups { kFloatsThenStrings, kFloatsOnly, kStringsThenFloats };

// Saves a small layers model into `dir`: a float group holding dense/kernel [16,8] and
// dense/bias [8] (544 bytes, 9 shards of 64) and, unless kFloatsOnly, a group holding a string
// tensor and a float table (89 bytes, 2 shards). Returns the number of shard files.
size_t makeModel(const fs::path& dir, Groups layout = Groups::kFloatsThenStrings) {
  ModelArtifacts a;
  a.format = "layers-model";
  a.generatedBy = "http_test";
  a.convertedBy = "tfjs-cpp";
  a.modelTopology =
      Json::parse(R"({"class_name":"Sequential","config":{"name":"sequential","layers":[]},)"
                  R"("keras_version":"2.15.0","backend":"tensorflow"})");
  a.keyOrder = {"format", "generatedBy", "convertedBy", "modelTopology", "weightsManifest"};
  std::vector<EncodedGroup> groups;
  groups.push_back(encodeWeights(
      {{"dense/kernel", floatTensor({16, 8}, 1.0f)}, {"dense/bias", floatTensor({8}, -3.0f)}}));
  if (layout != Groups::kFloatsOnly) {
    groups.push_back(encodeWeights(
        {{"vocab", Tensor({3}, kStrings)}, {"embed/table", floatTensor({4, 4}, 0.5f)}}));
  }
  if (layout == Groups::kStringsThenFloats) std::swap(groups[0], groups[1]);
  setWeightGroups(a, std::move(groups));
  saveModel(a, dir.string(), {.shardSizeBytes = kShardBytes});
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".bin") ++files;
  }
  return files;
}

void expectSameArtifacts(const ModelArtifacts& got, const ModelArtifacts& want) {
  ASSERT_TRUE(got.weightsLoaded);
  EXPECT_EQ(toModelJson(got), toModelJson(want));
  ASSERT_EQ(got.weightsManifest.size(), want.weightsManifest.size());
  for (size_t g = 0; g < got.weightsManifest.size(); ++g) {
    EXPECT_EQ(got.weightsManifest[g].paths, want.weightsManifest[g].paths);
    EXPECT_EQ(got.weightsManifest[g].pathSizes, want.weightsManifest[g].pathSizes);
  }
  ASSERT_EQ(got.weightData.size(), want.weightData.size());
  EXPECT_EQ(0, std::memcmp(got.weightData.data(), want.weightData.data(), got.weightData.size()));
}

// Runs `f`, expecting a tfjs::Error, and returns it.
template <typename F>
Error expectError(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no tfjs::Error was thrown";
  return Error(ErrorCode::kInvalidArgument, "no error");
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

const Problem* problemWithFile(const Error& e, const std::string& file) {
  for (const auto& p : e.problems()) {
    if (p.file == file) return &p;
  }
  return nullptr;
}

class HttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_ / "m";
    shards_ = makeModel(dir_);
    ASSERT_GE(shards_, 5u);
    disk_ = loadModel(dir_.string());
  }

  std::string shardName(size_t group, size_t k) const {
    return disk_.weightsManifest[group].paths[k];
  }

  TempDir tmp_;
  fs::path dir_;
  size_t shards_ = 0;
  ModelArtifacts disk_;
};

// 1. The http load equals the disk load, byte for byte; every shard is fetched once; progress
// climbs to exactly 1.0.
TEST_F(HttpTest, LoadEqualsDiskLoad) {
  EXPECT_EQ(shards_, 11u);
  TestServer s;
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  std::vector<double> progress;
  o.onProgress = [&](double f) { progress.push_back(f); };
  const ModelArtifacts http = loadModel(s.url("/m/model.json"), o);
  expectSameArtifacts(http, disk_);
  EXPECT_EQ(s.countPath("/m/model.json"), 1u);
  EXPECT_EQ(s.countShards(), shards_);
  for (size_t g = 0; g < disk_.weightsManifest.size(); ++g) {
    for (const auto& p : disk_.weightsManifest[g].paths) EXPECT_EQ(s.countPath("/m/" + p), 1u) << p;
  }
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  for (double f : progress) {
    EXPECT_GE(f, 0.0);
    EXPECT_LE(f, 1.0);
  }
  // The decoded values survive the trip.
  const auto tensors = decodeWeights(http);
  ASSERT_EQ(tensors.size(), 4u);
  EXPECT_EQ(tensors[2].name, "vocab");
  EXPECT_EQ(tensors[2].tensor.strings(), kStrings);
  EXPECT_EQ(tensors[0].tensor.floats()[5], 1.0f + 0.25f * 5);
}

// 1b. With sizes known up front (no string group), progress reports intermediate fractions as
// shards arrive: one shard is held back briefly so that the others are seen first.
TEST(HttpProgressTest, IntermediateFractions) {
  TempDir tmp;
  const fs::path dir = tmp / "m";
  ASSERT_EQ(makeModel(dir, Groups::kFloatsOnly), 9u);
  TestServer s;
  s.server().Get("/m/group1-shard9of9.bin", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(150ms);
    res.set_content(readText(dir / "group1-shard9of9.bin"), "application/octet-stream");
  });
  s.serveDir("/m/", dir);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  std::vector<double> progress;
  o.onProgress = [&](double f) { progress.push_back(f); };
  const ModelArtifacts http = loadModel(s.url("/m/model.json"), o);
  expectSameArtifacts(http, loadModel(dir.string()));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_TRUE(
      std::any_of(progress.begin(), progress.end(), [](double f) { return f > 0 && f < 1; }))
      << "no intermediate progress among " << progress.size() << " call(s)";
}

// 1c. A string group's size is unknown until its bytes arrive: progress must not claim 1.0
// while a shard is still outstanding (here the string group comes first).
TEST(HttpProgressTest, NoEarlyCompletionWithStringGroup) {
  TempDir tmp;
  const fs::path dir = tmp / "m";
  ASSERT_EQ(makeModel(dir, Groups::kStringsThenFloats), 11u);
  std::atomic<bool> reportedDone{false};
  std::atomic<bool> doneBeforeLastShard{false};
  TestServer s;
  s.server().Get("/m/group2-shard9of9.bin", [&](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(150ms);
    if (reportedDone) doneBeforeLastShard = true;
    res.set_content(readText(dir / "group2-shard9of9.bin"), "application/octet-stream");
  });
  s.serveDir("/m/", dir);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  std::vector<double> progress;
  o.onProgress = [&](double f) {
    progress.push_back(f);
    if (f >= 1.0) reportedDone = true;
  };
  const ModelArtifacts http = loadModel(s.url("/m/model.json"), o);
  expectSameArtifacts(http, loadModel(dir.string()));
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), 1.0);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_FALSE(doneBeforeLastShard) << "onProgress(1.0) came before the last shard was sent";
}

// 2. The model URL's query string goes on every shard URL; custom headers go with every request.
TEST_F(HttpTest, QueryStringAndHeadersReachEveryRequest) {
  TestServer s;
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  o.headers["Authorization"] = "Bearer sekrit";
  o.headers["X-Tfjs-Test"] = "1";
  const ModelArtifacts http = loadModel(s.url("/m/model.json?token=abc&x=1"), o);
  expectSameArtifacts(http, disk_);
  const auto seen = s.requests();
  ASSERT_EQ(seen.size(), shards_ + 1);
  for (const auto& r : seen) {
    EXPECT_TRUE(r.target.ends_with("?token=abc&x=1")) << r.target;
    auto auth = r.headers.find("Authorization");
    ASSERT_NE(auth, r.headers.end()) << r.path;
    EXPECT_EQ(auth->second, "Bearer sekrit");
    auto custom = r.headers.find("X-Tfjs-Test");
    ASSERT_NE(custom, r.headers.end()) << r.path;
    EXPECT_EQ(custom->second, "1");
  }
  EXPECT_EQ(s.countShards(), shards_);
}

// 3. model.json redirected elsewhere: shard URLs still come from the URL given (as TF.js).
TEST_F(HttpTest, RedirectOfModelJson) {
  const std::string json = readText(dir_ / "model.json");
  TestServer s;
  s.server().Get("/m/model.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/moved/model.json", 302);
  });
  s.server().Get("/moved/model.json", [&json](const httplib::Request&, httplib::Response& res) {
    res.set_content(json, "application/json");
  });
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  const ModelArtifacts http = loadModel(s.url("/m/model.json"));
  expectSameArtifacts(http, disk_);
  EXPECT_EQ(s.countPath("/m/model.json"), 1u);
  EXPECT_EQ(s.countPath("/moved/model.json"), 1u);
  for (const auto& r : s.requests()) {
    if (r.path.ends_with(".bin")) {
      EXPECT_TRUE(r.path.starts_with("/m/")) << r.path;
    }
  }
  EXPECT_EQ(s.countShards(), shards_);
}

TEST_F(HttpTest, RedirectLoopIsAnHttpError) {
  TestServer s;
  s.server().Get("/a/model.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/b/model.json", 302);
  });
  s.server().Get("/b/model.json", [](const httplib::Request&, httplib::Response& res) {
    res.set_redirect("/a/model.json", 302);
  });
  ASSERT_TRUE(s.start());
  LoadOptions o;
  o.maxRedirects = 5;
  const std::string url = s.url("/a/model.json");
  const Error e = expectError([&] { loadModel(url, o); });
  EXPECT_EQ(e.code(), ErrorCode::kHttp) << e.what();
  EXPECT_EQ(e.problems().front().file, url);
  EXPECT_TRUE(contains(e.what(), "redirect")) << e.what();
  EXPECT_LE(s.requests().size(), 7u);
}

// 4. A 404 on one shard names that shard's URL and the status.
TEST_F(HttpTest, ShardNotFound) {
  const std::string missing = shardName(0, 3);
  TestServer s;
  s.server().Get("/m/" + missing, [](const httplib::Request&, httplib::Response& res) {
    res.status = 404;
    res.set_content("no such shard", "text/plain");
  });
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  const std::string shardUrl = s.url("/m/" + missing);
  const Error e = expectError([&] { loadModel(s.url("/m/model.json")); });
  EXPECT_EQ(e.code(), ErrorCode::kHttp) << e.what();
  ASSERT_EQ(e.problems().size(), 1u) << e.what();
  EXPECT_EQ(e.problems().front().file, shardUrl);
  EXPECT_TRUE(contains(e.problems().front().message, "404")) << e.what();
  EXPECT_TRUE(contains(e.what(), shardUrl)) << e.what();
  // validateModel reports the same without throwing.
  const auto problems = validateModel(s.url("/m/model.json"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems.front().code, ErrorCode::kHttp);
  EXPECT_EQ(problems.front().file, shardUrl);
}

// 5. A 404 on model.json names the URL.
TEST_F(HttpTest, ModelJsonNotFound) {
  TestServer s;
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  const std::string url = s.url("/nowhere/model.json");
  const Error e = expectError([&] { loadModel(url); });
  EXPECT_EQ(e.code(), ErrorCode::kHttp) << e.what();
  EXPECT_EQ(e.problems().front().file, url);
  EXPECT_TRUE(contains(e.problems().front().message, "404")) << e.what();
  EXPECT_TRUE(contains(e.what(), url)) << e.what();
  EXPECT_EQ(s.countShards(), 0u);
}

// 6. A shard served short (a consistent but short response): truncated, naming the weight whose
// bytes are missing and their range in the group.
TEST_F(HttpTest, TruncatedShard) {
  const std::string shard = shardName(0, 2);
  TestServer s;
  s.server().Get("/m/" + shard, [this, &shard](const httplib::Request&, httplib::Response& res) {
    res.set_content(readText(dir_ / shard).substr(0, 10), "application/octet-stream");
  });
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  const Error e = expectError([&] { loadModel(s.url("/m/model.json")); });
  EXPECT_EQ(e.code(), ErrorCode::kTruncated) << e.what();
  const Problem& p = e.problems().front();
  EXPECT_EQ(p.weight, "dense/kernel") << e.what();
  ASSERT_TRUE(p.bytes.has_value()) << e.what();
  EXPECT_EQ(p.bytes->begin, 0u);
  EXPECT_EQ(p.bytes->end, 16u * 8u * 4u);
  EXPECT_TRUE(contains(p.file, s.url("/m/group1-"))) << p.file;
}

// 6b. A short shard in the group that holds a string tensor: the decoder's walk finds it.
TEST_F(HttpTest, TruncatedStringGroupShard) {
  const std::string shard = shardName(1, 1);
  TestServer s;
  s.server().Get("/m/" + shard, [this, &shard](const httplib::Request&, httplib::Response& res) {
    res.set_content(readText(dir_ / shard).substr(0, 3), "application/octet-stream");
  });
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  const Error e = expectError([&] { loadModel(s.url("/m/model.json")); });
  EXPECT_EQ(e.code(), ErrorCode::kTruncated) << e.what();
  EXPECT_EQ(e.problems().front().weight, "embed/table") << e.what();
  EXPECT_TRUE(e.problems().front().bytes.has_value());
}

// 6c. A response that promises more bytes (Content-Length) than it delivers before the
// connection closes: a transport failure naming the shard.
TEST_F(HttpTest, ConnectionClosedMidShard) {
  const std::string shard = shardName(0, 4);
  const std::string body = readText(dir_ / shard);
  TestServer s;
  s.server().Get("/m/" + shard, [&body](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(body.size(), "application/octet-stream",
                             [&body](size_t offset, size_t, httplib::DataSink& sink) {
                               if (offset == 0) return sink.write(body.data(), 10);
                               return false;  // hang up
                             });
  });
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  const std::string shardUrl = s.url("/m/" + shard);
  const Error e = expectError([&] { loadModel(s.url("/m/model.json")); });
  const Problem* p = problemWithFile(e, shardUrl);
  ASSERT_NE(p, nullptr) << e.what();
  EXPECT_EQ(p->code, ErrorCode::kHttp) << e.what();  // a transport failure (curl: partial file)
  EXPECT_TRUE(contains(p->message, "remaining")) << e.what();
}

// 7. A server that stalls: timeout after stallTimeoutSeconds, and the test stays bounded.
TEST_F(HttpTest, StalledModelJsonTimesOut) {
  TestServer s;
  s.server().Get("/m/model.json", [&s](const httplib::Request&, httplib::Response& res) {
    s.stall();  // sends nothing until the test ends
    res.status = 500;
  });
  ASSERT_TRUE(s.start());
  LoadOptions o;
  o.stallTimeoutSeconds = 1;
  const std::string url = s.url("/m/model.json");
  const auto t0 = Clock::now();
  const Error e = expectError([&] { loadModel(url, o); });
  const auto took = Clock::now() - t0;
  EXPECT_EQ(e.code(), ErrorCode::kTimeout) << e.what();
  EXPECT_EQ(e.problems().front().file, url);
  EXPECT_LT(took, 4s);
  EXPECT_GE(took, 900ms);
}

// A shard that sends its headers and 10 bytes, then nothing: timeout naming that shard, within
// about stallTimeoutSeconds (a burst before the silence must not extend the wait).
void expectStalledShardTimesOut(const fs::path& dir, const std::string& shard) {
  const std::string body = readText(dir / shard);
  TestServer s;
  s.server().Get("/m/" + shard, [&s, &body](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(body.size(), "application/octet-stream",
                             [&s, &body](size_t offset, size_t, httplib::DataSink& sink) {
                               if (offset == 0) return sink.write(body.data(), 10);
                               s.stall();  // until the test ends
                               return false;
                             });
  });
  s.serveDir("/m/", dir);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  o.stallTimeoutSeconds = 1;
  const std::string shardUrl = s.url("/m/" + shard);
  const auto t0 = Clock::now();
  const Error e = expectError([&] { loadModel(s.url("/m/model.json"), o); });
  const auto took = Clock::now() - t0;
  EXPECT_EQ(e.code(), ErrorCode::kTimeout) << e.what();
  ASSERT_EQ(e.problems().size(), 1u) << e.what();
  EXPECT_EQ(e.problems().front().file, shardUrl);
  EXPECT_LT(took, 3s);
}

TEST_F(HttpTest, StalledShardTimesOut) {
  expectStalledShardTimesOut(dir_, shardName(0, 1));  // among the first requests: new connection
}

TEST_F(HttpTest, StalledShardOnReusedConnectionTimesOut) {
  expectStalledShardTimesOut(dir_, shardName(1, 1));  // the 11th request: a reused connection
}

// 8. A manifest path that climbs out of the model's folder is refused before any shard request.
TEST_F(HttpTest, PathEscapeIsRefusedWithoutRequest) {
  Json j = Json::parse(readText(dir_ / "model.json"));
  j["weightsManifest"][0]["paths"][0] = "../secret.bin";
  const std::string json = j.dump();
  TestServer s;
  s.server().Get("/m/model.json", [&json](const httplib::Request&, httplib::Response& res) {
    res.set_content(json, "application/json");
  });
  s.server().Get("/secret.bin", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("top secret", "application/octet-stream");
  });
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  const Error e = expectError([&] { loadModel(s.url("/m/model.json")); });
  EXPECT_EQ(e.code(), ErrorCode::kPathEscape) << e.what();
  EXPECT_TRUE(contains(e.what(), "../secret.bin")) << e.what();
  const auto seen = s.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.front().path, "/m/model.json");
  EXPECT_EQ(s.countPath("/secret.bin"), 0u);
}

// 9. weightPathPrefix on another origin: refused unless allowCrossOrigin.
TEST_F(HttpTest, CrossOriginWeightPathPrefix) {
  TestServer s;
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  // 127.0.0.2 is loopback on Linux; when it cannot be bound, "localhost" is another origin
  // string for the same server.
  TestServer other("127.0.0.2");
  other.serveDir("/w/", dir_);
  const bool haveOther = other.start();
  if (!haveOther) std::printf("note: cannot bind 127.0.0.2; using http://localhost instead\n");
  const std::string prefix =
      haveOther ? other.url("/w/") : fmt::format("http://localhost:{}/m/", s.port());
  LoadOptions o;
  o.weightPathPrefix = prefix;
  const Error e = expectError([&] { loadModel(s.url("/m/model.json"), o); });
  EXPECT_EQ(e.code(), ErrorCode::kCrossOrigin) << e.what();
  EXPECT_EQ(e.problems().size(), shards_);
  EXPECT_EQ(e.problems().front().file, prefix + shardName(0, 0));
  EXPECT_EQ(s.countShards(), 0u);
  if (haveOther) {
    EXPECT_EQ(other.requests().size(), 0u);
  }

  o.allowCrossOrigin = true;
  const ModelArtifacts http = loadModel(s.url("/m/model.json"), o);
  expectSameArtifacts(http, disk_);
  if (haveOther) {
    EXPECT_EQ(other.countShards(), shards_);
    EXPECT_EQ(s.countShards(), 0u);
  } else {
    EXPECT_EQ(s.countShards(), shards_);
  }
}

// A weightPathPrefix on the same origin needs no permission.
TEST_F(HttpTest, SameOriginWeightPathPrefix) {
  TestServer s;
  s.server().Get("/json/model.json", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(readText(dir_ / "model.json"), "application/json");
  });
  s.serveDir("/w/", dir_);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  o.weightPathPrefix = s.url("/w/");
  expectSameArtifacts(loadModel(s.url("/json/model.json"), o), disk_);
  EXPECT_EQ(s.countShards(), shards_);
}

// 10. Size caps: model.json (with and without Content-Length) and the weights.
TEST_F(HttpTest, ModelJsonOverCap) {
  const std::string json = readText(dir_ / "model.json");
  ASSERT_GT(json.size(), 200u);
  TestServer s;
  s.server().Get("/chunked/model.json", [&json](const httplib::Request&, httplib::Response& res) {
    res.set_chunked_content_provider(
        "application/json", [&json](size_t offset, httplib::DataSink& sink) {
          if (offset >= json.size()) {
            sink.done();
            return true;
          }
          return sink.write(json.data() + offset, std::min<size_t>(100, json.size() - offset));
        });
  });
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  o.maxModelJsonBytes = 150;
  for (const std::string path : {"/m/model.json", "/chunked/model.json"}) {
    const std::string url = s.url(path);
    const Error e = expectError([&] { loadModel(url, o); });
    EXPECT_EQ(e.code(), ErrorCode::kTooLarge) << path << ": " << e.what();
    EXPECT_EQ(e.problems().front().file, url);
  }
  EXPECT_EQ(s.countShards(), 0u);
  // The chunked model.json is fine under the default cap.
  LoadOptions fine;
  fine.weightPathPrefix = s.url("/m/");
  expectSameArtifacts(loadModel(s.url("/chunked/model.json"), fine), disk_);
}

TEST_F(HttpTest, WeightsOverCap) {
  TestServer s;
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  o.maxWeightBytes = 100;  // every shard fits, their sum does not
  const Error e = expectError([&] { loadModel(s.url("/m/model.json"), o); });
  EXPECT_EQ(e.code(), ErrorCode::kTooLarge) << e.what();
}

// skipWeights reads model.json only.
TEST_F(HttpTest, SkipWeightsFetchesOnlyModelJson) {
  TestServer s;
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());
  LoadOptions o;
  o.skipWeights = true;
  const ModelArtifacts a = loadModel(s.url("/m/model.json"), o);
  EXPECT_FALSE(a.weightsLoaded);
  EXPECT_EQ(a.weightCount(), 4u);
  EXPECT_EQ(s.requests().size(), 1u);
}

// 11. The CLI over http: inspect lists the weights; validate exits 1 on a missing shard.
TEST_F(HttpTest, CliInspectAndValidate) {
  const std::string missing = shardName(1, 0);
  TestServer s;
  s.server().Get("/bad/" + missing,
                 [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
  s.serveDir("/bad/", dir_);
  s.serveDir("/m/", dir_);
  ASSERT_TRUE(s.start());

  const auto inspect = runCli("inspect '" + s.url("/m/model.json") + "'");
  EXPECT_EQ(inspect.exitCode, 0) << inspect.out;
  for (const char* name : {"dense/kernel", "dense/bias", "vocab", "embed/table"}) {
    EXPECT_TRUE(contains(inspect.out, name)) << name << " missing from:\n" << inspect.out;
  }
  EXPECT_TRUE(contains(inspect.out, "Integrity: OK")) << inspect.out;

  const auto ok = runCli("validate '" + s.url("/m/model.json") + "'");
  EXPECT_EQ(ok.exitCode, 0) << ok.out;

  // validate: exit 1 whenever problems are found (unreachable shards included).
  const auto bad = runCli("validate '" + s.url("/bad/model.json") + "'");
  EXPECT_EQ(bad.exitCode, 1) << bad.out;
  EXPECT_TRUE(contains(bad.out, "404")) << bad.out;
  EXPECT_TRUE(contains(bad.out, s.url("/bad/" + missing))) << bad.out;

  // An unreachable model.json is a load failure: exit 3.
  const auto gone = runCli("inspect '" + s.url("/nowhere/model.json") + "'");
  EXPECT_EQ(gone.exitCode, 3) << gone.out;
}

// A real converter output (4 groups, 4 files without the .bin extension) over http.
TEST(HttpRealFixtureTest, MultiGroupModelEqualsDiskLoad) {
  TFJS_REQUIRE_FIXTURES("pair_har_lstm_multigroup_tfjs0x");
  const fs::path dir = fixtures / "pair_har_lstm_multigroup_tfjs0x";
  if (!fs::exists(dir / "model.json")) GTEST_SKIP() << "SKIPPED: " << dir << " not found";
  const ModelArtifacts disk = loadModel(dir.string());
  ASSERT_EQ(disk.weightsManifest.size(), 4u);
  TestServer s;
  s.serveDir("/har/", dir);
  ASSERT_TRUE(s.start());
  const ModelArtifacts http = loadModel(s.url("/har/model.json"));
  expectSameArtifacts(http, disk);
  EXPECT_EQ(s.requests().size(), 5u);
}

}  // namespace
}  // namespace tfjs::test
