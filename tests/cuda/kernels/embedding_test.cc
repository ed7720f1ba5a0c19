// Embedding against the CPU runner's embedding (copy the table row, widen, scale): exact, for
// each storage type, at real widths.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;

struct EmbeddingCase {
  DType dtype;
  int64_t vocab;
  int64_t dim;
  int64_t num_tokens;
  float multiplier;
};

class EmbeddingTest : public ::testing::TestWithParam<EmbeddingCase> {};

TEST_P(EmbeddingTest, MatchesTableRowsTimesMultiplier) {
  const EmbeddingCase& c = GetParam();
  const testing::StoredTensor table =
      testing::Store(c.dtype, testing::RandomFloats(c.vocab * c.dim, 21, -0.2f, 0.2f));
  std::mt19937 rng(22);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(c.vocab - 1));
  std::vector<int32_t> tokens(c.num_tokens);
  for (int32_t& t : tokens) t = token(rng);
  tokens.back() = static_cast<int32_t>(c.vocab - 1);  // the last row of the table
  DeviceBuffer<int32_t> tokens_d(tokens);
  DeviceBuffer<float> out(c.num_tokens * c.dim);
  Embedding(c.dtype, tokens_d.get(), c.num_tokens, table.get(), c.dim, c.multiplier, out.get(),
            nullptr);

  std::vector<float> want(c.num_tokens * c.dim);
  for (int64_t t = 0; t < c.num_tokens; ++t) {
    for (int64_t i = 0; i < c.dim; ++i) {
      want[t * c.dim + i] = table.values[tokens[t] * c.dim + i] * c.multiplier;
    }
  }
  EXPECT_TRUE(testing::SameBits(out.Download(), want)) << testing::DTypeName(c.dtype);
}

// Widths: Falcon-H1-1.5B (2048, muP embedding multiplier), Nemotron-H-8B (4096), Granite-4.0-H-
// Tiny (1536, multiplier 12), Jamba-mini (4096); one odd width.
INSTANTIATE_TEST_SUITE_P(Shapes, EmbeddingTest,
                         ::testing::Values(EmbeddingCase{DType::kF32, 1000, 2048, 7, 5.656854f},
                                           EmbeddingCase{DType::kBF16, 1000, 2048, 300, 5.656854f},
                                           EmbeddingCase{DType::kBF16, 500, 4096, 1, 1.0f},
                                           EmbeddingCase{DType::kF16, 500, 4096, 7, 1.0f},
                                           EmbeddingCase{DType::kBF16, 800, 1536, 300, 12.0f},
                                           EmbeddingCase{DType::kF32, 300, 1001, 300, 1.0f}));

}  // namespace
}  // namespace hybridserve::kernels::cuda
