// A checkpoint directory: one or more safetensors files seen as a single set of named tensors.
#ifndef HYBRIDSERVE_ENGINE_WEIGHTS_CHECKPOINT_H_
#define HYBRIDSERVE_ENGINE_WEIGHTS_CHECKPOINT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/weights/safetensors_file.h"
#include "engine/weights/tensor_info.h"

namespace hybridserve::engine {

class Checkpoint {
 public:
  // `dir` holds, in order of preference:
  //   - model.safetensors, or
  //   - model.safetensors.index.json whose "weight_map" maps tensor names to shard file names
  //     in `dir`; every shard must exist and hold the tensors the index assigns to it, or
  //   - exactly one other *.safetensors file.
  // A tensor present in two files is an error. NotFound if the directory, a shard, or any
  // weights file is missing; InvalidArgument/DataLoss for malformed or inconsistent files.
  static absl::StatusOr<std::unique_ptr<Checkpoint>> Open(const std::string& dir);

  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  // nullptr if absent.
  const TensorInfo* Find(std::string_view name) const;
  // Path of the file holding `name` ("" if absent).
  std::string FileOf(std::string_view name) const;
  // All tensor names, sorted.
  std::vector<std::string> TensorNames() const;
  // Sum of all tensors' bytes.
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  struct Entry {
    const TensorInfo* info;
    size_t file_index;  // into files_
  };

  Checkpoint() = default;
  // Adds every tensor of `file`; fails if one is already held by an earlier file.
  absl::Status AddFile(std::unique_ptr<SafetensorsFile> file);

  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  absl::flat_hash_map<std::string, Entry> entries_;
  uint64_t total_bytes_ = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_WEIGHTS_CHECKPOINT_H_
