#pragma once
#include "mlpersist/core/errors.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mlpersist {

/// The three encodings of a model file.
enum class Format {
  binary,  ///< portable little-endian binary with a checksum; the smallest and fastest
  json,    ///< human-readable JSON
  xml      ///< human-readable XML
};

inline const char* to_string(Format format) {
  switch (format) {
    case Format::binary: return "binary";
    case Format::json: return "JSON";
    case Format::xml: return "XML";
  }
  return "unknown";
}

/// The file extension mlpersist uses for a format, with its dot: ".bin", ".json" or ".xml".
inline const char* extension(Format format) {
  switch (format) {
    case Format::binary: return ".bin";
    case Format::json: return ".json";
    case Format::xml: return ".xml";
  }
  return "";
}

namespace detail {

/// The first bytes of a binary mlpersist file (as PNG's: a non-ASCII byte, then line endings that
/// text-mode transfers would mangle, so such damage is recognised at once).
inline constexpr std::string_view binary_magic{"\x89MLP\r\n\x1a\n", 8};

/// .bin, .json or .xml (any case); nothing for any other extension.
inline std::optional<Format> format_from_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".bin") return Format::binary;
  if (ext == ".json") return Format::json;
  if (ext == ".xml") return Format::xml;
  return std::nullopt;
}

/// What a file's first bytes say it is; throws FormatError, with a hint where one helps, when they
/// are none of the three formats.
inline Format sniff_format(std::string_view bytes, const std::string& source) {
  if (bytes.substr(0, binary_magic.size()) == binary_magic) return Format::binary;
  std::size_t i = 0;
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // UTF-8 byte order mark
  while (i < bytes.size() && std::isspace(static_cast<unsigned char>(bytes[i]))) ++i;
  if (i < bytes.size() && bytes[i] == '{') return Format::json;
  if (i < bytes.size() && bytes[i] == '<') return Format::xml;

  std::string hint;
  if (bytes.empty())
    hint = "the file is empty";
  else if (bytes.substr(0, 2) == "\x1f\x8b")
    hint = "it looks gzip-compressed: decompress it first";
  else if (bytes.substr(0, 4) == "PK\x03\x04")
    hint = "it looks like a zip archive (.npz, .pt or .zip)";
  else if (bytes.substr(0, 1) == "\x80")
    hint = "it looks like a Python pickle, which mlpersist does not read";
  else if (bytes.substr(0, 4) == std::string_view("\x89MLP", 4))
    hint = "it starts like a binary mlpersist file whose header was altered (text-mode transfer?)";
  else {
    static const char* digits = "0123456789abcdef";
    hint = "it starts with bytes";
    for (std::size_t k = 0; k < std::min<std::size_t>(bytes.size(), 8); ++k) {
      const auto c = static_cast<unsigned char>(bytes[k]);
      hint += ' ';
      hint += digits[c >> 4];
      hint += digits[c & 15];
    }
  }
  throw FormatError(source + ": not an mlpersist file (" + hint + ")");
}

}  // namespace detail
}  // namespace mlpersist
