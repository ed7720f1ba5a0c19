// Process lifecycle shared by the front ends: whether the server is draining (SIGTERM/SIGINT:
// readiness 503, new generation requests refused), how many generation requests are in flight
// (the drain waits for them), and whether the grace period ran out (requests still running then
// are cancelled). Thread-safe.
#ifndef HYBRIDSERVE_SERVER_SERVER_STATE_H_
#define HYBRIDSERVE_SERVER_SERVER_STATE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hybridserve::server {

class ServerState {
 public:
  bool draining() const {
    absl::MutexLock lock(&mu_);
    return draining_;
  }
  void StartDraining() {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  // The grace period is over: in-flight requests cancel their sequences and end.
  bool aborted() const {
    absl::MutexLock lock(&mu_);
    return aborted_;
  }
  void Abort() {
    absl::MutexLock lock(&mu_);
    aborted_ = true;
  }
  int64_t num_in_flight() const {
    absl::MutexLock lock(&mu_);
    return num_in_flight_;
  }
  // True when no request is in flight any more, false when deadline passed first.
  bool WaitIdle(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return num_in_flight_ == 0; };
    return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
  }

  // Counts one generation request in flight while alive.
  class InFlight {
   public:
    explicit InFlight(ServerState* state) : state_(state) {
      absl::MutexLock lock(&state_->mu_);
      ++state_->num_in_flight_;
    }
    ~InFlight() {
      absl::MutexLock lock(&state_->mu_);
      --state_->num_in_flight_;
    }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;

   private:
    ServerState* state_;
  };

 private:
  mutable absl::Mutex mu_;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  int64_t num_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_SERVER_STATE_H_
