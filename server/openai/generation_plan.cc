#include "server/openai/generation_plan.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "server/status_mapping.h"

namespace hybridserve::server::openai {
namespace {

// The token ids of each prompt, and the text echo would prepend.
struct TokenizedPrompt {
  std::vector<int32_t> token_ids;
  std::string text;
};

absl::StatusOr<std::vector<TokenizedPrompt>> Tokenize(const OpenAiRequest& request,
                                                      GenerationBackend& backend) {
  std::vector<TokenizedPrompt> prompts;
  if (request.endpoint == Endpoint::kChat) {
    HS_ASSIGN_OR_RETURN(std::string text,
                        backend.ApplyChatTemplate(request.messages, request.add_generation_prompt));
    HS_ASSIGN_OR_RETURN(std::vector<int32_t> ids,
                        backend.Tokenize(text, !backend.ChatTemplateAddsSpecialTokens()));
    prompts.push_back({std::move(ids), std::move(text)});
    return prompts;
  }
  for (const PromptInput& prompt : request.prompts) {
    TokenizedPrompt tokenized;
    if (prompt.is_tokens) {
      tokenized.token_ids = prompt.token_ids;
      if (request.echo) {
        HS_ASSIGN_OR_RETURN(tokenized.text, backend.Detokenize(prompt.token_ids, true));
      }
    } else {
      HS_ASSIGN_OR_RETURN(tokenized.token_ids, backend.Tokenize(prompt.text, true));
      tokenized.text = prompt.text;
    }
    prompts.push_back(std::move(tokenized));
  }
  return prompts;
}

}  // namespace

absl::Status CheckModelName(absl::string_view name, const ModelDescription& model) {
  if (name == model.name) return absl::OkStatus();
  return WithErrorCode(absl::NotFoundError(absl::StrCat("the model '", name,
                                                        "' does not exist; this server serves '",
                                                        model.name, "' (see GET /v1/models)")),
                       "model_not_found");
}

absl::StatusOr<GenerationPlan> PlanGeneration(const OpenAiRequest& request,
                                              GenerationBackend& backend,
                                              absl::string_view request_id) {
  const ModelDescription model = backend.Model();
  HS_RETURN_IF_ERROR(CheckModelName(request.model, model));
  HS_ASSIGN_OR_RETURN(std::vector<TokenizedPrompt> prompts, Tokenize(request, backend));
  const char* prompt_param = request.endpoint == Endpoint::kChat ? "messages" : "prompt";
  GenerationPlan plan;
  for (size_t p = 0; p < prompts.size(); ++p) {
    const int64_t num_prompt_tokens = static_cast<int64_t>(prompts[p].token_ids.size());
    if (num_prompt_tokens == 0) return InvalidParam(prompt_param, "the prompt has no tokens");
    if (num_prompt_tokens >= model.max_model_len) {
      return InvalidParam(
          prompt_param, absl::StrCat("this model's maximum context length is ", model.max_model_len,
                                     " tokens, but the prompt has ", num_prompt_tokens,
                                     " tokens; shorten the prompt"));
    }
    SamplingOptions sampling = request.sampling;
    sampling.max_tokens = request.max_tokens.value_or(model.max_model_len - num_prompt_tokens);
    if (num_prompt_tokens + sampling.max_tokens > model.max_model_len) {
      return InvalidParam(
          request.endpoint == Endpoint::kChat && !request.max_tokens.has_value()
              ? "max_completion_tokens"
              : "max_tokens",
          absl::StrCat("this model's maximum context length is ", model.max_model_len,
                       " tokens, but ", num_prompt_tokens, " prompt tokens + ", sampling.max_tokens,
                       " max_tokens were requested; lower max_tokens"));
    }
    if (sampling.min_tokens > sampling.max_tokens) {
      return InvalidParam("min_tokens", absl::StrCat("'min_tokens' (", sampling.min_tokens,
                                                     ") must not exceed the ", sampling.max_tokens,
                                                     " tokens left for the completion"));
    }
    plan.num_prompt_tokens += num_prompt_tokens;
    for (int32_t i = 0; i < request.n; ++i) {
      GenerationRequest submission;
      submission.request_id = absl::StrCat(request_id, "-", p * request.n + i);
      submission.prompt_token_ids = prompts[p].token_ids;
      submission.sampling = sampling;
      // Distinct but reproducible random streams for the n choices of a seeded request.
      if (sampling.seed.has_value()) submission.sampling.seed = *sampling.seed + i;
      plan.submissions.push_back(std::move(submission));
      plan.echo_prefixes.push_back(request.echo ? prompts[p].text : "");
    }
  }
  return plan;
}

}  // namespace hybridserve::server::openai
