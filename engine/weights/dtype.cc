#include "engine/weights/dtype.h"

#include <bit>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace hybridserve::engine {
namespace {

constexpr uint32_t kF32SignMask = 0x80000000u;
constexpr uint32_t kF32ExponentMask = 0x7f800000u;
constexpr uint32_t kF32MantissaMask = 0x007fffffu;
constexpr uint16_t kF16ExponentMask = 0x7c00u;
constexpr uint16_t kF16MantissaMask = 0x03ffu;
constexpr uint16_t kF16QuietBit = 0x0200u;
constexpr int kF32ExponentBias = 127;
constexpr int kF16ExponentBias = 15;

// Shifts `value` right by `shift` bits (1..31), rounding to nearest with ties to even.
uint32_t ShiftRightRoundEven(uint32_t value, int shift) {
  const uint32_t truncated = value >> shift;
  const uint32_t remainder = value & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (remainder > half || (remainder == half && (truncated & 1u) != 0)) return truncated + 1u;
  return truncated;
}

}  // namespace

absl::StatusOr<DType> ParseDType(std::string_view safetensors_name) {
  if (safetensors_name == "F32") return DType::kF32;
  if (safetensors_name == "BF16") return DType::kBF16;
  if (safetensors_name == "F16") return DType::kF16;
  return absl::InvalidArgumentError(absl::StrFormat(
      "unsupported dtype \"%s\"; supported dtypes are F32, BF16 and F16 (convert "
      "the checkpoint to one of them)",
      absl::CEscape(absl::string_view(safetensors_name.data(), safetensors_name.size()))));
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return "F32";
    case DType::kBF16:
      return "BF16";
    case DType::kF16:
      return "F16";
  }
  return "unknown";
}

int64_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return 4;
    case DType::kBF16:
    case DType::kF16:
      return 2;
  }
  return 0;
}

float Bf16ToFloat(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

uint16_t FloatToBf16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & kF32ExponentMask) == kF32ExponentMask && (bits & kF32MantissaMask) != 0) {
    // NaN: keep sign and the top payload bits, force the quiet bit so it cannot become inf.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  }
  // Adding 0x7fff plus the lowest kept bit rounds to nearest, ties to even; a carry out of
  // the mantissa correctly bumps the exponent (up to inf).
  const uint32_t rounding_bias = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding_bias) >> 16);
}

float F16ToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits & kF16ExponentMask) >> 10;
  const uint32_t mantissa = bits & kF16MantissaMask;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in fp32.
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 0x1f) {
    return std::bit_cast<float>(sign | kF32ExponentMask | (mantissa << 13));
  }
  const uint32_t f32_exponent = exponent - kF16ExponentBias + kF32ExponentBias;
  return std::bit_cast<float>(sign | (f32_exponent << 23) | (mantissa << 13));
}

uint16_t FloatToF16(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits & kF32SignMask) >> 16);
  const uint32_t f32_exponent = (bits & kF32ExponentMask) >> 23;
  const uint32_t mantissa = bits & kF32MantissaMask;

  if (f32_exponent == 0xff) {
    if (mantissa == 0) return sign | kF16ExponentMask;  // inf
    return static_cast<uint16_t>(sign | kF16ExponentMask | kF16QuietBit | (mantissa >> 13));
  }
  // fp32 zeros and subnormals (< 2^-126) are far below half of the smallest f16 subnormal.
  if (f32_exponent == 0) return sign;

  const int unbiased_exponent = static_cast<int>(f32_exponent) - kF32ExponentBias;
  const int f16_exponent = unbiased_exponent + kF16ExponentBias;
  if (f16_exponent >= 0x1f) return sign | kF16ExponentMask;  // overflow -> inf
  if (f16_exponent >= 1) {
    // Normal: drop 13 mantissa bits with rounding; a carry moves into the exponent, and
    // past 65504 lands exactly on the inf encoding.
    const uint32_t combined = (static_cast<uint32_t>(f16_exponent) << 23) | mantissa;
    return static_cast<uint16_t>(sign | ShiftRightRoundEven(combined, 13));
  }
  // Subnormal result: value = m * 2^(e - 23) with the implicit bit in m, and the f16 subnormal
  // unit is 2^-24, so the f16 mantissa is m >> (-e - 1). Below 2^-25 everything rounds to 0.
  const int shift = -unbiased_exponent - 1;
  if (shift > 24) return sign;
  const uint32_t full_mantissa = mantissa | 0x00800000u;
  // A round-up to 0x400 is the encoding of the smallest normal, which is correct.
  return static_cast<uint16_t>(sign | ShiftRightRoundEven(full_mantissa, shift));
}

}  // namespace hybridserve::engine
