#include "engine/serving/engine_core.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "engine/sampling/sampler.h"
#include "engine/scheduler/fcfs_policy.h"
#include "engine/scheduler/priority_policy.h"

namespace hybridserve::engine {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point begin) {
  return std::chrono::duration<double>(Clock::now() - begin).count();
}

bool Contains(absl::Span<const int32_t> ids, int32_t token) {
  return std::find(ids.begin(), ids.end(), token) != ids.end();
}

}  // namespace

bool DecodeMatchesPrefill(const ModelSpec& spec) {
  for (const LayerSpec& layer : spec.layers) {
    if (layer.mamba2 && (layer.mamba2->decode_dt_min != layer.mamba2->dt_min ||
                         layer.mamba2->decode_dt_max != layer.mamba2->dt_max)) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::unique_ptr<EngineCore>> EngineCore::Create(ModelRunner* model,
                                                               const EngineOptions& options) {
  HS_CHECK(model != nullptr);
  if (options.max_num_batched_tokens <= 0 || options.max_prefill_chunk_tokens <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_num_batched_tokens (", options.max_num_batched_tokens,
        ") and max_prefill_chunk_tokens (", options.max_prefill_chunk_tokens, ") must be > 0"));
  }
  if (options.max_waiting < 0 || options.stream_buffer_events < 1) {
    return absl::InvalidArgumentError("max_waiting must be >= 0 and stream_buffer_events >= 1");
  }
  CacheOptions cache_options = options.cache;
  cache_options.kv_element_bytes = model->kv_element_bytes();
  HS_ASSIGN_OR_RETURN(CachePlan plan, PlanCache(model->spec(), cache_options));
  HS_ASSIGN_OR_RETURN(std::unique_ptr<ModelCache> cache,
                      model->CreateCache(plan.num_blocks, plan.block_size_tokens, plan.num_slots));
  return std::unique_ptr<EngineCore>(
      new EngineCore(model, options, std::move(plan), std::move(cache)));
}

EngineCore::EngineCore(ModelRunner* model, const EngineOptions& options, CachePlan plan,
                       std::unique_ptr<ModelCache> cache)
    : model_(model),
      options_(options),
      plan_(std::move(plan)),
      seed_source_(std::random_device{}()) {
  cache_ = std::move(cache);
  kv_pool_ = std::make_unique<KvBlockPool>(plan_.num_blocks, plan_.block_size_tokens);
  slot_pool_ = std::make_unique<SsmSlotPool>(plan_.num_slots);
  SchedulerConfig config;
  config.max_num_batched_tokens = options_.max_num_batched_tokens;
  config.max_prefill_chunk_tokens = options_.max_prefill_chunk_tokens;
  config.max_running = plan_.max_running;
  config.max_waiting = options_.max_waiting;
  config.replay_generated_as_prompt = DecodeMatchesPrefill(model_->spec());
  std::unique_ptr<SchedulingPolicy> policy;
  if (options_.policy == SchedulingPolicyKind::kPriority) {
    policy = std::make_unique<PriorityPolicy>();
  } else {
    policy = std::make_unique<FcfsPolicy>();
  }
  scheduler_ =
      std::make_unique<Scheduler>(config, std::move(policy), kv_pool_.get(), slot_pool_.get());
}

absl::Status EngineCore::Validate(const GenerationRequest& request) const {
  const ModelSpec& spec = model_->spec();
  if (request.prompt.empty()) {
    return absl::InvalidArgumentError("the prompt is empty; send at least one token");
  }
  for (int32_t token : request.prompt) {
    if (token < 0 || token >= spec.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "prompt token id ", token, " is outside the vocabulary [0, ", spec.vocab_size, ")"));
    }
  }
  const int64_t length = static_cast<int64_t>(request.prompt.size());
  if (length >= plan_.max_sequence_tokens) {
    return absl::InvalidArgumentError(
        absl::StrCat("the prompt has ", length, " tokens; at most ", plan_.max_sequence_tokens - 1,
                     " fit (the model's maximum length and the whole kv cache allow ",
                     plan_.max_sequence_tokens, " tokens per sequence); shorten the prompt"));
  }
  HS_RETURN_IF_ERROR(ValidateSamplingParams(request.sampling, spec.vocab_size));
  if (!request.sampling.stop.empty() && options_.text_source == nullptr) {
    return absl::InvalidArgumentError(
        "stop strings need token text, and this engine has no tokenizer; use stop_token_ids");
  }
  return absl::OkStatus();
}

