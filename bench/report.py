#!/usr/bin/python3
"""Writes the Markdown report and the throughput plot comparing mlpersist's persistence benchmark
with Python's usual tools (bench/python_peers.py) and with raw I/O baselines.

    /usr/bin/python3 bench/report.py --cpp CPP.json --python PY.json --out-md REPORT.md \\
        --out-png PLOT.png [--extra EXTRA.json]

CPP.json is Google Benchmark's JSON output (--benchmark_out_format=json, with
--benchmark_repetitions and --benchmark_report_aggregates_only): run names
<method>/<op>/<model>/<target> (anything after the fourth part, such as /real_time, is ignored),
the median aggregate's real time (and the min aggregate's, if reported; without aggregates, the
median of the repetitions), and the counters params, payload_bytes and file_bytes.
PY.json is python_peers.py's output, named the same way.
EXTRA.json, optional, is rendered as small tables at the end: a table {"title": ..., "header": [...],
"rows": [[...], ...]}, a list of them, or an object of key/value pairs (nested objects become tables
of their own).

The Markdown is a fragment starting at a "##" heading: per model, throughput tables for save, load
and memory mapping (median ms and GB/s of payload), ratio tables of mlpersist against every
baseline (baseline time / mlpersist time, so > 1 favours mlpersist) and file sizes. The PNG plots
GB/s against parameters for save and load of both models.
"""
import argparse
import json
import math
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Optional

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

MODELS = ("mlp", "linear")
MODEL_SHAPES = {"mlp": "an MLP H → H → H → 10", "linear": "a linear regression"}
TO_SECONDS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
MISSING = "—"

# python_peers.py's method names, as shown here.
PYTHON_NAMES = {"npy": "py numpy .npy", "npy_mmap": "py numpy .npy mmap", "pickle5": "py pickle5",
                "joblib": "py joblib", "joblib_mmap": "py joblib mmap", "torch": "py torch",
                "h5py": "py h5py", "json": "py json"}
MLPERSIST_METHODS = ["mlpersist.binary", "mlpersist.binary.nosync", "mlpersist.json", "mlpersist.xml",
                     "mlpersist.map"]
BASELINE_METHODS = ["raw_write", "raw_write.fsync", "raw_write.fallocate", "raw_read", "raw_read.hugepage", "memcpy",
                    "memcpy.fresh"]
METHOD_ORDER = MLPERSIST_METHODS + list(PYTHON_NAMES.values()) + BASELINE_METHODS

# The ratio tables: for each op, (mlpersist's method and op, the baselines' methods and ops).
PEERS = ["py numpy .npy", "py pickle5", "py joblib", "py torch", "py h5py"]
SAVE_BASELINES = [(method, "save")
                  for method in PEERS + ["raw_write", "raw_write.fsync", "raw_write.fallocate", "memcpy"]]
LOAD_BASELINES = [(method, "load") for method in PEERS + ["raw_read", "raw_read.hugepage", "memcpy"]]
MAPPED_BASELINES = ["py joblib mmap", "py numpy .npy mmap"]
COMPARISONS = {
    "save": [(("mlpersist.binary", "save"), SAVE_BASELINES),
             (("mlpersist.binary.nosync", "save"), SAVE_BASELINES),
             (("mlpersist.json", "save"), [("py json", "save")]),
             (("mlpersist.xml", "save"), [("py json", "save")])],
    "load": [(("mlpersist.binary", "load"), LOAD_BASELINES),
             (("mlpersist.json", "load"), [("py json", "load")]),
             (("mlpersist.xml", "load"), [("py json", "load")])],
    "memory mapping": [(("mlpersist.map", "map"), [(method, "load") for method in MAPPED_BASELINES]),
                       (("mlpersist.map", "map_touch"), [(method, "load_touch") for method in MAPPED_BASELINES])],
}
# The throughput table of memory mapping: these (method, op) rows, where present.
MAPPING_ROWS = [("mlpersist.map", "map"), ("py joblib mmap", "load"), ("py numpy .npy mmap", "load"),
                ("mlpersist.map", "map_touch"), ("py joblib mmap", "load_touch"),
                ("py numpy .npy mmap", "load_touch")]


@dataclass(frozen=True)
class Record:
    method: str  # as displayed
    kind: str  # "mlpersist", "python" or "baseline"
    op: str
    model: str
    target: int  # the requested size
    params: int  # the model's actual parameter count
    median_s: float
    min_s: Optional[float]
    runs: int
    payload_bytes: int
    file_bytes: Optional[int]

    @property
    def gb_per_s(self):
        return self.payload_bytes / self.median_s / 1e9


# ---------------------------------------------------------------------------------------------
# Reading both benchmarks into records.


