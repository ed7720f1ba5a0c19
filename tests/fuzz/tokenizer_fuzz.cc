// libFuzzer target for engine/tokenizer: arbitrary bytes as text to encode and as token ids to
// stream-decode, with the committed tokenizer.json files of tests/golden/tokenizer/data.
// Checks: invalid UTF-8 is rejected (never crashes), valid text encodes and decodes, and the
// concatenated IncrementalDecoder deltas are valid UTF-8 and equal the full decode.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/incremental_decoder.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace {

using hybridserve::engine::IncrementalDecoder;
using hybridserve::engine::Tokenizer;

constexpr const char* kKinds[] = {"spm", "gpt2", "spm_metaspace", "llama3", "nfkc"};
constexpr size_t kNumKinds = sizeof(kKinds) / sizeof(kKinds[0]);

const std::vector<std::unique_ptr<Tokenizer>>& Tokenizers() {
  static auto* tokenizers = [] {
    auto* list = new std::vector<std::unique_ptr<Tokenizer>>();
    for (const char* kind : kKinds) {
      auto loaded = Tokenizer::FromFile(std::string(HS_FUZZ_TOKENIZER_DATA_DIR) + "/" + kind +
                                        "/tokenizer.json");
      if (!loaded.ok()) {
        std::fprintf(stderr, "cannot load %s tokenizer: %s\n", kind,
                     std::string(loaded.status().message()).c_str());
        std::abort();
      }
      list->push_back(*std::move(loaded));
    }
    return list;
  }();
  return *tokenizers;
}

void CheckStream(const Tokenizer& tokenizer, const std::vector<int32_t>& ids, bool skip) {
  auto full = tokenizer.Decode(ids, skip);
  if (!full.ok()) std::abort();
  if (!hybridserve::engine::IsValidUtf8(*full)) std::abort();
  IncrementalDecoder decoder(&tokenizer, skip);
  std::string streamed;
  for (const int32_t id : ids) {
    auto delta = decoder.Add(id);
    if (!delta.ok() || !hybridserve::engine::IsValidUtf8(*delta)) std::abort();
    streamed += *delta;
  }
  const std::string rest = decoder.Finish();
  if (!hybridserve::engine::IsValidUtf8(rest)) std::abort();
  streamed += rest;
  if (streamed != *full) {
    std::fprintf(stderr, "stream \"%s\" != decode \"%s\"\n", streamed.c_str(), full->c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Tokenizer& tokenizer = *Tokenizers()[data[0] % kNumKinds];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  // 1. The bytes as text.
  auto ids = tokenizer.Encode(text, /*add_special_tokens=*/(data[0] & 0x80) != 0);
  if (ids.ok() != hybridserve::engine::IsValidUtf8(text)) std::abort();
  if (ids.ok()) {
    for (const int32_t id : *ids) {
      if (id < 0 || id >= tokenizer.vocab_size()) std::abort();
    }
    CheckStream(tokenizer, *ids, false);
    CheckStream(tokenizer, *ids, true);
  }

  // 2. The bytes as token ids (two bytes each), a stream a model could emit.
  std::vector<int32_t> raw_ids;
  for (size_t i = 1; i + 1 < size; i += 2) {
    raw_ids.push_back(static_cast<int32_t>((data[i] << 8 | data[i + 1]) % tokenizer.vocab_size()));
  }
  CheckStream(tokenizer, raw_ids, (data[0] & 0x40) != 0);
  return 0;
}
