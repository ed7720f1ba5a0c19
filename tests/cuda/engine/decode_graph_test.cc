// Decode steps replayed as CUDA graphs (CudaModel::set_decode_graphs) give bit for bit the logits
// of the same steps launched kernel by kernel, for every family of tests/golden/data: three
// sequences of different lengths prefilled, then decoded together for 40 steps with 4-token KV
// blocks, so the block tables outgrow their padded width several times (new graphs) and the
// sequences finish their blocks at different steps. Families without MoE layers must actually
// have replayed graphs; MoE families (routing waits on the host) must not have.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/cuda/cuda_model.h"
#include "engine/model/greedy_run.h"
#include "gtest/gtest.h"
#include "tests/cuda/engine/golden_families.h"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;
const fs::path kData = testing::GoldenData();

constexpr int64_t kBlock = 4;
constexpr int kSeqs = 3;
constexpr int kSteps = 40;

// Prefill then greedy decode of kSeqs sequences together; every step's logits, concatenated.
std::vector<float> RunSteps(CudaModel& model) {
  const int64_t blocks_per_seq = 32;
  auto cache = model.CreateCache(kSeqs * blocks_per_seq, kBlock, kSeqs);
  EXPECT_TRUE(cache.ok()) << cache.status();
  std::vector<std::vector<int32_t>> tokens = {{5, 17, 33}, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {42}};
  std::vector<std::vector<int32_t>> tables(kSeqs);
  for (int s = 0; s < kSeqs; ++s) {
    for (int64_t b = 0; b < blocks_per_seq; ++b) tables[s].push_back(s * blocks_per_seq + b);
  }
  std::vector<float> all;
  std::vector<int64_t> length(kSeqs);
  {
    std::vector<SequenceChunk> chunks(kSeqs);
    for (int s = 0; s < kSeqs; ++s) {
      chunks[s].tokens = tokens[s];
      chunks[s].block_table =
          absl::MakeConstSpan(tables[s]).subspan(0, (tokens[s].size() + kBlock - 1) / kBlock);
      chunks[s].ssm_slot = s;
      length[s] = static_cast<int64_t>(tokens[s].size());
    }
    std::vector<float> logits;
    EXPECT_TRUE(model.Forward(chunks, cache->get(), &logits).ok());
    all.insert(all.end(), logits.begin(), logits.end());
    const int64_t V = model.spec().vocab_size;
    for (int s = 0; s < kSeqs; ++s) {
      tokens[s] = {ArgMax(absl::MakeConstSpan(logits).subspan(s * V, V))};
    }
  }
  for (int step = 0; step < kSteps; ++step) {
    std::vector<SequenceChunk> chunks(kSeqs);
    for (int s = 0; s < kSeqs; ++s) {
      chunks[s].tokens = tokens[s];
      chunks[s].start_position = length[s];
      chunks[s].block_table =
          absl::MakeConstSpan(tables[s]).subspan(0, (length[s] + 1 + kBlock - 1) / kBlock);
      chunks[s].ssm_slot = s;
      chunks[s].decode = true;
    }
    std::vector<float> logits;
    const absl::Status status = model.Forward(chunks, cache->get(), &logits);
    EXPECT_TRUE(status.ok()) << status;
    if (!status.ok()) break;
    all.insert(all.end(), logits.begin(), logits.end());
    const int64_t V = model.spec().vocab_size;
    for (int s = 0; s < kSeqs; ++s) {
      tokens[s] = {ArgMax(absl::MakeConstSpan(logits).subspan(s * V, V))};
      ++length[s];
    }
  }
  return all;
}

class DecodeGraphTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DecodeGraphTest, GraphsGiveTheLogitsOfPlainLaunches) {
  const fs::path dir = kData / GetParam();
  for (CudaDType dtype : {CudaDType::kF32, CudaDType::kBF16}) {
    auto plain = CudaModel::Load(dir.string(), {.dtype = dtype});
    ASSERT_TRUE(plain.ok()) << plain.status();
    (*plain)->set_decode_graphs(false);
    auto graphed = CudaModel::Load(dir.string(), {.dtype = dtype});
    ASSERT_TRUE(graphed.ok()) << graphed.status();
    const std::vector<float> want = RunSteps(**plain);
    const std::vector<float> got = RunSteps(**graphed);
    ASSERT_EQ(got.size(), want.size());
    size_t differ = 0;
    for (size_t i = 0; i < want.size(); ++i) differ += got[i] != want[i];
    EXPECT_EQ(differ, 0u) << "of " << want.size() << " logits";
    EXPECT_EQ((*plain)->graph_launches(), 0);
    bool moe = false;
    for (const LayerSpec& layer : (*graphed)->spec().layers) moe |= layer.moe.has_value();
    if (moe) {
      EXPECT_EQ((*graphed)->graph_launches(), 0);
    } else {
      EXPECT_GT((*graphed)->graph_launches(), kSteps / 2);
    }
    std::printf("%s: %lld of %d decode steps replayed as graphs\n", GetParam().c_str(),
                static_cast<long long>((*graphed)->graph_launches()), kSteps);
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, DecodeGraphTest, ::testing::ValuesIn(testing::GoldenFamilies()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hybridserve::engine
