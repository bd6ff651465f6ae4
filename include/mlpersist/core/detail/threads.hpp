#pragma once
// Second threads, each started for one task and joined when the task is done, never left asleep
// in between: a worker thread that slept between tasks, woken for each and ended after the last,
// cost about 140 us of an 8 MB binary load of 0.9 ms here. TaskThread: a thread for one large
// task, such as half of a text file to read or parse, or the checksum of a large array being
// written. TwoThreadLoop: a loop split in two halves, one on a TaskThread. PieceBoard: the pieces
// of a large array that two threads read, and finish in order, taking turns.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace mlpersist::detail {

/// Reads and writes of this many bytes or more share their work with a helper thread; below it,
/// starting the thread would cost more than it saves. (An 8 MB binary save took 1.64 ms here with
/// this at 8 MiB, checksumming on its own thread, and 1.35 ms with it at 2 MiB.)
inline constexpr std::uint64_t helper_thread_min_bytes = std::uint64_t{2} << 20;

/// The pieces of one job that two threads share: each takes the next piece not yet taken, and
/// records it once read. The pieces are also finished in order (a binary load checksums a large
/// array so, and XXH3 is sequential): the thread that read the next piece to finish takes the
/// turn, and keeps it while the pieces after it have arrived. So a piece is mostly finished by the
/// thread that read it, from that core's cache, and the finishing is shared between the threads.
/// (With the loading thread checksumming every piece, an 8 MB binary load took 0.68 ms here;
/// taking turns, 0.56.)
class PieceBoard {
 public:
  struct Piece {
    std::size_t got = 0;  // bytes read
    int error = 0;        // errno of a failed read
    bool arrived = false;
  };

  explicit PieceBoard(std::size_t count) : pieces_(count) {}
  std::size_t count() const { return pieces_.size(); }

  /// The next piece for the calling thread to read, or count() once all are taken (or stopped).
  std::size_t take() { return std::min(next_to_take_.fetch_add(1), count()); }

  /// Records piece k as read. True if the calling thread now has the turn, to finish pieces in
  /// order from k on.
  bool arrived(std::size_t k, std::size_t got, int error) {
    std::lock_guard<std::mutex> lock(mutex_);
    pieces_[k] = {got, error, true};
    if (turn_taken_ || stopped_ || k != next_to_finish_) return false;
    turn_taken_ = true;
    return true;
  }
  /// What was read of piece k, once it has arrived.
  Piece piece(std::size_t k) {
    std::lock_guard<std::mutex> lock(mutex_);
    return pieces_[k];
  }
  /// Called with the turn, once piece k is finished. True, keeping the turn, if piece k + 1 has
  /// arrived. After a piece that was not `complete`, no more pieces are taken or finished.
  bool finished(std::size_t k, bool complete) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      next_to_finish_ = k + 1;
      if (!complete) {
        stopped_ = true;
        next_to_take_ = count();
      } else if (next_to_finish_ < count() && pieces_[next_to_finish_].arrived) {
        return true;
      }
      turn_taken_ = false;
    }
    all_finished_.notify_all();
    return false;
  }
  /// Returns once every piece is finished, or the pieces stopped at one that was not complete.
  void wait_until_finished() {
    std::unique_lock<std::mutex> lock(mutex_);
    all_finished_.wait(lock, [&] { return stopped_ || next_to_finish_ == count(); });
  }

 private:
  std::vector<Piece> pieces_;
  std::atomic<std::size_t> next_to_take_{0};
  std::mutex mutex_;
  std::condition_variable all_finished_;
  std::size_t next_to_finish_ = 0;
  bool turn_taken_ = false;
  bool stopped_ = false;
};

/// A thread started for one task, and joined when it goes out of scope (as C++20's std::jthread).
/// A thread started with its task is placed by the kernel on an idle core. A waiting thread woken
/// for the task was often put on the waker's core instead, where it ran only after the waker: in
/// about half of the processes of a test loading a 5 MB XML file 100 times, the loads took 1.8
/// times as long, at one CPU's worth of time.
class TaskThread {
 public:
  template <class Task>
  explicit TaskThread(Task&& task) : thread_(std::forward<Task>(task)) {}
  ~TaskThread() { join(); }
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

/// Starts `task` on a TaskThread in `helper`. False, with nothing started, when the system will not
/// start another thread (std::thread throws then): the caller then does the work itself, as it
/// would for work too small to share.
template <class Task>
bool try_start(std::optional<TaskThread>& helper, Task&& task) {
  try {
    helper.emplace(std::forward<Task>(task));
    return true;
  } catch (const std::system_error&) {
    return false;
  }
}

/// Runs loops over many independent items (numbers to convert, bytes to read) on two threads once
/// they are long enough to gain from it, starting a TaskThread for each loop that is. Errors come
/// out as from one thread: work(from, to) over the first half runs here, and if both halves throw,
/// the first half's exception is the one thrown, so the first error in order is still the one
/// reported.
class TwoThreadLoop {
 public:
  /// Numbers converted from text: below this many, starting a thread costs about as much as it saves.
  static constexpr std::size_t min_numbers = std::size_t{1} << 14;

  /// Loops shorter than `min_items` run on this thread alone.
  explicit TwoThreadLoop(std::size_t min_items = min_numbers) : min_items_(min_items) {}

  template <class Work>
  void run(std::size_t count, const Work& work) {
    if (count < min_items_) return work(std::size_t{0}, count);
    const std::size_t half = count / 2;
    std::exception_ptr second_error;
    {
      // The other thread runs its own copy of `work`: reading this one, on this thread's stack, it
      // shared a cache line with what this thread writes there in the same loop, and both halves
      // of a JSON load ran 40% slower in a build where the stack happened to lie that way.
      std::optional<TaskThread> second;
      const bool started = try_start(second, [work, &second_error, half, count] {
        try {
          work(half, count);
        } catch (...) {
          second_error = std::current_exception();
        }
      });
      if (!started) return work(std::size_t{0}, count);
      work(std::size_t{0}, half);
    }
    if (second_error) std::rethrow_exception(second_error);
  }

 private:
  std::size_t min_items_;
};

}  // namespace mlpersist::detail
