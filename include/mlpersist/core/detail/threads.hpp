#pragma once
// Second threads, never left asleep between tasks: a worker thread that slept between tasks, woken
// for each and ended after the last, cost about 140 us of an 8 MB binary load of 0.9 ms here.
// TaskThread: a thread for one large task, such as half of a text file to read or parse, or the
// checksum of a large array being written. TwoThreadLoop: a loop split in two halves, one on a
// TaskThread. RelayThread: a thread for jobs that come close together, the large arrays of one
// binary load, waiting between them awake. PieceBoard: the pieces of a large array that two threads
// read, and finish in order, taking turns. TwoEndedPieces: the pieces of a large array that two
// threads write, one from each end.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
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
  /// A piece that arrives is finished by its reader or by the thread with the turn, before either
  /// takes another piece: so once every thread has run out of pieces to take, all are finished.
  bool finished(std::size_t k, bool complete) {
    std::lock_guard<std::mutex> lock(mutex_);
    next_to_finish_ = k + 1;
    if (!complete) {
      stopped_ = true;
      next_to_take_ = count();
    } else if (next_to_finish_ < count() && pieces_[next_to_finish_].arrived) {
      return true;
    }
    turn_taken_ = false;
    return false;
  }

 private:
  std::vector<Piece> pieces_;
  std::atomic<std::size_t> next_to_take_{0};
  std::mutex mutex_;
  std::size_t next_to_finish_ = 0;
  bool turn_taken_ = false;
  bool stopped_ = false;
};

/// The pieces of one job that two threads share, each working its own way (a binary save writes
/// pieces from the front with write(2), and copies pieces from the back into a mapping of the file):
/// each takes the next piece from its own end, until the two meet.
class TwoEndedPieces {
 public:
  explicit TwoEndedPieces(std::size_t count) : back_(count) {}

  /// The next piece from the front, or nothing once every piece is taken (or stopped).
  std::optional<std::size_t> from_front() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (front_ == back_) return std::nullopt;
    return front_++;
  }
  /// The next piece from the back, or nothing once every piece is taken (or stopped).
  std::optional<std::size_t> from_back() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (front_ == back_) return std::nullopt;
    return --back_;
  }
  /// No more pieces are taken, from either end.
  void stop() {
    std::lock_guard<std::mutex> lock(mutex_);
    back_ = front_;
  }

 private:
  std::mutex mutex_;
  std::size_t front_ = 0;
  std::size_t back_;
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

/// A second thread for jobs that come close together, such as the large arrays of one binary load:
/// share(job) runs the job here and on the relay thread at once. After a job the thread waits for
/// the next one awake, for `linger` at most, and ends if none comes. Handing a job to it so costs
/// next to nothing, where starting a thread cost the caller 40-65 us here: most of it in waking the
/// other CPU, idle since the last thread ended (wake_up_new_task, in `perf`). A binary load of a
/// 1e6-parameter MLP, two 4 MB arrays, took 0.64-0.70 ms so, against 0.72-0.76 with a thread for
/// each array (bench_persistence, the two builds alternated).
class RelayThread {
 public:
  using Job = std::function<void()>;
  /// How long each thread waits awake: the relay thread for its next job (two large arrays of a
  /// binary load came about 20 us apart here), the caller for the relay thread's run of a job (it
  /// usually ends within a piece of the caller's, 30-50 us). Then the relay thread ends, and the
  /// caller sleeps.
  static constexpr std::chrono::microseconds awake_for{100};

  explicit RelayThread(std::chrono::microseconds linger = awake_for) : linger_(linger) {}
  RelayThread(const RelayThread&) = delete;
  RelayThread& operator=(const RelayThread&) = delete;
  ~RelayThread() { end(); }

  /// Runs `job` on this thread and on the relay thread, and returns once both runs have returned.
  /// On this thread alone if no thread can be started. `job` must not throw.
  void share(const Job& job) {
    if (!hand_over(job)) return job();
    job();
    state_->wait_until_done();
  }

