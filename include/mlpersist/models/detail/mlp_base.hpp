#pragma once
// What MLPClassifier and MLPRegressor share: the options, the network's weights, the forward pass,
// backpropagation and the Adam/SGD training loop of scikit-learn's BaseMultilayerPerceptron.
#include "mlpersist/core/detail/huge_pages.hpp"
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"
#include "mlpersist/core/validation.hpp"
#include "mlpersist/models/detail/activations.hpp"
#include "mlpersist/models/detail/feature_names.hpp"
#include "mlpersist/models/detail/random.hpp"
#include "mlpersist/models/detail/row_blocks.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
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
  /// fit continues from the current weights and training state instead of starting afresh.
  /// Unlike scikit-learn, the optimizer's moments and the random stream continue too, so training
  /// in pieces gives exactly the weights of training in one go.
  bool warm_start = false;
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

/// Where training stands: saved with the model, so that training resumes exactly where it stopped.
template <class T>
struct TrainingState {
  std::vector<Parameter<Matrix<T>>> first_moments;   ///< Adam's first moments or SGD's velocities: coefs, then intercepts
  std::vector<Parameter<Matrix<T>>> second_moments;  ///< Adam's second moments, same layout
  std::int64_t step = 0;                  ///< optimizer updates made
  std::string random_state;               ///< the generator's state; empty: not started
  T best_loss = std::numeric_limits<T>::infinity();
  int no_improvement_count = 0;
  std::int64_t samples_seen = 0;  ///< scikit-learn's t_

  bool empty() const { return random_state.empty(); }
};

template <class T, class Derived>
class MLPBase : public WithFeatureNames<Derived> {
 public:
  using Scalar = T;
  using Options = MLPOptions;

  /// What a progress callback receives after each epoch; return false from it to stop training.
  /// A validation score is computed from `model` (e.g. its accuracy on held-out rows).
  struct Progress {
    int epoch;  ///< epochs trained in all, this one included (n_iter())
    double loss;
    const Derived& model;
  };
  using ProgressCallback = std::function<bool(const Progress&)>;

  const Options& options() const { return options_; }
  /// Hyper-parameters can be changed between fits (scikit-learn's set_params), e.g. max_iter
  /// before continuing a warm start.
  Options& options() { return options_; }
  /// Weights of each layer, fan_in x fan_out (scikit-learn's coefs_), and its biases (intercepts_).
  std::vector<typename Parameter<Matrix<T>>::View> coefs() const { return views(coefs_); }
  std::vector<typename Parameter<Vector<T>>::View> intercepts() const { return views(intercepts_); }
  /// The training loss after each epoch.
  const std::vector<T>& loss_curve() const { return loss_curve_; }
  int n_iter() const { return n_iter_; }
  Eigen::Index n_features_in() const { return coefs_.empty() ? 0 : coefs_.front().rows(); }

 protected:
  MLPBase() = default;
  explicit MLPBase(const Options& options) : options_(options) {}

  /// The network's outputs (after the output activation) for each row of X.
  ///
  /// Rows go through the whole network a block at a time. Eigen sizes its product's blocks from the
  /// cache sizes the CPU reports, and a virtual machine may report a last-level cache of hundreds of
  /// megabytes: Eigen then packs all of a large batch's rows at once and runs from memory. On such a
  /// machine (bench/fit_predict.cpp, 784-256-128-10, 10,000 rows) whole-batch layers took 137 ms and
  /// blocks of 256 rows 78 ms. A block's widest input (256 x 784 doubles, 1.6 MB) stays in a core's
  /// L2 cache, and each layer's output is read back from it by the next layer.
  Matrix<T> forward(const Eigen::Ref<const Matrix<T>>& X) const {
    detail::check_features(Derived::type_name(), n_features_in(), X.cols());
    constexpr Eigen::Index block_rows = 256;
    if (X.rows() <= block_rows) return forward_block(X);
    Matrix<T> out(X.rows(), coefs_.back().cols());
    for_each_row_block(X.rows(), block_rows, [&](Eigen::Index first, Eigen::Index rows) {
      out.middleRows(first, rows) = forward_block(X.middleRows(first, rows));
    });
    return out;
  }

