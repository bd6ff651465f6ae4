// Newer code loads older files: every committed golden file, of every schema version, loads with
// this build and reproduces the outputs recorded when it was written, to the last bit.
#include "helpers.hpp"
#include "matrix_text.hpp"
#include "zoo.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace {

const std::filesystem::path compat_dir = std::filesystem::path(MLPERSIST_TEST_DATA_DIR) / "compat";

std::vector<std::filesystem::path> version_dirs() {
  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(compat_dir))
    if (entry.is_directory() && entry.path().filename().string().rfind('v', 0) == 0) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

/// Checks the golden files in dir of every model type that has them (a model type newer than the
/// version has none); returns the names checked.
template <class T>
std::set<std::string> check_golden_files(const std::filesystem::path& dir) {
  const std::uint32_t version = static_cast<std::uint32_t>(std::stoul(dir.filename().string().substr(1)));
  std::set<std::string> checked;
  zoo::for_each_model<T>([&](const std::string& name, const auto& fresh_model, const auto&) {
    using Model = std::decay_t<decltype(fresh_model)>;
    if (!std::filesystem::exists(dir / (name + ".inputs.txt"))) return;
    checked.insert(name);
    const zoo::Matrix<double> inputs = matrix_text::read((dir / (name + ".inputs.txt")).string());
    const zoo::Matrix<double> expected = matrix_text::read((dir / (name + ".expected.txt")).string());
    const zoo::Matrix<T> X = inputs.template cast<T>();
    for (const char* ext : {".bin", ".json", ".xml"}) {
      const auto path = dir / (name + ext);
      INFO(path.string());
      const auto info = mlpersist::inspect(path);
      CHECK(info.model_type == Model::type_name());
      CHECK(info.schema_version <= version);  // vN holds what the code of schema generation N wrote
      CHECK(info.metadata.at("purpose") == "golden file");
      const auto model = mlpersist::load<Model>(path);
      CHECK(test::same_bits(zoo::outputs(model, X), expected));
      // Self-checks arrived in container version 2: those files replay their own rows too.
      if (info.container_version >= 2) {
        CHECK(info.self_check_inputs == inputs);
        mlpersist::LoadOptions verify;
        verify.verify = true;
        CHECK_NOTHROW(mlpersist::load<Model>(path, verify));
      } else {
        CHECK(info.self_check_inputs.size() == 0);
      }
      // Feature names arrived in schema version 2; older files load without them.
      if (info.schema_version >= 2)
        CHECK(model.feature_names() == fresh_model.feature_names());
      else
        CHECK(model.feature_names().empty());
    }
  });
  return checked;
}

/// The model names of all golden files in dir.
std::set<std::string> golden_names(const std::filesystem::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".bin") names.insert(entry.path().stem().string());
  return names;
}

}  // namespace

TEST_CASE("golden files of every schema version load and predict bit-identically", "[compat]") {
  const auto dirs = version_dirs();
  REQUIRE_FALSE(dirs.empty());
  for (const auto& dir : dirs) {
    INFO(dir.string());
    auto checked = check_golden_files<float>(dir);
    checked.merge(check_golden_files<double>(dir));
    CHECK(!checked.empty());
    CHECK(checked == golden_names(dir));  // no golden file is left unchecked
  }
}
