"""Keras single-clip model -> TFLite flatbuffer, in one of the modes of `MODE_TABLE`.

The modes (float32, fp16, dynamic_range, int8, int16x8, int8_mixed) are the entries of `MODE_TABLE`
(`dvfl_tf.core.export_modes`, re-exported here): converter settings, calibration, integer I/O and the
parts left in float. "int16x8" (int16 activations, int8 weights, float I/O) is for models whose
activations do not survive int8 (docs/export.md), CPU only. "int8_mixed" keeps each LayerNorm and the
exact GELU on float kernels between DEQUANTIZE and QUANTIZE, which XNNPACK runs (its int8 kernels lack
RSQRT and GELU and refuse the LayerNorm's small-scale SUBs and ADDs, so those fell to slow reference
kernels and split the graph); for CPUs, not the Edge TPU.

Only TFLite builtin ops are ever allowed: no Flex (Select TF ops) fallback.
"""

import contextlib
import io
import os
import re

import tensorflow as tf

from dvfl_tf.core.errors import UserError
from dvfl_tf.core.export_modes import (
    CALIBRATED_MODES,
    MIXED_KEEP_FLOAT,
    MODE_TABLE,
    MODES,
    PrecisionMode,
    check_mode,
    configure_converter,
)
from dvfl_tf.core.quiet import native_stderr_hidden

__all__ = [
    "CALIBRATED_MODES",
    "MIXED_KEEP_FLOAT",
    "MODES",
    "MODE_TABLE",
    "ConversionError",
    "PrecisionMode",
    "convert",
    "make_converter",
    "quiet_converter",
]


class ConversionError(UserError, ValueError):
    """The TFLite converter could not produce a builtin-only model (the message names the ops)."""


def make_converter(model, mode, calibration_clips=None, uint8_io=False):
    """A configured `tf.lite.TFLiteConverter` for a Keras model with a static input shape.

    A mode with `keep_float` gets the converter of its integer quantization; the
    exporter leaves those parts in float (`quantization_debug.selective_int8`).
    """
    check_mode(mode)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    representative_dataset = None
    if MODE_TABLE[mode].calibrated:
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

    return configure_converter(converter, mode, representative_dataset, uint8_io)


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
    if uint8_io and mode in MODE_TABLE and not MODE_TABLE[mode].integer_io:
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
