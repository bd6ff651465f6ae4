#pragma once
// Parses a text file before an archive reads it, once, with mlpersist's own parsers (which report
// the byte offset of a syntax error and bound nesting by LoadOptions::max_depth as they go), and
// checks that it is an mlpersist file.
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

/// The parsed document of an XML file, checked to have cereal's <cereal> root and the <mlpersist>
/// envelope in it.
inline XmlDocument parse_xml(std::string_view bytes, const std::string& source, std::uint32_t max_depth) {
  XmlDocument document(bytes, source, max_depth);
  bool has_envelope = false;
  if (document.name(document[0]) == "cereal")
    for (std::uint64_t child = 1; child < document.end(0) && !has_envelope; child = document.end(child))
      has_envelope = document.name(document[child]) == "mlpersist";
  if (!has_envelope)
    throw FormatError(source + ": XML, but not an mlpersist file (no <mlpersist> envelope in a <cereal> root)");
  return document;
}

}  // namespace mlpersist::detail
