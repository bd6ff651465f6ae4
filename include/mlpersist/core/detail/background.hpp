#pragma once
// Second threads. Background: one worker thread that runs tasks in the order they were given.
// Loads of large binary files use it to checksum and check the bytes just read while the next piece
// is being read: on two cores that hides almost all of the checking behind the copy from the page
// cache. PieceBoard: the pieces of a large array that both threads read, taking turns. TaskThread
// and TwoThreadLoop: a thread for one large task, such as half of a text file to read or parse, or
// half of a large array of numbers to convert.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace mlpersist::detail {

/// Reads and writes of this many bytes or more check on a Background; below it, starting the
/// thread would cost more than it saves. (An 8 MB binary save took 1.64 ms here with this at 8 MiB,
/// checksumming on its own thread, and 1.35 ms with it at 2 MiB.)
inline constexpr std::uint64_t background_min_bytes = std::uint64_t{2} << 20;

class Background {
 public:
  Background() : worker_([this] { work(); }) {}
  ~Background() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    worker_.join();
  }
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  /// Queues `task`; it must not throw (tasks record what they find for the caller to read after wait()).
  void run(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    changed_.notify_all();
  }

  /// Returns once every task given so far has finished (and its effects are visible here).
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return tasks_.empty() && !busy_; });
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, with nothing left to do
      std::function<void()> task = std::move(tasks_.front());
      tasks_.pop_front();
      busy_ = true;
      lock.unlock();
      task();
      lock.lock();
      busy_ = false;
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> tasks_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;  // last: starts once the members it uses exist
};

/// Waits for a Background's tasks when leaving a scope, also by an exception, so that no task
/// outlives the memory it reads.
class BackgroundWait {
 public:
  explicit BackgroundWait(Background* background) : background_(background) {}
  ~BackgroundWait() {
    if (background_ != nullptr) background_->wait();
  }
  BackgroundWait(const BackgroundWait&) = delete;
  BackgroundWait& operator=(const BackgroundWait&) = delete;

 private:
  Background* background_;
};

/// The pieces of one job that two threads share: each takes the next piece not yet taken, and
/// records what it got once done; one of them also waits for the pieces in order, to finish them
/// in order (a binary load reads a large array so, and checksums it as it arrives).
class PieceBoard {
 public:
  struct Piece {
    std::size_t got = 0;  // bytes read
    int error = 0;        // errno of a failed read
    bool arrived = false;
  };

  explicit PieceBoard(std::size_t count) : pieces_(count) {}
  std::size_t count() const { return pieces_.size(); }

  /// The next piece for the calling thread to do, or count() once all are taken (or stopped).
  std::size_t take() { return std::min(next_.fetch_add(1), count()); }
  /// No piece is taken after this.
  void stop() { next_ = count(); }

  void arrived(std::size_t k, std::size_t got, int error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pieces_[k] = {got, error, true};
    }
    changed_.notify_all();
  }
  bool has_arrived(std::size_t k) {
    std::lock_guard<std::mutex> lock(mutex_);
    return pieces_[k].arrived;
  }
  Piece wait_for(std::size_t k) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return pieces_[k].arrived; });
    return pieces_[k];
  }

 private:
  std::vector<Piece> pieces_;
  std::atomic<std::size_t> next_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
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
      TaskThread second([work, &second_error, half, count] {
        try {
          work(half, count);
        } catch (...) {
          second_error = std::current_exception();
        }
      });
      work(std::size_t{0}, half);
    }
    if (second_error) std::rethrow_exception(second_error);
  }

 private:
  std::size_t min_items_;
};

}  // namespace mlpersist::detail
