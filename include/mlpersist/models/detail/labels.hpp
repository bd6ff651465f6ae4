#pragma once
// Class labels for the classifiers: arbitrary integers, kept sorted as scikit-learn's classes_.
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlpersist::detail {

/// The sorted distinct labels of y; throws unless there are at least two.
inline Labels unique_classes(const std::string& model, const Eigen::Ref<const Labels>& y) {
  std::vector<int> values(y.data(), y.data() + y.size());
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (values.size() < 2)
    throw std::invalid_argument(model + " needs samples of at least 2 classes, found " + std::to_string(values.size()));
  return Eigen::Map<const Labels>(values.data(), static_cast<Eigen::Index>(values.size()));
}

/// Same labels in the same order (Eigen's == needs equal sizes).
inline bool same_labels(const Labels& a, const Labels& b) { return a.size() == b.size() && a == b; }

/// The position of each label of y in classes (which must contain every label).
inline std::vector<Eigen::Index> class_indices(const Labels& classes, const Eigen::Ref<const Labels>& y) {
  std::vector<Eigen::Index> out(static_cast<std::size_t>(y.size()));
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    const int* found = std::lower_bound(classes.data(), classes.data() + classes.size(), y(i));
    if (found == classes.data() + classes.size() || *found != y(i))
      throw std::invalid_argument("label " + std::to_string(y(i)) + " is not one of the model's classes");
    out[static_cast<std::size_t>(i)] = found - classes.data();
  }
  return out;
}

/// The label of the most probable class in each row.
template <class T>
Labels argmax_labels(const Labels& classes, const Matrix<T>& scores) {
  Labels out(scores.rows());
  for (Eigen::Index i = 0; i < scores.rows(); ++i) {
    Eigen::Index best = 0;
    scores.row(i).maxCoeff(&best);
    out(i) = classes(best);
  }
  return out;
}

/// Two-class outputs: the probabilities [1 - p, p] from the positive class's p.
template <class T>
Matrix<T> binary_proba(const Matrix<T>& positive) {
  Matrix<T> proba(positive.rows(), 2);
  proba.col(0) = (T(1) - positive.col(0).array()).matrix();
  proba.col(1) = positive.col(0);
  return proba;
}

/// Two-class labels: classes(1) where the single output column exceeds the threshold.
template <class T>
Labels binary_labels(const Labels& classes, const Matrix<T>& output, T threshold) {
  return (output.col(0).array() > threshold).select(classes(1), Labels::Constant(output.rows(), classes(0)));
}

/// Load-time invariant: classes are strictly increasing.
inline void require_sorted_classes(const Labels& classes) {
  for (Eigen::Index i = 1; i < classes.size(); ++i)
    require(classes(i - 1) < classes(i), "classes_ must be strictly increasing");
}

}  // namespace mlpersist::detail
