// Internal to the GPU attention tests (attention_test.cc, attention_decode_test.cc): a paged
// cache case on the device and the host, and the comparison of the CUDA PagedAttention with
// cpu::PagedAttention on it.
//
// A case lays out a pool with spare blocks, writes every sequence's history and then the step's
// rows with the CUDA WriteKv (two batches), checks the cache bytes against cpu::WriteKv's result
// converted to the storage type, then compares the CUDA attention (with and without split-K
// scratch) per sequence with cpu::PagedAttention run on the same stored (rounded) K/V.
// Device buffers start poisoned (NaN), so an unwritten output or a read of an unwritten cache row
// or unreferenced block shows up as NaN/Inf, which MaxRelError turns into +infinity. The
// tolerances are explained in attention_test.cc.
#ifndef HYBRIDSERVE_TESTS_CUDA_KERNELS_PAGED_ATTENTION_CASE_H_
#define HYBRIDSERVE_TESTS_CUDA_KERNELS_PAGED_ATTENTION_CASE_H_

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/thread_pool.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda::paged_testing {

using ::hybridserve::testing::DeviceBuffer;
using ::hybridserve::testing::DTypeName;
using ::hybridserve::testing::MaxRelError;
using ::hybridserve::testing::RandomFloats;
using ::hybridserve::testing::RoundToBf16;

constexpr double kTolerance = 1e-5;
constexpr double kBf16MmaTolerance = 1e-2;
constexpr double kF16MmaTolerance = 2e-3;

struct HeadShape {
  const char* name;
  int num_heads;
  int num_kv_heads;
  int head_dim;
};
// Attention head shapes of real checkpoints, plus the generic head_dim paths.
constexpr HeadShape kNemotronH8B{"NemotronH8B", 32, 8, 128};
constexpr HeadShape kFalconH1{"FalconH1_1p5B", 8, 2, 64};
constexpr HeadShape kGraniteTiny{"Granite4HTiny", 12, 4, 128};
constexpr HeadShape kJambaMini{"JambaMini", 32, 8, 128};
constexpr HeadShape kMha{"MHA", 16, 16, 64};
constexpr HeadShape kHd96{"Hd96", 6, 2, 96};
constexpr HeadShape kHd256Mqa{"Hd256MQA", 8, 1, 256};
constexpr HeadShape kHd32{"Hd32", 4, 4, 32};
// Small head dims of tiny checkpoints (the generic warp-per-row kernel).
constexpr HeadShape kHd8{"Hd8", 4, 2, 8};
constexpr HeadShape kHd12{"Hd12", 4, 2, 12};
constexpr HeadShape kHd16{"Hd16", 4, 4, 16};
constexpr HeadShape kHd40{"Hd40", 6, 3, 40};

struct SeqSpec {
  int start_pos;  // tokens already cached
  int rows;       // rows this step
};

inline int ElementBytes(DType dtype) { return dtype == DType::kF32 ? 4 : 2; }

// The value a cache of dtype holds for x, and its bytes.
inline float StoredValue(DType dtype, float x) {
  switch (dtype) {
    case DType::kF32:
      return x;
    case DType::kBF16:
      return RoundToBf16(x);
    case DType::kF16:
      return __half2float(__float2half_rn(x));
  }
  return x;
}
inline void StoreBytes(DType dtype, float x, uint8_t* dst) {
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, &x, 4);
      return;
    case DType::kBF16: {
      const __nv_bfloat16 h = __float2bfloat16_rn(x);
      std::memcpy(dst, &h, 2);
      return;
    }
    case DType::kF16: {
      const __half h = __float2half_rn(x);
      std::memcpy(dst, &h, 2);
      return;
    }
  }
}

inline cpu::ThreadPool* Pool() {
  static cpu::ThreadPool* pool =
      new cpu::ThreadPool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return pool;
}

// One step's batch on the device: rows per sequence, their start positions, the block tables.
struct DeviceBatch {
  DeviceBuffer<int32_t> row_begin, start_pos, token_seq, slots, tables;
  BatchLayout layout;
};

