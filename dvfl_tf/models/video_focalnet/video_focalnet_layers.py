"""Layers of Video-FocalNet (Wasim et al., ICCV 2023), mobile-first.

Layout: frames are folded into the batch axis, so spatial tensors are
(batch * frames, height, width, channels). The temporal branch of the focal
modulation unfolds them to (batch, frames, height * width, channels) and
realises each 1-D temporal convolution as a 2-D convolution with a (k, 1)
kernel. No tensor exceeds rank 4 and no Conv3D is used, so the same graph
converts to full-integer TFLite, runs on the GPU delegate and maps to an
Edge TPU.

Each layer computes exactly the function of the official PyTorch module of the
same name (TalalWasim/Video-FocalNets, classification/videofocalnet.py);
sublayer names follow the official state_dict names, which the checkpoint
converter relies on.
"""

import keras
from keras import ops

# The normalisation numbers are defined once, with the rest of the preprocessing config.
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import (  # noqa: F401 (re-exported)
    IMAGENET_MEAN_RGB,
    IMAGENET_STD_RGB,
)

# The official model uses nn.LayerNorm with PyTorch's default epsilon.
LAYER_NORM_EPSILON = 1e-5
# Added to a LayerNorm token's spread before its reciprocal (see LayerNorm): any
# positive value leaves the result unchanged; this one keeps r**2 * eps finite.
_PRESCALE_FLOOR = 1e-6


def _layer_norm(name, dtype=None):
    return LayerNorm(epsilon=LAYER_NORM_EPSILON, name=name, dtype=dtype)


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


# `activation` values: the official model uses exact GELU; the approximations
# exist for accelerators without a GELU op (the Edge TPU).
ACTIVATIONS = {"gelu": _gelu_exact, "gelu_tanh": _gelu_tanh, "gelu_sigmoid": _gelu_sigmoid}


def get_activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {sorted(ACTIVATIONS)}. Received: activation={name!r}")
    return ACTIVATIONS[name]


