#pragma once
// Small test utilities: scratch directories, bit-exact comparison, raw file access.
#include <mlpersist/core/types.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace test {

/// A fresh directory under the system temp directory, removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("mlpersist-test-" + std::to_string(random()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// True when both have the same shape and the same bytes (so -0.0 differs from 0.0, and NaN
/// equals the same NaN).
template <class A, class B>
bool same_bits(const A& a, const B& b) {
  static_assert(std::is_same_v<typename A::Scalar, typename B::Scalar>);
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  using Plain = Eigen::Matrix<typename A::Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const Plain pa = a;
  const Plain pb = b;
  return std::memcmp(pa.data(), pb.data(), static_cast<std::size_t>(pa.size()) * sizeof(typename A::Scalar)) == 0;
}

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Replaces the first occurrence of `from` (which must occur) by `to`.
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("test setup: '" + from + "' not found");
  return text.replace(at, from.size(), to);
}

}  // namespace test
