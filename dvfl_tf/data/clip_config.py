"""The clip settings: `DataOptions` (the datasets of a run, as the commands take them) and `ClipDatasetConfig`
(everything `clip_dataset` needs besides the videos and the class count).

Both are validated when built (one "... Received: name=value" line per bad value), so that a wrong option
fails where it is written and not deep inside a `tf.data` trace; `DataOptions.RANGES` and `.CHOICES` also
give the commands' dataset and clip options their types. `get_config` / `from_config` round-trip a
`ClipDatasetConfig` through JSON-friendly dicts (run configurations, logs). TensorFlow-free.
"""

import dataclasses
from typing import ClassVar

import numpy as np

from dvfl_tf.core.checks import at_least, check_choice, check_ranges
from dvfl_tf.data.augment import AugmentConfig, MixupConfig
from dvfl_tf.data.datasets.registry import DATASETS
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import short_side_for

SAMPLINGS = ("segment", "dense", "official")
# `view_protocol` values: this package's deterministic evaluation views, or the official code's test views.
VIEW_PROTOCOLS = ("dvfl-tf", "official")


def _is_positive_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


# Every view of a video is decoded and held at once (C clips x K crops of T frames); 10x3 is the largest
# protocol in the literature (SlowFast, X3D), 4x3 the official one.
MAX_VIEW_CLIPS = 10


