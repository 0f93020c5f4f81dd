import pytest

from dvfl_tf.latency.edgetpu_runner import benchmark_edgetpu_model, check_delegate_library, compile_for_edgetpu
from dvfl_tf.latency.records import BenchmarkError


def test_missing_compiler_is_a_clear_error(tiny_models, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no edgetpu_compiler
    with pytest.raises(BenchmarkError, match="`edgetpu_compiler` not found on PATH.*coral.ai"):
        compile_for_edgetpu(tiny_models["float32"], output_dir=str(tmp_path))


def test_missing_runtime_is_a_clear_error():
    with pytest.raises(BenchmarkError, match="Edge TPU runtime `libedgetpu_absent.so.1` could not be loaded"):
        check_delegate_library("libedgetpu_absent.so.1")


def test_compiled_model_skips_the_compiler_but_needs_the_runtime(tmp_path):
    compiled = tmp_path / "m_edgetpu.tflite"
    compiled.write_bytes(b"")
    assert compile_for_edgetpu(str(compiled)) == str(compiled)
    with pytest.raises(BenchmarkError, match="could not be loaded"):
        benchmark_edgetpu_model(str(compiled), library="libedgetpu_absent.so.1")
