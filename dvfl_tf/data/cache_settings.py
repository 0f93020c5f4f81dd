"""The settings of a frame cache (`dvfl_tf.data.cache.prepare_cache`) and their allowed values, TensorFlow-free
so that `dvfl-tf prepare` takes its option types from them without importing TensorFlow."""

from dvfl_tf.core.checks import Range, at_least

IMAGE_FORMATS = ("jpeg", "png")
CACHE_DEFAULTS = {"short_side": 256, "image_format": "jpeg", "quality": 90, "videos_per_shard": 64, "workers": 2}
# Parallel decoding threads (check-data too).
WORKERS = at_least(1)
CACHE_RANGES = {
    "short_side": at_least(1),
    "quality": Range(min=0, max=100, integer=True),  # JPEG quality
    "videos_per_shard": at_least(1),
    "workers": WORKERS,
}
