"""Causal backbone and its streaming model: frame by frame equals the causal clip model on the frames so far."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest

from tests.model_testing import random_clips, tiny_classifier

# dim 16, 32x32, 4 frames: every block type and stage, in a few seconds.
CAUSAL = {"embed_dim": 16, "num_frames": 4, "image_size": 32, "causal": True}


def _causal_classifier(seed=0, **overrides):
    import keras

    keras.utils.set_random_seed(seed)
    return tiny_classifier(num_classes=5, **{**CAUSAL, **overrides})


def _clip_logits_on_prefix(model, clip, frames):
    """The causal clip model rebuilt for `frames` frames (same weights), on the first `frames` frames."""
    import keras

    config = {k: v for k, v in model.backbone.get_config().items() if k not in ("name", "trainable")}
    prefix_model = tiny_classifier(num_classes=5, **{**config, "num_frames": frames})
    prefix_model.set_weights(model.get_weights())
    return keras.ops.convert_to_numpy(prefix_model(clip[None, :frames]))[0]


def _stream(stream_model, clip, tubelet_size):
    import keras

    states = [np.zeros(tuple(i.shape), np.float32) for i in stream_model.inputs[2:]]
    frames_shape = tuple(stream_model.inputs[0].shape)
    logits = []
    for step, start in enumerate(range(0, len(clip), tubelet_size), start=1):
        tubelet = clip[start : start + tubelet_size].reshape(frames_shape)
        outputs = stream_model([tubelet, np.full((1, 1), 1.0 / step, np.float32), *states])
        outputs = [keras.ops.convert_to_numpy(o) for o in outputs]
        logits.append(outputs[0][0])
        states = outputs[1:]
        assert [s.shape for s in states] == [tuple(i.shape) for i in stream_model.inputs[2:]]
    return np.stack(logits)


# The int8 mobile block's options (vfl_net_mobile_int8): DyT norms, ReLU, the stem as a matrix product.
INT8_BLOCK = {"norm": "dynamic_tanh", "activation": "relu", "stem": "matmul"}


def trained_like_batch_norms(model, seed=0):
    """Moving statistics, gamma and beta away from a fresh batch norm's (where inference is the identity)."""
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        values = {
            "moving_mean": lambda shape: rng.normal(0, 0.3, shape),
            "moving_variance": lambda shape: rng.uniform(0.5, 2.0, shape),
            "gamma": lambda shape: rng.uniform(0.5, 1.5, shape),
            "beta": lambda shape: rng.normal(0, 0.2, shape),
        }.get(weight.path.rsplit("/", 1)[-1])
        if values is not None and len(weight.shape) == 1:
            weight.assign(values(weight.shape).astype("float32"))
    return model


@pytest.mark.parametrize(
    "tubelet_size,temporal_conv,options",
    [
        (1, "dense", {}),
        (2, "dense", {}),
        (1, "depthwise", {}),
        (2, "depthwise", INT8_BLOCK),
        (1, "dense", INT8_BLOCK),
        (2, "depthwise", {**INT8_BLOCK, "norm": "batch"}),
    ],
)
def test_streaming_equals_causal_clip_model_at_every_step(tubelet_size, temporal_conv, options):
    model = _causal_classifier(tubelet_size=tubelet_size, temporal_conv=temporal_conv, **options)
    if options:
        trained_like_batch_norms(model)
    clip = random_clips(1, 4, 32, seed=1)[0]
    streamed = _stream(model.streaming_model(), clip, tubelet_size)
    assert streamed.shape == (4 // tubelet_size, 5)
    for step in range(len(streamed)):
        expected = _clip_logits_on_prefix(model, clip, (step + 1) * tubelet_size)
        np.testing.assert_allclose(streamed[step], expected, atol=1e-4, rtol=0)
    # The logits move as frames arrive (the states carry something).
    assert np.abs(streamed[-1] - streamed[0]).max() > 1e-3


def test_causal_clip_model_ignores_future_frames_and_batches():
    import keras

    model = _causal_classifier()
    features = model.backbone.feature_model()
    clips = random_clips(2, 4, 32, seed=2)
    changed = clips.copy()
    changed[:, 3] = 255.0 - changed[:, 3]  # only the last frame differs
    out = keras.ops.convert_to_numpy(features(clips.reshape(8, 32, 32, 3))["layers.3"]).reshape(2, 4, -1)
    out_changed = keras.ops.convert_to_numpy(features(changed.reshape(8, 32, 32, 3))["layers.3"]).reshape(2, 4, -1)
    np.testing.assert_allclose(out[:, :3], out_changed[:, :3], atol=1e-5)
    assert np.abs(out[:, 3] - out_changed[:, 3]).max() > 1e-3
    # A batch of clips gives each clip's own logits.
    batched = keras.ops.convert_to_numpy(model(clips))
    single = keras.ops.convert_to_numpy(model(clips[1:]))
    np.testing.assert_allclose(batched[1:], single, atol=1e-5)


def test_a_non_causal_model_sees_the_future_and_refuses_to_stream():
    model = _causal_classifier(causal=False)
    assert model.backbone.causal is False  # the default: the official function
    with pytest.raises(ValueError, match="causal backbone"):
        model.streaming_model()


def test_running_mean_over_frames_matches_numpy():
    import keras

    from dvfl_tf.models.video_focalnet.video_focalnet_streaming_ops import running_mean_over_frames

    x = np.random.default_rng(0).normal(size=(2, 5, 3, 4)).astype(np.float32)
    expected = np.cumsum(x, axis=1) / np.arange(1, 6, dtype=np.float32)[None, :, None, None]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(running_mean_over_frames(x)), expected, atol=1e-6)


def test_causal_config_round_trips_and_streaming_shapes_are_mobile(tmp_path):
    import keras

    model = _causal_classifier()
    path = str(tmp_path / "causal.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    assert restored.backbone.causal is True
    assert restored.backbone.get_layer("layers_0_blocks_0").get_config()["causal"] is True
    clip = random_clips(1, 4, 32, seed=3)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(restored(clip)), keras.ops.convert_to_numpy(model(clip)), atol=1e-6
    )
    stream = restored.streaming_model()
    names = [i.name for i in stream.inputs]
    assert names[:2] == ["frames", "frame_weight"] and names[-1] == "pool_mean"
    assert names[2:5] == ["layers_0_blocks_0_conv0", "layers_0_blocks_0_conv1", "layers_0_blocks_0_mean"]
    for tensor in stream.inputs + stream.outputs:
        assert len(tensor.shape) <= 4 and tensor.shape[0] == 1, (tensor.name, tensor.shape)
    # Kernel 3 and 5 temporal convs keep 2 and 4 past frames of 8x8 tokens x 16 channels.
    assert tuple(stream.inputs[2].shape) == (1, 2, 64, 16) and tuple(stream.inputs[3].shape) == (1, 4, 64, 16)


def test_causal_must_be_a_bool():
    from dvfl_tf.models.video_focalnet.video_focalnet_modulation import SpatioTemporalFocalModulation

    with pytest.raises(ValueError, match="Received: causal='yes'"):
        SpatioTemporalFocalModulation(16, num_frames=4, causal="yes")
