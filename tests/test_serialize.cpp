// The field-level machinery, through a user-defined model type (as a user would write one): every
// supported member kind, and exact round-trips of special floating-point values in every format.
#include "helpers.hpp"
#include "xml_outcome.hpp"

#include <mlpersist/mlpersist.hpp>

#include <catch2/catch.hpp>
#include <cereal/archives/xml.hpp>

#include <cmath>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

namespace user {

// A user's own model type joins the machinery with a type name, a schema version and serialize().
struct Probe {
  static constexpr std::uint32_t schema_version = 1;
  static std::string type_name() { return "user::Probe"; }

  double d = 0;
  float f = 0;
  std::int64_t i = 0;
  bool b = false;
  std::string text;
  std::vector<std::string> names;
  std::vector<int> sizes;
  std::optional<std::uint32_t> seed;
  mlpersist::Matrix<double> md;
  mlpersist::Matrix<float> mf;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> row_major;
  mlpersist::Labels labels;
  std::vector<mlpersist::Vector<double>> layers;

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    mlpersist::check_schema_version<Probe>(version);
    mlpersist::field(ar, "d", d);
    mlpersist::field(ar, "f", f);
    mlpersist::field(ar, "i", i);
    mlpersist::field(ar, "b", b);
    mlpersist::field(ar, "text", text);
    mlpersist::field(ar, "names", names);
    mlpersist::field(ar, "sizes", sizes);
    mlpersist::optional_field(ar, "seed", seed);
    mlpersist::field(ar, "md", md);
    mlpersist::field(ar, "mf", mf);
    mlpersist::field(ar, "row_major", row_major);
    mlpersist::field(ar, "labels", labels);
    mlpersist::field(ar, "layers", layers);
  }
};

// Forgot MLPERSIST_SCHEMA_VERSION: cereal would write version 0 and pass 0 back on load.
struct Unversioned {
  static constexpr std::uint32_t schema_version = 3;
  static std::string type_name() { return "user::Unversioned"; }
  template <class Archive>
  void serialize(Archive&, std::uint32_t) {}
};

}  // namespace user

MLPERSIST_SCHEMA_VERSION(user::Probe)

namespace {

template <class T>
mlpersist::Matrix<T> special_values() {
  using L = std::numeric_limits<T>;
  mlpersist::Matrix<T> m(3, 5);
  m << T(0.1), T(-0.0), L::denorm_min(), -L::denorm_min(), L::min(),  //
      L::max(), L::lowest(), L::infinity(), -L::infinity(), L::epsilon(),  //
      T(1) / T(3), T(-2.5e-300 * (sizeof(T) == 8)), T(123456789.125), L::min() / T(3), T(1e-7);
  return m;
}

// Text formats keep NaN but not its payload, so NaN is compared as "is NaN" and the rest bitwise.
template <class M>
bool same_values(const M& a, const M& b) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index k = 0; k < a.size(); ++k) {
    const auto x = a.data()[k];
    const auto y = b.data()[k];
    if (std::isnan(x) ? !std::isnan(y) : std::memcmp(&x, &y, sizeof x) != 0) return false;
  }
  return true;
}

user::Probe make_probe() {
  user::Probe p;
  p.d = std::numeric_limits<double>::denorm_min();
  p.f = -0.0f;
  p.i = std::numeric_limits<std::int64_t>::min();
  p.b = true;
  p.text = "quotes \" and <xml> & ünïcode \\ end";
  p.names = {"sepal length (cm)", "", "a,b"};
  p.sizes = {64, 32, -1};
  p.seed = 4294967295u;
  p.md = special_values<double>();
  p.md(2, 4) = std::numeric_limits<double>::quiet_NaN();
  p.mf = special_values<float>();
  p.mf(1, 4) = -std::numeric_limits<float>::quiet_NaN();
  p.row_major = special_values<double>();
  p.labels = mlpersist::Labels::LinSpaced(5, -2, 2);
  p.layers = {mlpersist::Vector<double>::Constant(3, 0.5), mlpersist::Vector<double>(0)};
  return p;
}

