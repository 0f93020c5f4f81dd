"""The Android path: benchmark_model's documented log format, the device command, and adb errors."""

import os
import stat

import pytest

from dvfl_tf.latency.android import Adb, benchmark_android, benchmark_model_command, record_from_output
from dvfl_tf.latency.benchmark_model_output import BenchmarkOutputError, parse_benchmark_model_output
from dvfl_tf.latency.records import BenchmarkError

# A run of benchmark_model as its logging listener prints it (benchmark_model.cc:
# BenchmarkLoggingListener::OnBenchmarkEnd, Stat::OutputToStream), figures invented.
SAMPLE_OUTPUT = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Min num runs: [20]
INFO: Num threads: [4]
INFO: Min warmup runs: [2]
INFO: Graph: [/data/local/tmp/vfl_net_nano_int8.tflite]
INFO: Report the peak memory footprint: [1]
INFO: #threads used for CPU inference: [4]
INFO: Use xnnpack: [1]
INFO: Loaded model /data/local/tmp/vfl_net_nano_int8.tflite
INFO: Created TensorFlow Lite XNNPACK delegate for CPU.
INFO: XNNPACK delegate created.
INFO: Explicitly applied XNNPACK delegate, and the model graph will be completely executed by the delegate.
INFO: The input model file size (MB): 23.4561
INFO: Initialized session in 52.345ms.
INFO: Running benchmark for at least 2 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
INFO: count=2 first=412345 curr=398765 min=398765 max=412345 avg=405555 std=6790

INFO: Running benchmark for at least 20 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
INFO: count=20 first=401234 curr=399001 min=395500 max=405678 avg=400123 std=2345

