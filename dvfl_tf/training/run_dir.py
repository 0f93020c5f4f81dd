"""The run folder: a marker of its own, the saved configuration, and nothing written before a run is known to start.

A folder is a dvfl-tf run when it holds `.dvfl-tf-run` (written when the run is
created). `train`/`distill` refuse a non-empty folder without it, so a user's
folder given as `--output` is never written to, and a run only ever deletes
files it created. Runs made before the marker existed (a `config.json` and a
`state.json` of this package) are recognised and get the marker.

`check_run_dir` is read-only: the caller builds its models (which checks the
teacher/student/dataset agreement) and only then calls `create_run_dir`, so a
rejected start leaves nothing behind and the corrected command runs in the same
folder.
"""

import csv
import datetime
import json
import os

from dvfl_tf.core.io_safety import atomic_write_json

MARKER = ".dvfl-tf-run"

# Fields that may change between a run and its restart without changing the result.
RESTART_TOLERANT = {"output", "strategy", "tpu_address", "verbose"}
# Written by the run itself beside the options; not part of the comparison.
RUN_RECORDS = {"schedule_changes"}


class RunDirError(ValueError):
    """The folder cannot hold this run (a foreign folder, or a run with another configuration)."""


def _is_legacy_run(path):
    """A run written before the marker: a config.json and a state.json of this package."""
    try:
        with open(os.path.join(path, "config.json")) as f:
            config = json.load(f)
    except (OSError, ValueError):
        return False
    return (
        isinstance(config, dict)
        and {"epochs", "extra", "seed"} <= set(config)
        and os.path.isfile(os.path.join(path, "state.json"))
    )


def is_run_dir(path):
    return os.path.isfile(os.path.join(path, MARKER)) or _is_legacy_run(path)


def refuse_foreign(path, earlier_output=None):
    """Raises `RunDirError` for a file, or a non-empty folder that dvfl-tf did not make. Writes nothing.

    `earlier_output`: a file whose presence shows that an earlier version of
    dvfl-tf wrote the folder (before the marker existed).
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise RunDirError(f"--output {path} is a file, not a folder. Choose a new or empty folder.")
    ours = is_run_dir(path) or (earlier_output and os.path.isfile(os.path.join(path, earlier_output)))
    if os.path.isdir(path) and os.listdir(path) and not ours:
        raise RunDirError(
            f"--output {path} is not empty and is not a dvfl-tf run folder (it has no {MARKER}); nothing was "
            "written to it. Choose a new or empty folder."
        )


def claim_folder(path, earlier_output=None):
    """Makes `path` a folder of ours (marker), refusing a non-empty folder that is not (`refuse_foreign`)."""
    refuse_foreign(path, earlier_output)
    os.makedirs(path, exist_ok=True)
    marker = os.path.join(path, MARKER)
    if not os.path.exists(marker):
        atomic_write_json(
            marker, {"created_by": "dvfl-tf", "purpose": "marks a dvfl-tf output folder; do not delete"}, sort_keys=True
        )


def read_config(path):
    """The saved configuration of the run in `path`, or None."""
    try:
        with open(os.path.join(path, "config.json")) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def check_run_dir(path, config_dict, epochs_done=0):
    """Checks, writing nothing, that `path` can hold the run `config_dict`; returns its schedule change or None.

    Raises `RunDirError` for an existing file, a non-empty folder that is not a
    dvfl-tf run, or a run whose options differ. A larger `epochs` than the
    saved run's is allowed (the run is extended); the returned dict describes
    that change of the LR schedule, for `create_run_dir` to record.
    """
    refuse_foreign(path)
    if not os.path.isdir(path) or not os.listdir(path):
        return None
    old = read_config(path)
    if old is None:
        return None  # the marker of a run whose start was interrupted before config.json
    new = json.loads(json.dumps(config_dict))
    ignored = RESTART_TOLERANT | RUN_RECORDS
    changed = sorted(k for k in set(old) | set(new) if k not in ignored and old.get(k) != new.get(k))
    extension = None
    if "epochs" in changed and isinstance(new.get("epochs"), int) and new["epochs"] > int(old.get("epochs", 0)):
        changed.remove("epochs")
        extension = {
            "after_epoch": int(epochs_done),
            "epochs": [int(old["epochs"]), int(new["epochs"])],
            "lr_schedule": (
                f"warm-up and cosine recomputed for {new['epochs']} epochs; from epoch {int(epochs_done) + 1} the "
                f"learning rate follows the longer schedule (it rises again from the end of the "
                f"{old['epochs']}-epoch one)"
            ),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        }
    elif "epochs" in changed and isinstance(new.get("epochs"), int):
        changed.remove("epochs")
        raise RunDirError(
            f"{path} holds a run of {old.get('epochs')} epochs; --epochs {new['epochs']} is not larger. "
            "Give a larger --epochs to extend it, or choose another --output."
        )
    if changed:
        details = ", ".join(f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in changed)
        raise RunDirError(
            f"{path} holds a run with a different configuration ({details}). "
            "Rerun with the same options to resume it (or a larger --epochs to extend it), or choose another --output."
        )
    return extension


def create_run_dir(path, config_dict, extension=None):
    """Creates the folder (marker first) and writes `config.json`, recording `extension` if given."""
    claim_folder(path)
    old = read_config(path) or {}
    data = json.loads(json.dumps(config_dict))
    data["schedule_changes"] = list(old.get("schedule_changes", [])) + ([extension] if extension else [])
    atomic_write_json(os.path.join(path, "config.json"), data, sort_keys=True)


def truncate_history(history_csv, epochs_done):
    """Keeps one row per epoch up to `epochs_done` (a resumed or NaN-stopped run appends after them)."""
    if not os.path.exists(history_csv):
        return
    with open(history_csv, newline="") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames
        rows = {}
        for row in reader:
            try:
                epoch = int(row["epoch"])
            except (KeyError, TypeError, ValueError):
                continue
            if epoch < epochs_done:
                rows[epoch] = row
    if not rows:
        os.remove(history_csv)  # CSVLogger writes a new header
        return
    tmp = f"{history_csv}.saving"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields or ["epoch"])
        writer.writeheader()
        for epoch in sorted(rows):
            writer.writerow(rows[epoch])
    os.replace(tmp, history_csv)
