"""Small real models for the benchmark tests: tiny VFL-Net .keras and .tflite files."""

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _convert(keras_model, path, dynamic_range=False):
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    if dynamic_range:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with open(path, "wb") as f:
        f.write(converter.convert())
    return str(path)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """{"keras": path, "classifier": model, "float32": path, "dynamic_range": path} of one tiny classifier."""
    from dvfl_tf.testing import tiny_classifier

    directory = tmp_path_factory.mktemp("tiny_models")
    classifier = tiny_classifier()
    keras_path = directory / "tiny.keras"
    classifier.save(keras_path)
    clip_model = classifier.single_clip_model()
    return {
        "classifier": classifier,
        "keras": str(keras_path),
        "float32": _convert(clip_model, directory / "tiny_float32.tflite"),
        "dynamic_range": _convert(clip_model, directory / "tiny_dynamic_range.tflite", dynamic_range=True),
    }
