#pragma once
// Two different fitted models, and a way to tell which of them a file holds: for tests where
// saves race or fail, a load must give one of the two whole models, never a mix.
#include "helpers.hpp"
#include "zoo.hpp"

#include <array>

namespace two_models {

using Model = mlpersist::MLPClassifier<double>;

/// Two different models, large enough that a save takes a while (about 230 KB in binary).
inline const Model& model(int which) {
  static const auto models = [] {
    const auto& iris = zoo::dataset<double>("iris");
    std::array<Model, 2> fitted;
    for (int i = 0; i < 2; ++i) {
      auto options = zoo::small_mlp();
      options.hidden_layer_sizes = {256, 32};
      options.max_iter = 2;
      options.random_state = static_cast<unsigned>(i + 1);
      fitted[static_cast<std::size_t>(i)] = Model(options);
      fitted[static_cast<std::size_t>(i)].fit(iris.X, iris.labels());
    }
    return fitted;
  }();
  return models[static_cast<std::size_t>(which)];
}

inline const mlpersist::Matrix<double>& rows() {
  static const mlpersist::Matrix<double> X = zoo::dataset<double>("iris").X.topRows(5);
  return X;
}

/// Which of the two models the file at `path` holds: 0 or 1, or -1 for anything else. (No Catch
/// assertion here: concurrency tests call it from many threads.)
inline int which_model(const std::filesystem::path& path) {
  const auto outputs = zoo::outputs(mlpersist::load<Model>(path), rows());
  for (int i = 0; i < 2; ++i)
    if (test::same_bits(outputs, zoo::outputs(model(i), rows()))) return i;
  return -1;
}

}  // namespace two_models
