// Unit tests of the tokenizer's pieces, on small hand-written tokenizer.json files whose
// expected results follow from the format's definition (merge ranks, flags, byte tokens).
#include <string>
#include <vector>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/incremental_decoder.h"
#include "engine/tokenizer/normalizers.h"
#include "engine/tokenizer/regex.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// A tokenizer.json with a BPE model over the given vocab and merges, nothing else.
Json BaseJson(const std::vector<std::string>& vocab, const Json& merges) {
  Json j;
  j["version"] = "1.0";
  j["added_tokens"] = Json::array();
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = nullptr;
  j["post_processor"] = nullptr;
  j["decoder"] = nullptr;
  Json model = {{"type", "BPE"},     {"dropout", nullptr},     {"unk_token", nullptr},
                {"fuse_unk", false}, {"byte_fallback", false}, {"ignore_merges", false}};
  Json v = Json::object();
  for (size_t i = 0; i < vocab.size(); ++i) v[vocab[i]] = static_cast<int>(i);
  model["vocab"] = v;
  model["merges"] = merges;
  j["model"] = model;
  return j;
}

std::unique_ptr<Tokenizer> Load(const Json& j) {
  auto tokenizer = Tokenizer::FromJson(j.dump());
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status();
  return tokenizer.ok() ? *std::move(tokenizer) : nullptr;
}

std::vector<int32_t> Ids(const Tokenizer& tokenizer, std::string_view text, bool special = false) {
  auto ids = tokenizer.Encode(text, special);
  EXPECT_TRUE(ids.ok()) << ids.status();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

TEST(BpeModelTest, LowestRankMergeFirst) {
  // a=0 b=1 c=2 ab=3 bc=4 abc=5. "b c" outranks "a b", so "abc" -> a + bc -> abc via "a bc".
  auto t = Load(BaseJson({"a", "b", "c", "ab", "bc", "abc"}, {"b c", "a bc", "a b"}));
  EXPECT_THAT(Ids(*t, "abc"), ElementsAre(5));
  // With "a b" first, "abc" -> ab + c, and no "ab c" merge exists.
  auto u = Load(BaseJson({"a", "b", "c", "ab", "bc", "abc"}, {"a b", "b c", "a bc"}));
  EXPECT_THAT(Ids(*u, "abc"), ElementsAre(3, 2));
  EXPECT_THAT(Ids(*u, "cab"), ElementsAre(2, 3));
}

TEST(BpeModelTest, LegacyAndPairMergesAgree) {
  auto legacy = Load(BaseJson({"a", "b", "c", "ab", "abc"}, {"a b", "ab c"}));
  auto pairs =
      Load(BaseJson({"a", "b", "c", "ab", "abc"}, Json::parse(R"([["a","b"],["ab","c"]])")));
  EXPECT_THAT(Ids(*legacy, "abcab"), ElementsAre(4, 3));
  EXPECT_EQ(Ids(*legacy, "abcab"), Ids(*pairs, "abcab"));
}

TEST(BpeModelTest, IgnoreMergesTakesWholeWordFromVocab) {
  // "xyz" is in the vocab but no merge builds it.
  Json j = BaseJson({"x", "y", "z", "xy", "xyz"}, {"x y"});
  EXPECT_THAT(Ids(*Load(j), "xyz"), ElementsAre(3, 2));
  j["model"]["ignore_merges"] = true;
  EXPECT_THAT(Ids(*Load(j), "xyz"), ElementsAre(4));
  EXPECT_THAT(Ids(*Load(j), "xyzx"), ElementsAre(3, 2, 0));  // not a vocab word: merges apply
}

TEST(BpeModelTest, MergeMissingFromVocabIsAnError) {
  auto t = Tokenizer::FromJson(BaseJson({"a", "b"}, {"a b"}).dump());
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("\"ab\", which is not in the vocab"));
}

TEST(BpeModelTest, UnknownCharactersUseUnkAndFuse) {
  Json j = BaseJson({"<unk>", "a"}, Json::array());
  j["model"]["unk_token"] = "<unk>";
  EXPECT_THAT(Ids(*Load(j),
                  "a\xC3\xA9\xC3\xA9"
                  "a"),
              ElementsAre(1, 0, 0, 1));
  j["model"]["fuse_unk"] = true;
  EXPECT_THAT(Ids(*Load(j),
                  "a\xC3\xA9\xC3\xA9"
                  "a"),
              ElementsAre(1, 0, 1));
}

