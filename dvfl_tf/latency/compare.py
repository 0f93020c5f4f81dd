"""Comparison of benchmark records: a text table and PNG plots (latency; accuracy-latency-GMACs Pareto view)."""

import json
import os

import matplotlib
from matplotlib.figure import Figure  # the object API: no pyplot, no global backend to switch
from matplotlib.patches import Rectangle
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from dvfl_tf.latency.records import load_records

_COLUMNS = [
    ("model", "model", "{}"),
    ("precision", "precision", "{}"),
    ("target", "target", "{}"),
    ("delegate", "delegate", "{}"),
    ("threads", "thr", "{}"),
    ("median_ms", "median ms", "{:.1f}"),
    ("per_frame_ms", "ms/frame (stream)", "{:.2f}"),
    ("mean_ms", "mean ms", "{:.1f}"),
    ("p90_ms", "p90 ms", "{:.1f}"),
    ("min_ms", "min ms", "{:.1f}"),
    ("first_ms", "first ms", "{:.1f}"),
    ("init_ms", "init ms", "{:.1f}"),
    ("peak_memory_mb", "peak MB", "{:.0f}"),
    ("gmacs", "GMACs", "{:.2f}"),
    ("gmacs_per_s", "GMAC/s", "{:.1f}"),
    ("roofline_fraction", "roofline", "{:.0%}"),
    ("runs", "runs", "{}"),
]


def format_table(records):
    """A plain-text table, one row per record (blank where a figure is unknown)."""
    rows = [[title for _, title, _ in _COLUMNS]]
    for record in records:
        data = record.to_dict()
        rows.append(["" if data[key] is None or data[key] == "" else fmt.format(data[key]) for key, _, fmt in _COLUMNS])
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _stem(name):
    base = os.path.basename(str(name))
    for suffix in (".tflite", ".keras", ".json"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    return base


def load_eval_reports(paths):
    """model stem -> top-1 accuracy in % from evaluation JSON files ({"model": ..., "top1": ...} or lists of them).

    A report without "model" is matched by its own file name.
    """
    accuracy = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for item in data if isinstance(data, list) else [data]:
            if "top1" not in item:
                raise ValueError(f"{path}: evaluation report without 'top1'. Received keys: {sorted(item)}")
            top1 = float(item["top1"])
            accuracy[_stem(item.get("model", path))] = top1 * 100 if top1 <= 1.0 else top1
    return accuracy


def _label(record, separator="\n"):
    stem = _stem(record.model)
    precision = f" {record.precision}" if record.precision and record.precision not in stem else ""
    return f"{stem}{precision}{separator}{record.target}/{record.delegate}, {record.threads} thr"


def plot_latency(records, path):
    """Horizontal bars of latency (median, else mean) per record, with the std as error bar."""
    precisions = sorted({r.precision or "unknown" for r in records})
    colours = {p: matplotlib.colormaps["tab10"](i % 10) for i, p in enumerate(precisions)}
    fig = Figure(figsize=(9, 1.0 + 0.55 * len(records)))
    ax = fig.subplots()
    positions = range(len(records))
    ax.barh(
        list(positions),
        [r.latency_ms for r in records],
        xerr=[r.std_ms for r in records],
        color=[colours[r.precision or "unknown"] for r in records],
        capsize=3,
    )
    for y, record in zip(positions, records, strict=True):
        ax.text(record.latency_ms + record.std_ms, y, f"  {record.latency_ms:.1f} ms", va="center", fontsize=8)
    ax.set_yticks(list(positions))
    ax.set_yticklabels([_label(r) for r in records], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("latency per clip (ms; median, or mean for benchmark_model), error bar = std")
    ax.set_title("Inference latency per model and precision")
    handles = [Rectangle((0, 0), 1, 1, color=colours[p]) for p in precisions]
    ax.legend(handles, precisions, title="precision", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.margins(x=0.25)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def _pareto_front(points):
    """Indices of points not beaten on both lower latency and higher accuracy, by latency."""
    front, best = [], float("-inf")
    for index in sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1])):
        if points[index][1] > best:
            front.append(index)
            best = points[index][1]
    return front


