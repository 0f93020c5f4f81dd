"""Backbone and classifier: shapes, batch sizes, gradients, config and .keras round trips."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier
from tests.model_testing import TINY_BACKBONE_CONFIG, random_clips, tiny_classifier


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
    missing = [v.path for v, g in zip(model.trainable_variables, grads, strict=True) if g is None]
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


# --- keras-hub presets: built-in names, save_to_preset directories, files of the previous code ---

KERAS_HUB_PRESET_FILES = {
    "config.json",
    "model.weights.h5",
    "metadata.json",
    "preprocessor.json",
    "task.json",
    "task.weights.h5",
}

# Runs in a fresh Python: loads the preset directory with our class and with keras-hub's base class.
LOAD_PRESET = """
import json, sys
import numpy as np
import dvfl_tf  # registers the dvfl_tf classes with Keras when Keras is imported
import keras_hub
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier

preset, clips_path, out = sys.argv[1:]
clips = np.load(clips_path)
model = VideoFocalNetClassifier.from_preset(preset)
backbone = keras_hub.models.Backbone.from_preset(preset)
folded = clips.reshape((-1,) + clips.shape[2:])
np.save(out + "_logits.npy", np.asarray(model(clips)))
np.save(out + "_features.npy", np.asarray(backbone(folded)))
with open(out + ".json", "w") as f:
    json.dump({"class": type(model).__name__, "backbone_class": type(backbone).__name__,
               "class_names": model.class_names,
               "preprocessing": model.preprocessor.preprocessing_config()}, f)
"""


def test_from_preset_builtin_name_builds_with_fresh_weights():
    model = VideoFocalNetClassifier.from_preset("vfl_net_nano", num_classes=5)
    assert isinstance(model, VideoFocalNetClassifier)
    assert model.outputs[0].shape == (None, 5)
    assert model.backbone.count_params() == 22137054  # the preset's registered metadata
    assert model.class_names is None
    config = model.preprocessor.preprocessing_config()
    assert config["num_frames"] == 8 and config["image_size"] == [224, 224] and config["resize_size"] == 256


def test_from_preset_builtin_name_needs_num_classes():
    with pytest.raises(ValueError, match="needs `num_classes`"):
        VideoFocalNetClassifier.from_preset("vfl_net_nano")


def test_save_to_preset_round_trip_in_a_fresh_process(tmp_path, subprocess_env):
    keras.utils.set_random_seed(3)
    model = tiny_classifier(num_classes=3, drop_path_rate=0.1)
    model.set_class_names(["walk", "run", "jump"])
    model.preprocessor.resize_size = 40  # not the default (37): the directory must carry it
    preset = tmp_path / "my_preset"
    model.save_to_preset(str(preset))
    assert {p.name for p in preset.iterdir()} == KERAS_HUB_PRESET_FILES

    clips = random_clips(2, 4, 32, seed=5)
    np.save(tmp_path / "clips.npy", clips)
    out = str(tmp_path / "loaded")
    completed = subprocess.run(
        [sys.executable, "-c", LOAD_PRESET, str(preset), str(tmp_path / "clips.npy"), out],
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    loaded = json.loads(open(out + ".json").read())
    assert loaded["class"] == "VideoFocalNetClassifier"
    assert loaded["backbone_class"] == "VideoFocalNetBackbone"
    assert loaded["class_names"] == ["walk", "run", "jump"]
    assert loaded["preprocessing"] == model.preprocessor.preprocessing_config()
    assert loaded["preprocessing"]["resize_size"] == 40
    np.testing.assert_array_equal(np.load(out + "_logits.npy"), np.asarray(model(clips)))
    folded = clips.reshape((-1,) + clips.shape[2:])
    np.testing.assert_array_equal(np.load(out + "_features.npy"), np.asarray(model.backbone(folded)))


def test_from_preset_directory_with_num_classes_gets_a_fresh_head(tmp_path):
    keras.utils.set_random_seed(4)
    model = tiny_classifier(num_classes=3)
    model.save_to_preset(str(tmp_path / "p"))
    restored = VideoFocalNetClassifier.from_preset(str(tmp_path / "p"), num_classes=7)
    assert restored.outputs[0].shape == (None, 7)
    for saved, loaded in zip(model.backbone.weights, restored.backbone.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(saved), np.asarray(loaded))


LEGACY_FILE = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "legacy_classifier_9153982.keras"


def test_keras_file_of_the_previous_code_loads_with_its_class_names():
    # Written by commit 9153982 (before the preprocessor): class names at the top of the config.
    model = keras.saving.load_model(LEGACY_FILE)
    assert isinstance(model, VideoFocalNetClassifier)
    assert model.class_names == ["walk", "run", "jump"]
    assert model.preprocessor.preprocessing_config()["image_size"] == [16, 16]
    clips = np.random.default_rng(0).uniform(0, 255, (2, 4, 16, 16, 3)).astype("float32")
    expected = np.load(LEGACY_FILE.with_name("legacy_classifier_9153982_logits.npy"))
    np.testing.assert_allclose(np.asarray(model(clips)), expected, atol=1e-6)
