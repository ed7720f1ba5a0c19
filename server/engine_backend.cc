#include "server/engine_backend.h"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "engine/cache/cache_plan.h"
#include "engine/chat/chat_template_config.h"
#include "engine/model/config_reader.h"
#include "engine/model/families/family_registry.h"
#include "engine/runner/load_runner.h"
#include "engine/serving/engine.h"
#include "engine/tokenizer/token_text_source.h"
#include "engine/tokenizer/tokenizer.h"
#include "nlohmann/json.hpp"
#include "server/utf8_stream.h"

namespace hybridserve::server {
namespace {

namespace fs = std::filesystem;

FinishReason ToServer(engine::FinishReason reason) {
  switch (reason) {
    case engine::FinishReason::kNone:
      return FinishReason::kNone;
    case engine::FinishReason::kStop:
      return FinishReason::kStop;
    case engine::FinishReason::kLength:
      return FinishReason::kLength;
    case engine::FinishReason::kCancelled:
      return FinishReason::kCancelled;
    case engine::FinishReason::kError:
      return FinishReason::kError;
  }
  return FinishReason::kError;
}

engine::SamplingParams ToEngine(const SamplingOptions& in) {
  engine::SamplingParams out;
  out.temperature = in.temperature;
  out.top_p = in.top_p;
  out.top_k = in.top_k;
  out.min_p = in.min_p;
  out.repetition_penalty = in.repetition_penalty;
  out.presence_penalty = in.presence_penalty;
  out.frequency_penalty = in.frequency_penalty;
  out.seed = in.seed;
  out.max_tokens = in.max_tokens;
  out.min_tokens = in.min_tokens;
  out.stop = in.stop;
  out.stop_token_ids = in.stop_token_ids;
  out.ignore_eos = in.ignore_eos;
  // The engine reports the sampled token's log-probability with its top alternatives; asking
  // for logprobs with no alternatives still needs the sampled one.
  out.logprobs = in.logprobs ? std::max<int32_t>(in.top_logprobs, 1) : 0;
  return out;
}

// The state a loaded model shares with its streams.
struct Loaded {
  std::unique_ptr<engine::ModelRunner> model;
  std::unique_ptr<engine::Tokenizer> tokenizer;
  std::unique_ptr<engine::TokenizerTextSource> text_source;
  std::optional<engine::ChatTemplateConfig> chat;
  std::unique_ptr<engine::Engine> engine;
};

class EngineStream : public GenerationStream {
 public:
  EngineStream(std::shared_ptr<Loaded> loaded, std::shared_ptr<engine::RequestStream> stream,
               int64_t num_prompt_tokens, const SamplingOptions& sampling)
      : loaded_(std::move(loaded)),
        stream_(std::move(stream)),
        num_prompt_tokens_(num_prompt_tokens),
        top_logprobs_(sampling.top_logprobs),
        want_logprobs_(sampling.logprobs),
        submitted_(absl::Now()) {}

  ~EngineStream() override {
    if (!ended_) Cancel();
  }

  StreamRead Next(absl::Duration timeout, GenerationDelta* delta) override {
    if (ended_) return StreamRead::kEnd;
    engine::RequestOutput out;
    switch (stream_->NextFor(&out, timeout)) {
      case engine::RequestStream::Read::kTimeout:
        return StreamRead::kTimeout;
      case engine::RequestStream::Read::kEnd:
        ended_ = true;
        return StreamRead::kEnd;
      case engine::RequestStream::Read::kOutput:
        break;
    }
    *delta = GenerationDelta();
    num_generated_ += static_cast<int64_t>(out.tokens.size());
    delta->text = utf8_.Push(out.text, out.finished);
    delta->token_ids = out.tokens;
    if (want_logprobs_) {
      for (const engine::TokenLogprobs& lp : out.logprobs) {
        TokenLogprob token;
        token.token_id = lp.token;
        token.token = loaded_->text_source->TokenBytes(lp.token);
        token.logprob = lp.logprob;
        for (int32_t i = 0; i < top_logprobs_ && i < static_cast<int32_t>(lp.top.size()); ++i) {
          token.top.push_back({lp.top[i].first, loaded_->text_source->TokenBytes(lp.top[i].first),
                               lp.top[i].second});
        }
        delta->logprobs.push_back(std::move(token));
      }
    }
    if (out.finished) {
      delta->finished = true;
      delta->finish_reason = ToServer(out.finish_reason);
      delta->status = out.status;
      delta->num_prompt_tokens = num_prompt_tokens_;
      delta->num_generated_tokens = num_generated_;
      delta->timings = Timings(out.times);
    }
    return StreamRead::kDelta;
  }

