#!/usr/bin/python3
"""Generates scikit-learn reference results for the mlpersist parity tests.

Usage:  make_reference.py OUTPUT_DIR

Fits real scikit-learn models on the datasets bundled in examples/data/*.csv and on
synthetic problems defined by integer hash formulas (see README.md), and writes one JSON
file per model family into OUTPUT_DIR:

    linear_regression.json    LinearRegression / Ridge coefficients and predictions
    logistic_regression.json  LogisticRegression (lbfgs) coefficients, objective, outputs
    mlp.json                  MLP quality references and forward-pass parity networks
    standard_scaler.json      StandardScaler statistics and transformed rows
    synthetic_datasets.json   checksums of the synthetic problems (to validate a C++
                              re-implementation of the formulas)

The data themselves are never stored: the C++ side reads the same CSV files (or
regenerates the synthetic problems) and only compares results.  The output is
deterministic: two runs give byte-identical files.  check_reference.py compares a fresh
run against the committed files.

Run with /usr/bin/python3, the interpreter that sees Debian's python3-sklearn.
"""
import os

# Single-threaded BLAS so that results do not depend on the machine's core count.
# Must be set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import platform  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import scipy.special  # noqa: E402
import sklearn  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

GENERATOR = "tests/reference/make_reference.py"
DATA_DIR = pathlib.Path(__file__).resolve().parents[2] / "examples" / "data"
HEAD = 20  # number of leading rows whose outputs are stored

REAL_DATASETS = ("iris", "breast_cancer", "diabetes", "digits", "wine")
CLASSIFICATION_DATASETS = ("iris", "breast_cancer", "digits", "wine")


# --------------------------------------------------------------------------- datasets

def load_csv(name):
    """Returns (X, y) from examples/data/NAME.csv: header row, features, target last."""
    table = np.loadtxt(DATA_DIR / f"{name}.csv", delimiter=",", skiprows=1,
                       dtype=np.float64)
    X, y = table[:, :-1].copy(), table[:, -1].copy()
    if name in CLASSIFICATION_DATASETS:
        assert np.array_equal(y, np.round(y)), name
        y = y.astype(np.int64)
    return X, y


SYN_N, SYN_P = 5000, 200
HASH_MULTIPLIER = 2654435761
TWO_32 = 2 ** 32


def hash_uniform(a):
    """u(a) = ((a * 2654435761) mod 2^32) / 2^32 - 0.5 for non-negative integers a.

    Computed in uint64; the product never exceeds 2^64 for the indices used here, and
    even wrap-around modulo 2^64 would leave the value modulo 2^32 unchanged.
    """
    a = np.asarray(a, dtype=np.uint64)
    low = (a * np.uint64(HASH_MULTIPLIER)) & np.uint64(TWO_32 - 1)
    return low.astype(np.float64) / float(TWO_32) - 0.5


def hash_uniform_exact(a):
    """Same as hash_uniform for one Python int, in arbitrary-precision arithmetic."""
    return ((a * HASH_MULTIPLIER) % TWO_32) / TWO_32 - 0.5


def synthetic_problem():
    """Builds X (n x p), w, noise and the regression target of the synthetic problems."""
    i = np.arange(SYN_N, dtype=np.uint64)[:, None]
    j = np.arange(SYN_P, dtype=np.uint64)[None, :]
    X = hash_uniform(i * np.uint64(1000003) + j * np.uint64(7919) + np.uint64(17))
    w = hash_uniform(np.arange(SYN_P, dtype=np.uint64) * np.uint64(31) + np.uint64(5)) * 4
    noise = hash_uniform(np.arange(SYN_N, dtype=np.uint64) * np.uint64(97)
                         + np.uint64(3)) * 0.1
    y_reg = X @ w + noise

    # Check the uint64 arithmetic against exact Python integers, element by element.
    max_index = (SYN_N - 1) * 1000003 + (SYN_P - 1) * 7919 + 17
    assert max_index * HASH_MULTIPLIER < 2 ** 64
    exact_X = [[hash_uniform_exact(r * 1000003 + c * 7919 + 17) for c in range(SYN_P)]
               for r in range(SYN_N)]
    assert np.array_equal(X, np.array(exact_X))
    assert np.array_equal(w, np.array([hash_uniform_exact(c * 31 + 5) * 4
                                       for c in range(SYN_P)]))
    assert np.array_equal(noise, np.array([hash_uniform_exact(r * 97 + 3) * 0.1
                                           for r in range(SYN_N)]))
    # No duplicated rows or columns, full column rank.
    assert len(np.unique(X, axis=0)) == SYN_N
    assert len(np.unique(X, axis=1).T) == SYN_P
    assert np.linalg.matrix_rank(X) == SYN_P
    return X, w, noise, y_reg


