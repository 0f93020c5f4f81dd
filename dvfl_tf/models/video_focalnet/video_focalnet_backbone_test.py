"""Tests of the backbone's feature outputs: keras-hub's `pyramid_outputs` and the official features."""

import keras
import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from tests.model_testing import TINY_BACKBONE_CONFIG, random_clips


@pytest.mark.parametrize(
    "overrides, levels",
    [
        ({}, ["P2", "P3", "P4", "P5"]),
        ({"depths": [1, 2], "focal_levels": [2, 2], "focal_windows": [3, 3]}, ["P2", "P3"]),
    ],
)
def test_pyramid_outputs_are_each_stage_output_and_feature_model_gives_them(overrides, levels):
    config = {**TINY_BACKBONE_CONFIG, **overrides}
    backbone = VideoFocalNetBackbone(**config)
    assert isinstance(backbone, keras.Model) and list(backbone.pyramid_outputs) == levels
    frames = random_clips(2, config["num_frames"], 32, seed=4).reshape(-1, 32, 32, 3)
    pyramid = keras.Model(backbone.input, backbone.pyramid_outputs)(frames)
    for stage, level in enumerate(levels):
        size = 32 // 2 ** int(level[1:])  # Pn: 2**n times smaller than the frame
        expected = (len(frames), size, size, config["embed_dim"] * 2**stage)
        assert tuple(pyramid[level].shape) == expected, level
        # Each level is the output of the stage's last block.
        last_block = backbone.get_layer(f"layers_{stage}_blocks_{config['depths'][stage] - 1}")
        assert backbone.pyramid_outputs[level] is last_block.output

    features = backbone.feature_model()(frames)
    assert list(features) == ["patch_embed"] + [f"layers.{stage}" for stage in range(len(levels))]
    last = len(levels) - 1
    np.testing.assert_array_equal(np.asarray(features[f"layers.{last}"]), np.asarray(pyramid[levels[last]]))
    for stage in range(last):
        # The official stage output: that stage's pyramid level after its downsample.
        downsample = backbone.get_layer(f"layers_{stage}_downsample")
        assert downsample.input is backbone.pyramid_outputs[levels[stage]]
        np.testing.assert_allclose(
            np.asarray(features[f"layers.{stage}"]), np.asarray(downsample(pyramid[levels[stage]])), atol=1e-6
        )


def test_pyramid_levels_follow_the_stem_stride():
    backbone = VideoFocalNetBackbone(**{**TINY_BACKBONE_CONFIG, "patch_size": 2})
    assert list(backbone.pyramid_outputs) == ["P1", "P2", "P3", "P4"]
    assert backbone.pyramid_outputs["P1"].shape[1:] == (16, 16, TINY_BACKBONE_CONFIG["embed_dim"])


def test_a_reloaded_backbone_has_its_pyramid_outputs(tmp_path):
    backbone = VideoFocalNetBackbone(**TINY_BACKBONE_CONFIG)
    path = tmp_path / "backbone.keras"
    backbone.save(path)
    loaded = keras.saving.load_model(path)
    assert list(loaded.pyramid_outputs) == list(backbone.pyramid_outputs)
    frames = random_clips(1, TINY_BACKBONE_CONFIG["num_frames"], 32, seed=5)[0]
    ours, theirs = (keras.Model(m.input, m.pyramid_outputs)(frames) for m in (backbone, loaded))
    for level in ours:
        np.testing.assert_array_equal(np.asarray(ours[level]), np.asarray(theirs[level]))


def test_int8_block_options_are_in_the_config_and_round_trip(tmp_path):
    from dvfl_tf.models.video_focalnet.video_focalnet_streaming_test import INT8_BLOCK, trained_like_batch_norms
    from tests.model_testing import tiny_classifier

    model = trained_like_batch_norms(tiny_classifier(num_classes=3, tubelet_size=2, **INT8_BLOCK))
    config = model.backbone.get_config()
    assert {key: config[key] for key in INT8_BLOCK} == INT8_BLOCK
    block = model.backbone.get_layer("layers_0_blocks_0").get_config()
    assert block["norm"] == "dynamic_tanh" and block["activation"] == "relu"
    assert model.backbone.get_layer("patch_embed").get_config()["as_matmul"] is True
    path = tmp_path / "int8_block.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert {key: loaded.backbone.get_config()[key] for key in INT8_BLOCK} == INT8_BLOCK
    clips = random_clips(2, TINY_BACKBONE_CONFIG["num_frames"], 32, seed=6)
    np.testing.assert_allclose(np.asarray(loaded(clips)), np.asarray(model(clips)), atol=1e-6)
    # A config written before these options existed builds the official LayerNorm, GELU and conv stem.
    old = {k: v for k, v in config.items() if k not in ("norm", "stem", "activation")}
    rebuilt = VideoFocalNetBackbone.from_config(old)
    assert (rebuilt.norm, rebuilt.stem, rebuilt.activation) == ("layer", "conv", "gelu")


def test_the_int8_mobile_preset_is_vfl_net_mobile_with_the_int8_block():
    from dvfl_tf.models.video_focalnet.video_focalnet_presets import preset_backbone_config

    mobile, int8 = preset_backbone_config("vfl_net_mobile"), preset_backbone_config("vfl_net_mobile_int8")
    assert {key: value for key, value in int8.items() if mobile.get(key) != value} == {
        "norm": "dynamic_tanh",
        "activation": "relu",
        "stem": "matmul",
    }
    assert "norm" not in mobile and "stem" not in mobile  # vfl_net_mobile keeps its function
