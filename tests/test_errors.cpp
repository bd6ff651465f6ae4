// Every error a user can meet, each triggered by a real file on disk, checking the exception type
// and that the message names the file and both sides of the mismatch.
#include "helpers.hpp"
#include "seal.hpp"
#include "zoo.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <vector>

using Catch::Matchers::Contains;

namespace {

const std::filesystem::path golden = std::filesystem::path(MLPERSIST_TEST_DATA_DIR) / "compat" / "v1";

/// A copy of a v1 golden file in dir, with `edit` applied to its bytes.
template <class Edit>
std::filesystem::path edited_copy(const test::TempDir& dir, const std::string& name, Edit&& edit) {
  const auto path = dir / name;
  test::write_bytes(path, edit(test::read_bytes(golden / name)));
  return path;
}

// Written by "newer code": the same type name with a higher schema version and a new field.
struct FutureLinearRegression {
  static constexpr std::uint32_t schema_version = 99;
  static std::string type_name() { return "LinearRegression<double>"; }
  double brand_new_field = 1.0;
  template <class Archive>
  void serialize(Archive& ar, std::uint32_t) {
    mlpersist::field(ar, "brand_new_field", brand_new_field);
  }
};

// A model whose serialization fails halfway through writing.
struct FailsWhileSaving {
  static constexpr std::uint32_t schema_version = 1;
  static std::string type_name() { return "FailsWhileSaving"; }
  template <class Archive>
  void serialize(Archive& ar, std::uint32_t) {
    mlpersist::Matrix<double> big = mlpersist::Matrix<double>::Ones(100, 100);
    mlpersist::field(ar, "big", big);
    throw std::runtime_error("simulated failure in the middle of a save");
  }
};

}  // namespace

MLPERSIST_SCHEMA_VERSION(FutureLinearRegression)
MLPERSIST_SCHEMA_VERSION(FailsWhileSaving)

using LinearD = mlpersist::LinearRegression<double>;
using LogisticD = mlpersist::LogisticRegression<double>;

TEST_CASE("VersionError: a file from a newer schema version", "[errors]") {
  test::TempDir dir;
  for (const char* ext : {".bin", ".json", ".xml"}) {
    const auto path = dir / (std::string("future") + ext);
    mlpersist::save(FutureLinearRegression{}, path);
    CHECK_THROWS_MATCHES(mlpersist::load<LinearD>(path), mlpersist::VersionError,
                         Catch::Matchers::Predicate<std::exception>([&](const std::exception& e) {
                           const std::string what = e.what();
                           return what.find(path.string()) != std::string::npos &&
                                  what.find("schema version 99") != std::string::npos &&
                                  what.find("up to " + std::to_string(LinearD::schema_version)) != std::string::npos;
                         }, "names the file, the file's version and the newest one this build reads"));
  }
}

TEST_CASE("VersionError: a file from a newer container version", "[errors]") {
  test::TempDir dir;
  const auto bin = edited_copy(dir, "LinearRegression_double.bin", [](std::string b) {
    b[8] = static_cast<char>(mlpersist::container_version + 1);  // before the checksum is even looked at
    return b;
  });
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(bin),
                    Contains(bin.string()) &&
                        Contains("container version " + std::to_string(mlpersist::container_version + 1)) &&
                        Contains("up to " + std::to_string(mlpersist::container_version)));
  CHECK_THROWS_AS(mlpersist::load<LinearD>(bin), mlpersist::VersionError);
  const auto json = edited_copy(dir, "LinearRegression_double.json", [](std::string b) {
    return test::replace_once(b, "\"container_version\": 1", "\"container_version\": 7");
  });
  CHECK_THROWS_AS(mlpersist::load<LinearD>(json), mlpersist::VersionError);
  CHECK_THROWS_WITH(mlpersist::inspect(json), Contains("container version 7") && Contains(json.string()));
}

