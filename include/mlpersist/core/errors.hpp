#pragma once
#include <stdexcept>
#include <string>

namespace mlpersist {

/// Base of every error mlpersist raises while reading or writing files.
/// (Misuse of a model, such as predicting before fit, throws std::invalid_argument instead.)
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The file was written by a newer schema or container version than this build reads.
class VersionError : public Error {
 public:
  using Error::Error;
};

/// The file holds another model type (or scalar type) than the one asked for.
class TypeMismatch : public Error {
 public:
  using Error::Error;
};

/// The file is an mlpersist file but damaged: truncated, failed checksum, malformed text, or values
/// that break the model's invariants.
class CorruptFile : public Error {
 public:
  using Error::Error;
};

/// The input is not an mlpersist file, or its format is unknown.
class FormatError : public Error {
 public:
  using Error::Error;
};

/// The input is larger or deeper than the LoadOptions allow (max_bytes, max_depth). The file may be
/// valid; raise the limit if it is trusted.
class LimitExceeded : public Error {
 public:
  using Error::Error;
};

/// load(..., {verify = true}) replayed the self-check rows stored in the file and the loaded model
/// gave other outputs than when it was saved, or the file stores no self-check rows.
class VerificationError : public Error {
 public:
  using Error::Error;
};

/// The operating system refused a read or write: missing file, no permission, disk full.
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace mlpersist
