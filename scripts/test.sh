#!/usr/bin/env bash
# Builds and runs the whole test suite: the library's tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, the quickstart example, and a consumer project built against an
# installed copy; it also builds (but does not run) the benchmarks, so they keep compiling. Ends
# with CTest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh python3-sklearn python3-numpy libbenchmark-dev  # reference check, benchmarks
cmake -S . -B build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLPERSIST_SANITIZE=ON -DMLPERSIST_BUILD_BENCHMARKS=ON
cmake --build build/test -j "$(nproc)"
cd build/test
ctest --output-on-failure -j "$(nproc)"
