"""Runs ONE host benchmark in its own process and prints its figures as JSON.

A process per (model, threads, delegate) makes the peak RSS each model's
own: the high-water mark never goes down, so measuring several models in one
process would report the largest so far. It is read from /proc/self/status
(VmHWM, reset by exec) rather than getrusage, whose ru_maxrss a child
inherits from the process that started it (e.g. one that had TensorFlow loaded).

Usage (internal): python -m dvfl_tf.latency.host_worker '<json spec>'
"""

import json
import os
import resource
import sys
import time

from dvfl_tf.latency.inputs import random_input
from dvfl_tf.models.clip_geometry import clip_geometry


def _time_invokes(invoke, warmup, runs):
    """All latencies in ms: warm-up runs (the first is `first_ms`) then timed runs."""
    times = []
    for _ in range(max(warmup, 0) + runs):
        start = time.perf_counter()
        invoke()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def _tflite_interpreter(model_path, threads, delegate, delegate_library=None):
    """(interpreter with inputs set, init_ms)."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType, load_delegate  # noqa: PLC0415 (each worker loads only its model's runtime, so the peak RSS it reports is that model's)

    kwargs = {"model_path": model_path, "num_threads": threads}
    if delegate == "builtin":
        # TFLite's own kernels: no default XNNPACK delegate.
        kwargs["experimental_op_resolver_type"] = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    elif delegate == "edgetpu":
        kwargs["experimental_delegates"] = [load_delegate(delegate_library)]
    start = time.perf_counter()
    interpreter = Interpreter(**kwargs)
    interpreter.allocate_tensors()
    init_ms = (time.perf_counter() - start) * 1e3
    for index, detail in enumerate(interpreter.get_input_details()):
        interpreter.set_tensor(detail["index"], random_input(detail["shape"], detail["dtype"], seed=index))
    return interpreter, init_ms


def _run_tflite(spec):
    interpreter, init_ms = _tflite_interpreter(
        spec["model"], spec["threads"], spec["delegate"], spec.get("delegate_library")
    )
    if not spec.get("reference"):
        return init_ms, _time_invokes(interpreter.invoke, spec["warmup"], spec["runs"]), None
    # Roofline: the model's warm-up first, so the peak memory read here is the model's own;
    # then the dense reference, and timed runs alternating model / reference, so that both
    # see the same machine load (other processes on a shared machine) run by run.
    warm = _time_invokes(interpreter.invoke, max(spec["warmup"], 1), 0)
    peak_mb = _peak_rss_mb()
    reference, reference_init_ms = _tflite_interpreter(spec["reference"], spec["threads"], "xnnpack")
    reference_warm = _time_invokes(reference.invoke, max(spec["warmup"], 1), 0)
    times, reference_times = [], []
    for _ in range(spec["runs"]):
        times += _time_invokes(interpreter.invoke, 0, 1)
        reference_times += _time_invokes(reference.invoke, 0, 1)
    paired = {"init_ms": reference_init_ms, "times_ms": reference_warm + reference_times}
    return init_ms, warm + times, {"peak_memory_mb": peak_mb, "reference": paired}


def _run_round_robin(spec):
    """Several .tflite files in one process, timed in turn run by run: {"times_ms": [per file], "init_ms": [...]}.

    Every file sees the same machine load, so their ratios hold on a shared machine.
    """
    interpreters, init_ms = [], []
    for path in spec["models"]:
        interpreter, init = _tflite_interpreter(path, spec["threads"], "xnnpack")
        interpreters.append(interpreter)
        init_ms.append(init)
        _time_invokes(interpreter.invoke, max(spec["warmup"], 1), 0)
    times = [[] for _ in interpreters]
    for _ in range(spec["runs"]):
        for interpreter, timed in zip(interpreters, times):
            timed += _time_invokes(interpreter.invoke, 0, 1)
    return {"times_ms": times, "init_ms": init_ms}


def _run_keras(spec):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # noqa: PLC0415 (each worker loads only its model's runtime, so the peak RSS it reports is that model's)

    from dvfl_tf.models.model_loading import load_keras_model  # noqa: PLC0415 (each worker loads only its model's runtime, so the peak RSS it reports is that model's)

    tf.config.threading.set_intra_op_parallelism_threads(spec["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(1)
    start = time.perf_counter()
    model = load_keras_model(spec["model"])
    # One clip (batch 1), in graph mode: a tf.function traced once during warm-up.
    clip = tf.constant(random_input(clip_geometry(model).batch_shape(1), "float32"))
    forward = tf.function(lambda x: model(x, training=False))
    init_ms = (time.perf_counter() - start) * 1e3
    return init_ms, _time_invokes(lambda: forward(clip).numpy(), spec["warmup"], spec["runs"]), None


def _peak_rss_mb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    # Elsewhere (macOS: bytes; others: KiB) fall back to getrusage.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024.0


def main():
    spec = json.loads(sys.argv[1])
    if spec.get("models"):
        print("DVFL_BENCHMARK_RESULT " + json.dumps(_run_round_robin(spec)))
        return
    runner = _run_keras if spec["delegate"] == "keras-graph" else _run_tflite
    init_ms, times, extra = runner(spec)
    result = {"init_ms": init_ms, "times_ms": times, "peak_memory_mb": _peak_rss_mb()}
    result.update(extra or {})
    print("DVFL_BENCHMARK_RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
