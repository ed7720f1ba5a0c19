#include "engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "engine/sampling/token_rng.h"

namespace hybridserve::engine {
namespace {

constexpr float kMasked = -std::numeric_limits<float>::infinity();

// log_softmax in double for stable reporting.
std::vector<double> LogSoftmax(absl::Span<const float> logits) {
  double max = -std::numeric_limits<double>::infinity();
  for (float v : logits) max = std::max(max, static_cast<double>(v));
  double sum = 0.0;
  for (float v : logits) sum += std::exp(static_cast<double>(v) - max);
  const double log_sum = max + std::log(sum);
  std::vector<double> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = static_cast<double>(logits[i]) - log_sum;
  return out;
}

void ApplyPenalties(const SamplerInput& in, const SamplingParams& p, std::vector<float>* logits) {
  const int64_t V = static_cast<int64_t>(logits->size());
  if (p.repetition_penalty != 1.0f) {
    std::vector<bool> seen(static_cast<size_t>(V), false);
    for (int32_t t : in.prompt_tokens) seen[t] = true;
    for (int32_t t : in.output_tokens) seen[t] = true;
    for (int64_t t = 0; t < V; ++t) {
      if (!seen[t]) continue;
      float& v = (*logits)[t];
      v = v > 0.0f ? v / p.repetition_penalty : v * p.repetition_penalty;
    }
  }
  if (p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f) {
    absl::flat_hash_map<int32_t, int64_t> counts;
    for (int32_t t : in.output_tokens) ++counts[t];
    for (const auto& [token, count] : counts) {
      (*logits)[token] -= p.presence_penalty + p.frequency_penalty * static_cast<float>(count);
    }
  }
}

void MaskStops(const SamplerInput& in, const SamplingParams& p, std::vector<float>* logits) {
  if (static_cast<int64_t>(in.output_tokens.size()) >= p.min_tokens) return;
  const int64_t V = static_cast<int64_t>(logits->size());
  for (int32_t t : p.stop_token_ids) (*logits)[t] = kMasked;
  if (!p.ignore_eos) {
    for (int64_t t : in.eos_token_ids) {
      if (t >= 0 && t < V) (*logits)[t] = kMasked;
    }
  }
}

int32_t ArgMaxOf(const std::vector<float>& values) {
  return static_cast<int32_t>(std::max_element(values.begin(), values.end()) - values.begin());
}

// Temperature, top-k, top-p and min-p, then an inverse-CDF draw with uniform u.
int32_t Draw(const std::vector<float>& logits, const SamplingParams& p, double u) {
  const int64_t V = static_cast<int64_t>(logits.size());
  std::vector<int32_t> order(static_cast<size_t>(V));
  std::iota(order.begin(), order.end(), 0);
  // Most likely first; ties by token id so the order never depends on the sort's internals.
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  });
  int64_t keep = V;
  while (keep > 1 && logits[order[keep - 1]] == kMasked) --keep;
  if (p.top_k > 0) keep = std::min<int64_t>(keep, p.top_k);
  const double inv_t = 1.0 / static_cast<double>(p.temperature);
  const double top = static_cast<double>(logits[order[0]]);
  std::vector<double> probs(static_cast<size_t>(keep));
  double sum = 0.0;
  for (int64_t i = 0; i < keep; ++i) {
    probs[i] = std::exp((static_cast<double>(logits[order[i]]) - top) * inv_t);
    sum += probs[i];
  }
  for (double& q : probs) q /= sum;
  if (p.min_p > 0.0f) {
    const double floor = static_cast<double>(p.min_p) * probs[0];
    int64_t k = 1;
    while (k < keep && probs[k] >= floor) ++k;
    keep = k;
  }
  if (p.top_p < 1.0f) {
    double cumulative = 0.0;
    int64_t k = 0;
    while (k < keep) {
      cumulative += probs[k];
      ++k;
      if (cumulative >= static_cast<double>(p.top_p)) break;
    }
    keep = k;
  }
  double total = 0.0;
  for (int64_t i = 0; i < keep; ++i) total += probs[i];
  const double target = u * total;
  double cumulative = 0.0;
  for (int64_t i = 0; i < keep; ++i) {
    cumulative += probs[i];
    if (target < cumulative) return order[i];
  }
  return order[keep - 1];
}

}  // namespace

SampledToken SampleToken(const SamplerInput& in, const SamplingParams& p) {
  std::vector<float> logits(in.logits.begin(), in.logits.end());
  ApplyPenalties(in, p, &logits);
  MaskStops(in, p, &logits);
  SampledToken out;
  if (p.greedy()) {
    out.token = ArgMaxOf(logits);
  } else {
    const int64_t index = static_cast<int64_t>(in.output_tokens.size());
    out.token = Draw(logits, p, TokenUniform(in.seed, index));
  }
  out.logprobs.token = out.token;
  if (p.logprobs > 0) {
    const std::vector<double> logprobs = LogSoftmax(in.logits);
    out.logprobs.logprob = static_cast<float>(logprobs[out.token]);
    std::vector<int32_t> order(logprobs.size());
    std::iota(order.begin(), order.end(), 0);
    const size_t n = std::min(order.size(), static_cast<size_t>(p.logprobs));
    std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](int32_t a, int32_t b) {
      return logprobs[a] != logprobs[b] ? logprobs[a] > logprobs[b] : a < b;
    });
    for (size_t i = 0; i < n; ++i) {
      out.logprobs.top.emplace_back(order[i], static_cast<float>(logprobs[order[i]]));
    }
  }
  return out;
}

}  // namespace hybridserve::engine
