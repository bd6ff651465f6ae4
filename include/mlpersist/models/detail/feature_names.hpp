#pragma once
// Optional names of the input features (scikit-learn's feature_names_in_), shared by every model.
// Added in schema version 2: files written before have none.
#include "mlpersist/core/serialize.hpp"

#include <Eigen/Core>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mlpersist::detail {

template <class Derived>
class WithFeatureNames {
 public:
  /// The names of the input features, or none.
  const std::vector<std::string>& feature_names() const { return feature_names_; }

  /// Names the input features (one name per column of X); returns the model for chaining:
  /// `model.set_feature_names(names).fit(X, y)`.
  Derived& set_feature_names(std::vector<std::string> names) {
    check_count(names.size(), derived().n_features_in(), "the model was fitted with");
    feature_names_ = std::move(names);
    return derived();
  }

 protected:
  /// fit() keeps the names only if they describe X's columns.
  void check_feature_names_for(Eigen::Index columns) const {
    check_count(feature_names_.size(), columns, "X has");
  }

  template <class Archive>
  void serialize_feature_names(Archive& ar, std::uint32_t version) {
    if (version >= 2)
      field(ar, "feature_names", feature_names_);
    else
      feature_names_.clear();
    if constexpr (is_loading_v<Archive>) {
      const auto fitted = derived().n_features_in();
      require(feature_names_.empty() || fitted == 0 || feature_names_.size() == static_cast<std::size_t>(fitted),
              std::to_string(feature_names_.size()) + " feature_names for " + std::to_string(fitted) + " features");
    }
  }

 private:
  const Derived& derived() const { return static_cast<const Derived&>(*this); }
  Derived& derived() { return static_cast<Derived&>(*this); }

  void check_count(std::size_t names, Eigen::Index features, const char* what) const {
    if (names != 0 && features != 0 && names != static_cast<std::size_t>(features))
      throw std::invalid_argument(Derived::type_name() + ": " + std::to_string(names) + " feature names, but " + what +
                                  " " + std::to_string(features) + " features");
  }

  std::vector<std::string> feature_names_;
};

}  // namespace mlpersist::detail
