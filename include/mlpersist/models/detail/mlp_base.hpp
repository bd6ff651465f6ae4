#pragma once
// What MLPClassifier and MLPRegressor share: the options, the network's weights, the forward pass,
// backpropagation and the Adam/SGD training loop of scikit-learn's BaseMultilayerPerceptron.
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"
#include "mlpersist/core/validation.hpp"
#include "mlpersist/models/detail/activations.hpp"
#include "mlpersist/models/detail/feature_names.hpp"
#include "mlpersist/models/detail/random.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlpersist {

enum class Solver { sgd, adam };
inline constexpr std::array<const char*, 2> solver_names{"sgd", "adam"};

/// Hyper-parameters of MLPClassifier and MLPRegressor, with scikit-learn's names, order and defaults.
/// (Not offered: scikit-learn's lbfgs solver, learning-rate schedules other than constant, early_stopping.)
struct MLPOptions {
  std::vector<int> hidden_layer_sizes{100};
  Activation activation = Activation::relu;
  Solver solver = Solver::adam;
  double alpha = 1e-4;  ///< L2 penalty
  std::optional<std::uint32_t> batch_size;  ///< none: "auto", min(200, n_samples)
  double learning_rate_init = 1e-3;
  int max_iter = 200;  ///< epochs
  bool shuffle = true;
  std::optional<std::uint32_t> random_state;  ///< none: a different initialisation every fit
  double tol = 1e-4;
  double momentum = 0.9;  ///< sgd only
  bool nesterovs_momentum = true;  ///< sgd only
  double beta_1 = 0.9;  ///< adam only
  double beta_2 = 0.999;  ///< adam only
  double epsilon = 1e-8;  ///< adam only
  int n_iter_no_change = 10;

  /// Calls fail(message) for the first hyper-parameter out of its domain.
  template <class Fail>
  void validate(const std::string& model, Fail&& fail) const {
    auto check = [&](bool ok, const char* what) {
      if (!ok) fail(model + ": " + what);
    };
    check(std::all_of(hidden_layer_sizes.begin(), hidden_layer_sizes.end(), [](int n) { return n > 0; }),
          "hidden_layer_sizes must be positive");
    check(alpha >= 0.0 && std::isfinite(alpha), "alpha must be finite and >= 0");
    check(!batch_size || *batch_size > 0, "batch_size must be positive");
    check(learning_rate_init > 0.0 && std::isfinite(learning_rate_init), "learning_rate_init must be positive");
    check(max_iter >= 0, "max_iter must be >= 0");
    check(tol >= 0.0 && std::isfinite(tol), "tol must be finite and >= 0");
    check(momentum >= 0.0 && momentum <= 1.0, "momentum must be in [0, 1]");
    check(beta_1 >= 0.0 && beta_1 < 1.0 && beta_2 >= 0.0 && beta_2 < 1.0, "beta_1 and beta_2 must be in [0, 1)");
    check(epsilon > 0.0 && std::isfinite(epsilon), "epsilon must be positive");
    check(n_iter_no_change > 0, "n_iter_no_change must be positive");
    check(static_cast<int>(activation) >= 0 && static_cast<int>(activation) < 4, "unknown activation");
    check(static_cast<int>(solver) >= 0 && static_cast<int>(solver) < 2, "unknown solver");
  }
};

namespace detail {

/// How the output layer turns scores into predictions, and the loss it is trained with.
enum class Output { identity_squared_error, logistic_log_loss, softmax_log_loss };

template <class T, class Derived>
class MLPBase : public WithFeatureNames<Derived> {
 public:
  using Scalar = T;
  using Options = MLPOptions;

  const Options& options() const { return options_; }
  /// Weights of each layer, fan_in x fan_out (scikit-learn's coefs_), and its biases (intercepts_).
  const std::vector<Matrix<T>>& coefs() const { return coefs_; }
  const std::vector<Vector<T>>& intercepts() const { return intercepts_; }
  /// The training loss after each epoch.
  const std::vector<T>& loss_curve() const { return loss_curve_; }
  int n_iter() const { return n_iter_; }
  Eigen::Index n_features_in() const { return coefs_.empty() ? 0 : coefs_.front().rows(); }

