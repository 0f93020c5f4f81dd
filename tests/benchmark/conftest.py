"""Small real models for the benchmark tests: tiny VFL-Net .keras and .tflite files."""

import os

import pytest

from dvfl_tf.latency.records import BenchmarkRecord

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
    from tests.model_testing import tiny_classifier

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


@pytest.fixture(scope="session")
def tiny_int8(tiny_models, tmp_path_factory):
    """A full-integer int8 .tflite of the tiny classifier (its LayerNorm RSQRTs have no int8 XNNPACK kernel)."""
    from dvfl_tf.export.tflite_conversion import convert
    from tests.model_testing import random_clips

    clip_model = tiny_models["classifier"].single_clip_model()
    path = tmp_path_factory.mktemp("tiny_int8") / "tiny_int8.tflite"
    path.write_bytes(convert(clip_model, "int8", list(random_clips(4, 4, 32))))
    return str(path)


def _record(model, precision, median, gmacs, threads=1, roofline_fraction=None):
    return BenchmarkRecord(
        model=model,
        target="host",
        device="cpu",
        threads=threads,
        delegate="xnnpack",
        init_ms=10.0,
        first_ms=median * 1.2,
        mean_ms=median * 1.01,
        median_ms=median,
        p90_ms=median * 1.05,
        min_ms=median * 0.98,
        std_ms=median * 0.02,
        peak_memory_mb=300.0,
        runs=10,
        precision=precision,
        gmacs=gmacs,
        gmacs_per_s=gmacs / (median / 1e3),
        roofline_fraction=roofline_fraction,
    )


@pytest.fixture
def sample_records():
    """Records as `dvfl-tf benchmark` writes them, for table and plot tests (figures invented)."""
    return [
        _record("vfl_net_nano_float32.tflite", "float32", 420.0, 27.1, roofline_fraction=0.8),
        _record("vfl_net_nano_int8.tflite", "int8", 300.0, 27.1, roofline_fraction=0.55),
        _record("vfl_net_nano_fp16.tflite", "fp16", 430.0, 27.1),
        _record("video_focalnet_base_float32.tflite", "float32", 2900.0, 160.0),
    ]
