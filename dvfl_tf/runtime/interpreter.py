"""The TFLite interpreter, from whichever runtime package is installed (no TensorFlow).

Order: `ai-edge-litert` (the maintained LiteRT wheel), then `tflite-runtime`
(older Raspberry Pi images ship it). TensorFlow's own `tf.lite.Interpreter` is
deliberately not a fallback: the point of this package is to run without it.
"""

import importlib

import numpy as np

from dvfl_tf.errors import UserError

# (module, pip package) in the order they are tried.
BACKENDS = (
    ("ai_edge_litert.interpreter", "ai-edge-litert"),
    ("tflite_runtime.interpreter", "tflite-runtime"),
)


class RuntimeNotFoundError(UserError, ImportError):
    pass


def interpreter_module():
    """(module, name) of the first importable backend in `BACKENDS`."""
    tried = []
    for module_name, package in BACKENDS:
        try:
            return importlib.import_module(module_name), module_name.split(".")[0]
        except ImportError as error:
            tried.append(f"{module_name} ({error})")
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
