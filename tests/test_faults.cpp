// Atomic saves under injected faults: a stream that fails or throws after K bytes, a file-size
// limit, a full file system, and a process killed in the middle of a save. In every case the file
// at the path keeps a complete, loadable model, and only a killed process can leave a temporary
// file behind.
#include "helpers.hpp"
#include "two_models.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <random>
#include <sstream>
#include <system_error>
#include <thread>

#if defined(__linux__)
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace {

using mlpersist::Format;
using two_models::Model;
using two_models::model;
using two_models::which_model;

/// Files in dir other than the given one: temporary files left behind.
std::size_t leftovers(const std::filesystem::path& dir, const std::filesystem::path& keep) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path() != keep) ++count;
  return count;
}

/// Passes writes through until `limit` bytes were written, then fails: by returning a short count,
/// or by throwing.
class FailingBuffer : public std::streambuf {
 public:
  enum class Mode { short_write, exception };
  FailingBuffer(std::streambuf* target, std::size_t limit, Mode mode) : target_(target), left_(limit), mode_(mode) {}

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    const auto n = std::min<std::streamsize>(size, static_cast<std::streamsize>(left_));
    target_->sputn(data, n);
    left_ -= static_cast<std::size_t>(n);
    if (n < size && mode_ == Mode::exception) throw std::runtime_error("injected stream failure");
    return n;
  }
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    return xsputn(&c, 1) == 1 ? ch : traits_type::eof();
  }

 private:
  std::streambuf* target_;
  std::size_t left_;
  Mode mode_;
};

}  // namespace

TEST_CASE("a stream failing after K bytes loses no model and leaves no temporary file", "[faults]") {
  test::TempDir dir;
  std::size_t cases = 0;
  for (const Format format : {Format::binary, Format::json, Format::xml}) {
    const auto path = dir / (std::string("model") + std::string(mlpersist::extension(format)));
    mlpersist::save(model(0), path);
    const std::string before = test::read_bytes(path);
    std::ostringstream full;
    mlpersist::save(model(1), full, format);
    const std::size_t size = full.str().size();
    for (const auto mode : {FailingBuffer::Mode::short_write, FailingBuffer::Mode::exception}) {
      // 40 failure points spread over the file, from its first byte.
      for (std::size_t k = 0; k < size; k += std::max<std::size_t>(1, size / 40)) {
        INFO(mlpersist::to_string(format) << " fails after " << k << " of " << size << " bytes");
        ++cases;
        CHECK_THROWS_AS(mlpersist::detail::write_atomically(path, true,
                                                            [&](std::ostream& out) {
                                                              FailingBuffer failing(out.rdbuf(), k, mode);
                                                              std::ostream stream(&failing);
                                                              mlpersist::save(model(1), stream, format);
                                                            }),
                        mlpersist::IoError);
        CHECK(test::read_bytes(path) == before);
        CHECK(leftovers(dir.path(), path) == 0);
      }
    }
    CHECK(which_model(path) == 0);
    std::filesystem::remove(path);
  }
  std::printf("faults stream: %zu failure points tried, 0 models lost\n", cases);
}

TEST_CASE("a stream with exceptions enabled gets an IoError, not a terminate from a destructor", "[faults]") {
  // cereal's XML archive writes its whole document from its (noexcept) destructor.
  for (const Format format : {Format::binary, Format::json, Format::xml}) {
    INFO(mlpersist::to_string(format));
    std::ostringstream sink;
    FailingBuffer failing(sink.rdbuf(), 100, FailingBuffer::Mode::exception);
    std::ostream stream(&failing);
    stream.exceptions(std::ios::badbit | std::ios::failbit);
    CHECK_THROWS_AS(mlpersist::save(model(0), stream, format), mlpersist::IoError);
    CHECK(stream.exceptions() == (std::ios::badbit | std::ios::failbit));
  }
}

#if defined(__linux__)