 private:
  /// What the caller and the relay thread share; the thread holds it for as long as it runs.
  class State {
   public:
    explicit State(const Job& first) : job_(&first) {}

    /// Hands `job` to the thread, or false if it has ended.
    bool offer(const Job& job) {
      done_.store(false, std::memory_order_relaxed);  // published by the exchange below
      const Job* none = nullptr;
      return job_.compare_exchange_strong(none, &job, std::memory_order_acq_rel);
    }
    void quit() { quit_.store(true, std::memory_order_release); }

    /// The relay thread: runs jobs until none comes within `linger`, or quit() is called.
    void serve(std::chrono::microseconds linger) {
      while (const Job* job = next_job(linger)) {
        (*job)();
        job_.store(nullptr, std::memory_order_release);
        std::lock_guard<std::mutex> lock(mutex_);
        done_.store(true, std::memory_order_release);
        if (caller_asleep_) job_done_.notify_one();
      }
    }

    /// The caller, once its own run of the job has returned: waits for the thread's.
    void wait_until_done() {
      const auto start = std::chrono::steady_clock::now();
      while (!done_.load(std::memory_order_acquire)) {
        if (std::chrono::steady_clock::now() - start >= awake_for) {
          std::unique_lock<std::mutex> lock(mutex_);
          caller_asleep_ = true;
          job_done_.wait(lock, [&] { return done_.load(std::memory_order_acquire); });
          caller_asleep_ = false;
          return;
        }
        std::this_thread::yield();  // to a thread waiting for this CPU, if any: the relay, perhaps
      }
    }

   private:
    /// The next job, or nullptr once the thread is to end: `ended_` then takes the job's place, so
    /// that no job can be offered after the thread stopped looking.
    const Job* next_job(std::chrono::microseconds linger) {
      const auto start = std::chrono::steady_clock::now();
      for (;;) {
        const Job* job = job_.load(std::memory_order_acquire);
        if (job != nullptr) return job;
        if (quit_.load(std::memory_order_acquire) || std::chrono::steady_clock::now() - start >= linger)
          return job_.compare_exchange_strong(job, &ended_, std::memory_order_acq_rel) ? nullptr : job;
        std::this_thread::yield();
      }
    }

    const Job ended_;  // never run: its address marks the thread's end
    std::atomic<const Job*> job_;
    std::atomic<bool> done_{false};
    std::atomic<bool> quit_{false};
    std::mutex mutex_;
    std::condition_variable job_done_;
    bool caller_asleep_ = false;
  };

  /// Offers `job` to the running thread, or else starts one with it. False if none can be started.
  /// The thread is detached: it ends by itself, `linger` after its last job or as soon as its relay
  /// goes, and touches nothing but the state it shares, which it keeps alive. Joined when its relay
  /// went, it kept the caller waiting for its exit at the end of every binary load (about 25 us of
  /// 0.65 ms here); kept to be joined later, it would have been a thread that a fork()ed child
  /// could never join.
  bool hand_over(const Job& job) {
    if (state_ && state_->offer(job)) return true;
    end();
    auto state = std::make_shared<State>(job);
    try {
      std::thread([state, linger = linger_] { state->serve(linger); }).detach();
    } catch (const std::system_error&) {
      return false;
    }
    state_ = std::move(state);
    return true;
  }

  void end() {
    if (state_) state_->quit();
    state_.reset();
  }

  std::chrono::microseconds linger_;
  std::shared_ptr<State> state_;
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

/// Runs `task` on a TaskThread (or here first, if none can be started) while `work` runs here, and
/// returns what `work` returns once both are done.
template <class Task, class Work>
auto run_beside(const Task& task, const Work& work) {
  std::optional<TaskThread> helper;  // joined before this returns, as the task reads the caller's data
  if (!try_start(helper, task)) task();
  return work();
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