absl::Status EngineCore::AddRequest(int64_t id, GenerationRequest request) {
  HS_RETURN_IF_ERROR(Validate(request));
  if (requests_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("request id ", id, " is already in use"));
  }
  auto sequence = std::make_unique<Sequence>();
  sequence->id = id;
  sequence->arrival = next_arrival_++;
  sequence->priority = request.priority;
  sequence->num_prompt_tokens = static_cast<int64_t>(request.prompt.size());
  sequence->tokens = std::move(request.prompt);
  HS_RETURN_IF_ERROR(scheduler_->Add(std::move(sequence)));
  RequestState& state = requests_[id];
  state.params = std::move(request.sampling);
  state.seed = state.params.seed.has_value() ? *state.params.seed : seed_source_();
  state.deadline = request.deadline;
  state.times.arrival = request.arrival.value_or(absl::Now());
  if (options_.text_source != nullptr) {
    state.matcher = std::make_unique<StopStringMatcher>(state.params.stop);
  }
  return absl::OkStatus();
}

void EngineCore::Finish(int64_t id, FinishReason reason, absl::Status status, RequestOutput* out) {
  std::unique_ptr<Sequence> sequence = scheduler_->Remove(id);
  HS_CHECK(sequence != nullptr);
  auto it = requests_.find(id);
  HS_CHECK(it != requests_.end());
  if (it->second.matcher != nullptr && !it->second.matcher->stopped()) {
    out->text += it->second.matcher->Flush();
  }
  out->times = it->second.times;
  out->times.finished = absl::Now();
  requests_.erase(it);
  out->request_id = id;
  out->finished = true;
  out->finish_reason = reason;
  out->status = std::move(status);
  ++stats_.requests_finished;
}

bool EngineCore::Abort(int64_t id, absl::Status status) {
  if (!requests_.contains(id)) return false;
  const FinishReason reason = status.code() == absl::StatusCode::kCancelled ||
                                      status.code() == absl::StatusCode::kDeadlineExceeded
                                  ? FinishReason::kCancelled
                                  : FinishReason::kError;
  RequestOutput out;
  Finish(id, reason, std::move(status), &out);
  pending_outputs_.push_back(std::move(out));
  return true;
}

void EngineCore::ExpireDeadlines(std::vector<RequestOutput>* outputs) {
  const absl::Time now = absl::Now();
  std::vector<int64_t> expired;
  for (const auto& [id, state] : requests_) {
    if (state.deadline.has_value() && *state.deadline <= now) expired.push_back(id);
  }
  std::sort(expired.begin(), expired.end());
  for (int64_t id : expired) {
    RequestOutput out;
    Finish(id, FinishReason::kCancelled,
           absl::DeadlineExceededError(
               absl::StrCat("request ", id, " passed its deadline before finishing")),
           &out);
    outputs->push_back(std::move(out));
  }
}

bool EngineCore::SampleNext(Sequence* sequence, absl::Span<const float> logits,
                            RequestOutput* out) {
  RequestState& state = requests_.at(sequence->id);
  const SamplingParams& params = state.params;
  const auto all = absl::MakeConstSpan(sequence->tokens);
  SamplerInput input;
  input.logits = logits;
  input.prompt_tokens = all.subspan(0, sequence->num_prompt_tokens);
  input.output_tokens = all.subspan(sequence->num_prompt_tokens);
  input.eos_token_ids = model_->spec().eos_token_ids;
  input.seed = state.seed;
  const SampledToken sampled = SampleToken(input, params);
  const absl::Time now = absl::Now();
  if (!state.times.first_token.has_value()) state.times.first_token = now;
  state.times.last_token = now;
  sequence->tokens.push_back(sampled.token);
  ++stats_.generated_tokens;
  out->request_id = sequence->id;
  out->tokens.push_back(sampled.token);
  if (params.logprobs > 0) out->logprobs.push_back(sampled.logprobs);

  const int64_t num_output = sequence->num_output_tokens();
  // The sampler masks stop and EOS tokens for the first min_tokens outputs; stop strings wait
  // as long.
  const bool may_stop = num_output > params.min_tokens;
  bool is_eos = false;
  for (int64_t eos : model_->spec().eos_token_ids) is_eos |= eos == sampled.token;
  FinishReason reason = FinishReason::kNone;
  if (may_stop &&
      ((!params.ignore_eos && is_eos) || Contains(params.stop_token_ids, sampled.token))) {
    reason = FinishReason::kStop;  // the stop token's text is not streamed
  } else if (state.matcher != nullptr) {
    // The text's first token may read differently (SentencePiece decoders drop its leading
    // space), so the streamed text equals the decode of the output tokens.
    std::string bytes = options_.text_source->TokenBytes(sampled.token);
    if (!state.text_started && !bytes.empty()) {
      state.text_started = true;
      bytes = options_.text_source->FirstTokenBytes(sampled.token);
    }
    StopStringMatcher::Result text = state.matcher->Append(bytes, may_stop);
    out->text += text.text;
    if (text.stopped) reason = FinishReason::kStop;
  }
  if (reason == FinishReason::kNone &&
      (num_output >= params.max_tokens || sequence->num_tokens() >= plan_.max_sequence_tokens)) {
    reason = FinishReason::kLength;
  }
  if (reason == FinishReason::kNone) return false;
  Finish(sequence->id, reason, absl::OkStatus(), out);
  return true;
}

