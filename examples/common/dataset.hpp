#pragma once
// Reads the bundled datasets (examples/data/*.csv: a header row, then one sample per line with the
// target in the last column). Shared by the examples and the tests.
#include <mlpersist/core/types.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlpersist_examples {

template <class T>
struct Dataset {
  std::vector<std::string> feature_names;
  mlpersist::Matrix<T> X;
  mlpersist::Vector<T> target;

  mlpersist::Labels labels() const { return target.template cast<int>(); }
};

template <class T = double>
Dataset<T> read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open dataset " + path);
  Dataset<T> data;
  std::string line;
  std::getline(in, line);
  std::stringstream header(line);
  for (std::string name; std::getline(header, name, ',');) data.feature_names.push_back(name);
  data.feature_names.pop_back();  // the target column
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream cells(line);
    std::vector<double> row;
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::stod(cell));
    if (row.size() != data.feature_names.size() + 1) throw std::runtime_error(path + ": ragged row: " + line);
    rows.push_back(std::move(row));
  }
  const auto n = static_cast<Eigen::Index>(rows.size());
  const auto p = static_cast<Eigen::Index>(data.feature_names.size());
  data.X.resize(n, p);
  data.target.resize(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < p; ++j) data.X(i, j) = static_cast<T>(rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)]);
    data.target(i) = static_cast<T>(rows[static_cast<std::size_t>(i)].back());
  }
  return data;
}

}  // namespace mlpersist_examples
