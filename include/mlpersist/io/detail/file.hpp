#pragma once
// Whole-file reads and atomic writes: a save goes to a temporary file beside the target, is flushed
// to disk, and is renamed over the target only when complete, so a failure never leaves a
// half-written or destroyed model file, and a crash never leaves a partial one at the path.
#include "mlpersist/core/errors.hpp"
#include "mlpersist/core/detail/block_reader.hpp"
#include "mlpersist/core/detail/huge_pages.hpp"
#include "mlpersist/core/detail/threads.hpp"
#include "mlpersist/io/detail/block_writer.hpp"
#include "mlpersist/io/detail/checksum.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <ostream>
#include <streambuf>
#include <random>
#include <string>
#include <string_view>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#if defined(__linux__)
#include <sys/vfs.h>
#endif
#include <unistd.h>
#define MLPERSIST_DETAIL_POSIX 1
#endif

namespace mlpersist::detail {

inline std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

inline const std::string stream_source = "<stream>";

inline std::string more_than_allowed(std::uint64_t max_bytes) {
  return "more than LoadOptions::max_bytes (" + std::to_string(max_bytes) + ") allows";
}

/// The whole file, refused before reading when it is larger than max_bytes.
inline std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open " + quoted(path) + " for reading: " + std::strerror(errno));
  std::string bytes;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size > 0) {
    if (static_cast<std::uint64_t>(size) > max_bytes)
      throw LimitExceeded(quoted(path) + ": " + std::to_string(size) + " bytes, " + more_than_allowed(max_bytes));
    bytes.resize(static_cast<std::size_t>(size));
    in.seekg(0, std::ios::beg);
    in.read(bytes.data(), size);
  }
  if (!in) throw IoError("cannot read " + quoted(path));
  return bytes;
}

/// What is left in a stream, refused as soon as it passes max_bytes (a stream may have no end).
inline std::string read_stream(std::istream& in, std::uint64_t max_bytes) {
  std::string bytes;
  std::array<char, 1 << 16> chunk;
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    bytes.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_bytes) throw LimitExceeded(stream_source + ": " + more_than_allowed(max_bytes));
  }
  if (in.bad()) throw IoError(stream_source + ": reading the stream failed");
  return bytes;
}

/// Makes a rename in `directory` durable; a no-op where POSIX is unavailable.
inline void sync_directory(const std::filesystem::path& directory) {
#ifdef MLPERSIST_DETAIL_POSIX
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // some file systems do not let directories be opened; the file is synced
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0 && error != EINVAL && error != EBADF)
    throw IoError("cannot sync " + quoted(directory) + " to disk: " + std::strerror(error));
#else
  (void)directory;
#endif
}

#ifdef MLPERSIST_DETAIL_POSIX
/// Whether a save may write into a mapping of the file `fd`. A store through a mapping that the
/// file system cannot back raises SIGBUS instead of returning an error, so this is allowed only
/// where nothing can fail so: the file has no name yet (O_TMPFILE), so no other process can
/// truncate it, and it is on ext4, whose fallocate() allocates its blocks (no ENOSPC or quota
/// failure is left for a page fault) as unwritten extents, which a fault fills with zeros without
/// reading the disk (so no I/O error either). Other file systems may qualify too; they are not
/// measured or tested here.
inline bool may_write_mapped(int fd) {
#if defined(__linux__)
  constexpr long ext4_magic = 0xEF53;  // EXT4_SUPER_MAGIC, <linux/magic.h>
  struct statfs info {};
  return ::fstatfs(fd, &info) == 0 && static_cast<long>(info.f_type) == ext4_magic;
#else
  (void)fd;
  return false;
#endif
}

/// Output to a file descriptor: small writes gather in a 64 KiB buffer, large ones go straight to
/// the file without a copy. error() is the errno of the first failed write.
class FdBuffer : public std::streambuf, public BlockWriter {
 public:
  /// Blocks of this many bytes or more are written by two threads at once, where the file allows
  /// it (`mappable`: may_write_mapped, and opened for reading and writing, as mmap requires).
  /// Below it, starting the thread and mapping the file cost about what they save (8 MB: 1.4 ms
  /// either way; 16 MB: 2.3 ms against 3.0).
  static constexpr std::size_t shared_write_min_bytes = std::size_t{16} << 20;
  /// The pieces of a shared block end where the file's 2 MiB huge pages do (on x86-64), so that
  /// each page fault of the mapping fills one piece.
  static constexpr std::size_t shared_piece_bytes = std::size_t{2} << 20;

  explicit FdBuffer(int fd, bool mappable = false) : fd_(fd), mappable_(mappable) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int error() const { return error_; }

