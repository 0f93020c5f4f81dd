"""`dvfl-tf benchmark`: runs every (model, threads, delegate) on one target, adds MACs and the roofline."""

import os
import tempfile

from dvfl_tf.core.checks import check_ranges
from dvfl_tf.latency.android import benchmark_android
from dvfl_tf.latency.edgetpu_runner import benchmark_edgetpu_model
from dvfl_tf.latency.host import benchmark_host_model, benchmark_host_pair, host_device_name
from dvfl_tf.latency.model_info import inspect_tflite
from dvfl_tf.latency.records import TARGETS, TIMING_DEFAULTS, TIMING_RANGES, BenchmarkError
from dvfl_tf.latency.roofline import attach_roofline, build_dense_reference, gmacs_per_second
from dvfl_tf.models.profiling import profile_model
from dvfl_tf.runtime.model_metadata import load_metadata
from dvfl_tf.runtime.stream import STREAM_FORMAT


def keras_macs(model_path):
    """MACs of a .keras model via `dvfl_tf.models.profiling.profile_model`."""
    from dvfl_tf.models.model_loading import load_keras_model  # noqa: PLC0415 (Keras for .keras models only: .tflite benchmarks run without TensorFlow)

    return int(profile_model(load_keras_model(model_path))["macs"])


def _model_facts(path):
    """(macs or None, precision) of a model file."""
    if path.endswith(".tflite"):
        info = inspect_tflite(path)
        return info.macs, info.precision
    if path.endswith(".keras"):
        return keras_macs(path), "float32"
    raise BenchmarkError(f"Unsupported model file (expected .tflite or .keras): {path}")


def _frames_per_invoke(path):
    """(frames one invoke takes in, whether it is a stream model) of a model file."""
    if path.endswith(".tflite"):
        metadata = load_metadata(path)
        if metadata.get("format") == STREAM_FORMAT:
            return int(metadata["tubelet_size"]), True
        return metadata.get("num_frames"), False
    return None, False


def _with_macs(record, macs, precision, path=None):
    record.precision = precision
    if path is not None:
        frames, stream = _frames_per_invoke(path)
        record.frames_per_invoke = frames
        if stream:
            record.per_frame_ms = record.latency_ms / frames
    if macs:
        record.gmacs = macs / 1e9
        record.gmacs_per_s = gmacs_per_second(macs, record.latency_ms)
    return record


def run_host(
    model_paths,
    threads=(1,),
    delegates=("xnnpack",),
    runs=TIMING_DEFAULTS["runs"],
    warmup=TIMING_DEFAULTS["warmup"],
    roofline=False,
    work_dir=None,
):
    """Host records; with `roofline`, also a dense-only reference of each MAC count, timed alongside."""
    for path in model_paths:
        if not os.path.isfile(path):
            raise BenchmarkError(f"No such model file: {path}")
    device = host_device_name()
    records, references = [], []
    reference_paths = {}  # (MAC count, precision) -> (path, exact MACs)
    with tempfile.TemporaryDirectory(dir=work_dir) as tmp:
        for path in model_paths:
            macs, precision = _model_facts(path)
            if roofline and not macs:
                raise BenchmarkError(f"--roofline needs the MAC count of {path}; none could be computed.")
            model_delegates = ("keras-graph",) if path.endswith(".keras") else delegates
            for count in threads:
                for delegate in model_delegates:
                    reference = None
                    if roofline:
                        # Same MACs and same precision: float32 models against float32 GEMMs, int8 against int8.
                        key = (macs, precision)
                        if key not in reference_paths:
                            reference_path = os.path.join(
                                tmp, f"dense_reference_{precision}_{macs / 1e9:.2f}gmac.tflite"
                            )
                            reference_paths[key] = (
                                reference_path,
                                build_dense_reference(macs, reference_path, precision=precision),
                            )
                        reference = reference_paths[key]
                    if reference and delegate != "keras-graph":
                        # Timed in the same process, alternating run by run with the model.
                        record, ref = benchmark_host_pair(path, reference[0], count, delegate, runs, warmup, device)
                    else:
                        record = benchmark_host_model(path, count, delegate, runs, warmup, device=device)
                        ref = None
                        if reference:  # Keras: TensorFlow, so the reference runs in its own process right after
                            ref = benchmark_host_model(reference[0], count, "xnnpack", runs, warmup, device=device)
                    records.append(_with_macs(record, macs, precision, path))
                    if ref is not None:
                        references.append(_with_macs(ref, reference[1], precision))
                        attach_roofline([record], [ref])
    return records + references


def run_benchmarks(
    model_paths,
    target="host",
    threads=(1,),
    delegates=None,
    runs=TIMING_DEFAULTS["runs"],
    warmup=TIMING_DEFAULTS["warmup"],
    roofline=False,
    **target_options,
):
    """Records for `model_paths` on `target` ("host", "android" or "edgetpu")."""
    if target not in TARGETS:
        raise ValueError(f"`target` must be one of {TARGETS}. Received: target={target!r}")
    check_ranges({"runs": runs, "warmup": warmup}, TIMING_RANGES)
    if not model_paths:
        raise BenchmarkError("Give at least one model file.")
    allowed = {"host": ("xnnpack", "builtin"), "android": ("xnnpack", "builtin", "gpu", "nnapi"), "edgetpu": ()}[target]
    unknown = [d for d in delegates or () if d not in allowed]
    if unknown:
        raise BenchmarkError(
            f"--delegate {', '.join(unknown)} is not available on --target {target} "
            f"(choose from: {', '.join(allowed) or 'none, the Edge TPU delegate is implied'})."
        )
    if target == "host":
        return run_host(model_paths, threads, delegates or ("xnnpack",), runs, warmup, roofline)
    if roofline:
        raise BenchmarkError("--roofline is measured on the host (--target host) only.")
    if target == "android":
        records = benchmark_android(
            model_paths,
            threads=threads,
            delegates=delegates or ("xnnpack",),
            runs=runs,
            warmup=warmup,
            **target_options,
        )
    else:
        records = [benchmark_edgetpu_model(path, runs=runs, warmup=warmup, **target_options) for path in model_paths]
    for record, path in zip(
        records, [p for p in model_paths for _ in range(len(records) // len(model_paths))], strict=False
    ):
        try:
            macs, precision = _model_facts(path)
        except Exception:  # e.g. a compiled *_edgetpu.tflite whose custom op hides the layers
            continue
        _with_macs(record, macs, precision, path)
    return records
