"""Does int8 pay? Each quantized file against its float32 twin and against the dense references, in one run.

For every thread count, one process times (round-robin, run by run) every
file given plus a float32 and an int8 dense-only model (`roofline`) of each
MAC count, so all see the same machine load. A quantized file's float32 twin
is the float32 file among the arguments with the same MAC count (within 1%).
Reported per file: its speed-up over the twin, next to the int8 dense
reference's speed-up over the float32 one (what the CPU's int8 GEMMs give),
the target (at least half the dense speed-up, and never slower than float32),
the share of the op-profiled time in ops XNNPACK runs, the number of XNNPACK
partitions, and the milliseconds per op type that XNNPACK does not take.
"""

import os
import statistics
import tempfile
import time

from dvfl_tf.core.errors import UserError
from dvfl_tf.latency.cpu_features import host_cpu_features, load_average
from dvfl_tf.latency.host import run_worker
from dvfl_tf.latency.model_info import inspect_tflite
from dvfl_tf.latency.op_profile import delegated_share, profile_ops, summarize_by, xnnpack_partitions
from dvfl_tf.latency.records import BenchmarkError
from dvfl_tf.latency.roofline import build_dense_reference

# Files whose MAC counts differ by less than this share the dense references and can be twins.
MAC_TOLERANCE = 0.01
# The bar for "in delegated nodes".
DELEGATED_SHARE_TARGET = 0.9


def target_speedup(dense_speedup):
    """At least half the dense int8 speed-up over float32, and never slower than float32."""
    return max(1.0, dense_speedup / 2.0)


def _same_macs(a, b):
    return abs(a - b) <= MAC_TOLERANCE * max(a, b)


def _mac_groups(macs_by_path):
    """{representative MAC count: [paths]}: files within `MAC_TOLERANCE` of each other share a group."""
    groups = {}
    for path, macs in macs_by_path.items():
        key = next((k for k in groups if _same_macs(k, macs)), macs)
        groups.setdefault(key, []).append(path)
    return groups


def _median(times):
    return statistics.median(times)


def measure_int8_speedup(model_paths, threads=(2,), runs=30, warmup=2, profile_runs=3, work_dir=None, log=None):
    """The report (a dict, JSON-ready) described in the module docstring."""
    log = log or (lambda message: None)
    facts = _model_facts(model_paths)
    groups = _mac_groups({path: info.macs for path, info in facts.items()})
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": host_cpu_features(),
        "load_average_before": load_average(),
        "runs": runs,
        "warmup": warmup,
        "runtime": _runtime_name(),
        "files": [],
        "dense_references": [],
    }
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        references = _dense_references(groups, tmp, log)
        for count in threads:
            _time_with_threads(report, model_paths, facts, groups, references, count, runs, warmup, profile_runs, log)
    report["load_average_after"] = load_average()
    return report


def _model_facts(model_paths):
    """{path: `inspect_tflite` facts} of the files to time, refusing what cannot be timed against a reference."""
    if not model_paths:
        raise BenchmarkError("Give at least one .tflite file.")
    facts = {}
    for path in model_paths:
        if not os.path.isfile(path):
            raise BenchmarkError(f"No such model file: {path}")
        if not path.endswith(".tflite"):
            raise BenchmarkError(f"--int8-speedup times .tflite files only. Received: {path}")
        try:
            info = inspect_tflite(path)
        except (UserError, ValueError) as error:  # e.g. not a TFLite flatbuffer: name the file
            raise BenchmarkError(f"{path}: {error}") from None
        if not info.macs:
            raise BenchmarkError(f"{path}: no FULLY_CONNECTED/CONV layers, so no dense reference of its MACs.")
        facts[path] = info
    return facts


def _dense_references(groups, folder, log):
    """{group MACs: {"float32": (path, macs), "int8": (path, macs)}}: dense models of each group's MACs."""
    references = {}
    for macs in groups:
        references[macs] = {}
        for precision in ("float32", "int8"):
            path = os.path.join(folder, f"dense_{precision}_{macs / 1e9:.3f}gmac.tflite")
            log(f"building the {precision} dense reference of {macs / 1e9:.3f} GMACs")
            references[macs][precision] = (path, build_dense_reference(macs, path, precision=precision))
    return references


