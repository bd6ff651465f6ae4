// Many threads and processes saving and loading the same and different paths at once: every load
// sees one complete model, old or new, never a mix or an error; the two threads that read one
// large array, when the file shrinks under them; the relay thread that reads the large arrays of
// one load beside the loading thread; and the two threads that write a large array, one through a
// mapping of the file. Also built with ThreadSanitizer.
#include "two_models.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#if defined(__unix__)
#include <sys/wait.h>
#include <unistd.h>
#endif

namespace {

using two_models::model;
using two_models::which_model;

struct Tally {
  std::atomic<int> saves{0};
  std::atomic<int> loads{0};
  std::atomic<int> bad{0};  // loads that saw neither model, and any exception
};

/// One worker: `rounds` times, save model (seed + i) % 2 over `path`, then load `path`.
void work(const std::filesystem::path& path, int seed, int rounds, Tally& tally) {
  for (int i = 0; i < rounds; ++i) {
    try {
      mlpersist::save(model((seed + i) % 2), path);
      ++tally.saves;
      if (which_model(path) < 0) ++tally.bad;
      ++tally.loads;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "concurrency: %s\n", e.what());
      ++tally.bad;
    }
  }
}

}  // namespace

TEST_CASE("threads saving and loading the same and different paths see whole models", "[concurrency]") {
  // Warm the models up before the threads start: their first use fits them.
  REQUIRE(model(0).n_features_in() == model(1).n_features_in());
  test::TempDir dir;
  for (const char* ext : {".bin", ".json"}) {
    Tally tally;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      // Six threads share one path; two have a path of their own.
      const auto path = dir / ((t < 6 ? std::string("shared") : "own" + std::to_string(t)) + ext);
      threads.emplace_back(work, path, t, 12, std::ref(tally));
    }
    for (auto& thread : threads) thread.join();
    std::printf("concurrency threads %s: %d saves, %d loads, %d saw a mix or failed\n", ext, tally.saves.load(),
                tally.loads.load(), tally.bad.load());
    CHECK(tally.saves == 8 * 12);
    CHECK(tally.loads == 8 * 12);
    CHECK(tally.bad == 0);
  }
}

TEST_CASE("large models: the second threads of saves and loads, with several at once", "[concurrency]") {
  // 2,500,000 coefficients (20 MB): saves write them with two threads (FdBuffer::write_block), and
  // loads check their bytes on a second thread.
  mlpersist::Vector<double> coef(2500000);
  for (Eigen::Index i = 0; i < coef.size(); ++i) coef(i) = static_cast<double>(i % 1000) / 7.0;
  test::TempDir dir;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      try {
        const auto path = dir / ("large" + std::to_string(t) + ".bin");
        for (int round = 0; round < 2; ++round) {
          mlpersist::LinearRegression<double> saved;
          saved.set_parameters(coef, t + round);
          mlpersist::save(saved, path);
          const auto loaded = mlpersist::load<mlpersist::LinearRegression<double>>(path);
          if (loaded.coef() != coef || loaded.intercept() != t + round) ++bad;
        }
        // 100,000 of them in XML (about 4.5 MB): parsed, and converted to numbers, by two threads.
        const auto text_path = dir / ("large" + std::to_string(t) + ".xml");
        mlpersist::LinearRegression<double> saved;
        saved.set_parameters(coef.head(100000), t);
        mlpersist::save(saved, text_path);
        if (mlpersist::load<mlpersist::LinearRegression<double>>(text_path).coef() != coef.head(100000)) ++bad;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "concurrency: %s\n", e.what());
        ++bad;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(bad == 0);
}

