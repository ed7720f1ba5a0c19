// CopyRows, GatherRows, ScatterAddRows and ZeroSlots against host loops that do the same: exact,
// including what must stay untouched (columns past dim, rows and slots not listed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;
using testing::RandomFloats;
using testing::SameBits;

TEST(RowsTest, CopyRowsIsAStridedCopy) {
  // A [T, 1536] slice of a wider buffer into the middle of another (concatenation).
  for (int64_t T : {1, 7, 300}) {
    const int64_t dim = 1536, src_stride = 4096, dst_stride = 3 * 1536 + 5, dst_offset = 1536;
    const std::vector<float> src = RandomFloats(T * src_stride, 31);
    std::vector<float> dst = RandomFloats(T * dst_stride, 32);
    DeviceBuffer<float> src_d(src);
    DeviceBuffer<float> dst_d(dst);
    CopyRows(src_d.get() + 7, src_stride, dst_d.get() + dst_offset, dst_stride, T, dim, nullptr);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < dim; ++i)
        dst[t * dst_stride + dst_offset + i] = src[t * src_stride + 7 + i];
    }
    EXPECT_TRUE(SameBits(dst_d.Download(), dst)) << "T=" << T;
  }
}

TEST(RowsTest, GatherRowsPicksListedRows) {
  const int64_t T = 300, dim = 4096, num_rows = 23;
  const std::vector<float> src = RandomFloats(T * dim, 33);
  std::mt19937 rng(34);
  std::uniform_int_distribution<int32_t> row(0, T - 1);
  std::vector<int32_t> rows(num_rows);
  for (int32_t& r : rows) r = row(rng);
  rows[0] = T - 1;
  rows[1] = rows[2];  // a row may be gathered twice
  DeviceBuffer<float> src_d(src);
  DeviceBuffer<int32_t> rows_d(rows);
  DeviceBuffer<float> dst_d(num_rows * dim);
  GatherRows(src_d.get(), dim, rows_d.get(), num_rows, dst_d.get(), nullptr);
  std::vector<float> want(num_rows * dim);
  for (int64_t r = 0; r < num_rows; ++r) {
    std::copy_n(src.begin() + rows[r] * dim, dim, want.begin() + r * dim);
  }
  EXPECT_TRUE(SameBits(dst_d.Download(), want));
}

TEST(RowsTest, ScatterAddRowsAddsWeightedRows) {
  // Expert outputs [R, D] added into the [T, D] residual at their tokens' rows, weighted by gates.
  for (int64_t T : {1, 7, 300}) {
    const int64_t dim = 2048;
    std::mt19937 rng(35 + T);
    std::vector<int32_t> all(T);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin(), all.end(), rng);
    const int64_t R = std::max<int64_t>(1, T / 3);
    const std::vector<int32_t> rows(all.begin(), all.begin() + R);
    const std::vector<float> src = RandomFloats(R * dim, 36);
    const std::vector<float> weights = RandomFloats(R, 37, 0.0f, 1.0f);
    std::vector<float> out = RandomFloats(T * dim, 38);
    DeviceBuffer<float> src_d(src);
    DeviceBuffer<int32_t> rows_d(rows);
    DeviceBuffer<float> weights_d(weights);
    DeviceBuffer<float> out_d(out);
    ScatterAddRows(src_d.get(), dim, rows_d.get(), weights_d.get(), R, out_d.get(), nullptr);
    for (int64_t r = 0; r < R; ++r) {
      for (int64_t i = 0; i < dim; ++i) {
        out[rows[r] * dim + i] += weights[r] * src[r * dim + i];
      }
    }
    EXPECT_TRUE(SameBits(out_d.Download(), out)) << "T=" << T;
  }
}

TEST(RowsTest, ZeroSlotsClearsOnlyListedSlots) {
  // A Mamba2 slot of Nemotron-H-8B size: conv state + SSM state, [num_slots, slot_floats].
  const int64_t num_slots = 9, slot_floats = 128 * 64 * 128 + 3;
  std::vector<float> state = RandomFloats(num_slots * slot_floats, 39);
  const std::vector<int32_t> slots = {8, 0, 5};
  DeviceBuffer<float> state_d(state);
  DeviceBuffer<int32_t> slots_d(slots);
  ZeroSlots(state_d.get(), slot_floats, slots_d.get(), static_cast<int64_t>(slots.size()), nullptr);
  for (int32_t s : slots) std::fill_n(state.begin() + s * slot_floats, slot_floats, 0.0f);
  EXPECT_TRUE(SameBits(state_d.Download(), state));
}

}  // namespace
}  // namespace hybridserve::kernels::cuda
