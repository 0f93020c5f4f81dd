"""The official `VideoFocalNet(**kwargs)` constructor arguments mapped to ours (config files of official checkpoints)."""

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier

# Official `VideoFocalNet.__init__` argument -> ours. Arguments not listed
# (norm_layer, use_checkpoint, in_chans=3) have no effect on the function.
_OFFICIAL_ARGUMENTS = {
    "img_size": "image_size",
    "patch_size": "patch_size",
    "embed_dim": "embed_dim",
    "depths": "depths",
    "mlp_ratio": "mlp_ratio",
    "drop_rate": "dropout",
    "drop_path_rate": "drop_path_rate",
    "patch_norm": "patch_norm",
    "focal_levels": "focal_levels",
    "focal_windows": "focal_windows",
    "use_conv_embed": "use_conv_embed",
    "use_layerscale": "use_layerscale",
    "layerscale_value": "layerscale_value",
    "use_postln": "use_postln",
    "use_postln_in_modulation": "use_postln_in_modulation",
    "normalize_modulator": "normalize_modulator",
    "num_frames": "num_frames",
    "tubelet_size": "tubelet_size",
}
_OFFICIAL_IGNORED = {"use_checkpoint", "norm_layer"}

# Official constructor defaults that differ from ours (the official class defaults
# to ImageNet-1k and drop_path_rate 0.1; our backbone's defaults are the same otherwise).
_OFFICIAL_DEFAULTS = {"num_classes": 1000, "drop_path_rate": 0.1}


def config_from_official(official_config):
    """Maps official `VideoFocalNet(**kwargs)` arguments to (backbone kwargs, num_classes)."""
    official = {**_OFFICIAL_DEFAULTS, **official_config}
    num_classes = int(official.pop("num_classes"))
    in_chans = official.pop("in_chans", 3)
    if in_chans != 3:
        raise ValueError(f"Only RGB input is supported. Received: in_chans={in_chans}")
    unknown = sorted(set(official) - set(_OFFICIAL_ARGUMENTS) - _OFFICIAL_IGNORED)
    if unknown:
        raise ValueError(f"Unknown official VideoFocalNet arguments: {unknown}")
    backbone = {_OFFICIAL_ARGUMENTS[key]: value for key, value in official.items() if key in _OFFICIAL_ARGUMENTS}
    return backbone, num_classes


def build_from_official_config(official_config, num_classes=None):
    """A `VideoFocalNetClassifier` computing the official `VideoFocalNet(**official_config)`."""
    backbone_config, official_classes = config_from_official(official_config)
    backbone = VideoFocalNetBackbone(**backbone_config, name="backbone")
    return VideoFocalNetClassifier(backbone, num_classes=num_classes or official_classes, name="video_focalnet")