 protected:
  MLPBase() = default;
  explicit MLPBase(const Options& options) : options_(options) {}

  /// The network's outputs (after the output activation) for each row of X.
  Matrix<T> forward(const Eigen::Ref<const Matrix<T>>& X) const {
    detail::check_features(Derived::type_name(), n_features_in(), X.cols());
    Matrix<T> a = X;
    for (std::size_t i = 0; i < coefs_.size(); ++i) {
      Matrix<T> z = a * coefs_[i];
      z.rowwise() += intercepts_[i].transpose();
      activate_layer(i, z);
      a.swap(z);
    }
    return a;
  }

  /// Fits the network to targets Y (one column per output unit) from a fresh initialisation.
  void train(const Eigen::Ref<const Matrix<T>>& X, const Matrix<T>& Y) {
    check_options(options_, Derived::type_name());
    detail::check_finite(Derived::type_name(), X);
    this->check_feature_names_for(X.cols());
    const Eigen::Index n = X.rows();
    Random random(options_.random_state);
    initialize(X.cols(), Y.cols(), random);
    loss_curve_.clear();
    n_iter_ = 0;

    const Eigen::Index batch_size =
        std::min<Eigen::Index>(options_.batch_size ? Eigen::Index(*options_.batch_size) : 200, n);
    std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
    for (Eigen::Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
    Optimizer optimizer(options_, coefs_, intercepts_);
    std::vector<Matrix<T>> activations(coefs_.size() + 1);
    T best_loss = std::numeric_limits<T>::infinity();
    int no_improvement = 0;
    for (int epoch = 0; epoch < options_.max_iter; ++epoch) {
      if (options_.shuffle) random.shuffle(order);
      T accumulated = T(0);
      for (Eigen::Index start = 0; start < n; start += batch_size) {
        const Eigen::Index size = std::min(batch_size, n - start);
        const std::vector<Eigen::Index> rows(order.begin() + start, order.begin() + start + size);
        activations[0] = X(rows, Eigen::all);
        accumulated += backpropagate(activations, Y(rows, Eigen::all), optimizer) * static_cast<T>(size);
      }
      ++n_iter_;
      loss_curve_.push_back(accumulated / static_cast<T>(n));
      // scikit-learn's stopping rule: n_iter_no_change epochs without improving by tol.
      const T loss = loss_curve_.back();
      no_improvement = loss > best_loss - static_cast<T>(options_.tol) ? no_improvement + 1 : 0;
      best_loss = std::min(best_loss, loss);
      if (no_improvement > options_.n_iter_no_change) break;
    }
  }

  template <class Archive>
  void serialize_network(Archive& ar) {
    field(ar, "hidden_layer_sizes", options_.hidden_layer_sizes);
    enum_field(ar, "activation", options_.activation, activation_names);
    enum_field(ar, "solver", options_.solver, solver_names);
    field(ar, "alpha", options_.alpha);
    optional_field(ar, "batch_size", options_.batch_size);
    field(ar, "learning_rate_init", options_.learning_rate_init);
    field(ar, "max_iter", options_.max_iter);
    field(ar, "shuffle", options_.shuffle);
    optional_field(ar, "random_state", options_.random_state);
    field(ar, "tol", options_.tol);
    field(ar, "momentum", options_.momentum);
    field(ar, "nesterovs_momentum", options_.nesterovs_momentum);
    field(ar, "beta_1", options_.beta_1);
    field(ar, "beta_2", options_.beta_2);
    field(ar, "epsilon", options_.epsilon);
    field(ar, "n_iter_no_change", options_.n_iter_no_change);
    field(ar, "coefs_", coefs_);
    field(ar, "intercepts_", intercepts_);
    field(ar, "loss_curve_", loss_curve_);
    field(ar, "n_iter_", n_iter_);
  }

  /// Load-time invariants: the layers chain, match the options and produce `outputs` values.
  void require_valid_network(Eigen::Index outputs) const {
    require_valid_options(options_, Derived::type_name());
    require(coefs_.size() == intercepts_.size(), "coefs_ and intercepts_ have different numbers of layers");
    require(n_iter_ >= 0, "n_iter_ is negative");
    if (coefs_.empty()) return;  // not fitted
    require(coefs_.size() == options_.hidden_layer_sizes.size() + 1,
            std::to_string(coefs_.size()) + " weight layers for " +
                std::to_string(options_.hidden_layer_sizes.size()) + " hidden layers");
    require(coefs_.front().rows() > 0, "the input layer has no features");
    for (std::size_t i = 0; i < coefs_.size(); ++i) {
      const std::string layer = "layer " + std::to_string(i);
      require(intercepts_[i].size() == coefs_[i].cols(), layer + ": intercepts do not match the weights' columns");
      if (i + 1 < coefs_.size()) {
        require(coefs_[i].cols() == options_.hidden_layer_sizes[i], layer + " does not match hidden_layer_sizes");
        require(coefs_[i + 1].rows() == coefs_[i].cols(),
                layer + " has " + std::to_string(coefs_[i].cols()) + " outputs but the next layer takes " +
                    std::to_string(coefs_[i + 1].rows()));
      }
      require(coefs_[i].allFinite() && intercepts_[i].allFinite(), layer + " has non-finite weights");
    }
    require(coefs_.back().cols() == outputs, "the output layer has " + std::to_string(coefs_.back().cols()) +
                                                 " units, expected " + std::to_string(outputs));
  }

  Options options_;
  std::vector<Matrix<T>> coefs_;
  std::vector<Vector<T>> intercepts_;
  std::vector<T> loss_curve_;
  int n_iter_ = 0;

 private:
  Output output() const { return static_cast<const Derived&>(*this).output_kind(); }

  void activate_layer(std::size_t layer, Matrix<T>& z) const {
    if (layer + 1 < coefs_.size()) return activate_inplace(options_.activation, z);
    switch (output()) {
      case Output::identity_squared_error: break;
      case Output::logistic_log_loss: activate_inplace(Activation::logistic, z); break;
      case Output::softmax_log_loss: softmax_inplace(z); break;
    }
  }

  /// Glorot-uniform weights and biases, as scikit-learn initialises them.
  void initialize(Eigen::Index features, Eigen::Index outputs, Random& random) {
    std::vector<Eigen::Index> sizes{features};
    sizes.insert(sizes.end(), options_.hidden_layer_sizes.begin(), options_.hidden_layer_sizes.end());
    sizes.push_back(outputs);
    const double factor = options_.activation == Activation::logistic ? 2.0 : 6.0;
    coefs_.clear();
    intercepts_.clear();
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
      const double bound = std::sqrt(factor / static_cast<double>(sizes[i] + sizes[i + 1]));
      auto draw = [&] { return static_cast<T>(random.uniform(-bound, bound)); };
      Matrix<T> W(sizes[i], sizes[i + 1]);
      for (Eigen::Index r = 0; r < W.rows(); ++r)  // row by row, as numpy fills (fan_in, fan_out)
        for (Eigen::Index c = 0; c < W.cols(); ++c) W(r, c) = draw();
      Vector<T> b(sizes[i + 1]);
      for (auto& v : b) v = draw();
      coefs_.push_back(std::move(W));
      intercepts_.push_back(std::move(b));
    }
  }

