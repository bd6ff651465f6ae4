// One libFuzzer target per format: MLPERSIST_FUZZ_FORMAT is binary, json or xml.
#include <mlpersist/io/format.hpp>

#include <cstddef>
#include <cstdint>

int fuzz_load(const std::uint8_t* data, std::size_t size, mlpersist::Format format);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return fuzz_load(data, size, mlpersist::Format::MLPERSIST_FUZZ_FORMAT);
}
