"""Callbacks of a run: finite-weights guard, backup for resume, student checkpoints (best and last), curves."""

import csv
import json
import math
import os
import time

import keras
from matplotlib.figure import Figure  # the object API: no pyplot, no global backend to switch

from dvfl_tf.core.io_safety import atomic_path, atomic_write_json
from dvfl_tf.models.model_loading import weights_are_finite


def _student(model):
    return getattr(model, "student", model)


class FiniteGuard(keras.callbacks.Callback):
    """Stops the run on a non-finite loss, and tells the saving callbacks whether an epoch may be kept.

    Must come before `RunBackup` and `StudentCheckpoints` in the callback list:
    they save an epoch only when `epoch_ok` (its loss and the student's weights
    are finite), so the files of a run always hold its last finite epoch.
    """

    def __init__(self):
        super().__init__()
        self.stopped = None  # {"epoch", "batch", "loss"} of the first non-finite loss
        self.epoch_ok = True
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.stopped = {"epoch": self._epoch + 1, "batch": batch + 1, "loss": float(loss)}
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        loss_ok = loss is None or math.isfinite(float(loss))
        self.epoch_ok = self.stopped is None and loss_ok and weights_are_finite(_student(self.model))
        if not self.epoch_ok:
            if self.stopped is None:
                self.stopped = {"epoch": epoch + 1, "batch": None, "loss": None if loss is None else float(loss)}
            self.model.stop_training = True


class RunBackup(keras.callbacks.Callback):
    """Model and optimizer state of the last finite epoch, to resume (or extend) the run after a kill.

    Replaces Keras' `BackupAndRestore`, which writes its weights in place (a kill
    during the save leaves neither copy whole), saves NaN weights after a
    non-finite loss, and deletes its whole folder at the end. Here each epoch's
    weights go to a new file, `state.json`-style metadata names the file only
    once it is complete, and only our own older files are removed. The folder is
    kept when the run ends, so that a larger `--epochs` can extend it.
    """

    def __init__(self, backup_dir, guard, chief=True):
        super().__init__()
        self.backup_dir = backup_dir
        self.guard = guard
        # Under MultiWorkerMirroredStrategy every worker holds the same weights: all
        # restore, only the chief writes (the folder must be readable by every worker).
        self.chief = chief
        self.restored_epoch = 0

    def on_train_begin(self, logs=None):
        metadata = read_backup(self.backup_dir)
        if metadata:
            self.model.load_weights(os.path.join(self.backup_dir, metadata["weights"]))
            self.model._initial_epoch = int(metadata["epoch"])
            self.restored_epoch = int(metadata["epoch"])

    def on_epoch_end(self, epoch, logs=None):
        if not self.guard.epoch_ok or not self.chief:
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        name = f"epoch{epoch + 1:04d}.weights.h5"
        tmp = os.path.join(self.backup_dir, f"saving.{name}")
        self.model.save_weights(tmp, overwrite=True)
        os.replace(tmp, os.path.join(self.backup_dir, name))
        write_json(os.path.join(self.backup_dir, BACKUP_METADATA), {"epoch": epoch + 1, "weights": name})
        for entry in os.listdir(self.backup_dir):
            # Older epochs, and a save that a kill interrupted.
            if entry.endswith(".weights.h5") and entry.startswith(("epoch", "saving.")) and entry != name:
                os.remove(os.path.join(self.backup_dir, entry))


BACKUP_METADATA = "backup.json"


def read_backup(backup_dir):
    """{"epoch", "weights"} of the last complete backup, or None."""
    path = os.path.join(backup_dir, BACKUP_METADATA)
    try:
        with open(path) as f:
            metadata = json.load(f)
    except (FileNotFoundError, ValueError):
        metadata = _keras_backup(backup_dir)
        if metadata is None:
            return None
    if not os.path.isfile(os.path.join(backup_dir, metadata.get("weights", ""))):
        return None
    return metadata


def backup_epochs(backup_dir):
    """The epochs held by the last complete backup in `backup_dir` (0: none): where a resumed run goes on."""
    backup = read_backup(backup_dir)
    return int(backup["epoch"]) if backup else 0


