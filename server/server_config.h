// The effective configuration of a hybridserve process (filled from the command line in
// main.cc), its checks, and its JSON form for the startup log.
#ifndef HYBRIDSERVE_SERVER_SERVER_CONFIG_H_
#define HYBRIDSERVE_SERVER_SERVER_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace hybridserve::server {

struct ServerConfig {
  std::string model_dir;          // empty: the bundled default model
  std::string served_model_name;  // empty: the model folder's name
  std::string host = "0.0.0.0";
  int http_port = 8000;           // 0: any free port
  int grpc_port = 50051;          // 0: any free port; -1: no gRPC server
  std::string device = "auto";    // cpu, cuda or auto
  std::string dtype = "auto";     // auto, f32, bf16, f16 (cuda)
  std::string kv_dtype = "auto";  // auto (as dtype), f32, bf16, f16 (cuda)
  int tensor_parallel_size = 1;   // GPUs the model is split over (cuda)
  int64_t max_num_seqs = 64;      // sequences running at once
  int64_t max_model_len = 0;      // 0: the model's own context length
  int64_t cache_memory_mib = 0;   // KV cache + SSM state memory; 0: the engine decides
  int64_t prefill_chunk_tokens = 512;
  int64_t max_queue_len = 256;  // waiting requests beyond this get 429
  std::string api_key;          // empty: no key
  std::string log_level = "info";
  double shutdown_grace_seconds = 30.0;
  int64_t max_body_bytes = 8 * 1024 * 1024;
  int http_threads = 256;
  // Test-only: serve the deterministic fake backend instead of a model.
  bool fake_backend = false;
  int64_t fake_token_delay_ms = 2;
  int64_t fake_eos_after_tokens = 0;
  std::string port_file;              // where the bound ports are written as JSON, if set
  int64_t testing_load_delay_ms = 0;  // the model load waits this long first
};

// InvalidArgument naming the flag for an out-of-range or unknown value.
absl::Status ValidateConfig(const ServerConfig& config);

// Every field, the API key masked.
nlohmann::json ConfigJson(const ServerConfig& config);

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_SERVER_CONFIG_H_
