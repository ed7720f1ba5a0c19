#include "engine/weights/safetensors_parser.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
#include "engine/weights/dtype.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

// ordered_json keeps the header's key order, which becomes the order of tensors().
using Json = nlohmann::ordered_json;

constexpr char kMetadataKey[] = "__metadata__";
constexpr uint64_t kHeaderLengthBytes = 8;

// A JSON value for an error message, cut short so a hostile header cannot bloat the message.
std::string JsonSnippet(const Json& value) {
  constexpr size_t kMaxChars = 64;
  std::string text = value.dump();
  if (text.size() > kMaxChars) text = absl::StrCat(text.substr(0, kMaxChars), "...");
  return text;
}

absl::string_view AbslDTypeName(DType dtype) {
  const std::string_view name = DTypeName(dtype);
  return absl::string_view(name.data(), name.size());
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Tensor names come from the file, so escape them before they reach a terminal or a log.
std::string TensorPrefix(absl::string_view path, absl::string_view name) {
  return absl::StrCat(path, ": tensor \"", absl::CEscape(name), "\": ");
}

absl::Status TensorError(absl::string_view path, absl::string_view name, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(TensorPrefix(path, name), what));
}

absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view path, absl::string_view name,
                                                const Json& json_shape) {
  if (!json_shape.is_array()) {
    return TensorError(
        path, name,
        absl::StrCat("\"shape\" must be an array of integers, got ", json_shape.type_name()));
  }
  std::vector<int64_t> shape;
  shape.reserve(json_shape.size());
  for (const Json& dim : json_shape) {
    if (dim.is_number_unsigned()) {
      const uint64_t value = dim.get<uint64_t>();
      if (value > static_cast<uint64_t>(INT64_MAX)) {
        return TensorError(path, name, absl::StrCat("shape dimension ", value, " is too large"));
      }
      shape.push_back(static_cast<int64_t>(value));
    } else if (dim.is_number_integer()) {
      return TensorError(path, name,
                         absl::StrCat("shape has negative dimension ", dim.get<int64_t>()));
    } else {
      return TensorError(path, name,
                         absl::StrCat("\"shape\" must hold non-negative integers, found ",
                                      dim.type_name(), " ", JsonSnippet(dim)));
    }
  }
  return shape;
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseOffsets(absl::string_view path,
                                                           absl::string_view name,
                                                           const Json& json_offsets) {
  if (!json_offsets.is_array() || json_offsets.size() != 2 ||
      !json_offsets[0].is_number_unsigned() || !json_offsets[1].is_number_unsigned()) {
    return TensorError(path, name,
                       absl::StrCat("\"data_offsets\" must be [begin, end] with non-negative "
                                    "integers, got ",
                                    JsonSnippet(json_offsets)));
  }
  const uint64_t begin = json_offsets[0].get<uint64_t>();
  const uint64_t end = json_offsets[1].get<uint64_t>();
  if (begin > end) {
    return TensorError(path, name,
                       absl::StrFormat("data_offsets [%d, %d] end before begin", begin, end));
  }
  return std::make_pair(begin, end);
}

absl::StatusOr<std::map<std::string, std::string>> ParseMetadata(absl::string_view path,
                                                                 const Json& json_metadata) {
  if (!json_metadata.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": \"__metadata__\" must be an object of strings, got ", json_metadata.type_name()));
  }
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : json_metadata.items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": \"__metadata__\" entry \"", absl::CEscape(key),
                       "\" must be a string, got ", value.type_name()));
    }
    metadata[key] = value.get<std::string>();
  }
  return metadata;
}

