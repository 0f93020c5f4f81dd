"""The terminal scripts in mobile/: valid bash, clear argument and missing-tool errors."""

import os
import shutil
import subprocess

import pytest

BASH = shutil.which("bash")  # absolute, so tests can run the scripts with a PATH lacking adb etc.
MOBILE = os.path.join(os.path.dirname(__file__), "..", "..", "mobile")
SCRIPTS = ["android_benchmark.sh", "edgetpu_benchmark.sh"]


def _run(script, *args, path=None):
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [BASH, os.path.join(MOBILE, script), *args], capture_output=True, text=True, env=env, timeout=30
    )


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_parse(script):
    result = subprocess.run(["bash", "-n", os.path.join(MOBILE, script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script", SCRIPTS)
def test_usage_errors(script):
    missing = _run(script)
    assert missing.returncode == 2
    assert "error:" in missing.stderr and "Usage:" in missing.stderr
    unknown = _run(script, "--model", "m.tflite", "--binary", "b", "--bogus")
    assert unknown.returncode == 2
    assert "unknown argument: --bogus" in unknown.stderr


def test_android_bad_values(tmp_path):
    result = _run("android_benchmark.sh", "--model", "m.tflite", "--binary", "b", "--threads", "two")
    assert result.returncode == 2 and "--threads must be like 1,2,4" in result.stderr
    result = _run("android_benchmark.sh", "--model", "m.tflite", "--binary", "b", "--delegate", "tpu")
    assert result.returncode == 2 and "--delegate must be" in result.stderr


def test_android_missing_adb(tmp_path):
    model, binary = tmp_path / "m.tflite", tmp_path / "benchmark_model"
    model.write_bytes(b"x")
    binary.write_bytes(b"x")
    # A PATH without adb: the script must stop before touching any device.
    empty = str(tmp_path / "bin")
    os.makedirs(empty)
    result = _run("android_benchmark.sh", "--model", str(model), "--binary", str(binary), path=empty)
    assert result.returncode == 1
    assert "adb not found on PATH" in result.stderr


def test_edgetpu_missing_compiler(tmp_path):
    model, binary = tmp_path / "m.tflite", tmp_path / "benchmark_model"
    model.write_bytes(b"x")
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    empty = str(tmp_path / "bin")
    os.makedirs(empty)
    result = _run("edgetpu_benchmark.sh", "--model", str(model), "--binary", str(binary), path=empty)
    assert result.returncode == 1
    assert "edgetpu_compiler not found on PATH" in result.stderr


def test_missing_files(tmp_path):
    result = _run("android_benchmark.sh", "--model", str(tmp_path / "absent.tflite"), "--binary", str(tmp_path))
    assert result.returncode == 1 and "no such benchmark_model binary" in result.stderr
