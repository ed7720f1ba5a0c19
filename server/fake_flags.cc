#include "server/fake_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(bool, fake_backend, false, "Test only: serve a deterministic fake model.");
ABSL_FLAG(int64_t, fake_token_delay_ms, 2, "Test only: the fake model's time per token.");
ABSL_FLAG(int64_t, fake_eos_after_tokens, 0,
          "Test only: the fake model emits EOS after this many tokens (0: never).");
ABSL_FLAG(std::string, port_file, "",
          "Test only: write the bound ports as JSON to this file once listening.");
ABSL_FLAG(int64_t, testing_load_delay_ms, 0,
          "Test only: wait this long before loading the model, so that tests see the server "
          "listening but not ready.");

namespace hybridserve::server {

void ApplyFakeFlags(ServerConfig* config) {
  config->fake_backend = absl::GetFlag(FLAGS_fake_backend);
  config->fake_token_delay_ms = absl::GetFlag(FLAGS_fake_token_delay_ms);
  config->fake_eos_after_tokens = absl::GetFlag(FLAGS_fake_eos_after_tokens);
  config->port_file = absl::GetFlag(FLAGS_port_file);
  config->testing_load_delay_ms = absl::GetFlag(FLAGS_testing_load_delay_ms);
}

}  // namespace hybridserve::server
