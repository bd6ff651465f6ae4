#pragma once
#include "mlpersist/models/detail/labels.hpp"
#include "mlpersist/models/detail/mlp_base.hpp"

namespace mlpersist {

/// Multi-layer perceptron classifier, as scikit-learn's MLPClassifier: a logistic output unit for
/// two classes, softmax over one unit per class otherwise, trained on the log-loss.
template <class T = double>
class MLPClassifier : public detail::MLPBase<T, MLPClassifier<T>> {
  using Base = detail::MLPBase<T, MLPClassifier<T>>;
  friend Base;

 public:
  using typename Base::Options;
  static constexpr std::uint32_t schema_version = 2;
  static std::string type_name() { return std::string("MLPClassifier<") + scalar_name<T>() + ">"; }

  MLPClassifier() = default;
  explicit MLPClassifier(const Options& options) : Base(options) {}

  MLPClassifier& fit(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Labels>& y) {
    detail::check_training_data(type_name(), X.rows(), X.cols(), y.size());
    classes_ = detail::unique_classes(type_name(), y);
    const auto index = detail::class_indices(classes_, y);
    Matrix<T> targets = Matrix<T>::Zero(X.rows(), output_units());
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      const auto c = index[static_cast<std::size_t>(i)];
      if (classes_.size() == 2)
        targets(i, 0) = static_cast<T>(c);
      else
        targets(i, c) = T(1);
    }
    this->train(X, targets);
    return *this;
  }

  /// Probability of each class (columns in classes() order).
  Matrix<T> predict_proba(const Eigen::Ref<const Matrix<T>>& X) const {
    Matrix<T> out = this->forward(X);
    if (classes_.size() == 2) return detail::binary_proba(out);
    return out;
  }

  Labels predict(const Eigen::Ref<const Matrix<T>>& X) const {
    const Matrix<T> out = this->forward(X);
    if (classes_.size() != 2) return detail::argmax_labels(classes_, out);
    return detail::binary_labels(classes_, out, T(0.5));
  }

  const Labels& classes() const { return classes_; }

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    check_schema_version<MLPClassifier>(version);
    this->serialize_network(ar);
    field(ar, "classes_", classes_);
    this->serialize_feature_names(ar, version);
    if constexpr (detail::is_loading_v<Archive>) {
      detail::require_sorted_classes(classes_);
      require(this->coefs_.empty() == (classes_.size() == 0), "classes_ and weights disagree on being fitted");
      require(classes_.size() != 1, "a classifier needs at least 2 classes");
      this->require_valid_network(output_units());
    }
  }

 private:
  Eigen::Index output_units() const { return classes_.size() == 2 ? 1 : classes_.size(); }
  detail::Output output_kind() const {
    return classes_.size() == 2 ? detail::Output::logistic_log_loss : detail::Output::softmax_log_loss;
  }

  Labels classes_;
};

}  // namespace mlpersist

MLPERSIST_TEMPLATE_SCHEMA_VERSION(mlpersist::MLPClassifier)
