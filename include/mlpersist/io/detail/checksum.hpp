#pragma once
// The checksum in a binary file's trailer, chosen by the file's container version: XXH3-64 from
// container 3 on, CRC-32 before. CRC-32 runs at about 2 GB/s here, slower than reading a file from
// the page cache (6 GB/s); XXH3 runs at 14 GB/s without any -march flag, so checking every byte
// costs a small fraction of a load.
#include "mlpersist/io/detail/crc32.hpp"

#include <cstddef>
#include <cstdint>

// Header-only use of xxHash: every function is inlined and renamed, so this cannot clash with
// another copy of xxHash linked into the same program.
#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL
#endif
// With AVX-512 enabled (-march=native here), GCC 12 warns dozens of times that its own intrinsics'
// `__m512i __Y = __Y;` (an "undefined" vector, on purpose) may be used uninitialized, from every
// program that includes mlpersist with -Wall.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xxhash.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace mlpersist::detail {

/// The first container version whose trailer holds an XXH3-64 rather than a CRC-32.
inline constexpr std::uint32_t first_xxh3_container = 3;

/// Bytes the checksum takes in the trailer of a file of this container version.
inline std::size_t checksum_size(std::uint32_t container) { return container >= first_xxh3_container ? 8 : 4; }

class Checksum {
 public:
  explicit Checksum(std::uint32_t container) : xxh3_(container >= first_xxh3_container) {
    if (xxh3_) XXH3_64bits_reset(&state_);
  }
  Checksum(const Checksum&) = delete;
  Checksum& operator=(const Checksum&) = delete;

  void update(const void* data, std::size_t size) {
    if (xxh3_)
      XXH3_64bits_update(&state_, data, size);
    else
      crc_.update(data, size);
  }
  std::uint64_t value() const { return xxh3_ ? XXH3_64bits_digest(&state_) : crc_.value(); }
  const char* name() const { return xxh3_ ? "XXH3-64" : "CRC-32"; }

 private:
  bool xxh3_;
  Crc32 crc_;
  XXH3_state_t state_{};
};

}  // namespace mlpersist::detail
