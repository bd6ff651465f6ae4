#pragma once
// Matrices as text with every double written in hexadecimal floating point ("%a"): exact, readable
// and independent of the code under test. Used for the inputs and expected outputs of golden files.
#include <mlpersist/core/types.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

namespace matrix_text {

inline void write(const std::string& path, const mlpersist::Matrix<double>& m) {
  std::ofstream out(path);
  out << m.rows() << ' ' << m.cols() << '\n';
  char cell[64];
  for (Eigen::Index i = 0; i < m.rows(); ++i) {
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      std::snprintf(cell, sizeof cell, "%a", m(i, j));
      out << (j ? " " : "") << cell;
    }
    out << '\n';
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

inline mlpersist::Matrix<double> read(const std::string& path) {
  std::ifstream in(path);
  Eigen::Index rows = 0;
  Eigen::Index cols = 0;
  if (!(in >> rows >> cols)) throw std::runtime_error("cannot read " + path);
  mlpersist::Matrix<double> m(rows, cols);
  std::string cell;
  for (Eigen::Index i = 0; i < rows; ++i)
    for (Eigen::Index j = 0; j < cols; ++j) {
      if (!(in >> cell)) throw std::runtime_error(path + ": too few values");
      m(i, j) = std::strtod(cell.c_str(), nullptr);
    }
  return m;
}

}  // namespace matrix_text
