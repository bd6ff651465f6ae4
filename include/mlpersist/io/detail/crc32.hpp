#pragma once
// CRC-32 (IEEE 802.3, as zlib and PNG), the checksum of binary files.
#include <array>
#include <cstddef>
#include <cstdint>

namespace mlpersist::detail {

class Crc32 {
 public:
  void update(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::uint32_t crc = ~state_;
    for (std::size_t i = 0; i < size; ++i) crc = table()[(crc ^ bytes[i]) & 0xFFu] ^ (crc >> 8);
    state_ = ~crc;
  }
  std::uint32_t value() const { return state_; }

 private:
  static const std::array<std::uint32_t, 256>& table() {
    static const std::array<std::uint32_t, 256> entries = [] {
      std::array<std::uint32_t, 256> out{};
      for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        out[n] = c;
      }
      return out;
    }();
    return entries;
  }
  std::uint32_t state_ = 0;
};

}  // namespace mlpersist::detail