def seconds(entry):
    return entry["real_time"] * TO_SECONDS[entry["time_unit"]]


def cpp_record(run_name, entry, median_s, min_s, runs):
    """The record of one Google Benchmark run; `entry` carries its counters."""
    method, op, model, target = run_name.split("/")[:4]
    file_bytes = entry.get("file_bytes")
    return Record(method=method, kind="mlpersist" if method.startswith("mlpersist") else "baseline",
                  op=op, model=model, target=int(target), params=round(entry["params"]),
                  median_s=median_s, min_s=min_s, runs=runs, payload_bytes=round(entry["payload_bytes"]),
                  file_bytes=None if file_bytes is None else round(file_bytes))


def cpp_records(path):
    """Records from the median (and min) aggregates, or, for runs without aggregates, from the
    median of their repetitions."""
    with open(path) as f:
        entries = [entry for entry in json.load(f)["benchmarks"] if not entry.get("error_occurred")]
    aggregates, repetitions = defaultdict(dict), defaultdict(list)
    for entry in entries:
        if entry.get("run_type") == "aggregate":
            aggregates[entry["run_name"]][entry["aggregate_name"]] = entry
        else:
            repetitions[entry["run_name"]].append(entry)
    records = []
    for run_name, by_name in aggregates.items():
        if "median" in by_name:
            median = by_name["median"]
            min_s = seconds(by_name["min"]) if "min" in by_name else None
            records.append(cpp_record(run_name, median, seconds(median), min_s, median.get("repetitions", 1)))
    for run_name, runs in repetitions.items():
        if run_name not in aggregates:
            times = [seconds(run) for run in runs]
            records.append(cpp_record(run_name, runs[0], statistics.median(times), min(times), len(times)))
    return records


def python_records(path):
    with open(path) as f:
        benchmarks = json.load(f)["benchmarks"]
    return [Record(method=PYTHON_NAMES.get(b["method"], "py " + b["method"]), kind="python", op=b["op"],
                   model=b["model"], target=b["target"], params=b["params"], median_s=b["median_s"],
                   min_s=b["min_s"], runs=len(b["runs_s"]), payload_bytes=b["payload_bytes"],
                   file_bytes=b["file_bytes"]) for b in benchmarks]


def load_context(path):
    with open(path) as f:
        return json.load(f)["context"]


class Results:
    """The records of both benchmarks, looked up by method, op, model and target."""

    def __init__(self, records):
        self.records = records
        self.by_key = {(r.method, r.op, r.model, r.target): r for r in records}
        self.targets = sorted({r.target for r in records})

    def get(self, method, op, model, target):
        return self.by_key.get((method, op, model, target))

    def methods(self, model, op=None):
        """The methods with any record for `model` (and `op`), in display order."""
        present = {r.method for r in self.records if r.model == model and (op is None or r.op == op)}
        return sorted(present, key=method_rank)

    def with_file(self, method, model, target):
        """Any record of the method, model and target that has the size of its file."""
        for r in self.records:
            if (r.method, r.model, r.target) == (method, model, target) and r.file_bytes:
                return r
        return None


def method_rank(method):
    """mlpersist, then the Python peers, then the baselines; unknown methods last, by name."""
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


# ---------------------------------------------------------------------------------------------
# Markdown.


def significant(x, digits=3):
    """`x` to `digits` significant digits, without an exponent: 0.0123, 1.23, 1,234."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}"


def size_label(n):
    """100000 -> 100k, 50000000 -> 50M."""
    for scale, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= scale:
            return f"{n / scale:g}{suffix}"
    return str(n)


def markdown_table(header, rows):
    """A Markdown table, its first column left-aligned and the others right-aligned."""
    def line(cells):
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in cells) + " |"
    align = "|" + "|".join([":--"] + ["--:"] * (len(header) - 1)) + "|"
    return "\n".join([line(header), align] + [line(row) for row in rows])


def section(sentence, header, rows):
    return f"{sentence}\n\n{markdown_table(header, rows)}\n"


def size_header(first, results):
    return [first] + [size_label(target) for target in results.targets]


def throughput_cell(record):
    if record is None:
        return MISSING
    return f"{significant(record.median_s * 1e3)} ({significant(record.gb_per_s)})"


def throughput_rows(results, model, rows):
    """One table row per (method, op): median ms (GB/s) at each size."""
    return [[label] + [throughput_cell(results.get(method, op, model, target)) for target in results.targets]
            for label, method, op in rows]


def throughput_sections(results, model):
    sections = []
    for op, verb in (("save", "Saving"), ("load", "Loading")):
        rows = [(method, method, op) for method in results.methods(model, op)]
        if rows:
            sentence = (f"{verb} {MODEL_SHAPES[model]} (`{model}`): median milliseconds per {op} and, in "
                        f"parentheses, GB/s of payload (8 bytes per parameter); lower times are better.")
            sections.append(section(sentence, size_header("method", results), throughput_rows(results, model, rows)))
    mapping = [(f"{method} {op}", method, op) for method, op in MAPPING_ROWS
               if any(results.get(method, op, model, target) for target in results.targets)]
    if mapping:
        sentence = (f"Memory-mapping {MODEL_SHAPES[model]} (`{model}`): `map` and the `mmap` loads only map the "
                    f"file, the `touch` ops then also read one double per 4 KiB page; median ms (GB/s of payload).")
        sections.append(section(sentence, size_header("method and op", results),
                                throughput_rows(results, model, mapping)))
    return sections


def ratio_cell(results, model, target, mine, baseline):
    ours, theirs = results.get(*mine, model, target), results.get(*baseline, model, target)
    if ours is None or theirs is None:
        return MISSING
    return significant(theirs.median_s / ours.median_s)


def comparison_label(op, mine, baseline):
    """"A vs B", with the ops named where they are not the table's."""
    if mine[1] == baseline[1] == op:
        return f"{mine[0]} vs {baseline[0]}"
    return f"{mine[0]} {mine[1]} vs {baseline[0]} {baseline[1]}"


