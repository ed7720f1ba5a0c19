#include "engine/serving/engine.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/check.h"
#include "base/status_macros.h"

namespace hybridserve::engine {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(ModelRunner* model,
                                                       const EngineOptions& options) {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<EngineCore> core, EngineCore::Create(model, options));
  for (const std::string& warning : core->cache_plan().warnings) {
    std::fprintf(stderr, "engine: warning: %s\n", warning.c_str());
  }
  std::fprintf(stderr, "engine: %s\n", core->cache_plan().report.c_str());
  return std::unique_ptr<Engine>(new Engine(model, std::move(core), options));
}

Engine::Engine(ModelRunner* model, std::unique_ptr<EngineCore> core, const EngineOptions& options)
    : core_(std::move(core)), options_(options) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_ = core_->stats();
  }
  thread_ = std::thread([this] { Loop(); });
}

Engine::~Engine() { Shutdown(); }

void Engine::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<std::shared_ptr<RequestStream>> Engine::Submit(GenerationRequest request) {
  HS_RETURN_IF_ERROR(core_->Validate(request));
  if (!request.arrival.has_value()) request.arrival = absl::Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return absl::UnavailableError("the engine is shutting down");
  if (static_cast<int64_t>(incoming_.size()) + core_waiting_ >= options_.max_waiting) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the waiting queue is full (", options_.max_waiting, " requests); retry later"));
  }
  const int64_t id = next_id_++;
  auto stream = std::make_shared<RequestStream>(id, options_.stream_buffer_events);
  incoming_.push_back({id, std::move(request), stream});
  live_.insert(id);
  wake_.notify_one();
  return stream;
}

bool Engine::Cancel(int64_t request_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_.contains(request_id)) return false;
  cancels_.push_back(request_id);
  wake_.notify_one();
  return true;
}

EngineStats Engine::GetStats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::vector<int64_t> Engine::Deliver(std::vector<RequestOutput> outputs) {
  std::vector<int64_t> finished;
  for (RequestOutput& out : outputs) {
    auto it = streams_.find(out.request_id);
    HS_CHECK(it != streams_.end());
    if (out.finished) {
      {
        // Unknown to Cancel before the reader can see the end.
        std::lock_guard<std::mutex> lock(mu_);
        live_.erase(it->first);
      }
      it->second->Close(std::move(out));
      finished.push_back(it->first);
      streams_.erase(it);
    } else if (!it->second->Push(std::move(out))) {
      // The reader is too far behind: end the request (the final output comes next step).
      core_->Abort(it->first,
                   absl::ResourceExhaustedError(absl::StrCat(
                       "the reader of request ", it->first, " fell ", options_.stream_buffer_events,
                       " outputs behind; read the stream faster or raise stream_buffer_events")));
    }
  }
  return finished;
}

void Engine::Loop() {
  while (true) {
    std::vector<Incoming> incoming;
    std::vector<int64_t> cancels;
    bool stopping = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] {
        return stopping_ || !incoming_.empty() || !cancels_.empty() || core_busy_;
      });
      incoming.swap(incoming_);
      cancels.swap(cancels_);
      stopping = stopping_;
    }
    std::vector<int64_t> finished;
    for (Incoming& in : incoming) {
      const absl::Status status = core_->AddRequest(in.id, std::move(in.request));
      if (!status.ok()) {
        RequestOutput out;
        out.request_id = in.id;
        out.finish_reason = FinishReason::kError;
        out.status = status;
        {
          std::lock_guard<std::mutex> lock(mu_);
          live_.erase(in.id);
        }
        in.stream->Close(std::move(out));
        finished.push_back(in.id);
      } else {
        streams_[in.id] = std::move(in.stream);
      }
    }
    for (int64_t id : cancels) {
      core_->Abort(id, absl::CancelledError(absl::StrCat("request ", id, " was cancelled")));
    }
    if (stopping) {
      for (int64_t id : core_->ActiveRequestIds()) {
        core_->Abort(id, absl::CancelledError("the engine is shutting down"));
      }
    }
    std::vector<int64_t> done = Deliver(core_->Step());
    finished.insert(finished.end(), done.begin(), done.end());
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int64_t id : finished) live_.erase(id);
      stats_ = core_->stats();
      core_waiting_ = core_->num_waiting();
      core_busy_ = core_->HasWork();
      if (stopping && !core_busy_ && incoming_.empty()) break;
    }
  }
}

}  // namespace hybridserve::engine