  void Cancel() override { loaded_->engine->Cancel(stream_->request_id()); }

 private:
  // vLLM's intervals from the engine's timestamps; a stage never reached takes no time.
  SequenceTimings Timings(const engine::RequestTimes& times) const {
    const absl::Time end = times.finished.value_or(absl::Now());
    const absl::Time scheduled = times.first_scheduled.value_or(end);
    const absl::Time first_token = times.first_token.value_or(end);
    SequenceTimings timings;
    timings.queue = scheduled - times.arrival.value_or(submitted_);
    timings.prefill = first_token - scheduled;
    timings.decode = times.last_token.value_or(first_token) - first_token;
    return timings;
  }

  std::shared_ptr<Loaded> loaded_;
  std::shared_ptr<engine::RequestStream> stream_;
  const int64_t num_prompt_tokens_;
  const int32_t top_logprobs_;
  const bool want_logprobs_;
  const absl::Time submitted_;
  int64_t num_generated_ = 0;
  bool ended_ = false;
  Utf8Stream utf8_;  // the engine's token bytes as whole UTF-8 characters
};

class EngineBackend : public GenerationBackend {
 public:
  EngineBackend(std::shared_ptr<Loaded> loaded, ModelDescription description)
      : loaded_(std::move(loaded)), description_(std::move(description)) {}

  ~EngineBackend() override { loaded_->engine->Shutdown(); }

  absl::Status WarmUp() {
    GenerationRequest request;
    request.request_id = "warmup";
    request.prompt_token_ids = {0};
    request.sampling.temperature = 0.0f;
    request.sampling.max_tokens = 2;
    request.sampling.ignore_eos = true;
    HS_ASSIGN_OR_RETURN(std::unique_ptr<GenerationStream> stream, Submit(std::move(request)));
    GenerationDelta delta;
    while (stream->Next(absl::Seconds(60), &delta) == StreamRead::kDelta) {
      if (delta.finished && !delta.status.ok()) return delta.status;
    }
    ready_ = true;
    return absl::OkStatus();
  }

  ModelDescription Model() const override { return description_; }
  bool IsReady() const override { return ready_; }

  absl::StatusOr<std::vector<int32_t>> Tokenize(absl::string_view text,
                                                bool add_special_tokens) override {
    return loaded_->tokenizer->Encode(std::string_view(text.data(), text.size()),
                                      add_special_tokens);
  }

  absl::StatusOr<std::string> Detokenize(absl::Span<const int32_t> token_ids,
                                         bool skip_special_tokens) override {
    return loaded_->tokenizer->Decode(token_ids, skip_special_tokens);
  }

  absl::StatusOr<std::string> ApplyChatTemplate(absl::Span<const ChatMessage> messages,
                                                bool add_generation_prompt) override {
    if (!loaded_->chat || loaded_->chat->templates.empty()) {
      return absl::FailedPreconditionError(
          "this model has no chat template (tokenizer_config.json has no chat_template); use "
          "/v1/completions");
    }
    engine::ChatRequest request;
    for (const ChatMessage& message : messages) {
      nlohmann::ordered_json m = {{"role", message.role}, {"content", message.content}};
      if (!message.name.empty()) m["name"] = message.name;
      request.messages.push_back(std::move(m));
    }
    request.add_generation_prompt = add_generation_prompt;
    absl::StatusOr<std::string> prompt = engine::ApplyChatTemplate(*loaded_->chat, request);
    if (!prompt.ok() && prompt.status().code() != absl::StatusCode::kInvalidArgument) {
      return absl::InvalidArgumentError(prompt.status().message());
    }
    return prompt;
  }

