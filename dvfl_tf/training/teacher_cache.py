"""Offline teacher: teacher logits computed once per clip view, read by the Distiller instead of a forward pass.

Online distillation runs the 221-GMAC Video-FocalNet-B teacher on every
training batch. An offline cache pays that once: `cache_teacher_logits`
evaluates the teacher on `views` fixed (deterministic, un-augmented) views of
every training video and stores the logits; `offline_training_dataset` then
feeds the student those same views, each step one view drawn at random per
video, with `{"labels", "teacher_logits"}` targets.

Trade-off: the student only ever sees the cached views (no random crops,
colour jitter or mixup), so it gets less augmentation than online distillation,
where the teacher labels the student's own augmented clip. More views (e.g.
4x3) recover part of the diversity at a proportional cost in cache time.
"""

import dataclasses
import json
import zipfile

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from dvfl_tf.core.errors import UserError, first_line
from dvfl_tf.core.io_safety import atomic_path
from dvfl_tf.data.clip_config import ClipDatasetConfig
from dvfl_tf.data.data_options import DataOptions, evaluation_dataset, load_dataset_index
from dvfl_tf.data.datasets import VideoRecord
from dvfl_tf.data.pipeline import clip_dataset, skipped_videos
from dvfl_tf.models.clip_geometry import clip_geometry
from dvfl_tf.models.model_loading import load_keras_model

CACHE_FORMAT = 1


def cache_teacher_logits(teacher, data_options, output_path, views=(2, 3), batch_size=8):
    """Writes `output_path` (.npz): logits (N, views, C) of `teacher` (a model or .keras path) on the train split."""
    if isinstance(teacher, str):
        teacher = load_keras_model(teacher)
    geometry = clip_geometry(teacher)
    data_options.num_frames = data_options.num_frames or geometry.num_frames
    data_options.image_size = data_options.image_size or geometry.height
    index = load_dataset_index(data_options, required_split=data_options.train_split)
    options = _split_as_eval(data_options)
    records = index.records(options.eval_split)
    dataset = evaluation_dataset(options, index, batch_size, views=tuple(views))
    logits, labels = [], []
    steps = -(-len(records) // batch_size)
    for clips, targets in tqdm(dataset, total=steps, desc="teacher logits", unit="batch", disable=None):
        clips = np.asarray(clips)
        if clips.ndim == 5:  # views 1x1: one clip per video, without a views axis
            clips = clips[:, None]
        batch, count = clips.shape[:2]
        out = np.asarray(teacher.predict_on_batch(clips.reshape((batch * count,) + clips.shape[2:])))
        logits.append(out.reshape(batch, count, -1).astype("float32"))
        labels.append(np.argmax(np.asarray(targets), axis=-1))
    skipped = set(skipped_videos())
    kept = [record.path for record in records if record.path not in skipped]
    logits, labels = np.concatenate(logits), np.concatenate(labels)
    if len(kept) != len(logits):
        raise RuntimeError(f"{len(logits)} videos decoded but {len(kept)} expected; cannot align the cache.")
    meta = {
        "format": CACHE_FORMAT,
        "views": list(views),
        "data": data_options.to_dict(),
        "paths": kept,
        "class_names": index.class_names,
    }
    with atomic_path(output_path) as temporary, open(temporary, "wb") as f:  # a file object: no ".npz" appended
        np.savez(f, logits=logits, labels=labels, meta=json.dumps(meta))
    return output_path


def _split_as_eval(data_options):
    # The cached views are read with the evaluation (deterministic) pipeline from the training split.
    return dataclasses.replace(data_options, eval_split=data_options.train_split)


class TeacherCacheError(UserError, ValueError):
    """A file given as a teacher-logit cache that is not one (or is damaged)."""


def load_cache(path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            if meta.get("format") != CACHE_FORMAT:
                raise TeacherCacheError(f"{path}: not a teacher-logit cache of format {CACHE_FORMAT}")
            return archive["logits"], archive["labels"], meta
    except TeacherCacheError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise TeacherCacheError(
            f"{path}: not a teacher-logit cache (write one with dvfl-tf cache-teacher; {first_line(error)})"
        ) from error


def cache_class_names(cache_path):
    """The class names of the dataset the teacher logits were cached on (the student keeps them)."""
    return list(load_cache(cache_path)[2]["class_names"])


def offline_training_dataset(cache_path, batch_size, seed=0):
    """(repeated dataset of (clip, {"labels", "teacher_logits"}) batches, num_classes, videos, data options)."""
    logits, labels, meta = load_cache(cache_path)
    options = DataOptions(**meta["data"])
    num_classes = len(meta["class_names"])
    records = [VideoRecord(path, int(label)) for path, label in zip(meta["paths"], labels, strict=True)]
    config = ClipDatasetConfig(
        num_frames=options.num_frames,
        image_size=options.image_size,
        training=False,
        batch_size=1,
        views=tuple(meta["views"]),
        repeat=True,
        short_side=options.resolved_short_side(),
        dataset_name=options.dataset,
    )
    clips = clip_dataset(records, num_classes, config)
    cached = tf.data.Dataset.from_tensor_slices((logits, labels.astype("int64"))).repeat()

    def pick_view(step, video_and_cache):
        (views, targets), (view_logits, label) = video_and_cache
        views, targets = views[0], targets[0]
        if views.shape.rank == 4:  # views 1x1: one clip per video, without a views axis
            views = views[None]
        # Guards the alignment of videos and cached logits.
        tf.debugging.assert_equal(tf.argmax(targets, output_type=tf.int64), label, "teacher cache out of step")
        choice = tf.random.stateless_uniform((), [seed, step], 0, tf.shape(views)[0], dtype=tf.int32)
        return views[choice], {"labels": targets, "teacher_logits": view_logits[choice]}

    dataset = tf.data.Dataset.zip(clips, cached).enumerate().map(pick_view)
    dataset = dataset.shuffle(64, seed=seed).batch(batch_size, drop_remainder=True).prefetch(2)
    return dataset, num_classes, len(records), options