TEST(ByteLevelTest, TableMapsEveryByteAndBack) {
  EXPECT_EQ(ByteToChars(' '), "\xC4\xA0");   // U+0120 'Ġ'
  EXPECT_EQ(ByteToChars('\n'), "\xC4\x8A");  // U+010A 'Ċ'
  EXPECT_EQ(ByteToChars('A'), "A");
  EXPECT_EQ(ByteToChars(0xAD), "\xC5\x83");  // U+0143: the last remapped byte
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string mapped;
  AppendByteLevelChars(all, &mapped);
  std::string back;
  ASSERT_TRUE(AppendBytesOfChars(mapped, &back));
  EXPECT_EQ(back, all);
  EXPECT_FALSE(AppendBytesOfChars("\xE2\x96\x81", &back));  // U+2581 is not in the table
}

Json ByteLevelJson() {
  std::vector<std::string> vocab;
  for (int b = 0; b < 256; ++b) vocab.emplace_back(ByteToChars(static_cast<unsigned char>(b)));
  vocab.push_back("\xC4\xA0h");  // "Ġh"
  Json j = BaseJson(vocab, Json::array({"\xC4\xA0 h"}));
  j["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}};
  j["decoder"] = {{"type", "ByteLevel"}};
  return j;
}

TEST(AddedTokensTest, FlagsControlMatching) {
  Json j = ByteLevelJson();
  j["added_tokens"] = Json::parse(R"([
    {"id": 257, "content": "<L>", "lstrip": true, "rstrip": false, "single_word": false,
     "normalized": false, "special": true},
    {"id": 258, "content": "<R>", "lstrip": false, "rstrip": true, "single_word": false,
     "normalized": false, "special": true},
    {"id": 259, "content": "wq", "lstrip": false, "rstrip": false, "single_word": true,
     "normalized": false, "special": false}])");
  auto t = Load(j);
  ASSERT_NE(t, nullptr);
  // Vocab ids 0..255 are the bytes themselves (ASCII letters keep their code), 256 is "Ġh".
  // lstrip: the spaces before <L> are absorbed into it.
  EXPECT_THAT(Ids(*t, "a  <L>"), ElementsAre('a', 257));
  // rstrip: the spaces after <R> are absorbed.
  EXPECT_THAT(Ids(*t, "<R>  a"), ElementsAre(258, 'a'));
  // Without the flag the spaces stay: "a " + <R> gives 'a', ' ' (byte 0x20), <R>.
  EXPECT_THAT(Ids(*t, "a <R>"), ElementsAre('a', 0x20, 258));
  // single_word: "wq" alone is the added token, inside a word it is ordinary text.
  EXPECT_THAT(Ids(*t, "wq"), ElementsAre(259));
  EXPECT_THAT(Ids(*t, "(wq)"), ElementsAre('(', 259, ')'));
  EXPECT_THAT(Ids(*t, "wqx"), ElementsAre('w', 'q', 'x'));
  // Decoding: special tokens can be skipped; the non-special one cannot.
  auto ids = Ids(*t, "<R>wq");
  EXPECT_EQ(*t->Decode(ids, false), "<R>wq");
  EXPECT_EQ(*t->Decode(Ids(*t, "<R>x wq"), true), "x wq");
  EXPECT_TRUE(t->IsSpecial(257));
  EXPECT_FALSE(t->IsSpecial(259));
  EXPECT_EQ(t->TokenToId("<L>"), 257);
}

TEST(AddedTokensTest, NormalizedTokenMatchesNormalizedText) {
  Json j = ByteLevelJson();
  j["normalizer"] = {{"type", "NFKC"}};
  j["added_tokens"] = Json::parse(R"([{"id": 257, "content": "\uFB01x", "lstrip": false,
      "rstrip": false, "single_word": false, "normalized": true, "special": false}])");
  auto t = Load(j);
  // U+FB01 (the fi ligature) normalizes to "fi": the token is found as "fix" in the text.
  EXPECT_THAT(Ids(*t, "fix"), ElementsAre(257));
  EXPECT_THAT(Ids(*t, "\xEF\xAC\x81x"), ElementsAre(257));
  EXPECT_EQ(*t->Decode({257}, false), "fix");  // decodes to its normalized content
}

Json ByteFallbackJson() {
  std::vector<std::string> vocab = {"<unk>", "a", "\xE2\x96\x81"};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    vocab.emplace_back(name);
  }
  Json j = BaseJson(vocab, Json::array());
  j["model"]["unk_token"] = "<unk>";
  j["model"]["byte_fallback"] = true;
  j["normalizer"] = Json::parse(R"({"type": "Sequence", "normalizers": [
      {"type": "Prepend", "prepend": "\u2581"},
      {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]})");
  j["decoder"] = Json::parse(R"({"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"},
      {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})");
  return j;
}

