// Save and load speed of mlpersist's formats against the machine's limits, measured in one run:
// memcpy, and raw write()/read() of the same bytes. bench/run.sh runs this next to the Python peers
// (bench/python_peers.py) and writes docs/performance/README.md. A measurement, not a test.
//
// Benchmarks are named <method>/<op>/<model>/<size>: `mlp` is an MLPClassifier with layers
// H-H-H-10 and `linear` a LinearRegression, with `size` parameters (about: H is the nearest integer),
// float64, as bench/python_peers.py builds them. Flags besides Google Benchmark's:
//   --dir=PATH        where files are written (default: the system's temporary directory)
//   --sizes=A,B,...   parameter counts (default 1e5,1e6,1e7,5e7)
//   --text-max=N      largest size saved as JSON and XML (default 1e6)
#include <mlpersist/mlpersist.hpp>

#include <benchmark/benchmark.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mlpersist::Matrix;
using mlpersist::Vector;

struct Settings {
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::vector<double> sizes{1e5, 1e6, 1e7, 5e7};
  double text_max = 1e6;
};

// ---- Models of a given size, filled with a fast deterministic uniform (splitmix64) -------------

double uniform(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return static_cast<double>((z ^ (z >> 31)) >> 11) * 0x1.0p-53 - 0.5;
}

/// Models' arrays (and the raw baselines' bytes, below) live in memory advised for huge pages, as
/// numpy's large arrays and mlpersist's loaded models do: the Python peers save from such memory, and
/// write() copies out of it about 5% faster than out of 4 KiB pages here (fewer TLB misses). Made
/// as the type the model keeps (Matrix or Vector), so that the model takes it over: converted, it
/// was copied into memory not advised (the linear model's coefficients, until this was found).
template <class Array = Matrix<double>>
Array random_array(Eigen::Index rows, Eigen::Index cols, std::uint64_t& state) {
  Array out(rows, cols);
  mlpersist::detail::advise_huge_pages(out);
  std::generate(out.data(), out.data() + out.size(), [&] { return uniform(state); });
  return out;
}

/// The hidden width H whose H-H-H-10 network (2H^2 + 12H + 10 parameters) is nearest to `size`.
Eigen::Index hidden_width(double size) {
  const auto h = static_cast<Eigen::Index>(std::lround((-12 + std::sqrt(144 + 8 * (size - 10))) / 4));
  auto params = [](Eigen::Index w) { return 2.0 * w * w + 12.0 * w + 10; };
  return std::abs(params(h + 1) - size) < std::abs(params(h) - size) ? h + 1 : h;
}

mlpersist::MLPClassifier<double> mlp(double size) {
  const Eigen::Index h = hidden_width(size);
  std::uint64_t state = 1;
  // The weights are moved in: a braced list would copy them into memory not advised for huge pages.
  std::vector<Matrix<double>> coefs;
  for (const Eigen::Index cols : {h, h, Eigen::Index{10}}) coefs.push_back(random_array(h, cols, state));
  std::vector<Vector<double>> intercepts;
  for (const Eigen::Index rows : {h, h, Eigen::Index{10}})
    intercepts.push_back(random_array<Vector<double>>(rows, 1, state));
  mlpersist::MLPClassifier<double> model;
  model.set_parameters(std::move(coefs), std::move(intercepts), mlpersist::Labels::LinSpaced(10, 0, 9));
  return model;
}

mlpersist::LinearRegression<double> linear(double size) {
  std::uint64_t state = 2;
  mlpersist::LinearRegression<double> model;
  model.set_parameters(random_array<Vector<double>>(static_cast<Eigen::Index>(size) - 1, 1, state), 0.5);
  return model;
}

std::uint64_t parameter_count(const mlpersist::MLPClassifier<double>& model) {
  std::uint64_t count = 0;
  for (const auto& m : model.coefs()) count += static_cast<std::uint64_t>(m.size());
  for (const auto& v : model.intercepts()) count += static_cast<std::uint64_t>(v.size());
  return count;
}
std::uint64_t parameter_count(const mlpersist::LinearRegression<double>& model) {
  return static_cast<std::uint64_t>(model.coef().size()) + 1;
}

