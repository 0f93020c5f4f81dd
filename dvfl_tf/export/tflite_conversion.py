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

Only TFLite builtin ops are ever allowed: no Flex (Select TF ops) fallback.
"""

import contextlib
import io
import os
import re

import tensorflow as tf

from dvfl_tf.core.errors import UserError
from dvfl_tf.core.quiet import native_stderr_hidden

MODES = ("float32", "fp16", "dynamic_range", "int8", "int16x8")
CALIBRATED_MODES = ("int8", "int16x8")


class ConversionError(UserError, ValueError):
    """The TFLite converter could not produce a builtin-only model (the message names the ops)."""


def make_converter(model, mode, calibration_clips=None, uint8_io=False):
    """A configured `tf.lite.TFLiteConverter` for a Keras model with a static input shape."""
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if mode == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif mode == "dynamic_range":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif mode in CALIBRATED_MODES:
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

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative_dataset
        if mode == "int16x8":
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
            ]
        else:
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
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
