#pragma once
#include <Eigen/Core>

#include <map>
#include <string>
#include <type_traits>

namespace mlpersist {

/// Samples are rows, features are columns, as in scikit-learn.
template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
template <class T>
using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
/// Class labels: arbitrary integers.
using Labels = Eigen::VectorXi;

/// User key/value pairs stored in a file's envelope (dataset name, test accuracy, ...).
using Metadata = std::map<std::string, std::string>;

/// The scalar's name as it appears in a model's type name: "float" or "double".
template <class T>
constexpr const char* scalar_name() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "mlpersist models are defined for float and double");
  return std::is_same_v<T, float> ? "float" : "double";
}

}  // namespace mlpersist
