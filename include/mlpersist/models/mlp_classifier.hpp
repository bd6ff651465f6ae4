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
  using typename Base::ProgressCallback;
  static constexpr std::uint32_t schema_version = 3;
  static std::string type_name() { return std::string("MLPClassifier<") + scalar_name<T>() + ">"; }

  MLPClassifier() = default;
  explicit MLPClassifier(const Options& options) : Base(options) {}

  /// Trains for up to max_iter epochs: from scratch, or on from the current state with warm_start.
  /// `callback`, if given, is called after every epoch and can stop training.
  MLPClassifier& fit(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Labels>& y,
                     const ProgressCallback& callback = {}) {
    detail::check_training_data(type_name(), X.rows(), X.cols(), y.size());
    if (!this->options_.warm_start || this->coefs_.empty()) classes_ = detail::unique_classes(type_name(), y);
    this->train(X, targets(y), false, callback);
    return *this;
  }

  /// One epoch over (X, y), continuing from the current state. The first call must name all the
  /// classes, as in scikit-learn; later calls may repeat them.
  MLPClassifier& partial_fit(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Labels>& y,
                             const std::optional<Labels>& classes = std::nullopt,
                             const ProgressCallback& callback = {}) {
    detail::check_training_data(type_name(), X.rows(), X.cols(), y.size());
    if (this->coefs_.empty()) {
      if (!classes) throw std::invalid_argument(type_name() + ": the first partial_fit must be given the classes");
      classes_ = detail::unique_classes(type_name(), *classes);
    } else if (classes && !detail::same_labels(detail::unique_classes(type_name(), *classes), classes_)) {
      throw std::invalid_argument(type_name() + ": classes differ from those of the first partial_fit");
    }
    this->train(X, targets(y), true, callback);
    return *this;
  }

  /// Uses weights trained elsewhere, such as scikit-learn's coefs_, intercepts_ and classes_
  /// (one output unit for two classes, else one per class). The options' activation applies.
  MLPClassifier& set_parameters(std::vector<Matrix<T>> coefs, std::vector<Vector<T>> intercepts, Labels classes) {
    if (classes.size() < 2 || std::adjacent_find(classes.begin(), classes.end(), std::greater_equal<>()) != classes.end())
      throw std::invalid_argument(type_name() + ": set_parameters needs at least 2 classes in increasing order");
    this->assign_parameters(std::move(coefs), std::move(intercepts), classes.size() == 2 ? 1 : classes.size());
    classes_ = std::move(classes);
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
    this->serialize_training_state(ar, version);
    if constexpr (detail::is_loading_v<Archive>) {
      detail::require_sorted_classes(classes_);
      require(this->coefs_.empty() == (classes_.size() == 0), "classes_ and weights disagree on being fitted");
      require(classes_.size() != 1, "a classifier needs at least 2 classes");
      this->require_valid_network(output_units());
    }
  }

 private:
  Eigen::Index output_units() const { return classes_.size() == 2 ? 1 : classes_.size(); }

  /// One-hot targets (a single 0/1 column for two classes); every label must be one of classes_.
  Matrix<T> targets(const Eigen::Ref<const Labels>& y) const {
    const auto index = detail::class_indices(classes_, y);
    Matrix<T> out = Matrix<T>::Zero(y.size(), output_units());
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      const auto c = index[static_cast<std::size_t>(i)];
      if (classes_.size() == 2)
        out(i, 0) = static_cast<T>(c);
      else
        out(i, c) = T(1);
    }
    return out;
  }
  detail::Output output_kind() const {
    return classes_.size() == 2 ? detail::Output::logistic_log_loss : detail::Output::softmax_log_loss;
  }

  Labels classes_;
};

}  // namespace mlpersist

MLPERSIST_TEMPLATE_SCHEMA_VERSION(mlpersist::MLPClassifier)
