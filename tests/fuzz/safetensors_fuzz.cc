// Feeds arbitrary bytes to the safetensors parser. The parser must never crash or read outside
// its input; when it accepts a file, every tensor it reports must lie inside the input, match
// its shape, and convert to fp32 without touching anything else (ASan checks the reads).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "base/check.h"
#include "engine/weights/dtype.h"
#include "engine/weights/safetensors_parser.h"
#include "engine/weights/tensor_info.h"

namespace {

using hybridserve::engine::DType;
using hybridserve::engine::DTypeSize;

constexpr std::string_view kFuzzPath = "fuzz.safetensors";

void CheckSixteenBitRoundTrip(DType dtype, uint16_t bits) {
  if (dtype == DType::kBF16) {
    const float value = hybridserve::engine::Bf16ToFloat(bits);
    HS_CHECK(std::isnan(value) || hybridserve::engine::FloatToBf16(value) == bits);
  } else if (dtype == DType::kF16) {
    const float value = hybridserve::engine::F16ToFloat(bits);
    HS_CHECK(std::isnan(value) || hybridserve::engine::FloatToF16(value) == bits);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  const auto contents = hybridserve::engine::ParseSafetensors(kFuzzPath, bytes);
  if (!contents.ok()) {
    const absl::string_view message = contents.status().message();
    HS_CHECK(message.substr(0, kFuzzPath.size()) ==
             absl::string_view(kFuzzPath.data(), kFuzzPath.size()));
    return 0;
  }
  std::vector<float> converted;
  for (const hybridserve::engine::TensorInfo& info : contents->tensors) {
    const int64_t num_elements = info.num_elements();
    HS_CHECK(num_elements >= 0);
    HS_CHECK(info.num_bytes == static_cast<uint64_t>(num_elements * DTypeSize(info.dtype)));
    if (info.num_bytes == 0) continue;
    HS_CHECK(info.data >= bytes.data());
    HS_CHECK(info.data + info.num_bytes <= bytes.data() + bytes.size());
    converted.resize(static_cast<size_t>(num_elements));
    hybridserve::engine::ConvertToFloat(info, 0, num_elements, converted.data());
    if (DTypeSize(info.dtype) == 2) {
      for (int64_t i = 0; i < num_elements; ++i) {
        uint16_t bits;
        std::memcpy(&bits, info.data + 2 * i, sizeof(bits));
        CheckSixteenBitRoundTrip(info.dtype, bits);
      }
    }
  }
  return 0;
}
