// cuda::Mamba1Scan against cpu::Mamba1Scan applied to each sequence of a mixed batch (prefill
// chunks and decode rows), each continuing from its own slot's random state in a larger,
// otherwise poisoned pool. B and C are slices of one strided x_proj row, as Jamba produces them.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/ops.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/ssm_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBatch;
using testing::DeviceBuffer;
using testing::MaxRelError;
using testing::RandomDt;
using testing::RandomFloats;
using testing::RandomNegativeA;
using testing::Rows;
using testing::SlotPool;

struct Mamba1Case {
  const char* name;
  int64_t inner, state_size;
  bool use_d;
};
void PrintTo(const Mamba1Case& c, std::ostream* os) { *os << c.name; }  // names in gtest output

class Mamba1ScanTest : public ::testing::TestWithParam<Mamba1Case> {};

TEST_P(Mamba1ScanTest, MatchesCpuPerSequence) {
  const Mamba1Case& p = GetParam();
  const int64_t I = p.inner, N = p.state_size;
  const std::vector<int32_t> lengths = {300, 1, 5, 600, 1, 1};
  const std::vector<int32_t> slots = {4, 8, 0, 6, 2, 3};
  const int64_t num_slots = 9;
  const testing::DeviceBatch batch(lengths, slots);
  const int64_t T = batch.num_tokens();
  const int64_t rank = 256;  // dt_rank: x_proj rows are [dt_r (rank), B (N), C (N)]
  const int64_t x_stride = I + 3, dt_stride = I + 1, bc_stride = rank + 2 * N, y_stride = I + 2;

  const std::vector<float> x = RandomFloats(T * x_stride, 1);
  const std::vector<float> dt = RandomDt(T * dt_stride, 2);
  const std::vector<float> bc = RandomFloats(T * bc_stride, 3);
  const std::vector<float> A = RandomNegativeA(I * N, 4, 0.5f, 16.0f);
  const std::vector<float> D = RandomFloats(I, 5);
  const SlotPool pool(num_slots, I * N, slots, 6);
  DeviceBuffer<float> d_x(x), d_dt(dt), d_bc(bc), d_A(A), d_D(D), d_y(T * y_stride);

  Mamba1Scan(I, N, d_x.get(), x_stride, d_dt.get(), dt_stride, d_A.get(), d_bc.get() + rank,
             bc_stride, d_bc.get() + rank + N, bc_stride, p.use_d ? d_D.get() : nullptr,
             batch.layout(), pool.device(), d_y.get(), y_stride, /*stream=*/nullptr);
  HS_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> y = d_y.Download();
  std::vector<std::vector<float>> states;
  pool.Check(&states);

  for (size_t s = 0; s < batch.num_seqs(); ++s) {
    const int64_t begin = batch.row_begin(s), rows = batch.length(s);
    std::vector<float> state = pool.Initial(batch.slot(s));
    std::vector<float> want(rows * I);
    cpu::Mamba1Scan(rows, I, N, x.data() + begin * x_stride, x_stride,
                    dt.data() + begin * dt_stride, dt_stride, A.data(),
                    bc.data() + begin * bc_stride + rank, bc_stride,
                    bc.data() + begin * bc_stride + rank + N, bc_stride,
                    p.use_d ? D.data() : nullptr, state.data(), want.data(), I, /*pool=*/nullptr);
    EXPECT_LE(MaxRelError(Rows(y, y_stride, begin, rows, I), want), 1e-5)
        << "y of sequence " << s << " (" << rows << " rows)";
    EXPECT_LE(MaxRelError(states[s], state), 1e-5)
        << "state of sequence " << s << " (" << rows << " rows)";
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Mamba1ScanTest,
                         ::testing::Values(Mamba1Case{"JambaMini", 8192, 16, true},
                                           Mamba1Case{"Inner4096", 4096, 16, false},
                                           // Partial lane groups and a partial last block.
                                           Mamba1Case{"OddShape", 100, 13, true},
                                           Mamba1Case{"WideState", 70, 128, true}),
                         [](const ::testing::TestParamInfo<Mamba1Case>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace hybridserve::kernels::cuda
