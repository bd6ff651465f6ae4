// The body of the libFuzzer targets: arbitrary bytes, read as a file of one format, go through
// inspect and then load as the model type their envelope names (or as LinearRegression<double> when
// it names none), so every model type's loader is reachable. Anything but an mlpersist::Error is a
// finding: a crash, a sanitizer report, another exception, or a loaded model that cannot predict
// or be saved again.
//
// XML inputs are also parsed with the second half on another thread (which large files get), from
// the middle: it must give what the one-thread parse gives.
//
// Binary inputs without a valid trailer get one appended (length and checksum), so the fuzzer explores
// the payload instead of failing the checksum; trailer checks are covered by the exhaustive bit-flip
// tests (test_integrity.cpp).
#include "seal.hpp"
#include "xml_outcome.hpp"
#include "zoo.hpp"

#include <mlpersist/mlpersist.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

namespace {

using mlpersist::Format;

std::string sealed(const std::uint8_t* data, std::size_t size, Format format) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (format != Format::binary || size < mlpersist::detail::binary_header_size) return bytes;
  const std::uint32_t container = mlpersist::detail::get_le<std::uint32_t>(bytes, mlpersist::detail::binary_magic.size());
  if (container <= mlpersist::container_version) {
    const std::size_t trailer_size = mlpersist::detail::binary_trailer_size(container);
    if (size >= mlpersist::detail::binary_header_size + trailer_size &&
        test::trailer_for(std::string_view(bytes).substr(0, size - trailer_size)) == bytes.substr(size - trailer_size))
      return bytes;  // already a sealed file, as the seeds are
  }
  return bytes + test::trailer_for(bytes);
}

template <class Model>
void load_as(const std::string& bytes, Format format) {
  Model model;
  try {
    std::istringstream in(bytes);
    model = mlpersist::load<Model>(in, format);
  } catch (const mlpersist::Error&) {
    return;
  }
  if (model.n_features_in() > 0) {
    const mlpersist::Matrix<typename Model::Scalar> X =
        mlpersist::Matrix<typename Model::Scalar>::Ones(2, model.n_features_in());
    try {
      mlpersist::detail::model_outputs(model, X);
    } catch (const std::invalid_argument& e) {
      // A pipeline may be saved with some steps unfitted; predicting then says so. Nothing else may throw.
      if (std::string(e.what()).find("not fitted") == std::string::npos) throw;
    }
  }
  std::ostringstream out;
  mlpersist::save(model, out, format);
}

const std::map<std::string, std::function<void(const std::string&, Format)>>& loaders() {
  static const auto table = [] {
    std::map<std::string, std::function<void(const std::string&, Format)>> map;
    auto add = [&](auto type) {
      using Model = typename decltype(type)::type;
      map[Model::type_name()] = load_as<Model>;
    };
    zoo::for_each_type<float>(add);
    zoo::for_each_type<double>(add);
    return map;
  }();
  return table;
}

}  // namespace

int fuzz_load(const std::uint8_t* data, std::size_t size, Format format) {
  const std::string bytes = sealed(data, size, format);
  if (format == Format::xml &&
      test::xml_outcome(bytes, 64, bytes.size() / 2) !=
          test::xml_outcome(bytes, 64, mlpersist::detail::XmlDocument::no_second_half))
    throw std::logic_error("the two-thread XML parse differs from the one-thread parse");
  std::string type = "LinearRegression<double>";
  try {
    std::istringstream in(bytes);
    const auto info = mlpersist::inspect(in);
    if (loaders().count(info.model_type) != 0) type = info.model_type;
  } catch (const mlpersist::Error&) {
  }
  loaders().at(type)(bytes, format);
  return 0;
}
