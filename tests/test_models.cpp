// What the models compute: fits on real data, scikit-learn's semantics, and clear errors on misuse.
#include "zoo.hpp"

#include <catch2/catch.hpp>

#include <Eigen/Cholesky>

#include <random>

using namespace mlpersist;
using Catch::Matchers::Contains;

namespace {

template <class A, class B>
double accuracy(const A& predicted, const B& truth) {
  return (predicted.array() == truth.array()).template cast<double>().mean();
}

double r2(const Vector<double>& predicted, const Vector<double>& truth) {
  return 1.0 - (truth - predicted).squaredNorm() / (truth.array() - truth.mean()).square().sum();
}

const auto& iris = zoo::dataset<double>("iris");
const auto& diabetes = zoo::dataset<double>("diabetes");

}  // namespace

TEST_CASE("LinearRegression recovers an exact linear relation, with and without intercept", "[models]") {
  const Matrix<double> X = diabetes.X;
  const Vector<double> w = Vector<double>::LinSpaced(X.cols(), -1.0, 2.0);
  const Vector<double> y = (X * w).array() + 3.5;
  LinearRegression<double> model;
  model.fit(X, y);
  CHECK(model.coef().isApprox(w, 1e-9));
  CHECK(model.intercept() == Approx(3.5).epsilon(1e-9));
  CHECK(model.predict(X).isApprox(y, 1e-12));

  LinearRegression<double> through_origin({/*fit_intercept=*/false});
  through_origin.fit(X, X * w);
  CHECK(through_origin.intercept() == 0.0);
  CHECK(through_origin.coef().isApprox(w, 1e-9));
}