@dataclasses.dataclass(frozen=True)
class ClipDatasetConfig:
    """How videos become batches of clips.

    Clip geometry: `num_frames` frames of `image_size` x `image_size` pixels,
    decoded at `short_side` (None: full size) and sampled by `sampling`
    ("segment": one frame per segment, TSN style; "dense": every
    `frame_interval`-th frame; "official": the official pipeline's mmaction
    `SampleFrames(clip_len=1, frame_interval)`, one view).

    `training`: random sampling and augmentation, shuffled, one salt per pass;
    otherwise centred, deterministic clips. `views=(C, K)` (evaluation only):
    C temporal clips x K in {1, 3} spatial crops per video. `view_protocol`
    "official" (evaluation only) takes the official code's test views instead
    (`video_io.official_test_indices` and `official_views_from_frames`: its
    frame choice, with `frame_interval` as AUG.FRAME_INTERVAL and, for C > 1,
    random frames drawn from `seed`; its resize and crops; `short_side` unused).

    `augment`: None = the official recipe when training and none when
    evaluating; True/False; a dict of `AugmentConfig` fields or an
    `AugmentConfig`. Flipping follows the registry entry of `dataset_name`
    (off for "ssv2" / "synthetic": `dvfl_tf.data.datasets.registry`).
    `mixup` (training only): None/False, True, a dict or a `MixupConfig`.

    `batch_size` is the global batch. `seed` fixes order and augmentation of
    every pass. `cache_dir`: a frame cache (`dvfl-tf prepare-cache`) read
    instead of the videos it holds. `repeat`, `shuffle`, `drop_remainder`
    (None: as `training`), `num_parallel_calls` and `prefetch` (None: AUTOTUNE)
    shape the `tf.data` pipeline.
    """

    training: bool
    batch_size: int
    num_frames: int = 8
    image_size: int = 224
    short_side: int = 256
    sampling: str = "segment"
    frame_interval: int = 4
    views: tuple = (1, 1)
    view_protocol: str = "dvfl-tf"
    seed: int = 0
    augment: object = None
    mixup: object = None
    dataset_name: str = None
    cache_dir: str = None
    repeat: bool = False
    shuffle: bool = None
    drop_remainder: bool = None
    num_parallel_calls: int = None
    prefetch: int = None

    def __post_init__(self):
        object.__setattr__(self, "views", tuple(self.views))
        self._check_geometry()
        self._check_views()
        if not _is_positive_int(self.batch_size):
            raise ValueError(f"batch_size must be >= 1. Received: batch_size={self.batch_size!r}")
        if not isinstance(self.seed, (int, np.integer)) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an integer. Received: seed={self.seed!r}")
        self.augment_config()  # raises on unknown augmentation options
        if self.training:
            MixupConfig.resolve(self.mixup)
        for name in ("num_parallel_calls", "prefetch"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, np.integer)) and (value >= 1 or value == -1)):
                raise ValueError(f"{name} must be None, -1 (AUTOTUNE) or >= 1. Received: {name}={value!r}")

    def _check_geometry(self):
        for name in ("num_frames", "image_size", "frame_interval"):
            value = getattr(self, name)
            if not _is_positive_int(value):
                raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
        if self.short_side is not None and (not _is_positive_int(self.short_side) or self.short_side < self.image_size):
            raise ValueError(
                f"short_side must be >= image_size ({self.image_size}) or None. Received: short_side={self.short_side!r}"
            )
        if self.sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be 'segment', 'dense' or 'official'. Received: sampling={self.sampling!r}")

    def _check_views(self):
        views = self.views
        if len(views) != 2 or not _is_positive_int(views[0]) or views[1] not in (1, 3):
            raise ValueError(f"views must be (clips >= 1, crops in {{1, 3}}). Received: views={views}")
        if views[0] > MAX_VIEW_CLIPS:
            raise ValueError(
                f"views must have at most {MAX_VIEW_CLIPS} clips (every view of a video is held in memory at once). "
                f"Received: views={views}"
            )
        if self.sampling == "official" and views[0] != 1:
            raise ValueError(
                f"sampling='official' takes one clip per video; several clips are sampled with 'segment' or "
                f"'dense'. Received: sampling='official', views={views}"
            )
        if self.training and views != (1, 1):
            raise ValueError(f"Multi-view clips are an evaluation protocol. Received: training=True, views={views}")
        if self.view_protocol not in VIEW_PROTOCOLS:
            raise ValueError(
                f"view_protocol must be one of {VIEW_PROTOCOLS}. Received: view_protocol={self.view_protocol!r}"
            )
        if self.view_protocol == "official" and (self.training or self.cache_dir is not None):
            raise ValueError(
                "The official test views are an evaluation protocol on the videos themselves. "
                f"Received: view_protocol='official', training={self.training}, cache_dir={self.cache_dir!r}"
            )

    # -- resolved values ---------------------------------------------------

    def augment_config(self):
        """The `AugmentConfig` applied to each clip (the "none" config when evaluating by default)."""
        return AugmentConfig.resolve(self.augment, self.training, self.dataset_name)

    def mixup_config(self):
        """The `MixupConfig` applied to each training batch, or None."""
        return MixupConfig.resolve(self.mixup) if self.training else None

    @property
    def shuffles(self):
        return self.training if self.shuffle is None else bool(self.shuffle)

    @property
    def drops_remainder(self):
        return self.training if self.drop_remainder is None else bool(self.drop_remainder)

    @property
    def clip_shape(self):
        """Shape of one element's clip: (T, S, S, 3), or (C*K, T, S, S, 3) for multi-view evaluation."""
        clip = (self.num_frames, self.image_size, self.image_size, 3)
        return clip if self.views == (1, 1) else (self.views[0] * self.views[1],) + clip

    # -- serialization -----------------------------------------------------

    def get_config(self):
        """A dict of plain values; `from_config` of it builds the same batches.

        An `AugmentConfig` / `MixupConfig` becomes the dict of all its fields, which
        `AugmentConfig.resolve` / `MixupConfig.resolve` turn back into the same config.
        """
        config = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if dataclasses.is_dataclass(value):
                value = dataclasses.asdict(value)
            config[field.name] = list(value) if isinstance(value, tuple) else value
        return config

    @classmethod
    def from_config(cls, config):
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(f"Unknown ClipDatasetConfig options {unknown}. Received: config={config}")
        return cls(**config)

    def replace(self, **changes):
        """A copy with `changes` applied (validated again)."""
        return dataclasses.replace(self, **changes)


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

    RANGES: ClassVar[dict] = {
        "split": at_least(1),
        "num_frames": at_least(1),
        "image_size": at_least(1),
        "short_side": at_least(1),
        "frame_interval": at_least(1),
    }
    CHOICES: ClassVar[dict] = {"dataset": DATASETS, "sampling": SAMPLINGS}

    def __post_init__(self):
        check_ranges(self, self.RANGES)
        for name, choices in self.CHOICES.items():
            check_choice(name, getattr(self, name), choices)

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
