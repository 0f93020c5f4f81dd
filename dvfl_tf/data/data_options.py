"""The datasets of a run, built with `dvfl_tf.data` from its `DataOptions` (defined in `clip_config`)."""

import math
import sys

from dvfl_tf.data.check import check_data, summary_lines
from dvfl_tf.data.clip_config import DataOptions  # noqa: F401 (the run's data options are imported from here)
from dvfl_tf.data.datasets import DatasetError, load_index
from dvfl_tf.data.pipeline import clip_dataset


def load_dataset_index(options, check=True, required_split=None):
    """The dataset index; with `check`, prints the check-data summary and drops the videos that do not open.

    `required_split`: a split in which every class must have a usable video
    (the training split), unless `options.allow_empty_classes`.
    """
    extra = (options.synthetic_options or {}) if options.dataset == "synthetic" else {}
    extra = {**extra, **(options.index_options or {})}
    index = load_index(options.dataset, options.data_root, split=options.split, split_dir=options.split_dir, **extra)
    if check:
        report = check_data(options.dataset, options.data_root, split=options.split, decode="open", index=index)
        # stderr: diagnostics, so that stdout stays the command's result (`evaluate --json`).
        print("\n".join(summary_lines(report)), file=sys.stderr, flush=True)
        unreadable = set(report["unreadable"])
        if unreadable:
            index.splits = {
                name: [r for r in records if r.path not in unreadable] for name, records in index.splits.items()
            }
        empty = report["empty_classes"].get(required_split)
        if empty and not options.allow_empty_classes:
            raise DatasetError(
                f"The {required_split} split has no usable video of {len(empty)} class(es): {', '.join(empty)}. "
                "Fix the data (dvfl-tf check-data lists the problems), or pass --allow-empty-classes to train anyway."
            )
    return index


def training_datasets(options, batch_size, seed, steps_per_epoch=0, validate=True, input_context=None, start_epoch=0):
    """(index, repeated training dataset, validation dataset or None, steps per epoch, validation steps).

    `start_epoch`: the training stream starts after that many epochs (a resumed run).
    """
    index = load_dataset_index(options, required_split=options.train_split)
    train_records = index.records(options.train_split)
    if len(train_records) < batch_size:
        raise ValueError(
            f"The training split has {len(train_records)} videos, fewer than one batch. Received: batch_size={batch_size}"
        )
    config = options.clip_config(index, training=True, batch_size=batch_size, seed=seed, repeat=True)
    steps = steps_per_epoch or max(1, len(train_records) // batch_size)
    train = clip_dataset(
        train_records, index.num_classes, config, input_context=input_context, start_batch=start_epoch * steps
    )
    validation, validation_steps = None, None
    if validate:
        # Repeated, and read `validation_steps` batches (one pass) per epoch.
        validation = evaluation_dataset(options, index, batch_size, repeat=True)
        validation_steps = evaluation_steps(index, options.eval_split, batch_size)
    return index, train, validation, steps, validation_steps


def evaluation_dataset(options, index, batch_size, views=(1, 1), repeat=False, view_protocol="dvfl-tf"):
    config = options.clip_config(
        index, training=False, batch_size=batch_size, views=views, repeat=repeat, view_protocol=view_protocol
    )
    return clip_dataset(index.records(options.eval_split), index.num_classes, config)


def evaluation_steps(index, split, batch_size):
    return math.ceil(len(index.records(split)) / batch_size)
