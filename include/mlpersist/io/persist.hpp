#pragma once
// save, load and inspect: the public entry points for model files.
//
// Binary layout (all integers little-endian; see docs/file-format.md):
//   0   8 bytes  magic "\x89MLP\r\n\x1a\n"
//   8   u32      container version
//   12  ...      cereal portable-binary payload: the envelope fields, then the model
//   end-16 u64   payload length
//   end-8  u64   XXH3-64 of every byte before it (containers 1 and 2: a u32 CRC-32 instead)
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

#include <algorithm>
#include <array>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <ostream>
#include <string>
#include <string_view>

namespace mlpersist {
namespace detail {

inline constexpr std::size_t binary_header_size = 12;  // magic + container version

/// Payload length + checksum.
inline std::size_t binary_trailer_size(std::uint32_t container) {
  return sizeof(std::uint64_t) + checksum_size(container);
}

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
      ChecksumBuffer checksummed(out.rdbuf(), container_version);
      std::ostream body(&checksummed);
      body.write(binary_magic.data(), static_cast<std::streamsize>(binary_magic.size()));
      put_le(body, container_version);
      try {
        SaveContext context{&checksummed};
        SaveScope scope(context);
        cereal::PortableBinaryOutputArchive ar(body);
        write_body(ar);
      } catch (const cereal::Exception& e) {
        // The binary archive writes to the buffer directly and reports a short write this way.
        throw IoError(std::string("writing the binary model failed: ") + e.what());
      }
      put_le(body, static_cast<std::uint64_t>(checksummed.count() - binary_header_size));
      body.flush();
      if (!body) out.setstate(std::ios::badbit);
      put_le(out, checksummed.checksum());
      break;
    }
    case Format::json: {
      JsonWriter ar(out);
      write_body(ar);
      break;
    }
    case Format::xml: {
      XmlWriter ar(out);
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

/// The container version in a binary file's header, checked, and the file checked to be long
/// enough for that version's trailer. `head` holds the file's first bytes (12, or all of a shorter file).
inline std::uint32_t binary_container(std::string_view head, std::uint64_t file_size, const std::string& source) {
  if (file_size < binary_header_size)
    throw CorruptFile(source + ": truncated binary file: " + std::to_string(file_size) +
                      " bytes, less than its 12-byte header");
  const auto version = get_le<std::uint32_t>(head, binary_magic.size());
  try {
    check_container_version(version);
  } catch (const VersionError& e) {
    throw VersionError(source + ": " + e.what());
  }
  if (file_size < binary_header_size + binary_trailer_size(version))
    throw CorruptFile(source + ": truncated binary file: " + std::to_string(file_size) + " bytes");
  return version;
}

/// A binary file's trailer: the payload length it declares must be the one the file has.
struct BinaryTrailer {
  std::uint64_t payload_size = 0;
  std::uint64_t checksum = 0;
};

inline BinaryTrailer binary_trailer(std::string_view trailer, std::uint64_t file_size, const std::string& source) {
  const std::uint64_t payload_size = file_size - binary_header_size - trailer.size();
  const auto declared = get_le<std::uint64_t>(trailer, 0);
  if (declared != payload_size)
    throw CorruptFile(source + ": truncated or extended binary file: its trailer declares " + std::to_string(declared) +
                      " payload bytes, the file has " + std::to_string(payload_size));
  const std::size_t at = sizeof(std::uint64_t);  // the checksum follows the length
  const std::uint64_t checksum =
      trailer.size() - at == sizeof(std::uint64_t) ? get_le<std::uint64_t>(trailer, at) : get_le<std::uint32_t>(trailer, at);
  return {payload_size, checksum};
}

inline void check_checksum(const Checksum& computed, std::uint64_t stored, const std::string& source) {
  if (computed.value() != stored)
    throw CorruptFile(source + ": checksum mismatch: the file stores " + computed.name() + " " + std::to_string(stored) +
                      ", its content gives " + std::to_string(computed.value()) + " (the file is damaged)");
}

/// Checks the checksum of a whole binary file held in memory against the one its trailer stores.
inline void check_checksum(std::string_view file, std::uint32_t container, std::uint64_t stored,
                           const std::string& source) {
  Checksum checksum(container);
  checksum.update(file.data(), file.size() - checksum_size(container));
  check_checksum(checksum, stored, source);
}

/// Whether cereal's portable binary archive reads the values of `input` as they are: it swaps their
/// bytes when the byte its output archive writes first (1: little-endian) is not this machine's.
/// A BlockReader reads values straight into memory, so it is used only when nothing is swapped.
inline bool in_native_byte_order(std::streambuf& input) {
  return input.sgetc() == (cereal::portable_binary_detail::is_little_endian() ? 1 : 0);
}

/// What an archive reads besides its bytes: a binary load's file reader, or the mapping its
/// Parameters are bound to; a text file's parsed document.
struct ArchiveExtras {
  BlockReader* block_reader = nullptr;
  const MappedInput* mapped = nullptr;
  const JsonDocument* json = nullptr;
  const XmlDocument* xml = nullptr;
};

/// Runs read(archive) over `input`, which holds `size` bytes (text: over the document parsed from
/// them); every failure becomes an mlpersist error that names the source, the format, and where in
/// the file it happened. A binary input starts at file offset binary_header_size, in a file of the
/// given container version.
template <class Reader>
void parse_archive(std::streambuf& input, std::uint64_t size, Format format, std::uint32_t container,
                   const std::string& source, const LoadOptions& options, Reader&& read,
                   const ArchiveExtras& extras = {}) {
  LoadContext context;
  context.max_bytes = options.max_bytes;
  context.mapped = extras.mapped;
  context.input_size = size;
  context.container_version = container;
  context.input_origin = binary_header_size;
  LoadScope scope(context);
  auto fail = [&](const std::exception& e, const Error* original) {
    // A wrong type or version is about the whole file; damage has a place in it.
    const bool whole_file = dynamic_cast<const TypeMismatch*>(original) || dynamic_cast<const VersionError*>(original);
    std::string where;
    if (!context.failed_at.empty()) where = "at " + context.failed_at;
    if (format == Format::binary && !whole_file)
      where += (where.empty() ? "" : ", ") + std::string("byte offset ") + std::to_string(context.file_offset());
    const std::string message =
        source + " (" + to_string(format) + "): " + e.what() + (where.empty() ? "" : " [" + where + "]");
    if (original != nullptr) rethrow_as(*original, message);
    // A text file without the envelope object is not an mlpersist file; anything else is damage.
    if (format != Format::binary && context.failed_at == "mlpersist")
      throw FormatError(source + ": not an mlpersist file (" + to_string(format) + " without the envelope: " + e.what() +
                        ")");
    throw CorruptFile(message);
  };
  try {
    switch (format) {
      case Format::binary: {
        context.binary_input = &input;
        if (in_native_byte_order(input)) context.block_reader = extras.block_reader;
        std::istream in(&input);
        cereal::PortableBinaryInputArchive ar(in);
        read(ar);
        break;
      }
      case Format::json: {
        if (extras.json == nullptr) throw std::logic_error("parse_archive: JSON needs its parsed document");
        JsonReader ar(*extras.json);
        read(ar);
        break;
      }
      case Format::xml: {
        if (extras.xml == nullptr) throw std::logic_error("parse_archive: XML needs its parsed document");
        XmlReader ar(*extras.xml);
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

/// read(archive) over a whole file held in memory. Checks that need no archive come first: a
/// binary file's header, trailer and checksum, a text file's syntax and nesting depth.
template <class Reader>
void read_archive(std::string_view bytes, Format format, const std::string& source, const LoadOptions& options,
                  Reader&& read) {
  std::string_view content = bytes;
  std::uint32_t container = 0;
  if (format == Format::binary) {
    container = binary_container(bytes, bytes.size(), source);
    const std::size_t trailer_size = binary_trailer_size(container);
    const auto trailer = binary_trailer(bytes.substr(bytes.size() - trailer_size), bytes.size(), source);
    check_checksum(bytes, container, trailer.checksum, source);
    content = bytes.substr(binary_header_size, trailer.payload_size);
  }
  std::optional<JsonDocument> json;
  std::optional<XmlDocument> xml;
  ArchiveExtras extras;
  if (format == Format::json) extras.json = &json.emplace(parse_json(bytes, source, options.max_depth));
  if (format == Format::xml) extras.xml = &xml.emplace(parse_xml(bytes, source, options.max_depth));
  MemoryBuffer buffer(content.data(), content.size());
  parse_archive(buffer, content.size(), format, container, source, options, read, extras);
}

#ifdef MLPERSIST_DETAIL_POSIX
/// read(archive) over a binary file streamed from disk: each byte is read once, matrix data straight
/// into the matrices, and checksummed on the way; the checksum is compared at the end. If parsing
/// fails, the rest of the file is still checked, so that damage is reported as damage. `head` holds
/// the file's first bytes, read already (binary_header_size, or all of a shorter file).
template <class Reader>
void read_binary_file(const InputFile& file, std::string_view head, const std::string& source,
                      const LoadOptions& options, Reader&& read) {
  const std::uint32_t container = binary_container(head, file.size(), source);
  const std::size_t trailer_size = binary_trailer_size(container);
  const FileBytes trailer_bytes = file.read_exactly(file.size() - trailer_size, trailer_size);
  const BinaryTrailer trailer = binary_trailer(trailer_bytes, file.size(), source);
  Checksum checksum(container);
  checksum.update(head.data(), head.size());
  ChecksummedFileBuffer input(file, binary_header_size, binary_header_size + trailer.payload_size, checksum);
  auto check_the_rest = [&] {
    input.finish();
    if (input.error() != 0) throw IoError("cannot read " + source + ": " + std::strerror(input.error()));
    checksum.update(trailer_bytes.data(), sizeof(std::uint64_t));  // the payload length
    check_checksum(checksum, trailer.checksum, source);
  };
  ArchiveExtras extras;
  extras.block_reader = &input;
  try {
    parse_archive(input, trailer.payload_size, Format::binary, container, source, options, read, extras);
  } catch (const Error&) {
    check_the_rest();
    throw;
  }
  check_the_rest();
}
#endif

template <class Archive>
constexpr Format format_of() {
  if constexpr (is_binary_archive_v<Archive>) return Format::binary;
  if constexpr (is_xml_archive_v<Archive>) return Format::xml;
  return Format::json;
}

/// Reads the envelope; a binary file's container version comes from its fixed header.
template <class Archive>
FileInfo read_envelope(Archive& ar) {
  FileInfo info;
  info.format = format_of<Archive>();
  if (info.format == Format::binary) info.container_version = LoadContext::current()->container_version;
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

/// read(archive) over the file at `path`, whose format is sniffed from its first bytes (and must
/// be `expected`, if given).
template <class Reader>
void read_file_archive(const std::filesystem::path& path, std::optional<Format> expected, const LoadOptions& options,
                       Reader&& read) {
  const std::string source = quoted(path);
#ifdef MLPERSIST_DETAIL_POSIX
  InputFile file(path, options.max_bytes);
  const FileBytes head =
      file.read_exactly(0, static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), binary_header_size)));
  if (std::string_view(head).substr(0, binary_magic.size()) == binary_magic) {
    resolve_format(head, expected, source);
    read_binary_file(file, head, source, options, read);
    return;
  }
  const FileBytes bytes = file.read_exactly(0, static_cast<std::size_t>(file.size()));
#else
  const std::string bytes = read_file(path, options.max_bytes);
#endif
  read_archive(bytes, resolve_format(bytes, expected, source), source, options, read);
}

#ifdef MLPERSIST_DETAIL_POSIX
/// read(archive) over the binary file at `path`, mapped: Parameters become views into the mapping,
/// so only the pages that hold the file's structure are read, unless options.check_data asks for the
/// checksum and the values to be checked as well.
template <class Reader>
void read_mapped_file(const std::filesystem::path& path, const MapOptions& options, Reader&& read) {
  const std::string source = quoted(path);
  const auto file = std::make_shared<const MappedFile>(path);
  const std::string_view bytes = file->bytes();
  const Format format = resolve_format(bytes, format_from_extension(path), source);
  if (format != Format::binary)
    throw FormatError(source + ": map reads binary files, not " + to_string(format) + "; use load");
  const std::uint32_t container = binary_container(bytes, bytes.size(), source);
  if (container < first_aligned_container)
    throw FormatError(source + ": a container " + std::to_string(container) +
                      " file cannot be mapped, its data is not aligned; load it, or save it again to write container " +
                      std::to_string(container_version));
  const std::size_t trailer_size = binary_trailer_size(container);
  const BinaryTrailer trailer = binary_trailer(bytes.substr(bytes.size() - trailer_size), bytes.size(), source);
  if (options.check_data) check_checksum(bytes, container, trailer.checksum, source);
  const std::string_view payload = bytes.substr(binary_header_size, trailer.payload_size);
  // The portable archive starts with the writer's byte order (1: little-endian); data in any other
  // order than this machine's would need swapping, which a view cannot do.
  constexpr bool little_endian_machine = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
  const int order = payload.empty() ? -1 : static_cast<unsigned char>(payload[0]);
  if (!little_endian_machine || order != 1)
    throw FormatError(source + ": only little-endian data can be mapped on a little-endian machine (the byte order "
                      "flag at byte offset 12 is " + std::to_string(order) + "); load it instead");
  const MappedInput mapped{payload.data(), file, options.check_data};
  MemoryBuffer buffer(payload.data(), payload.size());
  ArchiveExtras extras;
  extras.mapped = &mapped;
  parse_archive(buffer, payload.size(), Format::binary, container, source, options, read, extras);
}
#endif

/// Loads a Model through read_with(reader), which runs reader(archive) over the file's archive.
template <class Model, class ReadWith>
Model load_model(ReadWith&& read_with, const std::string& source, const LoadOptions& options) {
  Model model;
  FileInfo info;
  read_with([&](auto& ar) {
    info = read_envelope(ar);
    if (info.model_type != Model::type_name())
      throw TypeMismatch("the file holds a " + info.model_type + ", not a " + Model::type_name());
    check_schema_version<Model>(info.schema_version);
    FieldScope scope("model");
    ar(cereal::make_nvp("model", model));
  });
  if (options.verify) verify_self_check(model, info, options.verify_tolerance, source);
  return model;
}

inline Format format_for_saving(const std::filesystem::path& path) {
  if (auto format = format_from_extension(path)) return *format;
  throw FormatError(quoted(path) + ": cannot tell the format from the extension '" + path.extension().string() +
                    "'; use .bin, .json or .xml, or pass an mlpersist::Format");
}

/// read_with for a file.
inline auto from_file(const std::filesystem::path& path, std::optional<Format> expected, const LoadOptions& options) {
  return [&path, expected, &options](auto&& read) { read_file_archive(path, expected, options, read); };
}

/// read_with for a stream: what is left in it is read into memory first.
inline auto from_stream(std::istream& in, std::optional<Format> expected, const LoadOptions& options) {
  return [&in, expected, &options](auto&& read) {
    const std::string bytes = read_stream(in, options.max_bytes);
    read_archive(bytes, resolve_format(bytes, expected, stream_source), stream_source, options, read);
  };
}

template <class ReadWith>
FileInfo inspect_with(ReadWith&& read_with) {
  FileInfo info;
  read_with([&](auto& ar) { info = read_envelope(ar); });
  return info;
}

}  // namespace detail

/// Writes a model to a stream in the given format.
template <class Model>
void save(const Model& model, std::ostream& out, Format format, const SaveOptions& options = {}) {
  detail::write_model(model, out, format, options);
}

/// Writes a model to `path` atomically, in the given format: a temporary file beside it is written,
/// synced to disk (unless SaveOptions::durable is false) and renamed over `path`, so `path` always
/// holds a complete model.
template <class Model>
void save(const Model& model, const std::filesystem::path& path, Format format, const SaveOptions& options = {}) {
  detail::write_atomically(path, options.durable, [&](std::ostream& out) {
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
  return detail::load_model<Model>(detail::from_stream(in, format, options), detail::stream_source, options);
}

/// Reads a model of type Model from `path`, which must be a file of the given format.
template <class Model>
Model load(const std::filesystem::path& path, Format format, const LoadOptions& options = {}) {
  return detail::load_model<Model>(detail::from_file(path, format, options), detail::quoted(path), options);
}

/// Reads a model of type Model from `path`. The format is read from the file's first bytes; a
/// .bin, .json or .xml extension must agree with it.
template <class Model>
Model load(const std::filesystem::path& path, const LoadOptions& options = {}) {
  return detail::load_model<Model>(detail::from_file(path, detail::format_from_extension(path), options),
                                   detail::quoted(path), options);
}

#ifdef MLPERSIST_DETAIL_POSIX
/// Maps the binary model file at `path` into memory and returns a model whose parameter arrays are
/// read-only views into the mapping: nothing is copied, so a model of any size is ready in about a
/// millisecond, and only the pages that predictions touch become resident (shared with the page
/// cache and every other process mapping the file). The model keeps the file mapped while it, or a
/// copy of it, lives; writing to a parameter (training on) copies that array first.
///
/// The file's structure is checked as load checks it; MapOptions::check_data also checks the
/// checksum and values, reading the whole file once. Files of container 3 or later (mlpersist 0.3
/// on) can be mapped; older ones throw FormatError. The file must not be changed in place while
/// mapped (mlpersist's own save replaces files by renaming, which is safe).
template <class Model>
Model map(const std::filesystem::path& path, const MapOptions& options = {}) {
  return detail::load_model<Model>([&](auto&& read) { detail::read_mapped_file(path, options, read); },
                                   detail::quoted(path), options);
}
#endif

/// Reads a file's envelope (model type, versions, time of writing, metadata, self-check rows)
/// without loading the model. Binary files have their checksum verified too.
inline FileInfo inspect(const std::filesystem::path& path, const LoadOptions& options = {}) {
  return detail::inspect_with(detail::from_file(path, detail::format_from_extension(path), options));
}

/// inspect for a file held in a stream; the format is read from its first bytes.
inline FileInfo inspect(std::istream& in, const LoadOptions& options = {}) {
  return detail::inspect_with(detail::from_stream(in, std::nullopt, options));
}

}  // namespace mlpersist
