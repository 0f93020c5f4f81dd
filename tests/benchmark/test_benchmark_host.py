import pytest

from dvfl_tf.latency.harness import run_host
from dvfl_tf.latency.host import benchmark_host_model
from dvfl_tf.latency.model_info import inspect_tflite
from dvfl_tf.latency.records import BenchmarkError


def _check_record(record, runs):
    assert record.runs == runs
    assert 0 < record.min_ms <= record.median_ms <= record.p90_ms
    assert record.min_ms <= record.mean_ms
    assert record.first_ms > 0 and record.init_ms > 0
    assert record.peak_memory_mb > 10  # the interpreter's process, at least the Python runtime


@pytest.mark.parametrize("delegate", ["xnnpack", "builtin"])
def test_tflite_on_host(tiny_models, delegate):
    record = benchmark_host_model(tiny_models["float32"], threads=1, delegate=delegate, runs=3, warmup=1)
    _check_record(record, runs=3)
    assert (record.target, record.delegate, record.threads) == ("host", delegate, 1)
    assert record.model == "tiny_float32.tflite"


def test_keras_graph_mode_on_host(tiny_models):
    record = benchmark_host_model(tiny_models["keras"], threads=1, delegate="keras-graph", runs=2, warmup=1)
    _check_record(record, runs=2)


def test_roofline_times_a_dense_model_of_the_same_macs(tiny_models):
    records = run_host([tiny_models["float32"]], threads=[1], runs=2, warmup=1, roofline=True)
    model, reference = records
    assert reference.model.startswith("dense_reference")
    macs = inspect_tflite(tiny_models["float32"]).macs
    assert model.gmacs == pytest.approx(macs / 1e9)
    # The reference has the same MACs up to rounding to whole tokens of 768x768 layers.
    assert reference.gmacs == pytest.approx(model.gmacs, rel=0.05)
    assert model.roofline_fraction == pytest.approx(model.gmacs_per_s / reference.gmacs_per_s)
    assert model.roofline_fraction > 0


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(BenchmarkError, match="No such model file"):
        benchmark_host_model(str(tmp_path / "absent.tflite"), threads=1, delegate="xnnpack")


def test_corrupt_model_is_a_clear_error(tmp_path):
    path = tmp_path / "corrupt.tflite"
    path.write_bytes(b"not a flatbuffer")
    with pytest.raises(BenchmarkError, match="corrupt.tflite"):
        benchmark_host_model(str(path), threads=1, delegate="xnnpack", runs=1, warmup=0)


def test_peak_memory_is_the_model_process_own(tiny_models):
    import numpy as np

    # The parent (this test process) grows well beyond what the tiny model needs; the
    # child's peak must not inherit the parent's high-water mark.
    ballast = np.ones(400 * 2**20 // 8)
    record = benchmark_host_model(tiny_models["float32"], threads=1, delegate="xnnpack", runs=1, warmup=0)
    with open("/proc/self/status") as f:
        parent_mb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
    assert ballast.sum() > 0 and parent_mb > 400
    assert record.peak_memory_mb < parent_mb - 200


def test_roofline_reference_has_the_model_precision(tiny_models):
    model, reference = run_host([tiny_models["dynamic_range"]], threads=[1], runs=1, warmup=1, roofline=True)
    assert model.precision == reference.precision == "dynamic_range"
    assert "dynamic_range" in reference.model
    assert model.roofline_fraction > 0
