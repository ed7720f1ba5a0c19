#include "server/grpc/generation_service.h"

#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/grpc/request_conversion.h"
#include "server/openai/generation_plan.h"
#include "server/status_mapping.h"
#include "server/tracked_stream.h"

namespace hybridserve::server::grpc_api {
namespace {

namespace v1 = ::hybridserve::v1;

constexpr absl::Duration kPollInterval = absl::Milliseconds(100);

std::string NewRequestId() {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat("grpc-", absl::ToUnixMicros(absl::Now()), "-", counter.fetch_add(1));
}

// Streams one sequence. A thread reads the backend stream and writes one message at a time;
// gRPC's callbacks (OnWriteDone, OnCancel, OnDone) only flip state and wake it.
class GenerateReactor : public grpc::ServerWriteReactor<v1::GenerateResponse> {
 public:
  GenerateReactor(const ServiceContext& context, std::unique_ptr<TrackedStream> stream,
                  std::string request_id, int64_t num_prompt_tokens)
      : context_(context),
        stream_(std::move(stream)),
        request_id_(std::move(request_id)),
        num_prompt_tokens_(num_prompt_tokens),
        in_flight_(context.state),
        start_(absl::Now()) {
    thread_ = std::thread([this] { Run(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_pending_ = false;
    write_ok_ = ok;
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
    }
    stream_->Cancel();  // releases the sequence now, whatever the reader thread is doing
  }

  void OnDone() override {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
    delete this;  // an unfinished sequence is cancelled and counted as aborted here
  }

 private:
  void Run() {
    const grpc::Status status = Pump();
    Log(status);
    if (!status.ok()) stream_->Cancel();  // release the sequence before the call ends
    Finish(status);  // OnDone may delete this from here on; nothing below touches members
  }

  grpc::Status Pump() {
    GenerationDelta delta;
    while (true) {
      if (Cancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled");
      const StreamRead read = stream_->Next(kPollInterval, &delta);
      if (read == StreamRead::kTimeout) continue;
      if (read == StreamRead::kEnd) return grpc::Status::OK;
      if (delta.finished && !delta.status.ok()) return ToGrpcStatus(delta.status);
      completion_tokens_ += static_cast<int64_t>(delta.token_ids.size());
      if (delta.finished) finish_reason_ = FinishReasonName(delta.finish_reason);
      if (delta.text.empty() && delta.token_ids.empty() && !delta.finished) continue;
      message_ = ToResponse(delta, request_id_);
      {
        absl::MutexLock lock(&mu_);
        write_pending_ = true;
      }
      StartWrite(&message_);
      {
        absl::MutexLock lock(&mu_);
        auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return !write_pending_ || cancelled_;
        };
        mu_.Await(absl::Condition(&settled));
        // After a cancel the write still completes (with ok = false); wait for it so that the
        // message buffer is not reused under it.
        if (write_pending_) {
          auto written = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !write_pending_; };
          mu_.Await(absl::Condition(&written));
        }
        if (!write_ok_) {
          return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
        }
      }
      if (delta.finished) return grpc::Status::OK;
    }
  }

  bool Cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  void Log(const grpc::Status& status) {
    context_.logger->Log(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "generation",
                         {{"api", "grpc"},
                          {"method", "Generate"},
                          {"request_id", request_id_},
                          {"grpc_code", static_cast<int>(status.error_code())},
                          {"prompt_tokens", num_prompt_tokens_},
                          {"completion_tokens", completion_tokens_},
                          {"finish_reason", finish_reason_},
                          {"e2e_s", absl::ToDoubleSeconds(absl::Now() - start_)}});
  }

  const ServiceContext& context_;
  std::unique_ptr<TrackedStream> stream_;
  const std::string request_id_;
  const int64_t num_prompt_tokens_;
  ServerState::InFlight in_flight_;
  const absl::Time start_;
  int64_t completion_tokens_ = 0;
  std::string finish_reason_;
  v1::GenerateResponse message_;

  absl::Mutex mu_;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool write_ok_ ABSL_GUARDED_BY(mu_) = true;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// A write reactor that fails at once.
class FailedGenerate : public grpc::ServerWriteReactor<v1::GenerateResponse> {
 public:
  explicit FailedGenerate(grpc::Status status) { Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* call, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = call->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(MapStatusCode(status.code()).grpc_code),
                      std::string(status.message()));
}

absl::Status GenerationService::CheckKey(const grpc::CallbackServerContext& call) const {
  if (context_.api_key.empty()) return absl::OkStatus();
  const auto& metadata = call.client_metadata();
  const std::string bearer = "Bearer " + context_.api_key;
  for (auto it = metadata.find("authorization");
       it != metadata.end() && it->first == "authorization"; ++it) {
    if (std::string(it->second.data(), it->second.size()) == bearer) return absl::OkStatus();
  }
  for (auto it = metadata.find("x-api-key"); it != metadata.end() && it->first == "x-api-key";
       ++it) {
    if (std::string(it->second.data(), it->second.size()) == context_.api_key) {
      return absl::OkStatus();
    }
  }
  return absl::UnauthenticatedError(
      "invalid or missing API key; send the metadata 'authorization: Bearer <key>'");
}

absl::Status GenerationService::CheckCall(const grpc::CallbackServerContext& call) const {
  if (absl::Status status = CheckKey(call); !status.ok()) return status;
  if (context_.state->draining()) {
    return absl::UnavailableError("the server is shutting down; retry on another replica");
  }
  if (!context_.backend->IsReady()) {
    return absl::UnavailableError("the model is still loading; retry when health is SERVING");
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<v1::GenerateResponse>* GenerationService::Generate(
    grpc::CallbackServerContext* call, const v1::GenerateRequest* request) {
  absl::Status status = CheckCall(*call);
  absl::StatusOr<GenerationRequest> converted =
      status.ok() ? ToGenerationRequest(*request, *context_.backend) : status;
  if (!converted.ok()) {
    context_.metrics->CountRejected(MapStatusCode(converted.status().code()).http_status);
    context_.logger->Log(LogLevel::kInfo, "generation_rejected",
                         {{"api", "grpc"},
                          {"method", "Generate"},
                          {"grpc_code", MapStatusCode(converted.status().code()).grpc_code},
                          {"error", std::string(converted.status().message())}});
    return new FailedGenerate(ToGrpcStatus(converted.status()));
  }
  converted->request_id = request->request_id().empty() ? NewRequestId() : request->request_id();
  const auto deadline = call->deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    converted->deadline = absl::FromChrono(deadline);
  }
  const std::string request_id = converted->request_id;
  const int64_t num_prompt_tokens = static_cast<int64_t>(converted->prompt_token_ids.size());
  const int64_t max_tokens = converted->sampling.max_tokens;
  const absl::Time submitted = absl::Now();
  absl::StatusOr<std::unique_ptr<GenerationStream>> stream =
      context_.backend->Submit(*std::move(converted));
  if (!stream.ok()) {
    context_.metrics->CountRejected(MapStatusCode(stream.status().code()).http_status);
    return new FailedGenerate(ToGrpcStatus(stream.status()));
  }
  auto tracked = std::make_unique<TrackedStream>(*std::move(stream), context_.metrics,
                                                 num_prompt_tokens, max_tokens, submitted);
  return new GenerateReactor(context_, std::move(tracked), request_id, num_prompt_tokens);
}

grpc::ServerUnaryReactor* GenerationService::Tokenize(grpc::CallbackServerContext* call,
                                                      const v1::TokenizeRequest* request,
                                                      v1::TokenizeResponse* response) {
  if (absl::Status status = CheckCall(*call); !status.ok()) return Reply(call, status);
  const ModelDescription model = context_.backend->Model();
  if (!request->model().empty()) {
    if (absl::Status status = openai::CheckModelName(request->model(), model); !status.ok()) {
      return Reply(call, status);
    }
  }
  absl::StatusOr<std::vector<int32_t>> ids =
      context_.backend->Tokenize(request->text(), request->add_special_tokens());
  if (!ids.ok()) return Reply(call, ids.status());
  response->mutable_token_ids()->Add(ids->begin(), ids->end());
  response->set_max_model_len(static_cast<uint32_t>(model.max_model_len));
  return Reply(call, absl::OkStatus());
}

grpc::ServerUnaryReactor* GenerationService::Detokenize(grpc::CallbackServerContext* call,
                                                        const v1::DetokenizeRequest* request,
                                                        v1::DetokenizeResponse* response) {
  if (absl::Status status = CheckCall(*call); !status.ok()) return Reply(call, status);
  if (!request->model().empty()) {
    if (absl::Status status = openai::CheckModelName(request->model(), context_.backend->Model());
        !status.ok()) {
      return Reply(call, status);
    }
  }
  const std::vector<int32_t> ids(request->token_ids().begin(), request->token_ids().end());
  absl::StatusOr<std::string> text =
      context_.backend->Detokenize(ids, request->skip_special_tokens());
  if (!text.ok()) return Reply(call, text.status());
  response->set_text(*text);
  return Reply(call, absl::OkStatus());
}

grpc::ServerUnaryReactor* GenerationService::ListModels(grpc::CallbackServerContext* call,
                                                        const v1::ListModelsRequest* /*request*/,
                                                        v1::ListModelsResponse* response) {
  if (absl::Status status = CheckKey(*call); !status.ok()) return Reply(call, status);
  *response->add_models() = ToModelInfo(context_.backend->Model());
  return Reply(call, absl::OkStatus());
}

grpc::ServerUnaryReactor* GenerationService::ModelInfo(grpc::CallbackServerContext* call,
                                                       const v1::ModelInfoRequest* request,
                                                       v1::ModelInfoResponse* response) {
  if (absl::Status status = CheckKey(*call); !status.ok()) return Reply(call, status);
  const ModelDescription model = context_.backend->Model();
  if (!request->model().empty()) {
    if (absl::Status status = openai::CheckModelName(request->model(), model); !status.ok()) {
      return Reply(call, status);
    }
  }
  *response = ToModelInfo(model);
  return Reply(call, absl::OkStatus());
}

}  // namespace hybridserve::server::grpc_api
