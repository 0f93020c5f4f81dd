"""From a video file or camera frames to the model's input clip, with NumPy and OpenCV only.

Same steps as evaluation: uniform segment sampling of `num_frames` frames,
short side resized, centre crop. The decoding, sampling and cropping are the
data package's TF-free `dvfl_tf.data.video_io`, so edge and evaluation agree.
"""

import numpy as np

from dvfl_tf.data.video_io import center_crop_clip, read_video, segment_indices

# Evaluation resizes the short side to 256 for 224 crops (the official recipe);
# other crop sizes keep the same ratio.
SHORT_SIDE_RATIO = 256 / 224


def short_side_for(image_size):
    return int(round(image_size * SHORT_SIDE_RATIO))


def clip_from_frames(frames, num_frames, image_size):
    """Evaluation clip float32 (num_frames, S, S, 3) from uint8 RGB frames (N, H, W, 3)."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"frames must be a non-empty (N, H, W, 3) RGB array. Received: shape={frames.shape}")
    indices = np.asarray(segment_indices(len(frames), num_frames, training=False))
    return center_crop_clip(frames[indices], image_size, short_side=short_side_for(image_size))


def clip_from_video(path, num_frames, image_size):
    """Evaluation clip of the video file at `path` (raises `VideoDecodeError` for unusable files)."""
    frames = read_video(path, short_side=short_side_for(image_size))
    return clip_from_frames(frames, num_frames, image_size)


def softmax(logits):
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def top_k(probabilities, class_names, k=5):
    """[(label, probability)] of the `k` most probable classes, best first."""
    probabilities = np.asarray(probabilities).reshape(-1)
    order = np.argsort(-probabilities)[:k]
    return [(class_names[i] if i < len(class_names) else str(i), float(probabilities[i])) for i in order]
