#include "engine/cuda/tensor_parallel_model.h"

#include <cuda_runtime.h>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/cuda/nccl_communicator.h"
#include "engine/model/families/family_registry.h"
#include "engine/model/weight_store.h"
#include "engine/parallel/shard_plan.h"
#include "engine/parallel/sharded_weights.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {
namespace {

namespace kc = kernels::cuda;

// One cache per rank, each on its rank's GPU (freed there).
class TensorParallelCache : public ModelCache {
 public:
  TensorParallelCache(std::vector<std::unique_ptr<ModelCache>> parts, std::vector<int> devices)
      : parts_(std::move(parts)), devices_(std::move(devices)) {}
  ~TensorParallelCache() override {
    int current = 0;
    cudaGetDevice(&current);
    for (size_t r = 0; r < parts_.size(); ++r) {
      cudaSetDevice(devices_[r]);
      parts_[r].reset();
    }
    cudaSetDevice(current);
  }
  int64_t num_blocks() const override { return parts_[0]->num_blocks(); }
  int64_t block_size_tokens() const override { return parts_[0]->block_size_tokens(); }
  int64_t num_slots() const override { return parts_[0]->num_slots(); }
  int64_t kv_bytes() const override { return Sum(&ModelCache::kv_bytes); }
  int64_t ssm_bytes() const override { return Sum(&ModelCache::ssm_bytes); }
  ModelCache* part(int rank) const { return parts_[rank].get(); }

 private:
  int64_t Sum(int64_t (ModelCache::*bytes)() const) const {
    int64_t total = 0;
    for (const auto& part : parts_) total += (part.get()->*bytes)();
    return total;
  }
  std::vector<std::unique_ptr<ModelCache>> parts_;
  std::vector<int> devices_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TensorParallelModel>> TensorParallelModel::Start(
    const ModelSpec& spec, const TensorParallelOptions& options) {
  const int world = options.world;
  if (world < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tensor-parallel-size must be at least 1, not ", world));
  }
  // Every rank's split is checked before any GPU work.
  for (int r = 0; r < world; ++r) HS_RETURN_IF_ERROR(ShardModelSpec(spec, world, r).status());
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess || count == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no CUDA device is usable (", cudaGetErrorString(error), "); run with --device cpu"));
  }
  std::vector<int> devices = options.devices;
  if (options.simulate) {
    devices.assign(world, options.devices.empty() ? 0 : options.devices[0]);
  } else if (devices.empty()) {
    for (int r = 0; r < world; ++r) devices.push_back(r);
  }
  if (static_cast<int>(devices.size()) != world) {
    return absl::InvalidArgumentError(
        absl::StrCat(world, " ranks but ", devices.size(), " devices were named"));
  }
  for (int device : devices) {
    if (device < 0 || device >= count) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--tensor-parallel-size ", world, " needs GPUs 0..", world - 1, "; ", count, " found"));
    }
  }
  if (!options.simulate && !NcclAvailable() && world > 1) {
    return CreateNcclCommunicators(devices).status();  // says what is missing
  }
  return std::unique_ptr<TensorParallelModel>(
      new TensorParallelModel(spec, std::make_unique<RankThreads>(std::move(devices))));
}

