// Creates the GenerationBackend a hybridserve process serves: the fake one under
// --fake-backend, otherwise the engine adapter (loads the model; IsReady() turns true once it is
// loaded and warmed up). main.cc runs CreateBackend inside a LoadingBackend, after the front ends
// listen.
#ifndef HYBRIDSERVE_SERVER_BACKEND_FACTORY_H_
#define HYBRIDSERVE_SERVER_BACKEND_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "server/generation_backend.h"
#include "server/server_config.h"

namespace hybridserve::server {

absl::StatusOr<std::unique_ptr<GenerationBackend>> CreateBackend(const ServerConfig& config);

// What CreateBackend will serve, known at once (no weights read); fails where the model
// directory cannot be served, so a bad --model is reported before anything listens.
absl::StatusOr<ModelDescription> DescribeBackend(const ServerConfig& config);

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_BACKEND_FACTORY_H_
