"""The `tf.data` input pipeline: video files (or the frame cache) to batches of clips.

Per video, a NumPy function decodes only the frames the sampler picks, then
crops/augments them; it runs in parallel threads (OpenCV releases the GIL).
Randomness is a pure function of (seed, epoch salt, video index), so an epoch
is reproducible whatever the thread timing, and the raw-video and cache paths
produce the same clips. A video that fails to decode is reported once by path
and filtered out: training never dies on a broken file.
"""

import sys
import threading

import numpy as np

from dvfl_tf.data.augment import AugmentConfig, MixupConfig, augment_clip, draw_clip_params, mix_batch
from dvfl_tf.data.video_io import VideoDecodeError, read_frames, sample_indices, views_from_frames

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
    """Turns (video index, epoch salt) into one clip; pure NumPy/OpenCV, usable without TF."""

    def __init__(self, records, *, num_frames, image_size, training, seed, augment, views, short_side,
                 cache_dir=None, dataset_name=None, sampling="segment", frame_interval=4):
        self.paths = [str(record.path) for record in records]
        self.labels = np.array([int(record.label) for record in records], np.int32)
        self.num_frames = num_frames
        self.image_size = image_size
        self.training = training
        self.seed = int(seed)
        self.augment = AugmentConfig.resolve(augment, training, dataset_name)
        self.views = tuple(views)
        self.short_side = short_side
        self.sampling = sampling
        self.frame_interval = frame_interval
        self._epoch_skips = {}  # epoch salt -> paths skipped in that pass
        self._lock = threading.Lock()
        self.cache = None
        if cache_dir is not None:
            from dvfl_tf.data.cache import FrameCache

            self.cache = FrameCache(cache_dir)

    @property
    def clip_shape(self):
        clip = (self.num_frames, self.image_size, self.image_size, 3)
        return clip if self.views == (1, 1) else (self.views[0] * self.views[1],) + clip

    def rng(self, index, salt):
        return np.random.default_rng([self.seed, int(salt) % (1 << 63), int(index)])

    def _skip(self, salt, path, reason):
        _report_skip(path, reason)
        with self._lock:
            self._epoch_skips.setdefault(int(salt), set()).add(path)

    def end_of_pass(self, salt):
        """Print how many videos this pass skipped (called after its last video)."""
        with self._lock:
            skipped = self._epoch_skips.pop(int(salt), set())
        if skipped:
            message = (f"dvfl-tf data: {len(skipped)} of {len(self.paths)} videos skipped in this pass "
                       f"(unusable files, reported above): " + ", ".join(sorted(skipped)))
            print(message, file=sys.stderr, flush=True)
        return len(skipped)

    def load(self, index, salt=0):
        """(clip float32, label int32, ok bool) for video `index`; ok=False when it cannot be decoded.

        Index -1 is the end-of-pass marker: no video, ok=False.
        """
        index = int(index)
        if index < 0:
            return np.zeros(self.clip_shape, np.float32), np.int32(0), False
        path = self.paths[index]
        rng = self.rng(index, salt)
        num_clips = self.views[0]

        def choose(num_video_frames):
            if self.training:
                return sample_indices(num_video_frames, self.num_frames, True, rng, self.sampling,
                                      self.frame_interval)
            return np.concatenate([
                sample_indices(num_video_frames, self.num_frames, False, None, self.sampling, self.frame_interval,
                               view, num_clips)
                for view in range(num_clips)
            ])

        try:
            if self.cache is not None and path in self.cache:
                frames, _, _ = self.cache.read_frames(path, choose, self.short_side)
            else:
                frames, _, _ = read_frames(path, choose, self.short_side)
        except VideoDecodeError as error:
            self._skip(salt, path, error.reason)
            return np.zeros(self.clip_shape, np.float32), self.labels[index], False
        except Exception as error:  # a decoder crash on a broken file must not end training
            self._skip(salt, path, f"{type(error).__name__}: {error}")
            return np.zeros(self.clip_shape, np.float32), self.labels[index], False
        if self.training:
            params = draw_clip_params(self.augment, frames.shape[1], frames.shape[2], rng)
            clip = augment_clip(frames, params, self.image_size)
        else:
            clip = views_from_frames(frames, self.num_frames, self.image_size, self.short_side, self.views)
        return clip.astype(np.float32), self.labels[index], True


