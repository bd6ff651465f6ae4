#pragma once
// One trained instance of every model type, on the bundled datasets: the shared fixture of the
// round-trip tests, the golden-file tests and the golden-file generator.
#include "dataset.hpp"

#include <mlpersist/mlpersist.hpp>

#include <string>

#ifndef MLPERSIST_DATA_DIR
#error "MLPERSIST_DATA_DIR must name examples/data"
#endif

namespace zoo {

using namespace mlpersist;

template <class T>
const mlpersist_examples::Dataset<T>& dataset(const std::string& name) {
  static const auto iris = mlpersist_examples::read_csv<T>(MLPERSIST_DATA_DIR "/iris.csv");
  static const auto diabetes = mlpersist_examples::read_csv<T>(MLPERSIST_DATA_DIR "/diabetes.csv");
  return name == "iris" ? iris : diabetes;
}

template <class Model, class = void>
struct is_classifier : std::false_type {};
template <class Model>
struct is_classifier<Model, std::enable_if_t<std::is_same_v<
                                decltype(std::declval<const Model&>().predict(
                                    std::declval<const Matrix<typename Model::Scalar>&>())),
                                Labels>>> : std::true_type {};

/// What a model computes for X, as doubles: the library's own definition, also used by self-checks.
template <class Model>
Matrix<double> outputs(const Model& model, const Matrix<typename Model::Scalar>& X) {
  return mlpersist::detail::model_outputs(model, X);
}

template <class T>
struct type_tag {
  using type = T;
};

/// Calls f(type_tag<Model>{}) for every model type with scalar T (the types for_each_model fits).
template <class T, class F>
void for_each_type(F&& f) {
  f(type_tag<StandardScaler<T>>{});
  f(type_tag<LinearRegression<T>>{});
  f(type_tag<LogisticRegression<T>>{});
  f(type_tag<MLPClassifier<T>>{});
  f(type_tag<MLPRegressor<T>>{});
  f(type_tag<Pipeline<StandardScaler<T>, MLPClassifier<T>>>{});
}

/// A small, quick network: these fixtures test persistence, not learning.
inline MLPOptions small_mlp() {
  MLPOptions options;
  options.hidden_layer_sizes = {8, 4};
  options.activation = Activation::tanh;
  options.max_iter = 30;
  options.random_state = 42;
  return options;
}

/// Calls f(name, model, X) for one fitted model of every type with scalar T; X holds a few input rows.
template <class T, class F>
void for_each_model(F&& f) {
  const auto& iris = dataset<T>("iris");
  const auto& diabetes = dataset<T>("diabetes");
  const Matrix<T> iris_rows = iris.X.topRows(12);
  const Matrix<T> diabetes_rows = diabetes.X.topRows(12);
  const std::string suffix = std::string("_") + scalar_name<T>();

  // Every model names its features (schema version 2 and later store them).
  StandardScaler<T> scaler;
  scaler.set_feature_names(diabetes.feature_names).fit(diabetes.X);
  f("StandardScaler" + suffix, scaler, diabetes_rows);

  LinearRegression<T> linear({true, 0.5});
  linear.set_feature_names(diabetes.feature_names).fit(diabetes.X, diabetes.target);
  f("LinearRegression" + suffix, linear, diabetes_rows);

  LogisticRegression<T> logistic({/*C=*/10.0, true, 200, 1e-4});
  logistic.set_feature_names(iris.feature_names).fit(iris.X, iris.labels());
  f("LogisticRegression" + suffix, logistic, iris_rows);

  MLPClassifier<T> classifier(small_mlp());
  classifier.set_feature_names(iris.feature_names).fit(iris.X, iris.labels());
  f("MLPClassifier" + suffix, classifier, iris_rows);

  MLPRegressor<T> regressor(small_mlp());
  regressor.set_feature_names(diabetes.feature_names).fit(diabetes.X / T(100), diabetes.target / T(100));
  f("MLPRegressor" + suffix, regressor, diabetes_rows / T(100));

  Pipeline pipeline(StandardScaler<T>{}, MLPClassifier<T>(small_mlp()));
  pipeline.set_feature_names(iris.feature_names).fit(iris.X, iris.labels());
  f("Pipeline_StandardScaler_MLPClassifier" + suffix, pipeline, iris_rows);
}

}  // namespace zoo
