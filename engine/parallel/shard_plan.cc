#include "engine/parallel/shard_plan.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hybridserve::engine {
namespace {

using Range = std::pair<int64_t, int64_t>;

// This shard's part [begin, end) of `count` units split `world` ways.
Range Part(int64_t count, int world, int rank) {
  const int64_t per = count / world;
  return {rank * per, (rank + 1) * per};
}

Range Scaled(Range r, int64_t unit, int64_t offset = 0) {
  return {offset + r.first * unit, offset + r.second * unit};
}

class Sharder {
 public:
  explicit Sharder(ShardedSpec* out) : out_(out), world_(out->world), rank_(out->rank) {}

  absl::Status Layer(const std::string& where, LayerSpec& layer) {
    if (layer.attention) HS_RETURN_IF_ERROR(Attention(where + " attention", *layer.attention));
    if (layer.mamba2) HS_RETURN_IF_ERROR(Mamba2(where + " mamba", *layer.mamba2));
    if (layer.mamba1) HS_RETURN_IF_ERROR(Mamba1(where + " mamba", *layer.mamba1));
    if (layer.zamba_shared) {
      ZambaSharedSpec& z = *layer.zamba_shared;
      HS_RETURN_IF_ERROR(Attention(where + " shared attention", z.attention));
      HS_RETURN_IF_ERROR(Mlp(where + " shared mlp", z.mlp));
      RankZeroOnly(z.linear.bias);  // applied to a partial sum
    }
    if (layer.mlp) HS_RETURN_IF_ERROR(Mlp(where + " mlp", *layer.mlp));
    if (layer.moe) HS_RETURN_IF_ERROR(Moe(where + " moe", *layer.moe));
    return absl::OkStatus();
  }

