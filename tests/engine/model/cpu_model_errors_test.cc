// Loading a broken checkpoint or running bad input gives a clear error, never a crash.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/model/cpu_model.h"
#include "engine/weights/checkpoint.h"
#include "engine/weights/safetensors_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kMamba2 = fs::path(HS_TEST_DATA_DIR) / "golden" / "data" / "mamba2";

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<std::byte> bytes;
  DType dtype;
};

std::vector<Tensor> ReadTensors(const fs::path& dir) {
  auto checkpoint = Checkpoint::Open(dir.string());
  EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
  std::vector<Tensor> out;
  for (const std::string& name : (*checkpoint)->TensorNames()) {
    const TensorInfo* info = (*checkpoint)->Find(name);
    out.push_back({name, info->shape,
                   std::vector<std::byte>(info->data, info->data + info->num_bytes), info->dtype});
  }
  return out;
}

fs::path WriteCheckpoint(const std::string& name, const std::vector<Tensor>& tensors) {
  const fs::path dir = fs::path(testing::TempDir()) / name;
  fs::create_directories(dir);
  fs::copy_file(kMamba2 / "config.json", dir / "config.json", fs::copy_options::overwrite_existing);
  std::vector<TensorToWrite> out;
  for (const Tensor& t : tensors) out.push_back({t.name, t.dtype, t.shape, t.bytes});
  EXPECT_TRUE(WriteSafetensors((dir / "model.safetensors").string(), out).ok());
  return dir;
}

TEST(CpuModelErrors, MissingTensorIsNamed) {
  std::vector<Tensor> tensors = ReadTensors(kMamba2);
  ASSERT_FALSE(tensors.empty());
  std::string removed;
  for (auto it = tensors.begin(); it != tensors.end(); ++it) {
    if (it->name.find("A_log") != std::string::npos) {
      removed = it->name;
      tensors.erase(it);
      break;
    }
  }
  ASSERT_FALSE(removed.empty());
  auto model = CpuModel::Load(WriteCheckpoint("missing_tensor", tensors).string());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(model.status().message(), HasSubstr(removed));
}

TEST(CpuModelErrors, WrongShapeIsNamed) {
  std::vector<Tensor> tensors = ReadTensors(kMamba2);
  std::string changed;
  for (Tensor& t : tensors) {
    if (t.name.find("out_proj.weight") != std::string::npos && t.shape.size() == 2) {
      std::swap(t.shape[0], t.shape[1]);  // same bytes, transposed shape
      changed = t.name;
      break;
    }
  }
  ASSERT_FALSE(changed.empty());
  auto model = CpuModel::Load(WriteCheckpoint("wrong_shape", tensors).string());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr(changed));
  EXPECT_THAT(model.status().message(), HasSubstr("shape"));
}

TEST(CpuModelErrors, MissingConfig) {
  const fs::path dir = fs::path(testing::TempDir()) / "no_config";
  fs::create_directories(dir);
  auto model = CpuModel::Load(dir.string());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(model.status().message(), HasSubstr("config.json"));
}

TEST(CpuModelErrors, BadConfigJson) {
  const fs::path dir = WriteCheckpoint("bad_config", ReadTensors(kMamba2));
  std::ofstream(dir / "config.json") << "{\"architectures\": [\"Mamba2ForCausalLM\",";
  auto model = CpuModel::Load(dir.string());
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("config.json"));
}

TEST(CpuModelErrors, BadForwardInput) {
  auto model = CpuModel::Load(kMamba2.string());
  ASSERT_TRUE(model.ok()) << model.status();
  CacheStore cache((*model)->spec(), 4, 16, 1);
  std::vector<float> logits;
  const std::vector<int32_t> out_of_vocab = {1, static_cast<int32_t>((*model)->spec().vocab_size)};
  SequenceChunk chunk{out_of_vocab, 0, {}, 0, false};
  absl::Status status = (*model)->Forward({&chunk, 1}, &cache, &logits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("vocabulary"));

  const std::vector<int32_t> tokens = {1, 2};
  SequenceChunk bad_slot{tokens, 0, {}, 5, false};
  status = (*model)->Forward({&bad_slot, 1}, &cache, &logits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("slot"));
  EXPECT_TRUE(logits.empty());
}

}  // namespace
}  // namespace hybridserve::engine
