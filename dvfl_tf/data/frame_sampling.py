"""Which frames of a video make a clip: segment, dense and the official sampling (NumPy only).

Every function takes the video's frame count and returns int64 indices into it;
short videos loop. `sample_indices` dispatches on the `sampling` name of
`ClipDatasetConfig`; `official_test_indices` gives the frames of the official
test views (Video-FocalNets / DVFL-Net `datasets/build.py`).
"""

import numpy as np


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
