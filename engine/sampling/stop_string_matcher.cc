#include "engine/sampling/stop_string_matcher.h"

#include <algorithm>

namespace hybridserve::engine {

size_t IncompleteUtf8Suffix(const std::string& text) {
  // Walk back over at most 3 continuation bytes to the lead byte.
  const size_t n = text.size();
  for (size_t back = 1; back <= std::min<size_t>(4, n); ++back) {
    const unsigned char c = static_cast<unsigned char>(text[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    size_t length = 1;
    if ((c & 0xE0) == 0xC0)
      length = 2;
    else if ((c & 0xF0) == 0xE0)
      length = 3;
    else if ((c & 0xF8) == 0xF0)
      length = 4;
    return length > back ? back : 0;
  }
  return 0;  // only continuation bytes: nothing to wait for
}

StopStringMatcher::StopStringMatcher(std::vector<std::string> stop_strings)
    : stops_(std::move(stop_strings)) {}

StopStringMatcher::Result StopStringMatcher::Append(const std::string& bytes, bool check_stops) {
  Result result;
  if (stopped_) {
    result.stopped = true;
    return result;
  }
  pending_ += bytes;
  size_t hold = 0;
  if (check_stops && !stops_.empty()) {
    // Earliest occurrence of any stop string. Text already released can never hold the start of
    // one: anything that could begin a stop string was held back.
    size_t first = std::string::npos;
    for (const std::string& stop : stops_) first = std::min(first, pending_.find(stop));
    if (first != std::string::npos) {
      result.text = pending_.substr(0, first);
      result.stopped = stopped_ = true;
      pending_.clear();
      return result;
    }
    // Longest end of the text that is a proper prefix of some stop string.
    for (const std::string& stop : stops_) {
      for (size_t k = std::min(stop.size() - 1, pending_.size()); k > hold; --k) {
        if (pending_.compare(pending_.size() - k, k, stop, 0, k) == 0) {
          hold = k;
          break;
        }
      }
    }
  }
  hold = std::max(hold, IncompleteUtf8Suffix(pending_));
  result.text = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return result;
}

std::string StopStringMatcher::Flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace hybridserve::engine