TEST_CASE("TypeMismatch: another model type or scalar type", "[errors]") {
  for (const char* ext : {".bin", ".json", ".xml"}) {
    const auto path = golden / (std::string("LogisticRegression_double") + ext);
    CHECK_THROWS_AS(mlpersist::load<mlpersist::LogisticRegression<float>>(path), mlpersist::TypeMismatch);
    CHECK_THROWS_WITH(mlpersist::load<mlpersist::LogisticRegression<float>>(path),
                      Contains(path.string()) && Contains("LogisticRegression<double>") &&
                          Contains("LogisticRegression<float>"));
    CHECK_THROWS_AS(mlpersist::load<mlpersist::MLPClassifier<double>>(path), mlpersist::TypeMismatch);
  }
}

TEST_CASE("CorruptFile: truncated and damaged binary files", "[errors]") {
  test::TempDir dir;
  const auto truncated = edited_copy(dir, "MLPClassifier_double.bin",
                                     [](std::string b) { return b.substr(0, b.size() - 100); });
  CHECK_THROWS_AS(mlpersist::load<mlpersist::MLPClassifier<double>>(truncated), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<mlpersist::MLPClassifier<double>>(truncated),
                    Contains(truncated.string()) && Contains("truncated"));

  const auto flipped = edited_copy(dir, "MLPClassifier_double.bin", [](std::string b) {
    b[b.size() / 2] = static_cast<char>(b[b.size() / 2] ^ 0x10);
    return b;
  });
  CHECK_THROWS_AS(mlpersist::load<mlpersist::MLPClassifier<double>>(flipped), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<mlpersist::MLPClassifier<double>>(flipped), Contains("checksum mismatch"));
}

TEST_CASE("CorruptFile: a binary file that declares a huge matrix is refused before allocating", "[errors]") {
  test::TempDir dir;
  // LinearRegression<double> on diabetes: coef_ is 10 x 1. Declare 2^60 rows and fix the checksum,
  // as a hostile author would.
  const std::string shape("\x0a\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0", 16);
  const std::string bomb("\0\0\0\0\0\0\0\x10\x01\0\0\0\0\0\0\0", 16);
  const auto path = edited_copy(dir, "LinearRegression_double.bin",
                                [&](std::string b) { return test::reseal(test::replace_once(b, shape, bomb)); });
  CHECK_THROWS_AS(mlpersist::load<LinearD>(path), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(path), Contains(path.string()) && Contains("model.coef_") &&
                                                        Contains("bytes are left") && Contains("byte offset"));
}

TEST_CASE("CorruptFile: malformed JSON and XML", "[errors]") {
  test::TempDir dir;
  const auto json = edited_copy(dir, "LogisticRegression_double.json",
                                [](std::string b) { return b.substr(0, b.size() / 2); });
  CHECK_THROWS_AS(mlpersist::load<LogisticD>(json), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<LogisticD>(json), Contains(json.string()) && Contains("malformed JSON at byte offset"));

  const auto xml = edited_copy(dir, "LogisticRegression_double.xml",
                               [](std::string b) { return b.substr(0, b.size() / 2); });
  CHECK_THROWS_AS(mlpersist::load<LogisticD>(xml), mlpersist::CorruptFile);
}

TEST_CASE("CorruptFile: values of the wrong kind name the field", "[errors]") {
  test::TempDir dir;
  const auto xml = edited_copy(dir, "LogisticRegression_double.xml", [](std::string b) {
    return test::replace_once(b, "<tol>1e-04</tol>", "<tol>1.5abc</tol>");
  });
  CHECK_THROWS_AS(mlpersist::load<LogisticD>(xml), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<LogisticD>(xml), Contains("model.tol") && Contains("'1.5abc'"));

  const auto json = edited_copy(dir, "LogisticRegression_double.json", [](std::string b) {
    return test::replace_once(b, "\"tol\": 0.0001", "\"tol\": \"small\"");
  });
  CHECK_THROWS_AS(mlpersist::load<LogisticD>(json), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<LogisticD>(json), Contains("model.tol"));

  const auto count = edited_copy(dir, "LinearRegression_double.json", [](std::string b) {
    return test::replace_once(b, "\"rows\": 10", "\"rows\": 11");
  });
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(count), Contains("model.coef_") && Contains("needs 11 values") &&
                                                         Contains("has 10"));
}

