#pragma once
// How a binary load reads the data of a large matrix when its input can do better than a stream:
// a file is read by two threads at once (io/detail/file.hpp), and every piece is checked as soon as
// it arrives, while it is still in cache (read_values in core/serialize.hpp).
#include <cstddef>
#include <functional>

namespace mlpersist::detail {

class BlockReader {
 public:
  /// Pieces of a block start at multiples of this many bytes from its first byte.
  static constexpr std::size_t piece_bytes = std::size_t{1} << 19;

  /// Called once for each piece [from, to) of the block (byte offsets in it) once the piece has
  /// arrived; possibly on another thread, and for two pieces at once. It must not throw.
  using Check = std::function<void(std::size_t from, std::size_t to)>;

  /// Reads the next `size` bytes of the input into `out`; fewer only if the input ends or fails.
  /// Everything read is checked: by the input's own means (a checksum) and by `check`.
  virtual std::size_t read_block(char* out, std::size_t size, const Check& check) = 0;

 protected:
  BlockReader() = default;
  BlockReader(const BlockReader&) = default;
  BlockReader& operator=(const BlockReader&) = default;
  ~BlockReader() = default;
};

}  // namespace mlpersist::detail
