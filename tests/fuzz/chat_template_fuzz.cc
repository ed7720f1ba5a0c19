// libFuzzer target for the chat template interpreter: the input is split at the first NUL byte
// into template source and a messages JSON text. Every template that parses is rendered (with the
// messages if they are a JSON array, with a fixed conversation otherwise) under small limits, so
// each input stays fast; errors are fine, crashes and sanitizer reports are not.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/chat/chat_template.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view source = input.substr(0, split);
  const std::string_view messages_text =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 1);

  auto tmpl = hybridserve::engine::ChatTemplate::Parse(source);
  if (!tmpl.ok()) return 0;

  nlohmann::ordered_json messages = nlohmann::ordered_json::parse(
      messages_text.begin(), messages_text.end(), nullptr, /*allow_exceptions=*/false);
  if (!messages.is_array()) {
    messages = nlohmann::ordered_json::parse(
        R"([{"role": "system", "content": "s"}, {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "<think>x</think>yo",
             "tool_calls": [{"function": {"name": "f", "arguments": {"a": 1.5}}}]}])");
  }
  nlohmann::ordered_json context = {{"messages", messages}, {"add_generation_prompt", true},
                                    {"bos_token", "<s>"},   {"eos_token", "</s>"},
                                    {"tools", nullptr},     {"documents", nullptr}};
  hybridserve::engine::ChatRenderLimits limits;
  limits.max_output_bytes = 1 << 16;
  limits.max_loop_iterations = 10000;
  limits.max_call_depth = 16;
  limits.max_value_depth = 32;
  limits.max_steps = 200000;
  auto rendered = tmpl->Render(context, limits);
  (void)rendered;
  return 0;
}
