#!/usr/bin/python3
"""Writes the bundled datasets as plain CSV (header row, one sample per line, target last).

Source: the copies that scikit-learn ships (Debian package python3-sklearn). Run with
/usr/bin/python3, the interpreter that sees Debian's python3-* packages.
"""
import csv
import pathlib

from sklearn import datasets

HERE = pathlib.Path(__file__).resolve().parent

for name, loader in [("iris", datasets.load_iris),
                     ("breast_cancer", datasets.load_breast_cancer),
                     ("diabetes", lambda: datasets.load_diabetes(scaled=False)),
                     ("digits", datasets.load_digits),
                     ("wine", datasets.load_wine)]:
    bunch = loader()
    names = [str(n).replace(" ", "_") for n in bunch.feature_names]
    with open(HERE / f"{name}.csv", "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(names + ["target"])
        for row, target in zip(bunch.data, bunch.target):
            out.writerow([repr(float(v)) for v in row] + [repr(target.item())])
