#include "server/grpc/grpc_front_end.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"

namespace hybridserve::server::grpc_api {

GrpcFrontEnd::GrpcFrontEnd(GrpcOptions options, ServiceContext context)
    : options_(std::move(options)),
      service_(std::make_unique<GenerationService>(std::move(context))) {}

GrpcFrontEnd::~GrpcFrontEnd() { Stop(absl::ZeroDuration()); }

absl::Status GrpcFrontEnd::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string address = absl::StrCat(options_.host, ":", options_.port);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_message_bytes));
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("cannot bind gRPC on ", address,
                                               "; is the port in use? choose another with "
                                               "--grpc-port"));
  }
  return absl::OkStatus();
}

void GrpcFrontEnd::SetServing(bool serving) {
  if (server_ == nullptr) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  health->SetServingStatus(hybridserve::v1::GenerationService::service_full_name(), serving);
}

void GrpcFrontEnd::Stop(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  server_.reset();
}

}  // namespace hybridserve::server::grpc_api
