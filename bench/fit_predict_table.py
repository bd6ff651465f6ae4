#!/usr/bin/python3
"""Prints the Markdown comparison of mlpersist and scikit-learn from the two benchmarks' JSON.

    fit_predict_table.py MLPERSIST_JSON SKLEARN_JSON [CMAKE_CACHE [OPENBLAS_JSON]]

MLPERSIST_JSON is Google Benchmark's output of bench_fit_predict (run with
--benchmark_report_aggregates_only, so only aggregates are in it); SKLEARN_JSON is
sklearn_fit_predict.py's; OPENBLAS_JSON, if given, is bench_fit_predict_openblas's (Eigen's
products through OpenBLAS), whose rows are added with their names marked. Operations match by name.
"""
import json
import os
import re
import sys


def mlpersist_medians(path):
    """{operation: (seconds, rows_per_s or None, n_iter or None)} from the median aggregates."""
    with open(path) as f:
        report = json.load(f)
    to_seconds = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    medians = {}
    for run in report["benchmarks"]:
        if run.get("aggregate_name") != "median":
            continue
        # Google Benchmark appends the run's settings to its name, e.g. "/real_time".
        name = re.sub(r"(/(real_time|iterations:\d+|repeats:\d+|min_time:[\d.]+))+$", "", run["run_name"])
        n_iter = run.get("n_iter")
        medians[name] = (run["real_time"] * to_seconds[run["time_unit"]], run.get("rows_per_s"),
                         None if n_iter is None else round(n_iter))
    return report["context"], medians


def duration(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def rate(rows_per_s):
    return "" if rows_per_s is None else f"{rows_per_s:,.0f}"


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def compiler(cmake_cache):
    """The C++ compiler and Release flags the benchmark was built with, from CMakeCache.txt."""
    if not cmake_cache or not os.path.exists(cmake_cache):
        return "unknown"
    entries = {}
    with open(cmake_cache) as f:
        for line in f:
            match = re.match(r"(CMAKE_CXX_COMPILER|CMAKE_CXX_FLAGS|CMAKE_CXX_FLAGS_RELEASE):\w+=(.*)", line)
            if match:
                entries[match.group(1)] = match.group(2).strip()
    flags = " ".join(v for v in (entries.get("CMAKE_CXX_FLAGS"), entries.get("CMAKE_CXX_FLAGS_RELEASE")) if v)
    return f"{entries.get('CMAKE_CXX_COMPILER', 'unknown')} {flags}"


OPENBLAS_MARK = " (EIGEN_USE_BLAS, OpenBLAS)"


def main(mlpersist_json, sklearn_json, cmake_cache=None, openblas_json=None):
    context, eigen = mlpersist_medians(mlpersist_json)
    openblas = mlpersist_medians(openblas_json)[1] if openblas_json else {}
    ours = {}  # each OpenBLAS row right after the row it varies
    for name, result in eigen.items():
        ours[name] = result
        if name in openblas:
            ours[name + OPENBLAS_MARK] = openblas[name]
    with open(sklearn_json) as f:
        sklearn = json.load(f)
    theirs = sklearn["results"]

    print("| operation | mlpersist median | scikit-learn median | ratio (sklearn / mlpersist) "
          "| mlpersist rows/s | scikit-learn rows/s | iterations (mlpersist / sklearn) |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for name, (seconds, rows_per_s, n_iter) in ours.items():
        other = theirs.get(name.replace(OPENBLAS_MARK, ""))
        if other is None:
            print(f"| {name} | {duration(seconds)} | (not run) | | {rate(rows_per_s)} | | |")
            continue
        iterations = "" if n_iter is None else f"{n_iter} / {other.get('n_iter', '?')}"
        print(f"| {name} | {duration(seconds)} | {duration(other['seconds'])} | {other['seconds'] / seconds:.2f} "
              f"| {rate(rows_per_s)} | {rate(other.get('rows_per_s'))} | {iterations} |")

    print()
    print(f"- Machine: {os.cpu_count()} logical CPUs (nproc: {len(os.sched_getaffinity(0))}), {cpu_model()}; "
          f"1-minute load average {context['load_avg'][0]:.2f} when mlpersist's run started, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print(f"- mlpersist: Eigen threads {context.get('eigen_threads', '?')}, "
          f"SIMD {context.get('eigen_simd', '?')}; {compiler(cmake_cache)}")
    c = sklearn["context"]
    print(f"- scikit-learn {c['sklearn']}, numpy {c['numpy']}, Python {c['python']}; "
          f"numpy's BLAS: {c['blas']['summary']}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:])
