// One safetensors file, memory-mapped read-only for its whole lifetime. Tensor data pointers
// point straight into the mapping, so nothing is copied until a caller converts or uploads it.
#ifndef HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_FILE_H_
#define HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_FILE_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/weights/tensor_info.h"

namespace hybridserve::engine {

class SafetensorsFile {
 public:
  // Maps and validates the file (see safetensors_parser.h for what is checked). NotFound if
  // the file does not exist, DataLoss if it is truncated, InvalidArgument if it is malformed.
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);

  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  // In header order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // nullptr if the file has no tensor of that name.
  const TensorInfo* Find(std::string_view name) const;
  // The header's "__metadata__" map (empty if absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  SafetensorsFile(std::string path, void* mapping, size_t mapping_bytes);

  std::string path_;
  void* mapping_ = nullptr;  // nullptr when the file is empty
  size_t mapping_bytes_ = 0;
  std::vector<TensorInfo> tensors_;
  absl::flat_hash_map<std::string, size_t> index_by_name_;  // into tensors_
  std::map<std::string, std::string> metadata_;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_WEIGHTS_SAFETENSORS_FILE_H_
