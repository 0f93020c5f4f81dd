"""Video decoding and writing with NumPy and OpenCV only, and `video_to_clip` (file -> the model's input).

This module, `frame_sampling` (which frames) and `clip_views` (resize and crops)
must not import TensorFlow: the TF-free edge runtime reuses them to turn a video
file into the model's input clip exactly as evaluation does.

Conventions: frames are uint8 RGB arrays (N, H, W, 3); clips handed to the
model are float32 (T, S, S, 3) in [0, 255].
"""

import os

import cv2
import numpy as np

from dvfl_tf.core.errors import UserError
from dvfl_tf.data.clip_views import resize_frame_short_side, views_from_frames
from dvfl_tf.data.frame_sampling import sample_indices

VIDEO_EXTENSIONS = (".avi", ".mp4", ".webm", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg")


class VideoDecodeError(UserError):
    """A video that cannot be used: `path` names it, `reason` says why in words."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


# ---------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------


def _check_readable(path):
    if not os.path.exists(path):
        raise VideoDecodeError(path, "file not found")
    if not os.path.isfile(path):
        raise VideoDecodeError(path, "not a regular file")
    if not os.access(path, os.R_OK):
        raise VideoDecodeError(path, "permission denied (file not readable)")
    if os.path.getsize(path) == 0:
        raise VideoDecodeError(path, "empty file (0 bytes)")


def _open(path):
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise VideoDecodeError(path, "cannot open: not a video, corrupt, or unsupported codec")
    return capture


def header_frame_count(path):
    """The frame count the container header claims (may be wrong or 0)."""
    _check_readable(path)
    capture = _open(path)
    try:
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    finally:
        capture.release()
    return int(count) if np.isfinite(count) and count > 0 else 0


def _to_rgb(frame_bgr, short_side):
    if frame_bgr.ndim == 2:
        frame_bgr = cv2.cvtColor(frame_bgr, cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(resize_frame_short_side(frame_bgr, short_side), cv2.COLOR_BGR2RGB)


def _decode_all(path, short_side):
    capture = _open(path)
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(_to_rgb(frame, short_side))
    finally:
        capture.release()
    return frames


def read_video(path, short_side=None):
    """Every frame of `path` as uint8 RGB (N, H, W, 3), short side resized if given.

    Raises `VideoDecodeError` for a missing, empty, unreadable, corrupt or
    zero-frame file.
    """
    path = str(path)
    _check_readable(path)
    frames = _decode_all(path, short_side)
    if not frames:
        raise VideoDecodeError(path, "no decodable frames (zero-frame or truncated file)")
    return np.stack(frames)


def read_frames(path, choose_indices, short_side=None):
    """Decode only the frames a sampler asks for.

    `choose_indices(num_video_frames) -> array of indices` is called with the
    frame count; the header's count is tried first and, when the header lies
    (the stream ends early) or has none, the count found by decoding is used.
    Returns (frames uint8 (len(indices), H, W, 3) RGB, indices, num_video_frames).
    """
    path = str(path)
    _check_readable(path)
    capture = _open(path)
    claimed = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    claimed = int(claimed) if np.isfinite(claimed) and claimed > 0 else 0
    if claimed > 0:
        indices = np.asarray(choose_indices(claimed), dtype=np.int64)
        wanted = set(int(i) for i in indices)
        last = max(wanted)
        kept = {}
        position = 0
        try:
            while position <= last:
                # grab() skips the colour conversion of frames nobody asked for.
                if not capture.grab():
                    break
                if position in wanted:
                    ok, frame = capture.retrieve()
                    if not ok:
                        break
                    kept[position] = _to_rgb(frame, short_side)
                position += 1
        finally:
            capture.release()
        if len(kept) == len(wanted):
            return np.stack([kept[int(i)] for i in indices]), indices, claimed
    else:
        capture.release()
    # The header lied or was empty: count by decoding everything, then sample.
    frames = _decode_all(path, short_side)
    if not frames:
        raise VideoDecodeError(path, "no decodable frames (zero-frame or truncated file)")
    indices = np.asarray(choose_indices(len(frames)), dtype=np.int64)
    return np.stack([frames[int(i)] for i in indices]), indices, len(frames)


def open_video(path):
    """Cheap check that `path` opens and yields a first frame (for a summary at the start of a run).

    Raises `VideoDecodeError`; a truncated file can pass (`probe_video` decodes everything).
    """
    path = str(path)
    _check_readable(path)
    capture = _open(path)
    try:
        if not capture.grab():
            raise VideoDecodeError(path, "no decodable frames (zero-frame or truncated file)")
    finally:
        capture.release()


def probe_video(path):
    """Fully decode `path` to check it; returns a dict with frames, height, width, fps.

    Raises `VideoDecodeError` when the file is unusable. Decoding everything is
    what finds truncated files, whose headers still look fine.
    """
    path = str(path)
    _check_readable(path)
    capture = _open(path)
    fps = capture.get(cv2.CAP_PROP_FPS)
    claimed = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    count, shape = 0, None
    try:
        while capture.grab():
            count += 1
            if shape is None:
                ok, frame = capture.retrieve()
                if ok:
                    shape = frame.shape
    finally:
        capture.release()
    if count == 0 or shape is None:
        raise VideoDecodeError(path, "no decodable frames (zero-frame or truncated file)")
    return {
        "frames": count,
        "header_frames": int(claimed) if np.isfinite(claimed) else 0,
        "height": int(shape[0]),
        "width": int(shape[1]),
        "fps": float(fps) if np.isfinite(fps) else 0.0,
    }


def write_video(path, frames_rgb, fps=25.0, fourcc=None):
    """Write uint8 RGB frames (N, H, W, 3) to `path` with OpenCV (codec from the extension)."""
    path = str(path)
    frames_rgb = np.asarray(frames_rgb)
    if frames_rgb.ndim != 4 or frames_rgb.shape[-1] != 3 or len(frames_rgb) == 0:
        raise ValueError(f"frames must be a non-empty (N, H, W, 3) array. Received: shape={frames_rgb.shape}")
    if fourcc is None:
        extension = os.path.splitext(path)[1].lower()
        fourcc = {".avi": "XVID", ".mp4": "mp4v", ".webm": "VP80", ".mkv": "XVID"}.get(extension, "MJPG")
    height, width = frames_rgb.shape[1:3]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), float(fps), (int(width), int(height)))
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {path} with codec {fourcc}")
    try:
        for frame in frames_rgb:
            writer.write(cv2.cvtColor(np.ascontiguousarray(frame, dtype=np.uint8), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path


def video_to_clip(
    path, num_frames=8, image_size=224, short_side=256, views=(1, 1), sampling="segment", frame_interval=4
):
    """The evaluation input of one video file, as the pipeline builds it (TF-free).

    Returns float32 (T, S, S, 3) for views=(1, 1), else (C*K, T, S, S, 3).
    """
    num_clips, num_crops = views
    if num_crops not in (1, 3):
        raise ValueError(f"Spatial crops must be 1 or 3. Received: views={views}")

    def choose(n):
        return np.concatenate(
            [
                sample_indices(n, num_frames, False, None, sampling, frame_interval, view, num_clips)
                for view in range(num_clips)
            ]
        )

    frames, _, _ = read_frames(path, choose, short_side=short_side)
    return views_from_frames(frames, num_frames, image_size, short_side, views)