inline DeviceBatch MakeBatch(const std::vector<int>& rows, const std::vector<int>& starts,
                             const std::vector<int32_t>& tables, int max_blocks) {
  const int num_seqs = static_cast<int>(rows.size());
  std::vector<int32_t> row_begin(num_seqs + 1, 0), token_seq, slots(num_seqs);
  int max_rows = 0, max_context = 0;
  for (int s = 0; s < num_seqs; ++s) {
    row_begin[s + 1] = row_begin[s] + rows[s];
    for (int r = 0; r < rows[s]; ++r) token_seq.push_back(s);
    slots[s] = s;
    max_rows = std::max(max_rows, rows[s]);
    max_context = std::max(max_context, starts[s] + rows[s]);
  }
  DeviceBatch batch;
  batch.row_begin = DeviceBuffer<int32_t>(row_begin);
  batch.start_pos = DeviceBuffer<int32_t>(std::vector<int32_t>(starts.begin(), starts.end()));
  batch.token_seq = DeviceBuffer<int32_t>(token_seq);
  batch.slots = DeviceBuffer<int32_t>(slots);
  batch.tables = DeviceBuffer<int32_t>(tables);
  BatchLayout& layout = batch.layout;
  layout.num_seqs = num_seqs;
  layout.num_tokens = row_begin[num_seqs];
  layout.max_seq_tokens = max_rows;
  layout.seq_row_begin = batch.row_begin.get();
  layout.seq_start_pos = batch.start_pos.get();
  layout.token_seq = batch.token_seq.get();
  layout.seq_slot = batch.slots.get();
  layout.block_tables = batch.tables.get();
  layout.max_blocks = max_blocks;
  layout.max_context = max_context;
  return batch;
}

struct CaseSpec {
  HeadShape shape;
  DType dtype;
  int block_size;
  std::vector<SeqSpec> seqs;
  uint32_t seed = 1;
  float scale = 0.0f;    // 0: 1 / sqrt(head_dim)
  float q_range = 1.0f;  // q uniform in [-q_range, q_range]
  double tolerance = kTolerance;
  double mma_tolerance = 0.0;  // on the tensor-core path; 0: kBf16MmaTolerance / kF16MmaTolerance
};

// Whether PagedAttention takes the tensor-core kernel: bf16/fp16, head_dim 64 or 128, and some
// sequence with more rows than the decode tile holds (8 query vectors: 8 / min(G, 8) rows).
inline bool TakesTensorCores(const CaseSpec& spec) {
  const HeadShape& shape = spec.shape;
  if (spec.dtype == DType::kF32 || (shape.head_dim != 64 && shape.head_dim != 128)) return false;
  const int group = std::min(shape.num_heads / shape.num_kv_heads, 8);
  int max_rows = 0;
  for (const SeqSpec& seq : spec.seqs) max_rows = std::max(max_rows, seq.rows);
  return max_rows > 8 / group;
}

// The tolerance of the path the case takes.
inline double ToleranceFor(const CaseSpec& spec) {
  if (!TakesTensorCores(spec)) return spec.tolerance;
  if (spec.mma_tolerance > 0.0) return spec.mma_tolerance;
  return spec.dtype == DType::kBF16 ? kBf16MmaTolerance : kF16MmaTolerance;
}

inline std::string Describe(const CaseSpec& spec) {
  std::string s = absl::StrCat(spec.shape.name, " ", DTypeName(spec.dtype),
                               TakesTensorCores(spec) ? " (tensor cores)" : "",
                               " block_size=", spec.block_size, " seqs=");
  if (spec.seqs.size() > 12) return absl::StrCat(s, spec.seqs.size(), " sequences");
  for (const SeqSpec& seq : spec.seqs) absl::StrAppend(&s, "(", seq.start_pos, "+", seq.rows, ")");
  return s;
}

