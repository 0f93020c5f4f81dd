"""Shared fixtures: one very small classifier and its exports, made once per test session.

Each TFLite conversion costs seconds, so the exported files are built once
and shared by the tests that only read them.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from tests.model_testing import give_real_scale, tiny_classifier

# One stage, one block: every layer type of the model (LayerNorm, GELU,
# spatial and temporal focal modulation, clip pooling, head) in ~4 s per conversion.
MINI = {"depths": [1], "focal_levels": [2], "focal_windows": [3], "image_size": 16, "num_frames": 2}
CLASS_NAMES = ["walk", "run", "jump"]


def make_mini_classifier(seed=0, **overrides):
    import keras

    keras.utils.set_random_seed(seed)
    return tiny_classifier(num_classes=len(CLASS_NAMES), **{**MINI, **overrides})


def make_real_scale_classifier(seed=0, **overrides):
    """`make_mini_classifier` with logits of a real scale on synthetic motion clips (`give_real_scale`)."""
    from dvfl_tf.export import synthetic_motion_clips

    model = make_mini_classifier(seed, **overrides)
    config = {**MINI, **overrides}
    return give_real_scale(model, synthetic_motion_clips(96, config["num_frames"], config["image_size"], seed=101))


def write_test_video(path, num_frames=12, size=(40, 48), seed=0):
    """A small real .avi (MJPG) with a moving square, written by OpenCV."""
    import cv2

    rng = np.random.default_rng(seed)
    height, width = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (width, height))
    assert writer.isOpened(), "OpenCV could not open a VideoWriter"
    for t in range(num_frames):
        frame = np.full((height, width, 3), rng.integers(0, 255, size=3), dtype=np.uint8)
        frame[5 + t : 15 + t, 5 + 2 * t : 15 + 2 * t] = 255
        writer.write(frame)
    writer.release()
    return str(path)


@pytest.fixture(scope="session")
def class_names():
    return list(CLASS_NAMES)


@pytest.fixture(scope="session")
def real_scale_classifier():
    """`make_real_scale_classifier(seed=0, **overrides)`, for tests that need another architecture."""
    return make_real_scale_classifier


@pytest.fixture(scope="session")
def mini_classifier():
    """The classifier of the shared exports, its logits of a real scale (`give_real_scale`)."""
    return make_real_scale_classifier()


@pytest.fixture(scope="session")
def exports(mini_classifier, tmp_path_factory):
    """{mode: (path, report)} for float32 and int8 exports of `mini_classifier`."""
    from dvfl_tf.export import export_tflite

    folder = tmp_path_factory.mktemp("exports")
    result = {}
    for mode in ("float32", "int8"):
        path = folder / f"mini_{mode}.tflite"
        report = export_tflite(
            mini_classifier,
            path,
            mode=mode,
            class_names=CLASS_NAMES,
            report_path=folder / f"mini_{mode}.json",
        )
        result[mode] = (str(path), report)
    return result


@pytest.fixture(scope="session")
def video_writer():
    """`write_test_video(path, num_frames=12, size=(40, 48), seed=0)` for tests needing their own video."""
    return write_test_video


@pytest.fixture(scope="session")
def test_video(tmp_path_factory):
    return write_test_video(tmp_path_factory.mktemp("videos") / "clip.avi")


FOLDER_CLASSES = ("jump", "run", "walk")


@pytest.fixture
def make_folder_dataset(tmp_path, video_writer):
    """A real folder dataset (split/class/video.avi) of OpenCV-written videos, `counts` = {split: videos per class}."""

    def make(counts):
        root = tmp_path / "data"
        for split, count in counts.items():
            for label, name in enumerate(FOLDER_CLASSES):
                folder = root / split / name
                folder.mkdir(parents=True)
                for i in range(count):
                    video_writer(folder / f"{name}_{i}.avi", num_frames=6, seed=10 * label + i)
        return root

    return make
