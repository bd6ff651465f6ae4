#pragma once
// What save and load can be asked to do besides writing and reading the model.
#include "mlpersist/core/types.hpp"

#include <cstdint>
#include <initializer_list>
#include <utility>

namespace mlpersist {

/// Options for save. Converts from Metadata, so `save(model, path, {{"dataset", "iris"}})` works.
struct SaveOptions {
  SaveOptions() = default;
  SaveOptions(Metadata metadata) : metadata(std::move(metadata)) {}  // NOLINT: implicit on purpose
  SaveOptions(std::initializer_list<Metadata::value_type> entries) : metadata(entries) {}

  /// User key/value pairs stored in the envelope.
  Metadata metadata;
  /// A few input rows (with the model's n_features_in columns) stored with the outputs the model gives
  /// for them, so that `load` with LoadOptions::verify replays them. Empty: no self-check is stored.
  Matrix<double> self_check;
  /// Sync the file and its directory to disk before save returns, so the new model survives a power
  /// failure. Without it a save is still atomic (readers and crashes of this process see the old
  /// model or the new one, never a mix) but the operating system decides when the data reaches the
  /// disk: saves of large models become several times faster (see docs/performance/README.md).
  bool durable = true;
};

/// Options for load and inspect. The defaults suit untrusted files; each limit is checked before
/// anything is allocated.
struct LoadOptions {
  /// Replay the self-check rows stored by SaveOptions::self_check and throw VerificationError if the
  /// loaded model disagrees, or if the file stores none.
  bool verify = false;
  /// Largest accepted difference in verify: |found - expected| <= tolerance * max(1, |expected|).
  double verify_tolerance = 1e-6;
  /// Largest file read, and largest single array allocated, in bytes (16 GiB by default). Every length
  /// declared in a file is also checked against the bytes the file has left.
  std::uint64_t max_bytes = std::uint64_t{1} << 34;
  /// Deepest nesting of JSON or XML accepted; mlpersist's own files nest about 10 levels.
  std::uint32_t max_depth = 64;
};

/// Options for map. It always checks the file's structure as load does (header, versions, trailer,
/// every shape, length and bound, the model's invariants), reading only the pages that hold it.
struct MapOptions : LoadOptions {
  /// Also check the data as load does: the whole file's checksum, and that parameters hold finite
  /// numbers. This reads every page of the file once (into the page cache, which the mapping shares,
  /// not into memory of the model's own); without it, damage inside a parameter array goes unnoticed.
  bool check_data = false;
};

}  // namespace mlpersist
