// Why: the mixture-of-experts layers pick top_k experts per token and a gate weight for each;
// the three families that have MoE pick and weigh differently.
// How: per token, with ties broken toward the lower expert id (torch.topk on CPU):
//   kTopkThenSoftmax   (GraniteMoeHybrid): top_k logits, softmax over those k.
//   kSoftmaxThenTopk   (Jamba): fp32 softmax over all experts, top_k of the probabilities.
//   kSigmoidGroupedTopk (Nemotron-H): scores = sigmoid(logits); choice = scores + bias; each
//     group scores the sum of its two best choices; only experts of the top_groups best groups
//     may be chosen; top_k by choice; weights are the scores without the bias, divided by
//     (sum + 1e-20) when normalize, then times scaling.
// Experts are written in descending order of the value they were chosen by.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "base/check.h"
#include "kernels/cpu/ops.h"
#include "kernels/cpu/scalar_math.h"

namespace hybridserve::kernels::cpu {

namespace {

// Indices of the k largest values, largest first, ties toward the lower index.
void TopK(const float* values, int64_t n, int64_t k, std::vector<int32_t>& indices) {
  indices.resize(n);
  std::iota(indices.begin(), indices.end(), 0);
  std::partial_sort(indices.begin(), indices.begin() + k, indices.end(),
                    [values](int32_t a, int32_t b) {
                      return values[a] > values[b] || (values[a] == values[b] && a < b);
                    });
  indices.resize(k);
}

// In place fp32 softmax with the maximum subtracted.
void Softmax(float* v, int64_t n) {
  float max_value = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max_value = std::max(max_value, v[i]);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    v[i] = std::exp(v[i] - max_value);
    sum += v[i];
  }
  for (int64_t i = 0; i < n; ++i) v[i] = v[i] / sum;
}

}  // namespace

void RouteTokens(const RouterParams& params, const float* logits, int64_t num_tokens,
                 int32_t* experts, float* weights) {
  const int64_t E = params.num_experts;
  const int64_t k = params.top_k;
  HS_CHECK(k > 0 && k <= E);
  std::vector<int32_t> chosen;
  std::vector<float> values(E);
  std::vector<float> scores(E);

  for (int64_t t = 0; t < num_tokens; ++t) {
    const float* row = logits + t * E;
    int32_t* experts_row = experts + t * k;
    float* weights_row = weights + t * k;

    switch (params.kind) {
      case Router::kTopkThenSoftmax: {
        TopK(row, E, k, chosen);
        for (int64_t j = 0; j < k; ++j) weights_row[j] = row[chosen[j]];
        Softmax(weights_row, k);
        break;
      }
      case Router::kSoftmaxThenTopk: {
        std::copy(row, row + E, values.begin());
        Softmax(values.data(), E);
        TopK(values.data(), E, k, chosen);
        for (int64_t j = 0; j < k; ++j) weights_row[j] = values[chosen[j]];
        break;
      }
      case Router::kSigmoidGroupedTopk: {
        const int64_t num_groups = params.num_groups;
        HS_CHECK(num_groups > 0 && E % num_groups == 0);
        HS_CHECK(params.top_groups > 0 && params.top_groups <= num_groups);
        const int64_t group_size = E / num_groups;
        for (int64_t e = 0; e < E; ++e) {
          scores[e] = Sigmoid(row[e]);
          values[e] =
              params.correction_bias != nullptr ? scores[e] + params.correction_bias[e] : scores[e];
        }
        if (params.top_groups < num_groups) {
          std::vector<float> group_scores(num_groups);
          std::vector<int32_t> best;
          for (int64_t g = 0; g < num_groups; ++g) {
            const float* group_values = values.data() + g * group_size;
            const int64_t top = std::min<int64_t>(2, group_size);
            TopK(group_values, group_size, top, best);
            float sum = 0.0f;
            for (int32_t b : best) sum += group_values[b];
            group_scores[g] = sum;
          }
          std::vector<int32_t> kept_groups;
          TopK(group_scores.data(), num_groups, params.top_groups, kept_groups);
          std::vector<bool> kept(num_groups, false);
          for (int32_t g : kept_groups) kept[g] = true;
          for (int64_t e = 0; e < E; ++e) {
            if (!kept[e / group_size]) values[e] = -std::numeric_limits<float>::infinity();
          }
        }
        TopK(values.data(), E, k, chosen);
        float sum = 0.0f;
        for (int64_t j = 0; j < k; ++j) {
          weights_row[j] = scores[chosen[j]];
          sum += weights_row[j];
        }
        if (params.normalize) {
          const float denominator = sum + 1e-20f;
          for (int64_t j = 0; j < k; ++j) weights_row[j] = weights_row[j] / denominator;
        }
        for (int64_t j = 0; j < k; ++j) weights_row[j] = weights_row[j] * params.scaling;
        break;
      }
    }
    for (int64_t j = 0; j < k; ++j) experts_row[j] = chosen[j];
  }
}

}  // namespace hybridserve::kernels::cpu
