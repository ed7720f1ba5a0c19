#include "server/server_config.h"

#include "absl/strings/str_cat.h"
#include "server/request_log.h"

namespace hybridserve::server {
namespace {

absl::Status CheckPort(const char* flag, int port, bool may_disable) {
  if ((port >= 0 && port <= 65535) || (may_disable && port == -1)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", port,
                                                 " is not a port; use 0..65535",
                                                 may_disable ? " (or -1 to disable)" : ""));
}

absl::Status CheckAtLeast(const char* flag, int64_t value, int64_t min) {
  if (value >= min) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, "=", value, " must be >= ", min));
}

}  // namespace

absl::Status ValidateConfig(const ServerConfig& config) {
  if (absl::Status s = CheckPort("http-port", config.http_port, false); !s.ok()) return s;
  if (absl::Status s = CheckPort("grpc-port", config.grpc_port, true); !s.ok()) return s;
  for (const auto& [flag, value] : {std::pair<std::string, std::string>{"dtype", config.dtype},
                                    {"kv-dtype", config.kv_dtype}}) {
    if (value != "auto" && value != "f32" && value != "bf16" && value != "f16") {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, "=", value, " is unknown; use auto, f32, bf16 or f16"));
    }
  }
  if (config.device != "cpu" && config.device != "cuda" && config.device != "auto") {
    return absl::InvalidArgumentError(
        absl::StrCat("--device=", config.device, " is unknown; use cpu, cuda or auto"));
  }
  if (absl::Status s = CheckAtLeast("tensor-parallel-size", config.tensor_parallel_size, 1);
      !s.ok()) {
    return s;
  }
  if (config.tensor_parallel_size > 1 && config.device == "cpu") {
    return absl::InvalidArgumentError(
        "--tensor-parallel-size above 1 needs --device cuda (the model is split over GPUs)");
  }
  if (absl::Status s = CheckAtLeast("max-num-seqs", config.max_num_seqs, 1); !s.ok()) return s;
  if (absl::Status s = CheckAtLeast("max-model-len", config.max_model_len, 0); !s.ok()) return s;
  if (absl::Status s = CheckAtLeast("cache-memory-mib", config.cache_memory_mib, 0); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckAtLeast("prefill-chunk-tokens", config.prefill_chunk_tokens, 1);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckAtLeast("max-queue-len", config.max_queue_len, 0); !s.ok()) return s;
  if (absl::Status s = CheckAtLeast("max-body-bytes", config.max_body_bytes, 1024); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckAtLeast("http-threads", config.http_threads, 2); !s.ok()) return s;
  if (!(config.shutdown_grace_seconds >= 0.0)) {
    return absl::InvalidArgumentError("--shutdown-grace-seconds must be >= 0");
  }
  return ParseLogLevel(config.log_level).status();
}

nlohmann::json ConfigJson(const ServerConfig& config) {
  nlohmann::json out = {{"model", config.model_dir},
                        {"served_model_name", config.served_model_name},
                        {"host", config.host},
                        {"http_port", config.http_port},
                        {"grpc_port", config.grpc_port},
                        {"device", config.device},
                        {"dtype", config.dtype},
                        {"kv_dtype", config.kv_dtype},
                        {"tensor_parallel_size", config.tensor_parallel_size},
                        {"max_num_seqs", config.max_num_seqs},
                        {"max_model_len", config.max_model_len},
                        {"cache_memory_mib", config.cache_memory_mib},
                        {"prefill_chunk_tokens", config.prefill_chunk_tokens},
                        {"max_queue_len", config.max_queue_len},
                        {"api_key", config.api_key.empty() ? "" : "<set>"},
                        {"log_level", config.log_level},
                        {"shutdown_grace_seconds", config.shutdown_grace_seconds},
                        {"max_body_bytes", config.max_body_bytes},
                        {"http_threads", config.http_threads}};
  if (config.fake_backend) {
    out["fake_backend"] = true;
    out["fake_token_delay_ms"] = config.fake_token_delay_ms;
  }
  return out;
}

}  // namespace hybridserve::server
