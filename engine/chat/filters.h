// Jinja filters (`value | name(args)`), with Jinja's semantics and transformers' tojson
// (json.dumps with ensure_ascii=False). The set is fixed: an unknown filter name is a parse
// error. String and scalar filters live in filters.cc, filters over sequences in
// collection_filters.cc.
#ifndef HYBRIDSERVE_ENGINE_CHAT_FILTERS_H_
#define HYBRIDSERVE_ENGINE_CHAT_FILTERS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/chat/callable.h"
#include "engine/chat/value.h"

namespace hybridserve::engine::chat {

bool IsKnownFilter(std::string_view name);
absl::StatusOr<Value> RunFilter(const std::string& name, const Value& value, const CallArgs& args,
                                Interpreter& interpreter);

// Sequence filters (collection_filters.cc); name is one of them.
bool IsCollectionFilter(std::string_view name);
absl::StatusOr<Value> RunCollectionFilter(const std::string& name, const Value& value,
                                          const CallArgs& args, Interpreter& interpreter);
// Jinja's attribute getter for selectattr/map/sort/...: "a.b.0" walks items then attributes.
absl::StatusOr<Value> GetAttributePath(const Value& value, const std::string& path);

}  // namespace hybridserve::engine::chat

#endif  // HYBRIDSERVE_ENGINE_CHAT_FILTERS_H_
