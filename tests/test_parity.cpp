// Parity with scikit-learn: the same data fitted here and by scikit-learn (tests/reference/data,
// written by tests/reference/make_reference.py with the versions it records) gives the same model.
#include "reference.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>

using namespace mlpersist;

namespace {

/// sum(log-loss) + ||coef||^2 / (2C): what scikit-learn's lbfgs solver minimises.
double logistic_objective(const Matrix<double>& X, const Labels& y, const LogisticRegression<double>& model, double C) {
  const Matrix<double> scores = model.decision_function(X);
  double loss = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    if (scores.cols() == 1) {
      const double t = (y(i) == model.classes()(1) ? 1.0 : -1.0) * scores(i, 0);
      loss += t > 0 ? std::log1p(std::exp(-t)) : -t + std::log1p(std::exp(t));
    } else {
      const double top = scores.row(i).maxCoeff();
      const double lse = top + std::log((scores.row(i).array() - top).exp().sum());
      Eigen::Index k = 0;
      while (model.classes()(k) != y(i)) ++k;
      loss += lse - scores(i, k);
    }
  }
  return loss + model.coef().squaredNorm() / (2 * C);
}

double r2(const Vector<double>& predicted, const Vector<double>& truth) {
  return 1.0 - (truth - predicted).squaredNorm() / (truth.array() - truth.mean()).square().sum();
}

template <class M>
Matrix<double> rows(const M& X, const std::vector<Eigen::Index>& index) {
  return X(index, Eigen::all);
}

}  // namespace

TEST_CASE("the synthetic datasets match the reference script's", "[parity]") {
  const auto document = reference::read("synthetic_datasets.json");
  for (const auto& c : document["cases"].GetArray()) {
    const Matrix<double> head = reference::matrix(c["X_head"]);
    CHECK(reference::synthetic().X.topLeftCorner(head.rows(), head.cols()) == head);
  }
}

TEST_CASE("LinearRegression and ridge equal scikit-learn's within 1e-8", "[parity]") {
  const auto document = reference::read("linear_regression.json");
  for (const auto& c : document["cases"].GetArray()) {
    const std::string dataset = c["dataset"].GetString();
    INFO(dataset << " " << c["model"].GetString() << " alpha=" << c["alpha"].GetDouble()
                 << " fit_intercept=" << c["fit_intercept"].GetBool());
    const Matrix<double> X = reference::features(dataset);
    LinearRegression<double> model({c["fit_intercept"].GetBool(), c["alpha"].GetDouble()});
    model.fit(X, reference::target(dataset));
    const double coef_error = reference::relative_error(model.coef(), reference::vector(c["coef"]));
    std::cout << "parity LinearRegression " << dataset << " alpha=" << c["alpha"].GetDouble()
              << " fit_intercept=" << c["fit_intercept"].GetBool() << ": coef relative error " << coef_error << '\n';
    CHECK(coef_error < 1e-8);
    CHECK(std::abs(model.intercept() - c["intercept"].GetDouble()) <= 1e-8 * std::max(1.0, std::abs(c["intercept"].GetDouble())));
    const Vector<double> expected = reference::vector(c["predictions_head"]);
    CHECK(reference::relative_error(model.predict(X.topRows(expected.size())), expected) < 1e-8);
  }
}

TEST_CASE("LogisticRegression reaches scikit-learn's optimum", "[parity]") {
  const auto document = reference::read("logistic_regression.json");
  for (const auto& c : document["cases"].GetArray()) {
    const std::string dataset = c["dataset"].GetString();
    const double C = c["C"].GetDouble();
    INFO(dataset << " C=" << C << " fit_intercept=" << c["fit_intercept"].GetBool());
    const Matrix<double> X = reference::standardize(reference::features(dataset));
    const Labels y = reference::classes_of(dataset);
    LogisticRegression<double> model({C, c["fit_intercept"].GetBool(), 100000, 1e-10});
    model.fit(X, y);
    CHECK(model.classes() == reference::labels(c["classes"]));
    const double objective = logistic_objective(X, y, model, C);
    const double expected = c["objective"].GetDouble();
    const Matrix<double> proba = reference::matrix(c["proba_head"]);
    const double proba_error = (model.predict_proba(X.topRows(proba.rows())) - proba).cwiseAbs().maxCoeff();
    std::cout << "parity LogisticRegression " << dataset << " C=" << C << " fit_intercept=" << c["fit_intercept"].GetBool()
              << ": objective relative difference " << (objective - expected) / std::abs(expected)
              << ", max proba difference " << proba_error << ", iterations " << model.n_iter() << " (sklearn "
              << c["n_iter"].GetInt() << ")\n";
    CHECK(std::abs(objective - expected) <= 1e-6 * std::abs(expected));
    CHECK(proba_error < 1e-4);
    CHECK(model.predict(X) == reference::labels(c["predictions"]));
  }
}

