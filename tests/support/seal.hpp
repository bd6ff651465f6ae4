#pragma once
// Binary trailers computed the way a hostile author (or a fuzzer) would after editing a payload, so
// that only mlpersist's structural checks stand between the edit and the model.
#include <mlpersist/io/detail/checksum.hpp>
#include <mlpersist/io/persist.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace test {

/// The trailer (payload length, then the checksum of everything before it) that a binary file made
/// of `header_and_payload` needs; the container version is read from the header.
inline std::string trailer_for(std::string_view header_and_payload) {
  using namespace mlpersist::detail;
  const std::uint32_t container = header_and_payload.size() >= binary_header_size
                                      ? get_le<std::uint32_t>(header_and_payload, binary_magic.size())
                                      : mlpersist::container_version;
  std::ostringstream trailer;
  put_le(trailer, static_cast<std::uint64_t>(header_and_payload.size() - std::min(header_and_payload.size(), binary_header_size)));
  Checksum checksum(container);
  checksum.update(header_and_payload.data(), header_and_payload.size());
  checksum.update(trailer.str().data(), trailer.str().size());
  if (checksum_size(container) == sizeof(std::uint64_t))
    put_le(trailer, checksum.value());
  else
    put_le(trailer, static_cast<std::uint32_t>(checksum.value()));
  return trailer.str();
}

/// `bytes` (a whole binary file) with its trailer recomputed.
inline std::string reseal(std::string bytes) {
  const std::uint32_t container = mlpersist::detail::get_le<std::uint32_t>(bytes, mlpersist::detail::binary_magic.size());
  bytes.resize(bytes.size() - mlpersist::detail::binary_trailer_size(container));
  return bytes + trailer_for(bytes);
}

}  // namespace test
