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

/// The operating system refused a read or write: missing file, no permission, disk full.
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace mlpersist
