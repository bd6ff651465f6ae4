// Times save and load of an MLPClassifier with layers 784-256-10 (MNIST-sized, 203,530 parameters)
// in each format, against a raw write/read of the same weight bytes in the same run, and reports
// file sizes. Medians over repeated runs; the page cache is warm.
//
//   persistence_timing [DIR] [REPEATS]      (defaults: system temp directory, 15)
#include <mlpersist/mlpersist.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

using namespace mlpersist;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double median_ms(int repeats, F&& run) {
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    run();
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
  const int repeats = argc > 2 ? std::stoi(argv[2]) : 15;

  // One epoch on random data gives a fitted network of the right shape.
  MLPClassifier<double>::Options options;
  options.hidden_layer_sizes = {256};
  options.max_iter = 1;
  options.random_state = 0;
  const Matrix<double> X = Matrix<double>::Random(200, 784);
  Labels y(200);
  for (Eigen::Index i = 0; i < y.size(); ++i) y(i) = static_cast<int>(i % 10);
  MLPClassifier<double> model(options);
  model.fit(X, y);
  std::size_t parameters = 0;
  for (const auto& W : model.coefs()) parameters += static_cast<std::size_t>(W.size());
  for (const auto& b : model.intercepts()) parameters += static_cast<std::size_t>(b.size());
  const std::size_t payload = parameters * sizeof(double);

  // Baseline: the weights written and read as raw bytes, with no format at all.
  const auto raw_path = dir / "mlp_784_256_10.raw";
  const double raw_write = median_ms(repeats, [&] {
    std::ofstream out(raw_path, std::ios::binary | std::ios::trunc);
    for (const auto& W : model.coefs()) out.write(reinterpret_cast<const char*>(W.data()), W.size() * 8);
    for (const auto& b : model.intercepts()) out.write(reinterpret_cast<const char*>(b.data()), b.size() * 8);
  });
  std::vector<char> buffer(payload);
  const double raw_read = median_ms(repeats, [&] {
    std::ifstream in(raw_path, std::ios::binary);
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  });

  std::cout << "MLPClassifier<double> 784-256-10: " << parameters << " parameters, " << payload
            << " bytes of weights; median of " << repeats << " runs\n\n";
  std::cout << "| format | file bytes | bytes/param | save ms | load ms | save MB/s | load MB/s |\n";
  std::cout << "|---|---|---|---|---|---|---|\n";
  std::cout << std::fixed;
  auto row = [&](const std::string& name, std::uintmax_t bytes, double save_ms, double load_ms) {
    std::cout << "| " << name << " | " << bytes << " | " << std::setprecision(2)
              << static_cast<double>(bytes) / static_cast<double>(parameters) << " | " << std::setprecision(2) << save_ms
              << " | " << load_ms << " | " << std::setprecision(0) << payload / 1e3 / save_ms << " | "
              << payload / 1e3 / load_ms << " |\n";
  };
  row("raw write()/read() baseline", std::filesystem::file_size(raw_path), raw_write, raw_read);
  bool identical = true;
  for (const char* ext : {".bin", ".json", ".xml"}) {
    const auto path = dir / (std::string("mlp_784_256_10") + ext);
    const double save_ms = median_ms(repeats, [&] { save(model, path); });
    MLPClassifier<double> loaded;
    const double load_ms = median_ms(repeats, [&] { loaded = load<MLPClassifier<double>>(path); });
    identical = identical && loaded.predict_proba(X) == model.predict_proba(X);
    row(ext, std::filesystem::file_size(path), save_ms, load_ms);
    std::filesystem::remove(path);
  }
  std::filesystem::remove(raw_path);
  std::cout << "\nreloaded models " << (identical ? "predict identically" : "DIFFER") << '\n';
  return identical ? 0 : 1;
}