// Validates one header entry against the data section and returns its TensorInfo; `range`
// receives the entry's [begin, end) inside the data section.
absl::StatusOr<TensorInfo> ParseTensorEntry(absl::string_view path, const std::string& name,
                                            const Json& entry, std::span<const std::byte> data,
                                            std::pair<uint64_t, uint64_t>* range) {
  if (!entry.is_object()) {
    return TensorError(path, name,
                       absl::StrCat("header entry must be an object, got ", entry.type_name()));
  }
  const auto dtype_it = entry.find("dtype");
  const auto shape_it = entry.find("shape");
  const auto offsets_it = entry.find("data_offsets");
  if (dtype_it == entry.end() || shape_it == entry.end() || offsets_it == entry.end()) {
    return TensorError(path, name, "header entry needs \"dtype\", \"shape\" and \"data_offsets\"");
  }
  if (!dtype_it->is_string()) {
    return TensorError(path, name,
                       absl::StrCat("\"dtype\" must be a string, got ", dtype_it->type_name()));
  }

  TensorInfo info;
  info.name = name;
  absl::StatusOr<DType> dtype = ParseDType(dtype_it->get_ref<const std::string&>());
  if (!dtype.ok()) return TensorError(path, name, dtype.status().message());
  info.dtype = *dtype;
  HS_ASSIGN_OR_RETURN(info.shape, ParseShape(path, name, *shape_it));
  HS_ASSIGN_OR_RETURN(*range, ParseOffsets(path, name, *offsets_it));
  const auto [begin, end] = *range;

  int64_t num_bytes = DTypeSize(info.dtype);
  for (const int64_t dim : info.shape) {
    if (__builtin_mul_overflow(num_bytes, dim, &num_bytes)) {
      return TensorError(path, name,
                         absl::StrCat("shape ", ShapeString(info.shape), " x ",
                                      AbslDTypeName(info.dtype), " overflows 64-bit byte counts"));
    }
  }
  if (end > data.size()) {
    return absl::DataLossError(absl::StrFormat(
        "%sdata_offsets [%d, %d] reach past the end of the data section (%d bytes); the file "
        "is truncated or corrupt, download it again",
        TensorPrefix(path, name), begin, end, data.size()));
  }
  if (end - begin != static_cast<uint64_t>(num_bytes)) {
    return TensorError(
        path, name,
        absl::StrFormat("data_offsets [%d, %d] but shape %s x %s needs %d bytes", begin, end,
                        ShapeString(info.shape), AbslDTypeName(info.dtype), num_bytes));
  }
  info.data = data.data() + begin;
  info.num_bytes = end - begin;
  return info;
}

// Fails if two non-empty byte ranges of the data section overlap.
absl::Status CheckNoOverlap(absl::string_view path, const std::vector<TensorInfo>& tensors,
                            const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  std::vector<size_t> order;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].first != ranges[i].second) order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return ranges[a].first < ranges[b].first; });
  for (size_t k = 1; k < order.size(); ++k) {
    const size_t previous = order[k - 1];
    const size_t current = order[k];
    if (ranges[current].first < ranges[previous].second) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%sdata_offsets [%d, %d] overlap tensor \"%s\" at [%d, %d]; the file is corrupt",
          TensorPrefix(path, tensors[current].name), ranges[current].first, ranges[current].second,
          absl::CEscape(tensors[previous].name), ranges[previous].first, ranges[previous].second));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SafetensorsContents> ParseHeader(absl::string_view path, const Json& header,
                                                std::span<const std::byte> data) {
  if (!header.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": safetensors header must be a JSON object, got ", header.type_name()));
  }
  SafetensorsContents contents;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  contents.tensors.reserve(header.size());
  ranges.reserve(header.size());
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) {
      HS_ASSIGN_OR_RETURN(contents.metadata, ParseMetadata(path, entry));
      continue;
    }
    std::pair<uint64_t, uint64_t> range;
    HS_ASSIGN_OR_RETURN(TensorInfo info, ParseTensorEntry(path, name, entry, data, &range));
    contents.tensors.push_back(std::move(info));
    ranges.push_back(range);
  }
  HS_RETURN_IF_ERROR(CheckNoOverlap(path, contents.tensors, ranges));
  return contents;
}

}  // namespace

absl::StatusOr<SafetensorsContents> ParseSafetensors(std::string_view path_view,
                                                     std::span<const std::byte> file_bytes) {
  const absl::string_view path(path_view.data(), path_view.size());
  if (file_bytes.size() < kHeaderLengthBytes) {
    return absl::DataLossError(absl::StrFormat(
        "%s: file is %d bytes, too short for a safetensors header; the file is truncated or not "
        "a safetensors file",
        path, file_bytes.size()));
  }
  uint64_t header_bytes = 0;
  for (int i = 7; i >= 0; --i) {
    header_bytes = (header_bytes << 8) | static_cast<uint8_t>(file_bytes[i]);
  }
  if (header_bytes > kMaxSafetensorsHeaderBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: header length %d bytes exceeds the %d-byte limit; the file is corrupt or not a "
        "safetensors file",
        path, header_bytes, kMaxSafetensorsHeaderBytes));
  }
  if (header_bytes > file_bytes.size() - kHeaderLengthBytes) {
    return absl::DataLossError(absl::StrFormat(
        "%s: header length %d bytes runs past the end of the %d-byte file; the file is "
        "truncated, download it again",
        path, header_bytes, file_bytes.size()));
  }
  const char* header_begin = reinterpret_cast<const char*>(file_bytes.data()) + kHeaderLengthBytes;
  const std::span<const std::byte> data = file_bytes.subspan(kHeaderLengthBytes + header_bytes);
  try {
    const Json header = Json::parse(header_begin, header_begin + header_bytes,
                                    /*cb=*/nullptr, /*allow_exceptions=*/false);
    if (header.is_discarded()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path,
                       ": safetensors header is not valid JSON; the file is corrupt or not a "
                       "safetensors file"));
    }
    return ParseHeader(path, header, data);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": cannot read the safetensors header: ", e.what()));
  }
}

}  // namespace hybridserve::engine
