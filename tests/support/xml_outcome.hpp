#pragma once
// What parsing a text as XML gives, as one string that two parses can be compared by: the element
// records, or the kind and message of the error. The tests and the XML fuzz target compare the
// two-thread parse, its second half starting anywhere, with the one-thread parse.
#include <mlpersist/mlpersist.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace test {

inline std::string xml_outcome(std::string_view text, std::uint32_t max_depth, std::size_t second_half) {
  using mlpersist::detail::XmlDocument;
  using mlpersist::detail::XmlElement;
  try {
    const XmlDocument document(text, "t", max_depth, second_half);
    std::string records;
    for (std::uint64_t i = 0; i < document.size(); ++i) {
      const XmlElement& element = document[i];
      records += std::to_string(element.start) + ' ' + std::to_string(element.descendants) + ' ' +
                 std::to_string(element.text) + ' ' + std::to_string(element.text_size) + ' ' +
                 std::to_string(element.name_size) + ' ' + std::to_string(element.has_entities) + ' ' +
                 std::to_string(element.preserve) + ' ' + std::to_string(element.nested) + ' ' +
                 std::to_string(document.children(i)) + '\n';
    }
    return records;
  } catch (const mlpersist::CorruptFile& e) {
    return std::string("CorruptFile: ") + e.what();
  } catch (const mlpersist::LimitExceeded& e) {
    return std::string("LimitExceeded: ") + e.what();
  }
}

}  // namespace test
