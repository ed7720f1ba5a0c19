// Tensor-parallel sharding of a model over `world` GPUs. ShardModelSpec gives the spec of one
// shard: the same layers with this shard's attention heads, Mamba heads (and the B/C groups they
// read), MLP / expert hidden units, and for every weight the shard holds a part of, where that
// part lies in the full tensor.
//
//   column-parallel (rows of the full [out, in] kept): q/k/v, Mamba in_proj (z, x, B, C, dt
//     segments), conv filters, dt_proj, gate/up, LoRA up-projections
//   row-parallel (columns kept): o_proj, Mamba out_proj, Mamba1 x_proj, down
//   whole on every shard: embeddings, norms (but Mamba's gated norm), routers, lm_head, LoRA
//     down-projections, Zamba2's per-layer linear, latent MoE projections
//
// Row-parallel outputs are partial sums: the runner all-reduces each block's output (and Mamba1's
// x_proj output, Zamba2's shared attention output) before it is used. Biases added after a
// row-parallel product live on rank 0 only, so the sum adds them once. KV heads are split when
// their count divides by world and replicated (each shard keeps the one its query heads read)
// when world divides by it; B/C groups likewise. A gated-norm group wider than a shard's channels
// is normalised with a sum of squares summed over shards (Mamba2Spec::norm_span_groups).
#ifndef HYBRIDSERVE_ENGINE_PARALLEL_SHARD_PLAN_H_
#define HYBRIDSERVE_ENGINE_PARALLEL_SHARD_PLAN_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/model/model_spec.h"

namespace hybridserve::engine {

// A part of a full tensor view: the rows (ranges along dim 0, concatenated in order; empty: all
// rows) and the columns [col_begin, col_end) of a 2-D view (col_end 0: all columns).
struct TensorSlice {
  TensorRef source;
  std::vector<std::pair<int64_t, int64_t>> rows;
  int64_t col_begin = 0;
  int64_t col_end = 0;
};

struct ShardedSpec {
  ModelSpec spec;  // this shard's; its sliced refs are named "tp<rank>/<name>@<offset>"
  int world = 1;
  int rank = 0;
  absl::flat_hash_map<std::string, TensorSlice> slices;  // by sliced ref name
};

// InvalidArgument naming the layer and dimension when the model cannot be split world ways.
absl::StatusOr<ShardedSpec> ShardModelSpec(const ModelSpec& full, int world, int rank);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_PARALLEL_SHARD_PLAN_H_
