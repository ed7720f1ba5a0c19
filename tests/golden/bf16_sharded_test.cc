// A BF16 checkpoint and a sharded checkpoint must give the logits of their F32 single-file twin:
//  - transformers' own bf16 sharded save of the bamba reference model (tests/golden/data/
//    bamba_bf16_sharded) gives exactly the logits of the f32 model with its weights rounded to
//    bf16 (written here as a single F32 file), and stays within bf16 rounding of the f32 logits;
//  - the f32 model re-written as three shards with an index gives bit-identical logits.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/model/cpu_model.h"
#include "engine/model/greedy_run.h"
#include "engine/weights/checkpoint.h"
#include "engine/weights/dtype.h"
#include "engine/weights/safetensors_writer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(HS_TEST_DATA_DIR) / "golden" / "data";
const std::vector<int32_t> kPrompt = {3, 14, 15, 92, 65, 35, 89, 79, 32, 38, 46};

struct LoadedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

std::vector<LoadedTensor> ReadAllAsFloat(const fs::path& dir) {
  auto checkpoint = Checkpoint::Open(dir.string());
  EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
  std::vector<LoadedTensor> out;
  if (!checkpoint.ok()) return out;
  for (const std::string& name : (*checkpoint)->TensorNames()) {
    const TensorInfo* info = (*checkpoint)->Find(name);
    LoadedTensor t{name, info->shape, std::vector<float>(info->num_elements())};
    ConvertToFloat(*info, 0, info->num_elements(), t.values.data());
    out.push_back(std::move(t));
  }
  return out;
}

// Writes tensors as F32 into num_shards files (+ index when num_shards > 1) with config.json.
void WriteF32(const std::vector<LoadedTensor>& tensors, const fs::path& dir, int num_shards) {
  fs::create_directories(dir);
  fs::copy_file(kData / "bamba" / "config.json", dir / "config.json",
                fs::copy_options::overwrite_existing);
  nlohmann::json index = {{"metadata", nlohmann::json::object()},
                          {"weight_map", nlohmann::json::object()}};
  for (int s = 0; s < num_shards; ++s) {
    const std::string file = num_shards == 1 ? "model.safetensors"
                                             : "model-0000" + std::to_string(s + 1) + "-of-0000" +
                                                   std::to_string(num_shards) + ".safetensors";
    std::vector<TensorToWrite> part;
    for (size_t i = s; i < tensors.size(); i += num_shards) {
      const auto* bytes = reinterpret_cast<const std::byte*>(tensors[i].values.data());
      part.push_back({tensors[i].name,
                      DType::kF32,
                      tensors[i].shape,
                      {bytes, tensors[i].values.size() * sizeof(float)}});
      index["weight_map"][tensors[i].name] = file;
    }
    ASSERT_TRUE(WriteSafetensors((dir / file).string(), part).ok());
  }
  if (num_shards > 1) std::ofstream(dir / "model.safetensors.index.json") << index.dump();
}

std::vector<std::vector<float>> PromptLogits(const fs::path& dir) {
  auto model = CpuModel::Load(dir.string());
  EXPECT_TRUE(model.ok()) << dir << ": " << model.status();
  if (!model.ok()) return {};
  auto result = RunGreedy(**model, kPrompt, 3);
  EXPECT_TRUE(result.ok()) << result.status();
  auto rows = result->prompt_logits;
  rows.insert(rows.end(), result->step_logits.begin(), result->step_logits.end());
  return rows;
}

double MaxRelativeRowError(const std::vector<std::vector<float>>& a,
                           const std::vector<std::vector<float>>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (size_t r = 0; r < std::min(a.size(), b.size()); ++r) {
    double scale = 1.0, diff = 0.0;
    for (size_t i = 0; i < a[r].size(); ++i) {
      scale = std::max(scale, std::abs(static_cast<double>(b[r][i])));
      diff = std::max(diff, std::abs(static_cast<double>(a[r][i]) - b[r][i]));
    }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

TEST(Bf16ShardedCheckpoint, TransformersBf16ShardsEqualRoundedF32Twin) {
  const fs::path bf16_dir = kData / "bamba_bf16_sharded";
  ASSERT_TRUE(fs::exists(bf16_dir / "model.safetensors.index.json"));
  std::vector<LoadedTensor> tensors = ReadAllAsFloat(kData / "bamba");
  ASSERT_FALSE(tensors.empty());
  for (LoadedTensor& t : tensors) {
    for (float& v : t.values) v = Bf16ToFloat(FloatToBf16(v));
  }
  const fs::path rounded = fs::path(testing::TempDir()) / "bamba_rounded_f32";
  WriteF32(tensors, rounded, 1);

  const auto bf16_logits = PromptLogits(bf16_dir);
  EXPECT_LE(MaxRelativeRowError(bf16_logits, PromptLogits(rounded)), 1e-6);
  // And within bf16 rounding of the f32 model's logits.
  EXPECT_LE(MaxRelativeRowError(bf16_logits, PromptLogits(kData / "bamba")), 3e-2);
}

TEST(Bf16ShardedCheckpoint, ShardedF32EqualsSingleFile) {
  const std::vector<LoadedTensor> tensors = ReadAllAsFloat(kData / "bamba");
  ASSERT_FALSE(tensors.empty());
  const fs::path sharded = fs::path(testing::TempDir()) / "bamba_sharded_f32";
  WriteF32(tensors, sharded, 3);
  ASSERT_TRUE(fs::exists(sharded / "model.safetensors.index.json"));
  EXPECT_EQ(MaxRelativeRowError(PromptLogits(sharded), PromptLogits(kData / "bamba")), 0.0);
}

}  // namespace
}  // namespace hybridserve::engine
