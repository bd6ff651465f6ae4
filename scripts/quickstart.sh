#!/usr/bin/env bash
# Builds and runs the quickstart demo: trains every model on bundled datasets, saves each in all
# three formats, reloads and checks the predictions are identical.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/quickstart -DCMAKE_BUILD_TYPE=Release -DMLPERSIST_BUILD_TESTS=OFF -DMLPERSIST_BUILD_EXAMPLES=ON
cmake --build build/quickstart --target quickstart -j "$(nproc)"
build/quickstart/examples/quickstart build/quickstart/models
