"""The index every dataset layout produces, and the checks the layouts share.

A `DatasetIndex` holds the class names, the videos of every split with integer
labels, and the problems found while indexing (listed videos that are missing on
disk, names that do not follow the layout). A missing split file or class
folder, or an empty split, raises `DatasetError` naming the path that was
expected.
"""

import dataclasses
import glob
import os

from dvfl_tf.core.errors import UserError
from dvfl_tf.data.video_io import VIDEO_EXTENSIONS


class DatasetError(UserError, ValueError):
    """The dataset folder does not match the layout that was asked for."""


@dataclasses.dataclass(frozen=True)
class VideoRecord:
    path: str
    label: int


@dataclasses.dataclass
class DatasetIndex:
    name: str
    class_names: list
    splits: dict
    problems: list = dataclasses.field(default_factory=list)

    @property
    def num_classes(self):
        return len(self.class_names)

    def records(self, split_name):
        """The videos of `split_name`; a clear error for an unknown or empty split."""
        if split_name not in self.splits:
            raise DatasetError(
                f"Dataset {self.name!r} has no split {split_name!r}. Available splits: {sorted(self.splits)}"
            )
        records = self.splits[split_name]
        if not records:
            raise DatasetError(f"Split {split_name!r} of dataset {self.name!r} has no usable videos.")
        return list(records)

    def counts(self):
        return {name: len(records) for name, records in self.splits.items()}


def require_dir(path, what):
    if not os.path.isdir(path):
        raise DatasetError(f"{what} not found: expected a folder at {path}")
    return path


def require_file(path, what):
    if not os.path.isfile(path):
        raise DatasetError(f"{what} not found: expected a file at {path}")
    return path


def require_root(data_root, dataset):
    if data_root is None:
        raise DatasetError(f"Dataset {dataset!r} needs --data-root (the folder holding the dataset).")
    return require_dir(os.path.abspath(os.path.expanduser(str(data_root))), f"Data root of {dataset!r}")


def check_splits(name, splits, expected_paths):
    for split_name, records in splits.items():
        if not records:
            raise DatasetError(
                f"Split {split_name!r} of {name!r} is empty (read from {expected_paths.get(split_name, '?')})."
            )


def add_existing(records, problems, path, label):
    """Append `path` if it exists on disk, else record the problem (missing videos are not fatal)."""
    if os.path.isfile(path):
        records.append(VideoRecord(path, label))
    else:
        problems.append({"path": path, "reason": "listed in the split file but missing on disk"})


def check_split_number(split, allowed, dataset):
    split = 1 if split is None else int(split)
    if split not in allowed:
        raise DatasetError(f"{dataset} has splits {list(allowed)}. Received: split={split}")
    return split


def class_folders(root):
    return sorted(
        entry for entry in os.listdir(root) if os.path.isdir(os.path.join(root, entry)) and not entry.startswith(".")
    )


def videos_in(folder, recursive=False):
    pattern = os.path.join(folder, "**", "*") if recursive else os.path.join(folder, "*")
    return sorted(
        path
        for path in glob.glob(pattern, recursive=recursive)
        if os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS and os.path.isfile(path)
    )


def find_file(candidates, what):
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise DatasetError(f"{what} not found: expected a file at {candidates[0]}")
