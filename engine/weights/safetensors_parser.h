// Parses and validates the bytes of a safetensors file held in memory. SafetensorsFile uses it
// on a memory-mapped file; the fuzzer calls it directly on its input.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON header (an object mapping tensor
// names to {"dtype", "shape", "data_offsets": [begin, end]}, plus an optional "__metadata__"
// string->string map), then the data section; offsets are relative to the data section start.
#ifndef HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_PARSER_H_
#define HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/weights/tensor_info.h"

namespace hybridserve::engine {

// Headers above this size are rejected as corrupt rather than parsed.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100ull * 1000 * 1000;

struct SafetensorsContents {
  std::vector<TensorInfo> tensors;  // in header order; data points into the parsed bytes
  std::map<std::string, std::string> metadata;  // "__metadata__"
};

// Validates `file_bytes` as a complete safetensors file. Never reads outside `file_bytes`.
// Errors are DataLoss for truncated data and InvalidArgument for a malformed header; every
// message starts with `path` (used only for messages) and names the tensor involved.
absl::StatusOr<SafetensorsContents> ParseSafetensors(std::string_view path,
                                                     std::span<const std::byte> file_bytes);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_PARSER_H_
