// What the GPU model tests share: the checkpoints of tests/golden/data and the logit error
// measure of the reference comparisons.
#ifndef HYBRIDSERVE_TESTS_CUDA_ENGINE_GOLDEN_FAMILIES_H_
#define HYBRIDSERVE_TESTS_CUDA_ENGINE_GOLDEN_FAMILIES_H_

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace hybridserve::engine::testing {

inline const std::filesystem::path& GoldenData() {
  static const std::filesystem::path dir =
      std::filesystem::path(HS_TEST_DATA_DIR) / "golden" / "data";
  return dir;
}

// Every checkpoint directory with transformers reference data, sorted.
inline std::vector<std::string> GoldenFamilies() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(GoldenData())) {
    if (std::filesystem::exists(entry.path() / "reference.json")) {
      out.push_back(entry.path().filename());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// max(1, max |logit|) of a row: the scale errors are measured against.
inline double RowScale(const std::vector<float>& row) {
  double scale = 1.0;
  for (float v : row) scale = std::max(scale, std::fabs(static_cast<double>(v)));
  return scale;
}

// Largest |actual - expected| of a row over its scale; infinite for a non-finite value.
inline double MaxRowError(const std::vector<float>& actual, const std::vector<float>& expected) {
  double err = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!std::isfinite(actual[i])) return INFINITY;
    err = std::max(err, std::fabs(static_cast<double>(actual[i]) - expected[i]));
  }
  return err / RowScale(expected);
}

}  // namespace hybridserve::engine::testing

#endif  // HYBRIDSERVE_TESTS_CUDA_ENGINE_GOLDEN_FAMILIES_H_
