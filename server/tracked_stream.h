// A GenerationStream that records the server's per-sequence metrics as its deltas are read
// (time to first token, inter-token latency, generated tokens, and on the last delta the
// end-to-end latency, engine timings and finish reason). Destroying it before the last delta
// cancels the sequence (the engine releases its blocks and slot) and counts it as aborted.
#ifndef HYBRIDSERVE_SERVER_TRACKED_STREAM_H_
#define HYBRIDSERVE_SERVER_TRACKED_STREAM_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "server/generation_backend.h"
#include "server/metrics.h"

namespace hybridserve::server {

class TrackedStream {
 public:
  TrackedStream(std::unique_ptr<GenerationStream> stream, ServerMetrics* metrics,
                int64_t num_prompt_tokens, int64_t max_tokens, absl::Time submitted);
  ~TrackedStream();
  TrackedStream(const TrackedStream&) = delete;
  TrackedStream& operator=(const TrackedStream&) = delete;

  StreamRead Next(absl::Duration timeout, GenerationDelta* delta);
  void Cancel() { stream_->Cancel(); }
  bool finished() const { return finished_; }
  int64_t num_generated_tokens() const { return num_generated_tokens_; }
  std::optional<absl::Duration> time_to_first_token() const { return time_to_first_token_; }

 private:
  std::unique_ptr<GenerationStream> stream_;
  ServerMetrics* metrics_;
  const int64_t num_prompt_tokens_;
  const int64_t max_tokens_;
  const absl::Time submitted_;
  std::optional<absl::Time> last_token_;
  std::optional<absl::Duration> time_to_first_token_;
  int64_t num_generated_tokens_ = 0;
  bool finished_ = false;
};

// The n sequences of one request, read as one: Next returns whichever has output first.
class StreamGroup {
 public:
  void Add(std::unique_ptr<TrackedStream> stream) { streams_.push_back(std::move(stream)); }
  size_t size() const { return streams_.size(); }
  TrackedStream& stream(size_t index) { return *streams_[index]; }

  // kDelta with *index set, kTimeout, or kEnd once every stream has finished.
  StreamRead Next(absl::Duration timeout, size_t* index, GenerationDelta* delta);
  void CancelAll();

 private:
  std::vector<std::unique_ptr<TrackedStream>> streams_;
  size_t cursor_ = 0;
};

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_TRACKED_STREAM_H_
