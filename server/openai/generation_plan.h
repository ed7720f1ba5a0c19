// Turns a parsed OpenAI request into the engine submissions: checks the model name, tokenizes
// the prompts (chat: through the model's chat template), checks them against the context length,
// resolves max_tokens, and expands n. Choice index k = prompt * n + i is submission k.
#ifndef HYBRIDSERVE_SERVER_OPENAI_GENERATION_PLAN_H_
#define HYBRIDSERVE_SERVER_OPENAI_GENERATION_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/generation_backend.h"
#include "server/openai/request.h"

namespace hybridserve::server::openai {

struct GenerationPlan {
  std::vector<GenerationRequest> submissions;  // one per choice
  std::vector<std::string> echo_prefixes;      // one per choice ("" unless echo)
  int64_t num_prompt_tokens = 0;               // summed over prompts (each counted once)
};

// NotFound (code "model_not_found") for another model name; InvalidArgument for prompts that
// do not fit the context.
absl::StatusOr<GenerationPlan> PlanGeneration(const OpenAiRequest& request,
                                              GenerationBackend& backend,
                                              absl::string_view request_id);

// NotFound with code "model_not_found" unless name is the served model's.
absl::Status CheckModelName(absl::string_view name, const ModelDescription& model);

}  // namespace hybridserve::server::openai

#endif  // HYBRIDSERVE_SERVER_OPENAI_GENERATION_PLAN_H_
