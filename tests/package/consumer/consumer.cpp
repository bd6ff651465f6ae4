// A project that uses mlpersist: fits, saves, reloads and compares.
#include <mlpersist/mlpersist.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  mlpersist::Matrix<double> X(4, 1);
  X << 0, 1, 2, 3;
  mlpersist::Vector<double> y(4);
  y << 1, 3, 5, 7;
  mlpersist::LinearRegression<double> model({.fit_intercept = true, .alpha = 0.0});
  model.fit(X, y);
  mlpersist::save(model, argv[1]);
  const auto loaded = mlpersist::load<mlpersist::LinearRegression<double>>(argv[1]);
  const bool same = loaded.predict(X) == model.predict(X);
  std::cout << "mlpersist " << mlpersist::library_version << ": reloaded model "
            << (same ? "matches" : "DIFFERS") << '\n';
  return same ? 0 : 1;
}
