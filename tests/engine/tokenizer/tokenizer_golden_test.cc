// Every recorded string of every tokenizer kind in tests/golden/tokenizer/data: our ids and
// decodes must equal those the Hugging Face tokenizers library produced, and streaming decode
// must reproduce the full decode, as must the engine's per-token text (TokenizerTextSource).
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/tokenizer/incremental_decoder.h"
#include "engine/tokenizer/token_text_source.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

std::string DataDir(const std::string& kind) {
  return std::string(HS_TEST_DATA_DIR) + "/golden/tokenizer/data/" + kind;
}

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream file(path);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return nlohmann::json::parse(buffer.str());
}

std::string Escaped(const std::string& text) { return nlohmann::json(text).dump(); }

class TokenizerGoldenTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto tokenizer = Tokenizer::FromFile(DataDir(GetParam()) + "/tokenizer.json");
    ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
    tokenizer_ = *std::move(tokenizer);
    reference_ = ReadJson(DataDir(GetParam()) + "/reference.json");
    ASSERT_GE(reference_["cases"].size(), 100u);
  }

  // Streams ids through an IncrementalDecoder; checks each delta and returns their concatenation.
  std::string Stream(const std::vector<int32_t>& ids, bool skip_special) {
    IncrementalDecoder decoder(tokenizer_.get(), skip_special);
    std::string all;
    for (const int32_t id : ids) {
      auto delta = decoder.Add(id);
      EXPECT_TRUE(delta.ok()) << delta.status();
      if (!delta.ok()) return all;
      EXPECT_TRUE(IsValidUtf8(*delta)) << Escaped(*delta);
      all += *delta;
    }
    const std::string rest = decoder.Finish();
    EXPECT_TRUE(IsValidUtf8(rest));
    return all + rest;
  }

  std::unique_ptr<Tokenizer> tokenizer_;
  nlohmann::json reference_;
};

TEST_P(TokenizerGoldenTest, EncodeMatchesReference) {
  for (const auto& c : reference_["cases"]) {
    const std::string text = c["text"];
    auto with_special = tokenizer_->Encode(text, /*add_special_tokens=*/true);
    ASSERT_TRUE(with_special.ok()) << with_special.status();
    EXPECT_EQ(*with_special, c["ids"].get<std::vector<int32_t>>()) << Escaped(text);
    auto plain = tokenizer_->Encode(text, /*add_special_tokens=*/false);
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_EQ(*plain, c["ids_no_special"].get<std::vector<int32_t>>()) << Escaped(text);
  }
}

TEST_P(TokenizerGoldenTest, DecodeMatchesReference) {
  for (const auto& c : reference_["cases"]) {
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    const auto plain = c["ids_no_special"].get<std::vector<int32_t>>();
    auto decoded = tokenizer_->Decode(ids, /*skip_special_tokens=*/false);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, c["decode"].get<std::string>()) << Escaped(c["text"]);
    auto skipped = tokenizer_->Decode(ids, /*skip_special_tokens=*/true);
    ASSERT_TRUE(skipped.ok()) << skipped.status();
    EXPECT_EQ(*skipped, c["decode_skip_special"].get<std::string>()) << Escaped(c["text"]);
    auto decoded_plain = tokenizer_->Decode(plain, /*skip_special_tokens=*/false);
    ASSERT_TRUE(decoded_plain.ok()) << decoded_plain.status();
    EXPECT_EQ(*decoded_plain, c["decode_no_special"].get<std::string>()) << Escaped(c["text"]);
  }
}

TEST_P(TokenizerGoldenTest, StreamingDecodeConcatenatesToFullDecode) {
  for (const auto& c : reference_["cases"]) {
    const auto ids = c["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(Stream(ids, false), c["decode"].get<std::string>()) << Escaped(c["text"]);
    EXPECT_EQ(Stream(ids, true), c["decode_skip_special"].get<std::string>()) << Escaped(c["text"]);
  }
}

// The engine streams FirstTokenBytes of the first token with text, then TokenBytes of the rest
// (special tokens have none). Decodes holding U+FFFD (invalid byte runs) are skipped: the engine
// streams those bytes as they are.
TEST_P(TokenizerGoldenTest, TextSourceBytesConcatenateToFullDecode) {
  const TokenizerTextSource source(*tokenizer_);
  int64_t num_checked = 0;
  for (const auto& c : reference_["cases"]) {
    const std::string decode = c["decode_skip_special"];
    if (decode.find(kReplacementChar) != std::string::npos) continue;
    std::string text;
    bool started = false;
    for (const int32_t id : c["ids"].get<std::vector<int32_t>>()) {
      std::string bytes = source.TokenBytes(id);
      if (!started && !bytes.empty()) {
        started = true;
        bytes = source.FirstTokenBytes(id);
      }
      text += bytes;
    }
    EXPECT_EQ(text, decode) << Escaped(c["text"]);
    ++num_checked;
  }
  EXPECT_GE(num_checked, 50);
}

TEST_P(TokenizerGoldenTest, ConcurrentEncodeAgrees) {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (const auto& c : reference_["cases"]) {
        auto ids = tokenizer_->Encode(c["text"].get<std::string>(), true);
        if (!ids.ok() || *ids != c["ids"].get<std::vector<int32_t>>()) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(failures, ::testing::Each(0));
}

INSTANTIATE_TEST_SUITE_P(AllKinds, TokenizerGoldenTest,
                         ::testing::Values("gpt2", "llama3", "spm", "spm_metaspace", "nfkc"));

}  // namespace
}  // namespace hybridserve::engine