  /// Installs weights trained elsewhere (e.g. scikit-learn's coefs_ and intercepts_, fan_in x fan_out)
  /// with `outputs` output units; hidden_layer_sizes follows from their shapes. Throws
  /// std::invalid_argument, with the reason, if they do not form a network.
  void assign_parameters(std::vector<Matrix<T>> coefs, std::vector<Vector<T>> intercepts, Eigen::Index outputs) {
    Options options = options_;
    options.hidden_layer_sizes.clear();
    for (std::size_t i = 0; i + 1 < coefs.size(); ++i) options.hidden_layer_sizes.push_back(static_cast<int>(coefs[i].cols()));
    MLPBase candidate(options);
    candidate.coefs_ = parameters(std::move(coefs));
    candidate.intercepts_ = parameters(std::move(intercepts));
    try {
      require(!candidate.coefs_.empty(), "no layers");
      candidate.require_valid_network(outputs);
    } catch (const CorruptFile& e) {
      throw std::invalid_argument(Derived::type_name() + ": " + e.what());
    }
    options_ = std::move(options);
    coefs_ = std::move(candidate.coefs_);
    intercepts_ = std::move(candidate.intercepts_);
    state_ = {};
    loss_curve_.clear();
    n_iter_ = 0;
  }

  /// Trains on targets Y (one column per output unit): up to max_iter epochs with scikit-learn's
  /// stopping rule, or one epoch when `incremental` (partial_fit). Starts afresh unless the model is
  /// fitted and this is partial_fit or a warm start.
  void train(const Eigen::Ref<const Matrix<T>>& X, const Matrix<T>& Y, bool incremental,
             const ProgressCallback& callback) {
    check_options(options_, Derived::type_name());
    detail::check_finite(Derived::type_name(), X);
    this->check_feature_names_for(X.cols());
    if (coefs_.empty() || !(incremental || options_.warm_start)) {
      state_ = {};
      Random random(options_.random_state);
      initialize(X.cols(), Y.cols(), random);
      state_.random_state = random.state();
      loss_curve_.clear();
      n_iter_ = 0;
    } else {
      detail::check_features(Derived::type_name(), n_features_in(), X.cols());
      if (state_.empty()) {  // a model from a file without training state: fresh optimizer
        state_ = {};
        state_.random_state = Random(options_.random_state).state();
      }
    }
    Random random = Random::from_state(state_.random_state);
    Optimizer optimizer(options_, coefs_, intercepts_, state_);
    const Eigen::Index n = X.rows();
    const Eigen::Index batch_size =
        std::min<Eigen::Index>(options_.batch_size ? Eigen::Index(*options_.batch_size) : 200, n);
    std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
    std::vector<Matrix<T>> activations(coefs_.size() + 1);
    const int epochs = incremental ? 1 : options_.max_iter;
    for (int epoch = 0; epoch < epochs; ++epoch) {
      std::iota(order.begin(), order.end(), Eigen::Index{0});
      if (options_.shuffle) random.shuffle(order);
      T accumulated = T(0);
      for (Eigen::Index start = 0; start < n; start += batch_size) {
        const Eigen::Index size = std::min(batch_size, n - start);
        const std::vector<Eigen::Index> rows(order.begin() + start, order.begin() + start + size);
        activations[0] = X(rows, Eigen::all);
        accumulated += backpropagate(activations, Y(rows, Eigen::all), optimizer) * static_cast<T>(size);
      }
      ++n_iter_;
      state_.samples_seen += n;
      state_.random_state = random.state();  // current after every epoch: the callback may checkpoint
      loss_curve_.push_back(accumulated / static_cast<T>(n));
      // scikit-learn's stopping rule: n_iter_no_change epochs without improving by tol.
      const T loss = loss_curve_.back();
      state_.no_improvement_count =
          loss > state_.best_loss - static_cast<T>(options_.tol) ? state_.no_improvement_count + 1 : 0;
      state_.best_loss = std::min(state_.best_loss, loss);
      if (callback && !callback(Progress{n_iter_, static_cast<double>(loss), static_cast<const Derived&>(*this)}))
        break;
      if (!incremental && state_.no_improvement_count > options_.n_iter_no_change) break;
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
    field(ar, "coefs_", coefs_, Values::finite);
    field(ar, "intercepts_", intercepts_, Values::finite);
    field(ar, "loss_curve_", loss_curve_);
    field(ar, "n_iter_", n_iter_);
  }

  /// Fields added in schema version 3: warm_start and the training state.
  template <class Archive>
  void serialize_training_state(Archive& ar, std::uint32_t version) {
    if (version < 3) {
      options_.warm_start = false;
      state_ = {};
      return;
    }
    field(ar, "warm_start", options_.warm_start);
    field(ar, "optimizer_first_moments_", state_.first_moments, Values::finite);
    field(ar, "optimizer_second_moments_", state_.second_moments, Values::finite);
    field(ar, "optimizer_step_", state_.step);
    field(ar, "random_state_", state_.random_state);
    field(ar, "best_loss_", state_.best_loss);
    field(ar, "no_improvement_count_", state_.no_improvement_count);
    field(ar, "t_", state_.samples_seen);
  }

  /// Load-time invariants: the layers chain, match the options and produce `outputs` values.
  void require_valid_network(Eigen::Index outputs) const {
    require_valid_options(options_, Derived::type_name());
    require(coefs_.size() == intercepts_.size(), "coefs_ and intercepts_ have different numbers of layers");
    require(n_iter_ >= 0, "n_iter_ is negative");
    require(!coefs_.empty() || state_.empty(), "a training state without weights");
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
    }
    require(coefs_.back().cols() == outputs, "the output layer has " + std::to_string(coefs_.back().cols()) +
                                                 " units, expected " + std::to_string(outputs));
    require_valid_training_state();
  }

