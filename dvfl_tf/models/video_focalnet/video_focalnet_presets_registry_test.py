"""Presets the keras-hub way: registered, listed, named in one line when unknown or damaged, never overwritten."""

import os
import re

import keras
import keras_hub
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier
from dvfl_tf.models.video_focalnet.video_focalnet_presets import PRESETS, PresetError, preset_table
from tests.model_testing import tiny_classifier

README = os.path.join(os.path.dirname(__file__), "..", "..", "..", "README.md")


def test_classifier_and_backbone_list_every_builtin_preset():
    assert set(VideoFocalNetClassifier.presets) == set(PRESETS)
    assert set(VideoFocalNetBackbone.presets) == set(PRESETS)
    assert set(PRESETS) <= set(keras_hub.models.Backbone.presets)  # keras-hub's own registry holds them
    assert VideoFocalNetClassifier.presets["vfl_net_nano"]["metadata"]["params"] == 22137054


def test_readme_preset_table_is_generated_from_the_preset_data():
    with open(README) as f:
        text = f.read()
    block = re.search(r"<!-- presets:begin -->\n(.*?)\n\s*<!-- presets:end -->", text, re.S).group(1)
    assert [line.strip() for line in block.splitlines()] == preset_table().splitlines(), (
        "README preset table is out of date: python -m dvfl_tf.models.video_focalnet.video_focalnet_presets"
    )


@pytest.mark.parametrize(
    "name, suggestion",
    [("vfl_net_nan", "vfl_net_nano"), ("video_focalnet_tiy", "video_focalnet_tiny"), ("resnet50", None)],
)
def test_unknown_preset_name_is_one_line_with_a_close_match(name, suggestion):
    for load in (
        lambda: VideoFocalNetClassifier.from_preset(name, num_classes=3),
        lambda: VideoFocalNetBackbone.from_preset(name),
    ):
        with pytest.raises(PresetError) as raised:
            load()
        message = str(raised.value)
        assert "\n" not in message and "kaggle" not in message.lower()
        assert f"Unknown preset '{name}'" in message and "vfl_net_mobile, vfl_net_mobile_int8, vfl_net_nano" in message
        if suggestion:
            assert f"did you mean '{suggestion}'?" in message
        else:
            assert "did you mean" not in message


@pytest.fixture(scope="module")
def saved_preset(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = tiny_classifier(num_classes=3)
    folder = tmp_path_factory.mktemp("presets") / "saved"
    model.save_to_preset(str(folder))
    return model, folder


@pytest.mark.parametrize(
    "file, damage",
    [
        ("model.weights.h5", "truncate"),
        ("task.weights.h5", "garbage"),
        ("task.json", "truncate"),
        ("config.json", "garbage"),
        ("preprocessor.json", "truncate"),
    ],
)
def test_damaged_preset_file_is_named_in_one_line(saved_preset, tmp_path, file, damage):
    import shutil

    _, folder = saved_preset
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    data = (copy / file).read_bytes()
    (copy / file).write_bytes(data[: len(data) // 2] if damage == "truncate" else os.urandom(len(data)))
    with pytest.raises(PresetError) as raised:
        VideoFocalNetClassifier.from_preset(str(copy))
    message = str(raised.value)
    assert "\n" not in message and message.startswith(str(copy / file) + ": damaged preset"), message


def test_save_to_preset_refuses_a_folder_holding_files_unless_overwrite(saved_preset, tmp_path):
    model, folder = saved_preset
    own = tmp_path / "mine"
    own.mkdir()
    (own / "config.json").write_text('{"mine": true}')
    (own / "notes.txt").write_text("my notes")
    for target in (own, folder):
        before = {p.name: p.read_bytes() for p in target.iterdir()}
        with pytest.raises(PresetError, match="folder holds files; pass overwrite=True"):
            model.save_to_preset(str(target))
        with pytest.raises(PresetError, match="folder holds files; pass overwrite=True"):
            model.backbone.save_to_preset(str(target))
        assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    model.save_to_preset(str(own), overwrite=True)  # replaces the preset files, keeps the notes
    assert (own / "notes.txt").read_text() == "my notes"
    assert VideoFocalNetClassifier.from_preset(str(own)).count_params() == model.count_params()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left
