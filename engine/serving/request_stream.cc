#include "engine/serving/request_stream.h"

#include <algorithm>

#include "base/check.h"

namespace hybridserve::engine {

RequestStream::RequestStream(int64_t request_id, int64_t capacity)
    : request_id_(request_id), capacity_(capacity) {
  HS_CHECK(capacity >= 1);
}

bool RequestStream::PopLocked(RequestOutput* output) {
  if (buffer_.empty()) return false;  // closed and drained
  *output = std::move(buffer_.front());
  buffer_.pop_front();
  return true;
}

bool RequestStream::Next(RequestOutput* output) {
  std::unique_lock<std::mutex> lock(mu_);
  readable_.wait(lock, [this] { return Readable(); });
  return PopLocked(output);
}

RequestStream::Read RequestStream::NextFor(RequestOutput* output, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (timeout == absl::InfiniteDuration()) {
    readable_.wait(lock, [this] { return Readable(); });
  } else if (!readable_.wait_for(lock,
                                 absl::ToChronoNanoseconds(std::max(timeout, absl::ZeroDuration())),
                                 [this] { return Readable(); })) {
    return Read::kTimeout;
  }
  return PopLocked(output) ? Read::kOutput : Read::kEnd;
}

RequestOutput RequestStream::ReadAll() {
  RequestOutput all;
  all.request_id = request_id_;
  RequestOutput part;
  while (Next(&part)) {
    all.tokens.insert(all.tokens.end(), part.tokens.begin(), part.tokens.end());
    all.logprobs.insert(all.logprobs.end(), part.logprobs.begin(), part.logprobs.end());
    all.text += part.text;
    if (part.finished) {
      all.finished = true;
      all.finish_reason = part.finish_reason;
      all.status = part.status;
      all.times = part.times;
    }
  }
  return all;
}

bool RequestStream::Push(RequestOutput output) {
  std::lock_guard<std::mutex> lock(mu_);
  HS_CHECK_MSG(!closed_, "push to a closed stream");
  if (static_cast<int64_t>(buffer_.size()) >= capacity_) return false;
  buffer_.push_back(std::move(output));
  readable_.notify_all();
  return true;
}

void RequestStream::Close(RequestOutput final_output) {
  std::lock_guard<std::mutex> lock(mu_);
  HS_CHECK_MSG(!closed_, "stream closed twice");
  final_output.finished = true;
  buffer_.push_back(std::move(final_output));
  closed_ = true;
  readable_.notify_all();
}

int64_t RequestStream::num_buffered() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(buffer_.size());
}

bool RequestStream::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace hybridserve::engine
