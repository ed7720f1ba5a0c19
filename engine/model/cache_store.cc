#include "engine/model/cache_store.h"

#include <algorithm>

#include "base/check.h"

namespace hybridserve::engine {
namespace {

void AddAttention(const AttentionSpec& attention, std::vector<KvLayerShape>* shapes) {
  HS_CHECK(attention.kv_layer >= 0);
  if (shapes->size() <= static_cast<size_t>(attention.kv_layer)) {
    shapes->resize(attention.kv_layer + 1);
  }
  (*shapes)[attention.kv_layer] = {attention.num_kv_heads, attention.head_dim};
}

void SetSsm(int index, SsmLayerShape shape, std::vector<SsmLayerShape>* shapes) {
  HS_CHECK(index >= 0);
  if (shapes->size() <= static_cast<size_t>(index)) shapes->resize(index + 1);
  (*shapes)[index] = shape;
}

}  // namespace

std::vector<KvLayerShape> KvLayerShapes(const ModelSpec& spec) {
  std::vector<KvLayerShape> shapes;
  for (const LayerSpec& layer : spec.layers) {
    if (layer.attention) AddAttention(*layer.attention, &shapes);
    if (layer.zamba_shared) AddAttention(layer.zamba_shared->attention, &shapes);
  }
  return shapes;
}

std::vector<SsmLayerShape> SsmLayerShapes(const ModelSpec& spec) {
  std::vector<SsmLayerShape> shapes;
  for (const LayerSpec& layer : spec.layers) {
    if (layer.mamba2) {
      const Mamba2Spec& m = *layer.mamba2;
      SetSsm(m.ssm_layer, {m.conv_dim(), m.d_conv, m.num_heads * m.head_dim * m.d_state}, &shapes);
    }
    if (layer.mamba1) {
      const Mamba1Spec& m = *layer.mamba1;
      SetSsm(m.ssm_layer, {m.d_inner, m.d_conv, m.d_inner * m.d_state}, &shapes);
    }
  }
  return shapes;
}

CacheStore::CacheStore(const ModelSpec& spec, int64_t num_blocks, int64_t block_size_tokens,
                       int64_t num_slots)
    : num_blocks_(num_blocks),
      block_size_(block_size_tokens),
      num_slots_(num_slots),
      kv_shapes_(KvLayerShapes(spec)),
      ssm_shapes_(SsmLayerShapes(spec)) {
  HS_CHECK(num_blocks >= 0 && block_size_tokens > 0 && num_slots >= 0);
  for (const KvLayerShape& kv : kv_shapes_) {
    const size_t n =
        static_cast<size_t>(num_blocks * block_size_tokens * kv.num_kv_heads * kv.head_dim);
    keys_.emplace_back(n, 0.0f);
    values_.emplace_back(n, 0.0f);
  }
  for (const SsmLayerShape& ssm : ssm_shapes_) {
    conv_.emplace_back(static_cast<size_t>(num_slots * ssm.conv_channels * ssm.conv_width), 0.0f);
    state_.emplace_back(static_cast<size_t>(num_slots * ssm.state_floats), 0.0f);
  }
}

kernels::cpu::PagedKv CacheStore::Kv(int kv_layer, absl::Span<const int32_t> block_table) {
  HS_CHECK(kv_layer >= 0 && static_cast<size_t>(kv_layer) < keys_.size());
  kernels::cpu::PagedKv kv;
  kv.keys = keys_[kv_layer].data();
  kv.values = values_[kv_layer].data();
  kv.block_size = block_size_;
  kv.block_table = block_table.data();
  return kv;
}

float* CacheStore::ConvState(int ssm_layer, int32_t slot) {
  HS_CHECK(ssm_layer >= 0 && static_cast<size_t>(ssm_layer) < conv_.size());
  HS_CHECK(slot >= 0 && slot < num_slots_);
  const SsmLayerShape& s = ssm_shapes_[ssm_layer];
  return conv_[ssm_layer].data() + slot * s.conv_channels * s.conv_width;
}

float* CacheStore::SsmState(int ssm_layer, int32_t slot) {
  HS_CHECK(ssm_layer >= 0 && static_cast<size_t>(ssm_layer) < state_.size());
  HS_CHECK(slot >= 0 && slot < num_slots_);
  return state_[ssm_layer].data() + slot * ssm_shapes_[ssm_layer].state_floats;
}

void CacheStore::ResetSlot(int32_t slot) {
  for (size_t l = 0; l < ssm_shapes_.size(); ++l) {
    const SsmLayerShape& s = ssm_shapes_[l];
    std::fill_n(ConvState(static_cast<int>(l), slot), s.conv_channels * s.conv_width, 0.0f);
    std::fill_n(SsmState(static_cast<int>(l), slot), s.state_floats, 0.0f);
  }
}

int64_t CacheStore::kv_bytes() const {
  int64_t total = 0;
  for (const auto& k : keys_) total += 2 * static_cast<int64_t>(k.size() * sizeof(float));
  return total;
}

int64_t CacheStore::ssm_bytes() const {
  int64_t total = 0;
  for (size_t l = 0; l < conv_.size(); ++l) {
    total += static_cast<int64_t>((conv_[l].size() + state_[l].size()) * sizeof(float));
  }
  return total;
}

}  // namespace hybridserve::engine
