"""convert-checkpoint: strict mapping, clear errors, CLI (pretrained starts: tests/test_pretrained_start.py)."""

import json

import pytest
import torch
from click.testing import CliRunner

from dvfl_tf.cli import main
from dvfl_tf.convert import CheckpointError, CheckpointMismatchError, convert_checkpoint, read_state_dict
from dvfl_tf.convert.official_mapping import keras_path


@pytest.fixture()
def tiny(parity_dir, tmp_path):
    folder = parity_dir / "tiny"
    config = tmp_path / "config.json"
    config.write_text(json.dumps(json.loads((folder / "meta.json").read_text())["config"]))
    state = torch.load(folder / "checkpoint.pth", map_location="cpu", weights_only=True)["model"]
    return folder, config, state


def _save(tmp_path, state, name="edited.pth", wrap=True):
    path = tmp_path / name
    torch.save({"model": state, "epoch": 3} if wrap else state, path)
    return str(path)


def test_keras_path_names():
    assert keras_path("layers.1.blocks.0.modulation.focal_layers.1.0.weight") == (
        "layers_1_blocks_0/modulation/focal_layers_1/kernel"
    )
    assert keras_path("layers.0.blocks.0.modulation.focal_layers_temporal.0.0.weight") == (
        "layers_0_blocks_0/modulation/focal_layers_temporal_0/kernel"
    )
    assert keras_path("layers.2.downsample.norm.bias") == "layers_2_downsample/norm/beta"
    assert keras_path("layers.0.blocks.1.gamma_2") == "layers_0_blocks_1/gamma_2"
    assert keras_path("norm.weight") == "norm/gamma"


def test_bare_state_dict_with_module_prefix_converts(tiny, tmp_path):
    folder, config, state = tiny
    prefixed = {f"module.{k}": v for k, v in state.items()}
    path = _save(tmp_path, prefixed, wrap=False)
    report = convert_checkpoint(
        path,
        str(tmp_path / "m.keras"),
        official_config=str(config),
        verify_input=str(folder / "input_btchw.npy"),
        verify_logits=str(folder / "logits.npy"),
    )
    assert report["max_abs_diff_reference"] < 1e-4
    assert report["max_abs_diff_reload"] == 0.0


def test_missing_extra_and_wrong_shape_are_all_named(tiny, tmp_path):
    _, config, state = tiny
    state = dict(state)
    del state["layers.0.blocks.0.modulation.h.bias"]
    state["layers.0.blocks.0.extra_scale"] = torch.ones(3)
    state["head.weight"] = torch.zeros(state["head.weight"].shape[0], 7)
    with pytest.raises(CheckpointMismatchError) as error:
        convert_checkpoint(_save(tmp_path, state), str(tmp_path / "m.keras"), official_config=str(config))
    message = str(error.value)
    assert "layers.0.blocks.0.extra_scale" in message  # unused checkpoint key
    assert "layers_0_blocks_0/modulation/h/bias" in message  # model weight left unset
    assert "head.weight" in message and "(7, 5)" in message  # shape mismatch, Keras layout
    assert not (tmp_path / "m.keras").exists()


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda s: s.pop("norm.bias"), "model weights not set by the checkpoint: norm/beta"),
        (lambda s: s.update({"foo.weight": torch.ones(2, 2)}), "checkpoint keys not used by the model: foo.weight"),
        (
            lambda s: s.update({"layers.1.blocks.0.mlp.fc1.weight": torch.ones(10, 32)}),
            "layers.1.blocks.0.mlp.fc1.weight",
        ),
    ],
)
def test_each_mismatch_alone_gives_one_clear_message(tiny, tmp_path, edit, expected):
    _, config, state = tiny
    state = dict(state)
    edit(state)
    with pytest.raises(CheckpointMismatchError, match="Checkpoint does not fit the model") as error:
        convert_checkpoint(_save(tmp_path, state), str(tmp_path / "m.keras"), official_config=str(config))
    assert expected in str(error.value)
    assert str(error.value).count("\n- ") == 1


def test_weights_only_refuses_pickled_code(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"model": {"w": torch.ones(1)}, "extra": _Unsafe()}, path)
    with pytest.raises(CheckpointError, match="needs code execution") as refused:
        read_state_dict(str(path))
    assert refused.value.advice_flag == "--trust-checkpoint"
    assert read_state_dict(str(path), trust_checkpoint=True)["w"].shape == (1,)


class _Unsafe:
    """An arbitrary class: weights_only loading must refuse to unpickle it."""


def test_cli_convert_and_errors(tiny, tmp_path):
    folder, config, state = tiny
    runner = CliRunner()
    out = tmp_path / "cli.keras"
    result = runner.invoke(
        main,
        [
            "convert-checkpoint",
            str(folder / "checkpoint.pth"),
            "--config",
            str(config),
            "--output",
            str(out),
            "--verify-input",
            str(folder / "input_btchw.npy"),
            "--verify-logits",
            str(folder / "logits.npy"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Loaded 108 tensors (PyTorch .pth, official naming)" in result.output
    assert "Verified against the official logits: max-abs difference" in result.output
    assert out.exists()

    both = runner.invoke(
        main,
        [
            "convert-checkpoint",
            str(folder / "checkpoint.pth"),
            "--config",
            str(config),
            "--preset",
            "vfl_net_nano",
            "--output",
            str(out),
        ],
    )
    assert both.exit_code != 0 and "exactly one of --preset or --config" in both.output

    wrong = runner.invoke(
        main,
        [
            "convert-checkpoint",
            str(folder / "checkpoint.pth"),
            "--preset",
            "vfl_net_nano",
            "--image-size",
            "64",
            "--frames",
            "4",
            "--output",
            str(tmp_path / "x.keras"),
        ],
    )
    assert wrong.exit_code == 1
    assert "Checkpoint does not fit the model" in wrong.output and "shape mismatches" in wrong.output


def test_cli_profile_json():
    result = CliRunner().invoke(
        main,
        ["profile", "--preset", "vfl_net_nano", "--num-classes", "51", "--frames", "4", "--image-size", "64", "--json"],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output.strip().splitlines()[-1])
    assert record["params"] == 22176273  # classes change the head only; frames and size change no weight
    # Every conv and dense layer works per token, so MACs scale with frames x pixels (27.14 at 8x224x224).
    assert record["gmacs"] == pytest.approx(27.14 * (4 / 8) * (64 / 224) ** 2, rel=0.01)