  /// Two threads share a large block: write(2) copies into the page cache at about 4.5 GB/s here,
  /// on one thread at a time (the file's lock), so one thread writes pieces from the front while
  /// the other, once it has run `alongside` (the checksum), copies pieces from the back into a
  /// mapping of the file, until the two meet. A 400 MB block took 70 ms so, against 94 for one
  /// write() (and 90 for the mapping copied by both threads, which zero the file's pages before
  /// copying into them); 80 MB, 14 ms against 18 (/tmp programs, medians of 9-15, alternated).
  std::size_t write_block(const char* data, std::size_t size, const std::function<void()>& alongside) override {
    if (!drain()) return 0;
    const bool shared = size >= shared_write_min_bytes && mappable_ && write_shared(data, size, alongside);
    if (!shared) {
      reserve(size);
      const auto write = [&] { write_at(data, size, offset_); };
      if (alongside)
        run_beside(alongside, write);
      else
        write();
    }
    if (error_ != 0) return 0;
    offset_ += static_cast<off_t>(size);
    return size;
  }

 protected:
  int_type overflow(int_type ch) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    if (size <= 0) return 0;  // data may be null then, and memcpy must not see it
    if (size > epptr() - pptr()) {
      if (!drain()) return 0;
      if (size > epptr() - pptr())  // larger than the whole buffer
        return static_cast<std::streamsize>(write_block(data, static_cast<std::size_t>(size), nullptr));
    }
    std::memcpy(pptr(), data, static_cast<std::size_t>(size));
    pbump(static_cast<int>(size));
    return size;
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const auto size = static_cast<std::size_t>(pptr() - pbase());
    write_at(pbase(), size, offset_);
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    if (error_ != 0) return false;
    offset_ += static_cast<off_t>(size);
    return true;
  }
  /// Writes `size` bytes at file offset `at`; false, with error() set, if a write fails.
  bool write_at(const char* data, std::size_t size, off_t at) {
    while (size > 0 && error_ == 0) {
      const ssize_t written = ::pwrite(fd_, data, size, at);
      if (written < 0 && errno != EINTR) error_ = errno;
      if (written > 0) {
        data += written;
        size -= static_cast<std::size_t>(written);
        at += written;
      }
    }
    return error_ == 0;
  }
  /// Allocates the file's blocks for the next `size` bytes before they are written, as numpy's
  /// tofile does: ext4 then maps the write's pages to blocks it already has, instead of reserving
  /// space page by page as the write goes (about 10% of a 400 MB save here). Only a hint: where it
  /// fails (no support, or no space), the write itself reports what matters.
  void reserve(std::size_t size) {
#if defined(__linux__) && defined(FALLOC_FL_KEEP_SIZE)
    (void)::fallocate(fd_, FALLOC_FL_KEEP_SIZE, offset_, static_cast<off_t>(size));
#else
    (void)size;
#endif
  }
  /// write_block's two threads. False, having written nothing, where the file cannot be mapped.
  bool write_shared(const char* data, std::size_t size, const std::function<void()>& alongside) {
#if defined(__linux__)
    // The blocks are allocated, and the file extended over the block, before any page is mapped.
    if (::fallocate(fd_, 0, offset_, static_cast<off_t>(size)) != 0) return false;
    const off_t map_from = offset_ - offset_ % static_cast<off_t>(shared_piece_bytes);
    const auto lead = static_cast<std::size_t>(offset_ - map_from);  // bytes mapped before the block
    void* const mapping = ::mmap(nullptr, lead + size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, map_from);
    if (mapping == MAP_FAILED) return false;
    (void)::madvise(mapping, lead + size, MADV_HUGEPAGE);  // a hint: without it, 4 KiB page faults
    char* const mapped = static_cast<char*>(mapping) + lead;
    // Piece k is bytes [k * shared_piece_bytes - lead, (k + 1) * shared_piece_bytes - lead) of the block.
    TwoEndedPieces pieces((lead + size + shared_piece_bytes - 1) / shared_piece_bytes);
    const auto from = [&](std::size_t k) { return k == 0 ? 0 : k * shared_piece_bytes - lead; };
    const auto to = [&](std::size_t k) { return std::min(size, (k + 1) * shared_piece_bytes - lead); };
    const auto copy_from_back = [&] {
      if (alongside) alongside();
      while (const auto k = pieces.from_back()) std::memcpy(mapped + from(*k), data + from(*k), to(*k) - from(*k));
    };
    run_beside(copy_from_back, [&] {
      while (const auto k = pieces.from_front())
        if (!write_at(data + from(*k), to(*k) - from(*k), offset_ + static_cast<off_t>(from(*k)))) pieces.stop();
    });
    ::munmap(mapping, lead + size);
    return true;
#else
    (void)data, (void)size, (void)alongside;
    return false;
#endif
  }

  int fd_;
  bool mappable_;
  int error_ = 0;
  off_t offset_ = 0;  // bytes written to fd_
  std::array<char, 1 << 16> buffer_;
};

