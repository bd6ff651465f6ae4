#pragma once
// Two small stream buffers: one reads from memory (with tellg, for byte offsets in errors), one
// passes writes through to another buffer while counting them and computing their checksum.
#include "mlpersist/core/detail/threads.hpp"
#include "mlpersist/io/detail/block_writer.hpp"
#include "mlpersist/io/detail/checksum.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <ios>
#include <streambuf>

namespace mlpersist::detail {

class MemoryBuffer : public std::streambuf {
 public:
  MemoryBuffer(const char* data, std::size_t size) {
    char* begin = const_cast<char*>(data);  // get area only: never written through
    setg(begin, begin, begin + size);
  }

 protected:
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode which) override {
    if (!(which & std::ios_base::in)) return pos_type(off_type(-1));
    off_type base = dir == std::ios_base::beg ? 0 : dir == std::ios_base::cur ? gptr() - eback() : egptr() - eback();
    const off_type target = base + off;
    if (target < 0 || target > egptr() - eback()) return pos_type(off_type(-1));
    setg(eback(), eback() + target, egptr());
    return pos_type(target);
  }
  pos_type seekpos(pos_type pos, std::ios_base::openmode which) override {
    return seekoff(off_type(pos), std::ios_base::beg, which);
  }
};

class ChecksumBuffer : public std::streambuf {
 public:
  ChecksumBuffer(std::streambuf* target, std::uint32_t container) : target_(target), checksum_(container) {}
  std::uint64_t count() const { return count_; }
  std::uint64_t checksum() const { return checksum_.value(); }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    // A large block is checksummed by a helper thread while this one writes it; a file that writes
    // large blocks its own way (a BlockWriter) is given the checksum to run beside its writing.
    auto checksum = [this, data, size] { checksum_.update(data, static_cast<std::size_t>(size)); };
    if (static_cast<std::uint64_t>(size) < helper_thread_min_bytes) {
      checksum();
      return pass_on(data, size);
    }
    if (auto* blocks = dynamic_cast<BlockWriter*>(target_)) {
      const auto written = static_cast<std::streamsize>(blocks->write_block(data, static_cast<std::size_t>(size), checksum));
      count_ += static_cast<std::uint64_t>(written);
      return written;
    }
    return run_beside(checksum, [&] { return pass_on(data, size); });
  }
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    return xsputn(&c, 1) == 1 ? ch : traits_type::eof();
  }
  int sync() override { return target_->pubsync(); }
  /// The position, for aligning data (the only seek an output archive needs).
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode which) override {
    if (off != 0 || dir != std::ios_base::cur || !(which & std::ios_base::out)) return pos_type(off_type(-1));
    return pos_type(static_cast<off_type>(count_));
  }

 private:
  std::streamsize pass_on(const char* data, std::streamsize size) {
    std::streamsize written = 0;
    try {
      written = target_->sputn(data, size);
    } catch (const std::exception&) {
      // As std::ostream does with its buffer's exceptions: a failed write (IoError in the end).
      return 0;
    }
    count_ += static_cast<std::uint64_t>(std::max<std::streamsize>(written, 0));
    return written;
  }

  std::streambuf* target_;
  Checksum checksum_;
  std::uint64_t count_ = 0;
};

}  // namespace mlpersist::detail
