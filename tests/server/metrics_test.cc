#include "server/metrics.h"

#include <string>

#include "gtest/gtest.h"

namespace hybridserve::server {
namespace {

bool HasLine(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(MetricsTest, CountersGaugesAndHistogramsUseVllmNames) {
  ServerMetrics metrics({.name = "m", .version = "v1", .family = "mamba2", .max_model_len = 100});
  metrics.ObserveTimeToFirstToken(0.5);
  metrics.ObserveInterTokenLatency(0.02);
  metrics.AddGeneratedTokens(7);
  metrics.ObserveFinished({.reason = FinishReason::kStop,
                           .num_prompt_tokens = 11,
                           .num_generated_tokens = 7,
                           .e2e_seconds = 1.25,
                           .timings = {},
                           .max_tokens = 16});
  metrics.ObserveFinished({.reason = FinishReason::kCancelled,
                           .num_prompt_tokens = 4,
                           .num_generated_tokens = 0,
                           .e2e_seconds = 0.1,
                           .timings = {},
                           .max_tokens = 16});
  const std::string text = metrics.Render({.num_running = 3,
                                           .num_waiting = 2,
                                           .kv_cache_usage = 0.25,
                                           .ssm_state_usage = 0.5,
                                           .num_preemptions = 4});
  EXPECT_TRUE(HasLine(text, "hybridserve_prompt_tokens_total{model_name=\"m\"} 15")) << text;
  EXPECT_TRUE(HasLine(text, "hybridserve_generation_tokens_total{model_name=\"m\"} 7"));
  EXPECT_TRUE(HasLine(text, "hybridserve_num_requests_running{model_name=\"m\"} 3"));
  EXPECT_TRUE(HasLine(text, "hybridserve_num_requests_waiting{model_name=\"m\"} 2"));
  EXPECT_TRUE(HasLine(text, "hybridserve_kv_cache_usage_perc{model_name=\"m\"} 0.25"));
  EXPECT_TRUE(HasLine(text, "hybridserve_ssm_state_usage_perc{model_name=\"m\"} 0.5"));
  EXPECT_TRUE(HasLine(text, "hybridserve_num_preemptions_total{model_name=\"m\"} 4"));
  EXPECT_TRUE(HasLine(
      text, "hybridserve_request_success_total{finished_reason=\"stop\",model_name=\"m\"} 1"));
  EXPECT_TRUE(HasLine(
      text, "hybridserve_request_success_total{finished_reason=\"abort\",model_name=\"m\"} 1"));
  EXPECT_TRUE(
      HasLine(text, "hybridserve_model_info{family=\"mamba2\",model_name=\"m\",version=\"v1\"} 1"));
  EXPECT_TRUE(HasLine(text, "hybridserve_time_to_first_token_seconds_count{model_name=\"m\"} 1"));
  EXPECT_TRUE(HasLine(text, "hybridserve_time_to_first_token_seconds_sum{model_name=\"m\"} 0.5"));
  EXPECT_TRUE(HasLine(text, "hybridserve_e2e_request_latency_seconds_count{model_name=\"m\"} 2"));
  EXPECT_TRUE(HasLine(text, "hybridserve_inter_token_latency_seconds_count{model_name=\"m\"} 1"));
  for (const char* name : {"request_queue_time_seconds", "request_prefill_time_seconds",
                           "request_decode_time_seconds", "time_per_output_token_seconds"}) {
    EXPECT_NE(text.find(std::string("# TYPE hybridserve_") + name + " histogram"),
              std::string::npos)
        << name;
  }
}

TEST(MetricsTest, PreemptionsFollowTheCumulativeStat) {
  ServerMetrics metrics({.name = "m", .version = "", .family = "", .max_model_len = 10});
  metrics.Render({.num_preemptions = 2});
  const std::string text = metrics.Render({.num_preemptions = 5});
  EXPECT_TRUE(HasLine(text, "hybridserve_num_preemptions_total{model_name=\"m\"} 5")) << text;
}

}  // namespace
}  // namespace hybridserve::server
