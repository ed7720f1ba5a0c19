// Every tests/golden/data/<case>/config.json (written by transformers 5.17) builds a ModelSpec,
// every TensorRef of it is found in the case's safetensors (by name or alias, with the stored
// shape the ref expects), and every stored tensor is used by some ref.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/model/config_reader.h"
#include "engine/model/families/family_registry.h"
#include "engine/model/model_summary.h"
#include "engine/model/tensor_refs.h"
#include "gtest/gtest.h"

namespace hybridserve::engine {
namespace {

namespace fs = std::filesystem;
using Shapes = std::map<std::string, std::vector<int64_t>>;

// Stored tensors deliberately not referenced by a ModelSpec: none so far. (Falcon-H1's mup_vector
// is a non-persistent buffer and is not saved.)
const std::set<std::string> kIgnoredTensors = {};

void ReadSafetensorsHeader(const fs::path& file, Shapes* shapes) {
  std::ifstream in(file, std::ios::binary);
  ASSERT_TRUE(in) << file;
  uint64_t length = 0;
  in.read(reinterpret_cast<char*>(&length), 8);
  std::string header(length, '\0');
  in.read(header.data(), static_cast<std::streamsize>(length));
  nlohmann::json parsed = nlohmann::json::parse(header, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << file;
  for (auto& [name, info] : parsed.items()) {
    if (name == "__metadata__") continue;
    (*shapes)[name] = info["shape"].get<std::vector<int64_t>>();
  }
}

Shapes ReadStoredShapes(const fs::path& dir) {
  Shapes shapes;
  if (fs::exists(dir / "model.safetensors")) {
    ReadSafetensorsHeader(dir / "model.safetensors", &shapes);
  } else {
    std::ifstream in(dir / "model.safetensors.index.json");
    nlohmann::json index = nlohmann::json::parse(in, nullptr, false);
    std::set<std::string> files;
    for (auto& [name, file] : index["weight_map"].items()) files.insert(file.get<std::string>());
    for (const std::string& file : files) ReadSafetensorsHeader(dir / file, &shapes);
  }
  return shapes;
}

std::vector<fs::path> GoldenCases() {
  std::vector<fs::path> cases;
  const fs::path root = fs::path(HS_TEST_DATA_DIR) / "golden" / "data";
  if (!fs::exists(root)) return cases;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (fs::exists(entry.path() / "config.json")) cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

TEST(FamilyGoldenNamesTest, EveryCaseBuildsAndMatchesSavedTensors) {
  const std::vector<fs::path> cases = GoldenCases();
  if (cases.empty()) GTEST_SKIP() << "no golden data under tests/golden/data";
  for (const fs::path& dir : cases) {
    SCOPED_TRACE(dir.filename().string());
    absl::StatusOr<nlohmann::json> config = LoadConfigJsonFile((dir / "config.json").string());
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<ModelSpec> spec = BuildModelSpec(*config);
    ASSERT_TRUE(spec.ok()) << spec.status();
    const Shapes stored = ReadStoredShapes(dir);
    ASSERT_FALSE(stored.empty());

    // reference.json's saved_tensor_names, when present, are the same set as the file holds.
    if (fs::exists(dir / "reference.json")) {
      std::ifstream in(dir / "reference.json");
      nlohmann::json reference = nlohmann::json::parse(in, nullptr, false);
      ASSERT_TRUE(reference.contains("saved_tensor_names"));
      std::set<std::string> names;
      for (const auto& name : reference["saved_tensor_names"])
        names.insert(name.get<std::string>());
      std::set<std::string> file_names;
      for (const auto& [name, shape] : stored) file_names.insert(name);
      EXPECT_EQ(names, file_names);
    }

    std::set<std::string> used;
    ForEachTensorRef(*spec, [&](std::string_view path, const TensorRef& ref) {
      if (!ref.present()) return;
      std::vector<std::string> same_layout = {ref.name};
      same_layout.insert(same_layout.end(), ref.aliases.begin(), ref.aliases.end());
      for (const std::string& name : same_layout) {
        auto it = stored.find(name);
        if (it == stored.end()) continue;
        EXPECT_EQ(it->second, StoredShape(ref)) << path << " " << name;
        used.insert(name);
        return;
      }
      for (const TensorRef::AliasView& view : ref.alias_views) {
        auto it = stored.find(view.name);
        if (it == stored.end()) continue;
        EXPECT_EQ(it->second, view.source_shape) << path << " " << view.name;
        used.insert(view.name);
        return;
      }
      ADD_FAILURE() << path << ": none of the names of " << ref.name << " is stored";
    });
    for (const auto& [name, shape] : stored) {
      if (kIgnoredTensors.count(name) == 0) {
        EXPECT_TRUE(used.count(name) > 0) << "stored tensor " << name << " is not used by the spec";
      }
    }
    // The parameter count of the summary equals the stored element count.
    int64_t stored_elements = 0;
    for (const auto& [name, shape] : stored) stored_elements += NumElements(shape);
    EXPECT_EQ(Summarize(*spec).num_parameters, stored_elements);
  }
}

}  // namespace
}  // namespace hybridserve::engine
