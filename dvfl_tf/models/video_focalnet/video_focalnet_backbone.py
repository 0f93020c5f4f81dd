"""The Video-FocalNet backbone: a keras-hub `Backbone` on frame-folded clips."""

import logging

import keras
from keras_hub.models import FeaturePyramidBackbone
from keras_hub.src.utils.preset_utils import register_presets

from dvfl_tf.models.video_focalnet.video_focalnet_embedding import FrameNormalization, PatchEmbedding
from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import check_norm, layer_norm
from dvfl_tf.models.video_focalnet.video_focalnet_presets import (
    PRESETS,
    check_preset_location,
    is_builtin_preset,
    preset_backbone_config,
    save_preset_folder,
)
from dvfl_tf.models.video_focalnet.video_focalnet_stage import drop_path_rates, stage_blocks, stage_downsample

logger = logging.getLogger(__name__)

# `stem` values: how the patch embedding's convolution is computed (the same function and weights).
STEMS = ("conv", "matmul")


def _pyramid_level(stride):
    """keras-hub's level of a feature map `stride` times smaller than the input: P{level}, 2**level = stride.

    The level below for a stride that is not a power of two (patch_size 3 or 6), so levels still count up by stage.
    """
    return int(stride).bit_length() - 1


def _as_pair(value, name):
    if isinstance(value, int):
        return (value, value)
    pair = tuple(value)
    if len(pair) != 2:
        raise ValueError(f"`{name}` must be an int or a pair of ints. Received: {name}={value!r}")
    return pair


