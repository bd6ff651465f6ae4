#pragma once
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"
#include "mlpersist/io/format.hpp"
#include "mlpersist/version.hpp"

#include <cstdint>
#include <ctime>
#include <string>

namespace mlpersist {

/// The envelope every mlpersist file carries ahead of its model; see docs/file-format.md.
struct FileInfo {
  Format format = Format::binary;
  std::uint32_t container_version = 0;  ///< version of the envelope and file layout
  std::string model_type;               ///< e.g. "LogisticRegression<double>"
  std::uint32_t schema_version = 0;     ///< the model class's version when the file was written
  std::string library_version;          ///< mlpersist version that wrote the file
  std::string created_utc;              ///< ISO 8601, e.g. "2026-11-24T23:59:00Z"
  Metadata metadata;                    ///< user key/value pairs given to save
  Matrix<double> self_check_inputs;     ///< rows given as SaveOptions::self_check (none: empty)
  Matrix<double> self_check_outputs;    ///< what the model computed for them when it was saved
};

/// The container version this build writes, and the newest it reads. Version 2 added the
/// self-check rows to the envelope; version 3 aligned binary matrix data to 64 bytes and replaced
/// the binary trailer's CRC-32 with the faster XXH3-64.
inline constexpr std::uint32_t container_version = 3;

namespace detail {

inline constexpr const char* file_identifier = "mlpersist";

inline void check_container_version(std::uint32_t version) {
  if (version > container_version)
    throw VersionError("container version " + std::to_string(version) + " is newer than this build reads (up to " +
                       std::to_string(container_version) + "); upgrade mlpersist to load it");
}

inline std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
#ifdef _WIN32
  gmtime_s(&parts, &now);
#else
  gmtime_r(&now, &parts);
#endif
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

/// User metadata as an array of {key, value} objects (keys need not be valid XML names).
struct MetadataIO {
  Metadata& metadata;

  template <class Archive>
  void save(Archive& ar) const {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(metadata.size())));
    for (const auto& [key, value] : metadata) ar(Entry{const_cast<std::string&>(key), const_cast<std::string&>(value)});
  }
  template <class Archive>
  void load(Archive& ar) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    check_count(size, file_bytes<Archive>(2 * sizeof(std::uint64_t)), sizeof(Metadata::value_type));
    for (cereal::size_type i = 0; i < size; ++i) {
      std::string key;
      std::string value;
      ar(Entry{key, value});
      if (!metadata.emplace(std::move(key), std::move(value)).second)
        throw CorruptFile("metadata has a duplicate key");
    }
  }

  struct Entry {
    std::string& key;
    std::string& value;
    template <class Archive>
    void serialize(Archive& ar) {
      field(ar, "key", key);
      field(ar, "value", value);
    }
  };
};

/// The envelope's fields. Binary files keep the identifier and container version in their fixed
/// header instead, so they are read before anything else there (and info.container_version must be
/// set from it before a binary envelope is read).
struct EnvelopeIO {
  FileInfo& info;

  template <class Archive>
  void serialize(Archive& ar) {
    if constexpr (!is_binary_archive_v<Archive>) {
      std::string identifier = file_identifier;
      field(ar, "format", identifier);
      if (identifier != file_identifier)
        throw FormatError("not an mlpersist file (envelope format is '" + identifier + "')");
      field(ar, "container_version", info.container_version);
      check_container_version(info.container_version);
    }
    field(ar, "model_type", info.model_type);
    field(ar, "schema_version", info.schema_version);
    field(ar, "library_version", info.library_version);
    field(ar, "created_utc", info.created_utc);
    {
      FieldScope scope("metadata");
      ar(cereal::make_nvp("metadata", MetadataIO{info.metadata}));
    }
    if (info.container_version >= 2) {
      field(ar, "self_check_inputs", info.self_check_inputs);
      field(ar, "self_check_outputs", info.self_check_outputs);
      if constexpr (is_loading_v<Archive>)
        require(info.self_check_inputs.rows() == info.self_check_outputs.rows(),
                "self_check_inputs and self_check_outputs have different numbers of rows");
    }
  }
};

}  // namespace detail
}  // namespace mlpersist
