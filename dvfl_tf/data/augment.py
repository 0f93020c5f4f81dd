"""The official training augmentation, per clip, in NumPy/OpenCV (no TensorFlow).

One set of random parameters is drawn per clip and applied to every frame, so
augmentation never invents motion. Each part can be switched off through
`AugmentConfig`; `MixupConfig` holds the batch operations (mixup / cutmix with
label smoothing) that turn one-hot labels into soft targets.
"""

import dataclasses
import math
from typing import ClassVar

import cv2
import numpy as np

from dvfl_tf.core.checks import check_ranges, fraction, non_negative
from dvfl_tf.data.datasets import registry


@dataclasses.dataclass
class AugmentConfig:
    random_resized_crop: bool = True
    crop_area: tuple = (0.08, 1.0)
    crop_ratio: tuple = (3 / 4, 4 / 3)
    flip: bool = True
    flip_prob: float = 0.5
    color_jitter_prob: float = 0.8
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.2
    hue: float = 0.1
    grayscale_prob: float = 0.2

    RANGES: ClassVar[dict] = {
        "flip_prob": fraction(),
        "color_jitter_prob": fraction(),
        "grayscale_prob": fraction(),
    }

    def __post_init__(self):
        check_ranges(self, self.RANGES)

    @classmethod
    def official(cls, dataset_name=None):
        """The official recipe, with the flip policy and crop area of the dataset's registry entry.

        Flipping is off for datasets whose labels know left from right (ssv2, synthetic). The tiny
        synthetic videos keep at least 40% of the frame per crop: at 64x64 an 8% crop often loses
        the moving shape, and the quickstart has few epochs to learn.
        """
        config = cls(flip=registry.flips(dataset_name))
        config.crop_area = registry.crop_area(dataset_name, config.crop_area)
        return config

    @classmethod
    def none(cls):
        return cls(random_resized_crop=False, flip=False, color_jitter_prob=0.0, grayscale_prob=0.0)

    @classmethod
    def resolve(cls, augment, training, dataset_name=None):
        """None -> official when training, none when evaluating; True/False; a dict or config overrides."""
        if augment is None:
            augment = training
        if augment is True:
            return cls.official(dataset_name)
        if augment is False:
            return cls.none()
        if isinstance(augment, cls):
            return augment
        if isinstance(augment, dict):
            unknown = set(augment) - {f.name for f in dataclasses.fields(cls)}
            if unknown:
                raise ValueError(f"Unknown augmentation options {sorted(unknown)}. Received: augment={augment}")
            # Ranges may come back from JSON as lists.
            augment = {name: tuple(value) if isinstance(value, list) else value for name, value in augment.items()}
            return dataclasses.replace(cls.official(dataset_name), **augment)
        raise TypeError(f"augment must be None, a bool, a dict or an AugmentConfig. Received: augment={augment!r}")


@dataclasses.dataclass
class MixupConfig:
    mixup_alpha: float = 0.8
    cutmix_alpha: float = 1.0
    switch_prob: float = 0.5  # chance of cutmix instead of mixup when both are on
    prob: float = 1.0  # chance that a batch is mixed at all
    label_smoothing: float = 0.1

    RANGES: ClassVar[dict] = {
        "mixup_alpha": non_negative(),
        "cutmix_alpha": non_negative(),
        "switch_prob": fraction(),
        "prob": fraction(),
        "label_smoothing": fraction(max_open=True),
    }

    def __post_init__(self):
        check_ranges(self, self.RANGES)

    @classmethod
    def resolve(cls, mixup):
        if mixup is None or mixup is False:
            return None
        if mixup is True:
            return cls()
        if isinstance(mixup, cls):
            return mixup
        if isinstance(mixup, dict):
            return cls(**mixup)
        raise TypeError(f"mixup must be None, a bool, a dict or a MixupConfig. Received: mixup={mixup!r}")


# ---------------------------------------------------------------------------
# Per-clip parameters and their application
# ---------------------------------------------------------------------------


def random_resized_crop_box(height, width, area_range, ratio_range, rng):
    """(top, left, crop_h, crop_w) as torchvision's RandomResizedCrop draws it."""
    area = height * width
    log_ratio = (math.log(ratio_range[0]), math.log(ratio_range[1]))
    for _ in range(10):
        target_area = area * rng.uniform(*area_range)
        ratio = math.exp(rng.uniform(*log_ratio))
        crop_w = int(round(math.sqrt(target_area * ratio)))
        crop_h = int(round(math.sqrt(target_area / ratio)))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            top = int(rng.integers(0, height - crop_h + 1))
            left = int(rng.integers(0, width - crop_w + 1))
            return top, left, crop_h, crop_w
    # Fallback: the largest centre crop within the ratio range.
    in_ratio = width / height
    if in_ratio < ratio_range[0]:
        crop_w, crop_h = width, int(round(width / ratio_range[0]))
    elif in_ratio > ratio_range[1]:
        crop_h, crop_w = height, int(round(height * ratio_range[1]))
    else:
        crop_w, crop_h = width, height
    return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w


def draw_clip_params(config, height, width, rng):
    """One set of augmentation parameters for a whole clip."""
    params = {}
    if config.random_resized_crop:
        params["crop"] = random_resized_crop_box(height, width, config.crop_area, config.crop_ratio, rng)
    params["flip"] = bool(config.flip and rng.random() < config.flip_prob)
    if config.color_jitter_prob > 0 and rng.random() < config.color_jitter_prob:
        params["jitter"] = {
            "brightness": rng.uniform(max(0.0, 1 - config.brightness), 1 + config.brightness),
            "contrast": rng.uniform(max(0.0, 1 - config.contrast), 1 + config.contrast),
            "saturation": rng.uniform(max(0.0, 1 - config.saturation), 1 + config.saturation),
            "hue": rng.uniform(-config.hue, config.hue),
            "order": [int(i) for i in rng.permutation(4)],
        }
    params["grayscale"] = bool(config.grayscale_prob > 0 and rng.random() < config.grayscale_prob)
    return params


