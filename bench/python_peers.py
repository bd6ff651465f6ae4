#!/usr/bin/python3
"""Times how fast Python's usual tools save and load the models mlpersist's persistence benchmark
persists, for bench/report.py to compare with it.

Two model shapes, filled with standard normal doubles (np.random.default_rng(0)), so nothing
compresses:

- mlp: an MLPClassifier H -> H -> H -> 10, i.e. coefs_ (H, H), (H, H), (H, 10) and intercepts_
  (H), (H), (10): 2H^2 + 12H + 10 parameters, H chosen to come closest to the requested size;
- linear: a LinearRegression with (size - 1) coefficients and an intercept: exactly size parameters.

Methods: pickle5 (pickle protocol 5) and joblib persist the scikit-learn estimator itself, torch a
state_dict of float64 tensors, npy (one .npy file per array), h5py (one dataset per array) and json
({name: nested lists}) a dict of the arrays. joblib_mmap and npy_mmap load what joblib and npy wrote
with mmap_mode='r', and also time load_touch: loading, then reading one double per 4 KiB page of
every array. json runs only up to --json-max parameters. Every load checks once, outside the timing,
that it gives back exactly the arrays saved (round_trip_exact in the output).

Each operation runs once untimed, then --runs times under time.perf_counter. Saves write the same
path without fsync, after removing the previous file outside the timing (see measure()); loads read
the file just written, from a warm page cache. The JSON written to
--out has, per method, operation, model and size: every run's seconds, the median, the minimum, the
payload (the arrays' bytes) and the bytes the save wrote. The default run takes about two minutes.

    /usr/bin/python3 bench/python_peers.py --out FILE.json [--sizes 1e5,1e6,1e7,5e7] [--runs 5]
        [--dir DIR] [--methods pickle5,joblib,...] [--json-max 1e6]

/usr/bin/python3 because Debian's python3-sklearn, -torch and -h5py are installed for the system
interpreter only.
"""
import argparse
import datetime
import functools
import json
import math
import os
import pickle
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Tuple

import h5py
import joblib
import numpy as np
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPClassifier

from sklearn_fit_predict import blas_info  # this directory's scikit-learn benchmark

MODELS = ("mlp", "linear")
DOUBLES_PER_PAGE = 4096 // 8

# ---------------------------------------------------------------------------------------------
# The models: their arrays, and the objects each method persists.


def mlp_params(width):
    return 2 * width * width + 12 * width + 10


def mlp_width(target):
    """The hidden width H whose parameter count 2H^2 + 12H + 10 comes closest to `target`."""
    below = max(1, int((-12 + math.sqrt(144 + 8 * (target - 10))) / 4))
    return min((below, below + 1), key=lambda width: abs(mlp_params(width) - target))


def model_arrays(model, target):
    """{name: float64 array} of the model's parameters, the same for every method."""
    if model == "mlp":
        h = mlp_width(target)
        shapes = {"coefs_0": (h, h), "coefs_1": (h, h), "coefs_2": (h, 10),
                  "intercepts_0": (h,), "intercepts_1": (h,), "intercepts_2": (10,)}
    else:
        shapes = {"coef_": (target - 1,), "intercept_": (1,)}
    rng = np.random.default_rng(0)
    return {name: rng.standard_normal(shape) for name, shape in shapes.items()}


def as_estimator(model, arrays):
    """A fitted scikit-learn estimator holding `arrays`. Fitted on a tiny problem, so that it is a
    genuine fitted estimator with little other state (lbfgs keeps no optimizer moments), then given
    the arrays and the matching input width."""
    rng = np.random.default_rng(1)
    if model == "mlp":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # one iteration on purpose
            net = MLPClassifier(hidden_layer_sizes=(2, 2), solver="lbfgs", max_iter=1)
            net.fit(rng.standard_normal((10, 2)), np.arange(10))
        width = arrays["coefs_0"].shape[0]
        net.set_params(hidden_layer_sizes=(width, width))
        net.coefs_ = [arrays[f"coefs_{i}"] for i in range(3)]
        net.intercepts_ = [arrays[f"intercepts_{i}"] for i in range(3)]
        net.n_features_in_ = width
        return net
    regression = LinearRegression().fit(rng.standard_normal((3, 2)), rng.standard_normal(3))
    regression.coef_ = arrays["coef_"]
    regression.intercept_ = arrays["intercept_"][0]  # a numpy float64 scalar, as fit leaves it
    regression.n_features_in_ = arrays["coef_"].size
    return regression


