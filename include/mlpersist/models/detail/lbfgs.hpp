#pragma once
// Limited-memory BFGS for the smooth convex objectives of the linear models. Stops like scipy's
// L-BFGS-B as scikit-learn calls it: when the largest gradient component is <= gtol, when the relative
// decrease of the objective is <= ftol, or after max_iter iterations.
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

namespace mlpersist::detail {

template <class T>
struct LbfgsResult {
  int iterations = 0;
  bool converged = false;
  T value = T(0);
};

/// Minimizes `objective(w, gradient) -> value` starting from w (updated in place).
template <class T, class Objective>
LbfgsResult<T> minimize_lbfgs(Objective&& objective, Eigen::Matrix<T, Eigen::Dynamic, 1>& w, int max_iter, T gtol,
                              int memory = 10) {
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  const T ftol = T(64) * std::numeric_limits<T>::epsilon();
  std::deque<Vec> s_history;
  std::deque<Vec> y_history;
  Vec gradient(w.size());
  T value = objective(w, gradient);
  LbfgsResult<T> result;
  Vec direction(w.size());
  Vec next_gradient(w.size());
  std::vector<T> alpha_history;
  for (result.iterations = 0; result.iterations < max_iter; ++result.iterations) {
    if (gradient.template lpNorm<Eigen::Infinity>() <= gtol) {
      result.converged = true;
      break;
    }
    // Two-loop recursion: direction = -H * gradient.
    direction = -gradient;
    alpha_history.assign(s_history.size(), T(0));
    for (std::size_t k = s_history.size(); k-- > 0;) {
      alpha_history[k] = s_history[k].dot(direction) / y_history[k].dot(s_history[k]);
      direction -= alpha_history[k] * y_history[k];
    }
    if (!s_history.empty()) direction *= s_history.back().dot(y_history.back()) / y_history.back().squaredNorm();
    for (std::size_t k = 0; k < s_history.size(); ++k) {
      const T beta = y_history[k].dot(direction) / y_history[k].dot(s_history[k]);
      direction += (alpha_history[k] - beta) * s_history[k];
    }
    T slope = gradient.dot(direction);
    if (!(slope < T(0))) {  // lost descent (numerical trouble): restart from steepest descent
      s_history.clear();
      y_history.clear();
      direction = -gradient;
      slope = -gradient.squaredNorm();
    }
    // Backtracking line search with the Armijo condition; the first step is scaled to unit length.
    T step = s_history.empty() ? std::min(T(1), T(1) / direction.norm()) : T(1);
    Vec candidate;
    T candidate_value = value;
    bool accepted = false;
    for (int trial = 0; trial < 50; ++trial) {
      candidate = w + step * direction;
      candidate_value = objective(candidate, next_gradient);
      if (std::isfinite(candidate_value) && candidate_value <= value + T(1e-4) * step * slope) {
        accepted = true;
        break;
      }
      step *= T(0.5);
    }
    if (!accepted) break;  // no progress possible at this precision
    Vec s = candidate - w;
    Vec y = next_gradient - gradient;
    const T previous_value = value;
    w.swap(candidate);
    gradient.swap(next_gradient);
    value = candidate_value;
    if (s.dot(y) > std::numeric_limits<T>::epsilon() * y.squaredNorm()) {
      s_history.push_back(std::move(s));
      y_history.push_back(std::move(y));
      if (static_cast<int>(s_history.size()) > memory) {
        s_history.pop_front();
        y_history.pop_front();
      }
    }
    if ((previous_value - value) <= ftol * std::max({std::abs(previous_value), std::abs(value), T(1)})) {
      result.converged = true;
      ++result.iterations;
      break;
    }
  }
  result.value = value;
  return result;
}

}  // namespace mlpersist::detail
