"""Something-Something-v2 (label JSONs) and Kinetics-400 (annotation CSVs): clips named by the annotation files,
not sorted into class folders by the dataset."""

import csv
import glob
import json
import os

from dvfl_tf.data.datasets.dataset_index import (
    DatasetError,
    DatasetIndex,
    VideoRecord,
    add_existing,
    check_splits,
    find_file,
    require_dir,
    require_file,
    require_root,
    videos_in,
)

# ---------------------------------------------------------------------------
# Something-Something-v2
# ---------------------------------------------------------------------------


def load_ssv2(data_root, split=None, split_dir=None, name="ssv2", **_):
    """`<root>/20bn-something-something-v2/<id>.webm` with the official label JSONs
    (in `split_dir`, `<root>`, or `<root>/labels`)."""
    root = require_root(data_root, name)
    video_dir = os.path.join(root, "20bn-something-something-v2")
    require_dir(video_dir, "Something-Something-v2 video folder")
    label_dirs = [split_dir] if split_dir else [root, os.path.join(root, "labels")]
    labels_path = find_file(
        [os.path.join(d, "something-something-v2-labels.json") for d in label_dirs], "Something-Something-v2 label file"
    )
    with open(labels_path, encoding="utf-8") as handle:
        template_to_index = {key: int(value) for key, value in json.load(handle).items()}
    class_names = [None] * len(template_to_index)
    for template, index in template_to_index.items():
        class_names[index] = template
    splits, problems, sources = {}, [], {}
    for split_name in ("train", "validation"):
        list_path = find_file(
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
            add_existing(records, problems, os.path.join(video_dir, f"{entry['id']}.webm"), template_to_index[template])
        splits[split_name] = records
    check_splits(name, splits, sources)
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


def _kinetics_csv_paths(root, split_dir, annotations):
    """The annotation CSVs: `annotations`, else every *.csv in `split_dir` (or the root and root/annotations)."""
    if annotations:
        csv_paths = [annotations] if isinstance(annotations, str) else list(annotations)
    else:
        search = [split_dir] if split_dir else [root, os.path.join(root, "annotations")]
        csv_paths = sorted(path for d in search for path in glob.glob(os.path.join(d, "*.csv")))
    if not csv_paths:
        expected = os.path.join(split_dir or os.path.join(root, "annotations"), "{train,val,test}.csv")
        raise DatasetError(f"Kinetics-400 annotation CSVs not found: expected {expected}")
    return csv_paths


def _kinetics_rows(csv_paths):
    """(csv path, row dict) of every annotation row, refusing a CSV without the expected columns."""
    rows = []
    for csv_path in csv_paths:
        require_file(csv_path, "Kinetics-400 annotation CSV")
        with open(csv_path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = {"youtube_id", "time_start", "time_end", "split"} - set(reader.fieldnames or [])
            if missing:
                raise DatasetError(
                    f"{csv_path}: missing columns {sorted(missing)} "
                    "(expected label,youtube_id,time_start,time_end,split)"
                )
            rows.extend((csv_path, row) for row in reader)
    return rows


def load_kinetics400(data_root, split=None, split_dir=None, name="kinetics400", annotations=None, **_):
    """Annotation CSVs `label,youtube_id,time_start,time_end,split` (in `split_dir`, `<root>`,
    or `<root>/annotations`) and clips `<youtube_id>_<start:06d>_<end:06d>.mp4` in a folder per
    split, with or without class subfolders. Missing clips are counted, not fatal."""
    root = require_root(data_root, name)
    rows = _kinetics_rows(_kinetics_csv_paths(root, split_dir, annotations))
    class_names = sorted({row["label"] for _, row in rows if row.get("label")})
    lookup = {class_name: label for label, class_name in enumerate(class_names)}
    clip_files = {}  # split -> {file name: path}

    def clips_of(split_name):
        if split_name not in clip_files:
            found = {}
            for folder_name in _SPLIT_FOLDER_ALIASES.get(split_name, (split_name,)):
                folder = os.path.join(root, folder_name)
                if os.path.isdir(folder):
                    for path in videos_in(folder, recursive=True):
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
