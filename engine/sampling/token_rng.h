// Counter-based randomness for sampling: the uniform number used to draw output token i of a
// request depends only on (seed, i). A request's draws therefore do not depend on the batch it
// runs in, on how many steps it took, or on a preemption and recompute in between.
#ifndef HYBRIDSERVE_ENGINE_SAMPLING_TOKEN_RNG_H_
#define HYBRIDSERVE_ENGINE_SAMPLING_TOKEN_RNG_H_

#include <cstdint>

namespace hybridserve::engine {

// A uniform double in [0, 1) for output token index of the stream seed.
double TokenUniform(uint64_t seed, int64_t index);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_SAMPLING_TOKEN_RNG_H_
