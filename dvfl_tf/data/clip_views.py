"""Resizing and cropping decoded frames into the model's views, ours and the official test views (NumPy and
OpenCV only).

Frames are uint8 RGB arrays (N, H, W, 3); the views handed to the model are
float32 (T, S, S, 3), or (C*K, T, S, S, 3) for C clips x K crops.
"""

import cv2
import numpy as np


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


# ---------------------------------------------------------------------------
# The official test views (Video-FocalNets / DVFL-Net `datasets/build.py`)
# ---------------------------------------------------------------------------


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
