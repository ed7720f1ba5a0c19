#include "server/fake_backend.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace hybridserve::server {

// The "cache pools" of the fake engine: live sequences and the blocks they hold.
struct FakeBackend::Pools {
  absl::Mutex mu;
  int64_t num_live ABSL_GUARDED_BY(mu) = 0;
  int64_t kv_blocks_used ABSL_GUARDED_BY(mu) = 0;
};

namespace {

int64_t BlocksFor(int64_t num_tokens) {
  return (num_tokens + kFakeBlockTokens - 1) / kFakeBlockTokens;
}

float FakeLogprob(int64_t position) { return -0.25f * static_cast<float>(1 + position % 4); }

// The longest suffix of text that is a proper prefix of some stop string.
size_t HeldBackLength(const std::string& text, const std::vector<std::string>& stops) {
  size_t held = 0;
  for (const std::string& stop : stops) {
    if (stop.empty()) continue;
    for (size_t n = std::min(stop.size() - 1, text.size()); n > held; --n) {
      if (text.compare(text.size() - n, n, stop, 0, n) == 0) {
        held = n;
        break;
      }
    }
  }
  return held;
}

}  // namespace

class FakeBackend::Stream : public GenerationStream {
 public:
  Stream(GenerationRequest request, const FakeBackendOptions& options, std::shared_ptr<Pools> pools)
      : request_(std::move(request)),
        options_(options),
        pools_(std::move(pools)),
        start_(absl::Now()),
        kv_blocks_(BlocksFor(static_cast<int64_t>(request_.prompt_token_ids.size()))) {
    absl::MutexLock lock(&pools_->mu);
    ++pools_->num_live;
    pools_->kv_blocks_used += kv_blocks_;
  }

  ~Stream() override {
    absl::MutexLock lock(&mu_);
    ReleaseLocked();
  }

  StreamRead Next(absl::Duration timeout, GenerationDelta* delta) override {
    absl::MutexLock lock(&mu_);
    if (done_) return StreamRead::kEnd;
    const absl::Time wait_until = absl::Now() + timeout;
    const absl::Time due = start_ + options_.token_delay * (num_generated_ + 1);
    while (!cancelled_) {
      const absl::Time now = absl::Now();
      if (request_.deadline.has_value() && now >= *request_.deadline) break;
      if (now >= due) break;
      absl::Time until = std::min(due, wait_until);
      if (request_.deadline.has_value()) until = std::min(until, *request_.deadline);
      if (now >= wait_until) return StreamRead::kTimeout;
      cancel_cv_.WaitWithDeadline(&mu_, until);
    }
    *delta = GenerationDelta();
    if (cancelled_) {
      Finish(FinishReason::kCancelled, absl::CancelledError("the request was cancelled"), delta);
    } else if (request_.deadline.has_value() && absl::Now() >= *request_.deadline) {
      Finish(FinishReason::kCancelled, absl::DeadlineExceededError("the request's deadline passed"),
             delta);
    } else {
      Step(delta);
    }
    return StreamRead::kDelta;
  }

  void Cancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    ReleaseLocked();
    cancel_cv_.SignalAll();
  }

 private:
  // Generates one token into *delta (the stream's mutex is held).
  void Step(GenerationDelta* delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const SamplingOptions& sampling = request_.sampling;
    const int64_t position = num_generated_;
    const size_t pattern_size = std::strlen(kFakeOutputText);
    int32_t token =
        static_cast<unsigned char>(kFakeOutputText[position % pattern_size]) + kFakeByteOffset;
    if (options_.eos_after_tokens > 0 && position == options_.eos_after_tokens) {
      token = kFakeEosId;
    }
    ++num_generated_;
    GrowBlocksLocked();
    delta->token_ids.push_back(token);
    if (sampling.logprobs) {
      TokenLogprob logprob{.token_id = token,
                           .token = TokenText(token),
                           .logprob = FakeLogprob(position),
                           .top = {}};
      for (int32_t k = 0; k < sampling.top_logprobs; ++k) {
        const int32_t id = k == 0 ? token : kFakeByteOffset + (token + k) % 256;
        logprob.top.push_back(
            {.token_id = id, .token = TokenText(id), .logprob = logprob.logprob - k});
      }
      delta->logprobs.push_back(std::move(logprob));
    }
    const bool may_stop = num_generated_ >= sampling.min_tokens;
    const bool is_stop_id =
        std::find(sampling.stop_token_ids.begin(), sampling.stop_token_ids.end(), token) !=
        sampling.stop_token_ids.end();
    if (may_stop && ((token == kFakeEosId && !sampling.ignore_eos) || is_stop_id)) {
      delta->text = std::exchange(pending_, "");
      Finish(FinishReason::kStop, absl::OkStatus(), delta);
      return;
    }
    if (token >= kFakeByteOffset) pending_ += TokenText(token);
    if (may_stop) {
      for (const std::string& stop : sampling.stop) {
        const size_t at = pending_.find(stop);
        if (at != std::string::npos) {
          delta->text = pending_.substr(0, at);
          pending_.clear();
          Finish(FinishReason::kStop, absl::OkStatus(), delta);
          return;
        }
      }
    }
    const int64_t total = static_cast<int64_t>(request_.prompt_token_ids.size()) + num_generated_;
    if (num_generated_ >= sampling.max_tokens || total >= options_.max_model_len) {
      delta->text = std::exchange(pending_, "");
      Finish(FinishReason::kLength, absl::OkStatus(), delta);
      return;
    }
    const size_t held = HeldBackLength(pending_, sampling.stop);
    delta->text = pending_.substr(0, pending_.size() - held);
    pending_.erase(0, pending_.size() - held);
  }

  void Finish(FinishReason reason, absl::Status status, GenerationDelta* delta)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const absl::Time now = absl::Now();
    delta->finished = true;
    delta->finish_reason = reason;
    delta->status = std::move(status);
    delta->num_prompt_tokens = static_cast<int64_t>(request_.prompt_token_ids.size());
    delta->num_generated_tokens = num_generated_;
    const absl::Time first_token =
        num_generated_ > 0 ? start_ + options_.token_delay : std::min(now, start_);
    delta->timings = {.queue = absl::ZeroDuration(),
                      .prefill = first_token - start_,
                      .decode = std::max(absl::ZeroDuration(), now - first_token)};
    done_ = true;
    ReleaseLocked();
  }

  void GrowBlocksLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const int64_t blocks =
        BlocksFor(static_cast<int64_t>(request_.prompt_token_ids.size()) + num_generated_);
    if (blocks == kv_blocks_ || released_) return;
    absl::MutexLock lock(&pools_->mu);
    pools_->kv_blocks_used += blocks - kv_blocks_;
    kv_blocks_ = blocks;
  }

  void ReleaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (released_) return;
    released_ = true;
    absl::MutexLock lock(&pools_->mu);
    --pools_->num_live;
    pools_->kv_blocks_used -= kv_blocks_;
  }

  const GenerationRequest request_;
  const FakeBackendOptions options_;
  const std::shared_ptr<Pools> pools_;
  const absl::Time start_;

  absl::Mutex mu_;
  absl::CondVar cancel_cv_;
  int64_t kv_blocks_ ABSL_GUARDED_BY(mu_);
  int64_t num_generated_ ABSL_GUARDED_BY(mu_) = 0;
  std::string pending_ ABSL_GUARDED_BY(mu_);  // generated text not released yet
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
};