TEST_CASE("CorruptFile: values that break the model's invariants", "[errors]") {
  test::TempDir dir;
  using MLP = mlpersist::MLPClassifier<double>;
  const auto layers = edited_copy(dir, "MLPClassifier_double.xml", [](std::string b) {
    return test::replace_once(b, "<value1>4</value1>", "<value1>5</value1>");  // hidden_layer_sizes {8, 4}
  });
  CHECK_THROWS_AS(mlpersist::load<MLP>(layers), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<MLP>(layers), Contains(layers.string()) && Contains("hidden_layer_sizes"));

  const auto activation = edited_copy(dir, "MLPClassifier_double.json", [](std::string b) {
    return test::replace_once(b, "\"activation\": \"tanh\"", "\"activation\": \"swish\"");
  });
  CHECK_THROWS_WITH(mlpersist::load<MLP>(activation),
                    Contains("model.activation") && Contains("'swish'") && Contains("identity, logistic, tanh, relu"));

  const auto classes = edited_copy(dir, "LogisticRegression_double.json", [](std::string b) {
    return test::replace_once(b, "\"C\": 10.0", "\"C\": -1.0");
  });
  CHECK_THROWS_AS(mlpersist::load<LogisticD>(classes), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<LogisticD>(classes), Contains("C must be positive"));
}

TEST_CASE("FormatError: files that are not mlpersist files", "[errors]") {
  test::TempDir dir;
  const std::pair<const char*, std::string> cases[] = {
      {"empty.bin", ""},
      {"notes.bin", "just some text"},
      {"model.pkl", std::string("\x80\x04\x95", 3)},
      {"model.bin.gz", std::string("\x1f\x8b\x08\0", 4)},
      {"weights.npz", "PK\x03\x04rest"},
      {"other.json", "{\"weights\": [1, 2, 3]}"},
      {"other.xml", "<?xml version=\"1.0\"?><cereal><weights>1</weights></cereal>"},
  };
  for (const auto& [name, content] : cases) {
    INFO(name);
    const auto path = dir / name;
    test::write_bytes(path, content);
    CHECK_THROWS_AS(mlpersist::load<LinearD>(path), mlpersist::FormatError);
    CHECK_THROWS_WITH(mlpersist::load<LinearD>(path), Contains(path.string()) && Contains("not an mlpersist file"));
  }
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(dir / "model.bin.gz"), Contains("gzip"));
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(dir / "model.pkl"), Contains("pickle"));
}

TEST_CASE("FormatError: extension and content disagree, or the extension is unknown on save", "[errors]") {
  test::TempDir dir;
  const auto path = dir / "really_binary.json";
  test::write_bytes(path, test::read_bytes(golden / "LinearRegression_double.bin"));
  CHECK_THROWS_AS(mlpersist::load<LinearD>(path), mlpersist::FormatError);
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(path), Contains("expected a JSON file") && Contains("binary"));
  CHECK_THROWS_AS(mlpersist::load<LinearD>(golden / "LinearRegression_double.bin", mlpersist::Format::xml),
                  mlpersist::FormatError);
  const auto model = mlpersist::load<LinearD>(golden / "LinearRegression_double.bin");
  CHECK_THROWS_AS(mlpersist::save(model, dir / "model.txt"), mlpersist::FormatError);
  CHECK_THROWS_WITH(mlpersist::save(model, dir / "model.txt"), Contains(".txt") && Contains("mlpersist::Format"));
  CHECK_FALSE(std::filesystem::exists(dir / "model.txt"));
}

