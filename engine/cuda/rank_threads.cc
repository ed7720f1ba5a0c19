#include "engine/cuda/rank_threads.h"

#include <cuda_runtime.h>

#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {

RankThreads::RankThreads(std::vector<int> devices)
    : devices_(std::move(devices)), ranks_(devices_.size()) {
  for (int r = 0; r < world(); ++r) threads_.emplace_back([this, r] { Loop(r); });
}

RankThreads::~RankThreads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void RankThreads::Loop(int rank) {
  for (;;) {
    const Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || (ranks_[rank].job && !ranks_[rank].done); });
      if (stopping_) return;
      job = ranks_[rank].job;
    }
    absl::Status status = kernels::cuda::CudaStatus(cudaSetDevice(devices_[rank]), "cudaSetDevice");
    if (status.ok()) status = (*job)(rank);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ranks_[rank].result = std::move(status);
      ranks_[rank].done = true;
    }
    finished_.notify_all();
  }
}

absl::Status RankThreads::Run(const std::vector<int>& ranks, const Job& job) {
  std::lock_guard<std::mutex> one_run(run_mutex_);
  std::unique_lock<std::mutex> lock(mutex_);
  for (int r : ranks) ranks_[r] = Rank{&job, absl::OkStatus(), false};
  wake_.notify_all();
  finished_.wait(lock, [&] {
    for (int r : ranks) {
      if (!ranks_[r].done) return false;
    }
    return true;
  });
  absl::Status first;
  for (int r : ranks) {
    if (first.ok() && !ranks_[r].result.ok()) first = ranks_[r].result;
    ranks_[r].job = nullptr;
  }
  return first;
}

absl::Status RankThreads::RunAll(const Job& job) {
  std::vector<int> all(devices_.size());
  for (int r = 0; r < world(); ++r) all[r] = r;
  return Run(all, job);
}

absl::Status RankThreads::RunOne(int rank, const Job& job) { return Run({rank}, job); }

}  // namespace hybridserve::engine
