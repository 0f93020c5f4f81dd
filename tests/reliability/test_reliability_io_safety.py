"""dvfl_tf.core.io_safety (refusals before the work, atomic replacement) and the CLI's option ranges."""

import os
import signal
import subprocess
import sys

import click
import pytest

from dvfl_tf.core.io_safety import OutputError, atomic_path, atomic_write_bytes, check_output, check_output_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_check_output_refusals(tmp_path):
    model = tmp_path / "m.keras"
    model.write_bytes(b"model")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        check_output(model, suffixes=(".keras",))
    with pytest.raises(OutputError, match="that is the input"):
        check_output(model, overwrite=True, inputs=(str(model),), suffixes=(".keras",))
    with pytest.raises(OutputError, match="the file written is .tflite"):
        check_output(tmp_path / "m.txt", suffixes=(".tflite",))
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_output(model / "x.tflite")
    assert check_output(model, overwrite=True, suffixes=(".keras",)) == str(model)
    assert check_output(tmp_path / "new" / "deeper" / "x.tflite", suffixes=(".tflite",))
    assert model.read_bytes() == b"model"


def test_check_output_dir_only_accepts_its_own_folders(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not written by dvfl-tf"):
        check_output_dir(foreign, marker="manifest.json")
    (foreign / "manifest.json").write_text("{}")
    assert check_output_dir(foreign, marker="manifest.json")
    assert check_output_dir(tmp_path / "absent", marker="manifest.json")


def test_atomic_path_keeps_the_old_file_on_error(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as temporary:
            with open(temporary, "w") as f:
                f.write("half")
            raise RuntimeError("killed mid-save")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["state.json"]
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"


def test_sigkill_during_an_atomic_write_leaves_the_previous_file_whole(tmp_path):
    target = tmp_path / "last.keras"
    target.write_bytes(b"previous whole file")
    script = (
        "import os, signal\n"
        "from dvfl_tf.core.io_safety import atomic_path\n"
        f"with atomic_path({str(target)!r}) as temporary:\n"
        "    with open(temporary, 'wb') as f:\n"
        "        f.write(b'half of a new file')\n"
        "        f.flush()\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": REPO + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", script], env=env)
    assert result.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"previous whole file"


def test_every_numeric_option_of_every_command_has_a_range():
    from dvfl_tf.cli import COMMANDS, main

    unchecked = []
    with click.Context(main) as ctx:
        for name in COMMANDS:
            for param in main.get_command(ctx, name).params:
                if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)) and not isinstance(
                    param.type, (click.IntRange, click.FloatRange)
                ):
                    unchecked.append(f"{name} {param.opts[0]}")
    assert unchecked == []


def test_classifier_saves_its_class_names(tmp_path):
    import keras

    from tests.model_testing import tiny_classifier

    model = tiny_classifier(
        3, embed_dim=8, depths=[1], focal_levels=[2], focal_windows=[3], image_size=16, num_frames=2
    )
    with pytest.raises(ValueError, match="one name per class"):
        model.set_class_names(["a", "b"])
    model.set_class_names(["a", "b", "c"])
    model.save(str(tmp_path / "m.keras"))
    assert keras.saving.load_model(str(tmp_path / "m.keras")).class_names == ["a", "b", "c"]
