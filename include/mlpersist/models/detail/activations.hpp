#pragma once
// Activation functions shared by the linear and neural models, applied in place.
#include "mlpersist/core/types.hpp"

#include <array>

namespace mlpersist {

/// Hidden-layer activations of the MLPs, with scikit-learn's names.
enum class Activation { identity, logistic, tanh, relu };
inline constexpr std::array<const char*, 4> activation_names{"identity", "logistic", "tanh", "relu"};

namespace detail {

/// Row-wise softmax, shifted by the row maximum so exp never overflows.
template <class T>
void softmax_inplace(Matrix<T>& z) {
  z.colwise() -= z.rowwise().maxCoeff();
  z = z.array().exp().matrix();
  z.array().colwise() /= z.rowwise().sum().array();
}

template <class T>
void activate_inplace(Activation activation, Matrix<T>& z) {
  switch (activation) {
    case Activation::identity: break;
    case Activation::logistic: z = (T(1) / (T(1) + (-z.array()).exp())).matrix(); break;
    case Activation::tanh: z = z.array().tanh().matrix(); break;
    case Activation::relu: z = z.cwiseMax(T(0)); break;
  }
}

/// Multiplies delta by the activation's derivative, expressed through the activation's output a.
template <class T>
void multiply_derivative(Activation activation, const Matrix<T>& a, Matrix<T>& delta) {
  switch (activation) {
    case Activation::identity: break;
    case Activation::logistic: delta.array() *= a.array() * (T(1) - a.array()); break;
    case Activation::tanh: delta.array() *= T(1) - a.array().square(); break;
    case Activation::relu: delta = (a.array() > T(0)).select(delta, T(0)); break;
  }
}

}  // namespace detail
}  // namespace mlpersist