CLASS4_THRESHOLDS = (-1.0, 0.0, 1.0)


def binary_target(y_reg):
    return (y_reg > 0).astype(np.int64)


def four_class_target(y_reg):
    """0 if y < -1, 1 if y < 0, 2 if y < 1, else 3."""
    return np.searchsorted(np.array(CLASS4_THRESHOLDS), y_reg, side="right").astype(np.int64)


class Datasets:
    """All datasets by name, as (X, y) with float64 X."""

    def __init__(self):
        self._data = {name: load_csv(name) for name in REAL_DATASETS}
        self.synthetic = synthetic_problem()  # (X, w, noise, y_reg)
        X, _, _, y_reg = self.synthetic
        self._data["synthetic_regression"] = (X, y_reg)
        self._data["synthetic_binary"] = (X, binary_target(y_reg))
        self._data["synthetic_4class"] = (X, four_class_target(y_reg))

        # An 11th column exactly twice column 2.  Scaling by 2 is exact in floating
        # point, also after centering, so the rank is 10 even for fit_intercept=True.
        # (Column 2 + column 3 is not: the rounding of the sum leaves a singular value
        # of about 1e-15 * the largest after centering, above lstsq's cut-off, and
        # sklearn then returns rank 11 with coefficients around 1e12.)
        X, y = self._data["diabetes"]
        self._data["diabetes_rank_deficient"] = (np.column_stack([X, 2.0 * X[:, 2]]), y)

        X, y = self._data["iris"]
        X = X.copy()
        X[:, 2] = 7.0
        self._data["iris_constant_column"] = (X, y)

        X, y = self._data["wine"]
        self._data["wine_regression"] = (X, y.astype(np.float64))

    def __getitem__(self, name):
        return self._data[name]


def standardize(X, reference=None):
    """(X - mean) / std with the population mean/std of `reference` (default X);
    a std of 0 is replaced by 1.  Returns (Z, mean, std)."""
    reference = X if reference is None else reference
    mean = reference.mean(axis=0)
    std = reference.std(axis=0)
    std[std == 0] = 1.0
    return (X - mean) / std, mean, std


# ------------------------------------------------------------------------ model families

def linear_regression_cases(data):
    """A. LinearRegression and Ridge: coefficients, intercept, first predictions."""
    grid = [("LinearRegression", True, 0.0), ("LinearRegression", False, 0.0),
            ("Ridge", True, 1.0), ("Ridge", True, 100.0)]
    jobs = [(name, *model) for name in ("diabetes", "diabetes_rank_deficient",
                                        "synthetic_regression") for model in grid]
    # Wine: the class label used as a float regression target, LinearRegression only.
    jobs += [("wine", *model) for model in grid if model[0] == "LinearRegression"]

    cases = []
    for dataset, model_name, fit_intercept, alpha in jobs:
        X, y = data["wine_regression" if dataset == "wine" else dataset]
        if model_name == "LinearRegression":
            model = LinearRegression(fit_intercept=fit_intercept)
        else:
            model = Ridge(alpha=alpha, fit_intercept=fit_intercept)
        model.fit(X, y)
        case = {"dataset": dataset, "model": model_name, "fit_intercept": fit_intercept,
                "alpha": alpha, "coef": model.coef_, "intercept": float(model.intercept_),
                "predictions_head": model.predict(X[:HEAD])}
        if model_name == "LinearRegression":
            case["rank"] = int(model.rank_)
        cases.append(case)
    return cases


