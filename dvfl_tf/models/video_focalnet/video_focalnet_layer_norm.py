"""The normalization layers of Video-FocalNet: its LayerNorm, written for integer and delegate-friendly TFLite
graphs, and three whose per-channel map folds into a neighbouring layer at export: a batch norm, that map alone,
and DyT."""

import keras
import numpy as np
from keras import ops

# The official model uses nn.LayerNorm with PyTorch's default epsilon.
LAYER_NORM_EPSILON = 1e-5
# Added to a LayerNorm token's spread before its reciprocal (see LayerNorm): any
# positive value leaves the result unchanged; this one keeps r**2 * eps finite.
_PRESCALE_FLOOR = 1e-6


# `norm` values: "layer" is the official LayerNorm; "batch" is a batch norm, an affine map per channel at
# inference, and "affine" is that map alone (gamma, beta; no statistics, in training either). The exporters
# fold both into the conv or dense layer next to them (dvfl_tf.export.norm_folding), so an int8 file has no
# normalization ops left (no RSQRT, no small-scale SUB off XNNPACK).
# "dynamic_tanh" (DyT, Zhu et al., "Transformers without Normalization", CVPR 2025) is tanh(alpha * x) followed
# by that map: the tanh stays in the file (an int8 TANH, which XNNPACK and the Edge TPU run), the map folds into
# a dense layer after it.
NORMS = ("layer", "batch", "affine", "dynamic_tanh")
# PyTorch's BatchNorm defaults (its momentum 0.1 is Keras' 0.9): the moving statistics settle within the few
# hundred steps of a short fine-tuning budget.
BATCH_NORM_EPSILON = 1e-5
BATCH_NORM_MOMENTUM = 0.9
# DyT's initial alpha. The paper's 0.5 left the mobile student at 0.43 top-1 on the 16-direction benchmark, where
# 2.0 reached 0.93-0.94 (docs/mobile.md): the blocks' inputs there start at about 0.4 per channel, and a slope of
# 0.5 shrinks them further (as a per-channel scale of 0.1 did, while a scale of 2 without the tanh diverged).
DYNAMIC_TANH_ALPHA = 2.0


def check_norm(norm):
    if norm not in NORMS:
        raise ValueError(f"`norm` must be one of {NORMS}. Received: norm={norm!r}")


def layer_norm(name, dtype=None, norm="layer"):
    """The normalization every layer of the family builds: the official LayerNorm (PyTorch's default epsilon),
    with `norm="batch"` a `BatchNorm`, with `norm="affine"` a `ChannelAffine`, with `norm="dynamic_tanh"` a
    `DynamicTanh`."""
    check_norm(norm)
    if norm == "batch":
        return BatchNorm(epsilon=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM, name=name, dtype=dtype)
    if norm == "affine":
        return ChannelAffine(name=name, dtype=dtype)
    if norm == "dynamic_tanh":
        return DynamicTanh(alpha_init=DYNAMIC_TANH_ALPHA, name=name, dtype=dtype)
    return LayerNorm(epsilon=LAYER_NORM_EPSILON, name=name, dtype=dtype)


@keras.saving.register_keras_serializable(package="dvfl_tf")
class BatchNorm(keras.layers.BatchNormalization):
    """keras' BatchNormalization over the last axis, with `folded`: the identity once its affine map at
    inference lives in a neighbouring layer's weights (`dvfl_tf.export.norm_folding`, for TFLite files)."""

    folds_into_layer_before = True

    def __init__(self, folded=False, **kwargs):
        super().__init__(**kwargs)
        self.folded = bool(folded)

    def inference_scale_and_shift(self):
        """(scale, shift) float64 numpy arrays with inference output = x * scale + shift, per channel."""
        variance = np.asarray(self.moving_variance.numpy(), np.float64)
        scale = 1.0 / np.sqrt(variance + self.epsilon)
        if self.scale:
            scale = scale * np.asarray(self.gamma.numpy(), np.float64)
        shift = -np.asarray(self.moving_mean.numpy(), np.float64) * scale
        if self.center:
            shift = shift + np.asarray(self.beta.numpy(), np.float64)
        return scale, shift

    def call(self, inputs, training=None, mask=None):
        if self.folded:
            return inputs
        return super().call(inputs, training=training, mask=mask)

    def get_config(self):
        config = super().get_config()
        config.update({"folded": self.folded})
        return config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class ChannelAffine(keras.layers.Layer):
    """y = x * gamma + beta per channel (the last axis): LayerNorm's affine part without its statistics.

    The same function in training and at inference, so a model trains as it runs: with the small batches of
    video training (8 clips) a batch norm's batch statistics differ from its moving ones. Nothing bounds what
    the blocks see, though: DyT does, and trained to higher top-1 (docs/mobile.md). `folded`: the identity
    once gamma and beta live in a neighbouring layer's weights (`dvfl_tf.export.norm_folding`, for TFLite
    files).
    """

    folds_into_layer_before = True

    def __init__(self, folded=False, **kwargs):
        super().__init__(**kwargs)
        self.folded = bool(folded)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def inference_scale_and_shift(self):
        """(scale, shift) float64 numpy arrays with output = x * scale + shift, per channel."""
        return np.asarray(self.gamma.numpy(), np.float64), np.asarray(self.beta.numpy(), np.float64)

    def call(self, inputs):
        if self.folded:
            return inputs
        return inputs * ops.cast(self.gamma, inputs.dtype) + ops.cast(self.beta, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"folded": self.folded})
        return config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class DynamicTanh(ChannelAffine):
    """DyT: y = tanh(alpha * x) * gamma + beta, with a learned scalar alpha (Zhu et al., CVPR 2025).

    Like LayerNorm it bounds what a block's branches see, with no statistics: the same function in training
    and at inference, and in an int8 file one TANH (delegated by XNNPACK, an Edge TPU op) whose input scale
    absorbs alpha. `folded`: gamma and beta live in the dense layer after it (`dvfl_tf.export.norm_folding`),
    and the layer computes tanh(alpha * x) alone.
    """

    # Its map follows the tanh, so it folds into a layer after it only (ChannelAffine's, into either side).
    folds_into_layer_before = False

    def __init__(self, alpha_init=DYNAMIC_TANH_ALPHA, folded=False, **kwargs):
        super().__init__(folded=folded, **kwargs)
        self.alpha_init = float(alpha_init)

    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.alpha_init), name="alpha")
        super().build(input_shape)

    def call(self, inputs):
        return super().call(ops.tanh(inputs * ops.cast(self.alpha, inputs.dtype)))

    def get_config(self):
        config = super().get_config()
        config.update({"alpha_init": self.alpha_init})
        return config


