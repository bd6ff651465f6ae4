#pragma once
// Argument checks shared by every model: misuse is std::invalid_argument with a message that says
// what was expected, never an Eigen assertion or a wrong answer.
#include <Eigen/Core>

#include "mlpersist/core/errors.hpp"

#include <stdexcept>
#include <string>

namespace mlpersist::detail {

inline void check_fitted(const std::string& model, Eigen::Index n_features_in) {
  if (n_features_in == 0)
    throw std::invalid_argument(model + " is not fitted yet: call fit before using it");
}

inline void check_features(const std::string& model, Eigen::Index n_features_in, Eigen::Index columns) {
  check_fitted(model, n_features_in);
  if (columns != n_features_in)
    throw std::invalid_argument(model + ": X has " + std::to_string(columns) + " features, but the model was fitted with " +
                                std::to_string(n_features_in) + " features");
}

inline void check_training_data(const std::string& model, Eigen::Index rows, Eigen::Index columns,
                                Eigen::Index targets) {
  if (rows == 0 || columns == 0)
    throw std::invalid_argument(model + ": X must have at least one sample and one feature, found " +
                                std::to_string(rows) + "x" + std::to_string(columns));
  if (targets != rows)
    throw std::invalid_argument(model + ": X has " + std::to_string(rows) + " samples but y has " +
                                std::to_string(targets));
}

/// Hyper-parameters are checked by Options::validate(model, fail), which calls fail(message) for the
/// first one out of its domain. Before fit that is a caller's mistake; in a loaded file, damage.
template <class Options>
void check_options(const Options& options, const std::string& model) {
  options.validate(model, [](const std::string& message) { throw std::invalid_argument(message); });
}

template <class Derived>
void check_finite(const std::string& model, const Eigen::DenseBase<Derived>& X) {
  if (!X.allFinite()) throw std::invalid_argument(model + ": input contains NaN or infinity");
}

}  // namespace mlpersist::detail
