"""Layouts that are not a benchmark's: list files (mmaction style, DVFL-Net CSVs), plain split/class folders,
and the synthetic motion dataset (an HMDB51 tree)."""

import os
import re

from dvfl_tf.data.datasets.dataset_index import (
    DatasetError,
    DatasetIndex,
    VideoRecord,
    add_existing,
    check_splits,
    class_folders,
    require_file,
    require_root,
    videos_in,
)
from dvfl_tf.data.datasets.split_file_layouts import load_hmdb51
from dvfl_tf.data.synthetic import ensure_synthetic

# ---------------------------------------------------------------------------
# List files (mmaction style, DVFL-Net CSVs)
# ---------------------------------------------------------------------------


def _is_int(text):
    return re.fullmatch(r"-?\d+", text) is not None


def _parse_list_line(line):
    line = line.strip()
    if not line or line.startswith("#"):
        return None
    if "," in line:
        path, _, label = line.rpartition(",")
    else:
        path, _, label = line.rpartition(" ")
    return path.strip(), label.strip()


def _read_class_names(path):
    """Class names, one a line: "name", "index name" (classInd.txt) or "index,name"
    (DVFL-Net's labels/*.csv, with an "id,name" header). Indexed lines are ordered by index."""
    with open(require_file(path, "Class-name file"), encoding="utf-8") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    split_lines = [re.split(r"[ ,\t]", line, maxsplit=1) for line in lines]
    indexed = [len(parts) == 2 and parts[0].isdigit() for parts in split_lines]
    if len(lines) > 1 and not indexed[0] and all(indexed[1:]):
        lines, split_lines, indexed = lines[1:], split_lines[1:], indexed[1:]  # a header line
    if lines and all(indexed):
        pairs = sorted((int(parts[0]), parts[1].strip()) for parts in split_lines)
        return [name for _, name in pairs]
    return lines


def _find_list_files(folder):
    """{split: path} of the `train`/`val`/`validation`/`test` `.csv`/`.txt` files in `folder` (.csv first)."""
    lists = {}
    for split_name in ("train", "val", "validation", "test"):
        for extension in (".csv", ".txt"):
            candidate = os.path.join(folder, split_name + extension)
            if os.path.isfile(candidate) and split_name not in lists:
                lists[split_name] = candidate
    if not lists:
        raise DatasetError(
            f"No list files found: expected {os.path.join(folder, 'train.csv')} "
            "(or pass lists={'train': PATH, ...} / --list train=PATH)"
        )
    return lists


def _read_list_file(split_name, list_path, label_offset):
    """The (relative path, label text) entries of a list file, without its header, labels less `label_offset`."""
    entries = []
    with open(require_file(list_path, f"List file of split {split_name!r}"), encoding="utf-8") as handle:
        for line in handle:
            entry = _parse_list_line(line)
            if entry is not None:
                entries.append(entry)
    # A first line whose label is not a number, above numeric labels, is a CSV header.
    if len(entries) > 1 and not _is_int(entries[0][1]) and all(_is_int(label) for _, label in entries[1:]):
        entries = entries[1:]
    elif entries and entries[0][1].lower() in ("label", "labels", "class", "class_name"):
        entries = entries[1:]
    if label_offset:
        entries = [(path, str(int(label) - label_offset) if _is_int(label) else label) for path, label in entries]
    return entries


def load_list(
    data_root, split=None, split_dir=None, name="list", lists=None, class_names_file=None, label_offset=0, **_
):
    """Text/CSV lists of `relative/path,label` or `relative/path label` lines.

    `lists` maps split name -> list file; without it, `train`/`val`/`validation`/`test`
    `.csv`/`.txt` files are looked up in `split_dir` or the data root. Paths are
    relative to the data root (absolute paths are used as they are). Labels are
    integers (minus `label_offset`: DVFL-Net's csv_writer.py numbers classes from
    2, so pass 2 for its CSVs) or class names; `class_names_file` gives the names.
    A header line (e.g. "Video Path,Directory Number") is skipped.
    """
    root = require_root(data_root, name)
    lists = lists or _find_list_files(split_dir or root)
    parsed = {
        split_name: (list_path, _read_list_file(split_name, list_path, label_offset))
        for split_name, list_path in lists.items()
    }
    all_labels = [label for _, entries in parsed.values() for _, label in entries]
    numeric = all(re.fullmatch(r"-?\d+", label) for label in all_labels)
    if class_names_file:
        class_names = _read_class_names(class_names_file)
    elif numeric:
        count = max((int(label) for label in all_labels), default=-1) + 1
        class_names = [f"class_{i}" for i in range(count)]
    else:
        class_names = sorted(set(all_labels))
    lookup = {class_name: label for label, class_name in enumerate(class_names)}
    splits, problems = {}, []
    for split_name, (list_path, entries) in parsed.items():
        records = []
        for relative, label in entries:
            if re.fullmatch(r"-?\d+", label) and (numeric or label not in lookup):
                label_id = int(label)
            else:
                label_id = lookup.get(label, -1)
            if not 0 <= label_id < len(class_names):
                problems.append({"path": list_path, "reason": f"{relative}: unknown label {label!r}"})
                continue
            add_existing(records, problems, os.path.join(root, relative), label_id)
        splits[split_name] = records
    check_splits(name, splits, {key: value[0] for key, value in parsed.items()})
    return DatasetIndex(name, class_names, splits, problems)


# ---------------------------------------------------------------------------
# Plain folders
# ---------------------------------------------------------------------------


def load_folder(data_root, split=None, name="folder", **_):
    """`<root>/<split>/<class>/*.{avi,mp4,webm,mkv}`; split names are the subfolders."""
    root = require_root(data_root, name)
    split_names = [entry for entry in class_folders(root) if class_folders(os.path.join(root, entry))]
    if not split_names:
        raise DatasetError(f"No split folders in {root}: expected {os.path.join(root, '<split>', '<class>', '*.mp4')}")
    class_names = sorted({c for split_name in split_names for c in class_folders(os.path.join(root, split_name))})
    lookup = {class_name: label for label, class_name in enumerate(class_names)}
    splits = {}
    for split_name in split_names:
        records = []
        for class_name in class_folders(os.path.join(root, split_name)):
            for path in videos_in(os.path.join(root, split_name, class_name)):
                records.append(VideoRecord(path, lookup[class_name]))
        splits[split_name] = records
    check_splits(name, splits, {s: os.path.join(root, s) for s in split_names})
    return DatasetIndex(name, class_names, splits, [])


def load_synthetic(data_root=None, split=None, split_dir=None, name="synthetic", **size_options):
    """The synthetic motion dataset (generated once into a cache when `data_root` is None)."""
    root = ensure_synthetic(data_root, **size_options)
    return load_hmdb51(root, split=split, split_dir=split_dir, name=name)
