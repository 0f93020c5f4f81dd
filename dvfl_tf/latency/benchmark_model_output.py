"""Parses the log of TFLite's `benchmark_model` tool (tensorflow/lite/tools/benchmark).

The lines read (prefixes such as "INFO: " or logcat's tag are ignored):

    Initialized session in 45.123ms.
    count=3 first=312345 curr=298765 min=298765 max=312345 avg=305000 std=5550      (warm-up runs, us)
    count=50 first=301234 curr=300001 min=299000 max=305678 avg=301234 std=1234     (timed runs, us)
    Inference timings in us: Init: 45123, First inference: 312345, Warmup (avg): 305000, Inference (avg): 301234
    Memory footprint delta from the start of the tool (MB): init=35.2 overall=60.1
    Overall peak memory footprint (MB) via periodic monitoring: 72.5

A `count=` line with a single distinct value reads "count=N curr=V" (plus
"(all same)" when N > 1). Averages are printed as C++ doubles, so they can be
in exponent form ("1.23457e+06").
"""

import re

_NUMBER = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
_TIMINGS = re.compile(
    rf"Inference timings in us: Init: (?P<init>{_NUMBER}), First inference: (?P<first>{_NUMBER}), "
    rf"Warmup \(avg\): (?P<warmup>{_NUMBER}|nan|-?inf), Inference \(avg\): (?P<inference>{_NUMBER}|nan|-?inf)"
)
_STAT = re.compile(rf"\bcount=(?P<count>\d+)(?P<rest>(?: \w+={_NUMBER})*)")
_STAT_FIELD = re.compile(rf"(\w+)=({_NUMBER})")
_MEMORY_DELTA = re.compile(
    rf"Memory footprint delta from the start of the tool \(MB\): init=(?P<init>{_NUMBER}) overall=(?P<overall>{_NUMBER})"
)
_PEAK = re.compile(rf"Overall peak memory footprint \(MB\) via periodic monitoring: (?P<peak>{_NUMBER})")


class BenchmarkOutputError(ValueError):
    """The text is not (complete) benchmark_model output."""


def _parse_stat(match):
    fields = {key: float(value) for key, value in _STAT_FIELD.findall(match.group("rest"))}
    count = int(match.group("count"))
    if "min" not in fields:  # "count=N curr=V": every run took V
        value = fields.get("curr", float("nan"))
        fields = {"first": value, "curr": value, "min": value, "max": value, "avg": value, "std": 0.0}
    fields["count"] = count
    return fields


def parse_benchmark_model_output(text):
    """Figures in ms and MB from benchmark_model's log.

    Returns a dict: init_ms, first_ms, warmup_avg_ms, mean_ms, min_ms, max_ms,
    std_ms, runs, and when reported: init_memory_mb, overall_memory_mb,
    peak_memory_mb (else None).
    """
    timings = _TIMINGS.search(text)
    if timings is None:
        tail = "\n".join(text.strip().splitlines()[-10:])
        raise BenchmarkOutputError(
            "No 'Inference timings in us:' line in the benchmark_model output (did it fail?). Last lines:\n" + tail
        )
    stats = [
        _parse_stat(m)
        for line in text[: timings.start()].splitlines()
        # op-profiling summaries ("Timings (microseconds): count=...") are not run statistics
        if "Timings" not in line and "Memory" not in line
        for m in _STAT.finditer(line)
    ]
    # benchmark_model logs the warm-up runs' stat line, then the timed runs'.
    timed = stats[-1] if stats else None
    result = {
        "init_ms": float(timings.group("init")) / 1e3,
        "first_ms": float(timings.group("first")) / 1e3,
        "warmup_avg_ms": float(timings.group("warmup")) / 1e3,
        "mean_ms": float(timings.group("inference")) / 1e3,
        "min_ms": timed["min"] / 1e3 if timed else None,
        "max_ms": timed["max"] / 1e3 if timed else None,
        "std_ms": timed["std"] / 1e3 if timed else None,
        "runs": timed["count"] if timed else None,
        "init_memory_mb": None,
        "overall_memory_mb": None,
        "peak_memory_mb": None,
    }
    delta = _MEMORY_DELTA.search(text)
    if delta:
        result["init_memory_mb"] = float(delta.group("init"))
        result["overall_memory_mb"] = float(delta.group("overall"))
    peak = _PEAK.search(text)
    if peak and float(peak.group("peak")) > 0:
        result["peak_memory_mb"] = float(peak.group("peak"))
    return result
