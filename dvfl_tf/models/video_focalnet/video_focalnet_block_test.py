"""keras-hub-style tests of the block and its stochastic depth."""

import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_block import StochasticDepth, VideoFocalNetBlock
from tests.model_testing import run_layer_test

RNG = np.random.default_rng(0)


def _features(leading, size, channels):
    return RNG.normal(size=(leading, size, size, channels)).astype("float32")


def test_stochastic_depth():
    x = _features(4, 4, 8)
    run_layer_test(StochasticDepth, {"rate": 0.5, "seed": 1}, x, (4, 4, 4, 8), batch_sizes=[1, 3])
    layer = StochasticDepth(0.5, seed=3)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    dropped = np.asarray(layer(np.ones((256, 2, 2, 1), "float32"), training=True))
    per_row = dropped.reshape(256, -1)
    assert set(np.unique(per_row)) <= {0.0, 2.0}  # whole rows dropped, survivors rescaled by 1/keep
    assert np.all(per_row.min(axis=1) == per_row.max(axis=1))
    assert 0.3 < (per_row[:, 0] == 0).mean() < 0.7


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dim": 8, "num_frames": 2},
        {"dim": 8, "num_frames": 2, "use_postln": True, "use_layerscale": True, "layerscale_value": 0.5},
        {"dim": 8, "num_frames": 2, "drop_path": 0.2, "dropout": 0.1, "mlp_ratio": 2.0},
        {"dim": 8, "num_frames": 2, "norm": "batch", "activation": "hard_swish"},
        {"dim": 8, "num_frames": 2, "norm": "batch", "activation": "relu", "use_postln": True},
    ],
)
def test_video_focalnet_block(kwargs):
    x = _features(4, 4, 8)
    run_layer_test(VideoFocalNetBlock, kwargs, x, (4, 4, 4, 8), batch_sizes=[2, 6])
