#pragma once
// The one place that includes cereal's archives. JSON needs rapidjson configured before its first
// inclusion: its assertions must throw (never abort, never run on with garbage), and the parser must
// be iterative (a recursive parser overflows the stack on deeply nested input) and exact for floats.

#if defined(RAPIDJSON_ASSERT) && !defined(MLPERSIST_DETAIL_RAPIDJSON_CONFIGURED)
#error "rapidjson was included before mlpersist: include mlpersist headers first in this file"
#endif
#define MLPERSIST_DETAIL_RAPIDJSON_CONFIGURED

// Saving registers class versions in a process-wide table, which cereal guards only when asked to:
// without this, threads saving at once race on it (found by ThreadSanitizer). The CMake target
// defines it for every translation unit, so the order of includes cannot make it differ.
#ifndef CEREAL_THREAD_SAFE
#define CEREAL_THREAD_SAFE 1
#elif !CEREAL_THREAD_SAFE
#error "mlpersist needs CEREAL_THREAD_SAFE=1: define it for the whole project, or include mlpersist before cereal"
#endif

#include <cereal/details/helpers.hpp>  // cereal::Exception

#ifndef RAPIDJSON_ASSERT
namespace mlpersist::detail {
// rapidjson asserts on malformed documents and on reading a value of the wrong type.
struct JsonAssertion : cereal::Exception {
  using cereal::Exception::Exception;
};
}  // namespace mlpersist::detail
#define RAPIDJSON_ASSERT_THROWS
#define RAPIDJSON_ASSERT(x)                                                                    \
  do {                                                                                         \
    if (!(x)) throw ::mlpersist::detail::JsonAssertion("JSON value is not as expected: " #x); \
  } while (false)
#endif
// Debian's cereal uses the system rapidjson (RAPIDJSON_*); upstream cereal bundles a renamed copy
// (CEREAL_RAPIDJSON_*). Configure both so the same code is safe with either.
#define CEREAL_RAPIDJSON_ASSERT_THROWS
#define CEREAL_RAPIDJSON_ASSERT(x) RAPIDJSON_ASSERT(x)
#define RAPIDJSON_PARSE_DEFAULT_FLAGS kParseFullPrecisionFlag | kParseNanAndInfFlag | kParseIterativeFlag
#define CEREAL_RAPIDJSON_PARSE_DEFAULT_FLAGS RAPIDJSON_PARSE_DEFAULT_FLAGS

#include <cereal/archives/json.hpp>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>

#include "mlpersist/core/detail/json.hpp"
#include "mlpersist/core/detail/xml.hpp"

#include <type_traits>

namespace cereal {
class XMLOutputArchive;
class XMLInputArchive;
}  // namespace cereal

namespace mlpersist::detail {

template <class Archive>
inline constexpr bool is_xml_archive_v = std::is_same_v<Archive, XmlWriter> || std::is_same_v<Archive, XmlReader>;
/// cereal's own XML archives (which users may still call serialize() with; mlpersist files do not).
template <class Archive>
inline constexpr bool is_cereal_xml_archive_v = std::is_same_v<Archive, cereal::XMLOutputArchive> ||
                                                std::is_same_v<Archive, cereal::XMLInputArchive>;
template <class Archive>
inline constexpr bool is_binary_archive_v =
    std::is_same_v<Archive, cereal::PortableBinaryOutputArchive> ||
    std::is_same_v<Archive, cereal::PortableBinaryInputArchive>;
template <class Archive>
inline constexpr bool is_loading_v = std::is_base_of_v<cereal::detail::InputArchiveBase, Archive>;

}  // namespace mlpersist::detail
