// Every model type x float/double x format: save, load, and the same outputs to the last bit.
#include "helpers.hpp"
#include "seal.hpp"
#include "zoo.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <iterator>
#include <sstream>

namespace {

constexpr mlpersist::Format formats[] = {mlpersist::Format::binary, mlpersist::Format::json, mlpersist::Format::xml};

template <class T>
void check_file_round_trips() {
  test::TempDir dir;
  zoo::for_each_model<T>([&](const std::string& name, const auto& model, const auto& X) {
    using Model = std::decay_t<decltype(model)>;
    for (const auto format : formats) {
      INFO(name << extension(format));
      const auto path = dir / (name + extension(format));
      mlpersist::save(model, path, {{"dataset", "bundled"}});
      const auto loaded = mlpersist::load<Model>(path);
      CHECK(test::same_bits(zoo::outputs(loaded, X), zoo::outputs(model, X)));
      CHECK(loaded.feature_names() == model.feature_names());
      CHECK_FALSE(loaded.feature_names().empty());
      if constexpr (zoo::is_classifier<Model>::value)
        CHECK(loaded.predict(X) == model.predict(X));
      // Saving the loaded model again gives the same model (nothing is lost or added on the way).
      mlpersist::save(loaded, dir / ("again" + std::string(extension(format))));
      const auto twice = mlpersist::load<Model>(dir / ("again" + std::string(extension(format))));
      CHECK(test::same_bits(zoo::outputs(twice, X), zoo::outputs(model, X)));
    }
  });
}

template <class T>
void check_stream_round_trips() {
  zoo::for_each_model<T>([&](const std::string& name, const auto& model, const auto& X) {
    using Model = std::decay_t<decltype(model)>;
    for (const auto format : formats) {
      INFO(name << extension(format));
      std::stringstream buffer;
      mlpersist::save(model, buffer, format);
      const auto loaded = mlpersist::load<Model>(buffer, format);
      CHECK(test::same_bits(zoo::outputs(loaded, X), zoo::outputs(model, X)));
    }
  });
}

}  // namespace

TEST_CASE("every double model round-trips bit-identically through files in every format", "[roundtrip]") {
  check_file_round_trips<double>();
}

TEST_CASE("every float model round-trips bit-identically through files in every format", "[roundtrip]") {
  check_file_round_trips<float>();
}

TEST_CASE("every model round-trips through streams in every format", "[roundtrip]") {
  check_stream_round_trips<double>();
  check_stream_round_trips<float>();
}

TEST_CASE("the envelope records type, versions, time and metadata", "[roundtrip]") {
  test::TempDir dir;
  mlpersist::LogisticRegression<float> model;
  model.fit(zoo::dataset<float>("iris").X, zoo::dataset<float>("iris").labels());
  const mlpersist::Metadata metadata{{"dataset", "iris"}, {"test accuracy", "0.97"}, {"note", "<&\"'> ünïcode"}};
  for (const auto format : formats) {
    INFO(extension(format));
    const auto path = dir / (std::string("model") + extension(format));
    mlpersist::save(model, path, metadata);
    const auto info = mlpersist::inspect(path);
    CHECK(info.format == format);
    CHECK(info.container_version == mlpersist::container_version);
    CHECK(info.model_type == "LogisticRegression<float>");
    CHECK(info.schema_version == mlpersist::LogisticRegression<float>::schema_version);
    CHECK(info.library_version == mlpersist::library_version);
    CHECK(info.created_utc.size() == 20);
    CHECK(info.created_utc.back() == 'Z');
    CHECK(info.metadata == metadata);
  }
}

TEST_CASE("an explicit format overrides the extension, and content decides an unknown one", "[roundtrip]") {
  test::TempDir dir;
  mlpersist::StandardScaler<double> scaler;
  scaler.fit(zoo::dataset<double>("iris").X);
  for (const auto format : formats) {
    INFO(extension(format));
    const auto path = dir / "model.weights";
    mlpersist::save(scaler, path, format);
    CHECK(mlpersist::inspect(path).format == format);
    CHECK(mlpersist::load<mlpersist::StandardScaler<double>>(path).mean() == scaler.mean());
    CHECK(mlpersist::load<mlpersist::StandardScaler<double>>(path, format).scale() == scaler.scale());
  }
}

TEST_CASE("binary files have the documented little-endian layout", "[roundtrip]") {
  mlpersist::LinearRegression<double> model;
  model.fit(zoo::dataset<double>("diabetes").X, zoo::dataset<double>("diabetes").target);
  std::stringstream out;
  mlpersist::save(model, out, mlpersist::Format::binary);
  const std::string bytes = out.str();
  REQUIRE(bytes.size() > 28);
  CHECK(bytes.substr(0, 8) == std::string("\x89MLP\r\n\x1a\n", 8));
  CHECK(bytes.substr(8, 4) == std::string("\x03\x00\x00\x00", 4));  // container version 3
  std::uint64_t declared = 0;
  for (int i = 7; i >= 0; --i) declared = (declared << 8) | static_cast<unsigned char>(bytes[bytes.size() - 16 + static_cast<std::size_t>(i)]);
  CHECK(declared == bytes.size() - 28);
  CHECK(test::reseal(bytes) == bytes);  // the stored XXH3-64 is the XXH3-64 of the bytes before it
  // The coefficients start at a multiple of 64 bytes, right after zero padding.
  const auto coef = model.coef();
  const std::string data(reinterpret_cast<const char*>(coef.data()), static_cast<std::size_t>(coef.size()) * sizeof(double));
  const auto at = bytes.find(data);
  REQUIRE(at != std::string::npos);
  CHECK(at % 64 == 0);
}

TEST_CASE("large models round-trip bit-identically, synced or not, and leave no temporary files", "[roundtrip]") {
  // 3,000,000 coefficients (24 MB): checksummed on the background thread when saved and loaded.
  test::TempDir dir;
  const auto path = dir / "large.bin";
  mlpersist::Vector<double> coef(3000000);
  for (Eigen::Index i = 0; i < coef.size(); ++i) coef(i) = std::sin(static_cast<double>(i)) * 1e3;
  for (const bool durable : {true, false}) {
    INFO("durable " << durable);
    for (const double intercept : {0.25, -4.5}) {  // the second save replaces the first
      mlpersist::LinearRegression<double> model;
      model.set_parameters(coef, intercept);
      mlpersist::SaveOptions options;
      options.durable = durable;
      mlpersist::save(model, path, options);
      const auto loaded = mlpersist::load<mlpersist::LinearRegression<double>>(path);
      CHECK(loaded.intercept() == intercept);
      REQUIRE(loaded.coef().size() == coef.size());
      CHECK(std::memcmp(loaded.coef().data(), coef.data(), sizeof(double) * static_cast<std::size_t>(coef.size())) == 0);
      // A stream load reads the same bytes another way (into memory, checksum first).
      std::istringstream in(test::read_bytes(path));
      CHECK(mlpersist::load<mlpersist::LinearRegression<double>>(in, mlpersist::Format::binary).coef() == coef);
    }
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
  }
}
