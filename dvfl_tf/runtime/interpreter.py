"""The TFLite interpreter, from whichever runtime package is installed (no TensorFlow).

Order: `ai-edge-litert` (the maintained LiteRT wheel), then `tflite-runtime`
(older Raspberry Pi images ship it). TensorFlow's own `tf.lite.Interpreter` is
deliberately not a fallback: the point of this package is to run without it.
"""

import importlib

import numpy as np

from dvfl_tf.core.errors import UserError
from dvfl_tf.core.quiet import native_stderr_hidden

# (module, pip package) in the order they are tried.
BACKENDS = (
    ("ai_edge_litert.interpreter", "ai-edge-litert"),
    ("tflite_runtime.interpreter", "tflite-runtime"),
)


class RuntimeNotFoundError(UserError, ImportError):
    pass


class RuntimeNumpyMismatchError(RuntimeNotFoundError):
    """tflite-runtime built for NumPy 1.x, imported under NumPy 2 (every model load would fail)."""


# tflite-runtime wheels up to 2.14 (the last release) were built against NumPy 1.x; TensorFlow's
# builds for NumPy 2 start at 2.18. Under NumPy 2 the old wheel imports, then every interpreter fails
# with "SystemError: <built-in method CreateWrapperFromFile ...> returned a result with an exception set".
_TFLITE_RUNTIME_FIRST_NUMPY2 = (2, 18)


def _version_tuple(text):
    parts = []
    for part in str(text).split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def check_numpy_abi(module_name, version):
    """Raises `RuntimeNumpyMismatchError` when `module_name` at `version` cannot run under this NumPy."""
    if module_name != "tflite_runtime" or _version_tuple(np.__version__) < (2, 0):
        return
    if _version_tuple(version) >= _TFLITE_RUNTIME_FIRST_NUMPY2:
        return
    raise RuntimeNumpyMismatchError(
        f"tflite-runtime {version} was built for NumPy 1.x, but NumPy {np.__version__} is installed: loading any "
        "model would fail with 'SystemError ... returned a result with an exception set'. Install ai-edge-litert "
        "(pip install ai-edge-litert; preferred, and faster), or keep tflite-runtime with NumPy 1 "
        "(pip install 'numpy<2')."
    )


def interpreter_module():
    """(module, name) of the first importable backend in `BACKENDS` that can run under this NumPy."""
    tried = []
    for module_name, _package in BACKENDS:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            tried.append(f"{module_name} ({error})")
            continue
        name = module_name.split(".")[0]
        check_numpy_abi(name, getattr(importlib.import_module(name), "__version__", "0"))
        return module, name
    raise RuntimeNotFoundError(
        "No TFLite runtime is installed. Install one of: "
        + ", ".join(package for _, package in BACKENDS)
        + " (pip install ai-edge-litert). Tried: "
        + "; ".join(tried)
    )


def make_interpreter(model_path=None, model_content=None, num_threads=None, use_default_delegates=True):
    """An allocated interpreter for a model file or bytes.

    `use_default_delegates=False` runs TFLite's reference builtin kernels
    (no XNNPACK), which is what the exporter's checks need to see the real ops.
    """
    module, _ = interpreter_module()
    kwargs = {"num_threads": num_threads}
    if not use_default_delegates and hasattr(module, "OpResolverType"):
        kwargs["experimental_op_resolver_type"] = module.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    if model_path is not None:
        kwargs["model_path"] = str(model_path)
    else:
        kwargs["model_content"] = bytes(model_content)
    with native_stderr_hidden():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." unless verbose
        interpreter = module.Interpreter(**kwargs)
        interpreter.allocate_tensors()
    return interpreter


def quantize_to(values, detail):
    """Float `values` in the tensor's real units -> the tensor's dtype (int8/uint8 via its scale, zero point)."""
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.floating):
        return np.asarray(values, dtype=dtype)
    scale, zero_point = detail["quantization"]
    if scale == 0:
        return np.asarray(values).astype(dtype)
    info = np.iinfo(dtype)
    q = np.round(np.asarray(values, dtype=np.float32) / scale + zero_point)
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize_from(values, detail):
    """A tensor's stored values -> float32 real units."""
    if np.issubdtype(detail["dtype"], np.floating):
        return np.asarray(values, dtype=np.float32)
    scale, zero_point = detail["quantization"]
    if scale == 0:
        return np.asarray(values, dtype=np.float32)
    return (np.asarray(values, dtype=np.float32) - zero_point) * scale


def run_clip(interpreter, clip):
    """Runs one clip (T, H, W, 3) raw RGB through a single-input, single-output interpreter; float logits."""
    input_detail = interpreter.get_input_details()[0]
    output_detail = interpreter.get_output_details()[0]
    interpreter.set_tensor(input_detail["index"], quantize_to(clip, input_detail))
    interpreter.invoke()
    return dequantize_from(interpreter.get_tensor(output_detail["index"]), output_detail)
