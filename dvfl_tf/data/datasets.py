"""Parsers for the benchmark datasets in their official layouts and split formats.

Each parser turns a dataset folder into a `DatasetIndex`: class names, the
videos of every split with integer labels, and the problems found while
indexing (listed videos that are missing on disk, names that do not follow the
layout). Nothing here decodes video; `check_data` does that.

A missing split file or class folder, or an empty split, raises
`DatasetError` naming the path that was expected.
"""

import csv
import dataclasses
import glob
import json
import os
import re

from dvfl_tf.core.errors import UserError
from dvfl_tf.data.synthetic import ensure_synthetic
from dvfl_tf.data.video_io import VIDEO_EXTENSIONS

DATASETS = ("hmdb51", "ucf101", "ucf50", "ssv2", "kinetics400", "list", "folder", "synthetic")


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


def _require_dir(path, what):
    if not os.path.isdir(path):
        raise DatasetError(f"{what} not found: expected a folder at {path}")
    return path


def _require_file(path, what):
    if not os.path.isfile(path):
        raise DatasetError(f"{what} not found: expected a file at {path}")
    return path


def _require_root(data_root, dataset):
    if data_root is None:
        raise DatasetError(f"Dataset {dataset!r} needs --data-root (the folder holding the dataset).")
    return _require_dir(os.path.abspath(os.path.expanduser(str(data_root))), f"Data root of {dataset!r}")


def _check_splits(name, splits, expected_paths):
    for split_name, records in splits.items():
        if not records:
            raise DatasetError(
                f"Split {split_name!r} of {name!r} is empty (read from {expected_paths.get(split_name, '?')})."
            )


def _add_existing(records, problems, path, label):
    """Append `path` if it exists on disk, else record the problem (missing videos are not fatal)."""
    if os.path.isfile(path):
        records.append(VideoRecord(path, label))
    else:
        problems.append({"path": path, "reason": "listed in the split file but missing on disk"})


def _check_split_number(split, allowed, dataset):
    split = 1 if split is None else int(split)
    if split not in allowed:
        raise DatasetError(f"{dataset} has splits {list(allowed)}. Received: split={split}")
    return split


# ---------------------------------------------------------------------------
# HMDB51
# ---------------------------------------------------------------------------

_HMDB_SPLIT_RE = re.compile(r"^(?P<cls>.+)_test_split(?P<n>\d+)\.txt$")
_HMDB_LINE_RE = re.compile(r"^(?P<video>.+?)\s+(?P<tag>[012])$")


