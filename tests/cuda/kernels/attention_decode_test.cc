// Why: decode steps (one row per sequence) over a bf16/fp16 cache at head_dim 64 or 128 take the
// register-streaming decode kernel (attention_decode.cu), which must reproduce cpu::PagedAttention
// as the tiled kernels do: every GQA group size (rounded up to 1, 2, 4 or 8 query heads per CTA,
// more than 8 in several head groups), both chunk lengths (64 keys, 32 at eight heads of 128),
// key partitions of every length with the merge, and no read of cache rows no sequence owns.
//
// How: the cases of paged_attention_case.h (the cache written by the CUDA WriteKv, attention with
// and without split-K scratch against cpu::PagedAttention on the same stored K/V), each first
// checked to take the decode kernel. Tolerance 1e-5 of the output's scale, as for the tiled
// kernels (attention_test.cc): fp32 arithmetic on the same values, in another summation order.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/cuda/attention_decode.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/kernels/paged_attention_case.h"

namespace hybridserve::kernels::cuda::paged_testing {
namespace {

// Group sizes beyond the model shapes of paged_attention_case.h.
constexpr HeadShape kFalconH1Hd128{"FalconH1Hd128", 8, 2, 128};
constexpr HeadShape kGqa2{"Gqa2", 8, 4, 128};
constexpr HeadShape kGqa5{"Gqa5", 10, 2, 64};
constexpr HeadShape kGqa8Hd128{"Gqa8Hd128", 16, 2, 128};  // 32-key chunks
constexpr HeadShape kGqa8Hd64{"Gqa8Hd64", 8, 1, 64};
constexpr HeadShape kGqa16{"Gqa16", 16, 1, 128};  // two head groups of 8

// Decode rows at contexts around chunk (32, 64) and block boundaries.
std::vector<SeqSpec> DecodeSeqs() {
  return {{0, 1}, {16, 1}, {31, 1}, {32, 1}, {63, 1}, {64, 1}, {300, 1}, {1023, 1}, {2047, 1}};
}

// Checks that the case takes the decode kernel, then compares it with the CPU.
void CheckDecodeCase(const CaseSpec& spec) {
  SCOPED_TRACE(Describe(spec));
  PagedCase c(spec);
  ASSERT_TRUE(UseAttentionDecode(c.cache(), c.layout()));
  const std::vector<float> want = c.Reference();
  c.ExpectClose(c.RunCuda(/*with_scratch=*/false), want, "no_scratch");
  c.ExpectClose(c.RunCuda(/*with_scratch=*/true), want, "split_k");
}

TEST(CudaDecodeAttention, EveryGroupSizeBf16AndF16) {
  const HeadShape shapes[] = {kMha,  kGqa2,      kGraniteTiny, kNemotronH8B, kFalconH1,
                              kGqa5, kGqa8Hd128, kGqa8Hd64,    kGqa16,       kFalconH1Hd128};
  uint32_t seed = 201;
  for (const HeadShape& shape : shapes) {
    CheckDecodeCase({shape, DType::kBF16, 16, DecodeSeqs(), seed++});
    CheckDecodeCase({shape, DType::kF16, 32, DecodeSeqs(), seed++});
  }
}

TEST(CudaDecodeAttention, BlockSizes) {
  uint32_t seed = 221;
  for (int bs : {16, 24, 32, 64})
    CheckDecodeCase({kNemotronH8B, DType::kBF16, bs, DecodeSeqs(), seed++});
}

// Context 8192: 128 partitions at batch 1, merged. Tolerance 2e-5 as LongDecode8192 in
// attention_test.cc (the reference's own sequential sums over 8192 keys drift).
TEST(CudaDecodeAttention, LongContext8192) {
  constexpr double kLongTolerance = 2e-5;
  CheckDecodeCase({kFalconH1Hd128, DType::kBF16, 16, {{8191, 1}}, 231, 0.0f, 1.0f, kLongTolerance});
  CheckDecodeCase({kNemotronH8B,
                   DType::kF16,
                   32,
                   {{8191, 1}, {8000, 1}, {4096, 1}, {1, 1}},
                   232,
                   0.0f,
                   1.0f,
                   kLongTolerance});
  CheckDecodeCase(
      {kGqa8Hd128, DType::kBF16, 16, {{6000, 1}, {77, 1}}, 233, 0.0f, 1.0f, kLongTolerance});
}

// Partitions of several chunks each (the kernel's chunk loop) and partitions whose last chunk is
// partly past the row's position.
TEST(CudaDecodeAttention, LongerPartitions) {
  uint32_t seed = 241;
  for (int min_keys : {128, 256, 1000}) {
    SCOPED_TRACE(min_keys);
    SetDecodeAttentionMinSplitKeys(min_keys);
    CheckDecodeCase({kFalconH1Hd128, DType::kBF16, 16, {{3000, 1}, {129, 1}}, seed++});
    CheckDecodeCase({kGqa8Hd128, DType::kF16, 16, {{2500, 1}, {40, 1}}, seed++});
  }
  SetDecodeAttentionMinSplitKeys(64);
}

// Scores of magnitude ~10-40 (scale 1, |q| up to 3): the running max is rescaled within and across
// chunks and key groups. Tolerance 1e-4, as PeakedSoftmax in attention_test.cc.
TEST(CudaDecodeAttention, PeakedSoftmax) {
  CheckDecodeCase({kNemotronH8B, DType::kBF16, 16, DecodeSeqs(), 251, 1.0f, 3.0f, 1e-4});
  CheckDecodeCase({kGqa8Hd64, DType::kF16, 16, {{4000, 1}}, 252, 1.0f, 3.0f, 1e-4});
}

// Many sequences: a grid of 300 sequences, one of them with no row this step.
TEST(CudaDecodeAttention, ManySequences) {
  std::vector<SeqSpec> seqs;
  for (int s = 0; s < 300; ++s) seqs.push_back({(s * 53) % 900, 1});
  seqs[17].rows = 0;
  CheckDecodeCase({kFalconH1Hd128, DType::kBF16, 16, seqs, 261});
}

// Cache rows no sequence owns (spare blocks, rows past a context in its last block) are never
// read: zeros or NaN there give bit-identical, finite outputs.
TEST(CudaDecodeAttention, UnownedPoisonedRowsAreNotRead) {
  for (DType dtype : {DType::kBF16, DType::kF16}) {
    const CaseSpec spec{kNemotronH8B, dtype, 32, DecodeSeqs(), 271};
    SCOPED_TRACE(Describe(spec));
    PagedCase c(spec);
    ASSERT_TRUE(UseAttentionDecode(c.cache(), c.layout()));
    ExpectUnownedRowsNotRead(c);
  }
}

}  // namespace
}  // namespace hybridserve::kernels::cuda::paged_testing