  /// Load-time invariants of the training state: moments shaped like the parameters, a generator
  /// state that parses, sane counters.
  void require_valid_training_state() const {
    if (state_.empty()) {
      require(state_.first_moments.empty() && state_.second_moments.empty(), "optimizer moments without a state");
      return;
    }
    const std::size_t layers = coefs_.size();
    require(state_.first_moments.size() == 2 * layers && state_.second_moments.size() == 2 * layers,
            "optimizer moments do not match the layers");
    for (std::size_t i = 0; i < 2 * layers; ++i) {
      const Eigen::Index rows = i < layers ? coefs_[i].rows() : intercepts_[i - layers].size();
      const Eigen::Index cols = i < layers ? coefs_[i].cols() : 1;
      for (const auto* moments : {&state_.first_moments, &state_.second_moments})
        require((*moments)[i].rows() == rows && (*moments)[i].cols() == cols,
                "optimizer moments do not match the parameters");
    }
    require(state_.step >= 0 && state_.samples_seen >= 0 && state_.no_improvement_count >= 0,
            "negative training counters");
    require(!std::isnan(state_.best_loss), "best_loss_ is NaN");
    try {
      Random::from_state(state_.random_state);
    } catch (const std::invalid_argument&) {
      require(false, "random_state_ is not a generator state");
    }
  }

  Options options_;
  std::vector<Parameter<Matrix<T>>> coefs_;
  std::vector<Parameter<Vector<T>>> intercepts_;
  std::vector<T> loss_curve_;
  int n_iter_ = 0;
  TrainingState<T> state_;

 private:
  Output output() const { return static_cast<const Derived&>(*this).output_kind(); }

