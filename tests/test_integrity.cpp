// Hostile and damaged files: every bit flip and truncation of a binary file is detected, every
// change to a text file is detected or yields a working model, size bombs are refused without
// allocating, nesting bombs without recursing, and self-checks catch damage that still parses.
#include "helpers.hpp"
#include "seal.hpp"
#include "tiny_zoo.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

using Catch::Matchers::Contains;

namespace {

using mlpersist::Format;

template <class Model>
std::string saved(const Model& model, Format format, const mlpersist::SaveOptions& options = {}) {
  std::ostringstream out;
  mlpersist::save(model, out, format, options);
  return out.str();
}

/// Loads bytes as Model; a damaged file must throw mlpersist::Error, and anything it does load must
/// be a working model: it predicts on rows of its width and saves and reloads to the same outputs.
/// Returns whether the bytes loaded.
template <class Model>
bool loads_as_working_model(const std::string& bytes, Format format, Eigen::Index rows = 3) {
  Model model;
  try {
    std::istringstream in(bytes);
    model = mlpersist::load<Model>(in, format);
  } catch (const mlpersist::Error&) {
    return false;
  }
  if (model.n_features_in() == 0) return true;  // an unfitted model: nothing to predict with
  const mlpersist::Matrix<double> X = mlpersist::Matrix<double>::Ones(rows, model.n_features_in());
  const auto outputs = zoo::outputs(model, X);
  std::istringstream again(saved(model, format));
  const auto reloaded = mlpersist::load<Model>(again, format);
  if (!test::same_bits(zoo::outputs(reloaded, X), outputs))
    throw std::runtime_error("a loaded model changed when saved and loaded again");
  return true;
}

/// Peak resident memory growth of this process while `work` runs (Linux: VmHWM after resetting it
/// through /proc/self/clear_refs); nothing where that is unavailable.
std::optional<std::int64_t> peak_growth_bytes(const std::function<void()>& work) {
  auto status_kib = [](const std::string& key) -> std::int64_t {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind(key + ":", 0) == 0) return std::stoll(line.substr(key.size() + 1));
    return -1;
  };
  std::ofstream reset("/proc/self/clear_refs");
  if (!reset || !(reset << "5" << std::flush)) return std::nullopt;
  const std::int64_t before = status_kib("VmRSS");
  if (before < 0 || status_kib("VmHWM") < 0) return std::nullopt;
  work();
  return (status_kib("VmHWM") - before) * 1024;
}

}  // namespace

TEST_CASE("every single-bit flip and every truncation of a binary file is detected", "[integrity]") {
  tiny_zoo::for_each_model([](const std::string& name, const auto& model, const auto&) {
    using Model = std::decay_t<decltype(model)>;
    const std::string bytes = saved(model, Format::binary);
    std::size_t flips = 0;
    std::size_t detected = 0;
    for (std::size_t bit = 0; bit < 8 * bytes.size(); ++bit) {
      std::string damaged = bytes;
      damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
      ++flips;
      if (!loads_as_working_model<Model>(damaged, Format::binary)) ++detected;
    }
    std::size_t truncations = 0;
    std::size_t truncations_detected = 0;
    for (std::size_t size = 0; size < bytes.size(); ++size, ++truncations)
      if (!loads_as_working_model<Model>(bytes.substr(0, size), Format::binary)) ++truncations_detected;
    std::printf("integrity binary %s (%zu bytes): %zu of %zu bit flips and %zu of %zu truncations detected\n",
                name.c_str(), bytes.size(), detected, flips, truncations_detected, truncations);
    INFO(name);
    CHECK(detected == flips);
    CHECK(truncations_detected == truncations);
  });
}

TEST_CASE("every truncation of a JSON or XML file is detected", "[integrity]") {
  tiny_zoo::for_each_model([](const std::string& name, const auto& model, const auto&) {
    using Model = std::decay_t<decltype(model)>;
    for (const Format format : {Format::json, Format::xml}) {
      const std::string bytes = saved(model, format);
      // Cutting trailing whitespace leaves the same document (XML files end with newlines): those
      // must load the very same model, every other cut must throw.
      const std::size_t content_end = bytes.find_last_not_of(" \t\r\n") + 1;
      std::size_t undetected = 0;
      for (std::size_t size = 0; size < bytes.size(); ++size) {
        const bool loaded = loads_as_working_model<Model>(bytes.substr(0, size), format);
        if (loaded && size < content_end) ++undetected;
      }
      std::printf("integrity %s %s (%zu bytes): %zu truncations, %zu undetected\n", mlpersist::to_string(format),
                  name.c_str(), bytes.size(), bytes.size(), undetected);
      INFO(name << " " << mlpersist::to_string(format));
      CHECK(undetected == 0);
    }
  });
}

