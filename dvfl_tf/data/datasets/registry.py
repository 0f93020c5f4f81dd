"""The dataset layouts dvfl-tf reads: one `DatasetLayout` entry per `--dataset` name.

An entry says which loader indexes the layout, whether training may flip its
clips left-right, where the loader looks for its split or annotation files when
none are given, and which layout options (`LAYOUT_OPTIONS`) it takes. The CLI's
`--dataset` choice, its layout options' help, the augmentation's flip policy and
`load_index` and the official config files' DATA.DATASET check all read this
table: adding a layout is one entry here (and its loader and test).
"""

import dataclasses
import os
from collections.abc import Callable

from dvfl_tf.core.checks import at_least, check_ranges
from dvfl_tf.data.datasets.annotation_layouts import load_kinetics400, load_ssv2
from dvfl_tf.data.datasets.dataset_index import DatasetError, require_dir
from dvfl_tf.data.datasets.generic_layouts import load_folder, load_list, load_synthetic
from dvfl_tf.data.datasets.split_file_layouts import load_hmdb51, load_ucf50, load_ucf101

# The layout options beyond --data-root / --split / --split-dir: `load_index` argument -> command-line option.
LAYOUT_OPTIONS = {
    "lists": "--list",
    "class_names_file": "--class-names",
    "label_offset": "--label-offset",
    "annotations": "--annotations",
}
# The allowed values of the numeric layout options (checked by `load_index`).
LAYOUT_OPTION_RANGES = {"label_offset": at_least(0)}


@dataclasses.dataclass(frozen=True)
class DatasetLayout:
    """One dataset layout.

    `flip`: whether training augmentation flips clips left-right; False where the
    labels know left from right ("pushing something from left to right", the
    synthetic "move_000deg"). `crop_area`: the area range of the random resized
    crop where it differs from the official (0.08, 1.0). `default_files`: where
    the split or annotation files are looked for under the data root when
    `--split-dir` (or the layout's option) does not say. `options`: the names of
    `LAYOUT_OPTIONS` the loader takes. `official`: a dataset of the official code, which an official
    config file may name in DATA.DATASET (`dvfl_tf.convert.official_run_keys.SUPPORTED_DATASETS`).
    """

    name: str
    loader: Callable
    flip: bool
    default_files: tuple
    options: frozenset = frozenset()
    crop_area: tuple = None
    official: bool = False


DATASET_LAYOUTS = {
    layout.name: layout
    for layout in (
        DatasetLayout("hmdb51", load_hmdb51, flip=True, default_files=("testTrainMulti_7030_splits/",), official=True),
        DatasetLayout("ucf101", load_ucf101, flip=True, default_files=("ucfTrainTestlist/",), official=True),
        DatasetLayout(
            "ucf50", load_ucf50, flip=True, default_files=(), official=True
        ),  # groups come from the file names
        DatasetLayout(
            "ssv2",
            load_ssv2,
            flip=False,
            default_files=("something-something-v2-labels.json", "labels/something-something-v2-labels.json"),
            official=True,
        ),
        DatasetLayout(
            "kinetics400",
            load_kinetics400,
            flip=True,
            default_files=("*.csv", "annotations/*.csv"),
            options=frozenset({"annotations"}),
            official=True,
        ),
        DatasetLayout(
            "list",
            load_list,
            flip=True,
            default_files=("train.csv", "val.csv", "test.csv", "train.txt", "val.txt", "test.txt"),
            options=frozenset({"lists", "class_names_file", "label_offset"}),
        ),
        DatasetLayout("folder", load_folder, flip=True, default_files=()),  # split and class folders
        DatasetLayout(
            "synthetic",
            load_synthetic,
            flip=False,
            default_files=("testTrainMulti_7030_splits/",),
            crop_area=(0.4, 1.0),  # at 64x64 an 8% crop often loses the moving shape
        ),
    )
}

DATASETS = tuple(DATASET_LAYOUTS)
# The datasets of the official code (what an official config's DATA.DATASET may name).
OFFICIAL_DATASETS = tuple(name for name, layout in DATASET_LAYOUTS.items() if layout.official)


def flips(dataset_name):
    """Whether training may flip clips of `dataset_name` left-right (True for a name outside the registry)."""
    layout = DATASET_LAYOUTS.get(dataset_name)
    return True if layout is None else layout.flip


def crop_area(dataset_name, default):
    """The random-resized-crop area range of `dataset_name` (`default` unless its entry says otherwise)."""
    layout = DATASET_LAYOUTS.get(dataset_name)
    return default if layout is None or layout.crop_area is None else layout.crop_area


def datasets_taking(option):
    """The names of the layouts that take the layout option `option` (a key of `LAYOUT_OPTIONS`)."""
    return [name for name, layout in DATASET_LAYOUTS.items() if option in layout.options]


def _check_layout_options(dataset, kwargs):
    for option, flag in LAYOUT_OPTIONS.items():
        value = kwargs.get(option)
        if value and option not in DATASET_LAYOUTS[dataset].options:
            takers = ", ".join(datasets_taking(option))
            raise DatasetError(f"{flag} applies to --dataset {takers} only. Received: --dataset {dataset}")


def load_index(dataset, data_root, split=None, split_dir=None, **kwargs):
    """Index `dataset` under `data_root` (see each layout's loader).

    `kwargs`: the layout options the entry takes (`lists`, `class_names_file`,
    `label_offset`, `annotations`), `name` (the index's name), and for
    "synthetic" its size options.
    """
    if dataset not in DATASET_LAYOUTS:
        raise DatasetError(f"Unknown dataset. Expected one of {list(DATASETS)}. Received: dataset={dataset!r}")
    _check_layout_options(dataset, kwargs)
    check_ranges({name: kwargs.get(name) for name in LAYOUT_OPTION_RANGES}, LAYOUT_OPTION_RANGES)
    if split_dir is not None:
        split_dir = os.path.abspath(os.path.expanduser(str(split_dir)))
        require_dir(split_dir, "Split folder")
    return DATASET_LAYOUTS[dataset].loader(data_root, split=split, split_dir=split_dir, **kwargs)
