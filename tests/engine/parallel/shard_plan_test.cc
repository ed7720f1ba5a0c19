// Tensor-parallel shard specs (engine/parallel): every golden family splits 2 and 4 ways with the
// right per-shard dimensions, the cut-out weights are the right rows / columns of the full
// tensors (checked element by element against tensors whose values encode their position), a
// sharded MLP's partial outputs sum to the whole MLP's, and splits that cannot work name the
// dimension.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/model/config_reader.h"
#include "engine/model/families/family_registry.h"
#include "engine/model/tensor_refs.h"
#include "engine/parallel/shard_plan.h"
#include "engine/parallel/sharded_weights.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

using ::testing::HasSubstr;

const char* const kFamilies[] = {"bamba",  "falcon_h1",        "granitemoehybrid_moe_rope",
                                 "jamba",  "mamba2",           "nemotron_h",
                                 "zamba2", "falcon_h1_nonorm", "granitemoehybrid_dense_nope"};

ModelSpec GoldenSpec(const std::string& family) {
  const std::string path =
      std::string(HS_TEST_DATA_DIR) + "/golden/data/" + family + "/config.json";
  auto config = LoadConfigJsonFile(path);
  EXPECT_TRUE(config.ok()) << config.status();
  auto spec = BuildModelSpec(*config);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

// Full tensors whose element i of the view named n holds a value unique to (n, i).
class PositionWeights : public HostWeights {
 public:
  explicit PositionWeights(const ModelSpec& spec) {
    int tensor = 0;
    ForEachTensorRef(spec, [&](std::string_view, const TensorRef& ref) {
      if (!ref.present()) return;
      const std::string key = absl::StrCat(ref.name, "@", ref.offset_elements);
      if (data_.contains(key)) return;
      std::vector<float> values(static_cast<size_t>(NumElements(ref.shape)));
      for (size_t i = 0; i < values.size(); ++i) values[i] = tensor * 1e6f + static_cast<float>(i);
      data_[key] = std::move(values);
      ++tensor;
    });
  }
  const float* Get(const TensorRef& ref) const override {
    if (!ref.present()) return nullptr;
    auto it = data_.find(absl::StrCat(ref.name, "@", ref.offset_elements));
    return it == data_.end() ? nullptr : it->second.data();
  }
  std::vector<float>& Mutable(const TensorRef& ref) {
    return data_.at(absl::StrCat(ref.name, "@", ref.offset_elements));
  }

 private:
  std::map<std::string, std::vector<float>> data_;
};

TEST(ShardPlanTest, EveryGoldenFamilySplitsTwoAndFourWays) {
  for (const char* family : kFamilies) {
    const ModelSpec full = GoldenSpec(family);
    for (int world : {2, 4}) {
      SCOPED_TRACE(absl::StrCat(family, " world ", world));
      int64_t heads = 0, mamba_heads = 0, units = 0;
      for (int rank = 0; rank < world; ++rank) {
        auto shard = ShardModelSpec(full, world, rank);
        ASSERT_TRUE(shard.ok()) << shard.status();
        EXPECT_EQ(shard->spec.layers.size(), full.layers.size());
        EXPECT_EQ(shard->spec.hidden_size, full.hidden_size);
        EXPECT_EQ(shard->spec.lm_head.weight.name, full.lm_head.weight.name);  // whole
        for (size_t l = 0; l < full.layers.size(); ++l) {
          const LayerSpec& a = shard->spec.layers[l];
          const LayerSpec& b = full.layers[l];
          if (b.attention) {
            heads += a.attention->num_heads;
            EXPECT_EQ(a.attention->q_proj.out_dim, a.attention->num_heads * b.attention->head_dim);
            EXPECT_EQ(a.attention->o_proj.in_dim, a.attention->q_proj.out_dim);
            EXPECT_EQ(a.attention->num_kv_heads,
                      std::max<int64_t>(1, b.attention->num_kv_heads / world));
            // Row-parallel biases are added once: on rank 0.
            if (b.attention->o_proj.bias.present()) {
              EXPECT_EQ(a.attention->o_proj.bias.present(), rank == 0);
            }
          }
          if (b.mamba2) {
            mamba_heads += a.mamba2->num_heads;
            EXPECT_EQ(a.mamba2->d_inner, a.mamba2->num_heads * b.mamba2->head_dim);
            EXPECT_EQ(a.mamba2->in_proj.out_dim, 2 * a.mamba2->d_inner +
                                                     2 * a.mamba2->n_groups * b.mamba2->d_state +
                                                     a.mamba2->num_heads);
            EXPECT_EQ(a.mamba2->out_proj.in_dim, a.mamba2->d_inner);
            const bool spans = b.mamba2->norm_kind != GatedNorm::kNone &&
                               b.mamba2->norm_group_size > a.mamba2->d_inner;
            EXPECT_EQ(a.mamba2->norm_span_groups > 0, spans);
          }
          if (b.mlp) units += a.mlp->hidden_dim;
          if (b.mamba1) EXPECT_EQ(a.mamba1->d_inner * world, b.mamba1->d_inner);
        }
      }
      int64_t full_heads = 0, full_mamba = 0, full_units = 0;
      for (const LayerSpec& b : full.layers) {
        if (b.attention) full_heads += b.attention->num_heads;
        if (b.mamba2) full_mamba += b.mamba2->num_heads;
        if (b.mlp) full_units += b.mlp->hidden_dim;
      }
      EXPECT_EQ(heads, full_heads);
      EXPECT_EQ(mamba_heads, full_mamba);
      EXPECT_EQ(units, full_units);
    }
  }
}

// Every value of a shard's tensor is the full tensor's value at the row/column the plan names.
TEST(ShardPlanTest, CutWeightsAreTheNamedRowsAndColumns) {
  const ModelSpec full = GoldenSpec("bamba");
  PositionWeights weights(full);
  const Mamba2Spec& m = *full.layers[0].mamba2;
  const int64_t I = m.d_inner, G = m.n_groups, N = m.d_state, H = m.num_heads, P = m.head_dim;
  const int64_t D = m.d_model;
  for (int rank = 0; rank < 2; ++rank) {
    auto shard = ShardModelSpec(full, 2, rank);
    ASSERT_TRUE(shard.ok());
    auto cut = ShardedWeights::Cut(*shard, weights);
    ASSERT_TRUE(cut.ok()) << cut.status();
    const Mamba2Spec& s = *shard->spec.layers[0].mamba2;
    // in_proj rows: this rank's z, x, its group's B and C, its heads' dt.
    std::vector<int64_t> rows;
    const int64_t c0 = rank * I / 2, c1 = (rank + 1) * I / 2;
    for (int64_t r = c0; r < c1; ++r) rows.push_back(r);
    for (int64_t r = c0; r < c1; ++r) rows.push_back(I + r);
    const int64_t g = rank * G / 2;
    for (int64_t r = 0; r < N; ++r) rows.push_back(2 * I + g * N + r);
    for (int64_t r = 0; r < N; ++r) rows.push_back(2 * I + G * N + g * N + r);
    for (int64_t h = rank * H / 2; h < (rank + 1) * H / 2; ++h)
      rows.push_back(2 * I + 2 * G * N + h);
    ASSERT_EQ(static_cast<int64_t>(rows.size()), s.in_proj.out_dim);
    const float* part = cut->Get(s.in_proj.weight);
    const float* whole = weights.Get(m.in_proj.weight);
    for (size_t r = 0; r < rows.size(); ++r) {
      for (int64_t c = 0; c < D; ++c) {
        ASSERT_EQ(part[r * D + c], whole[rows[r] * D + c]) << "row " << r << " col " << c;
      }
    }
    // out_proj [D, I]: this rank's columns.
    const float* out_part = cut->Get(s.out_proj.weight);
    const float* out_whole = weights.Get(m.out_proj.weight);
    for (int64_t r = 0; r < D; ++r) {
      for (int64_t c = c0; c < c1; ++c) {
        ASSERT_EQ(out_part[r * (c1 - c0) + (c - c0)], out_whole[r * I + c]);
      }
    }
    // Per-head vectors and the whole ones.
    const float* a_part = cut->Get(s.a_log);
    for (int64_t h = 0; h < H / 2; ++h) {
      EXPECT_EQ(a_part[h], weights.Get(m.a_log)[rank * H / 2 + h]);
    }
    EXPECT_EQ(cut->Get(shard->spec.embedding), weights.Get(full.embedding));
    EXPECT_EQ(P * s.num_heads, s.d_inner);
  }
}

std::vector<float> Linear(const std::vector<float>& x, const float* w, int64_t in, int64_t out) {
  std::vector<float> y(static_cast<size_t>(out), 0.0f);
  for (int64_t o = 0; o < out; ++o) {
    double sum = 0;
    for (int64_t i = 0; i < in; ++i) sum += double{w[o * in + i]} * x[i];
    y[o] = static_cast<float>(sum);
  }
  return y;
}

std::vector<float> GatedMlp(const MlpSpec& mlp, const HostWeights& w, const std::vector<float>& x) {
  const int64_t D = mlp.up_proj.in_dim, F = mlp.hidden_dim;
  std::vector<float> up = Linear(x, w.Get(mlp.up_proj.weight), D, F);
  std::vector<float> gate = Linear(x, w.Get(mlp.gate_proj.weight), D, F);
  for (int64_t f = 0; f < F; ++f) up[f] *= gate[f] / (1.0f + std::exp(-gate[f]));
  return Linear(up, w.Get(mlp.down_proj.weight), F, mlp.down_proj.out_dim);
}

// Column-parallel gate/up and row-parallel down: the shards' outputs add up to the whole MLP's.
TEST(ShardPlanTest, ShardedMlpOutputsSumToTheWholeMlp) {
  const ModelSpec full = GoldenSpec("bamba");
  PositionWeights weights(full);
  const MlpSpec& mlp = *full.layers[0].mlp;
  for (const TensorRef* ref : {&mlp.up_proj.weight, &mlp.gate_proj.weight, &mlp.down_proj.weight}) {
    std::vector<float>& v = weights.Mutable(*ref);
    for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * i + v.size()) * 0.2f;
  }
  std::vector<float> x(static_cast<size_t>(full.hidden_size));
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::cos(0.11f * i);
  const std::vector<float> expected = GatedMlp(mlp, weights, x);
  for (int world : {2, 4}) {
    std::vector<float> sum(expected.size(), 0.0f);
    for (int rank = 0; rank < world; ++rank) {
      auto shard = ShardModelSpec(full, world, rank);
      ASSERT_TRUE(shard.ok());
      auto cut = ShardedWeights::Cut(*shard, weights);
      ASSERT_TRUE(cut.ok());
      const std::vector<float> part = GatedMlp(*shard->spec.layers[0].mlp, *cut, x);
      for (size_t i = 0; i < sum.size(); ++i) sum[i] += part[i];
    }
    for (size_t i = 0; i < sum.size(); ++i) EXPECT_NEAR(sum[i], expected[i], 1e-5f) << i;
  }
}

