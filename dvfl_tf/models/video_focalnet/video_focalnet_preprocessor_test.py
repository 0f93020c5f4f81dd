"""`VideoFocalNetPreprocessor`: the numbers it carries, its config, and what its call does to clips."""

import keras
import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_embedding import FrameNormalization
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessing_config import (
    IMAGENET_MEAN_RGB,
    IMAGENET_STD_RGB,
    short_side_for,
)
from dvfl_tf.models.video_focalnet.video_focalnet_preprocessor import (
    VideoFocalNetPreprocessor,
    preprocessing_metadata,
)
from tests.model_testing import random_clips, tiny_classifier


def test_official_numbers_by_default():
    config = VideoFocalNetPreprocessor().preprocessing_config()
    assert config == {
        "num_frames": 8,
        "image_size": [224, 224],
        "resize_size": 256,  # the official 256 short side for 224 crops
        "crop": "center",
        "sampling": "segment",
        "mean": [123.675, 116.28, 103.53],
        "std": [58.395, 57.12, 57.375],
    }
    # One definition: the model's normalisation layer uses the same numbers.
    layer = FrameNormalization()
    assert (layer.mean, layer.std) == (IMAGENET_MEAN_RGB, IMAGENET_STD_RGB)


def test_resize_size_scales_with_the_crop():
    assert VideoFocalNetPreprocessor(image_size=160).resize_size == short_side_for(160) == 183
    assert VideoFocalNetPreprocessor(image_size=(112, 160)).resize_size == 128


def test_config_round_trip_keeps_class_names():
    preprocessor = VideoFocalNetPreprocessor(num_frames=4, image_size=32, resize_size=40, class_names=["a", "b"])
    restored = VideoFocalNetPreprocessor.from_config(preprocessor.get_config())
    assert restored.get_config() == preprocessor.get_config()
    assert restored.class_names == ["a", "b"]
    assert restored.preprocessing_config()["resize_size"] == 40


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_frames": 0}, "num_frames"),
        ({"image_size": 32, "resize_size": 16}, "resize_size"),
        ({"crop": "random"}, "crop"),
        ({"std": (1.0, 0.0, 1.0)}, "std"),
    ],
)
def test_invalid_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=f"Received: .*{message}"):
        VideoFocalNetPreprocessor(**kwargs)


def test_model_ready_clips_pass_unchanged():
    # What training and evaluation feed: clips already of the model's size.
    preprocessor = VideoFocalNetPreprocessor(num_frames=4, image_size=32)
    clips = random_clips(2, 4, 32)
    labels = np.array([1, 0])
    x, y = preprocessor(clips, y=labels)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(x), clips)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(y), labels)
    uint8 = preprocessor(clips.astype("uint8"))
    assert keras.ops.convert_to_numpy(uint8).dtype == np.float32


def test_larger_frames_are_resized_then_centre_cropped():
    preprocessor = VideoFocalNetPreprocessor(num_frames=2, image_size=32, resize_size=40)
    # A frame whose left half is dark and right half bright: after resize (40 x 80) and the centre
    # 32x32 crop, the crop straddles the middle: its left half stays dark, its right half bright.
    frames = np.zeros((1, 2, 48, 96, 3), np.float32)
    frames[..., 48:, :] = 200.0
    out = keras.ops.convert_to_numpy(preprocessor(frames))
    assert out.shape == (1, 2, 32, 32, 3)
    assert np.allclose(out[..., :12, :], 0.0, atol=1e-3) and np.allclose(out[..., 20:, :], 200.0, atol=1e-3)


def test_preprocessing_metadata_of_a_classifier_and_of_a_bare_clip_graph():
    model = tiny_classifier(num_classes=2)
    assert preprocessing_metadata(model) == model.preprocessor.preprocessing_config()
    graph = model.single_clip_model()
    assert preprocessing_metadata(graph) == model.preprocessor.preprocessing_config()


def test_classifier_refuses_a_preprocessor_of_another_clip():
    model = tiny_classifier(num_classes=2)
    from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier

    with pytest.raises(ValueError, match="must match the backbone"):
        VideoFocalNetClassifier(model.backbone, num_classes=2, preprocessor=VideoFocalNetPreprocessor(num_frames=8))