def ratio_sections(results, model):
    sections = []
    for op, comparisons in COMPARISONS.items():
        rows = []
        for mine, baselines in comparisons:
            for baseline in baselines:
                cells = [ratio_cell(results, model, target, mine, baseline) for target in results.targets]
                if any(cell != MISSING for cell in cells):
                    rows.append([comparison_label(op, mine, baseline)] + cells)
        if rows:
            sentence = (f"mlpersist against each baseline, {op} of {MODEL_SHAPES[model]} (`{model}`): the "
                        f"baseline's median time divided by mlpersist's, so ratios > 1 favour mlpersist.")
            sections.append(section(sentence, size_header("comparison", results), rows))
    return sections


def file_size_cell(record):
    if record is None:
        return MISSING
    return f"{record.file_bytes:,} ({record.file_bytes / record.payload_bytes:.4f})"


def file_size_section(results, model):
    rows = []
    for method in results.methods(model):
        cells = [file_size_cell(results.with_file(method, model, target)) for target in results.targets]
        if any(cell != MISSING for cell in cells):
            rows.append([method] + cells)
    if not rows:
        return []
    sentence = (f"File sizes for {MODEL_SHAPES[model]} (`{model}`): bytes on disk and, in parentheses, bytes "
                f"per byte of payload (1.0000 = no overhead).")
    return [section(sentence, size_header("method", results), rows)]


def params_note(results, model):
    """A sentence listing the sizes at which the benchmarks' parameter counts differ, if any."""
    differing = []
    for target in results.targets:
        counts = {(r.kind == "python", r.params) for r in results.records if (r.model, r.target) == (model, target)}
        if len({params for _, params in counts}) > 1:
            by_side = ", ".join(f"{'Python' if python else 'C++'} {params:,}" for python, params in sorted(counts))
            differing.append(f"{size_label(target)}: {by_side}")
    if not differing:
        return []
    return [f"Note: the `{model}` parameter counts differ between the benchmarks ({'; '.join(differing)}); "
            f"throughput uses each side's own payload.\n"]


def extra_tables(extra, title="Details"):
    """(title, header, rows) of each table in the --extra JSON (see the module docstring)."""
    if isinstance(extra, list):
        return [table for item in extra for table in extra_tables(item, title)]
    if "rows" in extra:
        rows = extra["rows"]
        header = extra.get("header") or [""] * (len(rows[0]) if rows else 1)
        return [(extra.get("title", title), header, rows)]
    pairs = [[key, value] for key, value in extra.items() if not isinstance(value, (dict, list))]
    tables = [(title, ["item", "value"], pairs)] if pairs else []
    for key, value in extra.items():
        if isinstance(value, (dict, list)):
            tables += extra_tables(value, key)
    return tables


def run_counts(results, python):
    """The runs per median of the Python (or else the C++) records, e.g. "5" or "3/5"."""
    counts = sorted({r.runs for r in results.records if (r.kind == "python") == python})
    return "/".join(map(str, counts)) or "?"


def as_sentence(title):
    return title[:1].upper() + title[1:] + ("" if title.endswith(".") else ".")