TEST_CASE("IoError: missing files and unwritable places", "[errors]") {
  test::TempDir dir;
  CHECK_THROWS_AS(mlpersist::load<LinearD>(dir / "missing.bin"), mlpersist::IoError);
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(dir / "missing.bin"), Contains("missing.bin"));
  const auto model = mlpersist::load<LinearD>(golden / "LinearRegression_double.bin");
  CHECK_THROWS_AS(mlpersist::save(model, dir / "no" / "such" / "dir.bin"), mlpersist::IoError);
}

TEST_CASE("a failed save leaves the previous file intact and no temporary files", "[errors]") {
  test::TempDir dir;
  const auto model = mlpersist::load<LinearD>(golden / "LinearRegression_double.bin");
  for (const char* ext : {".bin", ".json", ".xml"}) {
    INFO(ext);
    const auto path = dir / (std::string("model") + ext);
    mlpersist::save(model, path);
    const std::string before = test::read_bytes(path);
    CHECK_THROWS_WITH(mlpersist::save(FailsWhileSaving{}, path), Contains("simulated failure"));
    CHECK(test::read_bytes(path) == before);
    CHECK(mlpersist::load<LinearD>(path).coef() == model.coef());
  }
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) ++files;
  CHECK(files == 3);
}

TEST_CASE("every error derives from mlpersist::Error, itself a std::runtime_error", "[errors]") {
  STATIC_REQUIRE(std::is_base_of_v<std::runtime_error, mlpersist::Error>);
  STATIC_REQUIRE(std::is_base_of_v<mlpersist::Error, mlpersist::VersionError>);
  STATIC_REQUIRE(std::is_base_of_v<mlpersist::Error, mlpersist::TypeMismatch>);
  STATIC_REQUIRE(std::is_base_of_v<mlpersist::Error, mlpersist::CorruptFile>);
  STATIC_REQUIRE(std::is_base_of_v<mlpersist::Error, mlpersist::FormatError>);
  STATIC_REQUIRE(std::is_base_of_v<mlpersist::Error, mlpersist::IoError>);
  STATIC_REQUIRE(std::is_base_of_v<mlpersist::Error, mlpersist::LimitExceeded>);
  STATIC_REQUIRE(std::is_base_of_v<mlpersist::Error, mlpersist::VerificationError>);
}