/// Every field of q equals p's (NaN as "is NaN", -0.0 as -0.0).
void check_same_probe(const user::Probe& q, const user::Probe& p) {
  CHECK(std::memcmp(&q.d, &p.d, sizeof p.d) == 0);
  CHECK(std::signbit(q.f));
  CHECK(q.f == 0.0f);
  CHECK(q.i == p.i);
  CHECK(q.b == p.b);
  CHECK(q.text == p.text);
  CHECK(q.names == p.names);
  CHECK(q.sizes == p.sizes);
  CHECK(q.seed == p.seed);
  CHECK(same_values(q.md, p.md));
  CHECK(same_values(q.mf, p.mf));
  CHECK(same_values(q.row_major, p.row_major));
  CHECK(q.labels == p.labels);
  REQUIRE(q.layers.size() == 2);
  CHECK(q.layers[0] == p.layers[0]);
  CHECK(q.layers[1].size() == 0);
}

}  // namespace

TEST_CASE("a user-defined type round-trips every field kind and special float in every format", "[serialize]") {
  const user::Probe p = make_probe();
  for (const auto format : {mlpersist::Format::binary, mlpersist::Format::json, mlpersist::Format::xml}) {
    INFO(mlpersist::to_string(format));
    std::stringstream buffer;
    mlpersist::save(p, buffer, format);
    const auto q = mlpersist::load<user::Probe>(buffer, format);
    check_same_probe(q, p);
    if (format == mlpersist::Format::binary) CHECK(test::same_bits(q.md, p.md));  // NaN payload too
  }
}

TEST_CASE("an empty optional and an empty model round-trip", "[serialize]") {
  user::Probe p;
  for (const auto format : {mlpersist::Format::binary, mlpersist::Format::json, mlpersist::Format::xml}) {
    std::stringstream buffer;
    mlpersist::save(p, buffer, format);
    const auto q = mlpersist::load<user::Probe>(buffer, format);
    CHECK_FALSE(q.seed.has_value());
    CHECK(q.md.size() == 0);
    CHECK(q.names.empty());
  }
}

TEST_CASE("JSON files are readable JSON with matrices as rows, cols and a row-major data array", "[serialize]") {
  user::Probe p;
  p.md.resize(2, 3);
  p.md << 1, 2, 3, 4, 5, 6;
  std::stringstream buffer;
  mlpersist::save(p, buffer, mlpersist::Format::json);
  const std::string text = buffer.str();
  CHECK(text.find("\"model_type\": \"user::Probe\"") != std::string::npos);
  std::string compact;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) compact += c;
  CHECK(compact.find("\"md\":{\"rows\":2,\"cols\":3,\"data\":[1.0,2.0,3.0,4.0,5.0,6.0]}") != std::string::npos);
}

TEST_CASE("saving a type whose cereal version was not declared is refused", "[serialize]") {
  std::stringstream buffer;
  CHECK_THROWS_AS(mlpersist::save(user::Unversioned{}, buffer, mlpersist::Format::json), std::logic_error);
  CHECK_THROWS_WITH(mlpersist::save(user::Unversioned{}, buffer, mlpersist::Format::json),
                    Catch::Matchers::Contains("MLPERSIST_SCHEMA_VERSION"));
}