std::vector<RequestOutput> EngineCore::Step() {
  const auto step_begin = Clock::now();
  std::vector<RequestOutput> outputs = std::move(pending_outputs_);
  pending_outputs_.clear();
  ExpireDeadlines(&outputs);

  const SchedulerOutput scheduled = scheduler_->Schedule();
  stats_.num_preemptions += static_cast<int64_t>(scheduled.preempted.size());
  stats_.schedule_seconds += SecondsSince(step_begin);
  if (scheduled.chunks.empty()) return outputs;
  const absl::Time scheduled_at = absl::Now();
  for (const ScheduledChunk& c : scheduled.chunks) {
    RequestTimes& times = requests_.at(c.sequence->id).times;
    if (!times.first_scheduled.has_value()) times.first_scheduled = scheduled_at;
  }

  const auto forward_begin = Clock::now();
  std::vector<SequenceChunk> chunks;
  chunks.reserve(scheduled.chunks.size());
  for (const ScheduledChunk& c : scheduled.chunks) {
    const Sequence& s = *c.sequence;
    SequenceChunk chunk;
    chunk.tokens = absl::MakeConstSpan(s.tokens).subspan(s.num_computed_tokens, c.num_tokens);
    chunk.start_position = s.num_computed_tokens;
    chunk.block_table = s.block_table;
    chunk.ssm_slot = s.ssm_slot;
    chunk.decode = c.decode;
    chunks.push_back(chunk);
  }
  logits_.clear();
  const absl::Status status = model_->Forward(chunks, cache_.get(), &logits_);
  stats_.forward_seconds += SecondsSince(forward_begin);
  ++stats_.num_steps;

  const auto sample_begin = Clock::now();
  if (!status.ok()) {
    // The caches of every sequence of the step may be half-written: all of them end.
    for (const ScheduledChunk& c : scheduled.chunks) {
      RequestOutput out;
      Finish(c.sequence->id, FinishReason::kError, status, &out);
      outputs.push_back(std::move(out));
    }
  } else {
    const int64_t V = model_->spec().vocab_size;
    HS_CHECK(static_cast<int64_t>(logits_.size()) ==
             static_cast<int64_t>(scheduled.chunks.size()) * V);
    for (size_t i = 0; i < scheduled.chunks.size(); ++i) {
      const ScheduledChunk& c = scheduled.chunks[i];
      Sequence* s = c.sequence;
      s->num_computed_tokens += c.num_tokens;
      if (!c.decode) stats_.prompt_tokens_computed += c.num_tokens;
      if (s->num_computed_tokens < s->num_tokens()) continue;  // mid-prompt or mid-recompute
      RequestOutput out;
      SampleNext(s, absl::MakeConstSpan(logits_).subspan(i * V, V), &out);
      outputs.push_back(std::move(out));
    }
  }
  stats_.sample_seconds += SecondsSince(sample_begin);
  stats_.last_step_seconds = SecondsSince(step_begin);
  return outputs;
}

EngineStats EngineCore::stats() const {
  EngineStats s = stats_;
  s.num_waiting = scheduler_->num_waiting();
  s.num_running = scheduler_->num_running();
  s.kv_blocks_used = kv_pool_->num_used();
  s.kv_blocks_total = kv_pool_->num_blocks();
  s.ssm_slots_used = slot_pool_->num_used();
  s.ssm_slots_total = slot_pool_->num_slots();
  return s;
}

}  // namespace hybridserve::engine
