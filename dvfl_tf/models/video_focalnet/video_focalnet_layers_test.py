"""keras-hub-style tests of every Video-FocalNet layer."""

import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_layers import (
    ClipPooling,
    FoldFrames,
    FrameNormalization,
    LayerNorm,
    PatchEmbedding,
    SpatioTemporalFocalModulation,
    StochasticDepth,
    VideoFocalNetBlock,
)
from dvfl_tf.models.video_focalnet.video_focalnet_testing import run_layer_test

RNG = np.random.default_rng(0)


def _features(leading, size, channels):
    return RNG.normal(size=(leading, size, size, channels)).astype("float32")


def test_layer_norm_equals_keras_layer_normalization():
    import keras

    x = _features(3, 4, 8) * 5.0 + 2.0
    run_layer_test(LayerNorm, {"epsilon": 1e-5}, x, (3, 4, 4, 8), batch_sizes=[1, 6])
    ours, reference = LayerNorm(epsilon=1e-5), keras.layers.LayerNormalization(epsilon=1e-5)
    ours.build(x.shape)
    reference.build(x.shape)
    gamma, beta = RNG.normal(size=(2, 8)).astype("float32")
    for layer in (ours, reference):
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(reference(x)), atol=1e-5)
    with pytest.raises(ValueError, match="Received: epsilon=0"):
        LayerNorm(epsilon=0)


def test_layer_norm_prescale_changes_nothing_for_quiet_loud_and_constant_tokens():
    import keras
    import tensorflow as tf

    # Token spreads from 1e-4 to 1e3 and one constant token (spread 0): the
    # per-token prescale must cancel in every case and keep gradients finite.
    x = _features(1, 4, 8) * np.logspace(-4, 3, 16, dtype="float32").reshape(1, 4, 4, 1)
    x[0, 0, 0] = 7.0
    ours, reference = LayerNorm(epsilon=1e-5), keras.layers.LayerNormalization(epsilon=1e-5)
    for layer in (ours, reference):
        layer.build(x.shape)
    expected = np.asarray(reference(x))
    np.testing.assert_allclose(np.asarray(ours(x)), expected, atol=1e-5, rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(ours(x))[0, 0, 0], 0.0)  # constant token -> beta
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = tf.reduce_sum(ours(inputs) * tf.constant(RNG.normal(size=x.shape).astype("float32")))
    gradient = tape.gradient(loss, inputs).numpy()
    assert np.all(np.isfinite(gradient))


def test_frame_normalization():
    frames = RNG.uniform(0, 255, size=(2, 8, 8, 3)).astype("float32")
    run_layer_test(FrameNormalization, {}, frames, (2, 8, 8, 3), batch_sizes=[1, 3])
    out = np.asarray(FrameNormalization()(np.full((1, 1, 1, 3), [123.675, 116.28, 103.53], "float32")))
    np.testing.assert_allclose(out, 0.0, atol=1e-6)


def test_fold_frames():
    clips = RNG.uniform(0, 255, size=(2, 4, 8, 8, 3)).astype("float32")
    run_layer_test(FoldFrames, {}, clips, (8, 8, 8, 3), batch_sizes=[1, 3])
    folded = np.asarray(FoldFrames()(clips))
    np.testing.assert_array_equal(folded[5], clips[1, 1])  # clip-major order


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
    "kwargs, input_shape, output_shape",
    [
        ({"embed_dim": 8, "is_stem": True}, (4, 16, 16, 3), (4, 4, 4, 8)),
        ({"embed_dim": 8, "is_stem": True, "tubelet_size": 2}, (4, 16, 16, 3), (2, 4, 4, 8)),
        ({"embed_dim": 8, "is_stem": True, "use_conv_embed": True}, (4, 16, 16, 3), (4, 4, 4, 8)),
        ({"embed_dim": 16, "patch_size": 2}, (4, 8, 8, 8), (4, 4, 4, 16)),
        ({"embed_dim": 16, "patch_size": 2, "use_conv_embed": True}, (4, 8, 8, 8), (4, 4, 4, 16)),
        ({"embed_dim": 16, "patch_size": 2, "use_norm": False}, (4, 8, 8, 8), (4, 4, 4, 16)),
    ],
)
def test_patch_embedding(kwargs, input_shape, output_shape):
    x = RNG.normal(size=input_shape).astype("float32")
    run_layer_test(PatchEmbedding, kwargs, x, output_shape, batch_sizes=[4, 12])


def test_patch_embedding_tubelet_groups_consecutive_frames():
    # Each output row must depend only on its own `tubelet_size` input frames.
    layer = PatchEmbedding(4, is_stem=True, tubelet_size=2, use_norm=False)
    x = RNG.normal(size=(4, 8, 8, 3)).astype("float32")
    base = np.asarray(layer(x))
    x2 = x.copy()
    x2[3] += 1.0  # second frame of the second tubelet
    changed = np.asarray(layer(x2))
    np.testing.assert_array_equal(changed[0], base[0])
    assert np.abs(changed[1] - base[1]).max() > 0


def test_patch_embedding_rejects_tubelet_downsample():
    with pytest.raises(ValueError, match="tubelet_size"):
        PatchEmbedding(8, tubelet_size=2, is_stem=False)


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


@pytest.mark.parametrize(
    "kwargs",
    [
        {"dim": 8, "num_frames": 2},
        {"dim": 8, "num_frames": 2, "use_postln": True, "use_layerscale": True, "layerscale_value": 0.5},
        {"dim": 8, "num_frames": 2, "drop_path": 0.2, "dropout": 0.1, "mlp_ratio": 2.0},
    ],
)
def test_video_focalnet_block(kwargs):
    x = _features(4, 4, 8)
    run_layer_test(VideoFocalNetBlock, kwargs, x, (4, 4, 4, 8), batch_sizes=[2, 6])


def test_clip_pooling():
    x = _features(6, 2, 8)
    run_layer_test(ClipPooling, {"num_frames": 3}, x, (2, 8), batch_sizes=[3, 9])
    pooled = np.asarray(ClipPooling(num_frames=3)(x))
    np.testing.assert_allclose(pooled[1], x[3:].mean(axis=(0, 1, 2)), atol=1e-6)


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
