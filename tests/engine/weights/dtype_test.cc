#include "engine/weights/dtype.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

using ::testing::HasSubstr;

float FromBits(uint32_t bits) { return std::bit_cast<float>(bits); }
uint32_t ToBits(float value) { return std::bit_cast<uint32_t>(value); }

TEST(DTypeTest, ParsesSupportedNames) {
  EXPECT_EQ(ParseDType("F32").value(), DType::kF32);
  EXPECT_EQ(ParseDType("BF16").value(), DType::kBF16);
  EXPECT_EQ(ParseDType("F16").value(), DType::kF16);
  for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
    EXPECT_EQ(ParseDType(DTypeName(dtype)).value(), dtype);
  }
}

TEST(DTypeTest, RejectsUnsupportedNameListingSupportedOnes) {
  for (const char* name : {"I8", "F64", "f32", "", "F8_E4M3"}) {
    const absl::StatusOr<DType> dtype = ParseDType(name);
    ASSERT_FALSE(dtype.ok()) << name;
    EXPECT_EQ(dtype.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(dtype.status().message()), HasSubstr(std::string("\"") + name + "\""));
    EXPECT_THAT(std::string(dtype.status().message()), HasSubstr("F32"));
    EXPECT_THAT(std::string(dtype.status().message()), HasSubstr("BF16"));
    EXPECT_THAT(std::string(dtype.status().message()), HasSubstr("F16"));
  }
}

TEST(DTypeTest, Sizes) {
  EXPECT_EQ(DTypeSize(DType::kF32), 4);
  EXPECT_EQ(DTypeSize(DType::kBF16), 2);
  EXPECT_EQ(DTypeSize(DType::kF16), 2);
}

TEST(Bf16Test, KnownBitPatternsToFloat) {
  EXPECT_EQ(Bf16ToFloat(0x3f80), 1.0f);
  EXPECT_EQ(Bf16ToFloat(0xc020), -2.5f);
  EXPECT_EQ(Bf16ToFloat(0x0001), std::ldexp(1.0f, -133));  // smallest subnormal
  EXPECT_EQ(Bf16ToFloat(0x0080), std::ldexp(1.0f, -126));  // smallest normal
  EXPECT_EQ(Bf16ToFloat(0x7f80), std::numeric_limits<float>::infinity());
  EXPECT_EQ(Bf16ToFloat(0xff80), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(Bf16ToFloat(0x7fc0)));
  EXPECT_TRUE(std::isnan(Bf16ToFloat(0xffc1)));
  EXPECT_EQ(ToBits(Bf16ToFloat(0x8000)), 0x80000000u);  // -0
}

TEST(Bf16Test, KnownFloatsToBits) {
  EXPECT_EQ(FloatToBf16(1.0f), 0x3f80);
  EXPECT_EQ(FloatToBf16(-2.5f), 0xc020);
  EXPECT_EQ(FloatToBf16(std::ldexp(1.0f, -133)), 0x0001);
  EXPECT_EQ(FloatToBf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(FloatToBf16(-std::numeric_limits<float>::infinity()), 0xff80);
  EXPECT_EQ(FloatToBf16(-0.0f), 0x8000);
  // The largest float lies past bf16's largest finite value's rounding midpoint: inf.
  EXPECT_EQ(FloatToBf16(std::numeric_limits<float>::max()), 0x7f80);
}

TEST(Bf16Test, RoundsToNearestTiesToEven) {
  // 1 + 2^-8 is exactly between 0x3f80 (even) and 0x3f81: ties go to 0x3f80.
  EXPECT_EQ(FloatToBf16(FromBits(0x3f808000)), 0x3f80);
  // Between 0x3f81 (odd) and 0x3f82: ties go to 0x3f82.
  EXPECT_EQ(FloatToBf16(FromBits(0x3f818000)), 0x3f82);
  // Just above / below the midpoint.
  EXPECT_EQ(FloatToBf16(FromBits(0x3f808001)), 0x3f81);
  EXPECT_EQ(FloatToBf16(FromBits(0x3f807fff)), 0x3f80);
  // Negative values round the same way on the magnitude.
  EXPECT_EQ(FloatToBf16(FromBits(0xbf818000)), 0xbf82);
  // A mantissa carry moves into the exponent: just below 2.0 rounds to exactly 2.0.
  EXPECT_EQ(FloatToBf16(FromBits(0x3fffffff)), 0x4000);
}

TEST(Bf16Test, NanStaysNan) {
  EXPECT_TRUE(std::isnan(Bf16ToFloat(FloatToBf16(std::numeric_limits<float>::quiet_NaN()))));
  // Payload only in the low 16 bits: plain truncation would give inf.
  const uint16_t low_payload = FloatToBf16(FromBits(0x7f800001));
  EXPECT_TRUE(std::isnan(Bf16ToFloat(low_payload)));
  EXPECT_EQ(low_payload & 0x8000, 0);
  const uint16_t negative = FloatToBf16(FromBits(0xff800001));
  EXPECT_TRUE(std::isnan(Bf16ToFloat(negative)));
  EXPECT_EQ(negative & 0x8000, 0x8000);
}

TEST(Bf16Test, EveryBitPatternRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float value = Bf16ToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(Bf16ToFloat(FloatToBf16(value)))) << bits;
    } else {
      ASSERT_EQ(FloatToBf16(value), bits) << bits;
    }
  }
}

