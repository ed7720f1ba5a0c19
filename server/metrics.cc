#include "server/metrics.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace hybridserve::server {
namespace {

// vLLM's bucket boundaries.
const std::vector<double>& TtftBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
      1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
  return *buckets;
}
const std::vector<double>& TokenLatencyBuckets() {
  static const auto* buckets =
      new std::vector<double>{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
                              0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
  return *buckets;
}
const std::vector<double>& RequestLatencyBuckets() {
  static const auto* buckets = new std::vector<double>{
      0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
      30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
  return *buckets;
}
std::vector<double> TokenCountBuckets(int64_t max_model_len) {
  // 1, 2, 5, 10, 20, 50, ... up to the context length (vLLM's build_1_2_5_buckets).
  std::vector<double> buckets;
  for (double scale = 1.0; buckets.empty() || buckets.back() < max_model_len; scale *= 10.0) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m * scale > std::max<int64_t>(max_model_len, 1)) return buckets;
      buckets.push_back(m * scale);
    }
  }
  return buckets;
}

std::string Name(const char* suffix) { return absl::StrCat(kMetricPrefix, suffix); }

}  // namespace

ServerMetrics::ServerMetrics(const ModelDescription& model)
    : registry_(std::make_shared<prometheus::Registry>()), model_name_(model.name) {
  const prometheus::Labels labels = {{"model_name", model_name_}};
  auto histogram = [&](const char* name, const char* help, const std::vector<double>& buckets) {
    return &prometheus::BuildHistogram()
                .Name(Name(name))
                .Help(help)
                .Register(*registry_)
                .Add(labels, buckets);
  };
  auto counter = [&](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(Name(name)).Help(help).Register(*registry_).Add(labels);
  };
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(Name(name)).Help(help).Register(*registry_).Add(labels);
  };
  time_to_first_token_ = histogram("time_to_first_token_seconds",
                                   "Histogram of time to first token in seconds.", TtftBuckets());
  inter_token_latency_ =
      histogram("inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
                TokenLatencyBuckets());
  time_per_output_token_ =
      histogram("time_per_output_token_seconds",
                "Histogram of time per output token in seconds (same observations as "
                "inter_token_latency_seconds).",
                TokenLatencyBuckets());
  e2e_latency_ =
      histogram("e2e_request_latency_seconds",
                "Histogram of end to end request latency in seconds.", RequestLatencyBuckets());
  queue_time_ = histogram("request_queue_time_seconds",
                          "Histogram of time spent in the waiting queue in seconds.",
                          RequestLatencyBuckets());
  prefill_time_ =
      histogram("request_prefill_time_seconds", "Histogram of time spent in prefill in seconds.",
                RequestLatencyBuckets());
  decode_time_ =
      histogram("request_decode_time_seconds", "Histogram of time spent in decode in seconds.",
                RequestLatencyBuckets());
  inference_time_ = histogram("request_inference_time_seconds",
                              "Histogram of time spent running (prefill and decode) in seconds.",
                              RequestLatencyBuckets());
  const std::vector<double> count_buckets = TokenCountBuckets(model.max_model_len);
  request_prompt_tokens_ =
      histogram("request_prompt_tokens", "Number of prefill tokens processed.", count_buckets);
  request_generation_tokens_ = histogram("request_generation_tokens",
                                         "Number of generation tokens processed.", count_buckets);
  request_max_tokens_ = histogram("request_params_max_tokens",
                                  "Histogram of the max_tokens request parameter.", count_buckets);
  prompt_tokens_ = counter("prompt_tokens_total", "Number of prefill tokens processed.");
  generation_tokens_ = counter("generation_tokens_total", "Number of generation tokens processed.");
  preemptions_ = counter("num_preemptions_total", "Cumulative number of preemptions.");
  running_ = gauge("num_requests_running", "Number of requests running in the engine.");
  waiting_ = gauge("num_requests_waiting", "Number of requests waiting to be processed.");
  kv_usage_ = gauge("kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.");
  ssm_usage_ = gauge("ssm_state_usage_perc", "SSM state slot usage. 1 means 100 percent usage.");
  success_family_ = &prometheus::BuildCounter()
                         .Name(Name("request_success_total"))
                         .Help("Count of finished requests by finished reason.")
                         .Register(*registry_);
  for (FinishReason reason : {FinishReason::kStop, FinishReason::kLength, FinishReason::kCancelled,
                              FinishReason::kError}) {
    success_family_->Add(
        {{"model_name", model_name_}, {"finished_reason", FinishReasonName(reason)}});
  }
  rejected_family_ = &prometheus::BuildCounter()
                          .Name(Name("request_rejected_total"))
                          .Help(
                              "Count of requests refused before reaching the engine, by HTTP "
                              "status.")
                          .Register(*registry_);
  prometheus::BuildGauge()
      .Name(Name("model_info"))
      .Help("The served model (value 1).")
      .Register(*registry_)
      .Add({{"model_name", model_name_}, {"version", model.version}, {"family", model.family}})
      .Set(1.0);
}

ServerMetrics::~ServerMetrics() = default;

void ServerMetrics::ObserveTimeToFirstToken(double seconds) {
  time_to_first_token_->Observe(seconds);
}

void ServerMetrics::ObserveInterTokenLatency(double seconds) {
  inter_token_latency_->Observe(seconds);
  time_per_output_token_->Observe(seconds);
}

void ServerMetrics::AddGeneratedTokens(int64_t num_tokens) {
  generation_tokens_->Increment(static_cast<double>(num_tokens));
}

void ServerMetrics::ObserveFinished(const FinishedSequence& sequence) {
  prompt_tokens_->Increment(static_cast<double>(sequence.num_prompt_tokens));
  success_family_
      ->Add({{"model_name", model_name_}, {"finished_reason", FinishReasonName(sequence.reason)}})
      .Increment();
  e2e_latency_->Observe(sequence.e2e_seconds);
  queue_time_->Observe(absl::ToDoubleSeconds(sequence.timings.queue));
  prefill_time_->Observe(absl::ToDoubleSeconds(sequence.timings.prefill));
  decode_time_->Observe(absl::ToDoubleSeconds(sequence.timings.decode));
  inference_time_->Observe(
      absl::ToDoubleSeconds(sequence.timings.prefill + sequence.timings.decode));
  request_prompt_tokens_->Observe(static_cast<double>(sequence.num_prompt_tokens));
  request_generation_tokens_->Observe(static_cast<double>(sequence.num_generated_tokens));
  request_max_tokens_->Observe(static_cast<double>(sequence.max_tokens));
}

void ServerMetrics::CountRejected(int http_status) {
  rejected_family_->Add({{"model_name", model_name_}, {"status", absl::StrCat(http_status)}})
      .Increment();
}

std::string ServerMetrics::Render(const BackendStats& stats) {
  running_->Set(static_cast<double>(stats.num_running));
  waiting_->Set(static_cast<double>(stats.num_waiting));
  kv_usage_->Set(stats.kv_cache_usage);
  ssm_usage_->Set(stats.ssm_state_usage);
  {
    absl::MutexLock lock(&mu_);
    if (stats.num_preemptions > preemptions_seen_) {
      preemptions_->Increment(static_cast<double>(stats.num_preemptions - preemptions_seen_));
      preemptions_seen_ = stats.num_preemptions;
    }
  }
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace hybridserve::server