LOGISTIC_FULL_GRID = [(C, fi) for C in (0.1, 1.0, 10.0) for fi in (True, False)]
LOGISTIC_JOBS = {"iris": LOGISTIC_FULL_GRID,
                 "breast_cancer": LOGISTIC_FULL_GRID,
                 "wine": LOGISTIC_FULL_GRID,
                 "digits": [(1.0, True)],
                 "synthetic_binary": [(1.0, True)],
                 "synthetic_4class": [(1.0, True)]}


def logistic_objective(X, y, classes, coef, intercept, C):
    """The function sklearn 1.2's lbfgs minimises: summed log-loss + ||coef||^2 / (2C)."""
    z = X @ coef.T + intercept  # n x K (K = 1 for binary)
    if len(classes) == 2:
        sign = np.where(y == classes[1], 1.0, -1.0)
        loss = np.logaddexp(0.0, -sign * z[:, 0]).sum()
    else:
        column = np.searchsorted(classes, y)
        loss = (scipy.special.logsumexp(z, axis=1) - z[np.arange(len(y)), column]).sum()
    return float(loss + np.sum(coef * coef) / (2.0 * C))


def fit_quietly(model, X, y):
    """Fits with ConvergenceWarnings suppressed; returns True if none was raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X, y)
    return not any(issubclass(w.category, ConvergenceWarning) for w in caught)


def logistic_regression_cases(data):
    """B. LogisticRegression(lbfgs) on standardized features."""
    cases = []
    for dataset, grid in LOGISTIC_JOBS.items():
        X, y = data[dataset]
        Z, _, _ = standardize(X)
        for C, fit_intercept in grid:
            model = LogisticRegression(solver="lbfgs", C=C, fit_intercept=fit_intercept,
                                       tol=1e-10, max_iter=100000)
            converged = fit_quietly(model, Z, y)
            cases.append({
                "dataset": dataset, "C": C, "fit_intercept": fit_intercept,
                "classes": model.classes_, "coef": model.coef_,
                "intercept": np.atleast_1d(model.intercept_),
                "n_iter": int(model.n_iter_[0]), "converged": converged,
                "objective": logistic_objective(Z, y, model.classes_, model.coef_,
                                                model.intercept_, C),
                "proba_head": model.predict_proba(Z[:HEAD]),
                "predictions": model.predict(Z)})
    return cases


MLP_SEEDS = list(range(5))


def mlp_quality_cases(data):
    """C1. Held-out quality of default MLPs over several seeds."""
    X, y = data["digits"]
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0,
                                   stratify=y)
    Z, _, _ = standardize(X, X[train])
    accuracy, n_iter = [], []
    for seed in MLP_SEEDS:
        model = MLPClassifier(hidden_layer_sizes=(100,), random_state=seed)
        fit_quietly(model, Z[train], y[train])
        accuracy.append(float(model.score(Z[test], y[test])))
        n_iter.append(model.n_iter_)
    digits = {"task": "digits_classification", "train_indices": train,
              "test_indices": test, "seeds": MLP_SEEDS, "test_accuracy": accuracy,
              "mean_test_accuracy": float(np.mean(accuracy)), "n_iter": n_iter}

    X, y = data["diabetes"]
    train, test = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0)
    Z, _, _ = standardize(X, X[train])
    y_mean, y_std = float(y[train].mean()), float(y[train].std())
    t = (y - y_mean) / y_std
    r2, n_iter = [], []
    for seed in MLP_SEEDS:
        model = MLPRegressor(hidden_layer_sizes=(100,), random_state=seed, max_iter=200)
        fit_quietly(model, Z[train], t[train])
        r2.append(float(r2_score(t[test], model.predict(Z[test]))))
        n_iter.append(model.n_iter_)
    diabetes = {"task": "diabetes_regression", "train_indices": train,
                "test_indices": test, "y_mean": y_mean, "y_std": y_std,
                "seeds": MLP_SEEDS, "test_r2": r2, "mean_test_r2": float(np.mean(r2)),
                "n_iter": n_iter}
    return [digits, diabetes]


def mlp_forward_cases(data):
    """C2. Small fitted networks: weights, inputs and outputs for forward-pass parity."""
    jobs = [("iris_classification", "iris", MLPClassifier, (32, 16), "tanh"),
            ("diabetes_regression", "diabetes", MLPRegressor, (16,), "logistic"),
            ("breast_cancer_classification", "breast_cancer", MLPClassifier, (8,), "relu")]
    cases = []
    for task, dataset, estimator, hidden, activation in jobs:
        X, y = data[dataset]
        Z, _, _ = standardize(X)
        is_classifier = estimator is MLPClassifier
        if not is_classifier:
            y = (y - y.mean()) / y.std()
        model = estimator(hidden_layer_sizes=hidden, activation=activation,
                          random_state=0, max_iter=50)
        fit_quietly(model, Z, y)
        case = {"task": f"forward_{task}", "dataset": dataset, "activation": activation,
                "out_activation": model.out_activation_,
                "hidden_layer_sizes": list(hidden), "coefs": model.coefs_,
                "intercepts": model.intercepts_}
        if is_classifier:
            case["classes"] = model.classes_
        case["inputs"] = Z[:HEAD]
        if is_classifier:
            case["proba"] = model.predict_proba(Z[:HEAD])
        else:
            case["predictions"] = model.predict(Z[:HEAD])
        cases.append(case)
    return cases


def mlp_cases(data):
    """C. Multi-layer perceptrons."""
    return mlp_quality_cases(data) + mlp_forward_cases(data)


def standard_scaler_cases(data):
    """D. StandardScaler statistics."""
    cases = []
    for dataset in REAL_DATASETS + ("iris_constant_column",):
        X, _ = data[dataset]
        scaler = StandardScaler().fit(X)
        cases.append({"dataset": dataset, "mean": scaler.mean_, "var": scaler.var_,
                      "scale": scaler.scale_,
                      "transformed_head": scaler.transform(X[:HEAD])})
    return cases


def synthetic_summary(data):
    """Values that let a C++ re-implementation of the synthetic formulas check itself."""
    X, w, noise, y_reg = data.synthetic
    y2, y4 = binary_target(y_reg), four_class_target(y_reg)
    margin = min(float(np.min(np.abs(y_reg - t))) for t in CLASS4_THRESHOLDS)
    return [{"n": SYN_N, "p": SYN_P,
             "X_head": X[:3], "X_sum": float(X.sum()), "w": w, "noise_head": noise[:HEAD],
             "y_reg_head": y_reg[:HEAD], "y_reg_sum": float(y_reg.sum()),
             "y_reg_min_distance_to_class_thresholds": margin,
             "binary_class_counts": np.bincount(y2, minlength=2),
             "four_class_counts": np.bincount(y4, minlength=4)}]


FAMILIES = {"linear_regression": linear_regression_cases,
            "logistic_regression": logistic_regression_cases,
            "mlp": mlp_cases,
            "standard_scaler": standard_scaler_cases,
            "synthetic_datasets": synthetic_summary}


# ------------------------------------------------------------------------------ output

def to_plain(value):
    """Converts numpy scalars/arrays (recursively) to Python bool/int/float/list/dict."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def format_json(value, indent=0):
    """JSON text with one matrix row (or one flat vector) per line.

    Scalars use Python's json module, so floats are written as repr(), the shortest
    string that round-trips; NaN and infinity are rejected.
    """
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {format_json(v, indent + 2)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(not isinstance(v, (list, dict)) for v in value):
            return "[" + ", ".join(format_json(v) for v in value) + "]"
        items = [inner + format_json(v, indent + 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


def provenance():
    return {"generator": GENERATOR,
            "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__,
            "scipy_version": scipy.__version__,
            "python_version": platform.python_version()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output_dir", type=pathlib.Path)
    args = parser.parse_args()
    args.output_dir.mkdir(parents=True, exist_ok=True)

    data = Datasets()
    for family, make_cases in FAMILIES.items():
        document = dict(provenance(), cases=make_cases(data))
        path = args.output_dir / f"{family}.json"
        path.write_text(format_json(to_plain(document)) + "\n")
        print(f"wrote {path} ({len(document['cases'])} cases)")


if __name__ == "__main__":
    main()
