// cuda::CausalConv1d against cpu::CausalConv1d applied to each sequence of a mixed batch
// (prefill chunks crossing the kernel's 64-row tiles, chunks shorter than the window, decode
// rows), each from its own slot's random window in a larger, otherwise poisoned pool.
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
using testing::RandomFloats;
using testing::Rows;
using testing::SlotPool;

struct ConvCase {
  const char* name;
  int64_t channels, kernel_width;
  bool bias, silu;
};
void PrintTo(const ConvCase& c, std::ostream* os) { *os << c.name; }  // names in gtest output

class CausalConv1dTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(CausalConv1dTest, MatchesCpuPerSequence) {
  const ConvCase& p = GetParam();
  const int64_t C = p.channels, K = p.kernel_width;
  const std::vector<int32_t> lengths = {300, 1, 5, 600, 1, 2, 64, 1};
  const std::vector<int32_t> slots = {7, 0, 11, 3, 5, 9, 2, 12};
  const int64_t num_slots = 14;
  const DeviceBatch batch(lengths, slots);
  const int64_t T = batch.num_tokens();
  const int64_t x_stride = C + 3, out_stride = C + 5;  // odd strides, as slices of wider rows

  const std::vector<float> x = RandomFloats(T * x_stride, 1);
  const std::vector<float> weight = RandomFloats(C * K, 2, -0.5f, 0.5f);
  const std::vector<float> bias = RandomFloats(C, 3);
  const SlotPool pool(num_slots, C * K, slots, 4);
  DeviceBuffer<float> d_x(x), d_weight(weight), d_bias(bias), d_out(T * out_stride);

  CausalConv1d(d_x.get(), x_stride, C, K, d_weight.get(), p.bias ? d_bias.get() : nullptr, p.silu,
               batch.layout(), pool.device(), d_out.get(), out_stride, /*stream=*/nullptr);
  HS_CUDA_CHECK(cudaDeviceSynchronize());
  const std::vector<float> out = d_out.Download();
  std::vector<std::vector<float>> states;
  pool.Check(&states);

  for (size_t s = 0; s < batch.num_seqs(); ++s) {
    const int64_t begin = batch.row_begin(s), rows = batch.length(s);
    std::vector<float> state = pool.Initial(batch.slot(s));
    std::vector<float> want(rows * C);
    cpu::CausalConv1d(x.data() + begin * x_stride, x_stride, rows, C, K, weight.data(),
                      p.bias ? bias.data() : nullptr, p.silu, state.data(), want.data(), C,
                      /*pool=*/nullptr);
    EXPECT_LE(MaxRelError(Rows(out, out_stride, begin, rows, C), want), 1e-5)
        << "outputs of sequence " << s << " (" << rows << " rows)";
    EXPECT_LE(MaxRelError(states[s], state), 1e-5)
        << "window of sequence " << s << " (" << rows << " rows)";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CausalConv1dTest,
    ::testing::Values(
        // Nemotron-H-8B's Mamba2 conv: C = I + 2 G N = 8192 + 2 * 8 * 128.
        ConvCase{"NemotronH8B", 8192 + 2 * 8 * 128, 4, true, true},
        // Falcon-H1-1.5B: I = 1536 (24 heads x 64), G = 1, N = 256.
        ConvCase{"FalconH1_1_5B", 1536 + 2 * 256, 4, true, true},
        // Jamba-mini's Mamba1 conv over I = 8192 channels.
        ConvCase{"JambaMamba1", 8192, 4, true, true},
        // Without bias and SiLU; and odd widths (channels not a multiple of the block).
        ConvCase{"NoBiasNoSilu", 1000, 4, false, false}, ConvCase{"Width2", 333, 2, true, true},
        ConvCase{"Width7", 130, 7, true, false}),
    [](const ::testing::TestParamInfo<ConvCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace hybridserve::kernels::cuda
