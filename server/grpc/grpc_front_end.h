// The gRPC server: hybridserve.v1.GenerationService, the standard grpc.health.v1 health service
// (SERVING once ready, NOT_SERVING while draining) and server reflection.
#ifndef HYBRIDSERVE_SERVER_GRPC_GRPC_FRONT_END_H_
#define HYBRIDSERVE_SERVER_GRPC_GRPC_FRONT_END_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/grpc/generation_service.h"

namespace grpc {
class Server;
}

namespace hybridserve::server::grpc_api {

struct GrpcOptions {
  std::string host = "0.0.0.0";
  int port = 50051;  // 0: any free port (see port())
  size_t max_message_bytes = 8 * 1024 * 1024;
};

class GrpcFrontEnd {
 public:
  GrpcFrontEnd(GrpcOptions options, ServiceContext context);
  ~GrpcFrontEnd();

  absl::Status Start();
  int port() const { return port_; }
  // The health service's overall and per-service status.
  void SetServing(bool serving);
  // Stops accepting calls and cancels those still running after grace.
  void Stop(absl::Duration grace);

 private:
  const GrpcOptions options_;
  std::unique_ptr<GenerationService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace hybridserve::server::grpc_api

#endif  // HYBRIDSERVE_SERVER_GRPC_GRPC_FRONT_END_H_
