"""Presets against the official architecture: parameter counts and GMACs.

`official_param_count` and `official_macs` are written independently of our
Keras code, from the official module definitions (videofocalnet.py); the
parameter formula is itself checked against the parameter counts that the
official code reported for the parity fixtures.
"""

import json

import pytest

from dvfl_tf.convert.official_config import config_from_official
from dvfl_tf.models.profiling import profile_model
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import build_model
from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS, preset_backbone_config


def _stages(cfg):
    depths = cfg["depths"]
    dims = [cfg["embed_dim"] * 2**i for i in range(len(depths))]
    return depths, dims


def _temporal_kernel_inputs(dim, cfg):
    # Input channels each temporal focal conv output sees: all (official), 1 (depthwise), 16 (grouped).
    return {"dense": dim, "depthwise": 1, "grouped": 16}[cfg.get("temporal_conv", "dense")]


def _norm_params(cfg, dim, patch=False):
    # Per channel: gamma and beta; a batch norm also keeps its moving mean and variance (non-trainable, counted);
    # a DyT also has its scalar alpha (not the stem's and downsample's norms, the per-channel map alone).
    norm = cfg.get("norm", "layer")
    return (4 if norm == "batch" else 2) * dim + (1 if norm == "dynamic_tanh" and not patch else 0)


def _block_params(dim, level, window, cfg):
    kernels = [2 * i + window for i in range(level)]
    params = dim * (2 * dim + level + 1) + (2 * dim + level + 1)  # f
    params += 2 * (dim * dim + dim)  # h (1x1 conv) and proj
    params += sum(dim * k * k for k in kernels)  # depthwise, no bias
    params += dim * (dim + level + 1) + (dim + level + 1)  # f_temporal
    params += dim * dim + dim  # h_temporal (1x1 conv1d)
    params += sum(_temporal_kernel_inputs(dim, cfg) * dim * k for k in kernels)  # temporal conv1d, no bias
    params += 2 * _norm_params(cfg, dim)  # norm1, norm2
    params += dim * 4 * dim + 4 * dim + 4 * dim * dim + dim  # mlp
    params += _norm_params(cfg, dim) if cfg.get("use_postln_in_modulation") else 0
    params += 2 * dim if cfg.get("use_layerscale") else 0
    return params


def official_param_count(cfg, num_classes):
    depths, dims = _stages(cfg)
    tubelet = cfg.get("tubelet_size", 1)
    conv_embed = cfg.get("use_conv_embed", False)
    patch = cfg.get("patch_size", 4)
    stem_kernel = 49 if conv_embed else patch * patch * tubelet
    params = 3 * stem_kernel * dims[0] + dims[0] + _norm_params(cfg, dims[0], patch=True)
    for stage, depth in enumerate(depths):
        params += depth * _block_params(dims[stage], cfg["focal_levels"][stage], cfg["focal_windows"][stage], cfg)
        if stage < len(depths) - 1:
            k = 9 if conv_embed else 4
            params += (
                dims[stage] * k * dims[stage + 1] + dims[stage + 1] + _norm_params(cfg, dims[stage + 1], patch=True)
            )
    return params + _norm_params(cfg, dims[-1]) + dims[-1] * num_classes + num_classes


def official_macs(cfg, num_classes):
    """Conv and linear multiply-accumulates of the official model for one clip (no conv-embed)."""
    depths, dims = _stages(cfg)
    tubelet, patch = cfg.get("tubelet_size", 1), cfg.get("patch_size", 4)
    frames = cfg["num_frames"] // tubelet
    size = cfg["image_size"] // patch
    macs = frames * size * size * 3 * patch * patch * tubelet * dims[0]
    for stage, depth in enumerate(depths):
        dim, level, window = dims[stage], cfg["focal_levels"][stage], cfg["focal_windows"][stage]
        kernels = [2 * i + window for i in range(level)]
        tokens = frames * size * size
        per_token = (
            dim * (2 * dim + level + 1)
            + 2 * dim * dim
            + sum(dim * k * k for k in kernels)
            + dim * (dim + level + 1)
            + dim * dim
            + sum(_temporal_kernel_inputs(dim, cfg) * dim * k for k in kernels)
            + 8 * dim * dim
        )
        macs += depth * tokens * per_token
        if stage < len(depths) - 1:
            size //= 2
            macs += frames * size * size * 4 * dim * dims[stage + 1]
    return macs + dims[-1] * num_classes


@pytest.mark.parametrize("fixture", ["tiny", "options", "conv_embed"])
def test_param_formula_matches_official_fixture_counts(fixture, parity_dir):
    meta = json.loads((parity_dir / fixture / "meta.json").read_text())
    backbone_config, num_classes = config_from_official(meta["config"])
    assert official_param_count(backbone_config, num_classes) == meta["num_params"]


# Published figures, rounded as published: Video-FocalNet-B 157M parameters /
# 221 GMACs, VFL-Net nano 22M / 27 GMACs (8x224x224 clip).
PUBLISHED = {"video_focalnet_base": (157, 221), "vfl_net_nano": (22, 27)}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_params_and_gmacs_equal_official(preset):
    num_classes = 400
    model = build_model(preset, num_classes=num_classes)
    config = preset_backbone_config(preset)
    assert model.count_params() == official_param_count(config, num_classes)
    # The registry's metadata: the backbone's own parameters and the official formula's GMACs.
    metadata = PRESETS[preset]["metadata"]
    assert metadata["params"] == model.backbone.count_params()
    assert metadata["gmacs"] == round(official_macs(config, 0) / 1e9, 2)
    assert metadata["source"]
    profile = profile_model(model)
    expected_macs = official_macs(config, num_classes)
    assert abs(profile["macs"] - expected_macs) / expected_macs < 0.02
    if preset in PUBLISHED:
        params_m, gmacs = PUBLISHED[preset]
        assert round(profile["params"] / 1e6) == params_m
        assert abs(profile["gmacs"] - gmacs) / gmacs < 0.02


def test_mobile_preset_is_under_1_5_gmacs_per_clip_with_the_cli():
    # The bar, through the command users run: `dvfl-tf profile --preset vfl_net_mobile --json`.
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "dvfl_tf", "profile", "--preset", "vfl_net_mobile", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    profile = json.loads(result.stdout.strip().splitlines()[-1])
    config = preset_backbone_config("vfl_net_mobile")
    assert profile["gmacs"] <= 1.5
    assert abs(profile["gmacs"] * 1e9 - official_macs(config, profile.get("num_classes", 400))) / 1e9 < 0.01
    assert config["temporal_conv"] == "depthwise" and config["num_frames"] == 8