/// Reads one double per 4 KiB page of each array, as python_peers.py's load_touch does.
double touch(const double* data, Eigen::Index size) {
  double sum = 0.0;
  for (Eigen::Index i = 0; i < size; i += 4096 / sizeof(double)) sum += data[i];
  return sum;
}
double touch_pages(const mlpersist::MLPClassifier<double>& model) {
  double sum = 0.0;
  for (const auto& m : model.coefs()) sum += touch(m.data(), m.size());
  for (const auto& v : model.intercepts()) sum += touch(v.data(), v.size());
  return sum;
}
double touch_pages(const mlpersist::LinearRegression<double>& model) {
  return touch(model.coef().data(), model.coef().size());
}

// ---- Raw baselines ---------------------------------------------------------------------------

/// A fresh buffer, as a loader allocates; with `huge`, 2 MiB-aligned and advised for huge pages.
struct FreshBuffer {
  explicit FreshBuffer(std::size_t size, bool huge) {
    constexpr std::size_t huge_page = std::size_t{2} << 20;
    const std::size_t rounded = (size + huge_page - 1) / huge_page * huge_page;
    data.reset(static_cast<char*>(huge ? std::aligned_alloc(huge_page, rounded) : std::malloc(size)));
    if (huge) ::madvise(data.get(), rounded, MADV_HUGEPAGE);
  }
  std::unique_ptr<char, decltype(&std::free)> data{nullptr, &std::free};
};

/// The model's parameters as one block of bytes, in memory like the model's: what the raw baselines
/// write, read and copy.
class ParameterBytes {
 public:
  explicit ParameterBytes(std::size_t size) : buffer_(size, true), size_(size) { std::memset(data(), 1, size); }
  char* data() const { return buffer_.data.get(); }
  std::size_t size() const { return size_; }

 private:
  FreshBuffer buffer_;
  std::size_t size_;
};

template <class Model>
ParameterBytes parameter_bytes(const Model& model) {
  return ParameterBytes(parameter_count(model) * sizeof(double));
}

/// How a raw baseline writes: plain 8 MiB write() calls; the same followed by fsync; or as numpy's
/// tofile (so np.save) does, the whole file's blocks allocated first (fallocate) and then one write().
enum class RawWrite { plain, fsync, fallocate };

void write_file(const std::filesystem::path& path, const ParameterBytes& bytes, RawWrite how) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + path.string());
  if (how == RawWrite::fallocate && ::fallocate(fd, 0, 0, static_cast<off_t>(bytes.size())) != 0)
    throw std::runtime_error("fallocate failed");
  const std::size_t chunk = how == RawWrite::fallocate ? bytes.size() : std::size_t{8} << 20;
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, std::min(chunk, bytes.size() - done));
    if (n <= 0) throw std::runtime_error("write failed");
    done += static_cast<std::size_t>(n);
  }
  if (how == RawWrite::fsync) ::fsync(fd);
  ::close(fd);
}

void read_file(const std::filesystem::path& path, std::size_t size, bool huge) {
  FreshBuffer buffer(size, huge);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string());
  constexpr std::size_t chunk = std::size_t{8} << 20;
  for (std::size_t done = 0; done < size;) {
    const ssize_t n = ::read(fd, buffer.data.get() + done, std::min(chunk, size - done));
    if (n <= 0) throw std::runtime_error("read failed");
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  benchmark::DoNotOptimize(buffer.data.get());
}

// ---- Registration ----------------------------------------------------------------------------

/// Removes the previous save's file without timing it, so that every save (mlpersist's, the raw
/// baseline's, and Python's in python_peers.py) writes a new file and none pays for deleting the
/// old one (freeing 400 MB of page cache takes tens of milliseconds).
void remove_untimed(benchmark::State& state, const std::filesystem::path& path) {
  state.PauseTiming();
  std::filesystem::remove(path);
  state.ResumeTiming();
}

