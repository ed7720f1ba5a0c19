// The thread-safe engine facade the front ends use. Submit validates a request and returns its
// stream at once; one engine thread runs the core (engine_core.h) step after step while there is
// work, and sleeps otherwise. Cancel works at any point (queued, mid-prefill, mid-decode) and
// frees everything the request holds; GetStats returns the counters of the last step.
//
//   auto engine = Engine::Create(model.get(), options);
//   auto stream = (*engine)->Submit({.prompt = ids, .sampling = params});
//   RequestOutput out;
//   while ((*stream)->Next(&out)) { ...out.tokens, out.text... }
#ifndef HYBRIDSERVE_ENGINE_SERVING_ENGINE_H_
#define HYBRIDSERVE_ENGINE_SERVING_ENGINE_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "engine/model/model_runner.h"
#include "engine/serving/engine_core.h"
#include "engine/serving/engine_options.h"
#include "engine/serving/engine_stats.h"
#include "engine/serving/request_stream.h"
#include "engine/serving/request_types.h"

namespace hybridserve::engine {

class Engine {
 public:
  // The model is not owned and must outlive the engine. Writes the cache plan's report and
  // warnings to stderr once.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(ModelRunner* model,
                                                        const EngineOptions& options);
  // Shuts down: every unfinished request ends with Cancelled.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const CachePlan& cache_plan() const { return core_->cache_plan(); }

  // InvalidArgument for a bad request, ResourceExhausted when the waiting queue is full,
  // Unavailable after shutdown began.
  absl::StatusOr<std::shared_ptr<RequestStream>> Submit(GenerationRequest request);
  // False when the request is unknown or already finished.
  bool Cancel(int64_t request_id);
  EngineStats GetStats() const;
  // Ends every request with Cancelled and stops the engine thread; later submissions fail.
  void Shutdown();

 private:
  struct Incoming {
    int64_t id = 0;
    GenerationRequest request;
    std::shared_ptr<RequestStream> stream;
  };

  Engine(ModelRunner* model, std::unique_ptr<EngineCore> core, const EngineOptions& options);
  void Loop();
  // Hands outputs to their streams; returns the ids that finished.
  std::vector<int64_t> Deliver(std::vector<RequestOutput> outputs);

  // Touched by the engine thread only (Validate and cache_plan read state fixed at creation).
  std::unique_ptr<EngineCore> core_;
  absl::flat_hash_map<int64_t, std::shared_ptr<RequestStream>> streams_;
  const EngineOptions options_;

  // std::mutex rather than absl::Mutex: the system Abseil is not built with ThreadSanitizer
  // annotations, so TSan would not see absl::Mutex's synchronization. Guards the members below.
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Incoming> incoming_;
  std::vector<int64_t> cancels_;
  absl::flat_hash_set<int64_t> live_;  // submitted, not finished
  int64_t next_id_ = 1;
  int64_t core_waiting_ = 0;
  bool core_busy_ = false;
  bool stopping_ = false;
  EngineStats stats_;
  std::thread thread_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SERVING_ENGINE_H_
