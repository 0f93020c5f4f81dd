"""Callbacks of a run: student checkpoints (best and last), NaN stop, training curves."""

import csv
import json
import math
import os

import keras


def _student(model):
    return getattr(model, "student", model)


class StudentCheckpoints(keras.callbacks.Callback):
    """Saves the student (not the teacher) as `last.keras` each epoch and `best.keras` on improvement.

    The best value is kept in `state_path` (JSON) so that it survives a restart.
    """

    def __init__(self, run_dir, monitor, state_path):
        super().__init__()
        self.run_dir = run_dir
        self.monitor = monitor
        self.state_path = state_path

    def _state(self):
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                return json.load(f)
        return {}

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        student = _student(self.model)
        _atomic_save(student, os.path.join(self.run_dir, "last.keras"))
        state = self._state()
        value = logs.get(self.monitor)
        if value is not None and math.isfinite(float(value)):
            value = float(value)
            if state.get("best_value") is None or value > state["best_value"]:
                _atomic_save(student, os.path.join(self.run_dir, "best.keras"))
                state.update(best_value=value, best_epoch=epoch + 1, monitor=self.monitor)
        state["epochs_done"] = epoch + 1
        write_json(self.state_path, state)


class WorkerBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` where only the chief writes (and finally removes) the backup; every worker restores it.

    Under MultiWorkerMirroredStrategy every worker holds the same weights, so one
    copy is enough; the backup folder must be readable by all workers (the same
    path on a shared file system, or one machine).
    """

    def __init__(self, backup_dir, chief=True, **kwargs):
        super().__init__(backup_dir, **kwargs)
        self.chief = chief

    def _save_model(self):
        if self.chief:
            super()._save_model()

    def on_train_end(self, logs=None):
        if self.chief:
            super().on_train_end(logs)


class StopOnNaN(keras.callbacks.TerminateOnNaN):
    """`TerminateOnNaN` that says what happened and what to try."""

    def __init__(self):
        super().__init__()
        self.stopped = None

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.stopped = batch
            print(
                f"\nThe loss became {float(loss)} at batch {batch}: training stopped. "
                "The last good weights are in last.keras / best.keras of the run directory. "
                "Try a lower --lr, more --warmup-epochs, or leave --mixed-precision off."
            )
            self.model.stop_training = True


class TrainingCurves(keras.callbacks.Callback):
    """Rewrites the training-curve PNGs from the history CSV after each epoch."""

    def __init__(self, history_csv, output_dir):
        super().__init__()
        self.history_csv = history_csv
        self.output_dir = output_dir

    def on_epoch_end(self, epoch, logs=None):
        plot_history(self.history_csv, self.output_dir)


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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [row["epoch"] + 1 for row in rows]
    paths = []
    for name, keys in (("loss", ("loss", "kd_loss", "ce_loss")), ("accuracy", ("top1", "top5"))):
        fig, ax = plt.subplots(figsize=(6, 4))
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
        plt.close(fig)
        paths.append(path)
    return paths


def write_json(path, data):
    """Writes JSON atomically (a kill never leaves half a file)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    os.replace(tmp, path)


def _atomic_save(model, path):
    tmp = path[: -len(".keras")] + ".tmp.keras"
    model.save(tmp)
    os.replace(tmp, path)
