"""The pretrained start equals the official TRAIN.PRETRAINED_PATH load (../shared/official_flows)."""

import json

import keras
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from dvfl_tf.cli import main
from dvfl_tf.convert import (
    CheckpointMismatchError,
    load_official_checkpoint,
    official_input_to_raw,
    start_from_pretrained,
)
from dvfl_tf.convert.official_config import build_from_official_config
from dvfl_tf.convert.official_mapping import checkpoint_filter_fn, keras_path

CASES = ["imagenet_to_student", "imagenet_to_tubelet2", "k400_to_7_classes"]
MISSING = "official_missing_keys (left at initialisation; head re-initialised too)"
DROPPED = "official_unexpected_keys (dropped)"
ATOL = 1e-4  # float32 rounding of a different operation order, as in tests/test_parity.py


def _meta(folder):
    return json.loads((folder / "meta.json").read_text())


def _model(meta, seed=0, **config):
    keras.utils.set_random_seed(seed)
    return build_from_official_config({**meta["model_config"], **config})


def _weights(model):
    return {v.path: v.numpy() for v in model.weights}


def _expected_state(folder):
    state = torch.load(folder / "expected_state.pth", map_location="cpu", weights_only=True)
    return {key: value.numpy() for key, value in state.get("model", state).items()}


@pytest.mark.parametrize("case", CASES)
def test_pretrained_start_takes_what_the_official_load_took(case, official_flows_dir, capsys):
    folder = official_flows_dir / case
    meta = _meta(folder)
    model = _model(meta)
    before = _weights(model)

    report = start_from_pretrained(model, str(folder / "pretrained.pth"))

    after = _weights(model)
    assert sorted(report.loaded) == sorted(meta["loaded_from_checkpoint"])
    assert sorted(report.dropped) == sorted(meta[DROPPED])
    expected = {path: value for path, (key, value) in checkpoint_filter_fn(_expected_state(folder)).items()}
    for key in meta["loaded_from_checkpoint"]:
        path = keras_path(key)
        np.testing.assert_array_equal(after[path], expected[path], err_msg=key)
    # The head has the model's shape and is the model's own fresh initialisation.
    assert report.head_reset and after["head/kernel"].shape == expected["head/kernel"].shape
    assert after["head/kernel"].shape[1] == meta["model_config"]["num_classes"]
    np.testing.assert_array_equal(after["head/kernel"], before["head/kernel"])
    # Left at initialisation: exactly the official missing keys, plus the head; untouched.
    assert sorted(report.left_at_init) == sorted([keras_path(k) for k in meta[MISSING]] + ["head/bias", "head/kernel"])
    for path in report.left_at_init:
        np.testing.assert_array_equal(after[path], before[path], err_msg=path)
    printed = capsys.readouterr().out
    assert f"loaded {len(meta['loaded_from_checkpoint'])} tensors" in printed
    assert "head re-initialised: checkpoint has" in printed and "left at initialisation: " in printed
    if meta[DROPPED]:
        assert "dropped (beyond the model's depth): stage 0 block 1; stage 1 block 1; stage 2 blocks 2-3" in printed
        assert "temporal branch of 5 blocks (30 tensors), head" in printed
    if case == "imagenet_to_tubelet2":
        assert report.inflated_stem == 2 and "inflated" in printed


@pytest.mark.parametrize("case", CASES)
def test_expected_state_reproduces_official_logits(case, official_flows_dir):
    folder = official_flows_dir / case
    model = _model(_meta(folder))
    load_official_checkpoint(model, _expected_state(folder))  # strict: the whole state
    logits = keras.ops.convert_to_numpy(model(official_input_to_raw(np.load(folder / "input_btchw.npy"))))
    np.testing.assert_allclose(logits, np.load(folder / "logits.npy"), atol=ATOL, rtol=0)


