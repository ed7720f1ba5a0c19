// Writes safetensors files (used by tests, the fine-tuner and the publish tool).
#ifndef HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_WRITER_H_
#define HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/weights/dtype.h"

namespace hybridserve::engine {

struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::span<const std::byte> data;  // exactly product(shape) * DTypeSize(dtype) bytes
};

// Writes a valid safetensors file: 8-byte little-endian header length, JSON header padded with
// spaces to a multiple of 8 bytes, then the tensors' data in the given order (offsets relative
// to the data start). Writes to path + ".tmp", syncs, then renames onto `path`, so a crash never
// leaves a half-written file at `path`. InvalidArgument for bad input (duplicate, empty or
// reserved names, negative dims, data size not matching the shape); I/O errors by errno.
absl::Status WriteSafetensors(const std::string& path, std::span<const TensorToWrite> tensors,
                              const std::map<std::string, std::string>& metadata = {});

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_WRITER_H_