TEST_CASE("MLP quality with default hyper-parameters is no worse than scikit-learn's", "[parity]") {
  const auto document = reference::read("mlp.json");
  for (const auto& c : document["cases"].GetArray()) {
    const std::string task = c["task"].GetString();
    if (task != "digits_classification" && task != "diabetes_regression") continue;
    INFO(task);
    const bool classification = task == "digits_classification";
    const auto train = reference::indices(c["train_indices"]);
    const auto test = reference::indices(c["test_indices"]);
    const Matrix<double> X = reference::features(classification ? "digits" : "diabetes");
    StandardScaler<double> scaler;
    scaler.fit(rows(X, train));
    const Matrix<double> X_train = scaler.transform(rows(X, train));
    const Matrix<double> X_test = scaler.transform(rows(X, test));
    double total = 0;
    const auto seeds = c["seeds"].GetArray();
    for (const auto& seed : seeds) {
      MLPOptions options;  // scikit-learn's defaults: one hidden layer of 100, relu, adam, 200 epochs
      options.random_state = seed.GetUint();
      if (classification) {
        const Labels y = reference::classes_of("digits");
        MLPClassifier<double> model(options);
        model.fit(X_train, y(train));
        total += (model.predict(X_test).array() == y(test).array()).cast<double>().mean();
      } else {
        const Vector<double> y =
            (reference::target("diabetes").array() - c["y_mean"].GetDouble()) / c["y_std"].GetDouble();
        MLPRegressor<double> model(options);
        model.fit(X_train, y(train));
        total += r2(model.predict(X_test), y(test));
      }
    }
    const double ours = total / seeds.Size();
    const double theirs = c[classification ? "mean_test_accuracy" : "mean_test_r2"].GetDouble();
    std::cout << "parity MLP " << task << ": mlpersist " << ours << ", scikit-learn " << theirs << " (mean over "
              << seeds.Size() << " seeds)\n";
    CHECK(ours >= theirs - 0.01);
  }
}

TEST_CASE("a forward pass of scikit-learn's own weights reproduces its outputs within 1e-12", "[parity]") {
  const auto document = reference::read("mlp.json");
  for (const auto& c : document["cases"].GetArray()) {
    const std::string task = c["task"].GetString();
    if (task.rfind("forward_", 0) != 0) continue;
    INFO(task);
    std::vector<Matrix<double>> coefs;
    std::vector<Vector<double>> intercepts;
    for (const auto& W : c["coefs"].GetArray()) coefs.push_back(reference::matrix(W));
    for (const auto& b : c["intercepts"].GetArray()) intercepts.push_back(reference::vector(b));
    const Matrix<double> inputs = reference::matrix(c["inputs"]);
    MLPOptions options;
    const std::string activation = c["activation"].GetString();
    for (std::size_t a = 0; a < activation_names.size(); ++a)
      if (activation == activation_names[a]) options.activation = static_cast<Activation>(a);
    if (c.HasMember("classes")) {
      MLPClassifier<double> model(options);
      model.set_parameters(coefs, intercepts, reference::labels(c["classes"]));
      CHECK((model.predict_proba(inputs) - reference::matrix(c["proba"])).cwiseAbs().maxCoeff() < 1e-12);
    } else {
      MLPRegressor<double> model(options);
      model.set_parameters(coefs, intercepts);
      CHECK((model.predict(inputs) - reference::vector(c["predictions"])).cwiseAbs().maxCoeff() < 1e-12);
    }
  }
}

TEST_CASE("StandardScaler equals scikit-learn's, constant columns included", "[parity]") {
  const auto document = reference::read("standard_scaler.json");
  for (const auto& c : document["cases"].GetArray()) {
    const std::string dataset = c["dataset"].GetString();
    INFO(dataset);
    const Matrix<double> X = reference::features(dataset);
    StandardScaler<double> scaler;
    scaler.fit(X);
    CHECK(reference::relative_error(scaler.mean(), reference::vector(c["mean"])) < 1e-13);
    CHECK(reference::relative_error(scaler.var(), reference::vector(c["var"])) < 1e-12);
    CHECK(reference::relative_error(scaler.scale(), reference::vector(c["scale"])) < 1e-12);
    const Matrix<double> head = reference::matrix(c["transformed_head"]);
    CHECK((scaler.transform(X.topRows(head.rows())) - head).cwiseAbs().maxCoeff() < 1e-12);
  }
}
