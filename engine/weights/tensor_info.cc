#include "engine/weights/tensor_info.h"

#include <cstdint>
#include <cstring>

#include "base/check.h"
#include "engine/weights/dtype.h"

namespace hybridserve::engine {
namespace {

// Reads a little-endian value of type T from possibly unaligned memory (the project only
// targets little-endian hosts).
template <typename T>
T LoadUnaligned(const std::byte* source) {
  T value;
  std::memcpy(&value, source, sizeof(T));
  return value;
}

}  // namespace

int64_t TensorInfo::num_elements() const {
  int64_t count = 1;
  for (const int64_t dim : shape) count *= dim;
  return count;
}

void ConvertToFloat(const TensorInfo& info, int64_t first_element, int64_t num_elements,
                    float* out) {
  HS_CHECK(first_element >= 0 && num_elements >= 0);
  HS_CHECK(num_elements <= info.num_elements() - first_element);
  const int64_t element_size = DTypeSize(info.dtype);
  HS_CHECK(static_cast<uint64_t>((first_element + num_elements) * element_size) <= info.num_bytes);
  if (num_elements == 0) return;
  HS_CHECK(info.data != nullptr && out != nullptr);
  const std::byte* source = info.data + first_element * element_size;
  switch (info.dtype) {
    case DType::kF32:
      std::memcpy(out, source, static_cast<size_t>(num_elements) * sizeof(float));
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < num_elements; ++i) {
        out[i] = Bf16ToFloat(LoadUnaligned<uint16_t>(source + 2 * i));
      }
      return;
    case DType::kF16:
      for (int64_t i = 0; i < num_elements; ++i) {
        out[i] = F16ToFloat(LoadUnaligned<uint16_t>(source + 2 * i));
      }
      return;
  }
}

}  // namespace hybridserve::engine
