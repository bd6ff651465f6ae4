#pragma once
// How a binary save writes a large array when its output can do better than a stream: a file
// written by two threads at once (io/detail/file.hpp), while the array is also checksummed.
#include <cstddef>
#include <functional>

namespace mlpersist::detail {

class BlockWriter {
 public:
  /// Writes the `size` bytes at `data`, and runs `alongside` (if not empty; it must not throw)
  /// meanwhile, on another thread where one can be started. Returns the bytes written: all of
  /// them, or fewer if the output failed.
  virtual std::size_t write_block(const char* data, std::size_t size, const std::function<void()>& alongside) = 0;

 protected:
  BlockWriter() = default;
  BlockWriter(const BlockWriter&) = default;
  BlockWriter& operator=(const BlockWriter&) = default;
  ~BlockWriter() = default;
};

}  // namespace mlpersist::detail
