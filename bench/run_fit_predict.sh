#!/usr/bin/env bash
# Builds the fit/predict benchmark (Release) in build/bench, times mlpersist and then scikit-learn
# on the same data in this one run, and prints the comparison as a Markdown table.
#
#   bash bench/run_fit_predict.sh
#
# The raw results stay in build/bench/mlpersist.json and build/bench/sklearn.json.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
build=build/bench

# The compiler runs niced on one job: the machine is shared with other builds.
nice -n 10 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DMLPERSIST_BUILD_BENCHMARKS=ON \
  -DMLPERSIST_BUILD_TESTS=OFF -DMLPERSIST_BUILD_EXAMPLES=OFF > /dev/null  # errors still reach stderr
nice -n 10 cmake --build "$build" --target bench_fit_predict -j1

echo "== mlpersist (Google Benchmark)"
"$build/bench/bench_fit_predict" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$build/mlpersist.json" --benchmark_out_format=json
echo "== scikit-learn"
/usr/bin/python3 bench/sklearn_fit_predict.py --out "$build/sklearn.json"

echo
/usr/bin/python3 bench/fit_predict_table.py "$build/mlpersist.json" "$build/sklearn.json" "$build/CMakeCache.txt"
echo "- Command: bash bench/run_fit_predict.sh (total $((SECONDS - start)) s, build included)"
