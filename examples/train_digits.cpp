// Trains an MLP on the digits dataset with a progress bar, saving a checkpoint every few epochs.
// Kill it at any moment and run it again: it resumes from the last checkpoint, and the final model
// is the same, bit for bit, as if it had never stopped.
//
//   train_digits [CHECKPOINT] [EPOCHS]      (defaults: digits_checkpoint.bin, 60)
#include "dataset.hpp"

#include <mlpersist/mlpersist.hpp>

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>

using namespace mlpersist;
using Model = Pipeline<StandardScaler<double>, MLPClassifier<double>>;

namespace {

constexpr int checkpoint_every = 5;

void draw_progress(int epoch, int total, double loss, double accuracy) {
  constexpr int width = 30;
  const int filled = total > 0 ? width * epoch / total : width;
  std::cout << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
            << std::string(static_cast<std::size_t>(width - filled), ' ') << "] epoch " << std::setw(3) << epoch << '/'
            << total << "  loss " << std::fixed << std::setprecision(4) << loss << "  held-out accuracy "
            << std::setprecision(3) << accuracy << std::flush;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path checkpoint = argc > 1 ? argv[1] : "digits_checkpoint.bin";
  const int total_epochs = argc > 2 ? std::stoi(argv[2]) : 60;

  // The first 1500 rows train, the rest measure accuracy on data the model has not seen.
  const auto digits = mlpersist_examples::read_csv(MLPERSIST_DATA_DIR "/digits.csv");
  const Eigen::Index train_rows = 1500;
  const Matrix<double> X_train = digits.X.topRows(train_rows);
  const Labels y_train = digits.labels().head(train_rows);
  const Matrix<double> X_test = digits.X.bottomRows(digits.X.rows() - train_rows);
  const Labels y_test = digits.labels().tail(digits.X.rows() - train_rows);

  Model model;
  if (std::filesystem::exists(checkpoint)) {
    model = load<Model>(checkpoint);
    std::cout << "resuming from " << checkpoint << " after epoch " << model.final_step().n_iter() << '\n';
  } else {
    MLPOptions options;
    options.hidden_layer_sizes = {64};
    options.random_state = 0;
    options.warm_start = true;  // each fit continues where the last one (or the checkpoint) stopped
    options.n_iter_no_change = total_epochs;  // run the full budget, for a reproducible length
    model = Model(StandardScaler<double>{}, MLPClassifier<double>(options));
  }
  auto& network = model.step<1>();
  network.options().max_iter = total_epochs - network.n_iter();
  if (network.options().max_iter <= 0) {
    std::cout << "already trained for " << network.n_iter() << " epochs\n";
    return 0;
  }

  // The pipeline's scaler is fitted once; then the network trains on the scaled rows.
  if (network.n_iter() == 0) model.step<0>().fit(X_train);
  const Matrix<double> scaled_train = model.step<0>().transform(X_train);
  network.fit(scaled_train, y_train, [&](const MLPClassifier<double>::Progress& progress) {
    const double accuracy =
        (model.predict(X_test).array() == y_test.array()).cast<double>().mean();
    draw_progress(progress.epoch, total_epochs, progress.loss, accuracy);
    if (progress.epoch % checkpoint_every == 0 || progress.epoch == total_epochs)
      save(model, checkpoint, {{"dataset", "digits"}, {"epochs", std::to_string(progress.epoch)}});
    return true;
  });
  std::cout << "\ntrained " << network.n_iter() << " epochs; checkpoint " << checkpoint << '\n';
}