def plot_pareto(records, accuracy, path):
    """Accuracy vs latency, marker area by GMACs, with the Pareto front; records without accuracy are left out."""
    chosen = [r for r in records if _stem(r.model) in accuracy]
    if not chosen:
        raise ValueError(
            f"No benchmark record matches an evaluation report. Records: {sorted({_stem(r.model) for r in records})}, "
            f"reports: {sorted(accuracy)}"
        )
    points = [(r.latency_ms, accuracy[_stem(r.model)]) for r in chosen]
    gmacs = [r.gmacs or 0.0 for r in chosen]
    biggest = max(gmacs) or 1.0
    fig = Figure(figsize=(9, 6))
    ax = fig.subplots()
    scatter = ax.scatter(
        [p[0] for p in points],
        [p[1] for p in points],
        s=[60 + 600 * g / biggest for g in gmacs],
        c=gmacs,
        cmap="viridis",
        alpha=0.8,
        edgecolors="black",
    )
    middle = sorted(p[0] for p in points)[len(points) // 2]
    for rank, index in enumerate(sorted(range(len(points)), key=lambda i: points[i])):
        (x, y), record = points[index], chosen[index]
        # Labels alternate above/below and step further out, so neighbours' labels do not overlap;
        # points on the right get their label on the left, inside the axes.
        dy = (10 + 9 * (rank // 2)) * (1 if rank % 2 == 0 else -1)
        right = x > middle
        ax.annotate(
            _label(record, ", "),
            (x, y),
            textcoords="offset points",
            xytext=(-8 if right else 8, dy),
            ha="right" if right else "left",
            fontsize=7,
            arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.5},
        )
    front = _pareto_front(points)
    ax.plot([points[i][0] for i in front], [points[i][1] for i in front], "--", color="grey", label="Pareto front")
    fig.colorbar(scatter, ax=ax, label="GMACs per clip")
    latencies = [p[0] for p in points]
    if max(latencies) > 5 * min(latencies):
        ax.set_xscale("log")  # models differing by orders of magnitude stay readable
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("latency per clip (ms" + (", log scale)" if ax.get_xscale() == "log" else ")"))
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title("Accuracy vs latency (marker size: GMACs)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.margins(x=0.3, y=0.15)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def plot_roofline(records, path):
    """Achieved GMAC/s per model (bars) against its dense reference of the same precision (black ticks)."""
    chosen = [r for r in records if r.roofline_fraction]
    fig = Figure(figsize=(9, 1.0 + 0.55 * len(chosen)))
    ax = fig.subplots()
    positions = list(range(len(chosen)))
    ax.barh(positions, [r.gmacs_per_s for r in chosen], color="tab:blue", label="model")
    limits = [r.gmacs_per_s / r.roofline_fraction for r in chosen]
    ax.scatter(limits, positions, marker="|", s=400, color="black", label="dense reference, same precision")
    for y, record, limit in zip(positions, chosen, limits, strict=True):
        ax.text(max(record.gmacs_per_s, limit), y, f"  {record.roofline_fraction:.0%}", va="center", fontsize=8)
    ax.set_yticks(positions)
    ax.set_yticklabels([_label(r) for r in chosen], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("achieved GMAC/s (multiply-accumulates per second, 1e9)")
    ax.set_title("Compute efficiency: model vs dense-only reference of the same MACs")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    ax.margins(x=0.15)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return path


def compare_results(result_paths, eval_reports=(), plots_dir=None):
    """(table text, written PNG paths) for the records in `result_paths` (JSON or CSV)."""
    records = [record for path in result_paths for record in load_records(path)]
    if not records:
        raise ValueError(f"No records in {result_paths}")
    table = format_table(records)
    plots = []
    if plots_dir:
        os.makedirs(plots_dir, exist_ok=True)
        plots.append(plot_latency(records, os.path.join(plots_dir, "latency.png")))
        if any(r.roofline_fraction for r in records):
            plots.append(plot_roofline(records, os.path.join(plots_dir, "roofline.png")))
        if eval_reports:
            plots.append(plot_pareto(records, load_eval_reports(eval_reports), os.path.join(plots_dir, "pareto.png")))
    return table, plots
