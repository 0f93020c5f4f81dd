"""On-device benchmarks: host (LiteRT, Keras), Android (benchmark_model over adb), Edge TPU.

Every target produces the same `BenchmarkRecord`s, so one report format,
table and plot serve all devices. See docs/benchmark.md.
"""

from dvfl_tf.latency.records import BenchmarkRecord, load_records, save_csv, summarize_times

__all__ = ["BenchmarkRecord", "load_records", "save_csv", "summarize_times"]
