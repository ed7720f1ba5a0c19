// NCCL communicators for a tensor-parallel model with one rank per GPU in one process (one thread
// per rank), made together with ncclCommInitAll. NVLink multicast (NVLS) is switched off before
// NCCL starts: NCCL_NVLS_ENABLE=0 is set in the environment whatever it was.
#ifndef HYBRIDSERVE_ENGINE_CUDA_NCCL_COMMUNICATOR_H_
#define HYBRIDSERVE_ENGINE_CUDA_NCCL_COMMUNICATOR_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/cuda/communicator.h"

namespace hybridserve::engine {

// True when this build has NCCL.
bool NcclAvailable();

// One communicator per device in `devices` (rank r on devices[r]).
absl::StatusOr<std::vector<std::unique_ptr<Communicator>>> CreateNcclCommunicators(
    const std::vector<int>& devices);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_NCCL_COMMUNICATOR_H_
