#pragma once
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"
#include "mlpersist/core/validation.hpp"
#include "mlpersist/models/detail/feature_names.hpp"
#include "mlpersist/models/detail/activations.hpp"
#include "mlpersist/models/detail/labels.hpp"
#include "mlpersist/models/detail/lbfgs.hpp"
#include "mlpersist/models/detail/row_blocks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace mlpersist {

/// L2-regularised logistic regression, as scikit-learn's LogisticRegression with the lbfgs solver:
/// binary (one weight vector) for two classes, multinomial (softmax) for more. It minimises
/// sum(log-loss) + ||coef||^2 / (2 C), with the intercept not penalised: the objective (and so the
/// gradient that `tol` bounds) scikit-learn's lbfgs solver uses.
template <class T = double>
class LogisticRegression : public detail::WithFeatureNames<LogisticRegression<T>> {
 public:
  using Scalar = T;
  struct Options {
    double C = 1.0;  ///< inverse regularisation strength
    bool fit_intercept = true;
    int max_iter = 100;
    double tol = 1e-4;  ///< stop when the largest gradient component is below tol
    /// fit starts from the current coefficients (if the classes and features match) instead of zero.
    bool warm_start = false;

    template <class Fail>
    void validate(const std::string& model, Fail&& fail) const {
      if (!(C > 0.0 && std::isfinite(C))) fail(model + ": C must be positive and finite");
      if (max_iter < 0) fail(model + ": max_iter must be >= 0");
      if (!(tol >= 0.0 && std::isfinite(tol))) fail(model + ": tol must be finite and >= 0");
    }
  };
  static constexpr std::uint32_t schema_version = 3;
  static std::string type_name() { return std::string("LogisticRegression<") + scalar_name<T>() + ">"; }

  LogisticRegression() = default;
  explicit LogisticRegression(const Options& options) : options_(options) {}

  LogisticRegression& fit(const Eigen::Ref<const Matrix<T>>& X, const Eigen::Ref<const Labels>& y) {
    detail::check_training_data(type_name(), X.rows(), X.cols(), y.size());
    detail::check_finite(type_name(), X);
    this->check_feature_names_for(X.cols());
    detail::check_options(options_, type_name());
    const Labels classes = detail::unique_classes(type_name(), y);
    const bool warm = options_.warm_start && detail::same_labels(classes, classes_) && coef_.cols() == X.cols();
    classes_ = classes;
    const auto index = detail::class_indices(classes_, y);
    const Eigen::Index n = X.rows();
    const Eigen::Index p = X.cols();
    const Eigen::Index k = classes_.size() == 2 ? 1 : classes_.size();
    const Eigen::Index bias = options_.fit_intercept ? 1 : 0;
    // Targets: +-1 for the binary loss, one-hot for the multinomial one.
    Matrix<T> targets = Matrix<T>::Zero(n, k);
    for (Eigen::Index i = 0; i < n; ++i) {
      const auto c = index[static_cast<std::size_t>(i)];
      if (k == 1)
        targets(i, 0) = c == 1 ? T(1) : T(-1);
      else
        targets(i, c) = T(1);
    }
    const T inverse_c = static_cast<T>(1.0 / options_.C);
    // The rows go through a block at a time, each block's scores and its part of the gradient one
    // after the other while the block is in cache: a large X is then read from memory once per
    // evaluation instead of twice (a 100,000 x 100 fit: 163 ms against 213).
    const Eigen::Index block_rows = std::max<Eigen::Index>(1, block_bytes / (p * Eigen::Index{sizeof(T)}));
    Matrix<T> scores(std::min(n, block_rows), k);
    Matrix<T> d_scores(scores.rows(), k);
    auto objective = [&](const Vector<T>& theta, Vector<T>& gradient) -> T {
      const Eigen::Map<const Matrix<T>> W(theta.data(), p, k);
      Eigen::Map<Matrix<T>> grad_w(gradient.data(), p, k);
      grad_w = inverse_c * W;
      if (bias) gradient.tail(k).setZero();
      T loss = T(0);
      detail::for_each_row_block(n, block_rows, [&](Eigen::Index first, Eigen::Index rows) {
        const auto X_block = X.middleRows(first, rows);
        const auto target = targets.middleRows(first, rows);
        auto score = scores.topRows(rows);
        auto d_score = d_scores.topRows(rows);  // d loss / d score
        score.noalias() = X_block * W;
        if (bias) score.rowwise() += theta.tail(k).transpose();
        if (k == 1) {
          // log(1 + exp(-t)) computed without overflow
          for (Eigen::Index i = 0; i < rows; ++i) {
            const T t = target(i, 0) * score(i, 0);
            loss += (t > T(0) ? std::log1p(std::exp(-t)) : -t + std::log1p(std::exp(t)));
            d_score(i, 0) = -target(i, 0) / (T(1) + std::exp(t));
          }
        } else {
          const Vector<T> row_max = score.rowwise().maxCoeff();
          d_score = (score.colwise() - row_max).array().exp().matrix();
          const Vector<T> sums = d_score.rowwise().sum();
          loss += (sums.array().log() + row_max.array()).sum() - (score.array() * target.array()).sum();
          d_score.array().colwise() /= sums.array();
          d_score -= target;
        }
        grad_w.noalias() += X_block.transpose() * d_score;
        if (bias) gradient.tail(k) += d_score.colwise().sum().transpose();
      });
      return loss + T(0.5) * inverse_c * W.squaredNorm();
    };
    Vector<T> theta = Vector<T>::Zero(p * k + bias * k);
    if (warm) {
      Eigen::Map<Matrix<T>>(theta.data(), p, k) = coef_.view().transpose();
      if (bias) theta.tail(k) = intercept_.view();
    }
    const auto result = detail::minimize_lbfgs<T>(objective, theta, options_.max_iter, static_cast<T>(options_.tol));
    n_iter_ = result.iterations;
    coef_ = Eigen::Map<const Matrix<T>>(theta.data(), p, k).transpose();
    intercept_ = bias ? Vector<T>(theta.tail(k)) : Vector<T>::Zero(k);
    return *this;
  }