TEST_CASE("binary files are checksummed with the standard XXH3-64", "[serialize]") {
  // Expected values from xxhsum -H3 0.8.1 (Debian's xxhash package), the reference implementation's
  // command-line tool; the 1000 bytes are those of the CRC-32 test below.
  auto xxh3 = [](const std::string& bytes, std::size_t piece) {
    mlpersist::detail::Checksum checksum(mlpersist::container_version);
    for (std::size_t i = 0; i < bytes.size(); i += piece)
      checksum.update(bytes.data() + i, std::min(piece, bytes.size() - i));
    return checksum.value();
  };
  CHECK(xxh3("", 1) == 0x2d06800538d394c2u);
  CHECK(xxh3("123456789", 9) == 0x72dcb18b67a17dffu);
  std::string bytes(1000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  CHECK(xxh3(bytes, 1000) == 0x6c4f14bd97bd9e82u);
  CHECK(xxh3(bytes, 13) == 0x6c4f14bd97bd9e82u);
  CHECK(mlpersist::detail::Checksum(mlpersist::container_version).name() == std::string("XXH3-64"));
}

TEST_CASE("containers 1 and 2 are checksummed with the standard CRC-32 (zlib's)", "[serialize]") {
  mlpersist::detail::Crc32 crc;
  crc.update("123456789", 9);
  CHECK(crc.value() == 0xCBF43926u);  // the CRC-32 check value
  std::string bytes(1000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 + 3);
  mlpersist::detail::Crc32 whole;
  whole.update(bytes.data(), bytes.size());
  CHECK(whole.value() == 0x17BC2A46u);  // zlib.crc32 of the same bytes
  mlpersist::detail::Crc32 pieces;
  for (std::size_t i = 0; i < bytes.size(); i += 13) pieces.update(bytes.data() + i, std::min<std::size_t>(13, bytes.size() - i));
  CHECK(pieces.value() == whole.value());
}

/// The Probe `p` as Writer writes it.
template <class Writer>
std::string written_by(const user::Probe& p) {
  std::stringstream out;
  {
    Writer ar(out);
    ar(cereal::make_nvp("probe", p));
  }
  return out.str();
}

/// A Probe read by Reader (constructed from `input`, a stream or a parsed document).
template <class Reader, class Input>
user::Probe read_by(Input& input) {
  Reader ar(input);
  user::Probe q;
  ar(cereal::make_nvp("probe", q));
  return q;
}

/// d + i, read from `text` as the fields "d" (a double) and "i" (an int32) by Reader.
template <class Document, class Reader>
double d_plus_i(const std::string& text) {
  const Document document(text, "t", 64);
  Reader ar(document);
  double d = 0;
  std::int32_t i = 0;
  ar(cereal::make_nvp("d", d), cereal::make_nvp("i", i));
  return d + i;
}

TEST_CASE("mlpersist's JSON archives and cereal's read each other's documents", "[serialize]") {
  const user::Probe p = make_probe();
  std::istringstream ours(written_by<mlpersist::detail::JsonWriter>(p));
  check_same_probe(read_by<cereal::JSONInputArchive>(ours), p);

  const std::string theirs = written_by<cereal::JSONOutputArchive>(p);
  const mlpersist::detail::JsonDocument document(theirs, "cereal's", 64);
  check_same_probe(read_by<mlpersist::detail::JsonReader>(document), p);
}

TEST_CASE("mlpersist's XML archives write cereal's documents byte for byte, and each reads the other's", "[serialize]") {
  const user::Probe p = make_probe();
  const std::string ours = written_by<mlpersist::detail::XmlWriter>(p);
  const std::string theirs = written_by<cereal::XMLOutputArchive>(p);
  CHECK(ours == theirs);

  std::istringstream ours_in(ours);
  check_same_probe(read_by<cereal::XMLInputArchive>(ours_in), p);
  const mlpersist::detail::XmlDocument document(theirs, "cereal's", 64);
  check_same_probe(read_by<mlpersist::detail::XmlReader>(document), p);
}

TEST_CASE("XML text with outer whitespace is marked xml:space=\"preserve\" and kept", "[serialize]") {
  user::Probe p;
  p.text = "  two spaces, and a tab\t";
  p.names = {" ", "\nline"};
  std::stringstream buffer;
  mlpersist::save(p, buffer, mlpersist::Format::xml);
  CHECK(buffer.str().find("<text xml:space=\"preserve\">  two spaces, and a tab\t</text>") != std::string::npos);
  const auto q = mlpersist::load<user::Probe>(buffer, mlpersist::Format::xml);
  CHECK(q.text == p.text);  // cereal's reader trims it
  CHECK(q.names == p.names);
}

namespace {

/// A Probe whose md holds 300,000 numbers, written row by row: a second thread converts the second
/// half of such an array when it is loaded from text.
user::Probe large_probe() {
  user::Probe p;
  p.md = mlpersist::Matrix<double>::Random(600, 500);
  REQUIRE(static_cast<std::size_t>(p.md.size()) >= mlpersist::detail::TwoThreadLoop::min_numbers);
  return p;
}

std::string saved(const user::Probe& p, mlpersist::Format format) {
  std::stringstream buffer;
  mlpersist::save(p, buffer, format);
  return buffer.str();
}

user::Probe loaded(const std::string& bytes, mlpersist::Format format) {
  std::istringstream in(bytes);
  return mlpersist::load<user::Probe>(in, format);
}

}  // namespace

TEST_CASE("large XML arrays, converted on two threads, load exactly and report the first error in the file", "[serialize]") {
  const user::Probe p = large_probe();
  const std::string xml = saved(p, mlpersist::Format::xml);
  auto load = [](const std::string& bytes) { return loaded(bytes, mlpersist::Format::xml); };
  CHECK(same_values(load(xml).md, p.md));

  // The elements at a quarter and at three quarters of md's data (the first of each name is md's).
  auto replace_text = [](std::string bytes, const std::string& element, const std::string& text) {
    const std::size_t open = bytes.find("<" + element + ">") + element.size() + 2;
    return bytes.replace(open, bytes.find("</" + element + ">", open) - open, text);
  };
  using Catch::Matchers::Contains;
  const std::string late = replace_text(xml, "value225000", "x1");
  CHECK_THROWS_AS(load(late), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(load(late), Contains("found 'x1'") && Contains("model.md"));
  CHECK_THROWS_WITH(load(replace_text(late, "value75000", "y1")), Contains("found 'y1'"));
  CHECK_THROWS_WITH(load(replace_text(xml, "value225000", "<a/>")),
                    Contains("expected text in <value225000>, found elements"));
}

TEST_CASE("large JSON arrays, converted on two threads, load exactly and report the first error in the file", "[serialize]") {
  // md(150, 0) is a quarter of the way into md's data, md(450, 0) three quarters.
  user::Probe p = large_probe();
  p.md(150, 0) = 1.5e300;
  p.md(450, 0) = 2.5e300;
  const std::string json = saved(p, mlpersist::Format::json);
  auto load = [](const std::string& bytes) { return loaded(bytes, mlpersist::Format::json); };
  CHECK(same_values(load(json).md, p.md));

  auto replace = [](std::string bytes, const std::string& from, const std::string& to) {
    REQUIRE(bytes.find(from) != std::string::npos);
    return bytes.replace(bytes.find(from), from.size(), to);
  };
  using Catch::Matchers::Contains;
  const std::string late = replace(json, "2.5e+300", "2.5e999");  // valid JSON, out of a double's range
  CHECK_THROWS_AS(load(late), mlpersist::CorruptFile);
  CHECK_THROWS_WITH(load(late), Contains("expected a number in range, found '2.5e999'") && Contains("model.md"));
  CHECK_THROWS_WITH(load(replace(late, "1.5e+300", "\"y1\"")), Contains("expected a number, found a string 'y1'"));
  CHECK_THROWS_WITH(load(replace(json, "2.5e+300", "[]")), Contains("expected a number, found an array"));
}

TEST_CASE("text matrices of every shape load exactly into either storage order, on one thread or two",
          "[serialize]") {
  // The text gives a matrix row by row, whatever its storage order. 257 x 131 has enough numbers
  // for two threads, whose halves meet inside a row (at number 16,833: row 128, column 65).
  for (const auto& [rows, cols] : std::vector<std::pair<Eigen::Index, Eigen::Index>>{
           {0, 0}, {1, 7}, {7, 1}, {3, 5}, {5, 3}, {257, 131}}) {
    user::Probe p;
    p.md = mlpersist::Matrix<double>::Random(rows, cols);
    p.row_major = p.md.transpose();
    for (const mlpersist::Format format : {mlpersist::Format::json, mlpersist::Format::xml}) {
      INFO(rows << " x " << cols << " in " << mlpersist::to_string(format));
      const user::Probe back = loaded(saved(p, format), format);
      CHECK(same_values(back.md, p.md));
      CHECK(same_values(back.row_major, p.row_major));
    }
  }
}

TEST_CASE("the JSON reader reads a long double exactly, not through a double", "[serialize]") {
  const long double value = 1.0L + std::numeric_limits<long double>::epsilon();
  if (static_cast<long double>(static_cast<double>(value)) == value) {
    SUCCEED("long double is no wider than double here");
    return;
  }
  std::ostringstream out;
  {
    mlpersist::detail::JsonWriter ar(out);
    ar(cereal::make_nvp("value", value));
  }
  const std::string text = out.str();
  const mlpersist::detail::JsonDocument document(text, "t", 64);
  mlpersist::detail::JsonReader ar(document);
  long double read = 0;
  ar(cereal::make_nvp("value", read));
  CHECK(read == value);
}

namespace {

/// Malformed XML documents, each with where and why the parser must refuse it.
std::vector<std::pair<std::string, std::string>> malformed_xml() {
  return {
      {"", "at byte offset 0: the document is empty"},
      {"x", "at byte offset 0: expected the root element"},
      {"<a>", "at byte offset 3: unterminated element <a>"},
      {"<a></b>", "at byte offset 3: expected </a>, found </b>"},
      {"<a><b></a>", "at byte offset 6: expected </b>, found </a>"},
      // Names of 8 bytes or more are compared a word at a time: a difference in either part, a
      // longer name, and a name cut short by the end of the text.
      {"<a><coefficients>1</coefficientz></a>", "at byte offset 18: expected </coefficients>, found </coefficientz>"},
      {"<a><coefficients>1</doefficients></a>", "at byte offset 18: expected </coefficients>, found </doefficients>"},
      {"<a><coefficients>1</coefficients_2></a>", "at byte offset 18: expected </coefficients>, found </coefficients_2>"},
      {"<a><coefficients>1</coefficients", "at byte offset 32: expected '>' to end </coefficients>"},
      {"< a/>", "at byte offset 1: expected an element name after '<'"},
      {"<a x=1/>", "at byte offset 5: expected a quoted attribute value"},
      {"<a x='1/>", "at byte offset 5: unterminated attribute value"},
      {"<a b='1'c='2'/>", "at byte offset 8: expected whitespace, '>' or '/>' in the start tag of <a>"},
      {"<a>1 &amp 2</a>", "at byte offset 5: unterminated reference ('&' must be written &amp;)"},
      {"<a>&nbsp;</a>", "at byte offset 3: unknown reference '&nbsp;'"},
      {"<a>&#0;</a>", "at byte offset 3: unknown reference '&#0;'"},
      {"<a>&#xD800;</a>", "at byte offset 3: unknown reference '&#xD800;'"},
      {"<a>x<b/></a>", "at byte offset 4: text mixed with elements in <a>"},
      {"<a><b/>x</a>", "at byte offset 7: text mixed with elements in <a>"},
      {"<a/><b/>", "at byte offset 4: the root element must not be followed by other content"},
      {"<!DOCTYPE a><a/>", "at byte offset 0: DOCTYPE and other declarations are not allowed in mlpersist files"},
      {"<a><![CDATA[x]]></a>", "at byte offset 3: CDATA sections are not used in mlpersist files"},
      {"<a><!-- x </a>", "at byte offset 3: unterminated comment"},
      {std::string("<a>\0</a>", 8), "at byte offset 3: NUL character"},
  };
}

/// What XML allows: a declaration, comments, both quotes, references decoded to UTF-8, and text
/// trimmed unless xml:space="preserve".
const std::string permitted_xml =
    "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c -->\n<a x=\"&lt;\" y='2'>"
    "<b>&#65;&#x42;&amp;&#xe9; </b><!-- c --><c xml:space='preserve'> \n</c><d/></a>\n<!-- c -->\n";

}  // namespace

TEST_CASE("the XML parser refuses malformed text with the byte offset and the reason", "[serialize]") {
  for (const auto& [text, expected] : malformed_xml()) {
    INFO(text);
    CHECK_THROWS_AS(mlpersist::detail::XmlDocument(text, "t", 64), mlpersist::CorruptFile);
    CHECK_THROWS_WITH(mlpersist::detail::XmlDocument(text, "t", 64), "t: malformed XML " + expected);
  }
  const mlpersist::detail::XmlDocument document(permitted_xml, "t", 64);
  REQUIRE(document.size() == 4);
  CHECK(document.name(document[0]) == "a");
  CHECK(document.text(document[1]) == "AB&\xc3\xa9");
  CHECK(document.text(document[2]) == " \n");
  CHECK(document.end(3) == 4);
  CHECK(document.children(0) == 3);
  // Children are counted without a walk when none of them has children of its own.
  const mlpersist::detail::XmlDocument nested("<r><a><b/><b>1</b></a><c/><d><e/></d></r>", "t", 64);
  CHECK(nested.children(0) == 3);
  CHECK(nested.children(1) == 2);
  CHECK(nested.children(5) == 1);
  CHECK(nested.children(6) == 0);
}

TEST_CASE("the XML parser reads plain leaves in one step, and the leaves like them that are not plain in the usual way",
          "[serialize]") {
  // <a>text</a>, empty text included, is read at its start tag. Whitespace in the end tag, a
  // reference or a comment sends an element the general way; the records must be what XML makes of
  // the text either way.
  const std::string text =
      "<r><a> 1 </a><a>2</a ><a></a><a>&lt;</a><a>3<!-- c --> </a><ab>4</ab><a>5</a\n></r>";
  const mlpersist::detail::XmlDocument document(text, "t", 64);
  REQUIRE(document.size() == 8);
  const std::vector<std::string> texts{"1", "2", "", "<", "3", "4", "5"};
  const std::vector<std::string> names{"a", "a", "a", "a", "a", "ab", "a"};
  for (std::uint64_t k = 1; k < document.size(); ++k) {
    INFO("element " << k);
    CHECK(document.name(document[k]) == names[k - 1]);
    CHECK(document.text(document[k]) == texts[k - 1]);
    CHECK_FALSE(document.has_children(k));
  }
  CHECK(document[1].text == text.find('1'));
  CHECK(document[4].has_entities == 1);
  CHECK(document.children(0) == 7);
}

TEST_CASE("the XML parser's second thread changes nothing, wherever the second half starts", "[serialize]") {
  using mlpersist::detail::XmlDocument;
  // Every document is parsed with the second half starting at every offset, and must give what a
  // one-thread parse gives: the same elements, or the same error at the same place.
  std::vector<std::pair<std::string, std::uint32_t>> documents;  // with the nesting allowed
  for (const auto& [text, expected] : malformed_xml()) documents.emplace_back(text, 64);
  for (const std::string& text : {
           permitted_xml,
           std::string("<r><a><b>1</b><b> 2 </b></a>\n<a><b>3</b><c/></a></r>"),
           std::string("<r><a>1</a ><a>&lt;</a><a>2<!---->\n</a><ab>3</ab><a></a></r>"),  // leaves not plain
           std::string("<r><a>1</a><!-- <a>2</a> --><?p <a>3</a> ?><a>4</a></r>"),  // start tags in markup
           std::string("<r><a><b>1</b></c></r>"),   // an element of the first half closed by another name
           std::string("<r><a><b/></a></a></r>"),   // one end tag too many
           std::string("<r><a><b>1</b>"),           // not closed
           std::string("<r><a><b/></a>x</r>"),      // text after a child of the first half's element
           std::string("<r><a/></r><s/>"),          // a second root
           std::string("<r><a/></r> <!-- x --> "),  // what may follow the root
           std::string("<r><a xml:space='preserve'> </a><a>&lt;&#65;</a><a x='&amp;'/></r>"),
       })
    documents.emplace_back(text, 64);
  for (std::uint32_t depth = 1; depth <= 6; ++depth) {
    documents.emplace_back("<a><b><c><d><e/></d></c></b></a>", depth);
    documents.emplace_back("<a><b/><b><c/></b><b><c><d/></c></b><b/></a>", depth);
  }
  for (const auto& [text, max_depth] : documents) {
    INFO(text << " (max_depth " << max_depth << ")");
    const std::string one_thread = test::xml_outcome(text, max_depth, XmlDocument::no_second_half);
    for (std::size_t second_half = 0; second_half <= text.size() + 1; ++second_half) {
      INFO("second half from offset " << second_half);
      CHECK(test::xml_outcome(text, max_depth, second_half) == one_thread);
    }
  }
  // The second thread's elements are used when they can be (and not when the tag where it started
  // lies in a comment).
  const std::string text = "<r><a>1</a><!-- <a>2</a> --><a>3</a></r>";
  CHECK(XmlDocument(text, "t", 64, text.find("<a>3")).parsed_in_two_threads());
  CHECK_FALSE(XmlDocument(text, "t", 64, text.find("<a>2")).parsed_in_two_threads());
  CHECK_FALSE(XmlDocument(text, "t", 64, XmlDocument::no_second_half).parsed_in_two_threads());
}

TEST_CASE("XML values of the wrong kind or range name what was expected and found", "[serialize]") {
  const auto load_probe = d_plus_i<mlpersist::detail::XmlDocument, mlpersist::detail::XmlReader>;
  CHECK(load_probe("<cereal><i>-7</i><d> 0.5 </d></cereal>") == -6.5);  // found by name, in any order
  CHECK_THROWS_WITH(load_probe("<cereal><d>0.5x</d><i>1</i></cereal>"), "expected a number in range, found '0.5x'");
  CHECK_THROWS_WITH(load_probe("<cereal><d>0.5</d><i>1.5</i></cereal>"), "expected an integer in range, found '1.5'");
  CHECK_THROWS_WITH(load_probe("<cereal><d>0.5</d><i>3000000000</i></cereal>"),
                    "expected an integer in range, found '3000000000'");
  CHECK_THROWS_WITH(load_probe("<cereal><d>1e999</d><i>1</i></cereal>"), "expected a number in range, found '1e999'");
  CHECK_THROWS_WITH(load_probe("<cereal><d>0.5</d></cereal>"), "expected an element <i>, which is missing");
  CHECK_THROWS_WITH(load_probe("<cereal><d><x/></d><i>1</i></cereal>"), "expected text in <d>, found elements");
}

TEST_CASE("the JSON parser refuses malformed text with the byte offset and the reason", "[serialize]") {
  const std::pair<std::string, std::string> cases[] = {
      {"", "at byte offset 0: The document is empty."},
      {"{\"a\": [1, 2,]}", "at byte offset 12: Invalid value."},
      {"{\"a\" 1}", "at byte offset 5: Missing a colon after a name of object member."},
      {"{\"a\": 01}", "at byte offset 7: Leading zeros are not allowed in numbers."},
      {"{\"a\": 1 2}", "at byte offset 8: Missing a comma or '}' after an object member."},
      {"[1 2]", "at byte offset 3: Missing a comma or ']' after an array element."},
      {"{1: 2}", "at byte offset 1: Missing a name for object member."},
      {"{\"a\": 1.}", "at byte offset 8: Missing fraction part in number."},
      {"{\"a\": 1e+}", "at byte offset 9: Missing exponent in number."},
      {"{\"a\": tru}", "at byte offset 6: Invalid value."},
      {"{\"a\": +1}", "at byte offset 6: Invalid value."},
      {"{\"a\": \"x\\q\"}", "at byte offset 8: Invalid escape character in string."},
      {"{\"a\": \"\\u12G4\"}", "at byte offset 9: Incorrect hex digit after \\u escape in string."},
      {"{\"a\": \"\\ud800x\"}", "at byte offset 13: The surrogate pair in string is invalid."},
      {"{\"a\": \"\\udc00\"}", "at byte offset 7: The surrogate pair in string is invalid."},
      {"{\"a\": \"tab\there\"}", "at byte offset 10: Invalid encoding in string."},
      {"{\"a\": \"open", "at byte offset 6: Missing a closing quotation mark in string."},
      {"{} {}", "at byte offset 3: The document root must not be followed by other values."},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    CHECK_THROWS_AS(mlpersist::detail::JsonDocument(text, "t", 64), mlpersist::CorruptFile);
    CHECK_THROWS_WITH(mlpersist::detail::JsonDocument(text, "t", 64), "t: malformed JSON " + expected);
  }
  // What JSON allows, and rapidjson's NaN and infinities, parse; escapes decode to UTF-8.
  const std::string text = " {\"k\": [0, -0.5e-3, 1E+2, NaN, -Infinity, Inf, true, null, \"\\u00e9\\ud83d\\ude00\\n\\/\"]} ";
  const mlpersist::detail::JsonDocument document(text, "t", 64);
  CHECK(document.string(document[11]) == "\xc3\xa9\xf0\x9f\x98\x80\n/");
}

TEST_CASE("JSON values of the wrong kind or range name what was expected and found", "[serialize]") {
  const auto load_probe = d_plus_i<mlpersist::detail::JsonDocument, mlpersist::detail::JsonReader>;
  CHECK(load_probe("{\"i\": -7, \"d\": 0.5}") == -6.5);  // members found by name, in any order
  CHECK_THROWS_WITH(load_probe("{\"d\": \"0.5\", \"i\": 1}"), "expected a number, found a string '0.5'");
  CHECK_THROWS_WITH(load_probe("{\"d\": 0.5, \"i\": 1.5}"), "expected an integer in range, found '1.5'");
  CHECK_THROWS_WITH(load_probe("{\"d\": 0.5, \"i\": 3000000000}"), "expected an integer in range, found '3000000000'");
  CHECK_THROWS_WITH(load_probe("{\"d\": 1e999, \"i\": 1}"), "expected a number in range, found '1e999'");
  CHECK_THROWS_WITH(load_probe("{\"d\": 0.5}"), "expected a member named 'i', which is missing");
  CHECK_THROWS_WITH(load_probe("{\"d\": [], \"i\": 1}"), "expected a number, found an array");
}

TEMPLATE_TEST_CASE("find_non_finite finds the first NaN or infinity, at any place in a block, and only those",
                   "[serialize]", float, double) {
  using Limits = std::numeric_limits<TestType>;
  // Finite values whose bits come closest to a non-finite one's: the largest exponent, the sign, subnormals.
  const std::vector<TestType> edges{Limits::max(), Limits::lowest(), Limits::denorm_min(), -Limits::denorm_min(),
                                    Limits::min(), TestType(-0.0), TestType(0.0), TestType(1.0)};
  std::vector<TestType> values(1500);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = edges[i % edges.size()];
  CHECK(mlpersist::detail::find_non_finite(values.data(), values.size()) == values.data() + values.size());
  CHECK(mlpersist::detail::find_non_finite(values.data(), 0) == values.data());
  for (const TestType bad : {Limits::quiet_NaN(), -Limits::quiet_NaN(), Limits::signaling_NaN(), Limits::infinity(),
                             -Limits::infinity()}) {
    // Blocks of 512 values: the first and last of a block, the value after it, the very last one.
    for (const std::size_t at : {std::size_t{0}, std::size_t{1}, std::size_t{511}, std::size_t{512}, std::size_t{1499}}) {
      std::vector<TestType> damaged = values;
      damaged[at] = bad;
      if (at + 3 < damaged.size()) damaged[at + 3] = Limits::infinity();  // a later one is not the answer
      INFO("value " << bad << " at " << at);
      CHECK(mlpersist::detail::find_non_finite(damaged.data(), damaged.size()) == damaged.data() + at);
      CHECK(mlpersist::detail::find_non_finite(damaged.data(), at) == damaged.data() + at);  // not in range
    }
  }
}