INFO: Inference timings in us: Init: 52345, First inference: 412345, Warmup (avg): 405555, Inference (avg): 400123
INFO: Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.
INFO: Memory footprint delta from the start of the tool (MB): init=41.25 overall=97.5
INFO: Overall peak memory footprint (MB) via periodic monitoring: 104.375
INFO: Memory status at the end of exeution:
INFO: - VmRSS              : 101 MB
INFO: + RssAnnon           : 77 MB
INFO: + RssFile + RssShmem : 24 MB
"""


def test_parse_documented_output():
    figures = parse_benchmark_model_output(SAMPLE_OUTPUT)
    assert figures["init_ms"] == pytest.approx(52.345)
    assert figures["first_ms"] == pytest.approx(412.345)
    assert figures["warmup_avg_ms"] == pytest.approx(405.555)
    assert figures["mean_ms"] == pytest.approx(400.123)
    # From the timed runs' stat line (the second count= line), not the warm-up one.
    assert figures["runs"] == 20
    assert figures["min_ms"] == pytest.approx(395.5)
    assert figures["max_ms"] == pytest.approx(405.678)
    assert figures["std_ms"] == pytest.approx(2.345)
    assert figures["init_memory_mb"] == pytest.approx(41.25)
    assert figures["overall_memory_mb"] == pytest.approx(97.5)
    assert figures["peak_memory_mb"] == pytest.approx(104.375)


def test_parse_exponent_averages_all_same_runs_and_no_memory_lines():
    # C++ prints double averages with 6 significant digits; one timed run prints "count=1 curr=V".
    text = (
        "count=1 curr=1234567\n"
        "count=1 curr=1234000\n"
        "Inference timings in us: Init: 1.5e+06, First inference: 1234567, Warmup (avg): 1.23457e+06, "
        "Inference (avg): 1.234e+06\n"
    )
    figures = parse_benchmark_model_output(text)
    assert figures["init_ms"] == pytest.approx(1500.0)
    assert figures["mean_ms"] == pytest.approx(1234.0)
    assert figures["runs"] == 1
    assert figures["min_ms"] == figures["max_ms"] == pytest.approx(1234.0)
    assert figures["std_ms"] == 0.0
    assert figures["peak_memory_mb"] is None and figures["overall_memory_mb"] is None


def test_parse_failed_run_is_a_clear_error():
    with pytest.raises(BenchmarkOutputError, match="No 'Inference timings in us:' line"):
        parse_benchmark_model_output("ERROR: Could not open '/data/local/tmp/x.tflite'.\nERROR: Benchmarking failed.\n")


def test_record_from_output():
    record = record_from_output(
        SAMPLE_OUTPUT, "vfl_net_nano_int8.tflite", "Pixel 7 (SoC gs201, Android 14)", 4, "xnnpack"
    )
    assert (record.target, record.threads, record.delegate, record.runs) == ("android", 4, "xnnpack", 20)
    assert record.mean_ms == pytest.approx(400.123)
    assert record.median_ms is None and record.p90_ms is None  # benchmark_model reports neither
    assert record.latency_ms == pytest.approx(400.123)
    assert record.peak_memory_mb == pytest.approx(104.375)


def test_device_command_flags():
    command = benchmark_model_command(
        "/data/local/tmp/benchmark_model", "/data/local/tmp/m.tflite", 4, "gpu", runs=30, warmup=3, taskset="f0"
    )
    assert command.startswith("taskset f0 /data/local/tmp/benchmark_model --graph=/data/local/tmp/m.tflite")
    for flag in (
        "--num_threads=4",
        "--num_runs=30",
        "--warmup_runs=3",
        "--use_gpu=true",
        "--report_peak_memory_footprint=true",
    ):
        assert flag in command.split()
    assert "--use_xnnpack=false" in benchmark_model_command("b", "g", 1, "builtin", 1, 1)
    with pytest.raises(ValueError, match="delegate"):
        benchmark_model_command("b", "g", 1, "tpu", 1, 1)


def test_missing_adb_is_a_clear_error():
    with pytest.raises(BenchmarkError, match="not found on PATH.*platform-tools"):
        Adb(adb="adb-that-does-not-exist")


def _fake_adb(directory, devices_output):
    # A stand-in for the adb client only (not for the code under test): prints a fixed
    # `adb devices` listing, as adb does when no phone or an unauthorised phone is attached.
    path = os.path.join(directory, "adb")
    with open(path, "w") as f:
        f.write(f"#!/bin/sh\nif [ \"$1\" = devices ]; then printf '{devices_output}'; exit 0; fi\nexit 1\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def test_no_device_is_a_clear_error(tmp_path):
    adb = _fake_adb(str(tmp_path), "List of devices attached\\n\\n")
    with pytest.raises(BenchmarkError, match="No Android device ready over adb \\(attached: none\\)"):
        Adb(adb=adb)
    adb = _fake_adb(str(tmp_path), "List of devices attached\\nR58M12345\\tunauthorized\\n")
    with pytest.raises(BenchmarkError, match="R58M12345 \\(unauthorized\\)"):
        Adb(adb=adb)
    adb = _fake_adb(str(tmp_path), "List of devices attached\\nA\\tdevice\\nB\\tdevice\\n")
    with pytest.raises(BenchmarkError, match="choose one with --serial"):
        Adb(adb=adb)


def test_missing_benchmark_binary_is_a_clear_error(tmp_path, tiny_models):
    with pytest.raises(BenchmarkError, match="benchmark-binary"):
        benchmark_android([tiny_models["float32"]], benchmark_binary=str(tmp_path / "absent"))


def test_apk_start_command_quotes_the_flags():
    from dvfl_tf.latency.android import apk_start_command

    flags = benchmark_model_command("", "/data/local/tmp/m.tflite", 4, "xnnpack", 20, 2).strip()
    command = apk_start_command(flags)
    assert command.startswith("am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity --es args '")
    assert "'--graph=/data/local/tmp/m.tflite --num_threads=4" in command and command.endswith("=true'")


def test_missing_apk_is_a_clear_error(tmp_path, tiny_models):
    with pytest.raises(BenchmarkError, match="No such benchmark APK"):
        benchmark_android([tiny_models["float32"]], benchmark_binary=None, benchmark_apk=str(tmp_path / "b.apk"))
