"""Host benchmarks: .tflite files with the LiteRT interpreter (XNNPACK on or off), .keras models in graph mode."""

import json
import os
import platform
import subprocess
import sys

from dvfl_tf.latency.records import BenchmarkError, BenchmarkRecord, summarize_times

HOST_DELEGATES = ("xnnpack", "builtin")
_RESULT_PREFIX = "DVFL_BENCHMARK_RESULT "


def host_device_name():
    """e.g. "AMD EPYC, 2 cores (x86_64)"."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores ({platform.machine()})"


def run_worker(spec, timeout=None):
    """Runs `host_worker` on `spec` in a fresh process; returns its figures."""
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    completed = subprocess.run(
        [sys.executable, "-m", "dvfl_tf.latency.host_worker", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(_RESULT_PREFIX):
            return json.loads(line[len(_RESULT_PREFIX) :])
    tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-8:])
    what = spec.get("model") or ", ".join(spec.get("models", ()))
    raise BenchmarkError(f"Benchmark of {what} ({spec.get('delegate', 'xnnpack')}) failed:\n{tail}")


def record_from_times(model, target, device, threads, delegate, init_ms, times_ms, warmup, peak_memory_mb):
    """A record from all per-invoke latencies (warm-up runs first)."""
    timed = times_ms[max(warmup, 0) :]
    return BenchmarkRecord(
        model=model,
        target=target,
        device=device,
        threads=threads,
        delegate=delegate,
        init_ms=init_ms,
        first_ms=times_ms[0],
        peak_memory_mb=peak_memory_mb,
        **summarize_times(timed),
    )


def benchmark_host_model(model_path, threads, delegate, runs=10, warmup=2, device=None, **extra):
    """One host record: `delegate` is "xnnpack" or "builtin" for .tflite, "keras-graph" for .keras."""
    if not os.path.isfile(model_path):
        raise BenchmarkError(f"No such model file: {model_path}")
    if runs < 1:
        raise ValueError(f"`runs` must be at least 1. Received: runs={runs}")
    spec = {"model": model_path, "threads": int(threads), "delegate": delegate, "runs": runs, "warmup": warmup}
    spec.update(extra)
    figures = run_worker(spec)
    return record_from_times(
        model=os.path.basename(model_path),
        target="host",
        device=device or host_device_name(),
        threads=int(threads),
        delegate=delegate,
        init_ms=figures["init_ms"],
        times_ms=figures["times_ms"],
        warmup=warmup,
        peak_memory_mb=figures["peak_memory_mb"],
    )


def benchmark_host_pair(model_path, reference_path, threads, delegate="xnnpack", runs=10, warmup=2, device=None):
    """(model record, reference record) timed in one process, runs alternating between the two.

    Alternating makes the ratio of the two robust to other load on a shared
    machine. The model's peak memory is read before the reference is loaded;
    the reference's is not measured (None).
    """
    if not os.path.isfile(model_path):
        raise BenchmarkError(f"No such model file: {model_path}")
    warmup = max(warmup, 1)
    spec = {
        "model": model_path,
        "threads": int(threads),
        "delegate": delegate,
        "runs": runs,
        "warmup": warmup,
        "reference": reference_path,
    }
    figures = run_worker(spec)
    device = device or host_device_name()
    record = record_from_times(
        os.path.basename(model_path),
        "host",
        device,
        int(threads),
        delegate,
        figures["init_ms"],
        figures["times_ms"],
        warmup,
        figures["peak_memory_mb"],
    )
    paired = figures["reference"]
    reference = record_from_times(
        os.path.basename(reference_path),
        "host",
        device,
        int(threads),
        "xnnpack",
        paired["init_ms"],
        paired["times_ms"],
        warmup,
        None,
    )
    return record, reference
