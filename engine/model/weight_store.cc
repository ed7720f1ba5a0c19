#include "engine/model/weight_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "engine/model/tensor_refs.h"

namespace hybridserve::engine {
namespace {

std::vector<int64_t> WithoutOnes(const std::vector<int64_t>& shape) {
  std::vector<int64_t> out;
  for (int64_t d : shape) {
    if (d != 1) out.push_back(d);
  }
  return out;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

std::string RefKey(const TensorRef& ref) {
  return absl::StrCat(ref.name, "@", ref.offset_elements);
}

// One way a ref may be stored: a tensor name, the stored tensor's shape, the view's offset.
struct Candidate {
  std::string name;
  std::vector<int64_t> source_shape;
  int64_t offset_elements = 0;
};

std::vector<Candidate> Candidates(const TensorRef& ref) {
  std::vector<Candidate> out;
  out.push_back({ref.name, StoredShape(ref), ref.offset_elements});
  for (const std::string& alias : ref.aliases) {
    out.push_back({alias, StoredShape(ref), ref.offset_elements});
  }
  for (const TensorRef::AliasView& view : ref.alias_views) {
    out.push_back({view.name, view.source_shape.empty() ? ref.shape : view.source_shape,
                   view.offset_elements});
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WeightStore>> WeightStore::Load(const ModelSpec& spec,
                                                               const Checkpoint& checkpoint) {
  auto store = std::unique_ptr<WeightStore>(new WeightStore());
  absl::Status status;
  ForEachTensorRef(spec, [&](std::string_view, const TensorRef& ref) {
    if (status.ok() && ref.present()) status = store->Resolve(ref, checkpoint);
  });
  HS_RETURN_IF_ERROR(status);
  return store;
}

absl::Status WeightStore::Resolve(const TensorRef& ref, const Checkpoint& checkpoint) {
  const TensorInfo* info = nullptr;
  Candidate found;
  for (const Candidate& candidate : Candidates(ref)) {
    info = checkpoint.Find(candidate.name);
    if (info != nullptr) {
      found = candidate;
      break;
    }
  }
  if (info == nullptr) {
    const std::vector<std::string> names = AllNames(ref);
    std::string also;
    if (names.size() > 1) {
      also = absl::StrCat(" (also looked for \"",
                          absl::StrJoin(names.begin() + 1, names.end(), "\", \""), "\")");
    }
    return absl::NotFoundError(absl::StrCat("checkpoint is missing tensor \"", ref.name, "\"", also,
                                            "; is config.json from the same checkpoint?"));
  }
  const int64_t view_elements = NumElements(ref.shape);
  if (found.offset_elements < 0 ||
      found.offset_elements + view_elements > NumElements(found.source_shape)) {
    return absl::InternalError(
        absl::StrCat("tensor \"", found.name, "\": view of ", ShapeString(ref.shape), " at offset ",
                     found.offset_elements, " lies outside ", ShapeString(found.source_shape)));
  }
  const bool exact = info->shape == found.source_shape;
  const bool squeezable = NumElements(info->shape) == NumElements(found.source_shape) &&
                          WithoutOnes(info->shape) == WithoutOnes(found.source_shape);
  if (!exact && !squeezable) {
    return absl::InvalidArgumentError(absl::StrCat(
        checkpoint.FileOf(found.name), ": tensor \"", found.name, "\" has shape ",
        ShapeString(info->shape), " but config.json implies ", ShapeString(found.source_shape)));
  }
  std::shared_ptr<std::vector<float>> data;
  if (auto it = by_stored_name_.find(found.name); it != by_stored_name_.end()) {
    data = it->second;
  } else {
    const int64_t n = info->num_elements();
    data = std::make_shared<std::vector<float>>(static_cast<size_t>(n));
    ConvertToFloat(*info, 0, n, data->data());
    by_stored_name_[found.name] = data;
    stored_dtypes_.push_back(std::string(DTypeName(info->dtype)));
    num_stored_floats_ += n;
  }
  by_ref_[RefKey(ref)] = View{data, found.offset_elements};
  return absl::OkStatus();
}

const float* WeightStore::Get(const TensorRef& ref) const {
  if (!ref.present()) return nullptr;
  auto it = by_ref_.find(RefKey(ref));
  HS_CHECK_MSG(it != by_ref_.end(), ref.name.c_str());
  return it->second.data->data() + it->second.offset_elements;
}

}  // namespace hybridserve::engine
