#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/ops.h"
#include "tests/kernels/cpu/test_tensors.h"

namespace hybridserve::kernels::cpu {
namespace {

using testing::RandomVector;

// Random logits whose values are all distinct (so top-k is unambiguous).
std::vector<float> DistinctLogits(int64_t n, std::mt19937& rng, float lo, float hi) {
  while (true) {
    auto v = RandomVector(n, rng, lo, hi);
    std::set<float> unique(v.begin(), v.end());
    if (static_cast<int64_t>(unique.size()) == n) return v;
  }
}

// Indices of the k largest (by full sort, descending), in double.
std::vector<int32_t> SortedTopK(const std::vector<double>& v, int64_t k) {
  std::vector<int32_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return v[a] > v[b]; });
  idx.resize(k);
  return idx;
}

struct Routed {
  std::vector<int32_t> experts;
  std::vector<float> weights;
};

Routed Route(const RouterParams& params, const std::vector<float>& logits, int64_t num_tokens) {
  Routed r{std::vector<int32_t>(num_tokens * params.top_k),
           std::vector<float>(num_tokens * params.top_k)};
  RouteTokens(params, logits.data(), num_tokens, r.experts.data(), r.weights.data());
  return r;
}

TEST(RouteTokensTest, TopkThenSoftmax) {
  std::mt19937 rng(60);
  const int64_t E = 40, k = 8, T = 5;
  const auto logits = DistinctLogits(T * E, rng, -3.0f, 3.0f);
  RouterParams params;
  params.kind = Router::kTopkThenSoftmax;
  params.num_experts = E;
  params.top_k = k;
  const Routed r = Route(params, logits, T);
  for (int64_t t = 0; t < T; ++t) {
    const std::vector<double> row(logits.begin() + t * E, logits.begin() + (t + 1) * E);
    const auto want = SortedTopK(row, k);
    double sum = 0.0;
    for (int32_t e : want) sum += std::exp(row[e]);
    for (int64_t j = 0; j < k; ++j) {
      EXPECT_EQ(r.experts[t * k + j], want[j]);
      EXPECT_NEAR(r.weights[t * k + j], std::exp(row[want[j]]) / sum, 1e-6);
    }
  }
}

TEST(RouteTokensTest, SoftmaxThenTopkWithoutRenormalisation) {
  std::mt19937 rng(61);
  const int64_t E = 16, k = 2, T = 4;
  const auto logits = DistinctLogits(T * E, rng, -3.0f, 3.0f);
  RouterParams params;
  params.kind = Router::kSoftmaxThenTopk;
  params.num_experts = E;
  params.top_k = k;
  const Routed r = Route(params, logits, T);
  for (int64_t t = 0; t < T; ++t) {
    const std::vector<double> row(logits.begin() + t * E, logits.begin() + (t + 1) * E);
    double sum = 0.0;
    for (double x : row) sum += std::exp(x);
    const auto want = SortedTopK(row, k);
    double total = 0.0;
    for (int64_t j = 0; j < k; ++j) {
      EXPECT_EQ(r.experts[t * k + j], want[j]);
      EXPECT_NEAR(r.weights[t * k + j], std::exp(row[want[j]]) / sum, 1e-6);
      total += r.weights[t * k + j];
    }
    EXPECT_LT(total, 0.99);  // the chosen probabilities are not renormalised
  }
}

TEST(RouteTokensTest, TiesBreakTowardLowerExpertId) {
  const std::vector<float> logits = {1.0f, 2.0f, 2.0f, 0.0f, 2.0f};
  RouterParams params;
  params.kind = Router::kTopkThenSoftmax;
  params.num_experts = 5;
  params.top_k = 2;
  const Routed r = Route(params, logits, 1);
  EXPECT_EQ(r.experts, (std::vector<int32_t>{1, 2}));
  EXPECT_FLOAT_EQ(r.weights[0], 0.5f);
}

