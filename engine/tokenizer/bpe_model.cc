#include "engine/tokenizer/bpe_model.h"

#include <queue>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "engine/tokenizer/json_fields.h"
#include "engine/tokenizer/utf8.h"

namespace hybridserve::engine {
namespace {

using json_fields::Json;

absl::string_view AbslView(std::string_view s) { return absl::string_view(s.data(), s.size()); }

uint64_t PairKey(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  int32_t len;  // bytes of the word it covers; 0 once merged into its left neighbour
};

struct MergeCandidate {
  int32_t rank;
  int32_t pos;
  int32_t new_id;
};

// Orders the priority queue so that top() is the lowest rank, then the leftmost position.
struct LaterCandidate {
  bool operator()(const MergeCandidate& a, const MergeCandidate& b) const {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.pos > b.pos;
  }
};

absl::StatusOr<std::optional<std::string>> OptionalString(const Json& j, const char* field) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return json_fields::BadField("model", field, "a string or null");
  return std::optional<std::string>(it->get<std::string>());
}

}  // namespace

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::FromJson(const Json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("model must be an object");
  const std::string type = json_fields::TypeOf(j);
  if (!(type == "BPE" || (type.empty() && j.contains("merges")))) {
    return json_fields::Unsupported("model", type.empty() ? "(none)" : type);
  }
  std::unique_ptr<BpeModel> model(new BpeModel());
  if (auto it = j.find("dropout"); it != j.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() != 0.0) {
      return absl::UnimplementedError("model: BPE dropout is not supported (set it to null)");
    }
  }
  auto vocab_it = j.find("vocab");
  if (vocab_it == j.end() || !vocab_it->is_object()) {
    return json_fields::BadField("model", "vocab", "an object of token -> id");
  }
  int64_t max_id = -1;
  for (auto it = vocab_it->begin(); it != vocab_it->end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0 ||
        it.value().get<int64_t>() > INT32_MAX - 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("model: vocab id of \"", it.key(), "\" must be a non-negative integer"));
    }
    const int64_t id = it.value().get<int64_t>();
    model->vocab_[it.key()] = static_cast<int32_t>(id);
    max_id = std::max(max_id, id);
  }
  model->id_to_token_.resize(static_cast<size_t>(max_id + 1));
  model->has_id_.assign(static_cast<size_t>(max_id + 1), false);
  for (const auto& [token, id] : model->vocab_) {
    model->id_to_token_[id] = token;
    model->has_id_[id] = true;
  }

  HS_ASSIGN_OR_RETURN(std::optional<std::string> unk, OptionalString(j, "unk_token"));
  HS_ASSIGN_OR_RETURN(std::optional<std::string> prefix,
                      OptionalString(j, "continuing_subword_prefix"));
  HS_ASSIGN_OR_RETURN(std::optional<std::string> suffix, OptionalString(j, "end_of_word_suffix"));
  HS_ASSIGN_OR_RETURN(model->fuse_unk_, json_fields::GetBool(j, "fuse_unk", false, "model"));
  HS_ASSIGN_OR_RETURN(model->byte_fallback_,
                      json_fields::GetBool(j, "byte_fallback", false, "model"));
  HS_ASSIGN_OR_RETURN(model->ignore_merges_,
                      json_fields::GetBool(j, "ignore_merges", false, "model"));
  if (unk.has_value()) {
    auto it = model->vocab_.find(*unk);
    if (it == model->vocab_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("model: unk_token \"", *unk, "\" is not in the vocab"));
    }
    model->unk_id_ = it->second;
  }
  model->continuing_subword_prefix_ = prefix.value_or("");
  model->end_of_word_suffix_ = suffix.value_or("");
  for (int b = 0; b < 256; ++b) {
    auto it = model->vocab_.find(absl::StrFormat("<0x%02X>", b));
    model->byte_ids_[b] = it == model->vocab_.end() ? -1 : it->second;
  }

  auto merges_it = j.find("merges");
  if (merges_it == j.end() || !merges_it->is_array()) {
    return json_fields::BadField("model", "merges", "an array");
  }
  const size_t prefix_len = model->continuing_subword_prefix_.size();
  int32_t rank = 0;
  for (const Json& merge : *merges_it) {
    std::string left;
    std::string right;
    if (merge.is_string()) {
      const std::string line = merge.get<std::string>();
      if (line.rfind("#version", 0) == 0) continue;
      const size_t space = line.find(' ');
      if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("model: merge ", rank + 1, " (\"", line,
                         "\") must be two tokens separated by a space"));
      }
      left = line.substr(0, space);
      right = line.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      left = merge[0].get<std::string>();
      right = merge[1].get<std::string>();
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("model: merge ", rank + 1, " must be \"a b\" or [\"a\", \"b\"]"));
    }
    auto left_it = model->vocab_.find(left);
    auto right_it = model->vocab_.find(right);
    const std::string merged =
        left + (right.size() >= prefix_len ? right.substr(prefix_len) : std::string());
    auto merged_it = model->vocab_.find(merged);
    for (const std::string* missing : std::array<const std::string*, 3>{&left, &right, &merged}) {
      if (model->vocab_.find(*missing) == model->vocab_.end()) {
        return absl::InvalidArgumentError(absl::StrCat("model: merge ", rank + 1, " uses \"",
                                                       *missing, "\", which is not in the vocab"));
      }
    }
    model->merges_[PairKey(left_it->second, right_it->second)] = {rank, merged_it->second};
    ++rank;
  }
  return model;
}

