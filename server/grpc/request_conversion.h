// hybridserve.v1 messages <-> the backend's structs: validation of a GenerateRequest (the same
// ranges and messages as the HTTP API), and the response messages built from deltas.
#ifndef HYBRIDSERVE_SERVER_GRPC_REQUEST_CONVERSION_H_
#define HYBRIDSERVE_SERVER_GRPC_REQUEST_CONVERSION_H_

#include "absl/status/statusor.h"
#include "hybridserve/v1/generation.pb.h"
#include "server/generation_backend.h"

namespace hybridserve::server::grpc_api {

// Checks the model name, tokenizes a text prompt and checks every field; the request id and
// deadline are left for the caller. NotFound for another model, InvalidArgument otherwise.
absl::StatusOr<GenerationRequest> ToGenerationRequest(const hybridserve::v1::GenerateRequest& in,
                                                      GenerationBackend& backend);

// A delta as a response message (finish reason and usage only on the last one).
hybridserve::v1::GenerateResponse ToResponse(const GenerationDelta& delta,
                                             const std::string& request_id);

hybridserve::v1::ModelInfoResponse ToModelInfo(const ModelDescription& model);

}  // namespace hybridserve::server::grpc_api

#endif  // HYBRIDSERVE_SERVER_GRPC_REQUEST_CONVERSION_H_
