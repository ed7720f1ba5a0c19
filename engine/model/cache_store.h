// The memory behind a model's caches: a paged KV store for the attention layers and an SSM
// state store (conv window + recurrent state) for the SSM layers, addressed by block ids and
// slot ids. Which sequence owns which blocks and slots is decided elsewhere (the pools); this
// class only holds the memory, and its two halves are sized independently.
#ifndef HYBRIDSERVE_ENGINE_MODEL_CACHE_STORE_H_
#define HYBRIDSERVE_ENGINE_MODEL_CACHE_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "engine/model/model_cache.h"
#include "engine/model/model_spec.h"
#include "kernels/cpu/ops.h"

namespace hybridserve::engine {

// Geometry of one layer's caches, derived from the spec.
struct KvLayerShape {
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
};
struct SsmLayerShape {
  int64_t conv_channels = 0;  // C
  int64_t conv_width = 0;     // K
  int64_t state_floats = 0;   // H * P * N (Mamba2) or I * N (Mamba1)
};

std::vector<KvLayerShape> KvLayerShapes(const ModelSpec& spec);    // by kv_layer index
std::vector<SsmLayerShape> SsmLayerShapes(const ModelSpec& spec);  // by ssm_layer index

// The CPU backend's caches, in host memory (fp32).
class CacheStore : public ModelCache {
 public:
  CacheStore(const ModelSpec& spec, int64_t num_blocks, int64_t block_size_tokens,
             int64_t num_slots);

  int64_t num_blocks() const override { return num_blocks_; }
  int64_t block_size_tokens() const override { return block_size_; }
  int64_t num_slots() const override { return num_slots_; }

  // One attention layer's view of the KV store through a sequence's block table.
  kernels::cpu::PagedKv Kv(int kv_layer, absl::Span<const int32_t> block_table);

  float* ConvState(int ssm_layer, int32_t slot);  // [C, K]
  float* SsmState(int ssm_layer, int32_t slot);   // [H, P, N] or [I, N]
  // Zeroes every SSM layer's state of a slot (a new sequence starts from zero state).
  void ResetSlot(int32_t slot);

  int64_t kv_bytes() const override;
  int64_t ssm_bytes() const override;

 private:
  int64_t num_blocks_;
  int64_t block_size_;
  int64_t num_slots_;
  std::vector<KvLayerShape> kv_shapes_;
  std::vector<SsmLayerShape> ssm_shapes_;
  std::vector<std::vector<float>> keys_;    // per kv layer: [num_blocks, block_size, nkv, hd]
  std::vector<std::vector<float>> values_;  // same
  std::vector<std::vector<float>> conv_;    // per ssm layer: [num_slots, C, K]
  std::vector<std::vector<float>> state_;   // per ssm layer: [num_slots, state_floats]
};

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_CACHE_STORE_H_