TEST(ByteFallbackTest, UnknownCharactersBecomeByteTokens) {
  auto t = Load(ByteFallbackJson());
  // "é" = C3 A9 -> <0xC3> <0xA9> (ids 3 + byte).
  EXPECT_THAT(Ids(*t, "a\xC3\xA9"), ElementsAre(2, 1, 3 + 0xC3, 3 + 0xA9));
  EXPECT_EQ(*t->Decode(Ids(*t, "a \xC3\xA9 a"), false), "a \xC3\xA9 a");
  // An invalid byte run decodes to one U+FFFD per byte.
  EXPECT_EQ(*t->Decode({1, 3 + 0xC3, 3 + 0x41, 1}, false),
            "a\xEF\xBF\xBD\xEF\xBF\xBD"
            "a");
}

TEST(IncrementalDecoderTest, HoldsByteFallbackRunsAndPartialCharacters) {
  auto t = Load(ByteFallbackJson());
  IncrementalDecoder decoder(t.get(), false);
  // U+1F600 = F0 9F 98 80, then "a".
  EXPECT_EQ(*decoder.Add(2), "");  // "▁" at the very start is stripped
  EXPECT_EQ(*decoder.Add(3 + 0xF0), "");
  EXPECT_EQ(*decoder.Add(3 + 0x9F), "");
  EXPECT_EQ(*decoder.Add(3 + 0x98), "");
  EXPECT_EQ(*decoder.Add(3 + 0x80), "");  // a later byte could still extend the run
  EXPECT_EQ(*decoder.Add(1),
            "\xF0\x9F\x98\x80"
            "a");
  EXPECT_EQ(*decoder.Add(2), " ");
  EXPECT_EQ(*decoder.Add(1), "a");
  EXPECT_EQ(decoder.Finish(), "");
  EXPECT_FALSE(decoder.Add(100000).ok());

  auto b = Load(ByteLevelJson());
  IncrementalDecoder stream(b.get(), false);
  EXPECT_EQ(*stream.Add(0xE6), "");  // first byte of U+65E5 (E6 97 A5)
  EXPECT_EQ(*stream.Add(0x97), "");
  EXPECT_EQ(*stream.Add(0xA5), "\xE6\x97\xA5");
  EXPECT_EQ(*stream.Add(0xE6), "");
  EXPECT_EQ(stream.Finish(), "\xEF\xBF\xBD");  // an unfinished character at the end
}

TEST(NormalizerTest, UnicodeFormsAndComposition) {
  auto nfkc = ParseNormalizer(Json{{"type", "NFKC"}});
  ASSERT_TRUE(nfkc.ok());
  std::string text = "\xEF\xAC\x81 \xEF\xBC\xA1 \xE2\x91\xA0";  // ﬁ Ａ ①
  (*nfkc)->Normalize(&text);
  EXPECT_EQ(text, "fi A 1");
  auto nfc = ParseNormalizer(Json{{"type", "NFC"}});
  std::string accent = std::string("e\xCC\x81") + '\0' + "x";  // e + U+0301, a NUL inside
  (*nfc)->Normalize(&accent);
  EXPECT_EQ(accent, std::string("\xC3\xA9") + '\0' + "x");
  auto seq = ParseNormalizer(Json::parse(R"({"type": "Sequence", "normalizers": [
      {"type": "Prepend", "prepend": "_"}, {"type": "Replace",
       "pattern": {"Regex": "\\s+"}, "content": "-"}]})"));
  ASSERT_TRUE(seq.ok()) << seq.status();
  std::string words =
      "a \t b\xC2\x85"
      "c";  // U+0085 is whitespace, as in Oniguruma
  (*seq)->Normalize(&words);
  EXPECT_EQ(words, "_a-b-c");
  std::string empty;
  (*seq)->Normalize(&empty);
  EXPECT_EQ(empty, "");  // Prepend leaves empty text alone
}

TEST(RegexTest, WhitespaceClassIncludesNextLine) {
  auto regex = Regex::Compile("[^\\s\\p{L}]+|\\s+");
  ASSERT_TRUE(regex.ok());
  std::vector<std::pair<size_t, size_t>> matches;
  (*regex)->FindAll("ab\xC2\x85\xC2\x85!", &matches);
  EXPECT_THAT(matches, ElementsAre(std::make_pair(2u, 6u), std::make_pair(6u, 7u)));
  EXPECT_FALSE(Regex::Compile("(unclosed").ok());
}

