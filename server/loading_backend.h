// A GenerationBackend whose real backend is created (model loaded and warmed up) on a thread of
// its own, so the front ends listen from the first moment and answer "not ready" meanwhile:
// until the load has finished, Model() is the description known beforehand, IsReady() is false,
// Stats() is empty and every other call is Unavailable (HTTP 503, gRPC UNAVAILABLE). Afterwards
// every call goes to the loaded backend. Thread-safe.
//
//   LoadingBackend backend(description, [config] { return CreateBackend(config); });
//   backend.StartLoading();            // after the front ends listen
//   ... backend.load_status() ...      // nullopt while loading, then OK or the load's error
#ifndef HYBRIDSERVE_SERVER_LOADING_BACKEND_H_
#define HYBRIDSERVE_SERVER_LOADING_BACKEND_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/generation_backend.h"

namespace hybridserve::server {

class LoadingBackend : public GenerationBackend {
 public:
  using Loader = std::function<absl::StatusOr<std::unique_ptr<GenerationBackend>>()>;

  LoadingBackend(ModelDescription description, Loader loader);
  // Waits for a load in progress only if it has finished; one still running is left behind
  // (the process is exiting) rather than waited for.
  ~LoadingBackend() override;

  // Starts the load on its own thread; once.
  void StartLoading();
  // nullopt while loading (or before StartLoading), then OK or the load's error.
  std::optional<absl::Status> load_status() const;

  ModelDescription Model() const override;
  bool IsReady() const override;
  absl::StatusOr<std::vector<int32_t>> Tokenize(absl::string_view text,
                                                bool add_special_tokens) override;
  absl::StatusOr<std::string> Detokenize(absl::Span<const int32_t> token_ids,
                                         bool skip_special_tokens) override;
  absl::StatusOr<std::string> ApplyChatTemplate(absl::Span<const ChatMessage> messages,
                                                bool add_generation_prompt) override;
  bool ChatTemplateAddsSpecialTokens() const override;
  absl::StatusOr<std::unique_ptr<GenerationStream>> Submit(GenerationRequest request) override;
  BackendStats Stats() const override;

 private:
  struct Shared;  // shared with the loading thread, which may outlive this object

  // The loaded backend, or null while loading (and after a failed load).
  GenerationBackend* loaded() const;

  const ModelDescription description_;
  Loader loader_;
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_LOADING_BACKEND_H_
