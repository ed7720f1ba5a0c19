// The single-threaded heart of the engine: requests in, one step at a time out. A step asks the
// scheduler for this step's chunks, runs the model once over all of them, samples the sequences
// whose chunk reached their last token, applies stop conditions and ends finished requests,
// freeing their KV blocks and SSM slot. Deterministic for a given order of calls, so tests can
// drive it directly; the thread-safe facade (engine.h) runs it on its own thread.
#ifndef HYBRIDSERVE_ENGINE_SERVING_ENGINE_CORE_H_
#define HYBRIDSERVE_ENGINE_SERVING_ENGINE_CORE_H_

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/cache/cache_plan.h"
#include "engine/cache/kv_block_pool.h"
#include "engine/cache/ssm_slot_pool.h"
#include "engine/model/cache_store.h"
#include "engine/model/model_runner.h"
#include "engine/sampling/stop_string_matcher.h"
#include "engine/scheduler/scheduler.h"
#include "engine/serving/engine_options.h"
#include "engine/serving/engine_stats.h"
#include "engine/serving/request_types.h"

namespace hybridserve::engine {

// Whether a preempted sequence may recompute its generated tokens as prompt tokens and still
// reproduce its unpreempted computation: false where a Mamba2 layer clamps dt differently in the
// single-step update than in the chunked scan (Nemotron-H, Zamba2).
bool DecodeMatchesPrefill(const ModelSpec& spec);

class EngineCore {
 public:
  // The model is not owned and must outlive the core.
  static absl::StatusOr<std::unique_ptr<EngineCore>> Create(ModelRunner* model,
                                                            const EngineOptions& options);

  const CachePlan& cache_plan() const { return plan_; }
  const ModelSpec& spec() const { return model_->spec(); }

  // Checks a request against the model, the cache and the options. Reads only state fixed at
  // creation, so it may be called from any thread.
  absl::Status Validate(const GenerationRequest& request) const;
  // Validates and queues a request under the caller's id. ResourceExhausted when the waiting
  // queue is full.
  absl::Status AddRequest(int64_t id, GenerationRequest request);
  // Ends a request wherever it is, freeing what it holds; its final output (with status) comes
  // with the next Step. False for an unknown or already finished id.
  bool Abort(int64_t id, absl::Status status);
  // One engine step; returns the outputs of every request that produced something.
  std::vector<RequestOutput> Step();

  bool HasWork() const { return scheduler_->HasWork() || !pending_outputs_.empty(); }
  int64_t num_waiting() const { return scheduler_->num_waiting(); }
  std::vector<int64_t> ActiveRequestIds() const { return scheduler_->SequenceIds(); }
  EngineStats stats() const;
  const KvBlockPool& kv_pool() const { return *kv_pool_; }
  const SsmSlotPool& slot_pool() const { return *slot_pool_; }

 private:
  struct RequestState {
    SamplingParams params;
    uint64_t seed = 0;
    std::optional<absl::Time> deadline;
    std::unique_ptr<StopStringMatcher> matcher;  // with a text source only
    bool text_started = false;  // a token with text was streamed (see FirstTokenBytes)
    RequestTimes times;
  };

  EngineCore(ModelRunner* model, const EngineOptions& options, CachePlan plan,
             std::unique_ptr<ModelCache> cache);
  // Removes the request, frees its blocks and slot, and completes *out as its final output.
  void Finish(int64_t id, FinishReason reason, absl::Status status, RequestOutput* out);
  void ExpireDeadlines(std::vector<RequestOutput>* outputs);
  // Samples the next token of a sequence whose tokens are all computed; true if it finished.
  bool SampleNext(Sequence* sequence, absl::Span<const float> logits, RequestOutput* out);

  ModelRunner* model_;
  EngineOptions options_;
  CachePlan plan_;
  std::unique_ptr<ModelCache> cache_;
  std::unique_ptr<KvBlockPool> kv_pool_;
  std::unique_ptr<SsmSlotPool> slot_pool_;
  std::unique_ptr<Scheduler> scheduler_;
  absl::flat_hash_map<int64_t, RequestState> requests_;
  std::vector<RequestOutput> pending_outputs_;
  std::mt19937_64 seed_source_;
  int64_t next_arrival_ = 0;
  EngineStats stats_;
  std::vector<float> logits_;  // [num_chunks, V], reused
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SERVING_ENGINE_CORE_H_
