// Checks one step's chunks against a model and its caches before any backend touches memory:
// token ids inside the vocabulary, decode steps of exactly one token after earlier ones, SSM
// slots and KV blocks inside the caches, block tables long enough for the positions.
#ifndef HYBRIDSERVE_ENGINE_MODEL_CHUNK_VALIDATION_H_
#define HYBRIDSERVE_ENGINE_MODEL_CHUNK_VALIDATION_H_

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/model/model_cache.h"
#include "engine/model/model_spec.h"
#include "engine/model/step_context.h"

namespace hybridserve::engine {

// InvalidArgument naming the offending value, or OK.
absl::Status ValidateChunks(const ModelSpec& spec, absl::Span<const SequenceChunk> chunks,
                            const ModelCache& cache);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_CHUNK_VALIDATION_H_