def _keras_backup(backup_dir):
    """The backup of a run started before `RunBackup` (Keras BackupAndRestore's files), or None."""
    try:
        with open(os.path.join(backup_dir, "training_metadata.json")) as f:
            return {"epoch": int(json.load(f)["epoch"]), "weights": "latest.weights.h5"}
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


class StudentCheckpoints(keras.callbacks.Callback):
    """Saves the student (not the teacher) as `last.keras` each finite epoch and `best.keras` on improvement.

    The best value is kept in `state_path` (JSON) so that it survives a restart.
    An epoch that `guard` rejects (non-finite loss or weights) is not saved and
    cannot be the best.
    """

    def __init__(self, run_dir, monitor, state_path, guard):
        super().__init__()
        self.run_dir = run_dir
        self.monitor = monitor
        self.state_path = state_path
        self.guard = guard

    def _state(self):
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                return json.load(f)
        return {}

    def on_epoch_end(self, epoch, logs=None):
        if not self.guard.epoch_ok:
            return
        logs = logs or {}
        student = _student(self.model)
        atomic_save(student, os.path.join(self.run_dir, "last.keras"))
        state = self._state()
        value = logs.get(self.monitor)
        if value is not None and math.isfinite(float(value)):
            value = float(value)
            if state.get("best_value") is None or value > state["best_value"]:
                atomic_save(student, os.path.join(self.run_dir, "best.keras"))
                state.update(best_value=value, best_epoch=epoch + 1, monitor=self.monitor)
        state["epochs_done"] = epoch + 1
        write_json(self.state_path, state)


class TrainingCurves(keras.callbacks.Callback):
    """Rewrites the training-curve PNGs from the history CSV after an epoch, at most once per `min_interval`
    seconds (the run's end writes them once more).

    Drawing both PNGs takes about a quarter of a second: every epoch of a long run, but a fifth of a
    few-second epoch (the quickstart's), where a person cannot read a curve that often anyway.
    """

    def __init__(self, history_csv, output_dir, min_interval=30.0):
        super().__init__()
        self.history_csv = history_csv
        self.output_dir = output_dir
        self.min_interval = float(min_interval)
        self._last_plot = None

    def on_epoch_end(self, epoch, logs=None):
        now = time.monotonic()
        if self._last_plot is None or now - self._last_plot >= self.min_interval:
            plot_history(self.history_csv, self.output_dir)
            self._last_plot = now


def read_history(history_csv):
    """Rows of the history CSV, one per epoch (a row repeated by a restart keeps its last copy)."""
    if not os.path.exists(history_csv):
        return []
    with open(history_csv, newline="") as f:
        rows = {int(row["epoch"]): row for row in csv.DictReader(f)}
    return [{key: _to_float(value) for key, value in rows[epoch].items() if value} for epoch in sorted(rows)]


def _to_float(text):
    try:
        return float(text)
    except ValueError:  # CSVLogger writes "NA" for missing values
        return float("nan")


def plot_history(history_csv, output_dir):
    """Writes `curves_loss.png` and `curves_accuracy.png`; returns their paths."""
    rows = read_history(history_csv)
    if not rows:
        return []
    epochs = [row["epoch"] + 1 for row in rows]
    paths = []
    for name, keys in (("loss", ("loss", "kd_loss", "ce_loss")), ("accuracy", ("top1", "top5"))):
        fig = Figure(figsize=(6, 4))
        ax = fig.subplots()
        for key in keys:
            for prefix in ("", "val_"):
                column = prefix + key
                if any(column in row for row in rows):
                    ax.plot(epochs, [row.get(column, float("nan")) for row in rows], label=column, marker=".")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
        path = os.path.join(output_dir, f"curves_{name}.png")
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        paths.append(path)
    return paths


def write_json(path, data):
    """Writes JSON atomically (a kill never leaves half a file): `dvfl_tf.core.io_safety`'s writer, sorted keys."""
    atomic_write_json(path, data, sort_keys=True)


def atomic_save(model, path):
    """Saves through a temporary name and a rename: a kill during the save leaves the previous file whole."""
    with atomic_path(path) as temporary:
        model.save(temporary)
