"""Backbone and classifier: shapes, batch sizes, gradients, config and .keras round trips."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier
from dvfl_tf.models.video_focalnet.video_focalnet_testing import TINY_BACKBONE_CONFIG, random_clips, tiny_classifier


@pytest.fixture(scope="module")
def model():
    return tiny_classifier(num_classes=5, drop_path_rate=0.1)


@pytest.mark.parametrize("batch", [1, 3])
def test_batch_sizes(model, batch):
    clips = random_clips(batch, 4, 32, seed=batch)
    logits = np.asarray(model(clips))
    assert logits.shape == (batch, 5)
    # Each clip is classified on its own: batching does not change its logits.
    single = np.asarray(model(clips[-1:]))
    np.testing.assert_allclose(logits[-1:], single, atol=1e-5)


def test_every_trainable_weight_gets_a_gradient(model):
    clips = random_clips(2, 4, 32)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(clips, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    missing = [v.path for v, g in zip(model.trainable_variables, grads) if g is None]
    assert not missing
    assert len(model.trainable_variables) > 40


def test_fit_step_and_keras_round_trip(tmp_path, model):
    clips = random_clips(2, 4, 32)
    labels = np.array([0, 3])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(clips, labels, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])

    path = tmp_path / "tiny.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert isinstance(restored, VideoFocalNetClassifier)
    assert restored.get_config() == model.get_config()
    np.testing.assert_allclose(np.asarray(restored(clips)), np.asarray(model(clips)), atol=1e-6)


def test_backbone_config_round_trip():
    backbone = VideoFocalNetBackbone(**TINY_BACKBONE_CONFIG, use_layerscale=True, tubelet_size=2, name="b")
    config = backbone.get_config()
    for key, value in TINY_BACKBONE_CONFIG.items():
        assert config[key] == value
    clone = VideoFocalNetBackbone.from_config(config)
    assert clone.get_config() == config
    assert clone.count_params() == backbone.count_params()


def test_backbone_output_shape():
    backbone = VideoFocalNetBackbone(**{**TINY_BACKBONE_CONFIG, "tubelet_size": 2})
    features = backbone(random_clips(2, 4, 32).reshape(8, 32, 32, 3))
    assert tuple(features.shape) == (4, 1, 1, 64)  # 2 clips x 2 tubelets, 32/32 tokens, 8 * 2**3 channels


def test_single_clip_model_matches_and_stays_4d(model):
    clip = random_clips(1, 4, 32, seed=7)
    single = model.single_clip_model()
    np.testing.assert_allclose(np.asarray(single(clip[0])), np.asarray(model(clip)), atol=1e-5)
    assert single.input.shape == (4, 32, 32, 3)
    graph = tf.function(single).get_concrete_function(tf.TensorSpec((4, 32, 32, 3))).graph
    ranks = {len(t.shape) for op in graph.get_operations() for t in op.outputs if t.shape.rank is not None}
    assert max(ranks) <= 4
    assert not [op.type for op in graph.get_operations() if "3D" in op.type]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"depths": [1, 1], "focal_levels": [2, 2, 2, 2]}, "focal_levels"),
        ({"num_frames": 3, "tubelet_size": 2}, "num_frames"),
        ({"image_size": 16}, "image_size"),
        ({"drop_path_rate": 1.5}, "drop_path_rate"),
    ],
)
def test_backbone_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VideoFocalNetBackbone(**{**TINY_BACKBONE_CONFIG, **kwargs})


def test_classifier_rejects_bad_num_classes():
    with pytest.raises(ValueError, match="Received: num_classes=0"):
        tiny_classifier(num_classes=0)
