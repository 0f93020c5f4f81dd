"""keras-hub-style tests of the clip pooling."""

import numpy as np

from dvfl_tf.models.video_focalnet.video_focalnet_pooling import ClipPooling
from tests.model_testing import run_layer_test

RNG = np.random.default_rng(0)


def _features(leading, size, channels):
    return RNG.normal(size=(leading, size, size, channels)).astype("float32")


def test_clip_pooling():
    x = _features(6, 2, 8)
    run_layer_test(ClipPooling, {"num_frames": 3}, x, (2, 8), batch_sizes=[3, 9])
    pooled = np.asarray(ClipPooling(num_frames=3)(x))
    np.testing.assert_allclose(pooled[1], x[3:].mean(axis=(0, 1, 2)), atol=1e-6)
