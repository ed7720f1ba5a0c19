// Several sequences in one step (prefill chunks and decode steps mixed) give the logits each
// sequence gets when run alone, for every family of the reference data.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "engine/model/cpu_model.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(HS_TEST_DATA_DIR) / "golden" / "data";

std::vector<std::string> Cases() {
  std::vector<std::string> names;
  if (!fs::exists(kData)) return names;
  for (const auto& entry : fs::directory_iterator(kData)) {
    if (fs::exists(entry.path() / "reference.json")) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<int32_t> Prompt(int64_t length, int64_t vocab, int seed) {
  std::vector<int32_t> out(static_cast<size_t>(length));
  for (int64_t i = 0; i < length; ++i)
    out[i] = static_cast<int32_t>((i * 31 + seed * 17 + 3) % vocab);
  return out;
}

double RelativeError(const float* a, const float* b, int64_t n) {
  double scale = 1.0, diff = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    scale = std::max(scale, std::abs(static_cast<double>(b[i])));
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
  }
  return diff / scale;
}

class BatchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BatchTest, MixedBatchEqualsAlone) {
  auto loaded = CpuModel::Load((kData / GetParam()).string());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  CpuModel& model = **loaded;
  const int64_t V = model.spec().vocab_size;
  constexpr int kSeqs = 3;
  constexpr int64_t kBlock = 4, kBlocksPerSeq = 8;
  const std::vector<int64_t> lengths = {5, 11, 1};

  // Alone: each sequence prefilled, then one decode step; remember the decode logits.
  std::vector<std::vector<float>> alone(kSeqs);
  std::vector<std::vector<int32_t>> prompts, tables;
  for (int s = 0; s < kSeqs; ++s) {
    prompts.push_back(Prompt(lengths[s], V, s));
    std::vector<int32_t> table(kBlocksPerSeq);
    std::iota(table.begin(), table.end(), static_cast<int32_t>(s * kBlocksPerSeq));
    std::reverse(table.begin(), table.end());
    tables.push_back(table);
  }
  for (int s = 0; s < kSeqs; ++s) {
    CacheStore cache(model.spec(), kSeqs * kBlocksPerSeq, kBlock, kSeqs);
    std::vector<float> logits;
    SequenceChunk prefill{prompts[s], 0, tables[s], s, false};
    ASSERT_TRUE(model.Forward({&prefill, 1}, &cache, &logits).ok());
    const int32_t next = 7;
    SequenceChunk decode{absl::MakeConstSpan(&next, 1), lengths[s], tables[s], s, false, true};
    logits.clear();
    ASSERT_TRUE(model.Forward({&decode, 1}, &cache, &logits).ok());
    alone[s] = logits;
  }

  // Together: step 1 prefills sequences 0 and 1 (1 in two chunks: first part now); step 2
  // decodes 0, continues 1's prefill, prefills 2; step 3 decodes 1 and 2.
  CacheStore cache(model.spec(), kSeqs * kBlocksPerSeq, kBlock, kSeqs);
  std::vector<float> logits;
  const int32_t next = 7;
  auto p1 = absl::MakeConstSpan(prompts[1]);
  std::vector<SequenceChunk> step1 = {{prompts[0], 0, tables[0], 0, false},
                                      {p1.subspan(0, 6), 0, tables[1], 1, false}};
  ASSERT_TRUE(model.Forward(step1, &cache, &logits).ok());
  logits.clear();
  std::vector<SequenceChunk> step2 = {
      {absl::MakeConstSpan(&next, 1), lengths[0], tables[0], 0, false, true},
      {p1.subspan(6), 6, tables[1], 1, false},
      {prompts[2], 0, tables[2], 2, false}};
  ASSERT_TRUE(model.Forward(step2, &cache, &logits).ok());
  EXPECT_LE(RelativeError(logits.data(), alone[0].data(), V), 1e-5) << "sequence 0";
  logits.clear();
  std::vector<SequenceChunk> step3 = {
      {absl::MakeConstSpan(&next, 1), lengths[1], tables[1], 1, false, true},
      {absl::MakeConstSpan(&next, 1), lengths[2], tables[2], 2, false, true}};
  ASSERT_TRUE(model.Forward(step3, &cache, &logits).ok());
  EXPECT_LE(RelativeError(logits.data(), alone[1].data(), V), 1e-5) << "sequence 1";
  EXPECT_LE(RelativeError(logits.data() + V, alone[2].data(), V), 1e-5) << "sequence 2";
}

INSTANTIATE_TEST_SUITE_P(Golden, BatchTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hybridserve::engine
