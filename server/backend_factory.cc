#include "server/backend_factory.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/engine_backend.h"
#include "server/fake_backend.h"

namespace hybridserve::server {

namespace {

FakeBackendOptions FakeOptions(const ServerConfig& config) {
  FakeBackendOptions options;
  if (!config.served_model_name.empty()) options.model_name = config.served_model_name;
  options.token_delay = absl::Milliseconds(config.fake_token_delay_ms);
  if (config.max_model_len > 0) options.max_model_len = config.max_model_len;
  options.max_running = config.max_num_seqs;
  options.max_waiting = config.max_queue_len;
  options.eos_after_tokens = config.fake_eos_after_tokens;
  return options;
}

}  // namespace

absl::StatusOr<ModelDescription> DescribeBackend(const ServerConfig& config) {
  if (config.fake_backend) return FakeBackend(FakeOptions(config)).Model();
  return DescribeEngineModel(config);
}

absl::StatusOr<std::unique_ptr<GenerationBackend>> CreateBackend(const ServerConfig& config) {
  if (config.testing_load_delay_ms > 0) {
    absl::SleepFor(absl::Milliseconds(config.testing_load_delay_ms));
  }
  if (config.fake_backend) {
    return std::unique_ptr<GenerationBackend>(std::make_unique<FakeBackend>(FakeOptions(config)));
  }
  return CreateEngineBackend(config);
}

}  // namespace hybridserve::server
