#include "engine/weights/checkpoint.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/weights/safetensors_writer.h"
#include "engine/weights/tensor_info.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/weights/weights_test_files.h"

namespace hybridserve::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_files::AsBytes;
using testing_files::ScratchDir;
using testing_files::WriteBytes;

// Writes one shard holding F32 tensors named `names`, tensor i filled with `first_value + i`
// and shaped [i + 1].
void WriteShard(const std::string& path, const std::vector<std::string>& names, float first_value) {
  std::vector<std::vector<float>> storage;
  for (size_t i = 0; i < names.size(); ++i) {
    storage.emplace_back(i + 1, first_value + static_cast<float>(i));
  }
  std::vector<TensorToWrite> tensors;
  for (size_t i = 0; i < names.size(); ++i) {
    tensors.push_back({names[i], DType::kF32, {static_cast<int64_t>(i + 1)}, AsBytes(storage[i])});
  }
  const absl::Status status = WriteSafetensors(path, tensors);
  ASSERT_TRUE(status.ok()) << status;
}

void WriteIndex(const ScratchDir& dir, const std::string& weight_map_json) {
  WriteBytes(dir.File("model.safetensors.index.json"),
             R"({"metadata": {"total_size": 0}, "weight_map": )" + weight_map_json + "}");
}

// Two shards plus an index, as a sharded Hugging Face checkpoint lays them out.
void WriteShardedCheckpoint(const ScratchDir& dir) {
  WriteShard(dir.File("model-00001-of-00002.safetensors"), {"model.embed.weight", "model.a"}, 1.0f);
  WriteShard(dir.File("model-00002-of-00002.safetensors"), {"lm_head.weight"}, 10.0f);
  WriteIndex(dir, R"({"model.embed.weight": "model-00001-of-00002.safetensors",
                      "model.a": "model-00001-of-00002.safetensors",
                      "lm_head.weight": "model-00002-of-00002.safetensors"})");
}

void ExpectOpenFails(const ScratchDir& dir, absl::StatusCode code,
                     const std::vector<std::string>& must_mention) {
  const auto checkpoint = Checkpoint::Open(dir.path().string());
  ASSERT_FALSE(checkpoint.ok());
  EXPECT_EQ(checkpoint.status().code(), code) << checkpoint.status();
  const std::string message(checkpoint.status().message());
  for (const std::string& word : must_mention) EXPECT_THAT(message, HasSubstr(word));
}

TEST(CheckpointTest, SingleModelFile) {
  ScratchDir dir;
  WriteShard(dir.File("model.safetensors"), {"b", "a"}, 3.0f);
  WriteShard(dir.File("ignored-other.safetensors"), {"zzz"}, 0.0f);  // model.safetensors wins
  const auto checkpoint = Checkpoint::Open(dir.path().string());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_THAT((*checkpoint)->TensorNames(), ElementsAre("a", "b"));
  EXPECT_EQ((*checkpoint)->FileOf("a"), dir.File("model.safetensors"));
  EXPECT_EQ((*checkpoint)->total_bytes(), 4u * 3);
  const TensorInfo* a = (*checkpoint)->Find("a");
  ASSERT_NE(a, nullptr);
  float values[2];
  ConvertToFloat(*a, 0, 2, values);
  EXPECT_EQ(values[0], 4.0f);
  EXPECT_EQ(values[1], 4.0f);
  EXPECT_EQ((*checkpoint)->Find("zzz"), nullptr);
  EXPECT_EQ((*checkpoint)->FileOf("zzz"), "");
}

TEST(CheckpointTest, OneOtherSafetensorsFile) {
  ScratchDir dir;
  WriteShard(dir.File("weights.safetensors"), {"w"}, 2.0f);
  WriteBytes(dir.File("config.json"), "{}");
  const auto checkpoint = Checkpoint::Open(dir.path().string());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_THAT((*checkpoint)->TensorNames(), ElementsAre("w"));
  EXPECT_EQ((*checkpoint)->FileOf("w"), dir.File("weights.safetensors"));
}

