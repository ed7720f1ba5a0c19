// ApplyRope against cpu::ApplyRope on the same strided buffer: rotated channels to 1e-5 of the
// output scale (cos/sin of the same fp32 angles differ by an ulp or two between libm and CUDA),
// everything else (pass-through channels, other columns of the row) bit for bit unchanged.
// Positions reach 131071, where a differently rounded inv_freq or angle would fail at once.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;

struct RopeCase {
  int64_t num_tokens;
  int64_t num_heads;
  int64_t head_dim;
  int64_t rotary_dim;
  double theta;
};

class RopeTest : public ::testing::TestWithParam<RopeCase> {};

TEST_P(RopeTest, MatchesCpu) {
  const RopeCase& c = GetParam();
  const int64_t T = c.num_tokens, hd = c.head_dim;
  // q of a fused qkv row [T, (nh + 2 * 8) * hd], rotated in place.
  const int64_t width = c.num_heads * hd;
  const int64_t stride = width + 2 * 8 * hd;
  const std::vector<float> x = testing::RandomFloats(T * stride, 101);
  std::mt19937 rng(102);
  std::uniform_int_distribution<int64_t> position(0, 131071);
  std::vector<int64_t> positions(T);
  for (int64_t& p : positions) p = position(rng);
  positions[0] = T > 1 ? 0 : 131071;
  if (T > 2) positions[1] = 131071;
  if (T > 3) positions[2] = 1;

  std::vector<float> want = x;
  cpu::ApplyRope(want.data(), stride, positions.data(), T, c.num_heads, hd, c.rotary_dim, c.theta);
  DeviceBuffer<float> x_d(x);
  DeviceBuffer<int64_t> positions_d(positions);
  ApplyRope(x_d.get(), stride, positions_d.get(), T, c.num_heads, hd, c.rotary_dim, c.theta,
            nullptr);
  const std::vector<float> got = x_d.Download();

  std::vector<float> got_rotated, want_rotated;
  std::vector<float> got_rest, want_rest;
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t j = 0; j < stride; ++j) {
      const bool rotated = j < width && j % hd < c.rotary_dim;
      (rotated ? got_rotated : got_rest).push_back(got[t * stride + j]);
      (rotated ? want_rotated : want_rest).push_back(want[t * stride + j]);
    }
  }
  EXPECT_LE(testing::MaxRelError(got_rotated, want_rotated), 1e-5);
  EXPECT_TRUE(testing::SameBits(got_rest, want_rest));
  // The rotation did something (guards against comparing two untouched buffers).
  double moved = 0.0;
  for (int64_t t = 0; t < T; ++t) {
    if (positions[t] == 0) continue;
    for (int64_t j = 0; j < width; ++j) {
      if (j % hd < c.rotary_dim) moved += std::fabs(got[t * stride + j] - x[t * stride + j]);
    }
  }
  EXPECT_GT(moved, 0.0);
}

// q and k of a fused row rotated in one launch: bit for bit what two ApplyRope calls give.
TEST(RopeQkTest, EqualsTwoApplyRopeCalls) {
  const int64_t T = 5, hd = 128, nq = 8, nkv = 2;
  const int64_t stride = (nq + 2 * nkv) * hd;
  const std::vector<float> x = testing::RandomFloats(T * stride, 111);
  const std::vector<int64_t> positions = {0, 1, 1000, 65535, 7};
  DeviceBuffer<int64_t> positions_d(positions);
  DeviceBuffer<float> separate(x), fused(x);
  ApplyRope(separate.get(), stride, positions_d.get(), T, nq, hd, hd, 1e5, nullptr);
  ApplyRope(separate.get() + nq * hd, stride, positions_d.get(), T, nkv, hd, hd, 1e5, nullptr);
  ApplyRopeQk(fused.get(), stride, nq, fused.get() + nq * hd, stride, nkv, positions_d.get(), T, hd,
              hd, 1e5, nullptr);
  const std::vector<float> want = separate.Download();
  EXPECT_TRUE(testing::SameBits(fused.Download(), want));
  EXPECT_FALSE(testing::SameBits(want, x));  // something was rotated
}

