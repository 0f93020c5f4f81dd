"""The `tf.data` input pipeline: video files (or the frame cache) to batches of clips.

Per video, a NumPy function decodes only the frames the sampler picks, then
crops/augments them; it runs in parallel threads (OpenCV releases the GIL).
Randomness is a pure function of (seed, epoch salt, video index), so an epoch
is reproducible whatever the thread timing, and the raw-video and cache paths
produce the same clips. A video that fails to decode is reported once by path
and filtered out: training never dies on a broken file.

`clip_dataset(records, num_classes, ClipDatasetConfig(...))` builds it; the
steps of one pass are the small functions below (`_one_pass` strings them).
"""

import functools
import sys
import threading

import numpy as np
import tensorflow as tf

from dvfl_tf.data.augment import augment_clip, draw_clip_params, mix_batch
from dvfl_tf.data.cache import FrameCache
from dvfl_tf.data.clip_config import ClipDatasetConfig
from dvfl_tf.data.clip_views import official_views_from_frames, views_from_frames
from dvfl_tf.data.frame_sampling import official_test_indices, sample_indices
from dvfl_tf.data.video_io import VideoDecodeError, read_frames

_skipped = {}
_skipped_lock = threading.Lock()


def skipped_videos():
    """{path: reason} of every video the pipelines of this process have skipped."""
    with _skipped_lock:
        return dict(_skipped)


def _report_skip(path, reason):
    with _skipped_lock:
        first = path not in _skipped
        _skipped[path] = reason
    if first:
        print(f"dvfl-tf data: skipping unusable video {path}: {reason}", file=sys.stderr, flush=True)


def report_skipped(file=None):
    """Print a summary of skipped videos (one line per video); returns their count."""
    file = file or sys.stderr
    skipped = skipped_videos()
    if skipped:
        print(f"dvfl-tf data: {len(skipped)} unusable video(s) skipped:", file=file)
        for path, reason in sorted(skipped.items()):
            print(f"  {path}: {reason}", file=file)
    return len(skipped)


class ClipLoader:
    """Turns (video index, epoch salt) into one clip; pure NumPy/OpenCV (TensorFlow only calls it)."""

    def __init__(self, records, config):
        self.paths = [str(record.path) for record in records]
        self.labels = np.array([int(record.label) for record in records], np.int32)
        self.config = config
        self.augment = config.augment_config()
        self._epoch_skips = {}  # epoch salt -> paths skipped in that pass
        self._lock = threading.Lock()
        self.cache = FrameCache(config.cache_dir) if config.cache_dir is not None else None

    @property
    def clip_shape(self):
        return self.config.clip_shape

    def rng(self, index, salt):
        return np.random.default_rng([int(self.config.seed), int(salt) % (1 << 63), int(index)])

    def _skip(self, salt, path, reason):
        _report_skip(path, reason)
        with self._lock:
            self._epoch_skips.setdefault(int(salt), set()).add(path)

    def end_of_pass(self, salt):
        """Print how many videos this pass skipped (called after its last video)."""
        with self._lock:
            skipped = self._epoch_skips.pop(int(salt), set())
        if skipped:
            message = (
                f"dvfl-tf data: {len(skipped)} of {len(self.paths)} videos skipped in this pass "
                f"(unusable files, reported above): " + ", ".join(sorted(skipped))
            )
            print(message, file=sys.stderr, flush=True)
        return len(skipped)

    def keep(self, index, ok, salt):
        """Whether a loaded element stays; the end-of-pass marker (index -1) prints the pass summary."""
        if index < 0:
            self.end_of_pass(salt)
        return np.bool_(ok)

    def frame_indices(self, num_video_frames, rng):
        """The frames to decode: one clip when training, C clips back to back when evaluating."""
        config = self.config
        if config.training:
            return sample_indices(
                num_video_frames, config.num_frames, True, rng, config.sampling, config.frame_interval
            )
        num_clips = config.views[0]
        if config.view_protocol == "official":
            return official_test_indices(num_video_frames, config.num_frames, num_clips, config.frame_interval, rng)
        return np.concatenate(
            [
                sample_indices(
                    num_video_frames,
                    config.num_frames,
                    False,
                    None,
                    config.sampling,
                    config.frame_interval,
                    view,
                    num_clips,
                )
                for view in range(num_clips)
            ]
        )

    def load(self, index, salt=0):
        """(clip float32, label int32, ok bool) for video `index`; ok=False when it cannot be decoded.

        Index -1 is the end-of-pass marker: no video, ok=False.
        """
        index = int(index)
        if index < 0:
            return np.zeros(self.clip_shape, np.float32), np.int32(0), False
        path = self.paths[index]
        rng = self.rng(index, salt)
        choose = functools.partial(self.frame_indices, rng=rng)
        config = self.config
        official = config.view_protocol == "official"
        try:
            if self.cache is not None and path in self.cache:
                frames, _, _ = self.cache.read_frames(path, choose, config.short_side)
            else:  # the official views resize the full-size frames themselves
                frames, _, _ = read_frames(path, choose, None if official else config.short_side)
        except VideoDecodeError as error:
            self._skip(salt, path, error.reason)
            return np.zeros(self.clip_shape, np.float32), self.labels[index], False
        except Exception as error:  # a decoder crash on a broken file must not end training
            self._skip(salt, path, f"{type(error).__name__}: {error}")
            return np.zeros(self.clip_shape, np.float32), self.labels[index], False
        if config.training:
            params = draw_clip_params(self.augment, frames.shape[1], frames.shape[2], rng)
            clip = augment_clip(frames, params, config.image_size)
        elif official:
            clip = official_views_from_frames(frames, config.num_frames, config.image_size, config.views)
        else:
            clip = views_from_frames(frames, config.num_frames, config.image_size, config.short_side, config.views)
        return clip.astype(np.float32), self.labels[index], True