TEST(ShardPlanTest, SplitsThatCannotWorkNameTheDimension) {
  const ModelSpec bamba = GoldenSpec("bamba");  // 4 attention heads, 8 Mamba heads, 2 groups
  auto three = ShardModelSpec(bamba, 3, 0);
  ASSERT_FALSE(three.ok());
  EXPECT_THAT(std::string(three.status().message()), HasSubstr("cannot be split over 3 GPUs"));
  EXPECT_THAT(std::string(three.status().message()), HasSubstr("num_heads (8)"));

  ModelSpec kv = bamba;
  for (LayerSpec& layer : kv.layers) {
    layer.mamba2.reset();
    if (!layer.attention) continue;
    layer.attention->num_heads = 12;
    layer.attention->num_kv_heads = 3;
  }
  auto kv_split = ShardModelSpec(kv, 2, 1);
  ASSERT_FALSE(kv_split.ok());
  EXPECT_THAT(std::string(kv_split.status().message()), HasSubstr("num_key_value_heads (3)"));

  ModelSpec groups = bamba;
  for (LayerSpec& layer : groups.layers) {
    if (layer.mamba2) layer.mamba2->n_groups = 3;
    if (layer.attention) layer.attention.reset();
  }
  auto group_split = ShardModelSpec(groups, 2, 0);
  ASSERT_FALSE(group_split.ok());
  EXPECT_THAT(std::string(group_split.status().message()), HasSubstr("n_groups (3)"));

  ModelSpec mlp = bamba;
  for (LayerSpec& layer : mlp.layers) {
    layer.attention.reset();
    layer.mamba2.reset();
    if (layer.mlp) layer.mlp->hidden_dim = 6;
  }
  auto mlp_split = ShardModelSpec(mlp, 4, 0);
  ASSERT_FALSE(mlp_split.ok());
  EXPECT_THAT(std::string(mlp_split.status().message()), HasSubstr("intermediate size (6)"));

  EXPECT_FALSE(ShardModelSpec(bamba, 2, 2).ok());  // no such rank
}

}  // namespace
}  // namespace hybridserve::engine