def _check_positive_int(name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


# `temporal_conv` values of the focal modulation's temporal branch. "dense" is the
# official full convolution over frames; the others are cheaper mobile options
# (the dense temporal convs are about a third of the nano's time).
TEMPORAL_CONVS = ("dense", "depthwise", "grouped")
# Channels per group of the "grouped" temporal conv.
TEMPORAL_GROUP_CHANNELS = 16


def temporal_focal_conv(kind, dim, kernel_size, name, padding="same", dtype=None):
    """One temporal focal convolution over (batch, frames, tokens, dim) as a (k, 1) 2-D conv, no bias.

    `padding` "valid" for a causal model, which pads the past frames itself (`pad_past_frames`).
    """
    if kind == "depthwise":
        return keras.layers.DepthwiseConv2D((kernel_size, 1), padding=padding, use_bias=False, name=name, dtype=dtype)
    groups = dim // TEMPORAL_GROUP_CHANNELS if kind == "grouped" else 1
    return keras.layers.Conv2D(
        dim, (kernel_size, 1), padding=padding, groups=groups, use_bias=False, name=name, dtype=dtype
    )


def _check_temporal_conv(temporal_conv, dim):
    if temporal_conv not in TEMPORAL_CONVS:
        raise ValueError(f"`temporal_conv` must be one of {TEMPORAL_CONVS}. Received: temporal_conv={temporal_conv!r}")
    if temporal_conv == "grouped" and dim % TEMPORAL_GROUP_CHANNELS:
        raise ValueError(
            f"`temporal_conv='grouped'` needs `dim` divisible by {TEMPORAL_GROUP_CHANNELS}. Received: dim={dim}"
        )


def _check_rate(name, value):
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(f"`{name}` must be in [0, 1). Received: {name}={value!r}")


def pad_past_frames(x, num_frames):
    """Zero-pads `num_frames` frames before the first one: (B, T, N, C) -> (B, T + num_frames, N, C).

    A "valid" (k, 1) convolution after padding k - 1 past frames is causal:
    output frame t sees input frames t - k + 1 .. t only.
    """
    if num_frames == 0:
        return x
    return ops.pad(x, [[0, 0], [num_frames, 0], [0, 0], [0, 0]])


def running_mean_over_frames(x):
    """(B, T, N, C) -> (B, T, N, C): frame t holds the mean of frames 0..t.

    Written as a depthwise (T, 1) convolution of all-ones over T - 1 zero-padded
    past frames, times 1 / (t + 1): builtin, int8-capable ops on 4-D tensors
    (TFLite's CUMSUM has no int8 kernel).
    """
    frames, channels = x.shape[1], x.shape[-1]
    padded = pad_past_frames(x, frames - 1)
    ones = ops.ones((frames, 1, channels, 1), dtype=x.dtype)
    sums = ops.depthwise_conv(padded, ones, strides=1, padding="valid")
    reciprocal_counts = ops.reshape(1.0 / ops.arange(1, frames + 1, dtype=x.dtype), (1, frames, 1, 1))
    return sums * reciprocal_counts


def update_running_mean(mean, x, frame_weight):
    """The running mean after one more frame: m + (x - m) * w, with w = 1 / (frames so far).

    A mean rather than a sum is carried so that the state keeps one range however
    long the stream runs (an int8 sum would need a scale growing with t); a `w`
    held at 1 / N after N frames turns it into an exponential moving average.
    """
    updated = mean + (x - mean) * frame_weight
    # Exactly `updated`, routed through a concatenation with `mean`: int8 TFLite gives
    # a concatenation's inputs and output one scale, so the state output has the state
    # input's quantization and an app feeds it back as it is (no requantization).
    channels = mean.shape[-1]
    return ops.concatenate([mean, updated], axis=-1)[..., channels:]


def _dense_columns(dense, x, start, stop):
    """`dense(x)[..., start:stop]`, computed from those columns of the kernel (and bias) only."""
    kernel = ops.cast(dense.kernel, x.dtype)[:, start:stop]
    y = ops.matmul(x, kernel)
    if dense.use_bias:
        y = y + ops.cast(dense.bias, x.dtype)[start:stop]
    return y


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


@keras.saving.register_keras_serializable(package="dvfl_tf")
class FrameNormalization(keras.layers.Layer):
    """Maps raw RGB frames in [0, 255] to the official normalised input.

    Fixed constants, not weights: users and TFLite files feed raw frames.

    `folded=True` passes the frames through unchanged: the normalization then lives
    in the stem convolution's weights (`dvfl_tf.export.input_folding`, for TFLite
    files), which saves two element-wise passes over every input pixel.
    """

    def __init__(self, mean=IMAGENET_MEAN_RGB, std=IMAGENET_STD_RGB, folded=False, **kwargs):
        super().__init__(**kwargs)
        if len(mean) != 3 or len(std) != 3:
            raise ValueError(f"`mean` and `std` must have 3 values (RGB). Received: mean={mean}, std={std}")
        if any(s <= 0 for s in std):
            raise ValueError(f"`std` must be positive. Received: std={std}")
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        self.folded = bool(folded)

    def call(self, inputs):
        if self.folded:
            return ops.cast(inputs, self.compute_dtype)
        mean = ops.convert_to_tensor(self.mean, dtype=self.compute_dtype)
        std = ops.convert_to_tensor(self.std, dtype=self.compute_dtype)
        return (ops.cast(inputs, self.compute_dtype) - mean) / std

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"mean": list(self.mean), "std": list(self.std), "folded": self.folded})
        return config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class FoldFrames(keras.layers.Layer):
    """(batch, frames, height, width, channels) -> (batch * frames, height, width, channels)."""

    def call(self, inputs):
        shape = ops.shape(inputs)
        return ops.reshape(inputs, (-1, shape[2], shape[3], shape[4]))

    def compute_output_shape(self, input_shape):
        batch, frames = input_shape[0], input_shape[1]
        folded = None if batch is None or frames is None else batch * frames
        return (folded,) + tuple(input_shape[2:])


