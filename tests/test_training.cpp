// Incremental learning and checkpoints: training stopped, saved, loaded and continued gives exactly
// the model of uninterrupted training.
#include "helpers.hpp"
#include "zoo.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace mlpersist;
using Catch::Matchers::Contains;

namespace {

constexpr Format formats[] = {Format::binary, Format::json, Format::xml};

/// Options that never stop early, so that a run's length is exactly max_iter epochs.
MLPOptions resumable(int epochs, Solver solver = Solver::adam) {
  MLPOptions options;
  options.hidden_layer_sizes = {12, 6};
  options.solver = solver;
  options.batch_size = 32;
  options.max_iter = epochs;
  options.random_state = 7;
  options.n_iter_no_change = 1000;
  options.warm_start = true;
  return options;
}

template <class Model>
Model round_trip(const Model& model, Format format) {
  std::stringstream buffer;
  save(model, buffer, format);
  return load<Model>(buffer, format);
}

template <class Model>
void check_same_training(const Model& a, const Model& b) {
  REQUIRE(a.coefs().size() == b.coefs().size());
  for (std::size_t i = 0; i < a.coefs().size(); ++i) {
    CHECK(test::same_bits(a.coefs()[i], b.coefs()[i]));
    CHECK(test::same_bits(a.intercepts()[i], b.intercepts()[i]));
  }
  CHECK(a.loss_curve() == b.loss_curve());
  CHECK(a.n_iter() == b.n_iter());
}

/// Trains `epochs` epochs in one go, and in two halves with a save and load between them.
template <class Model, class Target>
void check_resume(const Matrix<typename Model::Scalar>& X, const Target& y, Solver solver) {
  Model whole(resumable(20, solver));
  whole.fit(X, y);
  for (const auto format : formats) {
    INFO(Model::type_name() << " " << solver_names[static_cast<std::size_t>(solver)] << " " << to_string(format));
    Model first(resumable(10, solver));
    first.fit(X, y);
    Model resumed = round_trip(first, format);
    resumed.fit(X, y);
    check_same_training(resumed, whole);
  }
}

}  // namespace

TEST_CASE("MLP training resumed from a saved file equals uninterrupted training, bit for bit", "[training]") {
  const auto& iris = zoo::dataset<double>("iris");
  const auto& diabetes = zoo::dataset<double>("diabetes");
  const Matrix<double> Xd = StandardScaler<double>().fit(diabetes.X).transform(diabetes.X);
  const Vector<double> yd = (diabetes.target.array() - diabetes.target.mean()) / 100.0;
  for (const auto solver : {Solver::adam, Solver::sgd}) {
    check_resume<MLPClassifier<double>>(iris.X, iris.labels(), solver);
    check_resume<MLPRegressor<double>>(Xd, yd, solver);
  }
  const auto& iris_f = zoo::dataset<float>("iris");
  check_resume<MLPClassifier<float>>(iris_f.X, iris_f.labels(), Solver::adam);
}

TEST_CASE("partial_fit epochs equal fit epochs, across saves", "[training]") {
  const auto& iris = zoo::dataset<double>("iris");
  MLPClassifier<double> whole(resumable(8));
  whole.fit(iris.X, iris.labels());
  MLPClassifier<double> pieces(resumable(1));
  const Labels classes = (Labels(3) << 2, 0, 1).finished();
  for (int epoch = 0; epoch < 8; ++epoch) {
    pieces.partial_fit(iris.X, iris.labels(), epoch == 0 ? std::optional<Labels>(classes) : std::nullopt);
    if (epoch == 3) pieces = round_trip(pieces, Format::json);
  }
  check_same_training(pieces, whole);

  MLPClassifier<double> fresh;
  CHECK_THROWS_WITH(fresh.partial_fit(iris.X, iris.labels()), Contains("the first partial_fit must be given the classes"));
  CHECK_THROWS_WITH(pieces.partial_fit(iris.X, iris.labels(), (Labels(2) << 0, 1).finished()),
                    Contains("classes differ"));
  CHECK_THROWS_WITH(pieces.partial_fit(iris.X, Labels::Constant(iris.X.rows(), 9)), Contains("label 9"));
}