TEST_CASE("LinearRegression gives the minimum-norm solution for rank-deficient X", "[models]") {
  // The last column repeats the first: any split of its weight fits, the minimum-norm one halves it.
  Matrix<double> X(diabetes.X.rows(), 3);
  X << diabetes.X.col(2), diabetes.X.col(3), diabetes.X.col(2);
  const Vector<double> y = 4.0 * X.col(0) + X.col(1);
  LinearRegression<double> model;
  model.fit(X, y);
  CHECK(model.coef()(0) == Approx(2.0).epsilon(1e-9));
  CHECK(model.coef()(2) == Approx(2.0).epsilon(1e-9));
  CHECK(model.coef()(1) == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("LinearRegression with alpha > 0 is ridge regression", "[models]") {
  const Matrix<double> X = diabetes.X;
  const Vector<double> y = diabetes.target;
  const double alpha = 50.0;
  LinearRegression<double> model({true, alpha});
  model.fit(X, y);
  // Closed form on centred data: (Xc'Xc + alpha I) w = Xc'yc.
  const Matrix<double> Xc = X.rowwise() - X.colwise().mean();
  const Vector<double> yc = y.array() - y.mean();
  const Matrix<double> gram = Xc.transpose() * Xc + alpha * Matrix<double>::Identity(X.cols(), X.cols());
  const Vector<double> expected = gram.ldlt().solve(Xc.transpose() * yc);
  CHECK(model.coef().isApprox(expected, 1e-8));
  LinearRegression<double> plain;
  plain.fit(X, y);
  CHECK(model.coef().norm() < plain.coef().norm());
}

TEST_CASE("LogisticRegression: multinomial on iris, binary with arbitrary labels", "[models]") {
  LogisticRegression<double> model;
  model.fit(iris.X, iris.labels());
  CHECK(model.classes() == (Labels(3) << 0, 1, 2).finished());
  CHECK(model.coef().rows() == 3);
  CHECK(model.coef().cols() == 4);
  CHECK(accuracy(model.predict(iris.X), iris.labels()) > 0.95);
  const Matrix<double> proba = model.predict_proba(iris.X);
  CHECK(proba.rowwise().sum().isApprox(Vector<double>::Ones(iris.X.rows()), 1e-12));

  // Two classes, labelled -7 and 100: one weight row, as scikit-learn.
  Labels y(iris.X.rows());
  for (Eigen::Index i = 0; i < y.size(); ++i) y(i) = iris.labels()(i) == 0 ? -7 : 100;
  LogisticRegression<double> binary;
  binary.fit(iris.X, y);
  CHECK(binary.classes() == (Labels(2) << -7, 100).finished());
  CHECK(binary.coef().rows() == 1);
  CHECK(binary.decision_function(iris.X).cols() == 1);
  CHECK(accuracy(binary.predict(iris.X), y) == 1.0);
  const Matrix<double> p = binary.predict_proba(iris.X);
  CHECK(p.cols() == 2);
  CHECK((p.col(1).array() > 0.5).cast<int>().sum() == (y.array() == 100).cast<int>().sum());
}

TEST_CASE("LogisticRegression converges to the regularised optimum", "[models]") {
  // At the optimum of sum(log-loss) + ||W||^2 / (2C), the gradient X'(P - Y) + W / C vanishes. fit
  // takes the rows a block at a time (256 KiB of X): besides iris (one block), 3,000 rows of 40
  // features (four blocks, the last one short), with two classes (one column of scores) and three.
  // There fit stops when the objective, about 1,000, no longer falls in its 15th digit, with the
  // gradient at 2-3e-6; a block left out of it would leave the gradient far larger.
  auto check_optimum = [](const Matrix<double>& X, const Labels& y, double C) {
    LogisticRegression<double> model({C, true, 1000, 1e-8});
    model.fit(X, y);
    Matrix<double> residual = model.predict_proba(X);
    for (Eigen::Index i = 0; i < X.rows(); ++i) residual(i, y(i)) -= 1.0;
    if (residual.cols() == 2) residual = residual.rightCols(1).eval();  // the binary model scores class 1
    const Matrix<double> gradient = (X.transpose() * residual).transpose() + model.coef() / C;
    CHECK(gradient.cwiseAbs().maxCoeff() < 1e-5);
    CHECK(residual.colwise().sum().cwiseAbs().maxCoeff() < 1e-5);  // the unpenalised intercept
  };
  check_optimum(StandardScaler<double>().fit(iris.X).transform(iris.X), iris.labels(), 0.5);

  std::mt19937 random(11);
  std::normal_distribution<double> normal;
  const Matrix<double> X = Matrix<double>::NullaryExpr(3000, 40, [&] { return normal(random); });
  const Matrix<double> w = Matrix<double>::NullaryExpr(40, 3, [&] { return normal(random); });
  const Matrix<double> noisy = X * w + Matrix<double>::NullaryExpr(3000, 3, [&] { return 3 * normal(random); });
  Labels two(3000), three(3000);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    two(i) = noisy(i, 0) > 0 ? 1 : 0;
    noisy.row(i).maxCoeff(&three(i));
  }
  check_optimum(X, two, 0.1);
  check_optimum(X, three, 0.1);
}

TEST_CASE("MLPClassifier learns iris and MLPRegressor learns diabetes", "[models]") {
  const Matrix<double> X = StandardScaler<double>().fit(iris.X).transform(iris.X);
  MLPClassifier<double>::Options options;
  options.hidden_layer_sizes = {16};
  options.random_state = 3;
  options.max_iter = 1000;
  MLPClassifier<double> classifier(options);
  classifier.fit(X, iris.labels());
  CHECK(accuracy(classifier.predict(X), iris.labels()) > 0.95);
  CHECK(classifier.coefs().size() == 2);
  CHECK(classifier.coefs()[0].rows() == 4);
  CHECK(classifier.coefs()[1].cols() == 3);
  CHECK(classifier.loss_curve().size() == static_cast<std::size_t>(classifier.n_iter()));
  CHECK(classifier.loss_curve().back() < classifier.loss_curve().front());

  const Matrix<double> Xd = StandardScaler<double>().fit(diabetes.X).transform(diabetes.X);
  MLPRegressor<double>::Options reg_options;
  reg_options.hidden_layer_sizes = {32};
  reg_options.random_state = 0;
  reg_options.learning_rate_init = 0.01;
  reg_options.max_iter = 500;
  MLPRegressor<double> regressor(reg_options);
  regressor.fit(Xd, diabetes.target);
  CHECK(r2(regressor.predict(Xd), diabetes.target) > 0.4);
}

TEST_CASE("MLP: every activation and both solvers train; binary uses one logistic unit", "[models]") {
  const Matrix<double> X = StandardScaler<double>().fit(iris.X).transform(iris.X);
  const Labels y = (iris.labels().array() == 2).select(Labels::Constant(X.rows(), 5), Labels::Constant(X.rows(), -5));
  for (const auto activation : {Activation::identity, Activation::logistic, Activation::tanh, Activation::relu}) {
    for (const auto solver : {Solver::adam, Solver::sgd}) {
      INFO(activation_names[static_cast<std::size_t>(activation)] << " " << solver_names[static_cast<std::size_t>(solver)]);
      MLPClassifier<double>::Options options;
      options.hidden_layer_sizes = {10, 5};
      options.activation = activation;
      options.solver = solver;
      options.learning_rate_init = solver == Solver::sgd ? 0.1 : 0.01;
      options.random_state = 1;
      options.max_iter = 300;
      MLPClassifier<double> model(options);
      model.fit(X, y);
      CHECK(model.coefs().back().cols() == 1);
      CHECK(model.predict_proba(X).cols() == 2);
      CHECK(accuracy(model.predict(X), y) > 0.9);
    }
  }
}

TEST_CASE("MLP: the same random_state gives the same weights; float works too", "[models]") {
  MLPClassifier<float>::Options options = zoo::small_mlp();
  const auto& data = zoo::dataset<float>("iris");
  MLPClassifier<float> a(options);
  MLPClassifier<float> b(options);
  a.fit(data.X, data.labels());
  b.fit(data.X, data.labels());
  for (std::size_t i = 0; i < a.coefs().size(); ++i) CHECK(a.coefs()[i] == b.coefs()[i]);
  options.random_state = 43;
  MLPClassifier<float> c(options);
  c.fit(data.X, data.labels());
  CHECK(c.coefs()[0] != a.coefs()[0]);
}

TEST_CASE("MLP: a batch larger than one block of rows gives every row its own network output", "[models]") {
  // forward() runs 256 rows at a time; digits' 1,797 rows make 7 whole blocks and a partial one.
  const auto digits = mlpersist_examples::read_csv<double>(MLPERSIST_DATA_DIR "/digits.csv");
  MLPOptions options = zoo::small_mlp();
  options.hidden_layer_sizes = {32, 16};
  options.activation = Activation::relu;
  MLPClassifier<double> model(options);
  model.fit(digits.X, digits.labels());
  REQUIRE(digits.X.rows() > 3 * 256);

  // The same network evaluated for the whole batch at once, as the textbook writes it.
  Matrix<double> a = digits.X;
  for (std::size_t i = 0; i < model.coefs().size(); ++i) {
    Matrix<double> z = a * model.coefs()[i];
    z.rowwise() += model.intercepts()[i].transpose();
    a = i + 1 < model.coefs().size() ? Matrix<double>(z.cwiseMax(0.0)) : z;
  }
  const Vector<double> max = a.rowwise().maxCoeff();
  const Matrix<double> e = (a.colwise() - max).array().exp().matrix();
  const Matrix<double> expected = e.array().colwise() / e.rowwise().sum().array();

  const Matrix<double> proba = model.predict_proba(digits.X);
  REQUIRE(proba.rows() == digits.X.rows());
  CHECK((proba - expected).cwiseAbs().maxCoeff() < 1e-12);
  for (const Eigen::Index row : {Eigen::Index{0}, Eigen::Index{255}, Eigen::Index{256}, digits.X.rows() - 1})
    CHECK((model.predict_proba(digits.X.row(row)) - proba.row(row)).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("StandardScaler matches scikit-learn's definition, constant columns included", "[models]") {
  Matrix<double> X = iris.X;
  X.col(2).setConstant(7.0);
  StandardScaler<double> scaler;
  const Matrix<double> Z = scaler.fit_transform(X);
  CHECK(scaler.scale()(2) == 1.0);  // a constant column is only centred
  CHECK(Z.col(2).isZero());
  CHECK(Z.colwise().mean().cwiseAbs().maxCoeff() < 1e-12);
  const Vector<double> var = Z.array().square().colwise().mean();
  CHECK(var(0) == Approx(1.0));
  CHECK(var(3) == Approx(1.0));
  CHECK(scaler.var()(0) == Approx((X.col(0).array() - X.col(0).mean()).square().mean()));
  CHECK(scaler.inverse_transform(Z).isApprox(X, 1e-12));
  StandardScaler<double> keep_mean({/*with_mean=*/false, /*with_std=*/true});
  CHECK(keep_mean.fit_transform(X).col(0).isApprox(X.col(0) / scaler.scale()(0)));
}

TEST_CASE("Pipeline fits and predicts as its steps chained by hand", "[models]") {
  Pipeline pipe(StandardScaler<double>{}, LogisticRegression<double>{});
  pipe.fit(iris.X, iris.labels());
  StandardScaler<double> scaler;
  LogisticRegression<double> model;
  model.fit(scaler.fit_transform(iris.X), iris.labels());
  CHECK(pipe.predict_proba(iris.X) == model.predict_proba(scaler.transform(iris.X)));
  CHECK(pipe.step<1>().coef() == model.coef());
  CHECK(Pipeline<StandardScaler<double>, LogisticRegression<double>>::type_name() ==
        "Pipeline<StandardScaler<double>,LogisticRegression<double>>");
}

TEST_CASE("feature names are optional and must match the features", "[models]") {
  LinearRegression<double> model;
  CHECK(model.feature_names().empty());
  model.fit(diabetes.X, diabetes.target);
  CHECK(model.feature_names().empty());
  CHECK_THROWS_WITH(model.set_feature_names({"age", "sex"}),
                    Contains("2 feature names, but the model was fitted with 10 features"));
  CHECK(model.set_feature_names(diabetes.feature_names).feature_names().at(2) == "bmi");
  StandardScaler<double> scaler;
  scaler.set_feature_names({"a", "b"});
  CHECK_THROWS_WITH(scaler.fit(diabetes.X), Contains("2 feature names, but X has 10 features"));
  Pipeline pipe(StandardScaler<double>{}, LinearRegression<double>{});
  pipe.set_feature_names(diabetes.feature_names).fit(diabetes.X, diabetes.target);
  CHECK(pipe.feature_names() == diabetes.feature_names);
}

TEST_CASE("Misuse throws std::invalid_argument saying what was expected", "[models]") {
  LogisticRegression<double> model;
  CHECK_THROWS_AS(model.predict(iris.X), std::invalid_argument);
  CHECK_THROWS_WITH(model.predict(iris.X), Contains("LogisticRegression<double> is not fitted yet"));
  model.fit(iris.X, iris.labels());
  CHECK_THROWS_WITH(model.predict(iris.X.leftCols(3)),
                    Contains("X has 3 features, but the model was fitted with 4 features"));
  CHECK_THROWS_WITH(MLPRegressor<double>().predict(diabetes.X), Contains("not fitted"));
  CHECK_THROWS_WITH(StandardScaler<double>().transform(diabetes.X), Contains("not fitted"));
  CHECK_THROWS_WITH(LinearRegression<double>().fit(diabetes.X, diabetes.target.head(5)),
                    Contains("X has 442 samples but y has 5"));
  CHECK_THROWS_WITH(LogisticRegression<double>().fit(iris.X, Labels::Zero(iris.X.rows())),
                    Contains("at least 2 classes"));
  CHECK_THROWS_WITH(LogisticRegression<double>({/*C=*/0.0}).fit(iris.X, iris.labels()), Contains("C must be positive"));
  MLPClassifier<double>::Options options;
  options.hidden_layer_sizes = {0};
  CHECK_THROWS_WITH(MLPClassifier<double>(options).fit(iris.X, iris.labels()), Contains("hidden_layer_sizes"));
  Matrix<double> with_nan = iris.X;
  with_nan(3, 1) = std::nan("");
  CHECK_THROWS_WITH(LogisticRegression<double>().fit(with_nan, iris.labels()), Contains("NaN"));
}
