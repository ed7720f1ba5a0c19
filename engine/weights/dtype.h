// Element types of checkpoint tensors, their safetensors names and sizes, and the bit-exact
// conversions between fp32 and the two 16-bit float formats.
#ifndef HYBRIDSERVE_ENGINE_WEIGHTS_DTYPE_H_
#define HYBRIDSERVE_ENGINE_WEIGHTS_DTYPE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace hybridserve::engine {

enum class DType { kF32, kBF16, kF16 };

// Maps a safetensors dtype string ("F32", "BF16", "F16") to a DType. Any other name is
// InvalidArgument; the message names the dtype and lists the supported ones.
absl::StatusOr<DType> ParseDType(std::string_view safetensors_name);

// The safetensors spelling of `dtype` ("F32", "BF16", "F16").
std::string_view DTypeName(DType dtype);

// Bytes per element.
int64_t DTypeSize(DType dtype);

// bfloat16 <-> fp32. FloatToBf16 rounds to nearest, ties to even; NaN stays NaN (quiet, sign
// and top payload bits kept); values past the bf16 range become +-inf.
float Bf16ToFloat(uint16_t bits);
uint16_t FloatToBf16(float value);

// IEEE 754 binary16 <-> fp32, including subnormals, infinities and NaN. FloatToF16 rounds to
// nearest, ties to even; magnitudes that round past 65504 become +-inf.
float F16ToFloat(uint16_t bits);
uint16_t FloatToF16(float value);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_WEIGHTS_DTYPE_H_