TEST(Utf8Test, LossyAndIncomplete) {
  std::string out;
  AppendLossyUtf8(
      "\xE3\x81"
      "A\xF0\x80!",
      &out);
  EXPECT_EQ(out,
            "\xEF\xBF\xBD"
            "A\xEF\xBF\xBD\xEF\xBF\xBD!");
  EXPECT_EQ(IncompleteSuffixLength("a\xE3\x81"), 2u);
  EXPECT_EQ(IncompleteSuffixLength("a\xE3\x81\x81"), 0u);
  EXPECT_EQ(FirstInvalidUtf8("ok\xED\xA0\x80"), 2u);  // a surrogate
}

TEST(TokenizerErrorsTest, InvalidUtf8InputIsRejected) {
  auto t = Load(ByteLevelJson());
  auto ids = t->Encode(
      "ab\xFF"
      "c",
      false);
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ids.status().message(), HasSubstr("not valid UTF-8"));
  EXPECT_THAT(ids.status().message(), HasSubstr("byte offset 2"));
}

TEST(TokenizerErrorsTest, UnsupportedComponentsAreNamed) {
  struct Case {
    const char* field;
    Json value;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"pre_tokenizer",
       {{"type", "Whitespace"}},
       "tokenizer.json: pre_tokenizer type \"Whitespace\" is not supported"},
      {"normalizer", {{"type", "Lowercase"}}, "normalizer type \"Lowercase\" is not supported"},
      {"decoder", {{"type", "WordPiece"}}, "decoder type \"WordPiece\" is not supported"},
      {"post_processor",
       {{"type", "BertProcessing"}},
       "post_processor type \"BertProcessing\" is not supported"},
      {"model",
       {{"type", "Unigram"}, {"vocab", Json::array()}},
       "model type \"Unigram\" is not supported"},
      {"truncation", {{"max_length", 10}}, "truncation is not supported"},
  };
  for (const Case& c : cases) {
    Json j = ByteLevelJson();
    j[c.field] = c.value;
    auto t = Tokenizer::FromJson(j.dump());
    ASSERT_FALSE(t.ok()) << c.field;
    EXPECT_THAT(t.status().message(), HasSubstr(c.message));
  }
  // Nested inside a Sequence too.
  Json j = ByteLevelJson();
  j["pre_tokenizer"] = Json::parse(
      R"({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}]})");
  EXPECT_THAT(Tokenizer::FromJson(j.dump()).status().message(),
              HasSubstr("pre_tokenizer type \"Digits\" is not supported"));
  EXPECT_FALSE(Tokenizer::FromJson("{not json").ok());
}

TEST(TokenizerErrorsTest, UnknownIdsInDecodeAreErrors) {
  auto t = Load(ByteLevelJson());
  auto text = t->Decode({1, 999}, false);
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(text.status().message(), HasSubstr("token id 999"));
}

TEST(PreTokenizerTest, SplitBehaviorsAndMetaspace) {
  // "a-b--c" split on "-" with each behavior; vocab holds every piece the splits produce.
  const std::vector<std::string> vocab = {"a",  "b",  "c",  "-",  "a-",
                                          "b-", "-b", "-c", "--", "\xE2\x96\x81"};
  Json merges = Json::parse(R"([["a","-"],["b","-"],["-","b"],["-","c"],["-","-"]])");
  auto run = [&](const char* behavior) {
    Json j = BaseJson(vocab, merges);
    j["pre_tokenizer"] = {{"type", "Split"},
                          {"pattern", {{"String", "-"}}},
                          {"behavior", behavior},
                          {"invert", false}};
    return Ids(*Load(j), "a-b--c");
  };
  EXPECT_THAT(run("Removed"), ElementsAre(0, 1, 2));
  EXPECT_THAT(run("Isolated"), ElementsAre(0, 3, 1, 3, 3, 2));
  EXPECT_THAT(run("MergedWithPrevious"), ElementsAre(4, 5, 3, 2));
  EXPECT_THAT(run("MergedWithNext"), ElementsAre(0, 6, 3, 7));
  EXPECT_THAT(run("Contiguous"), ElementsAre(0, 3, 1, 8, 2));

  Json m = BaseJson(vocab, Json::array());
  m["pre_tokenizer"] = Json::parse(
      R"({"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": true})");
  m["added_tokens"] = Json::parse(R"([{"id": 3, "content": "-", "lstrip": false,
      "rstrip": false, "single_word": false, "normalized": false, "special": true}])");
  auto t = Load(m);
  EXPECT_THAT(Ids(*t, "a b"), ElementsAre(9, 0, 9, 1));
  // "first": only the piece at the start of the input gets the marker.
  EXPECT_THAT(Ids(*t, "-a"), ElementsAre(3, 0));
}

}  // namespace
}  // namespace hybridserve::engine