def _gray(clip):
    """ITU-R 601 luma (as torchvision's rgb_to_grayscale) of a float32 clip (T, H, W, 3)."""
    shape = clip.shape
    flat = np.ascontiguousarray(clip, dtype=np.float32).reshape(-1, shape[-2], 3)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2GRAY).reshape(shape[:-1])


def _shift_hue(clip, hue):
    """Rotate hue by `hue` turns. 8-bit HSV (hue in 256 steps, OpenCV's *_FULL) is three
    times faster than float HSV, and the clip came from 8-bit frames anyway."""
    shape = clip.shape
    flat = np.clip(clip + 0.5, 0, 255).astype(np.uint8).reshape(-1, shape[-2], 3)
    hsv = cv2.cvtColor(flat, cv2.COLOR_RGB2HSV_FULL)
    hsv[..., 0] += np.uint8(int(round(hue * 256)) % 256)  # uint8 addition wraps around the colour circle
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL).reshape(shape).astype(np.float32)


def _blend(a, b, factor):
    return np.clip(factor * a + (1 - factor) * b, 0, 255)


def apply_color_jitter(clip, jitter):
    """Brightness, contrast, saturation and hue in a random order on a float clip in [0, 255]."""
    for op in jitter["order"]:
        if op == 0:
            clip = np.clip(clip * jitter["brightness"], 0, 255)
        elif op == 1:
            mean = _gray(clip).mean()
            clip = _blend(clip, np.full_like(clip, mean), jitter["contrast"])
        elif op == 2:
            clip = _blend(clip, _gray(clip)[..., None], jitter["saturation"])
        elif op == 3 and jitter["hue"] != 0:
            clip = _shift_hue(clip, jitter["hue"])
    return clip


def augment_clip(frames, params, image_size):
    """Apply one clip's parameters to uint8 frames (T, H, W, 3); float32 (T, S, S, 3) in [0, 255]."""
    frames = np.asarray(frames)
    height, width = frames.shape[1:3]
    if "crop" in params:
        top, left, crop_h, crop_w = params["crop"]
    else:  # no random crop: the evaluation centre crop
        side = min(height, width)
        top, left, crop_h, crop_w = (height - side) // 2, (width - side) // 2, side, side
    out = np.empty((len(frames), image_size, image_size, 3), np.uint8)
    for t, frame in enumerate(frames):
        patch = frame[top : top + crop_h, left : left + crop_w]
        # Bilinear, as torchvision's RandomResizedCrop (INTER_AREA costs ~10x more here).
        out[t] = cv2.resize(patch, (image_size, image_size), interpolation=cv2.INTER_LINEAR)
    if params.get("flip"):
        out = out[:, :, ::-1]
    clip = out.astype(np.float32)
    if "jitter" in params:
        clip = apply_color_jitter(clip, params["jitter"])
    if params.get("grayscale"):
        clip = np.repeat(_gray(clip)[..., None], 3, axis=-1)
    return np.ascontiguousarray(clip, dtype=np.float32)


# ---------------------------------------------------------------------------
# Batch operations: label smoothing, mixup, cutmix
# ---------------------------------------------------------------------------


def smooth_labels(one_hot, smoothing):
    num_classes = one_hot.shape[-1]
    return one_hot * (1.0 - smoothing) + smoothing / num_classes


def cutmix_box(height, width, lam, rng):
    """A box covering about 1 - lam of the frame; returns (top, left, bottom, right)."""
    cut = math.sqrt(1.0 - lam)
    cut_h, cut_w = int(height * cut), int(width * cut)
    cy, cx = int(rng.integers(0, height)), int(rng.integers(0, width))
    top, bottom = np.clip([cy - cut_h // 2, cy + cut_h // 2], 0, height)
    left, right = np.clip([cx - cut_w // 2, cx + cut_w // 2], 0, width)
    return int(top), int(left), int(bottom), int(right)


def mix_batch(clips, targets, config, rng):
    """Mixup or cutmix a batch with its flipped self (as timm's Mixup, batch mode).

    `clips` (B, T, H, W, 3) or (B, V, T, H, W, 3); `targets` one-hot (B, K).
    Returns mixed clips and soft targets whose rows sum to 1.
    """
    clips = np.array(clips, dtype=np.float32, copy=True)
    targets = smooth_labels(np.asarray(targets, np.float32), config.label_smoothing)
    use_mixup = config.mixup_alpha > 0
    use_cutmix = config.cutmix_alpha > 0
    if len(clips) < 2 or not (use_mixup or use_cutmix) or rng.random() >= config.prob:
        return clips, targets
    cutmix = use_cutmix and (not use_mixup or rng.random() < config.switch_prob)
    lam = float(
        rng.beta(config.cutmix_alpha, config.cutmix_alpha)
        if cutmix
        else rng.beta(config.mixup_alpha, config.mixup_alpha)
    )
    flipped = clips[::-1]
    if cutmix:
        height, width = clips.shape[-3:-1]
        top, left, bottom, right = cutmix_box(height, width, lam, rng)
        clips[..., top:bottom, left:right, :] = flipped[..., top:bottom, left:right, :]
        # The label weight is the area actually kept after clipping the box.
        lam = 1.0 - (bottom - top) * (right - left) / float(height * width)
    else:
        clips = clips * lam + flipped * (1.0 - lam)
    targets = targets * lam + targets[::-1] * (1.0 - lam)
    return clips.astype(np.float32), targets.astype(np.float32)
