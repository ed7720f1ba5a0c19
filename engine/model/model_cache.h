// The caches of a running model as the engine sees them: a paged KV store (num_blocks blocks of
// block_size_tokens tokens) and an SSM state store (num_slots slots), addressed by block and slot
// ids that the pools hand out. Each backend keeps the memory where it computes (CacheStore on the
// CPU, CudaCache on the GPU) and creates it through ModelRunner::CreateCache.
#ifndef HYBRIDSERVE_ENGINE_MODEL_MODEL_CACHE_H_
#define HYBRIDSERVE_ENGINE_MODEL_MODEL_CACHE_H_

#include <cstdint>

namespace hybridserve::engine {

class ModelCache {
 public:
  virtual ~ModelCache() = default;

  virtual int64_t num_blocks() const = 0;
  virtual int64_t block_size_tokens() const = 0;
  virtual int64_t num_slots() const = 0;
  virtual int64_t kv_bytes() const = 0;
  virtual int64_t ssm_bytes() const = 0;
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_MODEL_CACHE_H_
