#include "engine/model/random_checkpoint.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "engine/model/families/family_registry.h"
#include "engine/model/tensor_refs.h"
#include "engine/weights/safetensors_writer.h"

namespace hybridserve::engine {
namespace {

// Fills one stored tensor according to what its name says it is.
void Fill(const std::string& name, std::vector<float>* values, std::mt19937_64* rng,
          float matrix_std) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  const auto ends_with = [&](const char* suffix) { return absl::EndsWith(name, suffix); };
  for (float& v : *values) {
    if (ends_with("A_log")) {
      v = std::log(1.0f + 15.0f * uniform(*rng));
    } else if (ends_with("dt_bias") || ends_with("dt_proj.bias")) {
      const float dt =
          std::exp(std::log(1e-3f) + uniform(*rng) * (std::log(1e-1f) - std::log(1e-3f)));
      v = dt + std::log(-std::expm1(-dt));  // inverse softplus
    } else if (ends_with(".D")) {
      v = 1.0f + 0.1f * normal(*rng);
    } else if (absl::StrContains(name, "norm") || absl::StrContains(name, "layernorm")) {
      v = 1.0f + 0.05f * normal(*rng);
    } else if (ends_with("bias")) {
      v = 0.02f * normal(*rng);
    } else {
      v = matrix_std * normal(*rng);
    }
  }
}

}  // namespace

absl::Status WriteRandomCheckpoint(const nlohmann::json& config, const std::string& dir,
                                   const RandomCheckpointOptions& options) {
  HS_ASSIGN_OR_RETURN(ModelSpec spec, BuildModelSpec(config));
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::InternalError(absl::StrCat(dir, ": cannot create directory: ", error.message()));
  }
  {
    std::ofstream out(dir + "/config.json");
    out << config.dump(2) << "\n";
    if (!out) return absl::InternalError(absl::StrCat(dir, "/config.json: write failed"));
  }
  // One stored tensor per name, in first-use order.
  std::map<std::string, std::vector<int64_t>> shapes;
  std::vector<std::string> order;
  ForEachTensorRef(spec, [&](std::string_view, const TensorRef& ref) {
    if (!ref.present() || shapes.count(ref.name)) return;
    shapes[ref.name] = StoredShape(ref);
    order.push_back(ref.name);
  });
  std::mt19937_64 rng(options.seed);
  std::vector<std::vector<std::byte>> buffers;
  std::vector<TensorToWrite> tensors;
  buffers.reserve(order.size());
  for (const std::string& name : order) {
    std::vector<float> values(static_cast<size_t>(NumElements(shapes[name])));
    Fill(name, &values, &rng, options.matrix_std);
    std::vector<std::byte> bytes(values.size() * DTypeSize(options.dtype));
    for (size_t i = 0; i < values.size(); ++i) {
      if (options.dtype == DType::kF32) {
        std::memcpy(bytes.data() + 4 * i, &values[i], 4);
      } else {
        const uint16_t half =
            options.dtype == DType::kBF16 ? FloatToBf16(values[i]) : FloatToF16(values[i]);
        std::memcpy(bytes.data() + 2 * i, &half, 2);
      }
    }
    buffers.push_back(std::move(bytes));
    tensors.push_back({name, options.dtype, shapes[name], buffers.back()});
  }
  return WriteSafetensors(dir + "/model.safetensors", tensors, {{"format", "pt"}});
}

}  // namespace hybridserve::engine