namespace {

/// Runs body in a child process and returns its exit status (or 128 + the signal that ended it).
template <class Body>
int in_child(Body&& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 3;
    try {
      code = body();
    } catch (...) {
      code = 4;
    }
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// In a child: run setup, save model 1 over `path`, and report how it ended: 0 for IoError, 1 for
/// success.
template <class Setup>
int save_in_child(const std::filesystem::path& path, Setup&& setup) {
  return in_child([&] {
    setup();
    try {
      mlpersist::save(model(1), path);
      return 1;
    } catch (const mlpersist::IoError&) {
      return 0;
    }
  });
}

}  // namespace

TEST_CASE("a file-size limit (RLIMIT_FSIZE) in the middle of a save loses no model", "[faults]") {
  test::TempDir dir;
  std::size_t cases = 0;
  for (const char* ext : {".bin", ".json", ".xml"}) {
    const auto path = dir / (std::string("model") + ext);
    // The limits are fractions of the file the child writes (model 1), so that every one cuts it short.
    mlpersist::save(model(1), path);
    const auto size = std::filesystem::file_size(path);
    mlpersist::save(model(0), path);
    for (const double fraction : {0.0, 0.1, 0.5, 0.9, 0.999}) {
      INFO(ext << " limit " << fraction);
      ++cases;
      const auto limit = static_cast<rlim_t>(static_cast<double>(size) * fraction);
      const int result = save_in_child(path, [&] {
        signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG instead of killing
        const rlimit r{limit, limit};
        setrlimit(RLIMIT_FSIZE, &r);
      });
      CHECK(result == 0);
      CHECK(which_model(path) == 0);
      CHECK(leftovers(dir.path(), path) == 0);
    }
    std::filesystem::remove(path);
  }
  std::printf("faults RLIMIT_FSIZE: %zu cases, 0 models lost\n", cases);
}

TEST_CASE("a full file system in the middle of a save loses no model", "[faults]") {
  test::TempDir dir;
  const auto mount_point = dir / "small";
  std::filesystem::create_directory(mount_point);
  std::size_t cases = 0;
  for (const Format format : {Format::binary, Format::json, Format::xml}) {
    std::ostringstream old_model;
    std::ostringstream new_model;
    mlpersist::save(model(0), old_model, format);
    mlpersist::save(model(1), new_model, format);
    // Room for the model at the path and half of the new one: the save runs out of space.
    const std::size_t size = old_model.str().size() + new_model.str().size() / 2;
    const std::string options = "size=" + std::to_string((size / 4096 + 1) * 4096);
    if (mount("tmpfs", mount_point.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      WARN("cannot mount a small tmpfs here (needs root): " << std::strerror(errno) << "; skipped");
      return;
    }
    INFO(mlpersist::to_string(format));
    const auto path = mount_point / (std::string("model") + mlpersist::extension(format));
    mlpersist::save(model(0), path);
    ++cases;
    CHECK(save_in_child(path, [] {}) == 0);
    CHECK(which_model(path) == 0);
    CHECK(leftovers(mount_point, path) == 0);
    umount(mount_point.c_str());
  }
  std::printf("faults full tmpfs: %zu cases, 0 models lost\n", cases);
}

TEST_CASE("a full ext4 file system in the middle of a large save loses no model", "[faults]") {
  // On ext4 a large array is written partly through a mapping of the file (FdBuffer::write_block),
  // where a page that the file system cannot back is a SIGBUS rather than an error: the save must
  // allocate the blocks first, and end in an IoError when there is no room. The save runs in a child
  // process, where a signal shows as such. mkfs.ext4 and mount are in every Debian (priority required).
  test::TempDir dir;
  const auto image = dir / "ext4.img";
  const auto mount_point = dir / "ext4";
  std::filesystem::create_directory(mount_point);
  test::write_bytes(image, "");
  std::filesystem::resize_file(image, std::uintmax_t{48} << 20);  // about 40 MiB free once made
  const std::string make = "mkfs.ext4 -q -F " + image.string() + " > /dev/null 2>&1";
  const std::string attach = "mount -o loop " + image.string() + " " + mount_point.string() + " > /dev/null 2>&1";
  if (std::system(make.c_str()) != 0 || std::system(attach.c_str()) != 0) {
    WARN("cannot make and mount an ext4 file system here (needs root and loop devices); skipped");
    return;
  }
  struct Unmount {
    std::filesystem::path at;
    ~Unmount() { umount(at.c_str()); }
  } unmount{mount_point};
  const auto linear = [](Eigen::Index size, double intercept) {
    mlpersist::Vector<double> coef(size);
    for (Eigen::Index i = 0; i < size; ++i) coef(i) = std::sin(static_cast<double>(i));
    mlpersist::LinearRegression<double> model;
    model.set_parameters(std::move(coef), intercept);
    return model;
  };
  const auto old_model = linear(2500000, 1.0);  // 20 MB
  const auto new_model = linear(3500000, 2.0);  // 28 MB: not both at once
  const auto models = mount_point / "models";  // away from ext4's lost+found
  std::filesystem::create_directory(models);
  const auto path = models / "model.bin";
  mlpersist::save(old_model, path);
  const int result = in_child([&] {
    try {
      mlpersist::save(new_model, path);
      return 1;
    } catch (const mlpersist::IoError& e) {
      return std::string(e.what()).find(std::strerror(ENOSPC)) != std::string::npos ? 0 : 2;
    }
  });
  CHECK(result == 0);  // 1: the save succeeded (the file system was not full), 2: another error
  const auto loaded = mlpersist::load<mlpersist::LinearRegression<double>>(path);
  CHECK(loaded.coef() == old_model.coef());
  CHECK(loaded.intercept() == 1.0);
  CHECK(leftovers(models, path) == 0);
  // With the old model gone, the new one fits, and is saved whole.
  std::filesystem::remove(path);
  CHECK(in_child([&] {
          mlpersist::save(new_model, path);
          return 0;
        }) == 0);
  CHECK(mlpersist::load<mlpersist::LinearRegression<double>>(path).coef() == new_model.coef());
}

TEST_CASE("with no thread to be had (RLIMIT_NPROC), large saves and loads run on one thread", "[faults]") {
  // Large binary arrays, text files and XML parses share their work with a helper thread. A process
  // that cannot start one must still save and load every format, and the same model.
  mlpersist::Vector<double> coef(400000);  // 3.2 MB in binary, about 7 MB of JSON, 20 MB of XML
  for (Eigen::Index i = 0; i < coef.size(); ++i) coef(i) = std::sin(static_cast<double>(i)) * 1e3;
  mlpersist::LinearRegression<double> model;
  model.set_parameters(coef, 0.25);
  test::TempDir dir;
  const auto writable = dir / "nobody";  // a process that drops root must still write here
  std::filesystem::create_directory(writable);
  std::filesystem::permissions(writable, std::filesystem::perms::all);
  const int result = in_child([&] {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 5;  // root ignores the limit
    const rlimit none{0, 0};
    if (setrlimit(RLIMIT_NPROC, &none) != 0) return 5;
    try {
      std::thread([] {}).join();
      return 5;  // the limit did not stop threads: nothing would be tested
    } catch (const std::system_error&) {
    }
    try {
      for (const Format format : {Format::binary, Format::json, Format::xml}) {
        const auto path = writable / (std::string("model") + mlpersist::extension(format));
        mlpersist::save(model, path);
        const auto loaded = mlpersist::load<mlpersist::LinearRegression<double>>(path);
        if (loaded.coef() != coef || loaded.intercept() != 0.25) return 1;
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "no threads: %s\n", e.what());
      return 4;
    }
    return 0;
  });
  if (result == 5) {
    WARN("cannot keep this process from starting threads here; skipped");
    return;
  }
  CHECK(result == 0);  // 1: a model came back different, 4: an exception
}

TEST_CASE("kill -9 in the middle of saves: the file holds one complete model", "[faults]") {
  test::TempDir dir;
  std::mt19937 random(12345);
  std::size_t kills = 0;
  std::size_t temporaries = 0;
  for (const char* ext : {".bin", ".json"}) {
    const auto path = dir / (std::string("model") + ext);
    mlpersist::save(model(0), path);
    for (int trial = 0; trial < 15; ++trial) {
      std::fflush(nullptr);
      const pid_t pid = fork();
      if (pid == 0) {
        for (int i = 0;; ++i) mlpersist::save(model(i % 2), path);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(500, 30000)(random)));
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      ++kills;
      INFO(ext << " trial " << trial);
      const int which = which_model(path);
      CHECK((which == 0 || which == 1));
      // A killed process cannot remove its temporary file; it never replaces the model.
      for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        if (entry.path() == path) continue;
        CHECK(entry.path().filename().string().rfind("model" + std::string(ext) + ".tmp-", 0) == 0);
        ++temporaries;
        std::filesystem::remove(entry.path());
      }
    }
    std::filesystem::remove(path);
  }
  std::printf("faults kill -9: %zu kills during saves, 0 models lost, %zu temporary files left by killed processes\n",
              kills, temporaries);
}

#endif