TEST_CASE("every single-byte change to a JSON or XML file throws or loads a working model", "[integrity]") {
  // Bytes that change a number, break a token, or restructure the document; each position gets
  // four of them in turn, and the smallest files all of them.
  const std::string replacements("07-.e\"},]x \0<>/a\xff", 18);
  tiny_zoo::for_each_model([&](const std::string& name, const auto& model, const auto&) {
    using Model = std::decay_t<decltype(model)>;
    for (const Format format : {Format::json, Format::xml}) {
      const std::string bytes = saved(model, format);
      const std::size_t per_position = bytes.size() < 1500 ? replacements.size() : 4;
      std::size_t changes = 0;
      std::size_t rejected = 0;
      for (std::size_t at = 0; at < bytes.size(); ++at) {
        for (std::size_t k = 0; k < per_position; ++k) {
          std::string changed = bytes;
          changed[at] = replacements[(at + k) % replacements.size()];
          if (changed == bytes) continue;
          ++changes;
          if (!loads_as_working_model<Model>(changed, format)) ++rejected;
        }
      }
      std::printf("integrity %s %s (%zu bytes): %zu single-byte changes, %zu rejected, %zu loaded as working models\n",
                  mlpersist::to_string(format), name.c_str(), bytes.size(), changes, rejected, changes - rejected);
      CHECK(changes > 0);  // the real check is inside: nothing crashed and every load worked
    }
  });
}

TEST_CASE("size bombs: a tiny file declaring 2^60 elements is refused before allocating", "[integrity]") {
  // LinearRegression on two features: coef_ is 2 x 1. The bomb declares 2^60 x 1.
  const auto& iris = zoo::dataset<double>("iris");
  mlpersist::LinearRegression<double> model;
  model.fit(iris.X.leftCols(2), iris.X.col(3));
  const std::string rows_2_60 = "1152921504606846976";
  const std::vector<std::pair<Format, std::string>> bombs = {
      {Format::binary, test::reseal(test::replace_once(saved(model, Format::binary),
                                                       std::string("\x02\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0", 16),
                                                       std::string("\0\0\0\0\0\0\0\x10\x01\0\0\0\0\0\0\0", 16)))},
      {Format::json, test::replace_once(saved(model, Format::json), "\"rows\": 2", "\"rows\": " + rows_2_60)},
      {Format::xml, test::replace_once(saved(model, Format::xml), "<rows>2</rows>", "<rows>" + rows_2_60 + "</rows>")},
  };
  for (const auto& [format, bomb] : bombs) {
    INFO(mlpersist::to_string(format));
    CHECK(bomb.size() < 1024);
    auto load = [&, format = format] {
      std::istringstream in(bomb);
      CHECK_THROWS_AS(mlpersist::load<mlpersist::LinearRegression<double>>(in, format), mlpersist::CorruptFile);
    };
    const auto growth = peak_growth_bytes(load);
    if (!growth) {
      load();
      WARN("peak memory is not measurable on this system");
      continue;
    }
    std::printf("integrity size bomb %s: %zu-byte file, peak memory growth %lld KiB\n", mlpersist::to_string(format),
                bomb.size(), static_cast<long long>(*growth / 1024));
    CHECK(*growth < 4 * 1024 * 1024);
  }
  // The measurement itself sees a real allocation.
  const auto control = peak_growth_bytes([] {
    std::vector<char> big(64 << 20, 1);
    CHECK(big[12345] == 1);
  });
  if (control) CHECK(*control >= (60 << 20));
}

