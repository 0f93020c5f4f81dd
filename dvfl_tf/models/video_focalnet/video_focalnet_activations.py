"""Activations and argument checks shared by the Video-FocalNet layers."""

import keras
from keras import ops

from dvfl_tf.core.checks import DROP_RATE, MODEL_SIZE


def _gelu_exact(x):
    # Exact (erf) GELU, as torch.nn.GELU(); TFLite has a builtin GELU op for it.
    return keras.activations.gelu(x, approximate=False)


def _gelu_tanh(x):
    # tanh approximation written with MUL/ADD/TANH only (keras' version uses POW,
    # which the Edge TPU lacks).
    inner = 0.7978845608028654 * (x + 0.044715 * x * x * x)
    return 0.5 * x * (1.0 + ops.tanh(inner))


def _gelu_sigmoid(x):
    # x * sigmoid(1.702 x): MUL + LOGISTIC, both Edge TPU ops.
    return x * ops.sigmoid(1.702 * x)


def _relu(x):
    # Fuses into the conv or dense layer before it (no op of its own in TFLite).
    return ops.relu(x)


def _hard_swish(x):
    # x * relu6(x + 3) / 6, the pattern the TFLite converter turns into one HARD_SWISH op.
    return x * ops.relu6(x + 3.0) * (1.0 / 6.0)


# `activation` values: the official model uses exact GELU; the approximations
# exist for accelerators without a GELU op (the Edge TPU); "relu" and "hard_swish"
# are not GELU at all (a different function: for models trained with them).
ACTIVATIONS = {
    "gelu": _gelu_exact,
    "gelu_tanh": _gelu_tanh,
    "gelu_sigmoid": _gelu_sigmoid,
    "relu": _relu,
    "hard_swish": _hard_swish,
}


def get_activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {sorted(ACTIVATIONS)}. Received: activation={name!r}")
    return ACTIVATIONS[name]


def check_positive_int(name, value):
    if not isinstance(value, int) or not MODEL_SIZE.contains(value):
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def check_rate(name, value):
    if not DROP_RATE.contains(float(value)):
        raise ValueError(f"`{name}` must be in [0, 1). Received: {name}={value!r}")
