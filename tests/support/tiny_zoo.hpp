#pragma once
// The smallest fitted model of every type, for tests that try every damaged variant of a file:
// their cost grows with the file's size.
#include "zoo.hpp"

namespace tiny_zoo {

using namespace mlpersist;

inline MLPOptions tiny_mlp() {
  MLPOptions options;
  options.hidden_layer_sizes = {3};
  options.max_iter = 3;
  options.random_state = 7;
  return options;
}

/// Calls f(name, model, X) for one small fitted double model of every type; X holds 3 input rows.
template <class F>
void for_each_model(F&& f) {
  const auto& iris = zoo::dataset<double>("iris");
  const Matrix<double> X = iris.X.topRows(60).leftCols(2);  // two features, two classes
  const Labels y = iris.labels().head(60);
  const Vector<double> target = iris.X.col(2).head(60);
  const Matrix<double> rows = X.topRows(3);

  StandardScaler<double> scaler;
  f("StandardScaler", scaler.fit(X), rows);
  LinearRegression<double> linear;
  f("LinearRegression", linear.fit(X, target), rows);
  LogisticRegression<double> logistic;
  f("LogisticRegression", logistic.fit(X, y), rows);
  MLPClassifier<double> classifier(tiny_mlp());
  f("MLPClassifier", classifier.fit(X, y), rows);
  MLPRegressor<double> regressor(tiny_mlp());
  f("MLPRegressor", regressor.fit(X, target), rows);
  Pipeline pipeline(StandardScaler<double>{}, LogisticRegression<double>{});
  f("Pipeline_StandardScaler_LogisticRegression", pipeline.fit(X, y), rows);
}

}  // namespace tiny_zoo
