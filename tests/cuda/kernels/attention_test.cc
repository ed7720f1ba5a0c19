// Why: the CUDA WriteKv and PagedAttention must reproduce cpu::WriteKv and cpu::PagedAttention
// (the specification) on the batches the engine builds: prefill chunks continuing after cached
// tokens, fresh prefills and decode rows of many sequences in one step, over a paged cache whose
// block ids are shuffled and non-contiguous, in fp32, bf16 and fp16 storage.
//
// How: the cases of paged_attention_case.h (device cache written by WriteKv and checked byte for
// byte, CUDA attention with and without split-K scratch against cpu::PagedAttention on the same
// stored K/V). Tolerance: 1e-5 of the output's scale for every storage type. With the reference
// reading the rounded K/V, the only differences are fp32 summation order (dot products, the softmax
// sum, the P.V sum, the online-softmax rescaling and the split merge) and expf's last bits. A host
// emulation of the kernel measured 0.8e-6 to 2.3e-6 on these cases for contexts up to ~1000; the
// long-context and peaked-softmax tests explain their wider bounds where they are defined.
// Batches that are not decode-only over a bf16/fp16 cache with head_dim 64 or 128 take the
// tensor-core kernel (attention_mma.cu), which rounds Q and the softmax probabilities to the
// storage type before its two products (fp32 accumulation and softmax). Its tolerance, relative to
// the output's scale: 1e-2 for bf16 and 2e-3 for fp16. A probability rounded to bf16 moves by up
// to 2^-8 (fp16: 2^-11) of itself, so the output moves by at most that fraction of max |v|, ~the
// output's scale, and by ~2^-8 / sqrt(keys) when many keys share the weight (the rounding errors
// are independent), while the output's own scale shrinks only as ~1 / sqrt(keys). Q's rounding
// moves each score by ~2^-8 |q| |k| / sqrt(3) (rms) times the scale, ~1e-3 at unit-range inputs,
// the same order in each weight. The estimate over these cases is ~2-3e-3 (bf16) and ~4e-4
// (fp16); an H200 measured 1.9e-3 .. 2.5e-3 and 2.4e-4 .. 3.0e-4. A wrong fragment layout, mask
// or rescaling gives errors of order 1. PeakedSoftmax states its own wider bound.
// Decode steps of one row per sequence over a bf16/fp16 cache at head_dim 64 or 128 take the
// register-streaming decode kernel (attention_decode.cu, its own tests in
// attention_decode_test.cc); the same fp32 arithmetic in another order, the same tolerance.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/cuda/ops.h"
#include "tests/cuda/kernels/paged_attention_case.h"

