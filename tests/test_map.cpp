// mlpersist::map: a mapped binary file gives the same model as load, its parameters stay in the
// file's pages until used, and what cannot be viewed in place is refused with a clear error.
#include "helpers.hpp"
#include "matrix_text.hpp"
#include "seal.hpp"
#include "zoo.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#if defined(__linux__)
#include <unistd.h>
#endif

using Catch::Matchers::Contains;

namespace {

using LinearD = mlpersist::LinearRegression<double>;

template <class T>
void check_maps_like_load() {
  test::TempDir dir;
  zoo::for_each_model<T>([&](const std::string& name, const auto& model, const auto& X) {
    using Model = std::decay_t<decltype(model)>;
    INFO(name);
    const auto path = dir / (name + ".bin");
    mlpersist::save(model, path);
    const auto mapped = mlpersist::map<Model>(path);
    CHECK(test::same_bits(zoo::outputs(mapped, X), zoo::outputs(model, X)));
    CHECK(mapped.feature_names() == model.feature_names());
    mlpersist::MapOptions checked;
    checked.check_data = true;
    checked.verify = false;
    CHECK(test::same_bits(zoo::outputs(mlpersist::map<Model>(path, checked), X), zoo::outputs(model, X)));

    // The mapping outlives the file's name: replacing or deleting the file changes nothing.
    mlpersist::save(Model{}, path);
    CHECK(test::same_bits(zoo::outputs(mapped, X), zoo::outputs(model, X)));
    std::filesystem::remove(path);
    const Model copy = mapped;
    CHECK(test::same_bits(zoo::outputs(copy, X), zoo::outputs(model, X)));

    // A mapped model saves like any other.
    mlpersist::save(copy, dir / "again.bin");
    CHECK(test::same_bits(zoo::outputs(mlpersist::load<Model>(dir / "again.bin"), X), zoo::outputs(model, X)));
  });
}

#if defined(__linux__)
/// Resident memory of this process, in bytes (file-backed pages included).
std::uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}
#endif

/// A saved LinearRegression with `features` coefficients 0, 1, 2, ... (so each one is recognisable).
mlpersist::LinearRegression<double> numbered_linear(Eigen::Index features) {
  mlpersist::LinearRegression<double> model;
  model.set_parameters(mlpersist::Vector<double>::LinSpaced(features, 0.0, static_cast<double>(features - 1)), 0.25);
  return model;
}

/// The byte offset of the first matrix data value equal to `value` in a binary file.
std::size_t offset_of(const std::string& bytes, double value) {
  std::string pattern(sizeof(double), '\0');
  std::memcpy(pattern.data(), &value, sizeof(double));
  const auto at = bytes.find(pattern);
  REQUIRE(at != std::string::npos);
  return at;
}

}  // namespace

TEST_CASE("every double model maps and predicts bit-identically", "[map]") { check_maps_like_load<double>(); }

TEST_CASE("every float model maps and predicts bit-identically", "[map]") { check_maps_like_load<float>(); }

TEST_CASE("golden files of container 3 and later map; older ones are refused by name", "[map]") {
  const std::filesystem::path compat_dir = std::filesystem::path(MLPERSIST_TEST_DATA_DIR) / "compat";
  int mapped = 0;
  int refused = 0;
  for (const auto& version_dir : std::filesystem::directory_iterator(compat_dir)) {
    if (!version_dir.is_directory()) continue;
    zoo::for_each_model<double>([&](const std::string& name, const auto& fresh, const auto&) {
      using Model = std::decay_t<decltype(fresh)>;
      const auto path = version_dir.path() / (name + ".bin");
      if (!std::filesystem::exists(path)) return;
      INFO(path.string());
      const auto container = mlpersist::inspect(path).container_version;
      if (container >= 3) {
        const auto inputs = matrix_text::read((version_dir.path() / (name + ".inputs.txt")).string());
        const auto expected = matrix_text::read((version_dir.path() / (name + ".expected.txt")).string());
        CHECK(test::same_bits(zoo::outputs(mlpersist::map<Model>(path), inputs), expected));
        ++mapped;
      } else {
        CHECK_THROWS_AS(mlpersist::map<Model>(path), mlpersist::FormatError);
        CHECK_THROWS_WITH(mlpersist::map<Model>(path),
                          Contains(path.string()) && Contains("container " + std::to_string(container) + " file cannot be mapped") &&
                              Contains("load it"));
        ++refused;
      }
    });
  }
  CHECK(mapped > 0);
  CHECK(refused > 0);
}

#if defined(__linux__)
TEST_CASE("a mapped model is resident only where it is used", "[map]") {
  test::TempDir dir;
  const Eigen::Index features = Eigen::Index{1} << 24;  // 128 MiB of coefficients
  const auto path = dir / "large.bin";
  {
    mlpersist::SaveOptions fast;
    fast.durable = false;
    mlpersist::save(numbered_linear(features), path, fast);
  }
  const std::uint64_t file_size = std::filesystem::file_size(path);
  const std::uint64_t before = resident_bytes();
  const auto model = mlpersist::map<LinearD>(path);
  const std::uint64_t after_map = resident_bytes();
  CHECK(after_map - std::min(after_map, before) < file_size / 16);
  CHECK(model.coef().size() == features);

  // Reading a few coefficients brings in their pages only.
  CHECK(model.coef()(features - 1) == static_cast<double>(features - 1));
  CHECK(resident_bytes() - std::min(resident_bytes(), before) < file_size / 16);

  // A prediction reads them all, from the file's pages: the same values load gives.
  mlpersist::Matrix<double> row = mlpersist::Matrix<double>::Ones(1, features);
  const auto loaded = mlpersist::load<LinearD>(path);
  CHECK(model.predict(row)(0) == loaded.predict(row)(0));
}
#endif