  /// forward() for rows that fit in one block.
  Matrix<T> forward_block(const Eigen::Ref<const Matrix<T>>& X) const {
    Matrix<T> a;  // the previous layer's activations; the first layer reads X in place
    for (std::size_t i = 0; i < coefs_.size(); ++i) {
      Matrix<T> z(X.rows(), coefs_[i].cols());
      if (i == 0)
        z.noalias() = X * coefs_[i].view();
      else
        z.noalias() = a * coefs_[i].view();
      z.rowwise() += intercepts_[i].view().transpose();
      activate_layer(i, z);
      a.swap(z);
    }
    return a;
  }

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
      advise_huge_pages(W);  // as loads do
      for (Eigen::Index r = 0; r < W.rows(); ++r)  // row by row, as numpy fills (fan_in, fan_out)
        for (Eigen::Index c = 0; c < W.cols(); ++c) W(r, c) = draw();
      Vector<T> b(sizes[i + 1]);
      for (auto& v : b) v = draw();
      coefs_.push_back(std::move(W));
      intercepts_.push_back(std::move(b));
    }
  }

  /// Adam or SGD with momentum: scikit-learn's AdamOptimizer and SGDOptimizer (constant rate),
  /// keeping its moments and step count in the training state.
  class Optimizer {
   public:
    Optimizer(const Options& options, const std::vector<Parameter<Matrix<T>>>& coefs,
              const std::vector<Parameter<Vector<T>>>& intercepts, TrainingState<T>& state)
        : options_(options), state_(state) {
      if (!state_.first_moments.empty()) return;  // resuming
      for (const auto& W : coefs) state_.first_moments.emplace_back(Matrix<T>::Zero(W.rows(), W.cols()));
      for (const auto& b : intercepts) state_.first_moments.emplace_back(Matrix<T>::Zero(b.size(), 1));
      state_.second_moments = state_.first_moments;
    }

    /// Called once per minibatch, before the parameters are updated in order.
    void next_step() {
      ++state_.step;
      if (options_.solver == Solver::adam) {
        const double t = static_cast<double>(state_.step);
        rate_ = static_cast<T>(options_.learning_rate_init * std::sqrt(1.0 - std::pow(options_.beta_2, t)) /
                               (1.0 - std::pow(options_.beta_1, t)));
      }
    }

    /// Applies the update for parameter number `index` given its gradient.
    template <class PlainMatrix, class Grad>
    void update(std::size_t index, Parameter<PlainMatrix>& parameter, const Grad& grad) {
      auto first = state_.first_moments[index].mutable_view();
      auto second = state_.second_moments[index].mutable_view();
      auto values = parameter.mutable_view();
      auto m = first.reshaped();
      auto v = second.reshaped();
      auto p = values.reshaped();
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
    TrainingState<T>& state_;
    T rate_ = T(0);
  };

  /// One forward and backward pass over a minibatch (activations[0] holds its rows) and the
  /// parameter update; returns the minibatch loss including the L2 penalty.
  T backpropagate(std::vector<Matrix<T>>& activations, const Matrix<T>& Y, Optimizer& optimizer) {
    const std::size_t layers = coefs_.size();
    for (std::size_t i = 0; i < layers; ++i) {
      activations[i + 1].noalias() = activations[i] * coefs_[i].view();
      activations[i + 1].rowwise() += intercepts_[i].view().transpose();
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
    for (const auto& W : coefs_) penalty += W.view().squaredNorm();
    loss += T(0.5) * alpha * penalty / n;

    // Every output/loss pair here has the same gradient with respect to the output scores.
    Matrix<T> delta = out - Y;
    std::vector<Matrix<T>> coef_grads(layers);
    std::vector<Vector<T>> intercept_grads(layers);
    for (std::size_t i = layers; i-- > 0;) {
      coef_grads[i].noalias() = activations[i].transpose() * delta;
      coef_grads[i] = (coef_grads[i] + alpha * coefs_[i].view()) / n;
      intercept_grads[i] = delta.colwise().mean().transpose();
      if (i > 0) {
        Matrix<T> previous = delta * coefs_[i].view().transpose();
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