TEST(F16Test, KnownBitPatternsToFloat) {
  EXPECT_EQ(F16ToFloat(0x3c00), 1.0f);
  EXPECT_EQ(F16ToFloat(0xc100), -2.5f);
  EXPECT_EQ(F16ToFloat(0x0001), std::ldexp(1.0f, -24));     // smallest subnormal
  EXPECT_EQ(F16ToFloat(0x03ff), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(F16ToFloat(0x0400), std::ldexp(1.0f, -14));     // smallest normal
  EXPECT_EQ(F16ToFloat(0x7bff), 65504.0f);
  EXPECT_EQ(F16ToFloat(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(F16ToFloat(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(F16ToFloat(0x7e00)));
  EXPECT_TRUE(std::isnan(F16ToFloat(0x7c01)));
  EXPECT_EQ(ToBits(F16ToFloat(0x8000)), 0x80000000u);
  EXPECT_EQ(F16ToFloat(0x8001), -std::ldexp(1.0f, -24));
}

TEST(F16Test, MatchesDefinitionForEveryFiniteBitPattern) {
  // value = (-1)^s * 2^(e-15) * (1 + m/1024) for normals, 2^-14 * (m/1024) for subnormals.
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const int sign = (bits >> 15) & 1;
    const int exponent = (bits >> 10) & 0x1f;
    const int mantissa = bits & 0x3ff;
    if (exponent == 0x1f) continue;
    const double magnitude = exponent == 0 ? std::ldexp(mantissa / 1024.0, -14)
                                           : std::ldexp(1.0 + mantissa / 1024.0, exponent - 15);
    ASSERT_EQ(static_cast<double>(F16ToFloat(static_cast<uint16_t>(bits))),
              sign ? -magnitude : magnitude)
        << bits;
  }
}

TEST(F16Test, KnownFloatsToBits) {
  EXPECT_EQ(FloatToF16(1.0f), 0x3c00);
  EXPECT_EQ(FloatToF16(-2.5f), 0xc100);
  EXPECT_EQ(FloatToF16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(FloatToF16(-std::ldexp(1.0f, -24)), 0x8001);
  EXPECT_EQ(FloatToF16(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(FloatToF16(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToF16(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_EQ(FloatToF16(-std::numeric_limits<float>::infinity()), 0xfc00);
  EXPECT_EQ(FloatToF16(0.0f), 0x0000);
  EXPECT_EQ(FloatToF16(-0.0f), 0x8000);
  EXPECT_EQ(FloatToF16(1.0e6f), 0x7c00);
  EXPECT_EQ(FloatToF16(-1.0e6f), 0xfc00);
  EXPECT_EQ(FloatToF16(std::numeric_limits<float>::denorm_min()), 0x0000);
}

TEST(F16Test, RoundsToNearestTiesToEven) {
  // Normal range: 1 + 2^-11 is halfway between 0x3c00 (even) and 0x3c01.
  EXPECT_EQ(FloatToF16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(FloatToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(FloatToF16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3c01);
  // 65519 rounds down to 65504; 65520 is the midpoint to 65536 (the inf encoding, even).
  EXPECT_EQ(FloatToF16(65519.0f), 0x7bff);
  EXPECT_EQ(FloatToF16(65520.0f), 0x7c00);
  // Subnormal range: 2^-25 is halfway between 0 and the smallest subnormal: goes to 0.
  EXPECT_EQ(FloatToF16(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(FloatToF16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(FloatToF16(1.5f * std::ldexp(1.0f, -24)), 0x0002);  // between 0x0001 and 0x0002
  EXPECT_EQ(FloatToF16(2.5f * std::ldexp(1.0f, -24)), 0x0002);  // between 0x0002 and 0x0003
  EXPECT_EQ(FloatToF16(std::ldexp(1.0f, -26)), 0x0000);
  // The largest subnormal plus half a unit ties up into the smallest normal.
  EXPECT_EQ(FloatToF16(1023.5f * std::ldexp(1.0f, -24)), 0x0400);
}

TEST(F16Test, NanStaysNan) {
  EXPECT_TRUE(std::isnan(F16ToFloat(FloatToF16(std::numeric_limits<float>::quiet_NaN()))));
  const uint16_t low_payload = FloatToF16(FromBits(0x7f800001));
  EXPECT_TRUE(std::isnan(F16ToFloat(low_payload)));
  const uint16_t negative = FloatToF16(FromBits(0xffc00000));
  EXPECT_TRUE(std::isnan(F16ToFloat(negative)));
  EXPECT_EQ(negative & 0x8000, 0x8000);
}

TEST(F16Test, EveryBitPatternRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float value = F16ToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(F16ToFloat(FloatToF16(value)))) << bits;
    } else {
      ASSERT_EQ(FloatToF16(value), bits) << bits;
    }
  }
}

TEST(F16Test, RoundingMatchesNearestRepresentable) {
  // For floats between consecutive positive f16 values, the result is the nearer one (and the
  // even one on a tie), checked against the exactly decoded neighbours.
  for (uint32_t bits = 0; bits < 0x7bff; bits += 7) {
    const double low = F16ToFloat(static_cast<uint16_t>(bits));
    const double high = F16ToFloat(static_cast<uint16_t>(bits + 1));
    for (const double fraction : {0.25, 0.5, 0.75}) {
      const float value = static_cast<float>(low + (high - low) * fraction);
      if (static_cast<double>(value) != low + (high - low) * fraction) continue;  // not exact
      const uint16_t expected =
          fraction < 0.5 ? bits : (fraction > 0.5 ? bits + 1 : ((bits & 1) ? bits + 1 : bits));
      ASSERT_EQ(FloatToF16(value), expected) << bits << " " << fraction;
    }
  }
}

}  // namespace
}  // namespace hybridserve::engine
