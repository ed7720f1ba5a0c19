#include "server/backend_factory.h"

#include "absl/time/time.h"
#include "server/engine_backend.h"
#include "server/fake_backend.h"

namespace hybridserve::server {

absl::StatusOr<std::unique_ptr<GenerationBackend>> CreateBackend(const ServerConfig& config) {
  if (config.fake_backend) {
    FakeBackendOptions options;
    if (!config.served_model_name.empty()) options.model_name = config.served_model_name;
    options.token_delay = absl::Milliseconds(config.fake_token_delay_ms);
    if (config.max_model_len > 0) options.max_model_len = config.max_model_len;
    options.max_running = config.max_num_seqs;
    options.max_waiting = config.max_queue_len;
    options.eos_after_tokens = config.fake_eos_after_tokens;
    return std::unique_ptr<GenerationBackend>(std::make_unique<FakeBackend>(options));
  }
  return CreateEngineBackend(config);
}

}  // namespace hybridserve::server