def as_state_dict(model, arrays):
    return {name: torch.from_numpy(array) for name, array in arrays.items()}


def as_arrays(model, arrays):
    return arrays


def arrays_of(loaded):
    """{name: ndarray} of what a method loaded: an estimator, a state_dict or a dict of arrays."""
    if isinstance(loaded, MLPClassifier):
        return {**{f"coefs_{i}": coefs for i, coefs in enumerate(loaded.coefs_)},
                **{f"intercepts_{i}": intercepts for i, intercepts in enumerate(loaded.intercepts_)}}
    if isinstance(loaded, LinearRegression):
        return {"coef_": loaded.coef_, "intercept_": np.atleast_1d(loaded.intercept_)}
    return {name: value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
            for name, value in loaded.items()}


def round_trips(arrays, loaded):
    """Whether `loaded` holds exactly `arrays`: same names, shapes, dtype and bits."""
    got = arrays_of(loaded)
    return got.keys() == arrays.keys() and all(
        got[name].dtype == np.float64 and np.array_equal(got[name], array) for name, array in arrays.items())


def touch_pages(loaded):
    """Reads one double per 4 KiB page of every array, as a first use of memory-mapped arrays would;
    returns `loaded`, so that unmapping it happens outside the timing."""
    for array in arrays_of(loaded).values():
        array.reshape(-1)[::DOUBLES_PER_PAGE].sum()
    return loaded


# ---------------------------------------------------------------------------------------------
# The methods. `path` is a file, or for npy a directory of one .npy file per array.


def pickle_save(obj, path):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=5)


def pickle_load(path):
    with open(path, "rb") as f:
        return pickle.load(f)


def npy_save(arrays, directory):
    os.makedirs(directory, exist_ok=True)
    for name, array in arrays.items():
        np.save(os.path.join(directory, name + ".npy"), array)


def npy_load(directory, mmap_mode=None):
    return {os.path.splitext(entry)[0]: np.load(os.path.join(directory, entry), mmap_mode=mmap_mode)
            for entry in sorted(os.listdir(directory))}


def h5py_save(arrays, path):
    with h5py.File(path, "w") as f:
        for name, array in arrays.items():
            f.create_dataset(name, data=array)


def h5py_load(path):
    with h5py.File(path, "r") as f:
        return {name: dataset[...] for name, dataset in f.items()}


def json_save(arrays, path):
    with open(path, "w") as f:
        json.dump({name: array.tolist() for name, array in arrays.items()}, f)


def json_load(path):
    with open(path) as f:
        return {name: np.asarray(values) for name, values in json.load(f).items()}


EAGER, LAZY = ("save", "load"), ("load", "load_touch")  # the operations timed


@dataclass(frozen=True)
class Method:
    name: str
    persisted: Callable[[str, dict], Any]  # (model, arrays) -> the object saved
    save: Callable[[Any, str], Any]  # (object, path)
    load: Callable[[str], Any]  # path -> the object
    ops: Tuple[str, ...] = EAGER


METHODS = {method.name: method for method in (
    Method("pickle5", as_estimator, pickle_save, pickle_load),
    Method("joblib", as_estimator, joblib.dump, joblib.load),
    Method("joblib_mmap", as_estimator, joblib.dump, functools.partial(joblib.load, mmap_mode="r"), LAZY),
    Method("npy", as_arrays, npy_save, npy_load),
    Method("npy_mmap", as_arrays, npy_save, functools.partial(npy_load, mmap_mode="r"), LAZY),
    Method("torch", as_state_dict, torch.save, torch.load),
    Method("h5py", as_arrays, h5py_save, h5py_load),
    Method("json", as_arrays, json_save, json_load),
)}


# ---------------------------------------------------------------------------------------------
# Timing.


def time_runs(call, runs, setup=None):
    """One untimed warm-up call, then `runs` timed ones: (the warm-up's result, each run's seconds).
    `setup`, if given, runs untimed before every call; a run's result is freed outside its timing."""
    if setup:
        setup()
    warm_up = call()
    seconds = []
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - start)
        del result
    return warm_up, seconds


