#include "engine/weights/safetensors_writer.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/engine/weights/weights_test_files.h"

namespace hybridserve::engine {
namespace {

using ::testing::HasSubstr;
using testing_files::AsBytes;
using testing_files::ReadBytes;
using testing_files::ScratchDir;

TEST(SafetensorsWriterTest, WritesSpecLayout) {
  ScratchDir dir;
  const std::string path = dir.File("out.safetensors");
  const std::vector<float> a = {1.0f, 2.0f, 3.0f};
  const std::vector<uint16_t> b = {0x3c00, 0xc100};
  const std::vector<TensorToWrite> tensors = {
      {"a", DType::kF32, {3}, AsBytes(a)},
      {"b", DType::kF16, {1, 2}, AsBytes(b)},
  };
  ASSERT_TRUE(WriteSafetensors(path, tensors, {{"format", "pt"}}).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  const std::string bytes = ReadBytes(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | uint8_t(bytes[i]);
  EXPECT_EQ(header_bytes % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + header_bytes + 12 + 4);
  const std::string header_text = bytes.substr(8, header_bytes);
  EXPECT_EQ(header_text.find_first_of('\0'), std::string::npos);
  // Only spaces follow the closing brace.
  const size_t close = header_text.rfind('}');
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(header_text.find_first_not_of(' ', close + 1), std::string::npos);

  const nlohmann::json header = nlohmann::json::parse(header_text);
  EXPECT_EQ(header["a"]["dtype"], "F32");
  EXPECT_EQ(header["a"]["shape"], nlohmann::json::array({3}));
  EXPECT_EQ(header["a"]["data_offsets"], nlohmann::json::array({0, 12}));
  EXPECT_EQ(header["b"]["dtype"], "F16");
  EXPECT_EQ(header["b"]["shape"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(header["b"]["data_offsets"], nlohmann::json::array({12, 16}));
  EXPECT_EQ(header["__metadata__"]["format"], "pt");

  const std::string data = bytes.substr(8 + header_bytes);
  EXPECT_EQ(std::memcmp(data.data(), a.data(), 12), 0);
  EXPECT_EQ(std::memcmp(data.data() + 12, b.data(), 4), 0);
}

TEST(SafetensorsWriterTest, ReplacesAnExistingFile) {
  ScratchDir dir;
  const std::string path = dir.File("out.safetensors");
  testing_files::WriteBytes(path, "old contents");
  const std::vector<float> a = {4.0f};
  const std::vector<TensorToWrite> tensors = {{"a", DType::kF32, {}, AsBytes(a)}};
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
  EXPECT_NE(ReadBytes(path), "old contents");
  EXPECT_EQ(ReadBytes(path).size() % 8, 4u);  // 8 + padded header + 4 data bytes
}

TEST(SafetensorsWriterTest, RejectsDataSizeMismatch) {
  ScratchDir dir;
  const std::string path = dir.File("bad.safetensors");
  const std::vector<float> a = {1.0f, 2.0f};
  const std::vector<TensorToWrite> tensors = {{"weight", DType::kF32, {3}, AsBytes(a)}};
  const absl::Status status = WriteSafetensors(path, tensors);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("weight"));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(SafetensorsWriterTest, RejectsDuplicateAndReservedNames) {
  ScratchDir dir;
  const std::vector<float> a = {1.0f};
  const std::vector<TensorToWrite> duplicate = {{"x", DType::kF32, {1}, AsBytes(a)},
                                                {"x", DType::kF32, {1}, AsBytes(a)}};
  EXPECT_EQ(WriteSafetensors(dir.File("d.safetensors"), duplicate).code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<TensorToWrite> reserved = {{"__metadata__", DType::kF32, {1}, AsBytes(a)}};
  EXPECT_EQ(WriteSafetensors(dir.File("r.safetensors"), reserved).code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<TensorToWrite> negative = {{"n", DType::kF32, {-1}, {}}};
  EXPECT_EQ(WriteSafetensors(dir.File("n.safetensors"), negative).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SafetensorsWriterTest, UnwritableDirectoryFails) {
  ScratchDir dir;
  const std::vector<float> a = {1.0f};
  const std::vector<TensorToWrite> tensors = {{"a", DType::kF32, {1}, AsBytes(a)}};
  const absl::Status status = WriteSafetensors(dir.File("missing/sub/out.safetensors"), tensors);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("out.safetensors.tmp"));
}

}  // namespace
}  // namespace hybridserve::engine
