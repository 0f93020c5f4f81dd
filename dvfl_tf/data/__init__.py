"""Video data: dataset parsers, decoding, sampling, augmentation and the tf.data pipeline.

Importing this package is light (its names load on first use). TensorFlow is
imported only with `dvfl_tf.data.pipeline` (`clip_dataset`, `ClipLoader`,
`skipped_videos`) and `dvfl_tf.data.cache` (`prepare_cache`, `FrameCache`);
`ClipDatasetConfig`, `check_data` and the dataset parsers are TensorFlow-free. `dvfl_tf.data.video_io`, `frame_sampling` and `clip_views` never import it
(the edge runtime reuses them without TensorFlow).
"""

from dvfl_tf.core.lazy import lazy_getattr

_LAZY_EXPORTS = {
    "VideoRecord": "dvfl_tf.data.datasets",
    "DatasetIndex": "dvfl_tf.data.datasets",
    "DatasetError": "dvfl_tf.data.datasets",
    "DATASETS": "dvfl_tf.data.datasets",
    "DATASET_LAYOUTS": "dvfl_tf.data.datasets",
    "DatasetLayout": "dvfl_tf.data.datasets",
    "load_index": "dvfl_tf.data.datasets",
    "ensure_synthetic": "dvfl_tf.data.synthetic",
    "make_synthetic": "dvfl_tf.data.synthetic",
    "clip_dataset": "dvfl_tf.data.pipeline",
    "ClipDatasetConfig": "dvfl_tf.data.clip_config",
    "ClipLoader": "dvfl_tf.data.pipeline",
    "skipped_videos": "dvfl_tf.data.pipeline",
    "report_skipped": "dvfl_tf.data.pipeline",
    "AugmentConfig": "dvfl_tf.data.augment",
    "MixupConfig": "dvfl_tf.data.augment",
    "check_data": "dvfl_tf.data.check",
    "prepare_cache": "dvfl_tf.data.cache",
    "FrameCache": "dvfl_tf.data.cache",
    "VideoDecodeError": "dvfl_tf.data.video_io",
    "read_video": "dvfl_tf.data.video_io",
    "read_frames": "dvfl_tf.data.video_io",
    "segment_indices": "dvfl_tf.data.frame_sampling",
    "dense_indices": "dvfl_tf.data.frame_sampling",
    "center_crop_clip": "dvfl_tf.data.clip_views",
    "three_crop_views": "dvfl_tf.data.clip_views",
    "video_to_clip": "dvfl_tf.data.video_io",
}


__getattr__ = lazy_getattr(__name__, _LAZY_EXPORTS)

__all__ = sorted(_LAZY_EXPORTS)
