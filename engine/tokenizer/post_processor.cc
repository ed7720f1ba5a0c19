#include "engine/tokenizer/post_processor.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/tokenizer/json_fields.h"

namespace hybridserve::engine {
namespace {

using json_fields::Json;

}  // namespace

absl::StatusOr<PostProcessor> PostProcessor::FromJson(const Json& j) {
  PostProcessor processor;
  if (j.is_null()) return processor;
  HS_RETURN_IF_ERROR(processor.Add(j));
  return processor;
}

absl::Status PostProcessor::Add(const Json& j) {
  const std::string type = json_fields::TypeOf(j);
  if (type == "ByteLevel") return absl::OkStatus();
  if (type == "Sequence") {
    auto it = j.find("processors");
    if (it == j.end() || !it->is_array()) {
      return json_fields::BadField("Sequence post_processor", "processors", "an array");
    }
    for (const Json& part : *it) HS_RETURN_IF_ERROR(Add(part));
    return absl::OkStatus();
  }
  if (type != "TemplateProcessing") return json_fields::Unsupported("post_processor", type);

  auto single = j.find("single");
  auto special_tokens = j.find("special_tokens");
  if (single == j.end() || !single->is_array()) {
    return json_fields::BadField("TemplateProcessing", "single", "an array");
  }
  Step step;
  for (const Json& piece : *single) {
    if (piece.contains("Sequence")) {
      const Json& seq = piece["Sequence"];
      if (!seq.is_object() || seq.value("id", "") != "A") {
        return absl::InvalidArgumentError(
            "post_processor TemplateProcessing: the single template may only use sequence A");
      }
      step.pieces.emplace_back();
      continue;
    }
    auto special = piece.find("SpecialToken");
    if (special == piece.end() || !special->is_object() || !special->contains("id") ||
        !(*special)["id"].is_string()) {
      return absl::InvalidArgumentError(
          "post_processor TemplateProcessing: template pieces must be Sequence or SpecialToken");
    }
    const std::string name = (*special)["id"].get<std::string>();
    const Json* entry = nullptr;
    if (special_tokens != j.end() && special_tokens->is_object()) {
      auto it = special_tokens->find(name);
      if (it != special_tokens->end()) entry = &*it;
    }
    if (entry == nullptr || !entry->contains("ids") || !(*entry)["ids"].is_array() ||
        (*entry)["ids"].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("post_processor TemplateProcessing: special token \"", name,
                       "\" is missing from special_tokens (or has no ids)"));
    }
    std::vector<int32_t> ids;
    for (const Json& id : (*entry)["ids"]) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX) {
        return absl::InvalidArgumentError(absl::StrCat(
            "post_processor TemplateProcessing: ids of \"", name, "\" must be non-negative"));
      }
      ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
    }
    step.pieces.push_back(std::move(ids));
  }
  steps_.push_back(std::move(step));
  return absl::OkStatus();
}

void PostProcessor::Process(bool add_special_tokens, std::vector<int32_t>* ids) const {
  if (!add_special_tokens) return;
  for (const Step& step : steps_) {
    std::vector<int32_t> out;
    out.reserve(ids->size() + 4);
    for (const auto& piece : step.pieces) {
      if (piece.empty()) {
        out.insert(out.end(), ids->begin(), ids->end());
      } else {
        out.insert(out.end(), piece.begin(), piece.end());
      }
    }
    *ids = std::move(out);
  }
}

}  // namespace hybridserve::engine
