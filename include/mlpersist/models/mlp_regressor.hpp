#pragma once
#include "mlpersist/models/detail/mlp_base.hpp"

namespace mlpersist {

/// Multi-layer perceptron regressor, as scikit-learn's MLPRegressor: an identity output unit trained
/// on the squared error.
template <class T = double>
class MLPRegressor : public detail::MLPBase<T, MLPRegressor<T>> {
  using Base = detail::MLPBase<T, MLPRegressor<T>>;
  friend Base;

 public:
  using typename Base::Options;
  static constexpr std::uint32_t schema_version = 2;
  static std::string type_name() { return std::string("MLPRegressor<") + scalar_name<T>() + ">"; }

  MLPRegressor() = default;
  explicit MLPRegressor(const Options& options) : Base(options) {}

  MLPRegressor& fit(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Vector<T>>& y) {
    detail::check_training_data(type_name(), X.rows(), X.cols(), y.size());
    detail::check_finite(type_name(), y);
    this->train(X, Matrix<T>(y));
    return *this;
  }

  Vector<T> predict(const Eigen::Ref<const Matrix<T>>& X) const { return this->forward(X).col(0); }

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    check_schema_version<MLPRegressor>(version);
    this->serialize_network(ar);
    this->serialize_feature_names(ar, version);
    if constexpr (detail::is_loading_v<Archive>) this->require_valid_network(1);
  }

 private:
  static detail::Output output_kind() { return detail::Output::identity_squared_error; }
};

}  // namespace mlpersist

MLPERSIST_TEMPLATE_SCHEMA_VERSION(mlpersist::MLPRegressor)
