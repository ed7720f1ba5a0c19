// A deterministic GenerationBackend for tests and for `hybridserve --fake-backend`: no model.
//
// Tokens are bytes: id = byte + 3 (0 pad, 1 BOS, 2 EOS), vocabulary 259. A sequence emits the
// bytes of kFakeOutputText over and over, one token per delta every token_delay, honouring
// max_tokens, min_tokens, stop strings (the match is cut from the text), stop token ids, EOS
// (after eos_after_tokens when set and not ignore_eos), deadlines and Cancel. Log-probabilities
// are fixed functions of the position. Sequences beyond max_running count as waiting; Submit
// fails with ResourceExhausted beyond max_waiting, like the engine's queue limit.
#ifndef HYBRIDSERVE_SERVER_FAKE_BACKEND_H_
#define HYBRIDSERVE_SERVER_FAKE_BACKEND_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/generation_backend.h"

namespace hybridserve::server {

inline constexpr char kFakeOutputText[] = "The quick brown fox jumps over the lazy dog. ";
inline constexpr int32_t kFakeBosId = 1;
inline constexpr int32_t kFakeEosId = 2;
inline constexpr int32_t kFakeByteOffset = 3;
inline constexpr int64_t kFakeVocabSize = 256 + kFakeByteOffset;
inline constexpr int64_t kFakeBlockTokens = 16;

struct FakeBackendOptions {
  std::string model_name = "hybridserve-fake";
  absl::Duration token_delay = absl::Milliseconds(2);
  int64_t max_model_len = 2048;
  int64_t max_running = 8;
  int64_t max_waiting = 64;
  int64_t kv_blocks_total = 1024;
  int64_t eos_after_tokens = 0;  // 0: never emit EOS
  bool ready = true;
};

class FakeBackend : public GenerationBackend {
 public:
  explicit FakeBackend(FakeBackendOptions options);
  ~FakeBackend() override;

  ModelDescription Model() const override;
  bool IsReady() const override { return ready_.load(); }
  void SetReady(bool ready) { ready_.store(ready); }

  absl::StatusOr<std::vector<int32_t>> Tokenize(absl::string_view text,
                                                bool add_special_tokens) override;
  absl::StatusOr<std::string> Detokenize(absl::Span<const int32_t> token_ids,
                                         bool skip_special_tokens) override;
  absl::StatusOr<std::string> ApplyChatTemplate(absl::Span<const ChatMessage> messages,
                                                bool add_generation_prompt) override;
  bool ChatTemplateAddsSpecialTokens() const override { return false; }

  absl::StatusOr<std::unique_ptr<GenerationStream>> Submit(GenerationRequest request) override;
  BackendStats Stats() const override;

  // The text of one token id ("" for special ids).
  static std::string TokenText(int32_t token_id);

 private:
  class Stream;
  struct Pools;  // shared with the streams, which may outlive the backend

  const FakeBackendOptions options_;
  std::atomic<bool> ready_;
  std::shared_ptr<Pools> pools_;
};

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_FAKE_BACKEND_H_