// The DeepSeek-V3 style reference, in double.
void SigmoidGroupedRef(const RouterParams& p, const std::vector<float>& logits, int64_t t,
                       std::set<int32_t>* experts, std::vector<double>* weight_of) {
  const int64_t E = p.num_experts, group_size = E / p.num_groups;
  std::vector<double> score(E), choice(E);
  for (int64_t e = 0; e < E; ++e) {
    score[e] = 1.0 / (1.0 + std::exp(-double{logits[t * E + e]}));
    choice[e] = score[e] + (p.correction_bias ? p.correction_bias[e] : 0.0);
  }
  std::vector<double> group_score(p.num_groups);
  for (int64_t g = 0; g < p.num_groups; ++g) {
    std::vector<double> members(choice.begin() + g * group_size,
                                choice.begin() + (g + 1) * group_size);
    std::sort(members.rbegin(), members.rend());
    group_score[g] = members[0] + members[1];
  }
  const auto kept = SortedTopK(group_score, p.top_groups);
  std::vector<double> masked(E, -INFINITY);
  for (int32_t g : kept) {
    for (int64_t e = g * group_size; e < (g + 1) * group_size; ++e) masked[e] = choice[e];
  }
  const auto chosen = SortedTopK(masked, p.top_k);
  double sum = 0.0;
  for (int32_t e : chosen) sum += score[e];
  weight_of->assign(E, 0.0);
  for (int32_t e : chosen) {
    experts->insert(e);
    (*weight_of)[e] = (p.normalize ? score[e] / (sum + 1e-20) : score[e]) * p.scaling;
  }
}

TEST(RouteTokensTest, SigmoidGroupedTopk) {
  std::mt19937 rng(62);
  const int64_t E = 32, T = 6;
  const auto bias = RandomVector(E, rng, -0.5f, 0.5f);
  struct Case {
    int64_t groups, top_groups, k;
    bool normalize, use_bias;
    float scaling;
  };
  for (const Case& c : {Case{4, 2, 6, true, true, 2.5f}, Case{8, 3, 4, false, true, 1.0f},
                        Case{1, 1, 6, true, false, 1.0f}, Case{4, 4, 3, true, true, 1.5f}}) {
    RouterParams params;
    params.kind = Router::kSigmoidGroupedTopk;
    params.num_experts = E;
    params.top_k = c.k;
    params.correction_bias = c.use_bias ? bias.data() : nullptr;
    params.num_groups = c.groups;
    params.top_groups = c.top_groups;
    params.normalize = c.normalize;
    params.scaling = c.scaling;
    const auto logits = DistinctLogits(T * E, rng, -4.0f, 4.0f);
    const Routed r = Route(params, logits, T);
    for (int64_t t = 0; t < T; ++t) {
      std::set<int32_t> want;
      std::vector<double> weight_of;
      SigmoidGroupedRef(params, logits, t, &want, &weight_of);
      const std::set<int32_t> got(r.experts.begin() + t * c.k, r.experts.begin() + (t + 1) * c.k);
      EXPECT_EQ(got, want) << "groups " << c.groups << " token " << t;
      for (int64_t j = 0; j < c.k; ++j) {
        const int32_t e = r.experts[t * c.k + j];
        EXPECT_NEAR(r.weights[t * c.k + j], weight_of[e], 2e-6 * c.scaling) << "expert " << e;
      }
    }
  }
}

TEST(RouteTokensTest, SigmoidGroupedWeightsExcludeTheBias) {
  // A large bias on expert 3 forces its choice, but its weight is still its plain sigmoid.
  const std::vector<float> logits = {2.0f, 1.0f, 0.5f, -3.0f};
  const std::vector<float> bias = {0.0f, 0.0f, 0.0f, 10.0f};
  RouterParams params;
  params.kind = Router::kSigmoidGroupedTopk;
  params.num_experts = 4;
  params.top_k = 2;
  params.correction_bias = bias.data();
  params.normalize = false;
  const Routed r = Route(params, logits, 1);
  EXPECT_EQ(r.experts, (std::vector<int32_t>{3, 0}));
  EXPECT_NEAR(r.weights[0], 1.0 / (1.0 + std::exp(3.0)), 1e-7);
  EXPECT_NEAR(r.weights[1], 1.0 / (1.0 + std::exp(-2.0)), 1e-7);
}

}  // namespace
}  // namespace hybridserve::kernels::cpu
