// RouteTokens against cpu::RouteTokens: the same expert ids in the same order, gate weights
// within 1e-6. Random rows are drawn so that no decision is closer than 1e-5 (CUDA's expf is a
// few ulp from libm's, so a closer call could legitimately flip); exact ties are tested
// separately with values both sides compute bit-identically, where the lower id must win.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/ops.h"
#include "kernels/cuda/ops.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/cuda/kernels/op_test_util.h"

namespace hybridserve::kernels::cuda {
namespace {

using testing::DeviceBuffer;

constexpr double kMinMargin = 1e-5;

// Smallest gap between any two of values (sorted neighbours).
double MinGap(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  double gap = INFINITY;
  for (size_t i = 1; i < values.size(); ++i) gap = std::min(gap, values[i] - values[i - 1]);
  return gap;
}

// Whether a row of logits leaves every comparison the router makes at least kMinMargin apart
// (in exact arithmetic): the values experts are ranked by and, for the grouped router, the
// group scores.
bool WellSeparated(const cpu::RouterParams& p, const std::vector<float>& bias, const float* row) {
  const int64_t E = p.num_experts;
  std::vector<double> values(E);
  switch (p.kind) {
    case cpu::Router::kTopkThenSoftmax:
      return true;  // ranks the logits themselves: both sides compare the same floats
    case cpu::Router::kSoftmaxThenTopk:
      // Probabilities are monotone in the logits; a relative gap of 1e-5 survives rounding.
      for (int64_t e = 0; e < E; ++e) values[e] = row[e];
      return MinGap(values) > kMinMargin;
    case cpu::Router::kSigmoidGroupedTopk: {
      for (int64_t e = 0; e < E; ++e) {
        values[e] = 1.0 / (1.0 + std::exp(-static_cast<double>(row[e])));
        if (!bias.empty()) values[e] += bias[e];
      }
      if (MinGap(values) <= kMinMargin) return false;
      if (p.top_groups == p.num_groups) return true;
      const int64_t group_size = E / p.num_groups;
      std::vector<double> group_scores(p.num_groups);
      for (int64_t g = 0; g < p.num_groups; ++g) {
        std::vector<double> group(values.begin() + g * group_size,
                                  values.begin() + (g + 1) * group_size);
        std::sort(group.rbegin(), group.rend());
        group_scores[g] = group[0] + (group_size > 1 ? group[1] : 0.0);
      }
      return MinGap(group_scores) > kMinMargin;
    }
  }
  return false;
}

struct RouterCase {
  const char* name;
  cpu::Router kind;
  int64_t num_experts;
  int64_t top_k;
  int64_t num_groups;
  int64_t top_groups;
  bool with_bias;
  bool normalize;
  float scaling;
};

void ExpectSameRouting(const cpu::RouterParams& params, const std::vector<float>& bias,
                       const std::vector<float>& logits, int64_t T, const char* name) {
  const int64_t k = params.top_k;
  std::vector<int32_t> want_experts(T * k);
  std::vector<float> want_weights(T * k);
  cpu::RouterParams cpu_params = params;
  cpu_params.correction_bias = bias.empty() ? nullptr : bias.data();
  cpu::RouteTokens(cpu_params, logits.data(), T, want_experts.data(), want_weights.data());

  DeviceBuffer<float> logits_d(logits);
  DeviceBuffer<float> bias_d(bias);
  DeviceBuffer<int32_t> experts_d(T * k);
  DeviceBuffer<float> weights_d(T * k);
  cpu::RouterParams gpu_params = params;
  gpu_params.correction_bias = bias.empty() ? nullptr : bias_d.get();
  RouteTokens(gpu_params, logits_d.get(), T, experts_d.get(), weights_d.get(), nullptr);
  const std::vector<int32_t> got_experts = experts_d.Download();
  const std::vector<float> got_weights = weights_d.Download();

  int64_t wrong_experts = 0;
  double weight_error = 0.0;
  for (int64_t i = 0; i < T * k; ++i) {
    wrong_experts += got_experts[i] != want_experts[i];
    const double scale = std::max(1.0, std::fabs(static_cast<double>(want_weights[i])));
    const double err = std::isfinite(got_weights[i])
                           ? std::fabs(static_cast<double>(got_weights[i]) - want_weights[i])
                           : INFINITY;
    weight_error = std::max(weight_error, err / scale);
  }
  EXPECT_EQ(wrong_experts, 0) << name << " T=" << T;
  EXPECT_LE(weight_error, 1e-6) << name << " T=" << T;
}

class RouterTest : public ::testing::TestWithParam<RouterCase> {};

TEST_P(RouterTest, MatchesCpuOnRandomLogits) {
  const RouterCase& c = GetParam();
  cpu::RouterParams params;
  params.kind = c.kind;
  params.num_experts = c.num_experts;
  params.top_k = c.top_k;
  params.num_groups = c.num_groups;
  params.top_groups = c.top_groups;
  params.normalize = c.normalize;
  params.scaling = c.scaling;
  const int64_t E = c.num_experts;
  const std::vector<float> bias =
      c.with_bias ? testing::RandomFloats(E, 111, -0.05f, 0.05f) : std::vector<float>{};
  for (int64_t T : {1, 7, 300}) {
    std::mt19937 rng(112 + static_cast<uint32_t>(T));
    std::uniform_real_distribution<float> logit(-4.0f, 4.0f);
    std::vector<float> logits(T * E);
    for (int64_t t = 0; t < T; ++t) {
      float* row = logits.data() + t * E;
      do {
        for (int64_t e = 0; e < E; ++e) row[e] = logit(rng);
      } while (!WellSeparated(params, bias, row));
    }
    ExpectSameRouting(params, bias, logits, T, c.name);
  }
}

TEST_P(RouterTest, TiesGoToTheLowerExpertId) {
  // Logits from a handful of levels: many exact ties. Equal logits give bit-identical values on
  // each side; different levels are far apart. For the grouped router every group is a copy of
  // the same pattern (and no bias), so groups tie exactly too.
  const RouterCase& c = GetParam();
  cpu::RouterParams params;
  params.kind = c.kind;
  params.num_experts = c.num_experts;
  params.top_k = c.top_k;
  params.num_groups = c.num_groups;
  params.top_groups = c.top_groups;
  params.normalize = c.normalize;
  params.scaling = c.scaling;
  const int64_t E = c.num_experts, T = 300;
  const int64_t period = c.kind == cpu::Router::kSigmoidGroupedTopk ? E / c.num_groups : E;
  std::mt19937 rng(121);
  std::uniform_int_distribution<int> level(-4, 4);
  std::vector<float> logits(T * E);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t e = 0; e < period; ++e) logits[t * E + e] = 0.5f * static_cast<float>(level(rng));
    for (int64_t e = period; e < E; ++e) logits[t * E + e] = logits[t * E + e % period];
  }
  ExpectSameRouting(params, {}, logits, T, c.name);
}