absl::Status TensorParallelModel::Connect(const TensorParallelOptions& options) {
  if (options.simulate || world() == 1) {
    comms_ = CreateLocalCommunicators(world());
  } else {
    std::vector<int> devices;
    for (int r = 0; r < world(); ++r) devices.push_back(threads_->device(r));
    HS_ASSIGN_OR_RETURN(comms_, CreateNcclCommunicators(devices));
  }
  for (int r = 0; r < world(); ++r) shards_[r]->set_communicator(comms_[r].get());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TensorParallelModel>> TensorParallelModel::Load(
    const std::string& dir, const TensorParallelOptions& options) {
  HS_ASSIGN_OR_RETURN(ModelSpec spec, LoadModelSpec(dir));
  HS_ASSIGN_OR_RETURN(std::unique_ptr<Checkpoint> checkpoint, Checkpoint::Open(dir));
  return Create(std::move(spec), *checkpoint, options);
}

absl::StatusOr<std::unique_ptr<TensorParallelModel>> TensorParallelModel::Create(
    ModelSpec spec, const Checkpoint& checkpoint, const TensorParallelOptions& options) {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<TensorParallelModel> model, Start(spec, options));
  const kc::DType dtype = ResolveCudaDType(options.dtype, checkpoint);
  const kc::DType kv_dtype =
      options.kv_dtype == CudaDType::kAuto ? dtype : ResolveCudaDType(options.kv_dtype, checkpoint);
  HS_ASSIGN_OR_RETURN(std::unique_ptr<WeightStore> host, WeightStore::Load(spec, checkpoint));
  model->shards_.resize(model->world());
  // One shard at a time: only one shard's cut-out weights are on the host at once.
  for (int r = 0; r < model->world(); ++r) {
    HS_ASSIGN_OR_RETURN(ShardedSpec shard, ShardModelSpec(spec, model->world(), r));
    HS_ASSIGN_OR_RETURN(ShardedWeights part, ShardedWeights::Cut(shard, *host));
    HS_RETURN_IF_ERROR(model->threads_->RunOne(r, [&](int rank) -> absl::Status {
      HS_ASSIGN_OR_RETURN(model->shards_[rank],
                          CudaModel::Create(std::move(shard.spec), part, dtype, kv_dtype,
                                            model->threads_->device(rank)));
      return absl::OkStatus();
    }));
  }
  HS_RETURN_IF_ERROR(model->Connect(options));
  return model;
}

absl::StatusOr<std::unique_ptr<TensorParallelModel>> TensorParallelModel::CreateRandom(
    ModelSpec spec, kc::DType dtype, uint64_t seed, const TensorParallelOptions& options) {
  HS_ASSIGN_OR_RETURN(std::unique_ptr<TensorParallelModel> model, Start(spec, options));
  model->shards_.resize(model->world());
  HS_RETURN_IF_ERROR(model->threads_->RunAll([&](int rank) -> absl::Status {
    HS_ASSIGN_OR_RETURN(ShardedSpec shard, ShardModelSpec(spec, model->world(), rank));
    HS_ASSIGN_OR_RETURN(model->shards_[rank],
                        CudaModel::CreateRandom(std::move(shard.spec), dtype, seed + rank,
                                                model->threads_->device(rank)));
    return absl::OkStatus();
  }));
  HS_RETURN_IF_ERROR(model->Connect(options));
  return model;
}

TensorParallelModel::~TensorParallelModel() {
  // Each rank's model and communicator are released on its own thread (its GPU current).
  threads_
      ->RunAll([&](int rank) {
        if (rank < static_cast<int>(shards_.size())) shards_[rank].reset();
        if (rank < static_cast<int>(comms_.size())) comms_[rank].reset();
        return absl::OkStatus();
      })
      .IgnoreError();
}

absl::StatusOr<std::unique_ptr<ModelCache>> TensorParallelModel::CreateCache(
    int64_t num_blocks, int64_t block_size_tokens, int64_t num_slots) {
  std::vector<std::unique_ptr<ModelCache>> parts(world());
  std::vector<int> devices;
  for (int r = 0; r < world(); ++r) devices.push_back(threads_->device(r));
  HS_RETURN_IF_ERROR(threads_->RunAll([&](int rank) -> absl::Status {
    HS_ASSIGN_OR_RETURN(parts[rank],
                        shards_[rank]->CreateCache(num_blocks, block_size_tokens, num_slots));
    return absl::OkStatus();
  }));
  return std::unique_ptr<ModelCache>(
      std::make_unique<TensorParallelCache>(std::move(parts), std::move(devices)));
}

absl::Status TensorParallelModel::Forward(absl::Span<const SequenceChunk> chunks, ModelCache* cache,
                                          std::vector<float>* logits) {
  auto* parts = dynamic_cast<TensorParallelCache*>(cache);
  if (parts == nullptr) {
    return absl::InvalidArgumentError(
        "a tensor-parallel model runs on its own cache (TensorParallelModel::CreateCache)");
  }
  std::vector<std::vector<float>> unused(world());
  return threads_->RunAll([&](int rank) {
    return shards_[rank]->Forward(chunks, parts->part(rank), rank == 0 ? logits : &unused[rank]);
  });
}

}  // namespace hybridserve::engine
