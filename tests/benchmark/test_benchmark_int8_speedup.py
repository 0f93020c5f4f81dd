"""`dvfl-tf benchmark --int8-speedup`: CPU flags, delegation from a real op profile, the report."""

import json
import os
import subprocess
import sys

import pytest

from dvfl_tf.latency.cpu_features import host_cpu_features, load_average, parse_cpuinfo
from dvfl_tf.latency.int8_speedup import format_int8_speedup, measure_int8_speedup, target_speedup
from dvfl_tf.latency.op_profile import delegated_share, profile_ops, xnnpack_partitions

X86_VNNI = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz
flags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw avx512_vnni avx512_bf16
"""
X86_AVX2 = """processor\t: 0
model name\t: AMD EPYC 7B12
flags\t\t: fpu sse2 avx avx2 fma
"""
X86_AVX_VNNI = """model name\t: 12th Gen Intel(R) Core(TM) i7-1260P
flags\t\t: sse2 avx avx2 fma avx_vnni
"""
ARM_I8MM = """processor\t: 0
BogoMIPS\t: 48.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp sve i8mm
CPU implementer\t: 0x41
Hardware\t: Qualcomm Technologies, Inc SM8550
"""
ARM_A53 = """processor\t: 0
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid
CPU part\t: 0xd03
"""


@pytest.mark.parametrize(
    "text, flags, dot",
    [
        (X86_VNNI, ["AVX-512 VNNI", "AVX-512F", "AVX2", "FMA"], True),
        (X86_AVX2, ["AVX2", "FMA"], False),
        (X86_AVX_VNNI, ["AVX-VNNI", "AVX2", "FMA"], True),
        (ARM_I8MM, ["I8MM", "dotprod", "SVE", "NEON"], True),
        (ARM_A53, ["NEON"], False),
    ],
)
def test_int8_flags_are_read_from_cpuinfo(text, flags, dot):
    features = parse_cpuinfo(text)
    assert features["int8_flags"] == flags
    assert features["int8_dot_product"] is dot


def test_cpu_model_and_machine_from_cpuinfo():
    assert parse_cpuinfo(X86_VNNI)["cpu_model"].startswith("Intel(R) Xeon(R) Platinum 8375C")
    assert parse_cpuinfo(X86_VNNI)["machine"] == "x86_64"
    assert parse_cpuinfo(ARM_I8MM)["cpu_model"] == "Qualcomm Technologies, Inc SM8550"
    assert parse_cpuinfo(ARM_I8MM)["machine"] == "aarch64"


def test_this_machine_reports_its_flags():
    features = host_cpu_features()
    assert features["cpu_model"] and features["cores"] >= 1
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            has_avx2 = " avx2" in f.read()
        assert ("AVX2" in features["int8_flags"]) == has_avx2
        assert len(load_average()) == 3


@pytest.mark.parametrize("dense, target", [(1.1, 1.0), (0.8, 1.0), (2.0, 1.0), (4.5, 2.25)])
def test_target_is_half_the_dense_speedup_and_never_slower(dense, target):
    assert target_speedup(dense) == pytest.approx(target)


def test_float32_graph_is_one_partition_and_fully_delegated(tiny_models):
    partitions, delegated = xnnpack_partitions(tiny_models["float32"])
    timings = profile_ops(tiny_models["float32"], runs=1, warmup=0)
    assert partitions == 1
    assert delegated == {t.index for t in timings}
    assert delegated_share(timings) == 1.0


def test_int8_rsqrt_falls_off_xnnpack_and_splits_the_graph(tiny_int8):
    # int8 RSQRT (the LayerNorms') has no XNNPACK kernel: TFLite's own kernel runs it.
    partitions, delegated = xnnpack_partitions(tiny_int8)
    timings = profile_ops(tiny_int8, runs=3, warmup=1)
    rsqrt = [t for t in timings if t.op == "RSQRT"]
    assert rsqrt and not any(t.delegated for t in rsqrt)
    assert any(t.delegated for t in timings if t.op == "FULLY_CONNECTED")
    assert partitions > 1
    share = delegated_share(timings)
    expected = sum(t.median_ms for t in timings if t.index in delegated) / sum(t.median_ms for t in timings)
    assert share == pytest.approx(expected)
    assert 0.0 < share < 1.0


def test_report_pairs_each_quantized_file_with_its_float32_twin(tiny_models, tiny_int8):
    report = measure_int8_speedup([tiny_models["float32"], tiny_int8], threads=(1,), runs=3, warmup=1, profile_runs=1)
    assert [entry["model"] for entry in report["files"]] == ["tiny_float32.tflite", "tiny_int8.tflite"]
    float_entry, int8_entry = report["files"]
    assert float_entry["speedup_over_float32"] is None and float_entry["precision"] == "float32"
    assert int8_entry["precision"] == "int8"
    assert int8_entry["float32_twin"] == "tiny_float32.tflite"
    assert int8_entry["speedup_over_float32"] == pytest.approx(float_entry["median_ms"] / int8_entry["median_ms"])
    (dense,) = report["dense_references"]
    assert dense["int8_speedup"] == pytest.approx(dense["float32_median_ms"] / dense["int8_median_ms"])
    # The dense reference has the file's MACs to within one 768-wide token row (or 1%).
    assert abs(dense["gmacs"] - int8_entry["gmacs"]) * 1e9 <= max(768 * 768, 0.01 * int8_entry["gmacs"] * 1e9)
    assert int8_entry["target_speedup"] == pytest.approx(target_speedup(dense["int8_speedup"]))
    assert int8_entry["meets_speedup_target"] == (int8_entry["speedup_over_float32"] >= int8_entry["target_speedup"])
    assert int8_entry["xnnpack_partitions"] > 1 and "RSQRT" in int8_entry["undelegated_ms_by_op"]
    assert float_entry["xnnpack_partitions"] == 1 and float_entry["delegated_share"] == 1.0
    assert report["cpu"]["cpu_model"] and report["runs"] == 3
    table = format_int8_speedup(report)
    assert "int8-relevant flags" in table and "tiny_int8.tflite" in table and "RSQRT" in table


def test_cli_prints_clean_json_and_saves_it(tiny_models, tiny_int8, tmp_path):
    # The real process: the converter of the dense references prints to stdout, which must stay JSON.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    saved = tmp_path / "speedup.json"
    command = [sys.executable, "-m", "dvfl_tf", "benchmark", tiny_models["float32"], tiny_int8, "--int8-speedup"]
    command += ["--json", "--runs", "2", "--warmup", "1", "--save-json", str(saved)]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    assert report == json.loads(saved.read_text())
    assert report["files"][1]["float32_twin"] == "tiny_float32.tflite"
    # An existing report is not replaced without --overwrite.
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode != 0 and "--overwrite" in again.stderr and "Traceback" not in again.stderr


def test_cli_refuses_other_targets_and_csv(tiny_models, tmp_path):
    from click.testing import CliRunner

    from dvfl_tf.cli import main

    result = CliRunner().invoke(main, ["benchmark", tiny_models["float32"], "--int8-speedup", "--target", "android"])
    assert result.exit_code == 2 and "--target host" in result.output
    csv_path = str(tmp_path / "x.csv")
    result = CliRunner().invoke(main, ["benchmark", tiny_models["float32"], "--int8-speedup", "--csv", csv_path])
    assert result.exit_code == 2 and "--save-json" in result.output
    result = CliRunner().invoke(main, ["benchmark", tiny_models["float32"], "--int8-speedup", "--delegate", "builtin"])
    assert result.exit_code == 2 and "XNNPACK" in result.output
    not_tflite = tmp_path / "broken.tflite"
    not_tflite.write_bytes(b"not a flatbuffer")
    result = CliRunner().invoke(main, ["benchmark", str(not_tflite), "--int8-speedup"])
    assert result.exit_code == 1 and f"{not_tflite}: " in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["benchmark", tiny_models["keras"], "--int8-speedup"])
    assert result.exit_code == 1 and ".tflite files only" in result.output
