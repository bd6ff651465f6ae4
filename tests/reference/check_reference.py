#!/usr/bin/python3
"""Checks that the committed scikit-learn reference files are up to date.

Usage:  check_reference.py COMMITTED_DIR

Runs make_reference.py into a fresh temporary directory and compares every JSON file
with its committed counterpart: the same set of files, the same JSON structure (keys,
list lengths, value types), equal strings/ints/bools, and floats equal within a
relative tolerance of 1e-9 (absolute 1e-12 near zero).  Prints each difference as
FILE PATH: committed=... regenerated=... and exits 1 if there is any; otherwise prints
"reference files up to date (N files)" and exits 0.  A different sklearn/numpy/scipy/
Python version only gives a warning.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
MAKE_REFERENCE = HERE / "make_reference.py"

REL_TOL = 1e-9
ABS_TOL = 1e-12
VERSION_KEYS = ("sklearn_version", "numpy_version", "scipy_version", "python_version")


# Debian's reference (netlib) BLAS and LAPACK, which the committed files were made with. Installing
# OpenBLAS (bench/run.sh does, for the benchmarks) makes it the system's libblas.so.3, and its
# results differ in the ninth digit; these directories come first in the search path instead.
NETLIB_DIRS = ("/usr/lib/x86_64-linux-gnu/blas", "/usr/lib/x86_64-linux-gnu/lapack")


def reference_blas_environment():
    """This process's environment, with the reference BLAS and LAPACK found first where installed."""
    env = dict(os.environ)
    dirs = [d for d in NETLIB_DIRS if pathlib.Path(d).is_dir()]
    env["LD_LIBRARY_PATH"] = ":".join(dirs + [p for p in [env.get("LD_LIBRARY_PATH")] if p])
    return env


def floats_close(a, b):
    return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


def kind(value):
    """JSON type name; int and float are distinct (1 and 1.0 are written differently)."""
    for name, types in (("bool", bool), ("int", int), ("float", float), ("string", str),
                        ("list", list), ("object", dict), ("null", type(None))):
        if isinstance(value, types):
            return name
    raise TypeError(type(value))


def short(value, limit=80):
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def compare(committed, regenerated, path=""):
    """Yields (json_path, committed_text, regenerated_text) for every difference."""
    ck, rk = kind(committed), kind(regenerated)
    if ck != rk:
        yield path, f"{ck} {short(committed)}", f"{rk} {short(regenerated)}"
    elif ck == "object":
        for key in list(committed) + [k for k in regenerated if k not in committed]:
            sub = f"{path}.{key}" if path else key
            if key not in regenerated:
                yield sub, short(committed[key]), "(missing)"
            elif key not in committed:
                yield sub, "(missing)", short(regenerated[key])
            else:
                yield from compare(committed[key], regenerated[key], sub)
    elif ck == "list":
        if len(committed) != len(regenerated):
            yield path, f"list of {len(committed)}", f"list of {len(regenerated)}"
        else:
            for i, (c, r) in enumerate(zip(committed, regenerated)):
                yield from compare(c, r, f"{path}[{i}]")
    elif ck == "float":
        if not floats_close(committed, regenerated):
            yield path, repr(committed), repr(regenerated)
    elif committed != regenerated:
        yield path, short(committed), short(regenerated)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("committed_dir", type=pathlib.Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mlpersist-reference-") as tmp:
        fresh_dir = pathlib.Path(tmp)
        run = subprocess.run([sys.executable, str(MAKE_REFERENCE), str(fresh_dir)],
                             stdout=subprocess.DEVNULL, env=reference_blas_environment())
        if run.returncode != 0:
            print(f"error: make_reference.py failed (exit code {run.returncode})")
            return 2
        committed = {p.name: p for p in args.committed_dir.glob("*.json")}
        fresh = {p.name: p for p in fresh_dir.glob("*.json")}

        differences = 0
        for name in sorted(committed.keys() ^ fresh.keys()):
            where = "committed only" if name in committed else "regenerated only"
            print(f"{name}: file present in {where}")
            differences += 1

        warned = set()
        for name in sorted(committed.keys() & fresh.keys()):
            old = json.loads(committed[name].read_text())
            new = json.loads(fresh[name].read_text())
            for key in VERSION_KEYS:
                if key not in warned and old.get(key) != new.get(key):
                    print(f"warning: {key} differs: committed {old.get(key)}, "
                          f"regenerated {new.get(key)}")
                    warned.add(key)
                old.pop(key, None)
                new.pop(key, None)
            for path, c, r in compare(old, new):
                print(f"{name} {path}: committed={c} regenerated={r}")
                differences += 1

    if differences:
        print(f"{differences} difference(s); regenerate with: "
              f"{MAKE_REFERENCE.relative_to(HERE.parents[1])} {args.committed_dir}")
        return 1
    print(f"reference files up to date ({len(committed)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
