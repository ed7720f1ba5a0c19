// hybridserve.v1.GenerationService on gRPC's callback API. Generate runs one write reactor per
// call, fed by a thread that reads the sequence's stream; the call's cancellation (client
// cancel, disconnect) cancels the sequence at once, and the call's deadline becomes the
// sequence's deadline. When an API key is set, calls must carry `authorization: Bearer <key>`
// (or `x-api-key: <key>`).
#ifndef HYBRIDSERVE_SERVER_GRPC_GENERATION_SERVICE_H_
#define HYBRIDSERVE_SERVER_GRPC_GENERATION_SERVICE_H_

#include <string>

#include "hybridserve/v1/generation.grpc.pb.h"
#include "server/generation_backend.h"
#include "server/metrics.h"
#include "server/request_log.h"
#include "server/server_state.h"

namespace hybridserve::server::grpc_api {

struct ServiceContext {
  GenerationBackend* backend;
  ServerMetrics* metrics;
  ServerState* state;
  Logger* logger;
  std::string api_key;  // empty: none needed
};

class GenerationService final : public hybridserve::v1::GenerationService::CallbackService {
 public:
  explicit GenerationService(ServiceContext context) : context_(std::move(context)) {}

  grpc::ServerWriteReactor<hybridserve::v1::GenerateResponse>* Generate(
      grpc::CallbackServerContext* call, const hybridserve::v1::GenerateRequest* request) override;
  grpc::ServerUnaryReactor* Tokenize(grpc::CallbackServerContext* call,
                                     const hybridserve::v1::TokenizeRequest* request,
                                     hybridserve::v1::TokenizeResponse* response) override;
  grpc::ServerUnaryReactor* Detokenize(grpc::CallbackServerContext* call,
                                       const hybridserve::v1::DetokenizeRequest* request,
                                       hybridserve::v1::DetokenizeResponse* response) override;
  grpc::ServerUnaryReactor* ListModels(grpc::CallbackServerContext* call,
                                       const hybridserve::v1::ListModelsRequest* request,
                                       hybridserve::v1::ListModelsResponse* response) override;
  grpc::ServerUnaryReactor* ModelInfo(grpc::CallbackServerContext* call,
                                      const hybridserve::v1::ModelInfoRequest* request,
                                      hybridserve::v1::ModelInfoResponse* response) override;

 private:
  // Unauthenticated unless the call carries the key; OK when none is configured.
  absl::Status CheckKey(const grpc::CallbackServerContext& call) const;
  // CheckKey, then Unavailable while draining or before the model is ready.
  absl::Status CheckCall(const grpc::CallbackServerContext& call) const;

  const ServiceContext context_;
};

// absl::Status -> grpc::Status through the status table.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace hybridserve::server::grpc_api

#endif  // HYBRIDSERVE_SERVER_GRPC_GENERATION_SERVICE_H_
