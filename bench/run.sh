#!/usr/bin/env bash
# Runs every benchmark in one go and writes the results to docs/performance/:
#   - save and load speed of each mlpersist format against memcpy, raw write()/read() and Python's
#     pickle, joblib, numpy, torch, h5py and json, for MLP and linear models of 1e5 to 5e7 parameters
#     (bench_persistence and python_peers.py), as README.md and throughput.png;
#   - fit and predict time against scikit-learn (bench_fit_predict), appended to README.md, with the
#     predictions also timed with Eigen's products handed to OpenBLAS (bench_fit_predict_openblas);
#   - the compile time of examples/quickstart.cpp, and a description of the machine.
#
#   bash bench/run.sh            # about 13 minutes on 2 cores, build included
#
# Installs what it needs with apt-get (Debian packages only). Benchmarks are noisy: run it on an
# otherwise idle machine. Raw results: docs/performance/{persistence,peers,fit_predict,fit_predict_openblas,sklearn}.json.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
build=build/bench
out=docs/performance
work=$(mktemp -d "${TMPDIR:-/tmp}/mlpersist-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# OpenBLAS gives numpy (and so scikit-learn) an optimised BLAS, as the comparison requires; its
# development files let bench_fit_predict_openblas link it too.
bash scripts/install-deps.sh libbenchmark-dev python3-numpy python3-sklearn python3-joblib python3-torch \
  python3-h5py python3-matplotlib python3-threadpoolctl libopenblas0-pthread libopenblas-dev
mkdir -p "$out"

# -march=native: a header-only library is compiled with its user's flags, and OpenBLAS, which numpy
# uses, picks this CPU's instructions (AVX2, FMA) at run time too.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-march=native -DMLPERSIST_BUILD_BENCHMARKS=ON \
  -DMLPERSIST_BUILD_TESTS=OFF -DMLPERSIST_BUILD_EXAMPLES=OFF > /dev/null  # errors still reach stderr
cmake --build "$build" --target bench_persistence bench_fit_predict bench_fit_predict_openblas -j"$(nproc)"

echo "== compile time of examples/quickstart.cpp (3 runs each)"
compile_times() {  # prints "median_seconds peak_MiB" for one g++ command line
  local runs=()
  local memory=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/time" g++ -std=c++17 "$@" -DCEREAL_THREAD_SAFE=1 -Iinclude -Iexamples/common -DMLPERSIST_DATA_DIR=\"examples/data\" \
      -I/usr/include/eigen3 -c examples/quickstart.cpp -o "$work/quickstart.o"
    read -r seconds kib < "$work/time"
    runs+=("$seconds")
    memory=$kib
  done
  printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p | tr '\n' ' '
  echo "$((memory / 1024))"
}
read -r o0_s o0_mib < <(compile_times -O0)
read -r o2_s o2_mib < <(compile_times -O2)

# glibc's malloc moves its thresholds as the process frees large blocks, so whether a load gets
# memory back warm or as fresh pages (zeroed, faulted in) depended on what ran before it: the 1e6
# MLP's 4 MB arrays loaded in 0.8 ms or 2.1 ms (np.load: 1.3 or 3.0 ms) in the same build. Both
# sides run with the thresholds fixed: blocks under 32 MiB come from the heap, which keeps up to
# 64 MiB of freed memory; larger ones are mapped fresh each time.
malloc_fixed="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864"
echo "== mlpersist (Google Benchmark)"
GLIBC_TUNABLES=$malloc_fixed "$build/bench/bench_persistence" --dir="$work" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.2 --benchmark_out="$out/persistence.json" \
  --benchmark_out_format=json
echo "== Python peers"
GLIBC_TUNABLES=$malloc_fixed /usr/bin/python3 bench/python_peers.py --out "$out/peers.json" --dir "$work"
echo "== fit and predict, single-threaded on both sides"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$build/bench/bench_fit_predict" --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out/fit_predict.json" --benchmark_out_format=json
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$build/bench/bench_fit_predict_openblas" --benchmark_filter=predict \
  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_out="$out/fit_predict_openblas.json" \
  --benchmark_out_format=json
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/sklearn_fit_predict.py --out "$out/sklearn.json"

# The machine, and the compile times, as tables at the end of the report.
/usr/bin/python3 - "$work/extra.json" "$o0_s" "$o0_mib" "$o2_s" "$o2_mib" "$work" <<'EOF'
import json, os, platform, subprocess, sys
path, o0_s, o0_mib, o2_s, o2_mib, work = sys.argv[1:]
def run(*command):
    return subprocess.run(command, capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in run("lscpu").splitlines() if l.startswith("Model name")), "?")
with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
    thp = f.read().strip()
memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
json.dump([
    {"title": "Compile time of examples/quickstart.cpp (whole program: all models, all formats), median of 3",
     "header": ["flags", "seconds", "peak compiler memory (MiB)"],
     "rows": [["g++ -std=c++17 -O0", o0_s, o0_mib], ["g++ -std=c++17 -O2", o2_s, o2_mib]]},
    {"title": "Machine",
     "header": ["what", "value"],
     "rows": [["CPU", f"{cpu}, {os.cpu_count()} logical cores"], ["memory", f"{memory_gib:.0f} GiB"],
              ["kernel", platform.release()], ["transparent huge pages", thp],
              ["file system of the benchmark files", run("df", "--output=fstype,source", work).splitlines()[-1]],
              ["compiler", run("g++", "--version").splitlines()[0]],
              ["Python", platform.python_version()],
              ["BLAS (numpy)", run("/usr/bin/python3", "-c", "import sys; sys.path.insert(0, 'bench'); "
                                   "import sklearn_fit_predict as s; print(s.blas_info()['summary'])")]]},
], open(path, "w"))
EOF

/usr/bin/python3 bench/report.py --cpp "$out/persistence.json" --python "$out/peers.json" --extra "$work/extra.json" \
  --out-md "$work/persistence.md" --out-png "$out/throughput.png"
{
  cat bench/performance_intro.md
  echo
  echo "Produced by \`bash bench/run.sh\` on $(date -u +%Y-%m-%d) in $((SECONDS - start)) s."
  echo
  echo "![throughput against model size](throughput.png)"
  echo
  cat "$work/persistence.md"
  echo
  echo "## Fit and predict against scikit-learn"
  echo
  /usr/bin/python3 bench/fit_predict_table.py "$out/fit_predict.json" "$out/sklearn.json" "$build/CMakeCache.txt" \
    "$out/fit_predict_openblas.json"
} > "$out/README.md"
echo "Wrote $out/README.md and $out/throughput.png in $((SECONDS - start)) s"