def load_hmdb51(data_root, split=None, split_dir=None, name="hmdb51", **_):
    """`<root>/<class>/<video>.avi` with `testTrainMulti_7030_splits/<class>_test_split{N}.txt`
    (lines `<video>.avi <tag>`, 1 = train, 2 = test, 0 = unused)."""
    root = _require_root(data_root, name)
    if os.path.isfile(os.path.join(root, "synthetic.json")):
        # A `make-synthetic` tree read as hmdb51: keep its identity, whose labels know
        # left from right (the pipeline turns flipping off for it).
        name = "synthetic"
    split = _check_split_number(split, (1, 2, 3), name)
    split_dir = split_dir or os.path.join(root, "testTrainMulti_7030_splits")
    _require_dir(split_dir, "HMDB51 split folder")
    split_files = {}
    for path in glob.glob(os.path.join(split_dir, "*_test_split*.txt")):
        match = _HMDB_SPLIT_RE.match(os.path.basename(path))
        if match and int(match["n"]) == split:
            split_files[match["cls"]] = path
    if not split_files:
        raise DatasetError(
            f"No split files for split {split}: expected {os.path.join(split_dir, f'<class>_test_split{split}.txt')}"
        )
    class_names = sorted(split_files)
    splits = {"train": [], "test": []}
    problems = []
    for label, class_name in enumerate(class_names):
        class_dir = _require_dir(os.path.join(root, class_name), f"Class folder of {class_name!r}")
        with open(split_files[class_name], encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                # The tag is the last field, so a video name may contain spaces.
                match = _HMDB_LINE_RE.match(line.strip())
                if match is None:
                    problems.append(
                        {
                            "path": split_files[class_name],
                            "reason": f"line {line_number}: expected '<video>.avi <0|1|2>', got {line.strip()!r}",
                        }
                    )
                    continue
                if match["tag"] == "0":
                    continue
                target = splits["train" if match["tag"] == "1" else "test"]
                _add_existing(target, problems, os.path.join(class_dir, match["video"]), label)
    _check_splits(name, splits, {key: split_dir for key in splits})
    return DatasetIndex(name, class_names, splits, problems)


# ---------------------------------------------------------------------------
# UCF101
# ---------------------------------------------------------------------------


def _case_insensitive_path(video_dir, relative):
    """Resolve `Class/v_x.avi` even where the official lists disagree in case with
    the folders (UCF101 lists `HandStandPushups/`, the folder is `HandstandPushups/`)."""
    path = os.path.join(video_dir, relative)
    if os.path.exists(path):
        return path
    current = video_dir
    for part in relative.split("/"):
        try:
            entries = {entry.lower(): entry for entry in os.listdir(current)}
        except OSError:
            return path
        found = entries.get(part.lower())
        if found is None:
            return path
        current = os.path.join(current, found)
    return current


_UCF_LINE_RE = re.compile(r"^(?P<path>.+?)(?:\s+\d+)?$")


def load_ucf101(data_root, split=None, split_dir=None, name="ucf101", **_):
    """`<root>/UCF-101/<class>/v_*.avi` with `<root>/ucfTrainTestlist/` (classInd.txt,
    trainlist0N.txt `Class/v_x.avi 1`, testlist0N.txt `Class/v_x.avi`)."""
    root = _require_root(data_root, name)
    split = _check_split_number(split, (1, 2, 3), name)
    split_dir = split_dir or os.path.join(root, "ucfTrainTestlist")
    _require_dir(split_dir, "UCF101 split folder")
    video_dir = os.path.join(root, "UCF-101")
    if not os.path.isdir(video_dir):
        raise DatasetError(f"UCF101 video folder not found: expected a folder at {video_dir}")
    class_ind = _require_file(os.path.join(split_dir, "classInd.txt"), "UCF101 class index")
    indexed = {}
    with open(class_ind, encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) == 2:
                indexed[int(fields[0])] = fields[1]
    if not indexed:
        raise DatasetError(f"UCF101 class index is empty: {class_ind}")
    class_names = [indexed[key] for key in sorted(indexed)]
    lookup = {class_name.lower(): label for label, class_name in enumerate(class_names)}
    for class_name in class_names:
        if not os.path.isdir(_case_insensitive_path(video_dir, class_name)):
            raise DatasetError(
                f"Class folder of {class_name!r} not found: expected a folder at {os.path.join(video_dir, class_name)}"
            )
    splits, problems, sources = {}, [], {}
    for split_name, list_name in (("train", f"trainlist0{split}.txt"), ("test", f"testlist0{split}.txt")):
        list_path = _require_file(os.path.join(split_dir, list_name), f"UCF101 {split_name} list")
        sources[split_name] = list_path
        records = []
        with open(list_path, encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                # `Class/v_x.avi 1` (train) or `Class/v_x.avi` (test): the path is all but a trailing label,
                # so a file name may contain spaces.
                relative = _UCF_LINE_RE.match(line.strip())["path"].replace("\\", "/")
                class_name = relative.split("/")[0].lower()
                if class_name not in lookup:
                    problems.append(
                        {
                            "path": list_path,
                            "reason": f"line {line_number}: class {relative.split('/')[0]!r} not in classInd.txt",
                        }
                    )
                    continue
                _add_existing(records, problems, _case_insensitive_path(video_dir, relative), lookup[class_name])
        splits[split_name] = records
    _check_splits(name, splits, sources)
    return DatasetIndex(name, class_names, splits, problems)


# ---------------------------------------------------------------------------
# UCF50
# ---------------------------------------------------------------------------

_UCF50_NAME_RE = re.compile(r"^v_.+_g(?P<group>\d+)_c\d+\.[A-Za-z0-9]+$")


def _class_folders(root):
    return sorted(
        entry for entry in os.listdir(root) if os.path.isdir(os.path.join(root, entry)) and not entry.startswith(".")
    )


def _videos_in(folder, recursive=False):
    pattern = os.path.join(folder, "**", "*") if recursive else os.path.join(folder, "*")
    return sorted(
        path
        for path in glob.glob(pattern, recursive=recursive)
        if os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS and os.path.isfile(path)
    )


def load_ucf50(data_root, split=None, name="ucf50", **_):
    """`<root>/<class>/v_*_gNN_cNN.avi`; leave-one-group-out: `split` N holds out group N (1-25)."""
    root = _require_root(data_root, name)
    split = _check_split_number(split, range(1, 26), name)
    class_names = _class_folders(root)
    if not class_names:
        raise DatasetError(f"No class folders in {root}: expected {os.path.join(root, '<class>', 'v_*_gNN_cNN.avi')}")
    splits = {"train": [], "test": []}
    problems = []
    for label, class_name in enumerate(class_names):
        for path in _videos_in(os.path.join(root, class_name)):
            match = _UCF50_NAME_RE.match(os.path.basename(path))
            if not match:
                problems.append({"path": path, "reason": "name does not follow v_<Class>_gNN_cNN.<ext>"})
                continue
            held_out = int(match["group"]) == split
            splits["test" if held_out else "train"].append(VideoRecord(path, label))
    _check_splits(name, splits, {"train": root, "test": f"{root} (group {split:02d})"})
    return DatasetIndex(name, class_names, splits, problems)


# ---------------------------------------------------------------------------
# Something-Something-v2
# ---------------------------------------------------------------------------


def _find_file(candidates, what):
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise DatasetError(f"{what} not found: expected a file at {candidates[0]}")


def load_ssv2(data_root, split=None, split_dir=None, name="ssv2", **_):
    """`<root>/20bn-something-something-v2/<id>.webm` with the official label JSONs
    (in `split_dir`, `<root>`, or `<root>/labels`)."""
    root = _require_root(data_root, name)
    video_dir = os.path.join(root, "20bn-something-something-v2")
    _require_dir(video_dir, "Something-Something-v2 video folder")
    label_dirs = [split_dir] if split_dir else [root, os.path.join(root, "labels")]
    labels_path = _find_file(
        [os.path.join(d, "something-something-v2-labels.json") for d in label_dirs], "Something-Something-v2 label file"
    )
    with open(labels_path, encoding="utf-8") as handle:
        template_to_index = {key: int(value) for key, value in json.load(handle).items()}
    class_names = [None] * len(template_to_index)
    for template, index in template_to_index.items():
        class_names[index] = template
    splits, problems, sources = {}, [], {}
    for split_name in ("train", "validation"):
        list_path = _find_file(
            [os.path.join(d, f"something-something-v2-{split_name}.json") for d in label_dirs],
            f"Something-Something-v2 {split_name} list",
        )
        sources[split_name] = list_path
        with open(list_path, encoding="utf-8") as handle:
            entries = json.load(handle)
        records = []
        for entry in entries:
            # The list's templates mark objects as "[something]"; the label keys have no brackets.
            template = entry.get("template", "").replace("[", "").replace("]", "")
            if template not in template_to_index:
                problems.append(
                    {"path": list_path, "reason": f"video {entry.get('id')}: unknown template {template!r}"}
                )
                continue
            _add_existing(
                records, problems, os.path.join(video_dir, f"{entry['id']}.webm"), template_to_index[template]
            )
        splits[split_name] = records
    _check_splits(name, splits, sources)
    return DatasetIndex(name, class_names, splits, problems)


# ---------------------------------------------------------------------------
# Kinetics-400
# ---------------------------------------------------------------------------

_SPLIT_FOLDER_ALIASES = {
    "val": ("val", "validate", "valid", "validation"),
    "validate": ("validate", "val", "valid"),
    "train": ("train", "training"),
    "test": ("test", "testing"),
}


def load_kinetics400(data_root, split=None, split_dir=None, name="kinetics400", annotations=None, **_):
    """Annotation CSVs `label,youtube_id,time_start,time_end,split` (in `split_dir`, `<root>`,
    or `<root>/annotations`) and clips `<youtube_id>_<start:06d>_<end:06d>.mp4` in a folder per
    split, with or without class subfolders. Missing clips are counted, not fatal."""
    root = _require_root(data_root, name)
    if annotations:
        csv_paths = [annotations] if isinstance(annotations, str) else list(annotations)
    else:
        search = [split_dir] if split_dir else [root, os.path.join(root, "annotations")]
        csv_paths = sorted(path for d in search for path in glob.glob(os.path.join(d, "*.csv")))
    if not csv_paths:
        expected = os.path.join(split_dir or os.path.join(root, "annotations"), "{train,val,test}.csv")
        raise DatasetError(f"Kinetics-400 annotation CSVs not found: expected {expected}")
    rows = []
    for csv_path in csv_paths:
        _require_file(csv_path, "Kinetics-400 annotation CSV")
        with open(csv_path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"youtube_id", "time_start", "time_end", "split"} - set(reader.fieldnames or [])
            if missing:
                raise DatasetError(
                    f"{csv_path}: missing columns {sorted(missing)} "
                    "(expected label,youtube_id,time_start,time_end,split)"
                )
            rows.extend((csv_path, row) for row in reader)
    class_names = sorted({row["label"] for _, row in rows if row.get("label")})
    lookup = {class_name: label for label, class_name in enumerate(class_names)}
    clip_files = {}  # split -> {file name: path}

    def clips_of(split_name):
        if split_name not in clip_files:
            found = {}
            for folder_name in _SPLIT_FOLDER_ALIASES.get(split_name, (split_name,)):
                folder = os.path.join(root, folder_name)
                if os.path.isdir(folder):
                    for path in _videos_in(folder, recursive=True):
                        found.setdefault(os.path.basename(path), path)
            clip_files[split_name] = found
        return clip_files[split_name]

    splits, problems, missing_count = {}, [], 0
    for csv_path, row in rows:
        split_name = row["split"].strip()
        records = splits.setdefault(split_name, [])
        label = row.get("label")
        if label not in lookup:
            problems.append({"path": csv_path, "reason": f"clip {row['youtube_id']}: no label (skipped)"})
            continue
        stem = f"{row['youtube_id']}_{int(float(row['time_start'])):06d}_{int(float(row['time_end'])):06d}"
        available = clips_of(split_name)
        path = next(
            (available[stem + ext] for ext in (".mp4", ".webm", ".mkv", ".avi") if stem + ext in available), None
        )
        if path is None:
            missing_count += 1
            problems.append({"path": os.path.join(root, split_name, stem + ".mp4"), "reason": "missing clip"})
            continue
        records.append(VideoRecord(path, lookup[label]))
    index = DatasetIndex(name, class_names, splits, problems)
    index.missing_clips = missing_count
    return index


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
    with open(_require_file(path, "Class-name file"), encoding="utf-8") as handle:
        lines = [line.strip() for line in handle if line.strip()]
    split_lines = [re.split(r"[ ,\t]", line, maxsplit=1) for line in lines]
    indexed = [len(parts) == 2 and parts[0].isdigit() for parts in split_lines]
    if len(lines) > 1 and not indexed[0] and all(indexed[1:]):
        lines, split_lines, indexed = lines[1:], split_lines[1:], indexed[1:]  # a header line
    if lines and all(indexed):
        pairs = sorted((int(parts[0]), parts[1].strip()) for parts in split_lines)
        return [name for _, name in pairs]
    return lines


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
    root = _require_root(data_root, name)
    if not lists:
        folder = split_dir or root
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
    parsed = {}
    for split_name, list_path in lists.items():
        entries = []
        with open(_require_file(list_path, f"List file of split {split_name!r}"), encoding="utf-8") as handle:
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
        parsed[split_name] = (list_path, entries)
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
            _add_existing(records, problems, os.path.join(root, relative), label_id)
        splits[split_name] = records
    _check_splits(name, splits, {key: value[0] for key, value in parsed.items()})
    return DatasetIndex(name, class_names, splits, problems)


# ---------------------------------------------------------------------------
# Plain folders
# ---------------------------------------------------------------------------


def load_folder(data_root, split=None, name="folder", **_):
    """`<root>/<split>/<class>/*.{avi,mp4,webm,mkv}`; split names are the subfolders."""
    root = _require_root(data_root, name)
    split_names = [entry for entry in _class_folders(root) if _class_folders(os.path.join(root, entry))]
    if not split_names:
        raise DatasetError(f"No split folders in {root}: expected {os.path.join(root, '<split>', '<class>', '*.mp4')}")
    class_names = sorted({c for split_name in split_names for c in _class_folders(os.path.join(root, split_name))})
    lookup = {class_name: label for label, class_name in enumerate(class_names)}
    splits = {}
    for split_name in split_names:
        records = []
        for class_name in _class_folders(os.path.join(root, split_name)):
            for path in _videos_in(os.path.join(root, split_name, class_name)):
                records.append(VideoRecord(path, lookup[class_name]))
        splits[split_name] = records
    _check_splits(name, splits, {s: os.path.join(root, s) for s in split_names})
    return DatasetIndex(name, class_names, splits, [])


def load_synthetic(data_root=None, split=None, split_dir=None, name="synthetic", **size_options):
    """The synthetic motion dataset (generated once into a cache when `data_root` is None)."""
    root = ensure_synthetic(data_root, **size_options)
    return load_hmdb51(root, split=split, split_dir=split_dir, name=name)


_LOADERS = {
    "hmdb51": load_hmdb51,
    "ucf101": load_ucf101,
    "ucf50": load_ucf50,
    "ssv2": load_ssv2,
    "kinetics400": load_kinetics400,
    "list": load_list,
    "folder": load_folder,
    "synthetic": load_synthetic,
}


def load_index(dataset, data_root, split=None, split_dir=None, **kwargs):
    """Index `dataset` under `data_root` (see the loaders above for each layout)."""
    if dataset not in _LOADERS:
        raise DatasetError(f"Unknown dataset. Expected one of {list(DATASETS)}. Received: dataset={dataset!r}")
    if split_dir is not None:
        split_dir = os.path.abspath(os.path.expanduser(str(split_dir)))
        _require_dir(split_dir, "Split folder")
    return _LOADERS[dataset](data_root, split=split, split_dir=split_dir, **kwargs)
