#include "engine/weights/checkpoint.h"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;

constexpr char kSingleFileName[] = "model.safetensors";
constexpr char kIndexFileName[] = "model.safetensors.index.json";
constexpr char kSafetensorsExtension[] = ".safetensors";
constexpr uintmax_t kMaxIndexBytes = 100ull * 1000 * 1000;

bool IsRegularFile(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

absl::StatusOr<std::string> ReadSmallFile(const fs::path& path) {
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  if (error) {
    return absl::NotFoundError(absl::StrCat(path.string(), ": cannot read: ", error.message()));
  }
  if (size > kMaxIndexBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ": ", size, " bytes is too large for an index file"));
  }
  std::ifstream stream(path, std::ios::binary);
  std::string contents((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
  if (stream.bad()) return absl::DataLossError(absl::StrCat(path.string(), ": read error"));
  return contents;
}

// A shard name must be a plain file name inside the checkpoint directory.
bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// Parses the index's "weight_map" into tensor name -> shard file name.
absl::StatusOr<std::map<std::string, std::string>> ParseWeightMap(const std::string& index_path,
                                                                  const std::string& text) {
  const nlohmann::json index = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || !index.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(index_path, ": not a JSON object; the index file is corrupt"));
  }
  const auto weight_map_it = index.find("weight_map");
  if (weight_map_it == index.end() || !weight_map_it->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        index_path, ": needs a \"weight_map\" object mapping tensor names to shard files"));
  }
  std::map<std::string, std::string> weight_map;
  for (const auto& [tensor_name, shard] : weight_map_it->items()) {
    if (!shard.is_string() || !IsPlainFileName(shard.get_ref<const std::string&>())) {
      return absl::InvalidArgumentError(absl::StrCat(
          index_path, ": tensor \"", absl::CEscape(tensor_name),
          "\": weight_map value must be the file name of a shard in the same directory"));
    }
    weight_map.emplace(tensor_name, shard.get<std::string>());
  }
  if (weight_map.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(index_path, ": \"weight_map\" is empty; the index file is corrupt"));
  }
  return weight_map;
}

// The *.safetensors files directly inside `dir`, sorted.
absl::StatusOr<std::vector<fs::path>> ListSafetensorsFiles(const fs::path& dir) {
  std::error_code error;
  std::vector<fs::path> found;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const fs::path& path = it->path();
    if (path.extension() == kSafetensorsExtension && IsRegularFile(path)) found.push_back(path);
  }
  if (error) {
    return absl::Status(absl::ErrnoToStatusCode(error.value()),
                        absl::StrCat(dir.string(), ": cannot list directory: ", error.message()));
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::Open(const std::string& dir) {
  const fs::path dir_path(dir);
  std::error_code error;
  const fs::file_status dir_status = fs::status(dir_path, error);
  if (!fs::exists(dir_status)) {
    return absl::NotFoundError(
        absl::StrCat(dir, ": checkpoint directory not found; check the model path"));
  }
  if (!fs::is_directory(dir_status)) {
    return absl::InvalidArgumentError(absl::StrCat(
        dir, ": not a directory; pass the directory that holds the .safetensors files"));
  }

  std::unique_ptr<Checkpoint> checkpoint(new Checkpoint());
  const fs::path single_path = dir_path / kSingleFileName;
  const fs::path index_path = dir_path / kIndexFileName;

  if (IsRegularFile(single_path)) {
    HS_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(single_path.string()));
    HS_RETURN_IF_ERROR(checkpoint->AddFile(std::move(file)));
    return checkpoint;
  }

  if (IsRegularFile(index_path)) {
    const std::string index_name = index_path.string();
    HS_ASSIGN_OR_RETURN(const std::string text, ReadSmallFile(index_path));
    std::map<std::string, std::string> weight_map;
    try {
      HS_ASSIGN_OR_RETURN(weight_map, ParseWeightMap(index_name, text));
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(index_name, ": cannot read: ", e.what()));
    }
    // Shard file name -> one tensor the index places there (for messages).
    std::map<std::string, std::string> shards;
    for (const auto& [tensor_name, shard] : weight_map) shards.emplace(shard, tensor_name);
    std::map<std::string, size_t> shard_file_index;
    for (const auto& [shard, example_tensor] : shards) {
      const fs::path shard_path = dir_path / shard;
      if (!IsRegularFile(shard_path)) {
        return absl::NotFoundError(
            absl::StrCat(index_name, ": shard ", shard_path.string(), " (holding tensor \"",
                         absl::CEscape(example_tensor),
                         "\") does not exist; the checkpoint download is incomplete"));
      }
      HS_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(shard_path.string()));
      shard_file_index[shard] = checkpoint->files_.size();
      HS_RETURN_IF_ERROR(checkpoint->AddFile(std::move(file)));
    }
    for (const auto& [tensor_name, shard] : weight_map) {
      const size_t expected = shard_file_index.at(shard);
      const auto it = checkpoint->entries_.find(tensor_name);
      if (it == checkpoint->entries_.end() || it->second.file_index != expected) {
        return absl::InvalidArgumentError(
            absl::StrCat(checkpoint->files_[expected]->path(), ": tensor \"",
                         absl::CEscape(tensor_name), "\" is assigned to this shard by ", index_name,
                         " but the shard does not hold it; the index and shards are inconsistent"));
      }
    }
    return checkpoint;
  }

  HS_ASSIGN_OR_RETURN(const std::vector<fs::path> candidates, ListSafetensorsFiles(dir_path));
  if (candidates.empty()) {
    return absl::NotFoundError(
        absl::StrCat(dir, ": no ", kSingleFileName, ", ", kIndexFileName,
                     " or other .safetensors file; point at a directory holding the checkpoint"));
  }
  if (candidates.size() > 1) {
    std::vector<std::string> names;
    for (const fs::path& path : candidates) names.push_back(path.filename().string());
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": several .safetensors files (", absl::StrJoin(names, ", "), ") and no ",
                     kIndexFileName, "; add an index or keep a single file"));
  }
  HS_ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(candidates.front().string()));
  HS_RETURN_IF_ERROR(checkpoint->AddFile(std::move(file)));
  return checkpoint;
}

absl::Status Checkpoint::AddFile(std::unique_ptr<SafetensorsFile> file) {
  const size_t file_index = files_.size();
  for (const TensorInfo& info : file->tensors()) {
    const auto [it, inserted] = entries_.try_emplace(info.name, Entry{&info, file_index});
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat(file->path(), ": tensor \"", absl::CEscape(info.name), "\" is also in ",
                       files_[it->second.file_index]->path(), "; remove the duplicate copy"));
    }
    total_bytes_ += info.num_bytes;
  }
  files_.push_back(std::move(file));
  return absl::OkStatus();
}

const TensorInfo* Checkpoint::Find(std::string_view name) const {
  const auto it = entries_.find(absl::string_view(name.data(), name.size()));
  return it == entries_.end() ? nullptr : it->second.info;
}

std::string Checkpoint::FileOf(std::string_view name) const {
  const auto it = entries_.find(absl::string_view(name.data(), name.size()));
  return it == entries_.end() ? std::string() : files_[it->second.file_index]->path();
}

std::vector<std::string> Checkpoint::TensorNames() const {
  std::vector<std::string> names;
  names.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace hybridserve::engine
