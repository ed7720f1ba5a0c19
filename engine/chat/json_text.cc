#include "engine/chat/json_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/chat/utf8_text.h"

namespace hybridserve::engine::chat {
namespace {

absl::StatusOr<Value> FromJsonAt(const nlohmann::ordered_json& json, int depth, int max_depth) {
  if (depth > max_depth) {
    return absl::InvalidArgumentError(
        absl::StrCat("json input nests deeper than ", max_depth, " levels"));
  }
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::None();
    case nlohmann::ordered_json::value_t::boolean:
      return Value::Bool(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value::Int(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const uint64_t u = json.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Value::Int(static_cast<int64_t>(u));
      }
      return Value::Float(static_cast<double>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value::Float(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value::String(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) {
        HS_ASSIGN_OR_RETURN(Value v, FromJsonAt(item, depth + 1, max_depth));
        items.push_back(std::move(v));
      }
      return Value::List(std::move(items), SeqFlavor::kList, max_depth + 1);
    }
    case nlohmann::ordered_json::value_t::object: {
      DictData dict;
      for (const auto& [key, item] : json.items()) {
        HS_ASSIGN_OR_RETURN(Value v, FromJsonAt(item, depth + 1, max_depth));
        dict.Set(key, std::move(v));
      }
      return Value::Dict(std::move(dict), max_depth + 1);
    }
    default:
      return absl::InvalidArgumentError("unsupported json value (binary or discarded)");
  }
}

void AppendJsonString(const std::string& text, bool ensure_ascii, std::string* out) {
  out->push_back('"');
  for (char32_t cp : DecodeUtf8(text)) {
    char buf[16];
    switch (cp) {
      case '"':
        *out += "\\\"";
        continue;
      case '\\':
        *out += "\\\\";
        continue;
      case '\n':
        *out += "\\n";
        continue;
      case '\r':
        *out += "\\r";
        continue;
      case '\t':
        *out += "\\t";
        continue;
      case '\b':
        *out += "\\b";
        continue;
      case '\f':
        *out += "\\f";
        continue;
      default:
        break;
    }
    if (cp < 0x20 || (ensure_ascii && cp > 0x7E)) {
      if (cp >= 0x10000) {
        const char32_t v = cp - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(cp));
      }
      *out += buf;
    } else {
      AppendUtf8(cp, out);
    }
  }
  out->push_back('"');
}

absl::Status Dump(const Value& value, const JsonDumpOptions& options, int level, std::string* out) {
  auto newline = [&](int at_level) {
    if (!options.indent.has_value()) return;
    out->push_back('\n');
    for (int i = 0; i < at_level; ++i) *out += *options.indent;
  };
  switch (value.kind()) {
    case Value::Kind::kNone:
      *out += "null";
      return absl::OkStatus();
    case Value::Kind::kBool:
      *out += value.bool_value() ? "true" : "false";
      return absl::OkStatus();
    case Value::Kind::kInt:
      absl::StrAppend(out, value.int_value());
      return absl::OkStatus();
    case Value::Kind::kFloat: {
      const double f = value.float_value();
      if (std::isnan(f)) {
        *out += "NaN";
      } else if (std::isinf(f)) {
        *out += f > 0 ? "Infinity" : "-Infinity";
      } else {
        *out += ReprFloat(f);
      }
      return absl::OkStatus();
    }
    case Value::Kind::kString:
      AppendJsonString(value.string_value(), options.ensure_ascii, out);
      return absl::OkStatus();
    case Value::Kind::kList: {
      if (value.list().flavor == SeqFlavor::kGenerator) break;
      if (value.items().empty()) {
        *out += "[]";
        return absl::OkStatus();
      }
      out->push_back('[');
      for (size_t i = 0; i < value.items().size(); ++i) {
        if (i > 0) *out += options.item_separator;
        newline(level + 1);
        HS_RETURN_IF_ERROR(Dump(value.items()[i], options, level + 1, out));
      }
      newline(level);
      out->push_back(']');
      return absl::OkStatus();
    }
    case Value::Kind::kDict: {
      const auto& items = value.dict().items;
      if (items.empty()) {
        *out += "{}";
        return absl::OkStatus();
      }
      std::vector<size_t> order(items.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      if (options.sort_keys) {
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return items[a].first < items[b].first; });
      }
      out->push_back('{');
      for (size_t i = 0; i < order.size(); ++i) {
        if (i > 0) *out += options.item_separator;
        newline(level + 1);
        AppendJsonString(items[order[i]].first, options.ensure_ascii, out);
        *out += options.key_separator;
        HS_RETURN_IF_ERROR(Dump(items[order[i]].second, options, level + 1, out));
      }
      newline(level);
      out->push_back('}');
      return absl::OkStatus();
    }
    default:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("Object of type ", value.TypeName(), " is not JSON serializable"));
}

}  // namespace

absl::StatusOr<Value> FromJson(const nlohmann::ordered_json& json, int max_depth) {
  return FromJsonAt(json, 0, max_depth);
}

absl::StatusOr<std::string> DumpJson(const Value& value, const JsonDumpOptions& options) {
  std::string out;
  HS_RETURN_IF_ERROR(Dump(value, options, 0, &out));
  return out;
}

}  // namespace hybridserve::engine::chat
