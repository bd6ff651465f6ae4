#pragma once
// Whole-file reads and atomic writes: a save goes to a temporary file beside the target, is flushed
// to disk, and is renamed over the target only when complete, so a failure never leaves a
// half-written or destroyed model file.
#include "mlpersist/core/errors.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <system_error>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <unistd.h>
#define MLPERSIST_DETAIL_POSIX 1
#endif

namespace mlpersist::detail {

inline std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open " + quoted(path) + " for reading: " + std::strerror(errno));
  std::string bytes;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  if (size > 0) {
    bytes.resize(static_cast<std::size_t>(size));
    in.seekg(0, std::ios::beg);
    in.read(bytes.data(), size);
  }
  if (!in) throw IoError("cannot read " + quoted(path));
  return bytes;
}

/// Makes the data of `path` (a file or a directory) durable; a no-op where POSIX is unavailable.
inline void sync_to_disk(const std::filesystem::path& path, bool directory) {
#ifdef MLPERSIST_DETAIL_POSIX
  const int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) {
    if (directory) return;  // some file systems do not let directories be opened; the data is synced
    throw IoError("cannot open " + quoted(path) + " to sync it: " + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0 && !(directory && (error == EINVAL || error == EBADF)))
    throw IoError("cannot sync " + quoted(path) + " to disk: " + std::strerror(error));
#else
  (void)path;
  (void)directory;
#endif
}

/// Writes `path` atomically: write(stream) fills a temporary file in the same directory, which
/// replaces `path` only after everything was written and synced. On failure `path` is untouched
/// and the temporary file is removed.
template <class Writer>
void write_atomically(const std::filesystem::path& path, Writer&& write) {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::filesystem::path temporary =
      path.string() + ".tmp-" + std::to_string(std::random_device{}()) + "-" + std::to_string(counter++);
  try {
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      if (!out) throw IoError("cannot create " + quoted(temporary) + ": " + std::strerror(errno));
      write(out);
      out.flush();
      if (!out) throw IoError("cannot write " + quoted(temporary) + " (disk full?)");
      out.close();
      if (!out) throw IoError("cannot close " + quoted(temporary) + " (disk full?)");
    }
    sync_to_disk(temporary, false);
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error) throw IoError("cannot rename " + quoted(temporary) + " to " + quoted(path) + ": " + error.message());
    sync_to_disk(directory, true);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
}

}  // namespace mlpersist::detail