TEST_CASE("the progress callback sees every epoch and can stop training", "[training]") {
  const auto& iris = zoo::dataset<double>("iris");
  std::vector<int> epochs;
  std::vector<double> accuracies;
  MLPClassifier<double> model(resumable(50));
  model.fit(iris.X, iris.labels(), [&](const MLPClassifier<double>::Progress& progress) {
    epochs.push_back(progress.epoch);
    CHECK(progress.loss == Approx(progress.model.loss_curve().back()));
    accuracies.push_back((progress.model.predict(iris.X).array() == iris.labels().array()).cast<double>().mean());
    return progress.epoch < 4;
  });
  CHECK(epochs == std::vector<int>{1, 2, 3, 4});
  CHECK(model.n_iter() == 4);
  CHECK(accuracies.size() == 4);
}

TEST_CASE("fit without warm_start starts afresh; the training state is saved with the model", "[training]") {
  const auto& iris = zoo::dataset<double>("iris");
  MLPOptions options = resumable(5);
  options.warm_start = false;
  MLPClassifier<double> model(options);
  model.fit(iris.X, iris.labels());
  const MLPClassifier<double> first = model;
  model.fit(iris.X, iris.labels());
  CHECK(model.coefs() == first.coefs());  // the same seed, from scratch
  CHECK(model.n_iter() == 5);
  for (const auto format : formats) {
    const auto loaded = round_trip(model, format);
    CHECK(loaded.loss_curve() == model.loss_curve());
    CHECK(loaded.options().warm_start == false);
  }
}

TEST_CASE("a model from a file without training state continues with a fresh optimizer", "[training]") {
  const auto path = std::filesystem::path(MLPERSIST_TEST_DATA_DIR) / "compat" / "v2" / "MLPClassifier_double.bin";
  auto model = load<MLPClassifier<double>>(path);
  const int before = model.n_iter();
  model.options().warm_start = true;
  model.options().max_iter = 3;
  model.options().n_iter_no_change = 100;
  const auto& iris = zoo::dataset<double>("iris");
  model.fit(iris.X, iris.labels());
  CHECK(model.n_iter() == before + 3);
  CHECK(model.loss_curve().size() == static_cast<std::size_t>(before + 3));
}

TEST_CASE("LogisticRegression warm-starts from saved coefficients", "[training]") {
  const auto& iris = zoo::dataset<double>("iris");
  const Matrix<double> X = StandardScaler<double>().fit(iris.X).transform(iris.X);
  LogisticRegression<double> full({1.0, true, 1000, 1e-8});
  full.fit(X, iris.labels());

  LogisticRegression<double> partial({1.0, true, 5, 1e-8});
  partial.fit(X, iris.labels());
  for (const auto format : formats) {
    auto resumed = round_trip(partial, format);
    resumed.options().warm_start = true;
    resumed.options().max_iter = 1000;
    resumed.fit(X, iris.labels());
    CHECK(resumed.coef().isApprox(full.coef(), 1e-6));
    // From the optimum, a warm start has nothing left to do.
    auto again = round_trip(full, format);
    again.options().warm_start = true;
    again.fit(X, iris.labels());
    CHECK(again.n_iter() <= 1);
    CHECK(again.coef().isApprox(full.coef(), 1e-6));
  }
}

TEST_CASE("set_parameters installs outside weights only if they form a network", "[training]") {
  std::vector<Matrix<double>> coefs{Matrix<double>::Ones(4, 3), Matrix<double>::Ones(3, 1)};
  std::vector<Vector<double>> intercepts{Vector<double>::Zero(3), Vector<double>::Zero(1)};
  MLPClassifier<double> model;
  model.set_parameters(coefs, intercepts, (Labels(2) << -1, 1).finished());
  CHECK(model.options().hidden_layer_sizes == std::vector<int>{3});
  CHECK(model.predict_proba(Matrix<double>::Zero(2, 4)).cols() == 2);
  CHECK_THROWS_WITH(model.set_parameters(coefs, intercepts, (Labels(2) << 1, -1).finished()),
                    Contains("increasing order"));
  CHECK_THROWS_WITH(model.set_parameters(coefs, intercepts, (Labels(3) << 0, 1, 2).finished()),
                    Contains("output layer has 1 units, expected 3"));
  coefs[1] = Matrix<double>::Ones(5, 1);
  MLPRegressor<double> regressor;
  CHECK_THROWS_AS(regressor.set_parameters(coefs, intercepts), std::invalid_argument);
  CHECK_THROWS_WITH(regressor.set_parameters(coefs, intercepts), Contains("layer 0 has 3 outputs but the next layer takes 5"));
  CHECK(regressor.coefs().empty());  // unchanged by the failed call
}
