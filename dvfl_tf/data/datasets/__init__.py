"""Parsers for the benchmark datasets in their official layouts and split formats.

Each layout's loader turns a dataset folder into a `DatasetIndex`
(`dataset_index`); `registry` holds one `DatasetLayout` entry per `--dataset`
name and `load_index`. Nothing here decodes video; `check_data` does that.
"""

from dvfl_tf.data.datasets.dataset_index import DatasetError, DatasetIndex, VideoRecord
from dvfl_tf.data.datasets.registry import (
    DATASET_LAYOUTS,
    DATASETS,
    LAYOUT_OPTIONS,
    DatasetLayout,
    load_index,
)

__all__ = [
    "DATASETS",
    "DATASET_LAYOUTS",
    "LAYOUT_OPTIONS",
    "DatasetError",
    "DatasetIndex",
    "DatasetLayout",
    "VideoRecord",
    "load_index",
]