// A paged pool with shuffled block ids and spare blocks, the history of every sequence and the
// step's rows written by the CUDA WriteKv, and the same cache on the host written by cpu::WriteKv.
class PagedCase {
 public:
  explicit PagedCase(const CaseSpec& spec) : spec_(spec) {
    spec_.tolerance = ToleranceFor(spec);
    const HeadShape& shape = spec.shape;
    num_seqs_ = static_cast<int>(spec.seqs.size());
    row_elements_ = shape.num_kv_heads * shape.head_dim;
    const int bs = spec.block_size;
    std::mt19937 rng(spec.seed);

    // Block tables: shuffled ids, a quarter spare, unused table entries -1.
    int total_blocks = 0;
    for (const SeqSpec& seq : spec.seqs) {
      const int blocks = (seq.start_pos + seq.rows + bs - 1) / bs;
      max_blocks_ = std::max(max_blocks_, blocks + 1);
      total_blocks += blocks;
    }
    num_blocks_ = total_blocks + total_blocks / 4 + 3;
    std::vector<int32_t> ids(num_blocks_);
    std::iota(ids.begin(), ids.end(), 0);
    std::shuffle(ids.begin(), ids.end(), rng);
    tables_.assign(static_cast<size_t>(num_seqs_) * max_blocks_, -1);
    referenced_.assign(num_blocks_, false);
    int next = 0;
    for (int s = 0; s < num_seqs_; ++s) {
      const int blocks = (Context(s) + bs - 1) / bs;
      for (int b = 0; b < blocks; ++b) {
        tables_[s * max_blocks_ + b] = ids[next];
        referenced_[ids[next]] = true;
        ++next;
      }
    }

    // K/V of every position of every sequence, and the step's queries.
    for (int s = 0; s < num_seqs_; ++s) {
      keys_.push_back(
          RandomFloats(static_cast<size_t>(Context(s)) * row_elements_, spec.seed * 1000 + 2 * s));
      values_.push_back(RandomFloats(static_cast<size_t>(Context(s)) * row_elements_,
                                     spec.seed * 1000 + 2 * s + 1));
    }
    std::vector<int> rows, starts, history_rows, zeros(num_seqs_, 0);
    for (const SeqSpec& seq : spec.seqs) {
      rows.push_back(seq.rows);
      starts.push_back(seq.start_pos);
      history_rows.push_back(seq.start_pos);
    }
    step_ = MakeBatch(rows, starts, tables_, max_blocks_);
    const int num_tokens = step_.layout.num_tokens;
    q_stride_ = shape.num_heads * shape.head_dim + 32;
    out_stride_ = shape.num_heads * shape.head_dim + 16;
    q_ = RandomFloats(static_cast<size_t>(num_tokens) * q_stride_, spec.seed * 7 + 3, -spec.q_range,
                      spec.q_range);
    for (int t = 0; t < num_tokens; ++t) {  // NaN in the row padding: it must not be read
      for (int i = shape.num_heads * shape.head_dim; i < q_stride_; ++i) {
        q_[static_cast<size_t>(t) * q_stride_ + i] = NAN;
      }
    }
    scale_ = spec.scale != 0.0f ? spec.scale : 1.0f / std::sqrt(static_cast<float>(shape.head_dim));

    // The device pool (poisoned), written in two WriteKv batches: history, then the step.
    const size_t pool_elements = static_cast<size_t>(num_blocks_) * bs * row_elements_;
    const size_t pool_bytes = pool_elements * ElementBytes(spec.dtype);
    device_keys_ = DeviceBuffer<uint8_t>(pool_bytes);
    device_values_ = DeviceBuffer<uint8_t>(pool_bytes);
    cache_.keys = device_keys_.get();
    cache_.values = device_values_.get();
    cache_.dtype = spec.dtype;
    cache_.block_size = bs;
    cache_.num_kv_heads = shape.num_kv_heads;
    cache_.head_dim = shape.head_dim;
    DeviceBatch history = MakeBatch(history_rows, zeros, tables_, max_blocks_);
    WriteRows(history, /*history=*/true);
    WriteRows(step_, /*history=*/false);
    HS_CUDA_CHECK(cudaDeviceSynchronize());

    // The host pool: cpu::WriteKv of every sequence's whole context into NaN-poisoned memory.
    const uint32_t poison_bits = 0xFFFFFFFFu;  // what DeviceBuffer's poisoning leaves
    float poison;
    std::memcpy(&poison, &poison_bits, 4);
    host_keys_.assign(pool_elements, poison);
    host_values_.assign(pool_elements, poison);
    for (int s = 0; s < num_seqs_; ++s) {
      cpu::PagedKv kv{host_keys_.data(), host_values_.data(), bs, &tables_[s * max_blocks_]};
      cpu::WriteKv(keys_[s].data(), row_elements_, values_[s].data(), row_elements_, Context(s), 0,
                   shape.num_kv_heads, shape.head_dim, kv);
    }
  }

  int Context(int s) const { return spec_.seqs[s].start_pos + spec_.seqs[s].rows; }
  const BatchLayout& layout() const { return step_.layout; }
  const PagedKvCache& cache() const { return cache_; }

  // The device cache bytes equal cpu::WriteKv's result in the storage type (poison where
  // unwritten).
  void ExpectCacheBytesMatch() const {
    for (int which = 0; which < 2; ++which) {
      const std::vector<float>& host = which == 0 ? host_keys_ : host_values_;
      const std::vector<uint8_t> got = (which == 0 ? device_keys_ : device_values_).Download();
      const int eb = ElementBytes(spec_.dtype);
      std::vector<uint8_t> want(got.size(), 0xFF);
      for (size_t i = 0; i < host.size(); ++i) {
        uint32_t bits;
        std::memcpy(&bits, &host[i], 4);
        if (bits != 0xFFFFFFFFu) StoreBytes(spec_.dtype, host[i], &want[i * eb]);
      }
      size_t first_mismatch = got.size();
      for (size_t i = 0; i < got.size(); ++i) {
        if (got[i] != want[i]) {
          first_mismatch = i;
          break;
        }
      }
      EXPECT_EQ(first_mismatch, got.size())
          << (which == 0 ? "keys" : "values") << ": first differing byte " << first_mismatch
          << " (element " << first_mismatch / eb << ")";
    }
  }