TEST_CASE("size limits: LoadOptions::max_bytes bounds the input and every array", "[integrity]") {
  test::TempDir dir;
  mlpersist::LinearRegression<double> model;
  const auto& diabetes = zoo::dataset<double>("diabetes");
  model.fit(diabetes.X, diabetes.target);
  const auto path = dir / "model.json";
  mlpersist::save(model, path);
  mlpersist::LoadOptions small;
  small.max_bytes = 100;
  CHECK_THROWS_AS(mlpersist::load<mlpersist::LinearRegression<double>>(path, small), mlpersist::LimitExceeded);
  CHECK_THROWS_WITH(mlpersist::load<mlpersist::LinearRegression<double>>(path, small),
                    Contains(path.string()) && Contains("LoadOptions::max_bytes (100)"));
  std::ifstream stream(path);
  CHECK_THROWS_WITH(mlpersist::load<mlpersist::LinearRegression<double>>(stream, Format::json, small),
                    Contains("<stream>") && Contains("LoadOptions::max_bytes (100)"));

  // 600 coefficients written as "0" take 2 bytes each in the file but 8 in memory: within a limit
  // the file passes, the array does not.
  std::string zeros = "0";
  for (int i = 1; i < 600; ++i) zeros += ",0";
  std::string bytes = test::read_bytes(path);
  const auto coef = bytes.find("\"coef_\"");
  const auto data_begin = bytes.find('[', coef);
  bytes.replace(data_begin + 1, bytes.find(']', data_begin) - data_begin - 1, zeros);
  bytes = test::replace_once(bytes, "\"rows\": 10", "\"rows\": 600");
  test::write_bytes(path, bytes);
  mlpersist::LoadOptions limit;
  limit.max_bytes = bytes.size() + 100;
  CHECK_THROWS_AS(mlpersist::load<mlpersist::LinearRegression<double>>(path, limit), mlpersist::LimitExceeded);
  CHECK_THROWS_WITH(mlpersist::load<mlpersist::LinearRegression<double>>(path, limit),
                    Contains("model.coef_") && Contains("in one array"));
  // With the default limit, the same file loads.
  CHECK(mlpersist::load<mlpersist::LinearRegression<double>>(path).n_features_in() == 600);
}

TEST_CASE("nesting bombs: deep JSON and XML are refused without recursing", "[integrity]") {
  // cereal 1.3.2 crashes on both by stack overflow (shared/research/cereal.md).
  const std::string json = "{\"mlpersist\": " + std::string(1000000, '[') + std::string(1000000, ']') + "}";
  std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<cereal>";
  for (int i = 0; i < 100000; ++i) xml += "<a x='/>'>";
  for (const auto& [format, bytes] : {std::pair{Format::json, json}, std::pair{Format::xml, xml}}) {
    INFO(mlpersist::to_string(format));
    std::istringstream in(bytes);
    // The 65th level: a '[' after the 14-byte prefix, or the 64th <a> inside <cereal>.
    const std::size_t offset = format == Format::json ? 14 + 63 : bytes.find("<cereal>") + 8 + 63 * 10;
    CHECK_THROWS_MATCHES(mlpersist::load<mlpersist::LinearRegression<double>>(in, format), mlpersist::LimitExceeded,
                         Catch::Matchers::Message(std::string("<stream>: ") + mlpersist::to_string(format) +
                                                  " nested deeper than 64 levels at byte offset " +
                                                  std::to_string(offset) + " (LoadOptions::max_depth)"));
  }
  // mlpersist's own files stay well inside the limit.
  tiny_zoo::for_each_model([](const std::string&, const auto& model, const auto&) {
    using Model = std::decay_t<decltype(model)>;
    mlpersist::LoadOptions shallow;
    shallow.max_depth = 12;
    for (const Format format : {Format::json, Format::xml}) {
      std::istringstream in(saved(model, format));
      CHECK_NOTHROW(mlpersist::load<Model>(in, format, shallow));
    }
  });
}

TEST_CASE("the holes of cereal 1.3.2 in text formats give mlpersist errors", "[integrity]") {
  const auto& iris = zoo::dataset<double>("iris");
  mlpersist::LinearRegression<double> model;
  model.fit(iris.X.leftCols(3), iris.X.col(3));
  using LinearD = mlpersist::LinearRegression<double>;
  auto load = [](const std::string& bytes, Format format) {
    std::istringstream in(bytes);
    return mlpersist::load<LinearD>(in, format);
  };
  // XML accepted "1.5abc" as 1.5 and threw std::invalid_argument for "abc" in cereal's own fields.
  const std::string xml = saved(model, Format::xml);
  CHECK_THROWS_WITH(load(test::replace_once(xml, "<alpha>0</alpha>", "<alpha>1.5abc</alpha>"), Format::xml),
                    Contains("model.alpha") && Contains("'1.5abc'"));
  CHECK_THROWS_AS(load(test::replace_once(xml, "<cereal_class_version>2</cereal_class_version>",
                                          "<cereal_class_version>abc</cereal_class_version>"),
                       Format::xml),
                  mlpersist::CorruptFile);
  // JSON parse errors lost their position.
  const std::string json = saved(model, Format::json);
  const auto at = json.find("\"alpha\"");
  CHECK_THROWS_WITH(load(json.substr(0, at) + "@" + json.substr(at + 1), Format::json),
                    Contains("malformed JSON at byte offset " + std::to_string(at)));
}

