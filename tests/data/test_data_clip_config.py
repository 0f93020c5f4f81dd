import json

import pytest

from dvfl_tf.data.augment import AugmentConfig, MixupConfig
from dvfl_tf.data.clip_config import ClipDatasetConfig


def test_config_round_trips_through_json_and_resolves_the_same_recipe():
    config = ClipDatasetConfig(
        training=True,
        batch_size=4,
        num_frames=4,
        image_size=32,
        short_side=40,
        seed=9,
        augment={"flip": False, "hue": 0.05},
        mixup=MixupConfig(label_smoothing=0.2),
        dataset_name="hmdb51",
        sampling="dense",
        frame_interval=2,
    )
    restored = ClipDatasetConfig.from_config(json.loads(json.dumps(config.get_config())))
    assert restored.augment_config() == config.augment_config()
    assert restored.augment_config().flip is False and restored.augment_config().hue == 0.05
    assert restored.mixup_config() == config.mixup_config() == MixupConfig(label_smoothing=0.2)
    assert restored.replace(mixup=None, augment=None) == config.replace(mixup=None, augment=None)
    evaluation = ClipDatasetConfig(training=False, batch_size=2, views=[2, 3], augment=AugmentConfig.none())
    again = ClipDatasetConfig.from_config(json.loads(json.dumps(evaluation.get_config())))
    assert again.views == (2, 3) and again.clip_shape == (6, 8, 224, 224, 3)
    assert again.augment_config() == AugmentConfig.none() and again.mixup_config() is None
    assert not again.shuffles and not again.drops_remainder and config.shuffles and config.drops_remainder


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"batch_size": 0}, "batch_size must be >= 1. Received: batch_size=0"),
        ({"num_frames": 2.5}, "num_frames must be a positive integer. Received: num_frames=2.5"),
        ({"image_size": True}, "image_size must be a positive integer. Received: image_size=True"),
        ({"short_side": 100}, r"short_side must be >= image_size \(224\) or None. Received: short_side=100"),
        ({"sampling": "uniform"}, "sampling must be 'segment', 'dense' or 'official'. Received: sampling='uniform'"),
        ({"views": (2, 2)}, r"views must be \(clips >= 1, crops in \{1, 3\}\). Received: views=\(2, 2\)"),
        ({"views": (11, 3)}, r"views must have at most 10 clips \(.*\). Received: views=\(11, 3\)"),
        ({"training": True, "views": (2, 3)}, "evaluation protocol. Received: training=True, views=\\(2, 3\\)"),
        ({"augment": {"blur": 1.0}}, r"Unknown augmentation options \['blur'\]. Received: augment="),
        ({"prefetch": 0}, "prefetch must be None, -1 \\(AUTOTUNE\\) or >= 1. Received: prefetch=0"),
    ],
)
def test_config_rejects_bad_values_with_received_messages(changes, message):
    settings = {"training": False, "batch_size": 2, **changes}
    with pytest.raises(ValueError, match=message):
        ClipDatasetConfig(**settings)


def test_config_is_frozen_and_rejects_unknown_keys():
    config = ClipDatasetConfig(training=False, batch_size=1)
    with pytest.raises(AttributeError):
        config.batch_size = 2
    with pytest.raises(ValueError, match=r"Unknown ClipDatasetConfig options \['frames'\]. Received: config="):
        ClipDatasetConfig.from_config({**config.get_config(), "frames": 8})
    with pytest.raises(TypeError, match="mixup must be None, a bool, a dict or a MixupConfig. Received: mixup=3"):
        ClipDatasetConfig(training=True, batch_size=1, mixup=3)
