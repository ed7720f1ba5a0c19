#include "server/loading_backend.h"

#include <atomic>
#include <mutex>
#include <utility>

namespace hybridserve::server {
namespace {

absl::Status NotLoaded() {
  return absl::UnavailableError("the model is still loading; retry when GET /ready returns 200");
}

}  // namespace

struct LoadingBackend::Shared {
  // Set once by the loading thread; never reset while the LoadingBackend lives.
  std::atomic<GenerationBackend*> loaded{nullptr};
  std::unique_ptr<GenerationBackend> owned;  // written before `loaded` is published
  std::mutex mu;
  std::optional<absl::Status> status;  // guarded by mu
  std::atomic<bool> finished{false};
};

LoadingBackend::LoadingBackend(ModelDescription description, Loader loader)
    : description_(std::move(description)),
      loader_(std::move(loader)),
      shared_(std::make_shared<Shared>()) {}

LoadingBackend::~LoadingBackend() {
  if (!thread_.joinable()) return;
  if (shared_->finished.load()) {
    thread_.join();
  } else {
    thread_.detach();  // it owns what it needs through shared_ and loader
  }
}

void LoadingBackend::StartLoading() {
  if (thread_.joinable()) return;
  thread_ = std::thread([shared = shared_, loader = loader_] {
    absl::StatusOr<std::unique_ptr<GenerationBackend>> backend = loader();
    absl::Status status = backend.status();
    if (backend.ok()) {
      shared->owned = *std::move(backend);
      shared->loaded.store(shared->owned.get());
    }
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->status = std::move(status);
    }
    shared->finished.store(true);
  });
}

std::optional<absl::Status> LoadingBackend::load_status() const {
  std::lock_guard<std::mutex> lock(shared_->mu);
  return shared_->status;
}

GenerationBackend* LoadingBackend::loaded() const { return shared_->loaded.load(); }

ModelDescription LoadingBackend::Model() const {
  GenerationBackend* backend = loaded();
  return backend != nullptr ? backend->Model() : description_;
}

bool LoadingBackend::IsReady() const {
  GenerationBackend* backend = loaded();
  return backend != nullptr && backend->IsReady();
}

absl::StatusOr<std::vector<int32_t>> LoadingBackend::Tokenize(absl::string_view text,
                                                              bool add_special_tokens) {
  GenerationBackend* backend = loaded();
  if (backend == nullptr) return NotLoaded();
  return backend->Tokenize(text, add_special_tokens);
}

absl::StatusOr<std::string> LoadingBackend::Detokenize(absl::Span<const int32_t> token_ids,
                                                       bool skip_special_tokens) {
  GenerationBackend* backend = loaded();
  if (backend == nullptr) return NotLoaded();
  return backend->Detokenize(token_ids, skip_special_tokens);
}

absl::StatusOr<std::string> LoadingBackend::ApplyChatTemplate(
    absl::Span<const ChatMessage> messages, bool add_generation_prompt) {
  GenerationBackend* backend = loaded();
  if (backend == nullptr) return NotLoaded();
  return backend->ApplyChatTemplate(messages, add_generation_prompt);
}

bool LoadingBackend::ChatTemplateAddsSpecialTokens() const {
  GenerationBackend* backend = loaded();
  return backend != nullptr && backend->ChatTemplateAddsSpecialTokens();
}

absl::StatusOr<std::unique_ptr<GenerationStream>> LoadingBackend::Submit(
    GenerationRequest request) {
  GenerationBackend* backend = loaded();
  if (backend == nullptr) return NotLoaded();
  return backend->Submit(std::move(request));
}

BackendStats LoadingBackend::Stats() const {
  GenerationBackend* backend = loaded();
  return backend != nullptr ? backend->Stats() : BackendStats();
}

}  // namespace hybridserve::server
