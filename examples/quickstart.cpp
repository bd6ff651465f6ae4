// Trains every model type on a bundled real dataset, saves each in all three formats, reloads it
// and shows that the reloaded model predicts exactly what the original did.
//
//   quickstart [OUTPUT_DIR]      (default: ./quickstart_models)
#include "dataset.hpp"

#include <mlpersist/mlpersist.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>

using namespace mlpersist;
using mlpersist_examples::read_csv;

namespace {

bool all_identical = true;

/// Saves `model` as .bin, .json and .xml, reloads each, and reports sizes and whether the reloaded
/// model's predictions on X are bit-identical to the original's.
template <class Model>
void save_and_reload(const Model& model, const Matrix<double>& X, const std::filesystem::path& dir,
                     const std::string& name, const Metadata& metadata) {
  const auto expected = model.predict(X);
  std::cout << name << " (" << Model::type_name() << ")\n";
  for (const char* ext : {".bin", ".json", ".xml"}) {
    const auto path = dir / (name + ext);
    save(model, path, metadata);
    const auto reloaded = load<Model>(path);
    const bool identical = reloaded.predict(X) == expected;
    all_identical = all_identical && identical;
    std::cout << "  " << std::left << std::setw(34) << path.filename().string() << std::right << std::setw(9)
              << std::filesystem::file_size(path) << " bytes   predictions " << (identical ? "identical" : "DIFFER")
              << '\n';
  }
}

template <class Labels1, class Labels2>
double accuracy(const Labels1& predicted, const Labels2& truth) {
  return (predicted.array() == truth.array()).template cast<double>().mean();
}

double r2(const Vector<double>& predicted, const Vector<double>& truth) {
  return 1.0 - (truth - predicted).squaredNorm() / (truth.array() - truth.mean()).square().sum();
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "quickstart_models";
  std::filesystem::create_directories(dir);
  const auto iris = read_csv(MLPERSIST_DATA_DIR "/iris.csv");
  const auto cancer = read_csv(MLPERSIST_DATA_DIR "/breast_cancer.csv");
  const auto diabetes = read_csv(MLPERSIST_DATA_DIR "/diabetes.csv");
  const auto digits = read_csv(MLPERSIST_DATA_DIR "/digits.csv");
  std::cout << std::fixed << std::setprecision(3);

  LinearRegression<double> linear;
  linear.fit(diabetes.X, diabetes.target);
  std::cout << "LinearRegression on diabetes: R^2 = " << r2(linear.predict(diabetes.X), diabetes.target) << '\n';
  save_and_reload(linear, diabetes.X, dir, "diabetes_linear", {{"dataset", "diabetes"}});

  // A pipeline scales the features first; it is saved and loaded as one object.
  Pipeline logistic(StandardScaler<double>{}, LogisticRegression<double>{});
  logistic.fit(cancer.X, cancer.labels());
  const double logistic_accuracy = accuracy(logistic.predict(cancer.X), cancer.labels());
  std::cout << "\nLogisticRegression on breast cancer: training accuracy = " << logistic_accuracy << '\n';
  save_and_reload(logistic, cancer.X, dir, "cancer_logistic",
                  {{"dataset", "breast_cancer"}, {"train_accuracy", std::to_string(logistic_accuracy)}});

  MLPClassifier<double>::Options options;
  options.hidden_layer_sizes = {64};
  options.random_state = 0;
  options.max_iter = 50;
  Pipeline mlp(StandardScaler<double>{}, MLPClassifier<double>(options));
  mlp.fit(digits.X, digits.labels());
  std::cout << "\nMLPClassifier on digits: training accuracy = " << accuracy(mlp.predict(digits.X), digits.labels())
            << " after " << mlp.final_step().n_iter() << " epochs\n";
  save_and_reload(mlp, digits.X, dir, "digits_mlp", {{"dataset", "digits"}});

  MLPRegressor<double>::Options regressor_options;
  regressor_options.hidden_layer_sizes = {32, 16};
  regressor_options.random_state = 0;
  regressor_options.max_iter = 500;
  regressor_options.learning_rate_init = 0.01;
  Pipeline regressor(StandardScaler<double>{}, MLPRegressor<double>(regressor_options));
  regressor.fit(diabetes.X, diabetes.target);
  std::cout << "\nMLPRegressor on diabetes: R^2 = " << r2(regressor.predict(diabetes.X), diabetes.target) << '\n';
  save_and_reload(regressor, diabetes.X, dir, "diabetes_mlp", {{"dataset", "diabetes"}});

  Pipeline iris_model(StandardScaler<double>{}, LogisticRegression<double>{});
  iris_model.fit(iris.X, iris.labels());
  std::cout << "\nLogisticRegression on iris: training accuracy = " << accuracy(iris_model.predict(iris.X), iris.labels())
            << '\n';
  save_and_reload(iris_model, iris.X, dir, "iris_logistic", {{"dataset", "iris"}});

  const FileInfo info = inspect(dir / "cancer_logistic.json");
  std::cout << "\ninspect(cancer_logistic.json): " << info.model_type << ", schema v" << info.schema_version
            << ", written by mlpersist " << info.library_version << " at " << info.created_utc
            << ", train_accuracy = " << info.metadata.at("train_accuracy") << '\n';
  std::cout << (all_identical ? "\nAll reloaded models predict bit-identically.\n" : "\nSOME MODELS DIFFER\n");
  return all_identical ? 0 : 1;
}