#if defined(__unix__)
TEST_CASE("processes saving and loading the same path see whole models", "[concurrency]") {
  REQUIRE(model(0).n_features_in() == model(1).n_features_in());
  test::TempDir dir;
  const auto path = dir / "shared.bin";
  mlpersist::save(model(0), path);
  std::vector<pid_t> children;
  std::fflush(nullptr);
  for (int p = 0; p < 4; ++p) {
    const pid_t pid = fork();
    if (pid == 0) {
      Tally tally;
      work(path, p, 15, tally);
      _exit(tally.bad == 0 && tally.loads == 15 ? 0 : 1);
    }
    children.push_back(pid);
  }
  int failed = 0;
  for (const pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  std::printf("concurrency processes: 4 processes x 15 saves and loads, %d failed\n", failed);
  CHECK(failed == 0);
  CHECK(which_model(path) >= 0);
}
#endif

#ifdef MLPERSIST_DETAIL_POSIX
TEST_CASE("a file that shrinks while a large array is read by two threads: the read stops where it ends",
          "[concurrency]") {
  // The file is cut after it was opened (and its size taken): the two threads that share the
  // pieces of the block must give back exactly the bytes up to the cut, each checked once, and
  // the checksum must cover exactly those, in order, whichever thread read them.
  using mlpersist::detail::BlockReader;
  constexpr std::size_t piece = BlockReader::piece_bytes;
  std::string bytes(12 * piece + 12345, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 251);
  test::TempDir dir;
  const auto path = dir / "bytes";
  for (const std::size_t cut : {bytes.size(), std::size_t{70000}, piece, 2 * piece + 777, 7 * piece + 3,
                                bytes.size() - 1}) {
    INFO("file cut to " << cut << " bytes");
    test::write_bytes(path, bytes);
    const mlpersist::detail::InputFile file(path, bytes.size());
    std::filesystem::resize_file(path, cut);
    mlpersist::detail::Checksum checksum(mlpersist::detail::first_xxh3_container);
    mlpersist::detail::ChecksummedFileBuffer input(file, 0, bytes.size(), checksum);
    REQUIRE(input.sbumpc() == static_cast<unsigned char>(bytes[0]));  // the block starts with buffered bytes
    std::string out(bytes.size() - 1, '\0');
    std::atomic<std::size_t> checked{0};
    const std::size_t got = input.read_block(out.data(), out.size(), [&](std::size_t from, std::size_t to) {
      checked += to - from;
    });
    CHECK(got == cut - 1);
    CHECK(checked == got);
    CHECK(out.compare(0, got, bytes, 1, got) == 0);
    CHECK(input.error() == 0);
    input.finish();
    mlpersist::detail::Checksum expected(mlpersist::detail::first_xxh3_container);
    expected.update(bytes.data(), cut);
    CHECK(checksum.value() == expected.value());
  }
}

TEST_CASE("one file buffer reads several large blocks in a row, each shared with the relay thread",
          "[concurrency]") {
  // Three blocks of 2-5 MB (each read by two threads) with a few bytes read alone between them, as
  // a binary load reads the arrays of an MLP: every byte arrives once, in place, and the checksum
  // covers them all in order.
  using mlpersist::detail::BlockReader;
  constexpr std::size_t piece = BlockReader::piece_bytes;
  std::string bytes(15 * piece, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 251);
  test::TempDir dir;
  const auto path = dir / "bytes";
  test::write_bytes(path, bytes);
  const mlpersist::detail::InputFile file(path, bytes.size());
  mlpersist::detail::Checksum checksum(mlpersist::detail::first_xxh3_container);
  mlpersist::detail::ChecksummedFileBuffer input(file, 0, bytes.size(), checksum);
  std::size_t at = 0;
  for (const std::size_t size : {4 * piece + 100, 10 * piece / 3, 6 * piece + 7}) {
    INFO("block at " << at << " of " << size << " bytes");
    std::string between(16, '\0');
    REQUIRE(input.sgetn(between.data(), 16) == 16);
    CHECK(between == bytes.substr(at, 16));
    at += 16;
    std::string out(size, '\0');
    std::atomic<std::size_t> checked{0};
    REQUIRE(input.read_block(out.data(), size, [&](std::size_t from, std::size_t to) { checked += to - from; }) ==
            size);
    CHECK(checked == size);
    CHECK(out == bytes.substr(at, size));
    at += size;
  }
  input.finish();
  CHECK(input.error() == 0);
  mlpersist::detail::Checksum expected(mlpersist::detail::first_xxh3_container);
  expected.update(bytes.data(), bytes.size());
  CHECK(checksum.value() == expected.value());
}

#ifdef O_TMPFILE
TEST_CASE("a file buffer writes large blocks with two threads, through write() and a mapping of the file",
          "[concurrency]") {
  // Two blocks over FdBuffer::shared_write_min_bytes, each after a few bytes written alone so that
  // neither starts on a piece boundary, and a last block of one byte more than the minimum: the
  // file must hold every byte in place, whichever thread wrote it, and `alongside` (the checksum,
  // in a save) must run once for each, beside the writing thread.
  using mlpersist::detail::FdBuffer;
  constexpr std::size_t minimum = FdBuffer::shared_write_min_bytes;
  const std::vector<std::size_t> blocks{2 * minimum + 12345, minimum + 3 * FdBuffer::shared_piece_bytes / 2,
                                        minimum + 1};
  std::string bytes;
  for (const std::size_t size : blocks) bytes.resize(bytes.size() + 100 + size);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 % 251);
  test::TempDir dir;
  // How save opens its file (unnamed, read and write), then as it opens one where it cannot (a
  // name, write only), and as no save does: unnamed but write only, which cannot be mapped.
  struct Way {
    const char* name;
    int flags;
    bool named;
  };
  for (const Way way : {Way{"unnamed", O_RDWR, false}, Way{"named", O_WRONLY, true},
                        Way{"unnamed, write only", O_WRONLY, false}}) {
    INFO(way.name);
    const auto path = dir / "written";
    const int fd = way.named ? ::open(path.c_str(), way.flags | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                             : ::open(dir.path().c_str(), way.flags | O_TMPFILE | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    const bool mappable = !way.named && mlpersist::detail::may_write_mapped(fd);
    if (!way.named && !mappable) WARN("the temporary directory is not on ext4: no block is written through a mapping");
    FdBuffer buffer(fd, mappable);
    std::size_t at = 0;
    for (const std::size_t size : blocks) {
      REQUIRE(buffer.sputn(bytes.data() + at, 100) == 100);
      at += 100;
      const auto caller = std::this_thread::get_id();
      std::set<std::thread::id> ran_on;
      CHECK(buffer.write_block(bytes.data() + at, size, [&] { ran_on.insert(std::this_thread::get_id()); }) == size);
      CHECK(ran_on.size() == 1);
      CHECK(ran_on.count(caller) == 0);
      at += size;
    }
    REQUIRE(buffer.pubsync() == 0);
    CHECK(buffer.error() == 0);
    // Read through a new opening of the file: the fd may be write only.
    const std::string written = test::read_bytes("/proc/self/fd/" + std::to_string(fd));
    ::close(fd);
    REQUIRE(written.size() == bytes.size());
    // The first byte that differs (not the strings themselves: Catch would print 80 MB).
    const auto differs = std::mismatch(written.begin(), written.end(), bytes.begin()).first - written.begin();
    CHECK(differs == static_cast<std::ptrdiff_t>(bytes.size()));
  }
}
#endif

TEST_CASE("a file buffer whose file cannot be written reports the error of its large block", "[concurrency]") {
  test::TempDir dir;
  const auto path = dir / "read-only";
  test::write_bytes(path, "");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  mlpersist::detail::FdBuffer buffer(fd, true);  // told it may map the file: fallocate and mmap refuse
  const std::string bytes(mlpersist::detail::FdBuffer::shared_write_min_bytes + 10, 'x');
  bool ran = false;
  CHECK(buffer.write_block(bytes.data(), bytes.size(), [&] { ran = true; }) == 0);
  CHECK(buffer.error() == EBADF);
  CHECK(ran);
  ::close(fd);
}
#endif

TEST_CASE("a relay thread runs each job beside the caller, and the next job too if it comes in time",
          "[concurrency]") {
  using mlpersist::detail::RelayThread;
  const auto caller = std::this_thread::get_id();
  struct Runs {
    std::mutex mutex;
    std::multiset<std::thread::id> threads;
  };
  // Returns the thread that ran `share`'s job beside the caller, after checking there was one.
  auto other_thread = [&](RelayThread& relay) {
    Runs runs;
    relay.share([&] {
      std::lock_guard<std::mutex> lock(runs.mutex);
      runs.threads.insert(std::this_thread::get_id());
    });
    REQUIRE(runs.threads.size() == 2);
    REQUIRE(runs.threads.count(caller) == 1);
    return *runs.threads.begin() == caller ? *runs.threads.rbegin() : *runs.threads.begin();
  };
  // Waiting an hour for the next job, the relay thread takes every one.
  std::optional<RelayThread> relay(std::in_place, std::chrono::hours(1));
  const std::thread::id first = other_thread(*relay);
  CHECK(other_thread(*relay) == first);
  CHECK(other_thread(*relay) == first);
#if defined(__linux__)
  // When the relay goes, its thread ends (it is detached), though it would wait an hour for a job.
  auto threads_running = [] {
    const std::filesystem::directory_iterator tasks("/proc/self/task");
    return std::distance(begin(tasks), end(tasks));
  };
  const auto with_relay = threads_running();
  relay.reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (threads_running() >= with_relay && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(threads_running() < with_relay);
#endif
  // Waiting no time at all, it ends after each job, and a new thread takes the next one.
  RelayThread impatient(std::chrono::microseconds(0));
  for (int i = 0; i < 3; ++i) other_thread(impatient);
}