TEST(CheckpointTest, ShardedWithIndex) {
  ScratchDir dir;
  WriteShardedCheckpoint(dir);
  const auto checkpoint = Checkpoint::Open(dir.path().string());
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_THAT((*checkpoint)->TensorNames(),
              ElementsAre("lm_head.weight", "model.a", "model.embed.weight"));
  EXPECT_EQ((*checkpoint)->FileOf("model.a"), dir.File("model-00001-of-00002.safetensors"));
  EXPECT_EQ((*checkpoint)->FileOf("lm_head.weight"), dir.File("model-00002-of-00002.safetensors"));
  // [1] + [2] + [1] floats.
  EXPECT_EQ((*checkpoint)->total_bytes(), 4u * (1 + 2 + 1));
  const TensorInfo* a = (*checkpoint)->Find("model.a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, std::vector<int64_t>{2});
  float values[2];
  ConvertToFloat(*a, 0, 2, values);
  EXPECT_EQ(values[0], 2.0f);
  EXPECT_EQ(values[1], 2.0f);
  ConvertToFloat(*(*checkpoint)->Find("lm_head.weight"), 0, 1, values);
  EXPECT_EQ(values[0], 10.0f);
}

TEST(CheckpointTest, MissingDirectoryIsNotFound) {
  ScratchDir dir;
  const auto checkpoint = Checkpoint::Open(dir.File("absent"));
  EXPECT_EQ(checkpoint.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(checkpoint.status().message()), HasSubstr("absent"));
}

TEST(CheckpointTest, EmptyDirectoryIsNotFound) {
  ScratchDir dir;
  ExpectOpenFails(dir, absl::StatusCode::kNotFound, {dir.path().string()});
}

TEST(CheckpointTest, SeveralFilesWithoutIndex) {
  ScratchDir dir;
  WriteShard(dir.File("a.safetensors"), {"x"}, 0.0f);
  WriteShard(dir.File("b.safetensors"), {"y"}, 0.0f);
  ExpectOpenFails(dir, absl::StatusCode::kInvalidArgument, {"a.safetensors", "b.safetensors"});
}

TEST(CheckpointTest, IndexNamingMissingShard) {
  ScratchDir dir;
  WriteShardedCheckpoint(dir);
  std::filesystem::remove(dir.File("model-00002-of-00002.safetensors"));
  ExpectOpenFails(
      dir, absl::StatusCode::kNotFound,
      {"model-00002-of-00002.safetensors", "\"lm_head.weight\"", "model.safetensors.index.json"});
}

TEST(CheckpointTest, IndexNamingTensorTheShardLacks) {
  ScratchDir dir;
  WriteShardedCheckpoint(dir);
  WriteIndex(dir, R"({"model.embed.weight": "model-00001-of-00002.safetensors",
                      "model.a": "model-00001-of-00002.safetensors",
                      "model.norm.weight": "model-00001-of-00002.safetensors",
                      "lm_head.weight": "model-00002-of-00002.safetensors"})");
  ExpectOpenFails(dir, absl::StatusCode::kInvalidArgument,
                  {"model-00001-of-00002.safetensors", "\"model.norm.weight\""});
}

TEST(CheckpointTest, IndexPlacingTensorInWrongShard) {
  ScratchDir dir;
  WriteShardedCheckpoint(dir);
  WriteIndex(dir, R"({"model.embed.weight": "model-00001-of-00002.safetensors",
                      "model.a": "model-00002-of-00002.safetensors",
                      "lm_head.weight": "model-00002-of-00002.safetensors"})");
  ExpectOpenFails(dir, absl::StatusCode::kInvalidArgument,
                  {"model-00002-of-00002.safetensors", "\"model.a\""});
}

TEST(CheckpointTest, TensorInTwoShards) {
  ScratchDir dir;
  WriteShard(dir.File("model-00001-of-00002.safetensors"), {"model.embed.weight", "model.a"}, 1.0f);
  WriteShard(dir.File("model-00002-of-00002.safetensors"), {"lm_head.weight", "model.a"}, 10.0f);
  WriteIndex(dir, R"({"model.embed.weight": "model-00001-of-00002.safetensors",
                      "model.a": "model-00001-of-00002.safetensors",
                      "lm_head.weight": "model-00002-of-00002.safetensors"})");
  ExpectOpenFails(
      dir, absl::StatusCode::kInvalidArgument,
      {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "\"model.a\""});
}

TEST(CheckpointTest, CorruptShardReportsShardAndTensor) {
  ScratchDir dir;
  WriteShardedCheckpoint(dir);
  const std::string shard = dir.File("model-00002-of-00002.safetensors");
  const std::string bytes = testing_files::ReadBytes(shard);
  WriteBytes(shard, bytes.substr(0, bytes.size() - 1));
  ExpectOpenFails(dir, absl::StatusCode::kDataLoss,
                  {"model-00002-of-00002.safetensors", "\"lm_head.weight\""});
}

TEST(CheckpointTest, MalformedIndex) {
  ScratchDir dir;
  WriteShardedCheckpoint(dir);
  WriteBytes(dir.File("model.safetensors.index.json"), "{\"weight_map\": ");
  ExpectOpenFails(dir, absl::StatusCode::kInvalidArgument, {"model.safetensors.index.json"});
  WriteBytes(dir.File("model.safetensors.index.json"), R"({"weight_map": {"x": 3}})");
  ExpectOpenFails(dir, absl::StatusCode::kInvalidArgument,
                  {"model.safetensors.index.json", "\"x\""});
  WriteBytes(dir.File("model.safetensors.index.json"), R"({"metadata": {}})");
  ExpectOpenFails(dir, absl::StatusCode::kInvalidArgument, {"weight_map"});
}

TEST(CheckpointTest, IndexShardOutsideDirectoryIsRejected) {
  ScratchDir dir;
  WriteShardedCheckpoint(dir);
  WriteIndex(dir, R"({"model.a": "../model-00001-of-00002.safetensors"})");
  ExpectOpenFails(dir, absl::StatusCode::kInvalidArgument, {"\"model.a\""});
}

}  // namespace
}  // namespace hybridserve::engine