/// Bytes read from a file, in memory that nothing writes before the read does: a large text file
/// is then faulted in by the threads that copy it, not first by a single-threaded zero fill (as a
/// std::string's resize would).
class FileBytes {
 public:
  explicit FileBytes(std::size_t size) : data_(new char[size]), size_(size) {}
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  operator std::string_view() const { return {data_.get(), size_}; }  // NOLINT: used as text, as std::string is

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
};

/// A file open for reading, closed when it goes out of scope.
class InputFile {
 public:
  InputFile(const std::filesystem::path& path, std::uint64_t max_bytes)
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), name_(quoted(path)) {
    if (fd_ < 0) throw IoError("cannot open " + quoted(path) + " for reading: " + std::strerror(errno));
    struct stat status {};
    if (::fstat(fd_, &status) != 0) {
      const int error = errno;
      ::close(fd_);
      throw IoError("cannot read " + quoted(path) + ": " + std::strerror(error));
    }
    size_ = static_cast<std::uint64_t>(status.st_size);
    if (size_ > max_bytes) {
      ::close(fd_);
      throw LimitExceeded(quoted(path) + ": " + std::to_string(size_) + " bytes, " + more_than_allowed(max_bytes));
    }
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  std::uint64_t size() const { return size_; }

  /// Reads up to `size` bytes at `offset` into `out`; fewer only at the end of the file. errno on failure.
  std::size_t read_at(char* out, std::size_t size, std::uint64_t offset, int& error) const {
    std::size_t done = 0;
    while (done < size) {
      const ssize_t got = ::pread(fd_, out + done, size - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) error = errno;
      if (got <= 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

  /// Exactly `size` bytes at `offset`; IoError if the file cannot give them.
  FileBytes read_exactly(std::uint64_t offset, std::size_t size) const {
    FileBytes bytes(size);
    advise_huge_pages(bytes.data(), size);  // a whole text file can be large
    // Two threads, each copying half from the page cache, read a 50 MB file about 1.5 times as
    // fast as one here (medians of 31: 28 against 44 ms).
    TwoThreadLoop(helper_thread_min_bytes).run(size, [&](std::size_t from, std::size_t to) {
      int error = 0;
      if (read_at(bytes.data() + from, to - from, offset + from, error) != to - from)
        throw IoError("cannot read " + name_ + ": " + (error != 0 ? std::strerror(error) : "the file shrank"));
    });
    return bytes;
  }

 private:
  int fd_;
  std::string name_;
  std::uint64_t size_ = 0;
};

/// A whole file mapped read-only into memory (shared with the page cache: only the pages that are
/// touched become resident), unmapped when the last owner lets go.
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError("cannot open " + quoted(path) + " for reading: " + std::strerror(errno));
    struct stat status {};
    int error = ::fstat(fd, &status) == 0 ? 0 : errno;
    size_ = error == 0 ? static_cast<std::size_t>(status.st_size) : 0;
    if (error == 0 && size_ > 0) {  // mmap refuses an empty length; an empty file maps to nothing
      void* data = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
      if (data == MAP_FAILED)
        error = errno;
      else
        data_ = static_cast<const char*>(data);
    }
    ::close(fd);  // the mapping stays valid without the descriptor
    if (error != 0) throw IoError("cannot map " + quoted(path) + ": " + std::strerror(error));
  }
  ~MappedFile() {
    if (data_ != nullptr) ::munmap(const_cast<char*>(data_), size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::string_view bytes() const { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Reads bytes [begin, end) of a file front to back, each exactly once: small reads through a
/// 64 KiB buffer, large ones (matrix data) straight into their destination, so no byte is copied or
/// page-faulted twice. Every byte goes through `checksum` as it arrives, while it is still in cache.
/// A large block (read_block) is read by two threads at once. error() is the errno of a failed read.
class ChecksummedFileBuffer : public std::streambuf, public BlockReader {
 public:
  ChecksummedFileBuffer(const InputFile& file, std::uint64_t begin, std::uint64_t end, Checksum& checksum)
      : file_(file), checksum_(checksum), begin_(begin), next_(begin), end_(end) {}
  ChecksummedFileBuffer(const ChecksummedFileBuffer&) = delete;
  ChecksummedFileBuffer& operator=(const ChecksummedFileBuffer&) = delete;
  int error() const { return error_; }

  /// Reads (and checksums) whatever the parser left unread; the checksum is complete on return.
  void finish() {
    while (!traits_type::eq_int_type(underflow(), traits_type::eof())) setg(egptr(), egptr(), egptr());
  }

  /// Copying from the page cache (and faulting in the memory copied to) is most of a large load,
  /// and two threads copy about 1.7 times as fast as one here (80 MB: 12 ms against 21). So with
  /// 2 MiB or more to read, the block is shared with a helper thread (a RelayThread, which takes
  /// the next block too if it comes soon), and both threads read its pieces, each taking the next
  /// one not yet taken, and check what they read. The checksum goes through the pieces in order,
  /// each piece mostly on the thread that read it (PieceBoard).
  /// Taking pieces, rather than a half each, keeps both threads busy to the end however the work
  /// falls: page faults cost more in one place than another.
  std::size_t read_block(char* out, std::size_t size, const Check& check) override {
    const auto buffered = static_cast<std::size_t>(std::min<std::streamsize>(egptr() - gptr(), size));
    std::memcpy(out, gptr(), buffered);  // read and checksummed already
    gbump(static_cast<int>(buffered));
    size = static_cast<std::size_t>(std::min<std::uint64_t>(size, buffered + (end_ - next_)));
    // Piece k is bytes [k * piece_bytes, (k + 1) * piece_bytes) of the block; the first is read from
    // `buffered` on (buffered < piece_bytes), and checked from 0.
    PieceBoard pieces((size + piece_bytes - 1) / piece_bytes);
    auto piece_end = [size](std::size_t k) { return std::min(size, (k + 1) * piece_bytes); };
    std::size_t at = buffered;  // checksummed up to here, by the thread with the turn
    auto finish_in_order = [&](std::size_t k) {
      for (;; ++k) {
        const PieceBoard::Piece piece = pieces.piece(k);
        checksum_.update(out + at, piece.got);
        at += piece.got;
        const bool complete = at == piece_end(k);
        // A read error, or the file shrank while being read: the block ends in this piece.
        if (!complete) error_ = piece.error;
        if (!pieces.finished(k, complete)) return;
      }
    };
    auto read_pieces = [&, file_offset = next_ - buffered] {
      for (std::size_t k; (k = pieces.take()) < pieces.count();) {
        const std::size_t from = std::max(buffered, k * piece_bytes);
        int error = 0;
        const std::size_t got = file_.read_at(out + from, piece_end(k) - from, file_offset + from, error);
        check(k * piece_bytes, from + got);
        if (pieces.arrived(k, got, error)) finish_in_order(k);
      }
    };
    if (size - buffered >= helper_thread_min_bytes)
      relay_.share(read_pieces);
    else
      read_pieces();
    next_ += at - buffered;
    return at;
  }

 protected:
  int_type underflow() override {
    if (gptr() == egptr()) {
      const std::size_t got = fill(buffer_.data(), buffer_.size());
      setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
    }
    return gptr() == egptr() ? traits_type::eof() : traits_type::to_int_type(*gptr());
  }
  std::streamsize xsgetn(char* out, std::streamsize size) override {
    std::streamsize done = 0;
    while (done < size) {
      if (gptr() == egptr() && size - done >= static_cast<std::streamsize>(buffer_.size())) {
        const std::size_t got = fill(out + done, static_cast<std::size_t>(size - done));
        done += static_cast<std::streamsize>(got);
        break;
      }
      if (traits_type::eq_int_type(underflow(), traits_type::eof())) break;
      const std::streamsize part = std::min<std::streamsize>(size - done, egptr() - gptr());
      std::memcpy(out + done, gptr(), static_cast<std::size_t>(part));
      gbump(static_cast<int>(part));
      done += part;
    }
    return done;
  }
  /// The position from `begin` (the only seek a reader needs: byte offsets in error messages).
  pos_type seekoff(off_type off, std::ios_base::seekdir dir, std::ios_base::openmode which) override {
    if (off != 0 || dir != std::ios_base::cur || !(which & std::ios_base::in)) return pos_type(off_type(-1));
    return pos_type(static_cast<off_type>(next_ - begin_) - (egptr() - gptr()));
  }

 private:
  /// Reads up to `size` bytes, never past `end_`, in pieces small enough to be checksummed from cache.
  std::size_t fill(char* out, std::size_t size) {
    size = static_cast<std::size_t>(std::min<std::uint64_t>(size, end_ - next_));
    std::size_t done = 0;
    while (done < size && error_ == 0) {
      const std::size_t want = std::min(piece_bytes, size - done);
      const std::size_t got = file_.read_at(out + done, want, next_, error_);
      checksum_.update(out + done, got);
      done += got;
      next_ += got;
      if (got < want) break;  // a read error, or the file shrank while being read
    }
    return done;
  }

  const InputFile& file_;
  Checksum& checksum_;
  std::uint64_t begin_;
  std::uint64_t next_;
  std::uint64_t end_;
  int error_ = 0;
  std::array<char, 1 << 16> buffer_;
  RelayThread relay_;  // shares the large blocks' pieces, one after another
};

/// Writes and syncs the file that will become `temporary`. Where the OS allows it (Linux's O_TMPFILE,
/// on most local file systems) the file has no name while it is written and synced, so a process
/// killed meanwhile leaves nothing behind; it gets the temporary name only once complete. `named`
/// tells the caller whether `temporary` exists.
template <class Writer>
void write_synced(const std::filesystem::path& directory, const std::filesystem::path& temporary, bool durable,
                  bool& named, Writer&& write) {
  int fd = -1;
#ifdef O_TMPFILE
  // Naming the file later goes through /proc (linkat with AT_EMPTY_PATH needs a capability).
  // Read and write: mmap needs both (FdBuffer writes large blocks through a mapping too).
  if (::access("/proc/self/fd", F_OK) == 0) fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
#endif
  const bool mappable = fd >= 0 && may_write_mapped(fd);
  if (fd < 0) {
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) throw IoError("cannot create " + quoted(temporary) + ": " + std::strerror(errno));
    named = true;
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  {
    FdBuffer buffer(fd, mappable);
    std::ostream out(&buffer);
    try {
      write(out);
    } catch (const IoError& e) {
      // The model's writer knows that a write failed (a binary save's cereal: "Failed to write N
      // bytes"); the file knows why.
      if (buffer.error() == 0) throw;
      throw IoError(e.what() + std::string(": ") + std::strerror(buffer.error()));
    }
    out.flush();
    if (!out)
      throw IoError("cannot write " + quoted(temporary) + ": " +
                    (buffer.error() != 0 ? std::strerror(buffer.error()) : "the stream failed"));
  }
  if (durable && ::fsync(fd) != 0) throw IoError("cannot sync " + quoted(temporary) + " to disk: " + std::strerror(errno));
  if (!named) {
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, temporary.c_str(), AT_SYMLINK_FOLLOW) != 0)
      throw IoError("cannot link " + quoted(temporary) + ": " + std::strerror(errno));
    named = true;
  }
}
#else
template <class Writer>
void write_synced(const std::filesystem::path&, const std::filesystem::path& temporary, bool, bool& named,
                  Writer&& write) {
  named = true;
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError("cannot create " + quoted(temporary) + ": " + std::strerror(errno));
  write(out);
  out.flush();
  if (!out) throw IoError("cannot write " + quoted(temporary) + " (disk full?)");
  out.close();
  if (!out) throw IoError("cannot close " + quoted(temporary) + " (disk full?)");
}
#endif

/// Renames `temporary` over `path`, atomically. When the file is replaced without being synced, ext4
/// first writes it out anyway (its auto_da_alloc safeguard for rename), which makes a 400 MB save
/// wait about 200 ms for the disk; swapping the two names in one step (RENAME_EXCHANGE) and then
/// deleting the old file is just as atomic and leaves the writing to the kernel.
inline void replace_file(const std::filesystem::path& temporary, const std::filesystem::path& path, bool durable) {
#if defined(__linux__) && defined(RENAME_EXCHANGE)
  if (!durable && ::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) == 0) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);  // the old model, now under the temporary name
    return;
  }
#else
  (void)durable;
#endif
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) throw IoError("cannot rename " + quoted(temporary) + " to " + quoted(path) + ": " + error.message());
}

/// Writes `path` atomically: write(stream) fills a temporary file in the same directory, which is
/// synced (if `durable`) and then renamed over `path`, and the directory synced (if `durable`). On
/// failure `path` is untouched and the temporary file is removed.
template <class Writer>
void write_atomically(const std::filesystem::path& path, bool durable, Writer&& write) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::filesystem::path temporary =
      path.string() + ".tmp-" + std::to_string(std::random_device{}()) + "-" + std::to_string(counter++);
  bool named = false;
  try {
    write_synced(directory, temporary, durable, named, write);
    replace_file(temporary, path, durable);
    named = false;
    if (durable) sync_directory(directory);
  } catch (...) {
    std::error_code ignored;
    if (named) std::filesystem::remove(temporary, ignored);
    throw;
  }
}

}  // namespace mlpersist::detail
