"""Architectures as data: the Video-FocalNet and VFL-Net presets, registered here and only here.

Each preset: `backbone` (the `VideoFocalNetBackbone` arguments), `description`,
and `metadata`: `params` (backbone parameters, without a head), `gmacs` (conv
and linear multiply-accumulates of the backbone for one clip of the preset's
frames and size) and `source`. A preset is an architecture only: building one
(`VideoFocalNetClassifier.from_preset(name, num_classes)`) gives fresh weights;
trained weights travel as preset directories (`save_to_preset`).
"""

import copy
import difflib
import json
import os
import shutil
import tempfile

import h5py

from dvfl_tf.core.errors import UserError, first_line

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
    # vfl_net_mobile with an int8-native block, chosen by measurement for int8 CPUs (docs/mobile.md,
    # benchmarks/results/int8/): DyT (tanh(alpha * x) and a per-channel map) wherever vfl_net_mobile has a
    # LayerNorm, its map folded into the dense layer after it at export (int8 LayerNorm's RSQRT and small-scale
    # SUBs fall off XNNPACK; a batch norm, which folds whole, trained to 3 points lower top-1), ReLU (fused
    # into the layer before it), and the stem computed as one matrix product (XNNPACK's int8 conv on 6 input
    # channels is slow).
    "vfl_net_mobile_int8": {
        "metadata": {
            "params": 799795,
            "gmacs": 0.2,
            "source": "dvfl-tf, not official: vfl_net_mobile with an int8-native block (docs/mobile.md)",
        },
        "description": "VFL-Net mobile for int8: vfl_net_mobile with DyT norms, ReLU and a matmul stem.",
        # The vfl_net_mobile architecture (filled in below) with these three options.
        "backbone": {"activation": "relu", "norm": "dynamic_tanh", "stem": "matmul"},
    },
}
PRESETS["vfl_net_mobile_int8"]["backbone"] = {
    **PRESETS["vfl_net_mobile"]["backbone"],
    **PRESETS["vfl_net_mobile_int8"]["backbone"],
}


def is_builtin_preset(preset):
    """True for the name of a built-in preset (not a preset directory or handle)."""
    return isinstance(preset, str) and preset in PRESETS


def preset_backbone_config(preset, **overrides):
    """The backbone constructor arguments of `preset`, with `overrides` (None values ignored)."""
    if preset not in PRESETS:
        raise PresetError(unknown_preset_message(preset))
    config = copy.deepcopy(PRESETS[preset]["backbone"])
    config.update({key: value for key, value in overrides.items() if value is not None})
    return config


class PresetError(UserError, ValueError):
    """A preset name that is not ours, or a preset folder with a missing or damaged file."""


def unknown_preset_message(preset, alternative="a folder written by save_to_preset"):
    """One line for a name that is neither a built-in preset nor `alternative`: the close match, then the list."""
    close = difflib.get_close_matches(str(preset), sorted(PRESETS), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    return f"Unknown preset {str(preset)!r}{hint} Built-in presets: {', '.join(sorted(PRESETS))} (or {alternative})."


def check_preset_location(preset):
    """Raises `PresetError` (one line naming the file) unless `preset` is a built-in name or a readable folder.

    keras-hub's own messages for these cases speak of its hub presets (Kaggle,
    Hugging Face) or raise a bare `OSError`/`JSONDecodeError`; handles with a
    scheme ("kaggle://", "hf://") are left to keras-hub.
    """
    if not isinstance(preset, str) or is_builtin_preset(preset) or "://" in preset:
        return
    if not os.path.exists(preset):
        raise PresetError(unknown_preset_message(preset))
    if not os.path.isdir(preset):
        raise PresetError(f"{preset}: is a file, not a preset folder (one written by save_to_preset).")
    if not os.path.isfile(os.path.join(preset, "config.json")):
        raise PresetError(f"{preset}: not a preset folder (no config.json; write one with save_to_preset).")
    for name in sorted(os.listdir(preset)):
        path = os.path.join(preset, name)
        if name.endswith(".json"):
            try:
                with open(path, encoding="utf-8") as f:
                    json.load(f)
            except (OSError, UnicodeDecodeError, ValueError) as error:
                raise PresetError(f"{path}: damaged preset file, not valid JSON ({first_line(error)}).") from None
        elif name.endswith(".weights.h5"):
            try:
                with h5py.File(path, "r"):
                    pass
            except OSError as error:
                raise PresetError(
                    f"{path}: damaged preset weights file, truncated or corrupt ({first_line(error)})."
                ) from None


def refuse_preset_overwrite(preset_dir, overwrite):
    """`save_to_preset`'s write rule: a folder already holding files is replaced only with `overwrite=True`."""
    if os.path.isfile(preset_dir):
        raise PresetError(f"{preset_dir}: is a file; a preset is written as a folder.")
    if not overwrite and os.path.isdir(preset_dir) and os.listdir(preset_dir):
        raise PresetError(f"{preset_dir}: folder holds files; pass overwrite=True to replace them.")


_STAGING = set()  # folders being written by save_preset_folder


def save_preset_folder(save, preset_dir, overwrite):
    """Runs keras-hub's `save(folder)` into a temporary sibling folder, then moves the files into `preset_dir`.

    A kill mid-save leaves `preset_dir` as it was (a new folder appears by one
    rename; into an existing one, each file is replaced by a rename).
    """
    if os.path.abspath(preset_dir) in _STAGING:  # the backbone's part of a classifier's save
        save(preset_dir)
        return
    refuse_preset_overwrite(preset_dir, overwrite)
    parent = os.path.dirname(os.path.abspath(preset_dir))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(os.path.abspath(preset_dir))}.", dir=parent)
    _STAGING.add(staging)
    try:
        save(staging)
        if not os.path.exists(preset_dir):
            os.rename(staging, preset_dir)
            return
        for name in os.listdir(staging):
            target = os.path.join(preset_dir, name)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            os.replace(os.path.join(staging, name), target)
    finally:
        _STAGING.discard(staging)
        shutil.rmtree(staging, ignore_errors=True)


def preset_table():
    """The README's preset table (markdown rows), from `PRESETS` (video_focalnet_presets_registry_test.py compares)."""
    rows = [
        "| preset | depths | dim | clip | params (backbone) | GMACs (one clip) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, preset in PRESETS.items():
        backbone, metadata = preset["backbone"], preset["metadata"]
        depths = "[" + ",".join(str(depth) for depth in backbone["depths"]) + "]"
        clip = f"{backbone['num_frames']}x{backbone['image_size']}x{backbone['image_size']}"
        params = f"{metadata['params'] / 1e6:.1f}M"
        rows.append(f"| `{name}` | {depths} | {backbone['embed_dim']} | {clip} | {params} | {metadata['gmacs']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(preset_table())
