"""Spatio-temporal focal modulation (Wasim et al., ICCV 2023), mobile-first.

The temporal branch unfolds the frame-folded tokens to (batch, frames,
height * width, channels) and realises each 1-D temporal convolution as a 2-D
convolution with a (k, 1) kernel: no tensor exceeds rank 4 and no Conv3D is
used, so the same graph converts to full-integer TFLite, runs on the GPU
delegate and maps to an Edge TPU. Computes exactly the function of the official
PyTorch module of the same name (TalalWasim/Video-FocalNets,
classification/videofocalnet.py); sublayer names follow its state_dict names.
"""

import keras
from keras import ops

from dvfl_tf.models.video_focalnet.video_focalnet_activations import check_positive_int, check_rate, get_activation
from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import layer_norm
from dvfl_tf.models.video_focalnet.video_focalnet_streaming_ops import (
    dense_columns,
    pad_past_frames,
    running_mean_over_frames,
    update_running_mean,
)

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


def _check_arguments(dim, num_frames, focal_level, focal_window, focal_factor, proj_dropout, causal, temporal_conv):
    check_positive_int("dim", dim)
    check_positive_int("num_frames", num_frames)
    _check_temporal_conv(temporal_conv, dim)
    check_positive_int("focal_level", focal_level)
    if not isinstance(causal, bool):
        raise ValueError(f"`causal` must be True or False. Received: causal={causal!r}")
    check_positive_int("focal_window", focal_window)
    if focal_window % 2 == 0 or focal_factor % 2:
        # Official padding is kernel//2, which keeps the size only for odd kernels.
        raise ValueError(
            "`focal_window` must be odd and `focal_factor` even so every focal kernel "
            f"is odd. Received: focal_window={focal_window}, focal_factor={focal_factor}"
        )
    check_rate("proj_dropout", proj_dropout)


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
    before `proj` (another `norm`: that norm there; see `layer_norm`).

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
        norm="layer",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.act = get_activation(activation)
        # The global level is act(mean of the last level's act(...) outputs). For ReLU those are >= 0, and so is
        # any mean (or running mean) of them: the second ReLU is the identity, left out (an int8 RELU that does
        # not follow a conv or dense layer is a separate op, which XNNPACK does not delegate).
        self.global_act = (lambda x: x) if activation == "relu" else self.act
        _check_arguments(dim, num_frames, focal_level, focal_window, focal_factor, proj_dropout, causal, temporal_conv)
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
        self.norm = norm

        self.kernel_sizes = [focal_factor * level + focal_window for level in range(focal_level)]
        self._make_sublayers()

    def _make_sublayers(self):
        """The official sublayers, created in the official order (the weight paths of saved files follow it)."""
        dim, focal_level, use_bias, causal = self.dim, self.focal_level, self.use_bias, self.causal
        self.f = keras.layers.Dense(2 * dim + focal_level + 1, use_bias=use_bias, name="f", dtype=self.dtype_policy)
        self.h = keras.layers.Dense(dim, use_bias=use_bias, name="h", dtype=self.dtype_policy)
        self.proj = keras.layers.Dense(dim, name="proj", dtype=self.dtype_policy)
        self.proj_drop = keras.layers.Dropout(self.proj_dropout, name="proj_drop", dtype=self.dtype_policy)
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
                self.temporal_conv,
                dim,
                k,
                padding=temporal_padding,
                name=f"focal_layers_temporal_{i}",
                dtype=self.dtype_policy,
            )
            for i, k in enumerate(self.kernel_sizes)
        ]
        self.ln = layer_norm("ln", dtype=self.dtype_policy, norm=self.norm) if self.use_postln_in_modulation else None

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
            ctx_global = self.global_act(running_mean_over_frames(ctx))
        else:
            ctx_global = self.global_act(ops.mean(ctx, axis=1, keepdims=True))
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
        ctx = dense_columns(self.f_temporal, tokens, 0, channels)
        gates = dense_columns(self.f_temporal, tokens, channels, None)
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
        return self._temporal_output(ctx_all, self.global_act(mean), gates, height, width), new_states

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
        ctx_global = self.global_act(ops.mean(ctx, axis=(1, 2), keepdims=True))
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
                "norm": self.norm,
            }
        )
        return config