# The norms whose per-channel map y = u * scale + shift (`inference_scale_and_shift`) folds into a neighbouring
# layer at export (each has `folded`, and `folds_into_layer_before`: whether u is the input itself, so that the
# map also folds into the layer before it).
FOLDABLE_NORMS = (BatchNorm, ChannelAffine)  # ChannelAffine includes DynamicTanh


@keras.saving.register_keras_serializable(package="dvfl_tf")
class LayerNorm(keras.layers.Layer):
    """LayerNorm over the last axis, written for integer and delegate-friendly TFLite graphs.

    Same function and weights (`gamma`, `beta`) as keras.layers.LayerNormalization
    and torch.nn.LayerNorm, but traced as

        d = x - mean(x)
        r = 1 / (max(d) - min(d))                 # per token, as rsqrt(.)**2
        u = d * r                                 # every token spans [-1, 1]
        y = u * rsqrt(mean(u * u) + eps * r * r) * gamma + beta

    which equals `d * rsqrt(mean(d * d) + eps) * gamma + beta` for any r > 0
    (r cancels), so float results agree with the plain form to float32 rounding.

    Why the per-token prescale `r`: int8 gives a tensor one scale for all its
    tokens, and the spread of LayerNorm inputs differs a lot between tokens, so
    in `d * d` and its mean the quiet tokens fell to a few quantization steps
    and their normalised output was mostly rounding noise. After the prescale
    every token has the same range, and an error in `r` itself cancels.
    Measured on the quickstart's distilled student (synthetic v4, 200 test
    clips, full int8): mean |logit diff| to float 0.21 -> 0.037, top-1
    agreement 91.5% -> 99% (docs/export.md). max - min and rsqrt(.)**2 instead
    of max|d| and a division: ABS, DIV and NEG are not Edge TPU ops, int8 DIV
    fails on a zero divisor at run time, and the quantizer has no int8 rule for
    NEG (a `-min(d)` collapsed int8 to chance).

    Keras' own layer lowers to SQUARED_DIFFERENCE and NEG, which XNNPACK does
    not delegate in int8 (measured: each stage-1 LayerNorm 22 ms -> 3 ms int8,
    4.8 -> 1.9 ms float32, and the int8 graph no longer splits into 56
    partitions; see benchmarks/README.md).
    """

    def __init__(self, epsilon=LAYER_NORM_EPSILON, **kwargs):
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise ValueError(f"`epsilon` must be positive. Received: epsilon={epsilon}")
        self.epsilon = float(epsilon)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def call(self, inputs):
        x = ops.cast(inputs, "float32")  # statistics in float32 under mixed precision
        centred = x - ops.mean(x, axis=-1, keepdims=True)
        spread = ops.max(centred, axis=-1, keepdims=True) - ops.min(centred, axis=-1, keepdims=True)
        # The constant only keeps r finite for a constant token (d = 0, y = beta either way).
        root = ops.rsqrt(spread + _PRESCALE_FLOOR)
        prescale = root * root
        unit = centred * prescale
        variance = ops.mean(unit * unit, axis=-1, keepdims=True)
        # Keras autocasts variables to the compute dtype (float16 under mixed precision): cast back.
        gamma, beta = ops.cast(self.gamma, "float32"), ops.cast(self.beta, "float32")
        outputs = unit * ops.rsqrt(variance + self.epsilon * prescale * prescale) * gamma + beta
        return ops.cast(outputs, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config
