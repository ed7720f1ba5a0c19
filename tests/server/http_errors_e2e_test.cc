// Malformed and refused HTTP requests against the real binary: each gets its documented status
// and an OpenAI-shaped error body, and the server keeps serving.
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "server_process.h"

namespace hybridserve::server::testing {
namespace {

using nlohmann::json;

constexpr char kModel[] = "hybridserve-fake";

class HttpErrorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new ServerProcess({"--max-body-bytes=65536", "--max-model-len=64"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->http_port());
    client.set_read_timeout(30, 0);
    return client;
  }

  // POSTs body to path and checks the status and the error shape; returns the error object.
  json ExpectError(const std::string& path, const std::string& body, int status,
                   const std::string& param = "") {
    httplib::Client client = Client();
    httplib::Result res = client.Post(path.c_str(), body, "application/json");
    EXPECT_TRUE(res) << path;
    if (!res) return json();
    EXPECT_EQ(res->status, status) << body << " -> " << res->body;
    EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
    const json parsed = json::parse(res->body, nullptr, false);
    EXPECT_TRUE(parsed.is_object() && parsed.contains("error")) << res->body;
    if (!parsed.is_object() || !parsed.contains("error")) return json();
    const json& error = parsed["error"];
    EXPECT_TRUE(error["message"].is_string() && !error["message"].get<std::string>().empty());
    EXPECT_TRUE(error["type"].is_string());
    EXPECT_TRUE(error.contains("param") && error.contains("code"));
    if (!param.empty()) {
      EXPECT_EQ(error["param"], param) << res->body;
    }
    return error;
  }

  void ExpectStillServing() {
    httplib::Client client = Client();
    httplib::Result res = client.Post(
        "/v1/completions", json({{"model", kModel}, {"prompt", "ok"}, {"max_tokens", 3}}).dump(),
        "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(json::parse(res->body)["choices"][0]["text"], "The");
  }

  static ServerProcess* server_;
};

ServerProcess* HttpErrorsTest::server_ = nullptr;

TEST_F(HttpErrorsTest, BadJson) {
  for (const char* body : {"", "{", "{\"model\": }", "nul", "[1, 2]", "{\"a\":1}}"}) {
    ExpectError("/v1/completions", body, 400);
    ExpectError("/v1/chat/completions", body, 400);
  }
  ExpectStillServing();
}

TEST_F(HttpErrorsTest, WrongTypes) {
  ExpectError("/v1/completions", R"({"model": "hybridserve-fake", "prompt": 3})", 400, "prompt");
  ExpectError("/v1/completions", R"({"model": ["x"], "prompt": "a"})", 400, "model");
  ExpectError("/v1/completions",
              R"({"model": "hybridserve-fake", "prompt": "a", "max_tokens": "9"})", 400,
              "max_tokens");
  ExpectError("/v1/chat/completions", R"({"model": "hybridserve-fake", "messages": {}})", 400,
              "messages");
  ExpectError("/v1/chat/completions",
              R"({"model": "hybridserve-fake", "messages": [{"role": "user", "content": 1}]})", 400,
              "messages[0].content");
  ExpectStillServing();
}

TEST_F(HttpErrorsTest, OutOfRangeValues) {
  ExpectError("/v1/completions",
              R"({"model": "hybridserve-fake", "prompt": "a", "temperature": 3})", 400,
              "temperature");
  ExpectError("/v1/completions", R"({"model": "hybridserve-fake", "prompt": "a", "n": 0})", 400,
              "n");
  ExpectError("/v1/completions", R"({"model": "hybridserve-fake", "prompt": "a", "top_p": -1})",
              400, "top_p");
  ExpectError("/v1/chat/completions",
              R"({"model": "hybridserve-fake", "messages": [{"role": "user", "content": "a"}],
                  "top_logprobs": 50, "logprobs": true})",
              400, "top_logprobs");
  ExpectStillServing();
}

TEST_F(HttpErrorsTest, UnknownModelAndRoute) {
  const json error = ExpectError("/v1/completions", R"({"model": "gpt-4", "prompt": "a"})", 404);
  EXPECT_EQ(error["code"], "model_not_found");
  ExpectError("/v1/nothing", "{}", 404);
  httplib::Client client = Client();
  httplib::Result res = client.Get("/v1/models/gpt-4");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = client.Get("/nope");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "unknown_url");
  ExpectStillServing();
}

TEST_F(HttpErrorsTest, OversizedBody) {
  const std::string body = json({{"model", kModel}, {"prompt", std::string(100000, 'x')}}).dump();
  ExpectError("/v1/completions", body, 413);
  ExpectStillServing();
}

TEST_F(HttpErrorsTest, InvalidUtf8) {
  ExpectError("/v1/completions",
              std::string(R"({"model": "hybridserve-fake", "prompt": "a)") + "\xc3\x28" + "\"}",
              400);
  ExpectError("/v1/chat/completions",
              std::string(R"({"model": "hybridserve-fake", "messages": [{"role": "user", )"
                          R"("content": ")") +
                  "\xff" + "\"}]}",
              400);
  ExpectStillServing();
}

