// The single-GPU all-reduce (communicator.h): each rank publishes its buffer's address, waits for
// the others, sums every rank's buffer in rank order into its own scratch, waits until everyone
// has read, and copies the sum back. Host barriers and stream synchronisations make it slow and
// simple; it is for tests of the sharding, not for serving.
#include <barrier>
#include <mutex>

#include "base/check.h"
#include "engine/cuda/communicator.h"
#include "engine/cuda/step_kernels.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {
namespace {

struct LocalGroup {
  explicit LocalGroup(int world) : barrier(world), buffers(world, nullptr) {}
  std::barrier<> barrier;
  std::vector<const float*> buffers;
};

class LocalCommunicator : public Communicator {
 public:
  LocalCommunicator(std::shared_ptr<LocalGroup> group, int rank)
      : group_(std::move(group)), rank_(rank) {}
  ~LocalCommunicator() override {
    if (sum_ != nullptr) cudaFree(sum_);
  }
  int rank() const override { return rank_; }
  int world() const override { return static_cast<int>(group_->buffers.size()); }
  bool capturable() const override { return false; }

  void AllReduceSum(float* data, int64_t n, cudaStream_t stream) override {
    if (n > capacity_) {
      if (sum_ != nullptr) HS_CUDA_CHECK(cudaFree(sum_));
      HS_CUDA_CHECK(cudaMalloc(&sum_, n * sizeof(float)));
      capacity_ = n;
    }
    HS_CUDA_CHECK(cudaStreamSynchronize(stream));
    group_->buffers[rank_] = data;
    group_->barrier.arrive_and_wait();  // every buffer is final and published
    SumBuffers(group_->buffers, n, sum_, stream);
    HS_CUDA_CHECK(cudaStreamSynchronize(stream));
    group_->barrier.arrive_and_wait();  // nobody reads the buffers any more
    HS_CUDA_CHECK(cudaMemcpyAsync(data, sum_, n * sizeof(float), cudaMemcpyDeviceToDevice, stream));
  }

 private:
  std::shared_ptr<LocalGroup> group_;
  const int rank_;
  float* sum_ = nullptr;
  int64_t capacity_ = 0;
};

}  // namespace

std::vector<std::unique_ptr<Communicator>> CreateLocalCommunicators(int world) {
  HS_CHECK(world >= 1);
  auto group = std::make_shared<LocalGroup>(world);
  std::vector<std::unique_ptr<Communicator>> out;
  for (int r = 0; r < world; ++r) out.push_back(std::make_unique<LocalCommunicator>(group, r));
  return out;
}

}  // namespace hybridserve::engine
