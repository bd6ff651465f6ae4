#pragma once
// Self-verifying files: save stores a few input rows with the outputs the model gave for them; a
// verifying load replays them. A file damaged in a way that still parses, or a platform whose math
// differs, then fails loudly instead of predicting something else.
#include "mlpersist/core/errors.hpp"
#include "mlpersist/core/types.hpp"
#include "mlpersist/io/file_info.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace mlpersist::detail {

template <class Model, class = void>
struct has_scalar : std::false_type {};
template <class Model>
struct has_scalar<Model, std::void_t<typename Model::Scalar>> : std::true_type {};

#define MLPERSIST_DETAIL_HAS_METHOD(trait, method)                                                             \
  template <class Model, class = void>                                                                         \
  struct trait : std::false_type {};                                                                           \
  template <class Model>                                                                                       \
  struct trait<Model, std::void_t<decltype(std::declval<const Model&>().method(                                \
                          std::declval<const Matrix<typename Model::Scalar>&>()))>> : std::true_type {};
MLPERSIST_DETAIL_HAS_METHOD(has_predict, predict)
MLPERSIST_DETAIL_HAS_METHOD(has_transform, transform)
#undef MLPERSIST_DETAIL_HAS_METHOD

/// True for model types whose outputs a self-check can record.
template <class Model>
constexpr bool has_outputs() {
  if constexpr (has_scalar<Model>::value)
    return has_predict<Model>::value || has_transform<Model>::value;
  else
    return false;
}

/// What a model computes for X, as doubles (exact for float models): class probabilities for
/// classifiers, predictions for regressors, the transformed rows for transformers.
template <class Model>
Matrix<double> model_outputs(const Model& model, const Matrix<typename Model::Scalar>& X) {
  if constexpr (has_predict<Model>::value) {
    // Classifiers predict Labels and all have predict_proba. (Pipeline's predict_proba cannot be
    // detected without instantiating it, so it is not asked for other models.)
    if constexpr (std::is_same_v<decltype(model.predict(X)), Labels>)
      return model.predict_proba(X).template cast<double>();
    else
      return model.predict(X).template cast<double>();
  } else {
    return model.transform(X).template cast<double>();
  }
}

/// Fills info's self-check from the rows given to save (stored as the model's scalar reads them).
template <class Model>
void record_self_check(const Model& model, const Matrix<double>& rows, FileInfo& info) {
  if (rows.size() == 0) return;
  if constexpr (has_outputs<Model>()) {
    const Matrix<typename Model::Scalar> X = rows.cast<typename Model::Scalar>();
    info.self_check_outputs = model_outputs(model, X);
    info.self_check_inputs = X.template cast<double>();
  } else {
    throw std::invalid_argument(Model::type_name() + " has no predict or transform, so it cannot store a self-check");
  }
}

/// Replays the self-check stored in a file against the model loaded from it.
template <class Model>
void verify_self_check(const Model& model, const FileInfo& info, double tolerance, const std::string& source) {
  if (info.self_check_inputs.rows() == 0)
    throw VerificationError(source + ": the file stores no self-check rows to verify (save it with "
                                     "SaveOptions::self_check)");
  if constexpr (has_outputs<Model>()) {
    Matrix<double> found;
    try {
      found = model_outputs(model, info.self_check_inputs.cast<typename Model::Scalar>());
    } catch (const std::invalid_argument& e) {
      throw VerificationError(source + ": the self-check rows do not fit the loaded model: " + e.what());
    }
    const Matrix<double>& expected = info.self_check_outputs;
    if (found.rows() != expected.rows() || found.cols() != expected.cols())
      throw VerificationError(source + ": the model gives " + std::to_string(found.rows()) + "x" +
                              std::to_string(found.cols()) + " outputs for the self-check rows, the file expects " +
                              std::to_string(expected.rows()) + "x" + std::to_string(expected.cols()));
    for (Eigen::Index i = 0; i < found.rows(); ++i) {
      for (Eigen::Index j = 0; j < found.cols(); ++j) {
        const double want = expected(i, j);
        const double got = found(i, j);
        // Written so that NaN on either side fails.
        if (!(std::abs(got - want) <= tolerance * std::max(1.0, std::abs(want))))
          throw VerificationError(source + ": self-check row " + std::to_string(i) + ", output " + std::to_string(j) +
                                  ": the loaded model gives " + to_text(got) + ", the file expects " + to_text(want) +
                                  " (tolerance " + to_text(tolerance) + ")");
      }
    }
  }
}

}  // namespace mlpersist::detail