  /// Adam or SGD with momentum: scikit-learn's AdamOptimizer and SGDOptimizer (constant rate).
  class Optimizer {
   public:
    Optimizer(const Options& options, const std::vector<Matrix<T>>& coefs, const std::vector<Vector<T>>& intercepts)
        : options_(options) {
      for (const auto& W : coefs) {
        first_.emplace_back(Matrix<T>::Zero(W.rows(), W.cols()));
        second_.emplace_back(Matrix<T>::Zero(W.rows(), W.cols()));
      }
      for (const auto& b : intercepts) {
        first_.emplace_back(Matrix<T>::Zero(b.size(), 1));
        second_.emplace_back(Matrix<T>::Zero(b.size(), 1));
      }
    }

    /// Called once per minibatch, before the parameters are updated in order.
    void next_step() {
      ++step_;
      if (options_.solver == Solver::adam) {
        const double t = static_cast<double>(step_);
        rate_ = static_cast<T>(options_.learning_rate_init * std::sqrt(1.0 - std::pow(options_.beta_2, t)) /
                               (1.0 - std::pow(options_.beta_1, t)));
      }
    }

    /// Applies the update for parameter number `index` given its gradient.
    template <class Param, class Grad>
    void update(std::size_t index, Param& param, const Grad& grad) {
      auto m = first_[index].reshaped();
      auto v = second_[index].reshaped();
      auto p = param.reshaped();
      auto g = grad.reshaped();
      const T lr = static_cast<T>(options_.learning_rate_init);
      if (options_.solver == Solver::adam) {
        const T b1 = static_cast<T>(options_.beta_1);
        const T b2 = static_cast<T>(options_.beta_2);
        m = b1 * m + (T(1) - b1) * g;
        v = b2 * v + (T(1) - b2) * g.cwiseProduct(g);
        p.array() -= rate_ * m.array() / (v.array().sqrt() + static_cast<T>(options_.epsilon));
      } else {
        const T mu = static_cast<T>(options_.momentum);
        m = mu * m - lr * g;  // the velocity
        if (options_.nesterovs_momentum)
          p += mu * m - lr * g;
        else
          p += m;
      }
    }