def clip_dataset(records, num_classes, config, *, input_context=None, start_batch=0):
    """A `tf.data.Dataset` of `(clips, targets)` batches of `records` as `config` (a `ClipDatasetConfig`) says.

    clips: float32 (B, T, S, S, 3) RGB in [0, 255], or (B, C*K, T, S, S, 3) for
    evaluation `views=(C, K)`. targets: float32 (B, num_classes), one-hot, or
    soft with `mixup`.

    With `input_context` (from `tf.distribute.Strategy.distribute_datasets_from_function`)
    each input pipeline reads its own shard of the videos and batches per replica
    (`config.batch_size` is the global batch).

    Each pass over a non-repeating dataset is a new epoch (new order and
    augmentation), and the sequence of epochs is fixed by `config.seed`.

    `start_batch` (training): the stream starts at that batch, as if that many
    had been read, without decoding them (a resumed run reads the batches the
    uninterrupted run would have read next).
    """
    if not isinstance(config, ClipDatasetConfig):
        raise TypeError(f"config must be a ClipDatasetConfig. Received: config={config!r}")
    records = list(records)
    if not records:
        raise ValueError("clip_dataset needs at least one video record. Received: records=[]")
    if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer. Received: num_classes={num_classes!r}")
    if not isinstance(start_batch, (int, np.integer)) or start_batch < 0:
        raise ValueError(f"start_batch must be a non-negative integer. Received: start_batch={start_batch!r}")
    indices, batch_size = _shard(len(records), config.batch_size, input_context)
    one_pass = functools.partial(
        _one_pass,
        loader=ClipLoader(records, config),
        indices=tf.constant(indices),
        num_classes=int(num_classes),
        batch_size=batch_size,
        mixup=config.mixup_config(),
    )
    per_pass = len(indices) // batch_size if config.drops_remainder else -(-len(indices) // batch_size)
    passes_done, first_batch = divmod(int(start_batch), max(per_pass, 1)) if config.training else (0, 0)
    salts = _epoch_salts(config).skip(passes_done)
    # The first pass read starts at `first_batch` of its pass; the others whole.
    ds = salts.enumerate().flat_map(
        lambda number, salt: one_pass(salt, first_batch=tf.where(number == 0, first_batch, 0))
    )
    ds = ds.with_options(_pipeline_options(input_context))
    return ds.prefetch(config.prefetch or tf.data.AUTOTUNE)


