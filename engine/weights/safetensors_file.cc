#include "engine/weights/safetensors_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "engine/weights/safetensors_parser.h"

namespace hybridserve::engine {
namespace {

absl::Status ErrnoError(int error_number, absl::string_view path, absl::string_view action) {
  return absl::Status(absl::ErrnoToStatusCode(error_number),
                      absl::StrCat(path, ": cannot ", action, ": ", std::strerror(error_number)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error_number = errno;
    if (error_number == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat(path, ": no such safetensors file; check the checkpoint path"));
    }
    return ErrnoError(error_number, path, "open safetensors file");
  }
  struct stat file_stat;
  if (::fstat(fd, &file_stat) != 0) {
    const int error_number = errno;
    ::close(fd);
    return ErrnoError(error_number, path, "stat safetensors file");
  }
  if (!S_ISREG(file_stat.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not a regular file; pass the path of a .safetensors file"));
  }
  const size_t file_bytes = static_cast<size_t>(file_stat.st_size);
  void* mapping = nullptr;
  if (file_bytes > 0) {
    mapping = ::mmap(nullptr, file_bytes, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const int error_number = errno;
      ::close(fd);
      return ErrnoError(error_number, path, "memory-map safetensors file");
    }
  }
  ::close(fd);  // the mapping stays valid without the descriptor

  // Own the mapping before parsing so every error path unmaps it.
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile(path, mapping, file_bytes));
  const std::span<const std::byte> bytes(static_cast<const std::byte*>(mapping), file_bytes);
  HS_ASSIGN_OR_RETURN(SafetensorsContents contents, ParseSafetensors(path, bytes));
  file->tensors_ = std::move(contents.tensors);
  file->metadata_ = std::move(contents.metadata);
  file->index_by_name_.reserve(file->tensors_.size());
  for (size_t i = 0; i < file->tensors_.size(); ++i) {
    file->index_by_name_.emplace(file->tensors_[i].name, i);
  }
  return file;
}

SafetensorsFile::SafetensorsFile(std::string path, void* mapping, size_t mapping_bytes)
    : path_(std::move(path)), mapping_(mapping), mapping_bytes_(mapping_bytes) {}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) ::munmap(mapping_, mapping_bytes_);
}

const TensorInfo* SafetensorsFile::Find(std::string_view name) const {
  const auto it = index_by_name_.find(absl::string_view(name.data(), name.size()));
  return it == index_by_name_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace hybridserve::engine
