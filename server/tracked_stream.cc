#include "server/tracked_stream.h"

#include <algorithm>
#include <utility>

namespace hybridserve::server {

TrackedStream::TrackedStream(std::unique_ptr<GenerationStream> stream, ServerMetrics* metrics,
                             int64_t num_prompt_tokens, int64_t max_tokens, absl::Time submitted)
    : stream_(std::move(stream)),
      metrics_(metrics),
      num_prompt_tokens_(num_prompt_tokens),
      max_tokens_(max_tokens),
      submitted_(submitted) {}

TrackedStream::~TrackedStream() {
  if (finished_) return;
  stream_->Cancel();
  if (metrics_ != nullptr) {
    const absl::Time now = absl::Now();
    metrics_->ObserveFinished({.reason = FinishReason::kCancelled,
                               .num_prompt_tokens = num_prompt_tokens_,
                               .num_generated_tokens = num_generated_tokens_,
                               .e2e_seconds = absl::ToDoubleSeconds(now - submitted_),
                               .timings = {},
                               .max_tokens = max_tokens_});
  }
}

StreamRead TrackedStream::Next(absl::Duration timeout, GenerationDelta* delta) {
  const StreamRead read = stream_->Next(timeout, delta);
  if (read != StreamRead::kDelta) {
    if (read == StreamRead::kEnd) finished_ = true;
    return read;
  }
  const absl::Time now = absl::Now();
  const int64_t num_new = static_cast<int64_t>(delta->token_ids.size());
  if (num_new > 0) {
    if (!last_token_.has_value()) {
      time_to_first_token_ = now - submitted_;
      if (metrics_ != nullptr)
        metrics_->ObserveTimeToFirstToken(absl::ToDoubleSeconds(now - submitted_));
      // Tokens after the first in the same delta arrived with it.
      for (int64_t i = 1; i < num_new && metrics_ != nullptr; ++i) {
        metrics_->ObserveInterTokenLatency(0.0);
      }
    } else if (metrics_ != nullptr) {
      const double gap = absl::ToDoubleSeconds(now - *last_token_) / static_cast<double>(num_new);
      for (int64_t i = 0; i < num_new; ++i) metrics_->ObserveInterTokenLatency(gap);
    }
    last_token_ = now;
    num_generated_tokens_ += num_new;
    if (metrics_ != nullptr) metrics_->AddGeneratedTokens(num_new);
  }
  if (delta->finished) {
    finished_ = true;
    if (metrics_ != nullptr) {
      metrics_->ObserveFinished({.reason = delta->finish_reason,
                                 .num_prompt_tokens = num_prompt_tokens_,
                                 .num_generated_tokens = num_generated_tokens_,
                                 .e2e_seconds = absl::ToDoubleSeconds(now - submitted_),
                                 .timings = delta->timings,
                                 .max_tokens = max_tokens_});
    }
  }
  return read;
}

StreamRead StreamGroup::Next(absl::Duration timeout, size_t* index, GenerationDelta* delta) {
  const absl::Time deadline = absl::Now() + timeout;
  // With several streams, poll each briefly so that one idle stream does not hold up another.
  const absl::Duration slice = streams_.size() == 1 ? timeout : absl::Milliseconds(2);
  while (true) {
    bool any_open = false;
    for (size_t k = 0; k < streams_.size(); ++k) {
      const size_t i = (cursor_ + k) % streams_.size();
      if (streams_[i]->finished()) continue;
      any_open = true;
      const StreamRead read = streams_[i]->Next(absl::ZeroDuration(), delta);
      if (read == StreamRead::kDelta) {
        cursor_ = (i + 1) % streams_.size();
        *index = i;
        return read;
      }
    }
    if (!any_open) return StreamRead::kEnd;
    const absl::Time now = absl::Now();
    if (now >= deadline) return StreamRead::kTimeout;
    // Block on the next open stream for one slice.
    for (size_t k = 0; k < streams_.size(); ++k) {
      const size_t i = (cursor_ + k) % streams_.size();
      if (streams_[i]->finished()) continue;
      const StreamRead read = streams_[i]->Next(std::min(slice, deadline - now), delta);
      if (read == StreamRead::kDelta) {
        cursor_ = (i + 1) % streams_.size();
        *index = i;
        return read;
      }
      break;
    }
  }
}

void StreamGroup::CancelAll() {
  for (auto& stream : streams_) stream->Cancel();
}

}  // namespace hybridserve::server