  // Runs the CUDA attention; returns out [T, out_stride] (padding must stay poisoned).
  std::vector<float> RunCuda(bool with_scratch) const {
    const int num_tokens = step_.layout.num_tokens;
    DeviceBuffer<float> q(q_);
    DeviceBuffer<float> out(static_cast<size_t>(num_tokens) * out_stride_);
    if (with_scratch) {
      DeviceBuffer<uint8_t> scratch(static_cast<size_t>(
          PagedAttentionScratchBytes(spec_.shape.num_heads, spec_.shape.head_dim)));
      PagedAttention(q.get(), q_stride_, spec_.shape.num_heads, scale_, step_.layout, cache_,
                     out.get(), out_stride_, scratch.get(), /*stream=*/0);
      HS_CUDA_CHECK(cudaDeviceSynchronize());
    } else {
      PagedAttention(q.get(), q_stride_, spec_.shape.num_heads, scale_, step_.layout, cache_,
                     out.get(), out_stride_, /*stream=*/0);
    }
    std::vector<float> result = out.Download();
    const int width = spec_.shape.num_heads * spec_.shape.head_dim;
    for (int t = 0; t < num_tokens; ++t) {
      for (int i = width; i < out_stride_; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &result[static_cast<size_t>(t) * out_stride_ + i], 4);
        EXPECT_EQ(bits, 0xFFFFFFFFu) << "row " << t << " padding written at " << i;
        if (bits != 0xFFFFFFFFu) return result;
      }
    }
    return result;
  }

  // cpu::PagedAttention per sequence on the stored (rounded) K/V; [T, out_stride].
  std::vector<float> Reference() const {
    const HeadShape& shape = spec_.shape;
    std::vector<float> keys(host_keys_.size()), values(host_values_.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      keys[i] = StoredValue(spec_.dtype, host_keys_[i]);  // NaN stays NaN
      values[i] = StoredValue(spec_.dtype, host_values_[i]);
    }
    std::vector<float> out(static_cast<size_t>(step_.layout.num_tokens) * out_stride_, 0.0f);
    int row = 0;
    for (int s = 0; s < num_seqs_; ++s) {
      cpu::PagedKv kv{keys.data(), values.data(), spec_.block_size, &tables_[s * max_blocks_]};
      cpu::PagedAttention(&q_[static_cast<size_t>(row) * q_stride_], q_stride_, spec_.seqs[s].rows,
                          spec_.seqs[s].start_pos, shape.num_heads, shape.num_kv_heads,
                          shape.head_dim, scale_, kv, &out[static_cast<size_t>(row) * out_stride_],
                          out_stride_, Pool());
      row += spec_.seqs[s].rows;
    }
    return out;
  }

  // Per sequence: MaxRelError of its rows (without the padding) <= tolerance.
  void ExpectClose(const std::vector<float>& got, const std::vector<float>& want,
                   const char* what) const {
    const int width = spec_.shape.num_heads * spec_.shape.head_dim;
    int row = 0;
    double worst = 0.0;
    for (int s = 0; s < num_seqs_; ++s) {
      std::vector<float> g, w;
      for (int r = row; r < row + spec_.seqs[s].rows; ++r) {
        const size_t base = static_cast<size_t>(r) * out_stride_;
        g.insert(g.end(), got.begin() + base, got.begin() + base + width);
        w.insert(w.end(), want.begin() + base, want.begin() + base + width);
      }
      const double err = MaxRelError(g, w);
      worst = std::max(worst, err);
      EXPECT_LE(err, spec_.tolerance)
          << what << ": sequence " << s << " (start " << spec_.seqs[s].start_pos << ", rows "
          << spec_.seqs[s].rows << ")";
      row += spec_.seqs[s].rows;
    }
    std::printf("  %-16s max rel error %.3g  %s\n", what, worst, Describe(spec_).c_str());
  }

  // Fills the cache rows no sequence owns (spare blocks, and rows past each sequence's context in
  // its last block) with byte in both keys and values.
  void FillUnownedRows(uint8_t byte) {
    const int bs = spec_.block_size;
    const size_t row_bytes = static_cast<size_t>(row_elements_) * ElementBytes(spec_.dtype);
    auto fill = [&](int block, int row) {
      const size_t offset = (static_cast<size_t>(block) * bs + row) * row_bytes;
      HS_CUDA_CHECK(cudaMemset(device_keys_.get() + offset, byte, row_bytes));
      HS_CUDA_CHECK(cudaMemset(device_values_.get() + offset, byte, row_bytes));
    };
    for (int block = 0; block < num_blocks_; ++block) {
      if (!referenced_[block]) {
        for (int r = 0; r < bs; ++r) fill(block, r);
      }
    }
    for (int s = 0; s < num_seqs_; ++s) {
      const int context = Context(s);
      const int last = tables_[s * max_blocks_ + (context - 1) / bs];
      for (int r = (context - 1) % bs + 1; r < bs; ++r) fill(last, r);
    }
    HS_CUDA_CHECK(cudaDeviceSynchronize());
  }

  int out_stride() const { return out_stride_; }

 private:
  // Writes the history (positions 0..start_pos) or the step's rows of every sequence.
  void WriteRows(const DeviceBatch& batch, bool history) {
    const int num_tokens = batch.layout.num_tokens;
    if (num_tokens == 0) return;
    const int stride = row_elements_ + 8;  // strided rows, NaN padding (must not be read)
    std::vector<float> k(static_cast<size_t>(num_tokens) * stride, NAN);
    std::vector<float> v(static_cast<size_t>(num_tokens) * stride, NAN);
    int t = 0;
    for (int s = 0; s < num_seqs_; ++s) {
      const int first = history ? 0 : spec_.seqs[s].start_pos;
      const int rows = history ? spec_.seqs[s].start_pos : spec_.seqs[s].rows;
      for (int r = 0; r < rows; ++r, ++t) {
        const size_t src = static_cast<size_t>(first + r) * row_elements_;
        std::copy(keys_[s].begin() + src, keys_[s].begin() + src + row_elements_,
                  k.begin() + static_cast<size_t>(t) * stride);
        std::copy(values_[s].begin() + src, values_[s].begin() + src + row_elements_,
                  v.begin() + static_cast<size_t>(t) * stride);
      }
    }
    HS_CHECK(t == num_tokens);
    DeviceBuffer<float> dk(k), dv(v);
    WriteKv(dk.get(), stride, dv.get(), stride, batch.layout, cache_, /*stream=*/0);
    HS_CUDA_CHECK(cudaDeviceSynchronize());
  }

  CaseSpec spec_;
  int num_seqs_ = 0;
  int row_elements_ = 0;
  int num_blocks_ = 0;
  int max_blocks_ = 0;
  std::vector<int32_t> tables_;
  std::vector<bool> referenced_;
  std::vector<std::vector<float>> keys_, values_;  // [context, nkv * hd] per sequence
  std::vector<float> q_;                           // [T, q_stride]
  int q_stride_ = 0;
  int out_stride_ = 0;
  float scale_ = 0.0f;
  DeviceBatch step_;
  DeviceBuffer<uint8_t> device_keys_, device_values_;
  PagedKvCache cache_;
  std::vector<float> host_keys_, host_values_;
};