   private:
    const Options& options_;
    std::vector<Matrix<T>> first_;   // Adam's first moments, or SGD's velocities
    std::vector<Matrix<T>> second_;  // Adam's second moments
    std::int64_t step_ = 0;
    T rate_ = T(0);
  };

  /// One forward and backward pass over a minibatch (activations[0] holds its rows) and the
  /// parameter update; returns the minibatch loss including the L2 penalty.
  T backpropagate(std::vector<Matrix<T>>& activations, const Matrix<T>& Y, Optimizer& optimizer) {
    const std::size_t layers = coefs_.size();
    for (std::size_t i = 0; i < layers; ++i) {
      activations[i + 1].noalias() = activations[i] * coefs_[i];
      activations[i + 1].rowwise() += intercepts_[i].transpose();
      activate_layer(i, activations[i + 1]);
    }
    const Matrix<T>& out = activations[layers];
    const T n = static_cast<T>(Y.rows());
    T loss = T(0);
    if (output() == Output::identity_squared_error) {
      loss = (Y - out).squaredNorm() / n / T(2);
    } else {
      const T eps = std::numeric_limits<T>::epsilon();
      const auto p = out.array().max(eps).min(T(1) - eps);
      if (output() == Output::logistic_log_loss)
        loss = -(Y.array() * p.log() + (T(1) - Y.array()) * (T(1) - p).log()).sum() / n;
      else
        loss = -(Y.array() * p.log()).sum() / n;
    }
    const T alpha = static_cast<T>(options_.alpha);
    T penalty = T(0);
    for (const auto& W : coefs_) penalty += W.squaredNorm();
    loss += T(0.5) * alpha * penalty / n;

    // Every output/loss pair here has the same gradient with respect to the output scores.
    Matrix<T> delta = out - Y;
    std::vector<Matrix<T>> coef_grads(layers);
    std::vector<Vector<T>> intercept_grads(layers);
    for (std::size_t i = layers; i-- > 0;) {
      coef_grads[i].noalias() = activations[i].transpose() * delta;
      coef_grads[i] = (coef_grads[i] + alpha * coefs_[i]) / n;
      intercept_grads[i] = delta.colwise().mean().transpose();
      if (i > 0) {
        Matrix<T> previous = delta * coefs_[i].transpose();
        multiply_derivative(options_.activation, activations[i], previous);
        delta.swap(previous);
      }
    }
    optimizer.next_step();
    for (std::size_t i = 0; i < layers; ++i) optimizer.update(i, coefs_[i], coef_grads[i]);
    for (std::size_t i = 0; i < layers; ++i) optimizer.update(layers + i, intercepts_[i], intercept_grads[i]);
    return loss;
  }
};

}  // namespace detail
}  // namespace mlpersist
