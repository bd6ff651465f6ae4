#pragma once
// save, load and inspect: the public entry points for model files.
//
// Binary layout (all integers little-endian):
//   0   8 bytes  magic "\x89MLP\r\n\x1a\n"
//   8   u32      container version
//   12  ...      cereal portable-binary payload: the envelope fields, then the model
//   end-12 u64   payload length
//   end-4  u32   CRC-32 of every byte before it
// JSON and XML: a root object holding "mlpersist" (the envelope) and "model".
#include "mlpersist/core/errors.hpp"
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/io/detail/file.hpp"
#include "mlpersist/io/detail/self_check.hpp"
#include "mlpersist/io/detail/streams.hpp"
#include "mlpersist/io/detail/text_checks.hpp"
#include "mlpersist/io/file_info.hpp"
#include "mlpersist/io/format.hpp"
#include "mlpersist/io/options.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <ostream>
#include <string>
#include <string_view>

namespace mlpersist {
namespace detail {

inline constexpr std::size_t binary_header_size = 12;   // magic + container version
inline constexpr std::size_t binary_trailer_size = 12;  // payload length + CRC-32

template <class Unsigned>
void put_le(std::ostream& out, Unsigned value) {
  std::array<char, sizeof(Unsigned)> bytes{};
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFFu);
  out.write(bytes.data(), bytes.size());
}

template <class Unsigned>
Unsigned get_le(std::string_view bytes, std::size_t offset) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i)
    value |= static_cast<Unsigned>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return value;
}

/// Turns a stream's exceptions off for its lifetime, then restores them (keeping the stream state).
class ExceptionMaskGuard {
 public:
  explicit ExceptionMaskGuard(std::ios& stream) : stream_(stream), mask_(stream.exceptions()) {
    stream.exceptions(std::ios::goodbit);
  }
  ~ExceptionMaskGuard() {
    try {
      stream_.exceptions(mask_);
    } catch (const std::ios::failure&) {
      // The stream is bad and its mask asks for an exception: the IoError in flight says it.
    }
  }
  ExceptionMaskGuard(const ExceptionMaskGuard&) = delete;
  ExceptionMaskGuard& operator=(const ExceptionMaskGuard&) = delete;

 private:
  std::ios& stream_;
  std::ios::iostate mask_;
};

template <class Model>
void write_model(const Model& model, std::ostream& out, Format format, const SaveOptions& options) {
  // cereal writes (and on load passes to serialize) the version declared for it, which must be
  // the class's own schema_version.
  if (cereal::detail::Version<Model>::version != Model::schema_version)
    throw std::logic_error(Model::type_name() + " has schema_version " + std::to_string(Model::schema_version) +
                           " but cereal's class version is " + std::to_string(cereal::detail::Version<Model>::version) +
                           ": declare MLPERSIST_SCHEMA_VERSION(Type) at global scope");
  // Stream errors are collected as badbit and reported once, as IoError: cereal writes from
  // destructors (the whole XML document, the end of JSON), where an exception would terminate.
  ExceptionMaskGuard no_exceptions(out);
  FileInfo info{format, container_version, Model::type_name(), Model::schema_version, library_version, utc_now(),
                options.metadata, {}, {}};
  record_self_check(model, options.self_check, info);
  auto write_body = [&](auto& ar) {
    ar(cereal::make_nvp("mlpersist", EnvelopeIO{info}), cereal::make_nvp("model", model));
  };
  switch (format) {
    case Format::binary: {
      ChecksumBuffer checksummed(out.rdbuf());
      std::ostream body(&checksummed);
      body.write(binary_magic.data(), static_cast<std::streamsize>(binary_magic.size()));
      put_le(body, container_version);
      try {
        cereal::PortableBinaryOutputArchive ar(body);
        write_body(ar);
      } catch (const cereal::Exception& e) {
        // The binary archive writes to the buffer directly and reports a short write this way.
        throw IoError(std::string("writing the binary model failed: ") + e.what());
      }
      put_le(body, static_cast<std::uint64_t>(checksummed.count() - binary_header_size));
      body.flush();
      if (!body) out.setstate(std::ios::badbit);
      put_le(out, checksummed.crc());
      break;
    }
    case Format::json: {
      cereal::JSONOutputArchive ar(out);
      write_body(ar);
      break;
    }
    case Format::xml: {
      cereal::XMLOutputArchive ar(out);
      write_body(ar);
      break;
    }
  }
  if (!out) throw IoError("writing the " + std::string(to_string(format)) + " model failed");
}

