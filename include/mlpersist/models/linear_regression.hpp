#pragma once
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"
#include "mlpersist/core/validation.hpp"
#include "mlpersist/models/detail/feature_names.hpp"

#include <Eigen/QR>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mlpersist {

/// Ordinary least squares, or ridge regression when alpha > 0 (scikit-learn's LinearRegression and
/// Ridge), solved by a rank-revealing orthogonal decomposition: numerically stable, and the
/// minimum-norm solution when X is rank-deficient.
template <class T = double>
class LinearRegression : public detail::WithFeatureNames<LinearRegression<T>> {
 public:
  using Scalar = T;
  struct Options {
    bool fit_intercept = true;
    double alpha = 0.0;  ///< L2 penalty; 0 is plain least squares

    template <class Fail>
    void validate(const std::string& model, Fail&& fail) const {
      if (!(alpha >= 0.0 && std::isfinite(alpha))) fail(model + ": alpha must be finite and >= 0");
    }
  };
  static constexpr std::uint32_t schema_version = 2;
  static std::string type_name() { return std::string("LinearRegression<") + scalar_name<T>() + ">"; }

  LinearRegression() = default;
  explicit LinearRegression(const Options& options) : options_(options) {}

  LinearRegression& fit(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Vector<T>>& y) {
    detail::check_training_data(type_name(), X.rows(), X.cols(), y.size());
    detail::check_finite(type_name(), X);
    detail::check_finite(type_name(), y);
    this->check_feature_names_for(X.cols());
    detail::check_options(options_, type_name());

    Vector<T> x_mean = Vector<T>::Zero(X.cols());
    T y_mean = T(0);
    if (options_.fit_intercept) {
      x_mean = X.colwise().mean().transpose();
      y_mean = y.mean();
    }
    // Ridge is least squares on X stacked over sqrt(alpha) * I (and y over zeros), which avoids
    // forming X'X and squaring the condition number. A complete orthogonal decomposition reveals the
    // rank and gives the minimum-norm solution when X is rank-deficient.
    const Eigen::Index p = X.cols();
    Matrix<T> A(X.rows() + (options_.alpha > 0.0 ? p : 0), p);
    Vector<T> b = Vector<T>::Zero(A.rows());
    A.topRows(X.rows()) = X.rowwise() - x_mean.transpose();
    b.head(X.rows()) = y.array() - y_mean;
    if (options_.alpha > 0.0)
      A.bottomRows(p) = Matrix<T>::Identity(p, p) * static_cast<T>(std::sqrt(options_.alpha));
    coef_ = Eigen::CompleteOrthogonalDecomposition<Matrix<T>>(A).solve(b);
    intercept_ = options_.fit_intercept ? y_mean - x_mean.dot(coef_.view()) : T(0);
    return *this;
  }

  /// Uses coefficients found elsewhere, such as scikit-learn's coef_ and intercept_.
  LinearRegression& set_parameters(Vector<T> coef, T intercept) {
    if (!coef.allFinite() || !std::isfinite(intercept))
      throw std::invalid_argument(type_name() + ": set_parameters needs finite coef and intercept");
    coef_ = std::move(coef);
    intercept_ = intercept;
    return *this;
  }

  Vector<T> predict(const Eigen::Ref<const Matrix<T>>& X) const {
    detail::check_features(type_name(), n_features_in(), X.cols());
    return (X * coef_.view()).array() + intercept_;
  }

  const Options& options() const { return options_; }
  /// Hyper-parameters can be changed between fits (scikit-learn's set_params).
  Options& options() { return options_; }
  typename Parameter<Vector<T>>::View coef() const { return coef_.view(); }
  T intercept() const { return intercept_; }
  Eigen::Index n_features_in() const { return coef_.size(); }

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    check_schema_version<LinearRegression>(version);
    field(ar, "fit_intercept", options_.fit_intercept);
    field(ar, "alpha", options_.alpha);
    field(ar, "coef_", coef_, Values::finite);
    field(ar, "intercept_", intercept_, Values::finite);
    this->serialize_feature_names(ar, version);
    if constexpr (detail::is_loading_v<Archive>) {
      require_valid_options(options_, type_name());
    }
  }

 private:
  Options options_;
  Parameter<Vector<T>> coef_;
  T intercept_ = T(0);
};

}  // namespace mlpersist

MLPERSIST_TEMPLATE_SCHEMA_VERSION(mlpersist::LinearRegression)