TEST_CASE("self-verifying files: saved outputs are replayed by a verifying load", "[integrity]") {
  test::TempDir dir;
  mlpersist::LoadOptions verify;
  verify.verify = true;
  tiny_zoo::for_each_model([&](const std::string& name, const auto& model, const auto& rows) {
    using Model = std::decay_t<decltype(model)>;
    mlpersist::SaveOptions options{{"purpose", "self-check test"}};
    options.self_check = rows;
    for (const char* ext : {".bin", ".json", ".xml"}) {
      INFO(name << ext);
      const auto path = dir / (name + ext);
      mlpersist::save(model, path, options);
      const auto loaded = mlpersist::load<Model>(path, verify);
      CHECK(test::same_bits(zoo::outputs(loaded, rows), zoo::outputs(model, rows)));
      const auto info = mlpersist::inspect(path);
      CHECK(info.self_check_inputs == rows);
      CHECK(info.self_check_outputs == zoo::outputs(model, rows));
      CHECK(info.metadata.at("purpose") == "self-check test");

      mlpersist::save(model, path);
      CHECK_THROWS_AS(mlpersist::load<Model>(path, verify), mlpersist::VerificationError);
      CHECK_THROWS_WITH(mlpersist::load<Model>(path, verify),
                        Contains(path.string()) && Contains("no self-check rows"));
    }
  });
}

TEST_CASE("self-verifying files: damage that still parses is caught", "[integrity]") {
  test::TempDir dir;
  const auto& diabetes = zoo::dataset<double>("diabetes");
  mlpersist::LinearRegression<double> model;
  model.fit(diabetes.X, diabetes.target);
  mlpersist::SaveOptions options;
  options.self_check = diabetes.X.topRows(4);
  const auto path = dir / "model.json";
  mlpersist::save(model, path, options);
  // An edit to the intercept (a digit more) that keeps the file valid JSON and the model valid.
  std::string bytes = test::read_bytes(path);
  bytes.insert(bytes.find_first_of("0123456789", bytes.find("\"intercept_\": ")), "1");
  test::write_bytes(path, bytes);

  using LinearD = mlpersist::LinearRegression<double>;
  CHECK_NOTHROW(mlpersist::load<LinearD>(path));
  mlpersist::LoadOptions verify;
  verify.verify = true;
  CHECK_THROWS_AS(mlpersist::load<LinearD>(path, verify), mlpersist::VerificationError);
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(path, verify), Contains(path.string()) && Contains("self-check row 0") &&
                                                                Contains("the file expects"));
  verify.verify_tolerance = 1e9;  // a tolerance wide enough accepts it
  CHECK_NOTHROW(mlpersist::load<LinearD>(path, verify));
}

TEST_CASE("self-check rows must fit the model", "[integrity]") {
  const auto& diabetes = zoo::dataset<double>("diabetes");
  mlpersist::LinearRegression<double> model;
  model.fit(diabetes.X, diabetes.target);
  mlpersist::SaveOptions options;
  options.self_check = diabetes.X.topRows(2).leftCols(3);
  std::ostringstream out;
  CHECK_THROWS_AS(mlpersist::save(model, out, Format::binary, options), std::invalid_argument);
}

TEST_CASE("a boolean stored as a byte other than 0 or 1 is refused", "[integrity]") {
  // Found by fuzzing: cereal read the byte straight into a bool (undefined behaviour).
  const auto path = std::filesystem::path(MLPERSIST_FUZZ_REGRESSIONS_DIR) / "binary" / "invalid-bool.bin";
  CHECK_THROWS_AS(mlpersist::load<mlpersist::StandardScaler<double>>(path), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<mlpersist::StandardScaler<double>>(path),
                    Contains("model.with_") && Contains("expected a boolean (0 or 1), found 80"));
}

TEST_CASE("files found by fuzzing load as working models or throw mlpersist errors", "[integrity]") {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(MLPERSIST_FUZZ_REGRESSIONS_DIR)) {
    if (!entry.is_regular_file() || entry.path().extension() == ".md") continue;
    ++files;
    const std::string bytes = test::read_bytes(entry.path());
    INFO(entry.path());
    for (const Format format : {Format::binary, Format::json, Format::xml}) {
      zoo::for_each_type<double>([&](auto type) {
        using Model = typename decltype(type)::type;
        CHECK_NOTHROW(loads_as_working_model<Model>(bytes, format));
      });
    }
  }
  CHECK(files > 0);
}
