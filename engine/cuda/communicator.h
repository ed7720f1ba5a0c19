// The all-reduce of a tensor-parallel CUDA model: every rank's shard produces partial sums of a
// block's output, and AllReduceSum makes each rank's buffer the sum over ranks, enqueued on the
// rank's stream. Two kinds:
//   - NCCL (nccl_communicator.h): one rank per GPU, the real thing.
//   - local (below): every rank on one GPU, summed through plain device reads in rank order after
//     host barriers. Slow; it exists so that the sharding can be tested on a machine with one GPU.
// Every rank receives bit-identical sums (NCCL's all-reduce and the local one both give every rank
// the same result), which keeps replicated computations (MoE routing, logits) consistent.
#ifndef HYBRIDSERVE_ENGINE_CUDA_COMMUNICATOR_H_
#define HYBRIDSERVE_ENGINE_CUDA_COMMUNICATOR_H_

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace hybridserve::engine {

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world() const = 0;
  // data[0, n) <- the sum over ranks of every rank's data[0, n). All ranks call it with the same
  // n, each from its own thread, in the same order of calls.
  virtual void AllReduceSum(float* data, int64_t n, cudaStream_t stream) = 0;
  // Whether AllReduceSum may be recorded into a CUDA graph (NCCL's may; the local one waits on
  // the host).
  virtual bool capturable() const = 0;
};

// `world` communicators for ranks that all run on the current GPU, one thread each.
std::vector<std::unique_ptr<Communicator>> CreateLocalCommunicators(int world);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_CUDA_COMMUNICATOR_H_
