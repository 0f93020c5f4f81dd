"""Keras single-clip model -> TFLite flatbuffer, in one of four precision modes.

Modes:
- "float32": float weights and activations.
- "fp16": float16 weights (dequantized at load or run by GPU delegates in fp16).
- "dynamic_range": int8 weights, float activations (weights-only quantization).
- "int8": full integer: int8 weights and activations, int8 (or uint8) input
  and output, builtin int8 kernels only (`TFLITE_BUILTINS_INT8`), calibrated
  on representative clips.
- "int16x8": integer with int16 activations and int8 weights (TFLite's 16x8
  scheme), float input/output; for models whose activations do not survive
  int8 (see docs/export.md). CPU only: no GPU delegate or Edge TPU runs it.
- "int8_mixed": the int8 GEMMs and convolutions of "int8", with each LayerNorm
  (and the exact GELU) on float kernels between DEQUANTIZE and QUANTIZE, which
  XNNPACK runs (its int8 kernels lack RSQRT and GELU and refuse the LayerNorm's
  small-scale SUBs and ADDs, so those fell to slow reference kernels and split
  the graph); float input/output. For CPUs, not the Edge TPU.

A mode is one entry of `MODE_TABLE`.

Only TFLite builtin ops are ever allowed: no Flex (Select TF ops) fallback.
"""

import contextlib
import dataclasses
import io
import os
import re

import tensorflow as tf

from dvfl_tf.core.errors import UserError
from dvfl_tf.core.quiet import native_stderr_hidden

# What "int8_mixed" leaves in float: every LayerNorm (quantization_debug.PARTS) and the exact GELU op.
MIXED_KEEP_FLOAT = ("layer_norm", "GELU")


@dataclasses.dataclass(frozen=True)
class PrecisionMode:
    """How the converter quantizes in one mode: one entry of `MODE_TABLE`."""

    optimize: bool = False  # tf.lite.Optimize.DEFAULT
    supported_types: tuple = ()  # e.g. ("float16",)
    calibrated: bool = False  # needs representative clips
    ops_set: str = "TFLITE_BUILTINS"  # a tf.lite.OpsSet member
    integer_io: bool = False  # int8 (or uint8) input and output
    # Parts ("layer_norm", "gelu", ...; see quantization_debug.PARTS) or op types left in float.
    keep_float: tuple = ()


MODE_TABLE = {
    "float32": PrecisionMode(),
    "fp16": PrecisionMode(optimize=True, supported_types=("float16",)),
    "dynamic_range": PrecisionMode(optimize=True),
    "int8": PrecisionMode(optimize=True, calibrated=True, ops_set="TFLITE_BUILTINS_INT8", integer_io=True),
    "int16x8": PrecisionMode(
        optimize=True, calibrated=True, ops_set="EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8"
    ),
    # int8 GEMMs and convolutions, the normalization on float kernels: see docs/export.md.
    "int8_mixed": PrecisionMode(
        optimize=True, calibrated=True, ops_set="TFLITE_BUILTINS_INT8", keep_float=MIXED_KEEP_FLOAT
    ),
}
MODES = tuple(MODE_TABLE)
CALIBRATED_MODES = tuple(name for name, mode in MODE_TABLE.items() if mode.calibrated)


class ConversionError(UserError, ValueError):
    """The TFLite converter could not produce a builtin-only model (the message names the ops)."""


def make_converter(model, mode, calibration_clips=None, uint8_io=False):
    """A configured `tf.lite.TFLiteConverter` for a Keras model with a static input shape.

    A mode with `keep_float` gets the converter of its integer quantization; the
    exporter leaves those parts in float (`quantization_debug.selective_int8`).
    """
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
    spec = MODE_TABLE[mode]
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [getattr(tf.lite.OpsSet, spec.ops_set)]
    if spec.optimize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if spec.supported_types:
        converter.target_spec.supported_types = [getattr(tf, name) for name in spec.supported_types]
    if spec.calibrated:
        if calibration_clips is None:
            raise ValueError(f"{mode} export needs `calibration_clips` (representative input clips).")
        clips = list(calibration_clips)
        if not clips:
            raise ValueError(f"{mode} export needs at least one calibration clip. Received: 0 clips")

        def representative_dataset():
            for clip in clips:
                if isinstance(clip, dict):  # a multi-input model's inputs by signature name (stream models)
                    yield {name: tf.constant(value, dtype=tf.float32) for name, value in clip.items()}
                else:
                    yield [tf.constant(clip, dtype=tf.float32)]

        converter.representative_dataset = representative_dataset
    if spec.integer_io:
        io_type = tf.uint8 if uint8_io else tf.int8
        converter.inference_input_type = io_type
        converter.inference_output_type = io_type
    return converter


@contextlib.contextmanager
def quiet_converter():
    """Hides what the converter prints: a SavedModel "Captures" list on stdout (~110 lines for the nano), and
    the quantizer's native "fully_quantize: 0, inference_type: 6, ..." line on stderr (replayed on an error).

    Shown when `DVFL_TF_VERBOSE` is set (`dvfl-tf --verbose`).
    """
    if os.environ.get("DVFL_TF_VERBOSE"):
        yield
        return
    with contextlib.redirect_stdout(io.StringIO()), native_stderr_hidden():
        yield


def convert(model, mode="float32", calibration_clips=None, uint8_io=False):
    """The TFLite flatbuffer (bytes) of a Keras model in `mode`.

    Raises `ConversionError` naming the TensorFlow ops that have no TFLite
    builtin equivalent (we never ship Flex ops).
    """
    if uint8_io and mode != "int8":
        raise ValueError(f"`uint8_io` only applies to int8 export. Received: mode={mode!r}")
    if mode in MODE_TABLE and MODE_TABLE[mode].keep_float:
        raise ValueError(f"{mode} keeps parts in float: use the exporter (selective_int8). Received: mode={mode!r}")
    converter = make_converter(model, mode, calibration_clips, uint8_io)
    try:
        with quiet_converter():
            return converter.convert()
    except Exception as error:  # the converter raises several private error types
        raise ConversionError(_describe_conversion_error(error)) from error


def _describe_conversion_error(error):
    text = str(error)
    ops = sorted(
        set(re.findall(r"'(tf\.[A-Za-z0-9_]+)'", text)) | set(re.findall(r"\b(tf\.[A-Z][A-Za-z0-9_]+)\b", text))
    )
    if ops:
        return (
            "The model uses TensorFlow ops with no TFLite builtin kernel: "
            + ", ".join(ops)
            + ". Flex (Select TF ops) fallback is not allowed; replace these ops in the model."
        )
    first_lines = "\n".join(text.strip().splitlines()[-5:])
    return f"TFLite conversion failed: {first_lines}"
