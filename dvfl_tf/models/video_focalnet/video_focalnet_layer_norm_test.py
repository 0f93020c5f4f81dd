"""keras-hub-style tests of the LayerNorm."""

import numpy as np
import pytest

from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import LayerNorm
from tests.model_testing import run_layer_test

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


def test_norm_batch_is_a_batch_norm_whose_folded_form_is_the_identity():
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import BatchNorm, layer_norm

    assert isinstance(layer_norm("norm1"), LayerNorm)
    norm = layer_norm("norm1", norm="batch")
    assert isinstance(norm, BatchNorm) and norm.momentum == 0.9 and norm.epsilon == 1e-5
    x = _features(2, 3, 6)
    norm.build(x.shape)
    norm.moving_mean.assign(RNG.normal(size=6).astype("float32"))
    norm.moving_variance.assign(RNG.uniform(0.5, 2.0, size=6).astype("float32"))
    norm.gamma.assign(RNG.uniform(0.5, 1.5, size=6).astype("float32"))
    norm.beta.assign(RNG.normal(size=6).astype("float32"))
    scale, shift = norm.inference_scale_and_shift()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm(x)), x * scale + shift, atol=1e-5)
    restored = BatchNorm.from_config(norm.get_config())
    assert restored.folded is False and restored.momentum == 0.9
    norm.folded = True
    assert BatchNorm.from_config(norm.get_config()).folded is True
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(norm(x)), x)


def test_norm_affine_has_no_statistics_and_the_same_function_in_training():
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import ChannelAffine, layer_norm

    norm = layer_norm("norm1", norm="affine")
    assert isinstance(norm, ChannelAffine)
    x = _features(2, 3, 6)
    norm.build(x.shape)
    assert [w.path.rsplit("/", 1)[-1] for w in norm.weights] == ["gamma", "beta"]  # no moving statistics
    norm.gamma.assign(RNG.uniform(0.5, 1.5, size=6).astype("float32"))
    norm.beta.assign(RNG.normal(size=6).astype("float32"))
    scale, shift = norm.inference_scale_and_shift()
    for training in (False, True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(norm(x, training=training)), x * scale + shift, atol=1e-6)
    norm.folded = True
    assert ChannelAffine.from_config(norm.get_config()).folded is True
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(norm(x)), x)


def test_norm_dynamic_tanh_is_a_scaled_tanh_then_the_channel_map_which_folding_removes():
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import DynamicTanh, layer_norm

    norm = layer_norm("norm1", norm="dynamic_tanh")
    assert isinstance(norm, DynamicTanh) and norm.alpha_init == 2.0 and not norm.folds_into_layer_before
    x = _features(2, 3, 6) * 3.0  # into the tanh's saturation, where a lost alpha or tanh shows
    norm.build(x.shape)
    norm.alpha.assign(0.7)
    norm.gamma.assign(RNG.uniform(0.5, 1.5, size=6).astype("float32"))
    norm.beta.assign(RNG.normal(size=6).astype("float32"))
    scale, shift = norm.inference_scale_and_shift()
    squashed = np.tanh(0.7 * x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm(x)), squashed * scale + shift, atol=1e-5)
    norm.folded = True
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm(x)), squashed, atol=1e-6)
    restored = DynamicTanh.from_config(norm.get_config())
    assert restored.folded is True and restored.alpha_init == 2.0


def test_an_unknown_norm_is_refused():
    from dvfl_tf.models.video_focalnet.video_focalnet_backbone import VideoFocalNetBackbone
    from dvfl_tf.models.video_focalnet.video_focalnet_layer_norm import layer_norm

    with pytest.raises(ValueError, match="`norm` must be one of"):
        layer_norm("norm1", norm="group")
    with pytest.raises(ValueError, match="Received: norm='rms'"):
        VideoFocalNetBackbone(embed_dim=8, depths=[1], focal_levels=[1], focal_windows=[3], image_size=32, norm="rms")
