#!/usr/bin/python3
"""Times scikit-learn on the operations bench/fit_predict.cpp times for mlpersist, on the same data.

Prints JSON (or writes it to --out): for each operation, under the benchmark's name, the median
wall-clock seconds per call and, for predictions, rows per second. bench/run_fit_predict.sh runs
this and the C++ benchmark and prints the comparison.

/usr/bin/python3 because Debian's python3-sklearn is installed for the system interpreter only.
"""
import argparse
import functools
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "data")

# ---------------------------------------------------------------------------------------------
# Data: the same closed-form hash as fit_predict.cpp, so the synthetic matrices are bit-identical.
# numpy's uint64 arithmetic wraps modulo 2^64 exactly as C++'s does.

FEATURES, WEIGHTS, NOISE = 1, 2, 3  # the hash's independent streams


def hash_matrix(stream, rows, cols):
    """Element (i, j) is uniform on [-0.5, 0.5): splitmix64(stream * 2^32 + i * cols + j)."""
    u64 = np.uint64
    z = np.arange(rows * cols, dtype=u64) + u64(stream << 32) + u64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> u64(30))) * u64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> u64(27))) * u64(0x94D049BB133111EB)
    z ^= z >> u64(31)
    return ((z >> u64(11)).astype(np.float64) * 2.0**-53 - 0.5).reshape(rows, cols)


def noisy_linear_target(X):
    """y = X w + 0.5 e with w uniform on [-1, 1); may differ from Eigen's X w in the last bit."""
    w = 2.0 * hash_matrix(WEIGHTS, X.shape[1], 1)
    e = hash_matrix(NOISE, X.shape[0], 1)
    return (X @ w + 0.5 * e).ravel()


def regression_20000x100():
    X = hash_matrix(FEATURES, 20000, 100)
    return X, noisy_linear_target(X)


def binary_100000x100():
    X = hash_matrix(FEATURES, 100000, 100)
    return X, (noisy_linear_target(X) > 0.0).astype(int)


def digits():
    """The bundled digits CSV (header row, 64 features, then the target), standardized."""
    table = np.loadtxt(os.path.join(DATA_DIR, "digits.csv"), delimiter=",", skiprows=1)
    return StandardScaler().fit_transform(table[:, :-1]), table[:, -1].astype(int)


def mnist_shaped(rows):
    """784 features, labels cycling through 0-9."""
    return hash_matrix(FEATURES, rows, 784), np.arange(rows) % 10


# ---------------------------------------------------------------------------------------------
# Estimators with the benchmark's settings.


def logistic():
    return LogisticRegression(solver="lbfgs", C=1.0, tol=1e-4, max_iter=1000)


def mlp(hidden_layer_sizes, epochs):
    """Defaults otherwise; n_iter_no_change above max_iter makes every fit run exactly max_iter
    epochs, so that fit times compare time per epoch."""
    return MLPClassifier(hidden_layer_sizes=hidden_layer_sizes, random_state=0, max_iter=epochs,
                         n_iter_no_change=epochs + 1000)


@functools.lru_cache(maxsize=None)
def mnist_network():
    """784-256-128-10, trained one epoch on 1000 rows only to have realistic weights; fitted once."""
    return mlp((256, 128), 1).fit(*mnist_shaped(1000))


# ---------------------------------------------------------------------------------------------
# Timing.


def median_seconds(call, repeats):
    """Median over `repeats` samples of the wall-clock seconds of one call. After one warm-up call,
    each sample times enough calls to last about 0.2 s, as Google Benchmark batches iterations."""
    start = time.perf_counter()
    call()
    first = time.perf_counter() - start
    number = max(1, math.ceil(0.2 / max(first, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            call()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples), number


def time_fit(make_estimator, X, y, repeats=5):
    last = {}  # the last fitted estimator, for its iteration count

    def fit():
        last["estimator"] = make_estimator().fit(X, y)

    seconds, number = median_seconds(fit, repeats)
    result = {"seconds": seconds, "calls_per_sample": number, "repeats": repeats}
    n_iter = getattr(last["estimator"], "n_iter_", None)
    if n_iter is not None:  # an array (one per class problem) for LogisticRegression
        result["n_iter"] = int(np.max(n_iter))
    return result


def time_predict(method, X, repeats=7):
    seconds, number = median_seconds(lambda: method(X), repeats)
    return {"seconds": seconds, "calls_per_sample": number, "repeats": repeats, "rows_per_s": X.shape[0] / seconds}


def blas_info():
    """Which BLAS numpy calls and its thread pools. threadpoolctl knows OpenBLAS, MKL and BLIS but
    not the netlib reference BLAS that Debian's numpy links by default (libblas3, no threads), so
    the BLAS libraries mapped into this process are listed as well."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps}
    mapped = sorted(p for p in paths if "blas" in os.path.basename(p).lower() and "-packages/" not in p)
    try:
        from threadpoolctl import threadpool_info
        pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
    except ImportError:
        pools = None
    if pools:
        summary = ", ".join(f"{p['internal_api']} {p['num_threads']} thread(s)" for p in pools)
    elif any("/blas/" in path for path in mapped):
        summary = "reference BLAS (Debian's default libblas3), single-threaded"
    else:
        summary = "unknown: threadpoolctl " + ("not importable" if pools is None else "found no BLAS")
    return {"summary": summary, "threadpoolctl_blas_pools": pools, "mapped_blas_libraries": mapped}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the JSON here instead of to stdout")
    parser.add_argument("--filter", default="", help="only the operations whose name contains this")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)  # max_iter is reached on purpose

    X_reg, y_reg = regression_20000x100()
    X_bin, y_bin = binary_100000x100()
    X_dig, y_dig = digits()
    X_mnist, _ = mnist_shaped(10000)
    # Lazily: each entry runs only if selected. Predictions use a model fitted once beforehand.
    operations = {
        "LinearRegression/fit/synthetic_20000x100": lambda: time_fit(LinearRegression, X_reg, y_reg),
        "LinearRegression/predict/synthetic_20000x100":
            lambda: time_predict(LinearRegression().fit(X_reg, y_reg).predict, X_reg),
        "LogisticRegression/fit/digits": lambda: time_fit(logistic, X_dig, y_dig),
        "LogisticRegression/fit/synthetic_100000x100": lambda: time_fit(logistic, X_bin, y_bin),
        "LogisticRegression/predict_proba/digits":
            lambda: time_predict(logistic().fit(X_dig, y_dig).predict_proba, X_dig),
        "LogisticRegression/predict_proba/synthetic_100000x100":
            lambda: time_predict(logistic().fit(X_bin, y_bin).predict_proba, X_bin),
        "MLPClassifier/fit_20_epochs/digits": lambda: time_fit(lambda: mlp((100,), 20), X_dig, y_dig),
        "MLPClassifier/predict_proba/784-256-128-10_10000_rows":
            lambda: time_predict(mnist_network().predict_proba, X_mnist),
        "MLPClassifier/predict_proba/784-256-128-10_1_row":
            lambda: time_predict(mnist_network().predict_proba, X_mnist[:1]),
    }
    results = {}
    for name, run in operations.items():
        if args.filter in name:
            results[name] = run()
            print(f"{name:<56} {results[name]['seconds'] * 1e3:10.3f} ms", file=sys.stderr)  # progress
    report = {
        "context": {
            "python": platform.python_version(),
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "blas": blas_info(),
        },
        "results": results,
    }
    text = json.dumps(report, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    sys.exit(main())
