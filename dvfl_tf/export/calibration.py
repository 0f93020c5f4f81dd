"""Representative clips for int8 calibration and for verifying exports.

Real clips come from video files through the evaluation preprocessing
(`dvfl_tf.runtime.preprocessing`, the same code the edge runtime uses).
Without a dataset, `synthetic_motion_clips` gives moving shapes over the full
[0, 255] range, so the int8 input scale covers every pixel value; the report
then says calibration was synthetic.
"""

import collections
import warnings

import numpy as np

from dvfl_tf.core.checks import at_least
from dvfl_tf.data.datasets import load_index
from dvfl_tf.data.video_io import VideoDecodeError
from dvfl_tf.runtime.preprocessing import clip_from_video


def synthetic_motion_clips(num_clips, num_frames, image_size, seed=0):
    """`num_clips` float32 clips (T, S, S, 3) in [0, 255]: textured backgrounds with moving, coloured boxes."""
    rng = np.random.default_rng(seed)
    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    clips = []
    for _ in range(num_clips):
        angle = rng.uniform(0, 2 * np.pi)
        background = 127.5 + 127.5 * np.sin((np.cos(angle) * xx + np.sin(angle) * yy) / rng.uniform(3, 12))
        background = background[..., None] * rng.uniform(0.3, 1.0, size=3)
        clip = np.empty((num_frames, height, width, 3), dtype=np.float32)
        box_h, box_w = int(rng.integers(height // 6, height // 2 + 1)), int(rng.integers(width // 6, width // 2 + 1))
        start = rng.uniform([0, 0], [height - box_h, width - box_w])
        velocity = rng.uniform(-1, 1, size=2) * np.array([height, width]) / (2 * num_frames)
        colour = rng.choice([0.0, 255.0], size=3)
        for t in range(num_frames):
            frame = background.copy()
            top, left = np.clip(start + velocity * t, 0, [height - box_h, width - box_w]).astype(int)
            frame[top : top + box_h, left : left + box_w] = colour
            frame += rng.normal(0, 8, size=frame.shape)
            clip[t] = frame
        clips.append(np.clip(clip, 0, 255))
    # Make sure the calibrated input range is the full [0, 255] whatever the draws were.
    clips[0][0, 0, 0] = 0.0
    clips[0][0, 0, 1] = 255.0
    return clips


def dataset_split(dataset, data_root, split_name, split=None):
    """(records, class_names) of one split of a dataset known to `dvfl_tf.data` (hmdb51, folder, synthetic, ...)."""
    index = load_index(dataset, data_root, split=split)
    available = sorted(index.splits)
    name = split_name if split_name in index.splits else available[0]
    return [(record.path, record.label) for record in index.records(name)], list(index.class_names), name


def clips_from_videos(entries, num_frames, image_size, limit=None, seed=0):
    """(clips, labels, skipped) from up to `limit` of the (path, label) `entries`, chosen at random with `seed`.

    Unusable videos are skipped and named in `skipped` (and a warning), never fatal.
    """
    order = np.random.default_rng(seed).permutation(len(entries))
    clips, labels, skipped = [], [], []
    for i in order:
        if limit is not None and len(clips) >= limit:
            break
        path, label = entries[i]
        try:
            clips.append(clip_from_video(path, num_frames, image_size))
            labels.append(label)
        except VideoDecodeError as error:
            skipped.append(str(error))
    if skipped:
        warnings.warn(f"Skipped {len(skipped)} unusable videos: " + "; ".join(skipped[:5]), stacklevel=2)
    return clips, labels, skipped


DatasetClips = collections.namedtuple(
    "DatasetClips", "calibration calibration_labels verify description class_names skipped"
)


# How many clips calibrate an export and verify it against Keras, by default and at least.
DEFAULT_CALIBRATION_CLIPS = 32
DEFAULT_VERIFY_CLIPS = 8
CLIP_COUNT = at_least(1)


def dataset_clips(dataset, data_root, num_frames, image_size, num_calibration, num_verify):
    """Calibration clips from a dataset's train split and labelled verification clips from its test split.

    Both are drawn at random over the whole split (calibration with seed 0,
    verification with seed 1): the first K records of a split are usually the
    first classes only, and int8 ranges calibrated on a few classes miss the
    activations of the others.

    Returns `DatasetClips(calibration, calibration_labels, verify, description,
    class_names, skipped)` with `verify` a list of (clip, label) and `skipped`
    the messages naming unusable videos. Raises ValueError when a split has
    no usable video.
    """
    CLIP_COUNT.check("num_calibration", num_calibration)
    CLIP_COUNT.check("num_verify", num_verify)
    train, class_names, train_name = dataset_split(dataset, data_root, "train")
    test, _, test_name = dataset_split(dataset, data_root, "test")
    calibration, calibration_labels, skipped = clips_from_videos(
        train, num_frames, image_size, limit=num_calibration, seed=0
    )
    verify, labels, skipped_test = clips_from_videos(test, num_frames, image_size, limit=num_verify, seed=1)
    if not calibration or not verify:
        raise ValueError(f"No usable videos in the {train_name!r} or {test_name!r} split of {dataset}.")
    description = f"{len(calibration)} clips of {dataset} split {train_name!r} (evaluation preprocessing)"
    return DatasetClips(
        calibration, calibration_labels, list(zip(verify, labels)), description, class_names, skipped + skipped_test
    )
