// DTypeBytes, ToFloat and FromFloat against host rounding (round to nearest even): exact bits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;

float FromBits(uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

// Random values over many binades plus the cases rounding gets wrong: exact ties (to even, both
// directions), values next to ties, signed zeros, subnormals, large finite values.
std::vector<float> ConversionInputs(size_t n, uint32_t seed) {
  std::vector<float> values = testing::RandomFloats(n, seed, -4.0f, 4.0f);
  std::mt19937 rng(seed + 1);
  std::uniform_int_distribution<int> exponent(-20, 14);
  for (size_t i = 0; i < values.size(); i += 3) values[i] = std::ldexp(values[i], exponent(rng));
  const uint32_t specials[] = {0x3F808000u, 0x3F818000u, 0x3F808001u, 0x3F80FFFFu, 0xBF808000u,
                               0xBF818000u, 0x00000000u, 0x80000000u, 0x00000001u, 0x00400000u,
                               0x3F7FFFFFu, 0x477FEFFFu, 0x477FF000u, 0x38800000u, 0x33800000u,
                               0x3F801000u, 0x3F803000u, 0x3F802000u, 0x7F7F0000u, 0xC2F6E979u};
  for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i) {
    values[i * 7] = FromBits(specials[i]);
  }
  return values;
}

TEST(ConvertTest, DTypeBytes) {
  EXPECT_EQ(DTypeBytes(DType::kF32), 4);
  EXPECT_EQ(DTypeBytes(DType::kBF16), 2);
  EXPECT_EQ(DTypeBytes(DType::kF16), 2);
}

TEST(ConvertTest, FromFloatToBf16RoundsToNearestEven) {
  const size_t n = (size_t{1} << 20) + 37;
  const std::vector<float> values = ConversionInputs(n, 11);
  DeviceBuffer<float> in(values);
  DeviceBuffer<uint16_t> out(n);
  FromFloat(DType::kBF16, in.get(), static_cast<int64_t>(n), out.get(), nullptr);
  const std::vector<uint16_t> got = out.Download();
  const std::vector<uint16_t> want = testing::ToBf16Bits(values);
  size_t mismatches = 0;
  for (size_t i = 0; i < n; ++i) mismatches += got[i] != want[i];
  EXPECT_EQ(mismatches, 0u);
}

TEST(ConvertTest, FromFloatToF16RoundsToNearestEven) {
  const size_t n = (size_t{1} << 20) + 37;
  // fp16 ties and subnormals: halfway between 1 and 1 + 2^-10, below the fp16 subnormal step.
  std::vector<float> values = ConversionInputs(n, 12);
  values[1] = 1.0f + std::ldexp(1.0f, -11);
  values[2] = 1.0f + 3.0f * std::ldexp(1.0f, -11);
  values[4] = std::ldexp(1.0f, -25);
  values[5] = 3.0f * std::ldexp(1.0f, -25);
  values[6] = 65519.0f;  // rounds to 65504
  values[8] = 65520.0f;  // rounds to infinity
  DeviceBuffer<float> in(values);
  DeviceBuffer<uint16_t> out(n);
  FromFloat(DType::kF16, in.get(), static_cast<int64_t>(n), out.get(), nullptr);
  const std::vector<uint16_t> got = out.Download();
  size_t mismatches = 0;
  for (size_t i = 0; i < n; ++i) mismatches += got[i] != testing::F16Bits(values[i]);
  EXPECT_EQ(mismatches, 0u);
}

TEST(ConvertTest, ToFloatWidensExactly) {
  const size_t n = 300 * 4096 + 5;
  std::mt19937 rng(13);
  std::uniform_int_distribution<uint32_t> bits(0, 0xFFFF);
  std::vector<uint16_t> half_bits(n);
  for (uint16_t& b : half_bits) {
    do {
      b = static_cast<uint16_t>(bits(rng));
    } while ((b & 0x7F80u) == 0x7F80u || (b & 0x7C00u) == 0x7C00u);  // finite in both types
  }
  DeviceBuffer<uint16_t> in(half_bits);

  DeviceBuffer<float> out_bf16(n);
  ToFloat(DType::kBF16, in.get(), static_cast<int64_t>(n), out_bf16.get(), nullptr);
  DeviceBuffer<float> out_f16(n);
  ToFloat(DType::kF16, in.get(), static_cast<int64_t>(n), out_f16.get(), nullptr);
  const std::vector<float> got_bf16 = out_bf16.Download();
  const std::vector<float> got_f16 = out_f16.Download();
  size_t mismatches = 0;
  for (size_t i = 0; i < n; ++i) {
    const float want_bf16 = FromBits(static_cast<uint32_t>(half_bits[i]) << 16);
    __half_raw raw;
    raw.x = half_bits[i];
    const float want_f16 = __half2float(__half(raw));
    mismatches += std::memcmp(&got_bf16[i], &want_bf16, 4) != 0;
    mismatches += std::memcmp(&got_f16[i], &want_f16, 4) != 0;
  }
  EXPECT_EQ(mismatches, 0u);
}

TEST(ConvertTest, F32IsACopy) {
  const std::vector<float> values = ConversionInputs(4099, 14);
  DeviceBuffer<float> in(values);
  DeviceBuffer<float> to(values.size());
  DeviceBuffer<float> from(values.size());
  ToFloat(DType::kF32, in.get(), static_cast<int64_t>(values.size()), to.get(), nullptr);
  FromFloat(DType::kF32, in.get(), static_cast<int64_t>(values.size()), from.get(), nullptr);
  EXPECT_TRUE(testing::SameBits(to.Download(), values));
  EXPECT_TRUE(testing::SameBits(from.Download(), values));
}

TEST(ConvertTest, RoundTripThroughBf16MatchesHostRounding) {
  const std::vector<float> values = ConversionInputs(2048 * 7 + 3, 15);
  DeviceBuffer<float> in(values);
  DeviceBuffer<uint16_t> narrow(values.size());
  DeviceBuffer<float> wide(values.size());
  FromFloat(DType::kBF16, in.get(), static_cast<int64_t>(values.size()), narrow.get(), nullptr);
  ToFloat(DType::kBF16, narrow.get(), static_cast<int64_t>(values.size()), wide.get(), nullptr);
  std::vector<float> want(values.size());
  for (size_t i = 0; i < values.size(); ++i) want[i] = testing::RoundToBf16(values[i]);
  EXPECT_TRUE(testing::SameBits(wide.Download(), want));
}

}  // namespace
}  // namespace hybridserve::kernels::cuda
