"""The Video-FocalNet block: focal modulation and MLP, each residual, with stochastic depth."""

import keras
from keras import ops

from dvfl_tf.models.video_focalnet.video_focalnet_activations import check_positive_int, check_rate, get_activation
from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import layer_norm
from dvfl_tf.models.video_focalnet.video_focalnet_modulation import SpatioTemporalFocalModulation


@keras.saving.register_keras_serializable(package="dvfl_tf")
class StochasticDepth(keras.layers.Layer):
    """Drops the residual branch per sample with probability `rate` (timm's DropPath).

    A sample is one row of the folded batch, i.e. one frame (tubelet) of one
    clip, as in the official model, whose DropPath sees (batch * frames, tokens, C).
    """

    def __init__(self, rate=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        check_rate("rate", rate)
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
class VideoFocalNetBlock(keras.layers.Layer):
    """Official `VideoFocalNetBlock`: focal modulation and MLP, each residual.

    Pre-norm by default; `use_postln` normalises each branch's output instead.
    `use_layerscale` multiplies each branch by a learned per-channel scale
    (`gamma_1`, `gamma_2`) initialised to `layerscale_value`. `norm`: "layer"
    (official), "batch", "affine" or "dynamic_tanh" for every normalization (see `layer_norm`).
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
        norm="layer",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.act = get_activation(activation)
        check_positive_int("dim", dim)
        if mlp_ratio <= 0:
            raise ValueError(f"`mlp_ratio` must be positive. Received: mlp_ratio={mlp_ratio}")
        check_rate("dropout", dropout)
        check_rate("drop_path", drop_path)
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
        self.norm = norm

        self._make_sublayers()

    def _make_sublayers(self):
        """The official sublayers, created in the official order (the weight paths of saved files follow it)."""
        self.norm1 = layer_norm("norm1", dtype=self.dtype_policy, norm=self.norm)
        self.modulation = SpatioTemporalFocalModulation(
            self.dim,
            num_frames=self.num_frames,
            focal_level=self.focal_level,
            focal_window=self.focal_window,
            focal_factor=self.focal_factor,
            use_postln_in_modulation=self.use_postln_in_modulation,
            normalize_modulator=self.normalize_modulator,
            proj_dropout=self.dropout,
            activation=self.activation,
            causal=self.causal,
            temporal_conv=self.temporal_conv,
            norm=self.norm,
            name="modulation",
            dtype=self.dtype_policy,
        )
        self.norm2 = layer_norm("norm2", dtype=self.dtype_policy, norm=self.norm)
        self.mlp_fc1 = keras.layers.Dense(int(self.dim * self.mlp_ratio), name="mlp_fc1", dtype=self.dtype_policy)
        self.mlp_fc2 = keras.layers.Dense(self.dim, name="mlp_fc2", dtype=self.dtype_policy)
        self.mlp_drop = keras.layers.Dropout(self.dropout, name="mlp_drop", dtype=self.dtype_policy)
        self.drop_path_layer = StochasticDepth(self.drop_path, name="drop_path", dtype=self.dtype_policy)

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
                "norm": self.norm,
            }
        )
        return config