@keras.saving.register_keras_serializable(package="dvfl_tf")
class VideoFocalNetBackbone(FeaturePyramidBackbone):
    """Video-FocalNet feature extractor (the official `VideoFocalNet` without its head).

    Input `folded_frames`: the frames of clips folded into the batch axis,
    (batch * num_frames, height, width, 3), clip-major (all frames of clip 0
    first), raw RGB in [0, 255]. The mobile layout: no tensor above rank 4, so
    the graph converts to full-integer TFLite; `VideoFocalNetClassifier` folds
    (batch, frames, H, W, 3) clips into it. Normalisation with the official
    mean and std happens inside (`frame_normalization`).
    Output: the final LayerNorm-ed token map (batch * num_frames / tubelet_size,
    height / 32, width / 32, embed_dim * 2 ** (num_stages - 1)).
    `pyramid_outputs` (keras-hub's `FeaturePyramidBackbone`): each stage's output before
    its downsample, keyed `P{level}` for a map 2**level times smaller than the frame
    (`P2` to `P5` for the official 4 stages on 4x4 patches); `feature_model()` adds the
    official `patch_embed` / `layers.i` features.

    Every tensor inside is at most 4-D and no Conv3D is used (see the layers).
    Sublayer names follow the official state_dict (`patch_embed`,
    `layers_{i}_blocks_{j}`, `layers_{i}_downsample`, `norm`).

    Args mirror the official constructor: `embed_dim`, `depths`,
    `focal_levels`, `focal_windows`, `num_frames`, `image_size` (img_size),
    `patch_size`, `tubelet_size`, `mlp_ratio`, `dropout` (drop_rate),
    `drop_path_rate` (rises linearly from 0 over all blocks), `use_conv_embed`,
    `use_layerscale`, `layerscale_value`, `use_postln`,
    `use_postln_in_modulation`, `normalize_modulator`, `patch_norm`,
    `focal_factor`. `activation` is "gelu" (exact, official) or an
    approximation ("gelu_tanh", "gelu_sigmoid") for accelerators without GELU.
    `causal=True` (not an official option) makes every temporal operation see
    only past and present frames (see `SpatioTemporalFocalModulation`), so the
    model can run frame by frame (`VideoFocalNetClassifier.streaming_model`).
    `temporal_conv` is "dense" (official) or a cheaper temporal convolution for
    mobile presets ("depthwise", "grouped"; see `SpatioTemporalFocalModulation`).
    `norm` is "layer" (official LayerNorm), "batch" (a batch norm), "affine"
    (gamma and beta per channel, no statistics) or "dynamic_tanh" (DyT); the
    exporters fold the last three into the conv or dense layer next to them
    (for int8 mobile presets, see `layer_norm`); `activation` also takes "relu" and "hard_swish"
    (other functions than GELU, for models trained with them). `stem` "conv"
    (default) or "matmul": the same patch embedding computed as space-to-depth
    and a matrix product (see `PatchEmbedding`; needs use_conv_embed=False).
    `dtype` (a dtype policy) is given to every layer.

    `VideoFocalNetBackbone.from_preset(name_or_directory)`: a built-in preset
    name (`dvfl_tf.PRESETS`) builds fresh weights; a directory written by
    `save_to_preset` (keras-hub's format) loads its config and weights.
    """

    def __init__(
        self,
        embed_dim=96,
        depths=(2, 2, 6, 2),
        focal_levels=(2, 2, 2, 2),
        focal_windows=(3, 3, 3, 3),
        num_frames=8,
        image_size=224,
        patch_size=4,
        tubelet_size=1,
        mlp_ratio=4.0,
        dropout=0.0,
        drop_path_rate=0.1,
        use_conv_embed=False,
        use_layerscale=False,
        layerscale_value=1e-4,
        use_postln=False,
        use_postln_in_modulation=False,
        normalize_modulator=False,
        patch_norm=True,
        focal_factor=2,
        activation="gelu",
        causal=False,
        temporal_conv="dense",
        norm="layer",
        stem="conv",
        dtype=None,
        **kwargs,
    ):
        depths = [int(d) for d in depths]
        focal_levels = [int(v) for v in focal_levels]
        focal_windows = [int(v) for v in focal_windows]
        if not depths or any(d < 1 for d in depths):
            raise ValueError(f"`depths` must be a non-empty list of positive ints. Received: depths={depths}")
        for name, values in (("focal_levels", focal_levels), ("focal_windows", focal_windows)):
            if len(values) != len(depths):
                raise ValueError(f"`{name}` must have one entry per stage ({len(depths)}). Received: {name}={values}")
        if num_frames % tubelet_size:
            raise ValueError(
                "`num_frames` must be divisible by `tubelet_size`. "
                f"Received: num_frames={num_frames}, tubelet_size={tubelet_size}"
            )
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f"`drop_path_rate` must be in [0, 1). Received: drop_path_rate={drop_path_rate}")
        height, width = _as_pair(image_size, "image_size")
        min_size = patch_size * 2 ** (len(depths) - 1)
        if height < min_size or width < min_size:
            raise ValueError(
                f"`image_size` must be at least {min_size} for {len(depths)} stages. Received: image_size={image_size}"
            )
        check_norm(norm)
        if stem not in STEMS:
            raise ValueError(f"`stem` must be one of {STEMS}. Received: stem={stem!r}")
        stage_drop_paths = drop_path_rates(drop_path_rate, depths)

        inputs = keras.Input(shape=(height, width, 3), name="folded_frames")
        x = FrameNormalization(dtype=dtype, name="frame_normalization")(inputs)
        x = PatchEmbedding(
            embed_dim,
            patch_size=patch_size,
            use_conv_embed=use_conv_embed,
            is_stem=True,
            tubelet_size=tubelet_size,
            use_norm=patch_norm,
            norm=norm,
            as_matmul=stem == "matmul",
            dtype=dtype,
            name="patch_embed",
        )(x)
        x = keras.layers.Dropout(dropout, dtype=dtype, name="pos_drop")(x)
        pyramid_outputs = {}
        first_level = _pyramid_level(4 if use_conv_embed else patch_size)
        for stage in range(len(depths)):
            dim = embed_dim * 2**stage
            x = stage_blocks(
                x,
                stage,
                dim,
                stage_drop_paths[stage],
                num_frames=num_frames // tubelet_size,
                focal_level=focal_levels[stage],
                focal_window=focal_windows[stage],
                focal_factor=focal_factor,
                mlp_ratio=mlp_ratio,
                dropout=dropout,
                use_layerscale=use_layerscale,
                layerscale_value=layerscale_value,
                use_postln=use_postln,
                use_postln_in_modulation=use_postln_in_modulation,
                normalize_modulator=normalize_modulator,
                activation=activation,
                causal=causal,
                temporal_conv=temporal_conv,
                norm=norm,
                dtype=dtype,
            )
            pyramid_outputs[f"P{first_level + stage}"] = x
            if stage < len(depths) - 1:
                x = stage_downsample(x, stage, dim * 2, use_conv_embed=use_conv_embed, norm=norm, dtype=dtype)
        outputs = layer_norm("norm", dtype=dtype, norm=norm)(x)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)
        self.pyramid_outputs = pyramid_outputs

        self.embed_dim = embed_dim
        self.depths = depths
        self.focal_levels = focal_levels
        self.focal_windows = focal_windows
        self.num_frames = num_frames
        self.image_size = image_size if isinstance(image_size, int) else [height, width]
        self.patch_size = patch_size
        self.tubelet_size = tubelet_size
        self.mlp_ratio = mlp_ratio
        self.dropout = dropout
        self.drop_path_rate = drop_path_rate
        self.use_conv_embed = use_conv_embed
        self.use_layerscale = use_layerscale
        self.layerscale_value = layerscale_value
        self.use_postln = use_postln
        self.use_postln_in_modulation = use_postln_in_modulation
        self.normalize_modulator = normalize_modulator
        self.patch_norm = patch_norm
        self.focal_factor = focal_factor
        self.activation = activation
        self.causal = causal
        self.temporal_conv = temporal_conv
        self.norm = norm
        self.stem = stem

    @property
    def frames_after_stem(self):
        """Number of token frames per clip (num_frames / tubelet_size)."""
        return self.num_frames // self.tubelet_size

    @property
    def num_features(self):
        return self.embed_dim * 2 ** (len(self.depths) - 1)

    @property
    def frame_shape(self):
        """(height, width) of one input frame."""
        return _as_pair(self.image_size, "image_size")

    def feature_model(self):
        """A model giving {official feature name: (batch*frames', H, W, C) tensor}, built on `pyramid_outputs`.

        The official `patch_embed`, and `layers.i`: stage i's output after its downsample, i.e. the
        output of `layers_{i}_downsample` on pyramid level i; for the last stage (no downsample),
        that level itself.
        """
        outputs = {"patch_embed": self.get_layer("patch_embed").output}
        stages = list(self.pyramid_outputs.values())
        for stage, stage_output in enumerate(stages):
            if stage < len(stages) - 1:
                stage_output = self.get_layer(f"layers_{stage}_downsample").output
            outputs[f"layers.{stage}"] = stage_output
        return keras.Model(self.input, outputs, name=f"{self.name}_features")

    @classmethod
    def from_preset(cls, preset, load_weights=True, **kwargs):
        """A built-in preset name (fresh weights, logged) or a `save_to_preset` directory (weights loaded).

        For a preset name, `kwargs` override backbone arguments; for a
        directory, keras-hub's loader reads `config.json` and `model.weights.h5`.
        The presets are registered with keras-hub (`VideoFocalNetBackbone.presets`),
        but keras-hub's loader downloads a registered preset's weights: ours are
        architectures only (fresh weights), which is the one thing this override adds,
        beside naming an unknown name or a damaged file in one line.
        """
        check_preset_location(preset)
        if is_builtin_preset(preset):
            logger.info("%s: built-in architecture preset, fresh (random) weights", preset)
            return cls(**preset_backbone_config(preset, **kwargs), name="backbone")
        return super().from_preset(preset, load_weights=load_weights, **kwargs)

    def save_to_preset(self, preset_dir, max_shard_size=10, overwrite=False):
        """keras-hub's preset folder; a folder that already holds files is replaced only with `overwrite=True`."""
        save_preset_folder(
            lambda folder: super(VideoFocalNetBackbone, self).save_to_preset(folder, max_shard_size=max_shard_size),
            preset_dir,
            overwrite,
        )

    def get_config(self):
        return {
            **super().get_config(),  # name, trainable, dtype
            "embed_dim": self.embed_dim,
            "depths": self.depths,
            "focal_levels": self.focal_levels,
            "focal_windows": self.focal_windows,
            "num_frames": self.num_frames,
            "image_size": self.image_size,
            "patch_size": self.patch_size,
            "tubelet_size": self.tubelet_size,
            "mlp_ratio": self.mlp_ratio,
            "dropout": self.dropout,
            "drop_path_rate": self.drop_path_rate,
            "use_conv_embed": self.use_conv_embed,
            "use_layerscale": self.use_layerscale,
            "layerscale_value": self.layerscale_value,
            "use_postln": self.use_postln,
            "use_postln_in_modulation": self.use_postln_in_modulation,
            "normalize_modulator": self.normalize_modulator,
            "patch_norm": self.patch_norm,
            "focal_factor": self.focal_factor,
            "activation": self.activation,
            "causal": self.causal,
            "temporal_conv": self.temporal_conv,
            "norm": self.norm,
            "stem": self.stem,
        }


# keras-hub's way for a model family's built-in presets (`VideoFocalNetBackbone.presets`,
# `VideoFocalNetClassifier.presets`, `keras_hub.models.Backbone.presets`).
register_presets(PRESETS, VideoFocalNetBackbone)
