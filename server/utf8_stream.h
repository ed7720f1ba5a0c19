// Text that goes out on the wire must be well-formed UTF-8 (a protobuf string field is refused by
// clients otherwise, and JSON would need escapes for raw bytes). Generated tokens do not respect
// character boundaries: one token may end inside a character that the next completes, and a model
// may emit bytes that never form a character. Utf8Stream releases whole characters only, holds a
// truncated character back until more bytes arrive, and replaces each maximal ill-formed
// subsequence by U+FFFD (the Unicode "maximal subpart" practice).
#ifndef HYBRIDSERVE_SERVER_UTF8_STREAM_H_
#define HYBRIDSERVE_SERVER_UTF8_STREAM_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hybridserve::server {

class Utf8Stream {
 public:
  // Appends bytes and returns the text now complete. With last, nothing is held back: a
  // truncated final character becomes U+FFFD.
  std::string Push(absl::string_view bytes, bool last);

 private:
  std::string pending_;
};

// bytes as well-formed UTF-8, each maximal ill-formed subsequence replaced by U+FFFD.
std::string LossyUtf8(absl::string_view bytes);

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_UTF8_STREAM_H_
