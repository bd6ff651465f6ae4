#pragma once
// Reads the scikit-learn reference files (tests/reference/data/*.json, written by
// tests/reference/make_reference.py) and rebuilds the datasets they were computed on.
#include "zoo.hpp"

#include <mlpersist/mlpersist.hpp>  // configures rapidjson before it is included here

#include <rapidjson/document.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace reference {

using mlpersist::Labels;
using mlpersist::Matrix;
using mlpersist::Vector;
using Json = rapidjson::Value;

inline rapidjson::Document read(const std::string& name) {
  const std::string path = std::string(MLPERSIST_TEST_DATA_DIR) + "/../reference/data/" + name;
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document document;
  document.Parse(text.str().c_str());
  if (document.HasParseError() || !document.IsObject()) throw std::runtime_error("cannot read " + path);
  return document;
}

inline Vector<double> vector(const Json& array) {
  Vector<double> out(static_cast<Eigen::Index>(array.Size()));
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) out(i) = array[i].GetDouble();
  return out;
}

inline Labels labels(const Json& array) {
  Labels out(static_cast<Eigen::Index>(array.Size()));
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) out(i) = array[i].GetInt();
  return out;
}

inline std::vector<Eigen::Index> indices(const Json& array) {
  std::vector<Eigen::Index> out;
  for (const auto& value : array.GetArray()) out.push_back(value.GetInt64());
  return out;
}

/// A matrix stored as a list of rows.
inline Matrix<double> matrix(const Json& rows) {
  const auto n = static_cast<Eigen::Index>(rows.Size());
  const auto p = n == 0 ? Eigen::Index{0} : static_cast<Eigen::Index>(rows[0].Size());
  Matrix<double> out(n, p);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < p; ++j)
      out(i, j) = rows[static_cast<rapidjson::SizeType>(i)][static_cast<rapidjson::SizeType>(j)].GetDouble();
  return out;
}

/// u(a) = ((a * 2654435761) mod 2^32) / 2^32 - 0.5, exact in double (see tests/reference/README.md).
inline double u(std::uint64_t a) {
  return static_cast<double>((a * 2654435761u) % (std::uint64_t{1} << 32)) / 4294967296.0 - 0.5;
}

struct Synthetic {
  Matrix<double> X;
  Vector<double> y;
};

/// The 5000 x 200 synthetic problem of the reference files.
inline const Synthetic& synthetic() {
  static const Synthetic data = [] {
    const Eigen::Index n = 5000;
    const Eigen::Index p = 200;
    Synthetic s{Matrix<double>(n, p), Vector<double>(n)};
    Vector<double> w(p);
    for (Eigen::Index j = 0; j < p; ++j) w(j) = u(static_cast<std::uint64_t>(j * 31 + 5)) * 4;
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < p; ++j) s.X(i, j) = u(static_cast<std::uint64_t>(i * 1000003 + j * 7919 + 17));
    for (Eigen::Index i = 0; i < n; ++i) s.y(i) = s.X.row(i).dot(w) + u(static_cast<std::uint64_t>(i * 97 + 3)) * 0.1;
    return s;
  }();
  return data;
}

/// Features of a named dataset of the reference files.
inline Matrix<double> features(const std::string& name) {
  if (name.rfind("synthetic", 0) == 0) return synthetic().X;
  if (name == "diabetes_rank_deficient") {
    const auto& X = zoo::dataset<double>("diabetes").X;
    Matrix<double> out(X.rows(), X.cols() + 1);
    out << X, 2.0 * X.col(2);  // exactly collinear, also after centring
    return out;
  }
  if (name == "iris_constant_column") {
    Matrix<double> X = zoo::dataset<double>("iris").X;
    X.col(2).setConstant(7.0);
    return X;
  }
  return mlpersist_examples::read_csv<double>(std::string(MLPERSIST_DATA_DIR) + "/" + name + ".csv").X;
}

/// Regression target of a named dataset.
inline Vector<double> target(const std::string& name) {
  if (name.rfind("synthetic", 0) == 0) return synthetic().y;
  if (name == "diabetes_rank_deficient") return zoo::dataset<double>("diabetes").target;
  return mlpersist_examples::read_csv<double>(std::string(MLPERSIST_DATA_DIR) + "/" + name + ".csv").target;
}

/// Class labels of a named dataset.
inline Labels classes_of(const std::string& name) {
  if (name == "synthetic_binary") return (synthetic().y.array() > 0).cast<int>();
  if (name == "synthetic_4class") {
    const auto& y = synthetic().y;
    Labels out(y.size());
    for (Eigen::Index i = 0; i < y.size(); ++i) out(i) = y(i) < -1 ? 0 : y(i) < 0 ? 1 : y(i) < 1 ? 2 : 3;
    return out;
  }
  return target(name).cast<int>();
}

/// (X - mean) / std with the population std, a zero std replaced by 1, as the reference script does.
inline Matrix<double> standardize(const Matrix<double>& X) {
  return mlpersist::StandardScaler<double>().fit(X).transform(X);
}

/// max |a - b| relative to max |b|.
template <class A, class B>
double relative_error(const A& a, const B& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(b.cwiseAbs().maxCoeff(), 1e-300);
}

}  // namespace reference
