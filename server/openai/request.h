// A parsed and validated OpenAI completions or chat completions request, before tokenization.
#ifndef HYBRIDSERVE_SERVER_OPENAI_REQUEST_H_
#define HYBRIDSERVE_SERVER_OPENAI_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/generation_backend.h"

namespace hybridserve::server::openai {

enum class Endpoint { kCompletions, kChat };

// One prompt of a completions request: text, or token ids when is_tokens.
struct PromptInput {
  bool is_tokens = false;
  std::string text;
  std::vector<int32_t> token_ids;
};

struct OpenAiRequest {
  Endpoint endpoint = Endpoint::kCompletions;
  std::string model;
  std::vector<PromptInput> prompts;   // completions: one or more (choices index = prompt * n + i)
  std::vector<ChatMessage> messages;  // chat
  bool add_generation_prompt = true;  // chat
  // max_tokens is filled in later when absent (chat: what remains of the context).
  SamplingOptions sampling;
  std::optional<int64_t> max_tokens;
  int32_t n = 1;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool echo = false;           // completions: the prompt text is prepended to each choice
  std::string user;
};

inline constexpr int64_t kMaxN = 128;
inline constexpr int64_t kMaxStopStrings = 4;
inline constexpr int64_t kMaxLogprobs = 20;

}  // namespace hybridserve::server::openai

#endif  // HYBRIDSERVE_SERVER_OPENAI_REQUEST_H_
