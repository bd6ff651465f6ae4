// Writes the golden files of the current schema version: every model type x float/double x format,
// with the input rows and the outputs the model gives for them. Since container version 2 the
// files also carry those rows as their self-check.
//
//   make_golden tests/data/compat/v<N>
//
// Run it once per released schema version and commit the result; never regenerate an old version.
#include "matrix_text.hpp"
#include "zoo.hpp"

#include <filesystem>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_golden OUTPUT_DIR\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const auto& model, const auto& X) {
    mlpersist::SaveOptions options{{"purpose", "golden file"}, {"generator", "tests/tools/make_golden.cpp"}};
    options.self_check = X.template cast<double>();
    for (const char* ext : {".bin", ".json", ".xml"}) mlpersist::save(model, dir / (name + ext), options);
    matrix_text::write((dir / (name + ".inputs.txt")).string(), X.template cast<double>());
    matrix_text::write((dir / (name + ".expected.txt")).string(), zoo::outputs(model, X));
    std::cout << "wrote " << name << '\n';
  };
  zoo::for_each_model<float>(write);
  zoo::for_each_model<double>(write);
}
