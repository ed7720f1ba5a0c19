#include "engine/cuda/nccl_communicator.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/check.h"

#if HS_HAVE_NCCL
#include <nccl.h>
#endif

namespace hybridserve::engine {

#if HS_HAVE_NCCL

namespace {

class NcclCommunicator : public Communicator {
 public:
  NcclCommunicator(ncclComm_t comm, int rank, int world)
      : comm_(comm), rank_(rank), world_(world) {}
  ~NcclCommunicator() override { ncclCommDestroy(comm_); }
  int rank() const override { return rank_; }
  int world() const override { return world_; }
  bool capturable() const override { return true; }

  void AllReduceSum(float* data, int64_t n, cudaStream_t stream) override {
    if (n == 0) return;
    const ncclResult_t result =
        ncclAllReduce(data, data, static_cast<size_t>(n), ncclFloat32, ncclSum, comm_, stream);
    HS_CHECK_MSG(result == ncclSuccess, ncclGetErrorString(result));
  }

 private:
  ncclComm_t comm_;
  const int rank_;
  const int world_;
};

}  // namespace

bool NcclAvailable() { return true; }

absl::StatusOr<std::vector<std::unique_ptr<Communicator>>> CreateNcclCommunicators(
    const std::vector<int>& devices) {
  setenv("NCCL_NVLS_ENABLE", "0", /*overwrite=*/1);
  const int world = static_cast<int>(devices.size());
  std::vector<ncclComm_t> comms(devices.size());
  const ncclResult_t result = ncclCommInitAll(comms.data(), world, devices.data());
  if (result != ncclSuccess) {
    return absl::UnavailableError(
        absl::StrCat("NCCL could not connect ", world, " GPUs: ", ncclGetErrorString(result)));
  }
  std::vector<std::unique_ptr<Communicator>> out;
  for (int r = 0; r < world; ++r) {
    out.push_back(std::make_unique<NcclCommunicator>(comms[r], r, world));
  }
  return out;
}

#else

bool NcclAvailable() { return false; }

absl::StatusOr<std::vector<std::unique_ptr<Communicator>>> CreateNcclCommunicators(
    const std::vector<int>&) {
  return absl::FailedPreconditionError(
      "this build has no NCCL: tensor parallelism over several GPUs needs a build with NCCL "
      "(nccl.h and libnccl found at configure time)");
}

#endif

}  // namespace hybridserve::engine