/// Loads start with no writeback of earlier saves in progress (it would compete for the CPU), and
/// after one untimed call, as python_peers.py's loads do: the save just before leaves the allocator
/// holding other blocks than a load's, and the first load after it took up to 4 times as long (XML
/// at 1e6: up to 170 ms, against 41-50).
template <class Load>
void settle(const Load& load) {
  ::sync();
  load();
}

/// Sets the counters the report reads, on every benchmark alike.
void count(benchmark::State& state, std::uint64_t params, const std::filesystem::path& file) {
  state.counters["params"] = static_cast<double>(params);
  state.counters["payload_bytes"] = static_cast<double>(params * sizeof(double));
  state.counters["file_bytes"] =
      std::filesystem::exists(file) ? static_cast<double>(std::filesystem::file_size(file)) : 0.0;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * params * sizeof(double)));
}

/// `min_seconds`, if given, is how long each repetition runs at least, instead of --benchmark_min_time.
void add(const std::string& name, std::function<void(benchmark::State&)> body, double min_seconds = 0) {
  auto* benchmark = benchmark::RegisterBenchmark(name.c_str(), [body](benchmark::State& state) { body(state); })
                        ->UseRealTime()
                        ->Unit(benchmark::kMillisecond)
                        ->ComputeStatistics("min", [](const std::vector<double>& v) {
                          return *std::min_element(v.begin(), v.end());
                        });
  if (min_seconds > 0) benchmark->MinTime(min_seconds);
}

std::string size_name(double size) { return std::to_string(static_cast<std::uint64_t>(size)); }

