// hybridserve: the inference server binary. Parses flags, logs the effective configuration,
// starts the HTTP (OpenAI-compatible, /metrics, probes) and gRPC front ends over one backend,
// loads and warms up the model behind them (/ready 503 and gRPC health NOT_SERVING until done;
// a load failure exits 1), and on SIGTERM/SIGINT drains: readiness goes to 503, new requests are
// refused, in-flight requests get --shutdown-grace-seconds to finish, then the process exits 0.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/internal/program_name.h"
#include "absl/flags/internal/usage.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/backend_factory.h"
#include "server/fake_flags.h"
#include "server/grpc/grpc_front_end.h"
#include "server/http/http_front_end.h"
#include "server/loading_backend.h"
#include "server/metrics.h"
#include "server/request_log.h"
#include "server/server_config.h"
#include "server/server_state.h"

ABSL_FLAG(std::string, model, "",
          "Model directory (config.json, *.safetensors, tokenizer). "
          "Empty: the bundled default model.");
ABSL_FLAG(std::string, served_model_name, "",
          "The model id clients send as \"model\". Default: the model directory's name.");
ABSL_FLAG(std::string, host, "0.0.0.0", "Address to listen on (HTTP and gRPC).");
ABSL_FLAG(int, http_port, 8000, "HTTP port (OpenAI API, /metrics, /health, /ready); 0: any.");
ABSL_FLAG(int, grpc_port, 50051,
          "gRPC port (hybridserve.v1, health, reflection); 0: any, "
          "-1: no gRPC server.");
ABSL_FLAG(std::string, device, "auto",
          "Where the model runs: cpu, cuda, or auto (cuda when this build has it and a GPU is "
          "present).");
ABSL_FLAG(std::string, dtype, "auto",
          "Weight and KV-cache storage type on cuda: auto (the checkpoint's), f32, bf16 or f16. "
          "The CPU computes in fp32.");
ABSL_FLAG(std::string, kv_dtype, "auto",
          "KV-cache storage type on cuda: auto (as --dtype), f32, bf16 or f16.");
ABSL_FLAG(int, tensor_parallel_size, 1,
          "Split the model over CUDA GPUs 0..N-1 (tensor parallelism through NCCL, one thread per "
          "GPU in this process); 1: one GPU.");
ABSL_FLAG(int64_t, max_num_seqs, 64, "Maximum number of sequences running at once.");
ABSL_FLAG(int64_t, max_model_len, 0,
          "Maximum tokens per sequence (prompt + output); 0: the model's context length.");
ABSL_FLAG(int64_t, cache_memory_mib, 0,
          "Memory for the KV cache and SSM states in MiB; 0: the engine sizes it.");
ABSL_FLAG(int64_t, prefill_chunk_tokens, 512, "Prompt tokens processed per step and sequence.");
ABSL_FLAG(int64_t, max_queue_len, 256,
          "Waiting requests allowed; beyond this new requests get 429.");
ABSL_FLAG(std::string, api_key, "",
          "If set, required as 'Authorization: Bearer <key>' (HTTP) or the same gRPC metadata. "
          "Also read from the environment variable HYBRIDSERVE_API_KEY.");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error.");
ABSL_FLAG(double, shutdown_grace_seconds, 30.0,
          "On SIGTERM/SIGINT, how long in-flight requests may run before the exit.");
ABSL_FLAG(int64_t, max_body_bytes, 8 * 1024 * 1024, "Larger HTTP request bodies get 413.");
ABSL_FLAG(int, http_threads, 256,
          "HTTP connections served at once (each open stream holds one); at least as many as "
          "--max-num-seqs so every running sequence can stream.");

