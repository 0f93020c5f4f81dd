"""The dataset options of every command that reads a dataset (`train`, `distill`, `evaluate`, `cache-teacher`,
`check-data`, `prepare`): `--dataset`, `--data-root`, `--split`, `--split-dir` and the layout options of
the dataset registry (`--list`, `--class-names`, `--label-offset`, `--annotations`).

Decorate the command with `@dataset_options` (or `@dataset_options(required=True)`; `@clip_options` adds
--num-frames, --image-size, --batch-size and --allow-empty-classes for the commands that read clips), then
take the values
with `data_option_values(kwargs)` (the fields of `DataOptions`) or `dataset_kwargs(kwargs)` (the arguments
of `load_index`). The choices and the help of the layout options come from the registry
(`dvfl_tf.data.datasets.registry`).
"""

import functools

import click

from dvfl_tf.cli.options import field_option, range_type
from dvfl_tf.data.clip_config import DataOptions
from dvfl_tf.data.datasets.registry import LAYOUT_OPTION_RANGES, LAYOUT_OPTIONS, datasets_taking
from dvfl_tf.training.train_config import TrainConfig


def _for(option):
    return f"For --dataset {', '.join(datasets_taking(option))}:"


def _parse_lists(values):
    lists = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise click.BadParameter(
                f"expected NAME=PATH (e.g. train=lists/train.csv). Received: {value!r}", param_hint="--list"
            )
        lists[name] = path
    return lists


def _layout_options():
    return [
        click.option(
            LAYOUT_OPTIONS["lists"],
            "lists",
            multiple=True,
            metavar="NAME=PATH",
            help=f"{_for('lists')} a split's list file (repeatable), e.g. train=train.csv.",
        ),
        click.option(
            LAYOUT_OPTIONS["class_names_file"],
            "class_names_file",
            type=click.Path(dir_okay=False),
            default=None,
            help=f"{_for('class_names_file')} file of class names, one a line.",
        ),
        click.option(
            LAYOUT_OPTIONS["label_offset"],
            "label_offset",
            type=range_type(LAYOUT_OPTION_RANGES["label_offset"]),
            default=0,
            show_default=True,
            help=f"{_for('label_offset')} subtract from integer labels (2 for DVFL-Net's csv_writer.py CSVs).",
        ),
        click.option(
            LAYOUT_OPTIONS["annotations"],
            "annotations",
            multiple=True,
            type=click.Path(dir_okay=False),
            help=f"{_for('annotations')} annotation CSV(s) (default: *.csv in the root or annotations/).",
        ),
    ]


def dataset_options(command=None, *, required=False):
    """Add --dataset, --data-root, --split, --split-dir and the layout options.

    `required`: --dataset must be given; otherwise it defaults to "synthetic".
    """
    if command is None:
        return functools.partial(dataset_options, required=required)
    dataset = (
        field_option(DataOptions, "dataset", default=None, required=True, help="Dataset layout to read.")
        if required
        else field_option(DataOptions, "dataset", show_default=True, help="Dataset layout to read.")
    )
    decorators = [
        dataset,
        click.option(
            "--data-root",
            type=click.Path(file_okay=False),
            default=None,
            help="Folder holding the dataset (optional for 'synthetic': a cached copy is generated).",
        ),
        field_option(
            DataOptions,
            "split",
            help="Official split number (hmdb51/ucf101: 1-3; ucf50: held-out group 1-25). Default 1.",
        ),
        click.option(
            "--split-dir",
            type=click.Path(file_okay=False),
            default=None,
            help="Folder with the split/annotation files when not in the default place.",
        ),
        *_layout_options(),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _index_options(options):
    """The layout options given (pops every one from `options`), as `load_index` arguments."""
    values = {name: options.pop(name, None) for name in LAYOUT_OPTIONS}
    index_options = {}
    if values["lists"]:
        index_options["lists"] = _parse_lists(values["lists"])
    if values["class_names_file"]:
        index_options["class_names_file"] = values["class_names_file"]
    if values["label_offset"]:
        index_options["label_offset"] = values["label_offset"]
    if values["annotations"]:
        index_options["annotations"] = list(values["annotations"])
    return index_options


def data_option_values(options):
    """The `DataOptions` fields of the dataset options (pops them from `options`): dataset, data_root, split,
    split_dir and index_options (None when no layout option is given, as a run's config.json records it)."""
    values = {name: options.pop(name) for name in ("dataset", "data_root", "split", "split_dir")}
    values["index_options"] = _index_options(options) or None
    return values


def dataset_kwargs(options):
    """Keyword arguments for `load_index` from the dataset options (pops them from `options`)."""
    values = data_option_values(options)
    index_options = values.pop("index_options") or {}
    return {**values, **index_options}


def clip_options(function):
    """The dataset options, and how many frames of what size, in batches of what size, are read."""
    options = [
        field_option(DataOptions, "num_frames", help="Frames per clip (default: the model's)."),
        field_option(DataOptions, "image_size", help="Frame size (default: the model's)."),
        field_option(TrainConfig, "batch_size", show_default=True, help="Global batch size."),
        click.option(
            "--allow-empty-classes",
            is_flag=True,
            help="Go on although a class has no usable training video (the summary names it).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return dataset_options(function)
