"""The datasets of a run, built with `dvfl_tf.data`."""

import dataclasses
import math
import sys

from dvfl_tf.data.check import check_data, summary_lines
from dvfl_tf.data.clip_config import ClipDatasetConfig
from dvfl_tf.data.datasets import DatasetError, load_index
from dvfl_tf.data.pipeline import clip_dataset
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import short_side_for


@dataclasses.dataclass
class DataOptions:
    dataset: str = "synthetic"
    data_root: str = None
    split: int = None
    split_dir: str = None
    num_frames: int = None  # None: the model's
    image_size: int = None
    augment: object = True  # True (official recipe), False, or a dict of dvfl_tf.data.AugmentConfig fields
    mixup: bool = False
    train_split: str = "train"
    eval_split: str = "test"
    short_side: int = None  # None: the model's resize-then-crop rule (256 for 224; short_side_for)
    sampling: str = "segment"  # "segment", "dense" or "official" (dvfl_tf.data.ClipDatasetConfig)
    frame_interval: int = 4
    # The layout options of the dataset's registry entry (`dvfl_tf.data.datasets.LAYOUT_OPTIONS`: for "list",
    # `lists` {split: file}, `class_names_file`, `label_offset`; for "kinetics400", `annotations`), and `name`
    # (the index's name, e.g. the official DATA.DATASET of a list): further `load_index` arguments.
    index_options: dict = None
    synthetic_options: dict = None  # size options of the synthetic dataset (dvfl_tf.data.ensure_synthetic)
    # Train although a class has no usable training video (not part of the run's configuration).
    allow_empty_classes: bool = False

    def resolved_short_side(self):
        return self.short_side or short_side_for(self.image_size)

    def clip_config(self, index, **settings):
        """The `ClipDatasetConfig` of these options for `index`; `settings`: training, batch_size, seed, views, ...

        Augmentation and mixup apply when training only (`ClipDatasetConfig` resolves them).
        """
        return ClipDatasetConfig(
            num_frames=self.num_frames,
            image_size=self.image_size,
            short_side=self.resolved_short_side(),
            augment=self.augment if settings.get("training") else None,
            mixup=self.mixup or None,
            sampling=self.sampling,
            frame_interval=self.frame_interval,
            dataset_name=index.name,  # the index knows a make-synthetic tree read as hmdb51
            **settings,
        )

    def to_dict(self):
        data = dataclasses.asdict(self)
        data.pop("allow_empty_classes")
        # Recorded when they act, so that the config.json of a run started before these fields existed still
        # matches (segment sampling has no interval).
        if data["sampling"] == "segment" and data["frame_interval"] == 4:
            data.pop("sampling")
            data.pop("frame_interval")
        if data["index_options"] is None:
            data.pop("index_options")
        return data


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
