"""keras-hub-style tests of the spatio-temporal focal modulation."""

import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_modulation import SpatioTemporalFocalModulation
from tests.model_testing import run_layer_test

RNG = np.random.default_rng(0)


def _features(leading, size, channels):
    return RNG.normal(size=(leading, size, size, channels)).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dim": 8, "num_frames": 2},
        {
            "dim": 8,
            "num_frames": 2,
            "focal_level": 3,
            "focal_window": 1,
            "use_postln_in_modulation": True,
            "normalize_modulator": True,
            "activation": "gelu_sigmoid",
        },
        {"dim": 8, "num_frames": 2, "use_postln_in_modulation": True, "norm": "batch", "activation": "relu"},
    ],
)
def test_spatio_temporal_focal_modulation(kwargs):
    x = _features(4, 6, 8)  # 2 clips x 2 frames
    run_layer_test(SpatioTemporalFocalModulation, kwargs, x, (4, 6, 6, 8), batch_sizes=[2, 6])


def test_modulation_temporal_branch_mixes_only_frames_of_one_clip():
    layer = SpatioTemporalFocalModulation(8, num_frames=2)
    x = _features(4, 4, 8)
    base = np.asarray(layer(x))
    x2 = x.copy()
    x2[1] += 1.0  # second frame of clip 0
    changed = np.asarray(layer(x2))
    assert np.abs(changed[0] - base[0]).max() > 0  # frame 0 of the same clip sees it
    np.testing.assert_array_equal(changed[2:], base[2:])  # clip 1 does not


@pytest.mark.parametrize("kwargs", [{}, {"focal_level": 3, "normalize_modulator": True, "causal": True}])
def test_modulator_maps_are_the_tensors_call_modulates_with(kwargs):
    layer = SpatioTemporalFocalModulation(8, num_frames=2, **kwargs)
    x = _features(4, 5, 8)  # 2 clips x 2 frames
    maps = {key: np.asarray(value) for key, value in layer.modulator_maps(x).items()}
    levels = layer.focal_level + 1
    assert maps["modulator"].shape == maps["modulator_temporal"].shape == (4, 5, 5, 8)
    assert maps["gates"].shape == (4, 5, 5, levels)
    assert maps["gates_temporal"].shape == (2, 2, 25, levels)
    # The gates are the last columns of the projections f and f_temporal.
    np.testing.assert_allclose(maps["gates"], np.asarray(layer.f(x))[..., -levels:], atol=1e-6)
    tokens = x.reshape(2, 2, 25, 8)
    np.testing.assert_allclose(maps["gates_temporal"], np.asarray(layer.f_temporal(tokens))[..., -levels:], atol=1e-6)
    # call's output is proj(q * modulator_temporal * modulator), q the first columns of f.
    q = np.asarray(layer.f(x))[..., :8]
    expected = np.asarray(layer.proj(q * maps["modulator_temporal"] * maps["modulator"]))
    np.testing.assert_allclose(np.asarray(layer(x)), expected, atol=1e-5)


def test_modulation_argument_validation():
    with pytest.raises(ValueError, match="Received: focal_window=2"):
        SpatioTemporalFocalModulation(8, num_frames=2, focal_window=2)
    with pytest.raises(ValueError, match="Received: dim=0"):
        SpatioTemporalFocalModulation(0, num_frames=2)
    with pytest.raises(ValueError, match="activation"):
        SpatioTemporalFocalModulation(8, num_frames=2, activation="relu6")


@pytest.mark.parametrize("temporal_conv", ["depthwise", "grouped"])
def test_modulation_temporal_conv_options(temporal_conv):
    x = _features(4, 4, 32)  # 2 clips x 2 frames, 32 channels (2 groups of 16)
    kwargs = {"dim": 32, "num_frames": 2, "temporal_conv": temporal_conv}
    run_layer_test(SpatioTemporalFocalModulation, kwargs, x, (4, 4, 4, 32), batch_sizes=[2, 6])


@pytest.mark.parametrize("temporal_conv, groups", [("depthwise", 32), ("grouped", 2)])
def test_cheap_temporal_conv_equals_dense_conv_with_block_diagonal_kernel(temporal_conv, groups):
    # The cheap temporal convs compute the official (dense) layer with the kernel
    # entries across groups set to zero: same function otherwise, far fewer MACs.
    dim, x = 32, _features(4, 3, 32)
    cheap = SpatioTemporalFocalModulation(dim, num_frames=2, temporal_conv=temporal_conv)
    dense = SpatioTemporalFocalModulation(dim, num_frames=2)
    cheap(x), dense(x)
    for cheap_weight, dense_weight in zip(cheap.weights, dense.weights):
        if "focal_layers_temporal" not in cheap_weight.path:
            dense_weight.assign(cheap_weight)
    per_group = dim // groups
    for level, (cheap_conv, dense_conv) in enumerate(zip(cheap.focal_layers_temporal, dense.focal_layers_temporal)):
        small = np.asarray(cheap_conv.kernel)  # (k, 1, per_group, dim) or depthwise (k, 1, dim, 1)
        if temporal_conv == "depthwise":
            small = np.transpose(small, (0, 1, 3, 2))  # -> (k, 1, 1, dim)
        full = np.zeros(dense_conv.kernel.shape, "float32")
        for out in range(dim):
            group = out // per_group
            full[:, :, group * per_group : (group + 1) * per_group, out] = small[:, :, :, out]
        dense_conv.kernel.assign(full)
        assert cheap_conv.count_params() == small.size < dense_conv.count_params(), level
    np.testing.assert_allclose(np.asarray(cheap(x)), np.asarray(dense(x)), atol=1e-5)


def test_temporal_conv_validation():
    with pytest.raises(ValueError, match="Received: temporal_conv='separable'"):
        SpatioTemporalFocalModulation(32, num_frames=2, temporal_conv="separable")
    with pytest.raises(ValueError, match="Received: dim=24"):
        SpatioTemporalFocalModulation(24, num_frames=2, temporal_conv="grouped")


def test_relu_modulation_leaves_out_the_global_relu_which_is_the_identity():
    import keras

    layer = SpatioTemporalFocalModulation(8, num_frames=2, activation="relu")
    x = _features(4, 6, 8)
    layer(x)
    assert layer.global_act is not layer.act
    relu_twice = SpatioTemporalFocalModulation(8, num_frames=2, activation="relu")
    relu_twice(x)
    relu_twice.set_weights(layer.get_weights())
    relu_twice.global_act = relu_twice.act  # the written-out form: act(mean(act(...)))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(x)), keras.ops.convert_to_numpy(relu_twice(x)))
