"""From a video file or camera frames to the model's input clip, with NumPy and OpenCV only.

Same steps as evaluation: uniform segment sampling of `num_frames` frames,
short side resized, centre crop. The decoding, sampling and cropping are the
data package's TF-free `video_io`, `frame_sampling` and `clip_views`, so edge and evaluation agree.
"""

import warnings

import numpy as np

from dvfl_tf.core.checks import at_least
from dvfl_tf.core.errors import OneLineWarning
from dvfl_tf.data.clip_views import center_crop_clip
from dvfl_tf.data.frame_sampling import segment_indices
from dvfl_tf.data.video_io import read_video

# The numbers are the model's (defined once, in a TF-free module of the models layer).
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import short_side_for

# How many classes a prediction lists (predict --top-k).
TOP_K = at_least(1)


def resize_size_from_metadata(metadata, image_size):
    """The short side before the crop: the model's own (its `preprocessing` metadata), else the 256/224 rule.

    Files exported before the preprocessing config was written carry none.
    """
    preprocessing = (metadata or {}).get("preprocessing") or {}
    resize_size = preprocessing.get("resize_size")
    return int(resize_size) if resize_size is not None else short_side_for(image_size)


def clip_from_frames(frames, num_frames, image_size, short_side=None):
    """Evaluation clip float32 (num_frames, S, S, 3) from uint8 RGB frames (N, H, W, 3).

    `short_side` (the resize before the centre crop) defaults to `short_side_for(image_size)`.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"frames must be a non-empty (N, H, W, 3) RGB array. Received: shape={frames.shape}")
    indices = np.asarray(segment_indices(len(frames), num_frames, training=False))
    short_side = short_side or short_side_for(image_size)
    return center_crop_clip(frames[indices], image_size, short_side=short_side)


class ShortVideoWarning(OneLineWarning):
    """A video (or an image) with fewer frames than a clip: classified, with frames repeated."""


def clip_from_video(path, num_frames, image_size, short_side=None):
    """Evaluation clip of the video file at `path` (raises `VideoDecodeError` for unusable files)."""
    short_side = short_side or short_side_for(image_size)
    frames = read_video(path, short_side=short_side)
    if len(frames) < num_frames:
        warnings.warn(
            f"{path}: {len(frames)} frame(s), fewer than the {num_frames} of the model's clip; frames are repeated "
            "to fill it, so the prediction sees less motion than the model was trained on.",
            ShortVideoWarning,
            stacklevel=2,
        )
    return clip_from_frames(frames, num_frames, image_size, short_side)


def softmax(logits, dtype=np.float32):
    """Probabilities over the last axis, computed in float64 (shifted by the maximum), returned as `dtype`."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(dtype)


def top_k(probabilities, class_names, k=5):
    """[(label, probability)] of the `k` most probable classes, best first."""
    TOP_K.check("k", k)
    probabilities = np.asarray(probabilities).reshape(-1)
    order = np.argsort(-probabilities)[:k]
    return [(class_names[i] if i < len(class_names) else str(i), float(probabilities[i])) for i in order]
