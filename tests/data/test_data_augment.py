import numpy as np
import pytest

from dvfl_tf.data.augment import (
    AugmentConfig,
    MixupConfig,
    augment_clip,
    draw_clip_params,
    mix_batch,
    random_resized_crop_box,
)


def test_flip_is_off_for_ssv2_only():
    assert AugmentConfig.resolve(None, True, "ssv2").flip is False
    assert AugmentConfig.resolve(None, True, "hmdb51").flip is True
    assert AugmentConfig.resolve(None, True, "synthetic").flip is False
    assert AugmentConfig.resolve({"grayscale_prob": 0.0}, True, "ssv2").flip is False
    none = AugmentConfig.resolve(None, False, "hmdb51")
    assert not (none.random_resized_crop or none.flip or none.color_jitter_prob or none.grayscale_prob)
    with pytest.raises(ValueError, match="Unknown augmentation options"):
        AugmentConfig.resolve({"rotate": True}, True)
    rng = np.random.default_rng(0)
    ssv2 = AugmentConfig.official("ssv2")
    assert not any(draw_clip_params(ssv2, 64, 80, rng)["flip"] for _ in range(200))
    flips = [draw_clip_params(AugmentConfig.official("ucf101"), 64, 80, rng)["flip"] for _ in range(400)]
    assert 150 < sum(flips) < 250


def test_random_resized_crop_box_within_area_and_ratio():
    rng = np.random.default_rng(0)
    for _ in range(300):
        top, left, h, w = random_resized_crop_box(60, 80, (0.08, 1.0), (3 / 4, 4 / 3), rng)
        assert 0 <= top and top + h <= 60 and 0 <= left and left + w <= 80
        assert 0.07 <= h * w / (60 * 80) <= 1.0


def test_one_set_of_parameters_per_clip():
    # Identical frames stay identical after augmentation: crop, flip, jitter and
    # grayscale were the same for every frame of the clip.
    rng = np.random.default_rng(3)
    frame = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    clip = np.repeat(frame[None], 6, axis=0)
    config = AugmentConfig(color_jitter_prob=1.0, grayscale_prob=0.5)
    saw_flip = saw_gray = False
    for _ in range(12):
        params = draw_clip_params(config, 48, 64, rng)
        out = augment_clip(clip, params, 32)
        assert out.shape == (6, 32, 32, 3) and out.dtype == np.float32
        assert 0.0 <= out.min() and out.max() <= 255.0
        assert np.allclose(out, out[:1], atol=1e-4)
        saw_flip |= params["flip"]
        saw_gray |= params["grayscale"]
        if params["grayscale"]:
            assert np.allclose(out[..., 0], out[..., 1]) and np.allclose(out[..., 1], out[..., 2])
    assert saw_flip and saw_gray


def test_flip_mirrors_and_no_augment_is_centre_crop():
    clip = np.broadcast_to(np.arange(32, dtype=np.uint8)[None, None, :, None] * 8, (2, 32, 32, 3)).copy()
    flipped = augment_clip(clip, {"flip": True}, 32)
    assert np.array_equal(flipped, clip[:, :, ::-1].astype(np.float32))
    wide = np.zeros((1, 20, 40, 3), np.uint8)
    wide[:, :, 10:30] = 255
    assert augment_clip(wide, {"flip": False}, 20).min() == 255


def test_colour_jitter_changes_colours_but_keeps_range():
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, size=(2, 16, 16, 3), dtype=np.uint8)
    params = {
        "flip": False,
        "grayscale": False,
        "jitter": {"brightness": 1.3, "contrast": 0.7, "saturation": 1.2, "hue": 0.08, "order": [3, 1, 0, 2]},
    }
    out = augment_clip(clip, params, 16)
    assert not np.allclose(out, clip) and 0 <= out.min() and out.max() <= 255


@pytest.mark.parametrize(
    "config",
    [
        MixupConfig(),
        MixupConfig(cutmix_alpha=0.0),
        MixupConfig(mixup_alpha=0.0),
        MixupConfig(label_smoothing=0.0, mixup_alpha=0.0, cutmix_alpha=0.0),
    ],
)
def test_mixup_cutmix_targets_sum_to_one(config):
    rng = np.random.default_rng(0)
    clips = rng.uniform(0, 255, size=(4, 2, 8, 8, 3)).astype(np.float32)
    targets = np.eye(5, dtype=np.float32)[[0, 1, 2, 3]]
    for _ in range(10):
        mixed, soft = mix_batch(clips, targets, config, rng)
        assert mixed.shape == clips.shape and soft.shape == targets.shape
        assert np.allclose(soft.sum(axis=1), 1.0, atol=1e-5)
        assert soft.min() >= 0


def test_cutmix_label_weight_matches_pasted_area():
    rng = np.random.default_rng(5)
    clips = np.zeros((2, 1, 20, 20, 3), np.float32)
    clips[1] = 100.0
    targets = np.eye(2, dtype=np.float32)
    config = MixupConfig(mixup_alpha=0.0, cutmix_alpha=1.0, label_smoothing=0.0)
    mixed, soft = mix_batch(clips, targets, config, rng)
    pasted = (mixed[0] == 100.0).mean()
    assert np.isclose(soft[0, 1], pasted, atol=1e-6) and np.isclose(soft[0, 0], 1 - pasted, atol=1e-6)


def test_label_smoothing_alone():
    targets = np.eye(4, dtype=np.float32)[[2, 0]]
    _, soft = mix_batch(
        np.zeros((2, 1, 2, 2, 3), np.float32),
        targets,
        MixupConfig(mixup_alpha=0.0, cutmix_alpha=0.0, label_smoothing=0.1),
        np.random.default_rng(0),
    )
    assert np.allclose(soft[0], [0.025, 0.025, 0.925, 0.025])
