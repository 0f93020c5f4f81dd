"""SIGKILL `dvfl-tf distill` mid-run; the same command again finishes the run and keeps the epochs done."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import keras
import numpy as np
from run_files import epochs_done
from tiny_student import STUDENT_OVERRIDES

from dvfl_tf.training.callbacks import read_history

EPOCHS = 4  # killed after epoch 2: the rerun trains the last one or two
# The resumed run and the uninterrupted one run the same ops on the same batches in processes of the same
# kind: their weights agree to float32 rounding; the epochs after the kill move them by more than 1e-3.
WEIGHT_ATOL = 1e-5


def _student_weights(path):
    return keras.saving.load_model(path, compile=False).get_weights()


def _max_diff(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def _command(data_root, teacher, output):
    return [
        sys.executable,
        "-m",
        "dvfl_tf",
        "distill",
        "--dataset",
        "synthetic",
        "--data-root",
        data_root,
        "--teacher",
        teacher,
        "--student",
        "vfl_net_nano",
        "--backbone-overrides",
        STUDENT_OVERRIDES,
        "--num-frames",
        "4",
        "--image-size",
        "32",
        "--batch-size",
        "4",
        "--epochs",
        str(EPOCHS),
        "--steps-per-epoch",
        "2",
        "--lr",
        "0.01",
        "--warmup-epochs",
        "1",
        "--no-validation",
        "--output",
        output,
    ]


def test_killed_distill_resumes_and_keeps_finished_epochs(
    tiny_video_dataset, tiny_teacher_file, tmp_path, subprocess_env
):
    output = str(tmp_path / "run")
    command = _command(tiny_video_dataset, tiny_teacher_file, output)
    # The same run, never interrupted, beside the one that is killed.
    uninterrupted = str(tmp_path / "uninterrupted")
    reference_log = open(tmp_path / "uninterrupted.log", "w")
    reference = subprocess.Popen(
        _command(tiny_video_dataset, tiny_teacher_file, uninterrupted),
        env=subprocess_env,
        stdout=reference_log,
        stderr=subprocess.STDOUT,
    )
    log = open(tmp_path / "first.log", "w")
    process = subprocess.Popen(command, env=subprocess_env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 600
    while epochs_done(output) < 2 and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    log.close()
    killed_at = epochs_done(output)
    assert 2 <= killed_at < EPOCHS, (killed_at, (tmp_path / "first.log").read_text()[-2000:])
    before = {row["epoch"]: row["loss"] for row in read_history(os.path.join(output, "history.csv"))}
    shutil.copy(os.path.join(output, "last.keras"), tmp_path / "at_kill.keras")

    second = subprocess.run(command, env=subprocess_env, capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    # Training restarted after the last saved epoch, not from the first.
    assert "Epoch 1/" not in second.stdout
    assert f"Resuming {output} from epoch {killed_at + 1} of {EPOCHS}" in second.stdout
    assert f"Epoch {EPOCHS}/{EPOCHS}" in second.stdout
    state = json.load(open(os.path.join(output, "state.json")))
    assert state["status"] == "complete" and state["epochs_done"] == EPOCHS
    rows = read_history(os.path.join(output, "history.csv"))
    assert [row["epoch"] for row in rows] == list(range(EPOCHS))
    for epoch in range(killed_at):
        assert rows[epoch]["loss"] == before[epoch]
    assert os.path.exists(os.path.join(output, "last.keras"))
    # The backup of the last epoch is kept (a larger --epochs extends the run), one weights file of it.
    assert [name for name in os.listdir(os.path.join(output, "backup")) if name.endswith(".h5")] == [
        f"epoch{EPOCHS:04d}.weights.h5"
    ]
    # The resumed run read on where the killed one stopped: it ends at the uninterrupted run's weights, and the
    # epochs after the restart moved them from those saved at the kill.
    assert reference.wait(timeout=900) == 0, (tmp_path / "uninterrupted.log").read_text()[-2000:]
    reference_log.close()
    resumed = _student_weights(os.path.join(output, "last.keras"))
    assert _max_diff(resumed, _student_weights(os.path.join(uninterrupted, "last.keras"))) <= WEIGHT_ATOL
    np.testing.assert_allclose(
        [row["loss"] for row in read_history(os.path.join(uninterrupted, "history.csv"))],
        [row["loss"] for row in rows],
        rtol=1e-5,
    )
    assert _max_diff(resumed, _student_weights(str(tmp_path / "at_kill.keras"))) > 100 * WEIGHT_ATOL
