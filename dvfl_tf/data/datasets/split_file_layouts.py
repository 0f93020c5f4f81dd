"""HMDB51, UCF101 and UCF50: class folders of videos, with the official split files (or, for UCF50, groups)."""

import glob
import os
import re

from dvfl_tf.data.datasets.dataset_index import (
    DatasetError,
    DatasetIndex,
    VideoRecord,
    add_existing,
    check_split_number,
    check_splits,
    class_folders,
    require_dir,
    require_file,
    require_root,
    videos_in,
)

# ---------------------------------------------------------------------------
# HMDB51
# ---------------------------------------------------------------------------

_HMDB_SPLIT_RE = re.compile(r"^(?P<cls>.+)_test_split(?P<n>\d+)\.txt$")
_HMDB_LINE_RE = re.compile(r"^(?P<video>.+?)\s+(?P<tag>[012])$")


def load_hmdb51(data_root, split=None, split_dir=None, name="hmdb51", **_):
    """`<root>/<class>/<video>.avi` with `testTrainMulti_7030_splits/<class>_test_split{N}.txt`
    (lines `<video>.avi <tag>`, 1 = train, 2 = test, 0 = unused)."""
    root = require_root(data_root, name)
    if os.path.isfile(os.path.join(root, "synthetic.json")):
        # A `make-synthetic` tree read as hmdb51: keep its identity, whose labels know
        # left from right (the pipeline turns flipping off for it).
        name = "synthetic"
    split = check_split_number(split, (1, 2, 3), name)
    split_dir = split_dir or os.path.join(root, "testTrainMulti_7030_splits")
    require_dir(split_dir, "HMDB51 split folder")
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
        class_dir = require_dir(os.path.join(root, class_name), f"Class folder of {class_name!r}")
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
                add_existing(target, problems, os.path.join(class_dir, match["video"]), label)
    check_splits(name, splits, {key: split_dir for key in splits})
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
    root = require_root(data_root, name)
    split = check_split_number(split, (1, 2, 3), name)
    split_dir = split_dir or os.path.join(root, "ucfTrainTestlist")
    require_dir(split_dir, "UCF101 split folder")
    video_dir = os.path.join(root, "UCF-101")
    if not os.path.isdir(video_dir):
        raise DatasetError(f"UCF101 video folder not found: expected a folder at {video_dir}")
    class_ind = require_file(os.path.join(split_dir, "classInd.txt"), "UCF101 class index")
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
        list_path = require_file(os.path.join(split_dir, list_name), f"UCF101 {split_name} list")
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
                add_existing(records, problems, _case_insensitive_path(video_dir, relative), lookup[class_name])
        splits[split_name] = records
    check_splits(name, splits, sources)
    return DatasetIndex(name, class_names, splits, problems)


# ---------------------------------------------------------------------------
# UCF50
# ---------------------------------------------------------------------------

_UCF50_NAME_RE = re.compile(r"^v_.+_g(?P<group>\d+)_c\d+\.[A-Za-z0-9]+$")


def load_ucf50(data_root, split=None, name="ucf50", **_):
    """`<root>/<class>/v_*_gNN_cNN.avi`; leave-one-group-out: `split` N holds out group N (1-25)."""
    root = require_root(data_root, name)
    split = check_split_number(split, range(1, 26), name)
    class_names = class_folders(root)
    if not class_names:
        raise DatasetError(f"No class folders in {root}: expected {os.path.join(root, '<class>', 'v_*_gNN_cNN.avi')}")
    splits = {"train": [], "test": []}
    problems = []
    for label, class_name in enumerate(class_names):
        for path in videos_in(os.path.join(root, class_name)):
            match = _UCF50_NAME_RE.match(os.path.basename(path))
            if not match:
                problems.append({"path": path, "reason": "name does not follow v_<Class>_gNN_cNN.<ext>"})
                continue
            held_out = int(match["group"]) == split
            splits["test" if held_out else "train"].append(VideoRecord(path, label))
    check_splits(name, splits, {"train": root, "test": f"{root} (group {split:02d})"})
    return DatasetIndex(name, class_names, splits, problems)