def context_paragraph(cpp_context, python_context, results):
    cpp, py = defaultdict(lambda: "?", cpp_context), defaultdict(lambda: "?", python_context)
    return (f"C++: Google Benchmark on {cpp['host_name']}, {cpp['date']}, {cpp['num_cpus']} CPUs at "
            f"{cpp['mhz_per_cpu']} MHz; median of {run_counts(results, False)} repetitions.\n"
            f"Python {py['python']} ({py['date']}): numpy {py['numpy']}, scikit-learn {py['sklearn']}, "
            f"joblib {py['joblib']}, torch {py['torch']}, h5py {py['h5py']}; files on {py['filesystem']}; "
            f"median of {run_counts(results, True)} runs after one warm-up, loads from a warm page cache.\n"
            "Methods: `mlpersist.*` is this library; `py ...` are Python's tools (pickle protocol 5, joblib, "
            "numpy .npy, torch, h5py, json; `mmap`: loaded with mmap_mode='r'); `raw_*` and `memcpy*` are C++ "
            "baselines moving the same bytes with plain write/read and memcpy. Columns are the requested sizes in "
            "parameters.\n")


def markdown(results, cpp_context, python_context, extra):
    parts = ["## Persistence speed: mlpersist, Python and raw I/O\n",
             context_paragraph(cpp_context, python_context, results)]
    for model in MODELS:
        parts.append(f"### Throughput: `{model}`\n")
        parts += throughput_sections(results, model) + params_note(results, model)
    parts.append("### Ratios: baseline time / mlpersist time\n")
    for model in MODELS:
        parts += ratio_sections(results, model)
    parts.append("### File sizes\n")
    for model in MODELS:
        parts += file_size_section(results, model)
    if extra is not None:
        parts.append("### Details\n")
        parts += [section(as_sentence(title), header, rows) for title, header, rows in extra_tables(extra)]
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# The plot.

LINE_STYLES = {"mlpersist": dict(linestyle="-", linewidth=2.8), "python": dict(linestyle="--", linewidth=1.5),
               "baseline": dict(linestyle=":", linewidth=1.8)}
MARKERS = "osD^v<>pPX*h"
# Strong colours for mlpersist, another palette for Python, greys for the baselines.
PALETTES = {"mlpersist": plt.get_cmap("tab10").colors, "python": plt.get_cmap("Dark2").colors,
            "baseline": ["black", "#3a3a3a", "#5a5a5a", "#7a7a7a", "#9a9a9a", "#b4b4b4"]}


def method_styles(results):
    """{method: plot keyword arguments}: colour by rank within its kind, line style by kind."""
    kinds = {r.method: r.kind for r in results.records}
    styles, seen = {}, defaultdict(int)
    for index, method in enumerate(sorted(kinds, key=method_rank)):
        kind = kinds[method]
        palette = PALETTES[kind]
        styles[method] = dict(color=palette[seen[kind] % len(palette)], marker=MARKERS[index % len(MARKERS)],
                              **LINE_STYLES[kind])
        seen[kind] += 1
    return styles


def plot(results, path):
    """2 x 2: rows save and load, columns mlp and linear; GB/s against parameters, log-log."""
    styles = method_styles(results)
    fig, axes = plt.subplots(2, 2, figsize=(13, 9), sharex=True)
    lines = {}
    for row, op in enumerate(("save", "load")):
        for column, model in enumerate(MODELS):
            ax = axes[row][column]
            for method, style in styles.items():
                points = sorted((r.params, r.gb_per_s) for r in results.records
                                if (r.method, r.op, r.model) == (method, op, model))
                if points:
                    lines[method], = ax.plot(*zip(*points), label=method, **style)
            ax.set(xscale="log", yscale="log", title=f"{op}, {model}", xlabel="parameters",
                   ylabel="GB/s of payload (median)")
            ax.grid(True, which="both", alpha=0.3)
    ordered = sorted(lines, key=method_rank)
    fig.legend([lines[m] for m in ordered], ordered, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4,
               frameon=False)
    fig.suptitle("Persistence throughput: mlpersist (solid), Python (dashed), raw I/O and memcpy (dotted)")
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpp", required=True, help="Google Benchmark JSON of the C++ benchmark")
    parser.add_argument("--python", required=True, help="python_peers.py's JSON")
    parser.add_argument("--out-md", required=True, help="the Markdown fragment to write")
    parser.add_argument("--out-png", required=True, help="the plot to write")
    parser.add_argument("--extra", help="JSON of extra tables (compile time, machine, ...)")
    args = parser.parse_args()

    results = Results(cpp_records(args.cpp) + python_records(args.python))
    extra = None
    if args.extra:
        with open(args.extra) as f:
            extra = json.load(f)
    with open(args.out_md, "w") as f:
        f.write(markdown(results, load_context(args.cpp), load_context(args.python), extra))
    plot(results, args.out_png)


if __name__ == "__main__":
    sys.exit(main())
