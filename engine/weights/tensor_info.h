// Describes one tensor of a loaded checkpoint file: its name, element type, shape and where its
// bytes live (inside the memory-mapped file that owns them).
#ifndef HYBRIDSERVE_ENGINE_WEIGHTS_TENSOR_INFO_H_
#define HYBRIDSERVE_ENGINE_WEIGHTS_TENSOR_INFO_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/weights/dtype.h"

namespace hybridserve::engine {

struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // row-major; [] is a scalar (one element)
  // Points into the memory-mapped file; valid while the owning SafetensorsFile lives. Not
  // necessarily aligned to the element size.
  const std::byte* data = nullptr;
  uint64_t num_bytes = 0;

  // Product of `shape` (1 for a scalar). Shapes are validated against overflow on load.
  int64_t num_elements() const;
};

// Widens elements [first_element, first_element + num_elements) of the tensor to fp32 into
// `out` (room for num_elements floats). The range must lie inside the tensor (checked).
void ConvertToFloat(const TensorInfo& info, int64_t first_element, int64_t num_elements,
                    float* out);  // out: [num_elements]

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_WEIGHTS_TENSOR_INFO_H_
