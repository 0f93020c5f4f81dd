"""The official test views (Video-FocalNets / DVFL-Net `datasets/build.py`), checked on numbers worked out by hand
from the official code (mmaction's SampleFrames, Resize, CenterCrop and ThreeCrop as it configures them)."""

import cv2
import numpy as np
import pytest

from dvfl_tf.data.clip_config import ClipDatasetConfig
from dvfl_tf.data.clip_views import official_resize_short_side, official_views_from_frames
from dvfl_tf.data.frame_sampling import official_test_indices, segment_indices


def test_one_clip_takes_the_official_test_mode_frames():
    # avg = (100 - 4 + 1) / 8 = 12.125; frame i = int(12.125 i + 6.0625)
    np.testing.assert_array_equal(official_test_indices(100, 8, 1, frame_interval=4), [6, 18, 30, 42, 54, 66, 78, 90])
    # ... which this package's own segment centres are not (they spread over all 100 frames)
    assert segment_indices(100, 8, training=False).tolist() == [6, 18, 31, 43, 56, 68, 81, 93]
    # frame interval 2 (the official default): avg = 99 / 8
    np.testing.assert_array_equal(official_test_indices(100, 8, 1, frame_interval=2), [6, 18, 30, 43, 55, 68, 80, 92])
    # a short video: avg = 2 / 8, frame i = int(0.25 i + 0.125)
    np.testing.assert_array_equal(official_test_indices(5, 8, 1, frame_interval=4), [0, 0, 0, 0, 1, 1, 1, 1])
    # shorter than the frame interval: all zeros
    np.testing.assert_array_equal(official_test_indices(3, 8, 1, frame_interval=4), [0] * 8)


def test_several_clips_take_one_random_frame_per_segment():
    indices = official_test_indices(100, 8, 4, frame_interval=4, rng=0).reshape(4, 8)
    segments = np.arange(8) * 12  # 100 // 8 = 12 frames per segment; frames 96-99 are never chosen
    assert np.all((indices >= segments) & (indices < segments + 12))
    assert len({tuple(clip) for clip in indices}) > 1  # the clips are drawn independently
    np.testing.assert_array_equal(indices.ravel(), official_test_indices(100, 8, 4, rng=0))  # seeded: repeatable
    # fewer frames than the clip: round(i * 5 / 8), numpy's round-half-to-even as the official np.around
    np.testing.assert_array_equal(official_test_indices(5, 8, 2, rng=0), [0, 1, 1, 2, 2, 3, 4, 4] * 2)


def _frames(height, width, count=2):
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (count, height, width, 3), dtype=np.uint8)


def test_resize_rounds_and_interpolates_as_mmcv():
    frames = _frames(90, 125)
    resized = official_resize_short_side(frames, 64)
    assert resized.shape == (2, 64, 89, 3)  # int(125 * 64 / 90 + 0.5) = 89
    np.testing.assert_array_equal(resized[1], cv2.resize(frames[1], (89, 64), interpolation=cv2.INTER_LINEAR))


def test_three_crops_and_centre_crop():
    frames = _frames(90, 125, count=4)  # 2 clips of 2 frames
    views = official_views_from_frames(frames, 2, 64, (2, 3))
    assert views.shape == (6, 2, 64, 64, 3) and views.dtype == np.float32
    resized = official_resize_short_side(frames, 64).reshape(2, 2, 64, 89, 3)
    # step = (89 - 64) // 2 = 12: crops at 0, 24 (not 25: the official right crop), 12; crop-major order
    for index, (crop, clip) in enumerate((c, k) for c in (0, 24, 12) for k in range(2)):
        np.testing.assert_array_equal(views[index], resized[clip, :, :, crop : crop + 64])

    portrait = _frames(125, 90)
    tall = official_resize_short_side(portrait, 64)
    views = official_views_from_frames(portrait, 2, 64, (1, 3))
    np.testing.assert_array_equal(views[1], tall[:, 24:88])  # down the long side

    centre = official_views_from_frames(frames[:2], 2, 64, (1, 1))
    # short side to int(256 / 224 * 64) = 73: 73 x int(125 * 73 / 90 + 0.5) = 101, crop at ((101 - 64) // 2, (73 - 64) // 2)
    resized = official_resize_short_side(frames[:2], 73)
    assert resized.shape[1:3] == (73, 101)
    np.testing.assert_array_equal(centre, resized[:, 4:68, 18:82])


def test_official_views_are_an_evaluation_protocol():
    with pytest.raises(ValueError, match="view_protocol must be one of"):
        ClipDatasetConfig(training=False, batch_size=1, view_protocol="tsn")
    with pytest.raises(ValueError, match="evaluation protocol"):
        ClipDatasetConfig(training=True, batch_size=1, view_protocol="official")
    config = ClipDatasetConfig(training=False, batch_size=1, views=(4, 3), view_protocol="official")
    assert ClipDatasetConfig.from_config(config.get_config()) == config