def _time_with_threads(report, model_paths, facts, groups, references, count, runs, warmup, profile_runs, log):
    """Time the files and the dense references on `count` threads; add their entries to `report`."""
    reference_paths = [ref[0] for group in references.values() for ref in group.values()]
    log(f"timing {len(model_paths)} file(s) and {len(reference_paths)} dense references, {count} thread(s)")
    figures = run_worker(
        {"models": list(model_paths) + reference_paths, "threads": int(count), "runs": runs, "warmup": warmup}
    )
    medians = dict(zip(list(model_paths) + reference_paths, map(_median, figures["times_ms"])))
    minimums = dict(zip(list(model_paths) + reference_paths, map(min, figures["times_ms"])))
    dense_by_macs = {}
    for macs, group in references.items():
        float_ms, int8_ms = medians[group["float32"][0]], medians[group["int8"][0]]
        dense_by_macs[macs] = {
            "threads": int(count),
            "gmacs": group["float32"][1] / 1e9,
            "float32_median_ms": float_ms,
            "int8_median_ms": int8_ms,
            "int8_speedup": float_ms / int8_ms,
        }
        report["dense_references"].append(dense_by_macs[macs])
    for macs, paths in groups.items():
        dense = dense_by_macs[macs]
        twin = next((p for p in paths if facts[p].precision == "float32"), None)
        for path in paths:
            log(f"op profile of {os.path.basename(path)}, {count} thread(s)")
            report["files"].append(_file_entry(path, facts[path], count, medians, minimums, twin, dense, profile_runs))


def _file_entry(path, info, threads, medians, minimums, twin, dense, profile_runs):
    timings = profile_ops(path, threads=int(threads), runs=profile_runs, warmup=1)
    partitions, _ = xnnpack_partitions(path, int(threads))
    undelegated = summarize_by([t for t in timings if not t.delegated], lambda t: t.op)
    entry = {
        "model": os.path.basename(path),
        "threads": int(threads),
        "precision": info.precision,
        "gmacs": info.macs / 1e9,
        "median_ms": medians[path],
        "min_ms": minimums[path],
        "float32_twin": None,
        "speedup_over_float32": None,
        "dense_int8_speedup": dense["int8_speedup"],
        "target_speedup": None,
        "meets_speedup_target": None,
        "delegated_share": delegated_share(timings),
        "xnnpack_partitions": partitions,
        "op_profile_sum_ms": sum(t.median_ms for t in timings),
        "undelegated_ms_by_op": {op: group["ms"] for op, group in undelegated.items()},
    }
    if info.precision != "float32" and twin is not None:
        speedup = medians[twin] / medians[path]
        target = target_speedup(dense["int8_speedup"])
        entry.update(
            float32_twin=os.path.basename(twin),
            speedup_over_float32=speedup,
            target_speedup=target,
            meets_speedup_target=speedup >= target,
        )
    return entry


def _runtime_name():
    try:
        from importlib.metadata import version  # noqa: PLC0415 (only for the report's runtime line)

        return f"ai-edge-litert {version('ai-edge-litert')} (XNNPACK)"
    except Exception:  # not installed as a distribution (e.g. a source tree)
        return "ai-edge-litert (XNNPACK)"


def format_int8_speedup(report):
    """The report as a text table, with the CPU line and the load."""
    cpu = report["cpu"]
    flags = ", ".join(cpu["int8_flags"]) or "none found"
    lines = [
        f"CPU: {cpu['cpu_model']} ({cpu['machine']}, {cpu.get('cores')} cores); int8-relevant flags: {flags}; "
        f"int8 dot product: {'yes' if cpu['int8_dot_product'] else 'no'}",
        f"{report['runtime']}; {report['runs']} runs per file, round-robin in one process; load average "
        f"{_load(report['load_average_before'])} before, {_load(report['load_average_after'])} after",
        "",
        f"{'model':40s} {'prec.':7s} {'thr':>3s} {'median':>8s} {'speed-up':>8s} {'dense':>6s} {'target':>6s} "
        f"{'met':>4s} {'deleg.':>6s} {'parts':>5s}  not delegated (ms)",
    ]
    for entry in report["files"]:
        speedup = entry["speedup_over_float32"]
        met = entry["meets_speedup_target"]
        undelegated = ", ".join(f"{op} {ms:.1f}" for op, ms in entry["undelegated_ms_by_op"].items()) or "-"
        share = entry["delegated_share"]
        lines.append(
            f"{entry['model'][:40]:40s} {entry['precision']:7s} {entry['threads']:3d} {entry['median_ms']:8.2f} "
            + (f"{speedup:7.2f}x" if speedup is not None else f"{'':8s}")
            + f" {entry['dense_int8_speedup']:5.2f}x "
            + (f"{entry['target_speedup']:5.2f}x" if speedup is not None else f"{'':6s}")
            + f" {('yes' if met else 'no') if met is not None else '':>4s}"
            + f" {share:6.1%}"
            + f" {entry['xnnpack_partitions']:5d}  {undelegated}"
        )
    lines.append("")
    lines.append("dense references (FULLY_CONNECTED only, same MACs):")
    for dense in report["dense_references"]:
        lines.append(
            f"  {dense['gmacs']:.3f} GMACs, {dense['threads']} thread(s): float32 {dense['float32_median_ms']:.2f} ms, "
            f"int8 {dense['int8_median_ms']:.2f} ms, int8 speed-up {dense['int8_speedup']:.2f}x"
        )
    return "\n".join(lines)


def _load(values):
    return "unknown" if values is None else " ".join(f"{v:.2f}" for v in values)
