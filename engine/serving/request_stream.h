// The reader's handle of one request: the engine pushes outputs, the reader takes them in order.
// The buffer is bounded: Push never blocks and fails when the reader is capacity outputs behind
// (the engine then ends the request with ResourceExhausted); the final output always fits. So a
// slow or vanished reader never stalls the engine loop, and an abandoned request stops using the
// caches. Thread-safe.
#ifndef HYBRIDSERVE_ENGINE_SERVING_REQUEST_STREAM_H_
#define HYBRIDSERVE_ENGINE_SERVING_REQUEST_STREAM_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include "absl/time/time.h"
#include "engine/serving/request_types.h"

namespace hybridserve::engine {

class RequestStream {
 public:
  RequestStream(int64_t request_id, int64_t capacity);

  int64_t request_id() const { return request_id_; }

  // Reader side. Blocks until the next output; false once the final one has been read.
  bool Next(RequestOutput* output);
  enum class Read { kOutput, kTimeout, kEnd };
  // As Next, waiting at most timeout.
  Read NextFor(RequestOutput* output, absl::Duration timeout);
  // Reads to the end and merges everything: all tokens, logprobs and text, and the final
  // reason and status.
  RequestOutput ReadAll();

  // Engine side. Push fails (and keeps nothing) when capacity outputs are unread.
  bool Push(RequestOutput output);
  // Queues the final output; always succeeds, once.
  void Close(RequestOutput final_output);

  int64_t num_buffered() const;
  bool closed() const;

 private:
  // Both need mu_ held.
  bool Readable() const { return !buffer_.empty() || closed_; }
  bool PopLocked(RequestOutput* output);

  const int64_t request_id_;
  const int64_t capacity_;
  // std::mutex rather than absl::Mutex: the system Abseil is not built with ThreadSanitizer
  // annotations, so TSan would not see absl::Mutex's synchronization.
  mutable std::mutex mu_;
  std::condition_variable readable_;
  std::deque<RequestOutput> buffer_;  // guarded by mu_
  bool closed_ = false;               // guarded by mu_
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SERVING_REQUEST_STREAM_H_