FakeBackend::FakeBackend(FakeBackendOptions options)
    : options_(std::move(options)), ready_(options_.ready), pools_(std::make_shared<Pools>()) {}

FakeBackend::~FakeBackend() = default;

ModelDescription FakeBackend::Model() const {
  return {.name = options_.model_name,
          .version = "fake-1",
          .family = "fake",
          .max_model_len = options_.max_model_len,
          .vocab_size = kFakeVocabSize,
          .created_unix_seconds = 1700000000};
}

std::string FakeBackend::TokenText(int32_t token_id) {
  if (token_id < kFakeByteOffset || token_id >= kFakeVocabSize) return "";
  return std::string(1, static_cast<char>(token_id - kFakeByteOffset));
}

absl::StatusOr<std::vector<int32_t>> FakeBackend::Tokenize(absl::string_view text,
                                                           bool add_special_tokens) {
  std::vector<int32_t> ids;
  ids.reserve(text.size() + 1);
  if (add_special_tokens) ids.push_back(kFakeBosId);
  for (char c : text) ids.push_back(static_cast<unsigned char>(c) + kFakeByteOffset);
  return ids;
}

absl::StatusOr<std::string> FakeBackend::Detokenize(absl::Span<const int32_t> token_ids,
                                                    bool skip_special_tokens) {
  std::string text;
  for (int32_t id : token_ids) {
    if (id < 0 || id >= kFakeVocabSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", id, " is outside the vocabulary [0, ", kFakeVocabSize, ")"));
    }
    if (id < kFakeByteOffset) {
      if (!skip_special_tokens)
        text += id == kFakeBosId ? "<s>" : id == kFakeEosId ? "</s>" : "<pad>";
      continue;
    }
    text += TokenText(id);
  }
  return text;
}

absl::StatusOr<std::string> FakeBackend::ApplyChatTemplate(absl::Span<const ChatMessage> messages,
                                                           bool add_generation_prompt) {
  std::string prompt;
  for (const ChatMessage& message : messages) {
    absl::StrAppend(&prompt, "<|", message.role, "|>\n", message.content, "\n");
  }
  if (add_generation_prompt) prompt += "<|assistant|>\n";
  return prompt;
}

absl::StatusOr<std::unique_ptr<GenerationStream>> FakeBackend::Submit(GenerationRequest request) {
  if (request.prompt_token_ids.empty()) {
    return absl::InvalidArgumentError("the prompt is empty; send at least one token");
  }
  for (int32_t id : request.prompt_token_ids) {
    if (id < 0 || id >= kFakeVocabSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prompt token id ", id, " is outside the vocabulary [0, ", kFakeVocabSize, ")"));
    }
  }
  {
    absl::MutexLock lock(&pools_->mu);
    if (pools_->num_live - options_.max_running >= options_.max_waiting) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "the waiting queue is full (", options_.max_waiting, " requests); retry later"));
    }
  }
  return std::unique_ptr<GenerationStream>(
      std::make_unique<Stream>(std::move(request), options_, pools_));
}

BackendStats FakeBackend::Stats() const {
  absl::MutexLock lock(&pools_->mu);
  BackendStats stats;
  stats.num_running = std::min(pools_->num_live, options_.max_running);
  stats.num_waiting = pools_->num_live - stats.num_running;
  stats.kv_blocks_used = pools_->kv_blocks_used;
  stats.kv_cache_usage =
      static_cast<double>(pools_->kv_blocks_used) / static_cast<double>(options_.kv_blocks_total);
  stats.ssm_slots_used = stats.num_running;
  stats.ssm_state_usage =
      static_cast<double>(stats.num_running) / static_cast<double>(options_.max_running);
  return stats;
}

}  // namespace hybridserve::server