TEST_CASE("training a mapped model copies what it changes and leaves the file alone", "[map]") {
  test::TempDir dir;
  const auto& iris = zoo::dataset<double>("iris");
  mlpersist::MLPClassifier<double> model(zoo::small_mlp());
  model.fit(iris.X, iris.labels());
  const auto path = dir / "mlp.bin";
  mlpersist::save(model, path);
  const std::string file_before = test::read_bytes(path);

  auto mapped = mlpersist::map<mlpersist::MLPClassifier<double>>(path);
  mapped.partial_fit(iris.X, iris.labels());
  model.partial_fit(iris.X, iris.labels());
  CHECK(test::same_bits(mapped.predict_proba(iris.X), model.predict_proba(iris.X)));  // training resumed exactly
  CHECK(test::read_bytes(path) == file_before);
  const auto again = mlpersist::map<mlpersist::MLPClassifier<double>>(path);
  CHECK_FALSE(test::same_bits(again.predict_proba(iris.X), mapped.predict_proba(iris.X)));
}

TEST_CASE("map refuses text files, other model types and damaged structure", "[map]") {
  test::TempDir dir;
  const auto model = numbered_linear(1000);
  const auto json = dir / "model.json";
  mlpersist::save(model, json);
  CHECK_THROWS_AS(mlpersist::map<LinearD>(json), mlpersist::FormatError);
  CHECK_THROWS_WITH(mlpersist::map<LinearD>(json), Contains(json.string()) && Contains("map reads binary files, not JSON"));

  const auto bin = dir / "model.bin";
  mlpersist::save(model, bin);
  CHECK_THROWS_AS(mlpersist::map<mlpersist::LinearRegression<float>>(bin), mlpersist::TypeMismatch);

  const std::string bytes = test::read_bytes(bin);
  const auto truncated = dir / "truncated.bin";
  test::write_bytes(truncated, bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_AS(mlpersist::map<LinearD>(truncated), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::map<LinearD>(truncated), Contains("truncated or extended"));

  // A shape that runs past the end of the file, with a valid checksum: caught without reading data.
  const std::string shape("\xe8\x03\0\0\0\0\0\0\x01\0\0\0\0\0\0\0", 16);  // coef_ is 1000 x 1
  REQUIRE(bytes.find(shape) != std::string::npos);
  std::string huge = bytes;
  const std::int64_t rows = std::int64_t{1} << 40;
  std::memcpy(huge.data() + bytes.find(shape), &rows, sizeof rows);
  const auto oversized = dir / "oversized.bin";
  test::write_bytes(oversized, test::reseal(huge));
  CHECK_THROWS_AS(mlpersist::map<LinearD>(oversized), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::map<LinearD>(oversized),
                    Contains("declares 1099511627776 elements") && Contains("model.coef_"));

  // A byte-order flag other than little-endian: a view cannot swap bytes.
  std::string swapped = bytes;
  swapped[mlpersist::detail::binary_header_size] = '\0';
  const auto big_endian = dir / "big_endian.bin";
  test::write_bytes(big_endian, test::reseal(swapped));
  CHECK_THROWS_AS(mlpersist::map<LinearD>(big_endian), mlpersist::FormatError);
  CHECK_THROWS_WITH(mlpersist::map<LinearD>(big_endian), Contains("only little-endian data can be mapped"));
}

TEST_CASE("MapOptions::check_data finds damage inside the data that a plain map does not read", "[map]") {
  test::TempDir dir;
  const auto bin = dir / "model.bin";
  mlpersist::save(numbered_linear(1000), bin);
  const std::string bytes = test::read_bytes(bin);
  mlpersist::MapOptions check;
  check.check_data = true;

  // A flipped bit in coefficient 3: the checksum no longer matches.
  std::string flipped = bytes;
  flipped[offset_of(bytes, 3.0) + 7] ^= 0x01;
  const auto damaged = dir / "damaged.bin";
  test::write_bytes(damaged, flipped);
  CHECK(mlpersist::map<LinearD>(damaged).coef()(3) != 3.0);  // documented: a plain map reads structure only
  CHECK_THROWS_AS(mlpersist::map<LinearD>(damaged, check), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::map<LinearD>(damaged, check), Contains("checksum mismatch"));

  // A NaN written by a hostile author who also fixed the checksum: the value check finds it.
  std::string with_nan = bytes;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(with_nan.data() + offset_of(bytes, 3.0), &nan, sizeof nan);
  const auto hostile = dir / "hostile.bin";
  test::write_bytes(hostile, test::reseal(with_nan));
  CHECK_THROWS_AS(mlpersist::map<LinearD>(hostile, check), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::map<LinearD>(hostile, check),
                    Contains("expected finite numbers, found nan at row 3, column 0") && Contains("model.coef_"));
}