namespace hybridserve::server {
namespace {

ServerConfig ConfigFromFlags() {
  ServerConfig config;
  config.model_dir = absl::GetFlag(FLAGS_model);
  config.served_model_name = absl::GetFlag(FLAGS_served_model_name);
  config.host = absl::GetFlag(FLAGS_host);
  config.http_port = absl::GetFlag(FLAGS_http_port);
  config.grpc_port = absl::GetFlag(FLAGS_grpc_port);
  config.device = absl::GetFlag(FLAGS_device);
  config.dtype = absl::GetFlag(FLAGS_dtype);
  config.kv_dtype = absl::GetFlag(FLAGS_kv_dtype);
  config.tensor_parallel_size = absl::GetFlag(FLAGS_tensor_parallel_size);
  config.max_num_seqs = absl::GetFlag(FLAGS_max_num_seqs);
  config.max_model_len = absl::GetFlag(FLAGS_max_model_len);
  config.cache_memory_mib = absl::GetFlag(FLAGS_cache_memory_mib);
  config.prefill_chunk_tokens = absl::GetFlag(FLAGS_prefill_chunk_tokens);
  config.max_queue_len = absl::GetFlag(FLAGS_max_queue_len);
  config.api_key = absl::GetFlag(FLAGS_api_key);
  if (config.api_key.empty()) {
    if (const char* key = std::getenv("HYBRIDSERVE_API_KEY"); key != nullptr) config.api_key = key;
  }
  config.log_level = absl::GetFlag(FLAGS_log_level);
  config.shutdown_grace_seconds = absl::GetFlag(FLAGS_shutdown_grace_seconds);
  config.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  config.http_threads = absl::GetFlag(FLAGS_http_threads);
  ApplyFakeFlags(&config);
  return config;
}

// Waits up to timeout for SIGTERM or SIGINT (blocked in every thread); true when one came.
bool WaitForSignal(const sigset_t& signals, absl::Duration timeout, int* signal_number) {
  const timespec wait = absl::ToTimespec(timeout);
  const int got = sigtimedwait(&signals, nullptr, &wait);
  if (got > 0) *signal_number = got;
  return got > 0;
}

int Run(const ServerConfig& config, const sigset_t& signals) {
  const LogLevel level = *ParseLogLevel(config.log_level);
  Logger logger(level);
  logger.Log(LogLevel::kInfo, "config", ConfigJson(config));

  // A model directory that cannot be served fails here, before anything listens.
  const absl::StatusOr<ModelDescription> described = DescribeBackend(config);
  if (!described.ok()) {
    logger.Log(LogLevel::kError, "startup_failed", {{"error", described.status().ToString()}});
    std::fprintf(stderr, "hybridserve: %s\n", std::string(described.status().message()).c_str());
    return 1;
  }
  const ModelDescription& model = *described;
  // The front ends listen (503 / NOT_SERVING) while the model loads and warms up.
  LoadingBackend backend(model, [config] { return CreateBackend(config); });
  ServerMetrics metrics(model);
  ServerState state;

  http::HttpFrontEnd http_server({.host = config.host,
                                  .port = config.http_port,
                                  .api_key = config.api_key,
                                  .max_body_bytes = static_cast<size_t>(config.max_body_bytes),
                                  .num_threads = config.http_threads},
                                 {&backend, &metrics, &state, &logger});
  if (absl::Status status = http_server.Start(); !status.ok()) {
    logger.Log(LogLevel::kError, "startup_failed", {{"error", status.ToString()}});
    return 1;
  }
  std::unique_ptr<grpc_api::GrpcFrontEnd> grpc_server;
  if (config.grpc_port >= 0) {
    grpc_server = std::make_unique<grpc_api::GrpcFrontEnd>(
        grpc_api::GrpcOptions{.host = config.host, .port = config.grpc_port},
        grpc_api::ServiceContext{&backend, &metrics, &state, &logger, config.api_key});
    if (absl::Status status = grpc_server->Start(); !status.ok()) {
      logger.Log(LogLevel::kError, "startup_failed", {{"error", status.ToString()}});
      http_server.Stop();
      return 1;
    }
    grpc_server->SetServing(false);
  }
  const int grpc_port = grpc_server != nullptr ? grpc_server->port() : -1;
  logger.Log(LogLevel::kInfo, "listening",
             {{"http_port", http_server.port()},
              {"grpc_port", grpc_port},
              {"model", model.name},
              {"version", model.version}});
  if (!config.port_file.empty()) {
    // Written whole and renamed into place, so a reader never sees half of it.
    const std::string partial = config.port_file + ".partial";
    std::ofstream(partial)
        << nlohmann::json{{"http_port", http_server.port()}, {"grpc_port", grpc_port}}.dump()
        << "\n";
    std::rename(partial.c_str(), config.port_file.c_str());
  }

  backend.StartLoading();
  logger.Log(LogLevel::kInfo, "loading", {{"model", model.name}});

  // Serve until a signal; keep the gRPC health status in step with readiness.
  int signal_number = 0;
  bool serving = false;
  bool loaded = false;
  while (true) {
    if (!loaded) {
      if (const std::optional<absl::Status> status = backend.load_status(); status.has_value()) {
        if (!status->ok()) {
          logger.Log(LogLevel::kError, "startup_failed", {{"error", status->ToString()}});
          std::fprintf(stderr, "hybridserve: cannot load the model: %s\n",
                       std::string(status->message()).c_str());
          if (grpc_server != nullptr) grpc_server->Stop(absl::ZeroDuration());
          http_server.Stop();
          return 1;
        }
        loaded = true;
        logger.Log(LogLevel::kInfo, "ready", {{"model", model.name}});
      }
    }
    const bool ready = backend.IsReady();
    if (grpc_server != nullptr && ready != serving) grpc_server->SetServing(ready);
    serving = ready;
    if (WaitForSignal(signals, absl::Milliseconds(loaded ? 200 : 20), &signal_number)) break;
  }

  // Drain: readiness 503 and new requests refused at once; in-flight ones get the grace period
  // (a second signal ends it early).
  state.StartDraining();
  if (grpc_server != nullptr) grpc_server->SetServing(false);
  const absl::Time deadline = absl::Now() + absl::Seconds(config.shutdown_grace_seconds);
  logger.Log(LogLevel::kInfo, "draining",
             {{"signal", signal_number},
              {"in_flight", state.num_in_flight()},
              {"grace_seconds", config.shutdown_grace_seconds}});
  bool idle = false;
  while (!(idle = state.WaitIdle(std::min(deadline, absl::Now() + absl::Milliseconds(100))))) {
    if (absl::Now() >= deadline) break;
    int again = 0;
    if (WaitForSignal(signals, absl::ZeroDuration(), &again)) {
      logger.Log(LogLevel::kWarning, "drain_interrupted", {{"signal", again}});
      break;
    }
  }
  logger.Log(LogLevel::kInfo, "stopping",
             {{"drained", idle}, {"in_flight", state.num_in_flight()}});
  if (!idle) {
    // What still runs is cancelled and ends its response now (an SSE error event and
    // [DONE]); give it a moment, since stopping the HTTP server cuts open streams.
    state.Abort();
    state.WaitIdle(absl::Now() + absl::Seconds(2));
  }
  if (grpc_server != nullptr) grpc_server->Stop(absl::Seconds(1));
  http_server.Stop();
  logger.Log(LogLevel::kInfo, "stopped", nlohmann::json::object());
  if (!backend.load_status().has_value()) {
    // Stopped while the model was still loading: the loading thread cannot be interrupted, and
    // exit handlers must not run under it.
    std::fflush(nullptr);
    std::_Exit(0);
  }
  return 0;
}

}  // namespace
}  // namespace hybridserve::server

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "OpenAI-compatible HTTP and gRPC inference server for hybrid SSM/attention "
      "models.\n\n  hybridserve --model DIR [--http-port 8000] [--grpc-port 50051] "
      "[--device auto]\n");
  absl::FlagsUsageConfig usage;
  // --help lists the flags of this file; --helpfull all of them.
  usage.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "server/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  // Flags are written --http-port or --http_port; --help prints this file's flags and exits 0.
  std::vector<std::string> args(argv, argv + argc);
  std::vector<char*> normalized;
  for (std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      absl::flags_internal::SetProgramInvocationName("hybridserve");
      absl::flags_internal::FlagsHelp(std::cout, "server/main.cc",
                                      absl::flags_internal::HelpFormat::kHumanReadable,
                                      absl::ProgramUsageMessage());
      return 0;
    }
    if (absl::StartsWith(arg, "--")) {
      for (size_t i = 2; i < arg.size() && arg[i] != '='; ++i) {
        if (arg[i] == '-') arg[i] = '_';
      }
    }
    normalized.push_back(arg.data());
  }
  absl::ParseCommandLine(static_cast<int>(normalized.size()), normalized.data());
  const hybridserve::server::ServerConfig config = hybridserve::server::ConfigFromFlags();
  if (absl::Status status = hybridserve::server::ValidateConfig(config); !status.ok()) {
    std::fprintf(stderr, "hybridserve: %s\n", std::string(status.message()).c_str());
    return 2;
  }
  // SIGTERM/SIGINT are taken synchronously by the main thread; every thread started from here on
  // inherits the mask. A vanished client must not kill the process with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return hybridserve::server::Run(config, signals);
}