// The decode step's fused launch: RoPE of q and k plus the KV write give the same q, k and cache
// bytes as ApplyRopeQk then WriteKv (three sequences, a shuffled block table, a poisoned pool;
// fp32, bf16 and fp16 caches; full and partial rotary).
TEST(RopeQkWriteKvTest, EqualsRopeThenWriteKv) {
  const int64_t hd = 128, nq = 8, nkv = 2, row = nkv * hd, block_size = 16, num_blocks = 8;
  // Sequences of 1, 4 and 1 rows at positions 5, 0..3 and 20; two block ids per sequence.
  const std::vector<int32_t> row_begin = {0, 1, 5, 6}, start_pos = {5, 0, 20},
                             token_seq = {0, 1, 1, 1, 1, 2}, tables = {3, 0, 6, 1, 7, 2};
  const int64_t T = 6;
  const std::vector<int64_t> positions = {5, 0, 1, 2, 3, 20};
  DeviceBuffer<int32_t> row_begin_d(row_begin), start_d(start_pos), seq_d(token_seq),
      tables_d(tables);
  DeviceBuffer<int64_t> positions_d(positions);
  BatchLayout batch;
  batch.num_seqs = 3;
  batch.num_tokens = static_cast<int32_t>(T);
  batch.max_seq_tokens = 4;
  batch.seq_row_begin = row_begin_d.get();
  batch.seq_start_pos = start_d.get();
  batch.token_seq = seq_d.get();
  batch.block_tables = tables_d.get();
  batch.max_blocks = 2;
  batch.max_context = 21;
  const std::vector<float> q = testing::RandomFloats(T * nq * hd, 121);
  const std::vector<float> k = testing::RandomFloats(T * row, 122);
  const std::vector<float> v = testing::RandomFloats(T * row, 123);
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    for (int64_t rotary : {hd, hd / 2}) {
      const int64_t pool_elements = num_blocks * block_size * row * DTypeBytes(dtype) / 4;
      DeviceBuffer<float> q1(q), k1(k), q2(q), k2(k), v_d(v);
      DeviceBuffer<float> keys1(pool_elements), values1(pool_elements), keys2(pool_elements),
          values2(pool_elements);
      auto cache = [&](DeviceBuffer<float>& keys, DeviceBuffer<float>& values) {
        return PagedKvCache{keys.get(),
                            values.get(),
                            dtype,
                            int32_t{block_size},
                            static_cast<int32_t>(nkv),
                            static_cast<int32_t>(hd)};
      };
      ApplyRopeQk(q1.get(), nq * hd, nq, k1.get(), row, nkv, positions_d.get(), T, hd, rotary, 1e4,
                  nullptr);
      WriteKv(k1.get(), row, v_d.get(), row, batch, cache(keys1, values1), nullptr);
      ApplyRopeQkWriteKv(q2.get(), nq * hd, nq, k2.get(), row, v_d.get(), row, positions_d.get(),
                         rotary, 1e4, batch, cache(keys2, values2), nullptr);
      HS_CUDA_CHECK(cudaDeviceSynchronize());
      const std::string at =
          std::string(testing::DTypeName(dtype)) + " rotary=" + std::to_string(rotary);
      EXPECT_TRUE(testing::SameBits(q2.Download(), q1.Download())) << at;
      EXPECT_TRUE(testing::SameBits(k2.Download(), k1.Download())) << at;
      const std::vector<float> want_keys = keys1.Download();
      EXPECT_TRUE(testing::SameBits(keys2.Download(), want_keys)) << at;
      EXPECT_TRUE(testing::SameBits(values2.Download(), values1.Download())) << at;
      EXPECT_FALSE(testing::SameBits(want_keys, DeviceBuffer<float>(pool_elements).Download()))
          << at << ": nothing was written";
    }
  }
}

// head_dim 64 and 128, full and half (Bamba-style partial) rotary, 32 query heads or 8 KV heads,
// theta 1e4 (Llama-style), 1e6, and a large muP-family theta.
INSTANTIATE_TEST_SUITE_P(
    Shapes, RopeTest,
    ::testing::Values(RopeCase{1, 32, 128, 128, 10000.0}, RopeCase{7, 32, 128, 64, 10000.0},
                      RopeCase{300, 8, 128, 128, 1e6}, RopeCase{300, 32, 64, 64, 1e11},
                      RopeCase{7, 8, 64, 32, 1e6}, RopeCase{300, 16, 64, 32, 10000.0},
                      RopeCase{1, 8, 256, 256, 5e6}));

}  // namespace
}  // namespace hybridserve::kernels::cuda
