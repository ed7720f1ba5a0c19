// Finds stop strings in a sequence's generated text as it grows token by token, and decides how
// much of the text is safe to stream: text that could still be the beginning of a stop string is
// held back until it is clearly not one, and so is an incomplete UTF-8 character at the end.
// When a stop string appears, the text up to (not including) it is released and matching ends.
#ifndef HYBRIDSERVE_ENGINE_SAMPLING_STOP_STRING_MATCHER_H_
#define HYBRIDSERVE_ENGINE_SAMPLING_STOP_STRING_MATCHER_H_

#include <string>
#include <vector>

namespace hybridserve::engine {

class StopStringMatcher {
 public:
  explicit StopStringMatcher(std::vector<std::string> stop_strings);

  struct Result {
    std::string text;      // newly released text
    bool stopped = false;  // a stop string was found; no more text follows
  };
  // Appends the bytes of one token. With check_stops false (before min_tokens) stop strings are
  // neither searched nor held back.
  Result Append(const std::string& bytes, bool check_stops = true);
  // Releases everything held back (the sequence ended for another reason).
  std::string Flush();

  bool stopped() const { return stopped_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // generated text not yet released
  bool stopped_ = false;
};

// Number of bytes at the end of text that form an incomplete UTF-8 character (0 to 3).
size_t IncompleteUtf8Suffix(const std::string& text);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SAMPLING_STOP_STRING_MATCHER_H_