template <class Model>
void register_model(const Settings& settings, const std::string& model_name, std::function<Model(double)> make) {
  for (const double size : settings.sizes) {
    // Built once, when a benchmark of this size first runs, and shared by them all.
    auto model = std::make_shared<std::unique_ptr<Model>>();
    auto get = [model, make, size]() -> const Model& {
      if (!*model) *model = std::make_unique<Model>(make(size));
      return **model;
    };
    const std::string suffix = "/" + model_name + "/" + size_name(size);
    const std::filesystem::path stem = settings.dir / ("mlpersist_bench_" + model_name + "_" + size_name(size));

    struct Format {
      std::string method;
      mlpersist::Format format;
      bool durable;
      bool load;  // loads do not depend on how the file was saved: one load row per format
    };
    std::vector<Format> formats{{"mlpersist.binary", mlpersist::Format::binary, true, true},
                                {"mlpersist.binary.nosync", mlpersist::Format::binary, false, false}};
    if (size <= settings.text_max) {
      // Not synced, as Python's json.dump, which they are compared with.
      formats.push_back({"mlpersist.json", mlpersist::Format::json, false, true});
      formats.push_back({"mlpersist.xml", mlpersist::Format::xml, false, true});
    }
    for (const auto& f : formats) {
      const std::filesystem::path path = stem.string() + mlpersist::extension(f.format);
      mlpersist::SaveOptions options;
      options.durable = f.durable;
      // A text save or load takes 5-90 ms. Each repetition starts after a save and a sync, while
      // the machine waited for the disk, and on this VM a load right after such a pause sometimes
      // took 2-2.5 times as long (XML at 1e6: 90-110 ms against 40-50); a repetition of a few
      // loads averaged that in. At least 1 s a repetition dilutes it.
      const double min_seconds = f.format == mlpersist::Format::binary ? 0.0 : 1.0;
      add(f.method + "/save" + suffix, [=](benchmark::State& state) {
        const Model& m = get();
        for (auto _ : state) {
          remove_untimed(state, path);
          mlpersist::save(m, path, f.format, options);
        }
        count(state, parameter_count(m), path);
      }, min_seconds);
      if (!f.load) continue;
      add(f.method + "/load" + suffix, [=](benchmark::State& state) {
        const Model& m = get();
        mlpersist::save(m, path, f.format);
        auto load = [&] { return mlpersist::load<Model>(path, f.format); };
        settle(load);
        for (auto _ : state) benchmark::DoNotOptimize(load());
        count(state, parameter_count(m), path);
      }, min_seconds);
    }

    // mlpersist::map, alone and followed by reading every page once (python_peers.py's load_touch).
    for (const bool touched : {false, true}) {
      const std::filesystem::path path = stem.string() + ".bin";
      add(std::string("mlpersist.map/") + (touched ? "map_touch" : "map") + suffix, [=](benchmark::State& state) {
        const Model& m = get();
        mlpersist::save(m, path);
        auto map = [&] {
          const Model mapped = mlpersist::map<Model>(path);
          if (touched) benchmark::DoNotOptimize(touch_pages(mapped));
        };
        settle(map);
        for (auto _ : state) map();
        count(state, parameter_count(m), path);
      });
    }

    const std::filesystem::path raw = stem.string() + ".raw";
    for (const auto& [how, name] : {std::pair{RawWrite::plain, "raw_write"}, std::pair{RawWrite::fsync, "raw_write.fsync"},
                                    std::pair{RawWrite::fallocate, "raw_write.fallocate"}}) {
      add(name + std::string("/save") + suffix, [=, how = how](benchmark::State& state) {
        const auto bytes = parameter_bytes(get());
        for (auto _ : state) {
          remove_untimed(state, raw);
          write_file(raw, bytes, how);
        }
        count(state, parameter_count(get()), raw);
      });
    }
    for (const bool huge : {false, true}) {
      add(std::string(huge ? "raw_read.hugepage" : "raw_read") + "/load" + suffix, [=](benchmark::State& state) {
        const auto bytes = parameter_bytes(get());
        write_file(raw, bytes, RawWrite::plain);
        auto read = [&] { read_file(raw, bytes.size(), huge); };
        settle(read);
        for (auto _ : state) read();
        count(state, parameter_count(get()), raw);
      });
    }
    // memcpy into a buffer used before (no page faults), and into a fresh one, as a load allocates.
    for (const std::string op : {"save", "load"}) {
      add("memcpy/" + op + suffix, [=](benchmark::State& state) {
        const auto source = parameter_bytes(get());
        std::vector<char> target(source.size(), '\0');
        for (auto _ : state) {
          std::memcpy(target.data(), source.data(), source.size());
          benchmark::ClobberMemory();
        }
        count(state, parameter_count(get()), {});
      });
      add("memcpy.fresh/" + op + suffix, [=](benchmark::State& state) {
        const auto source = parameter_bytes(get());
        for (auto _ : state) {
          FreshBuffer target(source.size(), false);
          std::memcpy(target.data.get(), source.data(), source.size());
          benchmark::DoNotOptimize(target.data.get());
        }
        count(state, parameter_count(get()), {});
      });
    }
  }
}

/// Takes this program's own flags out of argv, leaving Google Benchmark's.
Settings parse_flags(int& argc, char** argv) {
  Settings settings;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string_view flag) { return std::string(arg.substr(flag.size())); };
    if (arg.rfind("--dir=", 0) == 0) {
      settings.dir = value("--dir=");
    } else if (arg.rfind("--sizes=", 0) == 0) {
      settings.sizes.clear();
      std::string list = value("--sizes=");
      for (std::size_t at = 0; at <= list.size();) {
        const std::size_t comma = std::min(list.find(',', at), list.size());
        settings.sizes.push_back(std::stod(list.substr(at, comma - at)));
        at = comma + 1;
      }
    } else if (arg.rfind("--text-max=", 0) == 0) {
      settings.text_max = std::stod(value("--text-max="));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return settings;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings settings = parse_flags(argc, argv);
  std::filesystem::create_directories(settings.dir);
  register_model<mlpersist::MLPClassifier<double>>(settings, "mlp", mlp);
  register_model<mlpersist::LinearRegression<double>>(settings, "linear", linear);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // Leave no model files behind in the directory.
  for (const auto& entry : std::filesystem::directory_iterator(settings.dir))
    if (entry.path().filename().string().rfind("mlpersist_bench_", 0) == 0) std::filesystem::remove(entry.path());
}
