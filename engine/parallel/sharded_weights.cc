#include "engine/parallel/sharded_weights.h"

#include "absl/strings/str_cat.h"
#include "engine/model/tensor_refs.h"

namespace hybridserve::engine {

std::vector<float> CutSlice(const TensorSlice& slice, const float* full,
                            const std::vector<int64_t>& shape) {
  const int64_t rows = shape.empty() ? 1 : shape[0];
  const int64_t row_size = shape.empty() ? 1 : NumElements(shape) / rows;
  std::vector<std::pair<int64_t, int64_t>> ranges = slice.rows;
  if (ranges.empty()) ranges.push_back({0, rows});
  // Columns of a 2-D view; whole rows otherwise.
  const int64_t col_begin = slice.col_end > 0 ? slice.col_begin : 0;
  const int64_t col_end = slice.col_end > 0 ? slice.col_end : row_size;
  std::vector<float> out;
  for (const auto& [begin, end] : ranges) {
    for (int64_t r = begin; r < end; ++r) {
      const float* row = full + r * row_size;
      out.insert(out.end(), row + col_begin, row + col_end);
    }
  }
  return out;
}

absl::StatusOr<ShardedWeights> ShardedWeights::Cut(const ShardedSpec& shard,
                                                   const HostWeights& full) {
  ShardedWeights weights(&full);
  for (const auto& [name, slice] : shard.slices) {
    const float* data = full.Get(slice.source);
    if (data == nullptr) {
      return absl::InternalError(absl::StrCat("no weights for ", slice.source.name));
    }
    const std::vector<int64_t>& shape = slice.source.shape;
    const int64_t rows = shape.empty() ? 1 : shape[0];
    for (const auto& [begin, end] : slice.rows) {
      if (begin < 0 || end > rows || begin > end) {
        return absl::InternalError(absl::StrCat(slice.source.name, ": rows [", begin, ", ", end,
                                                ") outside its ", rows, " rows"));
      }
    }
    if (slice.col_end > 0 && (shape.size() != 2 || slice.col_end > shape[1])) {
      return absl::InternalError(
          absl::StrCat(slice.source.name, ": a column slice of a tensor that is not 2-D"));
    }
    weights.parts_[name] = CutSlice(slice, data, shape);
  }
  return weights;
}

const float* ShardedWeights::Get(const TensorRef& ref) const {
  if (!ref.present()) return nullptr;
  if (auto it = parts_.find(ref.name); it != parts_.end()) return it->second.data();
  return full_->Get(ref);
}

}  // namespace hybridserve::engine
