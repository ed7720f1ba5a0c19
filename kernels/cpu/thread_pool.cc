// Why: the CPU ops split their outer loops (tokens, heads, channels) over a few threads; a pool
// that lives as long as the backend avoids spawning threads on every op call.
// How: ParallelFor publishes one task (a function plus a chunk count) under the mutex and bumps
// a generation counter; the workers and the calling thread then take chunk indices one at a
// time until none are left, and the caller waits until every chunk reports done. Chunks are
// fixed-size ranges of at least min_grain items (the last one absorbs the remainder), about four
// per thread so uneven work still balances.
#include "kernels/cpu/thread_pool.h"

#include <algorithm>

namespace hybridserve::kernels::cpu {

namespace {

constexpr int64_t kChunksPerThread = 4;

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  if (num_threads <= 0) {
    num_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  }
  workers_.reserve(num_threads - 1);
  for (int i = 0; i + 1 < num_threads; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                             int64_t min_grain) {
  if (n <= 0) return;
  min_grain = std::max<int64_t>(1, min_grain);
  const int64_t target_chunks = static_cast<int64_t>(num_threads()) * kChunksPerThread;
  const int64_t chunk = std::max(min_grain, (n + target_chunks - 1) / target_chunks);
  const int64_t num_chunks = std::max<int64_t>(1, n / chunk);
  if (num_chunks == 1 || workers_.empty()) {
    fn(0, n);
    return;
  }

  std::unique_lock<std::mutex> lock(mutex_);
  task_ = &fn;
  task_n_ = n;
  task_chunk_ = chunk;
  next_chunk_ = 0;
  num_chunks_ = num_chunks;
  chunks_done_ = 0;
  ++generation_;
  work_ready_.notify_all();

  // The calling thread works too.
  while (next_chunk_ < num_chunks_) {
    const int64_t index = next_chunk_++;
    const int64_t begin = index * chunk;
    const int64_t end = index + 1 == num_chunks ? n : begin + chunk;
    lock.unlock();
    fn(begin, end);
    lock.lock();
    ++chunks_done_;
  }
  work_done_.wait(lock, [this] { return chunks_done_ == num_chunks_; });
  task_ = nullptr;
}

void ThreadPool::WorkerLoop(int /*index*/) {
  uint64_t seen_generation = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen_generation; });
    if (stopping_) return;
    seen_generation = generation_;
    while (task_ != nullptr && next_chunk_ < num_chunks_) {
      const int64_t index = next_chunk_++;
      const std::function<void(int64_t, int64_t)>* task = task_;
      const int64_t begin = index * task_chunk_;
      const int64_t end = index + 1 == num_chunks_ ? task_n_ : begin + task_chunk_;
      lock.unlock();
      (*task)(begin, end);
      lock.lock();
      if (++chunks_done_ == num_chunks_) work_done_.notify_one();
    }
  }
}

}  // namespace hybridserve::kernels::cpu