  /// Scores: one column for two classes (positive = classes()[1]), else one column per class.
  Matrix<T> decision_function(const Eigen::Ref<const Matrix<T>>& X) const {
    detail::check_features(type_name(), n_features_in(), X.cols());
    Matrix<T> scores = X * coef_.view().transpose();
    scores.rowwise() += intercept_.view().transpose();
    return scores;
  }

  Matrix<T> predict_proba(const Eigen::Ref<const Matrix<T>>& X) const {
    Matrix<T> scores = decision_function(X);
    if (scores.cols() > 1) {
      detail::softmax_inplace(scores);
      return scores;
    }
    detail::activate_inplace(Activation::logistic, scores);
    return detail::binary_proba(scores);
  }

  Labels predict(const Eigen::Ref<const Matrix<T>>& X) const {
    const Matrix<T> scores = decision_function(X);
    if (scores.cols() > 1) return detail::argmax_labels(classes_, scores);
    return detail::binary_labels(classes_, scores, T(0));
  }

  const Options& options() const { return options_; }
  /// Hyper-parameters can be changed between fits (scikit-learn's set_params).
  Options& options() { return options_; }
  const Labels& classes() const { return classes_; }
  typename Parameter<Matrix<T>>::View coef() const { return coef_.view(); }
  typename Parameter<Vector<T>>::View intercept() const { return intercept_.view(); }
  int n_iter() const { return n_iter_; }
  Eigen::Index n_features_in() const { return coef_.cols(); }

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    check_schema_version<LogisticRegression>(version);
    field(ar, "C", options_.C);
    field(ar, "fit_intercept", options_.fit_intercept);
    field(ar, "max_iter", options_.max_iter);
    field(ar, "tol", options_.tol);
    field(ar, "classes_", classes_);
    field(ar, "coef_", coef_, Values::finite);
    field(ar, "intercept_", intercept_, Values::finite);
    field(ar, "n_iter_", n_iter_);
    this->serialize_feature_names(ar, version);
    if (version >= 3)
      field(ar, "warm_start", options_.warm_start);
    else
      options_.warm_start = false;
    if constexpr (detail::is_loading_v<Archive>) {
      require_valid_options(options_, type_name());
      detail::require_sorted_classes(classes_);
      const Eigen::Index rows = classes_.size() == 2 ? 1 : classes_.size();
      require(classes_.size() == 0 ? coef_.size() == 0 && intercept_.size() == 0
                                   : classes_.size() >= 2 && coef_.rows() == rows && intercept_.size() == rows &&
                                         coef_.cols() > 0,
              "coef_ is " + std::to_string(coef_.rows()) + "x" + std::to_string(coef_.cols()) + " and intercept_ has " +
                  std::to_string(intercept_.size()) + " values for " + std::to_string(classes_.size()) + " classes");
    }
  }

 private:
  /// Bytes of X that fit's objective takes at a time: well inside a core's L2 cache.
  static constexpr Eigen::Index block_bytes = Eigen::Index{1} << 18;

  Options options_;
  Labels classes_;
  Parameter<Matrix<T>> coef_;
  Parameter<Vector<T>> intercept_;
  int n_iter_ = 0;
};

}  // namespace mlpersist

MLPERSIST_TEMPLATE_SCHEMA_VERSION(mlpersist::LogisticRegression)
