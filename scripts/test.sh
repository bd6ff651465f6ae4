#!/usr/bin/env bash
# Builds and runs the whole test suite: the library's tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, the quickstart example, a consumer project built against an installed
# copy, and (built with clang by the test suite itself) the libFuzzer targets for MLPERSIST_FUZZ_SECONDS
# each and the concurrency tests under ThreadSanitizer. It also builds (but does not run) the
# benchmarks, so they keep compiling. Ends with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
# reference check, benchmarks (OpenBLAS for the EIGEN_USE_BLAS variant), fuzzing and ThreadSanitizer
bash scripts/install-deps.sh python3-sklearn python3-numpy libbenchmark-dev libopenblas-dev clang-14 libclang-rt-14-dev
# -O1 with line tables only: half the compile time of -O2 -g for these template-heavy tests, and the
# sanitizers' reports still name file and line.
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
  -DMLPERSIST_SANITIZE=ON -DMLPERSIST_BUILD_BENCHMARKS=ON
cmake --build build/test -j "$(nproc)"
cd build/test
ctest --output-on-failure -j "$(nproc)"