TEST_CASE("CorruptFile: a NaN or infinite parameter, in small and large files", "[errors]") {
  test::TempDir dir;
  // 100 coefficients, and 2,000,000 (16 MB: read and checked on the background thread).
  for (const Eigen::Index size : {Eigen::Index{100}, Eigen::Index{2000000}}) {
    for (const double bad : {std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::infinity()}) {
      const Eigen::Index at = size * 3 / 4;
      mlpersist::Vector<double> coef = mlpersist::Vector<double>::LinSpaced(size, -1.0, 1.0);
      const double marker = coef(at);
      LinearD model;
      model.set_parameters(coef, 0.5);
      std::stringstream out;
      mlpersist::save(model, out, mlpersist::Format::binary);
      std::string bytes = out.str();
      const auto offset = bytes.find(std::string(reinterpret_cast<const char*>(&marker), sizeof marker));
      REQUIRE(offset != std::string::npos);
      std::memcpy(&bytes[offset], &bad, sizeof bad);
      const auto path = dir / "bad.bin";
      test::write_bytes(path, test::reseal(bytes));
      INFO("size " << size << ", value " << bad);
      CHECK_THROWS_AS(mlpersist::load<LinearD>(path), mlpersist::CorruptFile);
      CHECK_THROWS_WITH(mlpersist::load<LinearD>(path),
                        Contains(path.string()) && Contains("expected finite numbers, found") &&
                            Contains(std::isnan(bad) ? "nan" : "-inf") &&
                            Contains("at row " + std::to_string(at) + ", column 0") && Contains("at model.coef_") &&
                            Contains("byte offset"));
      // The same damage without the reseal is reported as what it is: damage.
      test::write_bytes(path, bytes);
      CHECK_THROWS_WITH(mlpersist::load<LinearD>(path), Contains("checksum mismatch"));
    }
  }
  // A scalar parameter, in JSON.
  LinearD model;
  model.set_parameters(mlpersist::Vector<double>::Ones(3), 0.5);
  const auto json = dir / "bad.json";
  mlpersist::save(model, json);
  test::write_bytes(json, test::replace_once(test::read_bytes(json), "\"intercept_\": 0.5", "\"intercept_\": Infinity"));
  CHECK_THROWS_AS(mlpersist::load<LinearD>(json), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(mlpersist::load<LinearD>(json),
                    Contains("expected a finite number, found inf") && Contains("at model.intercept_"));
}

TEMPLATE_TEST_CASE("CorruptFile: the first NaN of a large array read by two threads is the one named", "[errors]", float,
                   double) {
  // 2,000,000 coefficients (8 or 16 MB): the load's two threads each take the next piece of the
  // array not yet read, and check it as it arrives (the first piece starts with bytes read before
  // the array); the first bad value in order must be named, whichever thread found which.
  using Model = mlpersist::LinearRegression<TestType>;
  constexpr Eigen::Index size = 2000000;
  mlpersist::Vector<TestType> coef(size);
  for (Eigen::Index i = 0; i < size; ++i) coef(i) = static_cast<TestType>(i) + TestType(0.5);  // each exact
  Model model;
  model.set_parameters(coef, TestType(0.5));
  std::stringstream out;
  mlpersist::save(model, out, mlpersist::Format::binary);
  const std::string saved = out.str();
  const auto first = saved.find(std::string(reinterpret_cast<const char*>(coef.data()), 3 * sizeof(TestType)));
  REQUIRE(first != std::string::npos);
  test::TempDir dir;
  const auto path = dir / "bad.bin";
  const TestType nan = std::numeric_limits<TestType>::quiet_NaN();
  // A boundary between two pieces, near the middle.
  constexpr auto piece = static_cast<Eigen::Index>(mlpersist::detail::BlockReader::piece_bytes);
  constexpr Eigen::Index split = (size * Eigen::Index{sizeof(TestType)} / 2 + piece - 1) / piece * piece /
                                 Eigen::Index{sizeof(TestType)};
  const std::vector<Eigen::Index> cases[] = {{0},         {1},        {split - 1},  {split},
                                             {split + 1}, {size * 3 / 4}, {size - 1}, {size / 4, size * 3 / 4},
                                             {split, size - 1}};
  for (const auto& bad : cases) {
    std::string bytes = saved;
    for (const Eigen::Index at : bad)
      std::memcpy(&bytes[first + static_cast<std::size_t>(at) * sizeof(TestType)], &nan, sizeof nan);
    test::write_bytes(path, test::reseal(bytes));
    INFO("NaN at " << bad.front() << (bad.size() > 1 ? " and later" : ""));
    CHECK_THROWS_AS(mlpersist::load<Model>(path), mlpersist::CorruptFile);
    CHECK_THROWS_WITH(mlpersist::load<Model>(path), Contains("expected finite numbers, found nan") &&
                                                        Contains("at row " + std::to_string(bad.front()) + ", column 0"));
    // Without the reseal, damage anywhere fails the checksum.
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH(mlpersist::load<Model>(path), Contains("checksum mismatch"));
  }
  // And undamaged, it loads exactly.
  test::write_bytes(path, saved);
  CHECK(mlpersist::load<Model>(path).coef() == coef);
}

TEST_CASE("CorruptFile: a NaN or infinite weight in a JSON or XML matrix names its row and column", "[errors]") {
  test::TempDir dir;
  // A 3x4 weight matrix, stored row by row in text: the value at row 1, column 2 is the seventh.
  mlpersist::Matrix<double> first = mlpersist::Matrix<double>::Constant(3, 4, 0.25);
  first(1, 2) = 0.8125;
  mlpersist::MLPClassifier<double> model;
  model.set_parameters({first, mlpersist::Matrix<double>::Constant(4, 1, 0.5)},
                       {mlpersist::Vector<double>::Constant(4, 0.5), mlpersist::Vector<double>::Constant(1, 0.5)},
                       mlpersist::Labels::LinSpaced(2, 0, 1));
  const std::pair<std::string, std::string> cases[] = {
      {"model.json", "NaN"}, {"model.json", "-Infinity"}, {"model.xml", "nan"}, {"model.xml", "inf"}};
  for (const auto& [name, bad] : cases) {
    const auto path = dir / name;
    mlpersist::save(model, path);
    test::write_bytes(path, test::replace_once(test::read_bytes(path), "0.8125", bad));
    INFO(name << ": " << bad);
    CHECK_THROWS_AS(mlpersist::load<mlpersist::MLPClassifier<double>>(path), mlpersist::CorruptFile);
    CHECK_THROWS_WITH(mlpersist::load<mlpersist::MLPClassifier<double>>(path),
                      Contains(path.string()) && Contains("expected finite numbers, found") &&
                          Contains("at row 1, column 2"));
  }
}

TEST_CASE("CorruptFile: malformed XML in either half of a file parsed by two threads", "[errors]") {
  // 300,000 coefficients: about 15 MB of XML, which two threads parse (XmlDocument).
  mlpersist::Vector<double> coef(300000);
  for (Eigen::Index i = 0; i < coef.size(); ++i) coef(i) = static_cast<double>(i % 1000) / 7.0;
  mlpersist::LinearRegression<double> model;
  model.set_parameters(coef, 0.5);
  test::TempDir dir;
  const auto path = dir / "model.xml";
  mlpersist::save(model, path);
  const std::string bytes = test::read_bytes(path);
  REQUIRE(mlpersist::detail::XmlDocument(bytes, "t", 64).parsed_in_two_threads());
  CHECK(mlpersist::load<mlpersist::LinearRegression<double>>(path).coef() == coef);
  // An end tag that does not match, at a tenth, in the middle and at nine tenths of the file; and
  // nesting deeper than allowed near the end.
  for (const int k : {30000, 150000, 270000}) {
    const std::string end_tag = "</value" + std::to_string(k) + ">";
    const std::size_t at = bytes.find(end_tag);
    INFO(end_tag << " at byte offset " << at);
    test::write_bytes(path, test::replace_once(bytes, end_tag, "</wrong" + std::to_string(k) + ">"));
    CHECK_THROWS_AS(mlpersist::load<mlpersist::LinearRegression<double>>(path), mlpersist::CorruptFile);
    CHECK_THROWS_WITH(mlpersist::load<mlpersist::LinearRegression<double>>(path),
                      Contains(path.string()) && Contains("malformed XML at byte offset " + std::to_string(at) +
                                                          ": expected " + end_tag + ", found </wrong"));
  }
  const std::string last = "<value299999>";
  const std::size_t deep_at = bytes.find(last) + last.size();
  test::write_bytes(path, test::replace_once(bytes, last, last + "<a><a><a><a></a></a></a></a>"));
  mlpersist::LoadOptions options;
  options.max_depth = 8;  // <cereal><model><coef_><data><value299999> is 5 deep
  CHECK_THROWS_AS(mlpersist::load<mlpersist::LinearRegression<double>>(path, options), mlpersist::LimitExceeded);
  CHECK_THROWS_WITH(mlpersist::load<mlpersist::LinearRegression<double>>(path, options),
                    Contains("byte offset " + std::to_string(deep_at + 9)));
}
