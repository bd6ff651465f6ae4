#pragma once
// What the text archives share: numbers as text (written shortest-exact, since std::to_chars reads
// back as the same value, for floats as float; read strictly, so "1.5abc" is an error, not 1.5, and
// every value to_text writes, subnormals, infinities and NaN, is accepted), UTF-8 encoding, and the
// nesting-depth error.
#include "mlpersist/core/errors.hpp"

#include <array>
#include <charconv>
#include <ios>
#include <ostream>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace mlpersist::detail {

inline std::string nesting_error(const std::string& source, const char* format, std::uint32_t max_depth,
                                 std::size_t offset) {
  return source + ": " + format + " nested deeper than " + std::to_string(max_depth) + " levels at byte offset " +
         std::to_string(offset) + " (LoadOptions::max_depth)";
}

/// Appends the UTF-8 encoding of a Unicode code point (the caller checked it is one).
inline void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

/// Appends `value` as text to `out` (any type with push_back/append of chars).
template <class Out, class T>
void append_text(Out& out, T value) {
  if constexpr (std::is_same_v<T, bool>) {
    out.append(value ? "true" : "false");
  } else {
    std::array<char, 64> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    out.append(buffer.data(), static_cast<std::size_t>(result.ptr - buffer.data()));
  }
}

template <class T>
std::string to_text(T value) {
  std::string out;
  append_text(out, value);
  return out;
}

template <class T>
T from_text(std::string_view text) {
  if constexpr (std::is_same_v<T, bool>) {
    if (text == "true") return true;
    if (text == "false") return false;
    throw CorruptFile("expected true or false, found '" + std::string(text) + "'");
  } else {
    T value{};
    const char* first = text.data();
    const char* last = first + text.size();
    if (first != last && *first == '+') ++first;  // from_chars rejects a leading '+'
    const auto result = std::from_chars(first, last, value);
    if (result.ec != std::errc() || result.ptr != last || first == last)
      throw CorruptFile(std::string("expected ") + (std::is_floating_point_v<T> ? "a number" : "an integer") +
                        " in range, found '" + std::string(text) + "'");
    return value;
  }
}

/// What a text archive writes goes through one buffer, passed to the stream 64 KiB at a time.
class BufferedOutput {
 protected:
  explicit BufferedOutput(std::ostream& out) : out_(out) { buffer_.reserve(flush_size + 4096); }

  void flush_if_full() {
    if (buffer_.size() >= flush_size) flush();
  }
  /// Ends the document from the archive's destructor (cereal's archives complete their documents
  /// there), where nothing may throw: a failure sets the stream's badbit.
  template <class End>
  void finish(End&& end) noexcept {
    try {
      end();
      out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    } catch (...) {
      out_.setstate(std::ios::badbit);
    }
  }

  std::string buffer_;

 private:
  static constexpr std::size_t flush_size = std::size_t{1} << 16;

  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }

  std::ostream& out_;
};

}  // namespace mlpersist::detail
