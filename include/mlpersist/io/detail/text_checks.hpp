#pragma once
// Checks a JSON or XML file in one streaming pass before cereal builds its DOM from it:
//   - cereal reports no position for JSON syntax errors; this pass gives rapidjson's byte offset;
//   - rapidjson destroys its DOM and rapidxml parses elements by recursion, so deeply nested input
//     would overflow the stack: nesting is bounded by LoadOptions::max_depth first.
#include "mlpersist/core/detail/archives.hpp"  // configures rapidjson before its first inclusion
#include "mlpersist/core/errors.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace mlpersist::detail {

inline std::string nesting_error(const std::string& source, const char* format, std::uint32_t max_depth,
                                 std::size_t offset) {
  return source + ": " + format + " nested deeper than " + std::to_string(max_depth) + " levels at byte offset " +
         std::to_string(offset) + " (LoadOptions::max_depth)";
}

/// Tracks nesting and whether the root object has an "mlpersist" member; allocates nothing.
struct JsonShape : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, JsonShape> {
  std::uint32_t max_depth = 0;
  std::uint32_t depth = 0;
  bool too_deep = false;
  bool root_is_object = false;
  bool has_envelope = false;

  bool Default() { return true; }
  bool StartObject() {
    if (depth == 0) root_is_object = true;
    return enter();
  }
  bool StartArray() { return enter(); }
  bool EndObject(rapidjson::SizeType) { return leave(); }
  bool EndArray(rapidjson::SizeType) { return leave(); }
  bool Key(const char* name, rapidjson::SizeType length, bool) {
    if (depth == 1 && std::string_view(name, length) == "mlpersist") has_envelope = true;
    return true;
  }

 private:
  bool enter() {
    too_deep = ++depth > max_depth;
    return !too_deep;
  }
  bool leave() {
    --depth;
    return true;
  }
};

inline void check_json(std::string_view bytes, const std::string& source, std::uint32_t max_depth) {
  JsonShape shape;
  shape.max_depth = max_depth;
  rapidjson::MemoryStream stream(bytes.data(), bytes.size());
  rapidjson::Reader reader;
  using namespace rapidjson;  // the flag names in RAPIDJSON_PARSE_DEFAULT_FLAGS
  const ParseResult result = reader.Parse<RAPIDJSON_PARSE_DEFAULT_FLAGS>(stream, shape);
  if (shape.too_deep) throw LimitExceeded(nesting_error(source, "JSON", max_depth, result.Offset()));
  if (result.IsError())
    throw CorruptFile(source + ": malformed JSON at byte offset " + std::to_string(result.Offset()) + ": " +
                      rapidjson::GetParseError_En(result.Code()));
  if (!shape.root_is_object || !shape.has_envelope)
    throw FormatError(source + ": JSON, but not an mlpersist file (no \"mlpersist\" envelope)");
}

/// Measures element nesting the way rapidxml will parse it. Comments, processing instructions and
/// CDATA are skipped as rapidxml skips them; quoted attribute values may hold '>' and '/'. A DOCTYPE
/// is refused: mlpersist never writes one, and rapidxml's handling of it differs from a simple scan.
inline void check_xml(std::string_view bytes, const std::string& source, std::uint32_t max_depth) {
  auto corrupt = [&](const std::string& what, std::size_t offset) {
    return CorruptFile(source + ": malformed XML at byte offset " + std::to_string(offset) + ": " + what);
  };
  auto skip_past = [&](std::size_t from, std::string_view end, std::size_t start) {
    const std::size_t found = bytes.find(end, from);
    if (found == std::string_view::npos) throw corrupt("unterminated markup", start);
    return found + end.size();
  };
  std::uint32_t depth = 0;
  std::size_t i = bytes.find('<');
  while (i != std::string_view::npos) {
    const std::string_view rest = bytes.substr(i);
    if (rest.substr(0, 4) == "<!--") {
      i = skip_past(i + 4, "-->", i);
    } else if (rest.substr(0, 9) == "<![CDATA[") {
      i = skip_past(i + 9, "]]>", i);
    } else if (rest.substr(0, 2) == "<!") {
      throw corrupt("DOCTYPE and other declarations are not allowed in mlpersist files", i);
    } else if (rest.substr(0, 2) == "<?") {
      i = skip_past(i + 2, "?>", i);
    } else if (rest.substr(0, 2) == "</") {
      if (depth > 0) --depth;  // an unbalanced end tag is rapidxml's to report
      i = skip_past(i + 2, ">", i);
    } else {
      // A start tag: find its '>' outside quotes; "/>" closes the element at once.
      std::size_t j = i + 1;
      char quote = 0;
      while (j < bytes.size() && (quote != 0 || bytes[j] != '>')) {
        if (quote == 0 && (bytes[j] == '"' || bytes[j] == '\'')) quote = bytes[j];
        else if (bytes[j] == quote) quote = 0;
        ++j;
      }
      if (j == bytes.size()) throw corrupt("unterminated start tag", i);
      if (bytes[j - 1] != '/' && ++depth > max_depth)
        throw LimitExceeded(nesting_error(source, "XML", max_depth, i));
      i = j + 1;
    }
    i = bytes.find('<', i);
  }
}

}  // namespace mlpersist::detail