  bool ChatTemplateAddsSpecialTokens() const override { return true; }

  absl::StatusOr<std::unique_ptr<GenerationStream>> Submit(GenerationRequest request) override {
    engine::GenerationRequest engine_request;
    engine_request.prompt = request.prompt_token_ids;
    engine_request.sampling = ToEngine(request.sampling);
    engine_request.deadline = request.deadline;
    const int64_t num_prompt = static_cast<int64_t>(request.prompt_token_ids.size());
    HS_ASSIGN_OR_RETURN(std::shared_ptr<engine::RequestStream> stream,
                        loaded_->engine->Submit(std::move(engine_request)));
    return std::unique_ptr<GenerationStream>(
        std::make_unique<EngineStream>(loaded_, std::move(stream), num_prompt, request.sampling));
  }

  BackendStats Stats() const override {
    const engine::EngineStats stats = loaded_->engine->GetStats();
    BackendStats out;
    out.num_running = stats.num_running;
    out.num_waiting = stats.num_waiting;
    out.kv_cache_usage = stats.kv_usage();
    out.ssm_state_usage = stats.ssm_usage();
    out.num_preemptions = stats.num_preemptions;
    out.kv_blocks_used = stats.kv_blocks_used;
    out.ssm_slots_used = stats.ssm_slots_used;
    return out;
  }

 private:
  std::shared_ptr<Loaded> loaded_;
  const ModelDescription description_;
  std::atomic<bool> ready_{false};
};

}  // namespace

std::string DefaultModelDir() {
  if (const char* dir = std::getenv("HYBRIDSERVE_DEFAULT_MODEL"); dir != nullptr && *dir) {
    return dir;
  }
  return HS_DEFAULT_MODEL_DIR;
}

namespace {

// What serving a model directory means before any weight is read: its spec (config.json), the
// engine's options and cache plan, and so the description clients see.
struct EnginePlan {
  std::string dir;
  engine::ModelSpec spec;
  engine::EngineOptions options;
  ModelDescription description;
};

absl::StatusOr<EnginePlan> PlanEngine(const ServerConfig& config) {
  if (config.device == "cuda" && !engine::CudaBackendAvailable()) {
    return absl::FailedPreconditionError(
        "--device cuda: this build has no CUDA backend or no CUDA device is visible; use "
        "--device cpu or auto");
  }
  if (config.device == "cpu" && config.dtype != "auto" && config.dtype != "f32") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--dtype ", config.dtype, " needs --device cuda; the CPU backend computes in fp32"));
  }
  EnginePlan plan;
  plan.dir = config.model_dir.empty() ? DefaultModelDir() : config.model_dir;
  const std::string& dir = plan.dir;
  if (!fs::is_directory(dir)) {
    return absl::NotFoundError(
        absl::StrCat("--model ", dir,
                     ": no such directory; pass a Hugging Face checkpoint directory "
                     "(config.json, *.safetensors, tokenizer.json)"));
  }
  const std::string config_path = dir + "/config.json";
  if (!fs::exists(config_path)) {
    return absl::NotFoundError(absl::StrCat(
        config_path, ": no such file; --model must name a Hugging Face checkpoint directory"));
  }
  const std::string tokenizer_path = dir + "/tokenizer.json";
  if (!fs::exists(tokenizer_path)) {
    return absl::NotFoundError(absl::StrCat(
        tokenizer_path, ": no such file; the server needs the model's tokenizer.json"));
  }
  HS_ASSIGN_OR_RETURN(nlohmann::json model_config, engine::LoadConfigJsonFile(config_path));
  HS_ASSIGN_OR_RETURN(plan.spec, engine::BuildModelSpec(model_config));
  const engine::ModelSpec& spec = plan.spec;