def bytes_on_disk(path):
    """The apparent size of the file, or of the files in the directory, at `path`."""
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(path, entry)) for entry in os.listdir(path))
    return os.path.getsize(path)


def measure(method, model, target, arrays, path, runs):
    """The records of every operation of `method` on one model, in the order run: saves first (the
    last one leaves the file the loads read), or one untimed save for a load-only method.

    Each save first removes the previous file, untimed: on ext4, truncating a file that is still
    being written back waits for that I/O (pickle5 of 1e5 doubles: 4.0 ms instead of 0.27; of 1e7:
    97 ms instead of 21, on a virtio disk), whereas mlpersist writes a new file and renames it over
    the old one, which does not wait."""
    obj = method.persisted(model, arrays)
    calls = {"save": lambda: method.save(obj, path),
             "load": lambda: method.load(path),
             "load_touch": lambda: touch_pages(method.load(path))}
    setups = {"save": lambda: remove(path)}
    if "save" not in method.ops:
        method.save(obj, path)
    records = []
    for op in method.ops:
        if op != "save":
            os.sync()  # no writeback of the saves competing with the loads (bench_persistence does the same)
        warm_up, seconds = time_runs(calls[op], runs, setups.get(op))
        record = benchmark_record(method.name, op, model, target, arrays, seconds, bytes_on_disk(path))
        if op == "load":
            record["round_trip_exact"] = round_trips(arrays, warm_up)
        records.append(record)
        print(f"{record['name']:<40} median {record['median_s'] * 1e3:10.3f} ms", file=sys.stderr)
    return records


def benchmark_record(method, op, model, target, arrays, seconds, file_bytes):
    return {"name": f"{method}/{op}/{model}/{target}", "method": method, "op": op, "model": model,
            "params": sum(array.size for array in arrays.values()), "target": target,
            "median_s": statistics.median(seconds), "min_s": min(seconds), "runs_s": seconds,
            "payload_bytes": sum(array.nbytes for array in arrays.values()), "file_bytes": file_bytes}


def remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


# ---------------------------------------------------------------------------------------------
# Context and command line.


def filesystem(path):
    """The type of the filesystem `path` is on (ext4, tmpfs, ...), from the longest matching mount."""
    path = os.path.realpath(path)
    best, kind = "", "unknown"
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            mount_point, fs_type = line.split()[1:3]
            inside = path == mount_point or path.startswith(mount_point.rstrip("/") + "/")
            if inside and len(mount_point) > len(best):
                best, kind = mount_point, fs_type
    return kind


def context(directory):
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "joblib": joblib.__version__,
        "torch": torch.__version__,
        "h5py": h5py.__version__,
        "hdf5": h5py.version.hdf5_version,
        "blas": blas_info(),
        "cpu_count": os.cpu_count(),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "filesystem": filesystem(directory),
    }


def size_list(text):
    return [int(float(size)) for size in text.split(",")]


def method_list(text):
    names = text.split(",")
    unknown = [name for name in names if name not in METHODS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown methods {unknown}; known: {','.join(METHODS)}")
    return [METHODS[name] for name in names]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the JSON file to write")
    parser.add_argument("--sizes", type=size_list, default=size_list("1e5,1e6,1e7,5e7"),
                        help="target parameter counts, comma-separated (default: 1e5,1e6,1e7,5e7)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per operation (default: 5)")
    parser.add_argument("--dir", help="where to write the files (in a new subdirectory, removed at the "
                                      "end; default: the system's temporary directory)")
    parser.add_argument("--methods", type=method_list, default=list(METHODS.values()),
                        help=f"comma-separated subset of {','.join(METHODS)}")
    parser.add_argument("--json-max", type=lambda text: int(float(text)), default=10**6,
                        help="json only up to this many parameters (default: 1e6)")
    return parser.parse_args()


def main():
    args = parse_args()
    work_dir = tempfile.mkdtemp(prefix="python_peers_", dir=args.dir)
    benchmarks = []
    try:
        for target in args.sizes:
            for model in MODELS:
                arrays = model_arrays(model, target)
                for method in args.methods:
                    if method.name == "json" and target > args.json_max:
                        continue
                    path = os.path.join(work_dir, method.name)
                    benchmarks += measure(method, model, target, arrays, path, args.runs)
                    remove(path)
        report = {"context": context(work_dir), "benchmarks": benchmarks}
    finally:
        shutil.rmtree(work_dir)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
