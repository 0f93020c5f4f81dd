"""Video decoding, frame sampling and deterministic crops with NumPy and OpenCV only.

This module must not import TensorFlow: the TF-free edge runtime reuses it to
turn a video file into the model's input clip exactly as evaluation does.

Conventions: frames are uint8 RGB arrays (N, H, W, 3); clips handed to the
model are float32 (T, S, S, 3) in [0, 255].
"""

import os

import cv2
import numpy as np

from dvfl_tf.core.errors import UserError

VIDEO_EXTENSIONS = (".avi", ".mp4", ".webm", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg")


class VideoDecodeError(UserError):
    """A video that cannot be used: `path` names it, `reason` says why in words."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


# ---------------------------------------------------------------------------
# Resizing and cropping
# ---------------------------------------------------------------------------


def short_side_size(height, width, short_side):
    """(new_height, new_width) with the shorter side equal to `short_side`, aspect kept."""
    if height <= width:
        return short_side, max(1, int(round(width * short_side / height)))
    return max(1, int(round(height * short_side / width))), short_side


def resize_frame_short_side(frame, short_side):
    """One (H, W, C) frame with its short side resized to `short_side` (no-op if already so)."""
    height, width = frame.shape[:2]
    if short_side is None or min(height, width) == short_side:
        return frame
    new_h, new_w = short_side_size(height, width, short_side)
    # INTER_AREA avoids aliasing when shrinking; bilinear is right for enlarging.
    interpolation = cv2.INTER_AREA if short_side < min(height, width) else cv2.INTER_LINEAR
    return cv2.resize(frame, (new_w, new_h), interpolation=interpolation)


def resize_short_side(frames, short_side):
    """(N, H, W, 3) frames with the short side resized to `short_side`."""
    if short_side is None or min(frames.shape[1:3]) == short_side:
        return frames
    return np.stack([resize_frame_short_side(frame, short_side) for frame in frames])


def center_crop_clip(frames, image_size, short_side=256):
    """Evaluation view: short side to `short_side`, centre `image_size` crop, float32 (T, S, S, 3)."""
    frames = resize_short_side(np.asarray(frames), short_side if short_side else None)
    height, width = frames.shape[1:3]
    if min(height, width) < image_size:
        frames = resize_short_side(frames, image_size)
        height, width = frames.shape[1:3]
    top = (height - image_size) // 2
    left = (width - image_size) // 2
    return frames[:, top : top + image_size, left : left + image_size].astype(np.float32)


def three_crop_views(frames, image_size):
    """The official 3-crop test views: short side to `image_size`, then three square crops
    (start, centre, end) along the long side. Returns float32 (3, T, S, S, 3)."""
    frames = resize_short_side(np.asarray(frames), image_size)
    height, width = frames.shape[1:3]
    long_extent = max(height, width) - image_size
    views = []
    for start in (0, long_extent // 2, long_extent):
        if width >= height:
            views.append(frames[:, :image_size, start : start + image_size])
        else:
            views.append(frames[:, start : start + image_size, :image_size])
    return np.stack(views).astype(np.float32)


# ---------------------------------------------------------------------------
# Frame sampling
# ---------------------------------------------------------------------------


def _as_rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def segment_indices(num_video_frames, num_frames, training, rng=None, view=0, num_views=1):
    """TSN-style segment sampling of `num_frames` indices.

    The video is cut into `num_frames` equal segments; training takes one random
    frame in each segment, evaluation takes each segment's centre (with
    `num_views` > 1, view `v` takes the point at (v + 0.5) / num_views of each
    segment). A video shorter than the clip loops its frames instead.
    """
    if num_video_frames < 1:
        raise ValueError(f"A video needs at least one frame. Received: num_video_frames={num_video_frames}")
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1. Received: num_frames={num_frames}")
    if num_video_frames < num_frames:
        if training:
            start = int(_as_rng(rng).integers(0, num_video_frames))
        else:
            start = (view * num_video_frames) // max(num_views, 1)
        return (np.arange(start, start + num_frames) % num_video_frames).astype(np.int64)
    # Integer segment bounds: segment i is frames [bounds[i], bounds[i + 1]).
    bounds = np.floor(np.linspace(0, num_video_frames, num_frames + 1)).astype(np.int64)
    starts, lengths = bounds[:-1], np.maximum(bounds[1:] - bounds[:-1], 1)
    if training:
        offsets = np.floor(_as_rng(rng).uniform(0.0, 1.0, size=num_frames) * lengths).astype(np.int64)
    else:
        offsets = np.floor(lengths * (view + 0.5) / num_views).astype(np.int64)
    return np.minimum(starts + offsets, num_video_frames - 1).astype(np.int64)


def dense_indices(num_video_frames, clip_len, frame_interval, training, rng=None, view=0, num_views=1):
    """Dense sampling: `clip_len` frames `frame_interval` apart from one start.

    Training picks a random start; evaluation spreads `num_views` clips evenly
    over the video (the centre clip for one view). Short videos loop.
    """
    if num_video_frames < 1:
        raise ValueError(f"A video needs at least one frame. Received: num_video_frames={num_video_frames}")
    span = (clip_len - 1) * frame_interval + 1
    free = max(num_video_frames - span, 0)
    if training:
        start = int(_as_rng(rng).integers(0, free + 1))
    else:
        start = int((view + 0.5) * (free + 1) / num_views) if free > 0 else 0
    return ((start + np.arange(clip_len) * frame_interval) % num_video_frames).astype(np.int64)


def official_indices(num_video_frames, num_frames, frame_interval, training, rng=None):
    """The official sampling: mmaction's `SampleFrames(clip_len=1, frame_interval, num_clips=num_frames)`.

    As the official training and single-view test pipelines (`datasets/build.py`) call it: TSN
    segments over the first `num_video_frames - frame_interval + 1` frames (the interval only
    shortens the span), a random offset in each segment when training, each segment's middle
    otherwise; indices beyond the video loop (`np.mod`).
    """
    if num_video_frames < 1:
        raise ValueError(f"A video needs at least one frame. Received: num_video_frames={num_video_frames}")
    span = num_video_frames - frame_interval + 1
    if training:
        rng = _as_rng(rng)
        average = span // num_frames
        if average > 0:
            offsets = np.arange(num_frames) * average + rng.integers(0, average, size=num_frames)
        elif num_video_frames > max(num_frames, frame_interval):
            offsets = np.sort(rng.integers(0, span, size=num_frames))
        elif average == 0:
            offsets = np.around(np.arange(num_frames) * (span / num_frames))
        else:
            offsets = np.zeros(num_frames)
    else:
        average = span / float(num_frames)
        if num_video_frames > frame_interval - 1:
            offsets = (np.arange(num_frames) * average + average / 2.0).astype(np.int64)
        else:
            offsets = np.zeros(num_frames)
    return np.mod(offsets.astype(np.int64), num_video_frames)


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


# ---------------------------------------------------------------------------
# The official test views (Video-FocalNets / DVFL-Net `datasets/build.py`)
# ---------------------------------------------------------------------------


def official_test_indices(num_video_frames, num_frames, num_clips=1, frame_interval=4, rng=None):
    """The frames of the official test views: `num_clips` clips of `num_frames` indices, back to back.

    As the official `build_dataloader` samples them (mmaction's `SampleFrames`,
    `clip_len=1`, `num_clips=num_frames`):
    - TEST.NUM_CLIP 1 (test mode): avg = (n - frame_interval + 1) / T, frame i is
      int(i * avg + avg / 2) (all 0 when n < frame_interval - 1);
    - TEST.NUM_CLIP > 1 (`multiview`, sampled as in training with frame interval 1):
      each clip takes one random frame in each of T segments of n // T frames,
      or round(i * n / T) when n < T. `rng` (a numpy Generator or a seed) draws them.
    Indices wrap around the video (`out_of_bound_opt='loop'`).
    """
    if num_clips == 1:
        return official_indices(num_video_frames, num_frames, frame_interval, training=False)
    # `multiview`: each clip is a training draw with frame interval 1 (the official test pipeline's own call).
    rng = _as_rng(rng)
    return np.concatenate(
        [official_indices(num_video_frames, num_frames, 1, training=True, rng=rng) for _ in range(num_clips)]
    )


def official_resize_short_side(frames, short_side):
    """mmaction's `Resize(scale=(-1, short_side))`: factor short_side / min(h, w), size int(x * factor + 0.5),
    bilinear (OpenCV INTER_LINEAR, as `mmcv.imresize`)."""
    frames = np.asarray(frames)
    height, width = frames.shape[1:3]
    factor = short_side / min(height, width)
    size = (int(width * factor + 0.5), int(height * factor + 0.5))
    return np.stack([cv2.resize(frame, size, interpolation=cv2.INTER_LINEAR) for frame in frames])


def official_views_from_frames(frames, num_frames, image_size, views):
    """The official test crops of full-size frames holding C clips of T frames back to back.

    TEST.NUM_CROP 1: short side to int(256 / 224 * S), centre S x S crop
    (offset (size - S) // 2). TEST.NUM_CROP 3: short side to S, then mmaction's
    `ThreeCrop` along the long side at offsets 0, 2 * step and step, step =
    (long - S) // 2. Views in the official order (crop-major, then clip):
    float32 (C*K, T, S, S, 3), or (T, S, S, 3) for views (1, 1).
    """
    num_clips, num_crops = views
    if num_crops not in (1, 3):
        raise ValueError(f"The official test crops are 1 or 3. Received: views={views}")
    frames = np.asarray(frames)
    if num_crops == 1:
        frames = official_resize_short_side(frames, int(256 / 224 * image_size))
        height, width = frames.shape[1:3]
        offsets = [((width - image_size) // 2, (height - image_size) // 2)]
    else:
        frames = official_resize_short_side(frames, image_size)
        height, width = frames.shape[1:3]
        if height == image_size:
            step = (width - image_size) // 2
            offsets = [(0, 0), (2 * step, 0), (step, 0)]
        else:
            step = (height - image_size) // 2
            offsets = [(0, 0), (0, 2 * step), (0, step)]
    clips = frames.reshape((num_clips, num_frames) + frames.shape[1:])
    out = [clip[:, y : y + image_size, x : x + image_size] for x, y in offsets for clip in clips]
    if views == (1, 1):
        return out[0].astype(np.float32)
    return np.stack(out).astype(np.float32)


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


def sample_indices(
    num_video_frames, num_frames, training, rng, sampling="segment", frame_interval=4, view=0, num_views=1
):
    """Dispatch to `segment_indices`, `dense_indices` or `official_indices` (one view)."""
    if sampling == "official":
        if num_views != 1:
            raise ValueError(
                f"sampling='official' takes one clip per video; multi-view evaluation samples with 'segment' or "
                f"'dense'. Received: num_views={num_views}"
            )
        return official_indices(num_video_frames, num_frames, frame_interval, training, rng)
    if sampling == "segment":
        return segment_indices(num_video_frames, num_frames, training, rng, view, num_views)
    if sampling == "dense":
        return dense_indices(num_video_frames, num_frames, frame_interval, training, rng, view, num_views)
    raise ValueError(f"sampling must be 'segment', 'dense' or 'official'. Received: sampling={sampling!r}")


def views_from_frames(frames, num_frames, image_size, short_side, views):
    """Evaluation crops of frames holding C clips of T frames back to back."""
    num_clips, num_crops = views
    clips = frames.reshape((num_clips, num_frames) + frames.shape[1:])
    if views == (1, 1):
        return center_crop_clip(clips[0], image_size, short_side)
    out = []
    for clip in clips:
        if num_crops == 3:
            out.extend(three_crop_views(clip, image_size))
        else:
            out.append(center_crop_clip(clip, image_size, short_side))
    return np.stack(out)