[[noreturn]] inline void rethrow_as(const Error& original, const std::string& message) {
  if (dynamic_cast<const VersionError*>(&original)) throw VersionError(message);
  if (dynamic_cast<const TypeMismatch*>(&original)) throw TypeMismatch(message);
  if (dynamic_cast<const FormatError*>(&original)) throw FormatError(message);
  if (dynamic_cast<const IoError*>(&original)) throw IoError(message);
  if (dynamic_cast<const LimitExceeded*>(&original)) throw LimitExceeded(message);
  if (dynamic_cast<const VerificationError*>(&original)) throw VerificationError(message);
  throw CorruptFile(message);
}

/// Checks a binary file's fixed header and trailer; returns the payload.
inline std::string_view binary_payload(std::string_view bytes, const std::string& source) {
  if (bytes.size() < binary_header_size)
    throw CorruptFile(source + ": truncated binary file: " + std::to_string(bytes.size()) +
                      " bytes, less than its 12-byte header");
  const auto version = get_le<std::uint32_t>(bytes, binary_magic.size());
  try {
    check_container_version(version);
  } catch (const VersionError& e) {
    throw VersionError(source + ": " + e.what());
  }
  if (bytes.size() < binary_header_size + binary_trailer_size)
    throw CorruptFile(source + ": truncated binary file: " + std::to_string(bytes.size()) + " bytes");
  const std::size_t payload_size = bytes.size() - binary_header_size - binary_trailer_size;
  const auto declared = get_le<std::uint64_t>(bytes, bytes.size() - binary_trailer_size);
  if (declared != payload_size)
    throw CorruptFile(source + ": truncated or extended binary file: its trailer declares " + std::to_string(declared) +
                      " payload bytes, the file has " + std::to_string(payload_size));
  Crc32 crc;
  crc.update(bytes.data(), bytes.size() - 4);
  const auto stored = get_le<std::uint32_t>(bytes, bytes.size() - 4);
  if (crc.value() != stored)
    throw CorruptFile(source + ": checksum mismatch: the file stores CRC-32 " + std::to_string(stored) +
                      ", its content gives " + std::to_string(crc.value()) + " (the file is damaged)");
  return bytes.substr(binary_header_size, payload_size);
}

/// Runs read(archive) over the bytes of a file; every failure becomes an mlpersist error that names
/// the source, the format, and where in the file it happened.
template <class Reader>
void read_archive(std::string_view bytes, Format format, const std::string& source, const LoadOptions& options,
                  Reader&& read) {
  LoadContext context;
  context.max_bytes = options.max_bytes;
  LoadScope scope(context);
  auto fail = [&](const std::exception& e, const Error* original) {
    // A wrong type or version is about the whole file; damage has a place in it.
    const bool whole_file = dynamic_cast<const TypeMismatch*>(original) || dynamic_cast<const VersionError*>(original);
    std::string where;
    if (!context.failed_at.empty()) where = "at " + context.failed_at;
    if (format == Format::binary && !whole_file) {
      where += (where.empty() ? "" : ", ") + std::string("byte offset ") +
               std::to_string(binary_header_size + context.offset());
    }
    const std::string message =
        source + " (" + to_string(format) + "): " + e.what() + (where.empty() ? "" : " [" + where + "]");
    if (original != nullptr) rethrow_as(*original, message);
    // A text file without the envelope object is not an mlpersist file; anything else is damage.
    if (format != Format::binary && context.failed_at == "mlpersist")
      throw FormatError(source + ": not an mlpersist file (" + to_string(format) + " without the envelope: " + e.what() +
                        ")");
    throw CorruptFile(message);
  };
  // Checks that do not need the archive come first; their errors carry their context already.
  std::string_view content = bytes;
  if (format == Format::binary) content = binary_payload(bytes, source);
  if (format == Format::json) check_json(bytes, source, options.max_depth);
  if (format == Format::xml) check_xml(bytes, source, options.max_depth);
  MemoryBuffer buffer(content.data(), content.size());
  std::istream in(&buffer);
  context.input_size = content.size();
  try {
    switch (format) {
      case Format::binary: {
        context.binary_input = &buffer;
        cereal::PortableBinaryInputArchive ar(in);
        read(ar);
        break;
      }
      case Format::json: {
        cereal::JSONInputArchive ar(in);
        read(ar);
        break;
      }
      case Format::xml: {
        cereal::XMLInputArchive ar(in);
        read(ar);
        break;
      }
    }
  } catch (const Error& e) {
    fail(e, &e);
  } catch (const std::exception& e) {
    fail(e, nullptr);
  }
}

