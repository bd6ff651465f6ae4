// Fit and predict time of mlpersist's models, to compare with scikit-learn on the same data:
// bench/sklearn_fit_predict.py times the same operations (under the same names) and
// bench/run_fit_predict.sh runs both and prints the comparison. A measurement, not a test.
#include "dataset.hpp"  // examples/common: reads the bundled digits CSV

#include <mlpersist/models/linear_regression.hpp>
#include <mlpersist/models/logistic_regression.hpp>
#include <mlpersist/models/mlp_classifier.hpp>
#include <mlpersist/models/standard_scaler.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using mlpersist::Labels;
using mlpersist::Matrix;
using mlpersist::Vector;

// ---------------------------------------------------------------------------------------------
// Data. The synthetic values come from a closed-form integer hash (splitmix64's finalizer) of the
// element's index, so that sklearn_fit_predict.py computes the bit-identical matrices itself
// (numpy's uint64 arithmetic wraps exactly as C++'s does) and no data file is needed. A hash
// rather than a Weyl sequence frac(a * golden): with the latter every row is a function of one
// scalar, so the "random" features would lie on a curve and the problems would be unrepresentative.

/// Uniform on [-0.5, 0.5): the top 53 bits of splitmix64(a), exactly representable as a double.
double hash_uniform(std::uint64_t a) {
  std::uint64_t z = a + 0x9E3779B97F4A7C15u;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53 - 0.5;
}

/// Independent streams for the different arrays; element (i, j) of a rows x cols array in stream
/// s is hash_uniform(s * 2^32 + i * cols + j), i.e. numbered in numpy's row-major order.
enum Stream : std::uint64_t { features = 1, weights = 2, noise = 3 };

Matrix<double> hash_matrix(Stream stream, Eigen::Index rows, Eigen::Index cols) {
  Matrix<double> out(rows, cols);
  mlpersist::detail::advise_huge_pages(out);
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j)
      out(i, j) = hash_uniform((std::uint64_t{stream} << 32) + static_cast<std::uint64_t>(i * cols + j));
  return out;
}

template <class Target>
struct Data {
  Matrix<double> X;
  Target y;
};

/// A linear signal plus noise: y = X w + 0.5 e, w uniform on [-1, 1). (X w may round differently
/// from numpy's, in the last bit, which cannot matter for timing.)
Vector<double> noisy_linear_target(const Matrix<double>& X) {
  const Matrix<double> w = 2.0 * hash_matrix(weights, X.cols(), 1);
  const Matrix<double> e = hash_matrix(noise, X.rows(), 1);
  return X * w + 0.5 * e;
}

const Data<Vector<double>>& regression_20000x100() {
  static const auto data = [] {
    Matrix<double> X = hash_matrix(features, 20000, 100);
    Vector<double> y = noisy_linear_target(X);
    return Data<Vector<double>>{std::move(X), std::move(y)};
  }();
  return data;
}

/// Labels 1 where the noisy linear signal is positive: overlapping classes, so L-BFGS has work.
const Data<Labels>& binary_100000x100() {
  static const auto data = [] {
    Matrix<double> X = hash_matrix(features, 100000, 100);
    Labels y = (noisy_linear_target(X).array() > 0.0).cast<int>();
    return Data<Labels>{std::move(X), std::move(y)};
  }();
  return data;
}

/// The bundled digits (1797 x 64, 10 classes), standardized as one would before these models.
const Data<Labels>& digits() {
  static const auto data = [] {
    const auto raw = mlpersist_examples::read_csv<double>(MLPERSIST_DATA_DIR "/digits.csv");
    return Data<Labels>{mlpersist::StandardScaler<double>().fit_transform(raw.X), raw.labels()};
  }();
  return data;
}

/// MNIST-shaped rows (784 features) for the 784-256-128-10 network; labels cycle through 0-9.
Data<Labels> mnist_shaped(Eigen::Index rows) {
  Data<Labels> data{hash_matrix(features, rows, 784), Labels(rows)};
  for (Eigen::Index i = 0; i < rows; ++i) data.y(i) = static_cast<int>(i % 10);
  return data;
}

/// The network is trained for one epoch on 1000 rows, only to have realistic weights to predict with.
const Data<Labels>& mnist_shaped_1000() {
  static const auto data = mnist_shaped(1000);
  return data;
}

const Data<Labels>& mnist_shaped_10000() {
  static const auto data = mnist_shaped(10000);
  return data;
}

// ---------------------------------------------------------------------------------------------
// Options: scikit-learn's settings of the comparison (the script passes the same ones).

mlpersist::LogisticRegression<double>::Options logistic_options() {
  mlpersist::LogisticRegression<double>::Options options;
  options.C = 1.0;
  options.tol = 1e-4;
  options.max_iter = 1000;
  return options;
}

/// scikit-learn's defaults with hidden_layer_sizes {100}, except a fixed number of epochs:
/// n_iter_no_change above max_iter switches the early stop off, so both libraries run exactly
/// max_iter epochs and the fit times compare time per epoch.
mlpersist::MLPOptions mlp_options(std::vector<int> hidden_layer_sizes, int epochs) {
  mlpersist::MLPOptions options;
  options.hidden_layer_sizes = std::move(hidden_layer_sizes);
  options.random_state = 0;
  options.max_iter = epochs;
  options.n_iter_no_change = epochs + 1000;
  return options;
}

