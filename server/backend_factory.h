// Creates the GenerationBackend a hybridserve process serves: the fake one under
// --fake-backend, otherwise the engine adapter (loads the model; IsReady() turns true once it is
// loaded and warmed up).
#ifndef HYBRIDSERVE_SERVER_BACKEND_FACTORY_H_
#define HYBRIDSERVE_SERVER_BACKEND_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "server/generation_backend.h"
#include "server/server_config.h"

namespace hybridserve::server {

absl::StatusOr<std::unique_ptr<GenerationBackend>> CreateBackend(const ServerConfig& config);

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_BACKEND_FACTORY_H_
