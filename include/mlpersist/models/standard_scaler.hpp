#pragma once
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"
#include "mlpersist/core/validation.hpp"
#include "mlpersist/models/detail/feature_names.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace mlpersist {

/// Standardizes features by removing the mean and scaling to unit variance, as scikit-learn's
/// StandardScaler: z = (x - mean) / scale, where a constant column gets scale 1.
template <class T = double>
class StandardScaler : public detail::WithFeatureNames<StandardScaler<T>> {
 public:
  using Scalar = T;
  struct Options {
    bool with_mean = true;
    bool with_std = true;
  };
  static constexpr std::uint32_t schema_version = 2;
  static std::string type_name() { return std::string("StandardScaler<") + scalar_name<T>() + ">"; }

  StandardScaler() = default;
  explicit StandardScaler(const Options& options) : options_(options) {}

  StandardScaler& fit(const Eigen::Ref<const Matrix<T>>& X) {
    detail::check_training_data(type_name(), X.rows(), X.cols(), X.rows());
    detail::check_finite(type_name(), X);
    this->check_feature_names_for(X.cols());
    const T n = static_cast<T>(X.rows());
    const Vector<T> mean = X.colwise().sum().transpose() / n;
    // Two-pass variance with the rounding-error correction term, as scikit-learn computes it.
    const Matrix<T> centered = X.rowwise() - mean.transpose();
    const Vector<T> correction = centered.colwise().sum().transpose();
    const Vector<T> var = (centered.array().square().colwise().sum().transpose() - correction.array().square() / n) / n;
    Vector<T> scale = var.array().sqrt();
    for (auto& s : scale)  // a (nearly) constant column is left unscaled, as scikit-learn does
      if (s < T(10) * std::numeric_limits<T>::epsilon()) s = T(1);
    mean_ = mean;
    var_ = var;
    scale_ = std::move(scale);
    n_samples_seen_ = static_cast<std::int64_t>(X.rows());
    return *this;
  }

  Matrix<T> transform(const Eigen::Ref<const Matrix<T>>& X) const {
    detail::check_features(type_name(), n_features_in(), X.cols());
    Matrix<T> out = X;
    if (options_.with_mean) out.rowwise() -= mean_.view().transpose();
    if (options_.with_std) out.array().rowwise() /= scale_.view().transpose().array();
    return out;
  }

  Matrix<T> inverse_transform(const Eigen::Ref<const Matrix<T>>& X) const {
    detail::check_features(type_name(), n_features_in(), X.cols());
    Matrix<T> out = X;
    if (options_.with_std) out.array().rowwise() *= scale_.view().transpose().array();
    if (options_.with_mean) out.rowwise() += mean_.view().transpose();
    return out;
  }

  Matrix<T> fit_transform(const Eigen::Ref<const Matrix<T>>& X) { return fit(X).transform(X); }

  const Options& options() const { return options_; }
  /// Hyper-parameters can be changed between fits (scikit-learn's set_params).
  Options& options() { return options_; }
  typename Parameter<Vector<T>>::View mean() const { return mean_.view(); }
  typename Parameter<Vector<T>>::View var() const { return var_.view(); }
  typename Parameter<Vector<T>>::View scale() const { return scale_.view(); }
  std::int64_t n_samples_seen() const { return n_samples_seen_; }
  Eigen::Index n_features_in() const { return mean_.size(); }
  Eigen::Index n_features_out() const { return mean_.size(); }

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    check_schema_version<StandardScaler>(version);
    field(ar, "with_mean", options_.with_mean);
    field(ar, "with_std", options_.with_std);
    field(ar, "mean_", mean_, Values::finite);
    field(ar, "var_", var_);
    field(ar, "scale_", scale_, Values::finite);
    field(ar, "n_samples_seen_", n_samples_seen_);
    this->serialize_feature_names(ar, version);
    if constexpr (detail::is_loading_v<Archive>) {
      require(var_.size() == mean_.size() && scale_.size() == mean_.size(),
              "mean_, var_ and scale_ have different lengths");
      require((scale_.view().array() > T(0)).all(), "scale_ must be positive");
      require(n_samples_seen_ >= 0, "n_samples_seen_ is negative");
    }
  }

 private:
  Options options_;
  Parameter<Vector<T>> mean_;
  Parameter<Vector<T>> var_;
  Parameter<Vector<T>> scale_;
  std::int64_t n_samples_seen_ = 0;
};

}  // namespace mlpersist

MLPERSIST_TEMPLATE_SCHEMA_VERSION(mlpersist::StandardScaler)
