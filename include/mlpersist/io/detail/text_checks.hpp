#pragma once
// Checks a text file before an archive reads it. JSON is parsed here, once, by mlpersist's own
// parser (which reports the byte offset of a syntax error and bounds nesting as it goes); XML is
// scanned in one pass first, because rapidxml parses elements by recursion and deeply nested input
// would overflow the stack: nesting is bounded by LoadOptions::max_depth.
#include "mlpersist/core/detail/archives.hpp"
#include "mlpersist/core/errors.hpp"


#include <cstdint>
#include <string>
#include <string_view>

namespace mlpersist::detail {

/// The parsed document of a JSON file, checked to be an object with the "mlpersist" envelope.
inline JsonDocument parse_json(std::string_view bytes, const std::string& source, std::uint32_t max_depth) {
  JsonDocument document(bytes, source, max_depth);
  bool has_envelope = false;
  if (document[0].type() == JsonKind::object)
    for (std::uint64_t key = 1; key < document[0].size && !has_envelope; key = document.next(key + 1))
      has_envelope = document.string(document[key]) == "mlpersist";
  if (!has_envelope) throw FormatError(source + ": JSON, but not an mlpersist file (no \"mlpersist\" envelope)");
  return document;
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
