"""Architectures as data: the Video-FocalNet and VFL-Net presets, registered here and only here.

Each preset: `backbone` (the `VideoFocalNetBackbone` arguments), `description`,
and `metadata`: `params` (backbone parameters, without a head), `gmacs` (conv
and linear multiply-accumulates of the backbone for one clip of the preset's
frames and size) and `source`. A preset is an architecture only: building one
(`VideoFocalNetClassifier.from_preset(name, num_classes)`) gives fresh weights;
trained weights travel as preset directories (`save_to_preset`).
"""

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
        "metadata": {
            "params": 49245672,
            "gmacs": 63.0,
            "source": "Video-FocalNet (Wasim et al., ICCV 2023), official architecture",
        },
        "description": "Video-FocalNet-T: depths [2,2,6,2], embed dim 96.",
        "backbone": {**_COMMON, "embed_dim": 96, "depths": [2, 2, 6, 2], "drop_path_rate": 0.2},
    },
    "video_focalnet_small": {
        "metadata": {
            "params": 88427568,
            "gmacs": 124.33,
            "source": "Video-FocalNet (Wasim et al., ICCV 2023), official architecture",
        },
        "description": "Video-FocalNet-S: depths [2,2,18,2], embed dim 96.",
        "backbone": {**_COMMON, "embed_dim": 96, "depths": [2, 2, 18, 2], "drop_path_rate": 0.3},
    },
    "video_focalnet_base": {
        "metadata": {
            "params": 156979216,
            "gmacs": 220.65,
            "source": "Video-FocalNet (Wasim et al., ICCV 2023), official architecture; the DVFL-Net teacher",
        },
        "description": "Video-FocalNet-B (the DVFL-Net teacher): depths [2,2,18,2], embed dim 128.",
        "backbone": {**_COMMON, "embed_dim": 128, "depths": [2, 2, 18, 2], "drop_path_rate": 0.5},
    },
    "vfl_net_nano": {
        "metadata": {
            "params": 22137054,
            "gmacs": 27.14,
            "source": "DVFL-Net (Ullah et al., 2025), official nano student architecture",
        },
        "description": "VFL-Net nano (the DVFL-Net student): depths [1,1,2,1], embed dim 96.",
        "backbone": {**_COMMON, "embed_dim": 96, "depths": [1, 1, 2, 1], "drop_path_rate": 0.1},
    },
    # Not an official architecture: chosen by measurement for phones (docs/mobile.md,
    # benchmarks/mobile_sweep.py). A small graph is bound by its number of ops, not
    # its MACs, so: 3 stages of 1 block, 1 focal level, 8x8 patches, tubelets of 2
    # frames, depthwise temporal convs, and a GELU that XNNPACK runs in int8.
    "vfl_net_mobile": {
        "metadata": {
            "params": 799788,
            "gmacs": 0.2,
            "source": "dvfl-tf, not official: chosen by measurement for phones (docs/mobile.md)",
        },
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


def is_builtin_preset(preset):
    """True for the name of a built-in preset (not a preset directory or handle)."""
    return isinstance(preset, str) and preset in PRESETS


def preset_backbone_config(preset, **overrides):
    """The backbone constructor arguments of `preset`, with `overrides` (None values ignored)."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset. Expected one of {sorted(PRESETS)}. Received: preset={preset!r}")
    config = copy.deepcopy(PRESETS[preset]["backbone"])
    config.update({key: value for key, value in overrides.items() if value is not None})
    return config