/// Reads the envelope; a binary file's container version comes from its fixed header.
template <class Archive>
FileInfo read_envelope(Archive& ar, std::string_view bytes, Format format) {
  FileInfo info;
  info.format = format;
  if (format == Format::binary) info.container_version = get_le<std::uint32_t>(bytes, binary_magic.size());
  FieldScope scope("mlpersist");
  ar(cereal::make_nvp("mlpersist", EnvelopeIO{info}));
  return info;
}

inline Format resolve_format(std::string_view bytes, std::optional<Format> expected, const std::string& source) {
  const Format found = sniff_format(bytes, source);
  if (expected && *expected != found)
    throw FormatError(source + ": expected a " + to_string(*expected) + " file, but the content is " +
                      to_string(found));
  return found;
}

template <class Model>
Model load_bytes(std::string_view bytes, std::optional<Format> expected, const std::string& source,
                 const LoadOptions& options) {
  const Format format = resolve_format(bytes, expected, source);
  Model model;
  FileInfo info;
  read_archive(bytes, format, source, options, [&](auto& ar) {
    info = read_envelope(ar, bytes, format);
    if (info.model_type != Model::type_name())
      throw TypeMismatch("the file holds a " + info.model_type + ", not a " + Model::type_name());
    check_schema_version<Model>(info.schema_version);
    FieldScope scope("model");
    ar(cereal::make_nvp("model", model));
  });
  if (options.verify) verify_self_check(model, info, options.verify_tolerance, source);
  return model;
}

inline FileInfo inspect_bytes(std::string_view bytes, std::optional<Format> expected, const std::string& source,
                              const LoadOptions& options) {
  const Format format = resolve_format(bytes, expected, source);
  FileInfo info;
  read_archive(bytes, format, source, options, [&](auto& ar) { info = read_envelope(ar, bytes, format); });
  return info;
}

inline std::string describe(const std::filesystem::path& path) { return quoted(path); }

inline Format format_for_saving(const std::filesystem::path& path) {
  if (auto format = format_from_extension(path)) return *format;
  throw FormatError(quoted(path) + ": cannot tell the format from the extension '" + path.extension().string() +
                    "'; use .bin, .json or .xml, or pass an mlpersist::Format");
}

}  // namespace detail

/// Writes a model to a stream in the given format.
template <class Model>
void save(const Model& model, std::ostream& out, Format format, const SaveOptions& options = {}) {
  detail::write_model(model, out, format, options);
}

/// Writes a model to `path` atomically, in the given format: a temporary file beside it is written,
/// synced to disk and renamed over `path`, so `path` always holds a complete model.
template <class Model>
void save(const Model& model, const std::filesystem::path& path, Format format, const SaveOptions& options = {}) {
  detail::write_atomically(path, [&](std::ostream& out) {
    try {
      detail::write_model(model, out, format, options);
    } catch (const IoError& e) {
      throw IoError(detail::quoted(path) + ": " + e.what());
    }
  });
}

/// Writes a model to `path` atomically, in the format its extension names (.bin, .json, .xml).
template <class Model>
void save(const Model& model, const std::filesystem::path& path, const SaveOptions& options = {}) {
  save(model, path, detail::format_for_saving(path), options);
}

/// Reads a model of type Model from a stream holding a file of the given format.
template <class Model>
Model load(std::istream& in, Format format, const LoadOptions& options = {}) {
  return detail::load_bytes<Model>(detail::read_stream(in, options.max_bytes), format, detail::stream_source, options);
}

/// Reads a model of type Model from `path`, which must be a file of the given format.
template <class Model>
Model load(const std::filesystem::path& path, Format format, const LoadOptions& options = {}) {
  return detail::load_bytes<Model>(detail::read_file(path, options.max_bytes), format, detail::describe(path),
                                   options);
}

/// Reads a model of type Model from `path`. The format is read from the file's first bytes; a
/// .bin, .json or .xml extension must agree with it.
template <class Model>
Model load(const std::filesystem::path& path, const LoadOptions& options = {}) {
  return detail::load_bytes<Model>(detail::read_file(path, options.max_bytes), detail::format_from_extension(path),
                                   detail::describe(path), options);
}

/// Reads a file's envelope (model type, versions, time of writing, metadata, self-check rows)
/// without loading the model. Binary files have their checksum verified too.
inline FileInfo inspect(const std::filesystem::path& path, const LoadOptions& options = {}) {
  return detail::inspect_bytes(detail::read_file(path, options.max_bytes), detail::format_from_extension(path),
                               detail::describe(path), options);
}

/// inspect for a file held in a stream; the format is read from its first bytes.
inline FileInfo inspect(std::istream& in, const LoadOptions& options = {}) {
  return detail::inspect_bytes(detail::read_stream(in, options.max_bytes), std::nullopt, detail::stream_source,
                               options);
}

}  // namespace mlpersist