@keras.saving.register_keras_serializable(package="dvfl_tf")
class StochasticDepth(keras.layers.Layer):
    """Drops the residual branch per sample with probability `rate` (timm's DropPath).

    A sample is one row of the folded batch, i.e. one frame (tubelet) of one
    clip, as in the official model, whose DropPath sees (batch * frames, tokens, C).
    """

    def __init__(self, rate=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate("rate", rate)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if not training or self.rate == 0.0:
            return inputs
        keep = 1.0 - self.rate
        noise_shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        mask = ops.floor(keep + keras.random.uniform(noise_shape, seed=self.seed_generator, dtype=inputs.dtype))
        return inputs / keep * mask

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class PatchEmbedding(keras.layers.Layer):
    """Official `PatchEmbed`: the stem (`is_stem=True`) or a downsample between stages.

    - default: a `patch_size` x `patch_size` convolution with the same stride;
    - `use_conv_embed`: 7x7 stride 4 padding 2 (stem) or 3x3 stride 2 padding 1
      (downsample), the official overlapping embedding;
    - `tubelet_size` > 1 (stem only): `tubelet_size` consecutive frames are
      folded into channels and embedded by a 2-D convolution, which equals the
      official Conv3d with kernel and stride (tubelet_size, patch, patch).

    Input (batch * frames, H, W, C); output (batch * frames / tubelet_size, H', W', embed_dim).
    """

    def __init__(
        self,
        embed_dim,
        patch_size=4,
        use_conv_embed=False,
        is_stem=False,
        tubelet_size=1,
        use_norm=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_positive_int("embed_dim", embed_dim)
        _check_positive_int("patch_size", patch_size)
        _check_positive_int("tubelet_size", tubelet_size)
        if tubelet_size > 1 and (use_conv_embed or not is_stem):
            raise ValueError(
                "`tubelet_size` > 1 is only defined for the non-overlapping stem "
                f"(is_stem=True, use_conv_embed=False). Received: tubelet_size={tubelet_size}, "
                f"is_stem={is_stem}, use_conv_embed={use_conv_embed}"
            )
        self.embed_dim = embed_dim
        self.patch_size = patch_size
        self.use_conv_embed = use_conv_embed
        self.is_stem = is_stem
        self.tubelet_size = tubelet_size
        self.use_norm = use_norm

        if use_conv_embed:
            kernel, stride, padding = (7, 4, 2) if is_stem else (3, 2, 1)
        else:
            kernel, stride, padding = patch_size, patch_size, 0
        self.kernel_size, self.stride, self.padding = kernel, stride, padding
        # PyTorch pads symmetrically; an explicit zero pad + "valid" conv matches it
        # exactly, where TF's "same" would pad asymmetrically.
        self.pad = keras.layers.ZeroPadding2D(padding, name="pad", dtype=self.dtype_policy) if padding else None
        self.proj = keras.layers.Conv2D(
            embed_dim, kernel, strides=stride, padding="valid", name="proj", dtype=self.dtype_policy
        )
        self.norm = _layer_norm("norm", dtype=self.dtype_policy) if use_norm else None

    def build(self, input_shape):
        height, width, channels = input_shape[1], input_shape[2], input_shape[3]
        conv_shape = (None, height, width, channels * self.tubelet_size)
        if self.pad is not None:
            self.pad.build(conv_shape)
            conv_shape = self.pad.compute_output_shape(conv_shape)
        self.proj.build(conv_shape)
        if self.norm is not None:
            self.norm.build((None, None, None, self.embed_dim))

    def _fold_tubelets(self, x, height):
        # (B*T, H, W, C) -> (B*T/ts, H, W, ts*C), channels ordered (frame, colour),
        # all within rank 4. The input may also be (B*T/ts, ts*H, W, C), each tubelet's
        # frames stacked vertically: the same bytes, so the same reshape.
        ts = self.tubelet_size
        width, channels = x.shape[2], x.shape[3]
        x = ops.reshape(x, (-1, ts, height * width, channels))
        x = ops.transpose(x, (0, 2, 1, 3))
        return ops.reshape(x, (-1, height, width, ts * channels))

    def embed_stacked_tubelets(self, inputs):
        """The stem on tubelets given as (tubelets, tubelet_size * H, W, C), frames stacked vertically.

        The streaming model's input: one tubelet with outer dimension 1, and the
        same memory as its `tubelet_size` frames (tubelet_size, H, W, C) back to back.
        """
        if not self.is_stem:
            raise ValueError("embed_stacked_tubelets is the stem's. Received: is_stem=False")
        x = inputs
        if self.tubelet_size > 1:
            x = self._fold_tubelets(x, x.shape[1] // self.tubelet_size)
        return self._embed(x)

    def call(self, inputs):
        x = inputs
        if self.tubelet_size > 1:
            x = self._fold_tubelets(x, x.shape[1])
        return self._embed(x)

    def _embed(self, x):
        if self.pad is not None:
            x = self.pad(x)
        x = self.proj(x)
        if self.norm is not None:
            x = self.norm(x)
        return x

    def compute_output_shape(self, input_shape):
        def out(size):
            if size is None:
                return None
            return (size + 2 * self.padding - self.kernel_size) // self.stride + 1

        batch = input_shape[0]
        if batch is not None:
            batch //= self.tubelet_size
        return (batch, out(input_shape[1]), out(input_shape[2]), self.embed_dim)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "embed_dim": self.embed_dim,
                "patch_size": self.patch_size,
                "use_conv_embed": self.use_conv_embed,
                "is_stem": self.is_stem,
                "tubelet_size": self.tubelet_size,
                "use_norm": self.use_norm,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class SpatioTemporalFocalModulation(keras.layers.Layer):
    """Official `SpatioTemporalFocalModulation`.

    Spatial branch on (B*T, H, W, C): `f` gives query, context and L+1 gates;
    L hierarchical depthwise convs (kernel focal_factor*l + focal_window, no
    bias) each followed by GELU; a global level GELU(mean over H, W); gated
    sum; `h` (a 1x1 conv, i.e. a dense layer over channels).
    Temporal branch on (B, T, H*W, C): `f_temporal` gives context and L+1
    gates; L hierarchical full convs over frames (as (k, 1) 2-D convs) with
    GELU; a global level GELU(mean over frames); gated sum; `h_temporal`.
    `temporal_conv` "depthwise" or "grouped" (16 channels per group) replaces
    those full convs by cheaper ones (not official; "dense" is).
    Output: proj(q * h(ctx) * h_temporal(ctx_t)), with an optional LayerNorm
    before `proj`.

    `causal=True` (not in the official model) makes the temporal branch see only
    past and present frames: each temporal conv pads k - 1 past frames instead
    of (k - 1) / 2 on both sides, and the global level is the running mean over
    the frames so far. `stream_step` then computes one new frame from carried
    states (see `stream_state_shapes`) with the same weights.
    """

    def __init__(
        self,
        dim,
        num_frames,
        focal_level=2,
        focal_window=3,
        focal_factor=2,
        use_bias=True,
        use_postln_in_modulation=False,
        normalize_modulator=False,
        proj_dropout=0.0,
        activation="gelu",
        causal=False,
        temporal_conv="dense",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.act = get_activation(activation)
        _check_positive_int("dim", dim)
        _check_positive_int("num_frames", num_frames)
        _check_temporal_conv(temporal_conv, dim)
        _check_positive_int("focal_level", focal_level)
        if not isinstance(causal, bool):
            raise ValueError(f"`causal` must be True or False. Received: causal={causal!r}")
        _check_positive_int("focal_window", focal_window)
        if focal_window % 2 == 0 or focal_factor % 2:
            # Official padding is kernel//2, which keeps the size only for odd kernels.
            raise ValueError(
                "`focal_window` must be odd and `focal_factor` even so every focal kernel "
                f"is odd. Received: focal_window={focal_window}, focal_factor={focal_factor}"
            )
        _check_rate("proj_dropout", proj_dropout)
        self.dim = dim
        self.num_frames = num_frames
        self.focal_level = focal_level
        self.focal_window = focal_window
        self.focal_factor = focal_factor
        self.use_bias = use_bias
        self.use_postln_in_modulation = use_postln_in_modulation
        self.normalize_modulator = normalize_modulator
        self.proj_dropout = proj_dropout
        self.activation = activation
        self.causal = causal
        self.temporal_conv = temporal_conv

        self.kernel_sizes = [focal_factor * level + focal_window for level in range(focal_level)]
        self.f = keras.layers.Dense(2 * dim + focal_level + 1, use_bias=use_bias, name="f", dtype=self.dtype_policy)
        self.h = keras.layers.Dense(dim, use_bias=use_bias, name="h", dtype=self.dtype_policy)
        self.proj = keras.layers.Dense(dim, name="proj", dtype=self.dtype_policy)
        self.proj_drop = keras.layers.Dropout(proj_dropout, name="proj_drop", dtype=self.dtype_policy)
        self.focal_layers = [
            keras.layers.DepthwiseConv2D(
                k, padding="same", use_bias=False, name=f"focal_layers_{i}", dtype=self.dtype_policy
            )
            for i, k in enumerate(self.kernel_sizes)
        ]
        self.f_temporal = keras.layers.Dense(
            dim + focal_level + 1, use_bias=use_bias, name="f_temporal", dtype=self.dtype_policy
        )
        self.h_temporal = keras.layers.Dense(dim, use_bias=use_bias, name="h_temporal", dtype=self.dtype_policy)
        # Causal: the k - 1 past frames are padded explicitly (pad_past_frames), then "valid".
        temporal_padding = "valid" if causal else "same"
        self.focal_layers_temporal = [
            temporal_focal_conv(
                temporal_conv,
                dim,
                k,
                padding=temporal_padding,
                name=f"focal_layers_temporal_{i}",
                dtype=self.dtype_policy,
            )
            for i, k in enumerate(self.kernel_sizes)
        ]
        self.ln = _layer_norm("ln", dtype=self.dtype_policy) if use_postln_in_modulation else None

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels != self.dim:
            raise ValueError(f"Input channels must equal `dim`. Received: dim={self.dim}, input_shape={input_shape}")
        self.f.build((None, None, None, self.dim))
        self.h.build((None, None, None, self.dim))
        self.proj.build((None, None, None, self.dim))
        self.f_temporal.build((None, None, None, self.dim))
        self.h_temporal.build((None, None, None, self.dim))
        for layer in self.focal_layers + self.focal_layers_temporal:
            layer.build((None, None, None, self.dim))
        if self.ln is not None:
            self.ln.build((None, None, None, self.dim))

    def _temporal_modulator(self, x, height, width):
        return self._temporal_modulator_and_gates(x, height, width)[0]

    def _temporal_modulator_and_gates(self, x, height, width):
        channels = self.dim
        x = ops.reshape(x, (-1, self.num_frames, height * width, channels))
        x = self.f_temporal(x)
        ctx, gates = x[..., :channels], x[..., channels:]
        ctx_all = 0.0
        for level, conv in enumerate(self.focal_layers_temporal):
            if self.causal:
                ctx = pad_past_frames(ctx, self.kernel_sizes[level] - 1)
            ctx = self.act(conv(ctx))
            ctx_all = ctx_all + ctx * gates[..., level : level + 1]
        if self.causal:
            ctx_global = self.act(running_mean_over_frames(ctx))
        else:
            ctx_global = self.act(ops.mean(ctx, axis=1, keepdims=True))
        return self._temporal_output(ctx_all, ctx_global, gates, height, width), gates

    def _temporal_output(self, ctx_all, ctx_global, gates, height, width):
        levels = self.focal_level
        ctx_all = ctx_all + ctx_global * gates[..., levels:]
        if self.normalize_modulator:
            ctx_all = ctx_all / (levels + 1)
        modulator = self.h_temporal(ctx_all)
        return ops.reshape(modulator, (-1, height, width, self.dim))

    def stream_state_shapes(self, height, width):
        """[(name, shape without the batch axis)] of the states `stream_step` carries, in order.

        One per temporal conv of kernel k > 1: its last k - 1 input frames
        (zeros before the stream starts); then the running mean of the last
        level's context (the global level).
        """
        tokens = height * width
        shapes = [(f"conv{level}", (k - 1, tokens, self.dim)) for level, k in enumerate(self.kernel_sizes) if k > 1]
        return shapes + [("mean", (1, tokens, self.dim))]

    def _temporal_stream_step(self, x, frame_weight, states):
        height, width, channels = x.shape[1], x.shape[2], self.dim
        tokens = ops.reshape(x, (-1, 1, height * width, channels))
        # `f_temporal` as two products over its column blocks (same weights, same MACs):
        # when one int8 tensor fed both the context (concatenated with the conv states,
        # hence tied to their scale) and the gates, the converter left the gate products
        # in float; split, the stream graph is integer throughout.
        ctx = _dense_columns(self.f_temporal, tokens, 0, channels)
        gates = _dense_columns(self.f_temporal, tokens, channels, None)
        states = list(states)
        new_states = []
        ctx_all = 0.0
        for level, conv in enumerate(self.focal_layers_temporal):
            if self.kernel_sizes[level] > 1:
                # The conv's last k frames: the k - 1 carried ones and the new one.
                window = ops.concatenate([states.pop(0), ctx], axis=1)
                new_states.append(window[:, 1:])
            else:
                window = ctx
            ctx = self.act(conv(window))
            ctx_all = ctx_all + ctx * gates[..., level : level + 1]
        mean = update_running_mean(states.pop(0), ctx, frame_weight)
        new_states.append(mean)
        return self._temporal_output(ctx_all, self.act(mean), gates, height, width), new_states

    def stream_step(self, inputs, frame_weight, states):
        """One causal step: (output for the newest frame, new states).

        `inputs` is the newest frame's (1, H, W, C) tokens, `frame_weight` 1 / (frames
        so far) broadcastable to (1, 1, 1, 1), `states` as `stream_state_shapes`
        (with the batch axis 1). Same weights and function as `call` on a causal
        clip, one frame at a time.
        """
        if not self.causal:
            raise ValueError("stream_step needs a causal modulation. Received: causal=False")
        modulator_temporal, new_states = self._temporal_stream_step(inputs, frame_weight, states)
        return self._modulate(inputs, modulator_temporal, training=False), new_states

    def _spatial_query_and_modulator(self, x):
        return self._spatial_query_modulator_and_gates(x)[:2]

    def _spatial_query_modulator_and_gates(self, x):
        levels, channels = self.focal_level, self.dim
        x = self.f(x)
        q = x[..., :channels]
        ctx = x[..., channels : 2 * channels]
        gates = x[..., 2 * channels :]
        ctx_all = 0.0
        for level, conv in enumerate(self.focal_layers):
            ctx = self.act(conv(ctx))
            ctx_all = ctx_all + ctx * gates[..., level : level + 1]
        ctx_global = self.act(ops.mean(ctx, axis=(1, 2), keepdims=True))
        ctx_all = ctx_all + ctx_global * gates[..., levels:]
        if self.normalize_modulator:
            ctx_all = ctx_all / (levels + 1)
        return q, self.h(ctx_all), gates

    def modulator_maps(self, inputs):
        """The four tensors the official module keeps after a forward pass, for pictures of the model.

        `inputs` as `call`'s, (batch * frames, H, W, C). Returns a dict, channels-last:
        `modulator` and `modulator_temporal` (batch * frames, H, W, C), `gates` (batch * frames, H, W,
        focal_level + 1) and `gates_temporal` (batch, frames, H * W, focal_level + 1). Same sublayers and
        operations as `call`, which never computes anything more for them (exported graphs are unchanged).
        """
        if not self.built:
            self.build(inputs.shape)
        height, width = inputs.shape[1], inputs.shape[2]
        modulator_temporal, gates_temporal = self._temporal_modulator_and_gates(inputs, height, width)
        _, modulator, gates = self._spatial_query_modulator_and_gates(inputs)
        return {
            "modulator": modulator,
            "modulator_temporal": modulator_temporal,
            "gates": gates,
            "gates_temporal": gates_temporal,
        }

    def call(self, inputs, training=None):
        height, width = inputs.shape[1], inputs.shape[2]
        modulator_temporal = self._temporal_modulator(inputs, height, width)
        return self._modulate(inputs, modulator_temporal, training)

    def _modulate(self, inputs, modulator_temporal, training):
        q, modulator = self._spatial_query_and_modulator(inputs)
        # Same product as the official q * modulator * modulator_temporal, associated
        # so that int8 TFLite keeps it: quantizing the q * modulator intermediate
        # collapses a trained model's answers (docs/export.md, "int8 and the modulator product").
        x = q * modulator_temporal * modulator
        if self.ln is not None:
            x = self.ln(x)
        x = self.proj(x)
        return self.proj_drop(x, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "dim": self.dim,
                "num_frames": self.num_frames,
                "focal_level": self.focal_level,
                "focal_window": self.focal_window,
                "focal_factor": self.focal_factor,
                "use_bias": self.use_bias,
                "use_postln_in_modulation": self.use_postln_in_modulation,
                "normalize_modulator": self.normalize_modulator,
                "proj_dropout": self.proj_dropout,
                "activation": self.activation,
                "causal": self.causal,
                "temporal_conv": self.temporal_conv,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class VideoFocalNetBlock(keras.layers.Layer):
    """Official `VideoFocalNetBlock`: focal modulation and MLP, each residual.

    Pre-norm by default; `use_postln` normalises each branch's output instead.
    `use_layerscale` multiplies each branch by a learned per-channel scale
    (`gamma_1`, `gamma_2`) initialised to `layerscale_value`.
    """

    def __init__(
        self,
        dim,
        num_frames,
        focal_level=2,
        focal_window=3,
        focal_factor=2,
        mlp_ratio=4.0,
        dropout=0.0,
        drop_path=0.0,
        use_layerscale=False,
        layerscale_value=1e-4,
        use_postln=False,
        use_postln_in_modulation=False,
        normalize_modulator=False,
        activation="gelu",
        causal=False,
        temporal_conv="dense",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.act = get_activation(activation)
        _check_positive_int("dim", dim)
        if mlp_ratio <= 0:
            raise ValueError(f"`mlp_ratio` must be positive. Received: mlp_ratio={mlp_ratio}")
        _check_rate("dropout", dropout)
        _check_rate("drop_path", drop_path)
        self.dim = dim
        self.num_frames = num_frames
        self.focal_level = focal_level
        self.focal_window = focal_window
        self.focal_factor = focal_factor
        self.mlp_ratio = mlp_ratio
        self.dropout = dropout
        self.drop_path = drop_path
        self.use_layerscale = use_layerscale
        self.layerscale_value = layerscale_value
        self.use_postln = use_postln
        self.use_postln_in_modulation = use_postln_in_modulation
        self.normalize_modulator = normalize_modulator
        self.activation = activation
        self.causal = causal
        self.temporal_conv = temporal_conv

        self.norm1 = _layer_norm("norm1", dtype=self.dtype_policy)
        self.modulation = SpatioTemporalFocalModulation(
            dim,
            num_frames=num_frames,
            focal_level=focal_level,
            focal_window=focal_window,
            focal_factor=focal_factor,
            use_postln_in_modulation=use_postln_in_modulation,
            normalize_modulator=normalize_modulator,
            proj_dropout=dropout,
            activation=activation,
            causal=causal,
            temporal_conv=temporal_conv,
            name="modulation",
            dtype=self.dtype_policy,
        )
        self.norm2 = _layer_norm("norm2", dtype=self.dtype_policy)
        self.mlp_fc1 = keras.layers.Dense(int(dim * mlp_ratio), name="mlp_fc1", dtype=self.dtype_policy)
        self.mlp_fc2 = keras.layers.Dense(dim, name="mlp_fc2", dtype=self.dtype_policy)
        self.mlp_drop = keras.layers.Dropout(dropout, name="mlp_drop", dtype=self.dtype_policy)
        self.drop_path_layer = StochasticDepth(drop_path, name="drop_path", dtype=self.dtype_policy)

    def build(self, input_shape):
        self.norm1.build(input_shape)
        self.modulation.build(input_shape)
        self.norm2.build(input_shape)
        self.mlp_fc1.build(input_shape)
        self.mlp_fc2.build(tuple(input_shape[:-1]) + (int(self.dim * self.mlp_ratio),))
        if self.use_layerscale:
            init = keras.initializers.Constant(self.layerscale_value)
            self.gamma_1 = self.add_weight(shape=(self.dim,), initializer=init, name="gamma_1")
            self.gamma_2 = self.add_weight(shape=(self.dim,), initializer=init, name="gamma_2")

    def _mlp(self, x, training):
        x = self.act(self.mlp_fc1(x))
        x = self.mlp_drop(x, training=training)
        x = self.mlp_fc2(x)
        return self.mlp_drop(x, training=training)

    def call(self, inputs, training=None):
        return self._forward(inputs, lambda x: self.modulation(x, training=training), training)

    def stream_step(self, inputs, frame_weight, states):
        """One causal step on the newest frame's tokens: (output, new modulation states).

        States as `self.modulation.stream_state_shapes` (see `SpatioTemporalFocalModulation.stream_step`).
        """
        new_states = []

        def modulate(x):
            output, states_out = self.modulation.stream_step(x, frame_weight, states)
            new_states.extend(states_out)
            return output

        return self._forward(inputs, modulate, training=False), new_states

    def _forward(self, inputs, modulate, training):
        shortcut = inputs
        if self.use_postln:
            x = self.norm1(modulate(inputs))
        else:
            x = modulate(self.norm1(inputs))
        if self.use_layerscale:
            x = self.gamma_1 * x
        x = shortcut + self.drop_path_layer(x, training=training)

        if self.use_postln:
            y = self.norm2(self._mlp(x, training))
        else:
            y = self._mlp(self.norm2(x), training)
        if self.use_layerscale:
            y = self.gamma_2 * y
        return x + self.drop_path_layer(y, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "dim": self.dim,
                "num_frames": self.num_frames,
                "focal_level": self.focal_level,
                "focal_window": self.focal_window,
                "focal_factor": self.focal_factor,
                "mlp_ratio": self.mlp_ratio,
                "dropout": self.dropout,
                "drop_path": self.drop_path,
                "use_layerscale": self.use_layerscale,
                "layerscale_value": self.layerscale_value,
                "use_postln": self.use_postln,
                "use_postln_in_modulation": self.use_postln_in_modulation,
                "normalize_modulator": self.normalize_modulator,
                "activation": self.activation,
                "causal": self.causal,
                "temporal_conv": self.temporal_conv,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="dvfl_tf")
class ClipPooling(keras.layers.Layer):
    """(batch * frames, H, W, C) -> (batch, C): mean over each frame's tokens, then over frames.

    Same order as the official model (AdaptiveAvgPool1d over tokens, then the
    mean over frames), so rounding matches too.
    """

    def __init__(self, num_frames, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("num_frames", num_frames)
        self.num_frames = num_frames

    def call(self, inputs):
        x = ops.mean(inputs, axis=(1, 2))
        x = ops.reshape(x, (-1, self.num_frames, inputs.shape[-1]))
        return ops.mean(x, axis=1)

    def compute_output_shape(self, input_shape):
        batch = input_shape[0]
        if batch is not None:
            batch //= self.num_frames
        return (batch, input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"num_frames": self.num_frames})
        return config
