#include "engine/sampling/token_rng.h"

namespace hybridserve::engine {
namespace {

// SplitMix64 finalizer: a bijective mix with good avalanche.
uint64_t Mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

double TokenUniform(uint64_t seed, int64_t index) {
  const uint64_t bits = Mix(Mix(seed) ^ Mix(static_cast<uint64_t>(index) + 0x632be59bd9b4e019ULL));
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);  // 53 bits / 2^53
}

}  // namespace hybridserve::engine
