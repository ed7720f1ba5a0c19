#include "engine/cuda/device_weights.h"

#include <cmath>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "engine/cuda/step_kernels.h"
#include "engine/model/tensor_refs.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {
namespace {

namespace kc = kernels::cuda;

std::string RefKey(const TensorRef& ref) {
  return absl::StrCat(ref.name, "@", ref.offset_elements);
}

// The value range of a random tensor, from where it sits in the spec.
struct Range {
  float lo, hi;
};
Range RandomRange(std::string_view path_view, const TensorRef& ref) {
  const absl::string_view path(path_view.data(), path_view.size());
  if (absl::EndsWith(path, ".a_log")) return {0.0f, 2.7f};      // A in [-15, -1]
  if (absl::EndsWith(path, ".dt_bias")) return {-6.0f, -2.0f};  // softplus in ~[2e-3, 0.13]
  if (absl::EndsWith(path, ".d_skip")) return {0.5f, 1.5f};
  if (absl::EndsWith(path, ".bias")) return {-0.02f, 0.02f};
  if (absl::StrContains(path, "norm")) return {0.9f, 1.1f};
  if (absl::EndsWith(path, ".conv_weight")) return {-0.5f, 0.5f};
  if (absl::StrContains(path, "correction_bias")) return {-0.1f, 0.1f};
  const float fan_in = ref.shape.empty() ? 1.0f : static_cast<float>(ref.shape.back());
  const float a = std::sqrt(3.0f / fan_in);
  return {-a, a};
}

}  // namespace

DeviceWeights::~DeviceWeights() {
  for (void* p : allocations_) cudaFree(p);
}

absl::StatusOr<void*> DeviceWeights::Allocate(int64_t bytes) {
  void* p = nullptr;
  const cudaError_t error = cudaMalloc(&p, static_cast<size_t>(std::max<int64_t>(bytes, 1)));
  if (error != cudaSuccess) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", bytes, " bytes of GPU memory for weights (", bytes_,
                     " allocated so far): ", cudaGetErrorString(error),
                     "; use a smaller model or --dtype bf16"));
  }
  allocations_.push_back(p);
  bytes_ += bytes;
  return p;
}

absl::StatusOr<std::unique_ptr<DeviceWeights>> DeviceWeights::Upload(const ModelSpec& spec,
                                                                     const HostWeights& host,
                                                                     kc::DType storage) {
  auto weights = std::unique_ptr<DeviceWeights>(new DeviceWeights(storage));
  absl::flat_hash_map<const float*, Entry> by_data;  // coinciding views share one upload
  absl::Status status;
  std::vector<float> f32_staging;
  ForEachTensorRef(spec, [&](std::string_view, const TensorRef& ref) {
    if (!status.ok() || !ref.present()) return;
    const std::string key = RefKey(ref);
    if (weights->by_ref_.contains(key)) return;
    const float* data = host.Get(ref);
    HS_CHECK(data != nullptr);
    const int64_t n = NumElements(ref.shape);
    if (auto it = by_data.find(data); it != by_data.end()) {
      weights->by_ref_[key] = it->second;
      return;
    }
    Entry entry;
    absl::StatusOr<void*> f32 = weights->Allocate(n * 4);
    if (!f32.ok()) {
      status = f32.status();
      return;
    }
    HS_CUDA_CHECK(cudaMemcpy(*f32, data, n * 4, cudaMemcpyHostToDevice));
    entry.f32 = static_cast<float*>(*f32);
    if (storage == kc::DType::kF32) {
      entry.storage = entry.f32;
    } else {
      absl::StatusOr<void*> converted = weights->Allocate(n * kc::DTypeBytes(storage));
      if (!converted.ok()) {
        status = converted.status();
        return;
      }
      kc::FromFloat(storage, entry.f32, n, *converted, nullptr);
      entry.storage = *converted;
      if (n >= kSmallElements) {
        // Large tensors keep only the storage copy.
        HS_CUDA_CHECK(cudaDeviceSynchronize());
        HS_CUDA_CHECK(cudaFree(entry.f32));
        std::erase(weights->allocations_, static_cast<void*>(entry.f32));
        weights->bytes_ -= n * 4;
        entry.f32 = nullptr;
      }
    }
    by_data[data] = entry;
    weights->by_ref_[key] = entry;
  });
  HS_RETURN_IF_ERROR(status);
  HS_CUDA_CHECK(cudaDeviceSynchronize());
  return weights;
}

absl::StatusOr<std::unique_ptr<DeviceWeights>> DeviceWeights::Random(const ModelSpec& spec,
                                                                     kc::DType storage,
                                                                     uint64_t seed) {
  auto weights = std::unique_ptr<DeviceWeights>(new DeviceWeights(storage));
  absl::Status status;
  uint64_t index = 0;
  ForEachTensorRef(spec, [&](std::string_view path, const TensorRef& ref) {
    if (!status.ok() || !ref.present()) return;
    const std::string key = RefKey(ref);
    if (weights->by_ref_.contains(key)) return;
    const int64_t n = NumElements(ref.shape);
    const Range range = RandomRange(path, ref);
    const uint64_t tensor_seed = seed * 1000003u + (++index);
    Entry entry;
    absl::StatusOr<void*> data = weights->Allocate(n * kc::DTypeBytes(storage));
    if (!data.ok()) {
      status = data.status();
      return;
    }
    FillUniform(storage, *data, n, range.lo, range.hi, tensor_seed, nullptr);
    entry.storage = *data;
    if (storage == kc::DType::kF32) {
      entry.f32 = static_cast<float*>(entry.storage);
    } else if (n < kSmallElements) {
      absl::StatusOr<void*> f32 = weights->Allocate(n * 4);
      if (!f32.ok()) {
        status = f32.status();
        return;
      }
      FillUniform(kc::DType::kF32, *f32, n, range.lo, range.hi, tensor_seed, nullptr);
      entry.f32 = static_cast<float*>(*f32);
    }
    weights->by_ref_[key] = entry;
  });
  HS_RETURN_IF_ERROR(status);
  HS_CUDA_CHECK(cudaDeviceSynchronize());
  return weights;
}

const DeviceWeights::Entry& DeviceWeights::Find(const TensorRef& ref) const {
  auto it = by_ref_.find(RefKey(ref));
  HS_CHECK_MSG(it != by_ref_.end(), ref.name.c_str());
  return it->second;
}

void DeviceWeights::ScaleRows(const TensorRef& ref, int64_t row_begin, int64_t row_end,
                              float factor) {
  if (!ref.present() || factor == 1.0f) return;
  const Entry& entry = Find(ref);
  const int64_t cols = ref.shape.size() >= 2 ? ref.shape.back() : 1;
  HS_CHECK(row_begin >= 0 && row_end >= row_begin && row_end * cols <= NumElements(ref.shape));
  ScaleElements(dtype_, entry.storage, row_begin * cols, row_end * cols, factor, nullptr);
  if (entry.f32 != nullptr && entry.f32 != entry.storage) {
    ScaleElements(kc::DType::kF32, entry.f32, row_begin * cols, row_end * cols, factor, nullptr);
  }
}

const void* DeviceWeights::Get(const TensorRef& ref) const {
  if (!ref.present()) return nullptr;
  return Find(ref).storage;
}

const float* DeviceWeights::GetF32(const TensorRef& ref) const {
  if (!ref.present()) return nullptr;
  const Entry& entry = Find(ref);
  HS_CHECK_MSG(entry.f32 != nullptr, ref.name.c_str());
  return entry.f32;
}

}  // namespace hybridserve::engine