// Cache rows no sequence owns (spare blocks, rows past a context in its last block) are never
// read: zeros or NaN there give bit-identical outputs, within tolerance of the reference.
inline void ExpectUnownedRowsNotRead(PagedCase& c) {
  const std::vector<float> want = c.Reference();
  for (bool with_scratch : {false, true}) {
    c.FillUnownedRows(0x00);
    const std::vector<float> clean = c.RunCuda(with_scratch);
    c.FillUnownedRows(0xFF);
    const std::vector<float> poisoned = c.RunCuda(with_scratch);
    ASSERT_EQ(clean.size(), poisoned.size());
    EXPECT_EQ(std::memcmp(clean.data(), poisoned.data(), clean.size() * sizeof(float)), 0);
    c.ExpectClose(poisoned, want, with_scratch ? "poisoned_split_k" : "poisoned");
  }
}
// Writes, checks the cache bytes, runs both attention variants and compares them to the CPU.
inline void CheckCase(const CaseSpec& spec) {
  SCOPED_TRACE(Describe(spec));
  PagedCase c(spec);
  c.ExpectCacheBytesMatch();
  const std::vector<float> want = c.Reference();
  c.ExpectClose(c.RunCuda(/*with_scratch=*/false), want, "no_scratch");
  c.ExpectClose(c.RunCuda(/*with_scratch=*/true), want, "split_k");
}

}  // namespace hybridserve::kernels::cuda::paged_testing

#endif  // HYBRIDSERVE_TESTS_CUDA_KERNELS_PAGED_ATTENTION_CASE_H_
