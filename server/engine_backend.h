// The production GenerationBackend: a checkpoint directory loaded on the CPU backend, its
// tokenizer.json and tokenizer_config.json (chat template), and engine/serving's Engine
// (continuous batching) behind the front ends' narrow interface.
#ifndef HYBRIDSERVE_SERVER_ENGINE_BACKEND_H_
#define HYBRIDSERVE_SERVER_ENGINE_BACKEND_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "server/generation_backend.h"
#include "server/server_config.h"

namespace hybridserve::server {

// Loads config.model_dir (the bundled default model when empty), plans the caches from the
// config, starts the engine and warms it up with one short generation; IsReady() is true after.
absl::StatusOr<std::unique_ptr<GenerationBackend>> CreateEngineBackend(const ServerConfig& config);

// What CreateEngineBackend will serve, from config.json alone (no weights are read): fails as it
// would for a missing or unreadable model directory, config.json or tokenizer.json, an unknown
// architecture or a cache that cannot hold one sequence.
absl::StatusOr<ModelDescription> DescribeEngineModel(const ServerConfig& config);

// Where the bundled default model lives (models/default of the source tree, or the
// HYBRIDSERVE_DEFAULT_MODEL environment variable when set).
std::string DefaultModelDir();

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_ENGINE_BACKEND_H_
