#include "kernels/cpu/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace hybridserve::kernels::cpu {
namespace {

TEST(ThreadPoolTest, ReportsThreadCount) {
  for (int n = 1; n <= 4; ++n) {
    ThreadPool pool(n);
    EXPECT_EQ(pool.num_threads(), n);
  }
  ThreadPool automatic(0);
  EXPECT_GE(automatic.num_threads(), 1);
}

TEST(ThreadPoolTest, CoversEveryItemExactlyOnce) {
  for (int num_threads = 1; num_threads <= 4; ++num_threads) {
    ThreadPool pool(num_threads);
    for (int64_t n : {1, 2, 3, 7, 16, 100, 1001, 10000}) {
      for (int64_t grain : {1, 3, 64, 5000}) {
        std::vector<std::atomic<int>> hits(n);
        std::mutex mutex;
        std::vector<std::pair<int64_t, int64_t>> ranges;
        pool.ParallelFor(
            n,
            [&](int64_t begin, int64_t end) {
              for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
              std::lock_guard<std::mutex> lock(mutex);
              ranges.emplace_back(begin, end);
            },
            grain);
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[i].load(), 1)
              << "threads " << num_threads << " n " << n << " grain " << grain << " item " << i;
        }
        std::sort(ranges.begin(), ranges.end());
        int64_t expected_begin = 0;
        for (const auto& [begin, end] : ranges) {
          EXPECT_EQ(begin, expected_begin);
          EXPECT_LT(begin, end);
          // Every range holds at least min_grain items unless there are fewer items in all.
          EXPECT_GE(end - begin, std::min(grain, n));
          expected_begin = end;
        }
        EXPECT_EQ(expected_begin, n);
      }
    }
  }
}

TEST(ThreadPoolTest, ZeroItemsCallsNothing) {
  ThreadPool pool(3);
  int calls = 0;
  pool.ParallelFor(0, [&](int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPoolTest, ManyConsecutiveCallsSumCorrectly) {
  ThreadPool pool(4);
  for (int round = 0; round < 500; ++round) {
    const int64_t n = 1 + round % 37;
    std::atomic<int64_t> sum{0};
    pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
      int64_t local = 0;
      for (int64_t i = begin; i < end; ++i) local += i + 1;
      sum.fetch_add(local);
    });
    ASSERT_EQ(sum.load(), n * (n + 1) / 2) << "round " << round;
  }
}

TEST(ThreadPoolTest, UsesMoreThanOneThreadForLargeWork) {
  ThreadPool pool(4);
  std::mutex mutex;
  std::vector<std::thread::id> ids;
  std::atomic<int> arrived{0};
  // Each range waits (bounded) until several ranges run at once, so a pool that ran everything
  // on one thread would see only one id.
  pool.ParallelFor(4, [&](int64_t, int64_t) {
    arrived.fetch_add(1);
    for (int spin = 0; spin < 2000000 && arrived.load() < 2; ++spin) std::this_thread::yield();
    std::lock_guard<std::mutex> lock(mutex);
    ids.push_back(std::this_thread::get_id());
  });
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  EXPECT_GE(ids.size(), 2u);
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