namespace hybridserve::kernels::cuda::paged_testing {
namespace {

// A mixed step: decode rows, a chunk continuing after 100 cached tokens, a fresh 300-token
// prefill, a one-token prefill and a decode row at a block boundary.
std::vector<SeqSpec> MixedSeqs() {
  return {{37, 1}, {100, 57}, {0, 300}, {0, 1}, {511, 1}, {64, 1}, {1000, 20}};
}

constexpr DType kAllTypes[] = {DType::kF32, DType::kBF16, DType::kF16};
constexpr int kAllBlockSizes[] = {16, 32, 64};

TEST(CudaWriteKv, CacheBytesMatchCpuWriteKv) {
  for (DType dtype : kAllTypes) {
    for (int bs : kAllBlockSizes) {
      const CaseSpec spec{kNemotronH8B, dtype, bs, MixedSeqs(), 11};
      SCOPED_TRACE(Describe(spec));
      PagedCase(spec).ExpectCacheBytesMatch();
    }
  }
}

TEST(CudaPagedAttention, MixedBatchNemotronH8BEveryTypeAndBlockSize) {
  for (DType dtype : kAllTypes) {
    for (int bs : kAllBlockSizes) CheckCase({kNemotronH8B, dtype, bs, MixedSeqs(), 21});
  }
}

TEST(CudaPagedAttention, MixedBatchModelShapes) {
  const HeadShape shapes[] = {kFalconH1, kGraniteTiny, kJambaMini, kMha,  kHd96, kHd256Mqa,
                              kHd32,     kHd8,         kHd12,      kHd16, kHd40};
  uint32_t seed = 31;
  for (const HeadShape& shape : shapes) {
    CheckCase({shape, DType::kBF16, 16, MixedSeqs(), seed++});
    CheckCase({shape, DType::kF32, 64, MixedSeqs(), seed++});
  }
  CheckCase({kGraniteTiny, DType::kF16, 32, MixedSeqs(), seed++});
  CheckCase({kHd96, DType::kF16, 32, MixedSeqs(), seed++});
  // A block size that is not a power of two (block index and row by division).
  CheckCase({kFalconH1, DType::kBF16, 24, MixedSeqs(), seed++});
  CheckCase({kNemotronH8B, DType::kF32, 48, {{0, 1}, {47, 1}, {48, 1}, {1000, 1}}, seed++});
}

// Decode-only steps take the narrow (decode) tile; one row per sequence at assorted contexts.
TEST(CudaPagedAttention, DecodeOnly) {
  const std::vector<SeqSpec> seqs = {{0, 1}, {16, 1}, {17, 1}, {300, 1}, {1023, 1}, {2047, 1}};
  const HeadShape shapes[] = {kNemotronH8B, kFalconH1, kGraniteTiny, kMha, kHd96, kHd256Mqa};
  uint32_t seed = 41;
  for (const HeadShape& shape : shapes) {
    for (DType dtype : kAllTypes) CheckCase({shape, dtype, 16, seqs, seed++});
  }
  CheckCase({kNemotronH8B, DType::kBF16, 64, seqs, seed++});
}

// Two and three rows per sequence (speculative-decoding-like): the narrow tile holds two rows of
// a 4-query-head group; three rows fall back to the wide tile, one tile per sequence.
TEST(CudaPagedAttention, FewRowsPerSequence) {
  CheckCase({kNemotronH8B, DType::kBF16, 16, {{5, 2}, {700, 2}, {0, 2}, {129, 1}}, 51});
  CheckCase({kNemotronH8B, DType::kBF16, 32, {{5, 3}, {700, 3}, {0, 3}, {129, 1}}, 52});
  CheckCase({kFalconH1, DType::kF32, 16, {{5, 2}, {700, 2}, {31, 1}}, 53});
}

// Long decode (context 8192): with scratch, the keys are split across CTAs and merged. Tolerance
// 2e-5: here the reference's own sequential fp32 sums over 8192 keys drift by ~sqrt(8192) * 2^-24
// of the partial sums, which measured ~5e-6 of the (small, ~0.02) output scale.
TEST(CudaPagedAttention, LongDecode8192) {
  constexpr double kLongTolerance = 2e-5;
  const std::vector<SeqSpec> seqs = {{8191, 1}, {8000, 1}, {4096, 1}, {1, 1}};
  CheckCase({kNemotronH8B, DType::kBF16, 16, seqs, 61, 0.0f, 1.0f, kLongTolerance});
  CheckCase({kNemotronH8B, DType::kF32, 64, seqs, 62, 0.0f, 1.0f, kLongTolerance});
  CheckCase({kNemotronH8B, DType::kF16, 32, {{8191, 1}}, 63, 0.0f, 1.0f, kLongTolerance});
  CheckCase({kFalconH1, DType::kBF16, 16, {{8191, 1}}, 64, 0.0f, 1.0f, kLongTolerance});
}

// More than 32 sequences with a prefill among them: the tile search spans several warp groups.
TEST(CudaPagedAttention, ManySequencesWithPrefill) {
  std::vector<SeqSpec> seqs;
  for (int s = 0; s < 75; ++s) seqs.push_back({(s * 37) % 600, 1});
  seqs.insert(seqs.begin() + 40, SeqSpec{200, 90});
  seqs.push_back({0, 70});
  CheckCase({kNemotronH8B, DType::kBF16, 16, seqs, 71});
  CheckCase({kGraniteTiny, DType::kF16, 32, seqs, 72});
}

// Peaked softmax (scores of magnitude ~10-40): exercises the running-max rescaling across key
// tiles. Tolerance 1e-4: a score's rounding error (~1e-6 of sum_i |q_i k_i| ~ 100 here, summed in a
// different order on each side) is an absolute error in its exponent, i.e. a relative error of
// ~1e-5 in its weight, and the output follows the few keys that dominate.
TEST(CudaPagedAttention, PeakedSoftmax) {
  CheckCase({kNemotronH8B, DType::kF32, 16, MixedSeqs(), 81, /*scale=*/1.0f, /*q_range=*/3.0f,
             /*tolerance=*/1e-4});
  // Tensor cores (the 40-row chunk), tolerance 5e-2: with |q| up to 3 and scale 1, Q's rounding
  // to bf16 moves each score by ~1e-2 (rms), i.e. each weight by ~1%, and the output follows the
  // few keys that dominate (an H200 measured 1.75e-2).
  CheckCase({kFalconH1, DType::kBF16, 32, {{4000, 1}, {300, 40}}, 82, 1.0f, 3.0f, 1e-4, 5e-2});
}

// The tensor-core prefill path at real shapes: fresh chunks and chunks continuing mid-sequence in
// one batch (with decode rows), chunk lengths that are not multiples of the query tile (16 rows at
// 4 heads per kv head) or the key tile (64), block sizes 16, 32 and 24 (not a power of two).
std::vector<SeqSpec> PrefillSeqs() {
  return {{0, 300}, {100, 57}, {1000, 77}, {37, 1}, {513, 130}, {0, 5}, {63, 66}};
}

TEST(CudaPagedAttention, TensorCorePrefillNemotronH8B) {
  uint32_t seed = 101;
  for (DType dtype : {DType::kBF16, DType::kF16}) {
    for (int bs : {16, 24}) CheckCase({kNemotronH8B, dtype, bs, PrefillSeqs(), seed++});
  }
}

TEST(CudaPagedAttention, TensorCorePrefillHeadDim64AndGroups) {
  uint32_t seed = 111;
  for (DType dtype : {DType::kBF16, DType::kF16}) {
    CheckCase({kFalconH1, dtype, 16, PrefillSeqs(), seed++});     // head_dim 64, 4 heads per kv
    CheckCase({kFalconH1, dtype, 24, PrefillSeqs(), seed++});     // block size not a power of 2
    CheckCase({kMha, dtype, 32, PrefillSeqs(), seed++});          // 1 head per kv: 64 rows a tile
    CheckCase({kGraniteTiny, dtype, 16, PrefillSeqs(), seed++});  // 3 heads per kv: 21 rows
  }
}

// One long fresh chunk and a long continuation: many key tiles, the causal mask inside the CTA's
// last key tiles only.
TEST(CudaPagedAttention, TensorCoreLongChunks) {
  CheckCase({kNemotronH8B, DType::kBF16, 16, {{0, 1500}, {2000, 333}}, 121});
  CheckCase({kFalconH1, DType::kF16, 16, {{0, 1500}, {2000, 333}}, 122});
}

// Cache rows no sequence owns (spare blocks, rows past a context in its last block) are never
// read: zeros or NaN there give bit-identical, finite outputs.
TEST(CudaPagedAttention, UnownedPoisonedRowsAreNotRead) {
  for (DType dtype : kAllTypes) {
    const CaseSpec spec{kNemotronH8B, dtype, 32, MixedSeqs(), 91};
    SCOPED_TRACE(Describe(spec));
    PagedCase c(spec);
    ExpectUnownedRowsNotRead(c);
  }
}

}  // namespace
}  // namespace hybridserve::kernels::cuda::paged_testing
