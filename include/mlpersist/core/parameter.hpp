#pragma once
#include <Eigen/Core>

#include <iterator>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace mlpersist {

/// A model's learned array (weights, biases, statistics): either owned, or a read-only view into a
/// file mapped by mlpersist::map, which it keeps mapped for as long as any copy of it lives.
/// Models read it through view(); the first write to a mapped array copies it into memory of its
/// own (copy-on-write), so a mapped model can still be trained further without touching the file.
template <class PlainMatrix>
class Parameter {
  static_assert(PlainMatrix::RowsAtCompileTime == Eigen::Dynamic || PlainMatrix::ColsAtCompileTime == Eigen::Dynamic,
                "Parameter holds dynamic matrices and vectors");
  static_assert(!PlainMatrix::IsRowMajor || PlainMatrix::IsVectorAtCompileTime,
                "files store column-major data, so only column-major matrices can be views into them");

 public:
  using Scalar = typename PlainMatrix::Scalar;
  using View = Eigen::Map<const PlainMatrix>;
  using MutableView = Eigen::Map<PlainMatrix>;

  Parameter() = default;
  Parameter(PlainMatrix values) : owned_(std::move(values)) {}  // NOLINT: a matrix is a parameter

  /// Replaces the values with owned ones (releasing the mapping, if this was its last user).
  Parameter& operator=(PlainMatrix values) {
    owned_ = std::move(values);
    mapped_ = nullptr;
    mapping_.reset();
    return *this;
  }

  View view() const { return mapped_ != nullptr ? View(mapped_, rows_, cols_) : View(owned_.data(), rows(), cols()); }

  /// The values, writable: a mapped array is first copied into owned memory.
  MutableView mutable_view() {
    if (mapped_ != nullptr) *this = PlainMatrix(view());
    return MutableView(owned_.data(), owned_.rows(), owned_.cols());
  }

  Eigen::Index rows() const { return mapped_ != nullptr ? rows_ : owned_.rows(); }
  Eigen::Index cols() const { return mapped_ != nullptr ? cols_ : owned_.cols(); }
  Eigen::Index size() const { return rows() * cols(); }
  /// True when the values are a view into a mapped file.
  bool is_mapped() const { return mapped_ != nullptr; }

  /// Makes this a view of rows x cols column-major values at `data`, which `mapping` keeps valid.
  void bind(const Scalar* data, Eigen::Index rows, Eigen::Index cols, std::shared_ptr<const void> mapping) {
    owned_ = PlainMatrix();
    mapped_ = data;
    rows_ = rows;
    cols_ = cols;
    mapping_ = std::move(mapping);
  }

 private:
  PlainMatrix owned_;
  const Scalar* mapped_ = nullptr;  // non-null: the values are a view into the mapping
  Eigen::Index rows_ = 0;
  Eigen::Index cols_ = 0;
  std::shared_ptr<const void> mapping_;
};

namespace detail {

/// Views of each of `parameters`, as models' accessors return them.
template <class PlainMatrix>
std::vector<typename Parameter<PlainMatrix>::View> views(const std::vector<Parameter<PlainMatrix>>& parameters) {
  std::vector<typename Parameter<PlainMatrix>::View> out;
  out.reserve(parameters.size());
  for (const auto& parameter : parameters) out.push_back(parameter.view());
  return out;
}

/// Owned Parameters holding `matrices`.
template <class PlainMatrix>
std::vector<Parameter<PlainMatrix>> parameters(std::vector<PlainMatrix> matrices) {
  return std::vector<Parameter<PlainMatrix>>(std::make_move_iterator(matrices.begin()),
                                             std::make_move_iterator(matrices.end()));
}

template <class T>
struct is_parameter : std::false_type {};
template <class M>
struct is_parameter<Parameter<M>> : std::true_type {};

}  // namespace detail
}  // namespace mlpersist
