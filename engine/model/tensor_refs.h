// Walks every TensorRef of a ModelSpec (present or not), with a dotted path naming where it sits
// in the spec, e.g. "layers[3].mamba2.in_proj.weight". Used for alias rewriting, parameter
// counting and checkpoint-name checks.
#ifndef HYBRIDSERVE_ENGINE_MODEL_TENSOR_REFS_H_
#define HYBRIDSERVE_ENGINE_MODEL_TENSOR_REFS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/model/model_spec.h"

namespace hybridserve::engine {

using TensorRefVisitor = std::function<void(std::string_view path, TensorRef& ref)>;
using ConstTensorRefVisitor = std::function<void(std::string_view path, const TensorRef& ref)>;

void ForEachTensorRef(ModelSpec& spec, const TensorRefVisitor& visit);
void ForEachTensorRef(const ModelSpec& spec, const ConstTensorRefVisitor& visit);

// Product of dims (1 for an empty shape).
int64_t NumElements(const std::vector<int64_t>& shape);

// The shape of the stored tensor behind a ref: source_shape, or shape when that is empty.
const std::vector<int64_t>& StoredShape(const TensorRef& ref);

// Every name the ref may be stored under: name, aliases, then alias_views' names.
std::vector<std::string> AllNames(const TensorRef& ref);

// For every present ref whose name (or alias) starts with from_prefix, adds the same name with
// to_prefix as an alias (and likewise for alias_views). Used for checkpoint prefix renames.
void AddPrefixAliases(ModelSpec* spec, std::string_view from_prefix, std::string_view to_prefix);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_MODEL_TENSOR_REFS_H_
