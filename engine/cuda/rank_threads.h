// One thread per tensor-parallel rank, each bound to its GPU: RunAll runs a job on every rank at
// once (the ranks of a step must run concurrently: their all-reduces wait for each other) and
// returns the first rank's error; RunOne runs a job on one rank's thread. The CUDA runtime's
// current device is per thread, so each rank's work stays on its device.
#ifndef HYBRIDSERVE_ENGINE_CUDA_RANK_THREADS_H_
#define HYBRIDSERVE_ENGINE_CUDA_RANK_THREADS_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace hybridserve::engine {

class RankThreads {
 public:
  using Job = std::function<absl::Status(int rank)>;

  explicit RankThreads(std::vector<int> devices);
  ~RankThreads();
  RankThreads(const RankThreads&) = delete;
  RankThreads& operator=(const RankThreads&) = delete;

  int world() const { return static_cast<int>(devices_.size()); }
  int device(int rank) const { return devices_[rank]; }
  absl::Status RunAll(const Job& job);
  absl::Status RunOne(int rank, const Job& job);

 private:
  struct Rank {
    const Job* job = nullptr;  // set while a job is pending or running
    absl::Status result;
    bool done = false;
  };
  void Loop(int rank);
  absl::Status Run(const std::vector<int>& ranks, const Job& job);

  const std::vector<int> devices_;
  std::mutex run_mutex_;  // one Run at a time
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable finished_;
  std::vector<Rank> ranks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_RANK_THREADS_H_