  engine::EngineOptions& options = plan.options;
  if (config.cache_memory_mib > 0) {
    // Split the budget between the pools by what one sequence of the model's full context needs
    // in each, so neither pool is sized from the other's page size.
    const int64_t total = config.cache_memory_mib << 20;
    options.cache.kv_cache_bytes = total / 2;
    options.cache.ssm_cache_bytes = total - total / 2;
    if (spec.num_kv_layers == 0) {
      options.cache.kv_cache_bytes = 0;
      options.cache.ssm_cache_bytes = total;
    } else if (spec.num_ssm_layers == 0) {
      options.cache.kv_cache_bytes = total;
      options.cache.ssm_cache_bytes = 0;
    }
  }
  options.cache.max_running = config.max_num_seqs;
  options.max_prefill_chunk_tokens = config.prefill_chunk_tokens;
  options.max_num_batched_tokens = std::max<int64_t>(512, config.prefill_chunk_tokens);
  options.max_waiting = config.max_queue_len;
  HS_ASSIGN_OR_RETURN(const engine::CachePlan cache_plan, engine::PlanCache(spec, options.cache));

  ModelDescription& description = plan.description;
  description.name = config.served_model_name.empty()
                         ? fs::path(dir).lexically_normal().filename().string()
                         : config.served_model_name;
  if (description.name.empty()) description.name = fs::path(dir).parent_path().filename().string();
  description.version = "1";
  description.family = spec.architecture;
  int64_t max_len = spec.max_position_embeddings > 0 ? spec.max_position_embeddings : 4096;
  if (config.max_model_len > 0) max_len = std::min(max_len, config.max_model_len);
  if (cache_plan.max_sequence_tokens > 0)
    max_len = std::min(max_len, cache_plan.max_sequence_tokens);
  description.max_model_len = max_len;
  description.vocab_size = spec.vocab_size;
  description.created_unix_seconds = absl::ToUnixSeconds(absl::Now());
  return plan;
}

}  // namespace

absl::StatusOr<ModelDescription> DescribeEngineModel(const ServerConfig& config) {
  HS_ASSIGN_OR_RETURN(EnginePlan plan, PlanEngine(config));
  return plan.description;
}

absl::StatusOr<std::unique_ptr<GenerationBackend>> CreateEngineBackend(const ServerConfig& config) {
  HS_ASSIGN_OR_RETURN(EnginePlan plan, PlanEngine(config));
  const std::string& dir = plan.dir;
  auto loaded = std::make_shared<Loaded>();
  engine::RunnerOptions runner_options;
  runner_options.device = config.device;
  runner_options.dtype = config.dtype;
  runner_options.kv_dtype = config.kv_dtype;
  runner_options.tensor_parallel_size = config.tensor_parallel_size;
  HS_ASSIGN_OR_RETURN(engine::LoadedRunner runner, engine::LoadModelRunner(dir, runner_options));
  loaded->model = std::move(runner.runner);
  HS_ASSIGN_OR_RETURN(loaded->tokenizer, engine::Tokenizer::FromFile(dir + "/tokenizer.json"));
  loaded->text_source = std::make_unique<engine::TokenizerTextSource>(*loaded->tokenizer);
  const std::string tokenizer_config = dir + "/tokenizer_config.json";
  if (fs::exists(tokenizer_config)) {
    HS_ASSIGN_OR_RETURN(engine::ChatTemplateConfig chat,
                        engine::LoadChatTemplateConfig(tokenizer_config));
    loaded->chat = std::move(chat);
  }
  plan.options.text_source = loaded->text_source.get();
  HS_ASSIGN_OR_RETURN(loaded->engine, engine::Engine::Create(loaded->model.get(), plan.options));
  auto backend = std::make_unique<EngineBackend>(std::move(loaded), std::move(plan.description));
  HS_RETURN_IF_ERROR(backend->WarmUp());
  return std::unique_ptr<GenerationBackend>(std::move(backend));
}

}  // namespace hybridserve::server
