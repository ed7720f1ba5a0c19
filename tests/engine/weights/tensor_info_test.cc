#include "engine/weights/tensor_info.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

using ::testing::ElementsAre;

// Copies the little-endian encoding of `words` into `buffer` starting at byte 1, so the
// tensor data is deliberately misaligned.
template <typename Word>
TensorInfo MisalignedTensor(DType dtype, const std::vector<Word>& words,
                            std::vector<std::byte>* buffer) {
  buffer->assign(1 + words.size() * sizeof(Word), std::byte{0});
  std::memcpy(buffer->data() + 1, words.data(), words.size() * sizeof(Word));
  return TensorInfo{.name = "t",
                    .dtype = dtype,
                    .shape = {2, static_cast<int64_t>(words.size()) / 2},
                    .data = buffer->data() + 1,
                    .num_bytes = words.size() * sizeof(Word)};
}

TEST(TensorInfoTest, NumElements) {
  TensorInfo info;
  EXPECT_EQ(info.num_elements(), 1);  // scalar
  info.shape = {0};
  EXPECT_EQ(info.num_elements(), 0);
  info.shape = {3, 1, 4};
  EXPECT_EQ(info.num_elements(), 12);
}

TEST(ConvertToFloatTest, F32SubRange) {
  const std::vector<float> values = {1.0f, -2.5f, 0.125f, 3e10f, -0.0f, 7.0f};
  std::vector<std::byte> buffer;
  const TensorInfo info = MisalignedTensor(DType::kF32, values, &buffer);
  std::vector<float> out(3, 99.0f);
  ConvertToFloat(info, 2, 3, out.data());
  EXPECT_THAT(out, ElementsAre(0.125f, 3e10f, -0.0f));
  ConvertToFloat(info, 5, 1, out.data());
  EXPECT_EQ(out[0], 7.0f);
}

TEST(ConvertToFloatTest, Bf16SubRange) {
  // bf16 is the top half of an fp32: these exactly representable values encode by truncation.
  const std::vector<float> values = {1.0f, -2.5f, 0.5f, 1024.0f, -3.0f, 0.0078125f};
  std::vector<uint16_t> words;
  for (float value : values) {
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof(bits));
    words.push_back(static_cast<uint16_t>(bits >> 16));
  }
  std::vector<std::byte> buffer;
  const TensorInfo info = MisalignedTensor(DType::kBF16, words, &buffer);
  std::vector<float> out(4, 99.0f);
  ConvertToFloat(info, 1, 4, out.data());
  EXPECT_THAT(out, ElementsAre(-2.5f, 0.5f, 1024.0f, -3.0f));
  ConvertToFloat(info, 0, 6, std::vector<float>(6).data());  // the whole tensor is allowed
}

TEST(ConvertToFloatTest, F16SubRange) {
  // Bit patterns from the IEEE 754 binary16 definition.
  const std::vector<uint16_t> words = {0x3c00, 0xc100, 0x3800, 0x6400, 0x0001, 0xfc00};
  std::vector<std::byte> buffer;
  const TensorInfo info = MisalignedTensor(DType::kF16, words, &buffer);
  std::vector<float> out(3, 99.0f);
  ConvertToFloat(info, 3, 3, out.data());
  EXPECT_EQ(out[0], 1024.0f);
  EXPECT_EQ(out[1], std::ldexp(1.0f, -24));
  EXPECT_EQ(out[2], -INFINITY);
  ConvertToFloat(info, 0, 2, out.data());
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.5f);
}

TEST(ConvertToFloatTest, EmptyRangeWritesNothing) {
  TensorInfo info;
  info.dtype = DType::kF16;
  info.shape = {0};
  float sentinel = 5.0f;
  ConvertToFloat(info, 0, 0, &sentinel);
  EXPECT_EQ(sentinel, 5.0f);
}

TEST(ConvertToFloatDeathTest, RangePastEndIsAProgrammerError) {
  const std::vector<uint16_t> words = {0x3c00, 0x3c00};
  std::vector<std::byte> buffer;
  const TensorInfo info = MisalignedTensor(DType::kF16, words, &buffer);
  std::vector<float> out(4);
  EXPECT_DEATH(ConvertToFloat(info, 1, 2, out.data()), "check failed");
}

}  // namespace
}  // namespace hybridserve::engine
