// The Prometheus metrics of the server, named and shaped like vLLM's so existing dashboards and
// routers work with a prefix swap: "hybridserve_" where vLLM has "vllm:" (a colon fails
// `promtool check metrics`, which reserves colons for recording rules), plus the SSM state-slot
// gauge. Every series carries the label model_name. Thread-safe. Only this file knows
// Prometheus; the engine exposes plain stats (BackendStats).
#ifndef HYBRIDSERVE_SERVER_METRICS_H_
#define HYBRIDSERVE_SERVER_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/generation_backend.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace hybridserve::server {

inline constexpr char kMetricPrefix[] = "hybridserve_";

// What one finished sequence reports.
struct FinishedSequence {
  FinishReason reason = FinishReason::kNone;
  int64_t num_prompt_tokens = 0;
  int64_t num_generated_tokens = 0;
  double e2e_seconds = 0.0;
  SequenceTimings timings;
  int64_t max_tokens = 0;
};

class ServerMetrics {
 public:
  explicit ServerMetrics(const ModelDescription& model);
  ~ServerMetrics();

  void ObserveTimeToFirstToken(double seconds);
  void ObserveInterTokenLatency(double seconds);
  void AddGeneratedTokens(int64_t num_tokens);
  void ObserveFinished(const FinishedSequence& sequence);
  // A request refused before it reached the engine, by HTTP-ish reason ("400", "429", ...).
  void CountRejected(int http_status);

  // Refreshes the gauges from stats and renders the text exposition format.
  std::string Render(const BackendStats& stats);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::string model_name_;
  prometheus::Histogram* time_to_first_token_;
  prometheus::Histogram* inter_token_latency_;
  prometheus::Histogram* time_per_output_token_;
  prometheus::Histogram* e2e_latency_;
  prometheus::Histogram* queue_time_;
  prometheus::Histogram* prefill_time_;
  prometheus::Histogram* decode_time_;
  prometheus::Histogram* inference_time_;
  prometheus::Histogram* request_prompt_tokens_;
  prometheus::Histogram* request_generation_tokens_;
  prometheus::Histogram* request_max_tokens_;
  prometheus::Counter* prompt_tokens_;
  prometheus::Counter* generation_tokens_;
  prometheus::Counter* preemptions_;
  prometheus::Gauge* running_;
  prometheus::Gauge* waiting_;
  prometheus::Gauge* kv_usage_;
  prometheus::Gauge* ssm_usage_;
  prometheus::Family<prometheus::Counter>* success_family_;
  prometheus::Family<prometheus::Counter>* rejected_family_;

  absl::Mutex mu_;
  int64_t preemptions_seen_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_METRICS_H_
