#pragma once
// The cereal hooks that mlpersist's JSON and XML archives share: names and deferred data open no
// node of their own, and names, sizes, numbers and strings are written and read the same way.
// cereal finds hooks by argument-dependent lookup; these mirror those of its own text archives.
// What opens a node, and what a SizeTag marks, differ per format (json.hpp, xml.hpp).
#include <cereal/cereal.hpp>

#include <string>
#include <type_traits>

namespace mlpersist::detail {

class JsonWriter;
class JsonReader;
class XmlWriter;
class XmlReader;

template <class Archive>
inline constexpr bool is_text_writer_v = std::is_same_v<Archive, JsonWriter> || std::is_same_v<Archive, XmlWriter>;
template <class Archive>
inline constexpr bool is_text_reader_v = std::is_same_v<Archive, JsonReader> || std::is_same_v<Archive, XmlReader>;
template <class Archive>
using if_text_archive = std::enable_if_t<is_text_writer_v<Archive> || is_text_reader_v<Archive>, int>;
template <class Archive>
using if_text_writer = std::enable_if_t<is_text_writer_v<Archive>, int>;
template <class Archive>
using if_text_reader = std::enable_if_t<is_text_reader_v<Archive>, int>;

template <class Archive, class T, if_text_archive<Archive> = 0>
void prologue(Archive&, const cereal::NameValuePair<T>&) {}
template <class Archive, class T, if_text_archive<Archive> = 0>
void epilogue(Archive&, const cereal::NameValuePair<T>&) {}
template <class Archive, class T, if_text_archive<Archive> = 0>
void prologue(Archive&, const cereal::DeferredData<T>&) {}
template <class Archive, class T, if_text_archive<Archive> = 0>
void epilogue(Archive&, const cereal::DeferredData<T>&) {}
template <class Archive, class T, if_text_archive<Archive> = 0>
void epilogue(Archive&, const cereal::SizeTag<T>&) {}

template <class Archive, class T, if_text_writer<Archive> = 0>
void CEREAL_SAVE_FUNCTION_NAME(Archive& ar, const cereal::NameValuePair<T>& field) {
  ar.setNextName(field.name);
  ar(field.value);
}
template <class Archive, class T, if_text_reader<Archive> = 0>
void CEREAL_LOAD_FUNCTION_NAME(Archive& ar, cereal::NameValuePair<T>& field) {
  ar.setNextName(field.name);
  ar(field.value);
}
// A size is not written: readers count the elements.
template <class Archive, class T, if_text_writer<Archive> = 0>
void CEREAL_SAVE_FUNCTION_NAME(Archive&, const cereal::SizeTag<T>&) {}
template <class Archive, class T, if_text_reader<Archive> = 0>
void CEREAL_LOAD_FUNCTION_NAME(Archive& ar, cereal::SizeTag<T>& tag) {
  ar.loadSize(tag.size);
}
template <class Archive, class T, if_text_writer<Archive> = 0, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
void CEREAL_SAVE_FUNCTION_NAME(Archive& ar, const T& value) {
  ar.saveValue(value);
}
template <class Archive, class T, if_text_reader<Archive> = 0, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
void CEREAL_LOAD_FUNCTION_NAME(Archive& ar, T& value) {
  ar.loadValue(value);
}
template <class Archive, class Traits, class Alloc, if_text_writer<Archive> = 0>
void CEREAL_SAVE_FUNCTION_NAME(Archive& ar, const std::basic_string<char, Traits, Alloc>& value) {
  ar.saveValue(std::string(value));
}
template <class Archive, class Traits, class Alloc, if_text_reader<Archive> = 0>
void CEREAL_LOAD_FUNCTION_NAME(Archive& ar, std::basic_string<char, Traits, Alloc>& value) {
  std::string loaded;
  ar.loadValue(loaded);
  value.assign(loaded.data(), loaded.size());
}

}  // namespace mlpersist::detail
