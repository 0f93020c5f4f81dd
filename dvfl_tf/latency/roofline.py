"""The practical compute limit: a dense-layer-only TFLite model with a given MAC count.

A chain of bias-free FULLY_CONNECTED layers (`width` x `width` weights) on a
batch of tokens is the best case for a CPU's GEMM kernels. Timed with the
same runtime and threads as the models under test, its GMAC/s is the
yardstick: a model's `roofline_fraction` is its GMAC/s over the reference's.
"""

import contextlib
import math
import os
import sys

import numpy as np

from dvfl_tf.core.export_modes import PRECISIONS, configure_converter

DEFAULT_WIDTH = 768
# Rows per layer at most: 4096 tokens x 768 channels is a 12 MB activation,
# large enough for full GEMM efficiency, small enough to keep few layers.
_MAX_TOKENS = 4096


def dense_reference_shape(macs, width=DEFAULT_WIDTH):
    """(layers, tokens) such that layers * tokens * width**2 is as close as possible to `macs`."""
    if macs < 1:
        raise ValueError(f"`macs` must be positive. Received: macs={macs}")
    rows = macs / (width * width)
    layers = max(1, math.ceil(rows / _MAX_TOKENS))
    tokens = max(1, round(rows / layers))
    return layers, tokens


def dense_reference_macs(layers, tokens, width=DEFAULT_WIDTH):
    return layers * tokens * width * width


def _quantize(converter, precision, tokens, width, seed):
    """The converter settings of the export mode `precision` (`MODE_TABLE`), calibrated on random tokens."""
    rng = np.random.default_rng(seed)

    def representative_dataset():
        return ([rng.normal(size=(tokens, width)).astype("float32")] for _ in range(2))

    configure_converter(converter, precision, representative_dataset)


def build_dense_reference(macs, output_path, width=DEFAULT_WIDTH, seed=0, precision="float32"):
    """Writes the dense-only TFLite model; returns its exact MAC count.

    `precision` (one of `PRECISIONS`: what a .tflite file reads as, `model_info`) quantises it like
    the model under test, so quantised models are compared with the limit of
    the kernels they use (int8 GEMMs beat float32 ones on CPUs with VNNI/dot-product).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"`precision` must be one of {PRECISIONS}. Received: precision={precision!r}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras  # noqa: PLC0415 (TensorFlow only for the dense reference: .tflite benchmarks run without it)
    import tensorflow as tf  # noqa: PLC0415 (TensorFlow only for the dense reference: .tflite benchmarks run without it)

    layers, tokens = dense_reference_shape(macs, width)
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(width,), batch_size=tokens, name="tokens")
    x = inputs
    for index in range(layers):
        x = keras.layers.Dense(width, use_bias=False, name=f"dense_{index}")(x)
    model = keras.Model(inputs, x, name="dense_reference")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    _quantize(converter, precision, tokens, width, seed)
    # The converter prints the SavedModel signature to stdout, which must stay clean for --json.
    with contextlib.redirect_stdout(sys.stderr):
        flatbuffer = converter.convert()
    with open(output_path, "wb") as f:
        f.write(flatbuffer)
    return dense_reference_macs(layers, tokens, width)


def gmacs_per_second(macs, latency_ms):
    return macs / 1e9 / (latency_ms / 1e3)


def attach_roofline(records, reference):
    """Sets each record's `roofline_fraction` from the reference record with the same threads."""
    by_threads = {r.threads: r for r in reference}
    for record in records:
        ref = by_threads.get(record.threads)
        if ref is None or record.gmacs_per_s is None or not ref.gmacs_per_s:
            continue
        record.roofline_fraction = record.gmacs_per_s / ref.gmacs_per_s
    return records