constexpr auto kTopkThenSoftmax = cpu::Router::kTopkThenSoftmax;
constexpr auto kSoftmaxThenTopk = cpu::Router::kSoftmaxThenTopk;
constexpr auto kSigmoidGroupedTopk = cpu::Router::kSigmoidGroupedTopk;

INSTANTIATE_TEST_SUITE_P(
    Routers, RouterTest,
    ::testing::Values(
        // GraniteMoeHybrid (Granite-4.0-H-Tiny): 64 experts, top 6, softmax over the chosen.
        RouterCase{"granite", kTopkThenSoftmax, 64, 6, 1, 1, false, true, 1.0f},
        // Jamba-mini: 16 experts, top 2 of the full softmax.
        RouterCase{"jamba", kSoftmaxThenTopk, 16, 2, 1, 1, false, true, 1.0f},
        // DeepSeek-V3-style grouped routing: 128 experts in 8 groups, 4 groups kept, top 8.
        RouterCase{"grouped", kSigmoidGroupedTopk, 128, 8, 8, 4, true, true, 2.5f},
        // Nemotron-H: one group, correction bias, normalised, scaled.
        RouterCase{"nemotron_h", kSigmoidGroupedTopk, 128, 6, 1, 1, true, true, 2.5f},
        // Without bias or normalisation.
        RouterCase{"sigmoid_plain", kSigmoidGroupedTopk, 64, 4, 4, 2, false, false, 1.0f},
        // The limits of the CUDA op: 512 experts, top 16; 512 experts in 64 groups.
        RouterCase{"wide_softmax", kSoftmaxThenTopk, 512, 16, 1, 1, false, true, 1.0f},
        RouterCase{"wide_grouped", kSigmoidGroupedTopk, 512, 16, 64, 5, true, true, 1.0f}),
    [](const ::testing::TestParamInfo<RouterCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace hybridserve::kernels::cuda