def clip_dataset(records, num_classes, *, num_frames=8, image_size=224, training, batch_size, seed=0, augment=None,
                 mixup=None, views=(1, 1), short_side=256, cache_dir=None, input_context=None, repeat=False,
                 drop_remainder=None, dataset_name=None, sampling="segment", frame_interval=4, shuffle=None,
                 num_parallel_calls=None, prefetch=None):
    """A `tf.data.Dataset` of `(clips, targets)` batches.

    clips: float32 (B, T, S, S, 3) RGB in [0, 255], or (B, C*K, T, S, S, 3) for
    evaluation `views=(C, K)` (C temporal clips x K in {1, 3} spatial crops).
    targets: float32 (B, num_classes), one-hot, or soft with `mixup` (True, a
    dict, or a `MixupConfig`: mixup/cutmix + label smoothing).

    `augment`: None = the official recipe when training and none when
    evaluating; True/False; a dict of `AugmentConfig` fields to change. Flip is
    off for `dataset_name="ssv2"`.

    `batch_size` is the global batch; with `input_context` (from
    `tf.distribute.Strategy.distribute_datasets_from_function`) each input
    pipeline reads its own shard of the videos and batches per replica.

    Each pass over a non-repeating dataset is a new epoch (new order and
    augmentation), and the sequence of epochs is fixed by `seed`.
    """
    import tensorflow as tf

    records = list(records)
    if not records:
        raise ValueError("clip_dataset needs at least one video record. Received: records=[]")
    views = tuple(views)
    if len(views) != 2 or views[0] < 1 or views[1] not in (1, 3):
        raise ValueError(f"views must be (clips >= 1, crops in {{1, 3}}). Received: views={views}")
    if training and views != (1, 1):
        raise ValueError(f"Multi-view clips are an evaluation protocol. Received: training=True, views={views}")
    if batch_size is None or batch_size < 1:
        raise ValueError(f"batch_size must be >= 1. Received: batch_size={batch_size}")
    for name, value in (("num_frames", num_frames), ("image_size", image_size), ("num_classes", num_classes)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer. Received: {name}={value!r}")
    if short_side is not None and short_side < image_size:
        raise ValueError(f"short_side must be >= image_size ({image_size}) or None. Received: short_side={short_side}")
    mixup_config = MixupConfig.resolve(mixup) if training else None
    shuffle = training if shuffle is None else shuffle
    drop_remainder = training if drop_remainder is None else drop_remainder
    num_parallel_calls = num_parallel_calls or tf.data.AUTOTUNE

    loader = ClipLoader(records, num_frames=num_frames, image_size=image_size, training=training, seed=seed,
                        augment=augment, views=views, short_side=short_side, cache_dir=cache_dir,
                        dataset_name=dataset_name, sampling=sampling, frame_interval=frame_interval)
    indices = np.arange(len(records), dtype=np.int64)
    per_replica_batch = batch_size
    if input_context is not None:
        indices = indices[input_context.input_pipeline_id :: input_context.num_input_pipelines]
        per_replica_batch = input_context.get_per_replica_batch_size(batch_size)
        if len(indices) == 0:
            raise ValueError(f"Input pipeline {input_context.input_pipeline_id} has no videos: "
                             f"{len(records)} videos over {input_context.num_input_pipelines} pipelines")
    clip_shape = loader.clip_shape

    def load(index, salt):
        clip, label, ok = tf.numpy_function(loader.load, [index, salt], [tf.float32, tf.int32, tf.bool],
                                            stateful=False)
        clip.set_shape(clip_shape)
        label.set_shape(())
        ok.set_shape(())
        return clip, label, ok

    def keep(index, ok, salt):
        def keep_numpy(index, ok, salt):
            if index < 0:
                loader.end_of_pass(salt)
            return np.bool_(ok)

        result = tf.numpy_function(keep_numpy, [index, ok, salt], tf.bool, stateful=True)
        result.set_shape(())
        return result

    def to_targets(clip, label, ok):
        return clip, tf.one_hot(label, num_classes, dtype=tf.float32)

    def mix(batch_index, batch, salt):
        clips, targets = batch

        def mix_numpy(clips, targets, batch_index, salt):
            rng = np.random.default_rng([int(seed), int(salt) % (1 << 63), 1 << 40, int(batch_index)])
            return mix_batch(clips, targets, mixup_config, rng)

        mixed_clips, mixed_targets = tf.numpy_function(mix_numpy, [clips, targets, batch_index, salt],
                                                       [tf.float32, tf.float32], stateful=False)
        mixed_clips.set_shape(clips.shape)
        mixed_targets.set_shape(targets.shape)
        return mixed_clips, mixed_targets

    index_tensor = tf.constant(indices)

    def epoch(salt):
        order = index_tensor
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(order, seed=tf.stack([tf.constant(seed, tf.int64), salt]))
        # -1 marks the end of the pass; the filter runs in order, so when it sees the
        # marker every video of the pass has been loaded and the summary is complete.
        order = tf.concat([order, tf.constant([-1], tf.int64)], axis=0)
        ds = tf.data.Dataset.from_tensor_slices(order)
        ds = ds.map(lambda index: (index,) + load(index, salt), num_parallel_calls=num_parallel_calls,
                    deterministic=True)
        ds = ds.filter(lambda index, clip, label, ok: keep(index, ok, salt))  # broken videos are dropped here
        ds = ds.map(lambda index, clip, label, ok: (clip, label, ok))
        ds = ds.map(to_targets)
        ds = ds.batch(per_replica_batch, drop_remainder=drop_remainder)
        if mixup_config is not None:
            ds = ds.enumerate().map(lambda i, batch: mix(i, batch, salt))
        return ds

    if training:
        # A new salt for each pass (or each repeat), deterministic given the seed.
        salts = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        if not repeat:
            salts = salts.take(1)
    else:
        salts = tf.data.Dataset.from_tensors(tf.constant(0, tf.int64))
        if repeat:
            salts = salts.repeat()
    ds = salts.flat_map(epoch)
    options = tf.data.Options()
    options.deterministic = True
    if input_context is not None:
        # We shard by file ourselves; stop tf.distribute from sharding again.
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.OFF
    ds = ds.with_options(options)
    return ds.prefetch(prefetch or tf.data.AUTOTUNE)