 private:
  absl::Status NotDivisible(const std::string& where, const char* dim, int64_t value) const {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", dim, " (", value, ") cannot be split over ", world_,
                     " GPUs; use a --tensor-parallel-size that divides it"));
  }

  // Makes ref name this shard's part (rows, then columns of a 2-D view) of the full view.
  void Slice(TensorRef& ref, std::vector<Range> rows, Range cols = {0, 0}) {
    if (!ref.present()) return;
    TensorSlice slice;
    slice.source = ref;
    slice.rows = std::move(rows);
    slice.col_begin = cols.first;
    slice.col_end = cols.second;
    TensorRef part;
    part.name = absl::StrCat("tp", rank_, "/", ref.name, "@", ref.offset_elements);
    part.shape = ref.shape;
    if (!slice.rows.empty()) {
      int64_t n = 0;
      for (const Range& r : slice.rows) n += r.second - r.first;
      part.shape[0] = n;
    }
    if (slice.col_end > 0) part.shape.back() = slice.col_end - slice.col_begin;
    out_->slices[part.name] = std::move(slice);
    ref = std::move(part);
  }
  void RankZeroOnly(TensorRef& bias) {
    if (rank_ != 0) bias = TensorRef{};
  }
  // Column-parallel: the rows of the output features.
  void ColumnParallel(LinearSpec& linear, const std::vector<Range>& rows) {
    Slice(linear.weight, rows);
    Slice(linear.bias, rows);
    linear.out_dim = linear.weight.shape[0];
  }
  // Row-parallel: the columns of the input features; partial outputs.
  void RowParallel(LinearSpec& linear, Range cols) {
    Slice(linear.weight, {}, cols);
    RankZeroOnly(linear.bias);
    linear.in_dim = cols.second - cols.first;
  }
  void LoraUp(LoraSpec& lora, const std::vector<Range>& rows) {
    if (lora.present()) ColumnParallel(lora.up, rows);
  }

  absl::Status Attention(const std::string& where, AttentionSpec& a) {
    const int64_t hq = a.num_heads, hkv = a.num_kv_heads, hd = a.head_dim;
    if (hq % world_ != 0) return NotDivisible(where, "num_attention_heads", hq);
    Range kv;
    if (hkv % world_ == 0) {
      kv = Part(hkv, world_, rank_);
    } else if (world_ % hkv == 0) {
      // Every query head of this shard reads the same KV head: keep a copy of it.
      const int64_t head = rank_ * hkv / world_;
      kv = {head, head + 1};
    } else {
      return NotDivisible(where, "num_key_value_heads", hkv);
    }
    const Range q = Part(hq, world_, rank_);
    ColumnParallel(a.q_proj, {Scaled(q, hd)});
    ColumnParallel(a.k_proj, {Scaled(kv, hd)});
    ColumnParallel(a.v_proj, {Scaled(kv, hd)});
    LoraUp(a.q_lora, {Scaled(q, hd)});
    LoraUp(a.k_lora, {Scaled(kv, hd)});
    LoraUp(a.v_lora, {Scaled(kv, hd)});
    RowParallel(a.o_proj, Scaled(q, hd));
    a.num_heads = q.second - q.first;
    a.num_kv_heads = kv.second - kv.first;
    return absl::OkStatus();
  }

  absl::Status Mamba2(const std::string& where, Mamba2Spec& m) {
    const int64_t H = m.num_heads, P = m.head_dim, G = m.n_groups, N = m.d_state, I = m.d_inner;
    if (H % world_ != 0) return NotDivisible(where, "num_heads", H);
    Range groups;
    if (G % world_ == 0) {
      groups = Part(G, world_, rank_);
    } else if (world_ % G == 0) {
      // All heads of this shard read one group: keep a copy of its B and C.
      const int64_t g = rank_ * G / world_;
      groups = {g, g + 1};
    } else {
      return NotDivisible(where, "n_groups", G);
    }
    const Range heads = Part(H, world_, rank_);
    const Range channels = Scaled(heads, P);
    const Range b = Scaled(groups, N, I), c = Scaled(groups, N, I + G * N);
    const int64_t local = channels.second - channels.first;
    if (m.norm_kind != GatedNorm::kNone) {
      const int64_t group = m.norm_group_size;
      if (local % group == 0) {
        // Whole groups on this shard.
      } else if (group % local == 0) {
        m.norm_span_groups = I / group;
        m.norm_span_group = channels.first / group;
      } else {
        return NotDivisible(where, "gated norm group size", group);
      }
      Slice(m.norm.weight, {channels});
      m.norm.dim = local;
    }
    // in_proj rows: z | x | B | C | dt; the conv runs over x | B | C.
    ColumnParallel(m.in_proj, {channels, Scaled(heads, P, I), Scaled(b, 1, I), Scaled(c, 1, I),
                               Scaled(heads, 1, 2 * I + 2 * G * N)});
    Slice(m.conv_weight, {Scaled(heads, P), b, c});
    Slice(m.conv_bias, {Scaled(heads, P), b, c});
    Slice(m.dt_bias, {heads});
    Slice(m.a_log, {heads});
    Slice(m.d_skip, {heads});
    RowParallel(m.out_proj, channels);
    m.num_heads = heads.second - heads.first;
    m.n_groups = groups.second - groups.first;
    m.d_inner = local;
    return absl::OkStatus();
  }

  absl::Status Mamba1(const std::string& where, Mamba1Spec& m) {
    const int64_t I = m.d_inner;
    if (I % world_ != 0) return NotDivisible(where, "d_inner", I);
    const Range channels = Part(I, world_, rank_);
    ColumnParallel(m.in_proj, {channels, Scaled(channels, 1, I)});  // x | z
    Slice(m.conv_weight, {channels});
    Slice(m.conv_bias, {channels});
    RowParallel(m.x_proj, channels);  // partial dt | B | C, all-reduced in the block
    ColumnParallel(m.dt_proj, {channels});
    Slice(m.a_log, {channels});
    Slice(m.d_skip, {channels});
    RowParallel(m.out_proj, channels);
    m.d_inner = channels.second - channels.first;
    return absl::OkStatus();
  }

  absl::Status Mlp(const std::string& where, MlpSpec& m) {
    const int64_t F = m.hidden_dim;
    if (F % world_ != 0) return NotDivisible(where, "intermediate size", F);
    const Range units = Part(F, world_, rank_);
    ColumnParallel(m.up_proj, {units});
    if (m.gated) ColumnParallel(m.gate_proj, {units});
    LoraUp(m.up_lora, {units});
    LoraUp(m.gate_lora, {units});
    RowParallel(m.down_proj, units);
    m.hidden_dim = units.second - units.first;
    return absl::OkStatus();
  }

  absl::Status Moe(const std::string& where, MoeSpec& m) {
    for (size_t e = 0; e < m.experts.size(); ++e) {
      HS_RETURN_IF_ERROR(Mlp(absl::StrCat(where, " expert ", e), m.experts[e]));
    }
    if (m.shared_expert) HS_RETURN_IF_ERROR(Mlp(where + " shared expert", *m.shared_expert));
    RankZeroOnly(m.latent_out.bias);  // applied to a partial sum
    return absl::OkStatus();
  }

  ShardedSpec* out_;
  const int world_;
  const int rank_;
};

}  // namespace

absl::StatusOr<ShardedSpec> ShardModelSpec(const ModelSpec& full, int world, int rank) {
  if (world < 1 || rank < 0 || rank >= world) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor-parallel rank ", rank, " of ", world, " does not exist"));
  }
  ShardedSpec out;
  out.spec = full;
  out.world = world;
  out.rank = rank;
  if (world == 1) return out;
  Sharder sharder(&out);
  for (size_t l = 0; l < out.spec.layers.size(); ++l) {
    HS_RETURN_IF_ERROR(sharder.Layer(absl::StrCat("layer ", l), out.spec.layers[l]));
  }
  return out;
}

}  // namespace hybridserve::engine
