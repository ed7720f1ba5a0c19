// Helpers shared by the state-space op tests: a step's BatchLayout on the device, a slot pool
// whose unused slots keep their poison, and the positive dt / negative A inputs the SSMs see.
#ifndef HYBRIDSERVE_TESTS_CUDA_KERNELS_SSM_TEST_UTIL_H_
#define HYBRIDSERVE_TESTS_CUDA_KERNELS_SSM_TEST_UTIL_H_

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"

namespace hybridserve::testing {

// A step of num_seqs sequences with the given row counts and SSM slots, rows in sequence order.
class DeviceBatch {
 public:
  DeviceBatch(const std::vector<int32_t>& lengths, const std::vector<int32_t>& slots)
      : lengths_(lengths), slots_(slots) {
    HS_CHECK(lengths.size() == slots.size());
    std::vector<int32_t> begin = {0}, start_pos, token_seq;
    int32_t max_rows = 0;
    for (size_t s = 0; s < lengths.size(); ++s) {
      begin.push_back(begin.back() + lengths[s]);
      start_pos.push_back(17 * static_cast<int32_t>(s));  // already cached tokens (unused here)
      for (int32_t r = 0; r < lengths[s]; ++r) token_seq.push_back(static_cast<int32_t>(s));
      max_rows = std::max(max_rows, lengths[s]);
    }
    begin_host_ = begin;
    row_begin_ = DeviceBuffer<int32_t>(begin);
    start_pos_ = DeviceBuffer<int32_t>(start_pos);
    token_seq_ = DeviceBuffer<int32_t>(token_seq);
    slot_buf_ = DeviceBuffer<int32_t>(slots);
    layout_.num_seqs = static_cast<int32_t>(lengths.size());
    layout_.num_tokens = begin.back();
    layout_.max_seq_tokens = max_rows;
    layout_.seq_row_begin = row_begin_.get();
    layout_.seq_start_pos = start_pos_.get();
    layout_.token_seq = token_seq_.get();
    layout_.seq_slot = slot_buf_.get();
  }

  const kernels::cuda::BatchLayout& layout() const { return layout_; }
  int64_t num_tokens() const { return layout_.num_tokens; }
  int64_t row_begin(size_t s) const { return begin_host_[s]; }
  int64_t length(size_t s) const { return lengths_[s]; }
  int32_t slot(size_t s) const { return slots_[s]; }
  size_t num_seqs() const { return lengths_.size(); }

 private:
  std::vector<int32_t> lengths_, slots_, begin_host_;
  DeviceBuffer<int32_t> row_begin_, start_pos_, token_seq_, slot_buf_;
  kernels::cuda::BatchLayout layout_;
};

// A pool of num_slots slots of slot_floats floats: the listed slots hold random values, every
// other slot keeps the 0xFF poison, which the op must leave alone.
class SlotPool {
 public:
  SlotPool(int64_t num_slots, int64_t slot_floats, const std::vector<int32_t>& used, uint32_t seed,
           float lo = -1.0f, float hi = 1.0f)
      : slot_floats_(slot_floats), used_(used), device_(num_slots * slot_floats) {
    host_.assign(num_slots * slot_floats, 0.0f);
    const uint32_t poison = 0xFFFFFFFFu;
    for (float& v : host_) std::memcpy(&v, &poison, 4);
    for (size_t i = 0; i < used.size(); ++i) {
      const std::vector<float> values = RandomFloats(slot_floats, seed + 7919 * i, lo, hi);
      std::copy(values.begin(), values.end(), host_.begin() + used[i] * slot_floats);
    }
    device_.Upload(host_);
  }

  float* device() const { return device_.get(); }
  // The initial contents of a slot (the CPU reference starts from these).
  std::vector<float> Initial(int32_t slot) const {
    return std::vector<float>(host_.begin() + slot * slot_floats_,
                              host_.begin() + (slot + 1) * slot_floats_);
  }
  // Downloads the pool: writes each used slot into *slots (in `used` order) and checks every
  // other slot still holds the poison bit for bit.
  void Check(std::vector<std::vector<float>>* slots) const {
    const std::vector<float> now = device_.Download();
    const int64_t num_slots = static_cast<int64_t>(now.size()) / slot_floats_;
    slots->clear();
    for (int32_t used_slot : used_) {
      slots->emplace_back(now.begin() + used_slot * slot_floats_,
                          now.begin() + (used_slot + 1) * slot_floats_);
    }
    int64_t touched = 0;
    for (int64_t s = 0; s < num_slots; ++s) {
      if (std::find(used_.begin(), used_.end(), s) != used_.end()) continue;
      for (int64_t i = 0; i < slot_floats_; ++i) {
        uint32_t bits;
        std::memcpy(&bits, &now[s * slot_floats_ + i], 4);
        if (bits != 0xFFFFFFFFu) ++touched;
      }
    }
    EXPECT_EQ(touched, 0) << "entries of unused slots were written";
  }

 private:
  int64_t slot_floats_;
  std::vector<int32_t> used_;
  std::vector<float> host_;
  DeviceBuffer<float> device_;
};

// dt as the mixer produces it: softplus of a pre-activation, so positive (about 0.007 .. 1.0).
inline std::vector<float> RandomDt(size_t n, uint32_t seed) {
  std::vector<float> dt = RandomFloats(n, seed, -5.0f, 0.5f);
  for (float& v : dt) v = std::log1p(std::exp(v));
  return dt;
}

// A = -exp(A_log): negative, in [-hi, -lo].
inline std::vector<float> RandomNegativeA(size_t n, uint32_t seed, float lo = 0.5f,
                                          float hi = 8.0f) {
  std::vector<float> a = RandomFloats(n, seed, lo, hi);
  for (float& v : a) v = -v;
  return a;
}

// Rows [row_begin, row_begin + rows) x columns [0, cols) of a strided matrix, packed.
inline std::vector<float> Rows(const std::vector<float>& m, int64_t stride, int64_t row_begin,
                               int64_t rows, int64_t cols) {
  std::vector<float> out(rows * cols);
  for (int64_t r = 0; r < rows; ++r) {
    std::copy_n(m.begin() + (row_begin + r) * stride, cols, out.begin() + r * cols);
  }
  return out;
}

}  // namespace hybridserve::testing

#endif  // HYBRIDSERVE_TESTS_CUDA_KERNELS_SSM_TEST_UTIL_H_