std::optional<int32_t> BpeModel::TokenToId(std::string_view token) const {
  auto it = vocab_.find(AbslView(token));
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

const std::string* BpeModel::IdToToken(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= has_id_.size() || !has_id_[id]) return nullptr;
  return &id_to_token_[id];
}

void BpeModel::Tokenize(std::string_view word, std::vector<int32_t>* ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (auto it = vocab_.find(AbslView(word)); it != vocab_.end()) {
      ids->push_back(it->second);
      return;
    }
  }
  if (cache_.Lookup(word, ids)) return;
  const size_t before = ids->size();
  MergeWord(word, ids);
  cache_.Insert(word, ids->data() + before, ids->size() - before);
}

void BpeModel::MergeWord(std::string_view word, std::vector<int32_t>* ids) const {
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  auto add = [&symbols](int32_t id, int32_t len) {
    const auto index = static_cast<int32_t>(symbols.size());
    if (!symbols.empty()) symbols.back().next = index;
    symbols.push_back(Symbol{id, index - 1, -1, len});
  };
  int32_t pending_unk_id = -1;  // a pending unk token (fused over several characters)
  int32_t pending_unk_len = 0;
  std::string piece;
  size_t pos = 0;
  while (pos < word.size()) {
    size_t length = 1;
    if (static_cast<uint8_t>(word[pos]) >= 0x80) DecodeCodePoint(word, pos, &length);
    const bool is_first = pos == 0;
    const bool is_last = pos + length >= word.size();
    std::string_view s = word.substr(pos, length);
    if ((!is_first && !continuing_subword_prefix_.empty()) ||
        (is_last && !end_of_word_suffix_.empty())) {
      piece.clear();
      if (!is_first) piece.append(continuing_subword_prefix_);
      piece.append(s);
      if (is_last) piece.append(end_of_word_suffix_);
      s = piece;
    }
    const auto byte_len = static_cast<int32_t>(length);
    pos += length;
    if (auto it = vocab_.find(AbslView(s)); it != vocab_.end()) {
      if (pending_unk_id >= 0) {
        add(pending_unk_id, pending_unk_len);
        pending_unk_id = -1;
      }
      add(it->second, byte_len);
      continue;
    }
    if (byte_fallback_) {
      bool all_bytes = true;
      for (const char c : s) all_bytes = all_bytes && byte_ids_[static_cast<uint8_t>(c)] >= 0;
      if (all_bytes) {
        for (const char c : s) add(byte_ids_[static_cast<uint8_t>(c)], 1);
        continue;
      }
    }
    if (unk_id_.has_value()) {
      if (pending_unk_id >= 0 && fuse_unk_) {
        pending_unk_len += byte_len;
      } else {
        if (pending_unk_id >= 0) add(pending_unk_id, pending_unk_len);
        pending_unk_id = *unk_id_;
        pending_unk_len = byte_len;
      }
    }
  }
  if (pending_unk_id >= 0) add(pending_unk_id, pending_unk_len);

  if (symbols.size() > 1) {
    std::vector<MergeCandidate> storage;
    storage.reserve(symbols.size() * 2);
    std::priority_queue<MergeCandidate, std::vector<MergeCandidate>, LaterCandidate> queue(
        LaterCandidate(), std::move(storage));
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto it = merges_.find(PairKey(symbols[i].id, symbols[i + 1].id));
      if (it != merges_.end()) {
        queue.push({it->second.first, static_cast<int32_t>(i), it->second.second});
      }
    }
    while (!queue.empty()) {
      const MergeCandidate top = queue.top();
      queue.pop();
      Symbol& current = symbols[top.pos];
      if (current.len == 0 || current.next == -1) continue;
      const int32_t next_pos = current.next;
      const Symbol right = symbols[next_pos];
      auto it = merges_.find(PairKey(current.id, right.id));
      if (it == merges_.end() || it->second.second != top.new_id) continue;  // stale entry
      current.id = top.new_id;
      current.len += right.len;
      current.next = right.next;
      symbols[next_pos].len = 0;
      if (right.next >= 0) symbols[right.next].prev = top.pos;
      if (current.prev >= 0) {
        auto prev_it = merges_.find(PairKey(symbols[current.prev].id, current.id));
        if (prev_it != merges_.end()) {
          queue.push({prev_it->second.first, current.prev, prev_it->second.second});
        }
      }
      if (current.next >= 0) {
        auto next_it = merges_.find(PairKey(current.id, symbols[current.next].id));
        if (next_it != merges_.end()) {
          queue.push({next_it->second.first, top.pos, next_it->second.second});
        }
      }
    }
  }
  for (const Symbol& symbol : symbols) {
    if (symbol.len != 0) ids->push_back(symbol.id);
  }
}

}  // namespace hybridserve::engine
