"""Issue 12, runs: nothing the user owns is lost, no bad weights are kept, bad input gets one clear line.

Every test drives `python -m dvfl_tf` in a subprocess on real AVI files (the
synthetic writer), with a tiny student (one stage, embed 8, 4 frames of 32x32: tiny_student.py).
"""

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
from tiny_student import STUDENT_OVERRIDES

from dvfl_tf.training.callbacks import read_history

TINY = [
    "--model",
    "vfl_net_nano",
    "--backbone-overrides",
    STUDENT_OVERRIDES,
    "--num-frames",
    "4",
    "--image-size",
    "32",
    "--batch-size",
    "4",
    "--steps-per-epoch",
    "1",
    "--warmup-epochs",
    "0",
]


def _cli(args, env, timeout=1800):
    return subprocess.run(
        [sys.executable, "-m", "dvfl_tf", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def _train(data_root, output, *extra):
    return ["train", "--dataset", "hmdb51", "--data-root", data_root, *TINY, "--output", str(output), *extra]


def _snapshot(folder):
    """{relative path: sha256} of every file, and the folders, under `folder`."""
    result = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            result[os.path.relpath(os.path.join(root, name), folder) + "/"] = "dir"
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                result[os.path.relpath(os.path.join(root, name), folder)] = hashlib.sha256(f.read()).hexdigest()
    return result


def _one_error_line(result):
    assert result.returncode != 0, result.stdout[-2000:]
    assert "Traceback" not in result.stderr + result.stdout, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.stderr[-3000:]
    return errors[0]


def _all_weights_finite(path):
    import keras

    import dvfl_tf.models.video_focalnet.video_focalnet_classifier  # noqa: F401  registers the classes

    model = keras.saving.load_model(path, compile=False)
    return all(np.isfinite(np.asarray(w)).all() for w in model.get_weights())


def test_foreign_folder_is_refused_and_left_unchanged(tiny_video_dataset, tmp_path, subprocess_env):
    # A user's folder with a backup/ subfolder and a history.csv: the two things Keras' BackupAndRestore and
    # CSVLogger used to delete and append to.
    folder = tmp_path / "my_experiments"
    (folder / "backup").mkdir(parents=True)
    (folder / "backup" / "notes.txt").write_text("irreplaceable")
    (folder / "history.csv").write_text("when,what\nmonday,started\n")
    before = _snapshot(folder)

    error = _one_error_line(_cli(_train(tiny_video_dataset, folder, "--epochs", "1"), subprocess_env))
    assert str(folder) in error and "not a dvfl-tf run folder" in error
    assert _snapshot(folder) == before


def test_rejected_start_writes_nothing_then_the_corrected_command_runs_and_extends(
    tiny_video_dataset, tmp_path, subprocess_env
):
    output = tmp_path / "run"
    # Three classes in the data, a .keras model with five: refused after the data and model were checked.
    import keras

    from tests.model_testing import tiny_classifier

    wrong = str(tmp_path / "five_classes.keras")
    tiny_classifier(5, embed_dim=8, depths=[1], focal_levels=[2], focal_windows=[3]).save(wrong)
    rejected = _cli(
        [
            "train",
            "--dataset",
            "hmdb51",
            "--data-root",
            tiny_video_dataset,
            "--model",
            wrong,
            "--batch-size",
            "4",
            "--steps-per-epoch",
            "1",
            "--epochs",
            "1",
            "--output",
            str(output),
        ],
        subprocess_env,
    )
    assert "5" in _one_error_line(rejected) and "3" in _one_error_line(rejected)
    assert not output.exists()
    del keras

    # A numeric option out of range is refused too, before anything is written.
    assert (
        _cli(_train(tiny_video_dataset, output, "--epochs", "1", "--warmup-epochs", "-1"), subprocess_env).returncode
        != 0
    )
    assert not output.exists()

    first = _cli(_train(tiny_video_dataset, output, "--epochs", "1", "--no-validation"), subprocess_env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-3000:]
    assert os.path.isfile(output / ".dvfl-tf-run")

    # A finished run is extended by a larger --epochs; config.json says how the schedule changed.
    extended = _cli(_train(tiny_video_dataset, output, "--epochs", "2", "--no-validation"), subprocess_env)
    assert extended.returncode == 0, extended.stdout[-2000:] + extended.stderr[-3000:]
    assert "Extending" in extended.stdout and f"Resuming {output} from epoch 2 of 2" in extended.stdout
    config = json.loads((output / "config.json").read_text())
    assert config["epochs"] == 2
    [change] = config["schedule_changes"]
    assert change["epochs"] == [1, 2] and change["after_epoch"] == 1 and "cosine" in change["lr_schedule"]
    assert [row["epoch"] for row in read_history(str(output / "history.csv"))] == [0, 1]
    assert json.loads((output / "state.json").read_text())["epochs_done"] == 2
    # A smaller --epochs is not an extension.
    assert "not larger" in _one_error_line(
        _cli(_train(tiny_video_dataset, output, "--epochs", "1", "--no-validation"), subprocess_env)
    )


def test_nan_stop_keeps_the_last_finite_epoch_and_the_same_command_resumes_without_duplicate_rows(
    tiny_video_dataset, tmp_path, subprocess_env
):
    output = tmp_path / "nan"
    # SGD at 1e35: the first step leaves huge but finite weights (epoch 1 is finite), the next forward overflows.
    command = _train(tiny_video_dataset, output, "--epochs", "4", "--lr", "1e35")
    first = _cli(command, subprocess_env)
    assert first.returncode != 0 and "Traceback" not in first.stderr, first.stderr[-3000:]
    assert "hold epoch 1, the last finite one" in first.stdout, first.stdout[-3000:]
    state = json.loads((output / "state.json").read_text())
    assert state["status"] == "nan" and state["epochs_done"] == 1 and state["best_epoch"] == 1
    assert state["stopped"]["epoch"] == 2
    for name in ("last.keras", "best.keras"):
        assert _all_weights_finite(str(output / name)), name
    assert [row["epoch"] for row in read_history(str(output / "history.csv"))] == [0]

    # The same command again: resumes from the last finite epoch, stops again, no duplicate rows.
    second = _cli(command, subprocess_env)
    assert f"Resuming {output} from epoch 2 of 4" in second.stdout, second.stdout[-3000:]
    assert "last finite epoch" in second.stdout
    assert second.returncode != 0
    with open(output / "history.csv") as f:
        assert len(f.read().strip().splitlines()) == 2  # header + epoch 0
    assert _all_weights_finite(str(output / "last.keras"))

    # predict and evaluate refuse a model whose weights are not finite.
    import keras

    import dvfl_tf.models.video_focalnet.video_focalnet_classifier  # noqa: F401  registers the classes

    model = keras.saving.load_model(str(output / "last.keras"), compile=False)
    weights = model.get_weights()
    weights[0] = np.full_like(weights[0], np.nan)
    model.set_weights(weights)
    broken = str(tmp_path / "broken.keras")
    model.save(broken)
    video = os.path.join(tiny_video_dataset, sorted(os.listdir(tiny_video_dataset))[0])
    video = os.path.join(video, sorted(os.listdir(video))[0])
    assert "not finite" in _one_error_line(_cli(["predict", video, "--model", broken], subprocess_env))
    assert "not finite" in _one_error_line(
        _cli(["evaluate", broken, "--dataset", "hmdb51", "--data-root", tiny_video_dataset], subprocess_env)
    )


def _dataset_with_problems(source, target):
    """A copy of the tiny dataset with one video of each kind of problem, and a name with spaces."""
    shutil.copytree(source, target)
    splits = os.path.join(target, "testTrainMulti_7030_splits")
    classes = sorted(
        d for d in os.listdir(target) if os.path.isdir(os.path.join(target, d)) and d != os.path.basename(splits)
    )
    first = os.path.join(splits, f"{classes[0]}_test_split1.txt")
    lines = open(first).read().splitlines()
    video = lines[0].split()[0]
    os.rename(os.path.join(target, classes[0], video), os.path.join(target, classes[0], "my clip 1.avi"))
    lines[0] = "my clip 1.avi 1"
    with open(os.path.join(target, classes[0], "broken.avi"), "wb") as f:
        f.write(os.urandom(2048))
    lines += ["broken.avi 1", "not listed anywhere.avi 1", "a line without its tag"]
    open(first, "w").write("\n".join(lines) + "\n")
    # Every training video of the last class is missing.
    last = os.path.join(splits, f"{classes[-1]}_test_split1.txt")
    for line in open(last).read().splitlines():
        if line.split()[-1] == "1":
            os.remove(os.path.join(target, classes[-1], line.split()[0]))
    return classes


def test_data_problems_are_summarised_and_an_empty_training_class_is_refused(
    tiny_video_dataset, tmp_path, subprocess_env
):
    root = str(tmp_path / "data")
    classes = _dataset_with_problems(tiny_video_dataset, root)
    output = tmp_path / "run"
    refused = _cli(_train(root, output, "--epochs", "1", "--no-validation"), subprocess_env)
    error = _one_error_line(refused)
    assert classes[-1] in error and "--allow-empty-classes" in error
    summary = refused.stderr
    assert "missing" in summary and "unreadable" in summary and "unparsable" in summary
    assert "broken.avi" in summary and "a line without its tag" in summary and "not listed anywhere.avi" in summary
    assert f"empty classes in train: {classes[-1]}" in summary
    assert not output.exists()

    # Same summary as check-data.
    check = _cli(["check-data", "--dataset", "hmdb51", "--data-root", root, "--no-decode"], subprocess_env)
    assert f"empty classes in train: {classes[-1]}" in check.stdout and "my clip 1.avi" not in check.stdout

    went_on = _cli(_train(root, output, "--epochs", "1", "--no-validation", "--allow-empty-classes"), subprocess_env)
    assert went_on.returncode == 0, went_on.stdout[-2000:] + went_on.stderr[-3000:]
    assert "broken.avi" in went_on.stderr
    # The video whose name has spaces is read (3 + 3 + 0 usable training videos after the broken one is dropped).
    # The listed training videos that exist (the one named with spaces among them), plus broken.avi, which does
    # not open: 10 videos, 9 usable (measured; "my clip 1.avi" is not reported missing).
    assert "train: 10 videos, 9 usable" in went_on.stderr, went_on.stderr[-3000:]
    assert "my clip 1.avi" not in went_on.stderr


# Every epoch saves last.keras, best.keras and the backup: from epoch 2 on, each is a chance to catch a save
# in progress (the first one is nearly always caught); the same command again trains the epochs left after the kill.
SIGKILL_EPOCHS = 8


def test_sigkill_during_a_save_leaves_whole_files_and_the_same_command_finishes(
    tiny_video_dataset, tmp_path, subprocess_env
):
    output = tmp_path / "run"
    epochs = str(SIGKILL_EPOCHS)
    command = [
        sys.executable,
        "-m",
        "dvfl_tf",
        *_train(tiny_video_dataset, output, "--epochs", epochs, "--no-validation"),
    ]
    process = subprocess.Popen(command, env=subprocess_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen, deadline = None, time.time() + 600
    # Wait until a second epoch is being saved (so a previous last.keras exists), then kill mid-save.
    while seen is None and process.poll() is None and time.time() < deadline:
        time.sleep(0.002)
        if (output / "last.keras").exists():
            for folder in (output, output / "backup"):
                try:
                    names = os.listdir(folder)
                except FileNotFoundError:
                    continue
                seen = next((name for name in names if "saving" in name), None)
                if seen:
                    break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert seen, "the run ended before a save was caught"
    assert _all_weights_finite(str(output / "last.keras"))  # whole: it loads
    backup = json.loads((output / "backup" / "backup.json").read_text())
    assert os.path.isfile(output / "backup" / backup["weights"])

    again = _cli(_train(tiny_video_dataset, output, "--epochs", epochs, "--no-validation"), subprocess_env)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    assert "Resuming" in again.stdout
    assert [row["epoch"] for row in read_history(str(output / "history.csv"))] == list(range(SIGKILL_EPOCHS))
    assert not [name for name in os.listdir(output) + os.listdir(output / "backup") if "saving" in name]
