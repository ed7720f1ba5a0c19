#include "server/http/generate_route.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "server/http/client_connection.h"
#include "server/openai/generation_plan.h"
#include "server/openai/request_parser.h"
#include "server/openai/response_builder.h"
#include "server/tracked_stream.h"

namespace hybridserve::server::http {
namespace {

using nlohmann::json;
using openai::ChoiceOutput;
using openai::Endpoint;

constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

// One request's sequences and everything its answer accumulates.
struct Generation {
  Generation(const RouteContext& context, openai::OpenAiRequest request)
      : context(context), request(std::move(request)), in_flight(context.state) {}

  RouteContext context;
  openai::OpenAiRequest request;
  openai::ResponseHeader header;
  StreamGroup group;
  std::vector<ChoiceOutput> choices;  // whole text so far, finish reason
  openai::Usage usage;
  ServerState::InFlight in_flight;
  absl::Time start = absl::Now();
  std::string path;
  bool stream_started = false;
  bool logged = false;
};

absl::StatusOr<std::shared_ptr<Generation>> StartGeneration(Endpoint endpoint,
                                                            const RouteContext& context,
                                                            const httplib::Request& req) {
  HS_RETURN_IF_ERROR(CheckServing(context));
  HS_ASSIGN_OR_RETURN(openai::OpenAiRequest request,
                      endpoint == Endpoint::kChat ? openai::ParseChatRequest(req.body)
                                                  : openai::ParseCompletionRequest(req.body));
  auto generation = std::make_shared<Generation>(context, std::move(request));
  generation->path = req.path;
  generation->header = {.id = openai::NewResponseId(endpoint),
                        .created = absl::ToUnixSeconds(generation->start),
                        .model = generation->request.model};
  HS_ASSIGN_OR_RETURN(
      openai::GenerationPlan plan,
      openai::PlanGeneration(generation->request, *context.backend, generation->header.id));
  generation->usage.prompt_tokens = plan.num_prompt_tokens;
  for (size_t k = 0; k < plan.submissions.size(); ++k) {
    GenerationRequest& submission = plan.submissions[k];
    const int64_t num_prompt_tokens = static_cast<int64_t>(submission.prompt_token_ids.size());
    const int64_t max_tokens = submission.sampling.max_tokens;
    // On failure the streams submitted so far are cancelled as the group is destroyed.
    HS_ASSIGN_OR_RETURN(std::unique_ptr<GenerationStream> stream,
                        context.backend->Submit(std::move(submission)));
    generation->group.Add(std::make_unique<TrackedStream>(
        std::move(stream), context.metrics, num_prompt_tokens, max_tokens, generation->start));
    ChoiceOutput choice;
    choice.index = static_cast<int32_t>(k);
    choice.has_logprobs = generation->request.sampling.logprobs;
    choice.text = plan.echo_prefixes[k];
    generation->choices.push_back(std::move(choice));
  }
  return generation;
}

void LogGeneration(Generation& generation, int http_status, const absl::Status& status) {
  if (generation.logged) return;
  generation.logged = true;
  json reasons = json::array();
  for (const ChoiceOutput& choice : generation.choices) reasons.push_back(choice.finish_reason);
  json fields = {{"api", "http"},
                 {"path", generation.path},
                 {"request_id", generation.header.id},
                 {"model", generation.request.model},
                 {"status", http_status},
                 {"stream", generation.request.stream},
                 {"n", generation.request.n},
                 {"prompt_tokens", generation.usage.prompt_tokens},
                 {"completion_tokens", generation.usage.completion_tokens},
                 {"finish_reasons", std::move(reasons)},
                 {"e2e_s", absl::ToDoubleSeconds(absl::Now() - generation.start)}};
  if (!generation.request.user.empty()) fields["user"] = generation.request.user;
  if (!status.ok()) fields["error"] = std::string(status.message());
  generation.context.logger->Log(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "generation",
                                 fields);
}

// Folds a delta into the choice; returns the piece to stream, or the sequence's error.
absl::StatusOr<ChoiceOutput> ApplyDelta(Generation& generation, size_t index,
                                        GenerationDelta& delta) {
  if (delta.finished && !delta.status.ok()) return delta.status;
  ChoiceOutput& choice = generation.choices[index];
  ChoiceOutput piece;
  piece.index = choice.index;
  piece.has_logprobs = choice.has_logprobs;
  piece.text_offset = static_cast<int64_t>(choice.text.size());
  piece.text = std::move(delta.text);
  piece.logprobs = std::move(delta.logprobs);
  if (delta.finished) piece.finish_reason = FinishReasonName(delta.finish_reason);
  generation.usage.completion_tokens += static_cast<int64_t>(delta.token_ids.size());
  choice.text += piece.text;
  choice.logprobs.insert(choice.logprobs.end(), piece.logprobs.begin(), piece.logprobs.end());
  choice.finish_reason = piece.finish_reason;
  return piece;
}

void AnswerWhole(Generation& generation, const httplib::Request& req, httplib::Response& res) {
  // Nothing is written until the end, so a vanished client shows only on its socket.
  const ClientConnection client(req);
  size_t index = 0;
  GenerationDelta delta;
  while (true) {
    if (client.Closed()) {
      generation.group.CancelAll();  // release the sequences now
      const absl::Status status = absl::CancelledError("the client disconnected");
      LogGeneration(generation, 499, status);
      SendError(res, status);
      return;
    }
    if (generation.context.state->aborted()) {
      generation.group.CancelAll();
      const absl::Status status =
          absl::UnavailableError("the server shut down before the request finished");
      LogGeneration(generation, 503, status);
      SendError(res, status);
      return;
    }
    const StreamRead read = generation.group.Next(kPollInterval, &index, &delta);
    if (read == StreamRead::kEnd) break;
    if (read == StreamRead::kTimeout) continue;
    absl::StatusOr<ChoiceOutput> piece = ApplyDelta(generation, index, delta);
    if (!piece.ok()) {
      generation.group.CancelAll();
      const openai::HttpError error = openai::ErrorFromStatus(piece.status());
      LogGeneration(generation, error.http_status, piece.status());
      SendError(res, error);
      return;
    }
  }
  const json body =
      generation.request.endpoint == Endpoint::kChat
          ? openai::ChatResponse(generation.header, generation.choices, generation.usage)
          : openai::CompletionResponse(generation.header, generation.choices, generation.usage);
  LogGeneration(generation, 200, absl::OkStatus());
  SendJson(res, 200, body);
}

bool Write(httplib::DataSink& sink, const std::string& data) {
  return sink.write(data.data(), data.size());
}

json Chunk(const Generation& generation, const ChoiceOutput& piece) {
  const bool include_usage = generation.request.include_usage;
  return generation.request.endpoint == Endpoint::kChat
             ? openai::ChatChunk(generation.header, piece, include_usage)
             : openai::CompletionChunk(generation.header, piece, include_usage);
}

// One call of the chunked content provider: writes whatever is ready. False ends the response
// (the client is gone).
bool StreamSome(Generation& generation, httplib::DataSink& sink) {
  const openai::OpenAiRequest& request = generation.request;
  if (!generation.stream_started) {
    generation.stream_started = true;
    for (const ChoiceOutput& choice : generation.choices) {
      std::string event;
      if (request.endpoint == Endpoint::kChat) {
        event = openai::SseEvent(
            openai::ChatRoleChunk(generation.header, choice.index, request.include_usage));
      } else if (!choice.text.empty()) {  // echo
        ChoiceOutput echo = choice;
        echo.has_logprobs = false;
        event = openai::SseEvent(Chunk(generation, echo));
      }
      if (!event.empty() && !Write(sink, event)) return false;
    }
  }
  if (generation.context.state->aborted()) {
    // The shutdown grace period is over: end the stream with an error event.
    generation.group.CancelAll();
    const absl::Status status =
        absl::UnavailableError("the server shut down before the request finished");
    LogGeneration(generation, 503, status);
    Write(sink, openai::SseEvent(openai::ErrorFromStatus(status).body));
    Write(sink, std::string(openai::kSseDone));
    sink.done();
    return true;
  }
  size_t index = 0;
  GenerationDelta delta;
  const StreamRead read = generation.group.Next(kPollInterval, &index, &delta);
  if (read == StreamRead::kTimeout) return true;
  if (read == StreamRead::kEnd) {
    if (request.include_usage &&
        !Write(sink, openai::SseEvent(openai::UsageChunk(generation.header, request.endpoint,
                                                         generation.usage)))) {
      return false;
    }
    if (!Write(sink, std::string(openai::kSseDone))) return false;
    LogGeneration(generation, 200, absl::OkStatus());
    sink.done();
    return true;
  }
  absl::StatusOr<ChoiceOutput> piece = ApplyDelta(generation, index, delta);
  if (!piece.ok()) {
    // Mid-stream failure: an error event, then the terminator (the status line is already sent).
    generation.group.CancelAll();
    LogGeneration(generation, openai::ErrorFromStatus(piece.status()).http_status, piece.status());
    if (!Write(sink, openai::SseEvent(openai::ErrorFromStatus(piece.status()).body)) ||
        !Write(sink, std::string(openai::kSseDone))) {
      return false;
    }
    sink.done();
    return true;
  }
  if (piece->text.empty() && piece->logprobs.empty() && piece->finish_reason.empty()) return true;
  return Write(sink, openai::SseEvent(Chunk(generation, *piece)));
}

void AnswerStream(std::shared_ptr<Generation> generation, httplib::Response& res) {
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Request-Id", generation->header.id);
  res.set_chunked_content_provider(
      "text/event-stream",
      [generation](size_t /*offset*/, httplib::DataSink& sink) {
        if (StreamSome(*generation, sink)) return true;
        generation->group.CancelAll();  // the client is gone: release the sequences now
        LogGeneration(*generation, 499, absl::CancelledError("the client disconnected"));
        return false;
      },
      [generation](bool success) {
        if (!success) {
          generation->group.CancelAll();
          LogGeneration(*generation, 499, absl::CancelledError("the client disconnected"));
        }
      });
}

}  // namespace

void HandleGenerate(Endpoint endpoint, const RouteContext& context, const httplib::Request& req,
                    httplib::Response& res) {
  absl::StatusOr<std::shared_ptr<Generation>> generation = StartGeneration(endpoint, context, req);
  if (!generation.ok()) {
    const openai::HttpError error = openai::ErrorFromStatus(generation.status());
    context.metrics->CountRejected(error.http_status);
    context.logger->Log(LogLevel::kInfo, "generation_rejected",
                        {{"api", "http"},
                         {"path", req.path},
                         {"status", error.http_status},
                         {"error", std::string(generation.status().message())}});
    SendError(res, error);
    return;
  }
  if ((*generation)->request.stream) {
    AnswerStream(*std::move(generation), res);
  } else {
    res.set_header("X-Request-Id", (*generation)->header.id);
    AnswerWhole(**generation, req, res);
  }
}

}  // namespace hybridserve::server::http
