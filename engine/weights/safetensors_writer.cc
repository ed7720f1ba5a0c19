#include "engine/weights/safetensors_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

using Json = nlohmann::ordered_json;

constexpr char kMetadataKey[] = "__metadata__";
constexpr size_t kHeaderAlignmentBytes = 8;

absl::Status ErrnoError(int error_number, absl::string_view path, absl::string_view action) {
  return absl::Status(absl::ErrnoToStatusCode(error_number),
                      absl::StrCat(path, ": cannot ", action, ": ", std::strerror(error_number)));
}

absl::Status CheckTensor(const std::string& path, const TensorToWrite& tensor) {
  const std::string prefix = absl::StrCat(path, ": tensor \"", absl::CEscape(tensor.name), "\": ");
  if (tensor.name.empty() || tensor.name == kMetadataKey) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, "name must be non-empty and not \"__metadata__\""));
  }
  int64_t num_bytes = DTypeSize(tensor.dtype);
  for (const int64_t dim : tensor.shape) {
    if (dim < 0) {
      return absl::InvalidArgumentError(absl::StrCat(prefix, "negative dimension ", dim));
    }
    if (__builtin_mul_overflow(num_bytes, dim, &num_bytes)) {
      return absl::InvalidArgumentError(absl::StrCat(prefix, "shape overflows 64-bit sizes"));
    }
  }
  if (tensor.data.size() != static_cast<uint64_t>(num_bytes)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%sdata is %d bytes but %s needs %d", prefix, tensor.data.size(),
                        std::string(DTypeName(tensor.dtype)), num_bytes));
  }
  return absl::OkStatus();
}

// Builds the 8-byte length prefix plus the space-padded JSON header.
absl::StatusOr<std::string> BuildHeader(const std::string& path,
                                        std::span<const TensorToWrite> tensors,
                                        const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json json_metadata = Json::object();
    for (const auto& [key, value] : metadata) json_metadata[key] = value;
    header[std::string(kMetadataKey)] = std::move(json_metadata);
  }
  uint64_t offset = 0;
  for (const TensorToWrite& tensor : tensors) {
    const uint64_t end = offset + tensor.data.size();
    header[tensor.name] = Json{{"dtype", std::string(std::string(DTypeName(tensor.dtype)))},
                               {"shape", tensor.shape},
                               {"data_offsets", Json::array({offset, end})}};
    offset = end;
  }
  std::string json_text;
  try {
    json_text = header.dump();  // throws on invalid UTF-8 in names or metadata
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": cannot encode the header (names and metadata must be UTF-8): ", e.what()));
  }
  const size_t padding =
      (kHeaderAlignmentBytes - json_text.size() % kHeaderAlignmentBytes) % kHeaderAlignmentBytes;
  json_text.append(padding, ' ');
  std::string out(8, '\0');
  uint64_t header_bytes = json_text.size();
  for (int i = 0; i < 8; ++i) {
    out[i] = static_cast<char>(header_bytes & 0xff);
    header_bytes >>= 8;
  }
  out += json_text;
  return out;
}

absl::Status WriteAll(int fd, const void* data, size_t size, const std::string& path) {
  const char* cursor = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, cursor, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, path, "write");
    }
    cursor += written;
    size -= static_cast<size_t>(written);
  }
  return absl::OkStatus();
}

absl::Status WriteFile(int fd, const std::string& tmp_path, const std::string& header,
                       std::span<const TensorToWrite> tensors) {
  HS_RETURN_IF_ERROR(WriteAll(fd, header.data(), header.size(), tmp_path));
  for (const TensorToWrite& tensor : tensors) {
    HS_RETURN_IF_ERROR(WriteAll(fd, tensor.data.data(), tensor.data.size(), tmp_path));
  }
  if (::fsync(fd) != 0) return ErrnoError(errno, tmp_path, "sync");
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteSafetensors(const std::string& path, std::span<const TensorToWrite> tensors,
                              const std::map<std::string, std::string>& metadata) {
  absl::flat_hash_set<absl::string_view> names;
  for (const TensorToWrite& tensor : tensors) {
    HS_RETURN_IF_ERROR(CheckTensor(path, tensor));
    if (!names.insert(tensor.name).second) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": tensor \"",
                                                     absl::CEscape(tensor.name),
                                                     "\" is given twice; names must be unique"));
    }
  }
  HS_ASSIGN_OR_RETURN(const std::string header, BuildHeader(path, tensors, metadata));

  const std::string tmp_path = path + ".tmp";
  const int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, tmp_path, "create");
  absl::Status status = WriteFile(fd, tmp_path, header, tensors);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError(errno, tmp_path, "close");
  if (status.ok() && std::rename(tmp_path.c_str(), path.c_str()) != 0) {
    status = ErrnoError(errno, tmp_path, absl::StrCat("rename to ", path));
  }
  if (!status.ok()) ::unlink(tmp_path.c_str());
  return status;
}

}  // namespace hybridserve::engine
