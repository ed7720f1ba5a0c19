// Utf8Stream releases whole characters only, holds truncated ones back, and replaces ill-formed
// bytes by U+FFFD per maximal subpart.
#include "server/utf8_stream.h"

#include "gtest/gtest.h"

namespace hybridserve::server {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8StreamTest, AsciiAndWholeCharactersPassThrough) {
  Utf8Stream stream;
  EXPECT_EQ(stream.Push("abc \xE2\x96\x81 \xF0\x9F\x98\x80", false),
            "abc \xE2\x96\x81 \xF0\x9F\x98\x80");
}

TEST(Utf8StreamTest, ACharacterSplitAcrossTokensIsReleasedWhole) {
  Utf8Stream stream;
  EXPECT_EQ(stream.Push("x\xF0\x9F", false), "x");
  EXPECT_EQ(stream.Push("\x98", false), "");
  EXPECT_EQ(stream.Push("\x80y", false), "\xF0\x9F\x98\x80y");
}

TEST(Utf8StreamTest, IllFormedBytesBecomeReplacementCharacters) {
  Utf8Stream stream;
  EXPECT_EQ(stream.Push("\x80"
                        "a",
                        false),
            kFffd + "a");                                                // stray continuation
  EXPECT_EQ(stream.Push("\xC0\x80", false), kFffd + kFffd);              // overlong lead
  EXPECT_EQ(stream.Push("\xED\xA0\x80", false), kFffd + kFffd + kFffd);  // surrogate
  EXPECT_EQ(stream.Push("\xE2\x96"
                        "b",
                        false),
            kFffd + "b");                        // cut short
  EXPECT_EQ(stream.Push("\xF5", false), kFffd);  // past U+10FFFF
}

TEST(Utf8StreamTest, TheLastPushFlushesATruncatedCharacter) {
  Utf8Stream stream;
  EXPECT_EQ(stream.Push("ok\xE2\x96", false), "ok");
  EXPECT_EQ(stream.Push("", true), kFffd);
  EXPECT_EQ(LossyUtf8("\xE2\x96\x81\xE2"), "\xE2\x96\x81" + kFffd);
}

}  // namespace
}  // namespace hybridserve::server
