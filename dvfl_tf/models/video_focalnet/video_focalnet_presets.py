"""Architectures as data: the Video-FocalNet and VFL-Net presets, and the official config mapping."""

import copy

# Official Video-FocalNet (Wasim et al., ICCV 2023) and DVFL-Net's nano student
# (Ullah et al., 2025). All use focal levels [2,2,2,2], windows [3,3,3,3],
# 8 frames of 224x224.
_COMMON = {
    "focal_levels": [2, 2, 2, 2],
    "focal_windows": [3, 3, 3, 3],
    "num_frames": 8,
    "image_size": 224,
}

PRESETS = {
    "video_focalnet_tiny": {
        "description": "Video-FocalNet-T: depths [2,2,6,2], embed dim 96.",
        "backbone": {**_COMMON, "embed_dim": 96, "depths": [2, 2, 6, 2], "drop_path_rate": 0.2},
    },
    "video_focalnet_small": {
        "description": "Video-FocalNet-S: depths [2,2,18,2], embed dim 96.",
        "backbone": {**_COMMON, "embed_dim": 96, "depths": [2, 2, 18, 2], "drop_path_rate": 0.3},
    },
    "video_focalnet_base": {
        "description": "Video-FocalNet-B (the DVFL-Net teacher): depths [2,2,18,2], embed dim 128.",
        "backbone": {**_COMMON, "embed_dim": 128, "depths": [2, 2, 18, 2], "drop_path_rate": 0.5},
    },
    "vfl_net_nano": {
        "description": "VFL-Net nano (the DVFL-Net student): depths [1,1,2,1], embed dim 96.",
        "backbone": {**_COMMON, "embed_dim": 96, "depths": [1, 1, 2, 1], "drop_path_rate": 0.1},
    },
    # Not an official architecture: chosen by measurement for phones (docs/mobile.md,
    # benchmarks/mobile_sweep.py). A small graph is bound by its number of ops, not
    # its MACs, so: 3 stages of 1 block, 1 focal level, 8x8 patches, tubelets of 2
    # frames, depthwise temporal convs, and a GELU that XNNPACK runs in int8.
    "vfl_net_mobile": {
        "description": "VFL-Net mobile: depths [1,1,1], embed dim 48, patch 8, tubelet 2, 8x160x160, 0.2 GMACs.",
        "backbone": {
            "embed_dim": 48,
            "depths": [1, 1, 1],
            "focal_levels": [1, 1, 1],
            "focal_windows": [3, 3, 3],
            "num_frames": 8,
            "image_size": 160,
            "patch_size": 8,
            "tubelet_size": 2,
            "temporal_conv": "depthwise",
            "activation": "gelu_sigmoid",
            "drop_path_rate": 0.05,
        },
    },
}


def preset_backbone_config(preset, **overrides):
    """The backbone constructor arguments of `preset`, with `overrides` (None values ignored)."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset. Expected one of {sorted(PRESETS)}. Received: preset={preset!r}")
    config = copy.deepcopy(PRESETS[preset]["backbone"])
    config.update({key: value for key, value in overrides.items() if value is not None})
    return config


def build_model(preset, num_classes, num_frames=None, image_size=None, drop_path_rate=None, **backbone_overrides):
    """A `VideoFocalNetClassifier` for `preset` with fresh weights.

    `num_frames`, `image_size`, `drop_path_rate` and any other backbone
    argument can be overridden.
    """
    from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier

    config = preset_backbone_config(
        preset,
        num_frames=num_frames,
        image_size=image_size,
        drop_path_rate=drop_path_rate,
        **backbone_overrides,
    )
    backbone = VideoFocalNetBackbone(**config, name="backbone")
    return VideoFocalNetClassifier(backbone, num_classes=num_classes, name=preset)


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
    from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier

    backbone_config, official_classes = config_from_official(official_config)
    backbone = VideoFocalNetBackbone(**backbone_config, name="backbone")
    return VideoFocalNetClassifier(backbone, num_classes=num_classes or official_classes, name="video_focalnet")