def test_timm_safetensors_ends_with_the_same_tensors_as_the_official_pth(official_flows_dir):
    meta = _meta(official_flows_dir / "imagenet_to_student")
    from_pth, from_timm = _model(meta), _model(meta)  # same seed: same initialisation
    official = start_from_pretrained(from_pth, str(official_flows_dir / "imagenet_to_student" / "pretrained.pth"))
    timm = start_from_pretrained(from_timm, str(official_flows_dir / "timm_imagenet_to_student" / "model.safetensors"))
    assert timm.checkpoint_format == "safetensors, timm FocalNet naming"
    assert official.checkpoint_format == "PyTorch .pth, official naming"
    assert (timm.loaded, timm.dropped, timm.left_at_init) == (official.loaded, official.dropped, official.left_at_init)
    a, b = _weights(from_pth), _weights(from_timm)
    assert sorted(a) == sorted(b)
    for path in a:
        np.testing.assert_array_equal(a[path], b[path], err_msg=path)


def test_what_does_not_fit_is_an_error_naming_the_tensors(official_flows_dir):
    meta = _meta(official_flows_dir / "imagenet_to_student")
    checkpoint = str(official_flows_dir / "imagenet_to_student" / "pretrained.pth")

    level3 = _model(meta, focal_levels=[3, 3, 3, 3])
    before = _weights(level3)
    with pytest.raises(CheckpointMismatchError) as error:
        start_from_pretrained(level3, checkpoint)
    message = str(error.value)
    assert "layers_0_blocks_0/modulation/focal_layers_2/kernel" in message  # a level the checkpoint lacks
    assert "layers.0.blocks.0.modulation.f.weight" in message and "shape mismatches" in message
    after = _weights(level3)
    assert all(np.array_equal(before[p], after[p]) for p in before)  # untouched

    with pytest.raises(CheckpointMismatchError, match="embed_dim|patch_embed.proj.weight"):
        start_from_pretrained(_model(meta, embed_dim=24), checkpoint)

    other_family = {"conv1.weight": np.zeros((64, 3, 7, 7), "float32"), "fc.weight": np.zeros((1000, 2048), "float32")}
    with pytest.raises(CheckpointMismatchError, match="not a \\(Video-\\)FocalNet checkpoint") as error:
        start_from_pretrained(_model(meta), other_family)
    assert "conv1.weight" in str(error.value)


def test_a_teacher_must_load_whole(official_flows_dir):
    meta = _meta(official_flows_dir / "k400_to_7_classes")
    with pytest.raises(CheckpointMismatchError, match="left at initialisation: head.*dvfl-tf train --init-checkpoint"):
        start_from_pretrained(
            _model(meta), str(official_flows_dir / "k400_to_7_classes" / "pretrained.pth"), require_complete=True
        )
    # Its own 400-class architecture takes it whole.
    report = start_from_pretrained(
        _model(meta, num_classes=400),
        str(official_flows_dir / "k400_to_7_classes" / "pretrained.pth"),
        require_complete=True,
        verbose=False,
    )
    assert report.complete and not report.head_reset and len(report.loaded) == 130


def test_readme_student_start_command(official_flows_dir, tmp_path):
    """The README's student initialisation, with the fixture standing in for focalnet_tiny_srf.pth."""
    for flag in ("--pretrained", "--from-imagenet-focalnet"):  # the old flag is an alias
        output = tmp_path / f"nano_init{flag}.keras"
        result = CliRunner().invoke(
            main,
            [
                "convert-checkpoint",
                str(official_flows_dir / "imagenet_to_student" / "pretrained.pth"),
                "--preset",
                "vfl_net_nano",
                flag,
                "--num-classes",
                "51",
                "--output",
                str(output),
                # The fixture's size instead of FocalNet-T's:
                "--backbone-overrides",
                '{"embed_dim": 16}',
                "--frames",
                "4",
                "--image-size",
                "64",
            ],
        )
        assert result.exit_code == 0, result.output
        assert "dropped (beyond the model's depth): stage 0 block 1;" in result.output
        assert "left at initialisation: temporal branch of 5 blocks (30 tensors), head" in result.output
        assert "compares the file with the model in memory only" in result.output
        assert "--verify-input and --verify-logits" in result.output
    assert keras.saving.load_model(output).num_classes == 51
