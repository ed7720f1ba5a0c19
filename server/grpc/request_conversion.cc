#include "server/grpc/request_conversion.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/openai/generation_plan.h"
#include "server/openai/request.h"
#include "server/status_mapping.h"
#include "server/utf8_stream.h"

namespace hybridserve::server::grpc_api {
namespace {

namespace v1 = ::hybridserve::v1;

absl::Status CheckRange(const char* name, double value, double min, double max, bool min_open) {
  if ((min_open ? value > min : value >= min) && value <= max) return absl::OkStatus();
  return InvalidParam(
      name, absl::StrCat("'", name, "' must be ", min_open ? "greater than " : "",
                         min_open ? "" : "between ", min, min_open ? " and at most " : " and ", max,
                         ", got ", value));
}

absl::Status ReadSampling(const v1::SamplingParams& in, SamplingOptions* out) {
  if (in.has_temperature()) {
    HS_RETURN_IF_ERROR(CheckRange("temperature", in.temperature(), 0.0, 2.0, false));
    out->temperature = in.temperature();
  }
  if (in.has_top_p()) {
    HS_RETURN_IF_ERROR(CheckRange("top_p", in.top_p(), 0.0, 1.0, true));
    out->top_p = in.top_p();
  }
  if (in.has_top_k()) {
    if (in.top_k() < -1) {
      return InvalidParam("top_k",
                          absl::StrCat("'top_k' must be -1, 0 or positive, got ", in.top_k()));
    }
    out->top_k = in.top_k();
  }
  if (in.has_min_p()) {
    HS_RETURN_IF_ERROR(CheckRange("min_p", in.min_p(), 0.0, 1.0, false));
    out->min_p = in.min_p();
  }
  if (in.has_repetition_penalty()) {
    HS_RETURN_IF_ERROR(CheckRange("repetition_penalty", in.repetition_penalty(), 0.0, 2.0, true));
    out->repetition_penalty = in.repetition_penalty();
  }
  if (in.has_presence_penalty()) {
    HS_RETURN_IF_ERROR(CheckRange("presence_penalty", in.presence_penalty(), -2.0, 2.0, false));
    out->presence_penalty = in.presence_penalty();
  }
  if (in.has_frequency_penalty()) {
    HS_RETURN_IF_ERROR(CheckRange("frequency_penalty", in.frequency_penalty(), -2.0, 2.0, false));
    out->frequency_penalty = in.frequency_penalty();
  }
  if (in.has_seed()) out->seed = in.seed();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GenerationRequest> ToGenerationRequest(const v1::GenerateRequest& in,
                                                      GenerationBackend& backend) {
  const ModelDescription model = backend.Model();
  if (!in.model().empty()) HS_RETURN_IF_ERROR(openai::CheckModelName(in.model(), model));
  GenerationRequest out;
  switch (in.prompt_case()) {
    case v1::GenerateRequest::kText: {
      if (in.text().empty()) return InvalidParam("text", "the prompt 'text' must not be empty");
      HS_ASSIGN_OR_RETURN(out.prompt_token_ids, backend.Tokenize(in.text(), true));
      break;
    }
    case v1::GenerateRequest::kTokenIds:
      out.prompt_token_ids.assign(in.token_ids().ids().begin(), in.token_ids().ids().end());
      for (int32_t id : out.prompt_token_ids) {
        if (id < 0 || id >= model.vocab_size) {
          return InvalidParam(
              "token_ids", absl::StrCat("prompt token id ", id, " is outside the vocabulary [0, ",
                                        model.vocab_size, ")"));
        }
      }
      break;
    default:
      return InvalidParam("prompt", "set the prompt: 'text' or 'token_ids'");
  }
  const int64_t num_prompt_tokens = static_cast<int64_t>(out.prompt_token_ids.size());
  if (num_prompt_tokens == 0) return InvalidParam("token_ids", "the prompt has no tokens");
  if (num_prompt_tokens >= model.max_model_len) {
    return InvalidParam("prompt", absl::StrCat("this model's maximum context length is ",
                                               model.max_model_len, " tokens, but the prompt has ",
                                               num_prompt_tokens, " tokens; shorten the prompt"));
  }
  HS_RETURN_IF_ERROR(ReadSampling(in.sampling(), &out.sampling));
  const v1::StoppingParams& stopping = in.stopping();
  SamplingOptions& sampling = out.sampling;
  sampling.max_tokens = model.max_model_len - num_prompt_tokens;
  if (stopping.has_max_tokens()) {
    if (stopping.max_tokens() == 0) return InvalidParam("max_tokens", "'max_tokens' must be >= 1");
    if (num_prompt_tokens + stopping.max_tokens() > model.max_model_len) {
      return InvalidParam(
          "max_tokens",
          absl::StrCat("this model's maximum context length is ", model.max_model_len,
                       " tokens, but ", num_prompt_tokens, " prompt tokens + ",
                       stopping.max_tokens(), " max_tokens were requested; lower max_tokens"));
    }
    sampling.max_tokens = stopping.max_tokens();
  }
  sampling.min_tokens = stopping.min_tokens();
  if (sampling.min_tokens > sampling.max_tokens) {
    return InvalidParam("min_tokens",
                        absl::StrCat("'min_tokens' (", sampling.min_tokens,
                                     ") must not exceed max_tokens (", sampling.max_tokens, ")"));
  }
  for (const std::string& stop : stopping.stop()) {
    if (stop.empty()) return InvalidParam("stop", "stop strings must not be empty");
    sampling.stop.push_back(stop);
  }
  for (int32_t id : stopping.stop_token_ids()) {
    if (id < 0 || id >= model.vocab_size) {
      return InvalidParam("stop_token_ids",
                          absl::StrCat("stop token id ", id, " is outside the vocabulary [0, ",
                                       model.vocab_size, ")"));
    }
    sampling.stop_token_ids.push_back(id);
  }
  sampling.ignore_eos = stopping.ignore_eos();
  sampling.logprobs = in.logprobs();
  if (in.top_logprobs() > openai::kMaxLogprobs) {
    return InvalidParam("top_logprobs",
                        absl::StrCat("'top_logprobs' must be at most ", openai::kMaxLogprobs,
                                     ", got ", in.top_logprobs()));
  }
  if (in.top_logprobs() > 0 && !in.logprobs()) {
    return InvalidParam("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
  }
  sampling.top_logprobs = static_cast<int32_t>(in.top_logprobs());
  return out;
}

v1::GenerateResponse ToResponse(const GenerationDelta& delta, const std::string& request_id) {
  v1::GenerateResponse out;
  out.set_request_id(request_id);
  out.set_text(LossyUtf8(delta.text));
  out.mutable_token_ids()->Add(delta.token_ids.begin(), delta.token_ids.end());
  for (const TokenLogprob& lp : delta.logprobs) {
    v1::TokenLogprob* token = out.add_logprobs();
    token->set_token_id(lp.token_id);
    token->set_token(LossyUtf8(lp.token));  // a token may be part of a character
    token->set_logprob(lp.logprob);
    for (const TopLogprob& alt : lp.top) {
      v1::TopLogprob* top = token->add_top_logprobs();
      top->set_token_id(alt.token_id);
      top->set_token(LossyUtf8(alt.token));
      top->set_logprob(alt.logprob);
    }
  }
  if (delta.finished) {
    out.set_finish_reason(delta.finish_reason == FinishReason::kLength ? v1::FINISH_REASON_LENGTH
                                                                       : v1::FINISH_REASON_STOP);
    v1::Usage* usage = out.mutable_usage();
    usage->set_prompt_tokens(static_cast<uint32_t>(delta.num_prompt_tokens));
    usage->set_completion_tokens(static_cast<uint32_t>(delta.num_generated_tokens));
    usage->set_total_tokens(
        static_cast<uint32_t>(delta.num_prompt_tokens + delta.num_generated_tokens));
  }
  return out;
}

v1::ModelInfoResponse ToModelInfo(const ModelDescription& model) {
  v1::ModelInfoResponse out;
  out.set_name(model.name);
  out.set_version(model.version);
  out.set_family(model.family);
  out.set_max_model_len(static_cast<uint32_t>(model.max_model_len));
  out.set_vocab_size(static_cast<uint32_t>(model.vocab_size));
  out.set_created_unix_seconds(model.created_unix_seconds);
  return out;
}

}  // namespace hybridserve::server::grpc_api
