#pragma once
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"
#include "mlpersist/models/detail/feature_names.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

namespace mlpersist {

/// A chain of transformers ending in an estimator, as scikit-learn's Pipeline: fit fits each
/// transformer on the output of the previous one and the estimator on the last; predict transforms
/// then predicts. It is fitted, predicts and is saved as one object.
///
///     Pipeline pipe(StandardScaler<double>{}, LogisticRegression<double>{});
///     pipe.fit(X, y).predict(X);
template <class... Steps>
class Pipeline : public detail::WithFeatureNames<Pipeline<Steps...>> {
  static_assert(sizeof...(Steps) >= 1, "a Pipeline needs at least one step");
  using Tuple = std::tuple<Steps...>;
  static constexpr std::size_t last_index = sizeof...(Steps) - 1;

 public:
  using Scalar = typename std::tuple_element_t<0, Tuple>::Scalar;
  static constexpr std::uint32_t schema_version = 2;
  static std::string type_name() {
    std::string name = "Pipeline<";
    ((name += Steps::type_name() + ","), ...);
    name.back() = '>';
    return name;
  }

  Pipeline() = default;
  explicit Pipeline(Steps... steps) : steps_(std::move(steps)...) {}

  template <class Target>
  Pipeline& fit(const Eigen::Ref<const Matrix<Scalar>>& X, const Target& y) {
    this->check_feature_names_for(X.cols());
    const Matrix<Scalar> Xt = fit_transformers(X, std::make_index_sequence<last_index>{});
    std::get<last_index>(steps_).fit(Xt, y);
    return *this;
  }

  /// X passed through every transformer (all steps but the last).
  Matrix<Scalar> transform(const Eigen::Ref<const Matrix<Scalar>>& X) const {
    return transform_all(X, std::make_index_sequence<last_index>{});
  }

  auto predict(const Eigen::Ref<const Matrix<Scalar>>& X) const { return final_step().predict(transform(X)); }
  auto predict_proba(const Eigen::Ref<const Matrix<Scalar>>& X) const {
    return final_step().predict_proba(transform(X));
  }

  template <std::size_t I>
  const auto& step() const {
    return std::get<I>(steps_);
  }
  template <std::size_t I>
  auto& step() {
    return std::get<I>(steps_);
  }
  const auto& final_step() const { return std::get<last_index>(steps_); }
  Eigen::Index n_features_in() const { return std::get<0>(steps_).n_features_in(); }

  template <class Archive>
  void serialize(Archive& ar, std::uint32_t version) {
    check_schema_version<Pipeline>(version);
    serialize_steps(ar, std::index_sequence_for<Steps...>{});
    this->serialize_feature_names(ar, version);
    if constexpr (detail::is_loading_v<Archive>) require_chained(std::make_index_sequence<last_index>{});
  }

 private:
  template <std::size_t... I>
  Matrix<Scalar> fit_transformers(const Eigen::Ref<const Matrix<Scalar>>& X, std::index_sequence<I...>) {
    Matrix<Scalar> Xt = X;
    ((Xt = std::get<I>(steps_).fit(Xt).transform(Xt)), ...);
    return Xt;
  }

  template <std::size_t... I>
  Matrix<Scalar> transform_all(const Eigen::Ref<const Matrix<Scalar>>& X, std::index_sequence<I...>) const {
    Matrix<Scalar> Xt = X;
    ((Xt = std::get<I>(steps_).transform(Xt)), ...);
    return Xt;
  }

  template <class Archive, std::size_t... I>
  void serialize_steps(Archive& ar, std::index_sequence<I...>) {
    (serialize_step<I>(ar), ...);
  }

  template <std::size_t I, class Archive>
  void serialize_step(Archive& ar) {
    const std::string name = "step" + std::to_string(I);
    detail::FieldScope scope(name.c_str());
    ar(cereal::make_nvp(name.c_str(), std::get<I>(steps_)));
  }

  /// Load-time invariant: each fitted step takes as many features as the previous one gives.
  template <std::size_t... I>
  void require_chained(std::index_sequence<I...>) const {
    (require_chained_pair<I>(), ...);
  }
  template <std::size_t I>
  void require_chained_pair() const {
    const auto out = std::get<I>(steps_).n_features_out();
    const auto in = std::get<I + 1>(steps_).n_features_in();
    require(out == 0 || in == 0 || out == in, "step" + std::to_string(I) + " gives " + std::to_string(out) +
                                                  " features but step" + std::to_string(I + 1) + " takes " +
                                                  std::to_string(in));
  }

  Tuple steps_;
};

}  // namespace mlpersist

MLPERSIST_TEMPLATE_SCHEMA_VERSION(mlpersist::Pipeline)