TEST_F(HttpErrorsTest, EmptyAndTooLongPrompts) {
  ExpectError("/v1/completions", R"({"model": "hybridserve-fake", "prompt": ""})", 400, "prompt");
  ExpectError("/v1/chat/completions", R"({"model": "hybridserve-fake", "messages": []})", 400,
              "messages");
  const json error = ExpectError(
      "/v1/completions", json({{"model", kModel}, {"prompt", std::string(100, 'x')}}).dump(), 400,
      "prompt");
  EXPECT_NE(error["message"].get<std::string>().find("maximum context length is 64"),
            std::string::npos);
  ExpectError("/v1/completions",
              R"({"model": "hybridserve-fake", "prompt": "abc", "max_tokens": 63})", 400,
              "max_tokens");
  ExpectStillServing();
}

TEST_F(HttpErrorsTest, StreamingErrorsAreJsonNotEvents) {
  ExpectError("/v1/completions",
              R"({"model": "hybridserve-fake", "prompt": "a", "stream": true, "n": 500})", 400,
              "n");
  ExpectStillServing();
}

TEST_F(HttpErrorsTest, TokenizeAndProbes) {
  httplib::Client client = Client();
  httplib::Result res = client.Post("/tokenize", R"({"prompt": "ab"})", "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  const json tokens = json::parse(res->body);
  EXPECT_EQ(tokens["count"], 3);
  EXPECT_EQ(tokens["max_model_len"], 64);
  res = client.Post("/detokenize", json({{"tokens", tokens["tokens"]}}).dump(), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["prompt"], "<s>ab");
  ExpectError("/detokenize", R"({"tokens": [1, "a"]})", 400, "tokens");
  ExpectError("/tokenize", R"({"prompt": "a", "model": "other"})", 404);
  res = client.Get("/health");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client.Get("/ready");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client.Get("/v1/models/hybridserve-fake");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["id"], kModel);
}

TEST(HttpApiKeyTest, BearerKeyIsRequiredOnApiRoutesOnly) {
  ServerProcess server({"--api-key=sekret"});
  httplib::Client client("127.0.0.1", server.http_port());
  const std::string body = json({{"model", kModel}, {"prompt", "a"}, {"max_tokens", 1}}).dump();
  httplib::Result res = client.Post("/v1/completions", body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(json::parse(res->body)["error"]["code"], "invalid_api_key");
  res =
      client.Post("/v1/completions", {{"Authorization", "Bearer nope"}}, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  res = client.Post("/v1/completions", {{"Authorization", "Bearer sekret"}}, body,
                    "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = client.Get("/v1/models");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  for (const char* open : {"/health", "/ready", "/metrics"}) {
    res = client.Get(open);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200) << open;
  }
}

std::string Metric(httplib::Client& client, const std::string& name) {
  httplib::Result res = client.Get("/metrics");
  if (!res) return "";
  const size_t at = res->body.find("\n" + name + "{");
  if (at == std::string::npos) return "";
  const size_t space = res->body.find(' ', res->body.find('}', at));
  return res->body.substr(space + 1, res->body.find('\n', space) - space - 1);
}

TEST(HttpQueueTest, FullQueueIs429) {
  ServerProcess server({"--max-num-seqs=1", "--max-queue-len=0", "--fake-token-delay-ms=20"});
  httplib::Client client("127.0.0.1", server.http_port());
  std::thread holder([&] {
    httplib::Client other("127.0.0.1", server.http_port());
    other.Post("/v1/completions",
               json({{"model", kModel}, {"prompt", "a"}, {"max_tokens", 40}}).dump(),
               "application/json");
  });
  for (int i = 0; i < 200 && Metric(client, "hybridserve_num_requests_running") != "1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  httplib::Result res = client.Post(
      "/v1/completions", json({{"model", kModel}, {"prompt", "b"}, {"max_tokens", 1}}).dump(),
      "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(json::parse(res->body)["error"]["type"], "rate_limit_error");
  holder.join();
}

TEST(HttpDisconnectTest, ClientThatGoesAwayReleasesItsSequence) {
  ServerProcess server({"--fake-token-delay-ms=20"});
  httplib::Client client("127.0.0.1", server.http_port());
  const std::string body =
      json({{"model", kModel}, {"prompt", "a"}, {"max_tokens", 1000}, {"stream", true}}).dump();
  int chunks = 0;
  httplib::Request req;
  req.method = "POST";
  req.path = "/v1/completions";
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
    return ++chunks < 3;  // hang up after a few events
  };
  client.send(req);
  EXPECT_GE(chunks, 3);
  std::string running;
  for (int i = 0; i < 300; ++i) {
    running = Metric(client, "hybridserve_num_requests_running");
    if (running == "0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(running, "0");
  EXPECT_EQ(Metric(client, "hybridserve_kv_cache_usage_perc"), "0");
  httplib::Result res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_NE(res->body.find("hybridserve_request_success_total{finished_reason=\"abort\","
                           "model_name=\"hybridserve-fake\"} 1"),
            std::string::npos);
}

TEST(HttpShutdownTest, SigtermExitsZero) {
  ServerProcess server({});
  EXPECT_EQ(server.Terminate(), 0);
}

}  // namespace
}  // namespace hybridserve::server::testing
