// LoadingBackend: "still loading" (Unavailable, not ready, the description known beforehand)
// until the loader returns, then the loaded backend; a failed load is reported, never ready.
#include "server/loading_backend.h"

#include <atomic>
#include <memory>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "server/fake_backend.h"

namespace hybridserve::server {
namespace {

ModelDescription Described() {
  ModelDescription description;
  description.name = "described";
  description.max_model_len = 77;
  return description;
}

bool WaitFor(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

TEST(LoadingBackendTest, UnavailableUntilLoadedThenTheLoadedBackend) {
  auto release = std::make_shared<absl::Notification>();
  LoadingBackend backend(Described(), [release]() -> LoadingBackend::Loader::result_type {
    release->WaitForNotification();
    return std::unique_ptr<GenerationBackend>(std::make_unique<FakeBackend>(FakeBackendOptions()));
  });
  backend.StartLoading();
  EXPECT_FALSE(backend.load_status().has_value());
  EXPECT_FALSE(backend.IsReady());
  EXPECT_EQ(backend.Model().name, "described");
  EXPECT_EQ(backend.Stats().num_running, 0);
  GenerationRequest request;
  request.prompt_token_ids = {1, 70};
  EXPECT_EQ(backend.Submit(request).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(backend.Tokenize("hi", true).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(backend.Detokenize({70}, true).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(backend.ApplyChatTemplate({}, true).status().code(), absl::StatusCode::kUnavailable);

  release->Notify();
  ASSERT_TRUE(WaitFor([&] { return backend.IsReady(); }));
  ASSERT_TRUE(backend.load_status().has_value());
  EXPECT_TRUE(backend.load_status()->ok());
  EXPECT_EQ(backend.Model().name, "hybridserve-fake");
  EXPECT_TRUE(backend.Tokenize("hi", true).ok());
  auto stream = backend.Submit(request);
  ASSERT_TRUE(stream.ok()) << stream.status();
}

TEST(LoadingBackendTest, AFailedLoadIsReportedAndNeverReady) {
  LoadingBackend backend(Described(), []() -> LoadingBackend::Loader::result_type {
    return absl::NotFoundError("/x/config.json: no such file");
  });
  EXPECT_FALSE(backend.load_status().has_value());  // not started
  backend.StartLoading();
  ASSERT_TRUE(WaitFor([&] { return backend.load_status().has_value(); }));
  EXPECT_EQ(backend.load_status()->code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(backend.IsReady());
  EXPECT_EQ(backend.Model().name, "described");
  EXPECT_EQ(backend.Tokenize("hi", true).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace hybridserve::server
