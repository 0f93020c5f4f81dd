import os
import subprocess
import sys

import numpy as np
import pytest

from dvfl_tf.data import video_io
from dvfl_tf.data.clip_views import center_crop_clip, three_crop_views
from dvfl_tf.data.frame_sampling import dense_indices, segment_indices
from dvfl_tf.data.video_io import VideoDecodeError, read_frames, read_video, video_to_clip


def test_video_io_does_not_import_tensorflow():
    code = "import sys, dvfl_tf.data.video_io, dvfl_tf.data.frame_sampling, dvfl_tf.data.clip_views, dvfl_tf.data.datasets, dvfl_tf.data.augment; print('tensorflow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert out.stdout.strip() == "False"


def test_read_video_is_rgb_in_order_and_resizes_short_side(tmp_path, helpers):
    path = helpers.write_marker_video(str(tmp_path / "v.avi"), num_frames=8, height=40, width=56)
    frames = read_video(path)
    assert frames.dtype == np.uint8 and frames.shape == (8, 40, 56, 3)
    # Red carries the index: BGR->RGB conversion and frame order are right.
    assert [helpers.marker_index(f) for f in frames] == list(range(8))
    assert abs(frames[..., 1].mean() - 128) < 4 and abs(frames[..., 2].mean() - 30) < 4
    small = read_video(path, short_side=20)
    assert small.shape == (8, 20, 28, 3)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty file"),
        (b"definitely not a video" * 100, "cannot open"),
    ],
)
def test_broken_files_raise_with_path_and_reason(tmp_path, content, reason):
    path = tmp_path / "broken.avi"
    path.write_bytes(content)
    with pytest.raises(VideoDecodeError) as info:
        read_video(str(path))
    assert info.value.path == str(path) and reason in info.value.reason


def test_zero_frame_and_truncated_files_raise(tmp_path, helpers):
    import cv2

    zero = str(tmp_path / "zero.avi")
    cv2.VideoWriter(zero, cv2.VideoWriter_fourcc(*"XVID"), 25, (32, 32)).release()  # a header, no frames
    with pytest.raises(VideoDecodeError, match="no decodable frames"):
        read_video(zero)
    path = helpers.write_marker_video(str(tmp_path / "v.avi"), num_frames=10)
    data = open(path, "rb").read()
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(data[: len(data) // 3])
    with pytest.raises(VideoDecodeError):
        read_video(str(truncated))


def test_missing_file_raises(tmp_path):
    with pytest.raises(VideoDecodeError, match="file not found"):
        read_video(str(tmp_path / "nope.avi"))


def test_read_frames_uses_decoded_count_when_header_lies(tmp_path, helpers):
    path = helpers.write_marker_video(str(tmp_path / "v.avi"), num_frames=20)
    data = open(path, "rb").read()
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(data[: int(len(data) * 0.9)])  # header still claims 20 frames
    assert video_io.header_frame_count(str(truncated)) == 20
    seen = []

    def choose(n):
        seen.append(n)
        return segment_indices(n, 4, training=False)

    frames, indices, count = read_frames(str(truncated), choose)
    decodable = len(read_video(str(truncated)))
    assert decodable < 20 and count == decodable and seen == [20, decodable]
    assert [helpers.marker_index(f) for f in frames] == list(indices)


def test_segment_indices_training_one_per_segment_and_eval_centres():
    rng = np.random.default_rng(0)
    for _ in range(50):
        idx = segment_indices(100, 8, training=True, rng=rng)
        bounds = np.floor(np.linspace(0, 100, 9)).astype(int)
        assert all(bounds[i] <= idx[i] < bounds[i + 1] for i in range(8))
    assert list(segment_indices(80, 8, training=False)) == [5, 15, 25, 35, 45, 55, 65, 75]
    # Two evaluation views take different points of each segment.
    v0 = segment_indices(80, 8, False, view=0, num_views=2)
    v1 = segment_indices(80, 8, False, view=1, num_views=2)
    assert list(v0) == list(range(2, 80, 10)) and list(v1) == list(range(7, 80, 10))


def test_short_videos_loop_their_frames():
    assert list(segment_indices(3, 8, training=False)) == [0, 1, 2, 0, 1, 2, 0, 1]
    idx = segment_indices(3, 8, training=True, rng=np.random.default_rng(1))
    assert list(np.diff(idx) % 3) == [1] * 7
    assert list(dense_indices(5, 4, 2, training=False)) == [0, 2, 4, 1]


def test_dense_indices():
    assert list(dense_indices(100, 8, 4, training=False)) == [36, 40, 44, 48, 52, 56, 60, 64]
    rng = np.random.default_rng(0)
    for _ in range(20):
        idx = dense_indices(100, 8, 4, training=True, rng=rng)
        assert np.all(np.diff(idx) == 4) and idx[0] >= 0 and idx[-1] < 100
    starts = [dense_indices(100, 8, 4, False, view=v, num_views=4)[0] for v in range(4)]
    assert starts == sorted(starts) and len(set(starts)) == 4


def test_center_crop_and_three_crops():
    # A left-to-right ramp: crops further right are brighter.
    frames = np.broadcast_to((np.arange(80) * 3).astype(np.uint8)[None, None, :, None], (2, 40, 80, 3)).copy()
    clip = center_crop_clip(frames, 16, short_side=20)
    assert clip.shape == (2, 16, 16, 3) and clip.dtype == np.float32
    views = three_crop_views(frames, 20)
    assert views.shape == (3, 2, 20, 20, 3)
    assert views[0].mean() < views[1].mean() < views[2].mean()
    tall = np.zeros((1, 60, 30, 3), np.uint8)
    tall[:, 40:] = 255
    tall_views = three_crop_views(tall, 30)
    assert tall_views[0].mean() == 0 and tall_views[2].mean() > 0


def test_video_to_clip_multi_view(tmp_path, helpers):
    path = helpers.write_marker_video(str(tmp_path / "v.avi"), num_frames=16)
    clip = video_to_clip(path, num_frames=4, image_size=24, short_side=32)
    assert clip.shape == (4, 24, 24, 3)
    assert [helpers.marker_index(f) for f in clip] == [2, 6, 10, 14]
    views = video_to_clip(path, num_frames=4, image_size=24, short_side=32, views=(2, 3))
    assert views.shape == (6, 4, 24, 24, 3)
    assert [helpers.marker_index(f) for f in views[0]] == [1, 5, 9, 13]
    assert [helpers.marker_index(f) for f in views[3]] == [3, 7, 11, 15]