def _shard(num_records, global_batch_size, input_context):
    """(video indices, batch size) of this input pipeline: all videos and the global batch without a context."""
    indices = np.arange(num_records, dtype=np.int64)
    if input_context is None:
        return indices, global_batch_size
    indices = indices[input_context.input_pipeline_id :: input_context.num_input_pipelines]
    if len(indices) == 0:
        raise ValueError(
            f"Input pipeline {input_context.input_pipeline_id} has no videos: "
            f"{num_records} videos over {input_context.num_input_pipelines} pipelines"
        )
    return indices, input_context.get_per_replica_batch_size(global_batch_size)


def _epoch_salts(config):
    """One int64 salt per pass: random (fixed by the seed) per training pass, 0 for evaluation."""
    if config.training:
        salts = tf.data.Dataset.random(seed=config.seed, rerandomize_each_iteration=True)
        return salts if config.repeat else salts.take(1)
    salts = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64))
    return salts.repeat() if config.repeat else salts


def _pipeline_options(input_context):
    options = tf.data.Options()
    options.deterministic = True
    if input_context is not None:
        # We shard by file ourselves; stop tf.distribute from sharding again.
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    return options


def _one_pass(salt, *, loader, indices, num_classes, batch_size, mixup, first_batch=0):
    """The batches of one pass over the videos, in the (shuffled) order of that pass, from `first_batch` on."""
    config = loader.config
    order = indices
    if config.shuffles:
        order = tf.random.experimental.stateless_shuffle(
            order, seed=tf.stack([tf.constant(config.seed, tf.int64), salt])
        )
    # -1 marks the end of the pass; the filter runs in order, so when it sees the
    # marker every video of the pass has been loaded and the summary is complete.
    first_batch = tf.cast(first_batch, tf.int64)
    order = order[first_batch * batch_size :]
    order = tf.concat([order, tf.constant([-1], tf.int64)], axis=0)
    ds = tf.data.Dataset.from_tensor_slices(order)
    ds = ds.map(
        functools.partial(_load_clip, loader=loader, salt=salt),
        num_parallel_calls=config.num_parallel_calls or tf.data.AUTOTUNE,
        deterministic=True,
    )
    ds = ds.filter(functools.partial(_keep_loaded, loader=loader, salt=salt))  # broken videos are dropped here
    ds = ds.map(functools.partial(_one_hot_targets, num_classes=num_classes))
    ds = ds.batch(batch_size, drop_remainder=config.drops_remainder)
    if mixup is not None:
        mix = functools.partial(_mix_numpy, seed=int(config.seed), mixup=mixup)
        ds = ds.enumerate(start=first_batch).map(functools.partial(_mix_batch, mix=mix, salt=salt))
    return ds


def _load_clip(index, *, loader, salt):
    """(index, clip, label, ok) of one video, decoded by `loader.load` in a NumPy function."""
    clip, label, ok = tf.numpy_function(loader.load, [index, salt], [tf.float32, tf.int32, tf.bool], stateful=False)
    clip.set_shape(loader.clip_shape)
    label.set_shape(())
    ok.set_shape(())
    return index, clip, label, ok


def _keep_loaded(index, clip, label, ok, *, loader, salt):
    keep = tf.numpy_function(loader.keep, [index, ok, salt], tf.bool, stateful=True)
    keep.set_shape(())
    return keep


def _one_hot_targets(index, clip, label, ok, *, num_classes):
    return clip, tf.one_hot(label, num_classes, dtype=tf.float32)


def _mix_numpy(clips, targets, batch_index, salt, *, seed, mixup):
    """Mixup/cutmix of one batch; its randomness is fixed by (seed, pass salt, batch index)."""
    rng = np.random.default_rng([seed, int(salt) % (1 << 63), 1 << 40, int(batch_index)])
    return mix_batch(clips, targets, mixup, rng)


def _mix_batch(batch_index, batch, *, mix, salt):
    clips, targets = batch
    mixed_clips, mixed_targets = tf.numpy_function(
        mix, [clips, targets, batch_index, salt], [tf.float32, tf.float32], stateful=False
    )
    mixed_clips.set_shape(clips.shape)
    mixed_targets.set_shape(targets.shape)
    return mixed_clips, mixed_targets