// ---------------------------------------------------------------------------------------------
// The two kinds of benchmark, generic over the model.

template <class Model, class = void>
struct has_n_iter : std::false_type {};
template <class Model>
struct has_n_iter<Model, std::void_t<decltype(std::declval<const Model&>().n_iter())>> : std::true_type {};

template <class Model, class = void>
struct has_predict_proba : std::false_type {};
template <class Model>
struct has_predict_proba<Model, std::void_t<decltype(std::declval<const Model&>().predict_proba(Matrix<double>()))>>
    : std::true_type {};

/// Wall-clock time (comparable to Python's perf_counter; Eigen runs on one thread anyway), in ms.
benchmark::internal::Benchmark* configure(benchmark::internal::Benchmark* b) {
  return b->UseRealTime()->Unit(benchmark::kMillisecond);
}

/// Times fit from scratch, a new model each iteration as a new scikit-learn estimator is.
/// Iterative models also report their iteration count: the libraries may stop at different ones.
template <class Model, class Target>
benchmark::internal::Benchmark* register_fit(const std::string& name, const typename Model::Options& options,
                                             const Data<Target>& (*data)()) {
  return configure(benchmark::RegisterBenchmark(name.c_str(), [options, data](benchmark::State& state) {
    const Data<Target>& d = data();  // built once, before the timed loop
    int iterations = 0;
    for (auto _ : state) {
      Model model(options);
      model.fit(d.X, d.y);
      if constexpr (has_n_iter<Model>::value) iterations = model.n_iter();
    }
    if constexpr (has_n_iter<Model>::value) state.counters["n_iter"] = iterations;
  }));
}

/// Times predict_proba (classifiers) or predict (regressors) of a fitted model on every row of X,
/// reporting rows per second. `model` and `X` are called before the timed loop, so that fitting
/// happens only when this benchmark is selected.
template <class Model>
benchmark::internal::Benchmark* register_predict(const std::string& name, std::function<const Model&()> model,
                                                 std::function<Matrix<double>()> X) {
  return configure(benchmark::RegisterBenchmark(name.c_str(), [model, X](benchmark::State& state) {
    const Model& fitted = model();
    const Matrix<double> rows = X();
    for (auto _ : state) {
      if constexpr (has_predict_proba<Model>::value)
        benchmark::DoNotOptimize(fitted.predict_proba(rows));
      else
        benchmark::DoNotOptimize(fitted.predict(rows));
    }
    state.counters["rows_per_s"] =
        benchmark::Counter(static_cast<double>(rows.rows()), benchmark::Counter::kIsIterationInvariantRate);
  }));
}

/// A model fitted once, on first use, and shared by the predict benchmarks given copies of it.
template <class Model, class Target>
std::function<const Model&()> fitted_once(const typename Model::Options& options, const Data<Target>& (*data)()) {
  auto cache = std::make_shared<std::optional<Model>>();
  return [options, data, cache]() -> const Model& {
    if (!*cache) cache->emplace(options).fit(data().X, data().y);
    return **cache;
  };
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mlpersist;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Recorded in the JSON's context, so the comparison can state how parallel and vectorised we ran.
  benchmark::AddCustomContext("eigen_threads", std::to_string(Eigen::nbThreads()));
  benchmark::AddCustomContext("eigen_simd", Eigen::SimdInstructionSetsInUse());

  const auto linear = fitted_once<LinearRegression<double>, Vector<double>>({}, regression_20000x100);
  register_fit<LinearRegression<double>>("LinearRegression/fit/synthetic_20000x100", {}, regression_20000x100);
  register_predict<LinearRegression<double>>("LinearRegression/predict/synthetic_20000x100", linear,
                                             [] { return regression_20000x100().X; });

  const auto logistic_digits = fitted_once<LogisticRegression<double>, Labels>(logistic_options(), digits);
  const auto logistic_binary = fitted_once<LogisticRegression<double>, Labels>(logistic_options(), binary_100000x100);
  register_fit<LogisticRegression<double>>("LogisticRegression/fit/digits", logistic_options(), digits);
  register_fit<LogisticRegression<double>>("LogisticRegression/fit/synthetic_100000x100", logistic_options(),
                                           binary_100000x100);
  register_predict<LogisticRegression<double>>("LogisticRegression/predict_proba/digits", logistic_digits,
                                               [] { return digits().X; });
  register_predict<LogisticRegression<double>>("LogisticRegression/predict_proba/synthetic_100000x100",
                                               logistic_binary, [] { return binary_100000x100().X; });

  register_fit<MLPClassifier<double>>("MLPClassifier/fit_20_epochs/digits", mlp_options({100}, 20), digits);
  const auto mnist_net = fitted_once<MLPClassifier<double>, Labels>(mlp_options({256, 128}, 1), mnist_shaped_1000);
  register_predict<MLPClassifier<double>>("MLPClassifier/predict_proba/784-256-128-10_10000_rows", mnist_net,
                                          [] { return mnist_shaped_10000().X; });
  register_predict<MLPClassifier<double>>("MLPClassifier/predict_proba/784-256-128-10_1_row", mnist_net,
                                          [] { return Matrix<double>(mnist_shaped_10000().X.topRows(1)); });

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
