#pragma once
// A seeded generator whose streams are the same on every platform: std::mt19937_64 is specified to
// the bit, but std::uniform_real_distribution and std::shuffle are not, so those are written here.
#include <cstdint>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mlpersist::detail {

class Random {
 public:
  /// A fixed seed gives the same stream everywhere; none draws one from std::random_device.
  explicit Random(std::optional<std::uint32_t> seed)
      : engine_(seed ? *seed : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

  /// The generator's state as text (the standard's portable decimal form), to save and restore.
  std::string state() const {
    std::ostringstream out;
    out << engine_;
    return out.str();
  }

  /// A generator continuing from a state() string; throws std::invalid_argument if it is not one.
  static Random from_state(const std::string& state) {
    Random random(0);
    std::istringstream in(state);
    in >> random.engine_;
    if (in.fail() || !(in >> std::ws).eof()) throw std::invalid_argument("not a random generator state");
    return random;
  }

  /// Uniform on [low, high).
  double uniform(double low, double high) {
    const double unit = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    return low + (high - low) * unit;
  }

  /// Uniform on {0, ..., n - 1}, without modulo bias.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
    std::uint64_t draw = engine_();
    while (draw >= limit) draw = engine_();
    return draw % n;
  }

  template <class T>
  void shuffle(std::vector<T>& values) {
    for (std::size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[below(i)]);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace mlpersist::detail
