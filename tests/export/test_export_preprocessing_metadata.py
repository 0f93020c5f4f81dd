"""The preprocessing config and class names travel: preset directory -> exported .tflite -> runtime."""

import json

import keras
import numpy as np

from dvfl_tf.evaluation.keras_classifier import KerasVideoClassifier
from dvfl_tf.export import export_tflite
from dvfl_tf.models.video_focalnet.video_focalnet_classifier import VideoFocalNetClassifier
from dvfl_tf.runtime import TFLiteVideoClassifier, read_metadata
from dvfl_tf.runtime.model_metadata import embed_metadata
from dvfl_tf.runtime.preprocessing import clip_from_video
from tests.model_testing import tiny_classifier

CLASS_NAMES = ["walk", "run", "jump"]
# The export tests' mini classifier (tests/export/conftest.py): one stage, 2 frames of 16x16.
MINI = {"depths": [1], "focal_levels": [2], "focal_windows": [3], "image_size": 16, "num_frames": 2}


def test_tflite_of_a_preset_carries_its_preprocessing_and_class_names(tmp_path, test_video):
    keras.utils.set_random_seed(5)
    model = tiny_classifier(num_classes=len(CLASS_NAMES), **MINI)
    model.set_class_names(CLASS_NAMES)
    model.preprocessor.resize_size = 24  # not the default 256/224 rule (18): the file must say 24
    model.save_to_preset(str(tmp_path / "preset"))
    loaded = VideoFocalNetClassifier.from_preset(str(tmp_path / "preset"))
    expected = loaded.preprocessor.preprocessing_config()
    assert expected["resize_size"] == 24

    path = tmp_path / "mini.tflite"
    export_tflite(loaded, path, mode="float32", verify_clips=[np.zeros((2, 16, 16, 3), np.float32)])
    embedded = read_metadata(path.read_bytes())
    assert embedded["preprocessing"] == expected
    assert embedded["class_names"] == CLASS_NAMES
    assert json.loads((tmp_path / "mini.tflite.json").read_text()) == embedded  # the sidecar JSON says the same

    classifier = TFLiteVideoClassifier(path)
    assert classifier.class_names == CLASS_NAMES
    assert classifier.resize_size == 24
    # The runtime's clip is the one the .keras model's own preprocessing gives.
    keras_classifier = KerasVideoClassifier(loaded)
    assert keras_classifier.resize_size == 24
    clip = clip_from_video(test_video, 2, 16, short_side=24)
    np.testing.assert_array_equal(clip, clip_from_video(test_video, 2, 16, short_side=classifier.resize_size))
    assert classifier.predict_video(test_video, top_k=1)[0][0] in CLASS_NAMES


def test_files_without_preprocessing_metadata_keep_the_256_224_rule(exports, tmp_path):
    # A file as exported before the config was written: same model, metadata without `preprocessing`.
    path, _ = exports["float32"]
    model_bytes = open(path, "rb").read()
    metadata = read_metadata(model_bytes)
    metadata.pop("preprocessing")
    old = tmp_path / "old.tflite"
    old.write_bytes(embed_metadata(model_bytes, metadata))
    assert TFLiteVideoClassifier(old).resize_size == round(16 * 256 / 224) == 18
    assert TFLiteVideoClassifier(path).resize_size == 18  # the mini model's own config: the same rule
