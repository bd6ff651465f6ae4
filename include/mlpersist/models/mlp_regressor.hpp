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
  using typename Base::ProgressCallback;
  static constexpr std::uint32_t schema_version = 3;
  static std::string type_name() { return std::string("MLPRegressor<") + scalar_name<T>() + ">"; }

  MLPRegressor() = default;
  explicit MLPRegressor(const Options& options) : Base(options) {}

  /// Trains for up to max_iter epochs: from scratch, or on from the current state with warm_start.
  /// `callback`, if given, is called after every epoch and can stop training.
  MLPRegressor& fit(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Vector<T>>& y,
                    const ProgressCallback& callback = {}) {
    return train_on(X, y, false, callback);
  }

  /// One epoch over (X, y), continuing from the current state.
  MLPRegressor& partial_fit(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Vector<T>>& y,
                            const ProgressCallback& callback = {}) {
    return train_on(X, y, true, callback);
  }

  /// Uses weights trained elsewhere, such as scikit-learn's coefs_ and intercepts_.
  MLPRegressor& set_parameters(std::vector<Matrix<T>> coefs, std::vector<Vector<T>> intercepts) {
    this->assign_parameters(std::move(coefs), std::move(intercepts), 1);
    return *this;
  }

  Vector<T> predict(const Eigen::Ref<const Matrix<T>>& X) const { return this->forward(X).col(0); }

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    check_schema_version<MLPRegressor>(version);
    this->serialize_network(ar);
    this->serialize_feature_names(ar, version);
    this->serialize_training_state(ar, version);
    if constexpr (detail::is_loading_v<Archive>) this->require_valid_network(1);
  }

 private:
  MLPRegressor& train_on(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Vector<T>>& y, bool incremental,
                         const ProgressCallback& callback) {
    detail::check_training_data(type_name(), X.rows(), X.cols(), y.size());
    detail::check_finite(type_name(), y);
    this->train(X, Matrix<T>(y), incremental, callback);
    return *this;
  }

  static detail::Output output_kind() { return detail::Output::identity_squared_error; }
};

}  // namespace mlpersist

MLPERSIST_TEMPLATE_SCHEMA_VERSION(mlpersist::MLPRegressor)
