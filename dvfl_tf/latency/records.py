"""The one report format: a `BenchmarkRecord` per (model, target, threads, delegate)."""

import csv
import dataclasses
import json
import math
import os
import statistics

from dvfl_tf.core.checks import at_least
from dvfl_tf.core.errors import UserError

# Where `dvfl-tf benchmark` runs (harness.run_benchmarks), and its timed runs per model and untimed runs
# before them (--runs / --warmup): defaults and allowed values.
TARGETS = ("host", "android", "edgetpu")
TIMING_DEFAULTS = {"runs": 10, "warmup": 2}
TIMING_RANGES = {"runs": at_least(1), "warmup": at_least(0)}


class BenchmarkError(UserError, RuntimeError):
    """A benchmark could not run (missing tool, device or file); the message says what to do."""


@dataclasses.dataclass
class BenchmarkRecord:
    model: str
    target: str  # "host", "android" or "edgetpu"
    device: str
    threads: int
    delegate: str  # "xnnpack", "builtin" (no delegate), "keras-graph", "gpu", "nnapi", "edgetpu"
    init_ms: float
    first_ms: float
    mean_ms: float
    median_ms: float | None  # benchmark_model reports no median or p90
    p90_ms: float | None
    min_ms: float
    std_ms: float
    peak_memory_mb: float | None
    runs: int
    precision: str = ""  # "float32", "fp16", "dynamic_range", "int8" (from the weights' types)
    gmacs: float | None = None
    gmacs_per_s: float | None = None
    roofline_fraction: float | None = None  # gmacs_per_s / the dense reference's, same run
    frames_per_invoke: int | None = None  # a clip model's frames; a stream model's tubelet (1 for frame by frame)
    per_frame_ms: float | None = None  # stream models: latency of one step / frames it takes in

    def to_dict(self):
        return dataclasses.asdict(self)

    @property
    def latency_ms(self):
        """The median where known (host, Edge TPU), else the mean (benchmark_model)."""
        return self.median_ms if self.median_ms is not None else self.mean_ms


FIELDS = [field.name for field in dataclasses.fields(BenchmarkRecord)]


def summarize_times(times_ms):
    """mean, median, p90, min and (population) std of per-run latencies in ms."""
    if not times_ms:
        raise ValueError("At least one timed run is needed. Received: times_ms=[]")
    ordered = sorted(times_ms)
    # p90 by the nearest-rank method: the smallest value with >= 90% of runs at or below it.
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {
        "mean_ms": statistics.fmean(ordered),
        "median_ms": statistics.median(ordered),
        "p90_ms": p90,
        "min_ms": ordered[0],
        "std_ms": statistics.pstdev(ordered),
        "runs": len(ordered),
    }


def records_to_json(records):
    return json.dumps([record.to_dict() for record in records], indent=2)


def save_json(records, path):
    with open(path, "w") as f:
        f.write(records_to_json(records) + "\n")


def save_csv(records, path):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for record in records:
            writer.writerow(record.to_dict())


def _parse_csv_value(name, text):
    field_type = {field.name: field.type for field in dataclasses.fields(BenchmarkRecord)}[name]
    if text == "":
        return None if "None" in str(field_type) else ""
    if name in ("threads", "runs", "frames_per_invoke"):
        return int(text)
    if "float" in str(field_type):
        return float(text)
    return text


def _record_from_dict(data, source):
    missing = [name for name in FIELDS[:14] if name not in data]
    if missing:
        raise ValueError(f"{source}: not a benchmark record, missing {missing}. Received keys: {sorted(data)}")
    known = {key: value for key, value in data.items() if key in FIELDS}
    return BenchmarkRecord(**known)


def load_records(path):
    """Records from a `--json` (list of records) or `--csv` file written by `dvfl-tf benchmark`."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No such results file: {path}")
    if path.endswith(".csv"):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        return [
            _record_from_dict({k: _parse_csv_value(k, v) for k, v in row.items() if k in FIELDS}, path) for row in rows
        ]
    with open(path) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not JSON ({error})") from None
    if isinstance(data, dict):
        data = [data]
    return [_record_from_dict(item, path) for item in data]
