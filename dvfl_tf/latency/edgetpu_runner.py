"""Edge TPU (Coral) benchmarks: compile with `edgetpu_compiler`, run with the libedgetpu delegate.

The first inference loads the model's parameters onto the TPU, so it is
reported separately (`first_ms`) from the steady-state figures.
"""

import ctypes
import os
import shutil
import subprocess

from dvfl_tf.latency.host import benchmark_host_model
from dvfl_tf.latency.records import BenchmarkError

EDGETPU_LIBRARY = "libedgetpu.so.1"
COMPILER = "edgetpu_compiler"


def find_compiler(compiler=COMPILER):
    path = shutil.which(compiler)
    if path is None:
        raise BenchmarkError(
            f"`{compiler}` not found on PATH. Install the Edge TPU compiler "
            "(https://coral.ai/docs/edgetpu/compiler/, Debian package `edgetpu-compiler`, x86-64 Linux only), "
            "or pass an already compiled *_edgetpu.tflite model."
        )
    return path


def check_delegate_library(library=EDGETPU_LIBRARY):
    """Raises a clear error when the Edge TPU runtime is not installed (loading it does not open the device)."""
    try:
        ctypes.CDLL(library)
    except OSError as error:
        raise BenchmarkError(
            f"Edge TPU runtime `{library}` could not be loaded ({error}). Install the runtime "
            "(Debian package `libedgetpu1-std`, https://coral.ai/docs/accelerator/get-started/) "
            "and connect a Coral device."
        ) from None


def compile_for_edgetpu(model_path, output_dir=None, compiler=COMPILER):
    """The *_edgetpu.tflite next to `model_path` (or in `output_dir`), compiling it if needed."""
    if model_path.endswith("_edgetpu.tflite"):
        return model_path
    if not os.path.isfile(model_path):
        raise BenchmarkError(f"No such model file: {model_path}")
    output_dir = output_dir or os.path.dirname(os.path.abspath(model_path))
    compiled = os.path.join(output_dir, os.path.basename(model_path)[: -len(".tflite")] + "_edgetpu.tflite")
    if os.path.isfile(compiled) and os.path.getmtime(compiled) >= os.path.getmtime(model_path):
        return compiled
    executable = find_compiler(compiler)
    completed = subprocess.run(
        [executable, "--out_dir", output_dir, "--show_operations", model_path], capture_output=True, text=True
    )
    if completed.returncode != 0 or not os.path.isfile(compiled):
        raise BenchmarkError(
            f"edgetpu_compiler failed on {model_path} (the Edge TPU needs a full-integer int8 model):\n"
            + (completed.stderr or completed.stdout)[-2000:]
        )
    return compiled


def benchmark_edgetpu_model(model_path, runs=10, warmup=1, library=EDGETPU_LIBRARY, compiler=COMPILER):
    """One record for `model_path` on the Edge TPU (threads = 1: the CPU only feeds the TPU)."""
    compiled = compile_for_edgetpu(model_path, compiler=compiler)
    check_delegate_library(library)
    record = benchmark_host_model(
        compiled,
        threads=1,
        delegate="edgetpu",
        runs=runs,
        warmup=warmup,
        device="Edge TPU (Coral)",
        delegate_library=library,
    )
    record.target = "edgetpu"
    return record
